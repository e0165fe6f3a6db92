// Package workflow is the service workflow of a resident's need as one state machine:
// 点单 submitted → 制单 ordered (or rejected) → 派单 dispatched → 接单 accepted → in service →
// done → 评单 rated, with cancellation by the resident (before service) or by staff (with a
// reason), and escalation to the parent site's queue when nobody takes an order in time
// (docs/DOMAIN.md "The service workflow"; the dispatch issue, #9).
//
// It is pure: Apply takes a need's state and a request and returns the new state, the history
// event, who must be told, and how volunteers' open-order counts change — or an error that
// changes nothing. Both stores call it inside their transaction, with the need (and the acting
// volunteer) read and locked there, so two transitions of one need are serialised and the
// machine is the same everywhere. Scope (which staff may touch which need) is decided before,
// by auth.Authorize on the need's queue; the roles and conditions of each transition are here.
package workflow

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"civmap"
)

// Action names a transition.
type Action string

const (
	Submit   Action = "submit"   // 点单: a need is created (see Submitted; not through Apply)
	Order    Action = "order"    // 制单: staff fix skill, places, time window and urgency
	Reject   Action = "reject"   // staff turn it down, with a reason the resident sees
	Dispatch Action = "dispatch" // 派单 (and re-dispatch): to named volunteers, a team, or open to grab
	Accept   Action = "accept"   // 接单: a volunteer takes a place
	Decline  Action = "decline"  // a volunteer gives a place back, or turns an offer down
	Start    Action = "start"    // a volunteer starts serving
	Finish   Action = "finish"   // a volunteer reports it done, with hours
	Rate     Action = "rate"     // 评单: the resident rates it, 1–5, with a comment
	Cancel   Action = "cancel"   // the resident (before service) or staff (with a reason)
	Escalate Action = "escalate" // the system: not taken in time, the parent site's queue takes it
)

// Actions lists the actions Apply takes.
var Actions = []Action{Order, Reject, Dispatch, Accept, Decline, Start, Finish, Rate, Cancel, Escalate}

// ActorKind says who asks for a transition.
type ActorKind string

const (
	Staff     ActorKind = "staff"     // a signed-in admin, station or post user (scope checked by the caller)
	Volunteer ActorKind = "volunteer" // a signed-in volunteer with a volunteer record
	Resident  ActorKind = "resident"  // whoever holds the need's receipt
	System    ActorKind = "system"    // the escalation timer
)

// Actor is who asks.
type Actor struct {
	Kind      ActorKind
	User      *civmap.User      // Staff, and the Volunteer's account
	Volunteer *civmap.Volunteer // Volunteer: their record, as read in the transaction
	// Chain is the Volunteer's base site chain (store.Sites.SiteChain): an open order may be
	// grabbed by volunteers whose chain passes through the need's queue site.
	Chain []string
}

// Request asks for one transition. Only the fields of its action are read.
type Request struct {
	Action Action
	Actor  Actor
	Now    time.Time

	// Order: what the order needs. Skill defaults to the category's; Slots to 1; Urgency to
	// normal; Start and End are required.
	Skill      civmap.Skill
	Slots      int
	Start, End time.Time
	Urgency    civmap.Urgency

	// Dispatch: how. Volunteers for DispatchVolunteers (those that already hold a place keep
	// it); TeamID and TeamName for DispatchTeam; nothing more for DispatchOpen.
	Mode       civmap.DispatchMode
	Volunteers []int64
	TeamID     int64
	TeamName   string

	Reason  string  // Reject, and Cancel by staff: required; by the resident: optional
	Hours   float64 // Finish: service hours, > 0 and at most the order's span plus a day
	Rating  int     // Rate: 1–5
	Comment string  // Rate: optional
	Queue   string  // Escalate: the new queue, the parent of the current one
	// Team is the team the acting volunteer serves with, as the resident will read it (the
	// dispatched team, or one of theirs); "" for none.
	Team string
}

