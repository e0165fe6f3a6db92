package tiles

import (
	"fmt"
	"math"
	"sort"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/mvt"
	"github.com/paulmach/orb/geojson"
	"github.com/paulmach/orb/maptile"
	"github.com/paulmach/orb/project"
)

// Feature is one feature to encode: a stable id, a WGS-84 lon/lat geometry (Point, Polygon or
// MultiPolygon) and its properties (string, number or bool values).
type Feature struct {
	ID         uint64
	Geometry   orb.Geometry
	Properties map[string]any
}

// LayerData is the content of one layer of a tile.
type LayerData struct {
	Layer    Layer
	Features []Feature
}

// bufferBound is the tile-unit box features are clipped to.
var bufferBound = orb.Bound{Min: orb.Point{-Buffer, -Buffer}, Max: orb.Point{Extent + Buffer, Extent + Buffer}}

// Encode renders the layers of tile t as an uncompressed MVT 2.1 tile: geometries projected to
// EPSG:3857 tile units (extent 4096), clipped to the tile plus a 64-unit buffer, rounded to the
// nearest unit (as PostGIS's ST_AsMVTGeom does), polygon rings
// wound as the spec requires (exterior positive area in tile coordinates), features sorted by id.
// Layers left without features are omitted; when none is left Encode returns nil, nil (an empty
// tile).
func Encode(t maptile.Tile, layers []LayerData) ([]byte, error) {
	var out mvt.Layers
	for _, ld := range layers {
		fs := make([]*geojson.Feature, 0, len(ld.Features))
		feats := append([]Feature(nil), ld.Features...)
		sort.Slice(feats, func(i, j int) bool { return feats[i].ID < feats[j].ID })
		for _, f := range feats {
			// Projection and clipping below work in place: encode a copy, never the caller's
			// (a store's in-memory) geometry.
			gf := geojson.NewFeature(orb.Clone(f.Geometry))
			gf.ID = f.ID
			gf.Properties = geojson.Properties(f.Properties)
			fs = append(fs, gf)
		}
		l := &mvt.Layer{Name: string(ld.Layer), Version: 2, Extent: Extent, Features: fs}
		proj := toTile(t)
		for _, f := range l.Features {
			f.Geometry = project.Geometry(f.Geometry, proj)
		}
		l.Clip(bufferBound)
		kept := l.Features[:0]
		for _, f := range l.Features {
			if g := normalize(f.Geometry); g != nil {
				f.Geometry = g
				kept = append(kept, f)
			}
		}
		l.Features = kept
		if len(l.Features) > 0 {
			out = append(out, l)
		}
	}
	if len(out) == 0 {
		return nil, nil
	}
	b, err := mvt.Marshal(out)
	if err != nil {
		return nil, fmt.Errorf("tiles: encode %d/%d/%d: %w", t.Z, t.X, t.Y, err)
	}
	return b, nil
}

// toTile projects WGS-84 lon/lat to fractional tile units of t (EPSG:3857 on the sphere of
// radius 6,378,137 m, y down, Extent units per tile side). Unlike orb's Layer.ProjectToTile it
// does not floor: coordinates are rounded to the nearest unit after clipping (normalize), as
// PostGIS's ST_AsMVTGeom does, so both stores place every vertex within one unit of the other.
func toTile(t maptile.Tile) orb.Projection {
	scale := math.Exp2(float64(t.Z)) * Extent
	x0, y0 := float64(t.X)*Extent, float64(t.Y)*Extent
	return func(p orb.Point) orb.Point {
		lat := math.Max(-maxLat, math.Min(maxLat, p[1])) * math.Pi / 180
		x := (p[0] + 180) / 360 * scale
		y := (1 - math.Log(math.Tan(lat)+1/math.Cos(lat))/math.Pi) / 2 * scale
		return orb.Point{x - x0, y - y0}
	}
}

// maxLat is the latitude of the top edge of Web Mercator tiles, in degrees.
const maxLat = 85.0511287798066

// normalize rounds tile-unit geometry to the nearest integer unit (the encoder truncates what it
// is given), drops repeated
// vertices and degenerate rings, and winds polygon rings per MVT 2.1 §4.3.4.4: exterior rings
// with positive surveyor's-formula area in tile coordinates (y down), interior rings negative.
// It returns nil when nothing drawable is left.
func normalize(g orb.Geometry) orb.Geometry {
	switch g := g.(type) {
	case orb.Point:
		return roundPoint(g)
	case orb.MultiPoint:
		out := make(orb.MultiPoint, len(g))
		for i, p := range g {
			out[i] = roundPoint(p)
		}
		return out
	case orb.LineString, orb.MultiLineString:
		return g
	case orb.Polygon:
		if p := normalizePolygon(g); p != nil {
			return p
		}
		return nil
	case orb.MultiPolygon:
		var mp orb.MultiPolygon
		for _, p := range g {
			if np := normalizePolygon(p); np != nil {
				mp = append(mp, np)
			}
		}
		switch len(mp) {
		case 0:
			return nil
		case 1:
			return mp[0]
		}
		return mp
	}
	return g
}

func normalizePolygon(p orb.Polygon) orb.Polygon {
	var out orb.Polygon
	for i, r := range p {
		nr := cleanRing(r)
		if nr == nil {
			if i == 0 {
				return nil // no exterior: drop the polygon
			}
			continue
		}
		a := surveyorArea(nr)
		if (i == 0) != (a > 0) {
			nr.Reverse()
		}
		out = append(out, nr)
	}
	return out
}

func cleanRing(r orb.Ring) orb.Ring {
	nr := make(orb.Ring, 0, len(r)+1)
	for _, pt := range r {
		pt = roundPoint(pt)
		if len(nr) > 0 && nr[len(nr)-1] == pt {
			continue
		}
		nr = append(nr, pt)
	}
	if len(nr) > 1 && nr[0] == nr[len(nr)-1] {
		nr = nr[:len(nr)-1]
	}
	if len(nr) < 3 || surveyorArea(append(nr, nr[0])) == 0 {
		return nil
	}
	return append(nr, nr[0])
}

func roundPoint(p orb.Point) orb.Point { return orb.Point{math.Round(p[0]), math.Round(p[1])} }

// surveyorArea is twice the signed area of a closed ring, Σ(x_i·y_{i+1} − x_{i+1}·y_i).
func surveyorArea(r orb.Ring) float64 {
	var s float64
	for i := 0; i+1 < len(r); i++ {
		s += r[i][0]*r[i+1][1] - r[i+1][0]*r[i][1]
	}
	return s
}
