package embedded

import (
	"cmp"
	"slices"
	"sort"
	"time"

	"civmap"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/quadtree"
)

// volunteerIndex is the in-memory copy of the volunteers table: a map by id, a list by id (ids
// only grow, so appending keeps it sorted), a quadtree of home points, and the phone and
// account links that PutVolunteers checks. Each volunteer lives in one *volItem that all of
// them share; a write replaces its contents in place (under the memory's write lock) and never
// changes a slice it handed out.
//
// Layout: the nearest search visits the quadtree's nodes and items around a point, and at a
// million volunteers its time is that of cache misses. An index is therefore built with its
// items in one block in Morton (Z) order of their home points, added to the quadtree in that
// order, so that neighbours in space are neighbours in memory (half the latency of items added
// in random order). Open builds it so; PutVolunteers adds a batch's new volunteers in a block
// of their own, in the same order, and lays the whole index out again once it has grown by a
// quarter since it was last laid out (amortised: each volunteer is copied a few times in all).
type volunteerIndex struct {
	byID    map[int64]*volItem
	list    []*volItem         // ordered by id
	tree    *quadtree.Quadtree // *volItem at each home point
	byPhone map[string]int64
	byUser  map[int64]int64
	// bySite holds the volunteers based at each site, for searches inside a scope.
	bySite map[string]map[*volItem]struct{}
	// laidOut is the index's size when it was last laid out; added counts the volunteers
	// added since.
	laidOut, added int
}

// relayoutMin is the least growth that lays an index out again: below it, the few volunteers
// fit in the caches anyway.
var relayoutMin = 1 << 14 // a variable for tests

func newVolunteerIndex() volunteerIndex {
	return volunteerIndex{byID: map[int64]*volItem{}, tree: quadtree.New(world),
		byPhone: map[string]int64{}, byUser: map[int64]int64{}, bySite: map[string]map[*volItem]struct{}{}}
}

// buildVolunteerIndex returns an index of the volunteers vs (distinct ids, any order), laid
// out in Morton order.
func buildVolunteerIndex(vs []*civmap.Volunteer) volunteerIndex {
	ix := newVolunteerIndex()
	ix.insert(vs)
	ix.laidOut, ix.added = len(vs), 0
	return ix
}

// relaid returns a new index of ix's volunteers, laid out in Morton order. It only reads ix.
func (ix *volunteerIndex) relaid() volunteerIndex {
	vs := make([]*civmap.Volunteer, len(ix.list))
	for i, it := range ix.list {
		vs[i] = &it.rec
	}
	return buildVolunteerIndex(vs)
}

// needsRelayout reports whether ix has grown enough since it was laid out to be laid out
// again.
func (ix *volunteerIndex) needsRelayout() bool {
	return ix.added >= relayoutMin && ix.added > ix.laidOut/4
}

// morton is the Z-order key of p: longitude and latitude as 32-bit fractions of their range,
// bits interleaved.
func morton(p orb.Point) uint64 {
	spread := func(x uint64) uint64 { // the 32 bits of x to the even bits
		x &= 0xffffffff
		x = (x | x<<16) & 0x0000ffff0000ffff
		x = (x | x<<8) & 0x00ff00ff00ff00ff
		x = (x | x<<4) & 0x0f0f0f0f0f0f0f0f
		x = (x | x<<2) & 0x3333333333333333
		x = (x | x<<1) & 0x5555555555555555
		return x
	}
	x := uint64(min(max((p[0]+180)/360, 0), 1) * 0xffffffff)
	y := uint64(min(max((p[1]+90)/180, 0), 1) * 0xffffffff)
	return spread(x) | spread(y)<<1
}

// insert adds new volunteers (ids not in ix) in one block of items, in Morton order.
func (ix *volunteerIndex) insert(vs []*civmap.Volunteer) {
	if len(vs) == 0 {
		return
	}
	keys := make([]uint64, len(vs))
	order := make([]int, len(vs))
	for i, v := range vs {
		keys[i], order[i] = morton(v.Home.Point), i
	}
	sort.Slice(order, func(a, b int) bool { return keys[order[a]] < keys[order[b]] })
	items := make([]volItem, len(vs))
	for k, i := range order {
		it := &items[k]
		it.rec = *vs[i]
		it.summarise()
		ix.tree.Add(it)
		ix.byID[it.rec.ID] = it
		ix.link(&it.rec)
		ix.atSite(it, true)
	}
	added := make([]*volItem, len(items))
	for k := range items {
		added[k] = &items[k]
	}
	byID := func(a, b *volItem) int { return cmp.Compare(a.rec.ID, b.rec.ID) }
	slices.SortFunc(added, byID)
	ix.list = append(ix.list, added...)
	if n := len(ix.list) - len(added); n > 0 && ix.list[n-1].rec.ID > ix.list[n].rec.ID {
		slices.SortFunc(ix.list, byID) // not reached: ids only grow
	}
	ix.added += len(vs)
}

