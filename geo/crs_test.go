package geo_test

import (
	"math"
	"testing"

	"civmap/geo"

	"github.com/paulmach/orb"
	orbgeo "github.com/paulmach/orb/geo"
)

func near(t *testing.T, name string, got, want orb.Point, tolDeg float64) {
	t.Helper()
	if math.Abs(got[0]-want[0]) > tolDeg || math.Abs(got[1]-want[1]) > tolDeg {
		t.Errorf("%s = %.10f, %.10f; want %.10f, %.10f (±%g°)", name, got[0], got[1], want[0], want[1], tolDeg)
	}
}

// Published vectors (issue 3; the first from the eviltransform test suite).
func TestGCJ02Vectors(t *testing.T) {
	near(t, "WGS84ToGCJ02(121.5272106, 31.1774276)", geo.WGS84ToGCJ02(orb.Point{121.5272106, 31.1774276}),
		orb.Point{121.531541859215, 31.17530398364597}, 1e-9)
	near(t, "WGS84ToGCJ02(123, 45)", geo.WGS84ToGCJ02(orb.Point{123, 45}), orb.Point{123.00607541, 45.00197815}, 1e-8)
	near(t, "GCJ02ToBD09(123, 45)", geo.GCJ02ToBD09(orb.Point{123, 45}), orb.Point{123.00636499, 45.00636899}, 1e-8)
}

func TestRoundTripsWithinOneCentimetre(t *testing.T) {
	for lon := 74.0; lon <= 134; lon += 1.7 {
		for lat := 18.5; lat <= 53; lat += 1.3 {
			p := orb.Point{lon, lat}
			if !geo.InMainlandChina(p) {
				continue
			}
			if d := orbgeo.Distance(p, geo.GCJ02ToWGS84(geo.WGS84ToGCJ02(p))); d > 0.01 {
				t.Fatalf("WGS→GCJ→WGS at %v drifts %.4f m", p, d)
			}
			if d := orbgeo.Distance(p, geo.BD09ToWGS84(geo.WGS84ToBD09(p))); d > 0.01 {
				t.Fatalf("WGS→BD→WGS at %v drifts %.4f m", p, d)
			}
			if d := orbgeo.Distance(p, geo.BD09ToGCJ02(geo.GCJ02ToBD09(p))); d > 0.01 {
				t.Fatalf("GCJ→BD→GCJ at %v drifts %.4f m", p, d)
			}
		}
	}
}

func TestOutsideChinaUnchanged(t *testing.T) {
	for _, p := range []orb.Point{{-0.1276, 51.5072}, {-74.006, 40.7128}, {151.2093, -33.8688}} {
		if got := geo.WGS84ToGCJ02(p); got != p {
			t.Errorf("WGS84ToGCJ02(%v) = %v, want unchanged", p, got)
		}
		if got := geo.GCJ02ToWGS84(p); got != p {
			t.Errorf("GCJ02ToWGS84(%v) = %v, want unchanged", p, got)
		}
	}
}
