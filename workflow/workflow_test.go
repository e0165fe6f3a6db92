package workflow_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"civmap"
	"civmap/workflow"
)

var t0 = time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)

const post, town = "430682001001", "430682001"

// needIn returns a need at post in status s, with an order for slots places dispatched to the
// team (mode open for dispatched/accepted), and the assignments that status implies.
func needIn(s civmap.NeedStatus, slots int) workflow.State {
	n := civmap.Need{ID: 7, Category: "卫生健康", SiteCode: post, Queue: post, Status: s, Version: 3, CreatedAt: t0, UpdatedAt: t0}
	st := workflow.State{Need: n}
	if s == civmap.NeedSubmitted || s == civmap.NeedRejected {
		return st
	}
	st.Need.Order = civmap.Order{Skill: "卫生健康", Slots: slots, Start: t0.Add(time.Hour), End: t0.Add(3 * time.Hour), Urgency: civmap.UrgencyNormal}
	if s == civmap.NeedOrdered {
		return st
	}
	st.Need.Order.Mode, st.Need.Order.DispatchedAt = civmap.DispatchOpen, t0
	switch s {
	case civmap.NeedAccepted:
		for i := 0; i < slots; i++ {
			st.Assignments = append(st.Assignments, civmap.Assignment{NeedID: 7, VolunteerID: int64(100 + i), State: civmap.AssignAccepted})
		}
	case civmap.NeedInService:
		st.Assignments = []civmap.Assignment{{NeedID: 7, VolunteerID: 100, State: civmap.AssignStarted}}
	case civmap.NeedDone, civmap.NeedRated:
		st.Assignments = []civmap.Assignment{{NeedID: 7, VolunteerID: 100, State: civmap.AssignDone, Hours: 2}}
	}
	return st
}

func staff(role civmap.Role) workflow.Actor {
	return workflow.Actor{Kind: workflow.Staff, User: &civmap.User{ID: 1, Role: role, Scope: town}}
}

func volunteer(id int64) workflow.Actor {
	return workflow.Actor{Kind: workflow.Volunteer, User: &civmap.User{ID: 50 + id, Role: civmap.RoleVolunteer},
		Volunteer: &civmap.Volunteer{ID: id, Active: true, Skills: []civmap.Skill{"卫生健康"}, MaxOpen: 2, Teams: []int64{9}},
		Chain:     []string{post, town, "430682"}}
}

// request is a valid request for action a by actor (its parameters filled in).
func request(a workflow.Action, actor workflow.Actor) workflow.Request {
	r := workflow.Request{Action: a, Actor: actor, Now: t0.Add(10 * time.Minute)}
	switch a {
	case workflow.Order:
		r.Start, r.End, r.Slots = t0.Add(time.Hour), t0.Add(2*time.Hour), 1
	case workflow.Reject:
		r.Reason = "不属于服务范围"
	case workflow.Dispatch:
		r.Mode = civmap.DispatchOpen
	case workflow.Finish:
		r.Hours = 1.5
	case workflow.Rate:
		r.Rating = 4
	case workflow.Cancel:
		r.Reason = "已解决"
	case workflow.Escalate:
		r.Queue = town
	}
	return r
}

