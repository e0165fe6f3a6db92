package postgis

import (
	"context"
	"errors"
	"fmt"
	"time"

	"civmap"
	"civmap/store"

	"github.com/jackc/pgx/v5"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/wkb"
	orbgeo "github.com/paulmach/orb/geo"
)

// putLock is the advisory lock key that serialises Put transactions ("civmap put").
const putLock = 0x63_69_76_6d_70_75_74

const siteColumns = `code, id, name, level, parent_code, division_code, address, lon, lat, coord_source,
	precision, demo, updated_at`

const venueColumns = `code, id, name, type, level, site_code, address, lon, lat, coord_source, precision,
	demo, updated_at`

func scanSite(row pgx.Row) (civmap.Site, error) {
	var x civmap.Site
	err := row.Scan(&x.Code, &x.ID, &x.Name, &x.Level, &x.ParentCode, &x.DivisionCode, &x.Address,
		&x.Location.Point[0], &x.Location.Point[1], &x.Location.Source, &x.Location.Precision, &x.Demo, &x.UpdatedAt)
	x.UpdatedAt = x.UpdatedAt.UTC()
	return x, err
}

func scanVenue(row pgx.Row) (civmap.Venue, error) {
	var x civmap.Venue
	err := row.Scan(&x.Code, &x.ID, &x.Name, &x.Type, &x.Level, &x.SiteCode, &x.Address,
		&x.Location.Point[0], &x.Location.Point[1], &x.Location.Source, &x.Location.Precision, &x.Demo, &x.UpdatedAt)
	x.UpdatedAt = x.UpdatedAt.UTC()
	return x, err
}

