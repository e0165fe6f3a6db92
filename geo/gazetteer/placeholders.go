package gazetteer

import (
	"civmap"
	"civmap/geo/placement"
)

// withPlaceholders attaches Linxiang's placeholder points (geo/placement.Linxiang, WGS-84,
// coord_source synthetic) to g: no public coordinates of Linxiang's towns and villages exist
// offline, so these stand in until surveyed or imported ones replace them.
func withPlaceholders(g *Gazetteer, err error) (*Gazetteer, error) {
	if err != nil {
		return nil, err
	}
	layout, err := placement.Linxiang()
	if err != nil {
		return nil, err
	}
	for code, p := range layout.Points {
		if err := g.SetPoint(code, p, civmap.CoordSynthetic); err != nil {
			return nil, err
		}
	}
	return g, nil
}
