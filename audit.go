package civmap

import (
	"encoding/json"
	"time"
)

// Audit actions.
const (
	AuditCreate     = "create"
	AuditUpdate     = "update"
	AuditHide       = "hide"    // moderation: hidden from public view, with a reason
	AuditUnhide     = "unhide"  // moderation undone
	AuditSignIn     = "sign_in" // a session was created
	AuditFailed     = "sign_in_failed"
	AuditSignOut    = "sign_out"   // a session was ended by its user
	AuditRevoke     = "revoke"     // a session, token or code was revoked by someone
	AuditIssue      = "issue"      // a personal code was issued (the old one revoked)
	AuditRead       = "read"       // staff read personal data
	AuditTransition = "transition" // a need moved in the workflow (Note: the action)
	AuditErase      = "erase"      // personal free text erased after its retention period
)

// Audit record kinds: what a record is about.
const (
	KindSite      = "site"
	KindVenue     = "venue"
	KindArea      = "area"
	KindActivity  = "activity"
	KindNeed      = "need"
	KindUser      = "user"
	KindSession   = "session"
	KindToken     = "token"
	KindCode      = "personal_code"
	KindVolunteer = "volunteer"
	KindTeam      = "team"
)

// AuditRecord is one entry of the append-only audit log: when, who, what and, for changes, the
// record before and after (store.Snapshot: personal free text and secrets never appear, only
// their length and hash).
type AuditRecord struct {
	ID         int64
	At         time.Time
	ActorID    int64  // 0 for anonymous clients and commands
	ActorLogin string // the actor's login, command name or "anonymous" (Actor.Name)
	ActorRole  Role   // "" for anonymous clients and commands
	Addr       string // client address; "" for commands
	Action     string // one of the Audit… actions
	Kind       string // one of the Kind… kinds
	RecordID   string // the record's id or code; "" for a read of a list
	Before     json.RawMessage
	After      json.RawMessage
	Note       string // e.g. a moderation reason, or what a read covered
}
