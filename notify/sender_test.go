package notify

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"civmap"
	"civmap/store"
	"civmap/store/embedded"
	"civmap/workflow"

	"github.com/paulmach/orb"
	"github.com/prometheus/client_golang/prometheus"
)

var testSecret = []byte("0123456789abcdef0123456789abcdef")

var center = civmap.Site{Code: "430682", Name: "临湘市新时代文明实践中心", Level: civmap.LevelCenter,
	Location: civmap.Location{Point: orb.Point{113.4403, 29.4813}, Source: civmap.CoordSynthetic, Precision: civmap.PrecisionCounty}}

var system = civmap.WithActor(context.Background(), civmap.Actor{System: "notify-test"})

// openStore opens an embedded store in a temporary directory with the center site in it.
func openStore(t *testing.T) *embedded.Store {
	t.Helper()
	st, err := embedded.Open(context.Background(), filepath.Join(t.TempDir(), "civmap.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if _, err := st.Put(system, store.Batch{Sites: []civmap.Site{center}}); err != nil {
		t.Fatal(err)
	}
	return st
}

// createNeed creates a need at the center; the store writes its "submit" notification.
func createNeed(t *testing.T, st store.Store, phone string) civmap.Need {
	t.Helper()
	n, _, err := st.CreateNeed(system, civmap.Need{Category: "卫生健康", Description: "老人需要量血压", Place: civmap.Place{Code: center.Code},
		SiteCode: center.Code, Location: center.Location, Status: civmap.NeedSubmitted, Phone: phone})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// clock is a fake clock.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func newClock() *clock { return &clock{now: time.Now().UTC().Add(time.Second).Truncate(time.Second)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

// request is what the receiver saw.
type request struct {
	key, attempt string
	body         Webhook
	raw          string
	sigErr       error
	status       int
}

// receiver is a webhook endpoint that verifies signatures against now and answers with
// answer(n) for the n-th request (from 0).
type receiver struct {
	t      *testing.T
	now    func() time.Time
	answer func(n int) int
	mu     sync.Mutex
	reqs   []request
}

func newReceiver(t *testing.T, now func() time.Time, answer func(n int) int) (*receiver, *httptest.Server) {
	r := &receiver{t: t, now: now, answer: answer}
	srv := httptest.NewServer(r)
	t.Cleanup(srv.Close)
	return r, srv
}

func (rc *receiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	raw, _ := io.ReadAll(r.Body)
	q := request{key: r.Header.Get(HeaderIdempotencyKey), attempt: r.Header.Get(HeaderAttempt), raw: string(raw),
		sigErr: Verify(testSecret, r.Header.Get(HeaderSignature), r.Header.Get(HeaderTimestamp), raw, rc.now(), time.Minute)}
	if r.Method != http.MethodPost || r.Header.Get("Content-Type") != "application/json" {
		q.sigErr = fmt.Errorf("%s with content type %q", r.Method, r.Header.Get("Content-Type"))
	}
	if err := json.Unmarshal(raw, &q.body); err != nil {
		q.sigErr = err
	}
	rc.mu.Lock()
	q.status = rc.answer(len(rc.reqs))
	rc.reqs = append(rc.reqs, q)
	rc.mu.Unlock()
	w.WriteHeader(q.status)
}

func (rc *receiver) requests() []request {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]request(nil), rc.reqs...)
}

// run starts s with a pass hook; step kicks it and returns how many notifications the pass
// claimed. Run's first pass happens at once: the first step call returns it.
type runner struct {
	t      *testing.T
	s      *Sender
	passes chan int
	first  bool
}

func start(t *testing.T, s *Sender) *runner {
	r := &runner{t: t, s: s, passes: make(chan int, 100), first: true}
	s.onPass = func(n int) { r.passes <- n }
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	})
	return r
}

func (r *runner) step() int {
	r.t.Helper()
	if r.first {
		r.first = false
	} else {
		r.s.Kick()
	}
	select {
	case n := <-r.passes:
		return n
	case <-time.After(10 * time.Second):
		r.t.Fatal("no pass within 10 s")
	}
	return 0
}

