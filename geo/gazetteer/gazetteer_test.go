package gazetteer_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/paulmach/orb"

	"civmap"
	"civmap/data"
	"civmap/geo/gazetteer"
)

func TestNationalCounts(t *testing.T) {
	g := national(t)
	want := map[gazetteer.Level]int{
		gazetteer.LevelProvince: 31, gazetteer.LevelPrefecture: 342, gazetteer.LevelCounty: 2978,
		gazetteer.LevelTown: 41352, gazetteer.LevelVillage: 620573,
	}
	total := 0
	for l, n := range want {
		if got := g.Count(l); got != n {
			t.Errorf("Count(%v) = %d, want %d", l, got, n)
		}
		total += n
	}
	if g.Len() != total {
		t.Errorf("Len() = %d, want %d", g.Len(), total)
	}
	if g.Tree() != "national" || !strings.Contains(g.Source(), "2023") {
		t.Errorf("Tree/Source = %q / %q", g.Tree(), g.Source())
	}
}

func TestLinxiangTree(t *testing.T) {
	g := linxiang(t)
	if got := []int{g.Count(gazetteer.LevelProvince), g.Count(gazetteer.LevelPrefecture), g.Count(gazetteer.LevelCounty), g.Count(gazetteer.LevelTown), g.Count(gazetteer.LevelVillage)}; fmt.Sprint(got) != "[1 1 1 14 161]" {
		t.Errorf("Linxiang counts %v, want [1 1 1 14 161]", got)
	}
	if g2, _ := gazetteer.Linxiang(); g2 != g {
		t.Error("Linxiang() is not cached")
	}
	n := national(t)
	// The national tree is a superset: every Linxiang division is there with the same name.
	for e := range g.All() {
		ne, ok := n.Lookup(e.Code)
		if !ok || ne != e {
			t.Errorf("national Lookup(%s) = %+v, %v; Linxiang has %+v", e.Code, ne, ok, e)
		}
	}
}

func TestLookupChildrenChain(t *testing.T) {
	for _, g := range []*gazetteer.Gazetteer{national(t), linxiang(t)} {
		e, ok := g.Lookup("430682114")
		if !ok || e != (gazetteer.Entry{Code: "430682114", Name: "羊楼司镇", Level: gazetteer.LevelTown, Parent: "430682"}) {
			t.Errorf("%s: Lookup(430682114) = %+v, %v", g.Tree(), e, ok)
		}
		if _, ok := g.Lookup("4306821"); ok {
			t.Errorf("%s: Lookup of a 7-digit code succeeded", g.Tree())
		}
		if _, ok := g.Lookup("abc"); ok {
			t.Errorf("%s: Lookup(abc) succeeded", g.Tree())
		}
		towns := g.Children("430682")
		if len(towns) != 14 || towns[0].Code != "430682001" || towns[13].Code != "430682115" {
			t.Errorf("%s: Children(430682) = %d entries %v", g.Tree(), len(towns), towns)
		}
		for i := 1; i < len(towns); i++ {
			if towns[i-1].Code >= towns[i].Code {
				t.Errorf("%s: children not in code order: %s, %s", g.Tree(), towns[i-1].Code, towns[i].Code)
			}
		}
		if c := g.Children("430682114239"); len(c) != 0 {
			t.Errorf("%s: a village has children %v", g.Tree(), c)
		}
		chain := g.Chain("430682114239")
		var names []string
		for _, e := range chain {
			names = append(names, e.Name)
		}
		if strings.Join(names, "/") != "湖南省/岳阳市/临湘市/羊楼司镇/龙窖山村" {
			t.Errorf("%s: Chain = %v", g.Tree(), names)
		}
		if g.Chain("999999") != nil {
			t.Errorf("%s: Chain of an unknown code is not nil", g.Tree())
		}
	}
	// Prefectures without counties: the county-level row of the same name holds the towns.
	n := national(t)
	if c := n.Children("4419"); len(c) != 1 || c[0].Code != "441900" {
		t.Errorf("Children(4419) = %v", c)
	}
	if e, _ := n.Lookup("441900121"); e.Parent != "441900" {
		t.Errorf("虎门镇 parent %q", e.Parent)
	}
}