// put stores v: inserted when its id is new, else replacing the volunteer with its id.
func (ix *volunteerIndex) put(v civmap.Volunteer) {
	it, ok := ix.byID[v.ID]
	if !ok {
		ix.insert([]*civmap.Volunteer{&v})
		return
	}
	old := &it.rec
	if old.Phone != "" && ix.byPhone[old.Phone] == old.ID {
		delete(ix.byPhone, old.Phone)
	}
	if old.UserID != 0 && ix.byUser[old.UserID] == old.ID {
		delete(ix.byUser, old.UserID)
	}
	moved := old.Home.Point != v.Home.Point
	if moved {
		ix.tree.Remove(it, func(x orb.Pointer) bool { return x.(*volItem) == it })
	}
	ix.atSite(it, false)
	it.rec = v
	ix.atSite(it, true)
	it.summarise()
	if moved {
		ix.tree.Add(it)
	}
	ix.link(&it.rec)
}

// volItem is a volunteer in memory: the quadtree entry at their home point, a summary of what
// the nearest search filters on, then the record. The summary lies in the item's first cache
// line, so that the search rejects most volunteers it visits without reading the record (a
// million records do not fit in any cache); it is a necessary condition of
// VolunteerQuery.Matches, which decides for those that pass.
type volItem struct {
	p      orb.Point
	skills uint16    // bit i: civmap.Skills[i]; all bits when a skill is outside the vocabulary
	active bool      // Active
	onDuty bool      // OnDuty
	free   bool      // OpenOrders < MaxOpen
	week   [3]uint64 // bit d·24+h: a window overlaps hour h (CST) of weekday d
	rec    civmap.Volunteer
}

func (i *volItem) Point() orb.Point { return i.p }

// skillBit is the summary bit of skill s: 1<<i for civmap.Skills[i], 1<<15 for any other.
func skillBit(s civmap.Skill) uint16 {
	for i, k := range civmap.Skills {
		if k == s {
			return 1 << i
		}
	}
	return 1 << 15
}

// summarise sets the item's summary from its record.
func (it *volItem) summarise() {
	v := &it.rec
	it.p, it.active, it.onDuty, it.free = v.Home.Point, v.Active, v.OnDuty, v.OpenOrders < v.MaxOpen
	it.skills = 0
	for _, s := range v.Skills {
		b := skillBit(s)
		if b == 1<<15 {
			b = 0xffff
		}
		it.skills |= b
	}
	it.week = [3]uint64{}
	for _, w := range v.Windows {
		if w.Day < time.Sunday || w.Day > time.Saturday || w.From < 0 || w.To > 1440 || w.From >= w.To {
			it.week = [3]uint64{^uint64(0), ^uint64(0), ^uint64(0)} // not a valid window: decide on the record
			return
		}
		for h := w.From / 60; h <= (w.To-1)/60; h++ {
			bit := int(w.Day)*24 + h
			it.week[bit/64] |= 1 << (bit % 64)
		}
	}
}

// atSite adds it to (or removes it from) the set of its base site's volunteers.
func (ix *volunteerIndex) atSite(it *volItem, add bool) {
	set := ix.bySite[it.rec.SiteCode]
	switch {
	case add && set == nil:
		ix.bySite[it.rec.SiteCode] = map[*volItem]struct{}{it: {}}
	case add:
		set[it] = struct{}{}
	case set != nil:
		delete(set, it)
	}
}

func (ix *volunteerIndex) link(v *civmap.Volunteer) {
	if v.Phone != "" {
		ix.byPhone[v.Phone] = v.ID
	}
	if v.UserID != 0 {
		ix.byUser[v.UserID] = v.ID
	}
}

// addOpen changes volunteer id's open-order count by delta (never below 0).
func (ix *volunteerIndex) addOpen(id int64, delta int) {
	if it, ok := ix.byID[id]; ok {
		it.rec.OpenOrders = max(0, it.rec.OpenOrders+delta)
		it.free = it.rec.OpenOrders < it.rec.MaxOpen
	}
}
