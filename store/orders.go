package store

import (
	"context"
	"time"

	"civmap"
	"civmap/workflow"

	"github.com/paulmach/orb"
)

// Volunteers stores volunteers and their teams (the dispatch issue, #9). Writes are audited
// (civmap.KindVolunteer, civmap.KindTeam; snapshots without name, phone or home point).
type Volunteers interface {
	// PutVolunteers validates (civmap.Volunteer.Validate) and writes volunteers in one
	// transaction, all or none: a record with an ID updates that volunteer (ENOTFOUND when there
	// is none); one without an ID but with a Phone updates the volunteer with that phone, or is
	// inserted (an import matches people by their number); one with neither is inserted.
	// SiteCode must name a site, Teams existing teams, MentorID a volunteer (EINVALID naming
	// "volunteers[i].field"). OpenOrders belongs to the workflow: an update keeps the stored
	// count, an insert takes the given one (0 for a new volunteer). UserID must be a user with
	// role volunteer not linked to another volunteer; an update with UserID 0 keeps the stored
	// link (an import by phone knows nothing of accounts). It returns the records as stored and
	// a Change each; DryRun writes nothing.
	PutVolunteers(ctx context.Context, vs []civmap.Volunteer, dryRun bool) ([]civmap.Volunteer, []Change, error)
	// Volunteer returns the volunteer with id; ENOTFOUND.
	Volunteer(ctx context.Context, id int64) (civmap.Volunteer, error)
	// VolunteerByUser returns the volunteer whose account is userID; ENOTFOUND.
	VolunteerByUser(ctx context.Context, userID int64) (civmap.Volunteer, error)
	// ListVolunteers returns the volunteers matching f, ordered by id.
	ListVolunteers(ctx context.Context, f VolunteerFilter) ([]civmap.Volunteer, error)
	// NearestVolunteers returns up to q.K volunteers suitable for q, nearest to q.Point first by
	// great-circle (haversine) distance in metres, ties by id: active, with q.Skill (if set),
	// available at q.At (if set: on duty or inside a weekly window), under their open-order
	// limit, based inside q.Scope (if set), not in q.Exclude. PostGIS answers with a KNN scan of
	// a GiST index, the embedded store from an in-memory spatial index; both equal a brute-force
	// search. EINVALID for K outside 1–MaxNearest or a bad point.
	NearestVolunteers(ctx context.Context, q VolunteerQuery) ([]Near[civmap.Volunteer], error)

	// PutTeams validates (civmap.Team.Validate) and writes teams in one transaction, all or
	// none: by ID when set, else by (SiteCode, Name), else inserted. The tier must fit the
	// site's level (a municipal team at the center, a town team at a station, a village team at
	// a post) and LeaderID must be a user (EINVALID naming "teams[i].field").
	PutTeams(ctx context.Context, ts []civmap.Team, dryRun bool) ([]civmap.Team, []Change, error)
	// Team returns the team with id; ENOTFOUND.
	Team(ctx context.Context, id int64) (civmap.Team, error)
	// ListTeams returns the teams matching f, ordered by id.
	ListTeams(ctx context.Context, f TeamFilter) ([]civmap.Team, error)
}

// MaxNearest bounds VolunteerQuery.K.
const MaxNearest = 100

// VolunteerQuery asks for the nearest suitable volunteers.
type VolunteerQuery struct {
	Point   orb.Point    // WGS-84 lon, lat in degrees
	K       int          // how many, 1–MaxNearest
	Skill   civmap.Skill // "" for any
	At      time.Time    // zero: any time
	Scope   string       // only volunteers whose base site's chain passes through this site; "" for all
	Exclude []int64      // not these volunteers
}

// Matches reports whether v passes q's filters (everything but distance): the rule both stores
// and brute-force checks apply.
func (q VolunteerQuery) Matches(v *civmap.Volunteer, chain []string) bool {
	if !v.Active || !v.HasSkill(q.Skill) || v.OpenOrders >= v.MaxOpen {
		return false
	}
	if !q.At.IsZero() && !v.AvailableAt(q.At) {
		return false
	}
	if q.Scope != "" && !contains(chain, q.Scope) {
		return false
	}
	return !contains(q.Exclude, v.ID)
}

