package gazetteer

import (
	"math"
	"slices"
	"sort"
	"strings"
	"sync"
)

// How Geocode reads an address
//
//  1. The text is normalised (normalize.go): one rune per kept character, each remembering its
//     byte span in the input.
//  2. Every substring that is an alias of some division is a hit (findHits): a bigram filter
//     says which lengths can start at a position, then the alias index gives the divisions
//     carrying that substring. A bare stem followed by a type word (临湘 + 县) names only
//     divisions of that type's levels, and is dropped when the typed alias exists; a name
//     followed by a road word (路, 街 …) is a road; village names followed by 组/小组/队 or by
//     民小组 (村民小组) name a villagers' group, not a village.
//  3. A chain is a sequence of hits in text order, not overlapping, at most maxGap runes apart,
//     whose divisions descend the tree (each a proper descendant of the one before). Its score
//     is the number of runes its hits cover. Dynamic programming over the hits finds the best
//     chain ending at each (hit, division); a division with no predecessor scores its own
//     length, except a bare village stem, which never answers alone.
//  4. The best score wins. When several final hits reach it, the one whose answer is deepest
//     wins (a county that is not in the named province: the deeper consistent chain). Within
//     the final hit (narrow), a division gives way to a same-named descendant (东莞市 4419 →
//     441900), typed matches beat bare ones (杰村 is a village, not 杰村乡), then the shallowest
//     level is kept (a bare 龙江 is the county, not the villages called 龙江村). One division
//     left: the answer. Several: the answer is their deepest common ancestor, with all of them
//     as candidates (never a silent pick).
//  5. Conflict: a typed name outside the chain, at a level strictly between the spans around
//     it, that is not an ancestor of the answer.
//  6. Typos: when the answer is a single division above village level, its children are
//     compared with the text right after it, allowing one wrong, missing or extra character
//     (fuzzy.go); the one child matching most is taken, never a tie, then its own descendants
//     are searched. Nothing is fuzzy-matched without a resolved parent.

// maxGap is the most characters (runes, after normalisation) between two consecutive names of a
// chain, such as a road and house number between a town and a village. It bounds the chain
// search on long inputs.
const maxGap = 48

// hit is an alias found in the normalised text.
type hit struct {
	s, e         int32  // rune span [s, e)
	id           uint32 // alias id
	lmask        uint8  // levels this hit may name (bit l for level l)
	minL, maxL   Level  // shallowest and deepest level in lmask
	stOff, stEnd int32  // explicit DP states of this hit in scratch.states, sorted by division
}

// state is the best chain ending at a hit with a given division, when that chain has a
// predecessor; chains of one hit are implicit (score = the hit's length).
type state struct {
	x     int32 // division
	score int32 // runes covered by the chain
	ph    int32 // previous hit, -1 for none
	py    int32 // division at the previous hit
}

type scratch struct {
	t      normText
	hits   []hit
	states []state
	cand   []state
	pick   []int32
	buf    []rune
}

var scratchPool = sync.Pool{New: func() any { return new(scratch) }}

func (g *Gazetteer) post(id uint32) []int32 { return g.postings[g.postOff[id]:g.postOff[id+1]] }

// par returns the divisions of alias id that can be parents (all but villages), in index order.
func (g *Gazetteer) par(id uint32) []int32 { return g.parents[g.parOff[id]:g.parOff[id+1]] }

func hasPrefixRunes(s []rune, p string) bool {
	i := 0
	for _, r := range p {
		if i >= len(s) || s[i] != r {
			return false
		}
		i++
	}
	return true
}

func runeLen(s string) int32 {
	n := int32(0)
	for range s {
		n++
	}
	return n
}

// groupTail reports whether the runes after a village name show that it names a villagers'
// group (村民小组, 小组, 组, 生产队) rather than a village.
func groupTail(r []rune, e int32) bool {
	after := r[e:]
	if len(after) == 0 {
		return false
	}
	if e > 0 && r[e-1] == '村' && (hasPrefixRunes(after, "民小组") || hasPrefixRunes(after, "民组")) {
		return true
	}
	return hasPrefixRunes(after, "村民小组") || hasPrefixRunes(after, "村民组") ||
		after[0] == '组' || after[0] == '队' || hasPrefixRunes(after, "小组")
}

