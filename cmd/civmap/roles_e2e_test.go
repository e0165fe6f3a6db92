package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"

	"civmap"
	"civmap/store"
	"civmap/store/postgis/pgtest"
)

// The places of the role test: two posts of one town, a post of another town.
const (
	townA  = "430682001"    // 长安街道
	postA1 = "430682001001" // 长城社区
	postA2 = "430682001002" // 长安社区, A1's neighbour
	townB  = "430682003"    // 桃矿街道
)

// recorder keeps every response of a test (status line, headers, body) and the server's log, so
// the test can look for secrets in them afterwards.
type recorder struct {
	mu  sync.Mutex
	out bytes.Buffer
}

func (r *recorder) Write(p []byte) (int, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.out.Write(p)
}

func (r *recorder) String() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.out.String()
}

// startServeLogged is startServe with the server's log (stderr) written to log.
func startServeLogged(t *testing.T, path string, log io.Writer, args ...string) *Serve {
	t.Helper()
	var out bytes.Buffer
	m := NewServe(&out, log)
	m.logger = slog.New(slog.NewTextHandler(log, &slog.HandlerOptions{Level: slog.LevelDebug}))
	if err := m.ParseFlags(append([]string{"--addr", "127.0.0.1:0", "--data", path}, args...)); err != nil {
		t.Fatal(err)
	}
	if err := m.Run(context.Background()); err != nil {
		m.Close()
		t.Fatal(err)
	}
	log.Write(out.Bytes())
	return m
}

// roleCase is one request of the role table and, per actor, the status it must get.
type roleCase struct {
	name   string
	method string
	path   func() string
	body   func() any
	want   map[string]int // actor → status; actors not named must get `other`
	other  int
	after  func(actor string, status int) // undo a successful write so the next actor starts alike
}

// TestRolesEveryEndpoint walks every role × every endpoint that reads personal data or writes,
// in scope, out of scope and anonymous, on both stores: each gets the status the rules say,
// and a refused request changes nothing (neither the store's data version nor its audit log).
// Every response and log line of the whole run is then searched for the passwords, tokens and
// session ids handed out during it.
func TestRolesEveryEndpoint(t *testing.T) {
	t.Run("embedded", func(t *testing.T) { testRoles(t) })
	t.Run("postgis", func(t *testing.T) { testRoles(t, "--database-url", pgtest.NewDatabase(t)) })
}

