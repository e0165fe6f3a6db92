// Package bench holds cross-store benchmarks: the same data in store/embedded and store/postgis,
// measured side by side in one run.
//
//	CIVMAP_TEST_DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable \
//	  go test -run '^$' -bench 'TileStores' -benchtime 3s ./bench/
package bench_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"testing"
	"time"

	"civmap"
	"civmap/store"
	"civmap/store/embedded"
	"civmap/store/postgis"
	"civmap/store/postgis/pgtest"
	"civmap/store/storetest"
	"civmap/tiles"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/maptile"
)

// Extra load on top of the conformance fixture, spread over the county's bounding box.
const (
	extraActivities = 4000
	extraNeeds      = 2000
)

func load(tb testing.TB, st store.Store) {
	tb.Helper()
	ctx := context.Background()
	f, err := storetest.NewFixture()
	if err != nil {
		tb.Fatal(err)
	}
	if err := f.Load(ctx, st); err != nil {
		tb.Fatal(err)
	}
	r := rand.New(rand.NewPCG(3, 430682))
	pt := func() orb.Point { return orb.Point{113.20 + r.Float64()*0.5, 29.25 + r.Float64()*0.5} }
	for i := 0; i < extraActivities; i++ {
		p := pt()
		start := storetest.FixtureNow.Add(time.Duration(r.IntN(90*24)-45*24) * time.Hour)
		if _, err := st.CreateActivity(ctx, civmap.Activity{Title: fmt.Sprintf("活动 %d", i),
			ContentArea: civmap.ContentAreas[i%7], Platform: civmap.Platforms[i%8], Start: start, End: start.Add(2 * time.Hour),
			Place: civmap.Place{Point: &p}, Location: civmap.Location{Point: p, Source: civmap.CoordImported, Precision: civmap.PrecisionExact},
			Status: civmap.ActivityPlanned, CreatedAt: start}); err != nil {
			tb.Fatal(err)
		}
	}
	for i := 0; i < extraNeeds; i++ {
		p := pt()
		if _, _, err := st.CreateNeed(ctx, civmap.Need{Category: civmap.NeedCategories[i%12], Description: "需求",
			Place: civmap.Place{Point: &p}, Location: civmap.Location{Point: p, Source: civmap.CoordImported, Precision: civmap.PrecisionExact},
			Status: civmap.NeedSubmitted, CreatedAt: storetest.FixtureNow}); err != nil {
			tb.Fatal(err)
		}
	}
}

// tilesAt lists the tiles of zoom z over the county's bounding box.
func tilesAt(z maptile.Zoom) []maptile.Tile {
	min := maptile.At(orb.Point{113.20, 29.75}, z)
	max := maptile.At(orb.Point{113.70, 29.25}, z)
	var out []maptile.Tile
	for x := min.X; x <= max.X; x++ {
		for y := min.Y; y <= max.Y; y++ {
			out = append(out, maptile.New(x, y, z))
		}
	}
	return out
}

// BenchmarkTileStores renders composite tiles (all six layers, uncached) from both stores on the
// same data, at z10 (the county in a few tiles) and z14 (a few hundred tiles), cycling through
// every tile of the zoom over the county; ns/op is per tile.
func BenchmarkTileStores(b *testing.B) {
	ctx := context.Background()
	emb, err := embedded.Open(ctx, filepath.Join(b.TempDir(), "civmap.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer emb.Close()
	pg, err := postgis.Open(ctx, postgis.Config{URL: pgtest.NewDatabase(b)})
	if err != nil {
		b.Fatal(err)
	}
	defer pg.Close()
	load(b, emb)
	load(b, pg)
	if _, err := pg.Pool().Exec(ctx, "VACUUM ANALYZE"); err != nil {
		b.Fatal(err)
	}
	for _, z := range []maptile.Zoom{10, 14} {
		ts := tilesAt(z)
		for _, s := range []struct {
			name string
			st   store.Store
		}{{"embedded", emb}, {"postgis", pg}} {
			b.Run(fmt.Sprintf("z%d/%s", z, s.name), func(b *testing.B) {
				bytes, i := 0, 0
				for b.Loop() {
					mvt, err := s.st.Tile(ctx, tiles.Layers, ts[i%len(ts)])
					if err != nil {
						b.Fatal(err)
					}
					bytes += len(mvt)
					i++
				}
				b.ReportMetric(float64(bytes)/float64(i), "bytes/tile")
			})
		}
	}
}
