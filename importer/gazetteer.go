package importer

import (
	"civmap"
	"civmap/geo/gazetteer"
)

// GazetteerGeocoder is the Geocoder and Divisions of the service: the division tree and address
// geocoder of package geo/gazetteer.
type GazetteerGeocoder struct{ g *gazetteer.Gazetteer }

// NewGazetteerGeocoder wraps g.
func NewGazetteerGeocoder(g *gazetteer.Gazetteer) *GazetteerGeocoder { return &GazetteerGeocoder{g: g} }

// LinxiangGeocoder returns the geocoder of Linxiang's divisions (2023 codes; gazetteer.Linxiang),
// whose points are the placeholder layout of geo/placement: a geocoded row gets its village's (or
// town's, or the county's) placeholder point, stored as coord_source synthetic with that
// division's precision (see Geocode).
func LinxiangGeocoder() (*GazetteerGeocoder, error) {
	g, err := gazetteer.Linxiang()
	if err != nil {
		return nil, err
	}
	return &GazetteerGeocoder{g: g}, nil
}

// NationalGeocoder is LinxiangGeocoder over the whole national tree (gazetteer.National): every
// 2023 division code is known; points exist for Linxiang's divisions (elsewhere an address
// resolves to a division without a point and the row is rejected).
func NationalGeocoder() (*GazetteerGeocoder, error) {
	g, err := gazetteer.National()
	if err != nil {
		return nil, err
	}
	return &GazetteerGeocoder{g: g}, nil
}

// Known reports whether code is a division of the tree.
func (z *GazetteerGeocoder) Known(code string) bool { _, ok := z.g.Lookup(code); return ok }

// Geocode resolves an address to one division and its point: coord_source geocoded, with the
// precision of the division the point belongs to — except that a point the gazetteer only has as
// a placeholder (coord_source synthetic, Linxiang's today) stays synthetic, so it is still shown
// as "示例位置，待实地采集" and never sent to navigation apps as a real spot. EINVALID when the
// address names no single division or the division has no point.
func (z *GazetteerGeocoder) Geocode(address string) (string, civmap.Location, error) {
	res := z.g.Geocode(address)
	if res.Error != "" {
		return "", civmap.Location{}, civmap.Errorf(civmap.EINVALID, "%s", res.Error)
	}
	if res.Code == "" || res.Ambiguous || res.Point == nil {
		return "", civmap.Location{}, civmap.Errorf(civmap.EINVALID, "地址“%s”不能确定唯一的区划", address)
	}
	src := civmap.CoordGeocoded
	if res.CoordSource == civmap.CoordSynthetic {
		src = civmap.CoordSynthetic
	}
	return res.Code, civmap.Location{Point: *res.Point, Source: src, Precision: res.Precision}, nil
}
