// Package storetest is the conformance suite every civmap store passes: Run checks one store
// against the contract of package store, Differential writes the same data to two stores and
// checks that every read (sites, venues, areas, activities, needs, cluster counts,
// nearest-neighbour order and vector tiles) gives the same answer. store/embedded and
// store/postgis run both in their tests.
package storetest

import (
	"context"
	"fmt"
	"testing"
	"time"

	"civmap"
	"civmap/data"
	"civmap/geo/placement"
	"civmap/seed"
	"civmap/store"

	"github.com/paulmach/orb"
)

// Opener returns a fresh, empty store for one test; the suite closes it.
type Opener func(t *testing.T) store.Store

// Fixture is a dataset the suite writes: Linxiang's 176 sites at their placeholder positions
// with the county outline, the demo venues, activities and needs, and records that exercise
// edge cases (practice bases with non-numeric codes, two sites at one point, a bare-point
// activity without a site, records far from Linxiang, times with sub-microsecond parts).
type Fixture struct {
	Sites      []civmap.Site
	Venues     []civmap.Venue
	Areas      []store.Area
	Activities []civmap.Activity
	Needs      []civmap.Need
	Now        time.Time // the instant the demo data is relative to
}

// FixtureNow is the instant the fixture's demo activities and needs are relative to.
var FixtureNow = time.Date(2024, 5, 1, 8, 30, 0, 0, time.UTC)

