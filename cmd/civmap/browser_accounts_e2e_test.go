package main

import (
	"context"
	"encoding/json"
	"fmt"
	"html/template"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"civmap"
	"civmap/store"
	"civmap/web"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/device"
)

// phone is the device the account pages are tried on: a 390×844 portrait phone (CSS pixels),
// touch, with the user agent of WeChat's browser on Android, where most staff open the pages.
var phone = device.Info{
	Name: "phone 390x844",
	UserAgent: "Mozilla/5.0 (Linux; Android 13; V2219A Build/TP1A.220624.014; wv) AppleWebKit/537.36 " +
		"(KHTML, like Gecko) Version/4.0 Chrome/116.0.0.0 Mobile Safari/537.36 MicroMessenger/8.0.47.2560(0x28002F35) WeChat/arm64",
	Width: 390, Height: 844, Scale: 3, Mobile: true, Touch: true,
}

// phoneBrowser starts a headless Chromium emulating phone and returns its tab's context, limited
// to timeout (the browser itself lives until the test ends).
func phoneBrowser(t *testing.T, timeout time.Duration) context.Context {
	t.Helper()
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromium(t)),
		chromedp.NoSandbox,
		chromedp.WindowSize(int(phone.Width), int(phone.Height)),
		chromedp.UserAgent(phone.UserAgent),
		chromedp.Flag("disable-quic", true),
		chromedp.UserDataDir(t.TempDir()),
	)
	actx, cancel := chromedp.NewExecAllocator(context.Background(), opts...)
	t.Cleanup(cancel)
	ctx, cancel := chromedp.NewContext(actx)
	t.Cleanup(cancel)
	// The first action starts the browser and binds it to ctx: without a timeout (see NewContext).
	if err := chromedp.Do(ctx, chromedp.Emulate(phone)); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	ctx, cancel = context.WithTimeout(ctx, timeout)
	t.Cleanup(cancel)
	return ctx
}

// browse runs steps that make the tab load a page (a tap on a submit button, a navigation) and
// returns the final document response (after redirects).
func browse(t *testing.T, ctx context.Context, what string, steps ...chromedp.Action[chromedp.Void]) *network.Response {
	t.Helper()
	resp, err := chromedp.RunResponse(ctx, steps...)
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	if resp == nil {
		t.Fatalf("%s: no document response", what)
	}
	return resp
}

func evalJS[T any](t *testing.T, ctx context.Context, expr string) T {
	t.Helper()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr))
	if err != nil {
		t.Fatalf("evaluate %s: %v", expr, err)
	}
	return v
}

func text(t *testing.T, ctx context.Context, sel string) string {
	t.Helper()
	s, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel)))
	if err != nil {
		t.Fatalf("text of %s: %v", sel, err)
	}
	return s
}

// signInByForm opens /login, types the login name and password and taps 登录: the page must
// land on /me showing the user's name.
func signInByForm(t *testing.T, ctx context.Context, base, login, password, name string) {
	t.Helper()
	resp := browse(t, ctx, "open /login", chromedp.Navigate(base+"/login"))
	if resp.Status != 200 {
		t.Fatalf("GET /login: %d", resp.Status)
	}
	err := chromedp.Do(ctx,
		chromedp.SendKeys(chromedp.CSS(`form.login input[name=login]`), login),
		chromedp.SendKeys(chromedp.CSS(`form.login input[name=password]`), password),
	)
	if err != nil {
		t.Fatalf("fill the sign-in form: %v", err)
	}
	resp = browse(t, ctx, "submit the sign-in form", chromedp.Tap(chromedp.CSS(`form.login button[type=submit]`)))
	if resp.Status != 200 || resp.URL != base+"/me" {
		t.Fatalf("after signing in: %d %s, want 200 %s/me", resp.Status, resp.URL, base)
	}
	if h1 := text(t, ctx, `header.site-head h1`); h1 != name {
		t.Fatalf("/me shows %q, want %q", h1, name)
	}
}

