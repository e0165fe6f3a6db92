package storetest

import (
	"testing"
	"time"

	"civmap"
	"civmap/store"
	"civmap/workflow"
)

// BenchmarkTransitions takes b.N needs of a fresh store (open) through five transitions each —
// order, open dispatch, accept, start, finish: each one transaction with the need, its history
// event, outbox rows and audit record — and reports "transitions/s".
func BenchmarkTransitions(b *testing.B, open func(tb testing.TB) store.Store) {
	f, err := NewFixture()
	if err != nil {
		b.Fatal(err)
	}
	fl := newFlow(b, open(b), f, 1)
	v := fl.vols[0]
	v.MaxOpen = civmap.MaxVolunteerOpen
	if _, _, err := fl.st.PutVolunteers(system, []civmap.Volunteer{v}, false); err != nil {
		b.Fatal(err)
	}
	needs := make([]int64, b.N)
	for i := range needs {
		n, _, err := fl.st.CreateNeed(system, civmap.Need{Category: "卫生健康", Description: "基准", Place: civmap.Place{Code: fl.site.Code},
			SiteCode: fl.site.Code, Location: fl.site.Location, Status: civmap.NeedSubmitted})
		if err != nil {
			b.Fatal(err)
		}
		needs[i] = n.ID
	}
	chain := []string{fl.site.Code, fl.site.ParentCode, "430682"}
	staff := workflow.Actor{Kind: workflow.Staff, User: fl.staff}
	b.ResetTimer()
	start := time.Now()
	for _, id := range needs {
		now := time.Now().UTC()
		vol := fl.vols[0]
		actor := workflow.Actor{Kind: workflow.Volunteer, Volunteer: &vol, Chain: chain}
		for _, r := range []workflow.Request{
			{Action: workflow.Order, Actor: staff, Now: now, Start: now.Add(time.Hour), End: now.Add(2 * time.Hour)},
			{Action: workflow.Dispatch, Actor: staff, Now: now, Mode: civmap.DispatchOpen},
			{Action: workflow.Accept, Actor: actor, Now: now},
			{Action: workflow.Start, Actor: actor, Now: now},
			{Action: workflow.Finish, Actor: actor, Now: now, Hours: 1},
		} {
			if _, _, err := fl.st.Transition(system, id, r); err != nil {
				b.Fatalf("need %d %s: %v", id, r.Action, err)
			}
		}
	}
	b.ReportMetric(float64(5*b.N)/time.Since(start).Seconds(), "transitions/s")
}
