package dispatch

import (
	"context"
	"log/slog"
	"time"

	"civmap"
	"civmap/store"
	"civmap/workflow"
)

// Defaults of Timers.
const (
	DefaultEscalateAfter = 30 * time.Minute     // an order nobody takes in half an hour goes up a level
	DefaultRetention     = 180 * 24 * time.Hour // residents' free text and phone are kept 180 days after closing
	DefaultTick          = time.Minute
	timerBatch           = 200
)

// Timers runs the workflow's clocks: escalation of orders nobody took in time (post → station →
// center: the queue moves to the parent site) and erasure of residents' descriptions, phones and
// comments a retention period after their need closed.
type Timers struct {
	Store interface {
		store.Orders
		Site(ctx context.Context, code string) (civmap.Site, error)
	}
	EscalateAfter time.Duration // 0: DefaultEscalateAfter
	Retention     time.Duration // 0: DefaultRetention
	Tick          time.Duration // how often to look; 0: DefaultTick
	Now           func() time.Time
	Logger        *slog.Logger
	// OnEscalate is called after each escalation (the server wakes its notification sender).
	OnEscalate func()
}

// Run ticks until ctx ends.
func (t *Timers) Run(ctx context.Context) {
	tick := t.Tick
	if tick <= 0 {
		tick = DefaultTick
	}
	tk := time.NewTicker(tick)
	defer tk.Stop()
	for {
		t.Once(ctx)
		select {
		case <-ctx.Done():
			return
		case <-tk.C:
		}
	}
}

// Once escalates every order due now and erases what is past its retention; it returns how
// many of each it did. Failures are logged and retried on the next tick.
func (t *Timers) Once(ctx context.Context) (escalated, erased int) {
	now := time.Now()
	if t.Now != nil {
		now = t.Now()
	}
	log := t.Logger
	if log == nil {
		log = slog.Default()
	}
	after := t.EscalateAfter
	if after <= 0 {
		after = DefaultEscalateAfter
	}
	ctx = civmap.WithActor(ctx, civmap.Actor{System: "civmap timers"})
	due, err := t.Store.EscalationDue(ctx, now, after, timerBatch)
	if err != nil {
		log.Error("escalation: list due orders", "err", err)
	}
	for _, n := range due {
		site, err := t.Store.Site(ctx, n.Queue)
		if err != nil || site.ParentCode == "" {
			continue // the top of the network, or an unknown queue: nowhere to go
		}
		_, _, err = t.Store.Transition(ctx, n.ID, workflow.Request{Action: workflow.Escalate,
			Actor: workflow.Actor{Kind: workflow.System}, Now: now, Queue: site.ParentCode})
		switch civmap.ErrorCode(err) {
		case "":
			escalated++
		case civmap.ECONFLICT: // taken meanwhile
		default:
			log.Error("escalation", "need", n.ID, "err", err)
		}
	}
	if escalated > 0 && t.OnEscalate != nil {
		t.OnEscalate()
	}
	keep := t.Retention
	if keep <= 0 {
		keep = DefaultRetention
	}
	if erased, err = t.Store.EraseClosed(ctx, now.Add(-keep), timerBatch); err != nil {
		log.Error("retention: erase closed needs", "err", err)
	}
	return escalated, erased
}
