package gazetteer_test

import (
	"strings"
	"testing"
	"unicode/utf8"

	"civmap/geo/gazetteer"
)

// FuzzGeocode feeds arbitrary text to the parser and checks that it never panics and that every
// result is well formed. `go test` runs the seeds; `go test -fuzz FuzzGeocode` explores. It uses
// the Linxiang tree, which shares all the parsing code with the national one and loads in
// milliseconds.
func FuzzGeocode(f *testing.F) {
	g, err := gazetteer.Linxiang()
	if err != nil {
		f.Fatal(err)
	}
	fuzzGeocode(f, g)
}

// FuzzGeocodeNational is FuzzGeocode against the national tree (one second to load per fuzz
// worker).
func FuzzGeocodeNational(f *testing.F) {
	fuzzGeocode(f, national(f))
}

var fuzzSeeds = []string{
	"", " ", "湖南省岳阳市临湘市长安街道长城社区", "湖南岳阳临湘羊楼司龙窖山村村委会3组",
	"臨湘市羊樓司鎮", "临湘市⻓安街道", "ＡＢＣ１２３", "临湘市羊楼司镇雅团村民小组", "\xff\xfe",
	"临湘市羊楼司镇龙窑山村", "县", "市辖区", "村村村村村", "临湘临湘临湘市市", "湖南省龙江县",
	strings.Repeat("羊楼司镇", 100), "\x00临湘\u200b市", "临湘市\U0002A6A5镇", "㈠临湘", "⑴羊楼司",
	"长城社区", "新村", "朝阳区长城社区", "北海市重庆路", "黑龙江龙江县龙江镇龙江村", "城关镇城关村城关组",
}

func fuzzGeocode(f *testing.F, g *gazetteer.Gazetteer) {
	for _, s := range fuzzSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		r := g.Geocode(s)
		if !utf8.ValidString(r.Input) {
			t.Fatalf("Input not valid UTF-8: %q", r.Input)
		}
		if r.Error != "" {
			if r.Code != "" || len(r.Spans) != 0 {
				t.Fatalf("error result with a match: %+v", r)
			}
			return
		}
		if r.Input != s {
			t.Fatalf("Input %q, want %q", r.Input, s)
		}
		if r.Confidence < 0 || r.Confidence > 1 {
			t.Fatalf("confidence %v", r.Confidence)
		}
		if r.Code != "" {
			e, ok := g.Lookup(r.Code)
			if !ok || e.Name != r.Name || e.Level != r.Level {
				t.Fatalf("result %s %s %v does not match the tree: %+v", r.Code, r.Name, r.Level, e)
			}
		}
		if r.Ambiguous != (len(r.Candidates) > 0) {
			t.Fatalf("ambiguous=%v with %d candidates", r.Ambiguous, len(r.Candidates))
		}
		for _, c := range r.Candidates {
			if !strings.HasPrefix(c.Code, r.Code) {
				t.Fatalf("candidate %s not under %s", c.Code, r.Code)
			}
		}
		prevEnd, prevLevel := 0, gazetteer.Level(0)
		for _, sp := range r.Spans {
			if sp.Start < prevEnd || sp.End <= sp.Start || sp.End > len(s) || s[sp.Start:sp.End] != sp.Text || sp.Level <= prevLevel {
				t.Fatalf("bad span %+v in %+v", sp, r.Spans)
			}
			if sp.Code != "" && !strings.HasPrefix(r.Code, sp.Code) && !r.Ambiguous {
				t.Fatalf("span %s not on the answer's chain %s", sp.Code, r.Code)
			}
			prevEnd, prevLevel = sp.End, sp.Level
		}
	})
}