// State is a need as stored, with its assignments.
type State struct {
	Need        civmap.Need
	Assignments []civmap.Assignment
}

// Message is a notification to write to the outbox: the store turns it into a
// civmap.Notification keyed by the event's id and the recipient.
type Message struct {
	Recipient string         // "site:{code}", "volunteer:{id}", "team:{id}", "open:{code}" or "resident"
	Payload   map[string]any // what the recipient may see: never a resident's text or phone, nor a volunteer's name
}

// Result is what a transition does.
type Result struct {
	Need        civmap.Need
	Assignments []civmap.Assignment // the need's assignments after it (all of them)
	Event       civmap.NeedEvent    // to append to the history (ID and NeedID set by the store)
	Notify      []Message
	// OpenDelta changes volunteers' OpenOrders: +1 for a place taken, −1 for one given back or
	// finished.
	OpenDelta map[int64]int
}

// Limits of requests.
const (
	MaxReasonChars  = 200
	MaxCommentChars = 500
	// MaxHoursSlack is how far reported hours may exceed the order's time window.
	MaxHoursSlack = 24 * time.Hour
)

// staffRoles says which staff roles may make each staff transition. The plan's 中心制单 has the
// center make orders; here every dispatcher in scope may (a post orders and dispatches its own
// village's needs, as the dispatch issue's console scenario has it), while turning a need down
// is kept for center and station staff. 所（站）派单: stations and posts dispatch.
var staffRoles = map[Action][]civmap.Role{
	Order:    {civmap.RoleAdmin, civmap.RoleStation, civmap.RolePost},
	Reject:   {civmap.RoleAdmin, civmap.RoleStation},
	Dispatch: {civmap.RoleAdmin, civmap.RoleStation, civmap.RolePost},
	Cancel:   {civmap.RoleAdmin, civmap.RoleStation, civmap.RolePost},
}

// from lists the statuses each action may leave.
var from = map[Action][]civmap.NeedStatus{
	Order:    {civmap.NeedSubmitted},
	Reject:   {civmap.NeedSubmitted, civmap.NeedOrdered},
	Dispatch: {civmap.NeedOrdered, civmap.NeedDispatched, civmap.NeedAccepted},
	Accept:   {civmap.NeedDispatched},
	Decline:  {civmap.NeedDispatched, civmap.NeedAccepted},
	Start:    {civmap.NeedAccepted, civmap.NeedInService},
	Finish:   {civmap.NeedInService},
	Rate:     {civmap.NeedDone},
	Cancel:   {civmap.NeedSubmitted, civmap.NeedOrdered, civmap.NeedDispatched, civmap.NeedAccepted, civmap.NeedInService},
	Escalate: {civmap.NeedSubmitted, civmap.NeedOrdered, civmap.NeedDispatched},
}

// StaffRoles returns the staff roles that may make action (nil for actions staff never make).
func StaffRoles(a Action) []civmap.Role { return staffRoles[a] }

// Allowed reports whether action a may leave status s (whoever asks).
func Allowed(a Action, s civmap.NeedStatus) bool { return slices.Contains(from[a], s) }

// conflict is the 409 for an action the need's status does not allow, naming the status.
func conflict(a Action, s civmap.NeedStatus) error {
	return &civmap.Error{Code: civmap.ECONFLICT, Field: "status",
		Message: fmt.Sprintf("当前状态为“%s”（%s），不能%s", s.Title(), s, actionTitle(a))}
}

func forbidden(msg string) error { return &civmap.Error{Code: civmap.EFORBIDDEN, Message: msg} }

func actionTitle(a Action) string {
	switch a {
	case Order:
		return "制单"
	case Reject:
		return "拒绝"
	case Dispatch:
		return "派单"
	case Accept:
		return "接单"
	case Decline:
		return "退单"
	case Start:
		return "开始服务"
	case Finish:
		return "完成服务"
	case Rate:
		return "评价"
	case Cancel:
		return "取消"
	case Escalate:
		return "上报上级"
	}
	return string(a)
}

