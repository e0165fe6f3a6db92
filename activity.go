package civmap

import (
	"time"

	"github.com/paulmach/orb"
)

// ActivityStatus is the life-cycle state of an activity as its organiser set it. Whether an
// activity is current or upcoming is derived from its times (Activity.Current, Activity.Upcoming).
type ActivityStatus string

const (
	ActivityPlanned   ActivityStatus = "planned"
	ActivityCancelled ActivityStatus = "cancelled"
)

// Place says where something happens: at a site or venue (by code) or at a bare point.
// Exactly one of Code and Point is set.
type Place struct {
	Code  string     // site or venue code
	Point *orb.Point // WGS-84 lon, lat in degrees
}

// Activity is one practice activity (a lecture, a service day, a performance …).
type Activity struct {
	ID          int64
	Title       string
	ContentArea ContentArea // one of ContentAreas
	Platform    Platform    // one of Platforms
	Start, End  time.Time
	Place       Place
	SiteCode    string   // the site the activity belongs to ("" for a bare point far from any)
	Location    Location // resolved position of Place
	Status      ActivityStatus
	Moderation  Moderation // hidden from public view by staff
	Demo        bool
	CreatedAt   time.Time
}

// Limits on free text, in characters.
const (
	MaxTitleChars       = 100
	MaxDescriptionChars = 2000
)

// Validate checks an activity before it is stored. It returns an EINVALID error naming the field.
func (a *Activity) Validate() error {
	if err := validateText("title", a.Title, MaxTitleChars, true); err != nil {
		return err
	}
	if !contains(ContentAreas, a.ContentArea) {
		return FieldErrorf("content_area", "unknown content area %q", a.ContentArea)
	}
	if !contains(Platforms, a.Platform) {
		return FieldErrorf("platform", "unknown platform %q", a.Platform)
	}
	if a.Start.IsZero() {
		return FieldErrorf("start", "start time is required")
	}
	if a.End.IsZero() {
		return FieldErrorf("end", "end time is required")
	}
	if !a.End.After(a.Start) {
		return FieldErrorf("end", "end must be after start")
	}
	if a.End.Sub(a.Start) > 366*24*time.Hour {
		return FieldErrorf("end", "an activity lasts at most a year")
	}
	if a.Start.Year() < 2000 || a.End.Year() > 2099 {
		return FieldErrorf("start", "activities take place between the years 2000 and 2099")
	}
	switch a.Status {
	case ActivityPlanned, ActivityCancelled:
	default:
		return FieldErrorf("status", "unknown status %q (want planned or cancelled)", a.Status)
	}
	if err := a.Moderation.Validate(); err != nil {
		return err
	}
	return a.Location.Validate()
}

// Current reports whether the activity is under way at t.
func (a *Activity) Current(t time.Time) bool {
	return a.Status != ActivityCancelled && !t.Before(a.Start) && t.Before(a.End)
}

// Upcoming reports whether the activity starts after t.
func (a *Activity) Upcoming(t time.Time) bool {
	return a.Status != ActivityCancelled && a.Start.After(t)
}

// MaxReasonChars limits a moderation reason, in characters.
const MaxReasonChars = 200

// Moderation is staff's decision to hide an activity or need from public view (moderation of
// spam or abuse). Hidden records stay stored and visible to staff in scope, with the reason.
type Moderation struct {
	Hidden bool
	Reason string // why it is hidden: required when Hidden, "" otherwise
}

// Validate checks the reason: required (at most MaxReasonChars) when hidden, empty otherwise.
// Errors are EINVALID naming "reason".
func (m Moderation) Validate() error {
	if !m.Hidden {
		if m.Reason != "" {
			return FieldErrorf("reason", "a reason is given only when hiding")
		}
		return nil
	}
	return validateText("reason", m.Reason, MaxReasonChars, true)
}
