package embedded

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"sort"
	"time"

	"civmap"
	"civmap/store"
	"civmap/workflow"
)

// The service workflow of needs (store.Orders): Transition runs workflow.Apply on the need as
// memory holds it and writes the result to SQLite in one transaction, then to memory.
//
// Serialisation: every write of this process holds the writer mutex (wmu) from its first read
// to its memory update, and the data file's flock keeps other processes out, so what
// Transition reads under wmu — the need, its assignments and the acting volunteer — cannot
// change before it commits: of 50 racing accepts of a one-place order, the first to get wmu
// wins and the other 49 read an accepted order and get Apply's ECONFLICT without writing.
// Readers never take wmu: they read memory under the read lock (mu), which a transition holds
// for writing only while it copies its committed result in.

// assignments and the index of needs by volunteer (NeedFilter.VolunteerID).

func (m *memory) setAssignments(needID int64, as []civmap.Assignment) {
	for _, a := range m.assignments[needID] {
		if ids := m.needsByVolunteer[a.VolunteerID]; ids != nil {
			delete(ids, needID)
			if len(ids) == 0 {
				delete(m.needsByVolunteer, a.VolunteerID)
			}
		}
	}
	if len(as) == 0 {
		delete(m.assignments, needID)
		return
	}
	m.assignments[needID] = as
	for _, a := range as {
		ids := m.needsByVolunteer[a.VolunteerID]
		if ids == nil {
			ids = map[int64]struct{}{}
			m.needsByVolunteer[a.VolunteerID] = ids
		}
		ids[needID] = struct{}{}
	}
}

func loadAssignments(ctx context.Context, db *sql.DB, m *memory) error {
	rows, err := db.QueryContext(ctx, `SELECT need_id, volunteer_id, state, accepted_us, started_us, done_us, hours
		FROM assignments ORDER BY need_id, volunteer_id`)
	if err != nil {
		return err
	}
	byNeed := map[int64][]civmap.Assignment{}
	for rows.Next() {
		var a civmap.Assignment
		var accepted, started, done sql.NullInt64
		if err := rows.Scan(&a.NeedID, &a.VolunteerID, &a.State, &accepted, &started, &done, &a.Hours); err != nil {
			rows.Close()
			return err
		}
		a.AcceptedAt, a.StartedAt, a.DoneAt = fromNullMicros(accepted), fromNullMicros(started), fromNullMicros(done)
		byNeed[a.NeedID] = append(byNeed[a.NeedID], a)
	}
	if err := closeRows(rows); err != nil {
		return err
	}
	for id, as := range byNeed {
		m.setAssignments(id, as)
	}
	return nil
}

func sameAssignment(a, b civmap.Assignment) bool {
	return a.NeedID == b.NeedID && a.VolunteerID == b.VolunteerID && a.State == b.State &&
		a.AcceptedAt.Equal(b.AcceptedAt) && a.StartedAt.Equal(b.StartedAt) && a.DoneAt.Equal(b.DoneAt) && a.Hours == b.Hours
}

// insertEvent appends ev to its need's history inside tx and sets its ID.
func insertEvent(ctx context.Context, tx *sql.Tx, ev *civmap.NeedEvent) error {
	if err := tx.QueryRowContext(ctx, `INSERT INTO need_events (need_id, at_us, action, from_status, to_status,
		actor_role, actor_id, volunteer_id, team, note) VALUES (?,?,?,?,?,?,?,?,?,?) RETURNING id`,
		ev.NeedID, ev.At.UnixMicro(), ev.Action, ev.From, ev.To, ev.ActorRole, ev.ActorID, ev.VolunteerID, ev.Team,
		ev.Note).Scan(&ev.ID); err != nil {
		return fmt.Errorf("embedded: append event of need %d: %w", ev.NeedID, err)
	}
	return nil
}