// Apply makes the transition r on state s. Errors change nothing:
//   - EFORBIDDEN when the actor may not make it (wrong role, a volunteer it was not offered to,
//     a volunteer without the skill or over their open-order limit, the resident after service);
//   - ECONFLICT naming the current status (field "status") when the status does not allow it:
//     rate before done, accept a cancelled order, dispatch a rejected need, accept an order
//     whose places are all taken;
//   - EINVALID naming the field for bad parameters.
func Apply(s State, r Request) (Result, error) {
	n := s.Need
	if r.Now.IsZero() {
		return Result{}, fmt.Errorf("workflow: request without a time")
	}
	if err := checkActor(r); err != nil {
		return Result{}, err
	}
	if !Allowed(r.Action, n.Status) {
		return Result{}, conflict(r.Action, n.Status)
	}
	t := &transition{s: s, r: r, need: n, as: slices.Clone(s.Assignments), delta: map[int64]int{}}
	var err error
	switch r.Action {
	case Order:
		err = t.order()
	case Reject:
		err = t.reject()
	case Dispatch:
		err = t.dispatch()
	case Accept:
		err = t.accept()
	case Decline:
		err = t.decline()
	case Start:
		err = t.start()
	case Finish:
		err = t.finish()
	case Rate:
		err = t.rate()
	case Cancel:
		err = t.cancel()
	case Escalate:
		err = t.escalate()
	default:
		err = civmap.FieldErrorf("action", "unknown action %q", r.Action)
	}
	if err != nil {
		return Result{}, err
	}
	return t.result(), nil
}

// checkActor checks who may ask for r.Action at all.
func checkActor(r Request) error {
	switch r.Actor.Kind {
	case Staff:
		if r.Actor.User == nil {
			return forbidden("请先登录")
		}
		if !slices.Contains(staffRoles[r.Action], r.Actor.User.Role) {
			return forbidden(fmt.Sprintf("%s不能%s", r.Actor.User.Role.Title(), actionTitle(r.Action)))
		}
	case Volunteer:
		if r.Actor.Volunteer == nil {
			return forbidden("该账号没有志愿者登记信息")
		}
		if !slices.Contains([]Action{Accept, Decline, Start, Finish}, r.Action) {
			return forbidden("志愿者不能" + actionTitle(r.Action))
		}
	case Resident:
		if r.Action != Cancel && r.Action != Rate {
			return forbidden("群众只能取消或评价自己的点单")
		}
	case System:
		if r.Action != Escalate {
			return forbidden("system actions are escalations only")
		}
	default:
		return forbidden("unknown actor")
	}
	return nil
}

// transition is one Apply in progress.
type transition struct {
	s      State
	r      Request
	need   civmap.Need
	as     []civmap.Assignment
	delta  map[int64]int
	event  civmap.NeedEvent
	notify []Message
}

func (t *transition) result() Result {
	n := t.need
	n.Version = t.s.Need.Version + 1
	n.UpdatedAt = t.r.Now
	if n.Status.Closed() && n.ClosedAt.IsZero() {
		n.ClosedAt = t.r.Now
	}
	ev := t.event
	ev.At, ev.Action, ev.From, ev.To = t.r.Now, string(t.r.Action), t.s.Need.Status, n.Status
	if u := t.r.Actor.User; u != nil {
		ev.ActorRole, ev.ActorID = u.Role, u.ID
	}
	if v := t.r.Actor.Volunteer; v != nil && ev.VolunteerID == 0 {
		ev.VolunteerID = v.ID
	}
	delta := map[int64]int{}
	for id, d := range t.delta {
		if d != 0 {
			delta[id] = d
		}
	}
	for i := range t.notify {
		p := t.notify[i].Payload
		p["type"], p["need_id"], p["status"], p["status_title"] = string(t.r.Action), n.ID, string(n.Status), n.Status.Title()
		p["category"], p["site_code"], p["queue"] = string(n.Category), n.SiteCode, n.Queue
	}
	return Result{Need: n, Assignments: t.as, Event: ev, Notify: t.notify, OpenDelta: delta}
}