// NewFixture builds the fixture. It is deterministic: the same call gives the same data.
func NewFixture() (Fixture, error) {
	layout, err := placement.Linxiang()
	if err != nil {
		return Fixture{}, err
	}
	divs, err := data.LinxiangDivisions()
	if err != nil {
		return Fixture{}, err
	}
	names := map[string]string{}
	for _, d := range divs {
		names[d.Code] = d.Name
	}
	byAddress := map[string]data.Division{}
	for _, d := range divs {
		switch d.Level {
		case "county":
			byAddress[seed.Address("", "")] = d
		case "town":
			byAddress[seed.Address(d.Name, "")] = d
		default:
			byAddress[seed.Address(names[d.ParentCode], d.Name)] = d
		}
	}
	precision := map[string]civmap.Precision{"county": civmap.PrecisionCounty, "town": civmap.PrecisionTown,
		"village": civmap.PrecisionVillage}
	locate := func(addr string) (string, civmap.Location, error) {
		d, ok := byAddress[addr]
		if !ok {
			return "", civmap.Location{}, fmt.Errorf("storetest: no division for %q", addr)
		}
		return d.Code, civmap.Location{Point: layout.Points[d.Code], Source: civmap.CoordSynthetic,
			Precision: precision[d.Level]}, nil
	}
	sites, err := seed.LinxiangSites(locate)
	if err != nil {
		return Fixture{}, err
	}
	areas, err := seed.LinxiangAreas()
	if err != nil {
		return Fixture{}, err
	}
	f := Fixture{Now: FixtureNow}

	// Practice bases: non-numeric codes (FNV feature ids), two at exactly one point (nearest
	// ties break by code), one surveyed, and a base far away in Beijing.
	seat := placement.LinxiangSeat
	twin := orb.Point{113.452311, 29.472522}
	bases := []civmap.Site{
		{Code: "JD-临湘一中", Name: "临湘市第一中学新时代文明实践基地", Level: civmap.LevelBase, ParentCode: "430682",
			Address: "湖南省岳阳市临湘市长安街道", Location: civmap.Location{Point: twin, Source: civmap.CoordImported, Precision: civmap.PrecisionExact}},
		{Code: "JD-A-twin", Name: "双点基地甲", Level: civmap.LevelBase, ParentCode: "430682",
			Location: civmap.Location{Point: twin, Source: civmap.CoordSurveyed, Precision: civmap.PrecisionExact}},
		{Code: "JD-Beijing", Name: "远方基地", Level: civmap.LevelBase, ParentCode: "430682", Demo: true,
			Location: civmap.Location{Point: orb.Point{116.397128, 39.916527}, Source: civmap.CoordGeocoded, Precision: civmap.PrecisionCounty}},
	}
	f.Sites = append(sites, bases...)
	for i := range f.Sites {
		f.Sites[i].ID = civmap.FeatureID(f.Sites[i].Code)
	}
	f.Venues = seed.DemoVenues(sites)
	f.Venues = append(f.Venues, civmap.Venue{Code: "V-农家书屋-甲", Name: "甲村农家书屋", Type: "农家书屋",
		Level: civmap.LevelPost, SiteCode: sites[len(sites)-1].Code, Address: "湖南省岳阳市临湘市",
		Location: civmap.Location{Point: orb.Point{seat[0] + 0.013, seat[1] - 0.007}, Source: civmap.CoordImported, Precision: civmap.PrecisionExact}})

	// A second area: a two-part MultiPolygon with a hole in one part, near the county seat.
	sq := func(x0, y0, d float64) orb.Ring {
		return orb.Ring{{x0, y0}, {x0 + d, y0}, {x0 + d, y0 + d}, {x0, y0 + d}, {x0, y0}}
	}
	hole := sq(seat[0]+0.01, seat[1]+0.01, 0.01)
	hole.Reverse()
	areas = append(areas, store.Area{Code: "430682001", Name: "长安街道", Level: "town", Polygon: orb.MultiPolygon{
		{sq(seat[0], seat[1], 0.03), hole},
		{sq(seat[0]-0.05, seat[1]-0.04, 0.02)},
	}})
	f.Areas = areas

	f.Activities, f.Needs = seed.Demo(sites, FixtureNow)
	// Edge cases: sub-microsecond times (stored to the microsecond), a cancelled activity, a
	// bare point without a site, an activity and a need in Beijing.
	bare := orb.Point{113.501234, 29.501234}
	bj := orb.Point{116.40, 39.91}
	f.Activities = append(f.Activities,
		civmap.Activity{Title: "广场电影放映", ContentArea: civmap.ContentAreas[3], Platform: civmap.Platforms[3],
			Start: FixtureNow.Add(90*time.Minute + 123456789), End: FixtureNow.Add(3*time.Hour + 987654321),
			Place: civmap.Place{Point: &bare}, Location: civmap.Location{Point: bare, Source: civmap.CoordImported, Precision: civmap.PrecisionExact},
			Status: civmap.ActivityCancelled, CreatedAt: FixtureNow.Add(-time.Hour + 555)},
		civmap.Activity{Title: "远方宣讲", ContentArea: civmap.ContentAreas[0], Platform: civmap.Platforms[0],
			Start: FixtureNow.Add(-48 * time.Hour), End: FixtureNow.Add(48 * time.Hour), Place: civmap.Place{Code: "JD-Beijing"},
			SiteCode: "JD-Beijing", Location: civmap.Location{Point: bj, Source: civmap.CoordGeocoded, Precision: civmap.PrecisionCounty},
			Status: civmap.ActivityPlanned, Demo: true},
	)
	f.Needs = append(f.Needs,
		civmap.Need{Category: "其他", Description: "远方的需求", Place: civmap.Place{Point: &bj}, SiteCode: "JD-Beijing",
			Location: civmap.Location{Point: bj, Source: civmap.CoordImported, Precision: civmap.PrecisionExact},
			Status:   civmap.NeedCancelled, CreatedAt: FixtureNow.Add(-30*time.Minute + 999)},
		civmap.Need{Category: "卫生健康", Description: "同一时刻的需求", Place: civmap.Place{Point: &bare},
			Location: civmap.Location{Point: bare, Source: civmap.CoordImported, Precision: civmap.PrecisionExact},
			Status:   civmap.NeedSubmitted, CreatedAt: FixtureNow.Add(-30*time.Minute + 999)},
	)
	for i := range f.Activities {
		if f.Activities[i].CreatedAt.IsZero() {
			f.Activities[i].CreatedAt = FixtureNow.Add(-time.Duration(i) * time.Minute)
		}
	}
	return f, nil
}

// Load writes the fixture to st: sites, venues and areas in one Put, then every activity and
// need in order (so that both stores assign the same ids).
func (f Fixture) Load(ctx context.Context, st store.Store) error {
	if _, err := st.Put(ctx, store.Batch{Sites: f.Sites, Venues: f.Venues, Areas: f.Areas}); err != nil {
		return fmt.Errorf("put: %w", err)
	}
	for i, a := range f.Activities {
		if _, err := st.CreateActivity(ctx, a); err != nil {
			return fmt.Errorf("activity %d: %w", i, err)
		}
	}
	for i, n := range f.Needs {
		if _, _, err := st.CreateNeed(ctx, n); err != nil {
			return fmt.Errorf("need %d: %w", i, err)
		}
	}
	return nil
}
