package storetest

import (
	"fmt"
	"math"
	"sort"
	"strings"

	"civmap/tiles"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/mvt"
	"github.com/paulmach/orb/encoding/mvt/vectortile"
)

// Value is a decoded MVT property value with its wire kind: "string", "int" (int, uint or sint
// value), "bool", "float" or "double".
type Value struct {
	Kind string
	S    string
	I    int64
	U    uint64 // set for "int" values ≥ 0, so that uint64 values above 2^63 compare exactly
	B    bool
	F    float64
}

func (v Value) String() string {
	switch v.Kind {
	case "string":
		return fmt.Sprintf("%q", v.S)
	case "int":
		return fmt.Sprintf("%d", v.I)
	case "bool":
		return fmt.Sprintf("%t", v.B)
	}
	return fmt.Sprintf("%s(%g)", v.Kind, v.F)
}

func (v Value) equal(w Value) bool {
	if v.Kind != w.Kind {
		return false
	}
	switch v.Kind {
	case "string":
		return v.S == w.S
	case "int":
		return v.I == w.I && v.U == w.U
	case "bool":
		return v.B == w.B
	}
	return v.F == w.F
}

// Feature is a decoded MVT feature: its exact id, properties and geometry in tile units.
type Feature struct {
	ID       uint64
	Props    map[string]Value
	Geometry orb.Geometry
}

// Layer is a decoded MVT layer.
type Layer struct {
	Name     string
	Version  uint32
	Extent   uint32
	Features map[uint64]Feature
}

// DecodeTile decodes an MVT tile: ids exactly (as uint64, not orb's float64), property values
// with their wire kinds, geometry in tile units. A nil tile decodes to no layers.
func DecodeTile(b []byte) (map[string]Layer, error) {
	out := map[string]Layer{}
	if len(b) == 0 {
		return out, nil
	}
	var raw vectortile.Tile
	if err := raw.Unmarshal(b); err != nil {
		return nil, err
	}
	geoms, err := mvt.Unmarshal(b)
	if err != nil {
		return nil, err
	}
	if len(geoms) != len(raw.Layers) {
		return nil, fmt.Errorf("decoders disagree on the number of layers")
	}
	for li, rl := range raw.Layers {
		l := Layer{Name: rl.GetName(), Version: rl.GetVersion(), Extent: rl.GetExtent(), Features: map[uint64]Feature{}}
		if _, dup := out[l.Name]; dup {
			return nil, fmt.Errorf("layer %s appears twice", l.Name)
		}
		gl := geoms[li]
		if len(gl.Features) != len(rl.Features) {
			return nil, fmt.Errorf("layer %s: decoders disagree on the number of features", l.Name)
		}
		for fi, rf := range rl.Features {
			if rf.Id == nil {
				return nil, fmt.Errorf("layer %s: feature %d has no id", l.Name, fi)
			}
			f := Feature{ID: *rf.Id, Props: map[string]Value{}, Geometry: gl.Features[fi].Geometry}
			if len(rf.Tags)%2 != 0 {
				return nil, fmt.Errorf("layer %s: feature %d: odd tag count", l.Name, f.ID)
			}
			for i := 0; i < len(rf.Tags); i += 2 {
				k, vi := int(rf.Tags[i]), int(rf.Tags[i+1])
				if k >= len(rl.Keys) || vi >= len(rl.Values) {
					return nil, fmt.Errorf("layer %s: feature %d: tag out of range", l.Name, f.ID)
				}
				f.Props[rl.Keys[k]] = decodeValue(rl.Values[vi])
			}
			if _, dup := l.Features[f.ID]; dup {
				return nil, fmt.Errorf("layer %s: feature id %d appears twice", l.Name, f.ID)
			}
			l.Features[f.ID] = f
		}
		out[l.Name] = l
	}
	return out, nil
}

func decodeValue(v *vectortile.Tile_Value) Value {
	switch {
	case v.StringValue != nil:
		return Value{Kind: "string", S: *v.StringValue}
	case v.IntValue != nil:
		return intValue(*v.IntValue)
	case v.SintValue != nil:
		return intValue(*v.SintValue)
	case v.UintValue != nil:
		return Value{Kind: "int", I: int64(*v.UintValue), U: *v.UintValue}
	case v.BoolValue != nil:
		return Value{Kind: "bool", B: *v.BoolValue}
	case v.FloatValue != nil:
		return Value{Kind: "float", F: float64(*v.FloatValue)}
	case v.DoubleValue != nil:
		return Value{Kind: "double", F: *v.DoubleValue}
	}
	return Value{Kind: "none"}
}

func intValue(i int64) Value {
	v := Value{Kind: "int", I: i}
	if i >= 0 {
		v.U = uint64(i)
	}
	return v
}

// Tolerances, in tile units, between two stores' renderings of one feature. A point may be one
// unit off on each axis (rounding), so √2 in all. A polygon's vertices away from the clip edge
// may be 4 units (a quarter of a screen pixel at 256 px per tile) from the other's outline:
// PostGIS repairs polygons that snapping to the integer grid has pinched (wagyu), moving a few
// vertices by more than a unit at low zooms, where orb keeps them. Areas may differ by the
// polygon tolerance times the perimeter.
const (
	PointTolerance   = 1.4143
	PolygonTolerance = 4.0
)

