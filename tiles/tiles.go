// Package tiles is civmap's vector-tile pipeline: z/x/y parsing and bounds (EPSG:3857 tiles,
// XYZ scheme), Mapbox Vector Tile 2.1 encoding of WGS-84 features (via orb/encoding/mvt),
// TileJSON 3.0.0 documents, and a tile cache keyed by content version with ETags.
package tiles

import (
	"math"
	"strconv"

	"civmap"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/maptile"
)

// Tile geometry constants (MVT 2.1 §4.3; the buffer is what MapLibre GL draws past a tile edge).
const (
	Extent  = 4096 // tile units per tile side
	Buffer  = 64   // tile units kept outside each edge, so symbols crossing an edge render whole
	MinZoom = 0
	MaxZoom = 22
)

// Parse parses the z, x and y path segments of a tile URL. z must be an integer in
// [MinZoom, MaxZoom], x and y integers in [0, 2^z). Errors are EINVALID naming the field.
func Parse(z, x, y string) (maptile.Tile, error) {
	zi, err := strconv.Atoi(z)
	if err != nil {
		return maptile.Tile{}, civmap.FieldErrorf("z", "zoom %q is not an integer", z)
	}
	if zi < MinZoom || zi > MaxZoom {
		return maptile.Tile{}, civmap.FieldErrorf("z", "zoom %d is outside %d–%d", zi, MinZoom, MaxZoom)
	}
	n := uint64(1) << uint(zi)
	xi, err := strconv.ParseUint(x, 10, 32)
	if err != nil {
		return maptile.Tile{}, civmap.FieldErrorf("x", "x %q is not a non-negative integer", x)
	}
	if xi >= n {
		return maptile.Tile{}, civmap.FieldErrorf("x", "x %d is outside 0–%d at zoom %d", xi, n-1, zi)
	}
	yi, err := strconv.ParseUint(y, 10, 32)
	if err != nil {
		return maptile.Tile{}, civmap.FieldErrorf("y", "y %q is not a non-negative integer", y)
	}
	if yi >= n {
		return maptile.Tile{}, civmap.FieldErrorf("y", "y %d is outside 0–%d at zoom %d", yi, n-1, zi)
	}
	return maptile.New(uint32(xi), uint32(yi), maptile.Zoom(zi)), nil
}

// BufferedBound returns the WGS-84 lon/lat bound (degrees) of tile t grown by Buffer tile units
// on every side: every feature that can appear in the encoded tile lies in it.
func BufferedBound(t maptile.Tile) orb.Bound {
	n := math.Exp2(float64(t.Z))
	b := float64(Buffer) / float64(Extent)
	x0, x1 := float64(t.X)-b, float64(t.X)+1+b
	y0, y1 := float64(t.Y)-b, float64(t.Y)+1+b
	return orb.Bound{
		Min: orb.Point{math.Max(-180, x0/n*360-180), tileLat(y1, n)},
		Max: orb.Point{math.Min(180, x1/n*360-180), tileLat(y0, n)},
	}
}

func tileLat(y, n float64) float64 {
	y = math.Max(0, math.Min(n, y))
	return math.Atan(math.Sinh(math.Pi*(1-2*y/n))) * 180 / math.Pi
}
