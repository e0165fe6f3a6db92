package embedded

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"civmap"
	"civmap/store"
)

// Sessions (store.Accounts), read and written with SQL. Times are stored in UTC microseconds,
// Idle in microseconds.

const sessionColumns = `id, user_id, kind, token_hash, created_us, last_seen_us, expires_us, idle_us, addr,
	user_agent, revoked_us`

func scanSession(row scanner, extra ...any) (civmap.Session, error) {
	var s civmap.Session
	var created, seen, expires, idle int64
	var revoked sql.NullInt64
	dest := append([]any{&s.ID, &s.UserID, &s.Kind, &s.TokenHash, &created, &seen, &expires, &idle, &s.Addr,
		&s.UserAgent, &revoked}, extra...)
	if err := row.Scan(dest...); err != nil {
		return civmap.Session{}, err
	}
	s.CreatedAt, s.LastSeenAt, s.ExpiresAt = fromMicros(created), fromMicros(seen), fromMicros(expires)
	s.Idle, s.RevokedAt = time.Duration(idle)*time.Microsecond, fromNullMicros(revoked)
	return s, nil
}

// sessionIn reads session id inside q; ENOTFOUND when there is none.
func sessionIn(ctx context.Context, q querier, id int64) (civmap.Session, error) {
	s, err := scanSession(q.QueryRowContext(ctx, `SELECT `+sessionColumns+` FROM sessions WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return civmap.Session{}, notFound("没有编号为 %d 的登录会话", id)
	} else if err != nil {
		return civmap.Session{}, fmt.Errorf("embedded: read session %d: %w", id, err)
	}
	return s, nil
}

// revokeSessions revokes, at now inside tx, the sessions matching where (SQL over the sessions
// table, with args) that are neither revoked nor expired, appending one civmap.AuditRevoke
// record per session with note.
func revokeSessions(ctx context.Context, tx *sql.Tx, now time.Time, where string, args []any, note string) error {
	rows, err := tx.QueryContext(ctx, `UPDATE sessions SET revoked_us = ?
		WHERE `+where+` AND revoked_us IS NULL AND expires_us > ? RETURNING `+sessionColumns,
		append(append([]any{now.UnixMicro()}, args...), now.UnixMicro())...)
	if err != nil {
		return fmt.Errorf("embedded: revoke sessions: %w", err)
	}
	var revoked []civmap.Session
	for rows.Next() {
		s, err := scanSession(rows)
		if err != nil {
			rows.Close()
			return fmt.Errorf("embedded: revoke sessions: %w", err)
		}
		revoked = append(revoked, s)
	}
	if err := closeRows(rows); err != nil {
		return fmt.Errorf("embedded: revoke sessions: %w", err)
	}
	for _, s := range revoked {
		before := s
		before.RevokedAt = time.Time{}
		if err := appendAudit(ctx, tx, store.NewAudit(ctx, now, civmap.AuditRevoke, civmap.KindSession, idString(s.ID), before, s, note)); err != nil {
			return err
		}
	}
	return nil
}

// CreateSession stores a new session, assigning ID (CreatedAt is the store's clock when zero;
// times are kept in UTC microseconds, Idle in microseconds). Audited as civmap.AuditSignIn.
// ENOTFOUND when the user does not exist; EINVALID for an unknown kind or a missing token
// hash; ECONFLICT when another session has the hash.
func (d *direct) CreateSession(ctx context.Context, s civmap.Session) (civmap.Session, error) {
	switch {
	case s.Kind != civmap.SessionPassword && s.Kind != civmap.SessionDevice:
		return civmap.Session{}, civmap.FieldErrorf("kind", "unknown session kind %q (want password or device)", s.Kind)
	case s.TokenHash == "":
		return civmap.Session{}, civmap.FieldErrorf("token_hash", "a session needs its secret's hash")
	case s.Idle < 0:
		return civmap.Session{}, civmap.FieldErrorf("idle", "idle timeout must not be negative")
	}
	now := d.clock()
	if s.CreatedAt.IsZero() {
		s.CreatedAt = now
	}
	s.ID = 0
	s.CreatedAt, s.LastSeenAt, s.ExpiresAt, s.RevokedAt = normTime(s.CreatedAt), normTime(s.LastSeenAt),
		normTime(s.ExpiresAt), normTime(s.RevokedAt)
	s.Idle = s.Idle.Truncate(time.Microsecond)
	err := d.write(ctx, "create session", func(tx *sql.Tx) error {
		if _, err := userIn(ctx, tx, s.UserID); err != nil {
			return err
		}
		err := tx.QueryRowContext(ctx, `INSERT INTO sessions (user_id, kind, token_hash, created_us, last_seen_us,
			expires_us, idle_us, addr, user_agent, revoked_us) VALUES (?,?,?,?,?,?,?,?,?,?) RETURNING id`,
			s.UserID, s.Kind, s.TokenHash, s.CreatedAt.UnixMicro(), s.LastSeenAt.UnixMicro(), s.ExpiresAt.UnixMicro(),
			s.Idle.Microseconds(), s.Addr, s.UserAgent, nullMicros(s.RevokedAt)).Scan(&s.ID)
		switch {
		case isUnique(err):
			return civmap.Errorf(civmap.ECONFLICT, "登录会话冲突，请重新登录")
		case isForeignKey(err):
			return notFound("没有编号为 %d 的用户", s.UserID)
		case err != nil:
			return fmt.Errorf("embedded: create session: %w", err)
		}
		return appendAudit(ctx, tx, store.NewAudit(ctx, now, civmap.AuditSignIn, civmap.KindSession, idString(s.ID), nil, s, ""))
	})
	if err != nil {
		return civmap.Session{}, err
	}
	return s, nil
}

// Session returns the session with id; ENOTFOUND.
func (d *direct) Session(ctx context.Context, id int64) (civmap.Session, error) {
	return sessionIn(ctx, d.db, id)
}

// SessionByHash returns the session whose secret has this hash and its user, active or not;
// ENOTFOUND.
func (d *direct) SessionByHash(ctx context.Context, tokenHash string) (civmap.Session, civmap.User, error) {
	row := d.db.QueryRowContext(ctx, `SELECT `+prefixed("u", userColumns)+`, `+prefixed("s", sessionColumns)+`
		FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.token_hash = ?`, tokenHash)
	var s civmap.Session
	var created, seen, expires, idle int64
	var revoked sql.NullInt64
	u, err := scanUser(row, &s.ID, &s.UserID, &s.Kind, &s.TokenHash, &created, &seen, &expires, &idle, &s.Addr,
		&s.UserAgent, &revoked)
	if errors.Is(err, sql.ErrNoRows) {
		return civmap.Session{}, civmap.User{}, notFound("登录会话不存在")
	} else if err != nil {
		return civmap.Session{}, civmap.User{}, fmt.Errorf("embedded: read session by hash: %w", err)
	}
	s.CreatedAt, s.LastSeenAt, s.ExpiresAt = fromMicros(created), fromMicros(seen), fromMicros(expires)
	s.Idle, s.RevokedAt = time.Duration(idle)*time.Microsecond, fromNullMicros(revoked)
	return s, u, nil
}

// TouchSession sets the session's LastSeenAt to at (UTC microseconds); bookkeeping, not
// audited. ENOTFOUND.
func (d *direct) TouchSession(ctx context.Context, id int64, at time.Time) error {
	return d.write(ctx, "touch session", func(tx *sql.Tx) error {
		r, err := tx.ExecContext(ctx, `UPDATE sessions SET last_seen_us = ? WHERE id = ?`, normTime(at).UnixMicro(), id)
		if err != nil {
			return fmt.Errorf("embedded: touch session %d: %w", id, err)
		}
		if n, err := r.RowsAffected(); err != nil {
			return fmt.Errorf("embedded: touch session %d: %w", id, err)
		} else if n == 0 {
			return notFound("没有编号为 %d 的登录会话", id)
		}
		return nil
	})
}

// RevokeSession ends session id at the store's clock, audited as civmap.AuditSignOut when the
// context's actor is the session's user and civmap.AuditRevoke otherwise. Revoking a revoked
// session changes and records nothing and succeeds. ENOTFOUND.
func (d *direct) RevokeSession(ctx context.Context, id int64) error {
	now := d.clock()
	return d.write(ctx, "revoke session", func(tx *sql.Tx) error {
		old, err := sessionIn(ctx, tx, id)
		if err != nil || !old.RevokedAt.IsZero() {
			return err
		}
		s := old
		s.RevokedAt = now
		if _, err := tx.ExecContext(ctx, `UPDATE sessions SET revoked_us = ? WHERE id = ?`, now.UnixMicro(), id); err != nil {
			return fmt.Errorf("embedded: revoke session %d: %w", id, err)
		}
		action := civmap.AuditRevoke
		if a := civmap.ActorFrom(ctx); a.UserID != 0 && a.UserID == s.UserID {
			action = civmap.AuditSignOut
		}
		return appendAudit(ctx, tx, store.NewAudit(ctx, now, action, civmap.KindSession, idString(id), old, s, ""))
	})
}

// sessionsKept is how long an ended (revoked or expired) session stays in ListSessions.
const sessionsKept = 24 * time.Hour

// ListSessions returns the user's sessions that have not ended — been revoked, passed their
// expiry or idled out — more than a day before the store's clock, newest first (by CreatedAt,
// then id). Errors are EINTERNAL.
func (d *direct) ListSessions(ctx context.Context, userID int64) ([]civmap.Session, error) {
	cutoff := d.clock().Add(-sessionsKept).UnixMicro()
	rows, err := d.db.QueryContext(ctx, `SELECT `+sessionColumns+` FROM sessions
		WHERE user_id = ? AND (revoked_us IS NULL OR revoked_us >= ?) AND expires_us >= ? AND last_seen_us + idle_us >= ?
		ORDER BY created_us DESC, id DESC`, userID, cutoff, cutoff, cutoff)
	if err != nil {
		return nil, fmt.Errorf("embedded: list sessions: %w", err)
	}
	var out []civmap.Session
	for rows.Next() {
		s, err := scanSession(rows)
		if err != nil {
			rows.Close()
			return nil, fmt.Errorf("embedded: list sessions: %w", err)
		}
		out = append(out, s)
	}
	if err := closeRows(rows); err != nil {
		return nil, fmt.Errorf("embedded: list sessions: %w", err)
	}
	return out, nil
}
