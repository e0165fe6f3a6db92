package placement

import (
	"strings"
	"sync"

	"civmap/data"
	"civmap/geo"

	"github.com/paulmach/orb"
)

// LinxiangSeat is the county seat of Linxiang, 长安 (GeoNames: 29.4813 N, 113.4403 E, WGS-84).
var LinxiangSeat = orb.Point{113.4403, 29.4813}

var linxiang struct {
	once   sync.Once
	layout *Layout
	err    error
}

// Linxiang returns the placeholder layout of Linxiang's 176 sites (county 430682, its 14 towns and
// 161 villages, from data/linxiang/divisions.csv) inside the county outline converted from GCJ-02
// to WGS-84. It is computed once per process.
func Linxiang() (*Layout, error) {
	linxiang.once.Do(func() {
		linxiang.layout, linxiang.err = placeLinxiang()
	})
	return linxiang.layout, linxiang.err
}

// LinxiangOutline returns the county outline in WGS-84 lon/lat degrees: the published outline
// (most likely GCJ-02, see data/README.md) converted with geo.GCJ02ToWGS84, with its repeated
// vertices and zero-area spikes removed (geo.RemoveSpikes).
func LinxiangOutline() (orb.Polygon, error) {
	raw, err := data.LinxiangOutlineAsPublished()
	if err != nil {
		return nil, err
	}
	return geo.RemoveSpikes(geo.PolygonGCJ02ToWGS84(raw)), nil
}

func placeLinxiang() (*Layout, error) {
	in, err := LinxiangInput()
	if err != nil {
		return nil, err
	}
	return Place(in)
}

// LinxiangInput is what Linxiang() lays out: the WGS-84 county outline, the county seat, and
// the 14 towns (街道 marked urban) with their villages in code order.
func LinxiangInput() (Input, error) {
	outline, err := LinxiangOutline()
	if err != nil {
		return Input{}, err
	}
	divs, err := data.LinxiangDivisions()
	if err != nil {
		return Input{}, err
	}
	in := Input{Outline: outline, Seat: LinxiangSeat}
	idx := map[string]int{}
	for _, d := range divs {
		switch d.Level {
		case "county":
			in.CountyCode = d.Code
		case "town":
			idx[d.Code] = len(in.Towns)
			in.Towns = append(in.Towns, Town{Code: d.Code, Urban: strings.HasSuffix(d.Name, "街道")})
		}
	}
	for _, d := range divs {
		if d.Level == "village" {
			t := &in.Towns[idx[d.ParentCode]]
			t.Villages = append(t.Villages, d.Code)
		}
	}
	return in, nil
}
