package api

import (
	"math"
	"net/http"
	"slices"
	"strconv"
	"time"

	"civmap"
	"civmap/auth"
	"civmap/dispatch"
	"civmap/store"
	"civmap/workflow"

	"github.com/gorilla/mux"
	"github.com/paulmach/orb"
)

// transitionRequest is the body of POST /api/v1/needs/{id}/transitions: the action and its
// parameters (workflow.Request).
type transitionRequest struct {
	Action     workflow.Action     `json:"action"`
	Skill      civmap.Skill        `json:"skill"`
	Slots      int                 `json:"slots"`
	Start      string              `json:"start"` // RFC 3339
	End        string              `json:"end"`
	Urgency    civmap.Urgency      `json:"urgency"`
	Mode       civmap.DispatchMode `json:"mode"`
	Volunteers []int64             `json:"volunteers"`
	TeamID     int64               `json:"team_id"`
	Reason     string              `json:"reason"`
	Hours      float64             `json:"hours"`
}

// handleTransition serves POST /api/v1/needs/{id}/transitions {"action": …}: staff whose scope
// holds the need's queue make order, reject, dispatch and cancel (auth.Dispatch; which staff
// role may make which is the workflow's rule); volunteers make accept, decline, start and
// finish (auth.Serve). 200 with the need and the event; 409 problem naming the current status
// for a move the status does not allow, nothing changed.
func (s *Server) handleTransition(w http.ResponseWriter, r *http.Request) {
	noStore(w)
	var req transitionRequest
	if err := decodeJSON(w, r, &req); err != nil {
		s.problem(w, r, err)
		return
	}
	id, err := strconv.ParseInt(mux.Vars(r)["id"], 10, 64)
	if err != nil {
		s.problem(w, r, civmap.FieldErrorf("id", "id must be an integer"))
		return
	}
	if !slices.Contains(workflow.Actions, req.Action) || req.Action == workflow.Escalate || req.Action == workflow.Rate {
		s.problem(w, r, civmap.FieldErrorf("action", "action is order, reject, dispatch, cancel, accept, decline, start or finish"))
		return
	}
	n, ev, err := s.transition(r, id, req)
	if err != nil {
		s.problem(w, r, err)
		return
	}
	s.kick()
	out := map[string]any{"need": s.needForActor(r, n), "event": eventOut(ev, true)}
	writeJSON(w, http.StatusOK, out)
}

// transition checks the caller and runs one workflow step on need id.
func (s *Server) transition(r *http.Request, id int64, req transitionRequest) (civmap.Need, civmap.NeedEvent, error) {
	ctx := r.Context()
	u := who(r).user
	if u == nil {
		return civmap.Need{}, civmap.NeedEvent{}, auth.Authorize(nil, auth.Dispatch, auth.Target{})
	}
	n, err := s.cfg.Store.Need(ctx, id)
	if err != nil {
		return n, civmap.NeedEvent{}, err
	}
	wr := workflow.Request{Action: req.Action, Now: s.cfg.Now().UTC().Truncate(time.Microsecond), Skill: req.Skill, Slots: req.Slots,
		Urgency: req.Urgency, Mode: req.Mode, Volunteers: req.Volunteers, TeamID: req.TeamID, Reason: req.Reason, Hours: req.Hours}
	switch req.Action {
	case workflow.Accept, workflow.Decline, workflow.Start, workflow.Finish:
		if err := auth.Authorize(u, auth.Serve, auth.Target{}); err != nil {
			return n, civmap.NeedEvent{}, err
		}
		v, err := s.cfg.Store.VolunteerByUser(ctx, u.ID)
		if civmap.ErrorCode(err) == civmap.ENOTFOUND {
			return n, civmap.NeedEvent{}, &civmap.Error{Code: civmap.EFORBIDDEN, Message: "该账号没有志愿者登记信息，请联系所在实践站"}
		} else if err != nil {
			return n, civmap.NeedEvent{}, err
		}
		chain, err := s.cfg.Store.SiteChain(ctx, v.SiteCode)
		if err != nil && civmap.ErrorCode(err) != civmap.ENOTFOUND {
			return n, civmap.NeedEvent{}, err
		}
		wr.Actor = workflow.Actor{Kind: workflow.Volunteer, User: u, Volunteer: &v, Chain: chain}
		wr.Team = s.teamFor(r, n, v)
	default:
		if err := s.authorize(r, auth.Dispatch, n.Queue); err != nil {
			return n, civmap.NeedEvent{}, err
		}
		wr.Actor = workflow.Actor{Kind: workflow.Staff, User: u}
		if req.Start != "" || req.Action == workflow.Order {
			if wr.Start, err = parseRFC3339("start", req.Start); err != nil {
				return n, civmap.NeedEvent{}, err
			}
		}
		if req.End != "" || req.Action == workflow.Order {
			if wr.End, err = parseRFC3339("end", req.End); err != nil {
				return n, civmap.NeedEvent{}, err
			}
		}
		if req.Action == workflow.Dispatch && req.Mode == civmap.DispatchTeam {
			t, err := s.cfg.Store.Team(ctx, req.TeamID)
			if civmap.ErrorCode(err) == civmap.ENOTFOUND {
				return n, civmap.NeedEvent{}, civmap.FieldErrorf("team_id", "no team %d", req.TeamID)
			} else if err != nil {
				return n, civmap.NeedEvent{}, err
			}
			wr.TeamName = t.Name
		}
		if req.Action == workflow.Dispatch && req.Mode == civmap.DispatchVolunteers {
			// Staff may offer an order only to volunteers they manage.
			for _, vid := range req.Volunteers {
				v, err := s.cfg.Store.Volunteer(ctx, vid)
				if err == nil {
					err = s.authorize(r, auth.ManageVolunteers, v.SiteCode)
				}
				if err != nil {
					return n, civmap.NeedEvent{}, civmap.FieldErrorf("volunteers", "volunteer %d is not one you can dispatch to", vid)
				}
			}
		}
	}
	return s.cfg.Store.Transition(ctx, id, wr)
}

