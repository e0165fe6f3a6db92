package importer

import (
	"context"
	"fmt"
	"math"
	"regexp"
	"strings"

	"civmap"
	"civmap/store"

	"github.com/paulmach/orb"
	orbgeo "github.com/paulmach/orb/geo"
)

// network is the practice network as the volunteer and team imports see it: every site, by
// code and by name (read once per file).
type network struct {
	sites  []civmap.Site
	byCode map[string]civmap.Site
	byName map[string][]civmap.Site
}

func loadNetwork(ctx context.Context, st store.Store) (*network, error) {
	sites, err := st.ListSites(ctx, store.SiteFilter{})
	if err != nil {
		return nil, err
	}
	n := &network{sites: sites, byCode: map[string]civmap.Site{}, byName: map[string][]civmap.Site{}}
	for _, s := range sites {
		n.byCode[s.Code] = s
		n.byName[s.Name] = append(n.byName[s.Name], s)
	}
	return n, nil
}

// site resolves a 所属阵地 cell: a site code, a site's full name, or the start of exactly one
// site's name ("长城社区" for 长城社区新时代文明实践站). On failure it returns the reason.
func (n *network) site(cell string) (civmap.Site, string) {
	if s, ok := n.byCode[cell]; ok {
		return s, ""
	}
	if ss := n.byName[cell]; len(ss) == 1 {
		return ss[0], ""
	}
	var cands []civmap.Site
	for _, s := range n.sites {
		if strings.HasPrefix(s.Name, cell) {
			cands = append(cands, s)
		}
	}
	switch len(cands) {
	case 1:
		return cands[0], ""
	case 0:
		return civmap.Site{}, fmt.Sprintf("阵地“%s”不存在（填写阵地编码或名称）(no site has this code or name)", clip(cell, 30))
	}
	names := make([]string, 0, 3)
	for _, s := range cands[:min(3, len(cands))] {
		names = append(names, s.Code+" "+s.Name)
	}
	return civmap.Site{}, fmt.Sprintf("阵地“%s”不唯一：%s 等 %d 个，请填写编码 (ambiguous site name)", clip(cell, 30), strings.Join(names, "、"), len(cands))
}

// chain is the site's code and its ancestors' up to the top (at most 16), nearest first.
func (n *network) chain(code string) []string {
	var out []string
	for code != "" && len(out) < 16 {
		s, ok := n.byCode[code]
		if !ok {
			break
		}
		out = append(out, code)
		code = s.ParentCode
	}
	return out
}

// ofDivision is the site of a division or of its nearest ancestor division that has one
// (12 → 9 → 6 digits): where a geocoded address belongs.
func (n *network) ofDivision(div string) (civmap.Site, bool) {
	for _, k := range []int{12, 9, 6} {
		if len(div) >= k {
			if s, ok := n.byCode[div[:k]]; ok && s.Level != civmap.LevelBase {
				return s, true
			}
		}
	}
	return civmap.Site{}, false
}

// distanceToNearest is the great-circle distance in metres from p to the nearest site (+Inf
// when there is none): the service-area rule of store.MaxPlaceDistanceM.
func (n *network) distanceToNearest(p orb.Point) float64 {
	best := math.Inf(1)
	for _, s := range n.sites {
		best = math.Min(best, orbgeo.DistanceHaversine(p, s.Location.Point))
	}
	return best
}

// splitList splits a cell holding several values: at 、，,;；/| and, when spaces is set, at
// spaces too.
func splitList(s string, spaces bool) []string {
	return strings.FieldsFunc(s, func(r rune) bool {
		switch r {
		case '、', '，', ',', ';', '；', '/', '／', '|', '｜', '\n', '\r':
			return true
		case ' ', '\t', '\u3000':
			return spaces
		}
		return false
	})
}

// parseSkills reads a 技能 cell: specialties separated by 、，,;；/| or spaces, each one of
// civmap.Skills, also written as its team's name ("卫生健康志愿服务队", "临湘市卫生健康志愿服务队").
func parseSkills(cell string) ([]civmap.Skill, string) {
	var out []civmap.Skill
	for _, tok := range splitList(cell, true) {
		sk, ok := skillOf(tok)
		if !ok {
			all := make([]string, len(civmap.Skills))
			for i, s := range civmap.Skills {
				all[i] = string(s)
			}
			return nil, fmt.Sprintf("未知技能“%s”（可选：%s）(unknown skill)", clip(tok, 20), strings.Join(all, "、"))
		}
		out = append(out, sk)
	}
	return out, ""
}

func skillOf(tok string) (civmap.Skill, bool) {
	if sk := civmap.Skill(tok); sk.Valid() {
		return sk, true
	}
	t := strings.TrimPrefix(tok, "临湘市")
	for _, suffix := range []string{"专业志愿服务队", "志愿服务队", "志愿服务", "志愿队", "服务队"} {
		if strings.HasSuffix(t, suffix) {
			t = strings.TrimSuffix(t, suffix)
			break
		}
	}
	sk := civmap.Skill(t)
	return sk, sk.Valid()
}

// idNumber matches a mainland resident ID number (18 characters, or the old 15 digits) standing
// alone in a text (not the decimals of a number): a cell holding one is refused without being
// shown.
var idNumber = regexp.MustCompile(`(?:^|[^\d.])(?:\d{17}[\dXx]|\d{15})(?:\D|$)`)

// looksLikeIDNumber reports whether a text cell holds what looks like an ID-card number.
func looksLikeIDNumber(s string) bool {
	return idNumber.MatchString(strings.Map(func(r rune) rune {
		if r == ' ' || r == '-' || r == '\u3000' {
			return -1
		}
		return r
	}, s))
}

// putRows writes rows with put, which takes the indexes of the rows to write. When the store
// rejects one (EINVALID naming "prefix[i].field", i indexing the rows given) the row is
// reported through reject with its field and the rest are written again without it, so that
// the store's own checks are reported per row like the importer's. It returns the rows
// written and their changes; any other error ends it.
func putRows(n int, prefix string, put func(idx []int) ([]store.Change, error), reject func(i int, field, msg string)) ([]int, []store.Change, error) {
	idx := make([]int, n)
	for i := range idx {
		idx[i] = i
	}
	for len(idx) > 0 {
		ch, err := put(idx)
		if err == nil {
			return idx, ch, nil
		}
		field := civmap.ErrorField(err)
		if civmap.ErrorCode(err) != civmap.EINVALID || !strings.HasPrefix(field, prefix+"[") {
			return nil, nil, err
		}
		end := strings.IndexByte(field, ']')
		var i int
		if _, perr := fmt.Sscan(field[len(prefix)+1:max(end, len(prefix)+1)], &i); perr != nil || end < 0 || i < 0 || i >= len(idx) {
			return nil, nil, err
		}
		reject(idx[i], strings.TrimPrefix(field[end+1:], "."), civmap.ErrorMessage(err))
		idx = append(idx[:i:i], idx[i+1:]...)
	}
	return nil, nil, nil
}
