package api

import (
	"net/http"
	"slices"
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
	site, err := s.cfg.Store.Site(r.Context(), n.SiteCode)
	if err != nil {
		return n, err
	}
	if n, _, err = s.cfg.Store.CreateNeed(r.Context(), n); err != nil {
		return n, err
	}
	// Events are public: they carry the site's point, never the resident's.
	s.publish("need.created", n.ID, n.SiteCode, site.Location.Point)
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
	if s.isDispatcher(r) {
		writeGeoJSON(w, http.StatusOK, needFeature(n))
		return
	}
	sites := s.siteLookup(r)
	site, err := sites(n.SiteCode)
	if err != nil {
		s.problem(w, r, err)
		return
	}
	writeGeoJSON(w, http.StatusOK, publicNeedFeature(n, site))
}

// siteLookup returns a memoising site getter for one request.
func (s *Server) siteLookup(r *http.Request) func(code string) (civmap.Site, error) {
	seen := map[string]civmap.Site{}
	return func(code string) (civmap.Site, error) {
		if x, ok := seen[code]; ok {
			return x, nil
		}
		x, err := s.cfg.Store.Site(r.Context(), code)
		if err != nil {
			return x, err
		}
		seen[code] = x
		return x, nil
	}
}

// handleListNeeds serves GET /api/v1/needs?site=&status=&bbox=&limit= (newest first). The public
// sees each need at its site's point without the resident's description (publicNeedFeature);
// a dispatcher (Config.DispatcherToken) sees them in full, and bbox then filters the needs' own
// points rather than their sites'.
func (s *Server) handleListNeeds(w http.ResponseWriter, r *http.Request) {
	allowCORS(w)
	q := r.URL.Query()
	f := store.NeedFilter{SiteCode: q.Get("site"), Status: civmap.NeedStatus(q.Get("status"))}
	if f.Status != "" && !slices.Contains(civmap.NeedStatuses, f.Status) {
		s.problem(w, r, civmap.FieldErrorf("status", "unknown status %q", f.Status))
		return
	}
	dispatcher := s.isDispatcher(r)
	var err error
	bound, err := parseBBox(r)
	if err != nil {
		s.problem(w, r, err)
		return
	}
	limit, err := parseLimit(r, 1000, 10000)
	if err != nil {
		s.problem(w, r, err)
		return
	}
	if dispatcher {
		f.Bound, f.Limit = bound, limit
	} else if bound == nil {
		f.Limit = limit
	}
	ns, err := s.cfg.Store.ListNeeds(r.Context(), f)
	if err != nil {
		s.problem(w, r, err)
		return
	}
	fc := newCollection()
	sites := s.siteLookup(r)
	for _, n := range ns {
		if len(fc.Features) == limit {
			break
		}
		if dispatcher {
			fc.Features = append(fc.Features, needFeature(n))
			continue
		}
		site, err := sites(n.SiteCode)
		if civmap.ErrorCode(err) == civmap.ENOTFOUND {
			continue // no public position to show it at
		} else if err != nil {
			s.problem(w, r, err)
			return
		}
		if bound == nil || bound.Contains(site.Location.Point) {
			fc.Features = append(fc.Features, publicNeedFeature(n, site))
		}
	}
	writeGeoJSON(w, http.StatusOK, fc)
}
