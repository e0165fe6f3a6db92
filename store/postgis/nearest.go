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
// every volunteer not in it that passes the filters has knn ≥ last, so haversine ≥ last·R₂/R₁.
// When the k-th haversine distance among the candidates is below last·(R₂/R₁)·(1 −
// nearestMargin) − 1 cm, no
// such volunteer can rank among the first k (not even tied), and the answer is exact; otherwise
// the search runs again with a larger L. A batch that comes back short holds every match. Since
// both distances are the same function of the central angle up to the radius, the margin only
// has to absorb floating-point rounding (relative errors around 1e-15); it is a million times
// that. (A wide margin would send most queries round again: the k-th and the L-th candidates
// are often within a percent of each other.)

// nearestMargin is the relative safety margin of the stopping rule (see above).
const nearestMargin = 1e-9

// knnToHaversine turns a geography `<->` distance (sphere of radius R₁) into the haversine
// distance of orb/geo (radius R₂) for the same central angle: R₂/R₁.
const knnToHaversine = 6378137.0 / 6371008.8

// nearestVolunteerSlack is how many candidates beyond k the first KNN batch asks for.
const nearestVolunteerSlack = 4

// NearestVolunteers returns up to q.K volunteers matching q (store.VolunteerQuery.Matches),
// nearest to q.Point by haversine distance, ties by id; see store.Volunteers and the exactness
// argument above. EINVALID for K outside 1–store.MaxNearest or a bad point.
//
// Without a scope it runs the KNN query with a growing limit until the stopping rule holds.
// With a scope (a dispatcher's town or village) it reads the scope's volunteers through the GIN
// index on site_chain (bounded by the scope's size) and orders them by the same distance: a
// KNN scan would walk the whole table when the scope lies away from the point.
func (s *Store) NearestVolunteers(ctx context.Context, q store.VolunteerQuery) ([]store.Near[civmap.Volunteer], error) {
	if q.K < 1 || q.K > store.MaxNearest {
		return nil, civmap.FieldErrorf("k", "k must be 1–%d", store.MaxNearest)
	}
	if err := (civmap.Location{Point: q.Point, Source: civmap.CoordImported, Precision: civmap.PrecisionExact}).Validate(); err != nil {
		return nil, err
	}
	mode := knnAll
	if q.Scope != "" {
		mode = scopeAll
	}
	for limit := q.K + nearestVolunteerSlack; ; limit *= 4 {
		out, last, err := s.nearestBatch(ctx, q, mode, limit)
		if err != nil {
			return nil, err
		}
		slices.SortFunc(out, func(a, b store.Near[civmap.Volunteer]) int {
			return cmp.Or(cmp.Compare(a.DistanceM, b.DistanceM), cmp.Compare(a.Item.ID, b.Item.ID))
		})
		if len(out) < limit || out[q.K-1].DistanceM < last*knnToHaversine*(1-nearestMargin)-0.01 {
			if len(out) > q.K {
				out = out[:q.K]
			}
			return out, nil
		}
	}
}

// nearestMode is how nearestBatch finds candidates.
type nearestMode int

const (
	knnAll   nearestMode = iota // a KNN scan of the whole table, filtered
	scopeAll                    // every volunteer of the scope (GIN), filtered and sorted
)

// nearestBatch returns up to limit matching volunteers in `<->` order with their haversine
// distances, and the `<->` distance of the last one.
func (s *Store) nearestBatch(ctx context.Context, q store.VolunteerQuery, mode nearestMode, limit int) ([]store.Near[civmap.Volunteer], float64, error) {
	sql, args := nearestVolunteersSQL(q, mode)
	var b pgx.Batch
	if mode != scopeAll {
		b.Queue(knnOnly)
	}
	b.Queue(sql, append(slices.Clip(args), limit)...)
	br := s.pool.SendBatch(ctx, &b)
	if mode != scopeAll {
		if _, err := br.Exec(); err != nil {
			br.Close()
			return nil, 0, wrap("nearest volunteers: plan", err)
		}
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
		return nil, 0, wrap("nearest volunteers", err)
	}
	return out, last, nil
}

// knnOnly leaves the planner no plan but the KNN index scan for the query that follows it in
// the same pipeline (the settings are local to the pipeline's implicit transaction). Without it
// PostgreSQL turns to a sequential scan and a sort when it believes the filters very selective —
// always for the generic plan of the prepared statement, whose parameters it cannot estimate.
const knnOnly = `SELECT set_config('enable_seqscan', 'off', true), set_config('enable_bitmapscan', 'off', true),
	set_config('enable_sort', 'off', true)`

// nearestVolunteersSQL is the query of q in mode, with only the filters q sets, and its
// arguments; its last parameter, after args, is the LIMIT. knnAll: a KNN scan of the GiST index,
// every filter applied to the rows the scan yields (none could use another index without giving
// up the distance order); scopeAll: the scope's volunteers found through the GIN index on
// site_chain, then ordered by the same `<->` distance — so the exactness argument above holds
// for both.
func nearestVolunteersSQL(q store.VolunteerQuery, mode nearestMode) (string, []any) {
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
		w.add(`v.site_chain @> ARRAY[?::text]`, q.Scope)
	}
	if len(q.Exclude) > 0 {
		w.add(`v.id <> ALL (?::int8[])`, q.Exclude)
	}
	w.args = append(w.args, q.Point[0], q.Point[1])
	n := len(w.args)
	knn := fmt.Sprintf(`geography(v.geom) <-> geography(ST_SetSRID(ST_MakePoint($%d, $%d), 4326))`, n-1, n)
	switch mode {
	case scopeAll:
		return fmt.Sprintf(`WITH v AS MATERIALIZED (SELECT * FROM volunteers v WHERE %s)
			SELECT %s, %s FROM v ORDER BY %s LIMIT $%d`, w.sql(), volunteerColumns, knn, knn, n+1), w.args
	}
	return fmt.Sprintf(`SELECT %s, %s FROM volunteers v WHERE %s ORDER BY %s LIMIT $%d`, volunteerColumns, knn, w.sql(), knn, n+1), w.args
}
