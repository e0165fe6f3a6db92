package dispatch_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"civmap"
	"civmap/dispatch"
	"civmap/store"
	"civmap/store/embedded"
	"civmap/store/postgis"
	"civmap/store/postgis/pgtest"
	"civmap/store/storetest"
	"civmap/workflow"
)

// TestTimers runs the workflow's timers on an injected clock, on both stores: a need nobody
// takes climbs post → station → center, one period at a time, and stays at the top; an
// order taken in time does not move; a closed need's free text is erased after the retention
// period and not before.
func TestTimers(t *testing.T) {
	t.Run("embedded", func(t *testing.T) {
		st, err := embedded.Open(context.Background(), filepath.Join(t.TempDir(), "civmap.db"))
		if err != nil {
			t.Fatal(err)
		}
		defer st.Close()
		testTimers(t, st)
	})
	t.Run("postgis", func(t *testing.T) {
		st, err := postgis.Open(context.Background(), postgis.Config{URL: pgtest.NewDatabase(t)})
		if err != nil {
			t.Fatal(err)
		}
		defer st.Close()
		testTimers(t, st)
	})
}

func testTimers(t *testing.T, st store.Store) {
	ctx := civmap.WithActor(context.Background(), civmap.Actor{System: "test"})
	f, err := storetest.NewFixture()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.Put(ctx, store.Batch{Sites: f.Sites, Areas: f.Areas}); err != nil {
		t.Fatal(err)
	}
	var post civmap.Site
	for _, s := range f.Sites {
		if s.Level == civmap.LevelPost && (post.Code == "" || s.Code < post.Code) {
			post = s
		}
	}
	station, err := st.Site(ctx, post.ParentCode)
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	mk := func(desc string) civmap.Need {
		n, _, err := st.CreateNeed(ctx, civmap.Need{Category: "卫生健康", Description: desc, Phone: "13600136000", Place: civmap.Place{Code: post.Code},
			SiteCode: post.Code, Location: post.Location, Status: civmap.NeedSubmitted, CreatedAt: t0})
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	waiting, taken, closed := mk("没人接"), mk("及时处理"), mk("已拒绝")
	now := t0
	escalations := 0
	timers := &dispatch.Timers{Store: st, EscalateAfter: 30 * time.Minute, Retention: 24 * time.Hour, Now: func() time.Time { return now },
		OnEscalate: func() { escalations++ }}
	staff := &civmap.User{ID: 1, Login: "s", Role: civmap.RoleStation, Scope: station.Code}
	// The second need is ordered at 20 minutes: its clock restarts.
	if _, _, err := st.Transition(ctx, taken.ID, workflow.Request{Action: workflow.Order, Actor: workflow.Actor{Kind: workflow.Staff, User: staff},
		Now: t0.Add(20 * time.Minute), Start: t0.Add(2 * time.Hour), End: t0.Add(3 * time.Hour)}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := st.Transition(ctx, closed.ID, workflow.Request{Action: workflow.Reject, Actor: workflow.Actor{Kind: workflow.Staff, User: staff},
		Now: t0.Add(5 * time.Minute), Reason: "不在服务范围"}); err != nil {
		t.Fatal(err)
	}
	queue := func(n civmap.Need) string {
		got, err := st.Need(ctx, n.ID)
		if err != nil {
			t.Fatal(err)
		}
		return got.Queue
	}
	for _, c := range []struct {
		at               time.Duration
		wantEsc          int
		waiting, ordered string
	}{
		{29 * time.Minute, 0, post.Code, post.Code},
		{31 * time.Minute, 1, station.Code, post.Code},
		{45 * time.Minute, 0, station.Code, post.Code},
		{51 * time.Minute, 1, station.Code, station.Code},
		{62 * time.Minute, 1, "430682", station.Code},
		{300 * time.Minute, 1, "430682", "430682"}, // the ordered one catches up; the top stays
		{600 * time.Minute, 0, "430682", "430682"},
	} {
		now = t0.Add(c.at)
		esc, _ := timers.Once(ctx)
		if esc != c.wantEsc || queue(waiting) != c.waiting || queue(taken) != c.ordered {
			t.Errorf("at +%v: %d escalated, queues %s and %s; want %d, %s and %s", c.at, esc, queue(waiting), queue(taken), c.wantEsc, c.waiting, c.ordered)
		}
	}
	hist, _ := st.NeedHistory(ctx, waiting.ID)
	if len(hist) != 3 || hist[1].Action != "escalate" || hist[2].Note != station.Code+" → 430682" {
		t.Errorf("history of the waiting need: %+v", hist)
	}
	if escalations == 0 {
		t.Error("OnEscalate was never called")
	}
	// Retention: erased a day after closing, not before; open needs are kept.
	now = t0.Add(5*time.Minute + 23*time.Hour)
	if _, erased := timers.Once(ctx); erased != 0 {
		t.Errorf("erased %d needs before the retention period", erased)
	}
	now = t0.Add(5*time.Minute + 25*time.Hour)
	if _, erased := timers.Once(ctx); erased != 1 {
		t.Errorf("erased %d needs after the retention period, want 1", erased)
	}
	if n, _ := st.Need(ctx, closed.ID); n.Description != "" || n.Phone != "" || n.ErasedAt.IsZero() {
		t.Errorf("the closed need keeps its text: %q %q", n.Description, n.Phone)
	}
	if n, _ := st.Need(ctx, waiting.ID); n.Description != "没人接" || n.Phone != "13600136000" {
		t.Error("an open need was erased")
	}
}