// teamFor is the team name a volunteer serves an order with, as the resident reads it: the team
// it was dispatched to, else the volunteer's first team; "" for none.
func (s *Server) teamFor(r *http.Request, n civmap.Need, v civmap.Volunteer) string {
	id := n.Order.TeamID
	if id == 0 && len(v.Teams) > 0 {
		id = v.Teams[0]
	}
	if id == 0 {
		return ""
	}
	t, err := s.cfg.Store.Team(r.Context(), id)
	if err != nil {
		return ""
	}
	return t.Name
}

// needForActor is a need as the request's user may see it: in full for staff in scope of its
// queue or site, the serving view for a volunteer holding or offered it, the public view
// otherwise.
func (s *Server) needForActor(r *http.Request, n civmap.Need) any {
	if s.authorize(r, auth.ReadPersonal, n.Queue) == nil || s.authorize(r, auth.ReadPersonal, n.SiteCode) == nil {
		return needFeature(n)
	}
	if u := who(r).user; u != nil && u.Role == civmap.RoleVolunteer {
		if v, err := s.cfg.Store.VolunteerByUser(r.Context(), u.ID); err == nil {
			if as, err := s.cfg.Store.Assignments(r.Context(), n.ID); err == nil {
				for _, a := range as {
					if a.VolunteerID == v.ID && a.State != civmap.AssignDeclined {
						return servingNeed(n)
					}
				}
			}
		}
	}
	site, _ := s.cfg.Store.Site(r.Context(), n.SiteCode)
	return publicNeedFeature(n, site)
}

// servingNeed is what a volunteer who holds a place in an order sees: what is needed, where and
// when — never the resident's phone.
func servingNeed(n civmap.Need) map[string]any {
	return map[string]any{"id": n.ID, "category": n.Category, "description": n.Description, "place": placeOut(n.Place),
		"site_code": n.SiteCode, "lon": n.Location.Point[0], "lat": n.Location.Point[1], "status": n.Status,
		"status_title": n.Status.Title(), "order": orderOut(n.Order)}
}

func orderOut(o civmap.Order) map[string]any {
	m := map[string]any{"skill": o.Skill, "slots": o.Slots, "urgency": o.Urgency, "mode": o.Mode}
	if !o.Start.IsZero() {
		m["start"], m["end"] = o.Start, o.End
	}
	if o.TeamID != 0 {
		m["team_id"] = o.TeamID
	}
	return m
}

// eventJSON is a history step. Staff see who made it; the resident sees the team only.
type eventJSON struct {
	At          time.Time         `json:"at"`
	Action      string            `json:"action"`
	From        civmap.NeedStatus `json:"from,omitempty"`
	To          civmap.NeedStatus `json:"to"`
	ToTitle     string            `json:"to_title"`
	Team        string            `json:"team,omitempty"`
	Note        string            `json:"note,omitempty"`
	ActorRole   civmap.Role       `json:"actor_role,omitempty"`
	ActorID     int64             `json:"actor_id,omitempty"`
	VolunteerID int64             `json:"volunteer_id,omitempty"`
}

func eventOut(e civmap.NeedEvent, staff bool) eventJSON {
	j := eventJSON{At: e.At, Action: e.Action, From: e.From, To: e.To, ToTitle: e.To.Title(), Team: e.Team, Note: e.Note}
	if staff {
		j.ActorRole, j.ActorID, j.VolunteerID = e.ActorRole, e.ActorID, e.VolunteerID
	}
	return j
}

// handleNeedHistory serves GET /api/v1/needs/{id}/history: the need's steps, oldest first, for
// staff in scope (the resident reads theirs on the receipt page).
func (s *Server) handleNeedHistory(w http.ResponseWriter, r *http.Request) {
	noStore(w)
	n, err := s.needForDispatch(r)
	if err != nil {
		s.problem(w, r, err)
		return
	}
	hist, err := s.cfg.Store.NeedHistory(r.Context(), n.ID)
	if err != nil {
		s.problem(w, r, err)
		return
	}
	out := make([]eventJSON, 0, len(hist))
	for _, e := range hist {
		out = append(out, eventOut(e, true))
	}
	writeJSON(w, http.StatusOK, map[string]any{"events": out})
}

