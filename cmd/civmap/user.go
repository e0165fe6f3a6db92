package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"

	"civmap"
	"civmap/api"
	"civmap/auth"
	"civmap/qr"
	"civmap/qr/poster"
	"civmap/store"

	"golang.org/x/term"
)

const userUsage = `usage: civmap user COMMAND [flags]

commands:
  add      --name 张三 --login zhangsan --role admin|station|post|team_leader|volunteer|viewer [--scope CODE]
           add a user; the password is read from standard input (first line) when it is not a
           terminal, otherwise generated and printed once (volunteers get none: they sign in
           with a personal code, see "user code")
  list     [--role ROLE]          list users
  disable  --login L              stop a user signing in (signs them out everywhere)
  enable   --login L              let a disabled user sign in again
  password --login L              set a new password (standard input, or generated and printed)
  code     --login L [--out card.pdf] [--png code.png] [--public-url URL]
           issue a volunteer's personal sign-in code (the old one stops working) and print its
           URL, write the printable card (PDF) and/or the QR code (PNG)

Every command takes --data (embedded store, works beside a running server) or --database-url.
`

// runUser is `civmap user COMMAND`.
func runUser(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, userUsage)
		return errors.New("user: no command given")
	}
	cmd, rest := args[0], args[1:]
	fs := flag.NewFlagSet("user "+cmd, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, userUsage); fs.PrintDefaults() }
	var sf storeFlags
	sf.register(fs)
	var name, login, role, scope, out, png, public string
	switch cmd {
	case "add":
		fs.StringVar(&name, "name", "", "display name (required)")
		fs.StringVar(&login, "login", "", "login name: 2–32 of a–z 0–9 . _ - (required)")
		fs.StringVar(&role, "role", "", "admin | station | post | team_leader | volunteer | viewer (required)")
		fs.StringVar(&scope, "scope", "", "site code the user works for (station: a 9-digit town code; post: a 12-digit village code; admin and viewer: empty for the whole network)")
	case "list":
		fs.StringVar(&role, "role", "", "only users with this role")
	case "disable", "enable", "password":
		fs.StringVar(&login, "login", "", "login name (required)")
	case "code":
		fs.StringVar(&login, "login", "", "the volunteer's login name (required)")
		fs.StringVar(&out, "out", "", "write the printable card (A4 PDF) here")
		fs.StringVar(&png, "png", "", "write the QR code (PNG) here")
		fs.StringVar(&public, "public-url", envOr("CIVMAP_PUBLIC_URL", defaultPublicURL), "base URL the code's sign-in link carries (env CIVMAP_PUBLIC_URL)")
	case "help", "-h", "--help":
		fmt.Fprint(stdout, userUsage)
		return nil
	default:
		fmt.Fprint(stderr, userUsage)
		return fmt.Errorf("user: unknown command %q", cmd)
	}
	if err := fs.Parse(rest); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("user %s: unexpected argument %q", cmd, fs.Arg(0))
	}
	if cmd != "list" && cmd != "add" && login == "" {
		return fmt.Errorf("user %s: --login is required", cmd)
	}
	st, err := openAccounts(ctx, sf)
	if err != nil {
		return err
	}
	defer st.Close()
	switch cmd {
	case "add":
		return userAdd(ctx, st, civmap.User{Name: name, Login: auth.NormalizeLogin(login), Role: civmap.Role(role), Scope: scope}, stdin, stdout)
	case "list":
		return userList(ctx, st, civmap.Role(role), stdout)
	case "code":
		return userCode(ctx, st, auth.NormalizeLogin(login), public, out, png, stdout, stderr)
	}
	u, err := st.UserByLogin(ctx, auth.NormalizeLogin(login))
	if err != nil {
		return fmt.Errorf("user %s: %s", cmd, civmap.ErrorMessage(err))
	}
	switch cmd {
	case "disable", "enable":
		u.Disabled = cmd == "disable"
		if _, err := st.UpdateUser(ctx, u); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "%s (%s): %sd\n", u.Login, u.Name, cmd)
	case "password":
		if u.Role == civmap.RoleVolunteer {
			return fmt.Errorf("user password: %s is a volunteer: volunteers sign in with a personal code (civmap user code --login %s)", u.Login, u.Login)
		}
		pw, generated, err := readPassword(stdin)
		if err != nil {
			return err
		}
		if u.PasswordHash, err = auth.HashPassword(pw); err != nil {
			return fmt.Errorf("user password: %s", civmap.ErrorMessage(err))
		}
		if _, err := st.UpdateUser(ctx, u); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "new password set for %s (%s)\n", u.Login, u.Name)
		if generated {
			fmt.Fprintf(stdout, "password (shown once): %s\n", pw)
		}
	}
	return nil
}

// readPassword reads the first line of stdin when it is not a terminal; with a terminal, or
// nothing to read, it generates one (auth.NewPassword) and reports that it did.
func readPassword(stdin io.Reader) (pw string, generated bool, err error) {
	if f, ok := stdin.(*os.File); !ok || !term.IsTerminal(int(f.Fd())) {
		line, err := bufio.NewReader(io.LimitReader(stdin, 4<<10)).ReadString('\n')
		if err != nil && err != io.EOF {
			return "", false, fmt.Errorf("read the password from standard input: %w", err)
		}
		if line = strings.TrimRight(line, "\r\n"); line != "" {
			return line, false, nil
		}
	}
	return auth.NewPassword(), true, nil
}

