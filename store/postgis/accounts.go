package postgis

import (
	"context"
	"errors"
	"strconv"
	"time"

	"civmap"
	"civmap/store"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgtype"
)

// Accounts: users, personal codes, sessions and API tokens (store.Accounts). Secrets arrive and
// are kept only as hashes. Every write but TouchSession/TouchToken appends its audit record in
// its own transaction; none of them changes the data Version (tiles and lists do not show
// accounts).

const userColumns = `u.id, u.login, u.name, u.role, u.scope, u.password_hash, u.code_hash, u.code_issued_at,
	u.disabled, u.demo, u.created_at, u.updated_at`

// userRow receives a users row (userColumns).
type userRow struct {
	u      civmap.User
	issued *time.Time
}

func (r *userRow) dest() []any {
	return []any{&r.u.ID, &r.u.Login, &r.u.Name, &r.u.Role, &r.u.Scope, &r.u.PasswordHash, &r.u.CodeHash, &r.issued,
		&r.u.Disabled, &r.u.Demo, &r.u.CreatedAt, &r.u.UpdatedAt}
}

func (r *userRow) value() civmap.User {
	u := r.u
	u.CodeIssuedAt = fromNull(r.issued)
	u.CreatedAt, u.UpdatedAt = u.CreatedAt.UTC(), u.UpdatedAt.UTC()
	return u
}

func scanUser(row pgx.Row) (civmap.User, error) {
	var r userRow
	err := row.Scan(r.dest()...)
	return r.value(), err
}

const sessionColumns = `s.id, s.user_id, s.kind, s.token_hash, s.created_at, s.last_seen_at, s.expires_at, s.idle,
	s.addr, s.user_agent, s.revoked_at`

// sessionRow receives a sessions row (sessionColumns).
type sessionRow struct {
	s       civmap.Session
	idle    pgtype.Interval
	revoked *time.Time
}

func (r *sessionRow) dest() []any {
	return []any{&r.s.ID, &r.s.UserID, &r.s.Kind, &r.s.TokenHash, &r.s.CreatedAt, &r.s.LastSeenAt, &r.s.ExpiresAt,
		&r.idle, &r.s.Addr, &r.s.UserAgent, &r.revoked}
}

func (r *sessionRow) value() civmap.Session {
	s := r.s
	s.CreatedAt, s.LastSeenAt, s.ExpiresAt = s.CreatedAt.UTC(), s.LastSeenAt.UTC(), s.ExpiresAt.UTC()
	s.Idle = fromInterval(r.idle)
	s.RevokedAt = fromNull(r.revoked)
	return s
}

func scanSession(row pgx.Row) (civmap.Session, error) {
	var r sessionRow
	err := row.Scan(r.dest()...)
	return r.value(), err
}

// interval is a duration as a PostgreSQL interval (microseconds; no days or months, so it is
// exact and independent of time zones).
func interval(d time.Duration) pgtype.Interval {
	return pgtype.Interval{Microseconds: d.Microseconds(), Valid: true}
}

// fromInterval is the duration of an interval written by interval (days count 24 hours,
// months 30 days, should anyone have written them by hand).
func fromInterval(i pgtype.Interval) time.Duration {
	return time.Duration(i.Microseconds)*time.Microsecond + time.Duration(i.Days)*24*time.Hour +
		time.Duration(i.Months)*30*24*time.Hour
}

const tokenColumns = `t.id, t.user_id, t.name, t.hash, t.prefix, t.created_by, t.created_at, t.last_used_at, t.revoked_at`

// tokenRow receives an api_tokens row (tokenColumns).
type tokenRow struct {
	t             civmap.APIToken
	used, revoked *time.Time
}

func (r *tokenRow) dest() []any {
	return []any{&r.t.ID, &r.t.UserID, &r.t.Name, &r.t.Hash, &r.t.Prefix, &r.t.CreatedBy, &r.t.CreatedAt, &r.used,
		&r.revoked}
}

