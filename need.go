package civmap

import "time"

// NeedStatus follows the service workflow 群众点单 → 中心制单 → 所(站)派单 → 志愿者接单 → done
// → 评单 (docs/DOMAIN.md "The service workflow").
type NeedStatus string

const (
	NeedSubmitted  NeedStatus = "submitted"  // 群众点单: a resident submitted it
	NeedOrdered    NeedStatus = "ordered"    // 中心制单: the center made it an order
	NeedDispatched NeedStatus = "dispatched" // 所(站)派单: a station/post dispatched it
	NeedAccepted   NeedStatus = "accepted"   // 志愿者接单: a volunteer accepted it
	NeedDone       NeedStatus = "done"
	NeedRated      NeedStatus = "rated" // 评单: the resident rated it
	NeedCancelled  NeedStatus = "cancelled"
)

// NeedStatuses lists the statuses in workflow order.
var NeedStatuses = []NeedStatus{NeedSubmitted, NeedOrdered, NeedDispatched, NeedAccepted, NeedDone,
	NeedRated, NeedCancelled}

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
	if err := n.Moderation.Validate(); err != nil {
		return err
	}
	return n.Location.Validate()
}
