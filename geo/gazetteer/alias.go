package gazetteer

import "strings"

// Aliases: the forms under which an official name may be typed. Every alias is a normalised rune
// string of at least minAlias runes; shorter stems (涉县 → 涉) are not aliases, as one character
// names too many things.

const (
	minAlias = 2  // shortest alias, in runes
	maxAlias = 32 // longest alias, in runes (longer names are matched through their short forms)
)

// isPlaceholder reports whether a (normalised) name groups divisions without naming a place:
// 市辖区, 县, 省直辖县级行政区划, 自治区直辖县级行政区划, 县直辖村级区划, 海棠区直辖村级区划 … Such names
// are never aliases.
func isPlaceholder(name string) bool {
	return name == "市辖区" || name == "县" || strings.HasSuffix(name, "直辖县级行政区划") ||
		strings.HasSuffix(name, "直辖村级区划")
}

// genericWords are type words that a stripped name may reduce to (a village officially named
// 社区居委会); they name no place and are never aliases.
var genericWords = map[string]bool{
	"社区": true, "村委": true, "村委会": true, "居委会": true, "委员会": true, "村民委员会": true, "居民委员会": true,
	"街道": true, "办事处": true, "新区": true, "开发区": true, "生活区": true, "管理区": true, "人民政府": true,
}

// ethnicMulti and ethnicSingle are the names of China's 55 minority nationalities (民族), as they
// appear inside autonomous division names. Single-character names are stripped only with 族.
var (
	ethnicMulti = []string{
		"乌孜别克", "柯尔克孜", "维吾尔", "哈萨克", "塔吉克", "达斡尔", "鄂温克", "鄂伦春", "塔塔尔", "俄罗斯",
		"蒙古", "布依", "朝鲜", "土家", "哈尼", "傈僳", "高山", "拉祜", "东乡", "纳西", "景颇", "仫佬",
		"布朗", "撒拉", "毛南", "仡佬", "锡伯", "阿昌", "普米", "德昂", "保安", "裕固", "独龙", "赫哲",
		"门巴", "珞巴", "基诺", "各",
	}
	ethnicSingle = []string{"回", "藏", "苗", "彝", "壮", "满", "侗", "瑶", "白", "傣", "黎", "佤", "畲", "水", "土", "羌", "怒", "京"}
)

// Suffixes by level, longest first within a level where one is a suffix of another.
var (
	provinceSuffixes   = []string{"省", "市"}
	prefectureSuffixes = []string{"地区", "市", "盟"}
	countySuffixes     = []string{"新区", "林区", "特区", "矿区", "市", "县", "区", "旗"}
	townSuffixes       = []string{"街道办事处", "办事处", "街道", "苏木", "镇", "乡"}
	committeeSuffixes  = []string{"村民委员会", "居民委员会", "村委会", "居委会", "委员会"}
	villageSuffixes    = []string{"社区", "生活区", "管理区", "嘎查", "村"}
)

func hasSuffix(s []rune, suf string) bool {
	n := 0
	for range suf {
		n++
	}
	if len(s) < n {
		return false
	}
	i := len(s) - n
	for _, r := range suf {
		if s[i] != r {
			return false
		}
		i++
	}
	return true
}

func trimSuffix(s []rune, suf string) []rune {
	if !hasSuffix(s, suf) {
		return s
	}
	n := 0
	for range suf {
		n++
	}
	return s[:len(s)-n]
}

func cat(s []rune, suf string) []rune {
	out := make([]rune, len(s), len(s)+4)
	copy(out, s)
	for _, r := range suf {
		out = append(out, r)
	}
	return out
}

// stripEthnic removes trailing nationality names ("哈尼族彝族", "蒙古族藏族", "各族") from stem.
func stripEthnic(stem []rune) []rune {
	for {
		s := stem
		base := trimSuffix(s, "族")
		hadZu := len(base) < len(s)
		stripped := false
		for _, e := range ethnicMulti {
			if hasSuffix(base, e) && (hadZu || e != "各") {
				stem, stripped = trimSuffix(base, e), true
				break
			}
		}
		if !stripped && hadZu {
			for _, e := range ethnicSingle {
				if hasSuffix(base, e) {
					stem, stripped = trimSuffix(base, e), true
					break
				}
			}
		}
		if !stripped || len(stem) < minAlias {
			if len(stem) < minAlias {
				return s
			}
			return stem
		}
	}
}

