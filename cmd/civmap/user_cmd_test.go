package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"

	"civmap"
	"civmap/store"
	"civmap/store/postgis/pgtest"
)

// cli runs civmap commands through run, as main does, with the store flags appended.
type cli struct {
	t     *testing.T
	store []string // --data … or --database-url …
}

// run runs `civmap ARGS… STOREFLAGS…` with stdin; it returns standard output, standard error
// and the error as main would print it ("" when the command succeeded).
func (c cli) run(stdin string, args ...string) (stdout, stderr, errText string) {
	c.t.Helper()
	var out, errb bytes.Buffer
	all := append(append([]string{}, args...), c.store...)
	if err := run(context.Background(), all, strings.NewReader(stdin), &out, &errb); err != nil {
		errText = errorText(err)
	}
	return out.String(), errb.String(), errText
}

// ok runs a command that must succeed and returns its standard output.
func (c cli) ok(stdin string, args ...string) string {
	c.t.Helper()
	out, stderr, err := c.run(stdin, args...)
	if err != "" {
		c.t.Fatalf("civmap %s: %s\n%s", strings.Join(args, " "), err, stderr)
	}
	return out
}

// fails runs a command that must fail and returns main's error line.
func (c cli) fails(stdin string, args ...string) string {
	c.t.Helper()
	out, _, err := c.run(stdin, args...)
	if err == "" {
		c.t.Fatalf("civmap %s succeeded: %s", strings.Join(args, " "), out)
	}
	return err
}

// signsIn reports the status of a form sign-in from a fresh client at ip (303: signed in) and
// the client, with its session cookie.
func signsIn(t *testing.T, base, ip, name, password string) (int, *http.Client) {
	t.Helper()
	c := from(t, ip)
	resp, _ := login(t, c, base, name, password)
	return resp.StatusCode, c
}

// me is GET /api/v1/me with client c: the status and the login it names.
func me(t *testing.T, c *http.Client, base string, header ...string) (int, string) {
	t.Helper()
	req := mustReq(t, "GET", base+"/api/v1/me", "")
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, b := do(t, c, req)
	var who struct{ Login string }
	json.Unmarshal(b, &who)
	return resp.StatusCode, who.Login
}

var (
	shownPassword = regexp.MustCompile(`(?m)^password \(shown once[^)]*\): (\S+)$`)
	printedToken  = regexp.MustCompile(`(?m)^token (\d+) for .*\n(cvm_\S+)$`)
	signInURL     = regexp.MustCompile(`(?m)^sign-in URL \(keep it secret\): (\S+)$`)
)

