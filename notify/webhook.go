package notify

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"civmap"
)

// Webhook request headers.
const (
	// HeaderIdempotencyKey carries the notification's key (civmap.Notification.Key, also the
	// body's "id"): the same on every attempt, so the receiver can de-duplicate.
	HeaderIdempotencyKey = "Idempotency-Key"
	// HeaderSignature carries "sha256=" and the lowercase hex HMAC-SHA256 (see Sign).
	HeaderSignature = "X-Civmap-Signature"
	// HeaderTimestamp carries the signing time in Unix seconds (decimal), part of the MAC.
	HeaderTimestamp = "X-Civmap-Timestamp"
	// HeaderAttempt carries the attempt number, from 1 (informational; not signed).
	HeaderAttempt = "X-Civmap-Attempt"
)

// DefaultSkew is Verify's tolerance when given none: how far a request's timestamp may be from
// the receiver's clock, either way.
const DefaultSkew = 5 * time.Minute

// Event is a notification as the webhook body carries it (without "phone"). It holds nothing
// the recipient may not see (the workflow writes payloads so).
type Event struct {
	ID        string          `json:"id"`         // the idempotency key, "need/{id}/event/{event id}/{recipient}"
	Type      string          `json:"type"`       // the workflow action ("submit", "order", "dispatch" …)
	NeedID    int64           `json:"need_id"`    // the need it is about
	Recipient string          `json:"recipient"`  // "site:{code}", "volunteer:{id}", "team:{id}", "open:{code}" or "resident"
	Payload   json.RawMessage `json:"payload"`    // the workflow's JSON object for the recipient
	CreatedAt time.Time       `json:"created_at"` // when the transition committed (RFC 3339, UTC)
}

// Webhook is the body of a webhook request (JSON, UTF-8).
type Webhook struct {
	Event
	// Phone is the resident's number, for recipient "resident" only, when Config.ResidentPhone
	// is set and the need has one; absent otherwise.
	Phone string `json:"phone,omitempty"`
}

// eventOf turns an outbox row into an Event; an empty payload is {}.
func eventOf(n civmap.Notification) (Event, error) {
	p := json.RawMessage(n.Payload)
	if len(bytes.TrimSpace(p)) == 0 {
		p = json.RawMessage("{}")
	} else if !json.Valid(p) {
		return Event{}, fmt.Errorf("notification %s: payload is not JSON", n.Key)
	}
	return Event{ID: n.Key, Type: n.Type, NeedID: n.NeedID, Recipient: n.Recipient, Payload: p, CreatedAt: n.CreatedAt.UTC()}, nil
}

// Sign returns the X-Civmap-Signature value for body sent at timestamp (Unix seconds):
//
//	"sha256=" + lowercase hex( HMAC-SHA256( secret, decimal(timestamp) + "." + body ) )
//
// body is the request body exactly as sent. The timestamp travels in X-Civmap-Timestamp; being
// inside the MAC, it cannot be changed to replay an old request later (see Verify).
func Sign(secret []byte, timestamp int64, body []byte) string {
	return "sha256=" + hex.EncodeToString(mac(secret, strconv.FormatInt(timestamp, 10), body))
}

func mac(secret []byte, timestamp string, body []byte) []byte {
	h := hmac.New(sha256.New, secret)
	h.Write([]byte(timestamp))
	h.Write([]byte{'.'})
	h.Write(body)
	return h.Sum(nil)
}

// ErrSignature is wrapped by every error Verify returns.
var ErrSignature = errors.New("notify: bad webhook signature")

// Verify checks a webhook request for receivers: header is the X-Civmap-Signature value,
// timestamp the X-Civmap-Timestamp value, body the raw request body. It returns nil when the
// signature is the HMAC-SHA256 of "<timestamp>.<body>" under secret (compared in constant time)
// and the timestamp is within skew of now (either way; skew ≤ 0 means DefaultSkew). Replays
// within the skew are the idempotency key's to catch.
func Verify(secret []byte, header, timestamp string, body []byte, now time.Time, skew time.Duration) error {
	if skew <= 0 {
		skew = DefaultSkew
	}
	ts, err := strconv.ParseInt(timestamp, 10, 64)
	if err != nil {
		return fmt.Errorf("%w: timestamp %q is not Unix seconds", ErrSignature, timestamp)
	}
	if d := now.Sub(time.Unix(ts, 0)); d > skew || d < -skew {
		return fmt.Errorf("%w: timestamp is %s away from now (at most %s)", ErrSignature, d.Round(time.Second), skew)
	}
	hexSig, ok := strings.CutPrefix(header, "sha256=")
	if !ok {
		return fmt.Errorf("%w: no sha256= signature", ErrSignature)
	}
	got, err := hex.DecodeString(hexSig)
	if err != nil || !hmac.Equal(got, mac(secret, timestamp, body)) {
		return fmt.Errorf("%w: signature does not match", ErrSignature)
	}
	return nil
}

// post makes one webhook request. It returns the failure reason (a metric label), the wait the
// receiver asked for (Retry-After in seconds), and the error; nil when the receiver answered
// 2xx.
func (s *Sender) post(ctx context.Context, n civmap.Notification, ev Event) (string, time.Duration, error) {
	body := Webhook{Event: ev}
	if ev.Recipient == "resident" && s.cfg.ResidentPhone != nil {
		phone, err := s.cfg.ResidentPhone(ctx, ev.NeedID)
		if err != nil {
			return "resident_phone", 0, fmt.Errorf("resident phone: %w", err)
		}
		body.Phone = phone
	}
	b, err := json.Marshal(body)
	if err != nil {
		return "payload", 0, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.cfg.WebhookURL, bytes.NewReader(b))
	if err != nil {
		return "network", 0, err
	}
	ts := s.cfg.Now().Unix()
	h := req.Header
	h.Set("Content-Type", "application/json")
	h.Set("User-Agent", "civmap-notify/1")
	h.Set(HeaderIdempotencyKey, ev.ID)
	h.Set(HeaderTimestamp, strconv.FormatInt(ts, 10))
	h.Set(HeaderSignature, Sign(s.cfg.WebhookSecret, ts, b))
	h.Set(HeaderAttempt, strconv.Itoa(n.Attempts))
	resp, err := s.cfg.Client.Do(req)
	if err != nil {
		// Never the URL in errors (they are logged): a gateway's URL may hold an access token.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = fmt.Errorf("POST webhook: %w", ue.Err)
		}
		var ne net.Error
		if errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout()) {
			return "timeout", 0, err
		}
		return "network", 0, err
	}
	// Drain a little of the body so the connection can be reused; it is never logged.
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return "status", parseRetryAfter(resp.Header.Get("Retry-After")), fmt.Errorf("webhook answered %s", resp.Status)
	}
	return "", 0, nil
}
