package embedded

import (
	"context"
	"math"
	"slices"
	"sort"

	"civmap"
	"civmap/store"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geo"
)

// The nearest suitable volunteers (store.Volunteers.NearestVolunteers), from the in-memory
// quadtree of home points.
//
// The search scans boxes around the query point that grow until the answer is proven: once a
// box that holds the circle of radius r has been scanned, every volunteer within r has been
// seen, so when k suitable ones lie within r they are the k nearest. The filter
// (VolunteerQuery.Matches, the rule brute force applies) runs inside the quadtree's matcher and
// the k best so far are kept by (haversine distance, id) as it runs, so nothing is collected
// that is not needed; a box skips the points of the one before (already offered). When k
// suitable ones are known but the k-th lies beyond r, the next box is the one around the k-th's
// distance, which settles it; when fewer are known the radius doubles (so the last box is at
// most about four times the area needed, wherever density changes). A box that held every
// volunteer ends the search. A query with a scope looks instead at every volunteer based inside
// it (by base site), whatever the distance: exact by enumeration, and bounded by the scope.

// nearStartM is the first box's radius: a few hundred volunteers in a dense town.
const nearStartM = 500.0

// nearCand is a suitable volunteer and their distance in metres.
type nearCand struct {
	d float64
	v *civmap.Volunteer
}

func nearLess(a, b nearCand) bool { return a.d < b.d || (a.d == b.d && a.v.ID < b.v.ID) }

// nearBest keeps the k best candidates offered, by (distance, id), sorted.
type nearBest struct {
	k int
	c []nearCand
}

func (nb *nearBest) full() bool { return len(nb.c) == nb.k }

// offer adds c if it is among the k best so far.
func (nb *nearBest) offer(c nearCand) {
	n := len(nb.c)
	if n == nb.k && !nearLess(c, nb.c[n-1]) {
		return
	}
	i := sort.Search(n, func(i int) bool { return nearLess(c, nb.c[i]) })
	if n < nb.k {
		nb.c = append(nb.c, nearCand{})
	}
	copy(nb.c[i+1:], nb.c[i:len(nb.c)-1])
	nb.c[i] = c
}

// searchBound is a lon/lat box that holds every point within r metres of p (haversine), with a
// little to spare for rounding; the whole longitude range when the box would cross the
// antimeridian.
func searchBound(p orb.Point, r float64) orb.Bound {
	b := geo.NewBoundAroundPoint(p, r*(1+1e-9)+1e-3)
	if math.IsNaN(b.Min[0]) || math.IsNaN(b.Max[0]) || b.Min[0] > b.Max[0] || b.Min[0] < -180 || b.Max[0] > 180 {
		b.Min[0], b.Max[0] = -180, 180
	}
	b.Min[1], b.Max[1] = max(b.Min[1], -90), min(b.Max[1], 90)
	return b
}

func inBound(b orb.Bound, p orb.Point) bool {
	return p[0] >= b.Min[0] && p[0] <= b.Max[0] && p[1] >= b.Min[1] && p[1] <= b.Max[1]
}

// NearestVolunteers returns up to q.K volunteers that pass q.Matches, nearest to q.Point first
// by haversine distance (orb/geo, metres), ties by id; the result equals a brute-force search.
// The records are copies. EINVALID for K outside 1–store.MaxNearest or a bad point.
func (s *Store) NearestVolunteers(ctx context.Context, q store.VolunteerQuery) ([]store.Near[civmap.Volunteer], error) {
	if q.K < 1 || q.K > store.MaxNearest {
		return nil, civmap.FieldErrorf("k", "k must be 1–%d", store.MaxNearest)
	}
	if err := (civmap.Location{Point: q.Point, Source: civmap.CoordImported, Precision: civmap.PrecisionExact}).Validate(); err != nil {
		return nil, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	m := s.mem
	total := len(m.vols.list)
	chainOf := func(string) []string { return nil } // Matches reads the chain only for a scope
	if q.Scope != "" {
		chains := map[string][]string{}
		chainOf = func(code string) []string {
			c, ok := chains[code]
			if !ok {
				c = m.chain(code)
				chains[code] = c
			}
			return c
		}
	}

	// The summary test (volItem): a necessary condition of q.Matches, read from the item alone.
	var qskill uint16 // 0: any skill
	if q.Skill != "" {
		qskill = skillBit(q.Skill)
	}
	hour := -1 // the hour of the week (CST) q.At falls in; -1: any time
	if !q.At.IsZero() {
		t := q.At.In(civmap.ChinaTime)
		hour = int(t.Weekday())*24 + t.Hour()
	}
	suits := func(it *volItem) bool {
		if !it.active || !it.free || (qskill != 0 && it.skills&qskill == 0) ||
			(hour >= 0 && !it.onDuty && it.week[hour/64]&(1<<(hour%64)) == 0) {
			return false
		}
		return q.Matches(&it.rec, chainOf(it.rec.SiteCode))
	}

	best := nearBest{k: q.K, c: make([]nearCand, 0, q.K)}
	if q.Scope != "" {
		// Inside a scope (a dispatcher's town or village) every volunteer based there is looked
		// at: a box search would walk the whole county when the scope lies away from the point.
		for code := range m.sites {
			if !slices.Contains(chainOf(code), q.Scope) {
				continue
			}
			for it := range m.vols.bySite[code] {
				if suits(it) {
					best.offer(nearCand{d: geo.DistanceHaversine(q.Point, it.p), v: &it.rec})
				}
			}
		}
		return best.result(), nil
	}
	var prev orb.Bound
	for r, first := nearStartM, true; total > 0; first = false {
		b := world
		if r < 2e7 { // else beyond half the earth's circumference: the box is the world
			b = searchBound(q.Point, r)
		}
		inBox := 0
		m.vols.tree.InBoundMatching(nil, b, func(x orb.Pointer) bool {
			it := x.(*volItem)
			if !inBound(b, it.p) {
				return false
			}
			inBox++
			if !first && inBound(prev, it.p) {
				return false // offered in the box before
			}
			if suits(it) {
				best.offer(nearCand{d: geo.DistanceHaversine(q.Point, it.p), v: &it.rec})
			}
			return false // nothing to collect: best holds the answer
		})
		if inBox == total || (best.full() && best.c[q.K-1].d <= r) {
			break // every volunteer was offered, or every one within r was and k of them suit
		}
		prev = b
		if best.full() {
			r = best.c[q.K-1].d // the box around the k-th candidate's circle settles it
		} else {
			r *= 2
		}
	}
	return best.result(), nil
}

// result is the candidates kept, as copies, nearest first.
func (nb *nearBest) result() []store.Near[civmap.Volunteer] {
	out := make([]store.Near[civmap.Volunteer], len(nb.c))
	for i, c := range nb.c {
		out[i] = store.Near[civmap.Volunteer]{Item: volOut(c.v), DistanceM: c.d}
	}
	return slices.Clip(out)
}
