package api

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"civmap"
	"civmap/auth"
	"civmap/geo"
	"civmap/importer"
	"civmap/store"

	"github.com/gorilla/mux"
	"github.com/paulmach/orb"
)

// windowJSON is a weekly availability window: day 0 (Sunday) to 6, times "HH:MM" in China
// Standard Time.
type windowJSON struct {
	Day  int    `json:"day"`
	From string `json:"from"`
	To   string `json:"to"`
}

func hhmm(m int) string { return fmt.Sprintf("%02d:%02d", m/60, m%60) }

func parseHHMM(field, s string) (int, error) {
	var h, m int
	if _, err := fmt.Sscanf(s, "%d:%d", &h, &m); err != nil || h < 0 || h > 24 || m < 0 || m > 59 || (h == 24 && m != 0) || len(s) != 5 {
		return 0, civmap.FieldErrorf(field, "%s %q is not a time HH:MM", field, s)
	}
	return h*60 + m, nil
}

// volunteerJSON is a volunteer as staff in scope see it (personal data included).
type volunteerJSON struct {
	ID         int64          `json:"id"`
	UserID     int64          `json:"user_id,omitempty"`
	Name       string         `json:"name"`
	Phone      string         `json:"phone,omitempty"`
	Skills     []civmap.Skill `json:"skills"`
	Teams      []int64        `json:"teams"`
	Home       homeJSON       `json:"home"`
	SiteCode   string         `json:"site_code"`
	Windows    []windowJSON   `json:"windows"`
	OnDuty     bool           `json:"on_duty"`
	MaxOpen    int            `json:"max_open"`
	OpenOrders int            `json:"open_orders"`
	Core       bool           `json:"core"`
	MentorID   int64          `json:"mentor_id,omitempty"`
	Active     bool           `json:"active"`
	Demo       bool           `json:"demo"`
	CreatedAt  time.Time      `json:"created_at"`
	UpdatedAt  time.Time      `json:"updated_at"`
	DistanceM  *float64       `json:"distance_m,omitempty"` // candidates: great-circle distance, metres
}

type homeJSON struct {
	Lon         float64            `json:"lon"`
	Lat         float64            `json:"lat"`
	CoordSource civmap.CoordSource `json:"coord_source"`
	Precision   civmap.Precision   `json:"precision"`
}

func volunteerOut(v civmap.Volunteer) volunteerJSON {
	j := volunteerJSON{ID: v.ID, UserID: v.UserID, Name: v.Name, Phone: v.Phone, Skills: v.Skills, Teams: v.Teams,
		Home:     homeJSON{Lon: v.Home.Point[0], Lat: v.Home.Point[1], CoordSource: v.Home.Source, Precision: v.Home.Precision},
		SiteCode: v.SiteCode, Windows: []windowJSON{}, OnDuty: v.OnDuty, MaxOpen: v.MaxOpen, OpenOrders: v.OpenOrders,
		Core: v.Core, MentorID: v.MentorID, Active: v.Active, Demo: v.Demo, CreatedAt: v.CreatedAt, UpdatedAt: v.UpdatedAt}
	if j.Skills == nil {
		j.Skills = []civmap.Skill{}
	}
	if j.Teams == nil {
		j.Teams = []int64{}
	}
	for _, w := range v.Windows {
		j.Windows = append(j.Windows, windowJSON{Day: int(w.Day), From: hhmm(w.From), To: hhmm(w.To)})
	}
	return j
}

// volunteerRequest is the body of POST /api/v1/volunteers and PATCH /api/v1/volunteers/{id}; in
// a PATCH, members left out keep their values.
type volunteerRequest struct {
	Name     *string         `json:"name"`
	Phone    *string         `json:"phone"`
	Skills   *[]civmap.Skill `json:"skills"`
	Teams    *[]int64        `json:"teams"`
	SiteCode *string         `json:"site_code"`
	Home     *struct {
		Lon     *float64 `json:"lon"`
		Lat     *float64 `json:"lat"`
		CRS     string   `json:"crs"`
		Address string   `json:"address"`
	} `json:"home"`
	Windows  *[]windowJSON `json:"windows"`
	OnDuty   *bool         `json:"on_duty"`
	MaxOpen  *int          `json:"max_open"`
	Core     *bool         `json:"core"`
	MentorID *int64        `json:"mentor_id"`
	Active   *bool         `json:"active"`
}

