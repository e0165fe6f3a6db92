// Package live fans out events about activities and needs to subscribers in this process: the
// dispatchers' server-sent event streams and the map's live refresh. A slow subscriber never
// blocks a publisher: events it cannot take are dropped for it and counted.
package live

import (
	"sync"
	"time"
)

// Event is something that happened to an activity or a need.
type Event struct {
	Type     string     `json:"type"`      // "activity.created" or "need.created"
	ID       int64      `json:"id"`        // the record's id
	SiteCode string     `json:"site_code"` // the site it belongs to
	Point    [2]float64 `json:"point"`     // WGS-84 lon, lat in degrees
	Time     time.Time  `json:"time"`
}

// Bus is an in-process publish/subscribe hub. The zero value is not usable; call NewBus.
type Bus struct {
	mu      sync.Mutex
	subs    map[*Subscription]struct{}
	dropped int64
}

// NewBus returns an empty bus.
func NewBus() *Bus { return &Bus{subs: map[*Subscription]struct{}{}} }

// Subscription receives events on C until Close.
type Subscription struct {
	C   <-chan Event
	c   chan Event
	bus *Bus
}

// Subscribe returns a subscription buffering up to buffer events (≥ 1).
func (b *Bus) Subscribe(buffer int) *Subscription {
	if buffer < 1 {
		buffer = 1
	}
	c := make(chan Event, buffer)
	s := &Subscription{C: c, c: c, bus: b}
	b.mu.Lock()
	b.subs[s] = struct{}{}
	b.mu.Unlock()
	return s
}

// Close unsubscribes; C is closed.
func (s *Subscription) Close() {
	s.bus.mu.Lock()
	defer s.bus.mu.Unlock()
	if _, ok := s.bus.subs[s]; ok {
		delete(s.bus.subs, s)
		close(s.c)
	}
}

// Publish delivers e to every subscriber with room in its buffer.
func (b *Bus) Publish(e Event) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for s := range b.subs {
		select {
		case s.c <- e:
		default:
			b.dropped++
		}
	}
}

// Dropped is how many deliveries were dropped because a subscriber's buffer was full.
func (b *Bus) Dropped() int64 {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.dropped
}
