package embedded

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"civmap"
	"civmap/store"
)

// Users and their personal codes (store.Accounts), read and written with SQL. Each write
// appends its audit records in its transaction.

const userColumns = `id, login, name, role, scope, password_hash, code_hash, code_issued_us, disabled, demo,
	created_us, updated_us`

// prefixed returns columns (a comma-separated list) each prefixed with p and a dot.
func prefixed(p, columns string) string {
	cols := strings.Split(columns, ",")
	for i, c := range cols {
		cols[i] = p + "." + strings.TrimSpace(c)
	}
	return strings.Join(cols, ", ")
}

func scanUser(row scanner, extra ...any) (civmap.User, error) {
	var u civmap.User
	var issued sql.NullInt64
	var created, updated int64
	dest := append([]any{&u.ID, &u.Login, &u.Name, &u.Role, &u.Scope, &u.PasswordHash, &u.CodeHash, &issued,
		&u.Disabled, &u.Demo, &created, &updated}, extra...)
	if err := row.Scan(dest...); err != nil {
		return civmap.User{}, err
	}
	u.CodeIssuedAt, u.CreatedAt, u.UpdatedAt = fromNullMicros(issued), fromMicros(created), fromMicros(updated)
	return u, nil
}

func idString(id int64) string { return strconv.FormatInt(id, 10) }

// loginTaken is the ECONFLICT of a login that another user has.
func loginTaken(login string) error {
	return &civmap.Error{Code: civmap.ECONFLICT, Field: "login", Message: fmt.Sprintf("登录名 %s 已被使用", login)}
}

// userConflict turns a UNIQUE failure writing u into ECONFLICT: the login when another user
// has it, else the personal code.
func userConflict(ctx context.Context, q querier, u civmap.User) error {
	var id int64
	if err := q.QueryRowContext(ctx, `SELECT id FROM users WHERE login = ? AND id <> ?`, u.Login, u.ID).Scan(&id); err == nil {
		return loginTaken(u.Login)
	}
	return civmap.Errorf(civmap.ECONFLICT, "该个人码已被使用，请重新生成")
}

