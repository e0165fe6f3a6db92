package storetest

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	"civmap"
	"civmap/geo"
	"civmap/store"
	"civmap/tiles"

	"github.com/paulmach/orb"
	orbgeo "github.com/paulmach/orb/geo"
	"github.com/paulmach/orb/maptile"
	"github.com/uber/h3-go/v4"
)

// Run checks one store against the contract of package store. Each subtest writes to a fresh
// store from open.
func Run(t *testing.T, open Opener) {
	f, err := NewFixture()
	if err != nil {
		t.Fatal(err)
	}
	t.Run("Put", func(t *testing.T) { testPut(t, open(t), f) })
	t.Run("PutAtomic", func(t *testing.T) { testPutAtomic(t, open(t), f) })
	t.Run("Loaded", func(t *testing.T) {
		st := open(t)
		ctx := context.Background()
		if err := f.Load(ctx, st); err != nil {
			t.Fatal(err)
		}
		t.Run("Sites", func(t *testing.T) { testSites(t, st, f) })
		t.Run("Nearest", func(t *testing.T) { testNearest(t, st, f) })
		t.Run("Venues", func(t *testing.T) { testVenues(t, st, f) })
		t.Run("Areas", func(t *testing.T) { testAreas(t, st, f) })
		t.Run("Activities", func(t *testing.T) { testActivities(t, st, f) })
		t.Run("Needs", func(t *testing.T) { testNeeds(t, st, f) })
		t.Run("Clusters", func(t *testing.T) { testClusters(t, st, f) })
		t.Run("Tiles", func(t *testing.T) { testTiles(t, st) })
	})
	t.Run("NeedsAtSite", func(t *testing.T) { testNeedsAtSite(t, open(t), f) })
	t.Run("Moves", func(t *testing.T) { testMoves(t, open(t), f) })
	t.Run("Invalid", func(t *testing.T) { testInvalid(t, open(t), f) })
	t.Run("Version", func(t *testing.T) { testVersion(t, open(t), f) })
	t.Run("Records", func(t *testing.T) { RunRecords(t, open) })
	t.Run("Accounts", func(t *testing.T) { RunAccounts(t, open) })
	t.Run("Orders", func(t *testing.T) { RunOrders(t, open) })
}

func wantCode(t *testing.T, what string, err error, code, field string) {
	t.Helper()
	if civmap.ErrorCode(err) != code || (field != "" && civmap.ErrorField(err) != field) {
		t.Errorf("%s: err = %v; want code %s field %q", what, err, code, field)
	}
}

func changes(cs []store.Change) map[store.Change]int {
	m := map[store.Change]int{}
	for _, c := range cs {
		m[c]++
	}
	return m
}

