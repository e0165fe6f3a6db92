package dispatch

import (
	"time"

	"civmap"
	"civmap/store"
)

// DefaultK is how many candidates a dispatcher is shown when they do not say.
const DefaultK = 10

// CandidateQuery is the search for volunteers suitable for need n (the dispatch issue: "active
// volunteers with the skill, available at the time, under their open-order limit, ordered by
// great-circle distance"): at the need's own point, with the order's skill (the category's
// before it is ordered), at the order's start (now before it has one), inside scope (the
// dispatcher's: they see only their own volunteers' personal data), leaving out volunteers who
// already hold a place in it.
func CandidateQuery(n civmap.Need, holding []civmap.Assignment, scope string, k int, now time.Time) store.VolunteerQuery {
	q := store.VolunteerQuery{Point: n.Location.Point, K: k, Skill: n.Order.Skill, At: n.Order.Start, Scope: scope}
	if n.Order.Slots == 0 {
		q.Skill = n.Category.Skill()
	}
	if q.At.IsZero() || q.At.Before(now) {
		q.At = now
	}
	for _, a := range holding {
		if a.State.Open() || a.State == civmap.AssignDone {
			q.Exclude = append(q.Exclude, a.VolunteerID)
		}
	}
	return q
}