func (t *transition) tell(recipient string, extra map[string]any) {
	p := map[string]any{}
	for k, v := range extra {
		p[k] = v
	}
	t.notify = append(t.notify, Message{Recipient: recipient, Payload: p})
}

func siteRecipient(code string) string { return "site:" + code }

func volunteerRecipient(id int64) string { return fmt.Sprintf("volunteer:%d", id) }

// text checks a free-text parameter.
func text(field, s string, max int, required bool) error {
	switch {
	case !utf8.ValidString(s) || strings.ContainsRune(s, 0):
		return civmap.FieldErrorf(field, "%s holds invalid characters", field)
	case required && strings.TrimSpace(s) == "":
		return civmap.FieldErrorf(field, "%s is required", field)
	case utf8.RuneCountInString(s) > max:
		return civmap.FieldErrorf(field, "%s has more than %d characters", field, max)
	}
	for _, r := range s {
		if r < 0x20 && r != '\n' && r != '\r' && r != '\t' {
			return civmap.FieldErrorf(field, "%s holds the control character U+%04X", field, r)
		}
	}
	return nil
}

func (t *transition) order() error {
	r := t.r
	o := t.need.Order
	o.Skill, o.Slots, o.Start, o.End, o.Urgency = r.Skill, r.Slots, r.Start.UTC(), r.End.UTC(), r.Urgency
	if o.Skill == "" {
		o.Skill = t.need.Category.Skill()
	}
	if o.Slots == 0 {
		o.Slots = 1
	}
	if o.Urgency == "" {
		o.Urgency = civmap.UrgencyNormal
	}
	switch {
	case o.Skill != "" && !o.Skill.Valid():
		return civmap.FieldErrorf("skill", "unknown skill %q", o.Skill)
	case o.Slots < 1 || o.Slots > civmap.MaxSlots:
		return civmap.FieldErrorf("slots", "slots must be 1–%d volunteers", civmap.MaxSlots)
	case r.Start.IsZero():
		return civmap.FieldErrorf("start", "start is required")
	case r.End.IsZero() || !r.End.After(r.Start):
		return civmap.FieldErrorf("end", "end must be after start")
	case r.End.Sub(r.Start) > 31*24*time.Hour:
		return civmap.FieldErrorf("end", "an order's time window is at most 31 days")
	case o.Urgency != civmap.UrgencyNormal && o.Urgency != civmap.UrgencyUrgent:
		return civmap.FieldErrorf("urgency", "urgency is normal or urgent")
	}
	t.need.Order, t.need.Status = o, civmap.NeedOrdered
	t.tell("resident", nil)
	t.tell(siteRecipient(t.need.Queue), nil)
	return nil
}

func (t *transition) reject() error {
	if err := text("reason", t.r.Reason, MaxReasonChars, true); err != nil {
		return err
	}
	t.need.Status, t.need.Reason = civmap.NeedRejected, strings.TrimSpace(t.r.Reason)
	t.event.Note = t.need.Reason
	t.tell("resident", map[string]any{"reason": t.need.Reason})
	return nil
}

// holding returns the assignments that hold a place (accepted or started).
func (t *transition) holding() []int {
	var out []int
	for i, a := range t.as {
		if a.State.Open() {
			out = append(out, i)
		}
	}
	return out
}

func (t *transition) find(volunteer int64) int {
	for i, a := range t.as {
		if a.VolunteerID == volunteer {
			return i
		}
	}
	return -1
}

// release gives assignment i's place back (declined), for the volunteer's open count.
func (t *transition) release(i int) {
	if t.as[i].State.Open() {
		t.delta[t.as[i].VolunteerID]--
	}
	t.as[i].State = civmap.AssignDeclined
}