// TestUserCommandsBesideServer runs `civmap user`, `civmap token` and `civmap audit` on the data
// file of a running `civmap serve` (which holds its lock: the commands share the file through
// embedded.OpenShared), and checks through the server's HTTP interface that what they do takes
// effect at once, without a restart: new users sign in, a disabled one is signed out, a new
// password and a new personal code replace the old ones, tokens work until revoked. The audit
// log then names the commands as the actors.
func TestUserCommandsBesideServer(t *testing.T) {
	path := tempData(t)
	m := startServe(t, path)
	closeServer := sync.OnceValue(m.Close)
	t.Cleanup(func() { closeServer() })
	base := m.URL()
	c := cli{t, []string{"--data", path, "--database-url="}}
	ctx := context.Background()
	users := func() int {
		us, err := m.store.ListUsers(ctx, store.UserFilter{})
		if err != nil {
			t.Fatal(err)
		}
		return len(us)
	}

	// The server holds the data file; the commands must not need it.
	if st, _, _, err := openNetwork(ctx, "", path); err == nil {
		st.Close()
		t.Fatal("the data file of a running server opened exclusively: no lock?")
	} else if civmap.ErrorCode(err) != civmap.ECONFLICT {
		t.Fatalf("opening a running server's data file: %v, want ECONFLICT", err)
	}

	// An admin with the password on standard input signs in at once.
	out := c.ok("Boss-password-1\n", "user", "add", "--name", "市中心管理员", "--login", "Boss", "--role", "admin")
	if !strings.Contains(out, ": boss (市中心管理员), admin, scope the whole network") || shownPassword.MatchString(out) {
		t.Errorf("user add (password from stdin) printed:\n%s", out)
	}
	status, boss := signsIn(t, base, "127.0.0.101", "boss", "Boss-password-1")
	if status != 303 {
		t.Fatalf("the admin added beside the server cannot sign in: %d", status)
	}
	if st, l := me(t, boss, base); st != 200 || l != "boss" {
		t.Fatalf("/api/v1/me as the new admin: %d %q", st, l)
	}

	// Without input, a station's password is generated and printed once; it works.
	out = c.ok("", "user", "add", "--name", "长安街道实践所", "--login", "zhanzhang", "--role", "station", "--scope", townA)
	pw := shownPassword.FindStringSubmatch(out)
	if pw == nil || strings.Count(out, pw[1]) != 1 || !strings.Contains(out, "scope 长安街道") {
		t.Fatalf("user add without input printed:\n%s", out)
	}
	status, station := signsIn(t, base, "127.0.0.102", "zhanzhang", pw[1])
	if status != 303 {
		t.Fatalf("the generated password does not sign in: %d", status)
	}

	// Mistakes: clear errors naming the flag; nothing stored.
	n := users()
	for _, bad := range []struct {
		args []string
		want []string
	}{
		{[]string{"--login", "x1", "--role", "boss"}, []string{"--role", `unknown role "boss"`}},
		{[]string{"--login", "x2", "--role", "post", "--scope", townA}, []string{"--scope", "实践站专管员的范围应为实践站编码", townA}},
		{[]string{"--login", "x3", "--role", "post", "--scope", "430682999999"}, []string{"--scope", "no site has code 430682999999"}},
		{[]string{"--login", "x4", "--role", "station"}, []string{"--scope"}},
		{[]string{"--login", "boss", "--role", "viewer"}, []string{"login boss", "taken"}},
		{[]string{"--login", "B", "--role", "viewer"}, []string{"--login"}},
	} {
		err := c.fails("Some-password-9\n", append([]string{"user", "add", "--name", "某人"}, bad.args...)...)
		for _, w := range bad.want {
			if !strings.Contains(err, w) {
				t.Errorf("user add %s: %q does not say %q", strings.Join(bad.args, " "), err, w)
			}
		}
	}
	if got := users(); got != n {
		t.Errorf("refused user adds stored %d users", got-n)
	}

	// A volunteer gets no password.
	out = c.ok("Ignored-password-1\n", "user", "add", "--name", "王志愿", "--login", "vol", "--role", "volunteer", "--scope", postA1)
	if !strings.Contains(out, "personal code") || shownPassword.MatchString(out) {
		t.Errorf("user add for a volunteer printed:\n%s", out)
	}
	if u, err := m.store.UserByLogin(ctx, "vol"); err != nil || u.PasswordHash != "" {
		t.Errorf("the volunteer: %v, password hash %q", err, u.PasswordHash)
	}

	// user list.
	out = c.ok("", "user", "list")
	for _, row := range []*regexp.Regexp{
		regexp.MustCompile(`(?m)^\d+\s+boss\s+市中心管理员\s+admin\s+\(all\)\s+active$`),
		regexp.MustCompile(`(?m)^\d+\s+zhanzhang\s+长安街道实践所\s+station\s+` + townA + `\s+active$`),
		regexp.MustCompile(`(?m)^\d+\s+vol\s+王志愿\s+volunteer\s+` + postA1 + `\s+active$`),
	} {
		if !row.MatchString(out) {
			t.Errorf("user list has no row %s:\n%s", row, out)
		}
	}
	if out := c.ok("", "user", "list", "--role", "volunteer"); strings.Contains(out, "boss") || !strings.Contains(out, "vol") {
		t.Errorf("user list --role volunteer:\n%s", out)
	}
	if err := c.fails("", "user", "list", "--role", "boss"); !strings.Contains(err, "--role") {
		t.Errorf("user list --role boss: %q", err)
	}

	// disable signs the station out everywhere (browser and token) and stops sign-in; enable
	// lets them sign in again, but the old session stays ended.
	_, stationToken := userTokenFor(t, m, "zhanzhang")
	if out := c.ok("", "user", "disable", "--login", "zhanzhang"); !strings.Contains(out, "zhanzhang (长安街道实践所): disabled") {
		t.Errorf("user disable printed %q", out)
	}
	if st, _ := me(t, station, base); st != 401 {
		t.Errorf("the disabled station's browser: %d, want 401", st)
	}
	if st, _ := me(t, from(t, "127.0.0.103"), base, stationToken...); st != 401 {
		t.Errorf("the disabled station's token: %d, want 401", st)
	}
	if status, _ := signsIn(t, base, "127.0.0.104", "zhanzhang", pw[1]); status != 401 {
		t.Errorf("the disabled station signs in: %d, want 401", status)
	}
	if out := c.ok("", "user", "list", "--role", "station"); !regexp.MustCompile(`zhanzhang.*disabled`).MatchString(out) {
		t.Errorf("user list after disable:\n%s", out)
	}
	if out := c.ok("", "user", "enable", "--login", "zhanzhang"); !strings.Contains(out, "enabled") {
		t.Errorf("user enable printed %q", out)
	}
	if st, _ := me(t, station, base); st != 401 {
		t.Errorf("the browser signed out by disable came back after enable: %d", st)
	}
	status, station = signsIn(t, base, "127.0.0.105", "zhanzhang", pw[1])
	if status != 303 {
		t.Errorf("the re-enabled station cannot sign in: %d", status)
	}

	// user password: the new one works, the old one no longer.
	if out := c.ok("Station-password-2\n", "user", "password", "--login", "zhanzhang"); !strings.Contains(out, "new password set for zhanzhang") || strings.Contains(out, "Station-password-2") {
		t.Errorf("user password printed %q", out)
	}
	if status, _ := signsIn(t, base, "127.0.0.106", "zhanzhang", pw[1]); status != 401 {
		t.Errorf("the old password after user password: %d, want 401", status)
	}
	if status, _ := signsIn(t, base, "127.0.0.107", "zhanzhang", "Station-password-2"); status != 303 {
		t.Errorf("the new password: %d, want 303", status)
	}
	out = c.ok("", "user", "password", "--login", "zhanzhang")
	if gen := shownPassword.FindStringSubmatch(out); gen == nil {
		t.Errorf("user password without input printed %q", out)
	} else if status, _ := signsIn(t, base, "127.0.0.108", "zhanzhang", gen[1]); status != 303 {
		t.Errorf("the generated new password: %d, want 303", status)
	}
	if err := c.fails("Vol-password-1\n", "user", "password", "--login", "vol"); !strings.Contains(err, "volunteer") {
		t.Errorf("user password for a volunteer: %q", err)
	}
	if err := c.fails("", "user", "disable", "--login", "nobody"); !strings.Contains(err, "user disable") {
		t.Errorf("user disable for an unknown login: %q", err)
	}

	// user code: the PNG and the printed card carry the sign-in URL at --public-url; the code
	// signs a phone in on the running server; a second code replaces it.
	dir := t.TempDir()
	card, png := filepath.Join(dir, "card.pdf"), filepath.Join(dir, "code.png")
	out = c.ok("", "user", "code", "--login", "vol", "--out", card, "--png", png, "--public-url", "http://x.example")
	u1 := signInURL.FindStringSubmatch(out)
	if u1 == nil || !strings.HasPrefix(u1[1], "http://x.example/p/") {
		t.Fatalf("user code printed:\n%s", out)
	}
	first := u1[1]
	if got := decodeQR(t, png); got != first {
		t.Errorf("the PNG reads %q, want %q", got, first)
	}
	if b, err := exec.Command("pdftoppm", "-r", "200", "-png", "-singlefile", card, filepath.Join(dir, "card")).CombinedOutput(); err != nil {
		t.Fatalf("pdftoppm: %v %s", err, b)
	}
	if got := decodeQR(t, filepath.Join(dir, "card.png")); got != first {
		t.Errorf("the card reads %q, want %q", got, first)
	}
	if text, err := exec.Command("pdftotext", card, "-").Output(); err != nil || !strings.Contains(string(text), "王志愿") {
		t.Errorf("the card's text: %q %v", text, err)
	}
	for _, f := range []string{card, png} {
		if fi, err := os.Stat(f); err != nil || fi.Mode().Perm() != 0o600 {
			t.Errorf("%s: %v, mode %v; a sign-in secret wants 0600", f, err, fi.Mode().Perm())
		}
	}
	codeSignIn := func(ip, u string) (int, *http.Client) {
		c := from(t, ip)
		resp, _ := do(t, c, mustReq(t, "POST", base+strings.TrimPrefix(u, "http://x.example"), "application/x-www-form-urlencoded"))
		return resp.StatusCode, c
	}
	status, phone := codeSignIn("127.0.0.111", first)
	if st, l := me(t, phone, base); status != 303 || st != 200 || l != "vol" {
		t.Fatalf("signing in with the command's code: %d, then /api/v1/me %d %q", status, st, l)
	}
	out = c.ok("", "user", "code", "--login", "vol", "--public-url", "http://x.example")
	u2 := signInURL.FindStringSubmatch(out)
	if u2 == nil || u2[1] == first || !strings.Contains(out, "the previous one no longer works") {
		t.Fatalf("the second user code printed:\n%s", out)
	}
	if st, _ := me(t, phone, base); st != 401 {
		t.Errorf("the phone signed in with the first code after a second: %d, want 401", st)
	}
	if status, _ := codeSignIn("127.0.0.112", first); status != 401 {
		t.Errorf("the first code after a second: %d, want 401", status)
	}
	if status, _ := codeSignIn("127.0.0.113", u2[1]); status != 303 {
		t.Errorf("the second code: %d, want 303", status)
	}
	if err := c.fails("", "user", "code", "--login", "boss", "--public-url", "http://x.example"); !strings.Contains(err, "user code") {
		t.Errorf("user code for an admin: %q", err)
	}
	if err := c.fails("", "user", "code", "--login", "vol", "--public-url", "ftp://x.example"); !strings.Contains(err, "--public-url") {
		t.Errorf("user code --public-url ftp://…: %q", err)
	}

	// Tokens: created, listed without the secret, used, revoked.
	tokenPath(t, c, m, "boss")

	// The audit log names the commands.
	auditNamesCommands(t, c, []string{
		"civmap user|create|user", "civmap user|update|user", "civmap user|revoke|session",
		"civmap user|issue|personal_code", "civmap token|create|token", "civmap token|revoke|token",
	})

	// The server's lock is still there.
	if st, _, _, err := openNetwork(ctx, "", path); err == nil {
		st.Close()
		t.Error("after the commands, the running server's data file opens exclusively")
	}
	// And without the server, the commands open the file themselves.
	if err := closeServer(); err != nil {
		t.Fatal(err)
	}
	if out := c.ok("", "user", "list", "--role", "admin"); !strings.Contains(out, "boss") {
		t.Errorf("user list without a server:\n%s", out)
	}
}

