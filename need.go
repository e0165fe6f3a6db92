package civmap

import "time"

// NeedStatus follows the service workflow 群众点单 → 中心制单 → 所(站)派单 → 志愿者接单 → done
// → 评单 (docs/DOMAIN.md "The service workflow").
type NeedStatus string

const (
	NeedSubmitted  NeedStatus = "submitted"  // 群众点单: a resident submitted it
	NeedOrdered    NeedStatus = "ordered"    // 中心制单: center or station staff made it an order
	NeedRejected   NeedStatus = "rejected"   // not taken on, with a reason the resident sees
	NeedDispatched NeedStatus = "dispatched" // 所(站)派单: offered to volunteers, a team, or open to grab
	NeedAccepted   NeedStatus = "accepted"   // 志愿者接单: every place of the order is taken
	NeedInService  NeedStatus = "in_service" // a volunteer has started serving
	NeedDone       NeedStatus = "done"       // the volunteers reported it done, with hours
	NeedRated      NeedStatus = "rated"      // 评单: the resident rated it
	NeedCancelled  NeedStatus = "cancelled"  // by the resident before service, or by staff with a reason
)

// NeedStatuses lists the statuses in workflow order.
var NeedStatuses = []NeedStatus{NeedSubmitted, NeedOrdered, NeedRejected, NeedDispatched, NeedAccepted,
	NeedInService, NeedDone, NeedRated, NeedCancelled}

// Title is what a resident reads for the status (as provincial platforms show it: 审核中,
// 服务中, 已完成, 已拒绝 …).
func (s NeedStatus) Title() string {
	switch s {
	case NeedSubmitted:
		return "审核中"
	case NeedOrdered:
		return "已受理，待派单"
	case NeedRejected:
		return "已拒绝"
	case NeedDispatched:
		return "已派单，待志愿者接单"
	case NeedAccepted:
		return "志愿者已接单"
	case NeedInService:
		return "服务中"
	case NeedDone:
		return "已完成，待评价"
	case NeedRated:
		return "已评价"
	case NeedCancelled:
		return "已取消"
	}
	return string(s)
}

// Closed reports whether the need's workflow has ended (rejected, cancelled, done or rated):
// its retention period runs from then.
func (s NeedStatus) Closed() bool {
	return s == NeedRejected || s == NeedCancelled || s == NeedDone || s == NeedRated
}

// Need is a resident's request for help (群众点单).
type Need struct {
	ID          int64
	Category    NeedCategory // one of NeedCategories
	Description string
	Place       Place
	SiteCode    string   // the site responsible for it
	Location    Location // resolved position of Place
	Status      NeedStatus
	Moderation  Moderation // hidden from public view by staff
	Demo        bool
	CreatedAt   time.Time
	// DedupeKey identifies a submission (a hash of the client and what it sent, never the
	// client's address itself): the same key again within NeedDedupeWindow is the same need.
	// "" turns de-duplication off (staff entries, imports, demo data).
	DedupeKey string

	// The workflow's state (package workflow changes it; stores keep it).
	Phone       string // the resident's optional contact number: personal, erased with Description
	ReceiptHash string // SHA-256 (hex) of the resident's receipt code
	Queue       string // the site whose dispatchers handle it now: SiteCode, then parents on escalation
	Order       Order
	Reason      string // why it was rejected or cancelled (the resident sees it)
	Rating      int    // 1–5, once rated
	Comment     string // the resident's comment with the rating (free text: erased with Description)
	Version     int64  // bumped by every transition
	UpdatedAt   time.Time
	ClosedAt    time.Time // when it was rejected, cancelled or done; zero while open
	ErasedAt    time.Time // when Description, Phone and Comment were erased (retention)
}

// Urgency is how soon an order must be served.
type Urgency string

const (
	UrgencyNormal Urgency = "normal"
	UrgencyUrgent Urgency = "urgent"
)

// DispatchMode is how an order was dispatched.
type DispatchMode string