func (g *Gazetteer) findHits(sc *scratch) {
	r := sc.t.r
	n := len(r)
	sc.hits = sc.hits[:0]
	for i := 0; i+1 < n; i++ {
		mask := g.bigram[bigramKey(r[i], r[i+1])]
		if mask == 0 {
			continue
		}
		h := uint64(fnvOffset)
		h = (h ^ uint64(r[i])) * fnvPrime
		for L := 2; L <= n-i && mask>>uint(L) != 0; L++ {
			h = (h ^ uint64(r[i+L-1])) * fnvPrime
			if mask&(1<<uint(L)) == 0 {
				continue
			}
			id, ok := g.alias[h]
			if !ok {
				continue
			}
			lev := g.aliasLev[id]
			if lev&(1<<uint(LevelVillage)) != 0 && groupTail(r, int32(i+L)) {
				continue
			}
			end := i + L
			if !typeSuffixRunes[r[i+L-1]] {
				// A bare stem: a type word after it says its level, and belongs to its span.
				// A bare village stem with a village type word is left to the typed alias
				// (马山 + 村 is not 马山社区).
				// When the typed alias (stem + word) exists, it is a hit of its own and this one
				// adds only guesses: dropped.
				typed := false
				for _, w := range typeWords {
					if hasPrefixRunes(r[i+L:], w.word) {
						lev &= w.levels &^ (1 << LevelVillage)
						th := h
						for _, c := range w.word {
							th = (th ^ uint64(c)) * fnvPrime
						}
						_, typed = g.alias[th]
						end += int(runeLen(w.word))
						break
					}
				}
				if lev == 0 || typed {
					continue
				}
			}
			// A name followed by a road word is a road (文三路, 北京路, 中关村大街), unless the
			// name ends with its own level's type word (如斯村路口).
			if end == i+L && isRoadStart(r[end:]) {
				if lev &= levelSuffixRunes[r[end-1]]; lev == 0 {
					continue
				}
			}
			minL, maxL := Level(0), Level(0)
			for l := LevelProvince; l <= LevelVillage; l++ {
				if lev&(1<<uint(l)) != 0 {
					if minL == 0 {
						minL = l
					}
					maxL = l
				}
			}
			sc.hits = append(sc.hits, hit{s: int32(i), e: int32(end), id: id, lmask: lev, minL: minL, maxL: maxL})
		}
	}
}

// isRoadStart reports whether r starts with a road word (路, 街, 大道, 大街, 巷, 弄, 胡同) that
// is not the type word 街道.
func isRoadStart(r []rune) bool {
	if hasPrefixRunes(r, "街道") {
		return false
	}
	for _, w := range []string{"路", "街", "大道", "大街", "巷", "弄", "胡同"} {
		if hasPrefixRunes(r, w) {
			return true
		}
	}
	return false
}

// findState returns the explicit state of division x at hit h, or nil.
func findState(states []state, h *hit, x int32) *state {
	st := states[h.stOff:h.stEnd]
	i := sort.Search(len(st), func(i int) bool { return st[i].x >= x })
	if i < len(st) && st[i].x == x {
		return &st[i]
	}
	return nil
}

func (h *hit) length() int32 { return h.e - h.s }

// loneMask returns the levels the hit may name on its own, without a parent before it: all of
// lmask, less the village level when the hit is a bare stem (no village type word at its end).
func (g *Gazetteer) loneMask(sc *scratch, h *hit) uint8 {
	if levelSuffixRunes[sc.t.r[h.e-1]]&(1<<LevelVillage) == 0 {
		return h.lmask &^ (1 << LevelVillage)
	}
	return h.lmask
}

// names reports whether division x, which carries the hit's alias, may be what the hit names.
func (h *hit) names(g *Gazetteer, x int32) bool { return h.lmask&(1<<uint(g.level(x))) != 0 }

func lowerBound(p []int32, v int32) int {
	lo, hi := 0, len(p)
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if p[m] < v {
			lo = m + 1
		} else {
			hi = m
		}
	}
	return lo
}

func contains(p []int32, v int32) bool {
	i := lowerBound(p, v)
	return i < len(p) && p[i] == v
}