func counter(t *testing.T, reg *prometheus.Registry, name string, label ...string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	sum := 0.0
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
	metrics:
		for _, m := range mf.GetMetric() {
			for i := 0; i+1 < len(label); i += 2 {
				for _, lp := range m.GetLabel() {
					if lp.GetName() == label[i] && lp.GetValue() != label[i+1] {
						continue metrics
					}
				}
			}
			sum += m.GetCounter().GetValue()
		}
	}
	return sum
}

// undelivered claims everything left in the outbox far in the future.
func undelivered(t *testing.T, st store.Outbox, now time.Time) []civmap.Notification {
	t.Helper()
	ns, err := st.ClaimNotifications(context.Background(), now.Add(30*24*time.Hour), 1000, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	return ns
}

// subscriber is api.Subscriber, which a Sender must satisfy (the API's personal event streams).
type subscriber interface {
	Subscribe(keep func(recipient string) bool, buffer int) (c <-chan civmap.Notification, stop func())
}

var _ subscriber = (*Sender)(nil)

func drain(c <-chan civmap.Notification) []civmap.Notification {
	var out []civmap.Notification
	for {
		select {
		case e := <-c:
			out = append(out, e)
		default:
			return out
		}
	}
}

func TestDeliverOnce(t *testing.T) {
	st := openStore(t)
	clk := newClock()
	need := createNeed(t, st, "13900139000")
	admin, err := st.CreateUser(system, civmap.User{Login: "admin", Name: "管理员", Role: civmap.RoleAdmin,
		PasswordHash: "$argon2id$v=19$m=65536,t=3,p=4$c2FsdA$admin"})
	if err != nil {
		t.Fatal(err)
	}
	// 制单: the resident and the site hear of it.
	_, _, err = st.Transition(system, need.ID, workflow.Request{Action: workflow.Order, Now: clk.Now(),
		Actor: workflow.Actor{Kind: workflow.Staff, User: &admin}, Start: clk.Now().Add(time.Hour), End: clk.Now().Add(2 * time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	rc, srv := newReceiver(t, clk.Now, func(int) int { return http.StatusOK })
	reg := prometheus.NewRegistry()
	var phoneAsked []int64
	s, err := New(Config{Outbox: st, WebhookURL: srv.URL, WebhookSecret: testSecret, Now: clk.Now, Poll: time.Hour, Registerer: reg,
		ResidentPhone: func(_ context.Context, id int64) (string, error) {
			phoneAsked = append(phoneAsked, id)
			n, err := st.Need(context.Background(), id)
			return n.Phone, err
		}})
	if err != nil {
		t.Fatal(err)
	}
	all, _ := s.Subscribe(nil, 16)
	resident, _ := s.Subscribe(Recipients("resident"), 4)
	site, _ := s.Subscribe(Recipients("site:"+center.Code), 4)
	other, stopOther := s.Subscribe(Recipients("site:430682001"), 4)
	r := start(t, s)
	if n := r.step(); n != 3 {
		t.Fatalf("first pass claimed %d, want 3 (submit>site, order>resident, order>site)", n)
	}
	if n := r.step(); n != 0 {
		t.Errorf("second pass claimed %d", n)
	}
	reqs := rc.requests()
	keys := map[string]request{}
	for _, q := range reqs {
		if q.sigErr != nil {
			t.Errorf("request %s: %v", q.key, q.sigErr)
		}
		if q.key != q.body.ID || !strings.HasPrefix(q.key, fmt.Sprintf("need/%d/event/", need.ID)) || q.attempt != "1" {
			t.Errorf("request key %q, body id %q, attempt %s", q.key, q.body.ID, q.attempt)
		}
		if _, dup := keys[q.key]; dup {
			t.Errorf("%s delivered twice", q.key)
		}
		keys[q.key] = q
		if strings.Contains(q.raw, "量血压") {
			t.Errorf("the webhook body holds the resident's description: %s", q.raw)
		}
		var p map[string]any
		if err := json.Unmarshal(q.body.Payload, &p); err != nil || p["need_id"] != float64(need.ID) || p["status"] == nil {
			t.Errorf("payload %s", q.body.Payload)
		}
		wantPhone := ""
		if q.body.Recipient == "resident" {
			wantPhone = "13900139000"
		}
		if q.body.Phone != wantPhone || q.body.NeedID != need.ID || q.body.CreatedAt.IsZero() {
			t.Errorf("body %s", q.raw)
		}
	}
	if len(reqs) != 3 || len(keys) != 3 {
		t.Errorf("%d requests for %d keys, want 3 and 3", len(reqs), len(keys))
	}
	if len(phoneAsked) != 1 || phoneAsked[0] != need.ID {
		t.Errorf("ResidentPhone asked for %v", phoneAsked)
	}
	// Subscribers: by filter, once each, never a phone.
	evs := drain(all)
	if len(evs) != 3 {
		t.Errorf("the unfiltered subscriber got %d events", len(evs))
	}
	for _, e := range evs {
		if strings.Contains(string(e.Payload), "13900139000") || strings.Contains(string(e.Payload), "phone") {
			t.Errorf("an event carries the phone: %s", e.Payload)
		}
		if _, ok := keys[e.Key]; !ok {
			t.Errorf("event %s was not sent to the webhook", e.Key)
		}
	}
	if evs := drain(resident); len(evs) != 1 || evs[0].Type != "order" || evs[0].Recipient != "resident" || evs[0].NeedID != need.ID {
		t.Errorf("resident subscriber: %+v", evs)
	}
	if evs := drain(site); len(evs) != 2 {
		t.Errorf("site subscriber got %d events, want 2", len(evs))
	}
	if evs := drain(other); len(evs) != 0 {
		t.Errorf("another site's subscriber got %+v", evs)
	}
	stopOther()
	stopOther()
	if _, ok := <-other; ok {
		t.Error("the channel is still open after stop")
	}
	if left := undelivered(t, st, clk.Now()); len(left) != 0 {
		t.Errorf("%d notifications left undelivered", len(left))
	}
	if got := counter(t, reg, "civmap_notify_delivered_total"); got != 3 {
		t.Errorf("delivered counter %v", got)
	}
	if got := counter(t, reg, "civmap_notify_failed_total"); got != 0 {
		t.Errorf("failed counter %v", got)
	}
}

func TestRetryWithBackoff(t *testing.T) {
	st := openStore(t)
	clk := newClock()
	need := createNeed(t, st, "")
	rc, srv := newReceiver(t, clk.Now, func(n int) int {
		if n < 2 {
			return http.StatusInternalServerError
		}
		return http.StatusOK
	})
	reg := prometheus.NewRegistry()
	s, err := New(Config{Outbox: st, WebhookURL: srv.URL, WebhookSecret: testSecret, Now: clk.Now, Poll: time.Hour, Registerer: reg})
	if err != nil {
		t.Fatal(err)
	}
	sub, _ := s.Subscribe(nil, 16)
	r := start(t, s)
	steps := []struct {
		advance  time.Duration
		claimed  int
		requests int
	}{
		{0, 1, 1},                // attempt 1: 500, retry in 5 s
		{4 * time.Second, 0, 1},  // not due yet
		{time.Second, 1, 2},      // attempt 2: 500, retry in 10 s
		{9 * time.Second, 0, 2},  // not due
		{time.Second, 1, 3},      // attempt 3: 200
		{0, 0, 3},                // delivered: never again
		{2 * time.Hour, 0, 3},    // not even much later
		{60 * time.Second, 0, 3}, // nor after any lease
	}
	for i, c := range steps {
		clk.Advance(c.advance)
		if n := r.step(); n != c.claimed {
			t.Errorf("step %d: claimed %d, want %d", i, n, c.claimed)
		}
		if n := len(rc.requests()); n != c.requests {
			t.Fatalf("step %d: %d requests, want %d", i, n, c.requests)
		}
	}
	reqs := rc.requests()
	for i, q := range reqs {
		if q.sigErr != nil || q.key != reqs[0].key || q.attempt != fmt.Sprint(i+1) || q.body.NeedID != need.ID {
			t.Errorf("request %d: key %s attempt %s status %d: %v", i, q.key, q.attempt, q.status, q.sigErr)
		}
	}
	if reqs[2].status != http.StatusOK {
		t.Errorf("the last request got %d", reqs[2].status)
	}
	if evs := drain(sub); len(evs) != 1 {
		t.Errorf("the subscriber got %d events for 3 attempts, want 1", len(evs))
	}
	for name, want := range map[string]float64{"civmap_notify_delivered_total": 1, "civmap_notify_failed_total": 2, "civmap_notify_retried_total": 2} {
		if got := counter(t, reg, name); got != want {
			t.Errorf("%s = %v, want %v", name, got, want)
		}
	}
	if got := counter(t, reg, "civmap_notify_failed_total", "reason", "status"); got != 2 {
		t.Errorf("failures by status: %v", got)
	}
	if left := undelivered(t, st, clk.Now()); len(left) != 0 {
		t.Errorf("%d notifications left undelivered", len(left))
	}
}

func TestRetryAfterAndTimeout(t *testing.T) {
	st := openStore(t)
	clk := newClock()
	createNeed(t, st, "")
	hang := make(chan struct{})
	var mu sync.Mutex
	calls := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body) // then the server notices the client going away
		mu.Lock()
		calls++
		n := calls
		mu.Unlock()
		switch n {
		case 1: // busy: come back in 2 minutes
			w.Header().Set("Retry-After", "120")
			w.WriteHeader(http.StatusServiceUnavailable)
		case 2: // hangs past the client's timeout
			select {
			case <-hang:
			case <-r.Context().Done():
			}
		default:
			w.WriteHeader(http.StatusNoContent)
		}
	}))
	t.Cleanup(srv.Close)
	t.Cleanup(func() { close(hang) }) // before srv.Close
	reg := prometheus.NewRegistry()
	s, err := New(Config{Outbox: st, WebhookURL: srv.URL, WebhookSecret: testSecret, Now: clk.Now, Poll: time.Hour, Registerer: reg,
		Client: &http.Client{Timeout: 200 * time.Millisecond}})
	if err != nil {
		t.Fatal(err)
	}
	r := start(t, s)
	for i, c := range []struct {
		advance time.Duration
		claimed int
	}{
		{0, 1},                 // 503 Retry-After 120: retry in 120 s, not 5 s
		{5 * time.Second, 0},   // the back-off alone would allow it
		{115 * time.Second, 1}, // attempt 2 times out: retry in 10 s
		{10 * time.Second, 1},  // attempt 3: 204
		{time.Hour, 0},
	} {
		clk.Advance(c.advance)
		if n := r.step(); n != c.claimed {
			t.Errorf("step %d: claimed %d, want %d", i, n, c.claimed)
		}
	}
	for labels, want := range map[[2]string]float64{{"reason", "status"}: 1, {"reason", "timeout"}: 1} {
		if got := counter(t, reg, "civmap_notify_failed_total", labels[0], labels[1]); got != want {
			t.Errorf("failures %v: %v, want %v", labels, got, want)
		}
	}
	if got := counter(t, reg, "civmap_notify_delivered_total"); got != 1 {
		t.Errorf("delivered %v", got)
	}
}

