package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"civmap"
	"civmap/api"
	"civmap/auth"
	"civmap/store"
	"civmap/store/postgis/pgtest"
)

// clock is a settable clock for the server's HTTP layer.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// startServeClock is startServe with the HTTP layer on clock c.
func startServeClock(t *testing.T, c *clock, args ...string) *Serve {
	t.Helper()
	m := NewServe(io.Discard, io.Discard)
	m.Now = c.Now
	if err := m.ParseFlags(append([]string{"--addr", "127.0.0.1:0", "--data", tempData(t)}, args...)); err != nil {
		t.Fatal(err)
	}
	if err := m.Run(context.Background()); err != nil {
		m.Close()
		t.Fatal(err)
	}
	return m
}

// from returns a client whose connections come from ip (a loopback address such as 127.0.0.7:
// all of 127/8 is loopback on Linux), with its own cookie jar and no redirects followed.
func from(t *testing.T, ip string) *http.Client {
	t.Helper()
	d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(ip)}, Timeout: 5 * time.Second}
	return &http.Client{Jar: newJar(t), Transport: &http.Transport{DialContext: d.DialContext},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

func do(t *testing.T, c *http.Client, req *http.Request) (*http.Response, []byte) {
	t.Helper()
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, b
}

func login(t *testing.T, c *http.Client, base, name, password string) (*http.Response, []byte) {
	t.Helper()
	req, _ := http.NewRequest("POST", base+"/login", strings.NewReader(url.Values{"login": {name}, "password": {password}, "next": {"/me"}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return do(t, c, req)
}

// TestLoginThrottle: wrong passwords from one address lock that address (even the right
// password then gets 429 with Retry-After) until the stated back-off has passed; wrong passwords
// for one name lock the name from any address; an unknown name is answered byte for byte as a
// wrong password is.
func TestLoginThrottle(t *testing.T) {
	clk := &clock{t: time.Now()}
	m := startServeClock(t, clk)
	defer m.Close()
	base := m.URL()
	userToken(t, m, "zhangsan", civmap.RoleStation, "430682001")
	const pw = "正确的密码 correct"
	setPassword(t, m, "zhangsan", pw)

	// 20 wrong passwords from one address, for names that do not exist and one that does.
	attacker := from(t, "127.0.0.21")
	var statuses []int
	for i := 0; i < 20; i++ {
		name := fmt.Sprintf("guess%02d", i)
		if i%4 == 0 {
			name = "zhangsan-typo"
		}
		resp, _ := login(t, attacker, base, name, "wrong password")
		statuses = append(statuses, resp.StatusCode)
	}
	want := append(repeat(401, auth.AddrBackoff.Threshold), repeat(429, 20-auth.AddrBackoff.Threshold)...)
	if fmt.Sprint(statuses) != fmt.Sprint(want) {
		t.Errorf("20 wrong passwords from one address: %v, want %v", statuses, want)
	}
	resp, b := login(t, attacker, base, "zhangsan", pw)
	retry, _ := strconv.Atoi(resp.Header.Get("Retry-After"))
	if resp.StatusCode != 429 || retry < 1 || retry > int(auth.AddrBackoff.Base.Seconds())+1 || !strings.Contains(string(b), "登录失败次数过多") {
		t.Fatalf("the right password from the locked address: %d, Retry-After %q; want 429 within the first back-off step", resp.StatusCode, resp.Header.Get("Retry-After"))
	}
	if len(attacker.Jar.Cookies(mustURL(t, base))) != 0 {
		t.Error("a locked sign-in set a cookie")
	}
	// Another address is not locked.
	if resp, _ := login(t, from(t, "127.0.0.22"), base, "zhangsan", pw); resp.StatusCode != 303 {
		t.Errorf("the right password from another address: %d, want 303", resp.StatusCode)
	}
	// Once the stated wait has passed, the address may try again.
	clk.Add(time.Duration(retry) * time.Second)
	if resp, _ := login(t, attacker, base, "zhangsan", pw); resp.StatusCode != 303 {
		t.Errorf("the right password after Retry-After: %d, want 303", resp.StatusCode)
	}

	// Five wrong passwords for one name, from five addresses, lock the name everywhere.
	for i := 0; i < auth.LoginBackoff.Threshold; i++ {
		if resp, _ := login(t, from(t, fmt.Sprintf("127.0.0.%d", 30+i)), base, "zhangsan", "nope nope"); resp.StatusCode != 401 {
			t.Fatalf("wrong password %d: %d", i, resp.StatusCode)
		}
	}
	resp, _ = login(t, from(t, "127.0.0.40"), base, "zhangsan", pw)
	if resp.StatusCode != 429 || resp.Header.Get("Retry-After") == "" {
		t.Errorf("the right password for a locked name: %d, want 429 with Retry-After", resp.StatusCode)
	}
	clk.Add(auth.LoginBackoff.Base + time.Second)
	if resp, _ := login(t, from(t, "127.0.0.40"), base, "zhangsan", pw); resp.StatusCode != 303 {
		t.Errorf("after the name's back-off: %d, want 303", resp.StatusCode)
	}

	// Unknown name vs wrong password: the same bytes.
	r1, b1 := login(t, from(t, "127.0.0.50"), base, "nobody-here", "some password")
	r2, b2 := login(t, from(t, "127.0.0.51"), base, "zhangsan", "some password")
	if r1.StatusCode != 401 || r2.StatusCode != 401 || !bytes.Equal(b1, b2) {
		t.Errorf("unknown name: %d, wrong password: %d; bodies equal: %v", r1.StatusCode, r2.StatusCode, bytes.Equal(b1, b2))
	}
	for _, h := range []string{"Content-Type", "Set-Cookie", "Cache-Control", "Retry-After", "Content-Length"} {
		if r1.Header.Get(h) != r2.Header.Get(h) {
			t.Errorf("header %s differs: %q vs %q", h, r1.Header.Get(h), r2.Header.Get(h))
		}
	}
}

func repeat(v, n int) []int {
	out := make([]int, n)
	for i := range out {
		out[i] = v
	}
	return out
}

func mustURL(t *testing.T, s string) *url.URL {
	u, err := url.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func postNeed(t *testing.T, c *http.Client, base string, body map[string]any) (*http.Response, []byte) {
	t.Helper()
	b, _ := json.Marshal(body)
	req, _ := http.NewRequest("POST", base+"/api/v1/needs", bytes.NewReader(b))
	req.Header.Set("Content-Type", "application/json")
	return do(t, c, req)
}

// TestNeedFlood: 100 anonymous need POSTs from one address within a minute store at most the
// limit, the rest get 429 problem+json with Retry-After; another address is unaffected; the
// same need sent twice is stored once and both get the first one's answer.
func TestNeedFlood(t *testing.T) {
	for _, c := range []struct{ name string }{{"embedded"}, {"postgis"}} {
		t.Run(c.name, func(t *testing.T) {
			var args []string
			if c.name == "postgis" {
				args = []string{"--database-url", pgtest.NewDatabase(t)}
			}
			m := startServe(t, tempData(t), args...)
			defer m.Close()
			base := m.URL()
			count := func() int {
				ns, err := m.store.ListNeeds(context.Background(), store.NeedFilter{IncludeHidden: true})
				if err != nil {
					t.Fatal(err)
				}
				return len(ns)
			}
			flood := from(t, "127.0.0.61")
			start := time.Now()
			stored := 0
			for i := 0; i < 100; i++ {
				resp, b := postNeed(t, flood, base, map[string]any{"category": "其他", "description": fmt.Sprintf("第 %d 条", i),
					"place": map[string]any{"code": "430682001001"}})
				switch resp.StatusCode {
				case 201:
					stored++
				case 429:
					var p api.Problem
					if err := json.Unmarshal(b, &p); err != nil || p.Status != 429 || resp.Header.Get("Content-Type") != "application/problem+json" {
						t.Fatalf("429 without problem+json: %s", b)
					}
					if s, _ := strconv.Atoi(resp.Header.Get("Retry-After")); s < 1 {
						t.Fatalf("429 without Retry-After: %q", resp.Header.Get("Retry-After"))
					}
				default:
					t.Fatalf("need %d: %d %s", i, resp.StatusCode, b)
				}
			}
			elapsed := time.Since(start)
			if elapsed > time.Minute {
				t.Fatalf("the flood took %v, more than a minute", elapsed)
			}
			lim := api.DefaultNeedLimitAddr
			max := lim.N + int(elapsed/(lim.Per/time.Duration(lim.N)))
			if stored > max || stored < lim.N || count() != stored {
				t.Errorf("100 POSTs in %v: %d stored (store holds %d); want %d to %d", elapsed.Round(time.Millisecond), stored, count(), lim.N, max)
			}
			// Another address is not limited.
			other := from(t, "127.0.0.62")
			if resp, b := postNeed(t, other, base, map[string]any{"category": "其他", "description": "另一个地址", "place": map[string]any{"code": "430682001001"}}); resp.StatusCode != 201 {
				t.Errorf("another address: %d %s", resp.StatusCode, b)
			}
			// The same need twice: stored once, the same answer.
			before := count()
			same := map[string]any{"category": "卫生健康", "description": "老人需要量血压", "place": map[string]any{"code": "430682001002"}}
			r1, b1 := postNeed(t, other, base, same)
			r2, b2 := postNeed(t, other, base, same)
			if r1.StatusCode != 201 || r2.StatusCode != 201 || !bytes.Equal(b1, b2) || r1.Header.Get("Location") != r2.Header.Get("Location") {
				t.Errorf("the same need twice: %d %s / %d %s", r1.StatusCode, b1, r2.StatusCode, b2)
			}
			if n := count(); n != before+1 {
				t.Errorf("the same need twice stored %d needs", n-before)
			}
		})
	}
}

// decodeQR reads the one QR code in an image file with zbarimg.
func decodeQR(t *testing.T, path string) string {
	t.Helper()
	out, err := exec.Command("zbarimg", "--quiet", "--raw", path).Output()
	if err != nil {
		t.Fatalf("zbarimg %s: %v (install zbar-tools)", path, err)
	}
	return strings.TrimSpace(string(out))
}

// TestPersonalCode: a volunteer's code, decoded by zbarimg from the PNG and from the printed PDF
// card, signs a fresh phone in as that volunteer; after a new code is issued the old one is
// refused and the phone signed in with it is signed out.
func TestPersonalCode(t *testing.T) {
	m := startServe(t, tempData(t))
	defer m.Close()
	base := m.URL()
	_, asStation := userToken(t, m, "station", civmap.RoleStation, "430682001")
	resp, b := send(t, "POST", base+"/api/v1/users", map[string]any{"login": "li-si", "name": "李四", "role": "volunteer", "scope": "430682001001"}, asStation...)
	if resp.StatusCode != 201 {
		t.Fatalf("add volunteer: %d %s", resp.StatusCode, b)
	}
	var vol struct {
		ID       int64
		Password string
	}
	json.Unmarshal(b, &vol)
	if vol.Password != "" {
		t.Error("a volunteer got a password")
	}
	dir := t.TempDir()

	// The PNG.
	resp, png := send(t, "POST", fmt.Sprintf("%s/api/v1/users/%d/code?format=png", base, vol.ID), nil, asStation...)
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "image/png" || !strings.Contains(resp.Header.Get("Cache-Control"), "no-store") {
		t.Fatalf("code PNG: %d %s", resp.StatusCode, resp.Header)
	}
	os.WriteFile(filepath.Join(dir, "code.png"), png, 0o600)
	first := decodeQR(t, filepath.Join(dir, "code.png"))
	if !strings.HasPrefix(first, base+"/p/") {
		t.Fatalf("the code reads %q, want %s/p/…", first, base)
	}
	phone := from(t, "127.0.0.71")
	signIn := func(c *http.Client, u string) (int, string) {
		resp, page := do(t, c, mustReq(t, "GET", u, ""))
		if resp.StatusCode != 200 {
			return resp.StatusCode, string(page)
		}
		if !strings.Contains(string(page), "李四") || !strings.Contains(string(page), "确认登录") {
			t.Errorf("code page: %s", page)
		}
		resp, _ = do(t, c, mustReq(t, "POST", u, "application/x-www-form-urlencoded"))
		if resp.StatusCode != 303 {
			return resp.StatusCode, ""
		}
		resp, me := do(t, c, mustReq(t, "GET", base+"/api/v1/me", ""))
		return resp.StatusCode, string(me)
	}
	if st, me := signIn(phone, first); st != 200 || !strings.Contains(me, `"login":"li-si"`) || !strings.Contains(me, `"via":"device"`) {
		t.Fatalf("signing in with the PNG's code: %d %s", st, me)
	}
	cookies := phone.Jar.Cookies(mustURL(t, base))
	if len(cookies) != 1 || cookies[0].Name != "civmap_session" {
		t.Fatalf("cookies after sign-in: %v", cookies)
	}

	// The printed card: a new code; the old one and its phone stop working.
	resp, pdf := send(t, "POST", fmt.Sprintf("%s/api/v1/users/%d/code?format=pdf", base, vol.ID), nil, asStation...)
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/pdf" {
		t.Fatalf("card PDF: %d %s", resp.StatusCode, resp.Header)
	}
	os.WriteFile(filepath.Join(dir, "card.pdf"), pdf, 0o600)
	if out, err := exec.Command("pdftoppm", "-r", "200", "-png", "-singlefile", filepath.Join(dir, "card.pdf"), filepath.Join(dir, "card")).CombinedOutput(); err != nil {
		t.Fatalf("pdftoppm: %v %s", err, out)
	}
	second := decodeQR(t, filepath.Join(dir, "card.png"))
	if !strings.HasPrefix(second, base+"/p/") || second == first {
		t.Fatalf("the card's code reads %q (first %q)", second, first)
	}
	text, err := exec.Command("pdftotext", filepath.Join(dir, "card.pdf"), "-").Output()
	if err != nil || !strings.Contains(string(text), "李四") || !strings.Contains(string(text), "志愿者码") {
		t.Errorf("card text: %q, %v", text, err)
	}
	if resp, _ := do(t, phone, mustReq(t, "GET", base+"/api/v1/me", "")); resp.StatusCode != 401 {
		t.Errorf("the phone signed in with the old code: %d, want 401", resp.StatusCode)
	}
	if st, page := signIn(from(t, "127.0.0.72"), first); st != 401 || !strings.Contains(page, "作废") {
		t.Errorf("the old code: %d; want 401 saying it was replaced", st)
	}
	if st, me := signIn(from(t, "127.0.0.73"), second); st != 200 || !strings.Contains(me, `"login":"li-si"`) {
		t.Errorf("signing in with the card's code: %d %s", st, me)
	}
	// Garbage and a staff member's account are not codes.
	if st, _ := signIn(from(t, "127.0.0.74"), base+"/p/not-a-code"); st != 401 {
		t.Errorf("a malformed code: %d", st)
	}
	resp, b = send(t, "POST", fmt.Sprintf("%s/api/v1/users/%d/code", base, 1), nil, asStation...)
	if resp.StatusCode < 400 {
		t.Errorf("a code for a non-volunteer: %d %s", resp.StatusCode, b)
	}
}

func mustReq(t *testing.T, method, u, contentType string) *http.Request {
	req, err := http.NewRequest(method, u, nil)
	if err != nil {
		t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	return req
}

// TestAuditSession runs a scripted session of writes through the HTTP API and the pages, on
// both stores, and checks that the audit log holds exactly one record per write — with the
// actor, the address, and the record before and after — and nothing for refused requests.
func TestAuditSession(t *testing.T) {
	for _, name := range []string{"embedded", "postgis"} {
		t.Run(name, func(t *testing.T) {
			var args []string
			if name == "postgis" {
				args = []string{"--database-url", pgtest.NewDatabase(t)}
			}
			m := startServe(t, tempData(t), args...)
			defer m.Close()
			testAuditSession(t, m)
		})
	}
}

func testAuditSession(t *testing.T, m *Serve) {
	base := m.URL()
	ctx := context.Background()
	_, asAdmin := userToken(t, m, "boss", civmap.RoleAdmin, "")
	setPassword(t, m, "boss", "boss password 1")
	first, err := m.store.ListAudit(ctx, store.AuditFilter{Limit: 1})
	if err != nil || len(first) != 1 {
		t.Fatal(err)
	}
	mark := first[0].ID

	type write struct{ actor, action, kind string }
	var want []write
	expect := func(w ...write) { want = append(want, w...) }
	must := func(status int) func(*http.Response, []byte) []byte {
		return func(resp *http.Response, b []byte) []byte {
			t.Helper()
			if resp.StatusCode != status {
				t.Fatalf("%s %s: %d %s; want %d", resp.Request.Method, resp.Request.URL.Path, resp.StatusCode, b, status)
			}
			return b
		}
	}
	idOf := func(b []byte) int64 {
		var x struct{ ID int64 }
		json.Unmarshal(b, &x)
		return x.ID
	}
	act := idOf(must(201)(send(t, "POST", base+"/api/v1/activities", map[string]any{"title": "审计活动", "content_area": "丰富活跃文化生活",
		"platform": "文化惠民", "start": "2026-12-05T09:00:00+08:00", "end": "2026-12-05T11:00:00+08:00", "place": map[string]any{"code": "430682001001"}}, asAdmin...)))
	expect(write{"boss", civmap.AuditCreate, civmap.KindActivity})
	must(200)(send(t, "PATCH", fmt.Sprintf("%s/api/v1/activities/%d", base, act), map[string]any{"title": "审计活动（改）"}, asAdmin...))
	expect(write{"boss", civmap.AuditUpdate, civmap.KindActivity})
	must(200)(send(t, "PUT", fmt.Sprintf("%s/api/v1/activities/%d/moderation", base, act), map[string]any{"hidden": true, "reason": "重复发布"}, asAdmin...))
	must(200)(send(t, "PUT", fmt.Sprintf("%s/api/v1/activities/%d/moderation", base, act), map[string]any{"hidden": false}, asAdmin...))
	expect(write{"boss", civmap.AuditHide, civmap.KindActivity}, write{"boss", civmap.AuditUnhide, civmap.KindActivity})
	must(200)(send(t, "PUT", base+"/api/v1/sites/430682001001", map[string]any{"lon": 113.45, "lat": 29.52, "coord_source": "surveyed"}, asAdmin...))
	expect(write{"boss", civmap.AuditUpdate, civmap.KindSite})
	must(201)(send(t, "PUT", base+"/api/v1/venues/430682001001V09", map[string]any{"name": "长城社区农家书屋", "type": "农家书屋",
		"site_code": "430682001001", "lon": 113.451, "lat": 29.521}, asAdmin...))
	expect(write{"boss", civmap.AuditCreate, civmap.KindVenue})
	// A refused write and an invalid one leave nothing.
	must(401)(send(t, "POST", base+"/api/v1/activities", map[string]any{"title": "匿名"}))
	must(400)(send(t, "PATCH", fmt.Sprintf("%s/api/v1/activities/%d", base, act), map[string]any{"end": "2020-01-01T00:00:00Z"}, asAdmin...))
	// An anonymous need, and its duplicate.
	need := map[string]any{"category": "其他", "description": "需要帮忙 13800138000", "place": map[string]any{"code": "430682001002"}}
	anon := from(t, "127.0.0.81")
	postNeed(t, anon, base, need)
	postNeed(t, anon, base, need)
	expect(write{"anonymous", civmap.AuditCreate, civmap.KindNeed})
	// Users, codes, tokens.
	u := idOf(must(201)(send(t, "POST", base+"/api/v1/users", map[string]any{"login": "wang", "name": "王五", "role": "post", "scope": "430682001002"}, asAdmin...)))
	expect(write{"boss", civmap.AuditCreate, civmap.KindUser})
	v := idOf(must(201)(send(t, "POST", base+"/api/v1/users", map[string]any{"login": "zhao", "name": "赵六", "role": "volunteer", "scope": "430682001002"}, asAdmin...)))
	expect(write{"boss", civmap.AuditCreate, civmap.KindUser})
	must(200)(send(t, "POST", fmt.Sprintf("%s/api/v1/users/%d/code", base, v), nil, asAdmin...))
	expect(write{"boss", civmap.AuditIssue, civmap.KindCode})
	must(200)(send(t, "PATCH", fmt.Sprintf("%s/api/v1/users/%d", base, u), map[string]any{"name": "王五（站）"}, asAdmin...))
	expect(write{"boss", civmap.AuditUpdate, civmap.KindUser})
	tok := idOf(must(201)(send(t, "POST", base+"/api/v1/tokens", map[string]any{"user_id": u, "name": "脚本"}, asAdmin...)))
	expect(write{"boss", civmap.AuditCreate, civmap.KindToken})
	must(204)(send(t, "DELETE", fmt.Sprintf("%s/api/v1/tokens/%d", base, tok), nil, asAdmin...))
	expect(write{"boss", civmap.AuditRevoke, civmap.KindToken})
	// A browser session: sign in, publish through the page form, sign out.
	browser := from(t, "127.0.0.82")
	must(303)(login(t, browser, base, "boss", "boss password 1"))
	expect(write{"boss", civmap.AuditSignIn, civmap.KindSession})
	form := url.Values{"title": {"表单发布的活动"}, "content_area": {"倡导文明生活方式"}, "platform": {"志愿服务"}, "date": {"2026-12-08"},
		"start_time": {"09:00"}, "end_time": {"10:30"}}
	req, _ := http.NewRequest("POST", base+"/s/430682001001/activities", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, b := do(t, browser, req)
	must(303)(resp, b)
	expect(write{"boss", civmap.AuditCreate, civmap.KindActivity})
	req, _ = http.NewRequest("POST", base+"/logout", nil)
	must(303)(do(t, browser, req))
	expect(write{"boss", civmap.AuditSignOut, civmap.KindSession})
	// A failed sign-in is recorded too.
	must(401)(login(t, from(t, "127.0.0.83"), base, "boss", "not it"))
	expect(write{"anonymous", civmap.AuditFailed, civmap.KindUser})

	recs, err := m.store.ListAudit(ctx, store.AuditFilter{})
	if err != nil {
		t.Fatal(err)
	}
	var got []write
	for i := len(recs) - 1; i >= 0; i-- {
		r := recs[i]
		if r.ID <= mark || r.Action == civmap.AuditRead {
			continue
		}
		got = append(got, write{r.ActorLogin, r.Action, r.Kind})
		switch {
		case r.ActorLogin != "anonymous" && (r.ActorID == 0 || r.ActorRole != civmap.RoleAdmin):
			t.Errorf("record %d: actor %d %s %s", r.ID, r.ActorID, r.ActorLogin, r.ActorRole)
		case !strings.HasPrefix(r.Addr, "127.0.0."):
			t.Errorf("record %d (%s %s): address %q", r.ID, r.Action, r.Kind, r.Addr)
		case r.Action == civmap.AuditCreate && (r.Before != nil || r.After == nil):
			t.Errorf("record %d: a creation needs after and no before: %s / %s", r.ID, r.Before, r.After)
		case (r.Action == civmap.AuditUpdate || r.Action == civmap.AuditHide || r.Action == civmap.AuditUnhide) && (r.Before == nil || r.After == nil || bytes.Equal(r.Before, r.After)):
			t.Errorf("record %d (%s): before %s, after %s", r.ID, r.Action, r.Before, r.After)
		case strings.Contains(string(r.After)+string(r.Before), "13800138000"):
			t.Errorf("record %d keeps the resident's text", r.ID)
		}
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("audit log after the session:\n got %v\nwant %v", got, want)
	}
	// The API serves the same records to the admin.
	resp, b = send(t, "GET", fmt.Sprintf("%s/api/v1/audit?limit=1000&since=%s", base, url.QueryEscape(time.Now().Add(-time.Hour).Format(time.RFC3339))), nil, asAdmin...)
	var page struct{ Records []map[string]any }
	if err := json.Unmarshal(b, &page); err != nil || resp.StatusCode != 200 || len(page.Records) < len(want) {
		t.Errorf("GET /api/v1/audit: %d, %d records", resp.StatusCode, len(page.Records))
	}
	for _, bad := range []string{"?kind=bogus", "?limit=0", "?since=yesterday", "?colour=red", "?actor=x"} {
		if resp, b := send(t, "GET", base+"/api/v1/audit"+bad, nil, asAdmin...); resp.StatusCode != 400 {
			t.Errorf("GET /api/v1/audit%s: %d %s", bad, resp.StatusCode, b)
		}
	}
}
