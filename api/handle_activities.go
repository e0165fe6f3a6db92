package api

import (
	"net/http"
	"strconv"
	"time"

	"civmap"
	"civmap/live"
	"civmap/store"

	"github.com/gorilla/mux"
)

type activityRequest struct {
	Title       string                `json:"title"`
	ContentArea civmap.ContentArea    `json:"content_area"`
	Platform    civmap.Platform       `json:"platform"`
	Start       string                `json:"start"` // RFC 3339
	End         string                `json:"end"`   // RFC 3339
	Place       *placeJSON            `json:"place"`
	Status      civmap.ActivityStatus `json:"status"` // default planned
}

// handleCreateActivity serves POST /api/v1/activities: 201 with the stored activity as a GeoJSON
// Feature and its URL in Location, after the write is durable; 400 problem naming the field.
func (s *Server) handleCreateActivity(w http.ResponseWriter, r *http.Request) {
	allowCORS(w)
	var req activityRequest
	if err := decodeJSON(w, r, &req); err != nil {
		s.problem(w, r, err)
		return
	}
	a := civmap.Activity{Title: req.Title, ContentArea: req.ContentArea, Platform: req.Platform, Status: req.Status}
	if a.Status == "" {
		a.Status = civmap.ActivityPlanned
	}
	var err error
	if a.Start, err = parseRFC3339("start", req.Start); err != nil {
		s.problem(w, r, err)
		return
	}
	if a.End, err = parseRFC3339("end", req.End); err != nil {
		s.problem(w, r, err)
		return
	}
	if a.Place, a.SiteCode, a.Location, err = s.resolvePlace(r.Context(), req.Place); err != nil {
		s.problem(w, r, err)
		return
	}
	if a, err = s.cfg.Store.CreateActivity(r.Context(), a); err != nil {
		s.problem(w, r, err)
		return
	}
	s.publish("activity.created", a.ID, a.SiteCode, a.Location.Point)
	w.Header().Set("Location", "/api/v1/activities/"+strconv.FormatInt(a.ID, 10))
	writeGeoJSON(w, http.StatusCreated, activityFeature(a))
}

func parseRFC3339(field, s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, civmap.FieldErrorf(field, "%s is required (RFC 3339, e.g. 2026-12-01T09:00:00+08:00)", field)
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return time.Time{}, civmap.FieldErrorf(field, "%s %q is not an RFC 3339 time (e.g. 2026-12-01T09:00:00+08:00)", field, s)
	}
	return t, nil
}

func (s *Server) publish(typ string, id int64, site string, p [2]float64) {
	if s.cfg.Bus != nil {
		s.cfg.Bus.Publish(live.Event{Type: typ, ID: id, SiteCode: site, Point: p, Time: s.cfg.Now().UTC()})
	}
}

// handleGetActivity serves GET /api/v1/activities/{id}.
func (s *Server) handleGetActivity(w http.ResponseWriter, r *http.Request) {
	allowCORS(w)
	id, err := strconv.ParseInt(mux.Vars(r)["id"], 10, 64)
	if err != nil {
		s.problem(w, r, civmap.FieldErrorf("id", "id must be an integer"))
		return
	}
	a, err := s.cfg.Store.Activity(r.Context(), id)
	if err != nil {
		s.problem(w, r, err)
		return
	}
	writeGeoJSON(w, http.StatusOK, activityFeature(a))
}

// handleListActivities serves GET /api/v1/activities?site=&end_after=&bbox=&limit= (limit default
// 1000, at most 10000) as a GeoJSON FeatureCollection ordered by start time.
func (s *Server) handleListActivities(w http.ResponseWriter, r *http.Request) {
	allowCORS(w)
	f := store.ActivityFilter{SiteCode: r.URL.Query().Get("site")}
	var err error
	if f.Bound, err = parseBBox(r); err != nil {
		s.problem(w, r, err)
		return
	}
	if f.EndAfter, err = parseTime(r, "end_after"); err != nil {
		s.problem(w, r, err)
		return
	}
	if f.Limit, err = parseLimit(r, 1000, 10000); err != nil {
		s.problem(w, r, err)
		return
	}
	as, err := s.cfg.Store.ListActivities(r.Context(), f)
	if err != nil {
		s.problem(w, r, err)
		return
	}
	fc := newCollection()
	for _, a := range as {
		fc.Features = append(fc.Features, activityFeature(a))
	}
	writeGeoJSON(w, http.StatusOK, fc)
}