func TestPoints(t *testing.T) {
	g, err := gazetteer.NewLinxiang()
	if err != nil {
		t.Fatal(err)
	}
	if shared := linxiang(t); shared == g {
		t.Fatal("NewLinxiang returned the cached tree")
	}
	if _, _, _, ok := g.PointOf("430682115"); ok {
		t.Fatal("a fresh tree has points")
	}
	county := orb.Point{113.45, 29.48}
	town := orb.Point{113.50, 29.40}
	if err := g.SetPoint("430682", county, civmap.CoordSynthetic); err != nil {
		t.Fatal(err)
	}
	p, src, prec, ok := g.PointOf("430682115201")
	if !ok || p != county || src != civmap.CoordSynthetic || prec != civmap.PrecisionCounty {
		t.Errorf("village inherits county point: %v %v %v %v", p, src, prec, ok)
	}
	if err := g.SetPoint("430682115", town, civmap.CoordSurveyed); err != nil {
		t.Fatal(err)
	}
	p, src, prec, ok = g.PointOf("430682115")
	if !ok || p != town || src != civmap.CoordSurveyed || prec != civmap.PrecisionTown {
		t.Errorf("town point: %v %v %v %v", p, src, prec, ok)
	}
	r := g.Geocode("湖南省岳阳市临湘市坦渡镇")
	if r.Point == nil || *r.Point != town || r.Precision != civmap.PrecisionTown || r.CoordSource != civmap.CoordSurveyed || r.PointCode != "430682115" {
		t.Errorf("Geocode point: %+v", r)
	}
	if _, _, _, ok := g.PointOf("430682001"); !ok {
		t.Error("another town should inherit the county point")
	}
	if _, _, _, ok := g.PointOf("43"); ok {
		t.Error("the province has no point")
	}
	if err := g.SetPoint("110101", county, civmap.CoordSynthetic); civmap.ErrorCode(err) != civmap.ENOTFOUND {
		t.Errorf("SetPoint outside the tree: %v, want ENOTFOUND", err)
	}
	if err := g.SetPoint("430682115", orb.Point{200, 0}, civmap.CoordSynthetic); civmap.ErrorCode(err) != civmap.EINVALID {
		t.Errorf("SetPoint bad lon: %v, want EINVALID", err)
	}
	if err := g.SetPoint("430682115", town, "guessed"); civmap.ErrorCode(err) != civmap.EINVALID {
		t.Errorf("SetPoint bad source: %v, want EINVALID", err)
	}
}

func TestLevel(t *testing.T) {
	for _, l := range gazetteer.Levels {
		b, err := l.MarshalText()
		if err != nil {
			t.Fatal(err)
		}
		var back gazetteer.Level
		if err := back.UnmarshalText(b); err != nil || back != l {
			t.Errorf("round trip %v: %v %v", l, back, err)
		}
	}
	if gazetteer.LevelVillage.String() != "village" || gazetteer.LevelVillage.CodeDigits() != 12 {
		t.Error("village level")
	}
	if _, err := gazetteer.ParseLevel("hamlet"); civmap.ErrorCode(err) != civmap.EINVALID {
		t.Errorf("ParseLevel(hamlet) = %v", err)
	}
	if gazetteer.LevelOfCode("430682114239") != gazetteer.LevelVillage || gazetteer.LevelOfCode("4306821") != 0 || gazetteer.LevelOfCode("43a6") != 0 {
		t.Error("LevelOfCode")
	}
}