// TestEveryTransition walks every action × every status × every kind of actor (and staff
// role): each is allowed or refused with the right error, and a refusal returns nothing.
func TestEveryTransition(t *testing.T) {
	actors := map[string]workflow.Actor{
		"admin": staff(civmap.RoleAdmin), "station": staff(civmap.RoleStation), "post": staff(civmap.RolePost),
		"leader": staff(civmap.RoleTeamLeader), "viewer": staff(civmap.RoleViewer),
		"volunteer-holding": volunteer(100), "volunteer-free": volunteer(200),
		"resident": {Kind: workflow.Resident}, "system": {Kind: workflow.System},
	}
	// allowed[action] lists the actors that may make it from a status where it is allowed.
	allowed := map[workflow.Action][]string{
		workflow.Order:    {"admin", "station", "post"},
		workflow.Reject:   {"admin", "station"},
		workflow.Dispatch: {"admin", "station", "post"},
		workflow.Accept:   {"volunteer-free", "volunteer-holding"}, // nobody holds a place while dispatched
		workflow.Decline:  {"volunteer-holding"},
		workflow.Start:    {"volunteer-holding"},
		workflow.Finish:   {"volunteer-holding"},
		workflow.Rate:     {"resident"},
		workflow.Cancel:   {"admin", "station", "post", "resident"},
		workflow.Escalate: {"system"},
	}
	// next[action][from] is the status after a successful transition (slots = 2 for accept so a
	// free place remains; 1 otherwise).
	next := map[workflow.Action]map[civmap.NeedStatus]civmap.NeedStatus{
		workflow.Order:    {civmap.NeedSubmitted: civmap.NeedOrdered},
		workflow.Reject:   {civmap.NeedSubmitted: civmap.NeedRejected, civmap.NeedOrdered: civmap.NeedRejected},
		workflow.Dispatch: {civmap.NeedOrdered: civmap.NeedDispatched, civmap.NeedDispatched: civmap.NeedDispatched, civmap.NeedAccepted: civmap.NeedAccepted},
		workflow.Accept:   {civmap.NeedDispatched: civmap.NeedDispatched},
		workflow.Decline:  {civmap.NeedAccepted: civmap.NeedDispatched},
		workflow.Start:    {civmap.NeedAccepted: civmap.NeedInService, civmap.NeedInService: civmap.NeedInService},
		workflow.Finish:   {civmap.NeedInService: civmap.NeedDone},
		workflow.Rate:     {civmap.NeedDone: civmap.NeedRated},
		workflow.Cancel: {civmap.NeedSubmitted: civmap.NeedCancelled, civmap.NeedOrdered: civmap.NeedCancelled, civmap.NeedDispatched: civmap.NeedCancelled,
			civmap.NeedAccepted: civmap.NeedCancelled, civmap.NeedInService: civmap.NeedCancelled},
		workflow.Escalate: {civmap.NeedSubmitted: civmap.NeedSubmitted, civmap.NeedOrdered: civmap.NeedOrdered, civmap.NeedDispatched: civmap.NeedDispatched},
	}
	n := 0
	for _, a := range workflow.Actions {
		for _, s := range civmap.NeedStatuses {
			for name, actor := range actors {
				slots := 1
				if a == workflow.Accept || (a == workflow.Decline && s == civmap.NeedAccepted) {
					slots = 2
				}
				st := needIn(s, slots)
				if a == workflow.Decline && s == civmap.NeedAccepted {
					st.Assignments = st.Assignments[:2] // 100 and 101 hold both places
				}
				if a == workflow.Start && s == civmap.NeedInService {
					st.Assignments = append(st.Assignments, civmap.Assignment{NeedID: 7, VolunteerID: 100, State: civmap.AssignAccepted})[1:]
				}
				res, err := workflow.Apply(st, request(a, actor))
				want, statusOK := next[a][s]
				roleOK := slices.Contains(allowed[a], name)
				n++
				switch {
				case roleOK && statusOK && !(name == "resident" && s == civmap.NeedInService):
					if err != nil {
						t.Errorf("%s from %s by %s: %v; want → %s", a, s, name, err, want)
						continue
					}
					if res.Need.Status != want || res.Need.Version != 4 || res.Event.From != s || res.Event.To != want || res.Event.Action != string(a) {
						t.Errorf("%s from %s by %s: → %s (v%d, event %s→%s), want → %s", a, s, name, res.Need.Status, res.Need.Version, res.Event.From, res.Event.To, want)
					}
				case err == nil:
					t.Errorf("%s from %s by %s: allowed (→ %s), want refused", a, s, name, res.Need.Status)
				case !workflow.Allowed(a, s) && checkable(name, a):
					// The status is checked after who may act: a permitted actor meets a conflict.
					if civmap.ErrorCode(err) != civmap.ECONFLICT || civmap.ErrorField(err) != "status" || !strings.Contains(civmap.ErrorMessage(err), string(s)) {
						t.Errorf("%s from %s by %s: %v; want a conflict naming the status", a, s, name, err)
					}
				default:
					if c := civmap.ErrorCode(err); c != civmap.EFORBIDDEN && c != civmap.ECONFLICT {
						t.Errorf("%s from %s by %s: %v; want forbidden or conflict", a, s, name, err)
					}
				}
				if err != nil && (res.Need.ID != 0 || res.Notify != nil) {
					t.Errorf("%s from %s by %s: a refusal returned a result", a, s, name)
				}
			}
		}
	}
	if n != len(workflow.Actions)*len(civmap.NeedStatuses)*len(actors) {
		t.Fatalf("walked %d cases", n)
	}
}

// checkable reports whether actor name passes the actor check for action a (so a wrong status
// is what refuses it).
func checkable(name string, a workflow.Action) bool {
	switch name {
	case "admin", "station":
		return slices.Contains(workflow.StaffRoles(a), civmap.RoleAdmin)
	case "post":
		return slices.Contains(workflow.StaffRoles(a), civmap.RolePost)
	case "volunteer-holding", "volunteer-free":
		return a == workflow.Accept || a == workflow.Decline || a == workflow.Start || a == workflow.Finish
	case "resident":
		return a == workflow.Rate || a == workflow.Cancel
	case "system":
		return a == workflow.Escalate
	}
	return false
}

