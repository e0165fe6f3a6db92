package storetest

import (
	"container/heap"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"civmap"
	"civmap/store"
	"civmap/workflow"

	"github.com/paulmach/orb"
	orbgeo "github.com/paulmach/orb/geo"
)

// RunOrders checks a store's volunteers, teams, workflow transitions, outbox, retention and
// secrets against the contract of package store (Volunteers, Orders, Outbox, Secrets).
func RunOrders(t *testing.T, open Opener) {
	f, err := NewFixture()
	if err != nil {
		t.Fatal(err)
	}
	t.Run("Volunteers", func(t *testing.T) { testVolunteers(t, open(t), f) })
	t.Run("Teams", func(t *testing.T) { testTeams(t, open(t), f) })
	t.Run("Nearest", func(t *testing.T) { NearestBruteForce(t, open(t), f, 3000, 400, 1) })
	t.Run("Workflow", func(t *testing.T) { testWorkflow(t, open(t), f) })
	t.Run("AcceptRace", func(t *testing.T) { testAcceptRace(t, open(t), f) })
	t.Run("Outbox", func(t *testing.T) { testOutbox(t, open(t), f) })
	t.Run("Escalation", func(t *testing.T) { testEscalation(t, open(t), f) })
	t.Run("Retention", func(t *testing.T) { testRetention(t, open(t), f) })
	t.Run("Secrets", func(t *testing.T) { testSecrets(t, open(t)) })
}

// loadNetwork writes the fixture's sites, venues and areas.
func loadNetwork(t testing.TB, st store.Store, f Fixture) {
	t.Helper()
	if _, err := st.Put(system, store.Batch{Sites: f.Sites, Venues: f.Venues, Areas: f.Areas}); err != nil {
		t.Fatal(err)
	}
}

// posts returns the fixture's posts, by code.
func posts(f Fixture) []civmap.Site {
	var out []civmap.Site
	for _, s := range f.Sites {
		if s.Level == civmap.LevelPost {
			out = append(out, s)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Code < out[j].Code })
	return out
}

func volunteerAt(name string, site civmap.Site, skills ...civmap.Skill) civmap.Volunteer {
	return civmap.Volunteer{Name: name, Skills: skills, SiteCode: site.Code, Home: site.Location, OnDuty: true, Active: true}
}

func sameVolunteer(a, b civmap.Volunteer) bool {
	a.CreatedAt, a.UpdatedAt, b.CreatedAt, b.UpdatedAt = time.Time{}, time.Time{}, time.Time{}, time.Time{}
	return fmt.Sprint(a) == fmt.Sprint(b)
}

