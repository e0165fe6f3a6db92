package postgis

import (
	"context"
	"errors"
	"slices"
	"time"

	"civmap"
	"civmap/store"
	"civmap/workflow"

	"github.com/jackc/pgx/v5"
)

// Orders (store.Orders): the workflow of package workflow applied to needs in one transaction
// each, with the assignments, the history (need_events), the outbox and the audit log.

const assignmentColumns = `need_id, volunteer_id, state, accepted_at, started_at, done_at, hours`

func scanAssignment(row pgx.Row) (civmap.Assignment, error) {
	var a civmap.Assignment
	var accepted, started, done *time.Time
	err := row.Scan(&a.NeedID, &a.VolunteerID, &a.State, &accepted, &started, &done, &a.Hours)
	a.AcceptedAt, a.StartedAt, a.DoneAt = fromNull(accepted), fromNull(started), fromNull(done)
	return a, err
}

func noNeed(id int64) error {
	return civmap.Errorf(civmap.ENOTFOUND, "没有编号为 %d 的需求", id)
}

// Transition applies r to need id in one transaction; see store.Orders. One round trip reads the
// need FOR UPDATE (the lock that serialises transitions of one need across instances), its
// assignments and, for a volunteer actor, the volunteer FOR UPDATE (so that their open-order
// count is current and two needs cannot both take them over MaxOpen) — the need's lock always
// first, then the volunteer's, so transitions cannot deadlock on them. workflow.Apply decides;
// its errors roll back and write nothing. A second round trip writes the need's workflow
// fields, the changed assignments, the volunteers' open-order counts (in id order), the history
// event with its notifications, the audit record (AuditTransition, note: the action) and bumps
// the data Version.
func (s *Store) Transition(ctx context.Context, id int64, r workflow.Request) (civmap.Need, civmap.NeedEvent, error) {
	var out civmap.Need
	var event civmap.NeedEvent
	err := s.inTx(ctx, "transition", func(tx pgx.Tx) error {
		var b pgx.Batch
		b.Queue(`SELECT `+needColumns+` FROM needs WHERE id = $1 FOR UPDATE`, id)
		b.Queue(`SELECT `+assignmentColumns+` FROM assignments WHERE need_id = $1 ORDER BY volunteer_id`, id)
		volunteer := r.Actor.Kind == workflow.Volunteer && r.Actor.Volunteer != nil
		if volunteer {
			b.Queue(`SELECT `+volunteerColumns+` FROM volunteers v WHERE v.id = $1 FOR UPDATE`, r.Actor.Volunteer.ID)
		}
		br := tx.SendBatch(ctx, &b)
		old, err := scanNeed(br.QueryRow())
		if errors.Is(err, pgx.ErrNoRows) {
			br.Close()
			return noNeed(id)
		} else if err != nil {
			br.Close()
			return wrap("transition: read need", err)
		}
		rows, _ := br.Query()
		var before []civmap.Assignment
		if err := forEach(rows, func(row pgx.Row) error {
			a, err := scanAssignment(row)
			before = append(before, a)
			return err
		}); err != nil {
			br.Close()
			return wrap("transition: read assignments", err)
		}
		if volunteer {
			v, err := scanVolunteer(br.QueryRow())
			switch {
			case errors.Is(err, pgx.ErrNoRows):
				r.Actor.Volunteer = nil // workflow.Apply: EFORBIDDEN, no volunteer record
			case err != nil:
				br.Close()
				return wrap("transition: read volunteer", err)
			default:
				r.Actor.Volunteer = &v
			}
		}
		if err := br.Close(); err != nil {
			return wrap("transition: read", err)
		}

		res, err := workflow.Apply(workflow.State{Need: old, Assignments: slices.Clone(before)}, r)
		if err != nil {
			return err
		}
		n := storedNeed(res.Need)
		ev := res.Event
		ev.NeedID, ev.At = id, stored(ev.At)

		b = pgx.Batch{}
		o := n.Order
		b.Queue(`UPDATE needs SET status = $2, queue = $3, order_skill = $4, order_slots = $5, order_start = $6,
				order_end = $7, order_urgency = $8, order_mode = $9, order_team_id = $10, order_offered = $11,
				order_dispatched_at = $12, reason = $13, rating = $14, comment = $15, version = $16, updated_at = $17,
				closed_at = $18
			WHERE id = $1`,
			id, string(n.Status), n.Queue, string(o.Skill), o.Slots, nullTime(o.Start), nullTime(o.End), string(o.Urgency),
			string(o.Mode), o.TeamID, nonNil(o.Offered), nullTime(o.DispatchedAt), n.Reason, n.Rating, n.Comment,
			n.Version, n.UpdatedAt, nullTime(n.ClosedAt))
		changed := changedAssignments(before, res.Assignments, id)
		if len(changed) > 0 {
			var vids []int64
			var states []string
			var accepted, started, done []*time.Time
			var hours []float64
			for _, a := range changed {
				vids, states, hours = append(vids, a.VolunteerID), append(states, string(a.State)), append(hours, a.Hours)
				accepted, started, done = append(accepted, nullTime(a.AcceptedAt)), append(started, nullTime(a.StartedAt)),
					append(done, nullTime(a.DoneAt))
			}
			b.Queue(`INSERT INTO assignments (`+assignmentColumns+`)
				SELECT $1, u.v, u.s, u.a, u.st, u.d, u.h
				FROM unnest($2::int8[], $3::text[], $4::timestamptz[], $5::timestamptz[], $6::timestamptz[], $7::float8[])
					AS u(v, s, a, st, d, h)
				ORDER BY u.v
				ON CONFLICT (need_id, volunteer_id) DO UPDATE SET state = excluded.state, accepted_at = excluded.accepted_at,
					started_at = excluded.started_at, done_at = excluded.done_at, hours = excluded.hours`,
				id, vids, states, accepted, started, done, hours)
		}
		var vids []int64
		for vid := range res.OpenDelta {
			vids = append(vids, vid)
		}
		slices.Sort(vids)
		for _, vid := range vids {
			b.Queue(`UPDATE volunteers SET open_orders = open_orders + $2 WHERE id = $1`, vid, res.OpenDelta[vid])
		}
		if err := queueEvent(&b, ev, res.Notify, r.Now); err != nil {
			return err
		}
		queueAudit(&b, store.NewAudit(ctx, s.clock(), civmap.AuditTransition, civmap.KindNeed, id10(id), old, n, string(r.Action)))
		b.Queue(`UPDATE meta SET version = version + 1`)
		br = tx.SendBatch(ctx, &b)
		defer br.Close()
		if _, err := br.Exec(); err != nil {
			return wrap("transition: write need", err)
		}
		if len(changed) > 0 {
			if _, err := br.Exec(); err != nil {
				return wrap("transition: write assignments", err)
			}
		}
		for range vids {
			if _, err := br.Exec(); err != nil {
				return wrap("transition: open orders", err)
			}
		}
		if err := br.QueryRow().Scan(&ev.ID); err != nil {
			return wrap("transition: history", err)
		}
		if err := br.Close(); err != nil {
			return wrap("transition: write", err)
		}
		out, event = n, ev
		return nil
	})
	if err != nil {
		return civmap.Need{}, civmap.NeedEvent{}, err
	}
	return out, event, nil
}