func (t *transition) dispatch() error {
	r, o := t.r, t.need.Order
	if t.need.Status == civmap.NeedAccepted || t.need.Status == civmap.NeedDispatched {
		for _, i := range t.holding() {
			if t.as[i].State == civmap.AssignStarted {
				return conflict(Dispatch, civmap.NeedInService)
			}
		}
	}
	o.Mode, o.TeamID, o.Offered = r.Mode, 0, nil
	switch r.Mode {
	case civmap.DispatchVolunteers:
		ids := slices.Clone(r.Volunteers)
		slices.Sort(ids)
		ids = slices.Compact(ids)
		if len(ids) == 0 || len(ids) > 100 {
			return civmap.FieldErrorf("volunteers", "name 1–100 volunteers to offer the order to")
		}
		o.Offered = ids
	case civmap.DispatchTeam:
		if r.TeamID <= 0 {
			return civmap.FieldErrorf("team_id", "team_id is required to dispatch to a team")
		}
		o.TeamID = r.TeamID
	case civmap.DispatchOpen:
	default:
		return civmap.FieldErrorf("mode", "mode is volunteers, team or open")
	}
	// Re-dispatch: volunteers holding a place keep it when they are still offered it (or the
	// order is open or goes to their team); everyone else's place is given back.
	for _, i := range t.holding() {
		if o.Mode == civmap.DispatchVolunteers && !slices.Contains(o.Offered, t.as[i].VolunteerID) {
			t.tell(volunteerRecipient(t.as[i].VolunteerID), map[string]any{"withdrawn": true})
			t.release(i)
		}
	}
	o.DispatchedAt = r.Now
	t.need.Order = o
	t.need.Status = civmap.NeedDispatched
	if len(t.holding()) >= o.Slots {
		t.need.Status = civmap.NeedAccepted
	}
	switch o.Mode {
	case civmap.DispatchVolunteers:
		for _, id := range o.Offered {
			t.tell(volunteerRecipient(id), map[string]any{"offered": true})
		}
	case civmap.DispatchTeam:
		t.event.Team = r.TeamName
		t.tell(fmt.Sprintf("team:%d", o.TeamID), map[string]any{"team": r.TeamName})
	case civmap.DispatchOpen:
		t.tell("open:"+t.need.Queue, map[string]any{"skill": string(o.Skill)})
	}
	t.tell("resident", map[string]any{"team": r.TeamName})
	return nil
}

// mayTake reports why the acting volunteer may not take a place in the order.
func (t *transition) mayTake(v *civmap.Volunteer) error { return CanTake(t.need, v, t.r.Actor.Chain) }

// CanTake reports why volunteer v (based at a site with chain) may not take a place in need n's
// order — nil when they may: active, with the order's skill, under their open-order limit, and
// the order offered to them, dispatched to one of their teams, or open and queued at a site of
// their chain. (It does not look at free places or the status: Apply does.) The volunteer page
// uses it to list the orders a volunteer can grab.
func CanTake(n civmap.Need, v *civmap.Volunteer, chain []string) error {
	o := n.Order
	switch {
	case !v.Active:
		return forbidden("该志愿者已停用")
	case !v.HasSkill(o.Skill):
		return forbidden("该单需要“" + string(o.Skill) + "”专长")
	case v.OpenOrders >= v.MaxOpen:
		return forbidden(fmt.Sprintf("已有 %d 个未完成的单（上限 %d）", v.OpenOrders, v.MaxOpen))
	}
	switch o.Mode {
	case civmap.DispatchVolunteers:
		if !slices.Contains(o.Offered, v.ID) {
			return forbidden("该单没有派给您")
		}
	case civmap.DispatchTeam:
		if !slices.Contains(v.Teams, o.TeamID) {
			return forbidden("该单派给了其他队伍")
		}
	case civmap.DispatchOpen:
		if !slices.Contains(chain, n.Queue) {
			return forbidden("该单不在您所在阵地的范围内")
		}
	default:
		return forbidden("该单尚未派出")
	}
	return nil
}