// userTokenFor gives the existing user with login an API token, through the store.
func userTokenFor(t *testing.T, m *Serve, login string) (civmap.User, []string) {
	t.Helper()
	u, err := m.store.UserByLogin(context.Background(), login)
	if err != nil {
		t.Fatal(err)
	}
	out := cli{t, storeArgs(m)}.ok("", "token", "create", "--login", login, "--name", "测试")
	tok := printedToken.FindStringSubmatch(out)
	if tok == nil {
		t.Fatalf("token create printed %q", out)
	}
	return u, []string{"Authorization", "Bearer " + tok[2]}
}

// storeArgs are the store flags that reach m's store.
func storeArgs(m *Serve) []string {
	if m.DatabaseURL != "" {
		return []string{"--database-url", m.DatabaseURL}
	}
	return []string{"--data", m.DataPath, "--database-url="}
}

// tokenPath: `token create` prints a cvm_ token that works as a bearer token on the running
// server, `token list` never shows it, `token revoke` stops it at once.
func tokenPath(t *testing.T, c cli, m *Serve, login string) {
	t.Helper()
	base := m.URL()
	out := c.ok("", "token", "create", "--login", login, "--name", "夜间导出")
	tok := printedToken.FindStringSubmatch(out)
	if tok == nil {
		t.Fatalf("token create printed:\n%s", out)
	}
	id, secret := tok[1], tok[2]
	bearer := []string{"Authorization", "Bearer " + secret}
	if st, l := me(t, from(t, "127.0.0.121"), base, bearer...); st != 200 || l != login {
		t.Fatalf("the command's token on the running server: %d %q", st, l)
	}
	for _, args := range [][]string{{"token", "list"}, {"token", "list", "--login", login}} {
		out := c.ok("", args...)
		if !regexp.MustCompile(`(?m)^` + id + `\s+` + login + `\s+夜间导出\s+cvm_\S*…\s.*\sactive$`).MatchString(out) {
			t.Errorf("%s has no active row for token %s:\n%s", strings.Join(args, " "), id, out)
		}
		if strings.Contains(out, secret) || strings.Contains(out, secret[len(secret)-12:]) {
			t.Errorf("%s prints the secret:\n%s", strings.Join(args, " "), out)
		}
	}
	if out := c.ok("", "token", "revoke", "--id", id); out != "token "+id+" revoked\n" {
		t.Errorf("token revoke printed %q", out)
	}
	if st, _ := me(t, from(t, "127.0.0.122"), base, bearer...); st != 401 {
		t.Errorf("the revoked token: %d, want 401", st)
	}
	if out := c.ok("", "token", "list", "--login", login); !regexp.MustCompile(`(?m)^` + id + `\s.*\srevoked \d{4}-\d\d-\d\d \d\d:\d\d$`).MatchString(out) {
		t.Errorf("token list after revoke:\n%s", out)
	}
	if err := c.fails("", "token", "revoke", "--id", "999999"); !strings.Contains(err, "token revoke") {
		t.Errorf("token revoke --id 999999: %q", err)
	}
	if err := c.fails("", "token", "create", "--login", "nobody"); !strings.Contains(err, "--login") {
		t.Errorf("token create --login nobody: %q", err)
	}
	if out := c.ok("", "token", "list"); strings.Contains(out, secret) {
		t.Error("token list prints the secret")
	}
}