func testVolunteers(t *testing.T, st store.Store, f Fixture) {
	ctx := system
	loadNetwork(t, st, f)
	ps := posts(f)
	teams, _, err := st.PutTeams(ctx, []civmap.Team{{Name: "长城社区志愿服务中队", Tier: civmap.TierVillage, SiteCode: ps[0].Code}}, false)
	if err != nil {
		t.Fatal(err)
	}
	a := volunteerAt("张三", ps[0], "卫生健康", "理论宣讲", "卫生健康")
	a.Phone, a.Teams = "13800138000", []int64{teams[0].ID}
	a.Windows = []civmap.Window{{Day: time.Monday, From: 9 * 60, To: 12 * 60}}
	b := volunteerAt("李四", ps[1])
	b.Core = true
	got, ch, err := st.PutVolunteers(ctx, []civmap.Volunteer{a, b}, true)
	if err != nil || fmt.Sprint(ch) != "[inserted inserted]" {
		t.Fatalf("dry run: %v, %v", ch, err)
	}
	if list, _ := st.ListVolunteers(ctx, store.VolunteerFilter{}); len(list) != 0 {
		t.Fatalf("a dry run stored %d volunteers", len(list))
	}
	got, ch, err = st.PutVolunteers(ctx, []civmap.Volunteer{a, b}, false)
	if err != nil || fmt.Sprint(ch) != "[inserted inserted]" || got[0].ID == 0 || got[1].ID == got[0].ID {
		t.Fatalf("PutVolunteers = %v, %v, %v", got, ch, err)
	}
	if fmt.Sprint(got[0].Skills) != "[卫生健康 理论宣讲]" || got[0].MaxOpen != civmap.DefaultMaxOpen || got[0].CreatedAt.IsZero() {
		t.Errorf("stored volunteer not normalised: %+v", got[0])
	}
	for _, want := range got {
		back, err := st.Volunteer(ctx, want.ID)
		if err != nil || !sameVolunteer(back, want) {
			t.Errorf("Volunteer(%d) = %+v, %v; want %+v", want.ID, back, err, want)
		}
	}
	// The same phone again updates; so does an ID.
	a2 := a
	a2.Name, a2.OnDuty = "张三丰", false
	b2 := got[1]
	b2.Active = false
	got2, ch, err := st.PutVolunteers(ctx, []civmap.Volunteer{a2, b2}, false)
	if err != nil || fmt.Sprint(ch) != "[updated updated]" || got2[0].ID != got[0].ID || got2[0].Name != "张三丰" {
		t.Errorf("update by phone and by id: %v, %v, %v", got2, ch, err)
	}
	if _, ch, _ := st.PutVolunteers(ctx, []civmap.Volunteer{a2}, false); fmt.Sprint(ch) != "[unchanged]" {
		t.Errorf("the same record again: %v", ch)
	}
	// Bad records: nothing written.
	for name, c := range map[string]struct {
		v     civmap.Volunteer
		field string
	}{
		"bad phone":      {civmap.Volunteer{Name: "王五", Phone: "12345", SiteCode: ps[0].Code, Home: ps[0].Location, Active: true}, "volunteers[1].phone"},
		"unknown skill":  {civmap.Volunteer{Name: "王五", Skills: []civmap.Skill{"飞行"}, SiteCode: ps[0].Code, Home: ps[0].Location}, "volunteers[1].skills"},
		"unknown team":   {civmap.Volunteer{Name: "王五", Teams: []int64{9999}, SiteCode: ps[0].Code, Home: ps[0].Location}, "volunteers[1].teams"},
		"unknown site":   {civmap.Volunteer{Name: "王五", SiteCode: "430682999999", Home: ps[0].Location}, "volunteers[1].site_code"},
		"unknown mentor": {civmap.Volunteer{Name: "王五", MentorID: 9999, SiteCode: ps[0].Code, Home: ps[0].Location}, "volunteers[1].mentor_id"},
		"bad window":     {civmap.Volunteer{Name: "王五", Windows: []civmap.Window{{Day: 1, From: 600, To: 500}}, SiteCode: ps[0].Code, Home: ps[0].Location}, "volunteers[1].windows"},
		"no point":       {civmap.Volunteer{Name: "王五", SiteCode: ps[0].Code}, "volunteers[1].coord_source"},
	} {
		ok := volunteerAt("赵六", ps[2])
		_, _, err := st.PutVolunteers(ctx, []civmap.Volunteer{ok, c.v}, false)
		wantCode(t, name, err, civmap.EINVALID, c.field)
	}
	ghost := got[0]
	ghost.ID = 9999
	_, _, err = st.PutVolunteers(ctx, []civmap.Volunteer{ghost}, false)
	wantCode(t, "an unknown id", err, civmap.ENOTFOUND, "")
	if list, _ := st.ListVolunteers(ctx, store.VolunteerFilter{}); len(list) != 2 {
		t.Errorf("rejected batches stored volunteers: %d", len(list))
	}
	// Filters.
	yes := true
	for name, c := range map[string]struct {
		f    store.VolunteerFilter
		want int
	}{
		"all":        {store.VolunteerFilter{}, 2},
		"team":       {store.VolunteerFilter{TeamID: teams[0].ID}, 1},
		"skill":      {store.VolunteerFilter{Skill: "卫生健康"}, 1},
		"phone":      {store.VolunteerFilter{Phone: "13800138000"}, 1},
		"active":     {store.VolunteerFilter{Active: &yes}, 1},
		"scope":      {store.VolunteerFilter{Scope: ps[0].ParentCode}, map[bool]int{true: 2, false: 1}[ps[0].ParentCode == ps[1].ParentCode]},
		"scope post": {store.VolunteerFilter{Scope: ps[1].Code}, 1},
		"after":      {store.VolunteerFilter{AfterID: got[0].ID}, 1},
		"limit":      {store.VolunteerFilter{Limit: 1}, 1},
	} {
		list, err := st.ListVolunteers(ctx, c.f)
		if err != nil || len(list) != c.want {
			t.Errorf("ListVolunteers(%s) = %d, %v; want %d", name, len(list), err, c.want)
		}
	}
	// The account link.
	u := mustUser(t, st, newUser("vol-zhang", civmap.RoleVolunteer, ps[0].Code))
	linked := got2[0]
	linked.UserID = u.ID
	if _, _, err := st.PutVolunteers(ctx, []civmap.Volunteer{linked}, false); err != nil {
		t.Fatal(err)
	}
	if v, err := st.VolunteerByUser(ctx, u.ID); err != nil || v.ID != linked.ID {
		t.Errorf("VolunteerByUser = %+v, %v", v, err)
	}
	_, err = st.VolunteerByUser(ctx, 99999)
	wantCode(t, "VolunteerByUser of no one", err, civmap.ENOTFOUND, "")
	// The audit log keeps no name or phone.
	recs, _ := st.ListAudit(ctx, store.AuditFilter{Kind: civmap.KindVolunteer})
	if len(recs) < 3 {
		t.Errorf("%d volunteer audit records, want one per write", len(recs))
	}
	for _, r := range recs {
		if s := string(r.After) + string(r.Before); strings.Contains(s, "张三") || strings.Contains(s, "13800138000") {
			t.Errorf("the audit log keeps a volunteer's name or phone: %s", s)
		}
	}
}

