package postgis

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"civmap"
	"civmap/workflow"

	"github.com/jackc/pgx/v5"
)

// The outbox (store.Outbox): notifications are written in the transition's transaction, keyed
// "need/{id}/event/{event id}/{recipient}" (unique), and claimed by senders with
// FOR UPDATE SKIP LOCKED, so that concurrent senders on any number of instances never claim one
// at the same time.

// insertEventSQL appends a history event ($1–$10) and one notification per recipient ($12,
// with the JSON payloads $13, in order), created and due at $11; it returns the event's id.
// A second message to the same recipient in one event has the same key and is dropped.
const insertEventSQL = `WITH ev AS (
		INSERT INTO need_events (need_id, at, action, from_status, to_status, actor_role, actor_id, volunteer_id, team, note)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id),
	nt AS (
		INSERT INTO notifications (key, type, need_id, recipient, payload, created_at, next_at, attempts)
		SELECT format('need/%s/event/%s/%s', $1::int8, ev.id, u.recipient), $3, $1, u.recipient, u.payload, $11, $11, 0
		FROM ev, unnest($12::text[], $13::jsonb[]) WITH ORDINALITY AS u(recipient, payload, o)
		ORDER BY u.o
		ON CONFLICT (key) DO NOTHING)
	SELECT id FROM ev`

// queueEvent queues the history event ev of need ev.NeedID with its notifications msgs, created
// at `at`, in b; the statement returns the event's id.
func queueEvent(b *pgx.Batch, ev civmap.NeedEvent, msgs []workflow.Message, at time.Time) error {
	recipients := make([]string, len(msgs))
	payloads := make([]string, len(msgs))
	for i, m := range msgs {
		p, err := json.Marshal(m.Payload)
		if err != nil {
			return fmt.Errorf("postgis: notification payload: %w", err)
		}
		recipients[i], payloads[i] = m.Recipient, string(p)
	}
	b.Queue(insertEventSQL, ev.NeedID, stored(ev.At), ev.Action, string(ev.From), string(ev.To), string(ev.ActorRole),
		ev.ActorID, ev.VolunteerID, ev.Team, ev.Note, stored(at), recipients, payloads)
	return nil
}

const notificationColumns = `id, key, type, need_id, recipient, payload::text, created_at, attempts, next_at, delivered_at`

func scanNotification(row pgx.Row) (civmap.Notification, error) {
	var n civmap.Notification
	var payload string
	var delivered *time.Time
	err := row.Scan(&n.ID, &n.Key, &n.Type, &n.NeedID, &n.Recipient, &payload, &n.CreatedAt, &n.Attempts, &n.NextAt, &delivered)
	if err != nil {
		return n, err
	}
	p, err := compactJSON(&payload)
	n.Payload = p
	n.CreatedAt, n.NextAt, n.DeliveredAt = n.CreatedAt.UTC(), n.NextAt.UTC(), fromNull(delivered)
	return n, err
}

// ClaimNotifications leases up to limit undelivered notifications due at now, oldest (lowest
// id) first, in one statement: the rows are picked FOR UPDATE SKIP LOCKED (a concurrent claim
// skips them; one that reads them after this commit re-checks next_at and skips them too),
// next_at becomes now+lease and attempts grows by one.
func (s *Store) ClaimNotifications(ctx context.Context, now time.Time, limit int, lease time.Duration) ([]civmap.Notification, error) {
	if limit <= 0 {
		return nil, nil
	}
	rows, _ := s.pool.Query(ctx, `UPDATE notifications SET next_at = $3, attempts = attempts + 1
		WHERE id IN (SELECT id FROM notifications WHERE delivered_at IS NULL AND next_at <= $1
			ORDER BY id LIMIT $2 FOR UPDATE SKIP LOCKED)
		RETURNING `+notificationColumns, stored(now), limit, stored(now.Add(lease)))
	var out []civmap.Notification
	err := forEach(rows, func(r pgx.Row) error {
		n, err := scanNotification(r)
		out = append(out, n)
		return err
	})
	if err != nil {
		return nil, wrap("claim notifications", err)
	}
	slices.SortFunc(out, func(a, b civmap.Notification) int { return cmp.Compare(a.ID, b.ID) })
	return out, nil
}

func noNotification(id int64) error {
	return civmap.Errorf(civmap.ENOTFOUND, "没有编号为 %d 的通知", id)
}

// NotificationDelivered marks notification id delivered at `at`; ENOTFOUND.
func (s *Store) NotificationDelivered(ctx context.Context, id int64, at time.Time) error {
	tag, err := s.pool.Exec(ctx, `UPDATE notifications SET delivered_at = $2 WHERE id = $1`, id, stored(at))
	if err != nil {
		return wrap("notification delivered", err)
	}
	if tag.RowsAffected() == 0 {
		return noNotification(id)
	}
	return nil
}

// RetryNotification sets when to try notification id again; ENOTFOUND.
func (s *Store) RetryNotification(ctx context.Context, id int64, next time.Time) error {
	tag, err := s.pool.Exec(ctx, `UPDATE notifications SET next_at = $2 WHERE id = $1`, id, stored(next))
	if err != nil {
		return wrap("retry notification", err)
	}
	if tag.RowsAffected() == 0 {
		return noNotification(id)
	}
	return nil
}
