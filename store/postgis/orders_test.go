package postgis_test

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"civmap"
	"civmap/store"
	"civmap/store/postgis"
	"civmap/store/postgis/pgtest"
	"civmap/store/storetest"
	"civmap/workflow"
)

var testActor = civmap.WithActor(context.Background(), civmap.Actor{System: "postgis_test"})

// firstPosts returns the first two posts of the fixture under different stations.
func firstPosts(t *testing.T, f storetest.Fixture) (a, b civmap.Site) {
	t.Helper()
	for _, s := range f.Sites {
		if s.Level != civmap.LevelPost {
			continue
		}
		switch {
		case a.Code == "":
			a = s
		case s.ParentCode != a.ParentCode:
			return a, s
		}
	}
	t.Fatal("the fixture has no two posts under different stations")
	return
}

// TestVolunteerChainFollowsPut checks that the stored site chains of volunteers (their scope)
// follow Put: a post moved to another station takes its volunteers into that station's scope,
// for ListVolunteers and NearestVolunteers alike.
func TestVolunteerChainFollowsPut(t *testing.T) {
	ctx := testActor
	st, err := postgis.Open(ctx, postgis.Config{URL: pgtest.NewDatabase(t)})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	f, err := storetest.NewFixture()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.Put(ctx, store.Batch{Sites: f.Sites}); err != nil {
		t.Fatal(err)
	}
	a, b := firstPosts(t, f)
	vs, _, err := st.PutVolunteers(ctx, []civmap.Volunteer{{Name: "甲", SiteCode: a.Code, Home: a.Location, Active: true, OnDuty: true}}, false)
	if err != nil {
		t.Fatal(err)
	}
	scoped := func(scope string) (list, near bool) {
		t.Helper()
		l, err := st.ListVolunteers(ctx, store.VolunteerFilter{Scope: scope})
		if err != nil {
			t.Fatal(err)
		}
		n, err := st.NearestVolunteers(ctx, store.VolunteerQuery{Point: a.Location.Point, K: 5, Scope: scope})
		if err != nil {
			t.Fatal(err)
		}
		return len(l) == 1 && l[0].ID == vs[0].ID, len(n) == 1 && n[0].Item.ID == vs[0].ID
	}
	if l, n := scoped(a.ParentCode); !l || !n {
		t.Fatalf("the volunteer is not in its station's scope: list %v, nearest %v", l, n)
	}
	moved := a
	moved.ParentCode = b.ParentCode
	if _, err := st.Put(ctx, store.Batch{Sites: []civmap.Site{moved}}); err != nil {
		t.Fatal(err)
	}
	if l, n := scoped(b.ParentCode); !l || !n {
		t.Errorf("after the move the volunteer is not in the new station's scope: list %v, nearest %v", l, n)
	}
	if l, n := scoped(a.ParentCode); l || n {
		t.Errorf("after the move the volunteer is still in the old station's scope: list %v, nearest %v", l, n)
	}
}

// TestTransitionsAcrossInstances races 40 volunteers accepting a one-place order through two
// stores (two pools, as two civmap instances) on one database, then two senders claiming the
// outbox: exactly one accept wins, and no notification is claimed twice.
func TestTransitionsAcrossInstances(t *testing.T) {
	ctx := testActor
	dbURL := pgtest.NewDatabase(t)
	var sts []*postgis.Store
	for i := 0; i < 2; i++ {
		st, err := postgis.Open(ctx, postgis.Config{URL: dbURL, NoMigrate: i > 0})
		if err != nil {
			t.Fatal(err)
		}
		defer st.Close()
		sts = append(sts, st)
	}
	st := sts[0]
	f, err := storetest.NewFixture()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.Put(ctx, store.Batch{Sites: f.Sites}); err != nil {
		t.Fatal(err)
	}
	site, _ := firstPosts(t, f)
	var in []civmap.Volunteer
	for i := 0; i < 40; i++ {
		in = append(in, civmap.Volunteer{Name: fmt.Sprintf("队员%02d", i), SiteCode: site.Code, Home: site.Location, Active: true,
			OnDuty: true, Skills: []civmap.Skill{"卫生健康"}})
	}
	vols, _, err := st.PutVolunteers(ctx, in, false)
	if err != nil {
		t.Fatal(err)
	}
	staff, err := st.CreateUser(ctx, civmap.User{Login: "station", Name: "站长", Role: civmap.RoleStation, Scope: site.ParentCode,
		PasswordHash: "$argon2id$v=19$m=65536,t=3,p=4$c2FsdA$x"})
	if err != nil {
		t.Fatal(err)
	}
	need, _, err := st.CreateNeed(ctx, civmap.Need{Category: "卫生健康", Description: "量血压", Place: civmap.Place{Code: site.Code},
		SiteCode: site.Code, Location: site.Location, Status: civmap.NeedSubmitted})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC()
	order := workflow.Request{Action: workflow.Order, Actor: workflow.Actor{Kind: workflow.Staff, User: &staff}, Now: now,
		Start: now.Add(time.Hour), End: now.Add(2 * time.Hour)}
	dispatch := workflow.Request{Action: workflow.Dispatch, Actor: workflow.Actor{Kind: workflow.Staff, User: &staff},
		Now: now.Add(time.Minute), Mode: civmap.DispatchOpen}
	for _, r := range []workflow.Request{order, dispatch} {
		if _, _, err := st.Transition(ctx, need.ID, r); err != nil {
			t.Fatal(err)
		}
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	outcome := map[string]int{}
	for i, v := range vols {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := workflow.Request{Action: workflow.Accept, Now: now.Add(2 * time.Minute),
				Actor: workflow.Actor{Kind: workflow.Volunteer, Volunteer: &v, Chain: []string{site.Code, site.ParentCode, "430682"}}}
			_, _, err := sts[i%2].Transition(ctx, need.ID, r)
			mu.Lock()
			outcome[civmap.ErrorCode(err)]++
			mu.Unlock()
		}()
	}
	wg.Wait()
	if outcome[""] != 1 || outcome[civmap.ECONFLICT] != len(vols)-1 {
		t.Errorf("%d racing accepts through two instances: %v; want 1 success, the rest conflicts", len(vols), outcome)
	}
	open := 0
	all, _ := st.ListVolunteers(ctx, store.VolunteerFilter{})
	for _, v := range all {
		open += v.OpenOrders
	}
	if open != 1 {
		t.Errorf("volunteers hold %d open orders, want 1", open)
	}
	// Two senders, one per instance, claim everything due, a few at a time.
	claimed := map[int64]int{}
	for round := 0; round < 10; round++ {
		var wg sync.WaitGroup
		for _, s := range sts {
			wg.Add(1)
			go func() {
				defer wg.Done()
				ns, err := s.ClaimNotifications(context.Background(), now.Add(time.Hour), 2, time.Hour)
				if err != nil {
					t.Error(err)
				}
				mu.Lock()
				for _, n := range ns {
					claimed[n.ID]++
				}
				mu.Unlock()
			}()
		}
		wg.Wait()
	}
	var ids []int64
	for id, c := range claimed {
		if c != 1 {
			t.Errorf("notification %d claimed %d times within its lease", id, c)
		}
		ids = append(ids, id)
	}
	slices.Sort(ids)
	// submit, order (resident, site), dispatch (open, resident), accept (resident, site).
	if len(ids) != 7 {
		t.Errorf("claimed %d notifications (%v), want 7", len(ids), ids)
	}
}
