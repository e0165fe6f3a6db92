package embedded

import (
	"context"
	"fmt"

	"civmap"
	"civmap/store"
)

// Writes that change activities and needs after their creation: UpdateActivity and Moderate.

// sameActivity reports whether two activities hold the same data (Place.Point compared by
// value).
func sameActivity(a, b civmap.Activity) bool {
	pa, pb := a.Place.Point, b.Place.Point
	if (pa == nil) != (pb == nil) || (pa != nil && *pa != *pb) {
		return false
	}
	a.Place.Point, b.Place.Point = nil, nil
	return a == b
}

// UpdateActivity validates a and replaces the stored activity a.ID with it: everything but ID,
// CreatedAt, Demo and Moderation, which stay as stored (times are kept in UTC microseconds). Its
// quadtree entry and cluster counts move when its Location changed. Audited as
// civmap.AuditUpdate with the record before and after; an update that changes nothing writes
// nothing. It returns the stored activity. ENOTFOUND, EINVALID.
func (s *Store) UpdateActivity(ctx context.Context, a civmap.Activity) (civmap.Activity, error) {
	s.wmu.Lock()
	defer s.wmu.Unlock()
	s.mu.RLock()
	old, ok := s.mem.activities[a.ID]
	s.mu.RUnlock()
	if !ok {
		return civmap.Activity{}, notFound("没有编号为 %d 的活动", a.ID)
	}
	a.CreatedAt, a.Demo, a.Moderation = old.CreatedAt, old.Demo, old.Moderation
	a, err := store.PrepareActivity(a, s.now)
	if err != nil {
		return civmap.Activity{}, err
	}
	if sameActivity(a, old) {
		return old, nil
	}
	now := s.clock()
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return civmap.Activity{}, fmt.Errorf("embedded: update activity %d: %w", a.ID, err)
	}
	defer tx.Rollback()
	plon, plat := placePoint(a.Place)
	if _, err := tx.ExecContext(ctx, `UPDATE activities SET title = ?, content_area = ?, platform = ?, start_us = ?,
		end_us = ?, place_code = ?, place_lon = ?, place_lat = ?, site_code = ?, lon = ?, lat = ?, coord_source = ?,
		precision = ?, status = ? WHERE id = ?`,
		a.Title, a.ContentArea, a.Platform, a.Start.UnixMicro(), a.End.UnixMicro(), a.Place.Code, plon, plat,
		a.SiteCode, a.Location.Point[0], a.Location.Point[1], a.Location.Source, a.Location.Precision, a.Status,
		a.ID); err != nil {
		return civmap.Activity{}, fmt.Errorf("embedded: update activity %d: %w", a.ID, err)
	}
	if err := appendAudit(ctx, tx, store.NewAudit(ctx, now, civmap.AuditUpdate, civmap.KindActivity, idString(a.ID), old, a, "")); err != nil {
		return civmap.Activity{}, err
	}
	if err := tx.Commit(); err != nil {
		return civmap.Activity{}, fmt.Errorf("embedded: update activity %d: commit: %w", a.ID, err)
	}
	s.mu.Lock()
	s.mem.replaceActivity(a)
	s.mu.Unlock()
	s.version.Add(1)
	return a, nil
}

// Moderate sets the moderation of the activity (kind civmap.KindActivity) or need
// (civmap.KindNeed) with id. A hidden record stays in the maps (Activity, Need and lists with
// IncludeHidden find it) but leaves the tile and cluster indexes; unhiding puts it back.
// Audited as civmap.AuditHide or civmap.AuditUnhide with the reason as note; setting the
// moderation it already has writes nothing. ENOTFOUND; EINVALID for another kind (field
// "kind") or a bad reason (civmap.Moderation.Validate).
func (s *Store) Moderate(ctx context.Context, kind string, id int64, m civmap.Moderation) error {
	if kind != civmap.KindActivity && kind != civmap.KindNeed {
		return civmap.FieldErrorf("kind", "only activities and needs are moderated, not %q", kind)
	}
	if err := m.Validate(); err != nil {
		return err
	}
	s.wmu.Lock()
	defer s.wmu.Unlock()

	var before, after any
	var table string
	s.mu.RLock()
	if kind == civmap.KindActivity {
		a, ok := s.mem.activities[id]
		if ok && a.Moderation == m {
			s.mu.RUnlock()
			return nil
		}
		if ok {
			before, table = a, "activities"
			a.Moderation = m
			after = a
		}
	} else {
		n, ok := s.mem.needs[id]
		if ok && n.Moderation == m {
			s.mu.RUnlock()
			return nil
		}
		if ok {
			before, table = n, "needs"
			n.Moderation = m
			after = n
		}
	}
	s.mu.RUnlock()
	if before == nil {
		if kind == civmap.KindActivity {
			return notFound("没有编号为 %d 的活动", id)
		}
		return notFound("没有编号为 %d 的需求", id)
	}

	now := s.clock()
	action := civmap.AuditUnhide
	if m.Hidden {
		action = civmap.AuditHide
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("embedded: moderate %s %d: %w", kind, id, err)
	}
	defer tx.Rollback()
	// table is one of two constants above, never input.
	if _, err := tx.ExecContext(ctx, `UPDATE `+table+` SET hidden = ?, hidden_reason = ? WHERE id = ?`, m.Hidden, m.Reason, id); err != nil {
		return fmt.Errorf("embedded: moderate %s %d: %w", kind, id, err)
	}
	if err := appendAudit(ctx, tx, store.NewAudit(ctx, now, action, kind, idString(id), before, after, m.Reason)); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("embedded: moderate %s %d: commit: %w", kind, id, err)
	}
	s.mu.Lock()
	switch x := after.(type) {
	case civmap.Activity:
		s.mem.replaceActivity(x)
	case civmap.Need:
		s.mem.replaceNeed(x)
	}
	s.mu.Unlock()
	s.version.Add(1)
	return nil
}
