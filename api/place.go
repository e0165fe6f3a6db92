package api

import (
	"context"
	"fmt"
	"math"

	"civmap"
	"civmap/store"

	"github.com/paulmach/orb"
)

// MaxPlaceDistanceM is how far from the nearest site a bare point may be, in metres: farther
// than this it is outside the service area and rejected (store.MaxPlaceDistanceM, the rule the
// importer applies to volunteers' homes too).
const MaxPlaceDistanceM = store.MaxPlaceDistanceM

// resolvePlace turns a requested place into the stored Place, the responsible site's code and a
// location: a site's or venue's own position for a code, the point itself (coord_source
// imported, precision exact) with the nearest site for lon/lat. Errors are EINVALID naming
// place, place.code, place.lon or place.lat.
func (s *Server) resolvePlace(ctx context.Context, p *placeJSON) (civmap.Place, string, civmap.Location, error) {
	var none civmap.Location
	if p == nil {
		return civmap.Place{}, "", none, civmap.FieldErrorf("place", "place is required: {\"code\": site or venue code} or {\"lon\": …, \"lat\": …}")
	}
	hasPoint := p.Lon != nil || p.Lat != nil
	switch {
	case p.Code != "" && hasPoint:
		return civmap.Place{}, "", none, civmap.FieldErrorf("place", "give either place.code or place.lon and place.lat, not both")
	case p.Code != "":
		if site, err := s.cfg.Store.Site(ctx, p.Code); err == nil {
			return civmap.Place{Code: p.Code}, site.Code, site.Location, nil
		} else if civmap.ErrorCode(err) != civmap.ENOTFOUND {
			return civmap.Place{}, "", none, err
		}
		if v, err := s.cfg.Store.Venue(ctx, p.Code); err == nil {
			return civmap.Place{Code: p.Code}, v.SiteCode, v.Location, nil
		} else if civmap.ErrorCode(err) != civmap.ENOTFOUND {
			return civmap.Place{}, "", none, err
		}
		return civmap.Place{}, "", none, civmap.FieldErrorf("place.code", "no site or venue has code %q", p.Code)
	case p.Lon == nil:
		return civmap.Place{}, "", none, civmap.FieldErrorf("place.lon", "place.lon is required with place.lat")
	case p.Lat == nil:
		return civmap.Place{}, "", none, civmap.FieldErrorf("place.lat", "place.lat is required with place.lon")
	}
	pt := orb.Point{*p.Lon, *p.Lat}
	loc := civmap.Location{Point: pt, Source: civmap.CoordImported, Precision: civmap.PrecisionExact}
	if err := loc.Validate(); err != nil {
		return civmap.Place{}, "", none, civmap.FieldErrorf("place."+civmap.ErrorField(err), "%s", civmap.ErrorMessage(err))
	}
	near, err := s.cfg.Store.NearestSites(ctx, pt, 1, store.SiteFilter{})
	if err != nil {
		return civmap.Place{}, "", none, err
	}
	if len(near) == 0 || near[0].DistanceM > MaxPlaceDistanceM {
		d := math.Inf(1)
		if len(near) > 0 {
			d = near[0].DistanceM
		}
		return civmap.Place{}, "", none, civmap.FieldErrorf("place", "the point is %s from the nearest practice site, outside the service area (at most %d km)",
			km(d), MaxPlaceDistanceM/1000)
	}
	return civmap.Place{Point: &pt}, near[0].Item.Code, loc, nil
}

func km(m float64) string {
	if math.IsInf(m, 1) {
		return "far"
	}
	return fmt.Sprintf("%.1f km", m/1000)
}