func testRoles(t *testing.T, args ...string) {
	rec := &recorder{}
	// No escalations while the table runs: a refused request must leave the store as it was.
	m := startServeLogged(t, tempData(t), rec, append(args, "--demo", "--escalate-after", "100000h")...)
	defer m.Close()
	base := m.URL()
	ctx := context.Background()

	// The actors: a token each.
	actors := map[string][]string{"anonymous": nil}
	users := map[string]civmap.User{}
	for _, a := range []struct {
		name  string
		role  civmap.Role
		scope string
	}{
		{"admin", civmap.RoleAdmin, ""}, {"station", civmap.RoleStation, townA}, {"post", civmap.RolePost, postA1},
		{"leader", civmap.RoleTeamLeader, postA1}, {"volunteer", civmap.RoleVolunteer, postA1}, {"viewer", civmap.RoleViewer, ""},
	} {
		users[a.name], actors[a.name] = userToken(t, m, "t-"+a.name, a.role, a.scope)
	}
	volB, _ := userToken(t, m, "t-volunteer-b", civmap.RoleVolunteer, townB+"001")
	var secrets []string
	for _, h := range actors {
		if h != nil {
			secrets = append(secrets, strings.TrimPrefix(h[1], "Bearer "))
		}
	}

	// Records to act on: an activity and a need in A1, A2 and B.
	_, asAdmin := actors["admin"], actors["admin"]
	mk := func(code string) (act, need int64) {
		resp, b := send(t, "POST", base+"/api/v1/activities", map[string]any{"title": "活动 " + code, "content_area": "丰富活跃文化生活",
			"platform": "文化惠民", "start": "2026-12-05T09:00:00+08:00", "end": "2026-12-05T11:00:00+08:00", "place": map[string]any{"code": code}}, asAdmin...)
		if resp.StatusCode != 201 {
			t.Fatalf("activity at %s: %d %s", code, resp.StatusCode, b)
		}
		var f struct{ ID int64 }
		json.Unmarshal(b, &f)
		act = f.ID
		resp, b = send(t, "POST", base+"/api/v1/needs", map[string]any{"category": "卫生健康", "description": "私密描述 " + code,
			"place": map[string]any{"code": code}}, asAdmin...)
		if resp.StatusCode != 201 {
			t.Fatalf("need at %s: %d %s", code, resp.StatusCode, b)
		}
		json.Unmarshal(b, &f)
		return act, f.ID
	}
	actA1, needA1 := mk(postA1)
	actA2, needA2 := mk(postA2)
	actB, needB := mk(townB + "001")
	_ = needB
	vol := users["volunteer"]

	// Statuses by who may act: staff in scope, or only admins, and so on.
	staffIn := func(inScope ...string) map[string]int {
		w := map[string]int{"anonymous": 401}
		for _, a := range []string{"admin", "station", "post"} {
			w[a] = 403
		}
		for _, a := range inScope {
			w[a] = 200
		}
		return w
	}
	with := func(w map[string]int, status int) map[string]int {
		for k, v := range w {
			if v == 200 {
				w[k] = status
			}
		}
		return w
	}
	bases := 0
	path := func(format string, args ...any) func() string {
		return func() string { return fmt.Sprintf(format, args...) }
	}
	body := func(v any) func() any { return func() any { return v } }
	activity := func(code string) func() any {
		return body(map[string]any{"title": "新活动", "content_area": "丰富活跃文化生活", "platform": "文化惠民",
			"start": "2026-12-06T09:00:00+08:00", "end": "2026-12-06T10:00:00+08:00", "place": map[string]any{"code": code}})
	}
	unhide := func(kind string, id int64) func(string, int) {
		return func(_ string, status int) {
			if status == 200 {
				send(t, "PUT", fmt.Sprintf("%s/api/v1/%s/%d/moderation", base, kind, id), map[string]any{"hidden": false}, asAdmin...)
			}
		}
	}
	cases := []roleCase{
		{name: "create activity at A1", method: "POST", path: path("/api/v1/activities"), body: activity(postA1),
			want: with(staffIn("admin", "station", "post"), 201), other: 403},
		{name: "create activity at A2 (post's neighbour)", method: "POST", path: path("/api/v1/activities"), body: activity(postA2),
			want: with(staffIn("admin", "station"), 201), other: 403},
		{name: "create activity in town B", method: "POST", path: path("/api/v1/activities"), body: activity(townB + "001"),
			want: with(staffIn("admin"), 201), other: 403},
		{name: "create activity at a venue of A1", method: "POST", path: path("/api/v1/activities"), body: activity(postA1 + "V01"),
			want: with(staffIn("admin", "station", "post"), 201), other: 403},
		{name: "change activity at A1", method: "PATCH", path: path("/api/v1/activities/%d", actA1), body: body(map[string]any{"title": "改名"}),
			want: staffIn("admin", "station", "post"), other: 403},
		{name: "change activity at A2", method: "PATCH", path: path("/api/v1/activities/%d", actA2), body: body(map[string]any{"title": "改名"}),
			want: staffIn("admin", "station"), other: 403},
		{name: "move activity from A1 to B", method: "PATCH", path: path("/api/v1/activities/%d", actA1), body: body(map[string]any{"place": map[string]any{"code": townB + "001"}}),
			want: staffIn("admin"), other: 403,
			after: func(_ string, status int) {
				if status == 200 {
					send(t, "PATCH", fmt.Sprintf("%s/api/v1/activities/%d", base, actA1), map[string]any{"place": map[string]any{"code": postA1}}, asAdmin...)
				}
			}},
		{name: "cancel activity in B", method: "PATCH", path: path("/api/v1/activities/%d", actB), body: body(map[string]any{"status": "cancelled"}),
			want: staffIn("admin"), other: 403},
		{name: "hide activity at A1", method: "PUT", path: path("/api/v1/activities/%d/moderation", actA1), body: body(map[string]any{"hidden": true, "reason": "测试"}),
			want: staffIn("admin", "station", "post"), other: 403, after: unhide("activities", actA1)},
		{name: "hide need at A1", method: "PUT", path: path("/api/v1/needs/%d/moderation", needA1), body: body(map[string]any{"hidden": true, "reason": "测试"}),
			want: staffIn("admin", "station", "post"), other: 403, after: unhide("needs", needA1)},
		{name: "hide need at A2", method: "PUT", path: path("/api/v1/needs/%d/moderation", needA2), body: body(map[string]any{"hidden": true, "reason": "测试"}),
			want: staffIn("admin", "station"), other: 403, after: unhide("needs", needA2)},
		{name: "change post A1", method: "PUT", path: path("/api/v1/sites/%s", postA1), body: body(map[string]any{"address": "新地址"}),
			want: staffIn("admin", "station", "post"), other: 403},
		{name: "change post A2", method: "PUT", path: path("/api/v1/sites/%s", postA2), body: body(map[string]any{"address": "新地址"}),
			want: staffIn("admin", "station"), other: 403},
		{name: "change town B's station", method: "PUT", path: path("/api/v1/sites/%s", townB), body: body(map[string]any{"address": "新地址"}),
			want: staffIn("admin"), other: 403},
		{name: "add a base under A1", method: "PUT", path: func() string { bases++; return fmt.Sprintf("/api/v1/sites/JD-%d", bases) },
			body: body(map[string]any{"name": "示例基地", "level": "base", "parent_code": postA1, "lon": 113.45, "lat": 29.48}),
			want: with(staffIn("admin", "station", "post"), 201), other: 403},
		{name: "change a venue of A1", method: "PUT", path: path("/api/v1/venues/%sV01", postA1), body: body(map[string]any{"address": "新地址"}),
			want: staffIn("admin", "station", "post"), other: 403},
		{name: "change a venue of A2", method: "PUT", path: path("/api/v1/venues/%sV01", postA2), body: body(map[string]any{"address": "新地址"}),
			want: staffIn("admin", "station"), other: 403},
		{name: "list users", method: "GET", path: path("/api/v1/users"),
			want: map[string]int{"anonymous": 401, "admin": 200, "station": 200, "post": 200, "leader": 200}, other: 403},
		{name: "read a volunteer of A1", method: "GET", path: path("/api/v1/users/%d", vol.ID),
			want: map[string]int{"anonymous": 401, "admin": 200, "station": 200, "post": 200, "leader": 200, "volunteer": 200}, other: 404},
		{name: "read a volunteer of B", method: "GET", path: path("/api/v1/users/%d", volB.ID),
			want: map[string]int{"anonymous": 401, "admin": 200}, other: 404},
		{name: "add a volunteer at A1", method: "POST", path: path("/api/v1/users"), body: func() any {
			return map[string]any{"login": "new-vol", "name": "新志愿者", "role": "volunteer", "scope": postA1}
		}, want: map[string]int{"anonymous": 401, "admin": 201, "station": 201, "post": 201, "leader": 201}, other: 403,
			after: func(actor string, status int) {
				if status == 201 { // free the login for the next actor
					u, err := m.store.UserByLogin(ctx, "new-vol")
					if err != nil {
						t.Fatal(err)
					}
					u.Login = "new-vol-" + actor
					if _, err := m.store.UpdateUser(civmap.WithActor(ctx, civmap.Actor{System: "test"}), u); err != nil {
						t.Fatal(err)
					}
				}
			}},
		{name: "add a volunteer in town B", method: "POST", path: path("/api/v1/users"), body: body(map[string]any{"login": "new-vol-b", "name": "新志愿者", "role": "volunteer", "scope": townB}),
			want: map[string]int{"anonymous": 401, "admin": 201}, other: 403},
		{name: "add an admin", method: "POST", path: path("/api/v1/users"), body: body(map[string]any{"login": "new-admin", "name": "新管理员", "role": "admin"}),
			want: map[string]int{"anonymous": 401, "admin": 201}, other: 403},
		{name: "rename a volunteer of A1", method: "PATCH", path: path("/api/v1/users/%d", vol.ID), body: body(map[string]any{"name": "改名志愿者"}),
			want: map[string]int{"anonymous": 401, "admin": 200, "station": 200, "post": 200, "leader": 200, "volunteer": 200}, other: 404},
		{name: "promote a volunteer of A1", method: "PATCH", path: path("/api/v1/users/%d", vol.ID), body: body(map[string]any{"role": "post"}),
			want: map[string]int{"anonymous": 401, "admin": 200, "volunteer": 403, "station": 403, "post": 403, "leader": 403}, other: 404,
			after: func(_ string, status int) {
				if status == 200 {
					send(t, "PATCH", fmt.Sprintf("%s/api/v1/users/%d", base, vol.ID), map[string]any{"role": "volunteer"}, asAdmin...)
				}
			}},
		{name: "disable a volunteer of B", method: "PATCH", path: path("/api/v1/users/%d", volB.ID), body: body(map[string]any{"disabled": true}),
			want: map[string]int{"anonymous": 401, "admin": 200}, other: 404,
			after: func(_ string, status int) {
				if status == 200 {
					send(t, "PATCH", fmt.Sprintf("%s/api/v1/users/%d", base, volB.ID), map[string]any{"disabled": false}, asAdmin...)
				}
			}},
		{name: "issue the A1 volunteer's code", method: "POST", path: path("/api/v1/users/%d/code", vol.ID),
			want: map[string]int{"anonymous": 401, "admin": 200, "station": 200, "post": 200, "leader": 200, "volunteer": 403}, other: 404},
		{name: "issue the B volunteer's code", method: "POST", path: path("/api/v1/users/%d/code", volB.ID),
			want: map[string]int{"anonymous": 401, "admin": 200}, other: 404},
		{name: "list the A1 volunteer's sessions", method: "GET", path: path("/api/v1/users/%d/sessions", vol.ID),
			want: map[string]int{"anonymous": 401, "admin": 200, "station": 200, "post": 200, "leader": 200, "volunteer": 200}, other: 404},
		{name: "create a token", method: "POST", path: path("/api/v1/tokens"), body: body(map[string]any{"login": "t-viewer", "name": "导出"}),
			want: map[string]int{"anonymous": 401, "admin": 201}, other: 403},
		{name: "list tokens", method: "GET", path: path("/api/v1/tokens"), want: map[string]int{"anonymous": 401, "admin": 200}, other: 403},
		{name: "read the audit log", method: "GET", path: path("/api/v1/audit"), want: map[string]int{"anonymous": 401, "admin": 200}, other: 403},
		{name: "who am I", method: "GET", path: path("/api/v1/me"), want: map[string]int{"anonymous": 401}, other: 200},
		{name: "fine needs clusters", method: "GET", path: path("/api/v1/clusters?layer=needs&res=10"),
			want: map[string]int{"anonymous": 401, "admin": 200}, other: 403},
		{name: "submit a need", method: "POST", path: path("/api/v1/needs"), body: func() any {
			return map[string]any{"category": "其他", "description": "需要帮助 " + fmt.Sprint(len(rec.String())), "place": map[string]any{"code": postA2}}
		}, want: map[string]int{}, other: 201},
		{name: "read a need at A1", method: "GET", path: path("/api/v1/needs/%d", needA1), want: map[string]int{}, other: 200},
		{name: "list needs", method: "GET", path: path("/api/v1/needs"), want: map[string]int{}, other: 200},
	}
	// Token revocation, last: each actor revokes a fresh token of the viewer.
	order := []string{"anonymous", "volunteer", "viewer", "leader", "post", "station", "admin"}
	fingerprint := func() string {
		v, err := m.store.Version(ctx)
		if err != nil {
			t.Fatal(err)
		}
		recs, err := m.store.ListAudit(ctx, store.AuditFilter{})
		if err != nil {
			t.Fatal(err)
		}
		users, _ := m.store.ListUsers(ctx, store.UserFilter{})
		toks, _ := m.store.ListTokens(ctx, 0)
		return fmt.Sprintf("version %d, %d audit records, %d users, %d tokens", v, len(recs), len(users), len(toks))
	}
	do := func(method, u string, b any, hdr []string) (int, []byte) {
		resp, body := send(t, method, base+u, b, hdr...)
		fmt.Fprintf(rec, "%s %s → %d %v\n%s\n", method, u, resp.StatusCode, resp.Header, body)
		return resp.StatusCode, body
	}
	for _, c := range cases {
		for _, actor := range order {
			want, ok := c.want[actor]
			if !ok {
				want = c.other
			}
			var b any
			if c.body != nil {
				b = c.body()
			}
			before := fingerprint()
			got, body := do(c.method, c.path(), b, actors[actor])
			if got != want {
				t.Errorf("%s as %s: %d %.300s; want %d", c.name, actor, got, body, want)
			}
			if got >= 400 {
				if after := fingerprint(); after != before {
					t.Errorf("%s as %s was refused (%d) but changed the store: %s → %s", c.name, actor, got, before, after)
				}
				var p struct{ Status int }
				if json.Unmarshal(body, &p); p.Status != got {
					t.Errorf("%s as %s: %d without a problem+json body: %.200s", c.name, actor, got, body)
				}
			}
			if c.after != nil {
				c.after(actor, got)
			}
		}
	}

	// Personal data: a need's description only for staff in scope.
	for actor, full := range map[string]bool{"anonymous": false, "admin": true, "station": true, "post": true, "leader": false,
		"volunteer": false, "viewer": false} {
		_, b := do("GET", fmt.Sprintf("/api/v1/needs/%d", needA1), nil, actors[actor])
		if got := bytes.Contains(b, []byte("私密描述")); got != full {
			t.Errorf("need at A1 as %s: description shown %v, want %v", actor, got, full)
		}
		_, b = do("GET", fmt.Sprintf("/api/v1/needs/%d", needA2), nil, actors[actor])
		if got, want := bytes.Contains(b, []byte("私密描述")), full && actor != "post"; got != want {
			t.Errorf("need at A2 as %s: description shown %v, want %v", actor, got, want)
		}
		_, b = do("GET", "/api/v1/needs?limit=10000", nil, actors[actor])
		if got := bytes.Contains(b, []byte("私密描述 "+townB)); got != (actor == "admin") {
			t.Errorf("needs list as %s: town B's description shown %v", actor, got)
		}
	}

	// Token revocation and session revocation.
	for _, actor := range order {
		_, tok := userToken(t, m, "t-tok-"+actor, civmap.RoleViewer, "")
		secrets = append(secrets, strings.TrimPrefix(tok[1], "Bearer "))
		toks, _ := m.store.ListTokens(ctx, 0)
		id := toks[0].ID
		before := fingerprint()
		got, body := do("DELETE", fmt.Sprintf("/api/v1/tokens/%d", id), nil, actors[actor])
		want := map[string]int{"anonymous": 401, "admin": 204}[actor]
		if want == 0 {
			want = 403
		}
		if got != want {
			t.Errorf("revoke a token as %s: %d %s; want %d", actor, got, body, want)
		}
		if got >= 400 && fingerprint() != before {
			t.Errorf("a refused token revocation as %s changed the store", actor)
		}
	}

	// Sign in through the form and create a token through the API: their secrets must appear
	// only in the responses that hand them out.
	jar := newJar(t)
	client := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	pw := "correct horse battery staple"
	setPassword(t, m, "t-station", pw)
	resp, err := client.PostForm(base+"/login", url.Values{"login": {"t-station"}, "password": {pw}, "next": {"/me"}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	cookie := jar.value(base)
	if resp.StatusCode != 303 || cookie == "" {
		t.Fatalf("sign-in: %d, cookie %q", resp.StatusCode, cookie)
	}
	secrets = append(secrets, pw, cookie)
	_, b := send(t, "POST", base+"/api/v1/tokens", map[string]any{"login": "t-viewer", "name": "api"}, asAdmin...)
	var created struct{ Token string }
	json.Unmarshal(b, &created)
	if created.Token == "" {
		t.Fatalf("token creation: %s", b)
	}
	secrets = append(secrets, created.Token)
	for _, p := range []string{"/me", "/users", "/s/" + postA1, "/api/v1/me", "/api/v1/users", "/api/v1/audit"} {
		for _, hdr := range [][]string{{"Cookie", cookieHeader(m, cookie)}, asAdmin, {"Authorization", "Bearer " + created.Token}} {
			do("GET", p, nil, hdr)
		}
	}
	do("GET", "/api/v1/audit?limit=1000", nil, asAdmin)
	if resp, _ := get(t, base+"/api/v1/me", "Cookie", cookieHeader(m, cookie)); resp.StatusCode != 200 {
		t.Errorf("the signed-in cookie does not work: %d", resp.StatusCode)
	}

	// The secrets: none in the recorded responses (which exclude the creating ones) or logs.
	all := rec.String()
	for _, s := range secrets {
		if s != "" && strings.Contains(all, s) {
			t.Errorf("a secret (%.6s…) appears in a response or log line", s)
		}
	}
	for _, u := range []string{"t-admin", "t-station"} {
		x, _ := m.store.UserByLogin(ctx, u)
		if x.PasswordHash != "" && strings.Contains(all, x.PasswordHash) {
			t.Errorf("%s's password hash appears in a response or log line", u)
		}
	}
	if !strings.Contains(all, "t-station") {
		t.Fatal("the recorder saw nothing")
	}
}
