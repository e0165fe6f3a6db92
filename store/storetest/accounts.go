package storetest

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"civmap"
	"civmap/store"
)

// RunAccounts checks a store's accounts, throttle and audit log against the contract of
// package store (Accounts, Throttle, Audit), and the audit records every other write appends.
func RunAccounts(t *testing.T, open Opener) {
	t.Run("Users", func(t *testing.T) { testUsers(t, open(t)) })
	t.Run("Codes", func(t *testing.T) { testCodes(t, open(t)) })
	t.Run("Sessions", func(t *testing.T) { testSessions(t, open(t)) })
	t.Run("Tokens", func(t *testing.T) { testTokens(t, open(t)) })
	t.Run("Throttle", func(t *testing.T) { testThrottle(t, open(t)) })
	t.Run("AuditList", func(t *testing.T) { testAuditList(t, open(t)) })
	t.Run("AuditWrites", func(t *testing.T) { testAuditWrites(t, open(t)) })
}

// hash is a stand-in for auth.HashSecret: 64 hex digits (stores treat hashes as opaque text).
func hash(s string) string { return fmt.Sprintf("%064x", []byte(s)) }

// as returns a context whose writes are made by actor.
func as(u civmap.User) context.Context {
	return civmap.WithActor(context.Background(), civmap.Actor{UserID: u.ID, Login: u.Login, Role: u.Role, Addr: "192.0.2.7"})
}

var system = civmap.WithActor(context.Background(), civmap.Actor{System: "storetest"})

func newUser(login string, role civmap.Role, scope string) civmap.User {
	return civmap.User{Login: login, Name: "用户" + login, Role: role, Scope: scope,
		PasswordHash: "$argon2id$v=19$m=65536,t=3,p=4$c2FsdA$" + login}
}

func mustUser(t testing.TB, st store.Store, u civmap.User) civmap.User {
	t.Helper()
	got, err := st.CreateUser(system, u)
	if err != nil {
		t.Fatalf("create user %s: %v", u.Login, err)
	}
	return got
}

func sameUser(a, b civmap.User) bool {
	a.ID, a.CreatedAt, a.UpdatedAt, a.CodeIssuedAt = 0, time.Time{}, time.Time{}, time.Time{}
	b.ID, b.CreatedAt, b.UpdatedAt, b.CodeIssuedAt = 0, time.Time{}, time.Time{}, time.Time{}
	return a == b
}