// apply sets the request's members on v. The home point is given as lon/lat in crs (wgs84 by
// default) or as an address geocoded by the national gazetteer.
func (s *Server) applyVolunteer(v *civmap.Volunteer, req volunteerRequest) error {
	set(&v.Name, req.Name)
	set(&v.Phone, req.Phone)
	set(&v.Skills, req.Skills)
	set(&v.Teams, req.Teams)
	set(&v.SiteCode, req.SiteCode)
	set(&v.OnDuty, req.OnDuty)
	set(&v.MaxOpen, req.MaxOpen)
	set(&v.Core, req.Core)
	set(&v.MentorID, req.MentorID)
	set(&v.Active, req.Active)
	v.Phone = strings.TrimSpace(v.Phone)
	if req.Windows != nil {
		v.Windows = nil
		for _, w := range *req.Windows {
			from, err := parseHHMM("windows", w.From)
			if err != nil {
				return err
			}
			to, err := parseHHMM("windows", w.To)
			if err != nil {
				return err
			}
			v.Windows = append(v.Windows, civmap.Window{Day: time.Weekday(w.Day), From: from, To: to})
		}
	}
	if h := req.Home; h != nil {
		switch {
		case h.Address != "" && (h.Lon != nil || h.Lat != nil):
			return civmap.FieldErrorf("home", "give home.address or home.lon and home.lat, not both")
		case h.Address != "":
			g, err := s.cfg.Gazetteer()
			if err != nil {
				return err
			}
			if _, v.Home, err = importer.NewGazetteerGeocoder(g).Geocode(h.Address); err != nil {
				return civmap.FieldErrorf("home.address", "%s", civmap.ErrorMessage(err))
			}
		case h.Lon == nil || h.Lat == nil:
			return civmap.FieldErrorf("home", "home needs lon and lat (or an address)")
		default:
			conv, err := geo.ParseCRS(or(h.CRS, "wgs84"))
			if err != nil {
				return civmap.FieldErrorf("home.crs", "%s", civmap.ErrorMessage(err))
			}
			loc := civmap.Location{Point: orb.Point{*h.Lon, *h.Lat}, Source: civmap.CoordImported, Precision: civmap.PrecisionExact}
			if err := loc.Validate(); err != nil {
				return civmap.FieldErrorf("home."+civmap.ErrorField(err), "%s", civmap.ErrorMessage(err))
			}
			loc.Point = conv(loc.Point)
			v.Home = loc
		}
	}
	return nil
}

// volunteerByPath loads the {id} volunteer for a caller allowed ManageVolunteers on them (404
// for others: who volunteers is personal data).
func (s *Server) volunteerByPath(r *http.Request) (civmap.Volunteer, error) {
	if who(r).user == nil {
		return civmap.Volunteer{}, auth.Authorize(nil, auth.ManageVolunteers, auth.Target{})
	}
	id, err := strconv.ParseInt(mux.Vars(r)["id"], 10, 64)
	if err != nil {
		return civmap.Volunteer{}, civmap.FieldErrorf("id", "id must be an integer")
	}
	v, err := s.cfg.Store.Volunteer(r.Context(), id)
	if err != nil {
		return v, err
	}
	if err := s.authorize(r, auth.ManageVolunteers, v.SiteCode); err != nil {
		if civmap.ErrorCode(err) == civmap.EFORBIDDEN {
			return civmap.Volunteer{}, civmap.Errorf(civmap.ENOTFOUND, "没有编号为 %d 的志愿者", id)
		}
		return v, err
	}
	return v, nil
}

// handleListVolunteers serves GET /api/v1/volunteers?team=&skill=&active=&after=&limit= : the
// volunteers based inside the caller's scope (staff and team leaders), ordered by id, a page
// of at most limit (default 500, at most 5,000) with "next" when there may be more. Audited as
// a read of personal data.
func (s *Server) handleListVolunteers(w http.ResponseWriter, r *http.Request) {
	noStore(w)
	id := who(r)
	if id.user == nil || !(id.user.Role.Staff() || id.user.Role == civmap.RoleTeamLeader) {
		s.problem(w, r, s.refuse(r))
		return
	}
	q := r.URL.Query()
	if err := onlyParams(q, "team", "skill", "active", "after", "limit"); err != nil {
		s.problem(w, r, err)
		return
	}
	f := store.VolunteerFilter{Scope: id.user.Scope, Skill: civmap.Skill(q.Get("skill"))}
	if f.Skill != "" && !f.Skill.Valid() {
		s.problem(w, r, civmap.FieldErrorf("skill", "unknown skill %q", f.Skill))
		return
	}
	var err error
	for name, dst := range map[string]*int64{"team": &f.TeamID, "after": &f.AfterID} {
		if v := q.Get(name); v != "" {
			if *dst, err = strconv.ParseInt(v, 10, 64); err != nil || *dst < 0 {
				s.problem(w, r, civmap.FieldErrorf(name, "%s must be a whole number", name))
				return
			}
		}
	}
	if v := q.Get("active"); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			s.problem(w, r, civmap.FieldErrorf("active", "active is true or false"))
			return
		}
		f.Active = &b
	}
	if f.Limit, err = parseLimit(r, 500, 5000); err != nil {
		s.problem(w, r, err)
		return
	}
	vs, err := s.cfg.Store.ListVolunteers(r.Context(), f)
	if err != nil {
		s.problem(w, r, err)
		return
	}
	out := make([]volunteerJSON, 0, len(vs))
	ids := make([]int64, 0, len(vs))
	for _, v := range vs {
		out = append(out, volunteerOut(v))
		ids = append(ids, v.ID)
	}
	if err := s.auditRead(r, civmap.KindVolunteer, "", ids); err != nil {
		s.problem(w, r, err)
		return
	}
	body := map[string]any{"volunteers": out}
	if len(vs) == f.Limit {
		q.Set("after", strconv.FormatInt(vs[len(vs)-1].ID, 10))
		body["next"] = "/api/v1/volunteers?" + q.Encode()
	}
	writeJSON(w, http.StatusOK, body)
}

