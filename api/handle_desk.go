package api

import (
	"net/http"
	"sort"
	"strconv"
	"strings"

	"civmap"
	"civmap/store"
	"civmap/web"
	"civmap/workflow"

	"github.com/gorilla/mux"
	orbgeo "github.com/paulmach/orb/geo"
)

// maxDeskOrders bounds the orders the volunteer page looks through and shows.
const (
	maxDeskScan = 500
	maxDeskShow = 20
)

// volunteerDesk builds a volunteer's part of /me: the orders they hold or were offered, the
// orders they can grab (workflow.CanTake), nearest to their home first, and what they finished
// recently with their hours.
func (s *Server) volunteerDesk(r *http.Request, u *civmap.User) (*web.VolunteerDesk, error) {
	ctx := r.Context()
	v, err := s.cfg.Store.VolunteerByUser(ctx, u.ID)
	if civmap.ErrorCode(err) == civmap.ENOTFOUND {
		return nil, nil
	} else if err != nil {
		return nil, err
	}
	d := &web.VolunteerDesk{Volunteer: v}
	chain, err := s.cfg.Store.SiteChain(ctx, v.SiteCode)
	if err != nil && civmap.ErrorCode(err) != civmap.ENOTFOUND {
		return nil, err
	}
	names := map[string]string{}
	card := func(n civmap.Need) web.OrderCard {
		name, ok := names[n.SiteCode]
		if !ok {
			if x, err := s.cfg.Store.Site(ctx, n.SiteCode); err == nil {
				name = x.Name
			}
			names[n.SiteCode] = name
		}
		return web.OrderCard{Need: n, SiteName: name, DistanceM: orbgeo.DistanceHaversine(v.Home.Point, n.Location.Point)}
	}
	mine, err := s.cfg.Store.ListNeeds(ctx, store.NeedFilter{VolunteerID: v.ID, Limit: maxDeskScan})
	if err != nil {
		return nil, err
	}
	held := map[int64]bool{}
	for _, n := range mine {
		as, err := s.cfg.Store.Assignments(ctx, n.ID)
		if err != nil {
			return nil, err
		}
		for _, a := range as {
			if a.VolunteerID != v.ID {
				continue
			}
			c := card(n)
			c.State, c.Hours = a.State, a.Hours
			switch {
			case a.State.Open():
				d.Mine = append(d.Mine, c)
				held[n.ID] = true
			case a.State == civmap.AssignDone:
				d.TotalHours += a.Hours
				if len(d.Done) < maxDeskShow {
					d.Done = append(d.Done, c)
				}
			default:
				held[n.ID] = true // declined: not offered again here
			}
		}
	}
	open, err := s.cfg.Store.ListNeeds(ctx, store.NeedFilter{Statuses: []civmap.NeedStatus{civmap.NeedDispatched}, Limit: maxDeskScan})
	if err != nil {
		return nil, err
	}
	for _, n := range open {
		if held[n.ID] || n.Moderation.Hidden || workflow.CanTake(n, &v, chain) != nil {
			continue
		}
		c := card(n)
		if n.Order.Mode == civmap.DispatchVolunteers {
			c.Offered = true
			d.Mine = append(d.Mine, c)
			continue
		}
		d.Open = append(d.Open, c)
	}
	sort.SliceStable(d.Open, func(i, j int) bool { return d.Open[i].DistanceM < d.Open[j].DistanceM })
	if len(d.Open) > maxDeskShow {
		d.Open = d.Open[:maxDeskShow]
	}
	return d, nil
}

// handleDeskAction serves POST /me/orders/{id} (form: action accept|decline|start|finish,
// hours): a volunteer's step on an order from their page; 303 back to /me.
func (s *Server) handleDeskAction(w http.ResponseWriter, r *http.Request) {
	noStore(w)
	if !s.requirePage(w, r) {
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, 8<<10)
	if err := r.ParseForm(); err != nil {
		s.pageError(w, r, civmap.FieldErrorf("action", "表单内容过长或格式错误"))
		return
	}
	id, err := strconv.ParseInt(mux.Vars(r)["id"], 10, 64)
	if err != nil {
		s.pageError(w, r, civmap.FieldErrorf("id", "编号无效"))
		return
	}
	req := transitionRequest{Action: workflow.Action(r.PostForm.Get("action"))}
	switch req.Action {
	case workflow.Accept, workflow.Decline, workflow.Start, workflow.Finish:
	default:
		s.pageError(w, r, civmap.FieldErrorf("action", "操作无效"))
		return
	}
	if h := strings.TrimSpace(r.PostForm.Get("hours")); h != "" {
		if req.Hours, err = strconv.ParseFloat(h, 64); err != nil {
			s.pageError(w, r, civmap.FieldErrorf("hours", "服务时长应为数字（小时）"))
			return
		}
	}
	if _, _, err := s.transition(r, id, req); err != nil {
		s.pageError(w, r, err)
		return
	}
	s.kick()
	http.Redirect(w, r, "/me?done="+string(req.Action)+"#orders", http.StatusSeeOther)
}

// handleDutyForm serves POST /me/duty (form: on_duty 1|0): a volunteer switches "on duty now"
// (they then count as available whatever their weekly windows say).
func (s *Server) handleDutyForm(w http.ResponseWriter, r *http.Request) {
	noStore(w)
	if !s.requirePage(w, r) {
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, 1<<10)
	if err := r.ParseForm(); err != nil {
		s.pageError(w, r, civmap.FieldErrorf("on_duty", "表单格式错误"))
		return
	}
	v, err := s.cfg.Store.VolunteerByUser(r.Context(), who(r).user.ID)
	if err == nil {
		v.OnDuty = r.PostForm.Get("on_duty") == "1"
		_, err = s.putVolunteer(r, v)
	}
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	http.Redirect(w, r, "/me#duty", http.StatusSeeOther)
}