// auditNamesCommands: `civmap audit` lists, for each "command|action|kind" of want, a record
// whose actor is "civmap COMMAND (OS user)", with no client address; --json agrees.
func auditNamesCommands(t *testing.T, c cli, want []string) {
	t.Helper()
	out := c.ok("", "audit", "--limit", "1000")
	if !strings.HasPrefix(out, "ID ") || !strings.Contains(out, "ACTOR") {
		t.Errorf("audit printed no header:\n%.300s", out)
	}
	var recs []civmap.AuditRecord
	for _, line := range strings.Split(strings.TrimSpace(c.ok("", "audit", "--limit", "1000", "--json")), "\n") {
		var r civmap.AuditRecord
		if err := json.Unmarshal([]byte(line), &r); err != nil {
			t.Fatalf("audit --json line %q: %v", line, err)
		}
		recs = append(recs, r)
	}
	for _, w := range want {
		f := strings.Split(w, "|")
		actor := commandActor(strings.TrimPrefix(f[0], "civmap ")).System
		if !strings.HasPrefix(actor, f[0]+" (") || !strings.HasSuffix(actor, ")") {
			t.Fatalf("commandActor names %q", actor)
		}
		found := false
		for _, r := range recs {
			if r.ActorLogin == actor && r.Action == f[1] && r.Kind == f[2] {
				found = true
				if r.Addr != "" || r.ActorID != 0 {
					t.Errorf("record %d by %s: address %q, actor id %d", r.ID, actor, r.Addr, r.ActorID)
				}
			}
		}
		if !found {
			t.Errorf("audit --json has no %s %s by %q", f[1], f[2], actor)
		}
		if !regexp.MustCompile(regexp.QuoteMeta(actor) + `\s+` + f[1] + `\s+` + f[2] + `\s`).MatchString(out) {
			t.Errorf("audit lists no %s %s by %q:\n%s", f[1], f[2], actor, out)
		}
	}
	if err := c.fails("", "audit", "--actor", "nobody"); !strings.Contains(err, "--actor") {
		t.Errorf("audit --actor nobody: %q", err)
	}
	if err := c.fails("", "audit", "--since", "yesterday"); !strings.Contains(err, "--since") {
		t.Errorf("audit --since yesterday: %q", err)
	}
}