func testTeams(t *testing.T, st store.Store, f Fixture) {
	ctx := system
	loadNetwork(t, st, f)
	ps := posts(f)
	leader := mustUser(t, st, newUser("leader", civmap.RoleTeamLeader, ps[0].Code))
	in := []civmap.Team{
		{Name: "临湘市卫生健康志愿服务队", Tier: civmap.TierMunicipal, SiteCode: "430682", Skills: []civmap.Skill{"卫生健康"}},
		{Name: "长安街道文艺志愿服务队", Tier: civmap.TierTown, SiteCode: ps[0].ParentCode, Skills: []civmap.Skill{"文化艺术", "教育体育"}},
		{Name: "中队", Tier: civmap.TierVillage, SiteCode: ps[0].Code, LeaderID: leader.ID},
		{Name: "中队", Tier: civmap.TierVillage, SiteCode: ps[1].Code},
	}
	got, ch, err := st.PutTeams(ctx, in, false)
	if err != nil || fmt.Sprint(ch) != "[inserted inserted inserted inserted]" {
		t.Fatalf("PutTeams = %v, %v", ch, err)
	}
	if fmt.Sprint(got[1].Skills) != "[教育体育 文化艺术]" {
		t.Errorf("skills not sorted: %v", got[1].Skills)
	}
	// By (site, name) again: unchanged; a change: updated.
	again := in[2]
	again.Skills = []civmap.Skill{"爱心帮扶"}
	_, ch, _ = st.PutTeams(ctx, []civmap.Team{in[3], again}, false)
	if fmt.Sprint(ch) != "[unchanged updated]" {
		t.Errorf("re-put: %v", ch)
	}
	if tm, err := st.Team(ctx, got[2].ID); err != nil || fmt.Sprint(tm.Skills) != "[爱心帮扶]" || tm.LeaderID != leader.ID {
		t.Errorf("Team = %+v, %v", tm, err)
	}
	for name, c := range map[string]struct {
		tm    civmap.Team
		field string
	}{
		"tier of another level": {civmap.Team{Name: "x", Tier: civmap.TierMunicipal, SiteCode: ps[0].Code}, "teams[0].tier"},
		"unknown site":          {civmap.Team{Name: "x", Tier: civmap.TierVillage, SiteCode: "430682999999"}, "teams[0].site_code"},
		"unknown leader":        {civmap.Team{Name: "x", Tier: civmap.TierVillage, SiteCode: ps[0].Code, LeaderID: 9999}, "teams[0].leader_id"},
		"blank name":            {civmap.Team{Name: " ", Tier: civmap.TierVillage, SiteCode: ps[0].Code}, "teams[0].name"},
	} {
		_, _, err := st.PutTeams(ctx, []civmap.Team{c.tm}, false)
		wantCode(t, name, err, civmap.EINVALID, c.field)
	}
	for name, c := range map[string]struct {
		f    store.TeamFilter
		want int
	}{
		"all": {store.TeamFilter{}, 4}, "site": {store.TeamFilter{SiteCode: ps[0].Code}, 1},
		"tier": {store.TeamFilter{Tier: civmap.TierVillage}, 2}, "leader": {store.TeamFilter{LeaderID: leader.ID}, 1},
	} {
		if list, err := st.ListTeams(ctx, c.f); err != nil || len(list) != c.want {
			t.Errorf("ListTeams(%s) = %d, %v; want %d", name, len(list), err, c.want)
		}
	}
	_, err = st.Team(ctx, 9999)
	wantCode(t, "Team(unknown)", err, civmap.ENOTFOUND, "")
}

// RandomVolunteers makes n volunteers around the fixture's posts with random skills, windows,
// duty, limits, open orders and activity (seeded: the same every run).
func RandomVolunteers(f Fixture, n int, seed uint64) []civmap.Volunteer {
	r := rand.New(rand.NewPCG(seed, 7))
	ps := posts(f)
	out := make([]civmap.Volunteer, n)
	for i := range out {
		site := ps[r.IntN(len(ps))]
		p := orb.Point{round6(site.Location.Point)[0] + (r.Float64()-0.5)*0.1, round6(site.Location.Point)[1] + (r.Float64()-0.5)*0.1}
		v := civmap.Volunteer{Name: fmt.Sprintf("志愿者%06d", i), SiteCode: site.Code, Active: r.IntN(10) > 0, OnDuty: r.IntN(4) == 0,
			MaxOpen: 1 + r.IntN(3), Home: civmap.Location{Point: round6(p), Source: civmap.CoordImported, Precision: civmap.PrecisionExact}}
		v.OpenOrders = r.IntN(v.MaxOpen + 1)
		for _, s := range civmap.Skills {
			if r.IntN(4) == 0 {
				v.Skills = append(v.Skills, s)
			}
		}
		for d := 0; d < 7; d++ {
			if r.IntN(2) == 0 {
				from := r.IntN(20) * 60
				v.Windows = append(v.Windows, civmap.Window{Day: time.Weekday(d), From: from, To: from + 60*(1+r.IntN(4))})
			}
		}
		out[i] = v
	}
	return out
}

