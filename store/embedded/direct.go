package embedded

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync"
	"time"

	"civmap"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// direct is the part of the store that is read and written with SQL on every call, never
// cached in memory: users, personal codes, sessions, API tokens, the sign-in throttle and the
// audit log. Store embeds it (with the writer mutex its other writes take); Shared is it for
// a command running beside a server that holds the data file's lock. Since nothing of it is
// cached, two processes writing these tables through SQLite's own locking stay consistent.
type direct struct {
	db  *sql.DB
	wmu *sync.Mutex // serialises this process's writers
	now func() time.Time
}

// clock returns the store's current time as stored: UTC, whole microseconds.
func (d *direct) clock() time.Time { return d.now().UTC().Truncate(time.Microsecond) }

// write runs fn in one transaction under the writer mutex and commits it.
func (d *direct) write(ctx context.Context, what string, fn func(tx *sql.Tx) error) error {
	d.wmu.Lock()
	defer d.wmu.Unlock()
	tx, err := d.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("embedded: %s: begin: %w", what, err)
	}
	defer tx.Rollback()
	if err := fn(tx); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("embedded: %s: commit: %w", what, err)
	}
	return nil
}

// querier is what reads need from *sql.DB and *sql.Tx.
type querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}

// scanner is *sql.Row or *sql.Rows.
type scanner interface {
	Scan(dest ...any) error
}

// isUnique reports whether err is SQLite's UNIQUE constraint failure (a taken login, hash, …),
// told by its extended result code.
func isUnique(err error) bool {
	var e *sqlite.Error
	return errors.As(err, &e) && (e.Code() == sqlite3.SQLITE_CONSTRAINT_UNIQUE || e.Code() == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY)
}

// isForeignKey reports whether err is SQLite's FOREIGN KEY constraint failure.
func isForeignKey(err error) bool {
	var e *sqlite.Error
	return errors.As(err, &e) && e.Code() == sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY
}

// normTime is t as stored: UTC, whole microseconds; the zero time stays zero.
func normTime(t time.Time) time.Time {
	if t.IsZero() {
		return time.Time{}
	}
	return t.UTC().Truncate(time.Microsecond)
}

// nullMicros is an optional time as stored: NULL for the zero time, else Unix microseconds.
func nullMicros(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UnixMicro()
}

// fromNullMicros reads an optional time: the zero time for NULL.
func fromNullMicros(us sql.NullInt64) time.Time {
	if !us.Valid {
		return time.Time{}
	}
	return fromMicros(us.Int64)
}

func notFound(format string, args ...any) error {
	return civmap.Errorf(civmap.ENOTFOUND, format, args...)
}