func (r *tokenRow) value() civmap.APIToken {
	t := r.t
	t.CreatedAt = t.CreatedAt.UTC()
	t.LastUsedAt, t.RevokedAt = fromNull(r.used), fromNull(r.revoked)
	return t
}

func scanToken(row pgx.Row) (civmap.APIToken, error) {
	var r tokenRow
	err := row.Scan(r.dest()...)
	return r.value(), err
}

func noUser(id int64) error {
	return civmap.Errorf(civmap.ENOTFOUND, "没有编号为 %d 的用户", id)
}

// accountErr maps the constraint violations of account writes to civmap errors (by SQLSTATE,
// never by message text): 23505 unique_violation is ECONFLICT (a taken login, or a secret hash
// that is already stored), 23503 foreign_key_violation is ENOTFOUND (no such user). Anything
// else is wrapped with op.
func accountErr(op string, userID int64, err error) error {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		switch pgErr.Code {
		case "23505":
			if pgErr.ConstraintName == "users_login_key" {
				return &civmap.Error{Code: civmap.ECONFLICT, Field: "login", Message: "登录名已被使用，请换一个"}
			}
			return civmap.Errorf(civmap.ECONFLICT, "凭据与已有记录重复，请重新生成")
		case "23503":
			return noUser(userID)
		}
	}
	return wrap(op, err)
}

func id10(id int64) string { return strconv.FormatInt(id, 10) }

// CreateUser validates u (civmap.User.Validate) and stores it with its audit record
// (AuditCreate), assigning ID and setting CreatedAt and UpdatedAt to the store's clock.
// CodeIssuedAt is set to the same instant when u comes with a CodeHash and no issue time.
// EINVALID for bad input, ECONFLICT (field "login") when the login is taken.
func (s *Store) CreateUser(ctx context.Context, u civmap.User) (civmap.User, error) {
	if err := u.Validate(); err != nil {
		return civmap.User{}, err
	}
	now := s.clock()
	u.CreatedAt, u.UpdatedAt = now, now
	switch {
	case u.CodeHash == "":
		u.CodeIssuedAt = time.Time{}
	case u.CodeIssuedAt.IsZero():
		u.CodeIssuedAt = now
	default:
		u.CodeIssuedAt = stored(u.CodeIssuedAt)
	}
	err := s.inTx(ctx, "create user", func(tx pgx.Tx) error {
		err := tx.QueryRow(ctx, `INSERT INTO users (login, name, role, scope, password_hash, code_hash, code_issued_at,
				disabled, demo, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id`,
			u.Login, u.Name, string(u.Role), u.Scope, u.PasswordHash, u.CodeHash, nullTime(u.CodeIssuedAt), u.Disabled,
			u.Demo, u.CreatedAt, u.UpdatedAt).Scan(&u.ID)
		if err != nil {
			return accountErr("create user", 0, err)
		}
		return wrap("create user: audit", appendAudit(ctx, tx,
			store.NewAudit(ctx, now, civmap.AuditCreate, civmap.KindUser, id10(u.ID), nil, u, "")))
	})
	if err != nil {
		return civmap.User{}, err
	}
	return u, nil
}

