package store

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"time"
	"unicode/utf8"

	"civmap"

	"github.com/paulmach/orb/geojson"
)

// NewAudit builds the audit record of a write made with ctx at `at` (UTC, microseconds, as
// stored): the actor is civmap.ActorFrom(ctx); before and after are records passed through
// Snapshot (nil for none).
func NewAudit(ctx context.Context, at time.Time, action, kind, recordID string, before, after any, note string) civmap.AuditRecord {
	a := civmap.ActorFrom(ctx)
	return civmap.AuditRecord{
		At: at.UTC().Truncate(time.Microsecond), ActorID: a.UserID, ActorLogin: a.Name(), ActorRole: a.Role,
		Addr: a.Addr, Action: action, Kind: kind, RecordID: recordID, Before: Snapshot(before),
		After: Snapshot(after), Note: note,
	}
}

// Snapshot is the JSON the audit log keeps of a record: sites, venues, activities and teams
// whole; areas without their polygon (its SHA-256 instead); needs without the resident's
// description, phone, comment or own point, and volunteers without name, phone or home point
// (personal data that is erased after its retention period, while the log is kept: only their
// length and SHA-256 are recorded, so a change is still visible); users, sessions and tokens
// without secrets or their hashes. nil for nil.
func Snapshot(v any) json.RawMessage {
	var m any
	switch x := v.(type) {
	case nil:
		return nil
	case civmap.Site, civmap.Venue, civmap.Activity:
		m = x
	case Area:
		js, _ := geojson.NewGeometry(x.Polygon).MarshalJSON()
		m = map[string]any{"code": x.Code, "name": x.Name, "level": x.Level, "polygon_sha256": digest(string(js))}
	case civmap.Need:
		place := map[string]any{"code": x.Place.Code}
		if x.Place.Point != nil {
			place = map[string]any{"point": "withheld"}
		}
		m = map[string]any{"id": x.ID, "category": x.Category, "description": redacted(x.Description),
			"place": place, "site_code": x.SiteCode, "status": x.Status, "moderation": x.Moderation,
			"demo": x.Demo, "created_at": x.CreatedAt, "phone": redacted(x.Phone), "queue": x.Queue,
			"order": x.Order, "reason": x.Reason, "rating": x.Rating, "comment": redacted(x.Comment),
			"version": x.Version, "erased": !x.ErasedAt.IsZero()}
	case civmap.Volunteer:
		m = map[string]any{"id": x.ID, "user_id": x.UserID, "name": redacted(x.Name), "phone": redacted(x.Phone),
			"skills": x.Skills, "teams": x.Teams, "home": "withheld", "site_code": x.SiteCode, "windows": x.Windows,
			"on_duty": x.OnDuty, "max_open": x.MaxOpen, "core": x.Core, "mentor_id": x.MentorID, "active": x.Active,
			"demo": x.Demo}
	case civmap.Team:
		m = x
	case civmap.User:
		m = map[string]any{"id": x.ID, "login": x.Login, "name": x.Name, "role": x.Role, "scope": x.Scope,
			"password": secretMark(x.PasswordHash), "code": secretMark(x.CodeHash), "disabled": x.Disabled,
			"demo": x.Demo}
	case civmap.Session:
		m = map[string]any{"id": x.ID, "user_id": x.UserID, "kind": x.Kind, "created_at": x.CreatedAt,
			"expires_at": x.ExpiresAt, "idle_seconds": int64(x.Idle / time.Second), "addr": x.Addr,
			"user_agent": x.UserAgent, "revoked_at": optionalTime(x.RevokedAt)}
	case civmap.APIToken:
		m = map[string]any{"id": x.ID, "user_id": x.UserID, "name": x.Name, "prefix": x.Prefix,
			"created_by": x.CreatedBy, "revoked_at": optionalTime(x.RevokedAt)}
	default:
		panic(fmt.Sprintf("store.Snapshot: no audit form for %T", v)) // a programming error
	}
	b, err := json.Marshal(m)
	if err != nil {
		panic(fmt.Sprintf("store.Snapshot: %v", err)) // the forms above always marshal
	}
	return b
}

// redacted stands for personal free text in the audit log.
func redacted(s string) map[string]any {
	if s == "" {
		return map[string]any{"chars": 0}
	}
	return map[string]any{"chars": utf8.RuneCountInString(s), "sha256": digest(s)}
}

// secretMark tells whether a secret hash is set and, by its first 8 hex digits of a further
// SHA-256, whether it changed — without recording anything an attacker could test guesses
// against.
func secretMark(hash string) string {
	if hash == "" {
		return ""
	}
	return "set:" + digest(hash)[:8]
}

func digest(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:])
}

func optionalTime(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}