// Put writes a batch in one transaction; see store.Sites. Concurrent Puts are serialised by a
// transaction-level advisory lock. The same transaction appends one audit record per inserted
// (AuditCreate) or updated (AuditUpdate, with the record before) site, venue and area; unchanged
// records, dry runs and rejected batches leave none, and the activities and needs a Put moves are
// not audited separately. When it inserts sites or gives sites a new parent, it recomputes the
// stored site chains (site_chain) of the volunteers based below them.
func (s *Store) Put(ctx context.Context, b store.Batch) (store.BatchResult, error) {
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return store.BatchResult{}, wrap("put: begin", err)
	}
	defer tx.Rollback(context.WithoutCancel(ctx))
	if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, int64(putLock)); err != nil {
		return store.BatchResult{}, wrap("put: lock", err)
	}

	// Which referenced parent and venue sites exist already.
	var refs []string
	for _, x := range b.Sites {
		refs = append(refs, x.Code, x.ParentCode)
	}
	for _, x := range b.Venues {
		refs = append(refs, x.SiteCode, x.Code) // PlaceMoves asks whether a site has the venue's code
	}
	existing := map[string]civmap.Site{}
	rows, _ := tx.Query(ctx, `SELECT `+siteColumns+` FROM sites WHERE code = ANY($1)`, refs)
	if err := forEach(rows, func(r pgx.Row) error {
		x, err := scanSite(r)
		existing[x.Code] = x
		return err
	}); err != nil {
		return store.BatchResult{}, wrap("put: read sites", err)
	}
	if err := store.ValidateBatch(b, func(code string) bool { _, ok := existing[code]; return ok }); err != nil {
		return store.BatchResult{}, err
	}

	var vcodes, acodes []string
	for _, x := range b.Venues {
		vcodes = append(vcodes, x.Code)
	}
	for _, x := range b.Areas {
		acodes = append(acodes, x.Code)
	}
	oldVenues := map[string]civmap.Venue{}
	rows, _ = tx.Query(ctx, `SELECT `+venueColumns+` FROM venues WHERE code = ANY($1)`, vcodes)
	if err := forEach(rows, func(r pgx.Row) error {
		x, err := scanVenue(r)
		oldVenues[x.Code] = x
		return err
	}); err != nil {
		return store.BatchResult{}, wrap("put: read venues", err)
	}
	oldAreas := map[string]store.Area{}
	rows, _ = tx.Query(ctx, `SELECT code, name, level, ST_AsBinary(geom) FROM areas WHERE code = ANY($1)`, acodes)
	if err := forEach(rows, func(r pgx.Row) error {
		a, err := scanArea(r)
		oldAreas[a.Code] = a
		return err
	}); err != nil {
		return store.BatchResult{}, wrap("put: read areas", err)
	}

	now := s.clock()
	res := store.BatchResult{
		Sites: make([]store.Change, len(b.Sites)), Venues: make([]store.Change, len(b.Venues)),
		Areas: make([]store.Change, len(b.Areas)),
	}
	var batch pgx.Batch
	var tree []string // sites inserted or given a new parent: the chains through them change
	for i, x := range b.Sites {
		x.ID = civmap.FeatureID(x.Code)
		old, ok := existing[x.Code]
		switch {
		case ok && (b.InsertOnly || store.SameSite(old, x)):
			res.Sites[i] = store.Unchanged
			continue
		case ok:
			res.Sites[i] = store.Updated
		default:
			res.Sites[i] = store.Inserted
		}
		if !ok || old.ParentCode != x.ParentCode {
			tree = append(tree, x.Code)
		}
		x.UpdatedAt = now
		batch.Queue(`INSERT INTO sites (`+siteColumns+`) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13)
			ON CONFLICT (code) DO UPDATE SET id=excluded.id, name=excluded.name, level=excluded.level,
			parent_code=excluded.parent_code, division_code=excluded.division_code, address=excluded.address,
			lon=excluded.lon, lat=excluded.lat, coord_source=excluded.coord_source, precision=excluded.precision,
			demo=excluded.demo, updated_at=excluded.updated_at`,
			x.Code, x.ID, x.Name, string(x.Level), x.ParentCode, x.DivisionCode, x.Address, x.Location.Point[0],
			x.Location.Point[1], string(x.Location.Source), string(x.Location.Precision), x.Demo, now)
		queueAudit(&batch, putAudit(ctx, now, civmap.KindSite, x.Code, old, ok, x))
	}
	for i, x := range b.Venues {
		x.ID = civmap.FeatureID(x.Code)
		old, ok := oldVenues[x.Code]
		switch {
		case ok && (b.InsertOnly || store.SameVenue(old, x)):
			res.Venues[i] = store.Unchanged
			continue
		case ok:
			res.Venues[i] = store.Updated
		default:
			res.Venues[i] = store.Inserted
		}
		x.UpdatedAt = now
		batch.Queue(`INSERT INTO venues (`+venueColumns+`) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13)
			ON CONFLICT (code) DO UPDATE SET id=excluded.id, name=excluded.name, type=excluded.type,
			level=excluded.level, site_code=excluded.site_code, address=excluded.address, lon=excluded.lon,
			lat=excluded.lat, coord_source=excluded.coord_source, precision=excluded.precision,
			demo=excluded.demo, updated_at=excluded.updated_at`,
			x.Code, x.ID, x.Name, string(x.Type), string(x.Level), x.SiteCode, x.Address, x.Location.Point[0],
			x.Location.Point[1], string(x.Location.Source), string(x.Location.Precision), x.Demo, now)
		queueAudit(&batch, putAudit(ctx, now, civmap.KindVenue, x.Code, old, ok, x))
	}
	for i, x := range b.Areas {
		g, err := wkb.Marshal(x.Polygon)
		if err != nil {
			return store.BatchResult{}, civmap.FieldErrorf(fmt.Sprintf("areas[%d].polygon", i), "cannot encode polygon: %v", err)
		}
		old, ok := oldAreas[x.Code]
		if ok {
			if b.InsertOnly || (old.Name == x.Name && old.Level == x.Level && orb.Equal(old.Polygon, x.Polygon)) {
				res.Areas[i] = store.Unchanged
				continue
			}
			res.Areas[i] = store.Updated
		} else {
			res.Areas[i] = store.Inserted
		}
		batch.Queue(`INSERT INTO areas (code, id, name, level, geom) VALUES ($1, $2, $3, $4, ST_GeomFromWKB($5, 4326))
			ON CONFLICT (code) DO UPDATE SET id=excluded.id, name=excluded.name, level=excluded.level, geom=excluded.geom`,
			x.Code, civmap.FeatureID(x.Code), x.Name, x.Level, g)
		queueAudit(&batch, putAudit(ctx, now, civmap.KindArea, x.Code, old, ok, x))
	}
	if b.DryRun || batch.Len() == 0 {
		return res, nil
	}
	moves := store.PlaceMoves(b,
		func(code string) (civmap.Site, bool) { x, ok := existing[code]; return x, ok },
		func(code string) (civmap.Venue, bool) { x, ok := oldVenues[code]; return x, ok })
	for _, m := range moves {
		if err := queueMove(&batch, m); err != nil {
			return store.BatchResult{}, err
		}
	}
	if len(tree) > 0 {
		// Volunteers keep their base site's chain (for scopes): recompute those through the
		// changed sites, after the sites are written.
		batch.Queue(refreshChainsSQL, tree)
	}
	batch.Queue(`UPDATE meta SET version = version + 1`)
	if err := tx.SendBatch(ctx, &batch).Close(); err != nil {
		return store.BatchResult{}, wrap("put: write", err)
	}
	if err := tx.Commit(ctx); err != nil {
		return store.BatchResult{}, wrap("put: commit", err)
	}
	return res, nil
}

