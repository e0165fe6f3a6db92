package api

import (
	"net/http"
	"strconv"
	"time"

	"civmap"
	"civmap/auth"
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
// Feature and its URL in Location, after the write is durable; 400 problem naming the field;
// 401/403 unless staff whose scope holds the place (auth.WriteActivity).
func (s *Server) handleCreateActivity(w http.ResponseWriter, r *http.Request) {
	allowCORS(w)
	var req activityRequest
	if err := decodeJSON(w, r, &req); err != nil {
		s.problem(w, r, err)
		return
	}
	a, err := s.createActivity(r, req)
	if err != nil {
		s.problem(w, r, err)
		return
	}
	w.Header().Set("Location", "/api/v1/activities/"+strconv.FormatInt(a.ID, 10))
	writeGeoJSON(w, http.StatusCreated, activityFeature(a))
}

// createActivity checks the caller may publish at the place, then stores the activity.
func (s *Server) createActivity(r *http.Request, req activityRequest) (civmap.Activity, error) {
	if who(r).user == nil {
		return civmap.Activity{}, auth.Authorize(nil, auth.WriteActivity, auth.Target{})
	}
	a := civmap.Activity{Title: req.Title, ContentArea: req.ContentArea, Platform: req.Platform, Status: req.Status}
	if a.Status == "" {
		a.Status = civmap.ActivityPlanned
	}
	var err error
	if a.Start, err = parseRFC3339("start", req.Start); err != nil {
		return a, err
	}
	if a.End, err = parseRFC3339("end", req.End); err != nil {
		return a, err
	}
	if a.Place, a.SiteCode, a.Location, err = s.resolvePlace(r.Context(), req.Place); err != nil {
		return a, err
	}
	if err := s.authorize(r, auth.WriteActivity, placeCode(a.Place, a.SiteCode)); err != nil {
		return a, err
	}
	if a, err = s.cfg.Store.CreateActivity(r.Context(), a); err != nil {
		return a, err
	}
	s.publish("activity.created", a.ID, a.SiteCode, a.Location.Point)
	return a, nil
}

// placeCode is the code whose chain decides scope for a record: its place's code, or for a
// bare point the responsible site's.
func placeCode(p civmap.Place, siteCode string) string {
	if p.Code != "" {
		return p.Code
	}
	return siteCode
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

// activityByPath loads the {id} activity as the caller may see it: a hidden one only for staff
// in its scope (ENOTFOUND for others).
func (s *Server) activityByPath(r *http.Request) (civmap.Activity, error) {
	id, err := strconv.ParseInt(mux.Vars(r)["id"], 10, 64)
	if err != nil {
		return civmap.Activity{}, civmap.FieldErrorf("id", "id must be an integer")
	}
	a, err := s.cfg.Store.Activity(r.Context(), id)
	if err != nil {
		return a, err
	}
	if a.Moderation.Hidden && s.authorize(r, auth.Moderate, placeCode(a.Place, a.SiteCode)) != nil {
		return civmap.Activity{}, civmap.Errorf(civmap.ENOTFOUND, "没有编号为 %d 的活动", id)
	}
	return a, nil
}

// handleGetActivity serves GET /api/v1/activities/{id}.
func (s *Server) handleGetActivity(w http.ResponseWriter, r *http.Request) {
	allowCORS(w)
	a, err := s.activityByPath(r)
	if err != nil {
		s.problem(w, r, err)
		return
	}
	writeGeoJSON(w, http.StatusOK, activityFeature(a))
}

type activityPatch struct {
	Title       *string                `json:"title"`
	ContentArea *civmap.ContentArea    `json:"content_area"`
	Platform    *civmap.Platform       `json:"platform"`
	Start       *string                `json:"start"`
	End         *string                `json:"end"`
	Place       *placeJSON             `json:"place"`
	Status      *civmap.ActivityStatus `json:"status"`
}

// handleUpdateActivity serves PATCH /api/v1/activities/{id} with any of title, content_area,
// platform, start, end, place and status ("cancelled" cancels it): 200 with the activity after
// the change. Staff whose scope holds the activity's place — and the new place, when it moves.
func (s *Server) handleUpdateActivity(w http.ResponseWriter, r *http.Request) {
	allowCORS(w)
	var req activityPatch
	if err := decodeJSON(w, r, &req); err != nil {
		s.problem(w, r, err)
		return
	}
	if who(r).user == nil {
		s.problem(w, r, auth.Authorize(nil, auth.WriteActivity, auth.Target{}))
		return
	}
	a, err := s.activityByPath(r)
	if err == nil {
		err = s.authorize(r, auth.WriteActivity, placeCode(a.Place, a.SiteCode))
	}
	if err == nil {
		a, err = s.patchActivity(r, a, req)
	}
	if err != nil {
		s.problem(w, r, err)
		return
	}
	writeGeoJSON(w, http.StatusOK, activityFeature(a))
}

func (s *Server) patchActivity(r *http.Request, a civmap.Activity, req activityPatch) (civmap.Activity, error) {
	var err error
	if req.Title != nil {
		a.Title = *req.Title
	}
	if req.ContentArea != nil {
		a.ContentArea = *req.ContentArea
	}
	if req.Platform != nil {
		a.Platform = *req.Platform
	}
	if req.Status != nil {
		a.Status = *req.Status
	}
	if req.Start != nil {
		if a.Start, err = parseRFC3339("start", *req.Start); err != nil {
			return a, err
		}
	}
	if req.End != nil {
		if a.End, err = parseRFC3339("end", *req.End); err != nil {
			return a, err
		}
	}
	if req.Place != nil {
		if a.Place, a.SiteCode, a.Location, err = s.resolvePlace(r.Context(), req.Place); err != nil {
			return a, err
		}
		if err := s.authorize(r, auth.WriteActivity, placeCode(a.Place, a.SiteCode)); err != nil {
			return a, err
		}
	}
	return s.cfg.Store.UpdateActivity(r.Context(), a)
}

// handleListActivities serves GET /api/v1/activities?site=&end_after=&bbox=&limit= (limit default
// 1000, at most 10000) as a GeoJSON FeatureCollection ordered by start time. Hidden activities
// are listed only for staff whose scope holds them.
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
	limit, err := parseLimit(r, 1000, 10000)
	if err != nil {
		s.problem(w, r, err)
		return
	}
	u := who(r).user
	f.IncludeHidden = u != nil && u.Role.Staff()
	if !f.IncludeHidden {
		f.Limit = limit
	}
	as, err := s.cfg.Store.ListActivities(r.Context(), f)
	if err != nil {
		s.problem(w, r, err)
		return
	}
	fc := newCollection()
	mayModerate := map[string]bool{}
	for _, a := range as {
		if len(fc.Features) == limit {
			break
		}
		if a.Moderation.Hidden {
			code := placeCode(a.Place, a.SiteCode)
			ok, seen := mayModerate[code]
			if !seen {
				ok = s.authorize(r, auth.Moderate, code) == nil
				mayModerate[code] = ok
			}
			if !ok {
				continue
			}
		}
		fc.Features = append(fc.Features, activityFeature(a))
	}
	writeGeoJSON(w, http.StatusOK, fc)
}

// handleModerate serves PUT /api/v1/{activities|needs}/{id}/moderation {"hidden": bool,
// "reason": "…"}: hides the record from public view (a reason is required) or shows it again;
// audited. Staff whose scope holds the record; 200 with the record as staff see it.
func (s *Server) handleModerate(kind string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		noStore(w)
		var m struct {
			Hidden bool   `json:"hidden"`
			Reason string `json:"reason"`
		}
		if err := decodeJSON(w, r, &m); err != nil {
			s.problem(w, r, err)
			return
		}
		if who(r).user == nil {
			s.problem(w, r, auth.Authorize(nil, auth.Moderate, auth.Target{}))
			return
		}
		id, err := strconv.ParseInt(mux.Vars(r)["id"], 10, 64)
		if err != nil {
			s.problem(w, r, civmap.FieldErrorf("id", "id must be an integer"))
			return
		}
		out, err := s.moderate(r, kind, id, civmap.Moderation{Hidden: m.Hidden, Reason: m.Reason})
		if err != nil {
			s.problem(w, r, err)
			return
		}
		writeGeoJSON(w, http.StatusOK, out)
	}
}

// moderate checks scope and sets the moderation of activity or need id, returning the record's
// feature as staff see it.
func (s *Server) moderate(r *http.Request, kind string, id int64, m civmap.Moderation) (feature, error) {
	ctx := r.Context()
	var code string
	switch kind {
	case civmap.KindActivity:
		a, err := s.cfg.Store.Activity(ctx, id)
		if err != nil {
			return feature{}, err
		}
		code = placeCode(a.Place, a.SiteCode)
	case civmap.KindNeed:
		n, err := s.cfg.Store.Need(ctx, id)
		if err != nil {
			return feature{}, err
		}
		code = n.SiteCode
	}
	if err := s.authorize(r, auth.Moderate, code); err != nil {
		return feature{}, err
	}
	if err := s.cfg.Store.Moderate(ctx, kind, id, m); err != nil {
		return feature{}, err
	}
	if kind == civmap.KindActivity {
		a, err := s.cfg.Store.Activity(ctx, id)
		return activityFeature(a), err
	}
	n, err := s.cfg.Store.Need(ctx, id)
	return needFeature(n), err
}
