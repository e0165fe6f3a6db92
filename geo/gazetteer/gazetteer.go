package gazetteer

import (
	"fmt"
	"iter"
	"math"
	"sort"
	"strconv"
	"sync"

	"github.com/paulmach/orb"

	"civmap"
)

// Entry is one division of the statistical tree.
type Entry struct {
	Code   string `json:"code"`             // 2, 4, 6, 9 or 12 digits, as in the source files
	Name   string `json:"name"`             // official name, as in the source files
	Level  Level  `json:"level"`            // LevelProvince … LevelVillage, by the code's length
	Parent string `json:"parent,omitempty"` // the parent's code, "" for a province
}

// Gazetteer is a division tree with its name index. It is safe for concurrent use, SetPoint
// included (points sit behind a read-write lock).
//
// Internally the divisions are stored in code order (every division right before its subtree)
// in flat arrays: a code key, an offset into one string of names, the parent's and the subtree's
// end index. An alias index maps the 64-bit FNV-1a hash of every normalised alias (see
// aliases) to the divisions carrying it.
type Gazetteer struct {
	tree   string // "national" or "linxiang"
	source string // provenance of the data

	keys    []uint64 // codeKey of each division, ascending
	names   string   // official names, concatenated
	nameOff []uint32 // names[nameOff[i]:nameOff[i+1]] is division i's name
	parent  []int32  // index of the parent, -1 for a province
	subEnd  []int32  // division i's subtree is [i, subEnd[i])
	counts  [6]int   // divisions per level

	alias    map[uint64]uint32 // alias hash → alias id
	postOff  []uint32          // postings[postOff[id]:postOff[id+1]]: divisions of alias id, ascending
	postings []int32
	parOff   []uint32 // parents[parOff[id]:parOff[id+1]]: the non-village divisions of alias id
	parents  []int32
	aliasLev []uint8           // aliasLev[id]: bit l set if a division of level l carries alias id
	bigram   map[uint64]uint32 // first two runes of an alias → bit n set if an alias of n runes starts so
	maxAlias int               // longest alias, in runes

	mu     sync.RWMutex
	points map[int32]pointRec
}

type pointRec struct {
	p   orb.Point
	src civmap.CoordSource
}

// codeKey packs a code into a sortable integer: the code right-padded with zeros to 12 digits,
// times 8, plus its level. Ordering by key is ordering by code as a string, which puts every
// division right before its subtree even when a child's code only adds zeros (东莞市 4419 and
// its county-level row 441900).
func codeKey(code string) (uint64, bool) {
	l := LevelOfCode(code)
	if l == 0 {
		return 0, false
	}
	v, err := strconv.ParseUint(code, 10, 64)
	if err != nil {
		return 0, false
	}
	for i := len(code); i < 12; i++ {
		v *= 10
	}
	return v<<3 | uint64(l), true
}

var pow10 = [...]uint64{1, 10, 100, 1000, 10000, 100000, 1000000, 10000000, 100000000, 1000000000, 10000000000, 100000000000, 1000000000000}

func keyLevel(k uint64) Level { return Level(k & 7) }

func keyCode(k uint64) string {
	l := keyLevel(k)
	d := codeDigits[l]
	v := (k >> 3) / pow10[12-d]
	s := strconv.FormatUint(v, 10)
	for len(s) < d {
		s = "0" + s
	}
	return s
}

// isAncestorKey reports whether division key a is a proper ancestor of division key b.
func isAncestorKey(a, b uint64) bool {
	la, lb := keyLevel(a), keyLevel(b)
	if la >= lb {
		return false
	}
	d := pow10[12-codeDigits[la]]
	return (a>>3)/d == (b>>3)/d
}

// row is one division of a source file.
type row struct{ code, name string }