func testPut(t *testing.T, st store.Store, f Fixture) {
	ctx := context.Background()
	b := store.Batch{Sites: f.Sites, Venues: f.Venues, Areas: f.Areas}

	dry := b
	dry.DryRun = true
	res, err := st.Put(ctx, dry)
	if err != nil {
		t.Fatal(err)
	}
	if c := changes(res.Sites); c[store.Inserted] != len(f.Sites) {
		t.Errorf("dry run: site changes %v, want all inserted", c)
	}
	if got, _ := st.ListSites(ctx, store.SiteFilter{}); len(got) != 0 {
		t.Fatalf("dry run stored %d sites", len(got))
	}

	res, err = st.Put(ctx, b)
	if err != nil {
		t.Fatal(err)
	}
	if c := changes(res.Sites); c[store.Inserted] != len(f.Sites) {
		t.Errorf("first put: site changes %v", c)
	}
	if c := changes(res.Venues); c[store.Inserted] != len(f.Venues) {
		t.Errorf("first put: venue changes %v", c)
	}
	if c := changes(res.Areas); c[store.Inserted] != len(f.Areas) {
		t.Errorf("first put: area changes %v", c)
	}
	for _, want := range f.Sites {
		got, err := st.Site(ctx, want.Code)
		if err != nil {
			t.Fatal(err)
		}
		if got.ID != civmap.FeatureID(want.Code) || !store.SameSite(got, want) {
			t.Fatalf("site %s: got %+v, want %+v", want.Code, got, want)
		}
		if got.UpdatedAt.IsZero() || got.UpdatedAt.Location() != time.UTC || got.UpdatedAt.Nanosecond()%1000 != 0 {
			t.Errorf("site %s: UpdatedAt %v is not a set UTC time with microsecond precision", want.Code, got.UpdatedAt)
		}
	}

	// The same batch again changes nothing.
	before, _ := st.Site(ctx, f.Sites[0].Code)
	res, err = st.Put(ctx, b)
	if err != nil {
		t.Fatal(err)
	}
	if c := changes(append(append(res.Sites, res.Venues...), res.Areas...)); c[store.Unchanged] != len(f.Sites)+len(f.Venues)+len(f.Areas) {
		t.Errorf("second put: changes %v, want all unchanged", c)
	}
	after, _ := st.Site(ctx, f.Sites[0].Code)
	if !after.UpdatedAt.Equal(before.UpdatedAt) {
		t.Errorf("an unchanged put moved UpdatedAt from %v to %v", before.UpdatedAt, after.UpdatedAt)
	}

	// One changed site, one changed venue, one changed area, one new site.
	s0 := f.Sites[0]
	s0.Name += "（更正）"
	s0.Location = civmap.Location{Point: orb.Point{s0.Location.Point[0] + 0.001, s0.Location.Point[1]}, Source: civmap.CoordSurveyed, Precision: civmap.PrecisionExact}
	v0 := f.Venues[0]
	v0.Address = "新地址"
	a0 := f.Areas[0]
	a0.Name = "临湘市（新）"
	nw := civmap.Site{Code: "JD-new", Name: "新基地", Level: civmap.LevelBase, ParentCode: "430682",
		Location: civmap.Location{Point: orb.Point{113.5, 29.5}, Source: civmap.CoordImported, Precision: civmap.PrecisionExact}}
	res, err = st.Put(ctx, store.Batch{Sites: []civmap.Site{s0, f.Sites[1], nw}, Venues: []civmap.Venue{v0}, Areas: []store.Area{a0}})
	if err != nil {
		t.Fatal(err)
	}
	want := store.BatchResult{Sites: []store.Change{store.Updated, store.Unchanged, store.Inserted},
		Venues: []store.Change{store.Updated}, Areas: []store.Change{store.Updated}}
	if fmt.Sprint(res) != fmt.Sprint(want) {
		t.Errorf("update put: %v, want %v", res, want)
	}
	if got, _ := st.Site(ctx, s0.Code); !store.SameSite(got, s0) {
		t.Errorf("updated site: %+v, want %+v", got, s0)
	}
	if got, _ := st.Venue(ctx, v0.Code); !store.SameVenue(got, v0) {
		t.Errorf("updated venue: %+v, want %+v", got, v0)
	}

	// InsertOnly leaves existing records alone.
	s1 := f.Sites[1]
	s1.Name = "不应写入"
	res, err = st.Put(ctx, store.Batch{Sites: []civmap.Site{s1}, InsertOnly: true})
	if err != nil || res.Sites[0] != store.Unchanged {
		t.Errorf("insert-only put of an existing site: %v, %v; want unchanged", res, err)
	}
	if got, _ := st.Site(ctx, s1.Code); got.Name == s1.Name {
		t.Error("insert-only put overwrote a site")
	}
}

func testPutAtomic(t *testing.T, st store.Store, f Fixture) {
	ctx := context.Background()
	sites := append([]civmap.Site(nil), f.Sites[:20]...)
	sites[7].Name = " "
	_, err := st.Put(ctx, store.Batch{Sites: sites})
	wantCode(t, "put with a blank name", err, civmap.EINVALID, "sites[7].name")
	if got, _ := st.ListSites(ctx, store.SiteFilter{}); len(got) != 0 {
		t.Errorf("a rejected batch stored %d sites", len(got))
	}
	sites = append([]civmap.Site(nil), f.Sites[1:5]...) // towns without their center
	_, err = st.Put(ctx, store.Batch{Sites: sites})
	wantCode(t, "put without the parent", err, civmap.EINVALID, "sites[0].parent_code")
	_, err = st.Put(ctx, store.Batch{Sites: f.Sites[:1], Venues: []civmap.Venue{f.Venues[len(f.Venues)-1]}})
	wantCode(t, "put of a venue without its site", err, civmap.EINVALID, "venues[0].site_code")
	_, err = st.Put(ctx, store.Batch{Sites: []civmap.Site{f.Sites[0], f.Sites[0]}})
	wantCode(t, "put of a code twice", err, civmap.EINVALID, "sites[1].code")
	if got, _ := st.ListSites(ctx, store.SiteFilter{}); len(got) != 0 {
		t.Errorf("rejected batches stored %d sites", len(got))
	}
	// The parent may already be in the store.
	if _, err := st.Put(ctx, store.Batch{Sites: f.Sites[:1]}); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Put(ctx, store.Batch{Sites: f.Sites[1:5]}); err != nil {
		t.Errorf("put of towns whose center is stored: %v", err)
	}
}

