package tiles_test

import (
	"testing"

	"civmap"
	"civmap/tiles"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/mvt"
	"github.com/paulmach/orb/maptile"
)

func TestParse(t *testing.T) {
	for _, c := range []struct{ z, x, y, field string }{
		{"5", "32", "0", "x"}, {"5", "0", "32", "y"}, {"-1", "0", "0", "z"}, {"23", "0", "0", "z"},
		{"a", "0", "0", "z"}, {"3", "b", "0", "x"}, {"3", "0", "c", "y"}, {"3", "-1", "0", "x"},
		{"3", "1.5", "0", "x"}, {"", "0", "0", "z"}, {"3", "0", "99999999999999999999", "y"},
	} {
		_, err := tiles.Parse(c.z, c.x, c.y)
		if civmap.ErrorCode(err) != civmap.EINVALID || civmap.ErrorField(err) != c.field {
			t.Errorf("Parse(%q, %q, %q) = %v; want EINVALID on field %s", c.z, c.x, c.y, err, c.field)
		}
	}
	for _, c := range []struct{ z, x, y string }{{"0", "0", "0"}, {"22", "4194303", "4194303"}, {"5", "31", "31"}} {
		if _, err := tiles.Parse(c.z, c.x, c.y); err != nil {
			t.Errorf("Parse(%s/%s/%s): %v", c.z, c.x, c.y, err)
		}
	}
}

func TestParseLayers(t *testing.T) {
	ls, err := tiles.ParseLayers("needs,sites")
	if err != nil || tiles.JoinLayers(ls) != "sites,needs" {
		t.Errorf("ParseLayers(needs,sites) = %v, %v; want sites,needs in draw order", ls, err)
	}
	for _, bad := range []string{"", "roads", "sites,sites", "sites,"} {
		if _, err := tiles.ParseLayers(bad); civmap.ErrorField(err) != "layer" {
			t.Errorf("ParseLayers(%q) = %v; want an error on field layer", bad, err)
		}
	}
}

func TestClusterRes(t *testing.T) {
	want := map[int]int{0: 0, 4: 2, 6: 4, 8: 5, 10: 6, 11: 7, 12: 8, 13: 8, 14: 8, 18: 8, 22: 8}
	for z, r := range want {
		if got := tiles.ClusterRes(z); got != r {
			t.Errorf("ClusterRes(%d) = %d, want %d", z, got, r)
		}
	}
	// The public clusters layer never goes finer than resolution 8 (~0.46 km edge), at any zoom.
	for z := tiles.MinZoom; z <= tiles.MaxZoom; z++ {
		if r := tiles.ClusterRes(z); r > tiles.MaxClusterLayerRes || r > 8 {
			t.Errorf("ClusterRes(%d) = %d, finer than resolution 8", z, r)
		}
	}
}

// decode unmarshals an MVT and indexes its features by layer and id.
func decode(t *testing.T, b []byte) map[string]map[uint64]*mvtFeature {
	t.Helper()
	layers, err := mvt.Unmarshal(b)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]map[uint64]*mvtFeature{}
	for _, l := range layers {
		if l.Version != 2 || l.Extent != tiles.Extent {
			t.Errorf("layer %s: version %d extent %d", l.Name, l.Version, l.Extent)
		}
		out[l.Name] = map[uint64]*mvtFeature{}
		for _, f := range l.Features {
			// orb's decoder hands ids over as float64; ours stay below 2^53, so this is exact.
			fid, ok := f.ID.(float64)
			if !ok || fid < 0 || fid != float64(uint64(fid)) {
				t.Fatalf("layer %s: feature id %v (%T) is not a non-negative integer", l.Name, f.ID, f.ID)
			}
			id := uint64(fid)
			out[l.Name][id] = &mvtFeature{geom: f.Geometry, props: f.Properties}
		}
	}
	return out
}

type mvtFeature struct {
	geom  orb.Geometry
	props map[string]any
}

