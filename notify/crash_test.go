//go:build unix

package notify

import (
	"bufio"
	"bytes"
	"context"
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
	"sync"
	"syscall"
	"testing"
	"time"

	"civmap/store/embedded"
)

// dedupeReceiver is a webhook receiver as a gateway should be: it verifies the signature,
// counts every arrival per idempotency key, and acts (here: counts a send) only the first time
// it sees a key. The first request it gets hangs until the sender's connection goes away.
type dedupeReceiver struct {
	secret  []byte
	mu      sync.Mutex
	arrived map[string]int // requests per key
	sent    map[string]int // side effects per key (after de-duplication)
	bad     []string       // requests failing verification
	hungKey string
	hung    chan string // receives the hanging request's key
}

func (rc *dedupeReceiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	key := r.Header.Get(HeaderIdempotencyKey)
	err := Verify(rc.secret, r.Header.Get(HeaderSignature), r.Header.Get(HeaderTimestamp), body, time.Now(), time.Minute)
	rc.mu.Lock()
	if err != nil || key == "" {
		rc.bad = append(rc.bad, fmt.Sprintf("%s: %v", key, err))
		rc.mu.Unlock()
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	rc.arrived[key]++
	if rc.hungKey == "" {
		// Received and recorded (the dedupe set is written before answering, as a gateway
		// would), but the answer never comes: the sender cannot mark it delivered.
		rc.hungKey = key
		rc.sent[key]++
		rc.mu.Unlock()
		rc.hung <- key
		<-r.Context().Done() // until the killed sender's connection closes
		return
	}
	if rc.sent[key] == 0 {
		rc.sent[key]++
	}
	rc.mu.Unlock()
	w.WriteHeader(http.StatusOK)
}

func (rc *dedupeReceiver) snapshot() (arrived, sent map[string]int, bad []string) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	arrived, sent = map[string]int{}, map[string]int{}
	for k, v := range rc.arrived {
		arrived[k] = v
	}
	for k, v := range rc.sent {
		sent[k] = v
	}
	return arrived, sent, append([]string(nil), rc.bad...)
}

// goTool finds the go command.
func goTool(t *testing.T) string {
	if p, err := exec.LookPath("go"); err == nil {
		return p
	}
	p := filepath.Join(runtime.GOROOT(), "bin", "go")
	if _, err := os.Stat(p); err != nil {
		t.Skip("no go command to build the crash test program")
	}
	return p
}

// proc is a running crashtest program.
type proc struct {
	cmd    *exec.Cmd
	stderr bytes.Buffer
	ready  chan struct{}
	done   chan error
}

func startProc(t *testing.T, bin string, args ...string) *proc {
	t.Helper()
	p := &proc{cmd: exec.Command(bin, args...), ready: make(chan struct{}), done: make(chan error, 1)}
	p.cmd.Stderr = &p.stderr
	out, err := p.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if sc.Text() == "ready" {
				close(p.ready)
			}
		}
		p.done <- p.cmd.Wait()
	}()
	t.Cleanup(func() { p.cmd.Process.Kill() }) // an error once it has exited
	return p
}

func (p *proc) wait(t *testing.T, d time.Duration) error {
	t.Helper()
	select {
	case err := <-p.done:
		return err
	case <-time.After(d):
		p.cmd.Process.Kill()
		t.Fatalf("the crash test program did not exit within %v; stderr:\n%s", d, p.stderr.String())
	}
	return nil
}

