package storetest

import (
	"context"
	"fmt"
	"sort"
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

// Moves is the suite's "a place moves" scenario, written after the fixture: a post with
// activities placed at its code and needs at bare points near it, and a venue, get records
// placed at their codes (plus a need at a bare point exactly on the post), then one Put gives
// the post a surveyed point 1.2 km away and the venue one 600 m away. Activities and needs
// placed at their codes must follow; records at bare points must stay.
type Moves struct {
	Fixture  Fixture
	OldSite  civmap.Site  // the post as the fixture has it
	Site     civmap.Site  // the post after the move
	OldVenue civmap.Venue // the venue as the fixture has it
	Venue    civmap.Venue // the venue after the move
	// Activities and Needs are created (in this order) after the fixture's, before the move.
	Activities []civmap.Activity
	Needs      []civmap.Need
}

// NewMoves builds the scenario for f. It is deterministic.
func NewMoves(f Fixture) (Moves, error) {
	m := Moves{Fixture: f}
	placed, bare := map[string]bool{}, map[string]bool{}
	for _, a := range f.Activities {
		placed[a.Place.Code] = true
	}
	for _, n := range f.Needs {
		if n.Place.Point != nil {
			bare[n.SiteCode] = true
		}
	}
	for _, s := range f.Sites {
		if s.Level == civmap.LevelPost && placed[s.Code] && bare[s.Code] {
			m.OldSite = s
			break
		}
	}
	if m.OldSite.Code == "" {
		return Moves{}, fmt.Errorf("storetest: no post with activities at its code and needs at bare points")
	}
	for _, v := range f.Venues {
		if v.SiteCode != m.OldSite.Code && !placed[v.Code] {
			m.OldVenue = v
		}
	}
	if m.OldVenue.Code == "" {
		return Moves{}, fmt.Errorf("storetest: no venue of another site")
	}
	m.Site, m.Venue = m.OldSite, m.OldVenue
	m.Site.Location = civmap.Location{Point: round6(orbgeo.PointAtBearingAndDistance(m.OldSite.Location.Point, 45, 1200)),
		Source: civmap.CoordSurveyed, Precision: civmap.PrecisionExact}
	m.Venue.Location = civmap.Location{Point: round6(orbgeo.PointAtBearingAndDistance(m.OldVenue.Location.Point, 180, 600)),
		Source: civmap.CoordSurveyed, Precision: civmap.PrecisionExact}

	s, v := m.OldSite, m.OldVenue
	onSite := s.Location.Point
	m.Activities = []civmap.Activity{
		{Title: "农家书屋读书会", ContentArea: civmap.ContentAreas[3], Platform: civmap.Platforms[3],
			Start: FixtureNow.Add(2 * time.Hour), End: FixtureNow.Add(4 * time.Hour), Place: civmap.Place{Code: v.Code},
			SiteCode: v.SiteCode, Location: v.Location, Status: civmap.ActivityPlanned, CreatedAt: FixtureNow},
	}
	m.Needs = []civmap.Need{
		{Category: "文化艺术", Description: "想组织一次广场舞培训", Place: civmap.Place{Code: s.Code}, SiteCode: s.Code,
			Location: s.Location, Status: civmap.NeedSubmitted, CreatedAt: FixtureNow},
		{Category: "其他", Description: "需要志愿者帮忙搬运物资", Place: civmap.Place{Code: v.Code}, SiteCode: v.SiteCode,
			Location: v.Location, Status: civmap.NeedOrdered, CreatedAt: FixtureNow.Add(time.Minute)},
		// At a bare point that happens to be the post's: it must not move.
		{Category: "爱心帮扶", Description: "独居老人需要帮忙采购生活用品", Place: civmap.Place{Point: &onSite}, SiteCode: s.Code,
			Location: civmap.Location{Point: onSite, Source: civmap.CoordImported, Precision: civmap.PrecisionExact},
			Status:   civmap.NeedSubmitted, CreatedAt: FixtureNow.Add(2 * time.Minute)},
	}
	return m, nil
}

func round6(p orb.Point) orb.Point {
	r := func(x float64) float64 { return float64(int64(x*1e6+0.5*sign(x))) / 1e6 }
	return orb.Point{r(p[0]), r(p[1])}
}

func sign(x float64) float64 {
	if x < 0 {
		return -1
	}
	return 1
}

// Batch is the Put that moves the post and the venue.
func (m Moves) Batch() store.Batch {
	return store.Batch{Sites: []civmap.Site{m.Site}, Venues: []civmap.Venue{m.Venue}}
}

// Create writes the scenario's activities and needs to st (loaded with the fixture).
func (m Moves) Create(ctx context.Context, st store.Store) error {
	for i, a := range m.Activities {
		if _, err := st.CreateActivity(ctx, a); err != nil {
			return fmt.Errorf("moves: activity %d: %w", i, err)
		}
	}
	for i, n := range m.Needs {
		if _, _, err := st.CreateNeed(ctx, n); err != nil {
			return fmt.Errorf("moves: need %d: %w", i, err)
		}
	}
	return nil
}

// Write creates the scenario's records, then Puts the move.
func (m Moves) Write(ctx context.Context, st store.Store) error {
	if err := m.Create(ctx, st); err != nil {
		return err
	}
	res, err := st.Put(ctx, m.Batch())
	if err != nil {
		return fmt.Errorf("moves: put: %w", err)
	}
	if res.Sites[0] != store.Updated || res.Venues[0] != store.Updated {
		return fmt.Errorf("moves: put: %v, want the site and the venue updated", res)
	}
	return nil
}

// Expected returns every activity and need as a store should return them after Create (moved
// false) or after Write (moved true), ids 1, 2, 3 … in creation order.
func (m Moves) Expected(moved bool) ([]civmap.Activity, []civmap.Need) {
	loc := func(p civmap.Place, l civmap.Location) civmap.Location {
		switch {
		case !moved || p.Code == "":
			return l
		case p.Code == m.Site.Code:
			return m.Site.Location
		case p.Code == m.Venue.Code:
			return m.Venue.Location
		}
		return l
	}
	var acts []civmap.Activity
	for i, a := range append(append([]civmap.Activity(nil), m.Fixture.Activities...), m.Activities...) {
		a = expectActivity(a, int64(i+1))
		a.Location = loc(a.Place, a.Location)
		acts = append(acts, a)
	}
	var needs []civmap.Need
	for i, n := range append(append([]civmap.Need(nil), m.Fixture.Needs...), m.Needs...) {
		n.ID = int64(i + 1)
		n.CreatedAt = n.CreatedAt.UTC().Truncate(time.Microsecond)
		n.Queue, n.UpdatedAt = n.SiteCode, n.CreatedAt
		if n.Status.Closed() {
			n.ClosedAt = n.CreatedAt
		}
		n.Location = loc(n.Place, n.Location)
		needs = append(needs, n)
	}
	return acts, needs
}

// Check returns the differences between st and the expected activities, needs and cluster
// counts (brute force over the expected points, every resolution and ClusterBounds) after
// Create (moved false) or Write (moved true). It also checks that the scenario is not vacuous:
// after a move, activities and needs have moved and needs at bare points of the post have not.
func (m Moves) Check(ctx context.Context, st store.Store, moved bool) []string {
	acts, needs := m.Expected(moved)
	var diffs []string
	var actPts, needPts []orb.Point
	movedActs, movedNeeds, stayed := 0, 0, 0
	for _, want := range acts {
		actPts = append(actPts, want.Location.Point)
		got, err := st.Activity(ctx, want.ID)
		if err != nil || !sameActivity(got, want) {
			diffs = append(diffs, fmt.Sprintf("Activity(%d) = %+v, %v\nwant %+v", want.ID, got.Location, err, want.Location))
		}
		if want.Place.Code == m.Site.Code || want.Place.Code == m.Venue.Code {
			movedActs++
		}
	}
	for _, want := range needs {
		needPts = append(needPts, want.Location.Point)
		got, err := st.Need(ctx, want.ID)
		if err != nil || !sameNeed(got, want) {
			diffs = append(diffs, fmt.Sprintf("Need(%d) = %+v, %v\nwant %+v", want.ID, got.Location, err, want.Location))
		}
		switch {
		case want.Place.Code == m.Site.Code || want.Place.Code == m.Venue.Code:
			movedNeeds++
		case want.SiteCode == m.Site.Code && want.Place.Point != nil:
			stayed++
		}
	}
	if movedActs < 2 || movedNeeds < 2 || stayed < 2 {
		diffs = append(diffs, fmt.Sprintf("scenario: %d activities and %d needs placed at the moved codes, %d needs at bare points of the post; want at least 2 of each",
			movedActs, movedNeeds, stayed))
	}
	if moved {
		// Bound queries find the moved records at the new point only.
		for _, p := range []struct {
			code     string
			old, new orb.Point
		}{{m.Site.Code, m.OldSite.Location.Point, m.Site.Location.Point}, {m.Venue.Code, m.OldVenue.Location.Point, m.Venue.Location.Point}} {
			for _, c := range []struct {
				at   orb.Point
				want bool
			}{{p.new, true}, {p.old, false}} {
				b := orb.Bound{Min: c.at, Max: c.at}
				as, err := st.ListActivities(ctx, store.ActivityFilter{Bound: &b})
				if err != nil {
					diffs = append(diffs, err.Error())
				}
				found := false
				for _, a := range as {
					found = found || a.Place.Code == p.code
				}
				if found != c.want {
					diffs = append(diffs, fmt.Sprintf("ListActivities(bound at %v): activities placed at %s found %t, want %t", c.at, p.code, found, c.want))
				}
			}
		}
	}
	diffs = append(diffs, clusterDiffs(ctx, st, tiles.LayerActivities, actPts)...)
	diffs = append(diffs, clusterDiffs(ctx, st, tiles.LayerNeeds, needPts)...)
	return diffs
}

// clusterDiffs compares st's cluster counts of layer at every resolution and ClusterBounds with
// a brute-force count of pts.
func clusterDiffs(ctx context.Context, st store.Store, layer tiles.Layer, pts []orb.Point) []string {
	var diffs []string
	for res := geo.MinClusterRes; res <= geo.MaxClusterRes; res++ {
		for bi, b := range ClusterBounds {
			counts := map[h3.Cell]int{}
			for _, p := range pts {
				c, _ := geo.Cell(p, res)
				if b.Contains(geo.CellCenter(c)) {
					counts[c]++
				}
			}
			var want []store.CellCount
			for c, n := range counts {
				want = append(want, store.CellCount{Cell: c, Count: n})
			}
			sort.Slice(want, func(i, j int) bool { return want[i].Cell < want[j].Cell })
			got, err := st.ClusterCounts(ctx, layer, res, b)
			if err != nil {
				return append(diffs, err.Error())
			}
			if fmt.Sprint(got) != fmt.Sprint(want) {
				diffs = append(diffs, fmt.Sprintf("ClusterCounts(%s, res %d, bound %d) = %v\nwant %v", layer, res, bi, got, want))
			}
		}
	}
	return diffs
}

// Tiles returns the tiles around the old and new points of the post and the venue at zooms
// 8–18, where the move shows.
func (m Moves) Tiles() []maptile.Tile {
	seen := map[maptile.Tile]bool{}
	var out []maptile.Tile
	for z := maptile.Zoom(8); z <= 18; z++ {
		for _, p := range []orb.Point{m.OldSite.Location.Point, m.Site.Location.Point, m.OldVenue.Location.Point, m.Venue.Location.Point} {
			if tl := maptile.At(p, z); !seen[tl] {
				seen[tl] = true
				out = append(out, tl)
			}
		}
	}
	return out
}

// testMoves checks that activities and needs placed at a site's or venue's code follow it when
// Put moves it (point, source and precision), with their cluster counts and tiles; that needs at
// bare points stay; and that DryRun and InsertOnly batches move nothing.
func testMoves(t *testing.T, st store.Store, f Fixture) {
	ctx := context.Background()
	m, err := NewMoves(f)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Load(ctx, st); err != nil {
		t.Fatal(err)
	}
	if err := m.Create(ctx, st); err != nil {
		t.Fatal(err)
	}
	report := func(what string, diffs []string) {
		t.Helper()
		for i, d := range diffs {
			if i == 10 {
				t.Errorf("%s: … %d differences in all", what, len(diffs))
				break
			}
			t.Errorf("%s: %s", what, d)
		}
	}

	v0, _ := st.Version(ctx)
	dry := m.Batch()
	dry.DryRun = true
	if res, err := st.Put(ctx, dry); err != nil || res.Sites[0] != store.Updated || res.Venues[0] != store.Updated {
		t.Errorf("dry-run move: %v, %v; want the site and the venue updated", res, err)
	}
	report("after a dry run", m.Check(ctx, st, false))
	if v, _ := st.Version(ctx); v != v0 {
		t.Errorf("a dry run changed the version from %d to %d", v0, v)
	}
	only := m.Batch()
	only.InsertOnly = true
	if res, err := st.Put(ctx, only); err != nil || res.Sites[0] != store.Unchanged || res.Venues[0] != store.Unchanged {
		t.Errorf("insert-only move: %v, %v; want unchanged", res, err)
	}
	report("after an insert-only put", m.Check(ctx, st, false))

	if res, err := st.Put(ctx, m.Batch()); err != nil || res.Sites[0] != store.Updated || res.Venues[0] != store.Updated {
		t.Fatalf("move: %v, %v; want the site and the venue updated", res, err)
	}
	report("after the move", m.Check(ctx, st, true))
	if got, err := st.Site(ctx, m.Site.Code); err != nil || !store.SameSite(got, m.Site) {
		t.Errorf("moved site: %+v, %v", got, err)
	}

	// Tiles follow: every layer as the Go builders draw what the store reads back, and the
	// activities placed at the post in the new point's z16 tile, not the old one's.
	n := 0
	for _, tl := range m.Tiles() {
		got, err := st.Tile(ctx, tiles.Layers, tl)
		if err != nil {
			t.Fatal(err)
		}
		want, err := expectedTile(ctx, st, tiles.Layers, tl)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range CompareTiles(got, want) {
			if n++; n <= 20 {
				t.Errorf("tile %d/%d/%d: %s", tl.Z, tl.X, tl.Y, d)
			}
		}
	}
	acts, _ := m.Expected(true)
	for _, c := range []struct {
		p    orb.Point
		want bool
	}{{m.Site.Location.Point, true}, {m.OldSite.Location.Point, false}} {
		tl := maptile.At(c.p, 16)
		b, err := st.Tile(ctx, []tiles.Layer{tiles.LayerActivities}, tl)
		if err != nil {
			t.Fatal(err)
		}
		d, err := DecodeTile(b)
		if err != nil {
			t.Fatal(err)
		}
		for _, a := range acts {
			if a.Place.Code != m.Site.Code {
				continue
			}
			ft, ok := d[string(tiles.LayerActivities)].Features[uint64(a.ID)]
			if ok != c.want {
				t.Errorf("tile %d/%d/%d: activity %d present %t, want %t", tl.Z, tl.X, tl.Y, a.ID, ok, c.want)
			} else if ok && (ft.Props["coord_source"].S != string(civmap.CoordSurveyed) || ft.Props["placeholder"].B) {
				t.Errorf("moved activity %d: coord_source %v placeholder %v, want surveyed, false", a.ID, ft.Props["coord_source"], ft.Props["placeholder"])
			}
		}
	}
}