// lockUser reads user id FOR UPDATE in tx; ENOTFOUND when there is none.
func lockUser(ctx context.Context, tx pgx.Tx, id int64) (civmap.User, error) {
	u, err := scanUser(tx.QueryRow(ctx, `SELECT `+userColumns+` FROM users u WHERE u.id = $1 FOR UPDATE`, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return civmap.User{}, noUser(id)
	}
	return u, wrap("read user", err)
}

// revokeSessions ends, at `at`, the user's sessions that are neither revoked nor expired —
// every one, or only those of kind when kind is set — each with its audit record (AuditRevoke,
// before and after, with note saying why).
func revokeSessions(ctx context.Context, tx pgx.Tx, userID int64, kind civmap.SessionKind, at time.Time, note string) error {
	rows, _ := tx.Query(ctx, `UPDATE sessions s SET revoked_at = $2
		WHERE s.user_id = $1 AND s.revoked_at IS NULL AND s.expires_at > $2 AND ($3 = '' OR s.kind = $3)
		RETURNING `+sessionColumns, userID, at, string(kind))
	var revoked []civmap.Session
	if err := forEach(rows, func(r pgx.Row) error {
		x, err := scanSession(r)
		revoked = append(revoked, x)
		return err
	}); err != nil {
		return wrap("revoke sessions", err)
	}
	for _, x := range revoked {
		before := x
		before.RevokedAt = time.Time{}
		if err := appendAudit(ctx, tx, store.NewAudit(ctx, at, civmap.AuditRevoke, civmap.KindSession, id10(x.ID), before, x, note)); err != nil {
			return wrap("revoke sessions: audit", err)
		}
	}
	return nil
}

// UpdateUser validates u and replaces the stored user u.ID with it — login, name, role, scope,
// password hash, disabled and demo; the personal code (CodeHash, CodeIssuedAt) and CreatedAt
// stay as stored — setting UpdatedAt, in one transaction with its audit record (AuditUpdate,
// before and after); an update that changes nothing writes no user record. When the user is
// disabled, the same transaction revokes their sessions that are neither revoked nor expired,
// each audited as AuditRevoke (note "user disabled"). It returns the stored user. ENOTFOUND,
// EINVALID, ECONFLICT (field "login") when the login is taken.
func (s *Store) UpdateUser(ctx context.Context, u civmap.User) (civmap.User, error) {
	if err := u.Validate(); err != nil {
		return civmap.User{}, err
	}
	var out civmap.User
	err := s.inTx(ctx, "update user", func(tx pgx.Tx) error {
		old, err := lockUser(ctx, tx, u.ID)
		if err != nil {
			return err
		}
		u.CodeHash, u.CodeIssuedAt, u.CreatedAt, u.UpdatedAt = old.CodeHash, old.CodeIssuedAt, old.CreatedAt, old.UpdatedAt
		now := s.clock()
		out = old
		if u != old {
			u.UpdatedAt = now
			_, err = tx.Exec(ctx, `UPDATE users SET login = $2, name = $3, role = $4, scope = $5, password_hash = $6,
				disabled = $7, demo = $8, updated_at = $9 WHERE id = $1`,
				u.ID, u.Login, u.Name, string(u.Role), u.Scope, u.PasswordHash, u.Disabled, u.Demo, u.UpdatedAt)
			if err != nil {
				return accountErr("update user", u.ID, err)
			}
			if err := appendAudit(ctx, tx, store.NewAudit(ctx, now, civmap.AuditUpdate, civmap.KindUser, id10(u.ID), old, u, "")); err != nil {
				return wrap("update user: audit", err)
			}
			out = u
		}
		if out.Disabled {
			return revokeSessions(ctx, tx, u.ID, "", now, "user disabled")
		}
		return nil
	})
	if err != nil {
		return civmap.User{}, err
	}
	return out, nil
}

// User returns the user with id; ENOTFOUND if there is none.
func (s *Store) User(ctx context.Context, id int64) (civmap.User, error) {
	u, err := scanUser(s.pool.QueryRow(ctx, `SELECT `+userColumns+` FROM users u WHERE u.id = $1`, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return civmap.User{}, noUser(id)
	}
	return u, wrap("user", err)
}

// UserByLogin returns the user with exactly this login; ENOTFOUND if there is none.
func (s *Store) UserByLogin(ctx context.Context, login string) (civmap.User, error) {
	u, err := scanUser(s.pool.QueryRow(ctx, `SELECT `+userColumns+` FROM users u WHERE u.login = $1`, login))
	if errors.Is(err, pgx.ErrNoRows) {
		return civmap.User{}, civmap.Errorf(civmap.ENOTFOUND, "没有登录名为 %s 的用户", login)
	}
	return u, wrap("user by login", err)
}

// ListUsers returns the users matching f, ordered by id.
func (s *Store) ListUsers(ctx context.Context, f store.UserFilter) ([]civmap.User, error) {
	var limit *int
	if f.Limit > 0 {
		limit = &f.Limit
	}
	rows, _ := s.pool.Query(ctx, `SELECT `+userColumns+` FROM users u
		WHERE ($1 = '' OR u.role = $1) AND ($2 = '' OR u.login = $2) ORDER BY u.id LIMIT $3`,
		string(f.Role), f.Login, limit)
	var out []civmap.User
	err := forEach(rows, func(r pgx.Row) error {
		u, err := scanUser(r)
		out = append(out, u)
		return err
	})
	return out, wrap("list users", err)
}

// IssueCode gives user userID the personal code whose SHA-256 (hex) is codeHash, replacing the
// old one (CodeIssuedAt and UpdatedAt: the store's clock), and revokes every device session of
// the user that is neither revoked nor expired, in one transaction with the audit records
// (AuditIssue, kind civmap.KindCode, record id the user's id; then one AuditRevoke per revoked
// session, note "new personal code"). It returns the updated user. ENOTFOUND for an unknown user, EINVALID for an empty hash, ECONFLICT in the
// (practically impossible) case that another user has the same code.
func (s *Store) IssueCode(ctx context.Context, userID int64, codeHash string) (civmap.User, error) {
	if codeHash == "" {
		return civmap.User{}, civmap.FieldErrorf("code_hash", "no personal code hash")
	}
	var out civmap.User
	err := s.inTx(ctx, "issue code", func(tx pgx.Tx) error {
		old, err := lockUser(ctx, tx, userID)
		if err != nil {
			return err
		}
		now := s.clock()
		u := old
		u.CodeHash, u.CodeIssuedAt, u.UpdatedAt = codeHash, now, now
		if _, err := tx.Exec(ctx, `UPDATE users SET code_hash = $2, code_issued_at = $3, updated_at = $3 WHERE id = $1`,
			userID, codeHash, now); err != nil {
			return accountErr("issue code", userID, err)
		}
		if err := appendAudit(ctx, tx, store.NewAudit(ctx, now, civmap.AuditIssue, civmap.KindCode, id10(userID), old, u, "")); err != nil {
			return wrap("issue code: audit", err)
		}
		out = u
		return revokeSessions(ctx, tx, userID, civmap.SessionDevice, now, "new personal code")
	})
	if err != nil {
		return civmap.User{}, err
	}
	return out, nil
}

// UserByCode returns the user whose current personal code has this hash; ENOTFOUND if none (a
// replaced code is not found).
func (s *Store) UserByCode(ctx context.Context, codeHash string) (civmap.User, error) {
	u, err := scanUser(s.pool.QueryRow(ctx, `SELECT `+userColumns+` FROM users u WHERE u.code_hash = $1 AND u.code_hash <> ''`, codeHash))
	if errors.Is(err, pgx.ErrNoRows) {
		return civmap.User{}, civmap.Errorf(civmap.ENOTFOUND, "志愿者码无效或已更换")
	}
	return u, wrap("user by code", err)
}

// CreateSession stores a new session with its audit record (AuditSignIn), assigning ID. Times
// are kept in UTC to the microsecond, Idle to the microsecond; a zero CreatedAt is the store's
// clock. It returns the session as stored. ENOTFOUND when the user does not exist, EINVALID for
// an unknown kind, an empty token hash or a negative Idle, ECONFLICT when the token hash is
// already stored.
func (s *Store) CreateSession(ctx context.Context, x civmap.Session) (civmap.Session, error) {
	if x.Kind != civmap.SessionPassword && x.Kind != civmap.SessionDevice {
		return civmap.Session{}, civmap.FieldErrorf("kind", "unknown session kind %q (want password or device)", x.Kind)
	}
	if x.TokenHash == "" {
		return civmap.Session{}, civmap.FieldErrorf("token_hash", "no session token hash")
	}
	if x.Idle < 0 {
		return civmap.Session{}, civmap.FieldErrorf("idle", "idle timeout must not be negative")
	}
	now := s.clock()
	if x.CreatedAt.IsZero() {
		x.CreatedAt = now
	}
	x.CreatedAt, x.LastSeenAt, x.ExpiresAt, x.RevokedAt = stored(x.CreatedAt), stored(x.LastSeenAt), stored(x.ExpiresAt), stored(x.RevokedAt)
	x.Idle = x.Idle.Truncate(time.Microsecond)
	err := s.inTx(ctx, "create session", func(tx pgx.Tx) error {
		err := tx.QueryRow(ctx, `INSERT INTO sessions (user_id, kind, token_hash, created_at, last_seen_at, expires_at,
				idle, addr, user_agent, revoked_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id`,
			x.UserID, string(x.Kind), x.TokenHash, x.CreatedAt, x.LastSeenAt, x.ExpiresAt, interval(x.Idle), x.Addr,
			x.UserAgent, nullTime(x.RevokedAt)).Scan(&x.ID)
		if err != nil {
			return accountErr("create session", x.UserID, err)
		}
		return wrap("create session: audit", appendAudit(ctx, tx,
			store.NewAudit(ctx, now, civmap.AuditSignIn, civmap.KindSession, id10(x.ID), nil, x, "")))
	})
	if err != nil {
		return civmap.Session{}, err
	}
	return x, nil
}

func noSession(id int64) error {
	return civmap.Errorf(civmap.ENOTFOUND, "没有编号为 %d 的登录会话", id)
}

// Session returns the session with id; ENOTFOUND if there is none.
func (s *Store) Session(ctx context.Context, id int64) (civmap.Session, error) {
	x, err := scanSession(s.pool.QueryRow(ctx, `SELECT `+sessionColumns+` FROM sessions s WHERE s.id = $1`, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return civmap.Session{}, noSession(id)
	}
	return x, wrap("session", err)
}

// SessionByHash returns the session whose secret has this hash and its user, active or not (the
// caller checks civmap.Session.Active and the user's Disabled); ENOTFOUND if there is none.
func (s *Store) SessionByHash(ctx context.Context, tokenHash string) (civmap.Session, civmap.User, error) {
	var sr sessionRow
	var ur userRow
	err := s.pool.QueryRow(ctx, `SELECT `+sessionColumns+`, `+userColumns+`
		FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.token_hash = $1`, tokenHash).
		Scan(append(sr.dest(), ur.dest()...)...)
	if errors.Is(err, pgx.ErrNoRows) {
		return civmap.Session{}, civmap.User{}, civmap.Errorf(civmap.ENOTFOUND, "登录会话不存在")
	} else if err != nil {
		return civmap.Session{}, civmap.User{}, wrap("session by hash", err)
	}
	return sr.value(), ur.value(), nil
}

// TouchSession sets the session's LastSeenAt to at (UTC, microseconds); bookkeeping, not
// audited. ENOTFOUND if there is no session id.
func (s *Store) TouchSession(ctx context.Context, id int64, at time.Time) error {
	tag, err := s.pool.Exec(ctx, `UPDATE sessions SET last_seen_at = $2 WHERE id = $1`, id, stored(at))
	if err != nil {
		return wrap("touch session", err)
	}
	if tag.RowsAffected() == 0 {
		return noSession(id)
	}
	return nil
}

// RevokeSession ends session id at the store's clock, in one transaction with its audit record:
// AuditSignOut when the context's actor is the session's user, AuditRevoke otherwise. Revoking
// a revoked session changes nothing (RevokedAt stays, no record) and succeeds. ENOTFOUND.
func (s *Store) RevokeSession(ctx context.Context, id int64) error {
	return s.inTx(ctx, "revoke session", func(tx pgx.Tx) error {
		old, err := scanSession(tx.QueryRow(ctx, `SELECT `+sessionColumns+` FROM sessions s WHERE s.id = $1 FOR UPDATE`, id))
		if errors.Is(err, pgx.ErrNoRows) {
			return noSession(id)
		} else if err != nil {
			return wrap("revoke session: read", err)
		}
		if !old.RevokedAt.IsZero() {
			return nil
		}
		now := s.clock()
		x := old
		x.RevokedAt = now
		if _, err := tx.Exec(ctx, `UPDATE sessions SET revoked_at = $2 WHERE id = $1`, id, now); err != nil {
			return wrap("revoke session", err)
		}
		action := civmap.AuditRevoke
		if a := civmap.ActorFrom(ctx); a.UserID != 0 && a.UserID == old.UserID {
			action = civmap.AuditSignOut
		}
		return wrap("revoke session: audit", appendAudit(ctx, tx,
			store.NewAudit(ctx, now, action, civmap.KindSession, id10(id), old, x, "")))
	})
}

// sessionListGrace is how long after its end (expiry, idle timeout or revocation) a session is
// still listed by ListSessions.
const sessionListGrace = 24 * time.Hour

// ListSessions returns the user's sessions that have not ended — expired (ExpiresAt), idled out
// (LastSeenAt + Idle) or been revoked, whichever came first — more than 24 hours before the
// store's clock, newest first (by CreatedAt, then id).
func (s *Store) ListSessions(ctx context.Context, userID int64) ([]civmap.Session, error) {
	rows, _ := s.pool.Query(ctx, `SELECT `+sessionColumns+` FROM sessions s
		WHERE s.user_id = $1 AND LEAST(s.expires_at, s.last_seen_at + s.idle, s.revoked_at) >= $2
		ORDER BY s.created_at DESC, s.id DESC`, userID, s.clock().Add(-sessionListGrace))
	var out []civmap.Session
	err := forEach(rows, func(r pgx.Row) error {
		x, err := scanSession(r)
		out = append(out, x)
		return err
	})
	return out, wrap("list sessions", err)
}

// CreateToken stores a new API token with its audit record (AuditCreate, kind
// civmap.KindToken), assigning ID; a zero CreatedAt is the store's clock, times are kept in UTC
// to the microsecond. It returns the token as stored. ENOTFOUND for an unknown user, EINVALID
// as civmap.APIToken.Validate, ECONFLICT when the hash is already stored.
func (s *Store) CreateToken(ctx context.Context, t civmap.APIToken) (civmap.APIToken, error) {
	if err := t.Validate(); err != nil {
		return civmap.APIToken{}, err
	}
	now := s.clock()
	if t.CreatedAt.IsZero() {
		t.CreatedAt = now
	}
	t.CreatedAt, t.LastUsedAt, t.RevokedAt = stored(t.CreatedAt), stored(t.LastUsedAt), stored(t.RevokedAt)
	err := s.inTx(ctx, "create token", func(tx pgx.Tx) error {
		err := tx.QueryRow(ctx, `INSERT INTO api_tokens (user_id, name, hash, prefix, created_by, created_at,
				last_used_at, revoked_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id`,
			t.UserID, t.Name, t.Hash, t.Prefix, t.CreatedBy, t.CreatedAt, nullTime(t.LastUsedAt), nullTime(t.RevokedAt)).Scan(&t.ID)
		if err != nil {
			return accountErr("create token", t.UserID, err)
		}
		return wrap("create token: audit", appendAudit(ctx, tx,
			store.NewAudit(ctx, now, civmap.AuditCreate, civmap.KindToken, id10(t.ID), nil, t, "")))
	})
	if err != nil {
		return civmap.APIToken{}, err
	}
	return t, nil
}

func noToken(id int64) error {
	return civmap.Errorf(civmap.ENOTFOUND, "没有编号为 %d 的 API 令牌", id)
}

// Token returns the token with id; ENOTFOUND if there is none.
func (s *Store) Token(ctx context.Context, id int64) (civmap.APIToken, error) {
	t, err := scanToken(s.pool.QueryRow(ctx, `SELECT `+tokenColumns+` FROM api_tokens t WHERE t.id = $1`, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return civmap.APIToken{}, noToken(id)
	}
	return t, wrap("token", err)
}

// TokenByHash returns the token whose secret has this hash and its user, revoked or not;
// ENOTFOUND if there is none.
func (s *Store) TokenByHash(ctx context.Context, hash string) (civmap.APIToken, civmap.User, error) {
	var tr tokenRow
	var ur userRow
	err := s.pool.QueryRow(ctx, `SELECT `+tokenColumns+`, `+userColumns+`
		FROM api_tokens t JOIN users u ON u.id = t.user_id WHERE t.hash = $1`, hash).
		Scan(append(tr.dest(), ur.dest()...)...)
	if errors.Is(err, pgx.ErrNoRows) {
		return civmap.APIToken{}, civmap.User{}, civmap.Errorf(civmap.ENOTFOUND, "API 令牌不存在")
	} else if err != nil {
		return civmap.APIToken{}, civmap.User{}, wrap("token by hash", err)
	}
	return tr.value(), ur.value(), nil
}

// TouchToken sets the token's LastUsedAt to at (UTC, microseconds); not audited. ENOTFOUND if
// there is no token id.
func (s *Store) TouchToken(ctx context.Context, id int64, at time.Time) error {
	tag, err := s.pool.Exec(ctx, `UPDATE api_tokens SET last_used_at = $2 WHERE id = $1`, id, stored(at))
	if err != nil {
		return wrap("touch token", err)
	}
	if tag.RowsAffected() == 0 {
		return noToken(id)
	}
	return nil
}

// RevokeToken revokes token id at the store's clock, in one transaction with its audit record
// (AuditRevoke). Revoking a revoked token changes nothing and succeeds. ENOTFOUND.
func (s *Store) RevokeToken(ctx context.Context, id int64) error {
	return s.inTx(ctx, "revoke token", func(tx pgx.Tx) error {
		old, err := scanToken(tx.QueryRow(ctx, `SELECT `+tokenColumns+` FROM api_tokens t WHERE t.id = $1 FOR UPDATE`, id))
		if errors.Is(err, pgx.ErrNoRows) {
			return noToken(id)
		} else if err != nil {
			return wrap("revoke token: read", err)
		}
		if !old.RevokedAt.IsZero() {
			return nil
		}
		now := s.clock()
		t := old
		t.RevokedAt = now
		if _, err := tx.Exec(ctx, `UPDATE api_tokens SET revoked_at = $2 WHERE id = $1`, id, now); err != nil {
			return wrap("revoke token", err)
		}
		return wrap("revoke token: audit", appendAudit(ctx, tx,
			store.NewAudit(ctx, now, civmap.AuditRevoke, civmap.KindToken, id10(id), old, t, "")))
	})
}

// ListTokens returns the tokens of user userID (0: of every user), newest first (by CreatedAt,
// then id).
func (s *Store) ListTokens(ctx context.Context, userID int64) ([]civmap.APIToken, error) {
	rows, _ := s.pool.Query(ctx, `SELECT `+tokenColumns+` FROM api_tokens t
		WHERE ($1 = 0 OR t.user_id = $1) ORDER BY t.created_at DESC, t.id DESC`, userID)
	var out []civmap.APIToken
	err := forEach(rows, func(r pgx.Row) error {
		t, err := scanToken(r)
		out = append(out, t)
		return err
	})
	return out, wrap("list tokens", err)
}
