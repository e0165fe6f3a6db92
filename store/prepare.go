package store

import (
	"sort"
	"time"

	"civmap"
)

// PrepareActivity validates a new activity and normalises it as every store stores it: times in
// UTC truncated to microseconds (PostgreSQL's precision), CreatedAt set to now() when zero.
// Errors are those of civmap.Activity.Validate.
func PrepareActivity(a civmap.Activity, now func() time.Time) (civmap.Activity, error) {
	if err := a.Validate(); err != nil {
		return civmap.Activity{}, err
	}
	a.Start = a.Start.UTC().Truncate(time.Microsecond)
	a.End = a.End.UTC().Truncate(time.Microsecond)
	if a.CreatedAt.IsZero() {
		a.CreatedAt = now()
	}
	a.CreatedAt = a.CreatedAt.UTC().Truncate(time.Microsecond)
	return a, nil
}

// PrepareNeed validates a new need and normalises it as PrepareActivity does, and starts its
// workflow state as every store stores it: queued at its site (Queue = SiteCode), Version 0,
// UpdatedAt = CreatedAt, and — for a need created already closed (imported or demo history) —
// ClosedAt = CreatedAt, so its retention period runs.
func PrepareNeed(n civmap.Need, now func() time.Time) (civmap.Need, error) {
	if err := n.Validate(); err != nil {
		return civmap.Need{}, err
	}
	if n.CreatedAt.IsZero() {
		n.CreatedAt = now()
	}
	n.CreatedAt = n.CreatedAt.UTC().Truncate(time.Microsecond)
	n.Queue, n.Version, n.UpdatedAt = n.SiteCode, 0, n.CreatedAt
	n.ClosedAt = time.Time{}
	if n.Status.Closed() {
		n.ClosedAt = n.CreatedAt
	}
	return n, nil
}

// SortNear orders nearest-neighbour candidates as Sites.NearestSites promises (nearest first,
// ties by code) and keeps the first k.
func SortNear(out []Near[civmap.Site], k int) []Near[civmap.Site] {
	sort.Slice(out, func(i, j int) bool {
		if out[i].DistanceM != out[j].DistanceM {
			return out[i].DistanceM < out[j].DistanceM
		}
		return out[i].Item.Code < out[j].Item.Code
	})
	if len(out) > k {
		out = out[:k]
	}
	return out
}
