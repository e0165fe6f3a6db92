package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strconv"
	"text/tabwriter"

	"civmap"
	"civmap/auth"
	"civmap/store"
)

const tokenUsage = `usage: civmap token COMMAND [flags]

commands:
  create --login L [--name "what it is for"]   create an API token acting as user L; printed once
  list   [--login L]                            list tokens (never their secrets)
  revoke --id N                                 revoke a token: it stops working at once

Scripts send the token as "Authorization: Bearer <token>"; it carries its user's role and scope.
Every command takes --data (embedded store, works beside a running server) or --database-url.
`

// runToken is `civmap token COMMAND`.
func runToken(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, tokenUsage)
		return errors.New("token: no command given")
	}
	cmd, rest := args[0], args[1:]
	fs := flag.NewFlagSet("token "+cmd, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, tokenUsage); fs.PrintDefaults() }
	var sf storeFlags
	sf.register(fs)
	var login, name string
	var id int64
	switch cmd {
	case "create":
		fs.StringVar(&login, "login", "", "the user the token acts as (required)")
		fs.StringVar(&name, "name", "command line", "what the token is for")
	case "list":
		fs.StringVar(&login, "login", "", "only this user's tokens")
	case "revoke":
		fs.Int64Var(&id, "id", 0, "the token's id, from `civmap token list` (required)")
	case "help", "-h", "--help":
		fmt.Fprint(stdout, tokenUsage)
		return nil
	default:
		fmt.Fprint(stderr, tokenUsage)
		return fmt.Errorf("token: unknown command %q", cmd)
	}
	if err := fs.Parse(rest); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("token %s: unexpected argument %q", cmd, fs.Arg(0))
	}
	if cmd == "create" && login == "" {
		return errors.New("token create: --login is required")
	}
	if cmd == "revoke" && id <= 0 {
		return errors.New("token revoke: --id is required")
	}
	st, err := openAccounts(ctx, sf)
	if err != nil {
		return err
	}
	defer st.Close()
	var u civmap.User
	if login != "" {
		if u, err = st.UserByLogin(ctx, auth.NormalizeLogin(login)); err != nil {
			return fmt.Errorf("token %s: --login: %s", cmd, civmap.ErrorMessage(err))
		}
	}
	switch cmd {
	case "create":
		secret, tok, err := (&auth.Service{Store: st}).CreateToken(ctx, u.ID, name, 0)
		if err != nil {
			return fmt.Errorf("token create: %s", errorText(err))
		}
		fmt.Fprintf(stdout, "token %d for %s (%s, %s): shown once, store it now\n%s\n", tok.ID, u.Login, u.Role, name, secret)
	case "list":
		list, err := st.ListTokens(ctx, u.ID)
		if err != nil {
			return err
		}
		return printTokens(ctx, st, list, stdout)
	case "revoke":
		if _, err := st.Token(ctx, id); err != nil {
			return fmt.Errorf("token revoke: %s", civmap.ErrorMessage(err))
		}
		if err := st.RevokeToken(ctx, id); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "token %d revoked\n", id)
	}
	return nil
}

func printTokens(ctx context.Context, st store.Accounts, list []civmap.APIToken, stdout io.Writer) error {
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tUSER\tNAME\tPREFIX\tCREATED\tLAST USED\tSTATE")
	logins := map[int64]string{}
	for _, t := range list {
		login, ok := logins[t.UserID]
		if !ok {
			login = strconv.FormatInt(t.UserID, 10)
			if u, err := st.User(ctx, t.UserID); err == nil {
				login = u.Login
			}
			logins[t.UserID] = login
		}
		used, state := "never", "active"
		if !t.LastUsedAt.IsZero() {
			used = t.LastUsedAt.Format("2006-01-02 15:04")
		}
		if !t.RevokedAt.IsZero() {
			state = "revoked " + t.RevokedAt.Format("2006-01-02 15:04")
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s…\t%s\t%s\t%s\n", t.ID, login, t.Name, t.Prefix, t.CreatedAt.Format("2006-01-02 15:04"), used, state)
	}
	return tw.Flush()
}
