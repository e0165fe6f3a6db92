package tiles

import (
	"sort"
	"strings"

	"civmap"
)

// Layer names a vector-tile layer.
type Layer string

const (
	LayerSites      Layer = "sites"      // practice sites: points with code, name, level
	LayerVenues     Layer = "venues"     // auxiliary venues: points
	LayerActivities Layer = "activities" // activities: points at their resolved place
	LayerNeeds      Layer = "needs"      // residents' needs: points
	LayerBoundary   Layer = "boundary"   // division outlines: polygons
	LayerClusters   Layer = "clusters"   // H3 cells with activity and need counts: polygons
)

// Layers lists every layer, in the order composite tiles draw them (bottom first).
var Layers = []Layer{LayerBoundary, LayerClusters, LayerVenues, LayerSites, LayerActivities, LayerNeeds}

// Valid reports whether l is one of Layers.
func (l Layer) Valid() bool {
	for _, x := range Layers {
		if x == l {
			return true
		}
	}
	return false
}

// ParseLayers parses a comma-separated list of layer names ("sites" or "sites,venues"),
// rejecting unknown and repeated names with an EINVALID error naming the "layer" field. The
// result is in Layers order, so "needs,sites" and "sites,needs" name the same tile.
func ParseLayers(s string) ([]Layer, error) {
	if s == "" {
		return nil, civmap.FieldErrorf("layer", "no layer named")
	}
	seen := map[Layer]bool{}
	for _, part := range strings.Split(s, ",") {
		l := Layer(part)
		if !l.Valid() {
			return nil, civmap.FieldErrorf("layer", "unknown layer %q (want one or more of %s, comma-separated)", part, layerList())
		}
		if seen[l] {
			return nil, civmap.FieldErrorf("layer", "layer %q named twice", part)
		}
		seen[l] = true
	}
	var out []Layer
	for _, l := range Layers {
		if seen[l] {
			out = append(out, l)
		}
	}
	return out, nil
}

// JoinLayers is the inverse of ParseLayers.
func JoinLayers(ls []Layer) string {
	s := make([]string, len(ls))
	for i, l := range ls {
		s[i] = string(l)
	}
	return strings.Join(s, ",")
}

func layerList() string {
	s := make([]string, len(Layers))
	for i, l := range Layers {
		s[i] = string(l)
	}
	sort.Strings(s)
	return strings.Join(s, ", ")
}