func TestNamedIllegalTransitions(t *testing.T) {
	for _, c := range []struct {
		name   string
		status civmap.NeedStatus
		r      workflow.Request
	}{
		{"rate before done", civmap.NeedInService, request(workflow.Rate, workflow.Actor{Kind: workflow.Resident})},
		{"accept a cancelled order", civmap.NeedCancelled, request(workflow.Accept, volunteer(200))},
		{"dispatch a rejected need", civmap.NeedRejected, request(workflow.Dispatch, staff(civmap.RoleStation))},
		{"order twice", civmap.NeedOrdered, request(workflow.Order, staff(civmap.RoleStation))},
		{"finish before start", civmap.NeedAccepted, func() workflow.Request { r := request(workflow.Finish, volunteer(100)); return r }()},
	} {
		_, err := workflow.Apply(needIn(c.status, 1), c.r)
		if civmap.ErrorCode(err) != civmap.ECONFLICT || civmap.ErrorField(err) != "status" {
			t.Errorf("%s: %v; want 409 naming the status", c.name, err)
		}
		if !strings.Contains(civmap.ErrorMessage(err), string(c.status)) && c.name != "finish before start" {
			t.Errorf("%s: message %q does not name %s", c.name, civmap.ErrorMessage(err), c.status)
		}
	}
}

func TestAcceptRules(t *testing.T) {
	st := needIn(civmap.NeedDispatched, 1)
	// Skill, limit, activity, scope.
	noSkill := volunteer(201)
	noSkill.Volunteer.Skills = []civmap.Skill{"文化艺术"}
	full := volunteer(202)
	full.Volunteer.OpenOrders = 2
	inactive := volunteer(203)
	inactive.Volunteer.Active = false
	elsewhere := volunteer(204)
	elsewhere.Chain = []string{"430682003001", "430682003", "430682"}
	for name, a := range map[string]workflow.Actor{"no skill": noSkill, "at the limit": full, "inactive": inactive, "other town": elsewhere} {
		if _, err := workflow.Apply(st, request(workflow.Accept, a)); civmap.ErrorCode(err) != civmap.EFORBIDDEN {
			t.Errorf("accept %s: %v; want forbidden", name, err)
		}
	}
	// Filling the last place accepts the order and counts the open order.
	res, err := workflow.Apply(st, request(workflow.Accept, volunteer(205)))
	if err != nil || res.Need.Status != civmap.NeedAccepted || res.OpenDelta[205] != 1 || len(res.Assignments) != 1 {
		t.Fatalf("accept: %+v, %v", res, err)
	}
	// A later volunteer: 409.
	if _, err := workflow.Apply(workflow.State{Need: res.Need, Assignments: res.Assignments}, request(workflow.Accept, volunteer(206))); civmap.ErrorCode(err) != civmap.ECONFLICT {
		t.Errorf("accept a full order: %v", err)
	}
	// Offered to named volunteers: only they may take it.
	offered := needIn(civmap.NeedDispatched, 1)
	offered.Need.Order.Mode, offered.Need.Order.Offered = civmap.DispatchVolunteers, []int64{300}
	if _, err := workflow.Apply(offered, request(workflow.Accept, volunteer(301))); civmap.ErrorCode(err) != civmap.EFORBIDDEN {
		t.Errorf("accept an order offered to someone else: %v", err)
	}
	if _, err := workflow.Apply(offered, request(workflow.Accept, volunteer(300))); err != nil {
		t.Errorf("accept an order offered to me: %v", err)
	}
	// To a team: its members.
	team := needIn(civmap.NeedDispatched, 1)
	team.Need.Order.Mode, team.Need.Order.TeamID = civmap.DispatchTeam, 9
	other := volunteer(302)
	other.Volunteer.Teams = []int64{8}
	if _, err := workflow.Apply(team, request(workflow.Accept, other)); civmap.ErrorCode(err) != civmap.EFORBIDDEN {
		t.Errorf("accept another team's order: %v", err)
	}
	if _, err := workflow.Apply(team, request(workflow.Accept, volunteer(303))); err != nil {
		t.Errorf("accept my team's order: %v", err)
	}
}

func TestRedispatchAndNotifications(t *testing.T) {
	st := needIn(civmap.NeedAccepted, 2) // 100 and 101 hold the places
	r := request(workflow.Dispatch, staff(civmap.RolePost))
	r.Mode, r.Volunteers = civmap.DispatchVolunteers, []int64{101, 102, 102}
	res, err := workflow.Apply(st, r)
	if err != nil {
		t.Fatal(err)
	}
	if res.Need.Status != civmap.NeedDispatched || fmt.Sprint(res.Need.Order.Offered) != "[101 102]" || res.OpenDelta[100] != -1 || res.OpenDelta[101] != 0 {
		t.Errorf("re-dispatch: %s %v %v", res.Need.Status, res.Need.Order.Offered, res.OpenDelta)
	}
	var to []string
	for _, m := range res.Notify {
		to = append(to, m.Recipient)
		if m.Payload["need_id"] != int64(7) || m.Payload["status"] != "dispatched" || m.Payload["type"] != "dispatch" {
			t.Errorf("payload %v", m.Payload)
		}
	}
	slices.Sort(to)
	if fmt.Sprint(to) != "[resident volunteer:100 volunteer:101 volunteer:102]" {
		t.Errorf("told %v", to)
	}
	// A started order cannot be re-dispatched.
	if _, err := workflow.Apply(needIn(civmap.NeedInService, 1), request(workflow.Dispatch, staff(civmap.RoleStation))); civmap.ErrorCode(err) != civmap.ECONFLICT {
		t.Errorf("re-dispatch in service: %v", err)
	}
}

