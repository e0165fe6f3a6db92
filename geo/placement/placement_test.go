package placement_test

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"sort"
	"strings"
	"testing"

	"civmap/data"
	"civmap/geo/placement"

	"github.com/paulmach/orb"
	orbgeo "github.com/paulmach/orb/geo"
	"github.com/paulmach/orb/planar"
)

var update = flag.Bool("update", false, "rewrite testdata/linxiang.golden.csv")

// distanceToRing is the smallest haversine distance, in metres, from p to the ring's edges,
// approximated by sampling each edge every ~50 m.
func distanceToRing(p orb.Point, r orb.Ring) float64 {
	best := 1e18
	for i := 0; i+1 < len(r); i++ {
		a, b := r[i], r[i+1]
		n := int(orbgeo.Distance(a, b)/50) + 1
		for k := 0; k <= n; k++ {
			t := float64(k) / float64(n)
			q := orb.Point{a[0] + t*(b[0]-a[0]), a[1] + t*(b[1]-a[1])}
			if d := orbgeo.Distance(p, q); d < best {
				best = d
			}
		}
	}
	return best
}

func TestLinxiangSitesInsideOutline(t *testing.T) {
	l, err := placement.Linxiang()
	if err != nil {
		t.Fatal(err)
	}
	if len(l.Points) != 176 {
		t.Fatalf("have %d points, want 176", len(l.Points))
	}
	wgs, err := placement.LinxiangOutline()
	if err != nil {
		t.Fatal(err)
	}
	published, err := data.LinxiangOutlineAsPublished()
	if err != nil {
		t.Fatal(err)
	}
	// Inside the outline with 1 km tolerance, whichever datum the published outline is in.
	for _, outline := range []orb.Polygon{wgs, published} {
		for code, p := range l.Points {
			if !planar.PolygonContains(outline, p) {
				if d := distanceToRing(p, outline[0]); d > 1000 {
					t.Errorf("site %s at %v is %.0f m outside the county outline", code, p, d)
				}
			}
		}
	}
}

func TestLinxiangMinimumSpacing(t *testing.T) {
	l, err := placement.Linxiang()
	if err != nil {
		t.Fatal(err)
	}
	codes := sortedCodes(l.Points)
	minD, pair := 1e18, ""
	for i, a := range codes {
		for _, b := range codes[i+1:] {
			if d := orbgeo.DistanceHaversine(l.Points[a], l.Points[b]); d < minD {
				minD, pair = d, a+"–"+b
			}
		}
	}
	if minD < 300 {
		t.Errorf("sites %s are %.0f m apart, want ≥ 300 m", pair, minD)
	}
	t.Logf("closest pair %s: %.0f m", pair, minD)
}

func TestLinxiangZones(t *testing.T) {
	l, err := placement.Linxiang()
	if err != nil {
		t.Fatal(err)
	}
	divs, err := data.LinxiangDivisions()
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range divs {
		switch d.Level {
		case "town":
			ok, cells := l.ZoneConnected(d.Code)
			if !ok || cells == 0 {
				t.Errorf("town %s %s: zone connected=%v with %d cells", d.Code, d.Name, ok, cells)
			}
			if got := l.TownAt(l.Points[d.Code]); got != d.Code {
				t.Errorf("station %s lies in zone %q, want its own", d.Code, got)
			}
		case "village":
			if got := l.TownAt(l.Points[d.Code]); got != d.ParentCode {
				t.Errorf("village %s %s lies in zone %q, want its town %s", d.Code, d.Name, got, d.ParentCode)
			}
		}
	}
	// The center sits at the county seat, the four 街道 stations within 3 km of it.
	if d := orbgeo.DistanceHaversine(l.Points["430682"], placement.LinxiangSeat); d > 300 {
		t.Errorf("center is %.0f m from the county seat", d)
	}
	for _, d := range divs {
		if d.Level == "town" && strings.HasSuffix(d.Name, "街道") {
			if dist := orbgeo.DistanceHaversine(l.Points[d.Code], placement.LinxiangSeat); dist > 3000 {
				t.Errorf("%s station is %.0f m from the county seat, want ≤ 3 km", d.Name, dist)
			}
		}
	}
}

// TestLinxiangGolden pins every position: identical on every run and machine.
func TestLinxiangGolden(t *testing.T) {
	l, err := placement.Linxiang()
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	buf.WriteString("code,lon,lat\n")
	for _, c := range sortedCodes(l.Points) {
		fmt.Fprintf(&buf, "%s,%.6f,%.6f\n", c, l.Points[c][0], l.Points[c][1])
	}
	const golden = "testdata/linxiang.golden.csv"
	if *update {
		if err := os.WriteFile(golden, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(buf.Bytes(), want) {
		t.Errorf("positions differ from %s (run with -update only if the algorithm changed on purpose)", golden)
	}
	// A second, independent computation gives the same bytes.
	again, err := placement.Place(mustInput(t))
	if err != nil {
		t.Fatal(err)
	}
	for c, p := range l.Points {
		if again.Points[c] != p {
			t.Errorf("second run moved %s from %v to %v", c, p, again.Points[c])
		}
	}
}

func mustInput(t testing.TB) placement.Input {
	t.Helper()
	in, err := placement.LinxiangInput()
	if err != nil {
		t.Fatal(err)
	}
	return in
}

func TestPlaceRejectsTooSmallOutline(t *testing.T) {
	in := placement.Input{
		CountyCode: "999999",
		Seat:       orb.Point{113, 29},
		Outline:    orb.Polygon{{{112.99, 28.99}, {113.01, 28.99}, {113.01, 29.01}, {112.99, 29.01}, {112.99, 28.99}}},
		Towns:      []placement.Town{{Code: "999999001", Villages: []string{"999999001001", "999999001002", "999999001003", "999999001004", "999999001005", "999999001006", "999999001007", "999999001008", "999999001009"}}},
	}
	_, err := placement.Place(in)
	if err == nil || !strings.Contains(err.Error(), "no room") {
		t.Fatalf("a 2 km square cannot hold 11 sites 300 m apart 600 m inside its edge; got error %v", err)
	}
}

func sortedCodes(m map[string]orb.Point) []string {
	out := make([]string, 0, len(m))
	for c := range m {
		out = append(out, c)
	}
	sort.Strings(out)
	return out
}

func BenchmarkLinxiangPlacement(b *testing.B) {
	in := mustInput(b)
	for b.Loop() {
		if _, err := placement.Place(in); err != nil {
			b.Fatal(err)
		}
	}
}
