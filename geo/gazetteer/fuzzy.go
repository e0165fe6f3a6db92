package gazetteer

// minFuzzy is the shortest alias compared with one edit, in runes: 龙原村 may be 龙源村, but a
// two-rune stem with one wrong rune is only half a name.
const minFuzzy = 3

// editDist1 reports whether a and b differ by at most one substituted, inserted or deleted rune.
func editDist1(a, b []rune) bool {
	if len(a) > len(b) {
		a, b = b, a
	}
	switch len(b) - len(a) {
	case 0:
		diff := 0
		for i := range a {
			if a[i] != b[i] {
				diff++
				if diff > 1 {
					return false
				}
			}
		}
		return true
	case 1:
		i := 0
		for i < len(a) && a[i] == b[i] {
			i++
		}
		for ; i < len(a); i++ {
			if a[i] != b[i+1] {
				return false
			}
		}
		return true
	}
	return false
}

// fuzzyChild compares the children of division x with the normalised text from rune pos on,
// allowing one edit. The child matching the most runes wins; it returns that child and the
// number of runes matched, or -1 when no child, or more than one, matches best. A village match
// followed by 组/村民小组 does not count (see groupTail).
func (g *Gazetteer) fuzzyChild(sc *scratch, x int32, pos int32) (int32, int32) {
	r := sc.t.r[pos:]
	found, foundLen, tie := int32(-1), int32(0), false
	for c := x + 1; c < g.subEnd[x]; c = g.subEnd[c] {
		sc.buf = normalizeName(sc.buf[:0], g.name(c))
		matchLen := int32(0)
		aliases(g.level(c), sc.buf, func(a []rune) {
			if len(a) < minFuzzy {
				return
			}
			// A bare stem (no type word of the child's level at its end) only takes a
			// substitution, and not before a road word: 中关村大街 is no typo of 中关村.
			bare := levelSuffixRunes[a[len(a)-1]]&(1<<uint(g.level(c))) == 0
			for _, L := range [3]int{len(a), len(a) + 1, len(a) - 1} {
				if L <= len(r) && int32(L) > matchLen && (!bare || L == len(a)) && editDist1(r[:L], a) &&
					(g.level(c) != LevelVillage || !groupTail(sc.t.r, pos+int32(L))) &&
					(!bare || !isRoadStart(r[L:])) {
					matchLen = int32(L)
				}
			}
		})
		switch {
		case matchLen == 0 || matchLen < foundLen:
		case matchLen == foundLen:
			tie = true
		default:
			found, foundLen, tie = c, matchLen, false
		}
	}
	if tie {
		return -1, 0
	}
	return found, foundLen
}

// descend goes below a resolved answer: it fuzzy-matches a child right after the last span and,
// having found one, looks for an exactly named descendant of it further on, then repeats.
func (g *Gazetteer) descend(sc *scratch, spans []span, ans int32) ([]span, int32, int) {
	fuzzy := 0
	for ans >= 0 && g.level(ans) < LevelVillage {
		ends := g.extendSpans(sc, spans[len(spans)-1:])
		pos := ends[0]
		if int(pos) >= len(sc.t.r) {
			break
		}
		c, n := g.fuzzyChild(sc, ans, pos)
		if c < 0 {
			break
		}
		spans = append(spans, span{s: pos, e: pos + n, x: c, lev: g.level(c)})
		ans = c
		fuzzy++
		if d, s, e := g.exactBelow(sc, c, pos+n); d >= 0 {
			spans = append(spans, span{s: s, e: e, x: d, lev: g.level(d)})
			ans = d
		}
	}
	return spans, ans, fuzzy
}

// exactBelow returns the descendant of x named by the longest hit starting at or after from
// (the earliest of equally long ones), with its span; -1 when there is none or the hit names
// several descendants at its shallowest level.
func (g *Gazetteer) exactBelow(sc *scratch, x int32, from int32) (int32, int32, int32) {
	var bestHit *hit
	var bestD int32 = -1
	for hi := range sc.hits {
		h := &sc.hits[hi]
		if h.s < from || h.maxL <= g.level(x) {
			continue
		}
		if bestHit != nil && h.length() <= bestHit.length() {
			continue
		}
		P := g.post(h.id)
		lo := lowerBound(P, x+1)
		up := lo + lowerBound(P[lo:], g.subEnd[x])
		if lo == up {
			continue
		}
		d, n := int32(-1), 0
		lev := LevelVillage + 1
		for _, y := range P[lo:up] {
			if !h.names(g, y) {
				continue
			}
			switch l := g.level(y); {
			case l < lev:
				d, n, lev = y, 1, l
			case l == lev:
				n++
			}
		}
		if n == 1 {
			bestHit, bestD = h, d
		}
	}
	if bestHit == nil {
		return -1, 0, 0
	}
	return bestD, bestHit.s, bestHit.e
}