// storedAssignment normalises an assignment of need id as it is stored.
func storedAssignment(a civmap.Assignment, id int64) civmap.Assignment {
	a.NeedID = id
	a.AcceptedAt, a.StartedAt, a.DoneAt = stored(a.AcceptedAt), stored(a.StartedAt), stored(a.DoneAt)
	return a
}

// changedAssignments returns the assignments of after (normalised) that are new or differ from
// before.
func changedAssignments(before, after []civmap.Assignment, id int64) []civmap.Assignment {
	old := map[int64]civmap.Assignment{}
	for _, a := range before {
		old[a.VolunteerID] = a
	}
	var out []civmap.Assignment
	for _, a := range after {
		a = storedAssignment(a, id)
		if b, ok := old[a.VolunteerID]; ok && b.State == a.State && b.AcceptedAt.Equal(a.AcceptedAt) &&
			b.StartedAt.Equal(a.StartedAt) && b.DoneAt.Equal(a.DoneAt) && b.Hours == a.Hours {
			continue
		}
		out = append(out, a)
	}
	return out
}

// NeedHistory returns the need's events, oldest first; ENOTFOUND for an unknown need.
func (s *Store) NeedHistory(ctx context.Context, id int64) ([]civmap.NeedEvent, error) {
	rows, _ := s.pool.Query(ctx, `SELECT e.id, e.need_id, e.at, e.action, e.from_status, e.to_status, e.actor_role,
			e.actor_id, e.volunteer_id, e.team, e.note
		FROM needs n LEFT JOIN need_events e ON e.need_id = n.id
		WHERE n.id = $1 ORDER BY e.id`, id)
	var out []civmap.NeedEvent
	found := false
	err := forEach(rows, func(r pgx.Row) error {
		found = true
		var eid, needID, actorID, volunteerID *int64
		var at *time.Time
		var action, from, to, role, team, note *string
		if err := r.Scan(&eid, &needID, &at, &action, &from, &to, &role, &actorID, &volunteerID, &team, &note); err != nil {
			return err
		}
		if eid == nil { // a need without history (none: CreateNeed writes the first event)
			return nil
		}
		out = append(out, civmap.NeedEvent{ID: *eid, NeedID: *needID, At: at.UTC(), Action: *action,
			From: civmap.NeedStatus(*from), To: civmap.NeedStatus(*to), ActorRole: civmap.Role(*role), ActorID: *actorID,
			VolunteerID: *volunteerID, Team: *team, Note: *note})
		return nil
	})
	if err != nil {
		return nil, wrap("need history", err)
	}
	if !found {
		return nil, noNeed(id)
	}
	return out, nil
}