func TestParameters(t *testing.T) {
	sub := needIn(civmap.NeedSubmitted, 1)
	for field, mod := range map[string]func(*workflow.Request){
		"slots":   func(r *workflow.Request) { r.Slots = civmap.MaxSlots + 1 },
		"end":     func(r *workflow.Request) { r.End = r.Start },
		"start":   func(r *workflow.Request) { r.Start = time.Time{} },
		"skill":   func(r *workflow.Request) { r.Skill = "飞行" },
		"urgency": func(r *workflow.Request) { r.Urgency = "now" },
	} {
		r := request(workflow.Order, staff(civmap.RoleStation))
		mod(&r)
		if _, err := workflow.Apply(sub, r); civmap.ErrorField(err) != field {
			t.Errorf("order with a bad %s: %v", field, err)
		}
	}
	res, err := workflow.Apply(sub, request(workflow.Order, staff(civmap.RoleAdmin)))
	if err != nil || res.Need.Order.Skill != "卫生健康" || res.Need.Order.Urgency != civmap.UrgencyNormal {
		t.Errorf("order defaults: %+v, %v", res.Need.Order, err)
	}
	rej := request(workflow.Reject, staff(civmap.RoleStation))
	rej.Reason = " "
	if _, err := workflow.Apply(sub, rej); civmap.ErrorField(err) != "reason" {
		t.Errorf("reject without a reason: %v", err)
	}
	can := request(workflow.Cancel, staff(civmap.RolePost))
	can.Reason = ""
	if _, err := workflow.Apply(sub, can); civmap.ErrorField(err) != "reason" {
		t.Errorf("staff cancel without a reason: %v", err)
	}
	res, err = workflow.Apply(sub, workflow.Request{Action: workflow.Cancel, Actor: workflow.Actor{Kind: workflow.Resident}, Now: t0})
	if err != nil || res.Need.Status != civmap.NeedCancelled || !res.Need.ClosedAt.Equal(t0) {
		t.Errorf("resident cancel without a reason: %+v, %v", res.Need, err)
	}
	fin := request(workflow.Finish, volunteer(100))
	for _, h := range []float64{0, -1, 30} {
		fin.Hours = h
		if _, err := workflow.Apply(needIn(civmap.NeedInService, 1), fin); civmap.ErrorField(err) != "hours" {
			t.Errorf("finish with %v hours: %v", h, err)
		}
	}
	rate := request(workflow.Rate, workflow.Actor{Kind: workflow.Resident})
	for _, v := range []int{0, 6} {
		rate.Rating = v
		if _, err := workflow.Apply(needIn(civmap.NeedDone, 1), rate); civmap.ErrorField(err) != "rating" {
			t.Errorf("rating %d: %v", v, err)
		}
	}
	if _, err := workflow.Apply(sub, workflow.Request{Action: workflow.Order, Actor: staff(civmap.RoleAdmin)}); err == nil {
		t.Error("a request without a time was applied")
	}
}

func TestEscalation(t *testing.T) {
	n := needIn(civmap.NeedOrdered, 1).Need
	if workflow.EscalationDue(n, t0.Add(29*time.Minute), 30*time.Minute) || !workflow.EscalationDue(n, t0.Add(30*time.Minute), 30*time.Minute) {
		t.Error("an ordered need escalates at 30 minutes")
	}
	res, err := workflow.Apply(needIn(civmap.NeedDispatched, 1), request(workflow.Escalate, workflow.Actor{Kind: workflow.System}))
	if err != nil || res.Need.Queue != town || res.Event.Note != post+" → "+town || len(res.Notify) != 1 || res.Notify[0].Recipient != "site:"+town {
		t.Fatalf("escalate: %+v, %v", res, err)
	}
	if workflow.EscalationDue(res.Need, res.Need.UpdatedAt.Add(29*time.Minute), 30*time.Minute) {
		t.Error("an escalated need is due again before its new period")
	}
	if workflow.EscalationDue(needIn(civmap.NeedAccepted, 1).Need, t0.Add(time.Hour), time.Minute) {
		t.Error("an accepted need escalates")
	}
}