// TestCrashBetweenCommitAndSend is the dispatch issue's outbox test: a sender process is
// SIGKILLed after needs (and their notifications) committed, while the webhook holds a request
// it received but has not answered — so that notification is claimed, sent and not marked
// delivered, the other four of its claim are claimed and not sent, and the rest are committed
// and not even claimed. Restarted on the same file, the sender delivers everything: the
// receiver sees every key, the hung one again after its lease, and after de-duplication by
// idempotency key exactly one send per notification; the outbox is empty.
func TestCrashBetweenCommitAndSend(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs a program")
	}
	const needs = 20
	const lease = 2 * time.Second
	t0 := time.Now()
	dir := t.TempDir()
	bin := filepath.Join(dir, "crashtest")
	build := exec.Command(goTool(t), "build", "-o", bin, "civmap/notify/internal/crashtest")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	tBuild := time.Since(t0)

	rc := &dedupeReceiver{secret: testSecret, arrived: map[string]int{}, sent: map[string]int{}, hung: make(chan string, 1)}
	srv := httptest.NewServer(rc)
	t.Cleanup(srv.Close)
	data := filepath.Join(dir, "civmap.db")
	args := []string{"-data", data, "-webhook", srv.URL, "-secret", string(testSecret), "-lease", lease.String(),
		"-poll", "100ms", "-batch", "5", "-workers", "1", "-timeout", "30s"}

	// Run 1: create the needs, claim the first 5, hang on the first request, SIGKILL.
	t1 := time.Now()
	p1 := startProc(t, bin, append(args, "-needs", fmt.Sprint(needs))...)
	var hungKey string
	select {
	case hungKey = <-rc.hung:
	case err := <-p1.done:
		t.Fatalf("run 1 exited before sending: %v\n%s", err, p1.stderr.String())
	case <-time.After(30 * time.Second):
		t.Fatalf("no webhook request within 30 s; stderr:\n%s", p1.stderr.String())
	}
	if err := p1.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	err := p1.wait(t, 10*time.Second)
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL {
		t.Fatalf("run 1 ended with %v, want killed by SIGKILL", err)
	}
	arrived, _, _ := rc.snapshot()
	if len(arrived) != 1 || arrived[hungKey] != 1 {
		t.Fatalf("before the kill the receiver saw %v, want only the hung request", arrived)
	}
	tKill := time.Since(t1)

	// Run 2: same file; everything is delivered, the hung claim after its lease.
	t2 := time.Now()
	p2 := startProc(t, bin, append(args, "-needs", "0")...)
	deadline := time.After(30 * time.Second)
	for {
		arrived, sent, _ := rc.snapshot()
		if len(sent) == needs && arrived[hungKey] >= 2 {
			break
		}
		select {
		case err := <-p2.done:
			t.Fatalf("run 2 exited: %v\n%s", err, p2.stderr.String())
		case <-deadline:
			t.Fatalf("after 30 s: %d of %d keys, hung key arrived %d times; stderr:\n%s", len(sent), needs, arrived[hungKey], p2.stderr.String())
		case <-time.After(20 * time.Millisecond):
		}
	}
	tDeliver := time.Since(t2)
	// Let a stray duplicate (there should be none) show up before counting, then stop cleanly.
	time.Sleep(3 * 100 * time.Millisecond)
	if err := p2.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := p2.wait(t, 10*time.Second); err != nil {
		t.Fatalf("run 2 did not stop cleanly: %v\n%s", err, p2.stderr.String())
	}

	arrived, sent, bad := rc.snapshot()
	if len(bad) != 0 {
		t.Errorf("requests failing verification: %v", bad)
	}
	keyRE := regexp.MustCompile(`^need/(\d+)/event/\d+/site:430682$`)
	needIDs := map[string]bool{}
	total := 0
	for k, n := range arrived {
		m := keyRE.FindStringSubmatch(k)
		if m == nil {
			t.Errorf("unexpected key %q", k)
			continue
		}
		needIDs[m[1]] = true
		total += n
		if sent[k] != 1 {
			t.Errorf("%s: %d sends after de-duplication, want 1", k, sent[k])
		}
	}
	if len(arrived) != needs || len(needIDs) != needs || len(sent) != needs {
		t.Errorf("%d keys for %d needs (%d sent), want %d each", len(arrived), len(needIDs), len(sent), needs)
	}
	if arrived[hungKey] != 2 {
		t.Errorf("the hung notification arrived %d times, want 2 (before the kill and after the lease)", arrived[hungKey])
	}
	if total != needs+1 {
		t.Errorf("%d requests in all, want %d (one per notification and the hung one again)", total, needs+1)
	}
	// Nothing left in the outbox.
	st, err := embedded.Open(context.Background(), data)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if left := undelivered(t, st, time.Now()); len(left) != 0 {
		t.Errorf("%d notifications left undelivered: %v", len(left), left)
	}
	t.Logf("build %v, run 1 to kill %v, run 2 delivered all in %v (lease %v); %d requests for %d notifications",
		tBuild.Round(time.Millisecond), tKill.Round(time.Millisecond), tDeliver.Round(time.Millisecond), lease, total, needs)
}