// NearestBruteForce stores n random volunteers and checks NearestVolunteers against a brute-force
// search on q random queries (random points near the county, skills, times, scopes and k):
// the same volunteers in the same order, distances within 1 m. (A new volunteer's OpenOrders
// is stored as given, so the open-order limit is exercised too.)
func NearestBruteForce(t *testing.T, st store.Store, f Fixture, n, q int, seed uint64) {
	ctx := system
	loadNetwork(t, st, f)
	vs := RandomVolunteers(f, n, seed)
	for i := 0; i < len(vs); i += 5000 {
		if _, _, err := st.PutVolunteers(ctx, vs[i:min(i+5000, len(vs))], false); err != nil {
			t.Fatal(err)
		}
	}
	all, err := st.ListVolunteers(ctx, store.VolunteerFilter{})
	if err != nil || len(all) != n {
		t.Fatalf("%d volunteers stored, %v", len(all), err)
	}
	chains := map[string][]string{}
	for _, s := range f.Sites {
		c, err := st.SiteChain(ctx, s.Code)
		if err != nil {
			t.Fatal(err)
		}
		chains[s.Code] = c
	}
	scopes := []string{""}
	for _, s := range f.Sites {
		if s.Level == civmap.LevelStation {
			scopes = append(scopes, s.Code)
		}
	}
	ps := posts(f)
	scopes = append(scopes, ps[0].Code, ps[len(ps)/2].Code)
	r := rand.New(rand.NewPCG(seed, 11))
	t0 := time.Date(2026, 12, 7, 0, 0, 0, 0, civmap.ChinaTime)
	unit := func(p orb.Point) [3]float64 {
		lon, lat := p[0]*math.Pi/180, p[1]*math.Pi/180
		return [3]float64{math.Cos(lat) * math.Cos(lon), math.Cos(lat) * math.Sin(lon), math.Sin(lat)}
	}
	units := make([][3]float64, len(all))
	chainOf := make([][]string, len(all))
	for i, v := range all {
		units[i] = unit(v.Home.Point)
		chainOf[i] = chains[v.SiteCode]
	}
	// static(q) lists the volunteers that pass q's filters but time and exclusions — a superset
	// of its matches (Matches with At and Exclude is stricter), so looking only at them is still
	// looking at every volunteer that could match. Kept per (scope, skill).
	statics := map[string][]int{}
	static := func(q store.VolunteerQuery) []int {
		key := q.Scope + "|" + string(q.Skill)
		if idx, ok := statics[key]; ok {
			return idx
		}
		loose := store.VolunteerQuery{Skill: q.Skill, Scope: q.Scope}
		idx := []int{}
		for j := range all {
			if loose.Matches(&all[j], chainOf[j]) {
				idx = append(idx, j)
			}
		}
		statics[key] = idx
		return idx
	}
	for i := 0; i < q; i++ {
		site := ps[r.IntN(len(ps))]
		// The scope is the whole network, the town or the village the point lies in (a
		// dispatcher's need is in their scope), or, once in ten, any town or village.
		query := store.VolunteerQuery{Point: orb.Point{site.Location.Point[0] + (r.Float64()-0.5)*0.2, site.Location.Point[1] + (r.Float64()-0.5)*0.2},
			K: 1 + r.IntN(20), Scope: []string{"", site.ParentCode, site.Code}[r.IntN(3)]}
		if r.IntN(10) == 0 {
			query.Scope = scopes[r.IntN(len(scopes))]
		}
		if r.IntN(3) > 0 {
			query.Skill = civmap.Skills[r.IntN(len(civmap.Skills))]
		}
		if r.IntN(2) == 0 {
			query.At = t0.Add(time.Duration(r.IntN(7*24*60)) * time.Minute)
		}
		if r.IntN(5) == 0 {
			query.Exclude = []int64{all[r.IntN(len(all))].ID, all[r.IntN(len(all))].ID}
		}
		got, err := st.NearestVolunteers(ctx, query)
		if err != nil {
			t.Fatalf("query %d: %v", i, err)
		}
		// Brute force: every volunteer is looked at, by chord length on the unit sphere (monotonic
		// in great-circle distance), ties by id; the k nearest that Matches keeps are kept in a
		// bounded max-heap, and a volunteer farther than the heap's worst (once full) cannot enter
		// it, so Matches runs only for those that could.
		qu := unit(query.Point)
		type cand struct {
			v     *civmap.Volunteer
			chord float64
		}
		h := make(candHeap, 0, query.K+1) // a max-heap: the worst kept on top
		for _, j := range static(query) {
			u := units[j]
			dx, dy, dz := u[0]-qu[0], u[1]-qu[1], u[2]-qu[2]
			c := candItem{j, dx*dx + dy*dy + dz*dz, all[j].ID}
			if len(h) == query.K && !before(c, h[0]) {
				continue
			}
			if !query.Matches(&all[j], chainOf[j]) {
				continue
			}
			heap.Push(&h, c)
			if len(h) > query.K {
				heap.Pop(&h)
			}
		}
		cands := make([]cand, len(h))
		for i := len(h) - 1; i >= 0; i-- {
			c := heap.Pop(&h).(candItem)
			cands[i] = cand{&all[c.i], c.chord}
		}
		if len(got) != len(cands) {
			t.Fatalf("query %d %+v: %d volunteers, brute force %d", i, query, len(got), len(cands))
		}
		for j := range got {
			if !query.Matches(&got[j].Item, chains[got[j].Item.SiteCode]) {
				t.Fatalf("query %d %+v: #%d, volunteer %d, does not match the query", i, query, j, got[j].Item.ID)
			}
			want := cands[j].v
			d := orbgeo.DistanceHaversine(query.Point, want.Home.Point)
			if got[j].Item.ID != want.ID && math.Abs(got[j].DistanceM-d) > 1e-3 {
				t.Fatalf("query %d %+v: #%d is volunteer %d at %.3f m, brute force %d at %.3f m", i, query, j, got[j].Item.ID, got[j].DistanceM, want.ID, d)
			}
			if math.Abs(got[j].DistanceM-d) > 1 {
				t.Fatalf("query %d: #%d distance %.3f m, brute force %.3f m", i, j, got[j].DistanceM, d)
			}
		}
	}
	for _, bad := range []store.VolunteerQuery{{Point: orb.Point{113, 29}, K: 0}, {Point: orb.Point{113, 29}, K: store.MaxNearest + 1},
		{Point: orb.Point{200, 29}, K: 3}} {
		_, err := st.NearestVolunteers(ctx, bad)
		wantCode(t, fmt.Sprintf("query %+v", bad), err, civmap.EINVALID, "")
	}
}

// flow is a need at a post with staff and volunteers around it, for the workflow tests.
type flow struct {
	st      store.Store
	need    civmap.Need
	site    civmap.Site
	staff   *civmap.User
	vols    []civmap.Volunteer
	team    civmap.Team
	now     time.Time
	receipt string
}

