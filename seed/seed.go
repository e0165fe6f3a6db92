// Package seed builds civmap's built-in datasets: Linxiang's real practice network (176 sites
// from the 2023 division list, positioned by geocoding their address text) with the county
// outline, and the demo data `civmap serve --demo` adds (venues, activities, needs), every demo
// record flagged Demo so that pages and the API say so.
package seed

import (
	"context"
	"fmt"

	"civmap"
	"civmap/data"
	"civmap/geo/placement"
	"civmap/store"
)

// Locator geocodes an address text to the division it names and a location. The service uses
// the gazetteer's geocoder (geo/gazetteer).
type Locator func(address string) (code string, loc civmap.Location, err error)

// Address formats a Linxiang division's address text the way a resident writes it:
// "湖南省岳阳市临湘市{town}{village}".
func Address(town, village string) string { return "湖南省岳阳市临湘市" + town + village }

// LinxiangSites returns the 176 sites of Linxiang's network: the center (county 430682), a
// station (所) per town and a post (站) per village, each positioned by locate(address) — which
// must resolve the address to the site's own division code.
func LinxiangSites(locate Locator) ([]civmap.Site, error) {
	divs, err := data.LinxiangDivisions()
	if err != nil {
		return nil, err
	}
	names := map[string]string{}
	for _, d := range divs {
		names[d.Code] = d.Name
	}
	var sites []civmap.Site
	for _, d := range divs {
		s := civmap.Site{Code: d.Code, DivisionCode: d.Code, ID: civmap.FeatureID(d.Code)}
		switch d.Level {
		case "county":
			s.Level, s.Name, s.Address = civmap.LevelCenter, d.Name+civmap.LevelCenter.Title(), Address("", "")
		case "town":
			s.Level, s.Name, s.ParentCode = civmap.LevelStation, d.Name+civmap.LevelStation.Title(), d.ParentCode
			s.Address = Address(d.Name, "")
		case "village":
			s.Level, s.Name, s.ParentCode = civmap.LevelPost, d.Name+civmap.LevelPost.Title(), d.ParentCode
			s.Address = Address(names[d.ParentCode], d.Name)
		default:
			return nil, fmt.Errorf("seed: division %s has unknown level %q", d.Code, d.Level)
		}
		code, loc, err := locate(s.Address)
		if err != nil {
			return nil, fmt.Errorf("seed: geocode %q: %w", s.Address, err)
		}
		if code != s.Code {
			return nil, fmt.Errorf("seed: geocode %q gave division %s, want %s", s.Address, code, s.Code)
		}
		s.Location = loc
		sites = append(sites, s)
	}
	return sites, nil
}

// LinxiangAreas returns the county outline (WGS-84, converted from the published GCJ-02) as the
// boundary layer's one area.
func LinxiangAreas() ([]store.Area, error) {
	outline, err := placement.LinxiangOutline()
	if err != nil {
		return nil, err
	}
	return []store.Area{{Code: "430682", Name: "临湘市", Level: "county", Polygon: outline}}, nil
}

// LoadLinxiang writes Linxiang's sites and outline to st, inserting only what is missing: a site
// an operator has since imported or corrected is never overwritten. It returns how many records
// were inserted.
func LoadLinxiang(ctx context.Context, st store.Store, locate Locator) (int, error) {
	sites, err := LinxiangSites(locate)
	if err != nil {
		return 0, err
	}
	areas, err := LinxiangAreas()
	if err != nil {
		return 0, err
	}
	res, err := st.Put(ctx, store.Batch{Sites: sites, Areas: areas, InsertOnly: true})
	if err != nil {
		return 0, err
	}
	n := 0
	for _, c := range append(res.Sites, res.Areas...) {
		if c == store.Inserted {
			n++
		}
	}
	return n, nil
}
