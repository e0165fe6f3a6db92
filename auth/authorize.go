package auth

import (
	"slices"

	"civmap"
)

// Action is something a user asks to do. Authorize decides every one of them.
type Action string

const (
	// SubmitNeed: a resident's need (群众点单). Anyone, anonymous too (the API rate-limits
	// anonymous clients).
	SubmitNeed Action = "need.submit"
	// ReadPersonal: a need's description and own point, a volunteer's name and contact, a
	// user list. Staff (admin, station, post) in scope; never viewers.
	ReadPersonal Action = "personal.read"
	// WriteActivity: create, change or cancel an activity. Staff in scope of its place.
	WriteActivity Action = "activity.write"
	// WriteSite: create or change a site or venue. Staff in scope of it (for a new site: of
	// its parent; the chain then starts with the new code).
	WriteSite Action = "site.write"
	// Moderate: hide a need or activity from public view, or show it again. Staff in scope.
	Moderate Action = "moderate"
	// ManageUser: create, change or disable a user. Admins for any role in scope; station,
	// post and team leaders for volunteers in their scope.
	ManageUser Action = "user.manage"
	// IssueCode: a volunteer's personal sign-in code. Admin, station, post or team leader, the
	// volunteer in scope.
	IssueCode Action = "code.issue"
	// ManageSessions: list or revoke a user's sessions. The user themselves, or whoever may
	// ManageUser them.
	ManageSessions Action = "session.manage"
	// ManageTokens: create, list and revoke API tokens. Admins, for users in scope.
	ManageTokens Action = "token.manage"
	// ReadAudit: the audit log. Admins whose scope holds the whole network (the API passes
	// the chain of the top of the network).
	ReadAudit Action = "audit.read"
	// ReadAggregates: dashboards, counts and lists without personal data. Admins, viewers and
	// station staff, in scope.
	ReadAggregates Action = "aggregates.read"
	// Dispatch: work a need's order — see it in full, find candidates, and make the staff
	// transitions (which staff role may make which is package workflow's rule). Staff whose scope
	// holds the need's queue.
	Dispatch Action = "orders.dispatch"
	// Serve: take and serve orders (accept, decline, start, finish; which orders is package
	// workflow's rule). Volunteers.
	Serve Action = "orders.serve"
	// ManageVolunteers: read and write volunteer records (personal data) and issue their
	// personal codes. Staff and team leaders whose scope holds the volunteer's base site.
	ManageVolunteers Action = "volunteers.manage"
	// ManageTeams: create and change teams. Staff whose scope holds the team's site.
	ManageTeams Action = "teams.manage"
)

// Target is what an action is about.
type Target struct {
	// Chain is the place's site chain (store.Sites.SiteChain: its own code first, the top of
	// the network last). For a user, the chain of the user's scope. nil means the whole
	// network: only unscoped users (InScope) act on it.
	Chain []string
	// User is the user acted on (ManageUser, IssueCode, ManageSessions, ManageTokens).
	User *civmap.User
}

// InScope reports whether a place with chain lies inside scope: scope "" is the whole network;
// otherwise the chain must pass through the scope's site. So a station's scope holds the
// station, its posts and their venues, never another town's; a post's holds the post and its
// venues, never a neighbour's.
func InScope(scope string, chain []string) bool {
	return scope == "" || slices.Contains(chain, scope)
}

var (
	errSignIn    = &civmap.Error{Code: civmap.EUNAUTHORIZED, Message: "请先登录"}
	errDisabled  = &civmap.Error{Code: civmap.EUNAUTHORIZED, Message: "该账号已停用"}
	errRole      = &civmap.Error{Code: civmap.EFORBIDDEN, Message: "您的角色无权进行此操作"}
	errScope     = &civmap.Error{Code: civmap.EFORBIDDEN, Message: "该对象不在您的管理范围内"}
	errVolunteer = &civmap.Error{Code: civmap.EFORBIDDEN, Message: "只能为志愿者账号进行此操作"}
)

// Authorize decides whether user u (nil: an anonymous client) may do act on t. It returns nil,
// EUNAUTHORIZED (not signed in, or a disabled account) or EFORBIDDEN (the role does not allow
// it, or t is outside the user's scope). Every handler that reads personal data or writes asks
// it; the rules are those of the Action constants.
func Authorize(u *civmap.User, act Action, t Target) error {
	if act == SubmitNeed {
		return nil
	}
	if u == nil {
		return errSignIn
	}
	if u.Disabled {
		return errDisabled
	}
	inScope := InScope(u.Scope, t.Chain)
	switch act {
	case ReadPersonal, WriteActivity, WriteSite, Moderate, Dispatch, ManageTeams:
		return allow(u.Role.Staff(), inScope)
	case Serve:
		return allow(u.Role == civmap.RoleVolunteer, true)
	case ManageVolunteers:
		return allow(u.Role.Staff() || u.Role == civmap.RoleTeamLeader, inScope)
	case ManageUser:
		return manageUser(u, t, inScope)
	case IssueCode:
		if t.User == nil || t.User.Role != civmap.RoleVolunteer {
			return errVolunteer
		}
		return allow(u.Role.Staff() || u.Role == civmap.RoleTeamLeader, inScope)
	case ManageSessions:
		if t.User != nil && t.User.ID == u.ID {
			return nil
		}
		return manageUser(u, t, inScope)
	case ManageTokens, ReadAudit:
		return allow(u.Role == civmap.RoleAdmin, inScope)
	case ReadAggregates:
		return allow(u.Role == civmap.RoleAdmin || u.Role == civmap.RoleViewer || u.Role == civmap.RoleStation, inScope)
	}
	return errRole
}

func manageUser(u *civmap.User, t Target, inScope bool) error {
	if u.Role == civmap.RoleAdmin {
		return allow(true, inScope)
	}
	if u.Role != civmap.RoleStation && u.Role != civmap.RolePost && u.Role != civmap.RoleTeamLeader {
		return errRole
	}
	if t.User == nil || t.User.Role != civmap.RoleVolunteer {
		return errVolunteer
	}
	return allow(true, inScope)
}

func allow(role, scope bool) error {
	switch {
	case !role:
		return errRole
	case !scope:
		return errScope
	}
	return nil
}

// CheckScope checks a user's scope against the site it names (site is nil when the scope is
// empty): a station's scope is a station, a post's a post; team leaders and volunteers may be
// scoped to any site; admins and viewers to any site or to nothing (the whole network).
// Errors are EINVALID naming "scope".
func CheckScope(u civmap.User, site *civmap.Site) error {
	switch {
	case site == nil && u.Role.NeedsScope():
		return civmap.FieldErrorf("scope", "%s需要指定所属阵地编码", u.Role.Title())
	case site == nil:
		return nil
	case u.Role == civmap.RoleStation && site.Level != civmap.LevelStation:
		return civmap.FieldErrorf("scope", "实践所工作人员的范围应为实践所编码，%s 是%s", site.Code, site.Level.Title())
	case u.Role == civmap.RolePost && site.Level != civmap.LevelPost:
		return civmap.FieldErrorf("scope", "实践站专管员的范围应为实践站编码，%s 是%s", site.Code, site.Level.Title())
	}
	return nil
}