// CompareTiles returns the differences between two tiles (nil when they match): the same
// layers, the same feature ids in each, the same property keys, wire kinds and values, and
// geometries of the same dimension within PointTolerance or PolygonTolerance of each other (every vertex of
// each within the tolerance of the other's outline). A point feature present in only one tile
// is tolerated when it lies within one unit of the buffer's edge, where rounding decides.
func CompareTiles(a, b []byte) []string {
	da, err := DecodeTile(a)
	if err != nil {
		return []string{"first tile: " + err.Error()}
	}
	db, err := DecodeTile(b)
	if err != nil {
		return []string{"second tile: " + err.Error()}
	}
	var diffs []string
	for _, name := range unionKeys(da, db) {
		la, oka := da[name]
		lb, okb := db[name]
		if !oka || !okb {
			// A layer whose only features sit on the buffer's edge may be left out by one.
			only := la
			if !oka {
				only = lb
			}
			for _, f := range only.Features {
				if !onBufferEdge(f.Geometry) {
					diffs = append(diffs, fmt.Sprintf("layer %s: only in the %s tile (feature %d)", name, which(oka), f.ID))
					break
				}
			}
			continue
		}
		if la.Version != lb.Version || la.Extent != lb.Extent {
			diffs = append(diffs, fmt.Sprintf("layer %s: version/extent %d/%d vs %d/%d", name, la.Version, la.Extent, lb.Version, lb.Extent))
		}
		for _, id := range unionKeys(la.Features, lb.Features) {
			fa, oka := la.Features[id]
			fb, okb := lb.Features[id]
			if !oka || !okb {
				f := fa
				if !oka {
					f = fb
				}
				if !onBufferEdge(f.Geometry) {
					diffs = append(diffs, fmt.Sprintf("layer %s: feature %d only in the %s tile (%v)", name, id, which(oka), f.Props["code"]))
				}
				continue
			}
			for _, k := range unionKeys(fa.Props, fb.Props) {
				va, oka := fa.Props[k]
				vb, okb := fb.Props[k]
				if !oka || !okb || !va.equal(vb) {
					diffs = append(diffs, fmt.Sprintf("layer %s: feature %d: property %s: %v vs %v", name, id, k, show(va, oka), show(vb, okb)))
				}
			}
			tol := PointTolerance
			if fa.Geometry != nil && fa.Geometry.Dimensions() == 2 {
				tol = PolygonTolerance
			}
			if d := GeometryDistance(fa.Geometry, fb.Geometry); d > tol {
				diffs = append(diffs, fmt.Sprintf("layer %s: feature %d: geometries differ by %.2f tile units (%s vs %s)",
					name, id, d, abbreviate(fa.Geometry), abbreviate(fb.Geometry)))
			}
			if aa, ab := area(fa.Geometry), area(fb.Geometry); math.Abs(aa-ab) > PolygonTolerance*math.Max(perimeter(fa.Geometry), perimeter(fb.Geometry)) {
				diffs = append(diffs, fmt.Sprintf("layer %s: feature %d: areas differ: %.0f vs %.0f square tile units",
					name, id, aa, ab))
			}
		}
	}
	return diffs
}

// CheckFields returns the differences between a tile's property keys and tiles.Fields.
func CheckFields(b []byte) []string {
	d, err := DecodeTile(b)
	if err != nil {
		return []string{err.Error()}
	}
	var diffs []string
	for name, l := range d {
		want := tiles.Fields[tiles.Layer(name)]
		if want == nil {
			diffs = append(diffs, "unknown layer "+name)
			continue
		}
		for id, f := range l.Features {
			if len(f.Props) != len(want) {
				diffs = append(diffs, fmt.Sprintf("layer %s: feature %d has %d properties, want %d (%s)", name, id, len(f.Props), len(want), strings.Join(sortedKeys(f.Props), ",")))
				continue
			}
			for k, desc := range want {
				v, ok := f.Props[k]
				kind := strings.ToLower(strings.SplitN(desc, ":", 2)[0])
				wantKind := map[string]string{"string": "string", "number": "int", "boolean": "bool"}[kind]
				if !ok || v.Kind != wantKind {
					diffs = append(diffs, fmt.Sprintf("layer %s: feature %d: property %s is %v, want a %s", name, id, k, show(v, ok), wantKind))
				}
			}
		}
	}
	return diffs
}

func which(first bool) string {
	if first {
		return "first"
	}
	return "second"
}

func show(v Value, ok bool) string {
	if !ok {
		return "(missing)"
	}
	return v.Kind + " " + v.String()
}

func abbreviate(g orb.Geometry) string {
	if p, ok := g.(orb.Point); ok {
		return fmt.Sprintf("%v", p)
	}
	return fmt.Sprintf("%s bound %v", g.GeoJSONType(), g.Bound())
}

