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
	Demo        bool
	CreatedAt   time.Time
}

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
	return n.Location.Validate()
}
