package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"civmap"
	"civmap/geo/gazetteer"
)

func runGeocodeT(t *testing.T, stdin string, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	var o, e bytes.Buffer
	err = runGeocode(context.Background(), args, strings.NewReader(stdin), &o, &e)
	return o.String(), e.String(), err
}

func readCSVOut(t *testing.T, s string) [][]string {
	t.Helper()
	recs, err := csv.NewReader(strings.NewReader(s)).ReadAll()
	if err != nil {
		t.Fatalf("output is not CSV: %v\n%s", err, s)
	}
	if len(recs) == 0 || strings.Join(recs[0], ",") != strings.Join(geocodeCSVHeader, ",") {
		t.Fatalf("bad header: %v", recs)
	}
	return recs[1:]
}

func col(name string) int {
	for i, h := range geocodeCSVHeader {
		if h == name {
			return i
		}
	}
	panic(name)
}

func TestGeocodeLinesCSV(t *testing.T) {
	long := strings.Repeat("临湘", 10*1024/6+1) // a 10 kB line
	in := strings.Join([]string{
		"湖南省岳阳市临湘市长安街道长城社区",
		"",
		long,
		"临湘市\xff羊楼司镇",
		"临湘市羊楼司镇如斯村3组\r",
		"火星基地",
		"湖南省岳阳市临湘市羊楼司镇",
	}, "\n") + "\n"
	out, errOut, err := runGeocodeT(t, in, "--tree", "linxiang")
	if err != nil {
		t.Fatal(err)
	}
	rows := readCSVOut(t, out)
	if len(rows) != 7 {
		t.Fatalf("%d rows, want 7:\n%s", len(rows), out)
	}
	want := []struct{ line, code, errCode string }{
		{"1", "430682001001", ""},
		{"2", "", civmap.EINVALID},
		{"3", "", civmap.ETOOLARGE},
		{"4", "", civmap.EINVALID},
		{"5", "430682114219", ""},
		{"6", "", ""},
		{"7", "430682114", ""},
	}
	for i, w := range want {
		r := rows[i]
		if r[col("line")] != w.line || r[col("code")] != w.code || r[col("error_code")] != w.errCode {
			t.Errorf("row %d = line %s code %s error %s %q, want %+v", i, r[col("line")], r[col("code")], r[col("error_code")], r[col("error")], w)
		}
	}
	if !strings.Contains(rows[2][col("error")], "10242 bytes") || len(rows[2][col("input")]) > gazetteer.MaxAddressBytes+3 {
		t.Errorf("long line: error %q, input %d bytes", rows[2][col("error")], len(rows[2][col("input")]))
	}
	if rows[4][col("input")] != "临湘市羊楼司镇如斯村3组" {
		t.Errorf("CRLF not trimmed: %q", rows[4][col("input")])
	}
	for _, s := range []string{"7 rows", "village 2", "town 1", "unresolved 1", "errors 3"} {
		if !strings.Contains(errOut, s) {
			t.Errorf("summary %q lacks %q", errOut, s)
		}
	}
}

func TestGeocodeJSONLFromFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "addr.txt")
	if err := os.WriteFile(path, []byte("临湘市羊楼司镇龙窑山村\n湖南省龙江县"), 0o644); err != nil {
		t.Fatal(err)
	}
	out, errOut, err := runGeocodeT(t, "", "--tree", "linxiang", "--format", "jsonl", path)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 2 {
		t.Fatalf("%d lines: %s", len(lines), out)
	}
	var r geocodeRow
	if err := json.Unmarshal([]byte(lines[0]), &r); err != nil {
		t.Fatal(err)
	}
	if r.Line != 1 || r.Code != "430682114239" || !r.Fuzzy || r.Level != gazetteer.LevelVillage {
		t.Errorf("row 1: %+v", r)
	}
	if !strings.Contains(lines[0], `"level":"village"`) || !strings.Contains(lines[1], `"line":2`) {
		t.Errorf("JSON lines: %s", out)
	}
	if !strings.Contains(errOut, "fuzzy 1") {
		t.Errorf("summary: %s", errOut)
	}
}

