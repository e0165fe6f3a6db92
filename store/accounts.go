package store

import (
	"context"
	"time"

	"civmap"
)

// Accounts stores users, their sessions, API tokens and personal codes. Every write appends its
// audit record (NewAudit, with the actor of the context) in the same transaction. Secrets arrive
// and are kept only as hashes; no method takes or returns one.
type Accounts interface {
	// CreateUser validates (civmap.User.Validate) and stores a new user, assigning ID,
	// CreatedAt and UpdatedAt. EINVALID for bad input, ECONFLICT when the login is taken.
	CreateUser(ctx context.Context, u civmap.User) (civmap.User, error)
	// UpdateUser replaces the stored user with ID u.ID (login, name, role, scope, password
	// hash, disabled, demo; not the personal code), setting UpdatedAt; a change to nothing writes
	// nothing. Disabling a user revokes their active sessions in the same transaction (each
	// revocation audited as civmap.AuditRevoke with a note). ENOTFOUND, EINVALID, ECONFLICT
	// (login taken).
	UpdateUser(ctx context.Context, u civmap.User) (civmap.User, error)
	// User returns the user with id; ENOTFOUND if there is none.
	User(ctx context.Context, id int64) (civmap.User, error)
	// UserByLogin returns the user with login; ENOTFOUND if there is none.
	UserByLogin(ctx context.Context, login string) (civmap.User, error)
	// ListUsers returns the users matching f, ordered by id.
	ListUsers(ctx context.Context, f UserFilter) ([]civmap.User, error)

	// IssueCode gives user id a new personal code (its SHA-256, hex), replacing the old one and
	// revoking every active device session of the user (each audited as civmap.AuditRevoke), in
	// one transaction. ENOTFOUND.
	IssueCode(ctx context.Context, userID int64, codeHash string) (civmap.User, error)
	// UserByCode returns the user whose current personal code has this hash; ENOTFOUND if none
	// (a replaced code is not found).
	UserByCode(ctx context.Context, codeHash string) (civmap.User, error)

	// CreateSession stores a new session, assigning ID (and CreatedAt when zero). ENOTFOUND
	// when the user does not exist.
	CreateSession(ctx context.Context, s civmap.Session) (civmap.Session, error)
	// Session returns the session with id; ENOTFOUND.
	Session(ctx context.Context, id int64) (civmap.Session, error)
	// SessionByHash returns the session whose secret has this hash and its user, whether or not
	// it is still active (the caller checks civmap.Session.Active); ENOTFOUND.
	SessionByHash(ctx context.Context, tokenHash string) (civmap.Session, civmap.User, error)
	// TouchSession sets the session's LastSeenAt (bookkeeping: not audited). ENOTFOUND.
	TouchSession(ctx context.Context, id int64, at time.Time) error
	// RevokeSession ends session id at the store's clock (action civmap.AuditSignOut when the
	// actor is its user, civmap.AuditRevoke otherwise). Revoking a revoked session changes
	// nothing and succeeds. ENOTFOUND.
	RevokeSession(ctx context.Context, id int64) error
	// ListSessions returns the user's sessions except those that ended (revoked, expired or
	// idled out) more than a day ago, newest first.
	ListSessions(ctx context.Context, userID int64) ([]civmap.Session, error)

	// CreateToken stores a new API token, assigning ID (and CreatedAt when zero). ENOTFOUND
	// for an unknown user, EINVALID for a bad name.
	CreateToken(ctx context.Context, t civmap.APIToken) (civmap.APIToken, error)
	// Token returns the token with id; ENOTFOUND.
	Token(ctx context.Context, id int64) (civmap.APIToken, error)
	// TokenByHash returns the token whose secret has this hash and its user, revoked or not;
	// ENOTFOUND.
	TokenByHash(ctx context.Context, hash string) (civmap.APIToken, civmap.User, error)
	// TouchToken sets the token's LastUsedAt (not audited). ENOTFOUND.
	TouchToken(ctx context.Context, id int64, at time.Time) error
	// RevokeToken revokes token id (idempotent). ENOTFOUND.
	RevokeToken(ctx context.Context, id int64) error
	// ListTokens returns the tokens of user userID (0: of every user), newest first.
	ListTokens(ctx context.Context, userID int64) ([]civmap.APIToken, error)
}

// UserFilter narrows ListUsers; zero fields do not filter.
type UserFilter struct {
	Role  civmap.Role
	Login string // exact login
	Limit int    // at most this many (0: no limit)
}

// LoginFailure is the count of failed sign-ins against one throttle key ("login:…" or
// "addr:…") and when the last one happened.
type LoginFailure struct {
	Key   string
	Count int
	Last  time.Time
}

// Throttle keeps the failed-sign-in counts that auth's back-off reads, shared by every
// instance on one database. Not audited (the sign-in attempt itself is).
type Throttle interface {
	// LoginFailures returns the state of each key (Count 0 for a key never seen), in order.
	LoginFailures(ctx context.Context, keys []string) ([]LoginFailure, error)
	// AddLoginFailure records a failure at `at` against each key: the count restarts at 1 when
	// the key's last failure is older than forget, and grows by one otherwise. It returns the
	// new states, in order.
	AddLoginFailure(ctx context.Context, keys []string, at time.Time, forget time.Duration) ([]LoginFailure, error)
	// ClearLoginFailures forgets the keys' failures (after a successful sign-in).
	ClearLoginFailures(ctx context.Context, keys []string) error
}

// Audit is the append-only audit log. There is no method to change or delete a record, and
// each store refuses it underneath (triggers in both; see the stores' migrations).
type Audit interface {
	// AppendAudit appends a record that is not part of another write: staff reading personal
	// data, a failed sign-in. It is stored as given (the caller fills in the actor, e.g. with
	// NewAudit); ID is assigned, At set when zero.
	AppendAudit(ctx context.Context, r civmap.AuditRecord) error
	// ListAudit returns the records matching f, newest first (by id).
	ListAudit(ctx context.Context, f AuditFilter) ([]civmap.AuditRecord, error)
}

// AuditFilter narrows ListAudit; zero fields do not filter.
type AuditFilter struct {
	ActorID  int64
	Kind     string
	RecordID string
	Action   string
	Since    time.Time // At ≥ Since
	Until    time.Time // At < Until
	BeforeID int64     // ID < BeforeID: the next page after a page ending at BeforeID
	Limit    int       // at most this many (0: no limit)
}
