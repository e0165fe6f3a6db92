package postgis

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"time"

	"civmap"
	"civmap/store"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// inTx runs f in a transaction (READ COMMITTED) and commits when f returns nil; otherwise, or
// when the commit fails, it rolls back. Errors of f are returned as they are (f wraps its own);
// begin and commit failures are wrapped with op.
func (s *Store) inTx(ctx context.Context, op string, f func(tx pgx.Tx) error) error {
	tx, err := s.pool.BeginTx(ctx, pgx.TxOptions{})
	if err != nil {
		return wrap(op+": begin", err)
	}
	defer tx.Rollback(context.WithoutCancel(ctx))
	if err := f(tx); err != nil {
		return err
	}
	return wrap(op+": commit", tx.Commit(ctx))
}

// clock returns the store's current time as stored: UTC, whole microseconds.
func (s *Store) clock() time.Time { return s.now().UTC().Truncate(time.Microsecond) }

// stored normalises a time as PostgreSQL keeps it: UTC, whole microseconds; zero stays zero.
func stored(t time.Time) time.Time {
	if t.IsZero() {
		return time.Time{}
	}
	return t.UTC().Truncate(time.Microsecond)
}

// nullTime is the argument of a nullable timestamptz column: nil for the zero time.
func nullTime(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	t = stored(t)
	return &t
}

// fromNull is the time of a nullable timestamptz column: zero for NULL, UTC otherwise.
func fromNull(t *time.Time) time.Time {
	if t == nil {
		return time.Time{}
	}
	return t.UTC()
}

const insertAuditSQL = `INSERT INTO audit (at, actor_id, actor_login, actor_role, addr, action, kind, record_id,
	before, after, note) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`

// jsonArg is the argument of a nullable jsonb column: SQL NULL for an empty message.
func jsonArg(m json.RawMessage) any {
	if len(m) == 0 {
		return nil
	}
	return string(m)
}

func auditArgs(r civmap.AuditRecord) []any {
	return []any{stored(r.At), r.ActorID, r.ActorLogin, string(r.ActorRole), r.Addr, r.Action, r.Kind, r.RecordID,
		jsonArg(r.Before), jsonArg(r.After), r.Note}
}

// appendAudit inserts the audit record r as part of the transaction tx.
func appendAudit(ctx context.Context, tx pgx.Tx, r civmap.AuditRecord) error {
	_, err := tx.Exec(ctx, insertAuditSQL, auditArgs(r)...)
	return err
}

// queueAudit queues the insertion of audit record r in b (for writes sent as one batch).
func queueAudit(b *pgx.Batch, r civmap.AuditRecord) {
	b.Queue(insertAuditSQL, auditArgs(r)...)
}

// AppendAudit appends r to the audit log (a record that is not part of another write: staff
// reading personal data, a failed sign-in). The ID is assigned by the database and r.ID is
// ignored; At is the store's clock when zero, and is kept in UTC to the microsecond. Before and
// After must be valid JSON or empty (stored as NULL); PostgreSQL keeps them as jsonb, so key
// order and white space are not preserved. EINVALID for malformed JSON.
func (s *Store) AppendAudit(ctx context.Context, r civmap.AuditRecord) error {
	if r.At.IsZero() {
		r.At = s.clock()
	}
	for _, x := range []struct {
		field string
		v     json.RawMessage
	}{{"before", r.Before}, {"after", r.After}} {
		if len(x.v) != 0 && !json.Valid(x.v) {
			return civmap.FieldErrorf(x.field, "%s is not valid JSON", x.field)
		}
	}
	_, err := s.pool.Exec(ctx, insertAuditSQL, auditArgs(r)...)
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && (pgErr.Code == "22P02" || pgErr.Code == "22P05") { // invalid text / untranslatable character (\u0000)
		return civmap.Errorf(civmap.EINVALID, "审计记录含有无法保存的内容")
	}
	return wrap("append audit", err)
}

// ListAudit returns the audit records matching f, newest first (by id). Before and After are
// compact JSON (jsonb's key order), nil when none was recorded.
func (s *Store) ListAudit(ctx context.Context, f store.AuditFilter) ([]civmap.AuditRecord, error) {
	var limit *int
	if f.Limit > 0 {
		limit = &f.Limit
	}
	rows, _ := s.pool.Query(ctx, `SELECT id, at, actor_id, actor_login, actor_role, addr, action, kind, record_id,
			before::text, after::text, note
		FROM audit
		WHERE ($1 = 0 OR actor_id = $1) AND ($2 = '' OR kind = $2) AND ($3 = '' OR record_id = $3)
			AND ($4 = '' OR action = $4) AND ($5::timestamptz IS NULL OR at >= $5)
			AND ($6::timestamptz IS NULL OR at < $6) AND ($7 = 0 OR id < $7)
		ORDER BY id DESC LIMIT $8`,
		f.ActorID, f.Kind, f.RecordID, f.Action, nullTime(f.Since), nullTime(f.Until), f.BeforeID, limit)
	var out []civmap.AuditRecord
	err := forEach(rows, func(row pgx.Row) error {
		var r civmap.AuditRecord
		var before, after *string
		if err := row.Scan(&r.ID, &r.At, &r.ActorID, &r.ActorLogin, &r.ActorRole, &r.Addr, &r.Action, &r.Kind,
			&r.RecordID, &before, &after, &r.Note); err != nil {
			return err
		}
		r.At = r.At.UTC()
		var err error
		if r.Before, err = compactJSON(before); err != nil {
			return err
		}
		if r.After, err = compactJSON(after); err != nil {
			return err
		}
		out = append(out, r)
		return nil
	})
	return out, wrap("list audit", err)
}

// compactJSON turns jsonb's text form ({"a": [1, 2]}) into compact JSON ({"a":[1,2]}); nil for
// SQL NULL.
func compactJSON(s *string) (json.RawMessage, error) {
	if s == nil {
		return nil, nil
	}
	var b bytes.Buffer
	if err := json.Compact(&b, []byte(*s)); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}
