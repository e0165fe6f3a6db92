package api

import (
	"net/http"
	"strings"

	"civmap"
	"civmap/auth"
	"civmap/geo"
	"civmap/store"

	"github.com/gorilla/mux"
	"github.com/paulmach/orb"
)

// placeWrite is the body of PUT /api/v1/sites/{code} and PUT /api/v1/venues/{code}. For an
// existing record, members left out keep their stored values.
type placeWrite struct {
	Name        *string       `json:"name"`
	Level       *civmap.Level `json:"level"`       // sites: derived from a division code; required for a base
	ParentCode  *string       `json:"parent_code"` // sites
	Type        *string       `json:"type"`        // venues
	SiteCode    *string       `json:"site_code"`   // venues
	Address     *string       `json:"address"`
	Lon         *float64      `json:"lon"` // with lat, in the datum crs (default wgs84)
	Lat         *float64      `json:"lat"`
	CRS         string        `json:"crs"`          // wgs84 (default) | gcj02 | bd09 | cgcs2000
	CoordSource string        `json:"coord_source"` // imported (default) | surveyed
}

// location reads lon/lat/crs/coord_source: (nil, nil) when no position was given.
func (p placeWrite) location() (*civmap.Location, error) {
	switch {
	case p.Lon == nil && p.Lat == nil:
		if p.CRS != "" || p.CoordSource != "" {
			return nil, civmap.FieldErrorf("lon", "crs and coord_source go with lon and lat")
		}
		return nil, nil
	case p.Lon == nil:
		return nil, civmap.FieldErrorf("lon", "lon is required with lat")
	case p.Lat == nil:
		return nil, civmap.FieldErrorf("lat", "lat is required with lon")
	}
	conv, err := geo.ParseCRS(or(p.CRS, "wgs84"))
	if err != nil {
		return nil, err
	}
	src := civmap.CoordSource(or(p.CoordSource, string(civmap.CoordImported)))
	if src != civmap.CoordImported && src != civmap.CoordSurveyed {
		return nil, civmap.FieldErrorf("coord_source", "coord_source is imported or surveyed, not %q", src)
	}
	in := orb.Point{*p.Lon, *p.Lat}
	probe := civmap.Location{Point: in, Source: src, Precision: civmap.PrecisionExact}
	if err := probe.Validate(); err != nil {
		return nil, err
	}
	loc := civmap.Location{Point: conv(in), Source: src, Precision: civmap.PrecisionExact}
	return &loc, nil
}

