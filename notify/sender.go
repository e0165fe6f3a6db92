// Package notify delivers the notifications that workflow transitions write to the outbox
// (store.Outbox, civmap.Notification) — at least once, surviving a crash between the
// transition's commit and the send (the dispatch issue, #9).
//
// A Sender claims due notifications with a lease, publishes each to its in-process subscribers
// (the API's server-sent event streams, see Subscribe) and, when a webhook is configured, POSTs
// it there — signed with HMAC-SHA256 and carrying an idempotency key (see Sign and Verify) —
// then marks it delivered. A failed webhook delivery is retried with exponential back-off; a
// sender that dies leaves its claims to be taken again when their lease ends. The webhook is
// where an SMS or WeChat template-message gateway plugs in; it must de-duplicate by the
// idempotency key, since the same notification may arrive more than once.
package notify

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"civmap"
	"civmap/store"

	"github.com/prometheus/client_golang/prometheus"
)

// Defaults of Config.
const (
	DefaultTimeout    = 10 * time.Second   // the default client's timeout per webhook request
	DefaultLease      = 60 * time.Second   // how long a claim keeps other senders off
	DefaultBatch      = 100                // notifications claimed at once
	DefaultPoll       = time.Second        // how often the outbox is read without a Kick
	DefaultBackoffMin = 5 * time.Second    // wait after the first failed attempt
	DefaultBackoffMax = time.Hour          // the longest wait between attempts
	DefaultMaxAge     = 7 * 24 * time.Hour // age after which a notification is given up
	DefaultWorkers    = 4                  // webhook requests in flight at once
	// MinSecretBytes is the shortest webhook secret New accepts (32 random bytes are advised).
	MinSecretBytes = 16
)

// storeTimeout bounds the outbox writes a Sender makes after an attempt (marking delivered,
// scheduling a retry). They run even after Run's context is cancelled, so that a delivery that
// succeeded is recorded.
const storeTimeout = 5 * time.Second

// Config configures a Sender. Zero fields take the defaults above.
type Config struct {
	Outbox store.Outbox // required

	// WebhookURL receives every notification as a signed POST (see Sign); "" for none (the
	// subscribers alone, and a notification counts as delivered once published to them).
	// http or https; use https whenever the request leaves the host.
	WebhookURL string
	// WebhookSecret is the HMAC-SHA256 key of the webhook signature; at least MinSecretBytes
	// when WebhookURL is set.
	WebhookSecret []byte
	// Client sends webhook requests. Default: a client with a DefaultTimeout timeout that does
	// not follow redirects (a 3xx is a failed attempt). Every request is also bounded by what
	// is left of its claim's lease.
	Client *http.Client
	// ResidentPhone, when set, is asked for the resident's phone number for notifications to
	// "resident", and the number goes into the webhook body's "phone" (only there: never into
	// the outbox, the subscribers' events or the logs). It returns "" when there is none (not
	// given, or erased by retention): the body then has no "phone". An error fails the attempt,
	// which is retried.
	ResidentPhone func(ctx context.Context, needID int64) (string, error)

	Now        func() time.Time // the clock of claims, retries and signatures; default time.Now
	Lease      time.Duration    // claim lease; default DefaultLease
	Batch      int              // claim size; default DefaultBatch
	Poll       time.Duration    // outbox poll interval when not kicked; default DefaultPoll
	BackoffMin time.Duration    // wait after the first failure, doubling per attempt; default DefaultBackoffMin
	BackoffMax time.Duration    // cap of the wait; default DefaultBackoffMax
	// MaxAge: a notification claimed when older than this (since its CreatedAt) is not sent
	// any more: it is marked delivered, logged at level ERROR and counted as expired. Default
	// DefaultMaxAge; negative: never give up.
	MaxAge  time.Duration
	Workers int // webhook requests in flight at once (notifications of one need go in order); default DefaultWorkers

	Logger *slog.Logger // default slog.Default()
	// Registerer receives the Sender's metrics (civmap_notify_*); nil: not registered.
	Registerer prometheus.Registerer
}

