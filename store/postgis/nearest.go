package postgis

import (
	"cmp"
	"context"
	"fmt"
	"slices"

	"civmap"
	"civmap/store"

	"github.com/jackc/pgx/v5"
	orbgeo "github.com/paulmach/orb/geo"
)

// Nearest volunteers: the database proposes candidates with a KNN scan of the GiST index on
// geography(geom), every filter of the query applied in SQL to the rows the scan yields; Go
// computes the haversine distance of each (orb/geo, as store/embedded and the brute-force check
// do) and orders them by it, ties by id.
//
// Exactness. PostGIS orders a geography KNN scan by the operator's exact value (the index gives
// lower bounds, the executor re-checks and re-orders), and for geography `<->` is the
// great-circle distance on a sphere of the mean Earth radius R₁ = 6 371 008.8 m, while orb uses
// R₂ = 6 378 137 m: both are R·θ for the same central angle θ, so haversine = (R₂/R₁)·knn ≥ knn
// up to rounding. A batch of L candidates that comes back full ends at knn distance `last`, and
// every volunteer not in it that passes the filters has knn ≥ last (its haversine too). When the
// k-th haversine distance among the candidates is below last·(1 − nearestMargin) − 1 m, no such
// volunteer can rank among the first k (not even tied), and the answer is exact; otherwise the
// search runs again with a larger L. A batch that comes back short holds every match. The margin
// (1 % and 1 m) is far more than rounding needs; it would even cover PostGIS switching `<->`
// to the spheroid (which differs from a sphere by less than 0.7 %).

// nearestMargin is the relative safety margin of the stopping rule (see above).
const nearestMargin = 0.01

// nearestVolunteerSlack is how many candidates beyond k the first KNN batch asks for.
const nearestVolunteerSlack = 4

// NearestVolunteers returns up to q.K volunteers matching q (store.VolunteerQuery.Matches),
// nearest to q.Point by haversine distance, ties by id; see store.Volunteers and the exactness
// argument above. EINVALID for K outside 1–store.MaxNearest or a bad point.
func (s *Store) NearestVolunteers(ctx context.Context, q store.VolunteerQuery) ([]store.Near[civmap.Volunteer], error) {
	if q.K < 1 || q.K > store.MaxNearest {
		return nil, civmap.FieldErrorf("k", "k must be 1–%d", store.MaxNearest)
	}
	if err := (civmap.Location{Point: q.Point, Source: civmap.CoordImported, Precision: civmap.PrecisionExact}).Validate(); err != nil {
		return nil, err
	}
	sql, args := nearestVolunteersSQL(q)
	for limit := q.K + nearestVolunteerSlack; ; limit *= 4 {
		var b pgx.Batch
		b.Queue(knnOnly)
		b.Queue(sql, append(slices.Clip(args), limit)...)
		br := s.pool.SendBatch(ctx, &b)
		if _, err := br.Exec(); err != nil {
			br.Close()
			return nil, wrap("nearest volunteers: plan", err)
		}
		rows, _ := br.Query()
		var out []store.Near[civmap.Volunteer]
		last := 0.0
		err := forEach(rows, func(r pgx.Row) error {
			var vr volunteerRow
			if err := r.Scan(append(vr.dest(), &last)...); err != nil {
				return err
			}
			v := vr.value()
			out = append(out, store.Near[civmap.Volunteer]{Item: v, DistanceM: orbgeo.DistanceHaversine(q.Point, v.Home.Point)})
			return nil
		})
		if err == nil {
			err = br.Close()
		} else {
			br.Close()
		}
		if err != nil {
			return nil, wrap("nearest volunteers", err)
		}
		slices.SortFunc(out, func(a, b store.Near[civmap.Volunteer]) int {
			return cmp.Or(cmp.Compare(a.DistanceM, b.DistanceM), cmp.Compare(a.Item.ID, b.Item.ID))
		})
		if len(out) < limit || out[q.K-1].DistanceM < last*(1-nearestMargin)-1 {
			if len(out) > q.K {
				out = out[:q.K]
			}
			return out, nil
		}
	}
}

// knnOnly leaves the planner no plan but the KNN index scan for the query that follows it in
// the same pipeline (the settings are local to the pipeline's implicit transaction). Without it
// PostgreSQL turns to a sequential scan and a sort when it believes the filters very selective —
// always for the generic plan of the prepared statement, whose parameters it cannot estimate.
const knnOnly = `SELECT set_config('enable_seqscan', 'off', true), set_config('enable_bitmapscan', 'off', true),
	set_config('enable_sort', 'off', true)`

// nearestVolunteersSQL is the KNN query of q, with only the filters q sets, all of them on the
// rows the index scan yields (none of them could use another index without giving up the
// distance order). Its last parameter, after args, is the LIMIT.
func nearestVolunteersSQL(q store.VolunteerQuery) (string, []any) {
	var w where
	w.add(`v.active`)
	w.add(`v.open_orders < v.max_open`)
	if q.Skill != "" {
		w.add(`v.skills @> ARRAY[?::text]`, string(q.Skill))
	}
	if !q.At.IsZero() {
		w.add(`(v.on_duty OR ?::int4 <@ ANY (v.windows))`, minuteOfWeek(q.At))
	}
	if q.Scope != "" {
		w.add(`? = ANY (v.site_chain)`, q.Scope)
	}
	if len(q.Exclude) > 0 {
		w.add(`v.id <> ALL (?::int8[])`, q.Exclude)
	}
	w.args = append(w.args, q.Point[0], q.Point[1])
	n := len(w.args)
	knn := fmt.Sprintf(`geography(v.geom) <-> geography(ST_SetSRID(ST_MakePoint($%d, $%d), 4326))`, n-1, n)
	return fmt.Sprintf(`SELECT %s, %s FROM volunteers v WHERE %s ORDER BY %s LIMIT $%d`, volunteerColumns, knn, w.sql(), knn, n+1), w.args
}