func TestGeocodeCSVColumn(t *testing.T) {
	in := "\ufeffid,地址,备注\n" +
		"1,湖南省岳阳市临湘市羊楼司镇尖山社区居委会,ok\n" +
		"2\n" +
		"3,\"临湘市\"x\"\",bad quote\n" +
		"4,\"临湘市\n长安街道\",multi-line field\n" +
		"5,临湘市詹桥镇,ok\n"
	out, errOut, err := runGeocodeT(t, in, "--tree", "linxiang", "--column", "地址")
	if err != nil {
		t.Fatal(err)
	}
	rows := readCSVOut(t, out)
	if len(rows) != 5 {
		t.Fatalf("%d rows:\n%s", len(rows), out)
	}
	if rows[0][col("code")] != "430682114001" || rows[0][col("line")] != "2" {
		t.Errorf("row 1: %v", rows[0])
	}
	if rows[1][col("error_code")] != civmap.EINVALID || rows[1][col("line")] != "3" {
		t.Errorf("short row: %v", rows[1])
	}
	if rows[2][col("error_code")] != civmap.EINVALID || !strings.Contains(rows[2][col("error")], "malformed CSV") {
		t.Errorf("bad quote: %v", rows[2])
	}
	if rows[3][col("code")] != "430682001" || rows[3][col("line")] != "5" {
		t.Errorf("multi-line field: %v", rows[3])
	}
	if rows[4][col("code")] != "430682110" {
		t.Errorf("last row: %v", rows[4])
	}
	if !strings.Contains(errOut, "5 rows") {
		t.Errorf("summary: %s", errOut)
	}

	if _, _, err := runGeocodeT(t, in, "--tree", "linxiang", "--column", "address"); civmap.ErrorCode(err) != civmap.EINVALID {
		t.Errorf("missing column: %v", err)
	}
	if _, _, err := runGeocodeT(t, "", "--tree", "linxiang", "--column", "address"); civmap.ErrorCode(err) != civmap.EINVALID {
		t.Errorf("empty CSV: %v", err)
	}
}

func TestGeocodeNational(t *testing.T) {
	out, errOut, err := runGeocodeT(t, "青海西宁\n朝阳区\n广东省东莞市虎门镇\n", "--format", "csv")
	if err != nil {
		t.Fatal(err)
	}
	rows := readCSVOut(t, out)
	if len(rows) != 3 || rows[0][col("code")] != "6301" || rows[1][col("ambiguous")] != "true" ||
		rows[1][col("candidates")] != "110105;220104" || rows[2][col("code")] != "441900121" {
		t.Errorf("rows: %v", rows)
	}
	if !strings.Contains(errOut, "ambiguous 1") {
		t.Errorf("summary: %s", errOut)
	}
}

func TestGeocodeFlags(t *testing.T) {
	for _, args := range [][]string{{"--format", "xml"}, {"--tree", "mars"}, {"a", "b"}} {
		if _, _, err := runGeocodeT(t, "", args...); civmap.ErrorCode(err) != civmap.EINVALID {
			t.Errorf("%v: %v, want EINVALID", args, err)
		}
	}
	if _, _, err := runGeocodeT(t, "", "--bogus"); err == nil {
		t.Error("unknown flag accepted")
	}
	if _, errOut, err := runGeocodeT(t, "", "-h"); !errors.Is(err, flag.ErrHelp) || !strings.Contains(errOut, "usage: civmap geocode") {
		t.Errorf("-h: %v %q", err, errOut)
	}
	if _, _, err := runGeocodeT(t, "", "--tree", "linxiang", filepath.Join(t.TempDir(), "missing.txt")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing file: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	var o, e bytes.Buffer
	if err := runGeocode(ctx, []string{"--tree", "linxiang"}, strings.NewReader(strings.Repeat("临湘市\n", 5000)), &o, &e); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: %v", err)
	}
}
