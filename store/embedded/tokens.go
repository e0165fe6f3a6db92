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

// API tokens (store.Accounts), read and written with SQL. Times are stored in UTC
// microseconds.

const tokenColumns = `id, user_id, name, hash, prefix, created_by, created_us, last_used_us, revoked_us`

func scanToken(row scanner, extra ...any) (civmap.APIToken, error) {
	var t civmap.APIToken
	var created int64
	var used, revoked sql.NullInt64
	dest := append([]any{&t.ID, &t.UserID, &t.Name, &t.Hash, &t.Prefix, &t.CreatedBy, &created, &used, &revoked}, extra...)
	if err := row.Scan(dest...); err != nil {
		return civmap.APIToken{}, err
	}
	t.CreatedAt, t.LastUsedAt, t.RevokedAt = fromMicros(created), fromNullMicros(used), fromNullMicros(revoked)
	return t, nil
}

// tokenIn reads token id inside q; ENOTFOUND when there is none.
func tokenIn(ctx context.Context, q querier, id int64) (civmap.APIToken, error) {
	t, err := scanToken(q.QueryRowContext(ctx, `SELECT `+tokenColumns+` FROM api_tokens WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return civmap.APIToken{}, notFound("没有编号为 %d 的 API 令牌", id)
	} else if err != nil {
		return civmap.APIToken{}, fmt.Errorf("embedded: read token %d: %w", id, err)
	}
	return t, nil
}

// CreateToken stores a new API token, assigning ID (CreatedAt is the store's clock when zero;
// times are kept in UTC microseconds). Audited as civmap.AuditCreate (kind civmap.KindToken).
// ENOTFOUND for an unknown user; EINVALID as civmap.APIToken.Validate; ECONFLICT when another
// token has the hash.
func (d *direct) CreateToken(ctx context.Context, t civmap.APIToken) (civmap.APIToken, error) {
	if err := t.Validate(); err != nil {
		return civmap.APIToken{}, err
	}
	now := d.clock()
	if t.CreatedAt.IsZero() {
		t.CreatedAt = now
	}
	t.ID = 0
	t.CreatedAt, t.LastUsedAt, t.RevokedAt = normTime(t.CreatedAt), normTime(t.LastUsedAt), normTime(t.RevokedAt)
	err := d.write(ctx, "create token", func(tx *sql.Tx) error {
		if _, err := userIn(ctx, tx, t.UserID); err != nil {
			return err
		}
		err := tx.QueryRowContext(ctx, `INSERT INTO api_tokens (user_id, name, hash, prefix, created_by, created_us,
			last_used_us, revoked_us) VALUES (?,?,?,?,?,?,?,?) RETURNING id`,
			t.UserID, t.Name, t.Hash, t.Prefix, t.CreatedBy, t.CreatedAt.UnixMicro(), nullMicros(t.LastUsedAt),
			nullMicros(t.RevokedAt)).Scan(&t.ID)
		switch {
		case isUnique(err):
			return civmap.Errorf(civmap.ECONFLICT, "API 令牌冲突，请重新生成")
		case isForeignKey(err):
			return notFound("没有编号为 %d 的用户", t.UserID)
		case err != nil:
			return fmt.Errorf("embedded: create token: %w", err)
		}
		return appendAudit(ctx, tx, store.NewAudit(ctx, now, civmap.AuditCreate, civmap.KindToken, idString(t.ID), nil, t, ""))
	})
	if err != nil {
		return civmap.APIToken{}, err
	}
	return t, nil
}

// Token returns the token with id; ENOTFOUND.
func (d *direct) Token(ctx context.Context, id int64) (civmap.APIToken, error) {
	return tokenIn(ctx, d.db, id)
}

// TokenByHash returns the token whose secret has this hash and its user, revoked or not;
// ENOTFOUND.
func (d *direct) TokenByHash(ctx context.Context, hash string) (civmap.APIToken, civmap.User, error) {
	row := d.db.QueryRowContext(ctx, `SELECT `+prefixed("u", userColumns)+`, `+prefixed("t", tokenColumns)+`
		FROM api_tokens t JOIN users u ON u.id = t.user_id WHERE t.hash = ?`, hash)
	var t civmap.APIToken
	var created int64
	var used, revoked sql.NullInt64
	u, err := scanUser(row, &t.ID, &t.UserID, &t.Name, &t.Hash, &t.Prefix, &t.CreatedBy, &created, &used, &revoked)
	if errors.Is(err, sql.ErrNoRows) {
		return civmap.APIToken{}, civmap.User{}, notFound("API 令牌不存在")
	} else if err != nil {
		return civmap.APIToken{}, civmap.User{}, fmt.Errorf("embedded: read token by hash: %w", err)
	}
	t.CreatedAt, t.LastUsedAt, t.RevokedAt = fromMicros(created), fromNullMicros(used), fromNullMicros(revoked)
	return t, u, nil
}

// TouchToken sets the token's LastUsedAt to at (UTC microseconds); not audited. ENOTFOUND.
func (d *direct) TouchToken(ctx context.Context, id int64, at time.Time) error {
	return d.write(ctx, "touch token", func(tx *sql.Tx) error {
		r, err := tx.ExecContext(ctx, `UPDATE api_tokens SET last_used_us = ? WHERE id = ?`, nullMicros(normTime(at)), id)
		if err != nil {
			return fmt.Errorf("embedded: touch token %d: %w", id, err)
		}
		if n, err := r.RowsAffected(); err != nil {
			return fmt.Errorf("embedded: touch token %d: %w", id, err)
		} else if n == 0 {
			return notFound("没有编号为 %d 的 API 令牌", id)
		}
		return nil
	})
}

// RevokeToken revokes token id at the store's clock, audited as civmap.AuditRevoke;
// revoking a revoked token changes and records nothing. ENOTFOUND.
func (d *direct) RevokeToken(ctx context.Context, id int64) error {
	now := d.clock()
	return d.write(ctx, "revoke token", func(tx *sql.Tx) error {
		old, err := tokenIn(ctx, tx, id)
		if err != nil || !old.RevokedAt.IsZero() {
			return err
		}
		t := old
		t.RevokedAt = now
		if _, err := tx.ExecContext(ctx, `UPDATE api_tokens SET revoked_us = ? WHERE id = ?`, now.UnixMicro(), id); err != nil {
			return fmt.Errorf("embedded: revoke token %d: %w", id, err)
		}
		return appendAudit(ctx, tx, store.NewAudit(ctx, now, civmap.AuditRevoke, civmap.KindToken, idString(id), old, t, ""))
	})
}

// ListTokens returns the tokens of user userID (0: of every user), newest first (by CreatedAt,
// then id). Errors are EINTERNAL.
func (d *direct) ListTokens(ctx context.Context, userID int64) ([]civmap.APIToken, error) {
	q := `SELECT ` + tokenColumns + ` FROM api_tokens`
	var args []any
	if userID != 0 {
		q += ` WHERE user_id = ?`
		args = append(args, userID)
	}
	rows, err := d.db.QueryContext(ctx, q+` ORDER BY created_us DESC, id DESC`, args...)
	if err != nil {
		return nil, fmt.Errorf("embedded: list tokens: %w", err)
	}
	var out []civmap.APIToken
	for rows.Next() {
		t, err := scanToken(rows)
		if err != nil {
			rows.Close()
			return nil, fmt.Errorf("embedded: list tokens: %w", err)
		}
		out = append(out, t)
	}
	if err := closeRows(rows); err != nil {
		return nil, fmt.Errorf("embedded: list tokens: %w", err)
	}
	return out, nil
}
