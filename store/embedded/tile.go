package embedded

import (
	"context"
	"sort"

	"civmap"
	"civmap/geo"
	"civmap/store"
	"civmap/tiles"

	"github.com/paulmach/orb"
	orbgeo "github.com/paulmach/orb/geo"
	"github.com/paulmach/orb/maptile"
	"github.com/uber/h3-go/v4"
)

// ClusterCounts returns the non-zero H3 counts of layer at res with cell centres in bound,
// ordered by cell; see store.Clusters. It reads the counts kept current on write.
func (s *Store) ClusterCounts(ctx context.Context, layer tiles.Layer, res int, bound orb.Bound) ([]store.CellCount, error) {
	if layer != tiles.LayerActivities && layer != tiles.LayerNeeds {
		return nil, civmap.FieldErrorf("layer", "clusters exist for activities and needs, not %q", layer)
	}
	if res < geo.MinClusterRes || res > geo.MaxClusterRes {
		return nil, civmap.FieldErrorf("res", "resolution %d is outside %d–%d", res, geo.MinClusterRes, geo.MaxClusterRes)
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	var out []store.CellCount
	for c, n := range s.mem.counts[layer][res] {
		if bound.Contains(s.mem.centers[c]) {
			out = append(out, store.CellCount{Cell: c, Count: n})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Cell < out[j].Cell })
	return out, nil
}

// Tile renders the layers of tile t from the in-memory indexes; see store.Tiler.
func (s *Store) Tile(ctx context.Context, layers []tiles.Layer, t maptile.Tile) ([]byte, error) {
	b := tiles.BufferedBound(t)
	s.mu.RLock()
	data := make([]tiles.LayerData, 0, len(layers))
	for _, l := range layers {
		ld := tiles.LayerData{Layer: l}
		switch l {
		case tiles.LayerSites:
			for _, it := range s.mem.siteTree.InBound(nil, b) {
				ld.Features = append(ld.Features, tiles.SiteFeature(s.mem.sites[it.(item).code]))
			}
		case tiles.LayerVenues:
			for _, it := range s.mem.venueTree.InBound(nil, b) {
				ld.Features = append(ld.Features, tiles.VenueFeature(s.mem.venues[it.(item).code]))
			}
		case tiles.LayerActivities:
			for _, it := range s.mem.activityTree.InBound(nil, b) {
				a := s.mem.activities[it.(item).id]
				ld.Features = append(ld.Features, tiles.ActivityFeature(a, s.mem.sites[a.SiteCode].Level))
			}
		case tiles.LayerNeeds:
			// Needs are drawn at their site's point: the sites in the bound, then their needs.
			for _, it := range s.mem.siteTree.InBound(nil, b) {
				site := s.mem.sites[it.(item).code]
				for id := range s.mem.needsBySite[site.Code] {
					ld.Features = append(ld.Features, tiles.NeedFeature(s.mem.needs[id], site))
				}
			}
		case tiles.LayerBoundary:
			for _, a := range s.mem.areas {
				if a.Polygon.Bound().Intersects(b) {
					ld.Features = append(ld.Features, tiles.BoundaryFeature(a.Code, a.Name, a.Level, a.Polygon))
				}
			}
		case tiles.LayerClusters:
			ld.Features = s.clusterFeatures(tiles.ClusterRes(int(t.Z)), b)
		}
		data = append(data, ld)
	}
	s.mu.RUnlock()
	return tiles.Encode(t, data)
}

// clusterFeatures returns one feature per H3 cell of resolution res with activities or needs
// whose hexagon may touch bound. Caller holds s.mu.
func (s *Store) clusterFeatures(res int, bound orb.Bound) []tiles.Feature {
	type pair struct{ a, n int }
	cells := map[h3.Cell]*pair{}
	// A cell touches the bound only if its centre is within one cell radius of it; pad by twice
	// the average edge length (degrees of latitude, and of longitude at the bound's latitude).
	pad := 2 * h3.HexagonEdgeLengthAvgM(res)
	padded := orbgeo.BoundPad(bound, pad)
	for _, l := range []tiles.Layer{tiles.LayerActivities, tiles.LayerNeeds} {
		for c, n := range s.mem.counts[l][res] {
			if !padded.Contains(s.mem.centers[c]) {
				continue
			}
			p := cells[c]
			if p == nil {
				p = &pair{}
				cells[c] = p
			}
			if l == tiles.LayerActivities {
				p.a += n
			} else {
				p.n += n
			}
		}
	}
	out := make([]tiles.Feature, 0, len(cells))
	for c, p := range cells {
		out = append(out, tiles.ClusterFeature(c, p.a, p.n))
	}
	return out
}
