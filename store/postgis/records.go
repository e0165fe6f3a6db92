package postgis

import (
	"context"
	"errors"
	"fmt"
	"strconv"

	"civmap"
	"civmap/store"

	"github.com/jackc/pgx/v5"
)

// UpdateActivity validates a and replaces the stored activity a.ID with it, keeping the stored
// ID, CreatedAt, Demo and Moderation (a.Moderation is ignored), in one transaction: the row is
// read FOR UPDATE, lon/lat and the h3_* cells are recomputed in Go (as on create) with any new
// cells added to h3_cells, the data version is bumped and one audit record (AuditUpdate, before
// and after) is appended. An update that changes nothing writes nothing. It returns the
// activity as stored. ENOTFOUND for an unknown id, EINVALID for bad input.
func (s *Store) UpdateActivity(ctx context.Context, a civmap.Activity) (civmap.Activity, error) {
	a.Moderation = civmap.Moderation{} // not the update's to set; the stored one is kept below
	a, err := store.PrepareActivity(a, s.now)
	if err != nil {
		return civmap.Activity{}, err
	}
	cells, res, clon, clat, hex, err := cellsOf(a.Location.Point)
	if err != nil {
		return civmap.Activity{}, fmt.Errorf("postgis: activity cells: %w", err)
	}
	plon, plat := placeArgs(a.Place)
	var out civmap.Activity
	err = s.inTx(ctx, "update activity", func(tx pgx.Tx) error {
		old, err := scanActivity(tx.QueryRow(ctx, `SELECT `+activityColumns+` FROM activities WHERE id = $1 FOR UPDATE`, a.ID))
		if errors.Is(err, pgx.ErrNoRows) {
			return civmap.Errorf(civmap.ENOTFOUND, "没有编号为 %d 的活动", a.ID)
		} else if err != nil {
			return wrap("update activity: read", err)
		}
		a.CreatedAt, a.Demo, a.Moderation = old.CreatedAt, old.Demo, old.Moderation
		if sameActivity(old, a) {
			out = old
			return nil
		}
		var b pgx.Batch
		b.Queue(`WITH `+insertCells+`
			UPDATE activities SET title = $6, content_area = $7, platform = $8, start_at = $9, end_at = $10,
				place_code = $11, place_lon = $12, place_lat = $13, site_code = $14, lon = $15, lat = $16,
				coord_source = $17, precision = $18, status = $19, `+h3Set(cells)+`
			WHERE id = $20`,
			cells, res, clon, clat, hex,
			a.Title, string(a.ContentArea), string(a.Platform), a.Start, a.End, a.Place.Code, plon, plat, a.SiteCode,
			a.Location.Point[0], a.Location.Point[1], string(a.Location.Source), string(a.Location.Precision),
			string(a.Status), a.ID)
		queueAudit(&b, store.NewAudit(ctx, s.clock(), civmap.AuditUpdate, civmap.KindActivity,
			strconv.FormatInt(a.ID, 10), old, a, ""))
		if err := tx.SendBatch(ctx, &b).Close(); err != nil {
			return wrap("update activity", err)
		}
		out = a
		return nil
	})
	if err != nil {
		return civmap.Activity{}, err
	}
	return out, nil
}

// sameActivity reports whether two activities are equal in every field (times as instants,
// the place's point by value).
func sameActivity(a, b civmap.Activity) bool {
	if (a.Place.Point == nil) != (b.Place.Point == nil) || (a.Place.Point != nil && *a.Place.Point != *b.Place.Point) {
		return false
	}
	if !a.Start.Equal(b.Start) || !a.End.Equal(b.End) || !a.CreatedAt.Equal(b.CreatedAt) {
		return false
	}
	a.Place.Point, b.Place.Point = nil, nil
	a.Start, a.End, a.CreatedAt = b.Start, b.End, b.CreatedAt
	return a == b
}

// Moderate sets the moderation of the activity (kind civmap.KindActivity) or need
// (civmap.KindNeed) with id, in one transaction: the row is read FOR UPDATE; when its
// moderation differs from m, it is set, the data version is bumped (hidden records leave lists,
// tiles and cluster counts) and one audit record is appended (AuditHide, or AuditUnhide, with
// m.Reason as the note). Setting the moderation a record already has writes nothing. EINVALID
// (field "kind") for another kind, EINVALID for a bad reason (civmap.Moderation.Validate),
// ENOTFOUND for an unknown id.
func (s *Store) Moderate(ctx context.Context, kind string, id int64, m civmap.Moderation) error {
	var table, columns, what string
	switch kind {
	case civmap.KindActivity:
		table, columns, what = "activities", activityColumns, "活动"
	case civmap.KindNeed:
		table, columns, what = "needs", needColumns, "需求"
	default:
		return civmap.FieldErrorf("kind", "only activities and needs are moderated, not %q", kind)
	}
	if err := m.Validate(); err != nil {
		return err
	}
	return s.inTx(ctx, "moderate", func(tx pgx.Tx) error {
		// table and columns are constants chosen above.
		row := tx.QueryRow(ctx, `SELECT `+columns+` FROM `+table+` WHERE id = $1 FOR UPDATE`, id)
		var before, after any
		var was civmap.Moderation
		var err error
		if kind == civmap.KindActivity {
			var a civmap.Activity
			a, err = scanActivity(row)
			before, was = a, a.Moderation
			a.Moderation = m
			after = a
		} else {
			var n civmap.Need
			n, err = scanNeed(row)
			before, was = n, n.Moderation
			n.Moderation = m
			after = n
		}
		if errors.Is(err, pgx.ErrNoRows) {
			return civmap.Errorf(civmap.ENOTFOUND, "没有编号为 %d 的%s", id, what)
		} else if err != nil {
			return wrap("moderate: read", err)
		}
		if was == m {
			return nil
		}
		action := civmap.AuditHide
		if !m.Hidden {
			action = civmap.AuditUnhide
		}
		var b pgx.Batch
		b.Queue(`UPDATE `+table+` SET hidden = $2, hidden_reason = $3 WHERE id = $1`, id, m.Hidden, m.Reason)
		b.Queue(`UPDATE meta SET version = version + 1`)
		queueAudit(&b, store.NewAudit(ctx, s.clock(), action, kind, strconv.FormatInt(id, 10), before, after, m.Reason))
		return wrap("moderate", tx.SendBatch(ctx, &b).Close())
	})
}
