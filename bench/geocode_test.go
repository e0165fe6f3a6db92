// Package bench holds civmap's benchmarks. The geocoder's: addresses per second against the
// national tree (run with -cpu 1 for one core), the national tree's load time and heap.
//
//	go test ./bench -run '^$' -bench Geocode -cpu 1 -benchtime 3s
package bench

import (
	"bufio"
	"os"
	"runtime"
	"strings"
	"testing"
	"time"

	"civmap/geo/gazetteer"
)

// evalInputs returns the addresses of the generated evaluation set (8,000-odd realistic
// addresses: full, short, typos, tails, traditional characters …).
func evalInputs(b *testing.B) []string {
	b.Helper()
	f, err := os.Open("../geo/gazetteer/testdata/eval_generated.tsv")
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	var out []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		c := strings.Split(sc.Text(), "\t")
		if len(c) < 2 || strings.HasPrefix(c[0], "#") || c[0] == "kind" {
			continue
		}
		out = append(out, c[1])
	}
	if len(out) == 0 {
		b.Fatal("no addresses")
	}
	return out
}

func benchGeocode(b *testing.B, g *gazetteer.Gazetteer, in []string) {
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		g.Geocode(in[i%len(in)])
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "addr/s")
}

// BenchmarkGeocodeNational: addresses per second against the national tree; goal ≥ 50,000/s
// on one core (-cpu 1).
func BenchmarkGeocodeNational(b *testing.B) {
	g, err := gazetteer.National()
	if err != nil {
		b.Fatal(err)
	}
	benchGeocode(b, g, evalInputs(b))
}

// BenchmarkGeocodeLinxiangSites: the 176 site addresses the service geocodes at start-up,
// against the Linxiang tree.
func BenchmarkGeocodeLinxiangSites(b *testing.B) {
	g, err := gazetteer.Linxiang()
	if err != nil {
		b.Fatal(err)
	}
	var in []string
	town := map[string]string{}
	for e := range g.All() {
		switch e.Level {
		case gazetteer.LevelTown:
			town[e.Code] = e.Name
			in = append(in, "湖南省岳阳市临湘市"+e.Name)
		case gazetteer.LevelVillage:
			in = append(in, "湖南省岳阳市临湘市"+town[e.Parent]+e.Name)
		}
	}
	benchGeocode(b, g, in)
}

// BenchmarkGeocodeNationalParallel: throughput with every core (GOMAXPROCS goroutines).
func BenchmarkGeocodeNationalParallel(b *testing.B) {
	g, err := gazetteer.National()
	if err != nil {
		b.Fatal(err)
	}
	in := evalInputs(b)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			g.Geocode(in[i%len(in)])
			i++
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "addr/s")
}

// BenchmarkLoadNational: time to decompress and index the national tree, and the heap it holds
// (heap-MB: live bytes after a GC, tree minus baseline; peak-heap-MB: the largest HeapAlloc
// sampled every 5 ms while loading, minus baseline; alloc-MB: everything allocated while
// loading); budget ≤ 2 s and ≤ 200 MB.
func BenchmarkLoadNational(b *testing.B) {
	var ms runtime.MemStats
	var heap, alloc, peak uint64
	for b.Loop() {
		b.StopTimer()
		runtime.GC()
		runtime.ReadMemStats(&ms)
		base, total := ms.HeapAlloc, ms.TotalAlloc
		stop, done := make(chan struct{}), make(chan uint64)
		go func() { // sample the heap while loading, for the transient peak
			var m runtime.MemStats
			var p uint64
			for {
				runtime.ReadMemStats(&m)
				p = max(p, m.HeapAlloc)
				select {
				case <-stop:
					done <- p
					return
				case <-time.After(5 * time.Millisecond):
				}
			}
		}()
		b.StartTimer()
		g, err := gazetteer.NewNational()
		if err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		close(stop)
		peak = max(peak, <-done-base)
		runtime.GC()
		runtime.ReadMemStats(&ms)
		heap, alloc = ms.HeapAlloc-base, ms.TotalAlloc-total
		runtime.KeepAlive(g)
		b.StartTimer()
	}
	b.ReportMetric(float64(heap)/(1<<20), "heap-MB")
	b.ReportMetric(float64(alloc)/(1<<20), "alloc-MB")
	b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MB")
	b.ReportMetric(b.Elapsed().Seconds()/float64(b.N), "s/load")
}

// BenchmarkLoadLinxiang: time to build the Linxiang tree (what start-up pays).
func BenchmarkLoadLinxiang(b *testing.B) {
	for b.Loop() {
		if _, err := gazetteer.NewLinxiang(); err != nil {
			b.Fatal(err)
		}
	}
}
