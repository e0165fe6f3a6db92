package postgis

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"civmap"
	"civmap/geo"
	"civmap/store"

	"github.com/jackc/pgx/v5"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/wkb"
)

// h3Columns is "h3_0, h3_1, …, h3_11": the cell of a point at each cluster resolution.
var h3Columns = func() string {
	var cols []string
	for r := geo.MinClusterRes; r <= geo.MaxClusterRes; r++ {
		cols = append(cols, fmt.Sprintf("h3_%d", r))
	}
	return strings.Join(cols, ", ")
}()

// cellsOf computes, in Go, the H3 cells holding p at every cluster resolution, with each cell's
// centre and hexagon (WKB) for the h3_cells table.
func cellsOf(p orb.Point) (cells []int64, res []int16, lon, lat []float64, hex [][]byte, err error) {
	for r := geo.MinClusterRes; r <= geo.MaxClusterRes; r++ {
		c, err := geo.Cell(p, r)
		if err != nil {
			return nil, nil, nil, nil, nil, err
		}
		ctr := geo.CellCenter(c)
		h, err := wkb.Marshal(geo.CellPolygon(c))
		if err != nil {
			return nil, nil, nil, nil, nil, err
		}
		cells = append(cells, int64(c))
		res = append(res, int16(r))
		lon = append(lon, ctr[0])
		lat = append(lat, ctr[1])
		hex = append(hex, h)
	}
	return cells, res, lon, lat, hex, nil
}

// insertCells is the data-modifying CTE that records the cells of a new point ($1–$5).
const insertCells = `cells AS (
	INSERT INTO h3_cells (cell, res, center_lon, center_lat, hex)
	SELECT c, r, lon, lat, ST_GeomFromWKB(hex, 4326) FROM unnest($1::int8[], $2::int2[], $3::float8[], $4::float8[], $5::bytea[]) AS u(c, r, lon, lat, hex)
	ON CONFLICT (cell) DO NOTHING),
	bump AS (UPDATE meta SET version = version + 1)`

func placeArgs(p civmap.Place) (lon, lat *float64) {
	if p.Point == nil {
		return nil, nil
	}
	x, y := p.Point[0], p.Point[1]
	return &x, &y
}

func cellValues(cells []int64) string {
	v := make([]string, len(cells))
	for i, c := range cells {
		v[i] = fmt.Sprint(c)
	}
	return strings.Join(v, ", ")
}

// h3Set is the SET list "h3_0 = c0, …, h3_11 = c11" of a point's cells (from cellsOf).
func h3Set(cells []int64) string {
	v := make([]string, len(cells))
	for i, c := range cells {
		v[i] = fmt.Sprintf("h3_%d = %d", geo.MinClusterRes+i, c)
	}
	return strings.Join(v, ", ")
}

// queueMove queues, for a Put, the statements that give every activity and need placed at m.Code
// the location m.Location with its H3 cells (computed in Go, as on create), recording the cells
// in h3_cells when a record moved into them.
func queueMove(b *pgx.Batch, m store.Move) error {
	cells, res, clon, clat, hex, err := cellsOf(m.Location.Point)
	if err != nil {
		return fmt.Errorf("postgis: cells of %s: %w", m.Code, err)
	}
	for _, table := range []string{"activities", "needs"} {
		// table is one of two constants; the cells are integers computed above.
		b.Queue(`WITH moved AS (
				UPDATE `+table+` SET lon = $6, lat = $7, coord_source = $8, precision = $9, `+h3Set(cells)+`
				WHERE place_code = $10 RETURNING 1)
			INSERT INTO h3_cells (cell, res, center_lon, center_lat, hex)
			SELECT c, r, lon, lat, ST_GeomFromWKB(hex, 4326)
			FROM unnest($1::int8[], $2::int2[], $3::float8[], $4::float8[], $5::bytea[]) AS u(c, r, lon, lat, hex)
			WHERE EXISTS (SELECT 1 FROM moved)
			ON CONFLICT (cell) DO NOTHING`,
			cells, res, clon, clat, hex, m.Location.Point[0], m.Location.Point[1], string(m.Location.Source),
			string(m.Location.Precision), m.Code)
	}
	return nil
}

const activityColumns = `id, title, content_area, platform, start_at, end_at, place_code, place_lon, place_lat,
	site_code, lon, lat, coord_source, precision, status, demo, created_at`

func scanActivity(r pgx.Row) (civmap.Activity, error) {
	var a civmap.Activity
	var plon, plat *float64
	err := r.Scan(&a.ID, &a.Title, &a.ContentArea, &a.Platform, &a.Start, &a.End, &a.Place.Code, &plon, &plat,
		&a.SiteCode, &a.Location.Point[0], &a.Location.Point[1], &a.Location.Source, &a.Location.Precision,
		&a.Status, &a.Demo, &a.CreatedAt)
	a.Start, a.End, a.CreatedAt = a.Start.UTC(), a.End.UTC(), a.CreatedAt.UTC()
	if plon != nil && plat != nil {
		a.Place.Point = &orb.Point{*plon, *plat}
	}
	return a, err
}

