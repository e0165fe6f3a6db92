package postgis

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"civmap"
	"civmap/geo"
	"civmap/store"
	"civmap/workflow"

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
	site_code, lon, lat, coord_source, precision, status, demo, created_at, hidden, hidden_reason`

func scanActivity(r pgx.Row) (civmap.Activity, error) {
	var a civmap.Activity
	var plon, plat *float64
	err := r.Scan(&a.ID, &a.Title, &a.ContentArea, &a.Platform, &a.Start, &a.End, &a.Place.Code, &plon, &plat,
		&a.SiteCode, &a.Location.Point[0], &a.Location.Point[1], &a.Location.Source, &a.Location.Precision,
		&a.Status, &a.Demo, &a.CreatedAt, &a.Moderation.Hidden, &a.Moderation.Reason)
	a.Start, a.End, a.CreatedAt = a.Start.UTC(), a.End.UTC(), a.CreatedAt.UTC()
	if plon != nil && plat != nil {
		a.Place.Point = &orb.Point{*plon, *plat}
	}
	return a, err
}

// CreateActivity validates and stores a new activity with its H3 cells and its audit record
// (AuditCreate), in one transaction; see store.Activities. IDs come from a sequence: 1, 2, 3 …
// in insertion order on a fresh database. EINVALID for bad input.
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
	err = s.inTx(ctx, "create activity", func(tx pgx.Tx) error {
		err := tx.QueryRow(ctx, `WITH `+insertCells+`
			INSERT INTO activities (title, content_area, platform, start_at, end_at, place_code, place_lon, place_lat,
				site_code, lon, lat, coord_source, precision, status, demo, created_at, hidden, hidden_reason, `+h3Columns+`)
			VALUES ($6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23, `+cellValues(cells)+`)
			RETURNING id`,
			cells, res, clon, clat, hex,
			a.Title, string(a.ContentArea), string(a.Platform), a.Start, a.End, a.Place.Code, plon, plat, a.SiteCode,
			a.Location.Point[0], a.Location.Point[1], string(a.Location.Source), string(a.Location.Precision),
			string(a.Status), a.Demo, a.CreatedAt, a.Moderation.Hidden, a.Moderation.Reason).Scan(&a.ID)
		if err != nil {
			return wrap("create activity", err)
		}
		return wrap("create activity: audit", appendAudit(ctx, tx,
			store.NewAudit(ctx, s.clock(), civmap.AuditCreate, civmap.KindActivity, strconv.FormatInt(a.ID, 10), nil, a, "")))
	})
	if err != nil {
		return civmap.Activity{}, err
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

// ListActivities returns the activities matching f, ordered by start time then id; activities
// hidden by moderation only with f.IncludeHidden.
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
	args = append(args, limit, f.IncludeHidden)
	rows, _ := s.pool.Query(ctx, `SELECT `+activityColumns+` FROM activities a
		WHERE ($1 = '' OR site_code = $1) AND ($2::timestamptz IS NULL OR end_at > $2) AND `+boundSQL("a", 3)+`
			AND ($8 OR NOT hidden)
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
	coord_source, precision, status, demo, created_at, hidden, hidden_reason, dedupe_key, phone, receipt_hash, queue,
	order_skill, order_slots, order_start, order_end, order_urgency, order_mode, order_team_id, order_offered,
	order_dispatched_at, reason, rating, comment, version, updated_at, closed_at, erased_at`

func scanNeed(r pgx.Row) (civmap.Need, error) {
	var n civmap.Need
	var plon, plat *float64
	var start, end, dispatched, closed, erased *time.Time
	o := &n.Order
	err := r.Scan(&n.ID, &n.Category, &n.Description, &n.Place.Code, &plon, &plat, &n.SiteCode,
		&n.Location.Point[0], &n.Location.Point[1], &n.Location.Source, &n.Location.Precision, &n.Status,
		&n.Demo, &n.CreatedAt, &n.Moderation.Hidden, &n.Moderation.Reason, &n.DedupeKey, &n.Phone, &n.ReceiptHash,
		&n.Queue, &o.Skill, &o.Slots, &start, &end, &o.Urgency, &o.Mode, &o.TeamID, &o.Offered, &dispatched,
		&n.Reason, &n.Rating, &n.Comment, &n.Version, &n.UpdatedAt, &closed, &erased)
	n.CreatedAt, n.UpdatedAt = n.CreatedAt.UTC(), n.UpdatedAt.UTC()
	o.Start, o.End, o.DispatchedAt = fromNull(start), fromNull(end), fromNull(dispatched)
	n.ClosedAt, n.ErasedAt = fromNull(closed), fromNull(erased)
	if len(o.Offered) == 0 {
		o.Offered = nil
	}
	if plon != nil && plat != nil {
		n.Place.Point = &orb.Point{*plon, *plat}
	}
	return n, err
}

// storedNeed normalises the times of a need as PostgreSQL keeps them (UTC, microseconds).
func storedNeed(n civmap.Need) civmap.Need {
	n.CreatedAt, n.UpdatedAt, n.ClosedAt, n.ErasedAt = stored(n.CreatedAt), stored(n.UpdatedAt), stored(n.ClosedAt), stored(n.ErasedAt)
	n.Order.Start, n.Order.End, n.Order.DispatchedAt = stored(n.Order.Start), stored(n.Order.End), stored(n.Order.DispatchedAt)
	if len(n.Order.Offered) == 0 {
		n.Order.Offered = nil
	}
	return n
}

// needDedupeLock is the first key of the advisory locks that serialise CreateNeed calls with
// one de-duplication key ("need" in ASCII); the second is hashtext(key).
const needDedupeLock = 0x6e656564

// CreateNeed validates and stores a new need with its H3 cells (Queue = SiteCode, Version 0,
// UpdatedAt = CreatedAt), the first event of its history with the site's notification
// (workflow.Submitted, written after the need has its id) and its audit record (AuditCreate),
// in one transaction, and returns it with Inserted; see store.Needs. A receipt hash that is
// already stored is ECONFLICT (field "receipt_hash").
//
// De-duplication: when n.DedupeKey is set, the transaction first takes an advisory lock on the
// key (so identical submissions racing on any number of instances are serialised), then looks
// for a need with the same key created less than civmap.NeedDedupeWindow (10 minutes) from
// n.CreatedAt — before it or, when a racing submission with a later CreatedAt won the lock,
// after it; if there is one (the earliest, ties by id), it stores nothing (no audit record, no
// new Version) and returns that need with Unchanged. EINVALID for bad input.
func (s *Store) CreateNeed(ctx context.Context, n civmap.Need) (civmap.Need, store.Change, error) {
	n, err := store.PrepareNeed(n, s.now)
	if err != nil {
		return civmap.Need{}, "", err
	}
	n = storedNeed(n)
	cells, res, clon, clat, hex, err := cellsOf(n.Location.Point)
	if err != nil {
		return civmap.Need{}, "", fmt.Errorf("postgis: need cells: %w", err)
	}
	plon, plat := placeArgs(n.Place)
	change := store.Inserted
	err = s.inTx(ctx, "create need", func(tx pgx.Tx) error {
		if n.DedupeKey != "" {
			if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1::int4, hashtext($2))`, needDedupeLock, n.DedupeKey); err != nil {
				return wrap("create need: lock", err)
			}
			first, err := scanNeed(tx.QueryRow(ctx, `SELECT `+needColumns+` FROM needs
				WHERE dedupe_key = $1 AND dedupe_key <> '' AND created_at > $2 AND created_at < $3
				ORDER BY created_at, id LIMIT 1`,
				n.DedupeKey, n.CreatedAt.Add(-civmap.NeedDedupeWindow), n.CreatedAt.Add(civmap.NeedDedupeWindow)))
			switch {
			case err == nil:
				n, change = first, store.Unchanged
				return nil
			case !errors.Is(err, pgx.ErrNoRows):
				return wrap("create need: find duplicate", err)
			}
		}
		o := n.Order
		err := tx.QueryRow(ctx, `WITH `+insertCells+`
			INSERT INTO needs (category, description, place_code, place_lon, place_lat, site_code, lon, lat,
				coord_source, precision, status, demo, created_at, hidden, hidden_reason, dedupe_key, phone,
				receipt_hash, queue, order_skill, order_slots, order_start, order_end, order_urgency, order_mode,
				order_team_id, order_offered, order_dispatched_at, reason, rating, comment, version, updated_at,
				closed_at, erased_at, `+h3Columns+`)
			VALUES ($6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23, $24, $25,
				$26, $27, $28, $29, $30, $31, $32, $33, $34, $35, $36, $37, $38, $39, $40, `+cellValues(cells)+`)
			RETURNING id`,
			cells, res, clon, clat, hex,
			string(n.Category), n.Description, n.Place.Code, plon, plat, n.SiteCode, n.Location.Point[0],
			n.Location.Point[1], string(n.Location.Source), string(n.Location.Precision), string(n.Status), n.Demo,
			n.CreatedAt, n.Moderation.Hidden, n.Moderation.Reason, n.DedupeKey, n.Phone, n.ReceiptHash, n.Queue,
			string(o.Skill), o.Slots, nullTime(o.Start), nullTime(o.End), string(o.Urgency), string(o.Mode), o.TeamID,
			nonNil(o.Offered), nullTime(o.DispatchedAt), n.Reason, n.Rating, n.Comment, n.Version, n.UpdatedAt,
			nullTime(n.ClosedAt), nullTime(n.ErasedAt)).Scan(&n.ID)
		if err != nil {
			if e := pgError(err); e != nil && e.Code == "23505" && e.ConstraintName == "needs_receipt_idx" {
				return &civmap.Error{Code: civmap.ECONFLICT, Field: "receipt_hash", Message: "回执码与已有需求重复，请重新生成"}
			}
			return wrap("create need", err)
		}
		// The first step of its history and the site's notification (workflow.Submitted).
		ev, msgs := workflow.Submitted(n)
		var b pgx.Batch
		if err := queueEvent(&b, ev, msgs, n.CreatedAt); err != nil {
			return err
		}
		queueAudit(&b, store.NewAudit(ctx, s.clock(), civmap.AuditCreate, civmap.KindNeed, strconv.FormatInt(n.ID, 10), nil, n, ""))
		return wrap("create need: history", tx.SendBatch(ctx, &b).Close())
	})
	if err != nil {
		return civmap.Need{}, "", err
	}
	return n, change, nil
}

