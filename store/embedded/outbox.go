package embedded

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"sort"
	"time"

	"civmap"
	"civmap/workflow"
)

// The outbox (store.Outbox): notifications written in a transition's transaction, claimed by
// senders with a lease, marked delivered. SQL only (not cached): it is read by senders, never
// by pages.

// insertNotifications writes one outbox row per message of event ev inside tx: key
// "need/{id}/event/{event id}/{recipient}" (a message to the same recipient again in one event
// is the same notification: the first is kept), type the action, payload the message's JSON,
// created and due at `at`, no attempts yet.
func insertNotifications(ctx context.Context, tx *sql.Tx, ev civmap.NeedEvent, action string, msgs []workflow.Message, at time.Time) error {
	for _, m := range msgs {
		payload, err := json.Marshal(m.Payload)
		if err != nil {
			return fmt.Errorf("embedded: notification of need %d to %s: %w", ev.NeedID, m.Recipient, err)
		}
		if payload == nil || string(payload) == "null" {
			payload = []byte("{}")
		}
		key := fmt.Sprintf("need/%d/event/%d/%s", ev.NeedID, ev.ID, m.Recipient)
		if _, err := tx.ExecContext(ctx, `INSERT INTO notifications (key, type, need_id, recipient, payload, created_us,
			attempts, next_us) VALUES (?,?,?,?,?,?,0,?) ON CONFLICT (key) DO NOTHING`,
			key, action, ev.NeedID, m.Recipient, payload, at.UnixMicro(), at.UnixMicro()); err != nil {
			return fmt.Errorf("embedded: notification %s: %w", key, err)
		}
	}
	return nil
}

// ClaimNotifications returns up to limit undelivered notifications due at now (NextAt ≤ now;
// none when limit ≤ 0), oldest (lowest id: written first) first, and leases them in the same
// transaction: NextAt becomes now+lease, Attempts grows by one. Claims are serialised (the
// writer mutex, and SQLite's write lock taken at BEGIN across processes), so two senders never
// get the same notification within its lease. Errors are EINTERNAL.
func (d *direct) ClaimNotifications(ctx context.Context, now time.Time, limit int, lease time.Duration) ([]civmap.Notification, error) {
	if limit <= 0 {
		return nil, nil
	}
	now = normTime(now)
	next := normTime(now.Add(lease))
	var out []civmap.Notification
	err := d.write(ctx, "claim notifications", func(tx *sql.Tx) error {
		rows, err := tx.QueryContext(ctx, `UPDATE notifications SET next_us = ?, attempts = attempts + 1
			WHERE id IN (SELECT id FROM notifications WHERE delivered_us IS NULL AND next_us <= ?
				ORDER BY id LIMIT ?)
			RETURNING id, key, type, need_id, recipient, payload, created_us, attempts, next_us`,
			next.UnixMicro(), now.UnixMicro(), limit)
		if err != nil {
			return fmt.Errorf("embedded: claim notifications: %w", err)
		}
		for rows.Next() {
			var n civmap.Notification
			var created, nextUS int64
			if err := rows.Scan(&n.ID, &n.Key, &n.Type, &n.NeedID, &n.Recipient, &n.Payload, &created, &n.Attempts, &nextUS); err != nil {
				rows.Close()
				return fmt.Errorf("embedded: claim notifications: %w", err)
			}
			n.CreatedAt, n.NextAt = fromMicros(created), fromMicros(nextUS)
			out = append(out, n)
		}
		if err := closeRows(rows); err != nil {
			return fmt.Errorf("embedded: claim notifications: %w", err)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID }) // RETURNING gives no order
	return out, nil
}

// NotificationDelivered marks notification id delivered at `at`; ENOTFOUND.
func (d *direct) NotificationDelivered(ctx context.Context, id int64, at time.Time) error {
	return d.setNotification(ctx, "deliver", id, `UPDATE notifications SET delivered_us = ? WHERE id = ?`, normTime(at).UnixMicro())
}

// RetryNotification sets when to try notification id again; ENOTFOUND.
func (d *direct) RetryNotification(ctx context.Context, id int64, next time.Time) error {
	return d.setNotification(ctx, "retry", id, `UPDATE notifications SET next_us = ? WHERE id = ?`, normTime(next).UnixMicro())
}

func (d *direct) setNotification(ctx context.Context, what string, id int64, query string, us int64) error {
	return d.write(ctx, what+" notification", func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, query, us, id)
		if err != nil {
			return fmt.Errorf("embedded: %s notification %d: %w", what, id, err)
		}
		if n, err := res.RowsAffected(); err != nil {
			return fmt.Errorf("embedded: %s notification %d: %w", what, id, err)
		} else if n == 0 {
			return notFound("没有编号为 %d 的通知", id)
		}
		return nil
	})
}
