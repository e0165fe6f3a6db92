package store_test

import (
	"fmt"
	"testing"

	"civmap"
	"civmap/store"

	"github.com/paulmach/orb"
)

func TestPlaceMoves(t *testing.T) {
	at := func(lon float64, src civmap.CoordSource) civmap.Location {
		return civmap.Location{Point: orb.Point{lon, 29.5}, Source: src, Precision: civmap.PrecisionExact}
	}
	sites := map[string]civmap.Site{
		"A": {Code: "A", Name: "甲", Location: at(113.1, civmap.CoordSynthetic)},
		"B": {Code: "B", Name: "乙", Location: at(113.2, civmap.CoordSynthetic)},
		"C": {Code: "C", Name: "丙", Location: at(113.3, civmap.CoordSynthetic)},
		"S": {Code: "S", Name: "与阵地同码", Location: at(113.4, civmap.CoordSynthetic)},
	}
	venues := map[string]civmap.Venue{
		"V": {Code: "V", Location: at(113.5, civmap.CoordImported)},
		"S": {Code: "S", Location: at(113.6, civmap.CoordImported)},
		"W": {Code: "W", Location: at(113.7, civmap.CoordImported)},
		"N": {Code: "N", Location: at(113.8, civmap.CoordImported)},
	}
	oldSite := func(c string) (civmap.Site, bool) { x, ok := sites[c]; return x, ok }
	oldVenue := func(c string) (civmap.Venue, bool) { x, ok := venues[c]; return x, ok }
	site := func(code string, l civmap.Location) civmap.Site {
		x := sites[code]
		x.Code = code
		x.Location = l
		return x
	}
	venue := func(code string, l civmap.Location) civmap.Venue {
		x := venues[code]
		x.Code = code
		x.Location = l
		return x
	}
	renamed := sites["C"]
	renamed.Name = "丙（更名）"

	b := store.Batch{
		Sites: []civmap.Site{
			site("A", at(113.11, civmap.CoordSurveyed)), // moved
			site("B", at(113.2, civmap.CoordSurveyed)),  // same point, new source: moves too
			renamed, // not moved
			site("NEW", at(113.9, civmap.CoordSurveyed)), // inserted: nothing to move
			site("N", at(113.95, civmap.CoordSurveyed)),  // a new site with venue N's code
		},
		Venues: []civmap.Venue{
			venue("V", at(113.51, civmap.CoordSurveyed)), // moved
			venue("S", at(113.61, civmap.CoordSurveyed)), // code S names the stored site
			venue("N", at(113.81, civmap.CoordSurveyed)), // code N names the site of this batch
			venues["W"], // unchanged
		},
	}
	got := fmt.Sprint(store.PlaceMoves(b, oldSite, oldVenue))
	want := fmt.Sprint([]store.Move{
		{Code: "A", Location: at(113.11, civmap.CoordSurveyed)},
		{Code: "B", Location: at(113.2, civmap.CoordSurveyed)},
		{Code: "V", Location: at(113.51, civmap.CoordSurveyed)},
	})
	if got != want {
		t.Errorf("PlaceMoves = %s\nwant %s", got, want)
	}
	b.InsertOnly = true
	if m := store.PlaceMoves(b, oldSite, oldVenue); len(m) != 0 {
		t.Errorf("PlaceMoves(insert-only) = %v, want none", m)
	}
}