// chainDP fills the explicit states of every hit.
func (g *Gazetteer) chainDP(sc *scratch) {
	sc.states = sc.states[:0]
	for hi := range sc.hits {
		h := &sc.hits[hi]
		P := g.post(h.id)
		sc.cand = sc.cand[:0]
		for hj := 0; hj < hi; hj++ {
			h2 := &sc.hits[hj]
			if h2.e > h.s || h2.minL >= h.maxL || h.s-h2.e > maxGap {
				continue
			}
			P2 := g.par(h2.id) // predecessors are never villages
			score := func(y int32) int32 {
				if st := findState(sc.states, h2, y); st != nil {
					return st.score
				}
				return h2.length()
			}
			if len(P)*4 <= len(P2) {
				for _, x := range P {
					if !h.names(g, x) {
						continue
					}
					for a := g.parent[x]; a >= 0 && g.level(a) >= h2.minL; a = g.parent[a] {
						if h2.names(g, a) && contains(P2, a) {
							sc.cand = append(sc.cand, state{x: x, score: score(a) + h.length(), ph: int32(hj), py: a})
						}
					}
				}
			} else {
				for _, y := range P2 {
					if g.level(y) >= h.maxL || !h2.names(g, y) {
						continue
					}
					lo := lowerBound(P, y+1)
					up := lo + lowerBound(P[lo:], g.subEnd[y])
					if lo == up {
						continue
					}
					s := score(y) + h.length()
					for _, x := range P[lo:up] {
						if h.names(g, x) {
							sc.cand = append(sc.cand, state{x: x, score: s, ph: int32(hj), py: y})
						}
					}
				}
			}
		}
		h.stOff = int32(len(sc.states))
		if len(sc.cand) > 0 {
			slices.SortFunc(sc.cand, func(a, b state) int {
				switch {
				case a.x != b.x:
					return int(a.x - b.x)
				case a.score != b.score:
					return int(b.score - a.score)
				}
				return int(g.level(b.py)) - int(g.level(a.py)) // deeper predecessor first
			})
			for i, c := range sc.cand {
				if i == 0 || c.x != sc.cand[i-1].x {
					sc.states = append(sc.states, c)
				}
			}
		}
		h.stEnd = int32(len(sc.states))
	}
}

// span is one matched level of the answer, in runes of the normalised text.
type span struct {
	s, e int32
	x    int32 // division, -1 where the candidates differ
	lev  Level
}