// putAudit is the audit record of one record a Put inserts (existed false: AuditCreate, no
// before) or updates (AuditUpdate, before and after).
func putAudit[T any](ctx context.Context, at time.Time, kind, code string, old T, existed bool, x T) civmap.AuditRecord {
	if existed {
		return store.NewAudit(ctx, at, civmap.AuditUpdate, kind, code, old, x, "")
	}
	return store.NewAudit(ctx, at, civmap.AuditCreate, kind, code, nil, x, "")
}

func scanArea(r pgx.Row) (store.Area, error) {
	var a store.Area
	var g []byte
	if err := r.Scan(&a.Code, &a.Name, &a.Level, &g); err != nil {
		return a, err
	}
	geom, err := wkb.Unmarshal(g)
	if err != nil {
		return a, fmt.Errorf("area %s: %w", a.Code, err)
	}
	a.Polygon = geom
	return a, nil
}

// forEach calls f for every row and closes rows; the first error wins.
func forEach(rows pgx.Rows, f func(pgx.Row) error) error {
	defer rows.Close()
	for rows.Next() {
		if err := f(rows); err != nil {
			return err
		}
	}
	return rows.Err()
}

// Site returns one site; ENOTFOUND if there is none.
func (s *Store) Site(ctx context.Context, code string) (civmap.Site, error) {
	x, err := scanSite(s.pool.QueryRow(ctx, `SELECT `+siteColumns+` FROM sites WHERE code = $1`, code))
	if errors.Is(err, pgx.ErrNoRows) {
		return civmap.Site{}, civmap.Errorf(civmap.ENOTFOUND, "没有编码为 %s 的实践阵地", code)
	}
	return x, wrap("site", err)
}

// boundArgs returns the arguments of an inclusive lon/lat bound filter: min lon, min lat, max
// lon, max lat, or four NULLs for no bound.
func boundArgs(b *orb.Bound) []any {
	if b == nil {
		return []any{nil, nil, nil, nil}
	}
	return []any{b.Min[0], b.Min[1], b.Max[0], b.Max[1]}
}

// boundSQL filters rows of table alias t by the bound in parameters $n … $n+3: the GiST
// index narrows, the exact comparison on the stored doubles decides (inclusive, as
// orb.Bound.Contains).
func boundSQL(t string, n int) string {
	return fmt.Sprintf(`($%[2]d::float8 IS NULL OR (%[1]s.geom && ST_MakeEnvelope($%[2]d, $%[3]d, $%[4]d, $%[5]d, 4326)
		AND %[1]s.lon BETWEEN $%[2]d AND $%[4]d AND %[1]s.lat BETWEEN $%[3]d AND $%[5]d))`, t, n, n+1, n+2, n+3)
}

// ListSites returns the sites matching f, ordered by code.
func (s *Store) ListSites(ctx context.Context, f store.SiteFilter) ([]civmap.Site, error) {
	args := append([]any{string(f.Level), f.ParentCode}, boundArgs(f.Bound)...)
	rows, _ := s.pool.Query(ctx, `SELECT `+siteColumns+` FROM sites s
		WHERE ($1 = '' OR level = $1) AND ($2 = '' OR parent_code = $2) AND `+boundSQL("s", 3)+`
		ORDER BY code COLLATE "C"`, args...)
	var out []civmap.Site
	err := forEach(rows, func(r pgx.Row) error {
		x, err := scanSite(r)
		out = append(out, x)
		return err
	})
	return out, wrap("list sites", err)
}

// nearestSlack is how many candidates beyond k the index search returns, so that the exact
// haversine re-ranking in Go (ties by code) sees every site that can rank among the first k.
const nearestSlack = 16