func newFlow(t testing.TB, st store.Store, f Fixture, nVols int) *flow {
	t.Helper()
	ctx := system
	loadNetwork(t, st, f)
	site := posts(f)[0]
	station := mustUser(t, st, newUser("station", civmap.RoleStation, site.ParentCode))
	teams, _, err := st.PutTeams(ctx, []civmap.Team{{Name: "卫生健康服务队", Tier: civmap.TierVillage, SiteCode: site.Code, Skills: []civmap.Skill{"卫生健康"}}}, false)
	if err != nil {
		t.Fatal(err)
	}
	var in []civmap.Volunteer
	for i := 0; i < nVols; i++ {
		v := volunteerAt(fmt.Sprintf("队员%02d", i), site, "卫生健康")
		v.Teams = []int64{teams[0].ID}
		in = append(in, v)
	}
	vols, _, err := st.PutVolunteers(ctx, in, false)
	if err != nil {
		t.Fatal(err)
	}
	n := civmap.Need{Category: "卫生健康", Description: "老人需要量血压", Place: civmap.Place{Code: site.Code}, SiteCode: site.Code,
		Location: site.Location, Status: civmap.NeedSubmitted, Phone: "13900139000", ReceiptHash: hash("receipt")}
	n, _, err = st.CreateNeed(civmap.WithActor(context.Background(), civmap.Actor{Addr: "198.51.100.9"}), n)
	if err != nil {
		t.Fatal(err)
	}
	return &flow{st: st, need: n, site: site, staff: &station, vols: vols, team: teams[0], now: time.Now().UTC().Truncate(time.Second), receipt: hash("receipt")}
}

func (fl *flow) staffReq(a workflow.Action) workflow.Request {
	fl.now = fl.now.Add(time.Minute)
	return workflow.Request{Action: a, Actor: workflow.Actor{Kind: workflow.Staff, User: fl.staff}, Now: fl.now}
}

func (fl *flow) volReq(a workflow.Action, i int) workflow.Request {
	fl.now = fl.now.Add(time.Minute)
	v := fl.vols[i]
	return workflow.Request{Action: a, Actor: workflow.Actor{Kind: workflow.Volunteer, Volunteer: &v, Chain: []string{fl.site.Code, fl.site.ParentCode, "430682"}},
		Now: fl.now, Team: fl.team.Name}
}

func (fl *flow) do(t *testing.T, r workflow.Request) (civmap.Need, error) {
	t.Helper()
	n, _, err := fl.st.Transition(system, fl.need.ID, r)
	return n, err
}

func (fl *flow) must(t *testing.T, r workflow.Request, want civmap.NeedStatus) civmap.Need {
	t.Helper()
	n, err := fl.do(t, r)
	if err != nil || n.Status != want {
		t.Fatalf("%s: status %s, %v; want %s", r.Action, n.Status, err, want)
	}
	return n
}

