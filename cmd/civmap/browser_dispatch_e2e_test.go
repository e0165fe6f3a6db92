package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"civmap"
	"civmap/dispatch"
	"civmap/qr/qrtest"
	"civmap/store"
	"civmap/store/postgis/pgtest"
	"civmap/store/storetest"
	"civmap/tiles"
	"civmap/web"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/device"
	"github.com/paulmach/orb"
	orbgeo "github.com/paulmach/orb/geo"
	"github.com/paulmach/orb/maptile"
)

// tablet is the dispatcher's device: a 1024×768 landscape Android tablet, touch.
var tablet = device.Info{
	Name:      "tablet 1024x768",
	UserAgent: "Mozilla/5.0 (Linux; Android 13; SM-X200) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/116.0.0.0 Safari/537.36",
	Width:     1024, Height: 768, Scale: 2, Mobile: true, Touch: true,
}

// TestBrowserDispatch is the dispatch issue's browser scenario in a real headless Chromium, with
// three people in three browser contexts (separate cookie jars): a resident on a phone submits a
// need with a site page's 我要点单 form and lands on its receipt; the post's dispatcher, signed in
// on a tablet with /console open, sees it appear without a reload (the console's event stream),
// makes the order (制单) and dispatches it to the top candidate — the volunteer nearest the need
// with its skill, ahead of a nearer one without it and of the demo volunteers; that volunteer,
// signed in on a phone with the personal code the post issued (a PNG decoded with zbarimg),
// finds it under 我的单 on /me, accepts, starts and completes it; the dispatcher's list drops it
// by itself; the resident's /n/{receipt} shows every step with the team's name and never the
// volunteer's, and takes a 5-star rating. Then the privacy scan (see scanAnonymous). Both stores.
func TestBrowserDispatch(t *testing.T) {
	bctx := dispatchBrowser(t)
	t.Run("embedded", func(t *testing.T) { testBrowserDispatch(t, bctx) })
	t.Run("postgis", func(t *testing.T) { testBrowserDispatch(t, bctx, "--database-url", pgtest.NewDatabase(t)) })
}

// dispatchBrowser starts one headless Chromium for the test and returns a context bound to it;
// tabs in their own browser contexts are made with browserTabs.
func dispatchBrowser(t *testing.T) context.Context {
	t.Helper()
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromium(t)),
		chromedp.NoSandbox,
		chromedp.Flag("enable-unsafe-swiftshader", true), // WebGL without a GPU, for the console's map
		chromedp.Flag("use-angle", "swiftshader"),
		chromedp.Flag("disable-quic", true),
		chromedp.UserDataDir(t.TempDir()),
	)
	actx, cancel := chromedp.NewExecAllocator(context.Background(), opts...)
	t.Cleanup(cancel)
	ctx, cancel := chromedp.NewContext(actx)
	t.Cleanup(cancel)
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	return ctx
}

// personTab is a person's browser tab: who they are and their device.
type personTab struct {
	who string
	dev device.Info
}

// browserTabs opens the tabs, at once, each in a new browser context (its own cookies and
// storage) of the browser of bctx, emulating its device, and returns their contexts limited to
// timeout. Uncaught exceptions of their pages are reported as errors when the test ends.
func browserTabs(t *testing.T, bctx context.Context, timeout time.Duration, tabs ...personTab) []context.Context {
	t.Helper()
	ctxs := make([]context.Context, len(tabs))
	cancels := make([]context.CancelFunc, len(tabs))
	errs := make([]error, len(tabs))
	var wg sync.WaitGroup
	for i, tb := range tabs {
		ctxs[i], cancels[i] = chromedp.NewContext(bctx, chromedp.WithNewBrowserContext())
		t.Cleanup(cancels[i])
		wg.Go(func() { errs[i] = chromedp.Do(ctxs[i], chromedp.Emulate(tb.dev)) })
	}
	wg.Wait()
	for i, tb := range tabs {
		if errs[i] != nil {
			t.Fatalf("open the %s's tab: %v", tb.who, errs[i])
		}
		var exceptions []string
		msgs := chromedp.Console(ctxs[i]) // subscribed before the first page
		done := make(chan struct{})
		go func() {
			defer close(done)
			for m, err := range msgs {
				if err != nil {
					return
				}
				if m.IsException() {
					exceptions = append(exceptions, fmt.Sprintf("%s:%d %s", m.URL, m.Line+1, m))
				}
			}
		}()
		t.Cleanup(func() {
			cancels[i]()
			<-done
			for _, e := range exceptions {
				t.Errorf("the %s's page threw: %s", tb.who, e)
			}
		})
		var cancel context.CancelFunc
		ctxs[i], cancel = context.WithTimeout(ctxs[i], timeout)
		t.Cleanup(cancel)
	}
	return ctxs
}

// fitsWidth checks that the page does not overflow the device's width.
func fitsWidth(t *testing.T, ctx context.Context, page string) {
	t.Helper()
	if sw, w := evalJS[int](t, ctx, `document.documentElement.scrollWidth`), evalJS[int](t, ctx, `window.innerWidth`); sw > w {
		t.Errorf("%s overflows horizontally: scrollWidth %d > %d", page, sw, w)
	}
}

