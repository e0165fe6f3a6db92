package tiles

import (
	"fmt"
	"sort"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/mvt"
	"github.com/paulmach/orb/geojson"
	"github.com/paulmach/orb/maptile"
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
// EPSG:3857 tile units (extent 4096), clipped to the tile plus a 64-unit buffer, polygon rings
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
			gf := geojson.NewFeature(f.Geometry)
			gf.ID = f.ID
			gf.Properties = geojson.Properties(f.Properties)
			fs = append(fs, gf)
		}
		l := &mvt.Layer{Name: string(ld.Layer), Version: 2, Extent: Extent, Features: fs}
		l.ProjectToTile(t)
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

// normalize rounds tile-unit geometry the way the encoder will (integers), drops repeated
// vertices and degenerate rings, and winds polygon rings per MVT 2.1 §4.3.4.4: exterior rings
// with positive surveyor's-formula area in tile coordinates (y down), interior rings negative.
// It returns nil when nothing drawable is left.
func normalize(g orb.Geometry) orb.Geometry {
	switch g := g.(type) {
	case orb.Point, orb.MultiPoint, orb.LineString, orb.MultiLineString:
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
		pt = orb.Point{float64(int32(pt[0])), float64(int32(pt[1]))}
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

// surveyorArea is twice the signed area of a closed ring, Σ(x_i·y_{i+1} − x_{i+1}·y_i).
func surveyorArea(r orb.Ring) float64 {
	var s float64
	for i := 0; i+1 < len(r); i++ {
		s += r[i][0]*r[i+1][1] - r[i+1][0]*r[i][1]
	}
	return s
}
