package api

import (
	"net/http"
	"strconv"

	"civmap"
	"civmap/store"

	"github.com/gorilla/mux"
)

type needRequest struct {
	Category    civmap.NeedCategory `json:"category"`
	Description string              `json:"description"`
	Place       *placeJSON          `json:"place"`
}

// handleCreateNeed serves POST /api/v1/needs (群众点单): 201 with the stored need, status
// submitted, as a GeoJSON Feature, after the write is durable; 400 problem naming the field.
func (s *Server) handleCreateNeed(w http.ResponseWriter, r *http.Request) {
	allowCORS(w)
	var req needRequest
	if err := decodeJSON(w, r, &req); err != nil {
		s.problem(w, r, err)
		return
	}
	n, err := s.createNeed(r, req)
	if err != nil {
		s.problem(w, r, err)
		return
	}
	w.Header().Set("Location", "/api/v1/needs/"+strconv.FormatInt(n.ID, 10))
	writeGeoJSON(w, http.StatusCreated, needFeature(n))
}

func (s *Server) createNeed(r *http.Request, req needRequest) (civmap.Need, error) {
	n := civmap.Need{Category: req.Category, Description: req.Description, Status: civmap.NeedSubmitted}
	var err error
	if n.Place, n.SiteCode, n.Location, err = s.resolvePlace(r.Context(), req.Place); err != nil {
		return n, err
	}
	if n, err = s.cfg.Store.CreateNeed(r.Context(), n); err != nil {
		return n, err
	}
	s.publish("need.created", n.ID, n.SiteCode, n.Location.Point)
	return n, nil
}

// handleGetNeed serves GET /api/v1/needs/{id}.
func (s *Server) handleGetNeed(w http.ResponseWriter, r *http.Request) {
	allowCORS(w)
	id, err := strconv.ParseInt(mux.Vars(r)["id"], 10, 64)
	if err != nil {
		s.problem(w, r, civmap.FieldErrorf("id", "id must be an integer"))
		return
	}
	n, err := s.cfg.Store.Need(r.Context(), id)
	if err != nil {
		s.problem(w, r, err)
		return
	}
	writeGeoJSON(w, http.StatusOK, needFeature(n))
}

// handleListNeeds serves GET /api/v1/needs?site=&status=&bbox=&limit= (newest first).
func (s *Server) handleListNeeds(w http.ResponseWriter, r *http.Request) {
	allowCORS(w)
	q := r.URL.Query()
	f := store.NeedFilter{SiteCode: q.Get("site"), Status: civmap.NeedStatus(q.Get("status"))}
	var err error
	if f.Bound, err = parseBBox(r); err != nil {
		s.problem(w, r, err)
		return
	}
	if f.Limit, err = parseLimit(r, 1000, 10000); err != nil {
		s.problem(w, r, err)
		return
	}
	ns, err := s.cfg.Store.ListNeeds(r.Context(), f)
	if err != nil {
		s.problem(w, r, err)
		return
	}
	fc := newCollection()
	for _, n := range ns {
		fc.Features = append(fc.Features, needFeature(n))
	}
	writeGeoJSON(w, http.StatusOK, fc)
}