func or(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

func set[T any](dst *T, v *T) {
	if v != nil {
		*dst = *v
	}
}

// handlePutSite serves PUT /api/v1/sites/{code}: creates the site (201) or changes it (200;
// members left out keep their values), as one audited write. Staff whose scope holds the site
// — for a new site or a new parent, the parent. A new site needs name, parent_code, lon and lat.
func (s *Server) handlePutSite(w http.ResponseWriter, r *http.Request) {
	var req placeWrite
	if err := decodeJSON(w, r, &req); err != nil {
		s.problem(w, r, err)
		return
	}
	if req.Type != nil || req.SiteCode != nil {
		s.problem(w, r, civmap.FieldErrorf(map[bool]string{true: "type", false: "site_code"}[req.Type != nil], "sites have no type or site_code (venues do)"))
		return
	}
	if who(r).user == nil {
		s.problem(w, r, auth.Authorize(nil, auth.WriteSite, auth.Target{}))
		return
	}
	code := mux.Vars(r)["code"]
	ctx := r.Context()
	x, err := s.cfg.Store.Site(ctx, code)
	exists := err == nil
	if err != nil && civmap.ErrorCode(err) != civmap.ENOTFOUND {
		s.problem(w, r, err)
		return
	}
	if exists {
		if err := s.authorize(r, auth.WriteSite, code); err != nil {
			s.problem(w, r, err)
			return
		}
	} else {
		x = civmap.Site{Code: code}
		if lv, err := civmap.LevelForCode(code); err == nil {
			x.Level, x.DivisionCode = lv, code
		}
	}
	set(&x.Name, req.Name)
	set(&x.Level, req.Level)
	set(&x.ParentCode, req.ParentCode)
	set(&x.Address, req.Address)
	loc, err := req.location()
	if err != nil {
		s.problem(w, r, err)
		return
	}
	if loc != nil {
		x.Location = *loc
	} else if !exists {
		s.problem(w, r, civmap.FieldErrorf("lon", "a new site needs its position: lon and lat"))
		return
	}
	if !exists || req.ParentCode != nil {
		if err := s.mayAttach(r, code, x.ParentCode, exists); err != nil {
			s.problem(w, r, err)
			return
		}
	}
	s.putPlaces(w, r, store.Batch{Sites: []civmap.Site{x}}, exists, func() (feature, error) {
		got, err := s.cfg.Store.Site(ctx, code)
		return s.siteFeature(ctx, s.baseURL(r), got), err
	})
}

// mayAttach checks that the caller may hang a site under parent: WriteSite on the parent's
// chain with the site's code in front. The center (no parent) is the whole network's.
func (s *Server) mayAttach(r *http.Request, code, parent string, exists bool) error {
	if parent == "" {
		if exists {
			return s.authorize(r, auth.WriteSite, code)
		}
		return s.authorize(r, auth.WriteSite, "")
	}
	t, err := s.target(r.Context(), parent)
	if err != nil {
		return err
	}
	t.Chain = append([]string{code}, t.Chain...)
	return auth.Authorize(who(r).user, auth.WriteSite, t)
}

// putPlaces writes a one-record batch and answers 201 (inserted) or 200 with the record.
func (s *Server) putPlaces(w http.ResponseWriter, r *http.Request, b store.Batch, exists bool, out func() (feature, error)) {
	if _, err := s.cfg.Store.Put(r.Context(), b); err != nil {
		s.problem(w, r, unindex(err))
		return
	}
	f, err := out()
	if err != nil {
		s.problem(w, r, err)
		return
	}
	status := http.StatusOK
	if !exists {
		status = http.StatusCreated
	}
	writeGeoJSON(w, status, f)
}

// unindex drops the "sites[0]." or "venues[0]." prefix store.ValidateBatch puts on a field, so
// the error names the request's member.
func unindex(err error) error {
	f := civmap.ErrorField(err)
	if i := strings.Index(f, "]."); i >= 0 && civmap.ErrorCode(err) == civmap.EINVALID {
		return civmap.FieldErrorf(f[i+2:], "%s", civmap.ErrorMessage(err))
	}
	return err
}

// handleGetVenue serves GET /api/v1/venues/{code} as a GeoJSON Feature; 404 problem if unknown.
func (s *Server) handleGetVenue(w http.ResponseWriter, r *http.Request) {
	allowCORS(w)
	v, err := s.cfg.Store.Venue(r.Context(), mux.Vars(r)["code"])
	if err != nil {
		s.problem(w, r, err)
		return
	}
	writeGeoJSON(w, http.StatusOK, venueFeature(v))
}

// handlePutVenue serves PUT /api/v1/venues/{code}: creates the venue (201) or changes it (200;
// members left out keep their values). Staff whose scope holds the venue's site (and the new
// site, when it moves). A new venue needs name, type, site_code, lon and lat.
func (s *Server) handlePutVenue(w http.ResponseWriter, r *http.Request) {
	var req placeWrite
	if err := decodeJSON(w, r, &req); err != nil {
		s.problem(w, r, err)
		return
	}
	if req.Level != nil || req.ParentCode != nil {
		s.problem(w, r, civmap.FieldErrorf(map[bool]string{true: "level", false: "parent_code"}[req.Level != nil], "a venue takes its level from its site (site_code)"))
		return
	}
	if who(r).user == nil {
		s.problem(w, r, auth.Authorize(nil, auth.WriteSite, auth.Target{}))
		return
	}
	code := mux.Vars(r)["code"]
	ctx := r.Context()
	v, err := s.cfg.Store.Venue(ctx, code)
	exists := err == nil
	if err != nil && civmap.ErrorCode(err) != civmap.ENOTFOUND {
		s.problem(w, r, err)
		return
	}
	if exists {
		if err := s.authorize(r, auth.WriteSite, code); err != nil {
			s.problem(w, r, err)
			return
		}
	} else {
		v = civmap.Venue{Code: code}
	}
	set(&v.Name, req.Name)
	set(&v.SiteCode, req.SiteCode)
	set(&v.Address, req.Address)
	if req.Type != nil {
		v.Type = civmap.VenueType(*req.Type)
	}
	loc, err := req.location()
	if err != nil {
		s.problem(w, r, err)
		return
	}
	if loc != nil {
		v.Location = *loc
	} else if !exists {
		s.problem(w, r, civmap.FieldErrorf("lon", "a new venue needs its position: lon and lat"))
		return
	}
	site, err := s.cfg.Store.Site(ctx, v.SiteCode)
	if civmap.ErrorCode(err) == civmap.ENOTFOUND || v.SiteCode == "" {
		s.problem(w, r, civmap.FieldErrorf("site_code", "no site has code %q", v.SiteCode))
		return
	} else if err != nil {
		s.problem(w, r, err)
		return
	}
	v.Level = site.Level
	if !exists || req.SiteCode != nil {
		if err := s.mayAttach(r, code, v.SiteCode, true); err != nil {
			s.problem(w, r, err)
			return
		}
	}
	s.putPlaces(w, r, store.Batch{Venues: []civmap.Venue{v}}, exists, func() (feature, error) {
		got, err := s.cfg.Store.Venue(ctx, code)
		return venueFeature(got), err
	})
}