func unionKeys[K comparable, V any](a, b map[K]V) []K {
	seen := map[K]bool{}
	var out []K
	for k := range a {
		seen[k] = true
		out = append(out, k)
	}
	for k := range b {
		if !seen[k] {
			out = append(out, k)
		}
	}
	sort.Slice(out, func(i, j int) bool { return fmt.Sprint(out[i]) < fmt.Sprint(out[j]) })
	return out
}

func sortedKeys[V any](m map[string]V) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// onBufferEdge reports whether a point lies within one unit of the edge of the buffered tile.
func onBufferEdge(g orb.Geometry) bool {
	p, ok := g.(orb.Point)
	if !ok {
		return false
	}
	lo, hi := float64(-tiles.Buffer), float64(tiles.Extent+tiles.Buffer)
	for _, c := range p {
		if math.Abs(c-lo) <= 1 || math.Abs(c-hi) <= 1 {
			return true
		}
	}
	return false
}

// GeometryDistance is a symmetric Hausdorff-style distance between two tile geometries, in
// tile units: the largest distance from a vertex of either to the other's points or outline.
// Polygon vertices on the edge of the buffered tile are left out: they are made by clipping,
// where a one-unit difference in an edge crossing the clip line at a shallow angle moves the
// crossing by many units, and where a clipper may join the pieces of a concave polygon with
// zero-width bridges along the clip line (orb does, PostGIS makes a MultiPolygon); CompareTiles
// checks the areas as well. Geometries of different dimensions are infinitely far apart.
func GeometryDistance(a, b orb.Geometry) float64 {
	if a == nil || b == nil || a.Dimensions() != b.Dimensions() {
		return math.Inf(1)
	}
	return math.Max(directed(a, b), directed(b, a))
}

func directed(a, b orb.Geometry) float64 {
	va, sb := vertices(a), segments(b)
	var worst float64
	for _, p := range va {
		if a.Dimensions() == 2 && onClipEdge(p) {
			continue
		}
		best := math.Inf(1)
		for _, s := range sb {
			best = math.Min(best, segDist(p, s[0], s[1]))
		}
		worst = math.Max(worst, best)
	}
	return worst
}

func vertices(g orb.Geometry) []orb.Point {
	var out []orb.Point
	switch g := g.(type) {
	case orb.Point:
		out = append(out, g)
	case orb.MultiPoint:
		out = append(out, g...)
	case orb.Polygon:
		for _, r := range g {
			out = append(out, r...)
		}
	case orb.MultiPolygon:
		for _, p := range g {
			for _, r := range p {
				out = append(out, r...)
			}
		}
	}
	return out
}

func segments(g orb.Geometry) [][2]orb.Point {
	var out [][2]orb.Point
	ring := func(r orb.Ring) {
		for i := 0; i+1 < len(r); i++ {
			out = append(out, [2]orb.Point{r[i], r[i+1]})
		}
		if len(r) > 0 {
			out = append(out, [2]orb.Point{r[len(r)-1], r[0]})
		}
	}
	switch g := g.(type) {
	case orb.Point:
		out = append(out, [2]orb.Point{g, g})
	case orb.MultiPoint:
		for _, p := range g {
			out = append(out, [2]orb.Point{p, p})
		}
	case orb.Polygon:
		for _, r := range g {
			ring(r)
		}
	case orb.MultiPolygon:
		for _, p := range g {
			for _, r := range p {
				ring(r)
			}
		}
	}
	return out
}

func segDist(p, a, b orb.Point) float64 {
	dx, dy := b[0]-a[0], b[1]-a[1]
	t := 0.0
	if l := dx*dx + dy*dy; l > 0 {
		t = math.Max(0, math.Min(1, ((p[0]-a[0])*dx+(p[1]-a[1])*dy)/l))
	}
	x, y := a[0]+t*dx-p[0], a[1]+t*dy-p[1]
	return math.Hypot(x, y)
}

func onClipEdge(p orb.Point) bool {
	lo, hi := float64(-tiles.Buffer), float64(tiles.Extent+tiles.Buffer)
	return math.Abs(p[0]-lo) < 0.5 || math.Abs(p[0]-hi) < 0.5 || math.Abs(p[1]-lo) < 0.5 || math.Abs(p[1]-hi) < 0.5
}

// area is the area of a polygonal tile geometry in square tile units (holes subtracted).
func area(g orb.Geometry) float64 {
	var polys []orb.Polygon
	switch g := g.(type) {
	case orb.Polygon:
		polys = []orb.Polygon{g}
	case orb.MultiPolygon:
		polys = g
	}
	var a float64
	for _, p := range polys {
		for i, r := range p {
			ra := math.Abs(surveyor(r)) / 2
			if i == 0 {
				a += ra
			} else {
				a -= ra
			}
		}
	}
	return a
}

func surveyor(r orb.Ring) float64 {
	var s float64
	for i := range r {
		j := (i + 1) % len(r)
		s += r[i][0]*r[j][1] - r[j][0]*r[i][1]
	}
	return s
}

func perimeter(g orb.Geometry) float64 {
	var p float64
	for _, s := range segments(g) {
		p += math.Hypot(s[1][0]-s[0][0], s[1][1]-s[0][1])
	}
	return p
}
