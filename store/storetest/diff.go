package storetest

import (
	"context"
	"fmt"
	"testing"

	"civmap"
	"civmap/geo"
	"civmap/store"
	"civmap/tiles"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/maptile"
)

// Differential writes the fixture to a fresh store from each opener and checks that both give
// the same answers: every site, venue, area, activity and need (all fields but UpdatedAt),
// every list with and without filters, nearest-neighbour order (distances within 1 mm), cluster
// counts at every resolution, and every tile of TestTiles — composite and per layer — decoded
// and compared with CompareTiles (same ids, properties and value kinds; geometry within
// PointTolerance and PolygonTolerance tile units). Then it writes the Moves scenario (records
// placed at a post and a venue, then a Put that moves both) to both stores and compares every
// read again, with the tiles of Moves.Tiles and the county at zooms 8–12.
func Differential(t *testing.T, openA, openB Opener) {
	f, err := NewFixture()
	if err != nil {
		t.Fatal(err)
	}
	m, err := NewMoves(f)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	a, b := openA(t), openB(t)
	if err := f.Load(ctx, a); err != nil {
		t.Fatalf("first store: %v", err)
	}
	if err := f.Load(ctx, b); err != nil {
		t.Fatalf("second store: %v", err)
	}
	compareStores(t, a, b, f, len(f.Activities), len(f.Needs), TestTiles(f))

	t.Run("AfterMoves", func(t *testing.T) {
		if err := m.Write(ctx, a); err != nil {
			t.Fatalf("first store: %v", err)
		}
		if err := m.Write(ctx, b); err != nil {
			t.Fatalf("second store: %v", err)
		}
		var tl []maptile.Tile
		for _, x := range TestTiles(f) {
			if x.Z >= 8 && x.Z <= 12 {
				tl = append(tl, x)
			}
		}
		compareStores(t, a, b, f, len(f.Activities)+len(m.Activities), len(f.Needs)+len(m.Needs), append(tl, m.Tiles()...))
	})
}