func TestEncodeBufferAndIDs(t *testing.T) {
	tile := maptile.New(835, 425, 10) // around Linxiang
	b := tile.Bound()
	inside := orb.Point{(b.Min[0] + b.Max[0]) / 2, (b.Min[1] + b.Max[1]) / 2}
	// 32 tile units (half the buffer) east of the tile's east edge.
	inBuffer := orb.Point{b.Max[0] + (b.Max[0]-b.Min[0])*32/4096, inside[1]}
	// 128 units east: outside the buffer.
	outside := orb.Point{b.Max[0] + (b.Max[0]-b.Min[0])*128/4096, inside[1]}
	enc, err := tiles.Encode(tile, []tiles.LayerData{{Layer: tiles.LayerSites, Features: []tiles.Feature{
		{ID: 3, Geometry: inside, Properties: map[string]any{"code": "a"}},
		{ID: 1, Geometry: inBuffer, Properties: map[string]any{"code": "b"}},
		{ID: 2, Geometry: outside, Properties: map[string]any{"code": "c"}},
	}}})
	if err != nil {
		t.Fatal(err)
	}
	got := decode(t, enc)["sites"]
	if got[3] == nil || got[1] == nil {
		t.Fatalf("want features 3 (inside) and 1 (in the buffer), have %v", got)
	}
	if got[2] != nil {
		t.Error("feature 2 lies outside the buffer but is in the tile")
	}
	if x := got[1].geom.(orb.Point)[0]; x <= 4096 || x > 4096+64 {
		t.Errorf("buffered feature at x=%v tile units, want in (4096, 4160]", x)
	}
	empty, err := tiles.Encode(tile, []tiles.LayerData{{Layer: tiles.LayerSites, Features: []tiles.Feature{{ID: 2, Geometry: outside}}}})
	if err != nil || empty != nil {
		t.Errorf("tile with nothing inside = %d bytes, %v; want nil, nil", len(empty), err)
	}
}

func TestEncodePolygonWinding(t *testing.T) {
	tile := maptile.New(0, 0, 0)
	// A counter-clockwise lon/lat square (RFC 7946 exterior); MVT needs positive area in tile
	// coordinates, whose y axis points down.
	sq := orb.Polygon{{{-10, -10}, {10, -10}, {10, 10}, {-10, 10}, {-10, -10}}}
	enc, err := tiles.Encode(tile, []tiles.LayerData{{Layer: tiles.LayerBoundary, Features: []tiles.Feature{{ID: 7, Geometry: sq}}}})
	if err != nil {
		t.Fatal(err)
	}
	raw, err := mvt.Unmarshal(enc)
	if err != nil {
		t.Fatal(err)
	}
	// orb decodes rings as they are stored; compute the surveyor's area in tile units.
	ring := raw[0].Features[0].Geometry.(orb.Polygon)[0]
	var a float64
	for i := 0; i+1 < len(ring); i++ {
		a += ring[i][0]*ring[i+1][1] - ring[i+1][0]*ring[i][1]
	}
	if a <= 0 {
		t.Errorf("exterior ring area %v in tile coordinates, want > 0 (MVT 2.1 §4.3.4.4)", a)
	}
}

func TestBufferedBoundContainsTile(t *testing.T) {
	for _, tile := range []maptile.Tile{maptile.New(0, 0, 0), maptile.New(835, 425, 10), maptile.New(1, 1, 1)} {
		bb, b := tiles.BufferedBound(tile), tile.Bound()
		if !bb.Contains(b.Min) || !bb.Contains(b.Max) {
			t.Errorf("%v: buffered bound %v does not contain the tile %v", tile, bb, b)
		}
	}
}

// A need is drawn at its responsible site's point, with the site's provenance, never at its own
// (possibly a resident's home).
func TestNeedFeatureAtSite(t *testing.T) {
	home := orb.Point{113.501234, 29.501234}
	site := civmap.Site{Code: "430682101201", Level: civmap.LevelPost,
		Location: civmap.Location{Point: orb.Point{113.45, 29.47}, Source: civmap.CoordSynthetic, Precision: civmap.PrecisionVillage}}
	n := civmap.Need{ID: 9, Category: "其他", Description: "住在……", Place: civmap.Place{Point: &home}, SiteCode: site.Code,
		Location: civmap.Location{Point: home, Source: civmap.CoordImported, Precision: civmap.PrecisionExact},
		Status:   civmap.NeedSubmitted}
	f := tiles.NeedFeature(n, site)
	if f.Geometry != site.Location.Point {
		t.Errorf("need drawn at %v, want its site's point %v", f.Geometry, site.Location.Point)
	}
	want := map[string]any{"code": site.Code, "level": "post", "coord_source": "synthetic", "precision": "village", "placeholder": true}
	for k, v := range want {
		if f.Properties[k] != v {
			t.Errorf("property %s = %v, want %v", k, f.Properties[k], v)
		}
	}
	if _, ok := f.Properties["description"]; ok {
		t.Error("the need's description is in the public layer")
	}
	if len(f.Properties) != len(tiles.Fields[tiles.LayerNeeds]) {
		t.Errorf("%d properties, want the %d of tiles.Fields", len(f.Properties), len(tiles.Fields[tiles.LayerNeeds]))
	}
}
