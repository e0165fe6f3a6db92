//go:build unix

package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"civmap"
	"civmap/notify"
	"civmap/store"
	"civmap/store/embedded"
	"civmap/store/postgis"
	"civmap/store/postgis/pgtest"
)

// TestOutboxSurvivesSIGKILL is the dispatch issue's outbox test with the real binary: `civmap
// serve` is SIGKILLed between the commit of notifications and their delivery, and after a
// restart on the same store the webhook gets exactly one delivery per notification once it
// de-duplicates by idempotency key. Both stores.
//
// Run 1 (lease outboxLease): the first need's "submit" notification is claimed and POSTed; the
// receiver records it and never answers, so that sender's pass is stuck. Meanwhile the test
// creates the other needs and orders, dispatches and rejects some (every commit writes
// notifications the stuck sender cannot claim), then SIGKILLs the server: one notification is
// sent but not marked delivered, all the others are committed and never attempted. Run 2 (same
// store and webhook) delivers the others at once and the hung one again after its lease.
//
// Checked: every signature verifies; the keys that arrive are exactly the notifications of the
// needs' histories (one per recipient of each step), each sent once after de-duplication and
// arriving once (attempt 1), but the hung one twice (attempts 1 and 2); the outbox is empty.
func TestOutboxSurvivesSIGKILL(t *testing.T) {
	bin := buildCivmap(t) // once for both stores
	t.Run("embedded", func(t *testing.T) { testOutboxKill(t, bin) })
	t.Run("postgis", func(t *testing.T) { testOutboxKill(t, bin, "--database-url", pgtest.NewDatabase(t)) })
}

const (
	// outboxLease is run 1's claim lease: it must outlast the requests the test makes while the
	// webhook hangs (well under a second), and run 2 waits for it to end.
	outboxLease = 2 * time.Second
	outboxNeeds = 10
)

// buildCivmap builds the civmap command into a temporary directory.
func buildCivmap(t *testing.T) string {
	t.Helper()
	goCmd, err := exec.LookPath("go")
	if err != nil {
		goCmd = filepath.Join(runtime.GOROOT(), "bin", "go")
		if _, err := os.Stat(goCmd); err != nil {
			t.Skip("no go command to build civmap with")
		}
	}
	bin := filepath.Join(t.TempDir(), "civmap")
	t0 := time.Now()
	if out, err := exec.Command(goCmd, "build", "-o", bin, "civmap/cmd/civmap").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	t.Logf("go build %v", time.Since(t0).Round(time.Millisecond))
	return bin
}

// hookReceiver is the webhook as a gateway should be: it verifies every signature, counts every
// arrival per idempotency key, and acts (counts a send) only the first time it sees a key. It
// records the first request it gets and then never answers it: it holds the connection until
// the sender goes away or release is closed (then it drops the connection, still unanswered).
type hookReceiver struct {
	secret  []byte
	mu      sync.Mutex
	arrived map[string]int      // requests per key
	sent    map[string]int      // side effects per key, after de-duplication
	attempt map[string][]string // X-Civmap-Attempt of each arrival
	body    map[string]notify.Webhook
	bad     []string // requests failing verification
	hungKey string
	hung    chan string   // receives the hung request's key
	release chan struct{} // closed by stop: no longer hold the hung request
	stop    func()
	ended   chan struct{} // closed when the hung request has ended
	endedAt time.Time
}

func newHookReceiver(secret []byte) *hookReceiver {
	rc := &hookReceiver{secret: secret, arrived: map[string]int{}, sent: map[string]int{}, attempt: map[string][]string{},
		body: map[string]notify.Webhook{}, hung: make(chan string, 1), release: make(chan struct{}), ended: make(chan struct{})}
	rc.stop = sync.OnceFunc(func() { close(rc.release) })
	return rc
}