func testWorkflow(t *testing.T, st store.Store, f Fixture) {
	fl := newFlow(t, st, f, 3)
	ctx := context.Background()
	if fl.need.Queue != fl.site.Code || fl.need.Version != 0 || !fl.need.UpdatedAt.Equal(fl.need.CreatedAt) {
		t.Errorf("new need: queue %q, version %d, updated %v", fl.need.Queue, fl.need.Version, fl.need.UpdatedAt)
	}
	if n, err := st.NeedByReceipt(ctx, fl.receipt); err != nil || n.ID != fl.need.ID {
		t.Errorf("NeedByReceipt = %v, %v", n.ID, err)
	}
	_, err := st.NeedByReceipt(ctx, hash("other"))
	wantCode(t, "an unknown receipt", err, civmap.ENOTFOUND, "")

	// Illegal moves change nothing and name the status.
	before, _ := st.Need(ctx, fl.need.ID)
	for _, r := range []workflow.Request{fl.volReq(workflow.Accept, 0), func() workflow.Request {
		r := fl.staffReq(workflow.Dispatch)
		r.Mode = civmap.DispatchOpen
		return r
	}()} {
		_, err := fl.do(t, r)
		if civmap.ErrorCode(err) != civmap.ECONFLICT || civmap.ErrorField(err) != "status" || !strings.Contains(civmap.ErrorMessage(err), "submitted") {
			t.Errorf("%s on a submitted need: %v; want a conflict naming the status", r.Action, err)
		}
	}
	if after, _ := st.Need(ctx, fl.need.ID); after.Version != before.Version || after.Status != before.Status {
		t.Error("refused transitions changed the need")
	}

	o := fl.staffReq(workflow.Order)
	o.Slots, o.Start, o.End = 2, fl.now.Add(time.Hour), fl.now.Add(3*time.Hour)
	n := fl.must(t, o, civmap.NeedOrdered)
	if n.Order.Skill != "卫生健康" || n.Order.Slots != 2 || n.Version != 1 {
		t.Errorf("ordered: %+v", n.Order)
	}
	d := fl.staffReq(workflow.Dispatch)
	d.Mode, d.TeamID, d.TeamName = civmap.DispatchTeam, fl.team.ID, fl.team.Name
	fl.must(t, d, civmap.NeedDispatched)
	fl.must(t, fl.volReq(workflow.Accept, 0), civmap.NeedDispatched)
	fl.must(t, fl.volReq(workflow.Accept, 1), civmap.NeedAccepted)
	if _, err := fl.do(t, fl.volReq(workflow.Accept, 2)); civmap.ErrorCode(err) != civmap.ECONFLICT {
		t.Errorf("a third volunteer on a two-place order: %v, want a conflict", err)
	}
	if v, _ := st.Volunteer(ctx, fl.vols[0].ID); v.OpenOrders != 1 {
		t.Errorf("volunteer 0 holds %d open orders, want 1", v.OpenOrders)
	}
	fl.must(t, fl.volReq(workflow.Decline, 1), civmap.NeedDispatched)
	fl.must(t, fl.volReq(workflow.Accept, 2), civmap.NeedAccepted)
	if v, _ := st.Volunteer(ctx, fl.vols[1].ID); v.OpenOrders != 0 {
		t.Errorf("a declined volunteer holds %d open orders", v.OpenOrders)
	}
	fl.must(t, fl.volReq(workflow.Start, 0), civmap.NeedInService)
	fl.must(t, fl.volReq(workflow.Start, 2), civmap.NeedInService)
	fin := fl.volReq(workflow.Finish, 0)
	fin.Hours = 1.5
	fl.must(t, fin, civmap.NeedInService)
	fin = fl.volReq(workflow.Finish, 2)
	fin.Hours = 2
	n = fl.must(t, fin, civmap.NeedDone)
	if n.ClosedAt.IsZero() {
		t.Error("a done need has no ClosedAt")
	}
	as, err := st.Assignments(ctx, fl.need.ID)
	if err != nil || len(as) != 3 {
		t.Fatalf("assignments: %v, %v", as, err)
	}
	hours := map[int64]float64{}
	for _, a := range as {
		hours[a.VolunteerID] = a.Hours
	}
	if hours[fl.vols[0].ID] != 1.5 || hours[fl.vols[2].ID] != 2 || hours[fl.vols[1].ID] != 0 {
		t.Errorf("hours %v", hours)
	}
	for _, v := range fl.vols {
		if got, _ := st.Volunteer(ctx, v.ID); got.OpenOrders != 0 {
			t.Errorf("volunteer %d holds %d open orders after done", v.ID, got.OpenOrders)
		}
	}
	rate := workflow.Request{Action: workflow.Rate, Actor: workflow.Actor{Kind: workflow.Resident}, Now: fl.now.Add(time.Hour), Rating: 5, Comment: "很好"}
	n = fl.must(t, rate, civmap.NeedRated)
	if n.Rating != 5 || n.Comment != "很好" {
		t.Errorf("rated: %d %q", n.Rating, n.Comment)
	}
	hist, err := st.NeedHistory(ctx, fl.need.ID)
	if err != nil {
		t.Fatal(err)
	}
	var steps []string
	for _, e := range hist {
		steps = append(steps, e.Action+":"+string(e.To))
		if e.NeedID != fl.need.ID || e.At.IsZero() || e.ID == 0 {
			t.Errorf("event %+v", e)
		}
	}
	want := "[submit:submitted order:ordered dispatch:dispatched accept:dispatched accept:accepted decline:dispatched accept:accepted start:in_service start:in_service finish:in_service finish:done rate:rated]"
	if fmt.Sprint(steps) != want {
		t.Errorf("history %v\nwant %s", steps, want)
	}
	if hist[2].Team != fl.team.Name {
		t.Errorf("the dispatch event names team %q", hist[2].Team)
	}
	// Every transition is in the audit log, without the resident's text.
	recs, _ := st.ListAudit(ctx, store.AuditFilter{Kind: civmap.KindNeed, RecordID: fmt.Sprint(fl.need.ID), Action: civmap.AuditTransition})
	if len(recs) != len(hist)-1 {
		t.Errorf("%d transition audit records for %d transitions", len(recs), len(hist)-1)
	}
	for _, r := range recs {
		if strings.Contains(string(r.After), "量血压") || strings.Contains(string(r.After), "13900139000") || strings.Contains(string(r.After), "很好") {
			t.Errorf("audit keeps personal text: %s", r.After)
		}
	}
	// Nothing more after rating.
	if _, err := fl.do(t, rate); civmap.ErrorCode(err) != civmap.ECONFLICT {
		t.Errorf("rating twice: %v", err)
	}
	_, _, err = st.Transition(system, 99999, rate)
	wantCode(t, "a transition of no need", err, civmap.ENOTFOUND, "")
	// Lists: by queue, by status, by volunteer.
	for name, c := range map[string]struct {
		f    store.NeedFilter
		want int
	}{
		"queue":       {store.NeedFilter{Queues: []string{fl.site.Code, "nowhere"}}, 1},
		"other queue": {store.NeedFilter{Queues: []string{"nowhere"}}, 0},
		"statuses":    {store.NeedFilter{Statuses: []civmap.NeedStatus{civmap.NeedRated, civmap.NeedDone}}, 1},
		"volunteer":   {store.NeedFilter{VolunteerID: fl.vols[1].ID}, 1},
		"not theirs":  {store.NeedFilter{VolunteerID: 99999}, 0},
	} {
		if list, err := st.ListNeeds(ctx, c.f); err != nil || len(list) != c.want {
			t.Errorf("ListNeeds(%s) = %d, %v; want %d", name, len(list), err, c.want)
		}
	}
}

