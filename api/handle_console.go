package api

import (
	"context"
	"encoding/json"
	"html/template"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"civmap"
	"civmap/auth"
	"civmap/dispatch"
	"civmap/store"
	"civmap/web"
	"civmap/workflow"

	"github.com/gorilla/mux"
)

// maxConsoleNeeds bounds the console's list; consoleCandidates is how many candidates each
// order shows.
const (
	maxConsoleNeeds   = 100
	consoleCandidates = 5
)

// openStatuses are the statuses a dispatcher works on.
var openStatuses = []civmap.NeedStatus{civmap.NeedSubmitted, civmap.NeedOrdered, civmap.NeedDispatched, civmap.NeedAccepted, civmap.NeedInService}

// subtree returns the codes of the sites whose chain passes through scope (scope included);
// nil for the whole network ("").
func (s *Server) subtree(ctx context.Context, scope string) ([]string, error) {
	if scope == "" {
		return nil, nil
	}
	out := []string{scope}
	for i := 0; i < len(out) && len(out) < 100000; i++ {
		kids, err := s.cfg.Store.ListSites(ctx, store.SiteFilter{ParentCode: out[i]})
		if err != nil {
			return nil, err
		}
		for _, k := range kids {
			out = append(out, k.Code)
		}
	}
	return out, nil
}

// handleConsole serves GET /console?status=&category= : the dispatcher console for station,
// post and admin users — the needs queued in their scope, newest first, each with what the
// workflow lets them do next (制单, 拒绝, 派单 to a candidate, a team or open to grab, 取消) as
// forms that work without JavaScript, candidates nearest first, and a map; new needs and every
// step arrive over /api/v1/me/events without a reload. ?partial=1 returns only the list (for
// the page's script).
func (s *Server) handleConsole(w http.ResponseWriter, r *http.Request) {
	noStore(w)
	if !s.requirePage(w, r) {
		return
	}
	s.consolePage(w, r, http.StatusOK, "")
}

func (s *Server) consolePage(w http.ResponseWriter, r *http.Request, status int, formErr string) {
	u := who(r).user
	if err := s.authorize(r, auth.Dispatch, u.Scope); err != nil {
		s.pageError(w, r, err)
		return
	}
	ctx := r.Context()
	q := r.URL.Query()
	p := web.ConsolePage{Viewer: s.viewer(r), Scope: u.Scope, ScopeName: s.scopeName(r, u.Scope), Status: q.Get("status"),
		Category: q.Get("category"), Categories: civmap.NeedCategories, Skills: civmap.Skills, Error: formErr,
		Statuses: civmap.NeedStatuses, Today: s.cfg.Now().In(civmap.ChinaTime).Format("2006-01-02"),
		CanOrder: slices.Contains(workflow.StaffRoles(workflow.Order), u.Role)}
	if q.Get("done") != "" {
		p.Notice = "已" + actionName(workflow.Action(q.Get("done"))) + "。"
	}
	queues, err := s.subtree(ctx, u.Scope)
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	f := store.NeedFilter{Queues: queues, Statuses: openStatuses, IncludeHidden: true, Limit: maxConsoleNeeds}
	if queues == nil {
		f.Queues = nil
	}
	if p.Status != "" {
		st := civmap.NeedStatus(p.Status)
		if !slices.Contains(civmap.NeedStatuses, st) {
			s.pageError(w, r, civmap.FieldErrorf("status", "unknown status %q", st))
			return
		}
		f.Statuses = []civmap.NeedStatus{st}
	}
	needs, err := s.cfg.Store.ListNeeds(ctx, f)
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	teams, err := s.cfg.Store.ListTeams(ctx, store.TeamFilter{})
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	for _, t := range teams {
		if s.authorize(r, auth.ManageTeams, t.SiteCode) == nil || t.Tier == civmap.TierMunicipal {
			p.Teams = append(p.Teams, t)
		}
	}
	names := map[string]string{}
	siteName := func(code string) string {
		if n, ok := names[code]; ok {
			return n
		}
		n := code
		if x, err := s.cfg.Store.Site(ctx, code); err == nil {
			n = x.Name
		}
		names[code] = n
		return n
	}
	now := s.cfg.Now()
	var ids []int64
	points := []map[string]any{} // the map's data: [] rather than null when there is nothing
	for _, n := range needs {
		if p.Category != "" && string(n.Category) != p.Category {
			continue
		}
		c := web.ConsoleNeed{Need: n, SiteName: siteName(n.SiteCode), QueueName: siteName(n.Queue), Age: age(now.Sub(n.CreatedAt)),
			CanOrder:    p.CanOrder && workflow.Allowed(workflow.Order, n.Status),
			CanReject:   slices.Contains(workflow.StaffRoles(workflow.Reject), u.Role) && workflow.Allowed(workflow.Reject, n.Status),
			CanDispatch: workflow.Allowed(workflow.Dispatch, n.Status),
			CanCancel:   workflow.Allowed(workflow.Cancel, n.Status)}
		as, err := s.cfg.Store.Assignments(ctx, n.ID)
		if err != nil {
			s.pageError(w, r, err)
			return
		}
		for _, a := range as {
			h := web.Holder{Assignment: a, Name: "#" + strconv.FormatInt(a.VolunteerID, 10)}
			if v, err := s.cfg.Store.Volunteer(ctx, a.VolunteerID); err == nil && s.authorize(r, auth.ManageVolunteers, v.SiteCode) == nil {
				h.Name = v.Name
			}
			c.Holders = append(c.Holders, h)
		}
		if c.CanDispatch {
			near, err := s.cfg.Store.NearestVolunteers(ctx, dispatch.CandidateQuery(n, as, u.Scope, consoleCandidates, now))
			if err != nil {
				s.pageError(w, r, err)
				return
			}
			for _, x := range near {
				c.Candidates = append(c.Candidates, web.Candidate{Volunteer: x.Item, DistanceM: x.DistanceM})
				points = append(points, map[string]any{"kind": "candidate", "need": n.ID, "id": x.Item.ID, "name": x.Item.Name,
					"lon": x.Item.Home.Point[0], "lat": x.Item.Home.Point[1], "distance_m": int(x.DistanceM)})
			}
		}
		points = append(points, map[string]any{"kind": "need", "need": n.ID, "category": n.Category, "status": n.Status.Title(),
			"lon": n.Location.Point[0], "lat": n.Location.Point[1]})
		p.Needs = append(p.Needs, c)
		ids = append(ids, n.ID)
	}
	if len(ids) > 0 {
		if err := s.auditRead(r, civmap.KindNeed, "", ids); err != nil {
			s.pageError(w, r, err)
			return
		}
	}
	js, _ := json.Marshal(points)
	p.MapData = template.JS(js)
	p.HasMapLibre = web.HasMapLibre()
	if q.Get("partial") == "1" {
		s.render(w, r, status, "console_list", p)
		return
	}
	s.render(w, r, status, "console.html", p)
}

