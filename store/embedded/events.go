package embedded

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"sort"

	"civmap"
	"civmap/store"
	"civmap/workflow"
)

func placePoint(p civmap.Place) (lon, lat sql.NullFloat64) {
	if p.Point == nil {
		return
	}
	return sql.NullFloat64{Float64: p.Point[0], Valid: true}, sql.NullFloat64{Float64: p.Point[1], Valid: true}
}

// CreateActivity validates and stores a new activity, assigning ID and CreatedAt (when zero),
// and appends its audit record (civmap.AuditCreate) in the same transaction; see
// store.Activities. EINVALID for bad input.
func (s *Store) CreateActivity(ctx context.Context, a civmap.Activity) (civmap.Activity, error) {
	a, err := store.PrepareActivity(a, s.now)
	if err != nil {
		return civmap.Activity{}, err
	}

	s.wmu.Lock()
	defer s.wmu.Unlock()
	now := s.clock()
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return civmap.Activity{}, fmt.Errorf("embedded: insert activity: %w", err)
	}
	defer tx.Rollback()
	plon, plat := placePoint(a.Place)
	if err := tx.QueryRowContext(ctx, `INSERT INTO activities (title, content_area, platform, start_us, end_us,
		place_code, place_lon, place_lat, site_code, lon, lat, coord_source, precision, status, demo, created_us,
		hidden, hidden_reason) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?) RETURNING id`,
		a.Title, a.ContentArea, a.Platform, a.Start.UnixMicro(), a.End.UnixMicro(), a.Place.Code, plon, plat,
		a.SiteCode, a.Location.Point[0], a.Location.Point[1], a.Location.Source, a.Location.Precision, a.Status,
		a.Demo, a.CreatedAt.UnixMicro(), a.Moderation.Hidden, a.Moderation.Reason).Scan(&a.ID); err != nil {
		return civmap.Activity{}, fmt.Errorf("embedded: insert activity: %w", err)
	}
	if err := appendAudit(ctx, tx, store.NewAudit(ctx, now, civmap.AuditCreate, civmap.KindActivity, idString(a.ID), nil, a, "")); err != nil {
		return civmap.Activity{}, err
	}
	if err := tx.Commit(); err != nil {
		return civmap.Activity{}, fmt.Errorf("embedded: insert activity: commit: %w", err)
	}
	s.mu.Lock()
	s.mem.addActivity(a)
	s.mu.Unlock()
	s.version.Add(1)
	return a, nil
}

// Activity returns one activity; ENOTFOUND if there is none.
func (s *Store) Activity(ctx context.Context, id int64) (civmap.Activity, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	a, ok := s.mem.activities[id]
	if !ok {
		return civmap.Activity{}, civmap.Errorf(civmap.ENOTFOUND, "没有编号为 %d 的活动", id)
	}
	return a, nil
}

// ListActivities returns the activities matching f, ordered by start time then id; those hidden
// by moderation only with f.IncludeHidden. Never an error.
func (s *Store) ListActivities(ctx context.Context, f store.ActivityFilter) ([]civmap.Activity, error) {
	s.mu.RLock()
	var out []civmap.Activity
	for _, a := range s.mem.activities {
		if (f.IncludeHidden || !a.Moderation.Hidden) && (f.SiteCode == "" || a.SiteCode == f.SiteCode) && (f.EndAfter.IsZero() || a.End.After(f.EndAfter)) &&
			(f.Bound == nil || f.Bound.Contains(a.Location.Point)) {
			out = append(out, a)
		}
	}
	s.mu.RUnlock()
	sort.Slice(out, func(i, j int) bool {
		if !out[i].Start.Equal(out[j].Start) {
			return out[i].Start.Before(out[j].Start)
		}
		return out[i].ID < out[j].ID
	})
	if f.Limit > 0 && len(out) > f.Limit {
		out = out[:f.Limit]
	}
	return out, nil
}

