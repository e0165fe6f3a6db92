package embedded_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"civmap/seed"
	"civmap/store/embedded"
	"civmap/tiles"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/maptile"
)

// openLinxiang opens a store in a temporary file with Linxiang's sites and the demo data.
func openLinxiang(tb testing.TB) *embedded.Store {
	tb.Helper()
	ctx := context.Background()
	st, err := embedded.Open(ctx, filepath.Join(tb.TempDir(), "civmap.db"))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { st.Close() })
	locate, err := seed.LinxiangLocator()
	if err != nil {
		tb.Fatal(err)
	}
	if _, err := seed.LoadLinxiang(ctx, st, locate); err != nil {
		tb.Fatal(err)
	}
	if _, err := seed.LoadDemo(ctx, st, time.Date(2026, 11, 29, 10, 0, 0, 0, time.UTC)); err != nil {
		tb.Fatal(err)
	}
	return st
}

var allLayers = []tiles.Layer{tiles.LayerBoundary, tiles.LayerClusters, tiles.LayerVenues, tiles.LayerSites,
	tiles.LayerActivities, tiles.LayerNeeds}

// BenchmarkTile renders the composite tile over Linxiang's county seat at z10 (the whole
// county) and z14 (a town centre), uncached, from the in-memory indexes.
func BenchmarkTile(b *testing.B) {
	st := openLinxiang(b)
	seat := orb.Point{113.4403, 29.4813}
	for _, z := range []maptile.Zoom{10, 14} {
		t := maptile.At(seat, z)
		b.Run("z"+string(rune('0'+z/10))+string(rune('0'+z%10)), func(b *testing.B) {
			var n int
			for b.Loop() {
				mvt, err := st.Tile(context.Background(), allLayers, t)
				if err != nil || len(mvt) == 0 {
					b.Fatalf("tile %v: %d bytes, %v", t, len(mvt), err)
				}
				n = len(mvt)
			}
			b.ReportMetric(float64(n), "bytes/tile")
		})
	}
}

// BenchmarkClusterCounts answers a county-wide cluster query at H3 resolution 7.
func BenchmarkClusterCounts(b *testing.B) {
	st := openLinxiang(b)
	bound := orb.Bound{Min: orb.Point{113.2, 29.1}, Max: orb.Point{113.8, 29.9}}
	for b.Loop() {
		cs, err := st.ClusterCounts(context.Background(), tiles.LayerNeeds, 7, bound)
		if err != nil || len(cs) == 0 {
			b.Fatalf("%d cells, %v", len(cs), err)
		}
	}
}
