package civmap

import (
	"math"

	"github.com/paulmach/orb"
)

// CoordSource says where a stored point came from.
type CoordSource string

const (
	// CoordSynthetic is a placeholder generated from the division list alone (geo/placement):
	// not a real position. Every page and API that shows one says so (PlaceholderNotice).
	CoordSynthetic CoordSource = "synthetic"
	CoordGeocoded  CoordSource = "geocoded" // from the address text by the gazetteer
	CoordImported  CoordSource = "imported" // from an operator's file with coordinates
	CoordSurveyed  CoordSource = "surveyed" // measured on site
)

// Valid reports whether s is a known source.
func (s CoordSource) Valid() bool {
	switch s {
	case CoordSynthetic, CoordGeocoded, CoordImported, CoordSurveyed:
		return true
	}
	return false
}

// Precision says how finely a point locates its subject.
type Precision string

const (
	PrecisionCounty  Precision = "county"
	PrecisionTown    Precision = "town"
	PrecisionVillage Precision = "village"
	PrecisionExact   Precision = "exact"
)

// Valid reports whether p is a known precision.
func (p Precision) Valid() bool {
	switch p {
	case PrecisionCounty, PrecisionTown, PrecisionVillage, PrecisionExact:
		return true
	}
	return false
}

// PlaceholderNotice is the text shown wherever a synthetic point is displayed.
const PlaceholderNotice = "示例位置，待实地采集"

// Location is a point with its provenance.
type Location struct {
	Point     orb.Point   // WGS-84 (EPSG:4326) longitude, latitude in degrees
	Source    CoordSource // where the point came from
	Precision Precision   // how finely it locates its subject
}

// Placeholder reports whether the point is synthetic (not a real position).
func (l Location) Placeholder() bool { return l.Source == CoordSynthetic }

// Validate checks that the point is a finite WGS-84 lon/lat and that source and precision are
// known. It returns an EINVALID error naming the offending field.
func (l Location) Validate() error {
	lon, lat := l.Point[0], l.Point[1]
	if math.IsNaN(lon) || math.IsNaN(lat) || math.IsInf(lon, 0) || math.IsInf(lat, 0) {
		return FieldErrorf("lon", "coordinates must be finite numbers")
	}
	if lon < -180 || lon > 180 {
		return FieldErrorf("lon", "longitude %g is outside [-180, 180] degrees", lon)
	}
	if lat < -90 || lat > 90 {
		return FieldErrorf("lat", "latitude %g is outside [-90, 90] degrees", lat)
	}
	if !l.Source.Valid() {
		return FieldErrorf("coord_source", "unknown coordinate source %q", l.Source)
	}
	if !l.Precision.Valid() {
		return FieldErrorf("precision", "unknown precision %q", l.Precision)
	}
	return nil
}
