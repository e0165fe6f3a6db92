package api

import (
	"net/http"

	"civmap"
	"civmap/geo/gazetteer"
)

// gazetteer returns the geocoder's tree: Config.Gazetteer, loaded on first use.
func (s *Server) gazetteer() (*gazetteer.Gazetteer, error) {
	g, err := s.cfg.Gazetteer()
	if err != nil {
		return nil, civmap.Errorf(civmap.EUNAVAILABLE, "the gazetteer could not be loaded: %v", err)
	}
	return g, nil
}

// handleGeocode serves GET /api/v1/geocode?q=ADDRESS: the gazetteer.Result for one Chinese
// address (division code, level, confidence, matched spans, candidates when ambiguous, point with
// its precision). 400 naming q for an empty or invalid address, 413 for one over
// gazetteer.MaxAddressBytes.
func (s *Server) handleGeocode(w http.ResponseWriter, r *http.Request) {
	allowCORS(w)
	q := r.URL.Query().Get("q")
	if err := gazetteer.CheckAddress(q); err != nil {
		s.problem(w, r, &civmap.Error{Code: civmap.ErrorCode(err), Field: "q", Message: civmap.ErrorMessage(err)})
		return
	}
	g, err := s.gazetteer()
	if err != nil {
		s.problem(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, g.Geocode(q))
}

// handleGeocodeBatch serves POST /api/v1/geocode: a JSON array of at most gazetteer.MaxBatch
// address strings in, a JSON array of results out, in the same order. A bad address gets its own
// error in its result and the rest still resolve; a body over the limits is 413, anything but an
// array of strings 400.
func (s *Server) handleGeocodeBatch(w http.ResponseWriter, r *http.Request) {
	allowCORS(w)
	texts, err := gazetteer.ReadBatch(r.Body)
	if err != nil {
		s.problem(w, r, err)
		return
	}
	g, err := s.gazetteer()
	if err != nil {
		s.problem(w, r, err)
		return
	}
	res, err := g.GeocodeBatch(texts)
	if err != nil {
		s.problem(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, res)
}
