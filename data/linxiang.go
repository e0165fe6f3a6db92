package data

import (
	"encoding/csv"
	"fmt"
	"io"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geojson"
)

// Division is one row of linxiang/divisions.csv.
type Division struct {
	Code       string // 6 (county), 9 (town) or 12 (village) digits
	Name       string // official name with its suffix (镇/街道/村/社区)
	Level      string // "county", "town" or "village"
	ParentCode string
}

// LinxiangDivisions parses linxiang/divisions.csv: 1 county, 14 towns and 161 villages in file
// order (code order).
func LinxiangDivisions() ([]Division, error) {
	f, err := FS.Open(LinxiangCSV)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	r := csv.NewReader(f)
	r.FieldsPerRecord = 4
	var out []Division
	for line := 1; ; line++ {
		rec, err := r.Read()
		if err == io.EOF {
			break
		} else if err != nil {
			return nil, fmt.Errorf("data: %s: %w", LinxiangCSV, err)
		}
		if line == 1 {
			continue // header
		}
		out = append(out, Division{Code: rec[0], Name: rec[1], Level: rec[2], ParentCode: rec[3]})
	}
	return out, nil
}

// LinxiangOutlineAsPublished returns the county outline exactly as the source file has it:
// one polygon, lon/lat degrees, datum undocumented and most likely GCJ-02 (see README.md).
func LinxiangOutlineAsPublished() (orb.Polygon, error) {
	b, err := FS.ReadFile(LinxiangBoundary)
	if err != nil {
		return nil, err
	}
	fc, err := geojson.UnmarshalFeatureCollection(b)
	if err != nil {
		return nil, fmt.Errorf("data: %s: %w", LinxiangBoundary, err)
	}
	if len(fc.Features) != 1 {
		return nil, fmt.Errorf("data: %s: want 1 feature, have %d", LinxiangBoundary, len(fc.Features))
	}
	poly, ok := fc.Features[0].Geometry.(orb.Polygon)
	if !ok {
		return nil, fmt.Errorf("data: %s: geometry is %s, want Polygon", LinxiangBoundary, fc.Features[0].Geometry.GeoJSONType())
	}
	return poly, nil
}