// testAcceptRace: 50 volunteers accept a one-place order at once: one wins, 49 conflict, the
// history holds one accept.
func testAcceptRace(t *testing.T, st store.Store, f Fixture) {
	fl := newFlow(t, st, f, 50)
	o := fl.staffReq(workflow.Order)
	o.Slots, o.Start, o.End = 1, fl.now.Add(time.Hour), fl.now.Add(2*time.Hour)
	fl.must(t, o, civmap.NeedOrdered)
	d := fl.staffReq(workflow.Dispatch)
	d.Mode = civmap.DispatchOpen
	fl.must(t, d, civmap.NeedDispatched)
	var wg sync.WaitGroup
	var mu sync.Mutex
	outcome := map[string]int{}
	reqs := make([]workflow.Request, 50)
	for i := range reqs {
		reqs[i] = fl.volReq(workflow.Accept, i)
	}
	start := make(chan struct{})
	for i := range reqs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			_, _, err := st.Transition(system, fl.need.ID, reqs[i])
			mu.Lock()
			outcome[civmap.ErrorCode(err)]++
			mu.Unlock()
		}()
	}
	close(start)
	wg.Wait()
	if outcome[""] != 1 || outcome[civmap.ECONFLICT] != 49 {
		t.Errorf("50 racing accepts: %v; want 1 success and 49 conflicts", outcome)
	}
	hist, _ := st.NeedHistory(context.Background(), fl.need.ID)
	accepts := 0
	for _, e := range hist {
		if e.Action == string(workflow.Accept) {
			accepts++
		}
	}
	if accepts != 1 {
		t.Errorf("history holds %d accepts", accepts)
	}
	open := 0
	vs, _ := st.ListVolunteers(context.Background(), store.VolunteerFilter{})
	for _, v := range vs {
		open += v.OpenOrders
	}
	if open != 1 {
		t.Errorf("volunteers hold %d open orders in all, want 1", open)
	}
}

func testOutbox(t *testing.T, st store.Store, f Fixture) {
	fl := newFlow(t, st, f, 2)
	ctx := context.Background()
	o := fl.staffReq(workflow.Order)
	o.Start, o.End = fl.now.Add(time.Hour), fl.now.Add(2*time.Hour)
	fl.must(t, o, civmap.NeedOrdered)
	d := fl.staffReq(workflow.Dispatch)
	d.Mode, d.Volunteers = civmap.DispatchVolunteers, []int64{fl.vols[0].ID, fl.vols[1].ID}
	fl.must(t, d, civmap.NeedDispatched)
	now := fl.now.Add(time.Minute)
	got, err := st.ClaimNotifications(ctx, now, 100, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	var recips []string
	keys := map[string]bool{}
	for _, n := range got {
		recips = append(recips, n.Type+">"+n.Recipient)
		if keys[n.Key] || !strings.HasPrefix(n.Key, fmt.Sprintf("need/%d/event/", fl.need.ID)) || n.Attempts != 1 || n.NeedID != fl.need.ID {
			t.Errorf("notification %+v", n)
		}
		keys[n.Key] = true
		var p map[string]any
		if err := json.Unmarshal(n.Payload, &p); err != nil || p["status"] == nil || strings.Contains(string(n.Payload), "量血压") || strings.Contains(string(n.Payload), "13900139000") {
			t.Errorf("payload %s", n.Payload)
		}
	}
	slices.Sort(recips)
	wantR := []string{"dispatch>resident", fmt.Sprintf("dispatch>volunteer:%d", fl.vols[0].ID), fmt.Sprintf("dispatch>volunteer:%d", fl.vols[1].ID),
		"order>resident", "order>site:" + fl.site.Code, "submit>site:" + fl.site.Code}
	slices.Sort(wantR)
	if fmt.Sprint(recips) != fmt.Sprint(wantR) {
		t.Errorf("outbox: %v\nwant %v", recips, wantR)
	}
	// Leased: nothing to claim until the lease ends; delivered ones never come back.
	if again, _ := st.ClaimNotifications(ctx, now.Add(30*time.Second), 100, time.Minute); len(again) != 0 {
		t.Errorf("%d notifications claimed twice within the lease", len(again))
	}
	if err := st.NotificationDelivered(ctx, got[0].ID, now); err != nil {
		t.Fatal(err)
	}
	if err := st.RetryNotification(ctx, got[1].ID, now.Add(10*time.Minute)); err != nil {
		t.Fatal(err)
	}
	later, _ := st.ClaimNotifications(ctx, now.Add(2*time.Minute), 100, time.Minute)
	if len(later) != len(got)-2 {
		t.Errorf("after the lease: %d claimed, want %d", len(later), len(got)-2)
	}
	for _, n := range later {
		if n.ID == got[0].ID || n.ID == got[1].ID || n.Attempts != 2 {
			t.Errorf("re-claimed %+v", n)
		}
	}
	if last, _ := st.ClaimNotifications(ctx, now.Add(11*time.Minute), 100, time.Minute); len(last) != len(got)-1 {
		t.Errorf("after the retry time: %d claimed, want %d", len(last), len(got)-1)
	}
	wantCode(t, "delivering no notification", st.NotificationDelivered(ctx, 99999, now), civmap.ENOTFOUND, "")
	// Claims do not overlap between concurrent senders.
	var wg sync.WaitGroup
	var mu sync.Mutex
	seen := map[int64]int{}
	for i := 0; i < 4; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ns, err := st.ClaimNotifications(ctx, now.Add(time.Hour), 100, time.Minute)
			if err != nil {
				t.Error(err)
			}
			mu.Lock()
			for _, n := range ns {
				seen[n.ID]++
			}
			mu.Unlock()
		}()
	}
	wg.Wait()
	for id, c := range seen {
		if c > 1 {
			t.Errorf("notification %d claimed by %d senders at once", id, c)
		}
	}
	if len(seen) != len(got)-1 {
		t.Errorf("concurrent claims took %d, want %d", len(seen), len(got)-1)
	}
}