func contains[T comparable](xs []T, x T) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}

// VolunteerFilter narrows ListVolunteers; zero fields do not filter.
type VolunteerFilter struct {
	Scope   string // base site's chain passes through this site
	TeamID  int64
	Skill   civmap.Skill
	Phone   string
	Active  *bool
	AfterID int64 // ID > AfterID (paging)
	Limit   int
}

// TeamFilter narrows ListTeams; zero fields do not filter.
type TeamFilter struct {
	SiteCode string
	Tier     civmap.TeamTier
	LeaderID int64
}

// Orders runs the service workflow on needs (package workflow) and keeps their history.
type Orders interface {
	// Transition applies r to need id in one transaction: it reads and locks the need, its
	// assignments and — for a volunteer actor — the volunteer (r.Actor.Volunteer.ID, re-read so
	// their open-order count is current), calls workflow.Apply, and writes the need, its
	// assignments, the volunteers' OpenOrders, the history event, the outbox notifications
	// (civmap.Notification keyed "need/{id}/event/{event id}/{recipient}") and the audit record
	// (civmap.AuditTransition, note: the action). Concurrent transitions of one need are
	// serialised: of 50 volunteers accepting a one-place order at once exactly one wins and 49
	// get ECONFLICT. Errors are workflow.Apply's (nothing written), ENOTFOUND.
	Transition(ctx context.Context, id int64, r workflow.Request) (civmap.Need, civmap.NeedEvent, error)
	// NeedHistory returns the need's events, oldest first; ENOTFOUND for an unknown need.
	NeedHistory(ctx context.Context, id int64) ([]civmap.NeedEvent, error)
	// Assignments returns the need's assignments, by volunteer id.
	Assignments(ctx context.Context, needID int64) ([]civmap.Assignment, error)
	// NeedByReceipt returns the need whose receipt code has this hash; ENOTFOUND.
	NeedByReceipt(ctx context.Context, receiptHash string) (civmap.Need, error)
	// EscalationDue returns up to limit needs that workflow.EscalationDue says have waited
	// longer than after at now, oldest first (by CreatedAt, then id) — leaving out needs
	// hidden by moderation and those queued at a site without a parent (nowhere to go).
	EscalationDue(ctx context.Context, now time.Time, after time.Duration, limit int) ([]civmap.Need, error)
	// EraseClosed erases the Description, Phone and Comment of up to limit needs closed before
	// `before` and not yet erased, setting ErasedAt, each audited (civmap.AuditErase). It
	// returns how many it erased.
	EraseClosed(ctx context.Context, before time.Time, limit int) (int, error)
}

// Outbox holds the notifications transitions wrote, until delivered (package notify).
type Outbox interface {
	// ClaimNotifications returns up to limit undelivered notifications due at now (NextAt ≤
	// now), oldest first, and leases them: NextAt becomes now+lease and Attempts grows by one,
	// so another sender (another instance) skips them until then. A sender that dies leaves
	// them to be claimed again after the lease: delivery is at least once.
	ClaimNotifications(ctx context.Context, now time.Time, limit int, lease time.Duration) ([]civmap.Notification, error)
	// NotificationDelivered marks one delivered at `at`. ENOTFOUND.
	NotificationDelivered(ctx context.Context, id int64, at time.Time) error
	// RetryNotification sets when to try one again (after a failed delivery). ENOTFOUND.
	RetryNotification(ctx context.Context, id int64, next time.Time) error
}

// Secrets keeps the service's own secrets (e.g. the key receipts are derived with).
type Secrets interface {
	// Secret returns the 32-byte secret named name, creating it with random bytes the first
	// time — the same one for every instance on the store, for ever.
	Secret(ctx context.Context, name string) ([]byte, error)
}