// Geocode reads a free-text Chinese address and returns the deepest division it justifies (see
// Result). It never panics and never fails as a whole: an empty, over-long or invalid-UTF-8
// input gets Result.Error. Safe for concurrent use.
func (g *Gazetteer) Geocode(text string) Result {
	if err := CheckAddress(text); err != nil {
		return ErrorResult(text, err)
	}
	sc := scratchPool.Get().(*scratch)
	defer scratchPool.Put(sc)
	sc.t.normalize(text)
	res := Result{Input: text}
	g.findHits(sc)
	if len(sc.hits) == 0 {
		return res
	}
	g.chainDP(sc)

	// Best score and final hit. A bare village stem alone (龙源 with no parent before it) is too
	// weak to answer with.
	var best int32
	for hi := range sc.hits {
		h := &sc.hits[hi]
		if g.loneMask(sc, h) != 0 {
			best = max(best, h.length())
		}
		for _, st := range sc.states[h.stOff:h.stEnd] {
			best = max(best, st.score)
		}
	}
	if best == 0 {
		return res
	}
	finalHit, finalLevel := -1, Level(0)
	var pick []int32
	otherLevels := false
	for hi := range sc.hits {
		h := &sc.hits[hi]
		c := sc.pick[:0]
		if lm := g.loneMask(sc, h); h.length() == best && lm != 0 {
			for _, x := range g.post(h.id) {
				if lm&(1<<uint(g.level(x))) != 0 {
					c = append(c, x)
				}
			}
		} else {
			for _, st := range sc.states[h.stOff:h.stEnd] {
				if st.score == best {
					c = append(c, st.x)
				}
			}
		}
		if len(c) == 0 {
			sc.pick = c
			continue
		}
		c, lev, other := g.narrow(c, sc.t.r[h.e-1])
		sc.pick = c
		if finalHit < 0 || lev > finalLevel {
			finalHit, finalLevel = hi, lev
			pick = append(pick[:0], c...)
			otherLevels = other
		}
	}
	h := &sc.hits[finalHit]

	// The chain of spans behind the first candidate.
	var spans []span
	x, hix := pick[0], int32(finalHit)
	for hix >= 0 {
		hh := &sc.hits[hix]
		spans = append(spans, span{s: hh.s, e: hh.e, x: x, lev: g.level(x)})
		st := findState(sc.states, hh, x)
		if st == nil {
			break
		}
		hix, x = st.ph, st.py
	}
	slices.Reverse(spans)

	ans := pick[0]
	ambiguous := len(pick) > 1
	if ambiguous {
		ans = g.commonAncestor(pick)
		last := &spans[len(spans)-1]
		last.x = -1
		for i := range spans[:len(spans)-1] {
			if spans[i].x >= 0 && (ans < 0 || !g.isAncestorOrSelf(spans[i].x, ans)) {
				spans[i].x = -1
			}
		}
	}
	conflict := g.conflict(sc, spans, h, ans, pick)

	// Typos under a resolved parent.
	fuzzy := 0
	if !ambiguous {
		spans, ans, fuzzy = g.descend(sc, spans, ans)
	}

	// Confidence.
	conf := 1.0
	last := spans[len(spans)-1]
	ends := g.extendSpans(sc, spans)
	if len(spans) == 1 && last.lev >= LevelTown {
		conf *= 0.85
	}
	if last.e == ends[len(spans)-1] && !typeSuffixRunes[sc.t.r[last.e-1]] {
		conf *= 0.9
	}
	unexplained := 0
	for i, j := int32(0), 0; i < last.s; i++ {
		for j < len(spans) && ends[j] <= i {
			j++
		}
		if j >= len(spans) || i < spans[j].s {
			unexplained++
		}
	}
	conf *= math.Max(0.5, 1-0.08*float64(unexplained))
	if otherLevels {
		conf *= 0.8
	}
	if ambiguous {
		conf *= 0.5
	}
	if conflict {
		conf *= 0.6
	}
	for range fuzzy {
		conf *= 0.7
	}

	res.Ambiguous, res.Conflict, res.Fuzzy = ambiguous, conflict, fuzzy > 0
	res.Confidence = math.Round(conf*100) / 100
	if ans >= 0 {
		e := g.entry(ans)
		res.Code, res.Name, res.Level = e.Code, e.Name, e.Level
		if j, rec := g.pointOf(ans); j >= 0 {
			p := rec.p
			res.Point, res.CoordSource, res.Precision, res.PointCode = &p, rec.src, g.level(j).Precision(), keyCode(g.keys[j])
		}
	} else {
		res.Confidence = math.Round(conf*50) / 100
	}
	if ambiguous {
		res.CandidateCount = len(pick)
		for _, c := range pick[:min(len(pick), MaxCandidates)] {
			res.Candidates = append(res.Candidates, g.entry(c))
		}
	}
	res.Spans = make([]Span, len(spans))
	for i, sp := range spans {
		b, e := int(sc.t.start[sp.s]), int(sc.t.end[ends[i]-1])
		res.Spans[i] = Span{Level: sp.lev, Start: b, End: e, Text: text[b:e]}
		if sp.x >= 0 {
			res.Spans[i].Code = keyCode(g.keys[sp.x])
		}
	}
	return res
}

// narrow reduces the candidates of one final hit (sorted by index): a division with a
// same-named descendant among them goes; if the hit's last rune is a type word of some
// candidates' level (杰村: 村 for villages, not for the town 杰村乡), only those stay; then only the
// shallowest level stays. other reports whether candidates of other levels were dropped.
func (g *Gazetteer) narrow(c []int32, last rune) (out []int32, lev Level, other bool) {
	slices.Sort(c)
	c = slices.Compact(c)
	typedMask := levelSuffixRunes[last]
	if typedMask != 0 {
		k := 0
		for _, x := range c {
			if typedMask&(1<<uint(g.level(x))) != 0 {
				c[k] = x
				k++
			}
		}
		if k > 0 && k < len(c) {
			c, other = c[:k], true
		}
	}
	out = c[:0]
	for i, x := range c {
		drop := false
		for _, y := range c[i+1:] {
			if y >= g.subEnd[x] {
				break
			}
			if g.name(y) == g.name(x) {
				drop = true
				break
			}
		}
		if !drop {
			out = append(out, x)
		}
	}
	lev = LevelVillage + 1
	for _, x := range out {
		lev = min(lev, g.level(x))
	}
	k := 0
	for _, x := range out {
		if g.level(x) == lev {
			out[k] = x
			k++
		} else {
			other = true
		}
	}
	return out[:k], lev, other
}

