package postgis

import (
	"context"
	"sort"
	"time"

	"civmap/store"

	"github.com/jackc/pgx/v5"
)

// Throttle: failed sign-ins per key in login_failures, shared by every instance on the database
// (store.Throttle). Not audited.

// LoginFailures returns the state of each key, in the order given (Count 0 and a zero Last for a
// key without failures).
func (s *Store) LoginFailures(ctx context.Context, keys []string) ([]store.LoginFailure, error) {
	rows, _ := s.pool.Query(ctx, `SELECT key, count, last_at FROM login_failures WHERE key = ANY($1)`, keys)
	found := map[string]store.LoginFailure{}
	err := forEach(rows, func(r pgx.Row) error {
		var f store.LoginFailure
		err := r.Scan(&f.Key, &f.Count, &f.Last)
		f.Last = f.Last.UTC()
		found[f.Key] = f
		return err
	})
	if err != nil {
		return nil, wrap("login failures", err)
	}
	out := make([]store.LoginFailure, len(keys))
	for i, k := range keys {
		out[i] = store.LoginFailure{Key: k}
		if f, ok := found[k]; ok {
			out[i] = f
		}
	}
	return out, nil
}

// AddLoginFailure records a failure at `at` against each key, each with one atomic UPSERT, so
// concurrent failures on any number of instances all count: the count restarts at 1 when the
// key's last failure is more than forget before at, and grows by one otherwise; Last becomes the
// later of the stored time and at (UTC, microseconds). The keys are written in sorted order (two
// calls with the same keys cannot deadlock), in one round trip. It returns the new states, in
// the order given.
func (s *Store) AddLoginFailure(ctx context.Context, keys []string, at time.Time, forget time.Duration) ([]store.LoginFailure, error) {
	at = stored(at)
	order := make([]int, len(keys))
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(a, b int) bool { return keys[order[a]] < keys[order[b]] })
	var b pgx.Batch
	out := make([]store.LoginFailure, len(keys))
	for _, i := range order {
		b.Queue(`INSERT INTO login_failures AS f (key, count, last_at) VALUES ($1, 1, $2)
			ON CONFLICT (key) DO UPDATE SET
				count = CASE WHEN $2 - f.last_at > $3::int8 * interval '1 microsecond' THEN 1 ELSE f.count + 1 END,
				last_at = GREATEST(f.last_at, $2)
			RETURNING key, count, last_at`, keys[i], at, forget.Microseconds()).QueryRow(func(r pgx.Row) error {
			err := r.Scan(&out[i].Key, &out[i].Count, &out[i].Last)
			out[i].Last = out[i].Last.UTC()
			return err
		})
	}
	if err := s.pool.SendBatch(ctx, &b).Close(); err != nil {
		return nil, wrap("add login failure", err)
	}
	return out, nil
}

// ClearLoginFailures forgets the keys' failures (after a successful sign-in).
func (s *Store) ClearLoginFailures(ctx context.Context, keys []string) error {
	_, err := s.pool.Exec(ctx, `DELETE FROM login_failures WHERE key = ANY($1)`, keys)
	return wrap("clear login failures", err)
}