// CreateActivity validates and stores a new activity with its H3 cells, in one statement; see
// store.Activities. IDs come from a sequence: 1, 2, 3 … in insertion order on a fresh database.
func (s *Store) CreateActivity(ctx context.Context, a civmap.Activity) (civmap.Activity, error) {
	a, err := store.PrepareActivity(a, s.now)
	if err != nil {
		return civmap.Activity{}, err
	}
	cells, res, clon, clat, hex, err := cellsOf(a.Location.Point)
	if err != nil {
		return civmap.Activity{}, fmt.Errorf("postgis: activity cells: %w", err)
	}
	plon, plat := placeArgs(a.Place)
	err = s.pool.QueryRow(ctx, `WITH `+insertCells+`
		INSERT INTO activities (title, content_area, platform, start_at, end_at, place_code, place_lon, place_lat,
			site_code, lon, lat, coord_source, precision, status, demo, created_at, `+h3Columns+`)
		VALUES ($6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, `+cellValues(cells)+`)
		RETURNING id`,
		cells, res, clon, clat, hex,
		a.Title, string(a.ContentArea), string(a.Platform), a.Start, a.End, a.Place.Code, plon, plat, a.SiteCode,
		a.Location.Point[0], a.Location.Point[1], string(a.Location.Source), string(a.Location.Precision),
		string(a.Status), a.Demo, a.CreatedAt).Scan(&a.ID)
	if err != nil {
		return civmap.Activity{}, wrap("create activity", err)
	}
	return a, nil
}

// Activity returns one activity; ENOTFOUND if there is none.
func (s *Store) Activity(ctx context.Context, id int64) (civmap.Activity, error) {
	a, err := scanActivity(s.pool.QueryRow(ctx, `SELECT `+activityColumns+` FROM activities WHERE id = $1`, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return civmap.Activity{}, civmap.Errorf(civmap.ENOTFOUND, "没有编号为 %d 的活动", id)
	}
	return a, wrap("activity", err)
}

// ListActivities returns the activities matching f, ordered by start time then id.
func (s *Store) ListActivities(ctx context.Context, f store.ActivityFilter) ([]civmap.Activity, error) {
	var endAfter *time.Time
	if !f.EndAfter.IsZero() {
		endAfter = &f.EndAfter
	}
	var limit *int
	if f.Limit > 0 {
		limit = &f.Limit
	}
	args := append([]any{f.SiteCode, endAfter}, boundArgs(f.Bound)...)
	args = append(args, limit)
	rows, _ := s.pool.Query(ctx, `SELECT `+activityColumns+` FROM activities a
		WHERE ($1 = '' OR site_code = $1) AND ($2::timestamptz IS NULL OR end_at > $2) AND `+boundSQL("a", 3)+`
		ORDER BY start_at, id LIMIT $7`, args...)
	var out []civmap.Activity
	err := forEach(rows, func(r pgx.Row) error {
		a, err := scanActivity(r)
		out = append(out, a)
		return err
	})
	return out, wrap("list activities", err)
}

const needColumns = `id, category, description, place_code, place_lon, place_lat, site_code, lon, lat,
	coord_source, precision, status, demo, created_at`

func scanNeed(r pgx.Row) (civmap.Need, error) {
	var n civmap.Need
	var plon, plat *float64
	err := r.Scan(&n.ID, &n.Category, &n.Description, &n.Place.Code, &plon, &plat, &n.SiteCode,
		&n.Location.Point[0], &n.Location.Point[1], &n.Location.Source, &n.Location.Precision, &n.Status,
		&n.Demo, &n.CreatedAt)
	n.CreatedAt = n.CreatedAt.UTC()
	if plon != nil && plat != nil {
		n.Place.Point = &orb.Point{*plon, *plat}
	}
	return n, err
}

// CreateNeed validates and stores a new need with its H3 cells, in one statement; see
// store.Needs.
func (s *Store) CreateNeed(ctx context.Context, n civmap.Need) (civmap.Need, error) {
	n, err := store.PrepareNeed(n, s.now)
	if err != nil {
		return civmap.Need{}, err
	}
	cells, res, clon, clat, hex, err := cellsOf(n.Location.Point)
	if err != nil {
		return civmap.Need{}, fmt.Errorf("postgis: need cells: %w", err)
	}
	plon, plat := placeArgs(n.Place)
	err = s.pool.QueryRow(ctx, `WITH `+insertCells+`
		INSERT INTO needs (category, description, place_code, place_lon, place_lat, site_code, lon, lat,
			coord_source, precision, status, demo, created_at, `+h3Columns+`)
		VALUES ($6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, `+cellValues(cells)+`)
		RETURNING id`,
		cells, res, clon, clat, hex,
		string(n.Category), n.Description, n.Place.Code, plon, plat, n.SiteCode, n.Location.Point[0],
		n.Location.Point[1], string(n.Location.Source), string(n.Location.Precision), string(n.Status), n.Demo,
		n.CreatedAt).Scan(&n.ID)
	if err != nil {
		return civmap.Need{}, wrap("create need", err)
	}
	return n, nil
}

// Need returns one need; ENOTFOUND if there is none.
func (s *Store) Need(ctx context.Context, id int64) (civmap.Need, error) {
	n, err := scanNeed(s.pool.QueryRow(ctx, `SELECT `+needColumns+` FROM needs WHERE id = $1`, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return civmap.Need{}, civmap.Errorf(civmap.ENOTFOUND, "没有编号为 %d 的需求", id)
	}
	return n, wrap("need", err)
}

// ListNeeds returns the needs matching f, newest first (ties: higher id first).
func (s *Store) ListNeeds(ctx context.Context, f store.NeedFilter) ([]civmap.Need, error) {
	var limit *int
	if f.Limit > 0 {
		limit = &f.Limit
	}
	args := append([]any{f.SiteCode, string(f.Status)}, boundArgs(f.Bound)...)
	args = append(args, limit)
	rows, _ := s.pool.Query(ctx, `SELECT `+needColumns+` FROM needs n
		WHERE ($1 = '' OR site_code = $1) AND ($2 = '' OR status = $2) AND `+boundSQL("n", 3)+`
		ORDER BY created_at DESC, id DESC LIMIT $7`, args...)
	var out []civmap.Need
	err := forEach(rows, func(r pgx.Row) error {
		n, err := scanNeed(r)
		out = append(out, n)
		return err
	})
	return out, wrap("list needs", err)
}