// build makes a Gazetteer from rows sorted by code as a string. Every row's parent (its code
// cut to the next shorter length that exists among the rows) must come before it.
func build(tree, source string, rows []row) (*Gazetteer, error) {
	if err := initFold(); err != nil {
		return nil, fmt.Errorf("gazetteer: loading the OpenCC t2s dictionaries: %w", err)
	}
	n := len(rows)
	if n >= math.MaxInt32/2 {
		return nil, fmt.Errorf("gazetteer: %d divisions is too many", n)
	}
	g := &Gazetteer{
		tree:    tree,
		source:  source,
		keys:    make([]uint64, n),
		nameOff: make([]uint32, n+1),
		parent:  make([]int32, n),
		subEnd:  make([]int32, n),
		points:  make(map[int32]pointRec),
	}
	size := 0
	for _, r := range rows {
		size += len(r.name)
	}
	if size >= math.MaxUint32 {
		return nil, fmt.Errorf("gazetteer: names too long")
	}
	names := make([]byte, 0, size)
	var stack []int32
	for i, r := range rows {
		k, ok := codeKey(r.code)
		if !ok {
			return nil, fmt.Errorf("gazetteer: bad division code %q (want 2, 4, 6, 9 or 12 digits)", r.code)
		}
		if i > 0 && k <= g.keys[i-1] {
			return nil, fmt.Errorf("gazetteer: division %s out of order or duplicated", r.code)
		}
		if r.name == "" {
			return nil, fmt.Errorf("gazetteer: division %s has no name", r.code)
		}
		g.keys[i] = k
		g.nameOff[i] = uint32(len(names))
		names = append(names, r.name...)
		for len(stack) > 0 && !isAncestorKey(g.keys[stack[len(stack)-1]], k) {
			stack = stack[:len(stack)-1]
		}
		switch {
		case len(stack) > 0:
			g.parent[i] = stack[len(stack)-1]
		case keyLevel(k) == LevelProvince:
			g.parent[i] = -1
		default:
			return nil, fmt.Errorf("gazetteer: division %s %s has no parent in the tree", r.code, r.name)
		}
		stack = append(stack, int32(i))
		g.counts[keyLevel(k)]++
	}
	g.nameOff[n] = uint32(len(names))
	g.names = string(names)
	for i := range g.subEnd {
		g.subEnd[i] = int32(i + 1)
	}
	for i := n - 1; i >= 0; i-- {
		if p := g.parent[i]; p >= 0 && g.subEnd[i] > g.subEnd[p] {
			g.subEnd[p] = g.subEnd[i]
		}
	}
	g.buildIndex()
	return g, nil
}

// buildIndex fills the alias index from the names.
func (g *Gazetteer) buildIndex() {
	n := len(g.keys)
	type pair struct {
		h uint64
		i int32
	}
	pairs := make([]pair, 0, n*3)
	g.bigram = make(map[uint64]uint32, n/4)
	var buf []rune
	var seen [16]uint64
	for i := 0; i < n; i++ {
		buf = normalizeName(buf[:0], g.name(int32(i)))
		ns := 0
		aliases(keyLevel(g.keys[i]), buf, func(a []rune) {
			h := hashRunes(a)
			for _, s := range seen[:ns] {
				if s == h {
					return
				}
			}
			if ns < len(seen) {
				seen[ns] = h
				ns++
			}
			pairs = append(pairs, pair{h, int32(i)})
			g.bigram[bigramKey(a[0], a[1])] |= 1 << uint(len(a))
			if len(a) > g.maxAlias {
				g.maxAlias = len(a)
			}
		})
	}
	g.alias = make(map[uint64]uint32, len(pairs)/2)
	var count []uint32
	for _, p := range pairs {
		id, ok := g.alias[p.h]
		if !ok {
			id = uint32(len(count))
			g.alias[p.h] = id
			count = append(count, 0)
		}
		count[id]++
	}
	g.postOff = make([]uint32, len(count)+1)
	for id, c := range count {
		g.postOff[id+1] = g.postOff[id] + c
	}
	fill := count[:0:0]
	fill = append(fill, g.postOff[:len(count)]...)
	g.postings = make([]int32, len(pairs))
	g.aliasLev = make([]uint8, len(count))
	for _, p := range pairs {
		id := g.alias[p.h]
		g.postings[fill[id]] = p.i
		fill[id]++
		g.aliasLev[id] |= 1 << uint(keyLevel(g.keys[p.i]))
	}
	// The divisions that can be parents (all but villages), per alias, for the chain search.
	g.parOff = make([]uint32, len(count)+1)
	for id := range count {
		for _, x := range g.postings[g.postOff[id]:g.postOff[id+1]] {
			if keyLevel(g.keys[x]) != LevelVillage {
				g.parents = append(g.parents, x)
			}
		}
		g.parOff[id+1] = uint32(len(g.parents))
	}
}

// FNV-1a, 64 bits, over runes.
const (
	fnvOffset = 14695981039346656037
	fnvPrime  = 1099511628211
)

func hashRunes(s []rune) uint64 {
	h := uint64(fnvOffset)
	for _, r := range s {
		h = (h ^ uint64(r)) * fnvPrime
	}
	return h
}

func bigramKey(a, b rune) uint64 { return uint64(a)<<21 | uint64(b) }

func (g *Gazetteer) name(i int32) string { return g.names[g.nameOff[i]:g.nameOff[i+1]] }

func (g *Gazetteer) level(i int32) Level { return keyLevel(g.keys[i]) }