// TestUserCommandsPostGIS is the add, list and token path on the PostGIS store, beside a server
// on the same database.
func TestUserCommandsPostGIS(t *testing.T) {
	db := pgtest.NewDatabase(t)
	m := startServe(t, tempData(t), "--database-url", db)
	t.Cleanup(func() { m.Close() })
	base := m.URL()
	c := cli{t, []string{"--database-url", db}}
	out := c.ok("Pg-admin-password-1\n", "user", "add", "--name", "管理员", "--login", "pgadmin", "--role", "admin")
	if !strings.Contains(out, "pgadmin (管理员), admin") {
		t.Errorf("user add printed %q", out)
	}
	status, admin := signsIn(t, base, "127.0.0.131", "pgadmin", "Pg-admin-password-1")
	if st, l := me(t, admin, base); status != 303 || st != 200 || l != "pgadmin" {
		t.Fatalf("the admin added on PostGIS: sign-in %d, /api/v1/me %d %q", status, st, l)
	}
	out = c.ok("", "user", "add", "--name", "长城社区专管员", "--login", "pgpost", "--role", "post", "--scope", postA1)
	pw := shownPassword.FindStringSubmatch(out)
	if pw == nil {
		t.Fatalf("user add without input printed %q", out)
	}
	if status, _ := signsIn(t, base, "127.0.0.132", "pgpost", pw[1]); status != 303 {
		t.Errorf("the generated password on PostGIS: %d", status)
	}
	if err := c.fails("Pg-admin-password-1\n", "user", "add", "--name", "重名", "--login", "pgadmin", "--role", "viewer"); !strings.Contains(err, "login pgadmin") {
		t.Errorf("a taken login on PostGIS: %q", err)
	}
	out = c.ok("", "user", "list")
	for _, want := range []string{"pgadmin", "pgpost", postA1} {
		if !strings.Contains(out, want) {
			t.Errorf("user list has no %s:\n%s", want, out)
		}
	}
	tokenPath(t, c, m, "pgadmin")
	auditNamesCommands(t, c, []string{"civmap user|create|user", "civmap token|create|token", "civmap token|revoke|token"})
}
