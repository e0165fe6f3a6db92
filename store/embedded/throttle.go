package embedded

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"civmap/store"
)

// The sign-in throttle (store.Throttle): failed sign-ins per key in login_failures, shared by
// every process on the data file. Bookkeeping, not audited.

// LoginFailures returns the state of each key, in order (Count 0 and a zero Last for a key
// never seen). Errors are EINTERNAL.
func (d *direct) LoginFailures(ctx context.Context, keys []string) ([]store.LoginFailure, error) {
	out := make([]store.LoginFailure, len(keys))
	for i, k := range keys {
		out[i].Key = k
		var last int64
		err := d.db.QueryRowContext(ctx, `SELECT count, last_us FROM login_failures WHERE key = ?`, k).Scan(&out[i].Count, &last)
		switch {
		case errors.Is(err, sql.ErrNoRows):
		case err != nil:
			return nil, fmt.Errorf("embedded: login failures: %w", err)
		default:
			out[i].Last = fromMicros(last)
		}
	}
	return out, nil
}

// AddLoginFailure records a failure at `at` (stored in UTC microseconds) against each key, in
// one transaction: a key's count restarts at 1 when its last failure is more than forget
// before at, and grows by one otherwise (concurrent failures all count: each key is one
// UPSERT under the write lock). Last becomes the later of at and the previous last failure.
// It returns the new states, in order. Errors are EINTERNAL.
func (d *direct) AddLoginFailure(ctx context.Context, keys []string, at time.Time, forget time.Duration) ([]store.LoginFailure, error) {
	at = normTime(at)
	out := make([]store.LoginFailure, len(keys))
	err := d.write(ctx, "add login failure", func(tx *sql.Tx) error {
		for i, k := range keys {
			var last int64
			if err := tx.QueryRowContext(ctx, `INSERT INTO login_failures (key, count, last_us) VALUES (?, 1, ?)
				ON CONFLICT (key) DO UPDATE SET
					count = CASE WHEN login_failures.last_us < excluded.last_us - ? THEN 1 ELSE login_failures.count + 1 END,
					last_us = MAX(login_failures.last_us, excluded.last_us)
				RETURNING count, last_us`, k, at.UnixMicro(), forget.Microseconds()).Scan(&out[i].Count, &last); err != nil {
				return fmt.Errorf("embedded: add login failure: %w", err)
			}
			out[i].Key, out[i].Last = k, fromMicros(last)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// ClearLoginFailures forgets the keys' failures (after a successful sign-in). Errors are
// EINTERNAL.
func (d *direct) ClearLoginFailures(ctx context.Context, keys []string) error {
	return d.write(ctx, "clear login failures", func(tx *sql.Tx) error {
		for _, k := range keys {
			if _, err := tx.ExecContext(ctx, `DELETE FROM login_failures WHERE key = ?`, k); err != nil {
				return fmt.Errorf("embedded: clear login failures: %w", err)
			}
		}
		return nil
	})
}