func (t *transition) accept() error {
	v := t.r.Actor.Volunteer
	i := t.find(v.ID)
	if i >= 0 && t.as[i].State.Open() {
		return &civmap.Error{Code: civmap.ECONFLICT, Field: "status", Message: "您已接此单"}
	}
	if len(t.holding()) >= t.need.Order.Slots {
		return conflict(Accept, civmap.NeedAccepted)
	}
	if err := t.mayTake(v); err != nil {
		return err
	}
	a := civmap.Assignment{NeedID: t.need.ID, VolunteerID: v.ID, State: civmap.AssignAccepted, AcceptedAt: t.r.Now}
	if i >= 0 {
		t.as[i] = a
	} else {
		t.as = append(t.as, a)
	}
	t.delta[v.ID]++
	if len(t.holding()) >= t.need.Order.Slots {
		t.need.Status = civmap.NeedAccepted
		t.tell("resident", map[string]any{"team": t.r.Team})
	}
	t.event.Team = t.r.Team
	t.tell(siteRecipient(t.need.Queue), map[string]any{"volunteer_id": v.ID, "taken": len(t.holding()), "slots": t.need.Order.Slots})
	return nil
}

func (t *transition) decline() error {
	v := t.r.Actor.Volunteer
	i := t.find(v.ID)
	switch {
	case i >= 0 && t.as[i].State == civmap.AssignStarted:
		return &civmap.Error{Code: civmap.ECONFLICT, Field: "status", Message: "已开始服务，不能退单"}
	case i >= 0 && t.as[i].State == civmap.AssignAccepted:
		t.release(i)
	case t.need.Order.Mode == civmap.DispatchVolunteers && slices.Contains(t.need.Order.Offered, v.ID):
		// turning an offer down: recorded, nothing held
		if i < 0 {
			t.as = append(t.as, civmap.Assignment{NeedID: t.need.ID, VolunteerID: v.ID, State: civmap.AssignDeclined})
		}
	default:
		return forbidden("您没有接这个单")
	}
	if len(t.holding()) < t.need.Order.Slots {
		t.need.Status = civmap.NeedDispatched
	}
	t.tell(siteRecipient(t.need.Queue), map[string]any{"volunteer_id": v.ID, "taken": len(t.holding()), "slots": t.need.Order.Slots})
	return nil
}

func (t *transition) start() error {
	v := t.r.Actor.Volunteer
	i := t.find(v.ID)
	if i < 0 || t.as[i].State != civmap.AssignAccepted {
		if i >= 0 && t.as[i].State == civmap.AssignStarted {
			return &civmap.Error{Code: civmap.ECONFLICT, Field: "status", Message: "您已开始服务"}
		}
		return forbidden("您没有接这个单")
	}
	t.as[i].State, t.as[i].StartedAt = civmap.AssignStarted, t.r.Now
	if t.need.Status != civmap.NeedInService {
		t.need.Status = civmap.NeedInService
		t.tell("resident", map[string]any{"team": t.r.Team})
	}
	t.event.Team = t.r.Team
	t.tell(siteRecipient(t.need.Queue), map[string]any{"volunteer_id": v.ID})
	return nil
}

func (t *transition) finish() error {
	v := t.r.Actor.Volunteer
	i := t.find(v.ID)
	if i < 0 || t.as[i].State != civmap.AssignStarted {
		if i >= 0 && t.as[i].State == civmap.AssignAccepted {
			return &civmap.Error{Code: civmap.ECONFLICT, Field: "status", Message: "请先开始服务"}
		}
		return forbidden("您没有在服务这个单")
	}
	h := t.r.Hours
	maxH := (t.need.Order.End.Sub(t.need.Order.Start) + MaxHoursSlack).Hours()
	if math.IsNaN(h) || h <= 0 || h > maxH {
		return civmap.FieldErrorf("hours", "hours must be more than 0 and at most %.0f", maxH)
	}
	t.as[i].State, t.as[i].DoneAt, t.as[i].Hours = civmap.AssignDone, t.r.Now, math.Round(h*100)/100
	t.delta[v.ID]--
	t.event.Team = t.r.Team
	t.event.Note = fmt.Sprintf("%.2f h", t.as[i].Hours)
	if len(t.holding()) == 0 {
		t.need.Status = civmap.NeedDone
		t.tell("resident", map[string]any{"team": t.r.Team})
	}
	t.tell(siteRecipient(t.need.Queue), map[string]any{"volunteer_id": v.ID, "hours": t.as[i].Hours})
	return nil
}

