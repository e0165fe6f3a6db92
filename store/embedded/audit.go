package embedded

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"

	"civmap"
	"civmap/store"
)

// The audit log is append-only: this file only inserts and selects, and the data file refuses
// UPDATE and DELETE on it underneath (triggers in migrations/00003_accounts.sql).

// appendAudit inserts r (built with store.NewAudit, or given to AppendAudit) inside the write's
// transaction q.
func appendAudit(ctx context.Context, q querier, r civmap.AuditRecord) error {
	if _, err := q.ExecContext(ctx, `INSERT INTO audit (at_us, actor_id, actor_login, actor_role, addr, action,
		kind, record_id, before, after, note) VALUES (?,?,?,?,?,?,?,?,?,?,?)`,
		r.At.UnixMicro(), r.ActorID, r.ActorLogin, r.ActorRole, r.Addr, r.Action, r.Kind, r.RecordID,
		nullJSON(r.Before), nullJSON(r.After), r.Note); err != nil {
		return fmt.Errorf("embedded: append audit record (%s %s %s): %w", r.Action, r.Kind, r.RecordID, err)
	}
	return nil
}

// auditWriter appends many records inside one write's transaction with one prepared
// statement (batches of volunteers, teams, erasures).
type auditWriter struct {
	ctx  context.Context
	stmt *sql.Stmt
}

func newAuditWriter(ctx context.Context, tx *sql.Tx) (*auditWriter, error) {
	stmt, err := tx.PrepareContext(ctx, `INSERT INTO audit (at_us, actor_id, actor_login, actor_role, addr, action,
		kind, record_id, before, after, note) VALUES (?,?,?,?,?,?,?,?,?,?,?)`)
	if err != nil {
		return nil, fmt.Errorf("embedded: prepare audit records: %w", err)
	}
	return &auditWriter{ctx: ctx, stmt: stmt}, nil
}

func (w *auditWriter) append(r civmap.AuditRecord) error {
	if _, err := w.stmt.ExecContext(w.ctx, r.At.UnixMicro(), r.ActorID, r.ActorLogin, r.ActorRole, r.Addr, r.Action,
		r.Kind, r.RecordID, nullJSON(r.Before), nullJSON(r.After), r.Note); err != nil {
		return fmt.Errorf("embedded: append audit record (%s %s %s): %w", r.Action, r.Kind, r.RecordID, err)
	}
	return nil
}

func (w *auditWriter) Close() error { return w.stmt.Close() }

// nullJSON is a snapshot as stored: NULL for none.
func nullJSON(js json.RawMessage) any {
	if len(js) == 0 {
		return nil
	}
	return string(js)
}

// AppendAudit appends r to the audit log in its own transaction; see store.Audit. ID is
// assigned; At (stored in UTC microseconds) is the store's clock when zero. Errors are
// EINTERNAL.
func (d *direct) AppendAudit(ctx context.Context, r civmap.AuditRecord) error {
	if r.At.IsZero() {
		r.At = d.clock()
	}
	r.At = normTime(r.At)
	return d.write(ctx, "append audit record", func(tx *sql.Tx) error { return appendAudit(ctx, tx, r) })
}

// ListAudit returns the records matching f, newest first (by id); see store.Audit. Errors are
// EINTERNAL.
func (d *direct) ListAudit(ctx context.Context, f store.AuditFilter) ([]civmap.AuditRecord, error) {
	var where []string
	var args []any
	add := func(cond string, arg any) {
		where = append(where, cond)
		args = append(args, arg)
	}
	if f.ActorID != 0 {
		add("actor_id = ?", f.ActorID)
	}
	if f.Kind != "" {
		add("kind = ?", f.Kind)
	}
	if f.RecordID != "" {
		add("record_id = ?", f.RecordID)
	}
	if f.Action != "" {
		add("action = ?", f.Action)
	}
	if !f.Since.IsZero() {
		add("at_us >= ?", f.Since.UnixMicro())
	}
	if !f.Until.IsZero() {
		add("at_us < ?", f.Until.UnixMicro())
	}
	if f.BeforeID != 0 {
		add("id < ?", f.BeforeID)
	}
	q := `SELECT id, at_us, actor_id, actor_login, actor_role, addr, action, kind, record_id, before, after, note
		FROM audit`
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	q += " ORDER BY id DESC"
	if f.Limit > 0 {
		q += " LIMIT ?"
		args = append(args, f.Limit)
	}
	rows, err := d.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("embedded: list audit: %w", err)
	}
	var out []civmap.AuditRecord
	for rows.Next() {
		var r civmap.AuditRecord
		var at int64
		var before, after sql.NullString
		if err := rows.Scan(&r.ID, &at, &r.ActorID, &r.ActorLogin, &r.ActorRole, &r.Addr, &r.Action, &r.Kind,
			&r.RecordID, &before, &after, &r.Note); err != nil {
			rows.Close()
			return nil, fmt.Errorf("embedded: list audit: %w", err)
		}
		r.At = fromMicros(at)
		if before.Valid {
			r.Before = json.RawMessage(before.String)
		}
		if after.Valid {
			r.After = json.RawMessage(after.String)
		}
		out = append(out, r)
	}
	if err := closeRows(rows); err != nil {
		return nil, fmt.Errorf("embedded: list audit: %w", err)
	}
	return out, nil
}