// CreateNeed validates and stores a new need, assigning ID and CreatedAt (when zero), with
// Queue = SiteCode, Version 0 and UpdatedAt = CreatedAt (its other workflow fields, Phone and
// ReceiptHash among them, as given, times to the microsecond), and appends in the same
// transaction its first history event and outbox notification (workflow.Submitted: the
// notification keyed like a transition's, created and due at CreatedAt) and its audit record
// (civmap.AuditCreate); it returns Inserted. When n.DedupeKey is set and a need with the same
// key was created less than civmap.NeedDedupeWindow from n.CreatedAt (before or after it:
// racing submissions reach the writer in any order), it writes nothing and returns the
// earliest such need and Unchanged. See store.Needs. EINVALID for bad input; ECONFLICT (field
// receipt_hash) when another need has n's ReceiptHash.
func (s *Store) CreateNeed(ctx context.Context, n civmap.Need) (civmap.Need, store.Change, error) {
	n, err := store.PrepareNeed(n, s.now)
	if err != nil {
		return civmap.Need{}, "", err
	}
	n.Order.Offered = slices.Clone(n.Order.Offered) // memory's own
	normNeedTimes(&n)

	s.wmu.Lock()
	defer s.wmu.Unlock()
	now := s.clock()
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return civmap.Need{}, "", fmt.Errorf("embedded: insert need: %w", err)
	}
	defer tx.Rollback()
	if n.DedupeKey != "" {
		var id int64
		err := tx.QueryRowContext(ctx, `SELECT id FROM needs WHERE dedupe_key = ? AND created_us > ? AND created_us < ?
			ORDER BY created_us, id LIMIT 1`, n.DedupeKey, n.CreatedAt.Add(-civmap.NeedDedupeWindow).UnixMicro(),
			n.CreatedAt.Add(civmap.NeedDedupeWindow).UnixMicro()).Scan(&id)
		switch {
		case err == nil:
			s.mu.RLock()
			first, ok := s.mem.needs[id]
			s.mu.RUnlock()
			if ok {
				return needOut(first), store.Unchanged, nil
			}
			return civmap.Need{}, "", fmt.Errorf("embedded: need %d is in the data file but not in memory", id)
		case !errors.Is(err, sql.ErrNoRows):
			return civmap.Need{}, "", fmt.Errorf("embedded: find a duplicate need: %w", err)
		}
	}
	if err := insertNeed(ctx, tx, &n); isUnique(err) { // the only unique column: receipt_hash
		return civmap.Need{}, "", &civmap.Error{Code: civmap.ECONFLICT, Field: "receipt_hash", Message: "回执码与已有需求重复，请重新生成"}
	} else if err != nil {
		return civmap.Need{}, "", fmt.Errorf("embedded: insert need: %w", err)
	}
	ev, msgs := workflow.Submitted(n)
	if err := insertEvent(ctx, tx, &ev); err != nil {
		return civmap.Need{}, "", err
	}
	if err := insertNotifications(ctx, tx, ev, ev.Action, msgs, n.CreatedAt); err != nil {
		return civmap.Need{}, "", err
	}
	if err := appendAudit(ctx, tx, store.NewAudit(ctx, now, civmap.AuditCreate, civmap.KindNeed, idString(n.ID), nil, n, "")); err != nil {
		return civmap.Need{}, "", err
	}
	if err := tx.Commit(); err != nil {
		return civmap.Need{}, "", fmt.Errorf("embedded: insert need: commit: %w", err)
	}
	s.mu.Lock()
	s.mem.addNeed(n)
	s.mu.Unlock()
	s.version.Add(1)
	return needOut(n), store.Inserted, nil
}

// Need returns one need; ENOTFOUND if there is none.
func (s *Store) Need(ctx context.Context, id int64) (civmap.Need, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	n, ok := s.mem.needs[id]
	if !ok {
		return civmap.Need{}, civmap.Errorf(civmap.ENOTFOUND, "没有编号为 %d 的需求", id)
	}
	return needOut(n), nil
}

// matchNeed reports whether n passes f's filters (all but VolunteerID, which ListNeeds answers
// from its index, and Limit).
func matchNeed(n civmap.Need, f store.NeedFilter) bool {
	return (f.IncludeHidden || !n.Moderation.Hidden) && (f.SiteCode == "" || n.SiteCode == f.SiteCode) &&
		(f.Status == "" || n.Status == f.Status) && (len(f.Statuses) == 0 || slices.Contains(f.Statuses, n.Status)) &&
		(len(f.Queues) == 0 || slices.Contains(f.Queues, n.Queue)) && (f.Bound == nil || f.Bound.Contains(n.Location.Point))
}

// ListNeeds returns the needs matching f, newest first (ties: higher id first); those hidden by
// moderation only with f.IncludeHidden. With f.VolunteerID it reads only that volunteer's
// needs (the index of assignments by volunteer). Never an error.
func (s *Store) ListNeeds(ctx context.Context, f store.NeedFilter) ([]civmap.Need, error) {
	s.mu.RLock()
	var out []civmap.Need
	if f.VolunteerID != 0 {
		for id := range s.mem.needsByVolunteer[f.VolunteerID] {
			if n, ok := s.mem.needs[id]; ok && matchNeed(n, f) {
				out = append(out, needOut(n))
			}
		}
	} else {
		for _, n := range s.mem.needs {
			if matchNeed(n, f) {
				out = append(out, needOut(n))
			}
		}
	}
	s.mu.RUnlock()
	sort.Slice(out, func(i, j int) bool {
		if !out[i].CreatedAt.Equal(out[j].CreatedAt) {
			return out[i].CreatedAt.After(out[j].CreatedAt)
		}
		return out[i].ID > out[j].ID
	})
	if f.Limit > 0 && len(out) > f.Limit {
		out = out[:f.Limit]
	}
	return out, nil
}
