package embedded

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"slices"

	"civmap"

	"github.com/paulmach/orb"
)

// A need's row: the columns of the first issues plus the workflow's (migration 00004), read by
// load and written by CreateNeed, Transition and EraseClosed.

// needColumns are a need's columns in the order scanNeed reads them.
const needColumns = `id, category, description, place_code, place_lon, place_lat, site_code, lon, lat,
	coord_source, precision, status, demo, created_us, hidden, hidden_reason, dedupe_key, phone, receipt_hash,
	queue, order_skill, order_slots, order_start_us, order_end_us, order_urgency, order_mode, order_team_id,
	order_offered, order_dispatched_us, reason, rating, comment, version, updated_us, closed_us, erased_us`

// scanNeed reads a need selected with needColumns.
func scanNeed(row scanner) (civmap.Need, error) {
	var n civmap.Need
	var createdUS, updatedUS int64
	var plon, plat sql.NullFloat64
	var start, end, dispatched, closed, erased sql.NullInt64
	var offered string
	if err := row.Scan(&n.ID, &n.Category, &n.Description, &n.Place.Code, &plon, &plat, &n.SiteCode,
		&n.Location.Point[0], &n.Location.Point[1], &n.Location.Source, &n.Location.Precision, &n.Status,
		&n.Demo, &createdUS, &n.Moderation.Hidden, &n.Moderation.Reason, &n.DedupeKey, &n.Phone, &n.ReceiptHash,
		&n.Queue, &n.Order.Skill, &n.Order.Slots, &start, &end, &n.Order.Urgency, &n.Order.Mode, &n.Order.TeamID,
		&offered, &dispatched, &n.Reason, &n.Rating, &n.Comment, &n.Version, &updatedUS, &closed, &erased); err != nil {
		return civmap.Need{}, err
	}
	n.CreatedAt, n.UpdatedAt = fromMicros(createdUS), fromMicros(updatedUS)
	n.Order.Start, n.Order.End, n.Order.DispatchedAt = fromNullMicros(start), fromNullMicros(end), fromNullMicros(dispatched)
	n.ClosedAt, n.ErasedAt = fromNullMicros(closed), fromNullMicros(erased)
	if plon.Valid && plat.Valid {
		n.Place.Point = &orb.Point{plon.Float64, plat.Float64}
	}
	ids, err := decodeIDs(offered)
	if err != nil {
		return civmap.Need{}, fmt.Errorf("need %d: offered: %w", n.ID, err)
	}
	n.Order.Offered = ids
	return n, nil
}

// insertNeed inserts n (everything but ID, which it assigns) inside tx.
func insertNeed(ctx context.Context, tx *sql.Tx, n *civmap.Need) error {
	plon, plat := placePoint(n.Place)
	o := n.Order
	return tx.QueryRowContext(ctx, `INSERT INTO needs (category, description, place_code, place_lon, place_lat,
		site_code, lon, lat, coord_source, precision, status, demo, created_us, hidden, hidden_reason, dedupe_key,
		phone, receipt_hash, queue, order_skill, order_slots, order_start_us, order_end_us, order_urgency, order_mode,
		order_team_id, order_offered, order_dispatched_us, reason, rating, comment, version, updated_us, closed_us,
		erased_us)
		VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?) RETURNING id`,
		n.Category, n.Description, n.Place.Code, plon, plat, n.SiteCode, n.Location.Point[0], n.Location.Point[1],
		n.Location.Source, n.Location.Precision, n.Status, n.Demo, n.CreatedAt.UnixMicro(), n.Moderation.Hidden,
		n.Moderation.Reason, n.DedupeKey, n.Phone, n.ReceiptHash, n.Queue, o.Skill, o.Slots, nullMicros(o.Start),
		nullMicros(o.End), o.Urgency, o.Mode, o.TeamID, encodeIDs(o.Offered), nullMicros(o.DispatchedAt), n.Reason,
		n.Rating, n.Comment, n.Version, n.UpdatedAt.UnixMicro(), nullMicros(n.ClosedAt), nullMicros(n.ErasedAt)).Scan(&n.ID)
}

// updateNeedWorkflow writes the workflow's columns of n (status, the resident's phone and
// comment, queue, order, reason, rating, version and times) inside tx. The description is
// written too: retention erases it.
func updateNeedWorkflow(ctx context.Context, tx *sql.Tx, n civmap.Need) error {
	o := n.Order
	_, err := tx.ExecContext(ctx, `UPDATE needs SET description = ?, status = ?, phone = ?, queue = ?,
		order_skill = ?, order_slots = ?, order_start_us = ?, order_end_us = ?, order_urgency = ?, order_mode = ?,
		order_team_id = ?, order_offered = ?, order_dispatched_us = ?, reason = ?, rating = ?, comment = ?,
		version = ?, updated_us = ?, closed_us = ?, erased_us = ? WHERE id = ?`,
		n.Description, n.Status, n.Phone, n.Queue, o.Skill, o.Slots, nullMicros(o.Start), nullMicros(o.End), o.Urgency,
		o.Mode, o.TeamID, encodeIDs(o.Offered), nullMicros(o.DispatchedAt), n.Reason, n.Rating, n.Comment, n.Version,
		n.UpdatedAt.UnixMicro(), nullMicros(n.ClosedAt), nullMicros(n.ErasedAt), n.ID)
	if err != nil {
		return fmt.Errorf("embedded: update need %d: %w", n.ID, err)
	}
	return nil
}

// normNeedTimes puts every time of n as stored: UTC, whole microseconds (zero stays zero).
func normNeedTimes(n *civmap.Need) {
	n.CreatedAt, n.UpdatedAt = normTime(n.CreatedAt), normTime(n.UpdatedAt)
	n.ClosedAt, n.ErasedAt = normTime(n.ClosedAt), normTime(n.ErasedAt)
	n.Order.Start, n.Order.End = normTime(n.Order.Start), normTime(n.Order.End)
	n.Order.DispatchedAt = normTime(n.Order.DispatchedAt)
	if len(n.Order.Offered) == 0 {
		n.Order.Offered = nil
	}
}

// needOut is a need as handed to a caller: its slice is the caller's own, so that changing it
// cannot change memory.
func needOut(n civmap.Need) civmap.Need {
	n.Order.Offered = slices.Clone(n.Order.Offered)
	return n
}

// encodeIDs is a list of ids as stored: a JSON array, "" for none.
func encodeIDs(ids []int64) string {
	if len(ids) == 0 {
		return ""
	}
	b, _ := json.Marshal(ids) // []int64 always marshals
	return string(b)
}

// decodeIDs reads a list written by encodeIDs (nil for none).
func decodeIDs(s string) ([]int64, error) {
	if s == "" || s == "[]" {
		return nil, nil
	}
	var ids []int64
	if err := json.Unmarshal([]byte(s), &ids); err != nil {
		return nil, err
	}
	if len(ids) == 0 {
		return nil, nil
	}
	return ids, nil
}