func sortedSites(sites []civmap.Site, keep func(civmap.Site) bool) []string {
	var out []string
	for _, s := range sites {
		if keep(s) {
			out = append(out, s.Code)
		}
	}
	sort.Strings(out)
	return out
}

func siteCodes(sites []civmap.Site) []string {
	out := make([]string, len(sites))
	for i, s := range sites {
		out[i] = s.Code
	}
	return out
}

func testSites(t *testing.T, st store.Store, f Fixture) {
	ctx := context.Background()
	_, err := st.Site(ctx, "999999")
	wantCode(t, "Site(999999)", err, civmap.ENOTFOUND, "")
	bound := orb.Bound{Min: orb.Point{113.40, 29.40}, Max: orb.Point{113.55, 29.50}}
	// A site exactly on the bound's edge is inside (inclusive).
	edge := f.Sites[len(f.Sites)-1]
	for _, c := range []struct {
		name string
		f    store.SiteFilter
		keep func(civmap.Site) bool
	}{
		{"all", store.SiteFilter{}, func(civmap.Site) bool { return true }},
		{"posts", store.SiteFilter{Level: civmap.LevelPost}, func(s civmap.Site) bool { return s.Level == civmap.LevelPost }},
		{"children", store.SiteFilter{ParentCode: "430682001"}, func(s civmap.Site) bool { return s.ParentCode == "430682001" }},
		{"bound", store.SiteFilter{Bound: &bound}, func(s civmap.Site) bool { return bound.Contains(s.Location.Point) }},
		{"edge", store.SiteFilter{Bound: &orb.Bound{Min: edge.Location.Point, Max: orb.Point{180, 90}}},
			func(s civmap.Site) bool {
				return s.Location.Point[0] >= edge.Location.Point[0] && s.Location.Point[1] >= edge.Location.Point[1]
			}},
		{"stations in bound", store.SiteFilter{Level: civmap.LevelStation, Bound: &bound},
			func(s civmap.Site) bool { return s.Level == civmap.LevelStation && bound.Contains(s.Location.Point) }},
	} {
		got, err := st.ListSites(ctx, c.f)
		if err != nil {
			t.Fatal(err)
		}
		if g, w := strings.Join(siteCodes(got), ","), strings.Join(sortedSites(f.Sites, c.keep), ","); g != w {
			t.Errorf("ListSites(%s) = %s\nwant %s", c.name, g, w)
		}
	}
}

func testNearest(t *testing.T, st store.Store, f Fixture) {
	ctx := context.Background()
	_, err := st.NearestSites(ctx, orb.Point{113, 29}, 0, store.SiteFilter{})
	wantCode(t, "NearestSites(k=0)", err, civmap.EINVALID, "k")
	_, err = st.NearestSites(ctx, orb.Point{200, 29}, 3, store.SiteFilter{})
	wantCode(t, "NearestSites(lon 200)", err, civmap.EINVALID, "lon")
	for _, q := range NearestQueries(f) {
		got, err := st.NearestSites(ctx, q.Point, q.K, q.Filter)
		if err != nil {
			t.Fatal(err)
		}
		want := bruteNearest(f.Sites, q.Point, q.K, q.Filter)
		if len(got) != len(want) {
			t.Errorf("%s: %d results, want %d", q.Name, len(got), len(want))
			continue
		}
		for i := range got {
			if got[i].Item.Code != want[i].Item.Code || !near(got[i].DistanceM, want[i].DistanceM, 1e-6) {
				t.Errorf("%s: #%d is %s at %.3f m, want %s at %.3f m", q.Name, i, got[i].Item.Code, got[i].DistanceM,
					want[i].Item.Code, want[i].DistanceM)
				break
			}
		}
	}
}

func near(a, b, relTol float64) bool {
	d := a - b
	if d < 0 {
		d = -d
	}
	return d <= relTol*(1+max(a, b))
}

// NearestQuery is one nearest-neighbour query the suite asks.
type NearestQuery struct {
	Name   string
	Point  orb.Point
	K      int
	Filter store.SiteFilter
}