const (
	DispatchVolunteers DispatchMode = "volunteers" // offered to named volunteers
	DispatchTeam       DispatchMode = "team"       // offered to a team's members
	DispatchOpen       DispatchMode = "open"       // open for volunteers in the queue's scope to grab (抢单)
)

// Order is what staff fixed when they made a need an order (制单) and how it was dispatched
// (派单).
type Order struct {
	Skill        Skill // the specialty it needs ("" for any)
	Slots        int   // volunteers needed, 1–MaxSlots
	Start, End   time.Time
	Urgency      Urgency
	Mode         DispatchMode // "" until dispatched
	TeamID       int64        // DispatchTeam
	Offered      []int64      // DispatchVolunteers: the volunteers offered it
	DispatchedAt time.Time
}

// MaxSlots is the most volunteers one order asks for.
const MaxSlots = 20

// AssignmentState is a volunteer's part in an order.
type AssignmentState string

const (
	AssignAccepted AssignmentState = "accepted" // took a place
	AssignStarted  AssignmentState = "started"  // is serving
	AssignDone     AssignmentState = "done"     // reported it done, with hours
	AssignDeclined AssignmentState = "declined" // gave the place back (or was re-dispatched away)
)

// Open reports whether the assignment holds a place and is not finished: it counts against the
// volunteer's MaxOpen.
func (s AssignmentState) Open() bool { return s == AssignAccepted || s == AssignStarted }

// Assignment is one volunteer's part in an order.
type Assignment struct {
	NeedID      int64
	VolunteerID int64
	State       AssignmentState
	AcceptedAt  time.Time
	StartedAt   time.Time
	DoneAt      time.Time
	Hours       float64 // service hours reported with done
}

// NeedEvent is one step of a need's history: each transition appends one. Team names it for
// the resident; volunteers' names never appear in it.
type NeedEvent struct {
	ID          int64
	NeedID      int64
	At          time.Time
	Action      string // the workflow action, e.g. "submit", "order", "accept"
	From, To    NeedStatus
	ActorRole   Role   // the staff or volunteer role; "" for the resident and the system
	ActorID     int64  // the user; 0 for the resident and the system
	VolunteerID int64  // the volunteer it concerns, if any (staff see it)
	Team        string // the team name the resident may see ("" when none)
	Note        string // a reason, the escalation's new queue, … (never personal data)
}

// Notification is a message someone must hear about a transition, written to the outbox in the
// transition's transaction and delivered at least once (package notify).
type Notification struct {
	ID          int64
	Key         string // idempotency key, unique: "need/{id}/event/{event id}/{recipient}"
	Type        string // the workflow action
	NeedID      int64
	Recipient   string // "site:{code}", "volunteer:{id}", "team:{id}", "open:{code}" or "resident"
	Payload     []byte // JSON for the recipient (nothing they may not see)
	CreatedAt   time.Time
	Attempts    int
	NextAt      time.Time // when to try next
	DeliveredAt time.Time // zero until delivered
}

// NeedDedupeWindow is how long an identical submission from the same client is answered with
// the need it first created instead of storing another (the accounts issue, #8).
const NeedDedupeWindow = 10 * time.Minute

// Validate checks a need before it is stored. It returns an EINVALID error naming the field.
func (n *Need) Validate() error {
	if !contains(NeedCategories, n.Category) {
		return FieldErrorf("category", "unknown category %q", n.Category)
	}
	if err := validateText("description", n.Description, MaxDescriptionChars, true); err != nil {
		return err
	}
	if !contains(NeedStatuses, n.Status) {
		return FieldErrorf("status", "unknown status %q", n.Status)
	}
	if len(n.DedupeKey) > 128 {
		return FieldErrorf("dedupe_key", "dedupe key is longer than 128 bytes")
	}
	if n.Phone != "" && !ValidMobile(n.Phone) {
		return FieldErrorf("phone", "联系电话应为 11 位大陆手机号码")
	}
	if err := n.Moderation.Validate(); err != nil {
		return err
	}
	return n.Location.Validate()
}