func (rc *hookReceiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	key := r.Header.Get(notify.HeaderIdempotencyKey)
	err := notify.Verify(rc.secret, r.Header.Get(notify.HeaderSignature), r.Header.Get(notify.HeaderTimestamp), body, time.Now(), time.Minute)
	var wh notify.Webhook
	if err == nil {
		if err = json.Unmarshal(body, &wh); err == nil && wh.ID != key {
			err = fmt.Errorf("body id %q", wh.ID)
		}
	}
	rc.mu.Lock()
	if err != nil || key == "" || r.URL.Path != "/hook" {
		rc.bad = append(rc.bad, fmt.Sprintf("%s %q: %v", r.URL.Path, key, err))
		rc.mu.Unlock()
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	rc.arrived[key]++
	rc.attempt[key] = append(rc.attempt[key], r.Header.Get(notify.HeaderAttempt))
	rc.body[key] = wh
	if rc.hungKey == "" {
		// Recorded (a gateway writes its de-duplication set before answering), never answered:
		// the sender cannot mark it delivered.
		rc.hungKey = key
		rc.sent[key]++
		rc.mu.Unlock()
		rc.hung <- key
		select {
		case <-r.Context().Done(): // the sender's connection went away
		case <-rc.release:
		}
		rc.mu.Lock()
		rc.endedAt = time.Now()
		rc.mu.Unlock()
		close(rc.ended)
		panic(http.ErrAbortHandler) // drop the connection without an answer
	}
	if rc.sent[key] == 0 {
		rc.sent[key]++
	}
	rc.mu.Unlock()
	w.WriteHeader(http.StatusOK)
}

func (rc *hookReceiver) counts() (keys, requests int) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	for _, n := range rc.arrived {
		requests += n
	}
	return len(rc.arrived), requests
}

// civmapProc is a running `civmap serve`.
type civmapProc struct {
	cmd    *exec.Cmd
	log    *recorder // stderr
	url    string
	exited chan struct{}
	err    error // Wait's, once exited is closed
}

var servingLine = regexp.MustCompile(`^civmap serving .* at (http://\S+) \(`)

// startCivmap runs `civmap serve` with args and env and waits for the URL it prints.
func startCivmap(t *testing.T, bin string, env []string, args ...string) *civmapProc {
	t.Helper()
	p := &civmapProc{cmd: exec.Command(bin, append([]string{"serve"}, args...)...), log: &recorder{}, exited: make(chan struct{})}
	p.cmd.Env, p.cmd.Stderr = env, p.log
	out, err := p.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	urlc := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if m := servingLine.FindStringSubmatch(sc.Text()); m != nil {
				urlc <- m[1]
			}
		}
		p.err = p.cmd.Wait()
		close(p.exited)
	}()
	t.Cleanup(func() { // before the PostGIS database is dropped
		p.cmd.Process.Kill() // an error once it has exited
		<-p.exited
	})
	select {
	case p.url = <-urlc:
	case <-p.exited:
		t.Fatalf("civmap serve exited: %v\n%s", p.err, p.log)
	case <-time.After(time.Minute):
		t.Fatalf("civmap serve printed no URL within a minute\n%s", p.log)
	}
	return p
}

// wait waits up to d for the process to exit and returns Wait's error.
func (p *civmapProc) wait(t *testing.T, d time.Duration) error {
	t.Helper()
	select {
	case <-p.exited:
		return p.err
	case <-time.After(d):
		t.Fatalf("civmap serve did not exit within %v\n%s", d, p.log)
	}
	return nil
}

// civmapCmd runs another civmap command and returns its standard output.
func civmapCmd(t *testing.T, bin string, env []string, stdin string, args ...string) string {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Env, cmd.Stdin = env, strings.NewReader(stdin)
	var stderr recorder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("civmap %s: %v\n%s", strings.Join(args, " "), err, stderr.String())
	}
	return string(out)
}