func testUsers(t *testing.T, st store.Store) {
	ctx := system
	admin := mustUser(t, st, newUser("admin", civmap.RoleAdmin, ""))
	if admin.ID == 0 || admin.CreatedAt.IsZero() || admin.CreatedAt.Location() != time.UTC || !admin.UpdatedAt.Equal(admin.CreatedAt) {
		t.Errorf("created user: %+v; want an id and equal UTC creation and update times", admin)
	}
	station := mustUser(t, st, newUser("zhangsan", civmap.RoleStation, "430682001"))
	vol := newUser("li.si-2", civmap.RoleVolunteer, "430682001001")
	vol.PasswordHash = ""
	vol = mustUser(t, st, vol)
	if station.ID == admin.ID || vol.ID == station.ID {
		t.Errorf("ids %d, %d, %d are not distinct", admin.ID, station.ID, vol.ID)
	}

	_, err := st.CreateUser(ctx, newUser("zhangsan", civmap.RolePost, "430682001001"))
	wantCode(t, "a second user with one login", err, civmap.ECONFLICT, "")
	_, err = st.CreateUser(ctx, newUser("Bad Login", civmap.RoleViewer, ""))
	wantCode(t, "a bad login", err, civmap.EINVALID, "login")
	_, err = st.CreateUser(ctx, newUser("nobody", civmap.RolePost, ""))
	wantCode(t, "a post without a scope", err, civmap.EINVALID, "scope")
	_, err = st.CreateUser(ctx, newUser("nobody", "king", ""))
	wantCode(t, "an unknown role", err, civmap.EINVALID, "role")

	for _, want := range []civmap.User{admin, station, vol} {
		got, err := st.User(ctx, want.ID)
		if err != nil || !sameUser(got, want) || !got.CreatedAt.Equal(want.CreatedAt) {
			t.Errorf("User(%d) = %+v, %v; want %+v", want.ID, got, err, want)
		}
		got, err = st.UserByLogin(ctx, want.Login)
		if err != nil || got.ID != want.ID {
			t.Errorf("UserByLogin(%s) = %+v, %v", want.Login, got, err)
		}
	}
	_, err = st.User(ctx, 99999)
	wantCode(t, "an unknown user id", err, civmap.ENOTFOUND, "")
	_, err = st.UserByLogin(ctx, "nobody")
	wantCode(t, "an unknown login", err, civmap.ENOTFOUND, "")

	all, err := st.ListUsers(ctx, store.UserFilter{})
	if err != nil || len(all) != 3 || all[0].ID != admin.ID || all[2].ID != vol.ID {
		t.Errorf("ListUsers = %v, %v; want the three users by id", all, err)
	}
	vols, _ := st.ListUsers(ctx, store.UserFilter{Role: civmap.RoleVolunteer})
	if len(vols) != 1 || vols[0].ID != vol.ID {
		t.Errorf("ListUsers(volunteer) = %v", vols)
	}
	byLogin, _ := st.ListUsers(ctx, store.UserFilter{Login: "zhangsan"})
	if len(byLogin) != 1 || byLogin[0].ID != station.ID {
		t.Errorf("ListUsers(login) = %v", byLogin)
	}
	if one, _ := st.ListUsers(ctx, store.UserFilter{Limit: 1}); len(one) != 1 {
		t.Errorf("ListUsers(limit 1) = %d users", len(one))
	}

	// Update: name and scope change, the login may not collide, an unknown id is not found.
	station.Name = "张三（所）"
	station.Scope = "430682002"
	up, err := st.UpdateUser(ctx, station)
	if err != nil || up.Name != station.Name || !up.CreatedAt.Equal(station.CreatedAt) || up.UpdatedAt.Before(station.UpdatedAt) {
		t.Errorf("UpdateUser = %+v, %v", up, err)
	}
	if got, _ := st.User(ctx, station.ID); got.Scope != "430682002" || got.Name != station.Name {
		t.Errorf("after UpdateUser: %+v", got)
	}
	clash := station
	clash.Login = "admin"
	_, err = st.UpdateUser(ctx, clash)
	wantCode(t, "renaming to a taken login", err, civmap.ECONFLICT, "")
	ghost := station
	ghost.ID = 99999
	_, err = st.UpdateUser(ctx, ghost)
	wantCode(t, "updating an unknown user", err, civmap.ENOTFOUND, "")
	bad := station
	bad.Name = ""
	_, err = st.UpdateUser(ctx, bad)
	wantCode(t, "updating to a blank name", err, civmap.EINVALID, "name")
	// UpdateUser leaves the personal code alone.
	if _, err := st.IssueCode(ctx, vol.ID, hash("code-1")); err != nil {
		t.Fatal(err)
	}
	v2 := vol
	v2.Name = "李四"
	v2.CodeHash = ""
	if _, err := st.UpdateUser(ctx, v2); err != nil {
		t.Fatal(err)
	}
	if got, err := st.UserByCode(ctx, hash("code-1")); err != nil || got.ID != vol.ID || got.Name != "李四" {
		t.Errorf("UpdateUser changed the personal code: %+v, %v", got, err)
	}

	// Disabling a user revokes their sessions.
	now := time.Now().UTC().Truncate(time.Microsecond)
	sess, err := st.CreateSession(ctx, civmap.Session{UserID: station.ID, Kind: civmap.SessionPassword,
		TokenHash: hash("s1"), CreatedAt: now, LastSeenAt: now, ExpiresAt: now.Add(time.Hour), Idle: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	up.Disabled = true
	if _, err := st.UpdateUser(ctx, up); err != nil {
		t.Fatal(err)
	}
	if got, _, err := st.SessionByHash(ctx, hash("s1")); err != nil || got.RevokedAt.IsZero() || got.ID != sess.ID {
		t.Errorf("session of a disabled user: %+v, %v; want it revoked", got, err)
	}
	if got, _ := st.User(ctx, station.ID); !got.Disabled {
		t.Error("disabled user is not disabled")
	}
}

func testCodes(t *testing.T, st store.Store) {
	ctx := system
	vol := mustUser(t, st, newUser("vol", civmap.RoleVolunteer, "430682001001"))
	other := mustUser(t, st, newUser("vol2", civmap.RoleVolunteer, "430682001001"))
	_, err := st.UserByCode(ctx, hash("none"))
	wantCode(t, "a code never issued", err, civmap.ENOTFOUND, "")
	_, err = st.IssueCode(ctx, 99999, hash("x"))
	wantCode(t, "a code for an unknown user", err, civmap.ENOTFOUND, "")

	u, err := st.IssueCode(ctx, vol.ID, hash("first"))
	if err != nil || u.CodeHash != hash("first") || u.CodeIssuedAt.IsZero() {
		t.Fatalf("IssueCode = %+v, %v", u, err)
	}
	if _, err := st.IssueCode(ctx, other.ID, hash("other")); err != nil {
		t.Fatal(err)
	}
	got, err := st.UserByCode(ctx, hash("first"))
	if err != nil || got.ID != vol.ID {
		t.Errorf("UserByCode = %+v, %v", got, err)
	}
	now := time.Now().UTC().Truncate(time.Microsecond)
	mk := func(user int64, kind civmap.SessionKind, secret string) civmap.Session {
		s, err := st.CreateSession(ctx, civmap.Session{UserID: user, Kind: kind, TokenHash: hash(secret),
			CreatedAt: now, LastSeenAt: now, ExpiresAt: now.Add(24 * time.Hour), Idle: time.Hour})
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	phone := mk(vol.ID, civmap.SessionDevice, "phone")
	desk := mk(vol.ID, civmap.SessionPassword, "desk")
	otherPhone := mk(other.ID, civmap.SessionDevice, "otherphone")

	if _, err := st.IssueCode(ctx, vol.ID, hash("second")); err != nil {
		t.Fatal(err)
	}
	_, err = st.UserByCode(ctx, hash("first"))
	wantCode(t, "a replaced code", err, civmap.ENOTFOUND, "")
	if got, err := st.UserByCode(ctx, hash("second")); err != nil || got.ID != vol.ID {
		t.Errorf("the new code: %+v, %v", got, err)
	}
	check := func(s civmap.Session, revoked bool) {
		got, _, err := st.SessionByHash(ctx, s.TokenHash)
		if err != nil || got.RevokedAt.IsZero() == revoked {
			t.Errorf("session %d (%s of user %d) after a new code: revoked at %v, %v; want revoked %v", s.ID, s.Kind, s.UserID, got.RevokedAt, err, revoked)
		}
	}
	check(phone, true)
	check(desk, false)
	check(otherPhone, false)
	if got, err := st.UserByCode(ctx, hash("other")); err != nil || got.ID != other.ID {
		t.Errorf("another volunteer's code after a re-issue: %+v, %v", got, err)
	}
}

func testSessions(t *testing.T, st store.Store) {
	ctx := system
	u := mustUser(t, st, newUser("post1", civmap.RolePost, "430682001001"))
	now := time.Now().UTC().Truncate(time.Microsecond)
	in := civmap.Session{UserID: u.ID, Kind: civmap.SessionPassword, TokenHash: hash("a"), CreatedAt: now,
		LastSeenAt: now, ExpiresAt: now.Add(12 * time.Hour), Idle: 2 * time.Hour, Addr: "192.0.2.1", UserAgent: "手机浏览器"}
	a, err := st.CreateSession(ctx, in)
	if err != nil || a.ID == 0 {
		t.Fatalf("CreateSession = %+v, %v", a, err)
	}
	in.ID = a.ID
	if a != in {
		t.Errorf("CreateSession returned %+v, want %+v", a, in)
	}
	got, gu, err := st.SessionByHash(ctx, hash("a"))
	if err != nil || got != in || gu.ID != u.ID || gu.Login != u.Login {
		t.Errorf("SessionByHash = %+v, %+v, %v; want %+v", got, gu, err, in)
	}
	if got, err := st.Session(ctx, a.ID); err != nil || got != in {
		t.Errorf("Session = %+v, %v", got, err)
	}
	_, _, err = st.SessionByHash(ctx, hash("nope"))
	wantCode(t, "an unknown session", err, civmap.ENOTFOUND, "")
	_, err = st.CreateSession(ctx, civmap.Session{UserID: 99999, Kind: civmap.SessionPassword, TokenHash: hash("z"),
		CreatedAt: now, LastSeenAt: now, ExpiresAt: now.Add(time.Hour), Idle: time.Hour})
	wantCode(t, "a session of an unknown user", err, civmap.ENOTFOUND, "")

	later := now.Add(5 * time.Minute)
	if err := st.TouchSession(ctx, a.ID, later); err != nil {
		t.Fatal(err)
	}
	if got, _, _ := st.SessionByHash(ctx, hash("a")); !got.LastSeenAt.Equal(later) {
		t.Errorf("after TouchSession: last seen %v, want %v", got.LastSeenAt, later)
	}
	wantCode(t, "touching an unknown session", st.TouchSession(ctx, 99999, later), civmap.ENOTFOUND, "")

	b, _ := st.CreateSession(ctx, civmap.Session{UserID: u.ID, Kind: civmap.SessionDevice, TokenHash: hash("b"),
		CreatedAt: now.Add(time.Second), LastSeenAt: now, ExpiresAt: now.Add(time.Hour), Idle: time.Hour})
	old, _ := st.CreateSession(ctx, civmap.Session{UserID: u.ID, Kind: civmap.SessionDevice, TokenHash: hash("old"),
		CreatedAt: now.Add(-72 * time.Hour), LastSeenAt: now.Add(-72 * time.Hour), ExpiresAt: now.Add(-48 * time.Hour), Idle: time.Hour})
	list, err := st.ListSessions(ctx, u.ID)
	if err != nil || len(list) != 2 || list[0].ID != b.ID || list[1].ID != a.ID {
		t.Errorf("ListSessions = %v, %v; want sessions %d, %d (newest first; %d expired two days ago)", list, err, b.ID, a.ID, old.ID)
	}

	if err := st.RevokeSession(as(u), a.ID); err != nil {
		t.Fatal(err)
	}
	got, _, _ = st.SessionByHash(ctx, hash("a"))
	if got.RevokedAt.IsZero() || got.Active(time.Now()) {
		t.Errorf("revoked session: %+v", got)
	}
	if err := st.RevokeSession(as(u), a.ID); err != nil {
		t.Errorf("revoking twice: %v", err)
	}
	if again, _, _ := st.SessionByHash(ctx, hash("a")); !again.RevokedAt.Equal(got.RevokedAt) {
		t.Errorf("revoking twice moved RevokedAt from %v to %v", got.RevokedAt, again.RevokedAt)
	}
	wantCode(t, "revoking an unknown session", st.RevokeSession(ctx, 99999), civmap.ENOTFOUND, "")
	if list, _ := st.ListSessions(ctx, u.ID); len(list) != 2 {
		t.Errorf("a just-revoked session should still be listed: %v", list)
	}
}

func testTokens(t *testing.T, st store.Store) {
	ctx := system
	admin := mustUser(t, st, newUser("admin", civmap.RoleAdmin, ""))
	bot := mustUser(t, st, newUser("exporter", civmap.RoleViewer, ""))
	now := time.Now().UTC().Truncate(time.Microsecond)
	in := civmap.APIToken{UserID: bot.ID, Name: "每晚导出", Hash: hash("t1"), Prefix: "cvm_abcdef", CreatedBy: admin.ID, CreatedAt: now}
	tok, err := st.CreateToken(as(admin), in)
	if err != nil || tok.ID == 0 {
		t.Fatalf("CreateToken = %+v, %v", tok, err)
	}
	in.ID = tok.ID
	if tok != in {
		t.Errorf("CreateToken returned %+v, want %+v", tok, in)
	}
	got, u, err := st.TokenByHash(ctx, hash("t1"))
	if err != nil || got != in || u.ID != bot.ID {
		t.Errorf("TokenByHash = %+v, %+v, %v", got, u, err)
	}
	_, _, err = st.TokenByHash(ctx, hash("t2"))
	wantCode(t, "an unknown token", err, civmap.ENOTFOUND, "")
	_, err = st.CreateToken(ctx, civmap.APIToken{UserID: 99999, Name: "x", Hash: hash("t3"), CreatedAt: now})
	wantCode(t, "a token of an unknown user", err, civmap.ENOTFOUND, "")

	if err := st.TouchToken(ctx, tok.ID, now.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	if got, _ := st.Token(ctx, tok.ID); !got.LastUsedAt.Equal(now.Add(time.Minute)) {
		t.Errorf("after TouchToken: %+v", got)
	}
	second, err := st.CreateToken(as(admin), civmap.APIToken{UserID: admin.ID, Name: "脚本", Hash: hash("t4"),
		Prefix: "cvm_zzzzzz", CreatedBy: admin.ID, CreatedAt: now.Add(time.Second)})
	if err != nil {
		t.Fatal(err)
	}
	if all, _ := st.ListTokens(ctx, 0); len(all) != 2 || all[0].ID != second.ID {
		t.Errorf("ListTokens(0) = %v; want both, newest first", all)
	}
	if mine, _ := st.ListTokens(ctx, bot.ID); len(mine) != 1 || mine[0].ID != tok.ID {
		t.Errorf("ListTokens(bot) = %v", mine)
	}
	if err := st.RevokeToken(as(admin), tok.ID); err != nil {
		t.Fatal(err)
	}
	if got, _, _ := st.TokenByHash(ctx, hash("t1")); got.RevokedAt.IsZero() {
		t.Error("revoked token has no RevokedAt")
	}
	if err := st.RevokeToken(as(admin), tok.ID); err != nil {
		t.Errorf("revoking twice: %v", err)
	}
	wantCode(t, "revoking an unknown token", st.RevokeToken(ctx, 99999), civmap.ENOTFOUND, "")
	_, err = st.Token(ctx, 99999)
	wantCode(t, "an unknown token id", err, civmap.ENOTFOUND, "")
}

func testThrottle(t *testing.T, st store.Store) {
	ctx := context.Background()
	keys := []string{"login:zhangsan", "addr:192.0.2.1"}
	got, err := st.LoginFailures(ctx, keys)
	if err != nil || len(got) != 2 || got[0].Count != 0 || got[1].Key != keys[1] {
		t.Fatalf("LoginFailures of new keys = %v, %v", got, err)
	}
	t0 := time.Date(2026, 12, 1, 8, 0, 0, 0, time.UTC)
	for i := 1; i <= 3; i++ {
		got, err = st.AddLoginFailure(ctx, keys, t0.Add(time.Duration(i)*time.Minute), time.Hour)
		if err != nil || got[0].Count != i || got[1].Count != i || !got[0].Last.Equal(t0.Add(time.Duration(i)*time.Minute)) {
			t.Fatalf("failure %d: %v, %v", i, got, err)
		}
	}
	// Another address: its own count; the login's goes on.
	got, _ = st.AddLoginFailure(ctx, []string{"login:zhangsan", "addr:192.0.2.2"}, t0.Add(4*time.Minute), time.Hour)
	if got[0].Count != 4 || got[1].Count != 1 {
		t.Errorf("failure from a second address: %v", got)
	}
	if got, _ := st.LoginFailures(ctx, keys); got[0].Count != 4 || got[1].Count != 3 {
		t.Errorf("LoginFailures = %v; want 4 and 3", got)
	}
	// After forget without failures, the count restarts.
	got, _ = st.AddLoginFailure(ctx, keys[1:], t0.Add(3*time.Hour), time.Hour)
	if got[0].Count != 1 {
		t.Errorf("failure after the forget period: %v; want count 1", got)
	}
	if err := st.ClearLoginFailures(ctx, keys[:1]); err != nil {
		t.Fatal(err)
	}
	if got, _ := st.LoginFailures(ctx, keys); got[0].Count != 0 || got[1].Count != 1 {
		t.Errorf("after clearing the login: %v", got)
	}
	// Concurrent failures all count.
	var wg sync.WaitGroup
	for i := 0; i < 20; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := st.AddLoginFailure(ctx, []string{"login:race"}, t0, time.Hour); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if got, _ := st.LoginFailures(ctx, []string{"login:race"}); got[0].Count != 20 {
		t.Errorf("20 concurrent failures counted %d", got[0].Count)
	}
}

func testAuditList(t *testing.T, st store.Store) {
	ctx := context.Background()
	t0 := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	for i := 0; i < 10; i++ {
		r := civmap.AuditRecord{At: t0.Add(time.Duration(i) * time.Hour), ActorID: int64(i % 2), ActorLogin: "a",
			Addr: "192.0.2.9", Action: civmap.AuditRead, Kind: []string{civmap.KindNeed, civmap.KindUser}[i%2],
			RecordID: fmt.Sprint(i), Note: "第" + fmt.Sprint(i) + "条", After: json.RawMessage(`{"ids":[1,2]}`)}
		if err := st.AppendAudit(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	all, err := st.ListAudit(ctx, store.AuditFilter{})
	if err != nil || len(all) != 10 {
		t.Fatalf("ListAudit = %d records, %v", len(all), err)
	}
	for i := 1; i < len(all); i++ {
		if all[i].ID >= all[i-1].ID {
			t.Errorf("ListAudit is not newest first: id %d after %d", all[i].ID, all[i-1].ID)
		}
	}
	last := all[0]
	if last.RecordID != "9" || last.Note != "第9条" || !last.At.Equal(t0.Add(9*time.Hour)) || string(last.After) != `{"ids":[1,2]}` ||
		last.Before != nil || last.Addr != "192.0.2.9" {
		t.Errorf("stored record: %+v", last)
	}
	count := func(f store.AuditFilter) int {
		rs, err := st.ListAudit(ctx, f)
		if err != nil {
			t.Fatal(err)
		}
		return len(rs)
	}
	for _, c := range []struct {
		f    store.AuditFilter
		want int
	}{
		{store.AuditFilter{Kind: civmap.KindUser}, 5},
		{store.AuditFilter{ActorID: 1}, 5},
		{store.AuditFilter{RecordID: "3"}, 1},
		{store.AuditFilter{Action: civmap.AuditCreate}, 0},
		{store.AuditFilter{Since: t0.Add(5 * time.Hour)}, 5},
		{store.AuditFilter{Until: t0.Add(5 * time.Hour)}, 5},
		{store.AuditFilter{Since: t0.Add(2 * time.Hour), Until: t0.Add(4 * time.Hour)}, 2},
		{store.AuditFilter{BeforeID: all[2].ID}, 7},
		{store.AuditFilter{Limit: 4}, 4},
	} {
		if got := count(c.f); got != c.want {
			t.Errorf("ListAudit(%+v) = %d records, want %d", c.f, got, c.want)
		}
	}
}

// testAuditWrites checks that each write appends exactly one audit record per record it
// changes, in the same transaction, with the actor and the before and after snapshots — and
// that secrets and personal text never reach the log.
func testAuditWrites(t *testing.T, st store.Store) {
	f, err := NewFixture()
	if err != nil {
		t.Fatal(err)
	}
	admin := mustUser(t, st, newUser("admin", civmap.RoleAdmin, ""))
	ctx := as(admin)
	seen := 0
	next := func(what string) []civmap.AuditRecord {
		t.Helper()
		all, err := st.ListAudit(context.Background(), store.AuditFilter{})
		if err != nil {
			t.Fatal(err)
		}
		n := len(all) - seen
		seen = len(all)
		out := all[:n]
		slices.Reverse(out)
		return out
	}
	one := func(what, action, kind, id string) civmap.AuditRecord {
		t.Helper()
		rs := next(what)
		if len(rs) != 1 {
			t.Fatalf("%s: %d audit records, want 1: %+v", what, len(rs), rs)
		}
		r := rs[0]
		if r.Action != action || r.Kind != kind || (id != "" && r.RecordID != id) {
			t.Errorf("%s: audit %s %s %s, want %s %s %s", what, r.Action, r.Kind, r.RecordID, action, kind, id)
		}
		if r.ActorID != admin.ID || r.ActorLogin != "admin" || r.ActorRole != civmap.RoleAdmin || r.Addr != "192.0.2.7" {
			t.Errorf("%s: actor %d %s %s %s", what, r.ActorID, r.ActorLogin, r.ActorRole, r.Addr)
		}
		if r.At.IsZero() || time.Since(r.At) > time.Minute {
			t.Errorf("%s: audit time %v", what, r.At)
		}
		return r
	}
	next("user creation")

	// Put: one record per inserted or updated record, none for unchanged ones.
	b := store.Batch{Sites: f.Sites[:3], Venues: nil, Areas: f.Areas[:1]}
	if _, err := st.Put(ctx, b); err != nil {
		t.Fatal(err)
	}
	rs := next("put")
	if len(rs) != 4 {
		t.Fatalf("put of 3 sites and an area: %d audit records, want 4", len(rs))
	}
	for _, r := range rs {
		if r.Action != civmap.AuditCreate || r.Before != nil || r.After == nil {
			t.Errorf("put insert record: %+v", r)
		}
	}
	if _, err := st.Put(ctx, b); err != nil {
		t.Fatal(err)
	}
	if rs := next("unchanged put"); len(rs) != 0 {
		t.Errorf("an unchanged put wrote %d audit records", len(rs))
	}
	s0 := f.Sites[1]
	s0.Name += "（更正）"
	if _, err := st.Put(ctx, store.Batch{Sites: []civmap.Site{f.Sites[0], s0}}); err != nil {
		t.Fatal(err)
	}
	r := one("site update", civmap.AuditUpdate, civmap.KindSite, s0.Code)
	if !strings.Contains(string(r.Before), f.Sites[1].Name) || !strings.Contains(string(r.After), s0.Name) {
		t.Errorf("site update before/after: %s → %s", r.Before, r.After)
	}
	// A failed write leaves no record.
	bad := f.Sites[2]
	bad.Name = ""
	if _, err := st.Put(ctx, store.Batch{Sites: []civmap.Site{bad}}); err == nil {
		t.Fatal("a bad put succeeded")
	}
	if rs := next("failed put"); len(rs) != 0 {
		t.Errorf("a rejected put wrote %d audit records", len(rs))
	}

	// Activities: create, update, hide, unhide.
	a := f.Activities[0]
	a.SiteCode, a.Place = f.Sites[1].Code, civmap.Place{Code: f.Sites[1].Code}
	a, err = st.CreateActivity(ctx, a)
	if err != nil {
		t.Fatal(err)
	}
	aid := fmt.Sprint(a.ID)
	one("activity creation", civmap.AuditCreate, civmap.KindActivity, aid)
	a.Title = "改过的标题"
	if _, err := st.UpdateActivity(ctx, a); err != nil {
		t.Fatal(err)
	}
	r = one("activity update", civmap.AuditUpdate, civmap.KindActivity, aid)
	if !strings.Contains(string(r.Before), f.Activities[0].Title) || !strings.Contains(string(r.After), "改过的标题") {
		t.Errorf("activity update before/after: %s → %s", r.Before, r.After)
	}
	if err := st.Moderate(ctx, civmap.KindActivity, a.ID, civmap.Moderation{Hidden: true, Reason: "广告"}); err != nil {
		t.Fatal(err)
	}
	if r := one("hide", civmap.AuditHide, civmap.KindActivity, aid); r.Note != "广告" {
		t.Errorf("hide note %q, want the reason", r.Note)
	}
	if err := st.Moderate(ctx, civmap.KindActivity, a.ID, civmap.Moderation{Hidden: true, Reason: "广告"}); err != nil {
		t.Fatal(err)
	}
	if rs := next("hiding again"); len(rs) != 0 {
		t.Errorf("hiding a hidden activity again wrote %d records", len(rs))
	}
	if err := st.Moderate(ctx, civmap.KindActivity, a.ID, civmap.Moderation{}); err != nil {
		t.Fatal(err)
	}
	one("unhide", civmap.AuditUnhide, civmap.KindActivity, aid)

	// Needs: the description and own point never reach the log.
	n := f.Needs[0]
	n.Description = "我家住在桃林镇某村 13800138000"
	n.DedupeKey = "k1"
	n, _, err = st.CreateNeed(civmap.WithActor(context.Background(), civmap.Actor{Addr: "198.51.100.4"}), n)
	if err != nil {
		t.Fatal(err)
	}
	rs = next("need")
	if len(rs) != 1 || rs[0].ActorID != 0 || rs[0].ActorLogin != "anonymous" || rs[0].Addr != "198.51.100.4" || rs[0].Kind != civmap.KindNeed {
		t.Fatalf("anonymous need: audit %+v", rs)
	}
	if s := string(rs[0].After); strings.Contains(s, "13800138000") || strings.Contains(s, "桃林") || !strings.Contains(s, `"chars"`) {
		t.Errorf("need audit keeps personal text: %s", s)
	}
	// A duplicate is no write.
	n2 := f.Needs[0]
	n2.Description, n2.DedupeKey = "我家住在桃林镇某村 13800138000", "k1"
	if _, ch, err := st.CreateNeed(ctx, n2); err != nil || ch != store.Unchanged {
		t.Fatalf("duplicate need: %v, %v", ch, err)
	}
	if rs := next("duplicate need"); len(rs) != 0 {
		t.Errorf("a duplicate need wrote %d records", len(rs))
	}
	if err := st.Moderate(ctx, civmap.KindNeed, n.ID, civmap.Moderation{Hidden: true, Reason: "重复"}); err != nil {
		t.Fatal(err)
	}
	one("need hidden", civmap.AuditHide, civmap.KindNeed, fmt.Sprint(n.ID))

	// Users, codes, sessions, tokens: no secret or hash in the log.
	vol, err := st.CreateUser(ctx, newUser("vol", civmap.RoleVolunteer, f.Sites[1].Code))
	if err != nil {
		t.Fatal(err)
	}
	r = one("user creation", civmap.AuditCreate, civmap.KindUser, fmt.Sprint(vol.ID))
	vol.Name = "王五"
	if _, err := st.UpdateUser(ctx, vol); err != nil {
		t.Fatal(err)
	}
	one("user update", civmap.AuditUpdate, civmap.KindUser, fmt.Sprint(vol.ID))
	if _, err := st.IssueCode(ctx, vol.ID, hash("secret-code")); err != nil {
		t.Fatal(err)
	}
	one("code", civmap.AuditIssue, civmap.KindCode, fmt.Sprint(vol.ID))
	now := time.Now().UTC().Truncate(time.Microsecond)
	sess, err := st.CreateSession(ctx, civmap.Session{UserID: admin.ID, Kind: civmap.SessionPassword, TokenHash: hash("cookie"),
		CreatedAt: now, LastSeenAt: now, ExpiresAt: now.Add(time.Hour), Idle: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	one("sign-in", civmap.AuditSignIn, civmap.KindSession, fmt.Sprint(sess.ID))
	if err := st.TouchSession(ctx, sess.ID, now.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	if rs := next("touch"); len(rs) != 0 {
		t.Errorf("touching a session wrote %d records", len(rs))
	}
	if err := st.RevokeSession(ctx, sess.ID); err != nil {
		t.Fatal(err)
	}
	one("sign-out", civmap.AuditSignOut, civmap.KindSession, fmt.Sprint(sess.ID))
	tok, err := st.CreateToken(ctx, civmap.APIToken{UserID: admin.ID, Name: "导出", Hash: hash("tok"), Prefix: "cvm_abcdef", CreatedBy: admin.ID, CreatedAt: now})
	if err != nil {
		t.Fatal(err)
	}
	one("token", civmap.AuditCreate, civmap.KindToken, fmt.Sprint(tok.ID))
	if err := st.RevokeToken(ctx, tok.ID); err != nil {
		t.Fatal(err)
	}
	one("token revoked", civmap.AuditRevoke, civmap.KindToken, fmt.Sprint(tok.ID))

	all, _ := st.ListAudit(context.Background(), store.AuditFilter{})
	for _, r := range all {
		js, _ := json.Marshal(r)
		for _, secret := range []string{hash("secret-code"), hash("cookie"), hash("tok"), "$argon2id$", "13800138000"} {
			if strings.Contains(string(js), secret) {
				t.Errorf("audit record %d holds a secret or personal text %q: %s", r.ID, secret, js)
			}
		}
	}
}
