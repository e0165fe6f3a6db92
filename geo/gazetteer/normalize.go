package gazetteer

import (
	"sync"
	"unicode"
	"unicode/utf8"

	"github.com/liuzl/gocc"
	"golang.org/x/text/unicode/norm"
	"golang.org/x/text/width"
)

// Text normalisation shared by the index (official names) and the parser (addresses), so that
// both sides meet in one alphabet:
//
//   - full-width letters, digits and punctuation fold to ASCII (golang.org/x/text/width, then
//     NFKC from golang.org/x/text/unicode/norm, which also maps Kangxi radicals ⼭ → 山 and
//     compatibility ideographs to their unified form);
//   - CJK radical look-alikes of the Radicals Supplement block (⻄ ⻓ ⻔ …), which NFKC leaves alone,
//     map to the unified ideograph Unicode names as equivalent (EquivalentUnifiedIdeograph.txt);
//   - traditional characters convert to simplified with OpenCC's t2s dictionaries
//     (github.com/liuzl/gocc), one character at a time so that every output rune keeps the
//     byte span of the input rune it came from;
//   - ASCII letters lower-case; digits and letters of any script stay; everything else (spaces,
//     punctuation, symbols, control characters) is dropped.
//
// The per-rune result for U+0080…U+FFFF is computed once into a table (foldTable), so
// normalising an address costs one table read per rune.

// radicalSupplement maps CJK Radicals Supplement code points (U+2E80–U+2EF3) that stand for a
// whole character onto that character, after Unicode's EquivalentUnifiedIdeograph.txt. Component
// radicals that never appear alone in an address (亻, 氵 …) are left out.
var radicalSupplement = map[rune]rune{
	'⺟': '母', '⺠': '民', '⺩': '王', '⺧': '牛', '⺶': '羊', '⺷': '羊', '⺻': '聿', '⺼': '肉',
	'⻁': '虎', '⻄': '西', '⻅': '见', '⻆': '角', '⻇': '角', '⻉': '贝', '⻊': '足', '⻋': '车',
	'⻑': '长', '⻓': '长', '⻔': '门', '⻗': '雨', '⻘': '青', '⻙': '韦', '⻚': '页', '⻛': '风',
	'⻜': '飞', '⻝': '食', '⻢': '马', '⻣': '骨', '⻤': '鬼', '⻥': '鱼', '⻦': '鸟', '⻧': '卤',
	'⻨': '麦', '⻩': '黄', '⻪': '黾', '⻬': '齐', '⻮': '齿', '⻰': '龙', '⻳': '龟', '⺒': '巳',
	'⺓': '幺', '⺜': '日', '⺝': '月', '⺬': '示', '⺮': '竹', '⺾': '艹', '⻃': '西',
}

const (
	foldLo = 0x80
	foldHi = 0x10000
)

var (
	foldOnce  sync.Once
	foldTable []rune // foldTable[r-foldLo] for foldLo <= r < foldHi; 0 means "drop"
	foldErr   error
)

// initFold builds foldTable. It is called by every tree constructor; the error (the OpenCC
// dictionaries failing to load) is reported there.
func initFold() error {
	foldOnce.Do(func() {
		t2s, err := gocc.New("t2s")
		if err != nil {
			foldErr = err
			return
		}
		tab := make([]rune, foldHi-foldLo)
		var buf [8]byte
		for r := rune(foldLo); r < foldHi; r++ {
			if r >= 0xD800 && r <= 0xDFFF {
				continue
			}
			n := utf8.EncodeRune(buf[:], r)
			s := norm.NFKC.String(width.Fold.String(string(buf[:n])))
			m, size := utf8.DecodeRuneInString(s)
			if size != len(s) { // NFKC gave several runes (㈠ → (一)): keep the first letter or digit
				m = 0
				for _, c := range s {
					if unicode.IsLetter(c) || unicode.IsDigit(c) {
						m = c
						break
					}
				}
			}
			if e, ok := radicalSupplement[m]; ok {
				m = e
			}
			if unicode.Is(unicode.Han, m) {
				if out, err := t2s.Convert(string(m)); err == nil {
					if c, size := utf8.DecodeRuneInString(out); size == len(out) && c != utf8.RuneError {
						m = c
					}
				}
			}
			switch {
			case m >= 'A' && m <= 'Z':
				m += 'a' - 'A'
			case unicode.IsLetter(m) || unicode.IsDigit(m) || unicode.Is(unicode.Han, m):
				m = unicode.ToLower(m)
			default:
				m = 0
			}
			tab[r-foldLo] = m
		}
		foldTable = tab
	})
	return foldErr
}

// foldRune returns the normalised form of r, or 0 when r is dropped. initFold must have
// succeeded.
func foldRune(r rune) rune {
	switch {
	case r < 0x80:
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9':
			return r
		case r >= 'A' && r <= 'Z':
			return r + 'a' - 'A'
		}
		return 0
	case r < foldHi:
		return foldTable[r-foldLo]
	case unicode.IsLetter(r) || unicode.IsDigit(r):
		return r // CJK extension B and beyond: kept as is
	}
	return 0
}

// normText is an address after normalisation: runes, and for each rune the byte span
// [start[i], end[i]) of the input it came from.
type normText struct {
	r     []rune
	start []int32
	end   []int32
}

func (t *normText) reset() {
	t.r, t.start, t.end = t.r[:0], t.start[:0], t.end[:0]
}

// normalize fills t from s, which must be valid UTF-8.
func (t *normText) normalize(s string) {
	t.reset()
	for i, r := range s {
		m := foldRune(r)
		if m == 0 {
			continue
		}
		t.r = append(t.r, m)
		t.start = append(t.start, int32(i))
		t.end = append(t.end, int32(i+utf8.RuneLen(r)))
	}
}

// normalizeName returns the normalised runes of an official name (no offsets needed).
func normalizeName(dst []rune, s string) []rune {
	for _, r := range s {
		if m := foldRune(r); m != 0 {
			dst = append(dst, m)
		}
	}
	return dst
}
