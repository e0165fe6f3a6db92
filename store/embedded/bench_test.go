package embedded_test

import (
	"context"
	"math/rand/v2"
	"path/filepath"
	"runtime"
	"slices"
	"testing"
	"time"

	"civmap"
	"civmap/seed"
	"civmap/store"
	"civmap/store/embedded"
	"civmap/store/storetest"
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

// BenchmarkNearestVolunteers1M asks for the 10 nearest suitable volunteers (a skill and a time)
// among 1,000,000 random ones (storetest.RandomVolunteers: around the fixture's posts, written
// with PutVolunteers in batches of 20,000), at random points near the posts: "written" on the
// store that wrote them, "reopened" after closing and opening the data file (the index as Open
// lays it out). Besides ns/op each reports the median, 99th percentile and maximum of 10,000
// timed queries (p50-ns, p99-ns, max-ns).
//
//	go test ./store/embedded -run '^$' -bench NearestVolunteers1M -benchtime 20000x -timeout 30m
func BenchmarkNearestVolunteers1M(b *testing.B) {
	const n, queries = 1_000_000, 10_000
	ctx := context.Background()
	path := filepath.Join(b.TempDir(), "civmap.db")
	st, err := embedded.Open(ctx, path)
	if err != nil {
		b.Fatal(err)
	}
	defer func() { st.Close() }()
	f, err := storetest.NewFixture()
	if err != nil {
		b.Fatal(err)
	}
	if _, err := st.Put(ctx, store.Batch{Sites: f.Sites, Venues: f.Venues, Areas: f.Areas}); err != nil {
		b.Fatal(err)
	}
	t0 := time.Now()
	vs := storetest.RandomVolunteers(f, n, 1)
	for i := 0; i < len(vs); i += 20_000 {
		if _, _, err := st.PutVolunteers(ctx, vs[i:min(i+20_000, len(vs))], false); err != nil {
			b.Fatal(err)
		}
	}
	b.Logf("%d volunteers written in %v", n, time.Since(t0).Round(time.Millisecond))

	var posts []civmap.Site
	for _, s := range f.Sites {
		if s.Level == civmap.LevelPost {
			posts = append(posts, s)
		}
	}
	r := rand.New(rand.NewPCG(2, 3))
	week := time.Date(2026, 12, 7, 0, 0, 0, 0, civmap.ChinaTime)
	qs := make([]store.VolunteerQuery, queries)
	for i := range qs {
		p := posts[r.IntN(len(posts))].Location.Point
		qs[i] = store.VolunteerQuery{Point: orb.Point{p[0] + (r.Float64()-0.5)*0.2, p[1] + (r.Float64()-0.5)*0.2}, K: 10,
			Skill: civmap.Skills[r.IntN(len(civmap.Skills))], At: week.Add(time.Duration(r.IntN(7*24*60)) * time.Minute)}
	}
	run := func(b *testing.B) {
		runtime.GC() // steady state: not the garbage of writing or loading a million records
		lat := make([]time.Duration, queries)
		for i, q := range qs {
			start := time.Now()
			got, err := st.NearestVolunteers(ctx, q)
			lat[i] = time.Since(start)
			if err != nil || len(got) != q.K {
				b.Fatalf("query %d: %d volunteers, %v", i, len(got), err)
			}
		}
		slices.Sort(lat)
		i := 0
		for b.Loop() {
			if _, err := st.NearestVolunteers(ctx, qs[i%queries]); err != nil {
				b.Fatal(err)
			}
			i++
		}
		b.ReportMetric(float64(lat[queries/2].Nanoseconds()), "p50-ns")
		b.ReportMetric(float64(lat[queries*99/100].Nanoseconds()), "p99-ns")
		b.ReportMetric(float64(lat[queries-1].Nanoseconds()), "max-ns")
	}
	b.Run("written", run)
	st.Close()
	t0 = time.Now()
	if st, err = embedded.Open(ctx, path); err != nil {
		b.Fatal(err)
	}
	b.Logf("reopened (%d volunteers loaded) in %v", n, time.Since(t0).Round(time.Millisecond))
	b.Run("reopened", run)
}

// BenchmarkTransitions: workflow transitions per second (five per need: order, dispatch,
// accept, start, finish), each one durable transaction.
func BenchmarkTransitions(b *testing.B) {
	storetest.BenchmarkTransitions(b, func(tb testing.TB) store.Store {
		s, err := embedded.Open(context.Background(), filepath.Join(tb.TempDir(), "civmap.db"))
		if err != nil {
			tb.Fatal(err)
		}
		tb.Cleanup(func() { s.Close() })
		return s
	})
}