// compareStores runs Differential's comparisons of a and b, which hold nActs activities and
// nNeeds needs (ids 1 …), rendering the tiles tl.
func compareStores(t *testing.T, a, b store.Store, f Fixture, nActs, nNeeds int, tl []maptile.Tile) {
	ctx := context.Background()
	t.Run("Sites", func(t *testing.T) {
		b0 := orb.Bound{Min: orb.Point{113.40, 29.40}, Max: orb.Point{113.55, 29.50}}
		for _, flt := range []store.SiteFilter{{}, {Level: civmap.LevelStation}, {ParentCode: "430682002"}, {Bound: &b0}} {
			sa, errA := a.ListSites(ctx, flt)
			sb, errB := b.ListSites(ctx, flt)
			if errA != nil || errB != nil {
				t.Fatal(errA, errB)
			}
			if len(sa) != len(sb) {
				t.Fatalf("ListSites(%+v): %d vs %d sites", flt, len(sa), len(sb))
			}
			for i := range sa {
				if !store.SameSite(sa[i], sb[i]) || sa[i].ID != sb[i].ID {
					t.Errorf("ListSites(%+v)[%d]: %+v\nvs %+v", flt, i, sa[i], sb[i])
				}
			}
		}
		for _, s := range f.Sites {
			sa, errA := a.Site(ctx, s.Code)
			sb, errB := b.Site(ctx, s.Code)
			if errA != nil || errB != nil || !store.SameSite(sa, sb) || sa.ID != sb.ID {
				t.Errorf("Site(%s): %+v, %v\nvs %+v, %v", s.Code, sa, errA, sb, errB)
			}
		}
		_, errA := a.Site(ctx, "nope")
		_, errB := b.Site(ctx, "nope")
		if civmap.ErrorCode(errA) != civmap.ErrorCode(errB) {
			t.Errorf("Site(nope): %v vs %v", errA, errB)
		}
	})

	t.Run("Nearest", func(t *testing.T) {
		for _, q := range NearestQueries(f) {
			na, errA := a.NearestSites(ctx, q.Point, q.K, q.Filter)
			nb, errB := b.NearestSites(ctx, q.Point, q.K, q.Filter)
			if errA != nil || errB != nil {
				t.Fatal(errA, errB)
			}
			if len(na) != len(nb) {
				t.Errorf("%s: %d vs %d results", q.Name, len(na), len(nb))
				continue
			}
			for i := range na {
				if na[i].Item.Code != nb[i].Item.Code || abs(na[i].DistanceM-nb[i].DistanceM) > 1e-3 {
					t.Errorf("%s: #%d %s at %.4f m vs %s at %.4f m", q.Name, i, na[i].Item.Code, na[i].DistanceM, nb[i].Item.Code, nb[i].DistanceM)
					break
				}
			}
		}
	})

	t.Run("Venues", func(t *testing.T) {
		for _, flt := range []store.VenueFilter{{}, {SiteCode: f.Venues[3].SiteCode}, {Type: "文化广场"}} {
			va, errA := a.ListVenues(ctx, flt)
			vb, errB := b.ListVenues(ctx, flt)
			if errA != nil || errB != nil || len(va) != len(vb) {
				t.Fatalf("ListVenues(%+v): %d, %v vs %d, %v", flt, len(va), errA, len(vb), errB)
			}
			for i := range va {
				if !store.SameVenue(va[i], vb[i]) || va[i].ID != vb[i].ID {
					t.Errorf("ListVenues(%+v)[%d]: %+v\nvs %+v", flt, i, va[i], vb[i])
				}
			}
		}
	})

	t.Run("Areas", func(t *testing.T) {
		aa, errA := a.ListAreas(ctx)
		ab, errB := b.ListAreas(ctx)
		if errA != nil || errB != nil || len(aa) != len(ab) {
			t.Fatalf("ListAreas: %d, %v vs %d, %v", len(aa), errA, len(ab), errB)
		}
		for i := range aa {
			if aa[i].Code != ab[i].Code || aa[i].Name != ab[i].Name || aa[i].Level != ab[i].Level || !orb.Equal(aa[i].Polygon, ab[i].Polygon) {
				t.Errorf("area %d differs: %s vs %s", i, aa[i].Code, ab[i].Code)
			}
		}
	})

	t.Run("Activities", func(t *testing.T) {
		for id := int64(1); id <= int64(nActs); id++ {
			xa, errA := a.Activity(ctx, id)
			xb, errB := b.Activity(ctx, id)
			if errA != nil || errB != nil || !sameActivity(xa, xb) {
				t.Errorf("Activity(%d): %+v, %v\nvs %+v, %v", id, xa, errA, xb, errB)
			}
		}
		for _, flt := range []store.ActivityFilter{{}, {EndAfter: f.Now}, {SiteCode: f.Activities[0].SiteCode}, {Limit: 10}} {
			la, errA := a.ListActivities(ctx, flt)
			lb, errB := b.ListActivities(ctx, flt)
			if errA != nil || errB != nil || len(la) != len(lb) {
				t.Fatalf("ListActivities(%+v): %d, %v vs %d, %v", flt, len(la), errA, len(lb), errB)
			}
			for i := range la {
				if !sameActivity(la[i], lb[i]) {
					t.Errorf("ListActivities(%+v)[%d]: %d vs %d", flt, i, la[i].ID, lb[i].ID)
					break
				}
			}
		}
	})

	t.Run("Needs", func(t *testing.T) {
		for id := int64(1); id <= int64(nNeeds); id++ {
			xa, errA := a.Need(ctx, id)
			xb, errB := b.Need(ctx, id)
			if errA != nil || errB != nil || !sameNeed(xa, xb) {
				t.Errorf("Need(%d): %+v, %v\nvs %+v, %v", id, xa, errA, xb, errB)
			}
		}
		for _, flt := range []store.NeedFilter{{}, {Status: civmap.NeedOrdered}, {SiteCode: f.Needs[0].SiteCode}, {Limit: 10}} {
			la, errA := a.ListNeeds(ctx, flt)
			lb, errB := b.ListNeeds(ctx, flt)
			if errA != nil || errB != nil || len(la) != len(lb) {
				t.Fatalf("ListNeeds(%+v): %d, %v vs %d, %v", flt, len(la), errA, len(lb), errB)
			}
			for i := range la {
				if !sameNeed(la[i], lb[i]) {
					t.Errorf("ListNeeds(%+v)[%d]: %d vs %d", flt, i, la[i].ID, lb[i].ID)
					break
				}
			}
		}
	})

	t.Run("Clusters", func(t *testing.T) {
		for _, layer := range []tiles.Layer{tiles.LayerActivities, tiles.LayerNeeds} {
			for res := geo.MinClusterRes; res <= geo.MaxClusterRes; res++ {
				for bi, bd := range ClusterBounds {
					ca, errA := a.ClusterCounts(ctx, layer, res, bd)
					cb, errB := b.ClusterCounts(ctx, layer, res, bd)
					if errA != nil || errB != nil || fmt.Sprint(ca) != fmt.Sprint(cb) {
						t.Errorf("ClusterCounts(%s, %d, bound %d): %v, %v\nvs %v, %v", layer, res, bi, ca, errA, cb, errB)
					}
				}
			}
		}
	})

	t.Run("Tiles", func(t *testing.T) {
		n, compared := 0, 0
		layerSets := [][]tiles.Layer{tiles.Layers}
		for _, l := range tiles.Layers {
			layerSets = append(layerSets, []tiles.Layer{l})
		}
		for _, tl := range tl {
			for _, layers := range layerSets {
				ta, errA := a.Tile(ctx, layers, tl)
				tb, errB := b.Tile(ctx, layers, tl)
				if errA != nil || errB != nil {
					t.Fatalf("Tile(%v): %v, %v", tl, errA, errB)
				}
				compared++
				if (ta == nil) != (tb == nil) {
					t.Errorf("tile %d/%d/%d %s: %d vs %d bytes", tl.Z, tl.X, tl.Y, tiles.JoinLayers(layers), len(ta), len(tb))
					continue
				}
				for _, d := range CompareTiles(ta, tb) {
					if n++; n <= 40 {
						t.Errorf("tile %d/%d/%d %s: %s", tl.Z, tl.X, tl.Y, tiles.JoinLayers(layers), d)
					}
				}
			}
		}
		if n > 40 {
			t.Errorf("… %d differences in all", n)
		}
		t.Logf("compared %d tiles", compared)
	})
}

func abs(x float64) float64 {
	if x < 0 {
		return -x
	}
	return x
}