// userAdd checks and stores a new user; staff get a password (stdin or generated).
func userAdd(ctx context.Context, st accountStore, u civmap.User, stdin io.Reader, stdout io.Writer) error {
	if err := u.Validate(); err != nil {
		return fmt.Errorf("user add: --%s: %s", civmap.ErrorField(err), civmap.ErrorMessage(err))
	}
	var site *civmap.Site
	if u.Scope != "" {
		x, err := st.Site(ctx, u.Scope)
		if err != nil {
			return fmt.Errorf("user add: --scope: no site has code %s", u.Scope)
		}
		site = &x
	}
	if err := auth.CheckScope(u, site); err != nil {
		return fmt.Errorf("user add: --scope: %s", civmap.ErrorMessage(err))
	}
	var pw string
	generated := false
	if u.Role != civmap.RoleVolunteer {
		var err error
		if pw, generated, err = readPassword(stdin); err != nil {
			return err
		}
		if u.PasswordHash, err = auth.HashPassword(pw); err != nil {
			return fmt.Errorf("user add: %s", civmap.ErrorMessage(err))
		}
	}
	created, err := st.CreateUser(ctx, u)
	if err != nil {
		if civmap.ErrorCode(err) == civmap.ECONFLICT {
			return fmt.Errorf("user add: the login %s is taken", u.Login)
		}
		return err
	}
	u = created
	where := "the whole network"
	if site != nil {
		where = site.Name + " (" + site.Code + ")"
	}
	fmt.Fprintf(stdout, "added user %d: %s (%s), %s, scope %s\n", u.ID, u.Login, u.Name, u.Role, where)
	switch {
	case generated:
		fmt.Fprintf(stdout, "password (shown once, sign in at /login): %s\n", pw)
	case u.Role == civmap.RoleVolunteer:
		fmt.Fprintf(stdout, "volunteers sign in with a personal code: civmap user code --login %s --out card.pdf\n", u.Login)
	}
	return nil
}

func userList(ctx context.Context, st accountStore, role civmap.Role, stdout io.Writer) error {
	if role != "" && !role.Valid() {
		return fmt.Errorf("user list: --role: unknown role %q", role)
	}
	users, err := st.ListUsers(ctx, store.UserFilter{Role: role})
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tLOGIN\tNAME\tROLE\tSCOPE\tSTATE")
	for _, u := range users {
		state := "active"
		if u.Disabled {
			state = "disabled"
		}
		if u.Demo {
			state += ", demo"
		}
		scope := u.Scope
		if scope == "" {
			scope = "(all)"
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\n", u.ID, u.Login, u.Name, u.Role, scope, state)
	}
	return tw.Flush()
}

// userCode issues a volunteer's personal code and prints or writes it.
func userCode(ctx context.Context, st accountStore, login, public, out, png string, stdout, stderr io.Writer) error {
	if err := api.CheckPublicURL(public); err != nil || public == "" {
		return fmt.Errorf("user code: --public-url: %s", civmap.ErrorMessage(err))
	}
	public = strings.TrimRight(public, "/")
	if public == defaultPublicURL {
		fmt.Fprintf(stderr, "user code: warning: the code links to %s; set --public-url to the address volunteers' phones reach (志愿者码指向本机地址，请用 --public-url 指定手机可访问的网址)\n", public)
	}
	u, err := st.UserByLogin(ctx, login)
	if err != nil {
		return fmt.Errorf("user code: %s", civmap.ErrorMessage(err))
	}
	var font *poster.Font
	if out != "" { // the font first: a missing one must not revoke the old code
		if font, err = poster.LoadFont(os.Getenv("CIVMAP_FONT")); err != nil {
			return fmt.Errorf("user code: %s", civmap.ErrorMessage(err))
		}
	}
	svc := &auth.Service{Store: st}
	code, u, err := svc.IssueCode(ctx, u.ID)
	if err != nil {
		return fmt.Errorf("user code: %s", civmap.ErrorMessage(err))
	}
	signIn := public + "/p/" + code
	site := u.Scope
	if x, err := st.Site(ctx, u.Scope); err == nil {
		site = x.Name
	}
	if out != "" {
		if err := writeFileAtomic(out, 0o600, func(w io.Writer) error {
			return poster.WriteCardPDF(w, font, poster.Card{Name: u.Name, Site: site, URL: signIn, IssuedAt: u.CodeIssuedAt})
		}); err != nil {
			return fmt.Errorf("user code: %w", err)
		}
		fmt.Fprintf(stdout, "card written to %s\n", out)
	}
	if png != "" {
		c, err := qr.Encode(signIn, qr.Q)
		if err != nil {
			return err
		}
		if err := writeFileAtomic(png, 0o600, func(w io.Writer) error { return c.WritePNG(w, 8) }); err != nil {
			return fmt.Errorf("user code: %w", err)
		}
		fmt.Fprintf(stdout, "QR code written to %s\n", png)
	}
	fmt.Fprintf(stdout, "personal code for %s (%s) issued; the previous one no longer works\nsign-in URL (keep it secret): %s\n", u.Login, u.Name, signIn)
	return nil
}
