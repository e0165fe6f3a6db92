package importer

import (
	"civmap"
	"civmap/geo/gazetteer"
	"civmap/geo/placement"
)

// GazetteerGeocoder is the Geocoder and Divisions of the service: the division tree and address
// geocoder of package geo/gazetteer.
type GazetteerGeocoder struct{ g *gazetteer.Gazetteer }

// NewGazetteerGeocoder wraps g.
func NewGazetteerGeocoder(g *gazetteer.Gazetteer) *GazetteerGeocoder { return &GazetteerGeocoder{g: g} }

// LinxiangGeocoder returns the geocoder of Linxiang's divisions (2023 codes), whose points are
// the placeholder layout of geo/placement: a geocoded row gets its village's (or town's, or the
// county's) placeholder point, stored as coord_source geocoded with that precision.
func LinxiangGeocoder() (*GazetteerGeocoder, error) {
	g, err := gazetteer.NewLinxiang()
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
	return &GazetteerGeocoder{g: g}, nil
}

// Known reports whether code is a division of the tree.
func (z *GazetteerGeocoder) Known(code string) bool { _, ok := z.g.Lookup(code); return ok }

// Geocode resolves an address to one division and its point: coord_source geocoded, with the
// precision of the division the point belongs to. EINVALID when the address names no single
// division or the division has no point.
func (z *GazetteerGeocoder) Geocode(address string) (string, civmap.Location, error) {
	res := z.g.Geocode(address)
	if res.Error != "" {
		return "", civmap.Location{}, civmap.Errorf(civmap.EINVALID, "%s", res.Error)
	}
	if res.Code == "" || res.Ambiguous || res.Point == nil {
		return "", civmap.Location{}, civmap.Errorf(civmap.EINVALID, "地址“%s”不能确定唯一的区划", address)
	}
	return res.Code, civmap.Location{Point: *res.Point, Source: civmap.CoordGeocoded, Precision: res.Precision}, nil
}
