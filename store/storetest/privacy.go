package storetest

import (
	"context"
	"math"
	"testing"

	"civmap"
	"civmap/store"
	"civmap/tiles"

	"github.com/paulmach/orb"
	orbgeo "github.com/paulmach/orb/geo"
	"github.com/paulmach/orb/maptile"
)

// tileUnits is p (WGS-84 lon/lat degrees) in the tile units of t (x east, y south; 0–Extent
// inside the tile), by the spherical Mercator projection of XYZ tiles.
func tileUnits(p orb.Point, t maptile.Tile) orb.Point {
	n := math.Exp2(float64(t.Z))
	lat := p[1] * math.Pi / 180
	x := (p[0] + 180) / 360 * n
	y := (1 - math.Log(math.Tan(lat)+1/math.Cos(lat))/math.Pi) / 2 * n
	return orb.Point{(x - float64(t.X)) * tiles.Extent, (y - float64(t.Y)) * tiles.Extent}
}

// firstPost returns the first post of f.Sites for which keep holds.
func firstPost(t *testing.T, f Fixture, keep func(civmap.Site) bool) civmap.Site {
	t.Helper()
	for _, s := range f.Sites {
		if s.Level == civmap.LevelPost && keep(s) {
			return s
		}
	}
	t.Fatal("storetest: no post in the fixture fits")
	return civmap.Site{}
}

// testNeedsAtSite checks that the public needs layer draws a need at its responsible site's
// point with the site's provenance, never at the point a resident gave (their home), that it
// leaves out needs whose site is unknown, that the need's own location stays stored, and that
// the clusters layer never goes finer than H3 resolution 8.
func testNeedsAtSite(t *testing.T, st store.Store, f Fixture) {
	ctx := context.Background()
	if _, err := st.Put(ctx, store.Batch{Sites: f.Sites}); err != nil {
		t.Fatal(err)
	}
	site := firstPost(t, f, func(civmap.Site) bool { return true })
	home := orbgeo.PointAtBearingAndDistance(site.Location.Point, 60, 2500)
	elsewhere := orbgeo.PointAtBearingAndDistance(site.Location.Point, 200, 1500)
	need := func(p orb.Point, siteCode string) civmap.Need {
		return civmap.Need{Category: "爱心帮扶", Description: "独居老人需要帮忙采购生活用品", Place: civmap.Place{Point: &p},
			SiteCode: siteCode, Location: civmap.Location{Point: p, Source: civmap.CoordImported, Precision: civmap.PrecisionExact},
			Status: civmap.NeedSubmitted, CreatedAt: FixtureNow}
	}
	resident, _, err := st.CreateNeed(ctx, need(home, site.Code))
	if err != nil {
		t.Fatal(err)
	}
	orphan, _, err := st.CreateNeed(ctx, need(elsewhere, ""))
	if err != nil {
		t.Fatal(err)
	}
	unknown, _, err := st.CreateNeed(ctx, need(home, "430682999999"))
	if err != nil {
		t.Fatal(err)
	}
	if got, err := st.Need(ctx, resident.ID); err != nil || got.Location != resident.Location {
		t.Errorf("stored need: %+v, %v; want its own location %+v kept", got.Location, err, resident.Location)
	}

	checked := 0
	for z := maptile.Zoom(0); z <= 18; z += 2 {
		seen := map[maptile.Tile]bool{}
		for _, p := range []orb.Point{site.Location.Point, home, elsewhere} {
			tl := maptile.At(p, z)
			if seen[tl] {
				continue
			}
			seen[tl] = true
			b, err := st.Tile(ctx, []tiles.Layer{tiles.LayerNeeds, tiles.LayerClusters}, tl)
			if err != nil {
				t.Fatalf("Tile(%v): %v", tl, err)
			}
			d, err := DecodeTile(b)
			if err != nil {
				t.Fatal(err)
			}
			feats := d[string(tiles.LayerNeeds)].Features
			for _, id := range []int64{orphan.ID, unknown.ID} {
				if _, ok := feats[uint64(id)]; ok {
					t.Errorf("tile %d/%d/%d: need %d, without a known site, is in the needs layer", tl.Z, tl.X, tl.Y, id)
				}
			}
			ft, ok := feats[uint64(resident.ID)]
			if want := tiles.BufferedBound(tl).Contains(site.Location.Point); ok != want {
				t.Errorf("tile %d/%d/%d: need present %t, want %t (its site's point is inside the tile: %t)", tl.Z, tl.X, tl.Y, ok, want, want)
				continue
			}
			if ok {
				checked++
				at := tileUnits(site.Location.Point, tl)
				if d := GeometryDistance(ft.Geometry, at); d > PointTolerance {
					t.Errorf("tile %d/%d/%d: need drawn at %v, %.1f tile units from its site's point %v", tl.Z, tl.X, tl.Y, ft.Geometry, d, at)
				}
				if z >= 8 && GeometryDistance(ft.Geometry, tileUnits(home, tl)) < 10 {
					t.Errorf("tile %d/%d/%d: need drawn at the resident's point", tl.Z, tl.X, tl.Y)
				}
				want := map[string]Value{
					"code":         {Kind: "string", S: site.Code},
					"level":        {Kind: "string", S: string(site.Level)},
					"coord_source": {Kind: "string", S: string(site.Location.Source)},
					"precision":    {Kind: "string", S: string(site.Location.Precision)},
					"placeholder":  {Kind: "bool", B: site.Location.Placeholder()},
				}
				for k, v := range want {
					if got, ok := ft.Props[k]; !ok || !got.equal(v) {
						t.Errorf("tile %d/%d/%d: need property %s = %v, want the site's %v", tl.Z, tl.X, tl.Y, k, show(got, ok), v)
					}
				}
			}
			for _, c := range d[string(tiles.LayerClusters)].Features {
				if r := c.Props["res"]; r.Kind != "int" || r.I > tiles.MaxClusterLayerRes || r.I > 8 {
					t.Errorf("tile %d/%d/%d: cluster %d at resolution %v, finer than 8", tl.Z, tl.X, tl.Y, c.ID, r)
				}
			}
		}
	}
	if checked < 10 {
		t.Errorf("the need was drawn in only %d tiles", checked)
	}
}