func age(d time.Duration) string {
	switch {
	case d < time.Minute:
		return "刚刚"
	case d < time.Hour:
		return strconv.Itoa(int(d/time.Minute)) + " 分钟前"
	case d < 48*time.Hour:
		return strconv.Itoa(int(d/time.Hour)) + " 小时前"
	}
	return strconv.Itoa(int(d/(24*time.Hour))) + " 天前"
}

func actionName(a workflow.Action) string {
	switch a {
	case workflow.Order:
		return "制单"
	case workflow.Reject:
		return "拒绝"
	case workflow.Dispatch:
		return "派单"
	case workflow.Cancel:
		return "取消"
	case workflow.Accept:
		return "接单"
	case workflow.Decline:
		return "退单"
	case workflow.Start:
		return "开始服务"
	case workflow.Finish:
		return "完成服务"
	}
	return "处理"
}

// handleConsoleAction serves POST /console/needs/{id} (form: action and its fields — skill,
// slots, date, start_time, end_time, urgency; mode, volunteer, team_id; reason): one staff
// workflow step from the console; 303 back to it, or the console with the reason.
func (s *Server) handleConsoleAction(w http.ResponseWriter, r *http.Request) {
	noStore(w)
	if !s.requirePage(w, r) {
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, 16<<10)
	if err := r.ParseForm(); err != nil {
		s.consolePage(w, r, http.StatusBadRequest, "表单内容过长或格式错误")
		return
	}
	id, err := strconv.ParseInt(mux.Vars(r)["id"], 10, 64)
	if err != nil {
		s.consolePage(w, r, http.StatusBadRequest, "编号无效")
		return
	}
	f := r.PostForm
	req := transitionRequest{Action: workflow.Action(f.Get("action")), Skill: civmap.Skill(f.Get("skill")),
		Urgency: civmap.Urgency(f.Get("urgency")), Mode: civmap.DispatchMode(f.Get("mode")), Reason: strings.TrimSpace(f.Get("reason"))}
	if !slices.Contains([]workflow.Action{workflow.Order, workflow.Reject, workflow.Dispatch, workflow.Cancel}, req.Action) {
		s.consolePage(w, r, http.StatusBadRequest, "操作无效")
		return
	}
	if v := f.Get("slots"); v != "" {
		if req.Slots, err = strconv.Atoi(v); err != nil {
			s.consolePage(w, r, http.StatusBadRequest, "人数应为数字")
			return
		}
	}
	if req.Action == workflow.Order {
		if req.Start, err = formTime("start_time", f.Get("date"), f.Get("start_time")); err == nil {
			req.End, err = formTime("end_time", f.Get("date"), f.Get("end_time"))
		}
		if err != nil {
			s.consolePage(w, r, http.StatusBadRequest, "请填写服务日期和起止时间")
			return
		}
	}
	for _, v := range f["volunteer"] {
		vid, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			s.consolePage(w, r, http.StatusBadRequest, "志愿者编号无效")
			return
		}
		req.Volunteers = append(req.Volunteers, vid)
	}
	if v := f.Get("team_id"); v != "" {
		if req.TeamID, err = strconv.ParseInt(v, 10, 64); err != nil {
			s.consolePage(w, r, http.StatusBadRequest, "队伍编号无效")
			return
		}
	}
	if _, _, err := s.transition(r, id, req); err != nil {
		status := statusFor(err)
		if status == http.StatusInternalServerError {
			s.logInternal(r, err)
		}
		s.consolePage(w, r, status, "编号 "+strconv.FormatInt(id, 10)+"："+civmap.ErrorMessage(err))
		return
	}
	s.kick()
	back := url.Values{"done": {string(req.Action)}}
	http.Redirect(w, r, "/console?"+back.Encode()+"#need-"+strconv.FormatInt(id, 10), http.StatusSeeOther)
}