// NearestQueries returns the suite's nearest-neighbour queries: at sites, between them, at the
// two sites that share a point (a tie), far away, with filters and with k beyond the count.
func NearestQueries(f Fixture) []NearestQuery {
	var qs []NearestQuery
	for i := 0; i < len(f.Sites); i += 11 {
		p := f.Sites[i].Location.Point
		qs = append(qs, NearestQuery{Name: "at " + f.Sites[i].Code, Point: p, K: 5},
			NearestQuery{Name: "near " + f.Sites[i].Code, Point: orb.Point{p[0] + 0.0031, p[1] - 0.0017}, K: 12})
	}
	twin := f.Sites[len(f.Sites)-2].Location.Point
	b := orb.Bound{Min: orb.Point{113.3, 29.3}, Max: orb.Point{113.6, 29.6}}
	qs = append(qs,
		NearestQuery{Name: "tie", Point: twin, K: 3},
		NearestQuery{Name: "tie k=1", Point: twin, K: 1},
		NearestQuery{Name: "Shanghai", Point: orb.Point{121.47, 31.23}, K: 4},
		NearestQuery{Name: "Sydney", Point: orb.Point{151.2, -33.87}, K: 2},
		NearestQuery{Name: "posts", Point: twin, K: 7, Filter: store.SiteFilter{Level: civmap.LevelPost}},
		NearestQuery{Name: "children", Point: twin, K: 30, Filter: store.SiteFilter{ParentCode: "430682001"}},
		NearestQuery{Name: "bound", Point: orb.Point{113.2, 29.2}, K: 9, Filter: store.SiteFilter{Bound: &b}},
		NearestQuery{Name: "all", Point: twin, K: 1000},
	)
	return qs
}

func bruteNearest(sites []civmap.Site, p orb.Point, k int, f store.SiteFilter) []store.Near[civmap.Site] {
	var out []store.Near[civmap.Site]
	for _, s := range sites {
		if (f.Level == "" || s.Level == f.Level) && (f.ParentCode == "" || s.ParentCode == f.ParentCode) &&
			(f.Bound == nil || f.Bound.Contains(s.Location.Point)) {
			out = append(out, store.Near[civmap.Site]{Item: s, DistanceM: orbgeo.DistanceHaversine(p, s.Location.Point)})
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].DistanceM != out[j].DistanceM {
			return out[i].DistanceM < out[j].DistanceM
		}
		return out[i].Item.Code < out[j].Item.Code
	})
	if len(out) > k {
		out = out[:k]
	}
	return out
}

func testVenues(t *testing.T, st store.Store, f Fixture) {
	ctx := context.Background()
	_, err := st.Venue(ctx, "nope")
	wantCode(t, "Venue(nope)", err, civmap.ENOTFOUND, "")
	for _, want := range f.Venues[:10] {
		got, err := st.Venue(ctx, want.Code)
		if err != nil || got.ID != civmap.FeatureID(want.Code) || !store.SameVenue(got, want) {
			t.Errorf("Venue(%s) = %+v, %v; want %+v", want.Code, got, err, want)
		}
	}
	bound := orb.Bound{Min: orb.Point{113.40, 29.40}, Max: orb.Point{113.55, 29.50}}
	site := f.Venues[4].SiteCode
	for _, c := range []struct {
		name string
		f    store.VenueFilter
		keep func(civmap.Venue) bool
	}{
		{"all", store.VenueFilter{}, func(civmap.Venue) bool { return true }},
		{"site", store.VenueFilter{SiteCode: site}, func(v civmap.Venue) bool { return v.SiteCode == site }},
		{"type", store.VenueFilter{Type: "农家书屋"}, func(v civmap.Venue) bool { return v.Type == "农家书屋" }},
		{"bound", store.VenueFilter{Bound: &bound, Type: "文化广场"}, func(v civmap.Venue) bool { return v.Type == "文化广场" && bound.Contains(v.Location.Point) }},
	} {
		got, err := st.ListVenues(ctx, c.f)
		if err != nil {
			t.Fatal(err)
		}
		var g, w []string
		for _, v := range got {
			g = append(g, v.Code)
		}
		for _, v := range f.Venues {
			if c.keep(v) {
				w = append(w, v.Code)
			}
		}
		sort.Strings(w)
		if strings.Join(g, ",") != strings.Join(w, ",") {
			t.Errorf("ListVenues(%s) = %v, want %v", c.name, g, w)
		}
	}
}