func testOutboxKill(t *testing.T, bin string, storeArgs ...string) {
	secret := []byte("outbox-crash-test-secret-0123456789")
	tStart := time.Now()
	data := filepath.Join(t.TempDir(), "civmap.db")
	if len(storeArgs) == 0 {
		storeArgs = []string{"--data", data}
	}
	// The child processes get no store or webhook settings from the test's environment.
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "CIVMAP_") && !strings.HasPrefix(kv, EnvDatabaseURL+"=") {
			env = append(env, kv)
		}
	}
	env = append(env, "CIVMAP_WEBHOOK_SECRET="+string(secret))
	rc := newHookReceiver(secret)
	hook := httptest.NewServer(rc)
	t.Cleanup(hook.Close)
	defer rc.stop() // a failing test must not leave hook.Close waiting for the hung request
	serveArgs := append([]string{"--addr", "127.0.0.1:0", "--webhook-url", hook.URL + "/hook", "--notify-lease", outboxLease.String()}, storeArgs...)

	// Run 1, and an admin with an API token beside it (user and token work beside a server).
	p1 := startCivmap(t, bin, env, serveArgs...)
	base := p1.url
	civmapCmd(t, bin, env, "correct-horse-battery-staple\n", append([]string{"user", "add", "--name", "管理员", "--login", "admin", "--role", "admin"}, storeArgs...)...)
	out := civmapCmd(t, bin, env, "", append([]string{"token", "create", "--login", "admin"}, storeArgs...)...)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	admin := []string{"Authorization", "Bearer " + lines[len(lines)-1]}
	tSetup := time.Since(tStart)

	createNeed := func(i int) int64 {
		t.Helper()
		resp, b := send(t, "POST", base+"/api/v1/needs", map[string]any{"category": "卫生健康", "description": fmt.Sprintf("第 %d 号：老人需要量血压", i),
			"phone": "13900139000", "place": map[string]any{"code": postA1}}, admin...)
		var f struct{ ID int64 }
		if resp.StatusCode != http.StatusCreated || json.Unmarshal(b, &f) != nil || f.ID == 0 {
			t.Fatalf("create need %d: %d %s", i, resp.StatusCode, b)
		}
		return f.ID
	}
	transition := func(id int64, body map[string]any) {
		t.Helper()
		if resp, b := send(t, "POST", fmt.Sprintf("%s/api/v1/needs/%d/transitions", base, id), body, admin...); resp.StatusCode != http.StatusOK {
			t.Fatalf("%v need %d: %d %s", body["action"], id, resp.StatusCode, b)
		}
	}

	// The first need's notification is claimed and sent; the receiver holds it unanswered.
	ids := []int64{createNeed(1)}
	var hungKey string
	select {
	case hungKey = <-rc.hung:
	case <-p1.exited:
		t.Fatalf("run 1 exited: %v\n%s", p1.err, p1.log)
	case <-time.After(10 * time.Second):
		t.Fatalf("no webhook request within 10 s\n%s", p1.log)
	}
	tHung := time.Now()
	// Meanwhile, more commits with notifications: needs 2–10 submitted; 1–6 ordered (resident,
	// site), 1–3 of them dispatched open (open queue, resident); 7 and 8 rejected (resident).
	for i := 2; i <= outboxNeeds; i++ {
		ids = append(ids, createNeed(i))
	}
	start := time.Now().Add(time.Hour).UTC().Format(time.RFC3339)
	end := time.Now().Add(3 * time.Hour).UTC().Format(time.RFC3339)
	for _, id := range ids[:6] {
		transition(id, map[string]any{"action": "order", "slots": 1, "start": start, "end": end})
	}
	for _, id := range ids[:3] {
		transition(id, map[string]any{"action": "dispatch", "mode": "open"})
	}
	for _, id := range ids[6:8] {
		transition(id, map[string]any{"action": "reject", "reason": "不属于志愿服务范围"})
	}
	const want = outboxNeeds + 6*2 + 3*2 + 2*1     // notifications written
	const requests = (outboxNeeds - 1) + 6 + 3 + 2 // API requests made while the webhook hangs
	work := time.Since(tHung)

	// SIGKILL run 1 while the webhook still holds the request: the sender was stuck in it, so
	// every later notification is committed and was never claimed.
	select {
	case <-rc.ended:
		t.Fatalf("the hung request ended before the kill, after %v: the requests took longer than the lease (%v)", time.Since(tHung), outboxLease)
	default:
	}
	if keys, requests := rc.counts(); keys != 1 || requests != 1 {
		t.Fatalf("before the kill the receiver got %d requests for %d keys, want only the hung one", requests, keys)
	}
	killedAt := time.Now()
	if err := syscall.Kill(p1.cmd.Process.Pid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	err := p1.wait(t, 10*time.Second)
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL {
		t.Fatalf("run 1 ended with %v, want killed by SIGKILL\n%s", err, p1.log)
	}
	rc.stop()
	<-rc.ended
	if rc.endedAt.Before(killedAt) {
		t.Fatalf("the hung request ended %v before the kill: the lease (%v) ran out first", killedAt.Sub(rc.endedAt), outboxLease)
	}

	// Run 2 on the same store and webhook delivers everything, the hung one after its lease.
	t2 := time.Now()
	p2 := startCivmap(t, bin, env, serveArgs...)
	deadline := time.After(30 * time.Second)
	for {
		keys, _ := rc.counts()
		rc.mu.Lock()
		again := rc.arrived[hungKey]
		rc.mu.Unlock()
		if keys >= want && again >= 2 {
			break
		}
		select {
		case <-p2.exited:
			t.Fatalf("run 2 exited: %v\n%s", p2.err, p2.log)
		case <-deadline:
			t.Fatalf("after 30 s: %d of %d keys, the hung one arrived %d times\n%s", keys, want, again, p2.log)
		case <-time.After(20 * time.Millisecond):
		}
	}
	deliver := time.Since(t2)
	if err := p2.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := p2.wait(t, 15*time.Second); err != nil {
		t.Fatalf("run 2 did not stop cleanly: %v\n%s", err, p2.log)
	}

	// The store: nothing left to deliver, and the keys the receiver got are exactly the
	// notifications the workflow wrote (one per recipient of each step in the needs' histories).
	ctx := civmap.WithActor(context.Background(), civmap.Actor{System: "test"})
	var st store.Store
	if len(storeArgs) == 2 && storeArgs[0] == "--database-url" {
		st, err = postgis.Open(ctx, postgis.Config{URL: storeArgs[1]})
	} else {
		st, err = embedded.Open(ctx, data)
	}
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if left, err := st.ClaimNotifications(ctx, time.Now().Add(30*24*time.Hour), 1000, time.Minute); err != nil || len(left) != 0 {
		t.Errorf("left in the outbox: %d notifications (%v)", len(left), err)
	}
	expected := map[string]string{} // key → type
	for _, id := range ids {
		n, err := st.Need(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		hist, err := st.NeedHistory(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		for _, ev := range hist {
			var to []string
			switch ev.Action {
			case "submit":
				to = []string{"site:" + n.SiteCode}
			case "order":
				to = []string{"resident", "site:" + n.Queue}
			case "dispatch":
				to = []string{"open:" + n.Queue, "resident"}
			case "reject":
				to = []string{"resident"}
			default:
				t.Errorf("need %d: unexpected step %q", id, ev.Action)
			}
			for _, r := range to {
				expected[fmt.Sprintf("need/%d/event/%d/%s", id, ev.ID, r)] = ev.Action
			}
		}
	}
	if len(expected) != want {
		t.Errorf("the histories hold %d notifications, want %d", len(expected), want)
	}
	if expected[hungKey] != "submit" || !strings.HasPrefix(hungKey, fmt.Sprintf("need/%d/", ids[0])) {
		t.Errorf("the hung key %s is not the first need's submission", hungKey)
	}

	rc.mu.Lock()
	defer rc.mu.Unlock()
	if len(rc.bad) != 0 {
		t.Errorf("requests failing verification: %v", rc.bad)
	}
	total := 0
	for k, n := range rc.arrived {
		total += n
		typ, ok := expected[k]
		if !ok {
			t.Errorf("unexpected key %s", k)
			continue
		}
		if rc.sent[k] != 1 {
			t.Errorf("%s: %d sends after de-duplication, want 1", k, rc.sent[k])
		}
		wantAttempts := []string{"1"}
		if k == hungKey {
			wantAttempts = []string{"1", "2"}
		}
		if !slices.Equal(rc.attempt[k], wantAttempts) {
			t.Errorf("%s: attempts %v, want %v", k, rc.attempt[k], wantAttempts)
		}
		b := rc.body[k]
		if b.Type != typ || (b.Recipient == "resident") != (b.Phone == "13900139000") || !strings.HasSuffix(k, "/"+b.Recipient) {
			t.Errorf("%s: type %q recipient %q phone %q", k, b.Type, b.Recipient, b.Phone)
		}
	}
	for k := range expected {
		if rc.arrived[k] == 0 {
			t.Errorf("%s never arrived", k)
		}
	}
	if len(rc.sent) != want || len(rc.arrived) != want {
		t.Errorf("%d keys arrived, %d sent after de-duplication; want %d", len(rc.arrived), len(rc.sent), want)
	}
	if rc.arrived[hungKey] != 2 {
		t.Errorf("the hung notification arrived %d times, want 2 (before the kill and after the lease)", rc.arrived[hungKey])
	}
	if total != want+1 {
		t.Errorf("%d requests in all, want %d (one per notification and the hung one again)", total, want+1)
	}
	t.Logf("start and accounts %v; %d requests while the webhook hung %v; run 2 delivered all in %v (lease %v); %d requests for %d notifications; %v in all",
		tSetup.Round(time.Millisecond), requests, work.Round(time.Millisecond), deliver.Round(time.Millisecond), outboxLease, total, want,
		time.Since(tStart).Round(time.Millisecond))
}