func (g *Gazetteer) entry(i int32) Entry {
	e := Entry{Code: keyCode(g.keys[i]), Name: g.name(i), Level: g.level(i)}
	if p := g.parent[i]; p >= 0 {
		e.Parent = keyCode(g.keys[p])
	}
	return e
}

// index returns the position of code in the tree, or -1.
func (g *Gazetteer) index(code string) int32 {
	k, ok := codeKey(code)
	if !ok {
		return -1
	}
	i := sort.Search(len(g.keys), func(i int) bool { return g.keys[i] >= k })
	if i < len(g.keys) && g.keys[i] == k {
		return int32(i)
	}
	return -1
}

// Tree names the data the gazetteer holds: "national" or "linxiang".
func (g *Gazetteer) Tree() string { return g.tree }

// Source is the provenance of the gazetteer's divisions (publisher, edition, packaging).
func (g *Gazetteer) Source() string { return g.source }

// Len returns the number of divisions.
func (g *Gazetteer) Len() int { return len(g.keys) }

// Count returns the number of divisions at level l.
func (g *Gazetteer) Count(l Level) int {
	if !l.Valid() {
		return 0
	}
	return g.counts[l]
}

// Lookup returns the division with this code (2, 4, 6, 9 or 12 digits).
func (g *Gazetteer) Lookup(code string) (Entry, bool) {
	i := g.index(code)
	if i < 0 {
		return Entry{}, false
	}
	return g.entry(i), true
}

// Children returns the divisions directly under code, in code order; nil for an unknown code or
// a village.
func (g *Gazetteer) Children(code string) []Entry {
	i := g.index(code)
	if i < 0 {
		return nil
	}
	var out []Entry
	for j := i + 1; j < g.subEnd[i]; j = g.subEnd[j] {
		out = append(out, g.entry(j))
	}
	return out
}

// Chain returns the divisions from the province down to code, top first; nil for an unknown
// code.
func (g *Gazetteer) Chain(code string) []Entry {
	i := g.index(code)
	if i < 0 {
		return nil
	}
	return g.chain(i)
}

func (g *Gazetteer) chain(i int32) []Entry {
	var n int
	for j := i; j >= 0; j = g.parent[j] {
		n++
	}
	out := make([]Entry, n)
	for j := i; j >= 0; j = g.parent[j] {
		n--
		out[n] = g.entry(j)
	}
	return out
}

// SetPoint attaches a WGS-84 longitude/latitude point in degrees (orb.Point{lon, lat}) and the
// point's source to the division with this code, replacing any earlier one. It returns an
// ENOTFOUND *civmap.Error for an unknown code and an EINVALID one for a point that is not a
// finite lon/lat or a source that civmap does not know. Safe for concurrent use.
func (g *Gazetteer) SetPoint(code string, p orb.Point, src civmap.CoordSource) error {
	i := g.index(code)
	if i < 0 {
		return civmap.Errorf(civmap.ENOTFOUND, "no division with code %q in the %s gazetteer", code, g.tree)
	}
	loc := civmap.Location{Point: p, Source: src, Precision: g.level(i).Precision()}
	if err := loc.Validate(); err != nil {
		return err
	}
	g.mu.Lock()
	g.points[i] = pointRec{p, src}
	g.mu.Unlock()
	return nil
}

// PointOf returns the point of the division with this code: its own if SetPoint gave it one,
// else its nearest ancestor's. prec is the precision of the division the point belongs to
// (village → PrecisionVillage, town → PrecisionTown, county or coarser → PrecisionCounty). ok is
// false for an unknown code or when neither the division nor an ancestor has a point.
func (g *Gazetteer) PointOf(code string) (p orb.Point, src civmap.CoordSource, prec civmap.Precision, ok bool) {
	i := g.index(code)
	if i < 0 {
		return orb.Point{}, "", "", false
	}
	j, rec := g.pointOf(i)
	if j < 0 {
		return orb.Point{}, "", "", false
	}
	return rec.p, rec.src, g.level(j).Precision(), true
}

// pointOf returns the index of the nearest division at or above i that has a point, and it;
// -1 when none has.
func (g *Gazetteer) pointOf(i int32) (int32, pointRec) {
	g.mu.RLock()
	defer g.mu.RUnlock()
	if len(g.points) == 0 {
		return -1, pointRec{}
	}
	for j := i; j >= 0; j = g.parent[j] {
		if rec, ok := g.points[j]; ok {
			return j, rec
		}
	}
	return -1, pointRec{}
}

// All yields every division in code order (each division right before its subtree).
func (g *Gazetteer) All() iter.Seq[Entry] {
	return func(yield func(Entry) bool) {
		for i := range g.keys {
			if !yield(g.entry(int32(i))) {
				return
			}
		}
	}
}