func testAreas(t *testing.T, st store.Store, f Fixture) {
	got, err := st.ListAreas(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	want := append([]store.Area(nil), f.Areas...)
	sort.Slice(want, func(i, j int) bool { return want[i].Code < want[j].Code })
	if len(got) != len(want) {
		t.Fatalf("ListAreas: %d areas, want %d", len(got), len(want))
	}
	for i := range got {
		if got[i].Code != want[i].Code || got[i].Name != want[i].Name || got[i].Level != want[i].Level ||
			!orb.Equal(got[i].Polygon, want[i].Polygon) {
			t.Errorf("area %d: %s %s %s %s, want %s %s %s %s (or the polygon differs)", i, got[i].Code, got[i].Name,
				got[i].Level, got[i].Polygon.GeoJSONType(), want[i].Code, want[i].Name, want[i].Level, want[i].Polygon.GeoJSONType())
		}
	}
}

// expectActivity is a as a store returns it: times in UTC to the microsecond, the given id.
func expectActivity(a civmap.Activity, id int64) civmap.Activity {
	a.ID = id
	a.Start = a.Start.UTC().Truncate(time.Microsecond)
	a.End = a.End.UTC().Truncate(time.Microsecond)
	a.CreatedAt = a.CreatedAt.UTC().Truncate(time.Microsecond)
	return a
}

func sameActivity(a, b civmap.Activity) bool {
	if (a.Place.Point == nil) != (b.Place.Point == nil) || (a.Place.Point != nil && *a.Place.Point != *b.Place.Point) {
		return false
	}
	a.Place.Point, b.Place.Point = nil, nil
	return a.Start.Equal(b.Start) && a.End.Equal(b.End) && a.CreatedAt.Equal(b.CreatedAt) &&
		a.Start.Location() == b.Start.Location() && fmt.Sprint(a) == fmt.Sprint(b)
}

func sameNeed(a, b civmap.Need) bool {
	if (a.Place.Point == nil) != (b.Place.Point == nil) || (a.Place.Point != nil && *a.Place.Point != *b.Place.Point) {
		return false
	}
	a.Place.Point, b.Place.Point = nil, nil
	return a.CreatedAt.Equal(b.CreatedAt) && fmt.Sprint(a) == fmt.Sprint(b)
}

func testActivities(t *testing.T, st store.Store, f Fixture) {
	ctx := context.Background()
	var all []civmap.Activity
	for i, a := range f.Activities {
		want := expectActivity(a, int64(i+1))
		all = append(all, want)
		got, err := st.Activity(ctx, want.ID)
		if err != nil {
			t.Fatal(err)
		}
		if !sameActivity(got, want) {
			t.Fatalf("Activity(%d) = %+v\nwant %+v", want.ID, got, want)
		}
	}
	_, err := st.Activity(ctx, int64(len(f.Activities)+1))
	wantCode(t, "Activity(missing)", err, civmap.ENOTFOUND, "")
	sort.SliceStable(all, func(i, j int) bool {
		if !all[i].Start.Equal(all[j].Start) {
			return all[i].Start.Before(all[j].Start)
		}
		return all[i].ID < all[j].ID
	})
	bound := orb.Bound{Min: orb.Point{113.40, 29.40}, Max: orb.Point{113.55, 29.50}}
	site := f.Activities[3].SiteCode
	for _, c := range []struct {
		name string
		f    store.ActivityFilter
		keep func(civmap.Activity) bool
	}{
		{"all", store.ActivityFilter{}, func(civmap.Activity) bool { return true }},
		{"site", store.ActivityFilter{SiteCode: site}, func(a civmap.Activity) bool { return a.SiteCode == site }},
		{"end after", store.ActivityFilter{EndAfter: f.Now}, func(a civmap.Activity) bool { return a.End.After(f.Now) }},
		{"end after an end", store.ActivityFilter{EndAfter: all[0].End}, func(a civmap.Activity) bool { return a.End.After(all[0].End) }},
		{"bound", store.ActivityFilter{Bound: &bound}, func(a civmap.Activity) bool { return bound.Contains(a.Location.Point) }},
		{"limit", store.ActivityFilter{EndAfter: f.Now, Limit: 7}, func(a civmap.Activity) bool { return a.End.After(f.Now) }},
	} {
		got, err := st.ListActivities(ctx, c.f)
		if err != nil {
			t.Fatal(err)
		}
		var g, w []int64
		for _, a := range got {
			g = append(g, a.ID)
		}
		for _, a := range all {
			if c.keep(a) && (c.f.Limit == 0 || len(w) < c.f.Limit) {
				w = append(w, a.ID)
			}
		}
		if fmt.Sprint(g) != fmt.Sprint(w) {
			t.Errorf("ListActivities(%s) = %v\nwant %v", c.name, g, w)
		}
	}
}

func testNeeds(t *testing.T, st store.Store, f Fixture) {
	ctx := context.Background()
	var all []civmap.Need
	for i, n := range f.Needs {
		want := n
		want.ID = int64(i + 1)
		want.CreatedAt = want.CreatedAt.UTC().Truncate(time.Microsecond)
		want.Queue, want.UpdatedAt = want.SiteCode, want.CreatedAt // CreateNeed queues a new need at its site
		if want.Status.Closed() {
			want.ClosedAt = want.CreatedAt // created closed: its retention runs from creation
		}
		all = append(all, want)
		got, err := st.Need(ctx, want.ID)
		if err != nil {
			t.Fatal(err)
		}
		if !sameNeed(got, want) {
			t.Fatalf("Need(%d) = %+v\nwant %+v", want.ID, got, want)
		}
	}
	_, err := st.Need(ctx, 0)
	wantCode(t, "Need(0)", err, civmap.ENOTFOUND, "")
	sort.SliceStable(all, func(i, j int) bool {
		if !all[i].CreatedAt.Equal(all[j].CreatedAt) {
			return all[i].CreatedAt.After(all[j].CreatedAt)
		}
		return all[i].ID > all[j].ID
	})
	bound := orb.Bound{Min: orb.Point{113.40, 29.40}, Max: orb.Point{113.55, 29.50}}
	site := f.Needs[0].SiteCode
	for _, c := range []struct {
		name string
		f    store.NeedFilter
		keep func(civmap.Need) bool
	}{
		{"all", store.NeedFilter{}, func(civmap.Need) bool { return true }},
		{"site", store.NeedFilter{SiteCode: site}, func(n civmap.Need) bool { return n.SiteCode == site }},
		{"status", store.NeedFilter{Status: civmap.NeedSubmitted}, func(n civmap.Need) bool { return n.Status == civmap.NeedSubmitted }},
		{"bound", store.NeedFilter{Bound: &bound, Limit: 5}, func(n civmap.Need) bool { return bound.Contains(n.Location.Point) }},
	} {
		got, err := st.ListNeeds(ctx, c.f)
		if err != nil {
			t.Fatal(err)
		}
		var g, w []int64
		for _, n := range got {
			g = append(g, n.ID)
		}
		for _, n := range all {
			if c.keep(n) && (c.f.Limit == 0 || len(w) < c.f.Limit) {
				w = append(w, n.ID)
			}
		}
		if fmt.Sprint(g) != fmt.Sprint(w) {
			t.Errorf("ListNeeds(%s) = %v\nwant %v", c.name, g, w)
		}
	}
}

// ClusterBounds are the bounds the suite asks cluster counts for.
var ClusterBounds = []orb.Bound{
	{Min: orb.Point{-180, -90}, Max: orb.Point{180, 90}},
	{Min: orb.Point{113.1, 29.2}, Max: orb.Point{113.8, 29.9}},
	{Min: orb.Point{113.40, 29.40}, Max: orb.Point{113.55, 29.50}},
	{Min: orb.Point{116, 39}, Max: orb.Point{117, 40}},
}

func testClusters(t *testing.T, st store.Store, f Fixture) {
	ctx := context.Background()
	_, err := st.ClusterCounts(ctx, tiles.LayerSites, 5, ClusterBounds[0])
	wantCode(t, "ClusterCounts(sites)", err, civmap.EINVALID, "layer")
	_, err = st.ClusterCounts(ctx, tiles.LayerNeeds, geo.MaxClusterRes+1, ClusterBounds[0])
	wantCode(t, "ClusterCounts(res 12)", err, civmap.EINVALID, "res")
	for _, layer := range []tiles.Layer{tiles.LayerActivities, tiles.LayerNeeds} {
		var pts []orb.Point
		if layer == tiles.LayerActivities {
			for _, a := range f.Activities {
				pts = append(pts, a.Location.Point)
			}
		} else {
			for _, n := range f.Needs {
				pts = append(pts, n.Location.Point)
			}
		}
		for _, d := range clusterDiffs(ctx, st, layer, pts) {
			t.Error(d)
		}
	}
}

// TestTiles returns the tiles the suite renders: Linxiang at z 3–12 (every tile over the
// county), a sample of z14 and z16 tiles around sites, Beijing, and an empty ocean tile.
func TestTiles(f Fixture) []maptile.Tile {
	county := orb.Bound{Min: orb.Point{113.15, 29.2}, Max: orb.Point{113.75, 29.85}}
	var out []maptile.Tile
	for z := maptile.Zoom(3); z <= 12; z++ {
		min := maptile.At(orb.Point{county.Min[0], county.Max[1]}, z)
		max := maptile.At(orb.Point{county.Max[0], county.Min[1]}, z)
		for x := min.X; x <= max.X; x++ {
			for y := min.Y; y <= max.Y; y++ {
				out = append(out, maptile.New(x, y, z))
			}
		}
	}
	seen := map[maptile.Tile]bool{}
	for i, s := range f.Sites {
		for _, z := range []maptile.Zoom{14, 16} {
			tl := maptile.At(s.Location.Point, z)
			if (i%5 == 0 || z == 14 && i%2 == 0) && !seen[tl] {
				seen[tl] = true
				out = append(out, tl)
			}
		}
	}
	out = append(out, maptile.New(0, 0, 0), maptile.At(orb.Point{116.4, 39.91}, 10), maptile.At(orb.Point{-150, -40}, 6))
	return out
}

// expectedTile renders t from what st reads back, with the Go feature builders of package tiles.
func expectedTile(ctx context.Context, st store.Store, layers []tiles.Layer, t maptile.Tile) ([]byte, error) {
	b := tiles.BufferedBound(t)
	sites, err := st.ListSites(ctx, store.SiteFilter{})
	if err != nil {
		return nil, err
	}
	levels := map[string]civmap.Level{}
	byCode := map[string]civmap.Site{}
	for _, s := range sites {
		levels[s.Code] = s.Level
		byCode[s.Code] = s
	}
	var data []tiles.LayerData
	for _, l := range layers {
		ld := tiles.LayerData{Layer: l}
		switch l {
		case tiles.LayerSites:
			for _, s := range sites {
				if b.Contains(s.Location.Point) {
					ld.Features = append(ld.Features, tiles.SiteFeature(s))
				}
			}
		case tiles.LayerVenues:
			vs, err := st.ListVenues(ctx, store.VenueFilter{Bound: &b})
			if err != nil {
				return nil, err
			}
			for _, v := range vs {
				ld.Features = append(ld.Features, tiles.VenueFeature(v))
			}
		case tiles.LayerActivities:
			as, err := st.ListActivities(ctx, store.ActivityFilter{Bound: &b})
			if err != nil {
				return nil, err
			}
			for _, a := range as {
				ld.Features = append(ld.Features, tiles.ActivityFeature(a, levels[a.SiteCode]))
			}
		case tiles.LayerNeeds:
			// At the responsible site's point; needs of unknown sites are left out.
			ns, err := st.ListNeeds(ctx, store.NeedFilter{})
			if err != nil {
				return nil, err
			}
			for _, n := range ns {
				if site, ok := byCode[n.SiteCode]; ok && b.Contains(site.Location.Point) {
					ld.Features = append(ld.Features, tiles.NeedFeature(n, site))
				}
			}
		case tiles.LayerBoundary:
			as, err := st.ListAreas(ctx)
			if err != nil {
				return nil, err
			}
			for _, a := range as {
				if a.Polygon.Bound().Intersects(b) {
					ld.Features = append(ld.Features, tiles.BoundaryFeature(a.Code, a.Name, a.Level, a.Polygon))
				}
			}
		case tiles.LayerClusters:
			res := tiles.ClusterRes(int(t.Z))
			type pair struct{ a, n int }
			cells := map[h3.Cell]*pair{}
			for _, layer := range []tiles.Layer{tiles.LayerActivities, tiles.LayerNeeds} {
				cc, err := st.ClusterCounts(ctx, layer, res, orb.Bound{Min: orb.Point{-180, -90}, Max: orb.Point{180, 90}})
				if err != nil {
					return nil, err
				}
				for _, c := range cc {
					if cells[c.Cell] == nil {
						cells[c.Cell] = &pair{}
					}
					if layer == tiles.LayerActivities {
						cells[c.Cell].a += c.Count
					} else {
						cells[c.Cell].n += c.Count
					}
				}
			}
			for c, p := range cells {
				ld.Features = append(ld.Features, tiles.ClusterFeature(c, p.a, p.n))
			}
		}
		data = append(data, ld)
	}
	return tiles.Encode(t, data)
}

func testTiles(t *testing.T, st store.Store) {
	ctx := context.Background()
	f, _ := NewFixture()
	all := tiles.Layers
	n := 0
	for _, tl := range TestTiles(f) {
		for _, layers := range [][]tiles.Layer{all, {tiles.LayerSites}, {tiles.LayerClusters}} {
			got, err := st.Tile(ctx, layers, tl)
			if err != nil {
				t.Fatalf("Tile(%v): %v", tl, err)
			}
			want, err := expectedTile(ctx, st, layers, tl)
			if err != nil {
				t.Fatal(err)
			}
			if (got == nil) != (want == nil) {
				t.Errorf("tile %d/%d/%d %s: %d bytes, want %d", tl.Z, tl.X, tl.Y, tiles.JoinLayers(layers), len(got), len(want))
				continue
			}
			for _, d := range append(CheckFields(got), CompareTiles(got, want)...) {
				if n++; n <= 30 {
					t.Errorf("tile %d/%d/%d %s: %s", tl.Z, tl.X, tl.Y, tiles.JoinLayers(layers), d)
				}
			}
		}
	}
	if n > 30 {
		t.Errorf("… %d differences in all", n)
	}
	// Rendering must not touch stored geometry (orb projects and clips in place).
	f2, _ := NewFixture()
	testAreas(t, st, f2)
	empty := maptile.At(orb.Point{-150, -40}, 12)
	if b, err := st.Tile(ctx, all, empty); err != nil || b != nil {
		t.Errorf("empty tile = %d bytes, %v; want nil, nil", len(b), err)
	}
}

func testInvalid(t *testing.T, st store.Store, f Fixture) {
	ctx := context.Background()
	a := f.Activities[0]
	a.Title = ""
	_, err := st.CreateActivity(ctx, a)
	wantCode(t, "activity without a title", err, civmap.EINVALID, "title")
	a = f.Activities[0]
	a.End = a.Start
	_, err = st.CreateActivity(ctx, a)
	wantCode(t, "activity ending at its start", err, civmap.EINVALID, "end")
	a = f.Activities[0]
	a.Location.Point = orb.Point{10, 95}
	_, err = st.CreateActivity(ctx, a)
	wantCode(t, "activity at lat 95", err, civmap.EINVALID, "lat")
	n := f.Needs[0]
	n.Category = "不存在"
	_, _, err = st.CreateNeed(ctx, n)
	wantCode(t, "need of an unknown category", err, civmap.EINVALID, "category")
	// Rejected writes use no id: the next ones are 1.
	got, err := st.CreateActivity(ctx, f.Activities[0])
	if err != nil || got.ID != 1 {
		t.Errorf("first activity after rejected ones: id %d, %v; want 1", got.ID, err)
	}
	nz := f.Needs[1]
	nz.CreatedAt = time.Time{}
	gotN, _, err := st.CreateNeed(ctx, nz)
	if err != nil || gotN.ID != 1 || gotN.CreatedAt.IsZero() || gotN.CreatedAt.Location() != time.UTC {
		t.Errorf("first need: id %d, created %v, %v; want id 1 and a UTC creation time", gotN.ID, gotN.CreatedAt, err)
	}
	if back, _ := st.Need(ctx, 1); !back.CreatedAt.Equal(gotN.CreatedAt) {
		t.Errorf("need CreatedAt stored as %v, returned as %v", back.CreatedAt, gotN.CreatedAt)
	}
}

func testVersion(t *testing.T, st store.Store, f Fixture) {
	ctx := context.Background()
	v0, err := st.Version(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.Put(ctx, store.Batch{Sites: f.Sites[:3]}); err != nil {
		t.Fatal(err)
	}
	v1, _ := st.Version(ctx)
	if v1 == v0 {
		t.Error("Version did not change after a put")
	}
	if _, err := st.CreateActivity(ctx, f.Activities[0]); err != nil {
		t.Fatal(err)
	}
	v2, _ := st.Version(ctx)
	if v2 == v1 {
		t.Error("Version did not change after an activity")
	}
	if _, _, err := st.CreateNeed(ctx, f.Needs[0]); err != nil {
		t.Fatal(err)
	}
	if v3, _ := st.Version(ctx); v3 == v2 {
		t.Error("Version did not change after a need")
	}
}