// NearestSites returns up to k sites nearest to p by haversine distance (orb/geo, metres, the
// same function store/embedded uses), nearest first, ties by code. The database's geography KNN
// index (<->) proposes the k + 16 nearest candidates; Go computes the distances and orders them.
func (s *Store) NearestSites(ctx context.Context, p orb.Point, k int, f store.SiteFilter) ([]store.Near[civmap.Site], error) {
	if k <= 0 {
		return nil, civmap.FieldErrorf("k", "k must be positive")
	}
	if err := (civmap.Location{Point: p, Source: civmap.CoordImported, Precision: civmap.PrecisionExact}).Validate(); err != nil {
		return nil, err
	}
	args := append([]any{string(f.Level), f.ParentCode}, boundArgs(f.Bound)...)
	args = append(args, p[0], p[1], k+nearestSlack)
	rows, _ := s.pool.Query(ctx, `SELECT `+siteColumns+` FROM sites s
		WHERE ($1 = '' OR level = $1) AND ($2 = '' OR parent_code = $2) AND `+boundSQL("s", 3)+`
		ORDER BY geography(geom) <-> geography(ST_SetSRID(ST_MakePoint($7, $8), 4326)), code COLLATE "C"
		LIMIT $9`, args...)
	var out []store.Near[civmap.Site]
	err := forEach(rows, func(r pgx.Row) error {
		x, err := scanSite(r)
		out = append(out, store.Near[civmap.Site]{Item: x, DistanceM: orbgeo.DistanceHaversine(p, x.Location.Point)})
		return err
	})
	if err != nil {
		return nil, wrap("nearest sites", err)
	}
	return store.SortNear(out, k), nil
}

// Venue returns one venue; ENOTFOUND if there is none.
func (s *Store) Venue(ctx context.Context, code string) (civmap.Venue, error) {
	x, err := scanVenue(s.pool.QueryRow(ctx, `SELECT `+venueColumns+` FROM venues WHERE code = $1`, code))
	if errors.Is(err, pgx.ErrNoRows) {
		return civmap.Venue{}, civmap.Errorf(civmap.ENOTFOUND, "没有编码为 %s 的阵地", code)
	}
	return x, wrap("venue", err)
}

// ListVenues returns the venues matching f, ordered by code.
func (s *Store) ListVenues(ctx context.Context, f store.VenueFilter) ([]civmap.Venue, error) {
	args := append([]any{f.SiteCode, string(f.Type)}, boundArgs(f.Bound)...)
	rows, _ := s.pool.Query(ctx, `SELECT `+venueColumns+` FROM venues v
		WHERE ($1 = '' OR site_code = $1) AND ($2 = '' OR type = $2) AND `+boundSQL("v", 3)+`
		ORDER BY code COLLATE "C"`, args...)
	var out []civmap.Venue
	err := forEach(rows, func(r pgx.Row) error {
		x, err := scanVenue(r)
		out = append(out, x)
		return err
	})
	return out, wrap("list venues", err)
}

// ListAreas returns every area, ordered by code.
func (s *Store) ListAreas(ctx context.Context) ([]store.Area, error) {
	rows, _ := s.pool.Query(ctx, `SELECT code, name, level, ST_AsBinary(geom) FROM areas ORDER BY code COLLATE "C"`)
	var out []store.Area
	err := forEach(rows, func(r pgx.Row) error {
		a, err := scanArea(r)
		out = append(out, a)
		return err
	})
	return out, wrap("list areas", err)
}

// maxChain is the most codes SiteChain returns (a guard against parent cycles in bad data).
const maxChain = 16

// SiteChain returns the codes from the site or venue with code up to the top of the network,
// in one recursive query; see store.Sites. A code that names both a site and a venue is the
// site's. The chain ends at a parent that does not exist and after 16 codes. ENOTFOUND when
// neither a site nor a venue has code.
func (s *Store) SiteChain(ctx context.Context, code string) ([]string, error) {
	rows, _ := s.pool.Query(ctx, `WITH RECURSIVE start (code, up) AS (
			SELECT code, parent_code FROM sites WHERE code = $1
			UNION ALL
			SELECT code, site_code FROM venues WHERE code = $1 AND NOT EXISTS (SELECT 1 FROM sites WHERE code = $1)),
		chain (code, up, depth) AS (
			SELECT code, up, 1 FROM start
			UNION ALL
			SELECT s.code, s.parent_code, c.depth + 1 FROM chain c JOIN sites s ON s.code = c.up
			WHERE c.up <> '' AND c.depth < $2)
		SELECT code FROM chain ORDER BY depth`, code, maxChain)
	var out []string
	err := forEach(rows, func(r pgx.Row) error {
		var c string
		err := r.Scan(&c)
		out = append(out, c)
		return err
	})
	if err != nil {
		return nil, wrap("site chain", err)
	}
	if len(out) == 0 {
		return nil, civmap.Errorf(civmap.ENOTFOUND, "没有编码为 %s 的实践阵地", code)
	}
	return out, nil
}