// levelSuffixRunes maps the last rune of a type word to the levels it ends names of.
var levelSuffixRunes = map[rune]uint8{
	'省': 1 << LevelProvince,
	'市': 1<<LevelProvince | 1<<LevelPrefecture | 1<<LevelCounty,
	'州': 1 << LevelPrefecture, '盟': 1 << LevelPrefecture,
	'区': 1<<LevelProvince | 1<<LevelPrefecture | 1<<LevelCounty | 1<<LevelVillage,
	'县': 1 << LevelCounty, '旗': 1 << LevelCounty,
	'镇': 1 << LevelTown, '乡': 1 << LevelTown, '道': 1 << LevelTown, '木': 1 << LevelTown, '处': 1 << LevelTown,
	'村': 1 << LevelVillage, '会': 1 << LevelVillage, '查': 1 << LevelVillage,
}

func (g *Gazetteer) isAncestorOrSelf(a, x int32) bool { return a <= x && x < g.subEnd[a] }

// commonAncestor returns the deepest division that is an ancestor of (or equal to) every
// division of c, -1 when there is none.
func (g *Gazetteer) commonAncestor(c []int32) int32 {
	a := c[0]
	for _, x := range c[1:] {
		for a >= 0 && !g.isAncestorOrSelf(a, x) {
			a = g.parent[a]
		}
		if a < 0 {
			return -1
		}
	}
	return a
}

// conflict reports whether a typed name outside every span names a division that the chain
// skipped where it would have fitted: between two spans (or before the first) at a level
// strictly between theirs, yet not an ancestor of the answer (湖南省 before 龙江县, 聂市镇 before a
// village of 羊楼司镇). A name at the level of the span before it (临湘市城区: 城区 is also a county
// name) is noise, not a conflict.
func (g *Gazetteer) conflict(sc *scratch, spans []span, final *hit, ans int32, pick []int32) bool {
	ref := pick[0]
	for hi := range sc.hits {
		h := &sc.hits[hi]
		if h.e > final.s {
			continue
		}
		lo, hiLev, overlaps := Level(0), Level(0), false
		for _, sp := range spans {
			if h.s < sp.e && sp.s < h.e {
				overlaps = true
				break
			}
			if sp.e <= h.s {
				lo = sp.lev
			} else if hiLev == 0 {
				hiLev = sp.lev
			}
		}
		if overlaps || hiLev == 0 {
			continue
		}
		typed := typeSuffixRunes[sc.t.r[h.e-1]]
		for _, y := range g.post(h.id) {
			l := g.level(y)
			if !h.names(g, y) || l <= lo || l >= hiLev || (!typed && l > LevelPrefecture) {
				continue
			}
			if !g.isAncestorOrSelf(y, ref) && (ans < 0 || !g.isAncestorOrSelf(y, ans)) {
				return true
			}
		}
	}
	return false
}

// extendSpans returns, for each span, its end extended over type words of its level that the
// text adds after the name (羊楼司 + 镇, 龙源村 + 村委会), without reaching the next span.
func (g *Gazetteer) extendSpans(sc *scratch, spans []span) []int32 {
	ends := make([]int32, len(spans))
	r := sc.t.r
	for i, sp := range spans {
		limit := int32(len(r))
		if i+1 < len(spans) {
			limit = spans[i+1].s
		}
		pos := sp.e
		rounds := 1 // one type word (临湘 + 市), two for villages (龙窖山村 + 村委会)
		if sp.lev == LevelVillage {
			rounds = 2
		}
		for range rounds {
			grew := false
			typed := typeSuffixRunes[r[pos-1]]
			for _, tok := range extensionTokens[sp.lev] {
				// Above villages, a name that already ends in a type word only takes the seat of
				// its government (临湘市 + 人民政府), not a second type word (临湘市 + 市区).
				if typed && sp.lev != LevelVillage && !strings.Contains(tok, "政府") && !strings.Contains(tok, "办") {
					continue
				}
				if n := runeLen(tok); pos+n <= limit && hasPrefixRunes(r[pos:limit], tok) {
					if sp.lev == LevelVillage && groupTail(r, pos+n) {
						continue
					}
					pos += n
					grew = true
					break
				}
			}
			if !grew {
				break
			}
		}
		ends[i] = pos
	}
	return ends
}