// Transition applies r to need id in one transaction; see store.Orders. It reads the need,
// its assignments and, for a volunteer actor, the volunteer (r.Actor.Volunteer.ID, re-read: a
// volunteer without a record is passed as none, which Apply refuses) under the writer mutex,
// calls workflow.Apply, and writes the need, the assignments that changed, the volunteers'
// open-order counts, the history event, one outbox row per message and the audit record
// (civmap.AuditTransition, note: the action). Times are stored to the microsecond (UTC), so
// r's are truncated first. Errors are workflow.Apply's (nothing written), ENOTFOUND.
func (s *Store) Transition(ctx context.Context, id int64, r workflow.Request) (civmap.Need, civmap.NeedEvent, error) {
	r.Now, r.Start, r.End = normTime(r.Now), normTime(r.Start), normTime(r.End)

	s.wmu.Lock()
	defer s.wmu.Unlock()
	s.mu.RLock()
	n, ok := s.mem.needs[id]
	var st workflow.State
	if ok {
		st = workflow.State{Need: needOut(n), Assignments: slices.Clone(s.mem.assignments[id])}
		if r.Actor.Kind == workflow.Volunteer && r.Actor.Volunteer != nil {
			if it, ok := s.mem.vols.byID[r.Actor.Volunteer.ID]; ok {
				fresh := volOut(&it.rec)
				r.Actor.Volunteer = &fresh
			} else {
				r.Actor.Volunteer = nil
			}
		}
	}
	s.mu.RUnlock()
	if !ok {
		return civmap.Need{}, civmap.NeedEvent{}, notFound("没有编号为 %d 的需求", id)
	}
	res, err := workflow.Apply(st, r)
	if err != nil {
		return civmap.Need{}, civmap.NeedEvent{}, err
	}
	after := res.Need
	normNeedTimes(&after)
	as := slices.Clone(res.Assignments)
	for i := range as {
		a := &as[i]
		a.NeedID = id
		a.AcceptedAt, a.StartedAt, a.DoneAt = normTime(a.AcceptedAt), normTime(a.StartedAt), normTime(a.DoneAt)
	}
	sort.Slice(as, func(i, j int) bool { return as[i].VolunteerID < as[j].VolunteerID })
	ev := res.Event
	ev.NeedID, ev.At = id, normTime(ev.At)

	now := s.clock()
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return civmap.Need{}, civmap.NeedEvent{}, fmt.Errorf("embedded: transition need %d: %w", id, err)
	}
	defer tx.Rollback()
	if err := updateNeedWorkflow(ctx, tx, after); err != nil {
		return civmap.Need{}, civmap.NeedEvent{}, err
	}
	for _, a := range as {
		if i := slices.IndexFunc(st.Assignments, func(o civmap.Assignment) bool { return o.VolunteerID == a.VolunteerID }); i >= 0 &&
			sameAssignment(st.Assignments[i], a) {
			continue
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO assignments (need_id, volunteer_id, state, accepted_us, started_us,
			done_us, hours) VALUES (?,?,?,?,?,?,?) ON CONFLICT (need_id, volunteer_id) DO UPDATE SET state = excluded.state,
			accepted_us = excluded.accepted_us, started_us = excluded.started_us, done_us = excluded.done_us,
			hours = excluded.hours`, id, a.VolunteerID, a.State, nullMicros(a.AcceptedAt), nullMicros(a.StartedAt),
			nullMicros(a.DoneAt), a.Hours); err != nil {
			return civmap.Need{}, civmap.NeedEvent{}, fmt.Errorf("embedded: write assignment of volunteer %d to need %d: %w", a.VolunteerID, id, err)
		}
	}
	for vid, d := range res.OpenDelta {
		if _, err := tx.ExecContext(ctx, `UPDATE volunteers SET open_orders = MAX(0, open_orders + ?) WHERE id = ?`, d, vid); err != nil {
			return civmap.Need{}, civmap.NeedEvent{}, fmt.Errorf("embedded: open orders of volunteer %d: %w", vid, err)
		}
	}
	if err := insertEvent(ctx, tx, &ev); err != nil {
		return civmap.Need{}, civmap.NeedEvent{}, err
	}
	if err := insertNotifications(ctx, tx, ev, string(r.Action), res.Notify, r.Now); err != nil {
		return civmap.Need{}, civmap.NeedEvent{}, err
	}
	if err := appendAudit(ctx, tx, store.NewAudit(ctx, now, civmap.AuditTransition, civmap.KindNeed, idString(id),
		st.Need, after, string(r.Action))); err != nil {
		return civmap.Need{}, civmap.NeedEvent{}, err
	}
	if err := tx.Commit(); err != nil {
		return civmap.Need{}, civmap.NeedEvent{}, fmt.Errorf("embedded: transition need %d: commit: %w", id, err)
	}
	s.mu.Lock()
	s.mem.setNeed(after)
	s.mem.setAssignments(id, as)
	for vid, d := range res.OpenDelta {
		s.mem.vols.addOpen(vid, d)
	}
	s.mu.Unlock()
	s.version.Add(1) // the status shows on tiles, lists and pages
	return needOut(after), ev, nil
}

// NeedHistory returns the need's events, oldest first; ENOTFOUND for an unknown need.
func (s *Store) NeedHistory(ctx context.Context, id int64) ([]civmap.NeedEvent, error) {
	s.mu.RLock()
	_, ok := s.mem.needs[id]
	s.mu.RUnlock()
	if !ok {
		return nil, notFound("没有编号为 %d 的需求", id)
	}
	rows, err := s.db.QueryContext(ctx, `SELECT id, need_id, at_us, action, from_status, to_status, actor_role,
		actor_id, volunteer_id, team, note FROM need_events WHERE need_id = ? ORDER BY id`, id)
	if err != nil {
		return nil, fmt.Errorf("embedded: history of need %d: %w", id, err)
	}
	var out []civmap.NeedEvent
	for rows.Next() {
		var e civmap.NeedEvent
		var at int64
		if err := rows.Scan(&e.ID, &e.NeedID, &at, &e.Action, &e.From, &e.To, &e.ActorRole, &e.ActorID,
			&e.VolunteerID, &e.Team, &e.Note); err != nil {
			rows.Close()
			return nil, fmt.Errorf("embedded: history of need %d: %w", id, err)
		}
		e.At = fromMicros(at)
		out = append(out, e)
	}
	if err := closeRows(rows); err != nil {
		return nil, fmt.Errorf("embedded: history of need %d: %w", id, err)
	}
	return out, nil
}

// Assignments returns the need's assignments, by volunteer id (none for an unknown need).
func (s *Store) Assignments(ctx context.Context, needID int64) ([]civmap.Assignment, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return slices.Clone(s.mem.assignments[needID]), nil
}

// NeedByReceipt returns the need whose receipt code has this hash; ENOTFOUND.
func (s *Store) NeedByReceipt(ctx context.Context, receiptHash string) (civmap.Need, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	id, ok := s.mem.needByReceipt[receiptHash]
	if !ok || receiptHash == "" {
		return civmap.Need{}, notFound("没有与该回执码对应的需求")
	}
	return needOut(s.mem.needs[id]), nil
}

// EscalationDue returns up to limit needs (none when limit ≤ 0) that workflow.EscalationDue
// says have waited longer than after at now, oldest (created) first, ties by id. Never an
// error.
func (s *Store) EscalationDue(ctx context.Context, now time.Time, after time.Duration, limit int) ([]civmap.Need, error) {
	if limit <= 0 {
		return nil, nil
	}
	s.mu.RLock()
	var out []civmap.Need
	for _, n := range s.mem.needs {
		// A need queued at the top of the network has nowhere to go; hidden ones are moderated.
		if q, ok := s.mem.sites[n.Queue]; ok && q.ParentCode != "" && !n.Moderation.Hidden && workflow.EscalationDue(n, now, after) {
			out = append(out, needOut(n))
		}
	}
	s.mu.RUnlock()
	sort.Slice(out, func(i, j int) bool {
		if !out[i].CreatedAt.Equal(out[j].CreatedAt) {
			return out[i].CreatedAt.Before(out[j].CreatedAt)
		}
		return out[i].ID < out[j].ID
	})
	if len(out) > limit {
		out = out[:limit]
	}
	return out, nil
}

// EraseClosed erases the Description, Phone and Comment of up to limit needs (none when limit
// ≤ 0) closed before `before` and not yet erased, those closed first first, setting ErasedAt
// to the store's clock, in one transaction with one civmap.AuditErase record each; see
// store.Orders. It returns how many it erased.
func (s *Store) EraseClosed(ctx context.Context, before time.Time, limit int) (int, error) {
	if limit <= 0 {
		return 0, nil
	}
	s.wmu.Lock()
	defer s.wmu.Unlock()
	s.mu.RLock()
	var due []civmap.Need
	for _, n := range s.mem.needs {
		if !n.ClosedAt.IsZero() && n.ClosedAt.Before(before) && n.ErasedAt.IsZero() {
			due = append(due, n)
		}
	}
	s.mu.RUnlock()
	if len(due) == 0 {
		return 0, nil
	}
	sort.Slice(due, func(i, j int) bool {
		if !due[i].ClosedAt.Equal(due[j].ClosedAt) {
			return due[i].ClosedAt.Before(due[j].ClosedAt)
		}
		return due[i].ID < due[j].ID
	})
	if len(due) > limit {
		due = due[:limit]
	}

	now := s.clock()
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return 0, fmt.Errorf("embedded: erase closed needs: %w", err)
	}
	defer tx.Rollback()
	aw, err := newAuditWriter(ctx, tx)
	if err != nil {
		return 0, err
	}
	defer aw.Close()
	erased := make([]civmap.Need, len(due))
	for i, n := range due {
		e := n
		e.Description, e.Phone, e.Comment, e.ErasedAt = "", "", "", now
		if _, err := tx.ExecContext(ctx, `UPDATE needs SET description = '', phone = '', comment = '', erased_us = ?
			WHERE id = ?`, now.UnixMicro(), n.ID); err != nil {
			return 0, fmt.Errorf("embedded: erase need %d: %w", n.ID, err)
		}
		if err := aw.append(store.NewAudit(ctx, now, civmap.AuditErase, civmap.KindNeed, idString(n.ID), n, e,
			"retention: closed "+n.ClosedAt.Format(time.RFC3339))); err != nil {
			return 0, err
		}
		erased[i] = e
	}
	if err := tx.Commit(); err != nil {
		return 0, fmt.Errorf("embedded: erase closed needs: commit: %w", err)
	}
	s.mu.Lock()
	for _, e := range erased {
		s.mem.setNeed(e)
	}
	s.mu.Unlock()
	s.version.Add(1)
	return len(erased), nil
}