func TestResultJSON(t *testing.T) {
	g := linxiang(t)
	b, err := json.Marshal(g.Geocode("湖南省岳阳市临湘市羊楼司镇如斯村"))
	if err != nil {
		t.Fatal(err)
	}
	s := string(b)
	for _, want := range []string{`"code":"430682114219"`, `"level":"village"`, `"spans":[{"level":"province","code":"43","start":0,"end":9,"text":"湖南省"}`, `"confidence":1`, `"ambiguous":false`} {
		if !strings.Contains(s, want) {
			t.Errorf("JSON %s lacks %s", s, want)
		}
	}
	var back gazetteer.Result
	if err := json.Unmarshal(b, &back); err != nil || back.Level != gazetteer.LevelVillage {
		t.Errorf("unmarshal: %v %+v", err, back)
	}
}

func TestBadInput(t *testing.T) {
	g := linxiang(t)
	long := strings.Repeat("临湘市", 10*1024/9)
	cases := []struct {
		in, code string
	}{
		{"", civmap.EINVALID},
		{"   \t ", civmap.EINVALID},
		{"临湘市\xff\xfe羊楼司镇", civmap.EINVALID},
		{long, civmap.ETOOLARGE},
	}
	for _, c := range cases {
		r := g.Geocode(c.in)
		if r.ErrorCode != c.code || r.Error == "" || r.Code != "" || !utf8.ValidString(r.Input) || len(r.Input) > gazetteer.MaxAddressBytes+3 {
			t.Errorf("Geocode(%.20q): code %q error %q input %d bytes", c.in, r.ErrorCode, r.Error, len(r.Input))
		}
		if err := gazetteer.CheckAddress(c.in); civmap.ErrorCode(err) != c.code {
			t.Errorf("CheckAddress(%.20q) = %v", c.in, err)
		}
	}
	// Nothing to match is not an error.
	if r := g.Geocode("!!!，。"); r.Error != "" || r.Code != "" || r.Confidence != 0 {
		t.Errorf("punctuation only: %+v", r)
	}
	// A batch keeps going past bad items and refuses oversize batches whole.
	res, err := g.GeocodeBatch([]string{"临湘市", "", "临湘市羊楼司镇"})
	if err != nil || len(res) != 3 || res[0].Code != "430682" || res[1].ErrorCode != civmap.EINVALID || res[2].Code != "430682114" {
		t.Errorf("batch: %v %+v", err, res)
	}
	if _, err := g.GeocodeBatch(make([]string, gazetteer.MaxBatch+1)); civmap.ErrorCode(err) != civmap.ETOOLARGE {
		t.Errorf("oversize batch: %v", err)
	}
}

// TestSiteAddresses geocodes the 176 Linxiang site addresses the service builds at start-up,
// "湖南省岳阳市临湘市{town}{village}", on both trees: each must give its exact code.
func TestSiteAddresses(t *testing.T) {
	lx, n := linxiang(t), national(t)
	town := map[string]string{}
	count := 0
	for e := range lx.All() {
		var addr string
		switch e.Level {
		case gazetteer.LevelCounty:
			addr = "湖南省岳阳市临湘市"
		case gazetteer.LevelTown:
			town[e.Code] = e.Name
			addr = "湖南省岳阳市临湘市" + e.Name
		case gazetteer.LevelVillage:
			addr = "湖南省岳阳市临湘市" + town[e.Parent] + e.Name
		default:
			continue
		}
		count++
		for _, g := range []*gazetteer.Gazetteer{lx, n} {
			r := g.Geocode(addr)
			if r.Code != e.Code || r.Ambiguous || r.Conflict || r.Fuzzy || r.Confidence != 1 {
				t.Errorf("%s: %s → %s %s (amb=%v conflict=%v fuzzy=%v conf=%v), want %s", g.Tree(), addr, r.Code, r.Name, r.Ambiguous, r.Conflict, r.Fuzzy, r.Confidence, e.Code)
			}
		}
	}
	if count != 176 {
		t.Errorf("%d site addresses, want 176", count)
	}
	if _, err := data.FS.Open(data.NationalTSVGz); err != nil {
		t.Errorf("national data not in data.FS: %v", err)
	}
}