// handleGetVolunteer serves GET /api/v1/volunteers/{id} (audited).
func (s *Server) handleGetVolunteer(w http.ResponseWriter, r *http.Request) {
	noStore(w)
	v, err := s.volunteerByPath(r)
	if err == nil {
		err = s.auditRead(r, civmap.KindVolunteer, strconv.FormatInt(v.ID, 10), nil)
	}
	if err != nil {
		s.problem(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, volunteerOut(v))
}

// handleCreateVolunteer serves POST /api/v1/volunteers: 201 with the volunteer. Staff and team
// leaders, for a base site in their scope. A phone number already registered is 409.
func (s *Server) handleCreateVolunteer(w http.ResponseWriter, r *http.Request) {
	noStore(w)
	var req volunteerRequest
	if err := decodeJSON(w, r, &req); err != nil {
		s.problem(w, r, err)
		return
	}
	if who(r).user == nil {
		s.problem(w, r, auth.Authorize(nil, auth.ManageVolunteers, auth.Target{}))
		return
	}
	v := civmap.Volunteer{Active: true}
	if err := s.applyVolunteer(&v, req); err != nil {
		s.problem(w, r, err)
		return
	}
	if err := s.authorize(r, auth.ManageVolunteers, v.SiteCode); err != nil {
		s.problem(w, r, err)
		return
	}
	if v.Phone != "" {
		if dup, err := s.cfg.Store.ListVolunteers(r.Context(), store.VolunteerFilter{Phone: v.Phone, Limit: 1}); err != nil {
			s.problem(w, r, err)
			return
		} else if len(dup) > 0 {
			s.problem(w, r, &civmap.Error{Code: civmap.ECONFLICT, Field: "phone", Message: "该手机号已登记"})
			return
		}
	}
	got, err := s.putVolunteer(r, v)
	if err != nil {
		s.problem(w, r, err)
		return
	}
	w.Header().Set("Location", "/api/v1/volunteers/"+strconv.FormatInt(got.ID, 10))
	writeJSON(w, http.StatusCreated, volunteerOut(got))
}

// putVolunteer writes one volunteer, with the batch's indexed field names stripped.
func (s *Server) putVolunteer(r *http.Request, v civmap.Volunteer) (civmap.Volunteer, error) {
	got, _, err := s.cfg.Store.PutVolunteers(r.Context(), []civmap.Volunteer{v}, false)
	if err != nil {
		return v, unindex(err)
	}
	return got[0], nil
}

// handleUpdateVolunteer serves PATCH /api/v1/volunteers/{id}: 200 with the volunteer after the
// change; the caller must manage them before and after (a station cannot move a volunteer out
// of its town).
func (s *Server) handleUpdateVolunteer(w http.ResponseWriter, r *http.Request) {
	noStore(w)
	var req volunteerRequest
	if err := decodeJSON(w, r, &req); err != nil {
		s.problem(w, r, err)
		return
	}
	v, err := s.volunteerByPath(r)
	if err == nil {
		err = s.applyVolunteer(&v, req)
	}
	if err == nil {
		err = s.authorize(r, auth.ManageVolunteers, v.SiteCode)
	}
	if err == nil {
		v, err = s.putVolunteer(r, v)
	}
	if err != nil {
		s.problem(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, volunteerOut(v))
}

// handleVolunteerCode serves POST /api/v1/volunteers/{id}/code?format=json|png|pdf: issues the
// volunteer's personal sign-in code (see handleIssueCode), creating their account first when
// they have none (login "vol-{id}", role volunteer, scope their base site).
func (s *Server) handleVolunteerCode(w http.ResponseWriter, r *http.Request) {
	noStore(w)
	v, err := s.volunteerByPath(r)
	if err == nil && v.UserID == 0 {
		var u civmap.User
		u, err = s.cfg.Store.CreateUser(r.Context(), civmap.User{Login: fmt.Sprintf("vol-%d", v.ID), Name: v.Name,
			Role: civmap.RoleVolunteer, Scope: v.SiteCode, Demo: v.Demo})
		if err == nil {
			v.UserID = u.ID
			v, err = s.putVolunteer(r, v)
		}
	}
	if err != nil {
		s.problem(w, r, err)
		return
	}
	mux.Vars(r)["id"] = strconv.FormatInt(v.UserID, 10)
	s.handleIssueCode(w, r)
}

type teamJSON struct {
	ID       int64           `json:"id"`
	Name     string          `json:"name"`
	Tier     civmap.TeamTier `json:"tier"`
	TierName string          `json:"tier_title"`
	SiteCode string          `json:"site_code"`
	LeaderID int64           `json:"leader_id,omitempty"`
	Skills   []civmap.Skill  `json:"skills"`
	Demo     bool            `json:"demo"`
}

func teamOut(t civmap.Team) teamJSON {
	j := teamJSON{ID: t.ID, Name: t.Name, Tier: t.Tier, TierName: t.Tier.Title(), SiteCode: t.SiteCode, LeaderID: t.LeaderID,
		Skills: t.Skills, Demo: t.Demo}
	if j.Skills == nil {
		j.Skills = []civmap.Skill{}
	}
	return j
}

// handleListTeams serves GET /api/v1/teams?site=&tier= : teams are public (name, tier, site,
// specialties); their members are not.
func (s *Server) handleListTeams(w http.ResponseWriter, r *http.Request) {
	allowCORS(w)
	q := r.URL.Query()
	if err := onlyParams(q, "site", "tier"); err != nil {
		s.problem(w, r, err)
		return
	}
	f := store.TeamFilter{SiteCode: q.Get("site"), Tier: civmap.TeamTier(q.Get("tier"))}
	if f.Tier != "" && !f.Tier.Valid() {
		s.problem(w, r, civmap.FieldErrorf("tier", "tier is municipal, town or village"))
		return
	}
	ts, err := s.cfg.Store.ListTeams(r.Context(), f)
	if err != nil {
		s.problem(w, r, err)
		return
	}
	out := make([]teamJSON, 0, len(ts))
	for _, t := range ts {
		out = append(out, teamOut(t))
	}
	writeJSON(w, http.StatusOK, map[string]any{"teams": out})
}

type teamRequest struct {
	Name     *string          `json:"name"`
	Tier     *civmap.TeamTier `json:"tier"`
	SiteCode *string          `json:"site_code"`
	LeaderID *int64           `json:"leader_id"`
	Skills   *[]civmap.Skill  `json:"skills"`
}

// handlePutTeam serves POST /api/v1/teams (create: 201) and PATCH /api/v1/teams/{id} (200):
// staff whose scope holds the team's site (before and after). The tier defaults to the site's
// level.
func (s *Server) handlePutTeam(w http.ResponseWriter, r *http.Request) {
	var req teamRequest
	if err := decodeJSON(w, r, &req); err != nil {
		s.problem(w, r, err)
		return
	}
	if who(r).user == nil {
		s.problem(w, r, auth.Authorize(nil, auth.ManageTeams, auth.Target{}))
		return
	}
	var t civmap.Team
	status := http.StatusCreated
	if idText, ok := mux.Vars(r)["id"]; ok {
		id, err := strconv.ParseInt(idText, 10, 64)
		if err != nil {
			s.problem(w, r, civmap.FieldErrorf("id", "id must be an integer"))
			return
		}
		if t, err = s.cfg.Store.Team(r.Context(), id); err == nil {
			err = s.authorize(r, auth.ManageTeams, t.SiteCode)
		}
		if err != nil {
			s.problem(w, r, err)
			return
		}
		status = http.StatusOK
	}
	set(&t.Name, req.Name)
	set(&t.Tier, req.Tier)
	set(&t.SiteCode, req.SiteCode)
	set(&t.LeaderID, req.LeaderID)
	set(&t.Skills, req.Skills)
	if t.Tier == "" {
		if site, err := s.cfg.Store.Site(r.Context(), t.SiteCode); err == nil {
			t.Tier, _ = civmap.TierForLevel(site.Level)
		}
	}
	if err := s.authorize(r, auth.ManageTeams, t.SiteCode); err != nil {
		s.problem(w, r, err)
		return
	}
	got, _, err := s.cfg.Store.PutTeams(r.Context(), []civmap.Team{t}, false)
	if err != nil {
		s.problem(w, r, unindex(err))
		return
	}
	if status == http.StatusCreated {
		w.Header().Set("Location", "/api/v1/teams/"+strconv.FormatInt(got[0].ID, 10))
	}
	writeJSON(w, status, teamOut(got[0]))
}
