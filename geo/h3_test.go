package geo_test

import (
	"testing"

	"civmap/geo"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/planar"
)

func TestCellRoundTrip(t *testing.T) {
	p := orb.Point{113.4403, 29.4813}
	for res := 0; res <= 15; res++ {
		c, err := geo.Cell(p, res)
		if err != nil {
			t.Fatal(err)
		}
		if c.Resolution() != res {
			t.Fatalf("res %d: cell has resolution %d", res, c.Resolution())
		}
		poly := geo.CellPolygon(c)
		if !planar.PolygonContains(poly, p) {
			t.Errorf("res %d: the cell's polygon does not contain the point", res)
		}
		if poly[0].Orientation() != orb.CCW {
			t.Errorf("res %d: exterior ring is not counter-clockwise", res)
		}
		back, err := geo.ParseCell(c.String())
		if err != nil || back != c {
			t.Errorf("res %d: ParseCell(%s) = %v, %v", res, c, back, err)
		}
	}
	if _, err := geo.Cell(p, 16); err == nil {
		t.Error("resolution 16 accepted")
	}
	if _, err := geo.ParseCell("not-a-cell"); err == nil {
		t.Error("ParseCell accepted garbage")
	}
}
