package civmap

import (
	"context"
	"regexp"
	"time"
)

// Role is what a user may do, and over which part of the network (the accounts issue, #8).
// Authorization itself is decided in one place, package auth (auth.Authorize).
type Role string

const (
	// RoleAdmin is the center's office (市实践中心办公室): everything inside its scope (the whole
	// county when the scope is empty or the center), including user management.
	RoleAdmin Role = "admin"
	// RoleStation is a station's (所) staff: its town's subtree — the station, its posts and
	// their venues.
	RoleStation Role = "station"
	// RolePost is a post's (站) 专管员: its village — the post and its venues.
	RolePost Role = "post"
	// RoleTeamLeader leads a volunteer team: that team and its members (teams arrive with the
	// dispatch issue; until then the scope is the team's site).
	RoleTeamLeader Role = "team_leader"
	// RoleVolunteer is one volunteer: their own record and the orders sent to them.
	RoleVolunteer Role = "volunteer"
	// RoleViewer is leadership: read-only, county-wide aggregates and lists, no personal
	// contact data.
	RoleViewer Role = "viewer"
)

// Roles lists the roles, most powerful first.
var Roles = []Role{RoleAdmin, RoleStation, RolePost, RoleTeamLeader, RoleVolunteer, RoleViewer}

// Valid reports whether r is one of Roles.
func (r Role) Valid() bool { return contains(Roles, r) }

// Title is the role's Chinese name as pages show it.
func (r Role) Title() string {
	switch r {
	case RoleAdmin:
		return "实践中心管理员"
	case RoleStation:
		return "实践所工作人员"
	case RolePost:
		return "实践站专管员"
	case RoleTeamLeader:
		return "志愿服务队队长"
	case RoleVolunteer:
		return "志愿者"
	case RoleViewer:
		return "领导查看"
	}
	return string(r)
}

// Staff reports whether the role administers sites and their records (admin, station, post).
func (r Role) Staff() bool { return r == RoleAdmin || r == RoleStation || r == RolePost }

// NeedsScope reports whether a user of this role must have a scope (a site code): everyone but
// admins and viewers, who act county-wide when their scope is empty.
func (r Role) NeedsScope() bool { return r != RoleAdmin && r != RoleViewer }

// User is a person who signs in: staff with a login name and password, volunteers with their
// personal code (志愿者码). Secrets are stored only as hashes.
type User struct {
	ID    int64  // stable id assigned by the store
	Login string // sign-in name: 2–32 of a–z, 0–9, '.', '_', '-', starting with a letter or digit
	Name  string // display name (a volunteer's name is personal data)
	Role  Role
	// Scope is the code of the site whose subtree the user acts in (auth.InScope); "" means the
	// whole network and is allowed only for admins and viewers (Role.NeedsScope).
	Scope string
	// PasswordHash is the argon2id hash in PHC string form (auth.HashPassword); "" when the user
	// has no password (volunteers sign in by personal code).
	PasswordHash string
	// CodeHash is the SHA-256 (hex) of the user's current personal sign-in code; "" when none
	// was issued. Issuing a new code replaces it.
	CodeHash     string
	CodeIssuedAt time.Time
	Disabled     bool // a disabled user cannot sign in and their sessions and tokens stop working
	Demo         bool // a demo account created by --demo, not a real person
	CreatedAt    time.Time
	UpdatedAt    time.Time
}