// Need returns one need; ENOTFOUND if there is none.
func (s *Store) Need(ctx context.Context, id int64) (civmap.Need, error) {
	n, err := scanNeed(s.pool.QueryRow(ctx, `SELECT `+needColumns+` FROM needs WHERE id = $1`, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return civmap.Need{}, civmap.Errorf(civmap.ENOTFOUND, "没有编号为 %d 的需求", id)
	}
	return n, wrap("need", err)
}

// ListNeeds returns the needs matching f, newest first (ties: higher id first); needs hidden by
// moderation only with f.IncludeHidden.
func (s *Store) ListNeeds(ctx context.Context, f store.NeedFilter) ([]civmap.Need, error) {
	var limit *int
	if f.Limit > 0 {
		limit = &f.Limit
	}
	var statuses, queues []string
	for _, st := range f.Statuses {
		statuses = append(statuses, string(st))
	}
	queues = append(queues, f.Queues...)
	args := append([]any{f.SiteCode, string(f.Status)}, boundArgs(f.Bound)...)
	args = append(args, limit, f.IncludeHidden, statuses, queues, f.VolunteerID)
	rows, _ := s.pool.Query(ctx, `SELECT `+needColumns+` FROM needs n
		WHERE ($1 = '' OR site_code = $1) AND ($2 = '' OR status = $2) AND `+boundSQL("n", 3)+`
			AND ($8 OR NOT hidden) AND ($9::text[] IS NULL OR status = ANY($9)) AND ($10::text[] IS NULL OR queue = ANY($10))
			AND ($11::int8 = 0 OR EXISTS (SELECT 1 FROM assignments a WHERE a.need_id = n.id AND a.volunteer_id = $11))
		ORDER BY created_at DESC, id DESC LIMIT $7`, args...)
	var out []civmap.Need
	err := forEach(rows, func(r pgx.Row) error {
		n, err := scanNeed(r)
		out = append(out, n)
		return err
	})
	return out, wrap("list needs", err)
}
