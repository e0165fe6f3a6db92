package postgis

import (
	"context"
	"fmt"
	"strings"

	"civmap/store"

	"github.com/jackc/pgx/v5"
)

// ExplainNearestVolunteers returns the plan of NearestVolunteers' first query for q (EXPLAIN
// ANALYZE, without costs and timings), under the settings NearestVolunteers sends with it; with
// generic, the plan PostgreSQL caches for the prepared statement (force_generic_plan).
func (s *Store) ExplainNearestVolunteers(ctx context.Context, q store.VolunteerQuery, generic bool) (string, error) {
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return "", err
	}
	defer tx.Rollback(context.WithoutCancel(ctx))
	if _, err := tx.Exec(ctx, knnOnly); err != nil {
		return "", err
	}
	sql, args := nearestVolunteersSQL(q, knnAll)
	args = append(args, q.K+nearestVolunteerSlack)
	const options = "(ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF)"
	var rows pgx.Rows
	if !generic {
		rows, _ = tx.Query(ctx, "EXPLAIN "+options+" "+sql, args...)
	} else {
		// The plan a prepared statement caches: PREPARE, then EXPLAIN EXECUTE (EXPLAIN of the
		// query itself would plan it with the values).
		for _, stmt := range []string{"SET LOCAL plan_cache_mode = force_generic_plan", "PREPARE explain_nearest AS " + sql} {
			if _, err := tx.Exec(ctx, stmt); err != nil {
				return "", err
			}
		}
		defer s.pool.Exec(context.WithoutCancel(ctx), "DEALLOCATE explain_nearest")
		params := make([]string, len(args))
		for i := range params {
			params[i] = fmt.Sprintf("$%d", i+1)
		}
		// EXECUTE's arguments are interpolated by pgx (the simple protocol): a utility statement
		// takes no bound parameters.
		rows, _ = tx.Query(ctx, "EXPLAIN "+options+" EXECUTE explain_nearest("+strings.Join(params, ", ")+")",
			append([]any{pgx.QueryExecModeSimpleProtocol}, args...)...)
	}
	var lines []string
	err = forEach(rows, func(r pgx.Row) error {
		var line string
		err := r.Scan(&line)
		lines = append(lines, line)
		return err
	})
	return strings.Join(lines, "\n"), err
}