// waitJS waits until the expression is true in the tab.
func waitJS(t *testing.T, ctx context.Context, what, expr string, timeout time.Duration) {
	t.Helper()
	_, err := chromedp.Run(ctx, chromedp.Poll[bool](expr, chromedp.WithPollingInterval(50*time.Millisecond), chromedp.WithPollingTimeout(timeout)))
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

// settleJS waits until the element sel has not changed for quiet (the console replaces its list
// when a notification arrives).
func settleJS(t *testing.T, ctx context.Context, sel string, quiet time.Duration) {
	t.Helper()
	js := fmt.Sprintf(`new Promise(resolve => {
		const el = document.querySelector(%q);
		let timer = setTimeout(done, %d);
		const obs = new MutationObserver(() => { clearTimeout(timer); timer = setTimeout(done, %d); });
		function done() { obs.disconnect(); resolve(true); }
		if (el) obs.observe(el, {childList: true, subtree: true, characterData: true, attributes: true});
	})`, sel, quiet.Milliseconds(), quiet.Milliseconds())
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](js, chromedp.EvalAwaitPromise)); err != nil {
		t.Fatalf("wait for %s to settle: %v", sel, err)
	}
}

// noteWatch follows the notifications the server delivers (what the pages' event streams
// get), for tests to know when one went out.
type noteWatch struct {
	c    <-chan civmap.Notification
	seen []civmap.Notification
}

// wait returns once a notification of type typ about need id to recipient has been delivered.
func (n *noteWatch) wait(t *testing.T, typ string, need int64, recipient string) {
	t.Helper()
	match := func(x civmap.Notification) bool { return x.Type == typ && x.NeedID == need && x.Recipient == recipient }
	if slices.ContainsFunc(n.seen, match) {
		return
	}
	timeout := time.After(10 * time.Second)
	for {
		select {
		case x := <-n.c:
			n.seen = append(n.seen, x)
			if match(x) {
				return
			}
		case <-timeout:
			t.Fatalf("no %s notification about need %d to %s within 10 s", typ, need, recipient)
		}
	}
}

// sseReader reads a server-sent event stream in the background.
type sseReader struct {
	mu     sync.Mutex
	buf    strings.Builder
	cancel context.CancelFunc
	done   chan struct{}
}

