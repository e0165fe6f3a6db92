package api

import (
	"net/http"

	"civmap"
	"civmap/store"

	"github.com/gorilla/mux"
)

// handleListSites serves GET /api/v1/sites?level=&parent=&bbox= as a GeoJSON FeatureCollection.
func (s *Server) handleListSites(w http.ResponseWriter, r *http.Request) {
	allowCORS(w)
	q := r.URL.Query()
	f := store.SiteFilter{ParentCode: q.Get("parent")}
	if l := q.Get("level"); l != "" {
		lv, err := civmap.ParseLevel(l)
		if err != nil {
			s.problem(w, r, civmap.FieldErrorf("level", "%s", civmap.ErrorMessage(err)))
			return
		}
		f.Level = lv
	}
	b, err := parseBBox(r)
	if err != nil {
		s.problem(w, r, err)
		return
	}
	f.Bound = b
	sites, err := s.cfg.Store.ListSites(r.Context(), f)
	if err != nil {
		s.problem(w, r, err)
		return
	}
	fc := newCollection()
	base := s.baseURL(r)
	for _, x := range sites {
		fc.Features = append(fc.Features, s.siteFeature(r.Context(), base, x))
	}
	writeGeoJSON(w, http.StatusOK, fc)
}

// handleGetSite serves GET /api/v1/sites/{code} as a GeoJSON Feature; 404 problem if unknown.
func (s *Server) handleGetSite(w http.ResponseWriter, r *http.Request) {
	allowCORS(w)
	x, err := s.cfg.Store.Site(r.Context(), mux.Vars(r)["code"])
	if err != nil {
		s.problem(w, r, err)
		return
	}
	writeGeoJSON(w, http.StatusOK, s.siteFeature(r.Context(), s.baseURL(r), x))
}

// handleListVenues serves GET /api/v1/venues?site=&type=&bbox= as a GeoJSON FeatureCollection.
func (s *Server) handleListVenues(w http.ResponseWriter, r *http.Request) {
	allowCORS(w)
	q := r.URL.Query()
	b, err := parseBBox(r)
	if err != nil {
		s.problem(w, r, err)
		return
	}
	vs, err := s.cfg.Store.ListVenues(r.Context(), store.VenueFilter{SiteCode: q.Get("site"), Type: civmap.VenueType(q.Get("type")), Bound: b})
	if err != nil {
		s.problem(w, r, err)
		return
	}
	fc := newCollection()
	for _, v := range vs {
		fc.Features = append(fc.Features, venueFeature(v))
	}
	writeGeoJSON(w, http.StatusOK, fc)
}