// TestBrowserAdminSignsInPublishesSignsOut drives the account pages in a real headless Chromium
// emulating a phone (390×844, touch, mobile user agent), with the pages' scripts switched off:
// an admin signs in through /login, publishes an activity with a site page's "发布活动" form (it
// then shows on the page, in the API and in the audit log as the admin's), and signs out with
// "退出" (/me then sends the browser to /login). Then, signed in again, the same browser visits
// a page of another origin on the same site (127.0.0.1, another port) whose forms post to civmap
// by themselves: the cross-site POSTs — which carry the admin's SameSite=Lax cookie, since the
// site is the same — are refused with 403, change nothing, and leave the admin signed in.
func TestBrowserAdminSignsInPublishesSignsOut(t *testing.T) {
	m := startServe(t, tempData(t))
	// Closed after the browser (cleanups run last first): Chromium's preconnected sockets, idle
	// before their first request, would hold up the server's shutdown for 5 s.
	t.Cleanup(func() { m.Close() })
	base := m.URL()
	const (
		login    = "web-admin"
		password = "Correct-Horse-7-battery"
		site     = postA1 // 长城社区
	)
	admin, asAdmin := userToken(t, m, login, civmap.RoleAdmin, "")
	setPassword(t, m, login, password)
	bg := context.Background()

	ctx := phoneBrowser(t, 60*time.Second)
	// The account pages must work without JavaScript.
	if _, err := chromedp.Call(ctx, emulation.SetScriptExecutionDisabled, emulation.SetScriptExecutionDisabledParams{Value: true}); err != nil {
		t.Fatal(err)
	}

	// The sign-in page fits the phone's width.
	browse(t, ctx, "open /login", chromedp.Navigate(base+"/login"))
	if w := evalJS[int](t, ctx, `window.innerWidth`); w != int(phone.Width) {
		t.Errorf("viewport is %d CSS px wide, want %d", w, phone.Width)
	}
	if ua := evalJS[string](t, ctx, `navigator.userAgent`); !strings.Contains(ua, "Mobile") {
		t.Errorf("user agent %q is not a phone's", ua)
	}
	if sw := evalJS[int](t, ctx, `document.documentElement.scrollWidth`); sw > int(phone.Width) {
		t.Errorf("/login overflows horizontally: scrollWidth %d > %d", sw, phone.Width)
	}

	// Sign in.
	signInByForm(t, ctx, base, login, password, admin.Name)
	if sw := evalJS[int](t, ctx, `document.documentElement.scrollWidth`); sw > int(phone.Width) {
		t.Errorf("/me overflows horizontally: scrollWidth %d > %d", sw, phone.Width)
	}

	// Publish an activity from the site page, three days ahead (China time).
	resp := browse(t, ctx, "open the site page", chromedp.Navigate(base+"/s/"+site))
	if resp.Status != 200 {
		t.Fatalf("GET /s/%s: %d", site, resp.Status)
	}
	if sw := evalJS[int](t, ctx, `document.documentElement.scrollWidth`); sw > int(phone.Width) {
		t.Errorf("the site page with the staff section overflows horizontally: scrollWidth %d > %d", sw, phone.Width)
	}
	day := time.Now().In(web.China).AddDate(0, 0, 3).Format("2006-01-02")
	title := "手机发布的文明实践活动 " + day
	f := `#staff form.publish `
	err := chromedp.Do(ctx,
		chromedp.SendKeys(chromedp.CSS(f+`input[name=title]`), title),
		chromedp.SetValue(chromedp.CSS(f+`select[name=content_area]`), "倡导文明生活方式"),
		chromedp.SetValue(chromedp.CSS(f+`select[name=platform]`), "志愿服务"),
		chromedp.SetValue(chromedp.CSS(f+`input[name=date]`), day),
		chromedp.SetValue(chromedp.CSS(f+`input[name=start_time]`), "09:00"),
		chromedp.SetValue(chromedp.CSS(f+`input[name=end_time]`), "10:30"),
	)
	if err != nil {
		t.Fatalf("fill the publishing form: %v", err)
	}
	resp = browse(t, ctx, "submit the publishing form", chromedp.Tap(chromedp.CSS(f+`button[type=submit]`)))
	if resp.Status != 200 || resp.URL != base+"/s/"+site+"?published=1" {
		t.Fatalf("after publishing: %d %s", resp.Status, resp.URL)
	}
	if ok := text(t, ctx, `#staff p.ok`); ok != "活动已发布。" {
		t.Errorf("after publishing the page says %q", ok)
	}
	upcoming := evalJS[string](t, ctx, `[...document.querySelectorAll('section')].find(s => s.querySelector('h2')?.textContent === '即将开展的活动')?.innerText ?? ''`)
	if !strings.Contains(upcoming, title) || !strings.Contains(upcoming, "志愿服务 · 倡导文明生活方式") {
		t.Errorf("the page's upcoming activities do not list the new one:\n%s", upcoming)
	}

	// The API lists it, and the audit log records its creation by the admin.
	_, b := get(t, base+"/api/v1/activities?site="+site)
	var acts struct {
		Features []struct {
			Properties struct {
				ID          int64
				Title       string
				ContentArea string `json:"content_area"`
				Platform    string
				Start, End  time.Time
			}
		}
	}
	if err := json.Unmarshal(b, &acts); err != nil {
		t.Fatalf("activities: %v %s", err, b)
	}
	var actID int64
	for _, a := range acts.Features {
		p := a.Properties
		if p.Title == title {
			actID = p.ID
			if p.ContentArea != "倡导文明生活方式" || p.Platform != "志愿服务" ||
				p.Start.In(web.China).Format("2006-01-02 15:04") != day+" 09:00" || p.End.Sub(p.Start) != 90*time.Minute {
				t.Errorf("the published activity: %+v", p)
			}
		}
	}
	if actID == 0 {
		t.Fatalf("GET /api/v1/activities?site=%s does not list %q: %s", site, title, b)
	}
	_, b = send(t, "GET", fmt.Sprintf("%s/api/v1/audit?kind=activity&action=create&record=%d", base, actID), nil, asAdmin...)
	var audit struct {
		Records []struct {
			ActorID   int64  `json:"actor_id"`
			Actor     string `json:"actor"`
			ActorRole string `json:"actor_role"`
			Addr      string
		}
	}
	if err := json.Unmarshal(b, &audit); err != nil || len(audit.Records) != 1 {
		t.Fatalf("audit of activity %d: %v %s", actID, err, b)
	}
	if r := audit.Records[0]; r.ActorID != admin.ID || r.Actor != login || r.ActorRole != "admin" || r.Addr != "127.0.0.1" {
		t.Errorf("activity %d was created by %+v, want %s (%d) from 127.0.0.1", actID, r, login, admin.ID)
	}

	// Sign out with "退出"; /me then sends the browser to /login.
	resp = browse(t, ctx, "tap 退出", chromedp.Tap(chromedp.CSS(`nav.account form[action="/logout"] button`)))
	if resp.Status != 200 || resp.URL != base+"/login?out=1" {
		t.Fatalf("after 退出: %d %s", resp.Status, resp.URL)
	}
	if s := text(t, ctx, `p.ok[role=status]`); s != "您已退出登录。" {
		t.Errorf("after 退出 the page says %q", s)
	}
	resp = browse(t, ctx, "open /me signed out", chromedp.Navigate(base+"/me"))
	if resp.Status != 200 || resp.URL != base+"/login?next=%2Fme" {
		t.Errorf("/me after signing out: %d %s, want the sign-in page", resp.Status, resp.URL)
	}
	if n := activeSessions(t, m, admin.ID); n != 0 {
		t.Errorf("%d sessions still active after 退出", n)
	}

	// CSRF. Sign in again, then visit a page of another origin whose forms post to civmap.
	signInByForm(t, ctx, base, login, password, admin.Name)
	if _, err := chromedp.Call(ctx, emulation.SetScriptExecutionDisabled, emulation.SetScriptExecutionDisabledParams{Value: false}); err != nil {
		t.Fatal(err) // the attacker's page submits its form by script
	}
	attacker := httptest.NewServer(attackerPages(base, site))
	defer attacker.Close()
	if !strings.HasPrefix(attacker.URL, "http://127.0.0.1:") || attacker.URL == base {
		t.Fatalf("the attacker's page is at %s", attacker.URL)
	}
	var mu sync.Mutex
	requests := map[network.RequestID]string{}         // request → "METHOD URL"
	headers := map[network.RequestID]network.Headers{} // request → the headers as sent
	if err := chromedp.Listen(ctx, func(ev any) {
		mu.Lock()
		defer mu.Unlock()
		switch ev := ev.(type) {
		case *network.EventRequestWillBeSent:
			requests[ev.RequestID] = ev.Request.Method + " " + ev.Request.URL
		case *network.EventRequestWillBeSentExtraInfo:
			headers[ev.RequestID] = ev.Headers
		}
	}); err != nil {
		t.Fatal(err)
	}
	state := func() string {
		as, err := m.store.ListActivities(bg, store.ActivityFilter{IncludeHidden: true})
		if err != nil {
			t.Fatal(err)
		}
		last, err := m.store.ListAudit(bg, store.AuditFilter{Limit: 1})
		if err != nil || len(last) != 1 {
			t.Fatal(err)
		}
		return fmt.Sprintf("%d activities, last audit record %d, %d active sessions of the admin", len(as), last[0].ID, activeSessions(t, m, admin.ID))
	}
	for _, c := range []struct{ page, target string }{
		{"/publish", base + "/s/" + site + "/activities"},
		{"/logout", base + "/logout"},
	} {
		before := state()
		// The first civmap document the tab receives after the attacker's page: the answer to
		// the forged POST (or, were it accepted, the page its 303 leads to).
		wctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		ev, err := chromedp.Run(wctx, chromedp.WaitEvent(network.ResponseReceived,
			func(e network.EventResponseReceived) bool {
				return e.Type == network.ResourceTypeDocument && strings.HasPrefix(e.Response.URL, base+"/")
			},
			chromedp.Navigate(attacker.URL+c.page)))
		cancel()
		if err != nil {
			t.Fatalf("the attacker's page %s never reached civmap: %v", c.page, err)
		}
		if ev.Response.Status != 403 || ev.Response.URL != c.target {
			t.Fatalf("cross-site POST %s: %d %s, want 403", c.target, ev.Response.Status, ev.Response.URL)
		}
		_, err = chromedp.Run(ctx, chromedp.Poll[bool](fmt.Sprintf(`location.href === %q && document.readyState === 'complete'`, c.target),
			chromedp.WithPollingInterval(50*time.Millisecond), chromedp.WithPollingTimeout(10*time.Second)))
		if err != nil {
			t.Fatalf("the refusal page of %s never loaded: %v", c.target, err)
		}
		if body := text(t, ctx, `main`); !strings.Contains(body, "该表单来自其他网站，已被拒绝") {
			t.Errorf("the refusal page of %s says %q", c.target, body)
		}
		if after := state(); after != before {
			t.Errorf("the refused cross-site POST %s changed the store: %s → %s", c.target, before, after)
		}
		// The POST did carry the admin's cookie (the site is the same, so SameSite=Lax sends
		// it): the refusal is the cross-origin protection's doing.
		mu.Lock()
		var sent network.Headers
		for id, req := range requests {
			if req == "POST "+c.target {
				sent = headers[id]
			}
		}
		mu.Unlock()
		if sent == nil {
			t.Errorf("no request headers seen for POST %s", c.target)
		} else {
			cookie, _ := header(sent, "Cookie").(string)
			if !strings.Contains(cookie, "civmap_session=") || header(sent, "Sec-Fetch-Site") != "same-site" ||
				header(sent, "Origin") != attacker.URL {
				t.Errorf("POST %s was sent with Cookie %.20q…, Sec-Fetch-Site %v, Origin %v; want the session cookie, same-site, %s",
					c.target, cookie, header(sent, "Sec-Fetch-Site"), header(sent, "Origin"), attacker.URL)
			}
		}
	}

	// Still signed in.
	resp = browse(t, ctx, "open /me after the attack", chromedp.Navigate(base+"/me"))
	if resp.Status != 200 || resp.URL != base+"/me" {
		t.Errorf("/me after the cross-site POSTs: %d %s, want the admin's page", resp.Status, resp.URL)
	} else if h1 := text(t, ctx, `header.site-head h1`); h1 != admin.Name {
		t.Errorf("/me after the cross-site POSTs shows %q", h1)
	}
	as, err := m.store.ListActivities(bg, store.ActivityFilter{IncludeHidden: true})
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range as {
		if strings.Contains(a.Title, "跨站") {
			t.Errorf("the attacker's activity was stored: %+v", a)
		}
	}
}

