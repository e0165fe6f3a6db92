package embedded_test

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"civmap"
	"civmap/store"
	"civmap/store/embedded"
	"civmap/store/storetest"
	"civmap/workflow"

	"github.com/paulmach/orb"
)

// TestReopenOrders checks that volunteers, teams, the workflow's fields of needs, assignments,
// history and the outbox survive closing and reopening the data file: everything read from
// memory before is read the same after it was loaded again.
func TestReopenOrders(t *testing.T) {
	f, err := storetest.NewFixture()
	if err != nil {
		t.Fatal(err)
	}
	ctx := civmap.WithActor(context.Background(), civmap.Actor{System: "test"})
	path := filepath.Join(t.TempDir(), "civmap.db")
	s, err := embedded.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Put(ctx, store.Batch{Sites: f.Sites, Venues: f.Venues, Areas: f.Areas}); err != nil {
		t.Fatal(err)
	}
	var post civmap.Site
	for _, x := range f.Sites {
		if x.Level == civmap.LevelPost {
			post = x
			break
		}
	}
	u, err := s.CreateUser(ctx, civmap.User{Login: "vol", Name: "志愿者", Role: civmap.RoleVolunteer, Scope: post.Code})
	if err != nil {
		t.Fatal(err)
	}
	teams, _, err := s.PutTeams(ctx, []civmap.Team{{Name: "服务队", Tier: civmap.TierVillage, SiteCode: post.Code, LeaderID: u.ID,
		Skills: []civmap.Skill{"卫生健康"}}}, false)
	if err != nil {
		t.Fatal(err)
	}
	vs := storetest.RandomVolunteers(f, 500, 3)
	vs[0].UserID, vs[0].Phone, vs[0].Teams, vs[0].Skills = u.ID, "13800138000", []int64{teams[0].ID}, []civmap.Skill{"卫生健康"}
	vs[0].Active, vs[0].OnDuty, vs[0].MaxOpen, vs[0].OpenOrders = true, true, 3, 0
	if _, _, err := s.PutVolunteers(ctx, vs, false); err != nil {
		t.Fatal(err)
	}
	v0, err := s.VolunteerByUser(ctx, u.ID)
	if err != nil {
		t.Fatal(err)
	}
	n, _, err := s.CreateNeed(ctx, civmap.Need{Category: "卫生健康", Description: "量血压", Place: civmap.Place{Code: post.Code},
		SiteCode: post.Code, Location: post.Location, Status: civmap.NeedSubmitted, Phone: "13900139000", ReceiptHash: "r1"})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 12, 1, 9, 0, 0, 123456789, time.UTC)
	staff := &civmap.User{ID: 1, Role: civmap.RoleStation}
	for _, r := range []workflow.Request{
		{Action: workflow.Order, Actor: workflow.Actor{Kind: workflow.Staff, User: staff}, Now: now, Slots: 2,
			Start: now.Add(time.Hour), End: now.Add(3 * time.Hour), Urgency: civmap.UrgencyUrgent},
		{Action: workflow.Dispatch, Actor: workflow.Actor{Kind: workflow.Staff, User: staff}, Now: now.Add(time.Minute),
			Mode: civmap.DispatchVolunteers, Volunteers: []int64{v0.ID, v0.ID + 1}},
		{Action: workflow.Accept, Actor: workflow.Actor{Kind: workflow.Volunteer, Volunteer: &v0}, Now: now.Add(2 * time.Minute), Team: "服务队"},
	} {
		if _, _, err := s.Transition(ctx, n.ID, r); err != nil {
			t.Fatalf("%s: %v", r.Action, err)
		}
	}

	type snapshot struct {
		need  civmap.Need
		as    []civmap.Assignment
		hist  []civmap.NeedEvent
		vol   civmap.Volunteer
		team  civmap.Team
		near  []store.Near[civmap.Volunteer]
		mine  []civmap.Need
		byRec civmap.Need
	}
	read := func(s *embedded.Store) snapshot {
		var x snapshot
		var err error
		if x.need, err = s.Need(ctx, n.ID); err != nil {
			t.Fatal(err)
		}
		x.as, _ = s.Assignments(ctx, n.ID)
		x.hist, _ = s.NeedHistory(ctx, n.ID)
		x.vol, _ = s.Volunteer(ctx, v0.ID)
		x.team, _ = s.Team(ctx, teams[0].ID)
		x.near, _ = s.NearestVolunteers(ctx, store.VolunteerQuery{Point: orb.Point{post.Location.Point[0] + 0.01, post.Location.Point[1]},
			K: 20, At: now})
		x.mine, _ = s.ListNeeds(ctx, store.NeedFilter{VolunteerID: v0.ID, Queues: []string{post.Code}})
		x.byRec, _ = s.NeedByReceipt(ctx, "r1")
		return x
	}
	before := read(s)
	if before.need.Status != civmap.NeedDispatched || before.need.Version != 3 || len(before.as) != 1 || before.vol.OpenOrders != 1 ||
		len(before.hist) != 4 || len(before.mine) != 1 || before.byRec.ID != n.ID || len(before.near) != 20 {
		t.Fatalf("before reopening: %+v", before)
	}
	s.Close()

	s, err = embedded.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	after := read(s)
	if a, b := fmt.Sprintf("%+v", after), fmt.Sprintf("%+v", before); a != b {
		t.Errorf("after reopening:\n%s\nbefore:\n%s", a, b)
	}
	all, _ := s.ListVolunteers(ctx, store.VolunteerFilter{})
	if len(all) != len(vs) {
		t.Errorf("%d volunteers after reopening, want %d", len(all), len(vs))
	}
	// The outbox: submit, order (2), dispatch (3), accept (1), all due.
	ns, err := s.ClaimNotifications(ctx, time.Now().Add(time.Hour), 100, time.Minute)
	if err != nil || len(ns) != 7 {
		t.Errorf("ClaimNotifications after reopening: %d, %v", len(ns), err)
	}
}

// TestReceiptConflict: a receipt names one need, as in PostGIS (a unique index): a second need
// with the same receipt hash is refused with ECONFLICT naming receipt_hash, and nothing of it is
// written.
func TestReceiptConflict(t *testing.T) {
	ctx := context.Background()
	s, err := embedded.Open(ctx, filepath.Join(t.TempDir(), "civmap.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	loc := civmap.Location{Point: orb.Point{113.45, 29.48}, Source: civmap.CoordImported, Precision: civmap.PrecisionExact}
	n := civmap.Need{Category: "其他", Description: "一", Place: civmap.Place{Point: &loc.Point}, Location: loc,
		Status: civmap.NeedSubmitted, ReceiptHash: "same"}
	first, _, err := s.CreateNeed(ctx, n)
	if err != nil {
		t.Fatal(err)
	}
	n.Description = "二"
	_, _, err = s.CreateNeed(ctx, n)
	if civmap.ErrorCode(err) != civmap.ECONFLICT || civmap.ErrorField(err) != "receipt_hash" {
		t.Fatalf("a second need with the receipt: %v", err)
	}
	if got, err := s.NeedByReceipt(ctx, "same"); err != nil || got.ID != first.ID {
		t.Errorf("NeedByReceipt = %d, %v; want %d", got.ID, err, first.ID)
	}
	if all, _ := s.ListNeeds(ctx, store.NeedFilter{}); len(all) != 1 {
		t.Errorf("%d needs stored", len(all))
	}
}
