package notify

import (
	"sync"

	"civmap"

	"github.com/prometheus/client_golang/prometheus"
)

// Subscribe returns the notifications this Sender delivers from now on whose recipient passes
// keep ("site:{code}", "volunteer:{id}", "team:{id}", "open:{code}" or "resident"; nil keeps
// all — for tests and trusted consumers only), on a channel buffering up to buffer of them (at
// least 1), until stop is called (stop closes the channel; calling it again does nothing). It
// is the API's personal event streams' source (api.Subscriber).
//
// The notifications are the outbox rows as claimed: Payload is the workflow's JSON for the
// recipient and never holds a phone number (ResidentPhone's answer goes to the webhook only);
// Key identifies a notification across deliveries.
//
// keep is called for every notification, one call at a time (under the subscriber list's
// lock, so a memo map inside it needs no lock of its own), on a delivering goroutine: it must
// be quick — a blocking call (a store query) delays every delivery and every other subscriber
// for its duration; decide the recipients when subscribing where possible (see Recipients).
//
// Delivery to subscribers is a live hint, not the durable channel: a notification reaches only
// subscribers of this process (with several instances, of the one that claimed it), at least
// once per process (again after a restart, if it was not yet marked delivered), and is dropped
// for a subscriber whose buffer is full (counted in civmap_notify_subscriber_dropped_total).
// A page that subscribes reads its current state from the store as well and de-duplicates by
// ID or Key.
func (s *Sender) Subscribe(keep func(recipient string) bool, buffer int) (c <-chan civmap.Notification, stop func()) {
	if buffer < 1 {
		buffer = 1
	}
	sub := &subscription{c: make(chan civmap.Notification, buffer), keep: keep}
	f := &s.fan
	f.mu.Lock()
	f.subs[sub] = struct{}{}
	f.mu.Unlock()
	return sub.c, func() {
		f.mu.Lock()
		defer f.mu.Unlock()
		if _, ok := f.subs[sub]; ok {
			delete(f.subs, sub)
			close(sub.c)
		}
	}
}

// Recipients returns a filter for Subscribe keeping the given recipients: for a dispatcher
// "site:{code}" for each site in their scope; for a volunteer "volunteer:{id}", "team:{id}" for
// each of their teams and "open:{code}" for each site on their base site's chain.
func Recipients(rs ...string) func(recipient string) bool {
	set := make(map[string]bool, len(rs))
	for _, r := range rs {
		set[r] = true
	}
	return func(r string) bool { return set[r] }
}

type subscription struct {
	c    chan civmap.Notification
	keep func(string) bool
}

// fanout is the subscriber list.
type fanout struct {
	mu      sync.Mutex
	subs    map[*subscription]struct{}
	dropped prometheus.Counter
}

// publish gives n to every subscriber that keeps it and has room in its buffer.
func (f *fanout) publish(n civmap.Notification) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for sub := range f.subs {
		if sub.keep != nil && !sub.keep(n.Recipient) {
			continue
		}
		select {
		case sub.c <- n:
		default:
			f.dropped.Inc()
		}
	}
}

// recent is a bounded set of keys, forgetting the oldest first.
type recent struct {
	mu   sync.Mutex
	set  map[string]struct{}
	ring []string
	next int
}

func newRecent(n int) *recent {
	return &recent{set: make(map[string]struct{}, n), ring: make([]string, n)}
}

// add adds key and reports whether it was new.
func (r *recent) add(key string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, ok := r.set[key]; ok {
		return false
	}
	if old := r.ring[r.next]; old != "" {
		delete(r.set, old)
	}
	r.ring[r.next] = key
	r.next = (r.next + 1) % len(r.ring)
	r.set[key] = struct{}{}
	return true
}