// header is a header of a request as Chromium reports it (names in any case).
func header(h network.Headers, name string) any {
	for k, v := range h {
		if strings.EqualFold(k, name) {
			return v
		}
	}
	return nil
}

// activeSessions counts the user's sessions that are still active.
func activeSessions(t *testing.T, m *Serve, userID int64) int {
	t.Helper()
	ss, err := m.store.ListSessions(context.Background(), userID)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, s := range ss {
		if s.Active(time.Now()) {
			n++
		}
	}
	return n
}

// attackerPages is another origin's site: pages whose forms post to civmap as soon as they load
// — one publishing an activity at site, one signing the visitor out.
func attackerPages(base, site string) http.Handler {
	page := template.Must(template.New("").Parse(`<!doctype html>
<html><head><meta charset="utf-8"><title>抽奖活动</title></head>
<body><p>恭喜中奖，正在跳转……</p>
<form id="f" method="post" action="{{.Action}}">{{range $k, $v := .Fields}}
<input type="hidden" name="{{$k}}" value="{{$v}}">{{end}}
</form>
<script>document.getElementById('f').submit()</script>
</body></html>`))
	day := time.Now().In(web.China).AddDate(0, 0, 4).Format("2006-01-02")
	forms := map[string]struct {
		Action string
		Fields url.Values
	}{
		"/publish": {base + "/s/" + site + "/activities", url.Values{"title": {"跨站伪造的活动"}, "content_area": {"丰富活跃文化生活"},
			"platform": {"文化惠民"}, "date": {day}, "start_time": {"19:00"}, "end_time": {"20:00"}}},
		"/logout": {base + "/logout", nil},
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f, ok := forms[r.URL.Path]
		if !ok {
			http.NotFound(w, r)
			return
		}
		fields := map[string]string{}
		for k := range f.Fields {
			fields[k] = f.Fields.Get(k)
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		page.Execute(w, map[string]any{"Action": f.Action, "Fields": fields})
	})
}
