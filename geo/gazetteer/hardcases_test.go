package gazetteer_test

import (
	"bufio"
	"os"
	"strings"
	"testing"

	"civmap/geo/gazetteer"
)

type hardCase struct {
	line                           int
	kind, input, code              string
	ambiguous, conflict, fuzzy, lx bool
}

func readHardCases(t *testing.T) []hardCase {
	t.Helper()
	f, err := os.Open("testdata/hard_cases.tsv")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []hardCase
	sc := bufio.NewScanner(f)
	n, header := 0, true
	for sc.Scan() {
		n++
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if header {
			header = false
			continue
		}
		c := strings.Split(line, "\t")
		if len(c) != 4 {
			t.Fatalf("hard_cases.tsv:%d: %d columns, want 4", n, len(c))
		}
		hc := hardCase{line: n, kind: c[0], input: c[1], code: c[2]}
		for _, f := range strings.Split(c[3], ",") {
			switch f {
			case "ambiguous":
				hc.ambiguous = true
			case "conflict":
				hc.conflict = true
			case "fuzzy":
				hc.fuzzy = true
			case "linxiang":
				hc.lx = true
			case "-":
			default:
				t.Fatalf("hard_cases.tsv:%d: unknown flag %q", n, f)
			}
		}
		out = append(out, hc)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestHardCases checks the hand-written hard cases: every kind the issue names.
func TestHardCases(t *testing.T) {
	cases := readHardCases(t)
	if len(cases) < 60 {
		t.Fatalf("%d hard cases, want at least 60", len(cases))
	}
	trees := map[string]*gazetteer.Gazetteer{"national": national(t), "linxiang": linxiang(t)}
	kinds := map[string]int{}
	for _, hc := range cases {
		kinds[hc.kind]++
		for _, tree := range []string{"national", "linxiang"} {
			if tree == "linxiang" && !hc.lx {
				continue
			}
			r := trees[tree].Geocode(hc.input)
			if r.Code != hc.code || r.Ambiguous != hc.ambiguous || r.Conflict != hc.conflict || r.Fuzzy != hc.fuzzy {
				t.Errorf("hard_cases.tsv:%d %s [%s] %q: got code %q %s ambiguous=%v conflict=%v fuzzy=%v (%d candidates); want %q ambiguous=%v conflict=%v fuzzy=%v",
					hc.line, hc.kind, tree, hc.input, r.Code, r.Name, r.Ambiguous, r.Conflict, r.Fuzzy, r.CandidateCount, hc.code, hc.ambiguous, hc.conflict, hc.fuzzy)
			}
			checkSpans(t, r)
		}
	}
	t.Logf("%d hard cases by kind: %v", len(cases), kinds)
}

// checkSpans verifies the span invariants: inside the input, Text equal to the input's bytes,
// not overlapping, in text order with strictly deeper levels.
func checkSpans(t *testing.T, r gazetteer.Result) {
	t.Helper()
	prevEnd, prevLevel := 0, gazetteer.Level(0)
	for _, s := range r.Spans {
		if s.Start < prevEnd || s.End <= s.Start || s.End > len(r.Input) || r.Input[s.Start:s.End] != s.Text || s.Level <= prevLevel {
			t.Errorf("%q: bad span %+v after end %d level %v (spans %+v)", r.Input, s, prevEnd, prevLevel, r.Spans)
			return
		}
		prevEnd, prevLevel = s.End, s.Level
	}
}
