package gazetteer_test

import (
	"bufio"
	"fmt"
	"os"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"

	"civmap/geo/gazetteer"
)

// evalRow is one labelled address of testdata/eval_generated.tsv.
type evalRow struct {
	kind, input, code string
	ambiguous         bool
	count             int
	cands             []string
}

func readEval(t *testing.T, path string) []evalRow {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var rows []evalRow
	sc := bufio.NewScanner(f)
	header := true
	for sc.Scan() {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if header {
			header = false
			continue
		}
		c := strings.Split(line, "\t")
		if len(c) != 6 {
			t.Fatalf("%s: bad row %q", path, line)
		}
		n, err := strconv.Atoi(c[4])
		if err != nil {
			t.Fatalf("%s: bad count in %q", path, line)
		}
		r := evalRow{kind: c[0], input: c[1], code: c[2], ambiguous: c[3] == "1", count: n}
		if c[5] != "" {
			r.cands = strings.Split(c[5], ";")
		}
		rows = append(rows, r)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return rows
}

// isPrefixCode reports whether division a is b or one of its ancestors ("" is the root).
func isPrefixCode(a, b string) bool { return strings.HasPrefix(b, a) }

type kindStats struct {
	unamb, exact            int
	amb, silent, ancestorOK int
	failures                []string
}

// TestGeneratedAccuracy geocodes the generated evaluation set against the national tree and
// fails below the bar: ≥ 99% of unambiguous rows resolve to the exact code, and no ambiguous
// row silently picks one candidate.
func TestGeneratedAccuracy(t *testing.T) {
	g := national(t)
	rows := readEval(t, "testdata/eval_generated.tsv")
	if len(rows) < 5000 {
		t.Fatalf("generated set has %d rows, want at least 5,000", len(rows))
	}
	stats := map[string]*kindStats{}
	var total kindStats
	for _, r := range rows {
		s := stats[r.kind]
		if s == nil {
			s = &kindStats{}
			stats[r.kind] = s
		}
		res := g.Geocode(r.input)
		if !r.ambiguous {
			s.unamb++
			if res.Code == r.code {
				s.exact++
			} else {
				s.failures = append(s.failures, fmt.Sprintf("%s: got %s %s (amb=%v conflict=%v), want %s", r.input, res.Code, res.Name, res.Ambiguous, res.Conflict, r.code))
			}
			continue
		}
		s.amb++
		if !res.Ambiguous && slices.ContainsFunc(r.cands, func(c string) bool { return isPrefixCode(c, res.Code) }) {
			s.silent++
			s.failures = append(s.failures, fmt.Sprintf("%s: silently picked %s %s among %d", r.input, res.Code, res.Name, r.count))
		} else if res.Ambiguous && isPrefixCode(res.Code, r.code) {
			s.ancestorOK++
		} else {
			s.failures = append(s.failures, fmt.Sprintf("%s: got %s %s amb=%v, want ancestor %s of %d", r.input, res.Code, res.Name, res.Ambiguous, r.code, r.count))
		}
	}
	kinds := make([]string, 0, len(stats))
	for k := range stats {
		kinds = append(kinds, k)
	}
	sort.Strings(kinds)
	t.Logf("%-20s %9s %9s %8s | %9s %7s %12s", "kind", "unambig", "exact", "%", "ambig", "silent", "ancestor ok")
	for _, k := range kinds {
		s := stats[k]
		t.Logf("%-20s %9d %9d %8s | %9d %7d %12d", k, s.unamb, s.exact, pct(s.exact, s.unamb), s.amb, s.silent, s.ancestorOK)
		total.unamb += s.unamb
		total.exact += s.exact
		total.amb += s.amb
		total.silent += s.silent
		total.ancestorOK += s.ancestorOK
		for i, f := range s.failures {
			if i == 20 {
				t.Logf("  %s: … %d more", k, len(s.failures)-5)
				break
			}
			t.Logf("  %s: %s", k, f)
		}
	}
	t.Logf("%-20s %9d %9d %8s | %9d %7d %12d", "all", total.unamb, total.exact, pct(total.exact, total.unamb), total.amb, total.silent, total.ancestorOK)
	if float64(total.exact) < 0.99*float64(total.unamb) {
		t.Errorf("unambiguous exact rate %s, below the 99%% bar", pct(total.exact, total.unamb))
	}
	if total.silent > 0 {
		t.Errorf("%d ambiguous inputs silently resolved to one candidate, want 0", total.silent)
	}
}

func pct(a, b int) string {
	if b == 0 {
		return "-"
	}
	return fmt.Sprintf("%.2f%%", 100*float64(a)/float64(b))
}

var _ = gazetteer.MaxBatch