// userIn reads user id inside q; ENOTFOUND when there is none.
func userIn(ctx context.Context, q querier, id int64) (civmap.User, error) {
	u, err := scanUser(q.QueryRowContext(ctx, `SELECT `+userColumns+` FROM users WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return civmap.User{}, notFound("没有编号为 %d 的用户", id)
	} else if err != nil {
		return civmap.User{}, fmt.Errorf("embedded: read user %d: %w", id, err)
	}
	return u, nil
}

// CreateUser validates (civmap.User.Validate) and stores a new user, assigning ID, CreatedAt
// and UpdatedAt (the store's clock, UTC microseconds; CodeIssuedAt too when a code hash is
// given without it). Audited as civmap.AuditCreate. EINVALID for bad input, ECONFLICT when
// the login is taken.
func (d *direct) CreateUser(ctx context.Context, u civmap.User) (civmap.User, error) {
	if err := u.Validate(); err != nil {
		return civmap.User{}, err
	}
	now := d.clock()
	u.ID, u.CreatedAt, u.UpdatedAt = 0, now, now
	u.CodeIssuedAt = normTime(u.CodeIssuedAt)
	if u.CodeHash == "" {
		u.CodeIssuedAt = time.Time{}
	} else if u.CodeIssuedAt.IsZero() {
		u.CodeIssuedAt = now
	}
	err := d.write(ctx, "create user", func(tx *sql.Tx) error {
		err := tx.QueryRowContext(ctx, `INSERT INTO users (login, name, role, scope, password_hash, code_hash,
			code_issued_us, disabled, demo, created_us, updated_us) VALUES (?,?,?,?,?,?,?,?,?,?,?) RETURNING id`,
			u.Login, u.Name, u.Role, u.Scope, u.PasswordHash, u.CodeHash, nullMicros(u.CodeIssuedAt), u.Disabled,
			u.Demo, now.UnixMicro(), now.UnixMicro()).Scan(&u.ID)
		if isUnique(err) {
			return userConflict(ctx, tx, u)
		} else if err != nil {
			return fmt.Errorf("embedded: create user: %w", err)
		}
		return appendAudit(ctx, tx, store.NewAudit(ctx, now, civmap.AuditCreate, civmap.KindUser, idString(u.ID), nil, u, ""))
	})
	if err != nil {
		return civmap.User{}, err
	}
	return u, nil
}

// UpdateUser replaces the login, name, role, scope, password hash, disabled flag and demo flag
// of the stored user u.ID (not the personal code), setting UpdatedAt, and returns the stored
// user. A disabled user's sessions that have not expired are revoked in the same transaction
// (each audited as civmap.AuditRevoke). Nothing is written when nothing changes. ENOTFOUND,
// EINVALID, ECONFLICT (login taken).
func (d *direct) UpdateUser(ctx context.Context, u civmap.User) (civmap.User, error) {
	if err := u.Validate(); err != nil {
		return civmap.User{}, err
	}
	now := d.clock()
	var out civmap.User
	err := d.write(ctx, "update user", func(tx *sql.Tx) error {
		old, err := userIn(ctx, tx, u.ID)
		if err != nil {
			return err
		}
		out = old
		out.Login, out.Name, out.Role, out.Scope, out.PasswordHash, out.Disabled, out.Demo =
			u.Login, u.Name, u.Role, u.Scope, u.PasswordHash, u.Disabled, u.Demo
		if out != old {
			out.UpdatedAt = now
			_, err := tx.ExecContext(ctx, `UPDATE users SET login = ?, name = ?, role = ?, scope = ?,
				password_hash = ?, disabled = ?, demo = ?, updated_us = ? WHERE id = ?`,
				out.Login, out.Name, out.Role, out.Scope, out.PasswordHash, out.Disabled, out.Demo, now.UnixMicro(), out.ID)
			if isUnique(err) {
				return loginTaken(out.Login)
			} else if err != nil {
				return fmt.Errorf("embedded: update user %d: %w", out.ID, err)
			}
			if err := appendAudit(ctx, tx, store.NewAudit(ctx, now, civmap.AuditUpdate, civmap.KindUser, idString(out.ID), old, out, "")); err != nil {
				return err
			}
		}
		if out.Disabled {
			return revokeSessions(ctx, tx, now, `user_id = ?`, []any{out.ID}, "user disabled")
		}
		return nil
	})
	if err != nil {
		return civmap.User{}, err
	}
	return out, nil
}

// User returns the user with id; ENOTFOUND if there is none.
func (d *direct) User(ctx context.Context, id int64) (civmap.User, error) {
	return userIn(ctx, d.db, id)
}

// UserByLogin returns the user with login (exact); ENOTFOUND if there is none.
func (d *direct) UserByLogin(ctx context.Context, login string) (civmap.User, error) {
	u, err := scanUser(d.db.QueryRowContext(ctx, `SELECT `+userColumns+` FROM users WHERE login = ?`, login))
	if errors.Is(err, sql.ErrNoRows) {
		return civmap.User{}, notFound("没有登录名为 %s 的用户", login)
	} else if err != nil {
		return civmap.User{}, fmt.Errorf("embedded: read user %s: %w", login, err)
	}
	return u, nil
}

// ListUsers returns the users matching f, ordered by id. Errors are EINTERNAL.
func (d *direct) ListUsers(ctx context.Context, f store.UserFilter) ([]civmap.User, error) {
	q := `SELECT ` + userColumns + ` FROM users WHERE 1 = 1`
	var args []any
	if f.Role != "" {
		q += ` AND role = ?`
		args = append(args, f.Role)
	}
	if f.Login != "" {
		q += ` AND login = ?`
		args = append(args, f.Login)
	}
	q += ` ORDER BY id`
	if f.Limit > 0 {
		q += ` LIMIT ?`
		args = append(args, f.Limit)
	}
	rows, err := d.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("embedded: list users: %w", err)
	}
	var out []civmap.User
	for rows.Next() {
		u, err := scanUser(rows)
		if err != nil {
			rows.Close()
			return nil, fmt.Errorf("embedded: list users: %w", err)
		}
		out = append(out, u)
	}
	if err := closeRows(rows); err != nil {
		return nil, fmt.Errorf("embedded: list users: %w", err)
	}
	return out, nil
}

// IssueCode gives user userID a new personal code (codeHash: its SHA-256, hex), replacing the
// old one, and revokes every device session of the user that has not expired, in one
// transaction; CodeIssuedAt and UpdatedAt become the store's clock. Audited as
// civmap.AuditIssue (kind civmap.KindCode, record id the user's) and one civmap.AuditRevoke per
// revoked session. ENOTFOUND; EINVALID for an empty hash; ECONFLICT if another user has the
// code.
func (d *direct) IssueCode(ctx context.Context, userID int64, codeHash string) (civmap.User, error) {
	if codeHash == "" {
		return civmap.User{}, civmap.FieldErrorf("code_hash", "a personal code hash is required")
	}
	now := d.clock()
	var out civmap.User
	err := d.write(ctx, "issue code", func(tx *sql.Tx) error {
		old, err := userIn(ctx, tx, userID)
		if err != nil {
			return err
		}
		out = old
		out.CodeHash, out.CodeIssuedAt, out.UpdatedAt = codeHash, now, now
		_, err = tx.ExecContext(ctx, `UPDATE users SET code_hash = ?, code_issued_us = ?, updated_us = ? WHERE id = ?`,
			codeHash, now.UnixMicro(), now.UnixMicro(), userID)
		if isUnique(err) {
			return userConflict(ctx, tx, out)
		} else if err != nil {
			return fmt.Errorf("embedded: issue code for user %d: %w", userID, err)
		}
		if err := appendAudit(ctx, tx, store.NewAudit(ctx, now, civmap.AuditIssue, civmap.KindCode, idString(userID), old, out, "")); err != nil {
			return err
		}
		return revokeSessions(ctx, tx, now, `user_id = ? AND kind = ?`, []any{userID, civmap.SessionDevice}, "new personal code")
	})
	if err != nil {
		return civmap.User{}, err
	}
	return out, nil
}

// UserByCode returns the user whose current personal code has this hash; ENOTFOUND if none (a
// replaced code is not found).
func (d *direct) UserByCode(ctx context.Context, codeHash string) (civmap.User, error) {
	if codeHash == "" {
		return civmap.User{}, notFound("该个人码无效")
	}
	u, err := scanUser(d.db.QueryRowContext(ctx, `SELECT `+userColumns+` FROM users WHERE code_hash = ?`, codeHash))
	if errors.Is(err, sql.ErrNoRows) {
		return civmap.User{}, notFound("该个人码无效")
	} else if err != nil {
		return civmap.User{}, fmt.Errorf("embedded: read user by code: %w", err)
	}
	return u, nil
}