// Sender delivers the outbox. Make one with New, start it with Run (once).
type Sender struct {
	cfg     Config
	kick    chan struct{}
	running atomic.Bool
	fan     fanout
	seen    *recent // keys this process has published to subscribers
	m       metrics

	onPass func(claimed int) // tests: called after each pass of Run
}

type metrics struct {
	delivered  prometheus.Counter
	failed     *prometheus.CounterVec
	retried    prometheus.Counter
	expired    prometheus.Counter
	storeErrs  prometheus.Counter
	sseDropped prometheus.Counter
}

func newMetrics() metrics {
	return metrics{
		delivered: prometheus.NewCounter(prometheus.CounterOpts{Name: "civmap_notify_delivered_total",
			Help: "Notifications delivered (published to subscribers and, when configured, accepted by the webhook) and marked delivered."}),
		failed: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "civmap_notify_failed_total",
			Help: "Failed delivery attempts by reason (timeout, network, status, resident_phone, payload)."}, []string{"reason"}),
		retried: prometheus.NewCounter(prometheus.CounterOpts{Name: "civmap_notify_retried_total",
			Help: "Retries scheduled after failed attempts."}),
		expired: prometheus.NewCounter(prometheus.CounterOpts{Name: "civmap_notify_expired_total",
			Help: "Notifications given up because they were older than the maximum age."}),
		storeErrs: prometheus.NewCounter(prometheus.CounterOpts{Name: "civmap_notify_store_errors_total",
			Help: "Outbox reads and writes that failed."}),
		sseDropped: prometheus.NewCounter(prometheus.CounterOpts{Name: "civmap_notify_subscriber_dropped_total",
			Help: "Notifications dropped for subscribers whose buffer was full."}),
	}
}