func testEscalation(t *testing.T, st store.Store, f Fixture) {
	fl := newFlow(t, st, f, 1)
	ctx := context.Background()
	t0 := fl.need.CreatedAt
	if due, _ := st.EscalationDue(ctx, t0.Add(29*time.Minute), 30*time.Minute, 10); len(due) != 0 {
		t.Errorf("due before the time: %v", due)
	}
	due, err := st.EscalationDue(ctx, t0.Add(31*time.Minute), 30*time.Minute, 10)
	if err != nil || len(due) != 1 || due[0].ID != fl.need.ID {
		t.Fatalf("due after the time: %v, %v", due, err)
	}
	up := workflow.Request{Action: workflow.Escalate, Actor: workflow.Actor{Kind: workflow.System}, Now: t0.Add(31 * time.Minute), Queue: fl.site.ParentCode}
	n, _, err := st.Transition(system, fl.need.ID, up)
	if err != nil || n.Queue != fl.site.ParentCode || n.Status != civmap.NeedSubmitted {
		t.Fatalf("escalated: %+v, %v", n, err)
	}
	if due, _ := st.EscalationDue(ctx, t0.Add(40*time.Minute), 30*time.Minute, 10); len(due) != 0 {
		t.Errorf("an escalated need is due again at once: %v", due)
	}
	if due, _ := st.EscalationDue(ctx, t0.Add(62*time.Minute), 30*time.Minute, 10); len(due) != 1 {
		t.Errorf("the escalated need is not due after another period: %v", due)
	}
	ns, _ := st.ListNeeds(ctx, store.NeedFilter{Queues: []string{fl.site.ParentCode}})
	if len(ns) != 1 {
		t.Errorf("the parent's queue holds %d needs", len(ns))
	}
}

func testRetention(t *testing.T, st store.Store, f Fixture) {
	fl := newFlow(t, st, f, 1)
	ctx := context.Background()
	rej := fl.staffReq(workflow.Reject)
	rej.Reason = "不属于服务范围"
	n := fl.must(t, rej, civmap.NeedRejected)
	open := civmap.Need{Category: "其他", Description: "仍在处理", Place: civmap.Place{Code: fl.site.Code}, SiteCode: fl.site.Code,
		Location: fl.site.Location, Status: civmap.NeedSubmitted, Phone: "13700137000"}
	open, _, err := st.CreateNeed(system, open)
	if err != nil {
		t.Fatal(err)
	}
	if c, err := st.EraseClosed(ctx, n.ClosedAt, 100); err != nil || c != 0 {
		t.Errorf("erasing needs closed before their close: %d, %v", c, err)
	}
	c, err := st.EraseClosed(ctx, n.ClosedAt.Add(time.Second), 100)
	if err != nil || c != 1 {
		t.Fatalf("EraseClosed = %d, %v", c, err)
	}
	got, _ := st.Need(ctx, n.ID)
	if got.Description != "" || got.Phone != "" || got.ErasedAt.IsZero() || got.Reason != "不属于服务范围" || got.Category != "卫生健康" {
		t.Errorf("erased need: %+v", got)
	}
	if o, _ := st.Need(ctx, open.ID); o.Description != "仍在处理" || o.Phone != "13700137000" {
		t.Error("an open need was erased")
	}
	if c, _ := st.EraseClosed(ctx, n.ClosedAt.Add(time.Hour), 100); c != 0 {
		t.Errorf("erased twice: %d", c)
	}
	recs, _ := st.ListAudit(ctx, store.AuditFilter{Action: civmap.AuditErase})
	if len(recs) != 1 || recs[0].RecordID != fmt.Sprint(n.ID) {
		t.Errorf("erase audit: %+v", recs)
	}
}

func testSecrets(t *testing.T, st store.Store) {
	ctx := context.Background()
	a, err := st.Secret(ctx, "receipts")
	if err != nil || len(a) != 32 {
		t.Fatalf("Secret = %x, %v", a, err)
	}
	b, _ := st.Secret(ctx, "receipts")
	c, _ := st.Secret(ctx, "checkin")
	if string(a) != string(b) || string(a) == string(c) {
		t.Errorf("secrets: %x %x %x", a, b, c)
	}
	var wg sync.WaitGroup
	got := make([][]byte, 8)
	for i := range got {
		wg.Add(1)
		go func() { defer wg.Done(); got[i], _ = st.Secret(ctx, "race") }()
	}
	wg.Wait()
	for _, g := range got {
		if string(g) != string(got[0]) || len(g) != 32 {
			t.Errorf("racing first reads of a secret disagree")
		}
	}
}

// candItem is a volunteer (index i) in the brute-force heap, by chord length then id.
type candItem struct {
	i     int
	chord float64
	id    int64
}

// before reports whether a comes before b: nearer, or as near with a smaller id.
func before(a, b candItem) bool {
	if a.chord != b.chord {
		return a.chord < b.chord
	}
	return a.id < b.id
}

// candHeap is a max-heap of candidates: the last in order on top.
type candHeap []candItem

func (h candHeap) Len() int           { return len(h) }
func (h candHeap) Less(a, b int) bool { return before(h[b], h[a]) }
func (h candHeap) Swap(a, b int)      { h[a], h[b] = h[b], h[a] }
func (h *candHeap) Push(x any)        { *h = append(*h, x.(candItem)) }
func (h *candHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}
