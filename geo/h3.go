package geo

import (
	"fmt"

	"github.com/paulmach/orb"
	"github.com/uber/h3-go/v4"
)

// H3 resolutions the service keeps counts for. Resolution 0 cells are continent-sized (average
// edge 1,281 km), resolution 11 cells have an average edge of 28.7 m (H3 documentation,
// "Tables of Cell Statistics Across Resolutions").
const (
	MinClusterRes = 0
	MaxClusterRes = 11
)

// Cell returns the H3 cell of resolution res (0–15) that holds the WGS-84 point p (lon, lat in
// degrees). This and CellCenter/CellPolygon are the only places that convert between orb's
// lon/lat order and h3's lat/lng order.
func Cell(p orb.Point, res int) (h3.Cell, error) {
	if res < 0 || res > 15 {
		return 0, fmt.Errorf("geo: H3 resolution %d outside 0–15", res)
	}
	return h3.LatLngToCell(h3.NewLatLng(p[1], p[0]), res), nil
}

// CellCenter returns the centre of an H3 cell as a WGS-84 lon/lat point in degrees.
func CellCenter(c h3.Cell) orb.Point {
	ll := h3.CellToLatLng(c)
	return orb.Point{ll.Lng, ll.Lat}
}

// CellPolygon returns the boundary of an H3 cell as a closed, counter-clockwise ring of WGS-84
// lon/lat points in degrees (RFC 7946 winding for an exterior ring).
func CellPolygon(c h3.Cell) orb.Polygon {
	b := h3.CellToBoundary(c)
	ring := make(orb.Ring, 0, len(b)+1)
	for _, ll := range b {
		ring = append(ring, orb.Point{ll.Lng, ll.Lat})
	}
	ring = append(ring, ring[0])
	if ring.Orientation() != orb.CCW {
		ring.Reverse()
	}
	return orb.Polygon{ring}
}

// ParseCell parses the hexadecimal string form of an H3 cell (as Cell.String prints it) and
// checks that it is a valid cell.
func ParseCell(s string) (h3.Cell, error) {
	var c h3.Cell
	if err := c.UnmarshalText([]byte(s)); err != nil || !c.IsValid() {
		return 0, fmt.Errorf("geo: %q is not an H3 cell", s)
	}
	return c, nil
}
