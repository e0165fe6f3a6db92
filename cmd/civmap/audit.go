package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"civmap"
	"civmap/auth"
	"civmap/store"
	"civmap/web"
)

// runAudit is `civmap audit`: the audit log, newest first.
func runAudit(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("audit", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var sf storeFlags
	sf.register(fs)
	var f store.AuditFilter
	var login, since, until string
	var asJSON bool
	fs.StringVar(&login, "actor", "", "only what this user (login) did")
	fs.StringVar(&f.Kind, "kind", "", "only records about: site, venue, area, activity, need, user, session, token, personal_code")
	fs.StringVar(&f.Action, "action", "", "only: create, update, hide, unhide, sign_in, sign_in_failed, sign_out, revoke, issue, read")
	fs.StringVar(&f.RecordID, "record", "", "only records about this id or code")
	fs.StringVar(&since, "since", "", "from this time on (RFC 3339 or YYYY-MM-DD, China time)")
	fs.StringVar(&until, "until", "", "before this time (RFC 3339 or YYYY-MM-DD, China time)")
	fs.IntVar(&f.Limit, "limit", 50, "at most this many records")
	fs.BoolVar(&asJSON, "json", false, "one JSON object per line, with before and after")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: civmap audit [flags]   the audit log, newest first")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("audit: unexpected argument %q", fs.Arg(0))
	}
	var err error
	if f.Since, err = parseDay("since", since); err != nil {
		return err
	}
	if f.Until, err = parseDay("until", until); err != nil {
		return err
	}
	if f.Limit < 1 {
		return fmt.Errorf("audit: --limit must be at least 1")
	}
	st, err := openAccounts(ctx, sf)
	if err != nil {
		return err
	}
	defer st.Close()
	if login != "" {
		u, err := st.UserByLogin(ctx, auth.NormalizeLogin(login))
		if err != nil {
			return fmt.Errorf("audit: --actor: %s", civmap.ErrorMessage(err))
		}
		f.ActorID = u.ID
	}
	recs, err := st.ListAudit(ctx, f)
	if err != nil {
		return err
	}
	if asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetEscapeHTML(false)
		for _, r := range recs {
			if err := enc.Encode(r); err != nil {
				return err
			}
		}
		return nil
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tTIME (CST)\tACTOR\tADDRESS\tACTION\tKIND\tRECORD\tNOTE")
	for _, r := range recs {
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", r.ID, r.At.In(web.China).Format("2006-01-02 15:04:05"),
			r.ActorLogin, r.Addr, r.Action, r.Kind, r.RecordID, r.Note)
	}
	return tw.Flush()
}

// parseDay reads an RFC 3339 time or a date (midnight, China Standard Time); "" is zero.
func parseDay(flag, s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	t, err := time.ParseInLocation("2006-01-02", s, web.China)
	if err != nil {
		return time.Time{}, fmt.Errorf("audit: --%s %q: want RFC 3339 (2026-12-01T09:00:00+08:00) or a date (2026-12-01)", flag, s)
	}
	return t, nil
}