// aliases calls emit with every alias of an official name (normalised runes) at a level. The
// full name comes first. emit may be called twice with the same alias; the slices it gets are
// only valid during the call.
func aliases(level Level, name []rune, emit func([]rune)) {
	if isPlaceholder(string(name)) {
		return
	}
	out := func(s []rune) {
		if len(s) >= minAlias && len(s) <= maxAlias && !genericWords[string(s)] {
			emit(s)
		}
	}
	out(name)
	switch level {
	case LevelProvince:
		if hasSuffix(name, "自治区") {
			out(stripEthnic(trimSuffix(name, "自治区")))
			return
		}
		stripAny(name, provinceSuffixes, out)
	case LevelPrefecture:
		if hasSuffix(name, "自治州") {
			stem := stripEthnic(trimSuffix(name, "自治州"))
			out(cat(stem, "州"))
			out(stem)
			return
		}
		stripAny(name, prefectureSuffixes, out)
	case LevelCounty:
		for _, kind := range []string{"县", "旗"} {
			if hasSuffix(name, "自治"+kind) {
				stem := stripEthnic(trimSuffix(name, "自治"+kind))
				out(cat(stem, kind))
				out(stem)
				return
			}
		}
		stripAny(name, countySuffixes, out)
	case LevelTown:
		if hasSuffix(name, "民族乡") {
			stem := trimSuffix(name, "民族乡")
			out(cat(stem, "乡"))
			out(stem)
			return
		}
		for _, kind := range []string{"乡", "镇", "苏木"} {
			if hasSuffix(name, "族"+kind) {
				stem := stripEthnic(trimSuffix(name, kind))
				if len(stem) < len(name)-len([]rune(kind)) {
					out(cat(stem, kind))
					out(stem)
					return
				}
			}
		}
		stripAny(roadless(name, townSuffixes), townSuffixes, out)
		if hasSuffix(name, "街道办事处") {
			out(cat(trimSuffix(name, "街道办事处"), "街道"))
		}
	case LevelVillage:
		stem := name
		for _, c := range committeeSuffixes {
			if hasSuffix(name, c) {
				stem = trimSuffix(name, c)
				if !isRoad(stem) {
					out(stem)
				}
				switch {
				case strings.HasPrefix(c, "村") && !hasSuffix(stem, "村"):
					out(cat(stem, "村"))
				case (c == "居委会" || c == "居民委员会") && !hasSuffix(stem, "社区"):
					out(cat(stem, "社区"))
				}
				break
			}
		}
		stripAny(roadless(stem, villageSuffixes), villageSuffixes, out)
	}
}

// roadSuffixes end the names of streets: 重庆路街道 is a town, but a bare 重庆路 in an address is
// the road, so such names get no bare alias.
var roadSuffixes = []string{"路", "街", "大道", "巷", "弄", "胡同"}

func isRoad(stem []rune) bool {
	for _, r := range roadSuffixes {
		if hasSuffix(stem, r) {
			return true
		}
	}
	return false
}

// roadless returns name, or nil when stripping one of suffixes from it leaves a road name.
func roadless(name []rune, suffixes []string) []rune {
	for _, s := range suffixes {
		if hasSuffix(name, s) {
			if isRoad(trimSuffix(name, s)) {
				return nil
			}
			return name
		}
	}
	return name
}

// stripAny emits name without the first of suffixes it ends with.
func stripAny(name []rune, suffixes []string, out func([]rune)) {
	for _, s := range suffixes {
		if hasSuffix(name, s) {
			out(trimSuffix(name, s))
			return
		}
	}
}

// typeSuffixRunes are the runes that end a division's type word (省, 市, 县, 镇, 村 …): an alias
// span ending in one names its type; one that does not is a bare stem (岳阳, 羊楼司).
var typeSuffixRunes = map[rune]bool{
	'省': true, '市': true, '区': true, '县': true, '旗': true, '州': true, '盟': true, '镇': true,
	'乡': true, '道': true, '木': true, '村': true, '会': true, '查': true, '处': true, '场': true,
}

// typeWords are the type words that may follow a bare stem (临湘 + 县), with the levels each can
// denote. A bare stem followed by one of them names a division of those levels only.
var typeWords = []struct {
	word   string
	levels uint8
}{
	{"街道", 1 << LevelTown}, {"苏木", 1 << LevelTown}, {"社区", 1 << LevelVillage}, {"嘎查", 1 << LevelVillage},
	{"省", 1 << LevelProvince}, {"市", 1<<LevelProvince | 1<<LevelPrefecture | 1<<LevelCounty},
	{"县", 1 << LevelCounty}, {"区", 1<<LevelCounty | 1<<LevelPrefecture}, {"旗", 1 << LevelCounty},
	{"州", 1 << LevelPrefecture}, {"盟", 1 << LevelPrefecture}, {"镇", 1 << LevelTown}, {"乡", 1 << LevelTown},
	{"村", 1 << LevelVillage},
}

// Tokens that may follow a matched name of a level without being part of another name: the
// type word the user added or doubled (XX村村委会), or the seat of its government.
var extensionTokens = [...][]string{
	LevelProvince:   {"人民政府", "自治区", "省", "市"},
	LevelPrefecture: {"人民政府", "自治州", "地区", "市", "州", "盟"},
	LevelCounty:     {"人民政府", "自治县", "县", "区", "市", "旗"},
	LevelTown:       {"人民政府", "街道办事处", "办事处", "街道办", "街道", "政府", "镇", "乡"},
	LevelVillage:    {"社区居民委员会", "社区居委会", "村民委员会", "居民委员会", "村委会", "居委会", "委员会", "村委", "社区", "村"},
}
