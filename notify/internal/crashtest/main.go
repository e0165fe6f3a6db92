// Command crashtest is the process notify's TestCrashBetweenCommitAndSend kills: it opens an
// embedded store file, creates -needs needs at the center site (each commit writes a "submit"
// notification to the outbox), prints "ready", and runs a notify.Sender against -webhook until
// SIGINT or SIGTERM (then it exits 0). A test SIGKILLs it while a webhook request hangs and
// starts it again on the same file with -needs 0.
//
//	crashtest -data DIR/civmap.db -webhook URL -secret S [-needs N] [-lease 2s] [-poll 100ms]
//	          [-batch 5] [-workers 1] [-timeout 30s]
package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"civmap"
	"civmap/notify"
	"civmap/store"
	"civmap/store/embedded"

	"github.com/paulmach/orb"
)

// Center is the site the needs are placed at (临湘市新时代文明实践中心, at the county seat).
var Center = civmap.Site{Code: "430682", Name: "临湘市新时代文明实践中心", Level: civmap.LevelCenter,
	Location: civmap.Location{Point: orb.Point{113.4403, 29.4813}, Source: civmap.CoordSynthetic, Precision: civmap.PrecisionCounty}}

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "crashtest:", err)
		os.Exit(1)
	}
}

func run() error {
	data := flag.String("data", "", "embedded store file")
	webhook := flag.String("webhook", "", "webhook URL")
	secret := flag.String("secret", "", "webhook secret")
	needs := flag.Int("needs", 0, "needs to create before sending")
	lease := flag.Duration("lease", 2*time.Second, "claim lease")
	poll := flag.Duration("poll", 100*time.Millisecond, "outbox poll interval")
	batch := flag.Int("batch", 5, "claim size")
	workers := flag.Int("workers", 1, "webhook requests in flight")
	timeout := flag.Duration("timeout", 30*time.Second, "webhook client timeout")
	flag.Parse()
	if *data == "" || *webhook == "" {
		return fmt.Errorf("-data and -webhook are required")
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	st, err := embedded.Open(ctx, *data)
	if err != nil {
		return err
	}
	defer st.Close()
	if err := CreateNeeds(ctx, st, *needs); err != nil {
		return err
	}
	logger := slog.New(slog.NewTextHandler(os.Stderr, nil))
	s, err := notify.New(notify.Config{Outbox: st, WebhookURL: *webhook, WebhookSecret: []byte(*secret), Lease: *lease,
		Poll: *poll, Batch: *batch, Workers: *workers, Logger: logger, BackoffMin: 100 * time.Millisecond,
		Client: &http.Client{Timeout: *timeout}})
	if err != nil {
		return err
	}
	fmt.Println("ready") // os.Stdout is unbuffered: the test reads this at once
	return s.Run(ctx)
}

// CreateNeeds puts the center site (if missing) and creates n needs at it, one transaction
// each.
func CreateNeeds(ctx context.Context, st store.Store, n int) error {
	if n == 0 {
		return nil
	}
	ctx = civmap.WithActor(ctx, civmap.Actor{System: "crashtest"})
	if _, err := st.Put(ctx, store.Batch{Sites: []civmap.Site{Center}, InsertOnly: true}); err != nil {
		return err
	}
	for i := range n {
		need := civmap.Need{Category: "卫生健康", Description: fmt.Sprintf("第 %d 号测试需求", i+1), Place: civmap.Place{Code: Center.Code},
			SiteCode: Center.Code, Location: Center.Location, Status: civmap.NeedSubmitted}
		if _, _, err := st.CreateNeed(ctx, need); err != nil {
			return err
		}
	}
	return nil
}