// needForDispatch loads the {id} need for staff whose scope holds its queue (auth.Dispatch).
func (s *Server) needForDispatch(r *http.Request) (civmap.Need, error) {
	if who(r).user == nil {
		return civmap.Need{}, auth.Authorize(nil, auth.Dispatch, auth.Target{})
	}
	id, err := strconv.ParseInt(mux.Vars(r)["id"], 10, 64)
	if err != nil {
		return civmap.Need{}, civmap.FieldErrorf("id", "id must be an integer")
	}
	n, err := s.cfg.Store.Need(r.Context(), id)
	if err != nil {
		return n, err
	}
	if err := s.authorize(r, auth.Dispatch, n.Queue); err != nil {
		if s.authorize(r, auth.Dispatch, n.SiteCode) != nil {
			return civmap.Need{}, err
		}
	}
	return n, nil
}

// parseK reads ?k= (1–store.MaxNearest, default dispatch.DefaultK).
func parseK(r *http.Request) (int, error) {
	v := r.URL.Query().Get("k")
	if v == "" {
		return dispatch.DefaultK, nil
	}
	k, err := strconv.Atoi(v)
	if err != nil || k < 1 || k > store.MaxNearest {
		return 0, civmap.FieldErrorf("k", "k must be 1–%d", store.MaxNearest)
	}
	return k, nil
}

// handleCandidates serves GET /api/v1/needs/{id}/candidates?k= : the k nearest suitable
// volunteers for the need (dispatch.CandidateQuery), inside the caller's scope, with their
// great-circle distance in metres ("distance_m"), nearest first, ties by id. Staff in scope of
// the need's queue; audited as a read of personal data.
func (s *Server) handleCandidates(w http.ResponseWriter, r *http.Request) {
	noStore(w)
	if err := onlyParams(r.URL.Query(), "k"); err != nil {
		s.problem(w, r, err)
		return
	}
	k, err := parseK(r)
	if err != nil {
		s.problem(w, r, err)
		return
	}
	n, err := s.needForDispatch(r)
	if err != nil {
		s.problem(w, r, err)
		return
	}
	as, err := s.cfg.Store.Assignments(r.Context(), n.ID)
	if err != nil {
		s.problem(w, r, err)
		return
	}
	q := dispatch.CandidateQuery(n, as, who(r).scope(), k, s.cfg.Now())
	s.writeNearest(w, r, q)
}

// handleNearestVolunteers serves GET /api/v1/volunteers/nearest?lon=&lat=&skill=&at=&k= : the k
// nearest suitable volunteers to a point (WGS-84 degrees) inside the caller's scope, available
// at `at` (RFC 3339; default now). Staff; audited.
func (s *Server) handleNearestVolunteers(w http.ResponseWriter, r *http.Request) {
	noStore(w)
	q := r.URL.Query()
	if err := onlyParams(q, "lon", "lat", "skill", "at", "k"); err != nil {
		s.problem(w, r, err)
		return
	}
	if err := s.authorize(r, auth.Dispatch, who(r).scope()); err != nil {
		s.problem(w, r, err)
		return
	}
	var p orb.Point
	for i, name := range []string{"lon", "lat"} {
		f, err := strconv.ParseFloat(q.Get(name), 64)
		if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
			s.problem(w, r, civmap.FieldErrorf(name, "%s is required, in degrees", name))
			return
		}
		p[i] = f
	}
	vq := store.VolunteerQuery{Point: p, Skill: civmap.Skill(q.Get("skill")), Scope: who(r).scope()}
	if vq.Skill != "" && !vq.Skill.Valid() {
		s.problem(w, r, civmap.FieldErrorf("skill", "unknown skill %q", vq.Skill))
		return
	}
	var err error
	if vq.At, err = parseTime(r, "at"); err != nil {
		s.problem(w, r, err)
		return
	}
	if vq.At.IsZero() {
		vq.At = s.cfg.Now()
	}
	if vq.K, err = parseK(r); err != nil {
		s.problem(w, r, err)
		return
	}
	s.writeNearest(w, r, vq)
}

func (s *Server) writeNearest(w http.ResponseWriter, r *http.Request, q store.VolunteerQuery) {
	near, err := s.cfg.Store.NearestVolunteers(r.Context(), q)
	if err != nil {
		s.problem(w, r, err)
		return
	}
	out := make([]volunteerJSON, 0, len(near))
	ids := make([]int64, 0, len(near))
	for _, x := range near {
		j := volunteerOut(x.Item)
		d := math.Round(x.DistanceM*10) / 10
		j.DistanceM = &d
		out = append(out, j)
		ids = append(ids, x.Item.ID)
	}
	if len(ids) > 0 {
		if err := s.auditRead(r, civmap.KindVolunteer, "", ids); err != nil {
			s.problem(w, r, err)
			return
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"volunteers": out, "at": q.At, "skill": q.Skill})
}