var loginPattern = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{1,31}$`)

// Validate checks a user before it is stored: login, name, role and scope. Errors are EINVALID
// naming the field. Whether the scope names an existing site of the right level is checked by
// the caller that has the network (auth.CheckScope).
func (u *User) Validate() error {
	if !loginPattern.MatchString(u.Login) {
		return FieldErrorf("login", "login %q must be 2–32 characters of a–z, 0–9, '.', '_' or '-', starting with a letter or digit", u.Login)
	}
	if err := validateText("name", u.Name, MaxNameChars, true); err != nil {
		return err
	}
	if !u.Role.Valid() {
		return FieldErrorf("role", "unknown role %q (want one of admin, station, post, team_leader, volunteer, viewer)", u.Role)
	}
	if u.Scope == "" && u.Role.NeedsScope() {
		return FieldErrorf("scope", "a %s needs a scope: the code of the site they work for", u.Role)
	}
	if u.Scope != "" {
		if err := validateCode(u.Scope); err != nil {
			return FieldErrorf("scope", "%s", ErrorMessage(err))
		}
	}
	return nil
}

// SessionKind says how a session was signed in.
type SessionKind string

const (
	SessionPassword SessionKind = "password" // login name and password (staff)
	SessionDevice   SessionKind = "device"   // a volunteer's personal code scanned on their phone
)

// Session is a signed-in browser. The cookie holds a random secret; the store keeps only its
// SHA-256, so a copy of the database cannot be replayed as a cookie.
type Session struct {
	ID         int64 // public id, for listing and revoking
	UserID     int64
	Kind       SessionKind
	TokenHash  string // SHA-256 (hex) of the cookie's secret
	CreatedAt  time.Time
	LastSeenAt time.Time     // last request, updated at most once a minute
	ExpiresAt  time.Time     // absolute expiry
	Idle       time.Duration // the session ends after this long without a request
	Addr       string        // client address it was created from
	UserAgent  string        // browser it was created in (truncated), shown in the device list
	RevokedAt  time.Time     // zero while not revoked (sign-out, revocation, a new personal code)
}

// Active reports whether the session may still be used at now.
func (s Session) Active(now time.Time) bool {
	return s.RevokedAt.IsZero() && now.Before(s.ExpiresAt) && now.Before(s.LastSeenAt.Add(s.Idle))
}

// APIToken is a bearer token for scripts and integrations: it acts as its user, with the
// user's role and scope. The secret is shown once at creation; the store keeps its SHA-256.
type APIToken struct {
	ID         int64
	UserID     int64
	Name       string // what it is for, e.g. "nightly export"
	Hash       string // SHA-256 (hex) of the secret
	Prefix     string // the secret's first characters, to tell tokens apart in lists
	CreatedBy  int64  // the admin who created it
	CreatedAt  time.Time
	LastUsedAt time.Time // zero when never used; updated at most once a minute
	RevokedAt  time.Time // zero while not revoked
}

// Actor is who makes a request, as stores record it in the audit log: a signed-in user, an
// anonymous client (UserID 0), or a command run on the server (System names it).
type Actor struct {
	UserID int64
	Login  string
	Role   Role
	Addr   string // client address (after trusted proxies); "" for commands
	System string // e.g. "civmap import"; "" for HTTP requests
}

// Anonymous reports whether the actor is neither a user nor a command.
func (a Actor) Anonymous() bool { return a.UserID == 0 && a.System == "" }

// Name is how the audit log names the actor: the login, the command, or "anonymous".
func (a Actor) Name() string {
	switch {
	case a.UserID != 0:
		return a.Login
	case a.System != "":
		return a.System
	}
	return "anonymous"
}

type actorKey struct{}

// WithActor returns ctx carrying a, the actor stores record in the audit log for writes made
// with the context.
func WithActor(ctx context.Context, a Actor) context.Context {
	return context.WithValue(ctx, actorKey{}, a)
}

// ActorFrom returns the actor ctx carries; without one, an actor with System "unknown", so a
// write made without an actor is still recorded as such.
func ActorFrom(ctx context.Context) Actor {
	if a, ok := ctx.Value(actorKey{}).(Actor); ok {
		return a
	}
	return Actor{System: "unknown"}
}

// Validate checks a token before it is stored: a name saying what it is for (1–MaxNameChars
// characters of text) and its secret's hash. Errors are EINVALID naming "name" or "hash".
func (t *APIToken) Validate() error {
	if err := validateText("name", t.Name, MaxNameChars, true); err != nil {
		return FieldErrorf("name", "令牌名称为 1–%d 个字符，说明用途", MaxNameChars)
	}
	if t.Hash == "" {
		return FieldErrorf("hash", "a token needs its secret's hash")
	}
	return nil
}