func TestExpired(t *testing.T) {
	st := openStore(t)
	clk := newClock()
	createNeed(t, st, "")
	clk.Advance(DefaultMaxAge + time.Minute)
	rc, srv := newReceiver(t, clk.Now, func(int) int { return http.StatusOK })
	reg := prometheus.NewRegistry()
	s, err := New(Config{Outbox: st, WebhookURL: srv.URL, WebhookSecret: testSecret, Now: clk.Now, Poll: time.Hour, Registerer: reg})
	if err != nil {
		t.Fatal(err)
	}
	sub, _ := s.Subscribe(nil, 4)
	r := start(t, s)
	if n := r.step(); n != 1 {
		t.Fatalf("claimed %d", n)
	}
	if len(rc.requests()) != 0 || len(drain(sub)) != 0 {
		t.Error("an expired notification was sent")
	}
	if got := counter(t, reg, "civmap_notify_expired_total"); got != 1 {
		t.Errorf("expired counter %v", got)
	}
	if left := undelivered(t, st, clk.Now()); len(left) != 0 {
		t.Errorf("an expired notification stays in the outbox")
	}
}

// TestNoWebhook: subscribers alone; a notification counts as delivered once published.
func TestNoWebhook(t *testing.T) {
	st := openStore(t)
	clk := newClock()
	need := createNeed(t, st, "")
	s, err := New(Config{Outbox: st, Now: clk.Now, Poll: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	sub, stop := s.Subscribe(Recipients("site:"+center.Code), 4)
	defer stop()
	r := start(t, s)
	if n := r.step(); n != 1 {
		t.Fatalf("claimed %d", n)
	}
	evs := drain(sub)
	if len(evs) != 1 || evs[0].NeedID != need.ID || evs[0].Type != "submit" {
		t.Errorf("events %+v", evs)
	}
	var p map[string]any
	if err := json.Unmarshal(evs[0].Payload, &p); err != nil || p["site_code"] != center.Code {
		t.Errorf("payload %s: %v", evs[0].Payload, err)
	}
	if left := undelivered(t, st, clk.Now()); len(left) != 0 {
		t.Errorf("%d left", len(left))
	}
}

// TestStopReleases: cancelling Run while a webhook request hangs returns at once and leaves
// the notification due again for the next sender.
func TestStopReleases(t *testing.T) {
	st := openStore(t)
	clk := newClock()
	createNeed(t, st, "")
	arrived := make(chan struct{}, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		arrived <- struct{}{}
		<-r.Context().Done()
	}))
	t.Cleanup(srv.Close)
	s, err := New(Config{Outbox: st, WebhookURL: srv.URL, WebhookSecret: testSecret, Now: clk.Now, Poll: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	select {
	case <-arrived:
	case <-time.After(10 * time.Second):
		t.Fatal("no request")
	}
	if err := s.Run(ctx); err == nil {
		t.Error("a second Run at once was allowed")
	}
	t0 := time.Now()
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Run: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Run did not return within 5 s of cancellation")
	}
	if d := time.Since(t0); d > time.Second {
		t.Errorf("Run took %v to stop", d)
	}
	// Released: due now, not at the end of the lease.
	ns, err := st.ClaimNotifications(context.Background(), clk.Now(), 10, time.Minute)
	if err != nil || len(ns) != 1 {
		t.Errorf("after stopping: %d due, %v; want the released one", len(ns), err)
	}
}

func TestBackoff(t *testing.T) {
	s, err := New(Config{Outbox: store.Outbox(nil)})
	if err == nil || s != nil {
		t.Fatal("New without an outbox")
	}
	st := openStore(t)
	s, err = New(Config{Outbox: st})
	if err != nil {
		t.Fatal(err)
	}
	for attempts, want := range map[int]time.Duration{0: 5 * time.Second, 1: 5 * time.Second, 2: 10 * time.Second, 3: 20 * time.Second,
		10: 2560 * time.Second, 11: time.Hour, 1000: time.Hour} {
		if got := s.Backoff(attempts); got != want {
			t.Errorf("Backoff(%d) = %v, want %v", attempts, got, want)
		}
	}
	for _, c := range []Config{
		{Outbox: st, WebhookURL: "ftp://example.org/", WebhookSecret: testSecret},
		{Outbox: st, WebhookURL: "https://example.org/hook", WebhookSecret: []byte("short")},
		{Outbox: st, WebhookURL: "://", WebhookSecret: testSecret},
	} {
		if _, err := New(c); err == nil {
			t.Errorf("New(%q, %d-byte secret) accepted", c.WebhookURL, len(c.WebhookSecret))
		}
	}
	reg := prometheus.NewRegistry()
	if _, err := New(Config{Outbox: st, Registerer: reg}); err != nil {
		t.Fatal(err)
	}
	if _, err := New(Config{Outbox: st, Registerer: reg}); err == nil {
		t.Error("two senders registered the same metrics")
	}
}