func (t *transition) rate() error {
	if t.r.Rating < 1 || t.r.Rating > 5 {
		return civmap.FieldErrorf("rating", "rating is 1–5")
	}
	if err := text("comment", t.r.Comment, MaxCommentChars, false); err != nil {
		return err
	}
	t.need.Status, t.need.Rating, t.need.Comment = civmap.NeedRated, t.r.Rating, strings.TrimSpace(t.r.Comment)
	t.event.Note = fmt.Sprintf("%d 星", t.r.Rating)
	t.tell(siteRecipient(t.need.Queue), map[string]any{"rating": t.r.Rating})
	return nil
}

func (t *transition) cancel() error {
	r := t.r
	if r.Actor.Kind == Resident && t.need.Status == civmap.NeedInService {
		return forbidden("服务已开始，请联系实践站取消")
	}
	if err := text("reason", r.Reason, MaxReasonChars, r.Actor.Kind == Staff); err != nil {
		return err
	}
	for _, i := range t.holding() {
		t.tell(volunteerRecipient(t.as[i].VolunteerID), map[string]any{"cancelled": true})
		t.release(i)
	}
	t.need.Status, t.need.Reason = civmap.NeedCancelled, strings.TrimSpace(r.Reason)
	t.event.Note = t.need.Reason
	if r.Actor.Kind == Resident {
		t.event.Note = "群众取消：" + t.need.Reason
		t.tell(siteRecipient(t.need.Queue), nil)
	} else {
		t.tell("resident", map[string]any{"reason": t.need.Reason})
	}
	return nil
}

func (t *transition) escalate() error {
	if t.r.Queue == "" || t.r.Queue == t.need.Queue {
		return civmap.FieldErrorf("queue", "escalation needs the parent site's code")
	}
	t.event.Note = t.need.Queue + " → " + t.r.Queue
	t.need.Queue = t.r.Queue
	if t.need.Status == civmap.NeedDispatched {
		t.need.Order.DispatchedAt = t.r.Now // the new queue gets its own time
	}
	t.tell(siteRecipient(t.r.Queue), map[string]any{"escalated": true})
	return nil
}

// Submitted is the first step of a new need's history and its notification to the site's
// dispatchers (none for a need created already closed: imported or demo history). The store
// writes them with the need (CreateNeed; store.PrepareNeed queues it at its site).
func Submitted(n civmap.Need) (civmap.NeedEvent, []Message) {
	ev := civmap.NeedEvent{NeedID: n.ID, At: n.CreatedAt, Action: string(Submit), To: n.Status}
	if n.Status.Closed() {
		return ev, nil
	}
	m := Message{Recipient: siteRecipient(n.SiteCode), Payload: map[string]any{"type": string(Submit), "need_id": n.ID,
		"status": string(n.Status), "status_title": n.Status.Title(), "category": string(n.Category), "site_code": n.SiteCode,
		"queue": n.SiteCode}}
	return ev, []Message{m}
}

// EscalationDue reports whether need n, at now, has waited longer than after in its queue
// without being taken: submitted or ordered since its last transition, or dispatched with
// places free since it was dispatched.
func EscalationDue(n civmap.Need, now time.Time, after time.Duration) bool {
	since := n.UpdatedAt
	if since.IsZero() {
		since = n.CreatedAt
	}
	switch n.Status {
	case civmap.NeedSubmitted, civmap.NeedOrdered:
	case civmap.NeedDispatched:
		if !n.Order.DispatchedAt.IsZero() {
			since = n.Order.DispatchedAt
		}
	default:
		return false
	}
	return !now.Before(since.Add(after))
}