// openSSE opens the stream at u with client c; it is closed when the test ends.
func openSSE(t *testing.T, c *http.Client, u string) *sseReader {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	resp, err := c.Do(req)
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "text/event-stream" {
		cancel()
		resp.Body.Close()
		t.Fatalf("GET %s: %d %s", u, resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	s := &sseReader{cancel: cancel, done: make(chan struct{})}
	go func() {
		defer close(s.done)
		defer resp.Body.Close()
		r := bufio.NewReader(resp.Body)
		for {
			line, err := r.ReadString('\n')
			s.mu.Lock()
			s.buf.WriteString(line)
			s.mu.Unlock()
			if err != nil {
				return
			}
		}
	}()
	t.Cleanup(s.close)
	return s
}

func (s *sseReader) text() string { s.mu.Lock(); defer s.mu.Unlock(); return s.buf.String() }

// waitFor waits until the stream holds sub.
func (s *sseReader) waitFor(t *testing.T, sub string) {
	t.Helper()
	for end := time.Now().Add(10 * time.Second); !strings.Contains(s.text(), sub); {
		if time.Now().After(end) {
			t.Fatalf("the event stream never carried %s:\n%s", sub, s.text())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func (s *sseReader) close() { s.cancel(); <-s.done }

// offsetPoint is p moved east and north by metres, at the 6 decimals the API prints.
func offsetPoint(p orb.Point, east, north float64) orb.Point {
	lat := p[1] + north/111320
	lon := p[0] + east/(111320*math.Cos(p[1]*math.Pi/180))
	return orb.Point{math.Round(lon*1e6) / 1e6, math.Round(lat*1e6) / 1e6}
}

func testBrowserDispatch(t *testing.T, bctx context.Context, args ...string) {
	began := time.Now()
	m := startServe(t, tempData(t), append([]string{"--demo"}, args...)...)
	// Closed after the tabs (cleanups run last first), so the browser's idle connections do not
	// hold up the shutdown.
	t.Cleanup(func() { m.Close() })
	base := m.URL()
	ctx := civmap.WithActor(context.Background(), civmap.Actor{System: "test"})
	const (
		login       = "dispatch-post"
		password    = "Dispatch-Tablet-42"
		phoneRes    = "13987654321"
		description = "家里老人血压偏高，想请志愿者上门量血压"
		teamName    = "长城社区卫生健康志愿服务小分队"
		comment     = "志愿者很耐心，量得很仔细"
	)
	post, asPost := userToken(t, m, login, civmap.RolePost, postA1)
	setPassword(t, m, login, password)
	site, err := m.store.Site(ctx, postA1)
	if err != nil {
		t.Fatal(err)
	}
	notes := &noteWatch{}
	var stop func()
	notes.c, stop = m.sender.Subscribe(nil, 256)
	t.Cleanup(stop)

	// The post's team and volunteers, through the API as the post: the nearest one lacks the
	// skill, so the top candidate is the next one, who gets the personal code.
	resp, b := send(t, "POST", base+"/api/v1/teams", map[string]any{"name": teamName, "site_code": postA1, "skills": []string{"卫生健康"}}, asPost...)
	if resp.StatusCode != 201 {
		t.Fatalf("create the team: %d %s", resp.StatusCode, b)
	}
	var team struct{ ID int64 }
	json.Unmarshal(b, &team)
	type vol struct {
		Name, Phone, Skill string
		Home               orb.Point
		ID                 int64
	}
	vols := []*vol{
		{Name: "欧阳晓梅", Phone: "13811112222", Skill: "卫生健康", Home: offsetPoint(site.Location.Point, 110, 60)},   // the top candidate
		{Name: "司马建国", Phone: "13833334444", Skill: "卫生健康", Home: offsetPoint(site.Location.Point, -140, 120)}, // the runner-up
		{Name: "诸葛文静", Phone: "13855556666", Skill: "文化艺术", Home: offsetPoint(site.Location.Point, 30, -20)},   // nearest, wrong skill
	}
	for _, v := range vols {
		resp, b := send(t, "POST", base+"/api/v1/volunteers", map[string]any{"name": v.Name, "phone": v.Phone, "skills": []string{v.Skill},
			"teams": []int64{team.ID}, "site_code": postA1, "home": map[string]any{"lon": v.Home[0], "lat": v.Home[1]}, "on_duty": true}, asPost...)
		if resp.StatusCode != 201 {
			t.Fatalf("create volunteer %s: %d %s", v.Name, resp.StatusCode, b)
		}
		var out struct{ ID int64 }
		json.Unmarshal(b, &out)
		v.ID = out.ID
	}
	top, second := vols[0], vols[1]
	resp, png := send(t, "POST", fmt.Sprintf("%s/api/v1/volunteers/%d/code?format=png", base, top.ID), nil, asPost...)
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "image/png" {
		t.Fatalf("issue the personal code: %d %s %.200s", resp.StatusCode, resp.Header.Get("Content-Type"), png)
	}
	pngFile := filepath.Join(t.TempDir(), "code.png")
	if err := os.WriteFile(pngFile, png, 0o600); err != nil {
		t.Fatal(err)
	}
	if !qrtest.HaveZBar() {
		t.Fatal("zbarimg is not installed: install Debian's zbar-tools")
	}
	decoded, err := qrtest.ZBar(false, pngFile)
	if err != nil {
		t.Fatal(err)
	}
	codeURL := string(decoded[pngFile])
	if !regexp.MustCompile(`^` + regexp.QuoteMeta(base) + `/p/[A-Za-z0-9_-]{20,}$`).MatchString(codeURL) {
		t.Fatalf("the personal code's QR holds %q, want %s/p/{code}", codeURL, base)
	}

	// Anonymous watchers: the public event stream for the whole scenario.
	public := openSSE(t, from(t, "127.0.0.95"), base+"/api/v1/events")
	setup := time.Since(began)

	// The dispatcher signs in on the tablet and opens the console: the need is not there yet.
	began = time.Now()
	tabs := browserTabs(t, bctx, 60*time.Second, personTab{"dispatcher", tablet}, personTab{"resident", phone}, personTab{"volunteer", phone})
	dctx, rctx, vctx := tabs[0], tabs[1], tabs[2]
	signInByForm(t, dctx, base, login, password, post.Name)
	resp2 := browse(t, dctx, "open /console", chromedp.Navigate(base+"/console"))
	if resp2.Status != 200 || resp2.URL != base+"/console" {
		t.Fatalf("GET /console: %d %s", resp2.Status, resp2.URL)
	}
	if h1 := text(t, dctx, `header.site-head h1`); h1 != site.Name {
		t.Errorf("the console is headed %q, want the post's name %q", h1, site.Name)
	}
	if w := evalJS[int](t, dctx, `window.innerWidth`); w != int(tablet.Width) {
		t.Errorf("the tablet's viewport is %d CSS px wide, want %d", w, tablet.Width)
	}
	fitsWidth(t, dctx, "/console")
	// On the tablet the list and the map stand side by side, using the width.
	if w := evalJS[float64](t, dctx, `document.getElementById('needs').getBoundingClientRect().width`); w < 500 {
		t.Errorf("the console's list is %.0f CSS px wide on a %d px tablet", w, tablet.Width)
	}
	if strings.Contains(text(t, dctx, `#needs`), description) {
		t.Fatal("the console lists the need before it was submitted")
	}
	waitJS(t, dctx, "the console's event stream never opened", `!document.getElementById('live').hidden`, 10*time.Second)
	evalJS[bool](t, dctx, `window.__noReload = performance.timeOrigin; true`)

	// The resident submits the need on the post's page.
	resp2 = browse(t, rctx, "open the site page", chromedp.Navigate(base+"/s/"+postA1))
	if resp2.Status != 200 {
		t.Fatalf("GET /s/%s: %d", postA1, resp2.Status)
	}
	fitsWidth(t, rctx, "the site page")
	err = chromedp.Do(rctx,
		chromedp.SetValue(chromedp.CSS(`#need select[name=category]`), "卫生健康"),
		chromedp.SendKeys(chromedp.CSS(`#need textarea[name=description]`), description),
		chromedp.SendKeys(chromedp.CSS(`#need input[name=phone]`), phoneRes),
	)
	if err != nil {
		t.Fatalf("fill 我要点单: %v", err)
	}
	resp2 = browse(t, rctx, "submit 我要点单", chromedp.Tap(chromedp.CSS(`#need button[type=submit]`)))
	receiptRE := regexp.MustCompile(`^` + regexp.QuoteMeta(base) + `/n/([0-9A-Z]+)\?new=1$`)
	sm := receiptRE.FindStringSubmatch(resp2.URL)
	if resp2.Status != 200 || sm == nil {
		t.Fatalf("after submitting: %d %s, want the receipt page", resp2.Status, resp2.URL)
	}
	code := sm[1]
	receiptURL := base + "/n/" + code
	fitsWidth(t, rctx, "the receipt page")
	if s := text(t, rctx, `p.ok[role=status]`); !strings.Contains(s, "点单已提交") {
		t.Errorf("the new receipt page says %q", s)
	}
	if s := text(t, rctx, `.status`); s != "审核中" {
		t.Errorf("the new need's status reads %q, want 审核中", s)
	}
	if r := text(t, rctx, `strong.receipt`); r != dispatch.FormatReceipt(code) || !regexp.MustCompile(`^[0-9A-Z]{4}(-[0-9A-Z]{4})+$`).MatchString(r) {
		t.Errorf("the receipt reads %q, want %s in groups of four", r, code)
	}
	n, err := m.store.NeedByReceipt(ctx, dispatch.ReceiptHash(code))
	if err != nil {
		t.Fatal(err)
	}
	if n.Description != description || n.Phone != phoneRes || n.SiteCode != postA1 || n.Status != civmap.NeedSubmitted {
		t.Fatalf("the stored need: %+v", n)
	}
	card := fmt.Sprintf("#need-%d", n.ID)
	public.waitFor(t, fmt.Sprintf(`"type":"need.created","id":%d,`, n.ID))

	// It appears on the console without a reload.
	waitJS(t, dctx, "the new need never appeared on the console", fmt.Sprintf(`document.querySelector(%q) !== null`, card), 10*time.Second)
	if !evalJS[bool](t, dctx, `window.__noReload === performance.timeOrigin`) {
		t.Error("the console reloaded the page to show the new need")
	}
	if s := text(t, dctx, card); !strings.Contains(s, description) || !strings.Contains(s, phoneRes) || !strings.Contains(s, "审核中") {
		t.Errorf("the console's card of the new need:\n%s", s)
	}
	fitsWidth(t, dctx, "the console with the new need")

	// 制单 for tomorrow 09:00–11:00.
	day := time.Now().In(web.China).AddDate(0, 0, 1).Format("2006-01-02")
	order := card + ` details:has(input[name=action][value=order])`
	err = chromedp.Do(dctx,
		chromedp.Tap(chromedp.CSS(order+` > summary`)),
		chromedp.WaitVisible(chromedp.CSS(order+` button[type=submit]`)),
		chromedp.SetValue(chromedp.CSS(order+` input[name=date]`), day),
		chromedp.SetValue(chromedp.CSS(order+` input[name=start_time]`), "09:00"),
		chromedp.SetValue(chromedp.CSS(order+` input[name=end_time]`), "11:00"),
	)
	if err != nil {
		t.Fatalf("fill 制单: %v", err)
	}
	resp2 = browse(t, dctx, "submit 制单", chromedp.Tap(chromedp.CSS(order+` button[type=submit]`)))
	if resp2.Status != 200 || !strings.HasPrefix(resp2.URL, base+"/console?done=order") {
		t.Fatalf("after 制单: %d %s", resp2.Status, resp2.URL)
	}
	// The order's own notification may reload the list once: let it.
	notes.wait(t, "order", n.ID, "site:"+postA1)
	waitJS(t, dctx, "the console's event stream never opened", `!document.getElementById('live').hidden`, 10*time.Second)
	settleJS(t, dctx, "#needs", 500*time.Millisecond)
	if n, _ = m.store.Need(ctx, n.ID); n.Status != civmap.NeedOrdered || n.Order.Start.In(web.China).Format("2006-01-02 15:04") != day+" 09:00" ||
		n.Order.End.Sub(n.Order.Start) != 2*time.Hour || n.Order.Skill != "卫生健康" {
		t.Fatalf("after 制单 the need is %s with order %+v", n.Status, n.Order)
	}
	if s := text(t, dctx, card+` h2 .badge`); s != civmap.NeedOrdered.Title() {
		t.Errorf("after 制单 the card's status reads %q", s)
	}
	fitsWidth(t, dctx, "the console with the candidates")

	// 派单 to the top candidate, checked by default.
	type box struct {
		Value   string `json:"value"`
		Checked bool   `json:"checked"`
		Label   string `json:"label"`
	}
	var boxes []box
	raw := evalJS[string](t, dctx, fmt.Sprintf(`JSON.stringify([...document.querySelectorAll(%q)].map(b => ({value: b.value, checked: b.checked, label: b.closest('label').innerText})))`,
		card+` form.candidates input[name=volunteer]`))
	if err := json.Unmarshal([]byte(raw), &boxes); err != nil {
		t.Fatal(err)
	}
	if len(boxes) < 2 || boxes[0].Value != strconv.FormatInt(top.ID, 10) || !boxes[0].Checked || !strings.Contains(boxes[0].Label, top.Name) ||
		boxes[1].Value != strconv.FormatInt(second.ID, 10) || boxes[1].Checked {
		t.Fatalf("candidates: %+v; want %s (%d) first and checked, %s (%d) second", boxes, top.Name, top.ID, second.Name, second.ID)
	}
	for _, b := range boxes[1:] {
		if b.Checked {
			t.Errorf("candidate %+v is checked too", b)
		}
	}
	if strings.Contains(raw, vols[2].Name) {
		t.Errorf("%s, without the skill, is a candidate", vols[2].Name)
	}
	resp2 = browse(t, dctx, "tap 派给所选志愿者", chromedp.Tap(chromedp.CSS(card+` form.candidates button.primary`)))
	if resp2.Status != 200 || !strings.HasPrefix(resp2.URL, base+"/console?done=dispatch") {
		t.Fatalf("after 派单: %d %s", resp2.Status, resp2.URL)
	}
	if n, _ = m.store.Need(ctx, n.ID); n.Status != civmap.NeedDispatched || fmt.Sprint(n.Order.Offered) != fmt.Sprint([]int64{top.ID}) {
		t.Fatalf("after 派单 the need is %s, offered to %v; want dispatched to [%d]", n.Status, n.Order.Offered, top.ID)
	}
	if s := text(t, dctx, card+` h2 .badge`); s != civmap.NeedDispatched.Title() {
		t.Errorf("after 派单 the card's status reads %q", s)
	}
	evalJS[bool](t, dctx, `window.__noReload = performance.timeOrigin; true`)
	waitJS(t, dctx, "the console's event stream never opened", `!document.getElementById('live').hidden`, 10*time.Second)
	// The dispatcher opens the 取消 form, which must stay open while the list follows the order.
	cancelForm := card + ` details:has(input[name=action][value=cancel])`
	if err := chromedp.Do(dctx, chromedp.Tap(chromedp.CSS(cancelForm+` > summary`)), chromedp.WaitVisible(chromedp.CSS(cancelForm+` input[name=reason]`))); err != nil {
		t.Fatalf("open 取消: %v", err)
	}

	// The volunteer signs in with the personal code and finds the order under 我的单.
	resp2 = browse(t, vctx, "open the personal code", chromedp.Navigate(codeURL))
	if resp2.Status != 200 {
		t.Fatalf("GET the personal code's page: %d", resp2.Status)
	}
	fitsWidth(t, vctx, "the personal code's page")
	resp2 = browse(t, vctx, "tap 确认登录", chromedp.Tap(chromedp.CSS(`form[action^="/p/"] button[type=submit]`)))
	if resp2.Status != 200 || resp2.URL != base+"/me" {
		t.Fatalf("after 确认登录: %d %s", resp2.Status, resp2.URL)
	}
	if h1 := text(t, vctx, `header.site-head h1`); h1 != top.Name {
		t.Fatalf("/me shows %q, want %q", h1, top.Name)
	}
	fitsWidth(t, vctx, "/me")
	ocard := fmt.Sprintf("#orders #order-%d", n.ID)
	if s := text(t, vctx, ocard); !strings.Contains(s, "卫生健康") || !strings.Contains(s, "派给我的") || !strings.Contains(s, site.Name) {
		t.Errorf("the offered order on /me:\n%s", s)
	}
	step := func(action, button, state string) {
		t.Helper()
		resp := browse(t, vctx, "tap "+button, chromedp.Tap(chromedp.CSS(ocard+` button.primary`)))
		if resp.Status != 200 || !strings.HasPrefix(resp.URL, base+"/me?done="+action) {
			t.Fatalf("after %s: %d %s", button, resp.Status, resp.URL)
		}
		if s := text(t, vctx, `p.ok[role=status]`); s != "已"+button+"。" {
			t.Errorf("after %s /me says %q", button, s)
		}
		if state != "" {
			if s := text(t, vctx, ocard+` .badge`); s != state {
				t.Errorf("after %s the order's badge reads %q, want %q", button, s, state)
			}
		}
	}
	if s := text(t, vctx, ocard+` button.primary`); s != "接单" {
		t.Fatalf("the offered order's button reads %q", s)
	}
	step("accept", "接单", "已接单")
	waitJS(t, dctx, "the console never showed the volunteer's acceptance",
		fmt.Sprintf(`(document.querySelector(%q)?.innerText ?? '').includes(%q)`, card+` .holders`, top.Name+"：已接单"), 10*time.Second)
	if s := evalJS[string](t, dctx, fmt.Sprintf(`[...document.querySelectorAll(%q)].map(d => d.querySelector('summary').textContent).join()`, card+` details[open]`)); s != "取消" {
		t.Errorf("after the list followed the acceptance, the open forms are %q, want 取消", s)
	}
	if s := text(t, vctx, ocard); !strings.Contains(s, description) || strings.Contains(s, phoneRes) {
		t.Errorf("the accepted order shows the volunteer:\n%s\nwant the description and not the resident's phone", s)
	}
	step("start", "开始服务", "服务中")
	fitsWidth(t, vctx, "/me serving")
	if err := chromedp.Do(vctx, chromedp.SetValue(chromedp.CSS(ocard+` input[name=hours]`), "1.5")); err != nil {
		t.Fatal(err)
	}
	step("finish", "完成服务", "")
	if s := text(t, vctx, `main`); !strings.Contains(s, "已完成") || !strings.Contains(s, "1.5 小时") {
		t.Errorf("/me after 完成服务 does not list the order as done with 1.5 hours:\n%s", s)
	}
	if n, _ = m.store.Need(ctx, n.ID); n.Status != civmap.NeedDone {
		t.Fatalf("after 完成服务 the need is %s", n.Status)
	}

	// The console drops the finished order by itself.
	waitJS(t, dctx, "the finished need stayed on the console", fmt.Sprintf(`document.querySelector(%q) === null`, card), 10*time.Second)
	if !evalJS[bool](t, dctx, `window.__noReload === performance.timeOrigin`) {
		t.Error("the console reloaded the page to follow the order")
	}

	// The resident follows each step and rates the service.
	resp2 = browse(t, rctx, "reload the receipt", chromedp.Navigate(receiptURL))
	if resp2.Status != 200 {
		t.Fatalf("GET the receipt: %d", resp2.Status)
	}
	fitsWidth(t, rctx, "the receipt page when done")
	steps := text(t, rctx, `ol.steps`)
	at := 0
	for _, want := range []string{"已提交点单", "实践站已受理制单", "已派单", "志愿者已接单（" + teamName + "）", "志愿者开始服务（" + teamName + "）", "服务已完成（" + teamName + "）"} {
		i := strings.Index(steps[at:], want)
		if i < 0 {
			t.Errorf("the receipt's steps lack %q after position %d:\n%s", want, at, steps)
			continue
		}
		at += i + len(want)
	}
	body := text(t, rctx, `body`)
	for _, v := range vols {
		if strings.Contains(body, v.Name) || strings.Contains(body, v.Phone) {
			t.Errorf("the receipt page names volunteer %s or their phone", v.Name)
		}
	}
	if strings.Contains(body, phoneRes) || strings.Contains(body, description) || strings.Contains(body, post.Name) {
		t.Error("the receipt page shows the resident's phone or text, or the dispatcher's name")
	}
	err = chromedp.Do(rctx,
		chromedp.Tap(chromedp.CSS(`#rate input[name=rating][value="5"]`)),
		chromedp.SendKeys(chromedp.CSS(`#rate textarea[name=comment]`), comment),
	)
	if err != nil {
		t.Fatalf("fill 评价: %v", err)
	}
	resp2 = browse(t, rctx, "submit 评价", chromedp.Tap(chromedp.CSS(`#rate button[type=submit]`)))
	if resp2.Status != 200 || resp2.URL != receiptURL {
		t.Fatalf("after 评价: %d %s", resp2.Status, resp2.URL)
	}
	if s := text(t, rctx, `.status`); s != "已评价" {
		t.Errorf("after rating the status reads %q", s)
	}
	fitsWidth(t, rctx, "the receipt page when rated")
	if s := text(t, rctx, `ol.steps li:last-child`); !strings.Contains(s, "已评价") || !strings.Contains(s, "5 星") {
		t.Errorf("the last step after rating: %q", s)
	}
	if evalJS[bool](t, rctx, `document.getElementById('rate') !== null`) {
		t.Error("the receipt still offers a rating")
	}
	if n, _ = m.store.Need(ctx, n.ID); n.Status != civmap.NeedRated || n.Rating != 5 || n.Comment != comment {
		t.Errorf("after rating: %s, %d, %q", n.Status, n.Rating, n.Comment)
	}
	browser := time.Since(began)

	// The privacy scan, with one more need submitted while the public stream is read.
	began = time.Now()
	homes := map[string]orb.Point{}
	var names, phones []string
	all, err := m.store.ListVolunteers(ctx, store.VolunteerFilter{})
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range all {
		homes["the home of volunteer "+v.Name] = v.Home.Point
		names = append(names, v.Name)
		if v.Phone != "" {
			phones = append(phones, v.Phone)
		}
	}
	if len(all) < 100 {
		t.Fatalf("only %d volunteers: the demo data is missing", len(all))
	}
	resp, b = postNeed(t, from(t, "127.0.0.96"), base, map[string]any{"category": "爱心帮扶", "description": "需要帮忙买菜送到家",
		"phone": "13700001111", "place": map[string]any{"code": postA1}})
	if resp.StatusCode != 201 {
		t.Fatalf("submit a second need: %d %s", resp.StatusCode, b)
	}
	var more struct {
		ID      int64
		Receipt struct{ URL string }
	}
	json.Unmarshal(b, &more)
	public.waitFor(t, fmt.Sprintf(`"type":"need.created","id":%d,`, more.ID))
	public.close()
	phones = append(phones, phoneRes, "13700001111")
	needs, err := m.store.ListNeeds(ctx, store.NeedFilter{IncludeHidden: true})
	if err != nil {
		t.Fatal(err)
	}
	for _, x := range needs {
		if x.Place.Point != nil {
			homes[fmt.Sprintf("the point of need %d", x.ID)] = x.Location.Point
		}
		if x.Phone != "" && !slices.Contains(phones, x.Phone) {
			phones = append(phones, x.Phone)
		}
	}
	scan := newPrivacyScan(names, phones, homes)
	// The scan itself finds what it looks for.
	planted := fmt.Sprintf(`{"name":%q,"geometry":{"coordinates":[%.6f,%.6f]},"phone":"%s","lat":%.5f,"lon":%.5f,"at":"2026-01-01T10:00:%.6fZ"}`,
		top.Name, top.Home[0], top.Home[1], phoneRes, second.Home[1], second.Home[0], second.Home[1])
	if got := scan.find(planted); len(got) != 4 {
		t.Fatalf("the privacy scan finds %q in %s; want the name, the phone and two homes", got, planted)
	}
	scan.text(t, "GET /api/v1/events (public stream)", public.text())
	scanAnonymous(t, m, scan, []string{receiptURL, more.Receipt.URL},
		[]orb.Point{top.Home, second.Home, vols[2].Home, site.Location.Point})
	if scan.points == 0 {
		t.Error("the tiles over the post held no need or activity to check")
	}
	t.Logf("%s: setup %v, browser scenario %v, privacy scan %v (%d responses, %d tiles, %d point features)", m.storeKind,
		setup.Round(time.Millisecond), browser.Round(time.Millisecond), time.Since(began).Round(time.Millisecond), scan.responses, scan.tiles, scan.points)
}

// privacyScan looks for personal data in anonymous responses: volunteers' names and phone
// numbers, residents' phone numbers, and the coordinates of volunteers' homes and of needs
// placed at bare points (residents' homes).
type privacyScan struct {
	names, phones []string
	demoName      *regexp.Regexp
	// pairs maps a home's "lon,lat" and "lat,lon" at 5 decimals (truncated and rounded) to
	// what it is.
	pairs            map[string]string
	homes            map[string]orb.Point
	grid             map[[2]int][]string // homes by 0.01° cell
	responses, tiles int
	points           int // point features looked at in tiles
}

func newPrivacyScan(names, phones []string, homes map[string]orb.Point) *privacyScan {
	s := &privacyScan{phones: phones, demoName: regexp.MustCompile(`示例志愿者\d{4}`), pairs: map[string]string{}, homes: homes,
		grid: map[[2]int][]string{}}
	whole := regexp.MustCompile(`^` + s.demoName.String() + `$`)
	for _, n := range names {
		if !whole.MatchString(n) { // the generated demo names are matched by their pattern
			s.names = append(s.names, n)
		}
	}
	for what, p := range homes {
		for _, lon := range fives(p[0]) {
			for _, lat := range fives(p[1]) {
				s.pairs[lon+","+lat] = what
				s.pairs[lat+","+lon] = what
			}
		}
		c := gridCell(p)
		s.grid[c] = append(s.grid[c], what)
	}
	return s
}

// fives is a coordinate at 5 decimals, truncated and rounded.
func fives(x float64) []string {
	six := strconv.FormatFloat(x, 'f', 6, 64)
	return []string{six[:len(six)-1], strconv.FormatFloat(x, 'f', 5, 64)}
}

func gridCell(p orb.Point) [2]int {
	return [2]int{int(math.Floor(p[0] * 100)), int(math.Floor(p[1] * 100))}
}

// number is a decimal number with 5 decimals or more, not preceded by a digit, a dot, or a colon
// after a digit (the seconds of a time).
var decimalNumber = regexp.MustCompile(`(?:^|[^0-9.:]|[^0-9]:)(-?\d{1,3}\.\d{5,})`)

// find returns the personal data body holds.
func (s *privacyScan) find(body string) []string {
	var out []string
	for _, n := range s.names {
		if strings.Contains(body, n) {
			out = append(out, fmt.Sprintf("volunteer name %q", n))
		}
	}
	if x := s.demoName.FindString(body); x != "" {
		out = append(out, fmt.Sprintf("volunteer name %q", x))
	}
	for _, p := range s.phones {
		if strings.Contains(body, p) {
			out = append(out, "phone number "+p)
		}
	}
	// Coordinates: two numbers in a row that are a home's lon and lat (or lat and lon) at 5
	// decimals or more.
	var prev string
	for _, m := range decimalNumber.FindAllStringSubmatch(body, -1) {
		x := m[1][:strings.IndexByte(m[1], '.')+6]
		if what, ok := s.pairs[prev+","+x]; ok {
			out = append(out, fmt.Sprintf("%s (%s, %s)", what, prev, x))
		}
		prev = x
	}
	return out
}

// text checks one response body.
func (s *privacyScan) text(t *testing.T, what, body string) {
	t.Helper()
	s.responses++
	for _, f := range s.find(body) {
		t.Errorf("%s holds %s", what, f)
	}
}

// tile checks a tile: no property holds a name or phone, and no point feature outside the sites
// and venues layers lies within 1 m of a home (plus the most the encoding moves a point).
func (s *privacyScan) tile(t *testing.T, tl maptile.Tile, b []byte) {
	t.Helper()
	s.tiles++
	layers, err := storetest.DecodeTile(b)
	if err != nil {
		t.Fatalf("tile %v: %v", tl, err)
	}
	what := fmt.Sprintf("tile %d/%d/%d", tl.Z, tl.X, tl.Y)
	for name, l := range layers {
		for _, f := range l.Features {
			var props strings.Builder
			for k, v := range f.Props {
				fmt.Fprintf(&props, "%s=%s\n", k, v)
			}
			for _, x := range s.find(props.String()) {
				t.Errorf("%s layer %s feature %d holds %s", what, name, f.ID, x)
			}
			if name == string(tiles.LayerSites) || name == string(tiles.LayerVenues) {
				continue
			}
			var pts []orb.Point
			switch g := f.Geometry.(type) {
			case orb.Point:
				pts = []orb.Point{g}
			case orb.MultiPoint:
				pts = g
			}
			for _, p := range pts {
				s.points++
				ll := tilePoint(tl, p)
				// Half a tile unit's diagonal: the most the encoding moves a point.
				tol := 1 + 40075016.686*math.Cos(ll[1]*math.Pi/180)/math.Exp2(float64(tl.Z))/tiles.Extent*math.Sqrt2/2
				c := gridCell(ll)
				for dx := -1; dx <= 1; dx++ {
					for dy := -1; dy <= 1; dy++ {
						for _, h := range s.grid[[2]int{c[0] + dx, c[1] + dy}] {
							if d := orbgeo.Distance(ll, s.homes[h]); d <= tol {
								t.Errorf("%s layer %s: feature %d lies %.1f m from %s", what, name, f.ID, d, h)
							}
						}
					}
				}
			}
		}
	}
}

// tilePoint is a point in tile units of tl in WGS-84 lon/lat.
func tilePoint(tl maptile.Tile, p orb.Point) orb.Point {
	n := math.Exp2(float64(tl.Z))
	x := (float64(tl.X) + p[0]/tiles.Extent) / n
	y := (float64(tl.Y) + p[1]/tiles.Extent) / n
	return orb.Point{x*360 - 180, math.Atan(math.Sinh(math.Pi*(1-2*y))) * 180 / math.Pi}
}

// scanAnonymous fetches, as an anonymous client, every API list and item that answers without
// signing in, the public pages, the receipt pages, and the composite tiles over points at
// several zooms, and has scan check each answer.
func scanAnonymous(t *testing.T, m *Serve, scan *privacyScan, receipts []string, points []orb.Point) {
	t.Helper()
	base := m.URL()
	c := from(t, "127.0.0.97")
	fetch := func(path string) (int, []byte) { // a path on the server, or a URL
		t.Helper()
		if strings.HasPrefix(path, "/") {
			path = base + path
		}
		req, _ := http.NewRequest(http.MethodGet, path, nil)
		resp, b := do(t, c, req)
		return resp.StatusCode, b
	}
	check := func(path string, want ...int) {
		t.Helper()
		status, b := fetch(path)
		if !slices.Contains(want, status) {
			t.Errorf("anonymous GET %s: %d, want %v", path, status, want)
		}
		scan.text(t, "anonymous GET "+path, string(b))
	}
	ctx := context.Background()
	check("/api/v1/sites", 200)
	sites, err := m.store.ListSites(ctx, store.SiteFilter{})
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range sites {
		check("/api/v1/sites/"+s.Code, 200)
	}
	check("/api/v1/venues", 200)
	venues, err := m.store.ListVenues(ctx, store.VenueFilter{})
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range venues {
		check("/api/v1/venues/"+v.Code, 200)
	}
	check("/api/v1/activities", 200)
	acts, err := m.store.ListActivities(ctx, store.ActivityFilter{IncludeHidden: true})
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range acts {
		check(fmt.Sprintf("/api/v1/activities/%d", a.ID), 200, 404)
	}
	check("/api/v1/needs", 200)
	check("/api/v1/needs?site="+postA1, 200)
	needs, err := m.store.ListNeeds(ctx, store.NeedFilter{IncludeHidden: true})
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range needs {
		check(fmt.Sprintf("/api/v1/needs/%d", n.ID), 200, 404)
	}
	if len(needs) > 0 {
		id := needs[0].ID
		for _, p := range []string{"history", "candidates"} {
			check(fmt.Sprintf("/api/v1/needs/%d/%s", id, p), 401)
		}
	}
	for _, layer := range []string{"needs", "activities"} {
		for res := 0; res <= 8; res++ {
			check(fmt.Sprintf("/api/v1/clusters?layer=%s&res=%d", layer, res), 200)
		}
	}
	check("/api/v1/clusters?layer=needs&res=9", 401)
	check("/api/v1/teams", 200)
	check("/api/v1/teams?site="+postA1, 200)
	check("/api/v1/volunteers", 401)
	check("/api/v1/volunteers/nearest?lon=113.44&lat=29.48", 401)
	check("/api/v1/me", 401)
	check("/api/v1/me/events", 401)
	check("/tiles/"+strings.Join(allLayerNames(), ",")+".json", 200)
	check("/metrics", 200)
	// Pages.
	check("/", 200)
	check("/login", 200)
	check("/console", 200, 303)
	check("/me", 200, 303)
	for _, code := range []string{postA1, townA, "430682"} {
		check("/s/"+code, 200)
	}
	for _, r := range receipts {
		check(r, 200)
	}
	// Tiles over the points and their neighbours' homes, at several zooms.
	layers := strings.Join(allLayerNames(), ",")
	seen := map[maptile.Tile]bool{}
	for _, z := range []maptile.Zoom{8, 10, 12, 14, 16} {
		for _, p := range points {
			at := maptile.At(p, z)
			for dx := -1; dx <= 1; dx++ {
				for dy := -1; dy <= 1; dy++ {
					tl := maptile.New(uint32(int(at.X)+dx), uint32(int(at.Y)+dy), z)
					if seen[tl] {
						continue
					}
					seen[tl] = true
					status, b := fetch(fmt.Sprintf("/tiles/%s/%d/%d/%d.mvt", layers, tl.Z, tl.X, tl.Y))
					if status != 200 && status != 204 {
						t.Errorf("tile %v: %d", tl, status)
						continue
					}
					scan.tile(t, tl, b)
				}
			}
		}
	}
}

func allLayerNames() []string {
	var out []string
	for _, l := range tiles.Layers {
		out = append(out, string(l))
	}
	return out
}