// TestNoNationalFuzzy: a typo is only forgiven under a resolved parent.
func TestNoNationalFuzzy(t *testing.T) {
	for _, g := range []*gazetteer.Gazetteer{linxiang(t), national(t)} {
		if r := g.Geocode("龙窑山村"); r.Code == "430682114239" || r.Fuzzy {
			t.Errorf("%s: 龙窑山村 alone fuzzy-matched: %+v", g.Tree(), r)
		}
		if r := g.Geocode("临湘市羊楼司镇龙窑山村"); r.Code != "430682114239" || !r.Fuzzy || r.Confidence >= 1 {
			t.Errorf("%s: typo under its town: %+v", g.Tree(), r)
		}
	}
}

func TestAmbiguousCandidates(t *testing.T) {
	r := national(t).Geocode("朝阳区")
	if !r.Ambiguous || r.Code != "" || r.CandidateCount != 2 || len(r.Candidates) != 2 || r.Candidates[0].Code != "110105" || r.Candidates[1].Code != "220104" {
		t.Errorf("朝阳区: %+v", r)
	}
	r = national(t).Geocode("长城社区")
	if !r.Ambiguous || r.CandidateCount < 2 || len(r.Candidates) != min(r.CandidateCount, gazetteer.MaxCandidates) || r.Confidence >= 0.5 {
		t.Errorf("长城社区: ambiguous=%v count=%d listed=%d conf=%v", r.Ambiguous, r.CandidateCount, len(r.Candidates), r.Confidence)
	}
	// The Linxiang tree knows only one 长城社区.
	if r := linxiang(t).Geocode("长城社区"); r.Code != "430682001001" || r.Ambiguous {
		t.Errorf("Linxiang 长城社区: %+v", r)
	}
}

// TestConcurrent geocodes from several goroutines while points are being set (run with -race).
func TestConcurrent(t *testing.T) {
	g, err := gazetteer.NewLinxiang()
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	for w := range 4 {
		go func() {
			defer func() { done <- struct{}{} }()
			for i := range 200 {
				if w == 0 {
					_ = g.SetPoint("430682114", orb.Point{113.5, 29.3 + float64(i)/1e4}, civmap.CoordSynthetic)
					continue
				}
				if r := g.Geocode("临湘市羊楼司镇如斯村"); r.Code != "430682114219" {
					t.Errorf("got %s", r.Code)
				}
			}
		}()
	}
	for range 4 {
		<-done
	}
}

// TestLinxiangSameAnswers: for addresses that name the county, the Linxiang tree and the
// national tree agree (code, ambiguity, conflict), in several written forms per village.
func TestLinxiangSameAnswers(t *testing.T) {
	lx, n := linxiang(t), national(t)
	town := map[string]string{}
	short := func(s string) string {
		for _, suf := range []string{"街道", "镇"} {
			if b, ok := strings.CutSuffix(s, suf); ok {
				return b
			}
		}
		return s
	}
	checked := 0
	for e := range lx.All() {
		if e.Level == gazetteer.LevelTown {
			town[e.Code] = e.Name
		}
		if e.Level != gazetteer.LevelVillage {
			continue
		}
		tn := town[e.Parent]
		for _, addr := range []string{
			"临湘市" + tn + e.Name,
			"岳阳临湘" + short(tn) + e.Name + "3组",
			"湖南省临湘市" + e.Name,
			"临湘" + short(tn) + e.Name + "村委会",
			"湖南 岳阳 临湘市 " + tn + " " + e.Name + " 门牌12号",
		} {
			a, b := lx.Geocode(addr), n.Geocode(addr)
			if a.Code != b.Code || a.Ambiguous != b.Ambiguous || a.Conflict != b.Conflict {
				t.Errorf("%s: linxiang %s amb=%v conflict=%v, national %s amb=%v conflict=%v", addr, a.Code, a.Ambiguous, a.Conflict, b.Code, b.Ambiguous, b.Conflict)
			}
			if a.Code != e.Code {
				t.Errorf("%s: %s %s, want %s", addr, a.Code, a.Name, e.Code)
			}
			checked++
		}
	}
	if checked != 161*5 {
		t.Errorf("checked %d addresses", checked)
	}
}