// New checks cfg and returns a Sender.
func New(cfg Config) (*Sender, error) {
	if cfg.Outbox == nil {
		return nil, errors.New("notify: no outbox")
	}
	if cfg.WebhookURL != "" {
		u, err := url.Parse(cfg.WebhookURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return nil, errors.New("notify: the webhook URL is not an absolute http(s) URL") // not echoed: it may hold a token
		}
		if len(cfg.WebhookSecret) < MinSecretBytes {
			return nil, fmt.Errorf("notify: the webhook secret must be at least %d bytes", MinSecretBytes)
		}
	}
	if cfg.Client == nil {
		cfg.Client = &http.Client{Timeout: DefaultTimeout,
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Lease <= 0 {
		cfg.Lease = DefaultLease
	}
	if cfg.Batch <= 0 {
		cfg.Batch = DefaultBatch
	}
	if cfg.Poll <= 0 {
		cfg.Poll = DefaultPoll
	}
	if cfg.BackoffMin <= 0 {
		cfg.BackoffMin = DefaultBackoffMin
	}
	if cfg.BackoffMax <= 0 {
		cfg.BackoffMax = DefaultBackoffMax
	}
	if cfg.BackoffMax < cfg.BackoffMin {
		cfg.BackoffMax = cfg.BackoffMin
	}
	if cfg.MaxAge == 0 {
		cfg.MaxAge = DefaultMaxAge
	}
	if cfg.Workers <= 0 {
		cfg.Workers = DefaultWorkers
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	s := &Sender{cfg: cfg, kick: make(chan struct{}, 1), m: newMetrics(), seen: newRecent(8192)}
	s.fan.dropped, s.fan.subs = s.m.sseDropped, map[*subscription]struct{}{}
	if r := cfg.Registerer; r != nil {
		for _, c := range []prometheus.Collector{s.m.delivered, s.m.failed, s.m.retried, s.m.expired, s.m.storeErrs, s.m.sseDropped} {
			if err := r.Register(c); err != nil {
				return nil, fmt.Errorf("notify: register metrics: %w", err)
			}
		}
	}
	return s, nil
}

// Kick wakes Run at once (call it after a transition commits, so that delivery does not wait for
// the next poll). It never blocks; kicks while a pass runs cause one more pass.
func (s *Sender) Kick() {
	select {
	case s.kick <- struct{}{}:
	default:
	}
}

// Backoff is the wait before the next attempt after the attempts-th failed one (attempts counts
// from 1, as civmap.Notification.Attempts after the claim): BackoffMin·2^(attempts−1), at most
// BackoffMax — 5 s, 10 s, 20 s … 1 h with the defaults. No jitter: retries are spread by the
// notifications' own times.
func (s *Sender) Backoff(attempts int) time.Duration {
	d := s.cfg.BackoffMin
	for i := 1; i < attempts && d < s.cfg.BackoffMax; i++ {
		d *= 2
	}
	return min(d, s.cfg.BackoffMax)
}

// Run delivers the outbox until ctx is cancelled, then returns nil. Each pass claims up to
// Batch due notifications (leased for Lease) and delivers them; it passes again at once when
// the claim was full, after a Kick, or after Poll. On cancellation, webhook requests in flight
// are abandoned and their notifications, like the claimed ones not yet attempted, are released
// for the next sender (due at once: they may reach the webhook twice). Outbox errors are logged
// and retried at the next poll. Run may be called once at a time.
func (s *Sender) Run(ctx context.Context) error {
	if !s.running.CompareAndSwap(false, true) {
		return errors.New("notify: Run is already running")
	}
	defer s.running.Store(false)
	timer := time.NewTimer(s.cfg.Poll)
	defer timer.Stop()
	for {
		n, err := s.pass(ctx)
		if s.onPass != nil {
			s.onPass(n)
		}
		if ctx.Err() != nil {
			return nil
		}
		if err != nil {
			s.m.storeErrs.Inc()
			s.cfg.Logger.Error("notify: claim notifications", "err", err)
		} else if n >= s.cfg.Batch {
			continue // more may be due
		}
		timer.Reset(s.cfg.Poll) // Go ≥ 1.23: no stale tick survives a Reset
		select {
		case <-ctx.Done():
			return nil
		case <-s.kick:
		case <-timer.C:
		}
	}
}

// pass claims and delivers one batch. It returns how many notifications it claimed.
func (s *Sender) pass(ctx context.Context) (int, error) {
	claimed := time.Now() // monotonic: the lease is measured on this clock
	ns, err := s.cfg.Outbox.ClaimNotifications(ctx, s.cfg.Now(), s.cfg.Batch, s.cfg.Lease)
	if err != nil {
		if ctx.Err() != nil {
			return 0, nil
		}
		return 0, err
	}
	if len(ns) == 0 {
		return 0, nil
	}
	leaseEnd := claimed.Add(s.cfg.Lease)
	// Notifications of one need go in order (oldest first, as claimed); needs in parallel.
	var groups [][]civmap.Notification
	at := map[int64]int{}
	for _, n := range ns {
		i, ok := at[n.NeedID]
		if !ok {
			i = len(groups)
			at[n.NeedID] = i
			groups = append(groups, nil)
		}
		groups[i] = append(groups[i], n)
	}
	jobs := make(chan []civmap.Notification)
	var wg sync.WaitGroup
	for range min(s.cfg.Workers, len(groups)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for g := range jobs {
				for i, n := range g {
					if ctx.Err() != nil || !s.leaseLeft(leaseEnd) {
						s.release(ctx, g[i:])
						break
					}
					s.deliver(ctx, n, leaseEnd)
				}
			}
		}()
	}
	for _, g := range groups {
		jobs <- g
	}
	close(jobs)
	wg.Wait()
	return len(ns), nil
}

// attemptTimeout is the longest a webhook request may take.
func (s *Sender) attemptTimeout() time.Duration {
	if t := s.cfg.Client.Timeout; t > 0 && t < s.cfg.Lease {
		return t
	}
	return s.cfg.Lease
}

// leaseLeft reports whether enough of the claim's lease is left to start an attempt: at least
// half the attempt timeout. Later ones are released instead, so that a slow webhook does not
// make this sender work on notifications another sender may already have claimed again.
func (s *Sender) leaseLeft(leaseEnd time.Time) bool {
	return time.Until(leaseEnd) >= s.attemptTimeout()/2
}

// storeCtx is a context for outbox writes that must happen even when ctx is cancelled.
func storeCtx(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.WithoutCancel(ctx), storeTimeout)
}

// release makes claimed notifications due at once again, without counting a failure.
func (s *Sender) release(ctx context.Context, ns []civmap.Notification) {
	sctx, cancel := storeCtx(ctx)
	defer cancel()
	now := s.cfg.Now()
	for _, n := range ns {
		if err := s.cfg.Outbox.RetryNotification(sctx, n.ID, now); err != nil {
			s.m.storeErrs.Inc()
			s.cfg.Logger.Error("notify: release notification", "key", n.Key, "err", err)
		}
	}
}

// deliver makes one attempt at n.
func (s *Sender) deliver(ctx context.Context, n civmap.Notification, leaseEnd time.Time) {
	log := s.cfg.Logger.With("key", n.Key, "attempt", n.Attempts)
	if s.cfg.MaxAge > 0 && !n.CreatedAt.IsZero() && s.cfg.Now().Sub(n.CreatedAt) > s.cfg.MaxAge {
		s.m.expired.Inc()
		log.Error("notify: notification given up: older than the maximum age", "created_at", n.CreatedAt, "max_age", s.cfg.MaxAge)
		s.markDelivered(ctx, n, log)
		return
	}
	ev, err := eventOf(n)
	if err != nil {
		s.fail(ctx, n, "payload", err, 0, log)
		return
	}
	if s.seen.add(n.Key) {
		s.fan.publish(n)
	}
	if s.cfg.WebhookURL != "" {
		rctx, cancel := context.WithDeadline(ctx, leaseEnd)
		reason, retryAfter, err := s.post(rctx, n, ev)
		cancel()
		if err != nil {
			if ctx.Err() != nil { // shutting down: not the receiver's failure
				s.release(ctx, []civmap.Notification{n})
				return
			}
			s.fail(ctx, n, reason, err, retryAfter, log)
			return
		}
	}
	s.markDelivered(ctx, n, log)
}

func (s *Sender) markDelivered(ctx context.Context, n civmap.Notification, log *slog.Logger) {
	sctx, cancel := storeCtx(ctx)
	defer cancel()
	if err := s.cfg.Outbox.NotificationDelivered(sctx, n.ID, s.cfg.Now()); err != nil {
		// It will be claimed and sent again when the lease ends: the receiver de-duplicates.
		s.m.storeErrs.Inc()
		log.Error("notify: mark notification delivered", "err", err)
		return
	}
	s.m.delivered.Inc()
}

// fail schedules the next attempt after a failed one.
func (s *Sender) fail(ctx context.Context, n civmap.Notification, reason string, err error, retryAfter time.Duration, log *slog.Logger) {
	s.m.failed.WithLabelValues(reason).Inc()
	wait := min(max(s.Backoff(n.Attempts), retryAfter), s.cfg.BackoffMax)
	next := s.cfg.Now().Add(wait)
	sctx, cancel := storeCtx(ctx)
	defer cancel()
	if rerr := s.cfg.Outbox.RetryNotification(sctx, n.ID, next); rerr != nil {
		// The claim's lease ends anyway: it is tried again then.
		s.m.storeErrs.Inc()
		log.Error("notify: schedule retry", "err", rerr)
		return
	}
	s.m.retried.Inc()
	log.Warn("notify: delivery failed, will retry", "reason", reason, "err", err, "retry_in", wait)
}

// parseRetryAfter parses a Retry-After header given in seconds (HTTP dates are ignored); 0 when
// absent.
func parseRetryAfter(h string) time.Duration {
	if secs, err := strconv.Atoi(h); err == nil && secs > 0 {
		return time.Duration(secs) * time.Second
	}
	return 0
}