// Assignments returns the need's assignments, by volunteer id (none for an unknown need).
func (s *Store) Assignments(ctx context.Context, needID int64) ([]civmap.Assignment, error) {
	rows, _ := s.pool.Query(ctx, `SELECT `+assignmentColumns+` FROM assignments WHERE need_id = $1 ORDER BY volunteer_id`, needID)
	var out []civmap.Assignment
	err := forEach(rows, func(r pgx.Row) error {
		a, err := scanAssignment(r)
		out = append(out, a)
		return err
	})
	return out, wrap("assignments", err)
}

// NeedByReceipt returns the need whose receipt code has this hash (unique); ENOTFOUND.
func (s *Store) NeedByReceipt(ctx context.Context, receiptHash string) (civmap.Need, error) {
	if receiptHash == "" {
		return civmap.Need{}, civmap.Errorf(civmap.ENOTFOUND, "没有这个回执码对应的需求")
	}
	n, err := scanNeed(s.pool.QueryRow(ctx, `SELECT `+needColumns+` FROM needs WHERE receipt_hash = $1`, receiptHash))
	if errors.Is(err, pgx.ErrNoRows) {
		return civmap.Need{}, civmap.Errorf(civmap.ENOTFOUND, "没有这个回执码对应的需求")
	}
	return n, wrap("need by receipt", err)
}

// waitingSince is when a waiting need started to wait (workflow.EscalationDue's "since"); the
// partial index needs_waiting_idx is on this expression.
const waitingSince = `(CASE WHEN status = 'dispatched' AND order_dispatched_at IS NOT NULL THEN order_dispatched_at ELSE updated_at END)`

// EscalationDue returns up to limit needs that workflow.EscalationDue says are due at now,
// oldest (CreatedAt, then id) first. The query selects exactly the needs waiting since
// now-after or earlier (submitted and ordered since their last transition, dispatched since
// their dispatch) with a range scan of the partial index of waiting needs; Go applies
// workflow.EscalationDue to each, which agrees.
func (s *Store) EscalationDue(ctx context.Context, now time.Time, after time.Duration, limit int) ([]civmap.Need, error) {
	if limit <= 0 {
		return nil, nil
	}
	cut := now.Add(-after)
	// A need queued at the top of the network (a site without a parent) has nowhere to go, and
	// hidden ones are moderated: neither is due.
	rows, _ := s.pool.Query(ctx, `SELECT `+needColumns+` FROM needs
		WHERE status IN ('submitted', 'ordered', 'dispatched') AND `+waitingSince+` <= $1 AND NOT hidden
		  AND EXISTS (SELECT 1 FROM sites q WHERE q.code = needs.queue AND q.parent_code <> '')
		ORDER BY created_at, id LIMIT $2`, cut, limit)
	var out []civmap.Need
	err := forEach(rows, func(r pgx.Row) error {
		n, err := scanNeed(r)
		if err == nil && workflow.EscalationDue(n, now, after) {
			out = append(out, n)
		}
		return err
	})
	return out, wrap("escalation due", err)
}

// EraseClosed erases the free text (description, phone, comment) of up to limit needs closed
// before `before` and not yet erased, oldest closed first, in one transaction: the rows are
// taken FOR UPDATE SKIP LOCKED (a need being transitioned or erased elsewhere waits for the
// next run), each erasure is audited (AuditErase, before and after) and the data Version is
// bumped when any was erased.
func (s *Store) EraseClosed(ctx context.Context, before time.Time, limit int) (int, error) {
	if limit <= 0 {
		return 0, nil
	}
	count := 0
	err := s.inTx(ctx, "erase closed", func(tx pgx.Tx) error {
		rows, _ := tx.Query(ctx, `SELECT `+needColumns+` FROM needs
			WHERE closed_at < $1 AND erased_at IS NULL ORDER BY closed_at, id LIMIT $2 FOR UPDATE SKIP LOCKED`,
			stored(before), limit)
		var olds []civmap.Need
		if err := forEach(rows, func(r pgx.Row) error {
			n, err := scanNeed(r)
			olds = append(olds, n)
			return err
		}); err != nil {
			return wrap("erase closed: read", err)
		}
		if len(olds) == 0 {
			return nil
		}
		now := s.clock()
		var b pgx.Batch
		ids := make([]int64, len(olds))
		for i, old := range olds {
			ids[i] = old.ID
			n := old
			n.Description, n.Phone, n.Comment, n.ErasedAt = "", "", "", now
			queueAudit(&b, store.NewAudit(ctx, now, civmap.AuditErase, civmap.KindNeed, id10(n.ID), old, n, ""))
		}
		b.Queue(`UPDATE needs SET description = '', phone = '', comment = '', erased_at = $2 WHERE id = ANY($1)`, ids, now)
		b.Queue(`UPDATE meta SET version = version + 1`)
		if err := tx.SendBatch(ctx, &b).Close(); err != nil {
			return wrap("erase closed: write", err)
		}
		count = len(olds)
		return nil
	})
	if err != nil {
		return 0, err
	}
	return count, nil
}
