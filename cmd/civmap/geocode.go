package main

import (
	"bufio"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"civmap"
	"civmap/geo/gazetteer"
)

const geocodeUsage = `usage: civmap geocode [--tree national|linxiang] [--format csv|jsonl] [--column NAME] [FILE]

Geocodes Chinese addresses offline against the 2023 division tree: one address per line of FILE
(or standard input when FILE is absent or "-"), or with --column the named column of a CSV file
with a header row. Writes one output row per input row, in order, to standard output: CSV with a
header, or JSON lines (the gazetteer.Result fields plus "line"). A bad row (empty, over %d
bytes, invalid UTF-8, malformed CSV) gets its error in its own row and the run goes on. A summary
of how many rows resolved to each level goes to standard error.

CSV columns: line, input, code, name, level, confidence, ambiguous, conflict, fuzzy,
candidate_count, candidates (codes joined by ";"), lon, lat (WGS-84 degrees, empty when no point
is known), coord_source, precision, error_code, error.

flags:
`

// geocodeCSVHeader is the header row of --format csv.
var geocodeCSVHeader = []string{"line", "input", "code", "name", "level", "confidence", "ambiguous", "conflict", "fuzzy",
	"candidate_count", "candidates", "lon", "lat", "coord_source", "precision", "error_code", "error"}

// geocodeRow is one output row of --format jsonl.
type geocodeRow struct {
	Line int `json:"line"` // 1-based line of the input file the address was read from
	gazetteer.Result
}

// runGeocode implements `civmap geocode`; see geocodeUsage. It returns flag.ErrHelp for -h, an
// EINVALID *civmap.Error for bad flags or a missing CSV column, and I/O errors; per-row problems
// are written into the output instead.
func runGeocode(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("geocode", flag.ContinueOnError)
	fs.SetOutput(stderr)
	tree := fs.String("tree", "national", "division tree: national (all of China, ~1 s to load) or linxiang (Linxiang county only)")
	format := fs.String("format", "csv", "output format: csv or jsonl")
	column := fs.String("column", "", "read addresses from this column of a CSV file with a header row")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), geocodeUsage, gazetteer.MaxAddressBytes)
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *format != "csv" && *format != "jsonl" {
		return civmap.Errorf(civmap.EINVALID, "geocode: unknown --format %q (want csv or jsonl)", *format)
	}
	if fs.NArg() > 1 {
		return civmap.Errorf(civmap.EINVALID, "geocode: want at most one input file, got %d", fs.NArg())
	}
	var g *gazetteer.Gazetteer
	var err error
	switch *tree {
	case "national":
		g, err = gazetteer.National()
	case "linxiang":
		g, err = gazetteer.Linxiang()
	default:
		return civmap.Errorf(civmap.EINVALID, "geocode: unknown --tree %q (want national or linxiang)", *tree)
	}
	if err != nil {
		return err
	}

	in := stdin
	if name := fs.Arg(0); name != "" && name != "-" {
		f, err := os.Open(name)
		if err != nil {
			return err
		}
		defer f.Close()
		in = f
	}

	bw := bufio.NewWriterSize(stdout, 64<<10)
	out := newGeocodeWriter(bw, *format)
	var sum geocodeSummary
	emit := func(line int, r gazetteer.Result) error {
		sum.add(r)
		return out.write(line, r)
	}
	if *column != "" {
		err = geocodeCSV(ctx, g, in, *column, emit)
	} else {
		err = geocodeLines(ctx, g, in, emit)
	}
	if ferr := out.flush(); err == nil {
		err = ferr
	}
	if ferr := bw.Flush(); err == nil {
		err = ferr
	}
	fmt.Fprintln(stderr, sum.String())
	return err
}

// geocodeLines geocodes one address per line. Lines longer than MaxAddressBytes are not read
// into memory whole; they get an ETOOLARGE row.
func geocodeLines(ctx context.Context, g *gazetteer.Gazetteer, in io.Reader, emit func(int, gazetteer.Result) error) error {
	br := bufio.NewReaderSize(in, 64<<10)
	var buf []byte
	for line := 1; ; line++ {
		if line%1024 == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		buf = buf[:0]
		size := 0
		var err error
		var frag []byte
		for {
			frag, err = br.ReadSlice('\n')
			size += len(frag)
			if room := gazetteer.MaxAddressBytes + 2 - len(buf); room > 0 {
				buf = append(buf, frag[:min(len(frag), room)]...)
			}
			if !errors.Is(err, bufio.ErrBufferFull) {
				break
			}
		}
		if err != nil && !errors.Is(err, io.EOF) {
			return err
		}
		if size == 0 && errors.Is(err, io.EOF) {
			return nil
		}
		// The line ending is not part of the address.
		switch {
		case strings.HasSuffix(string(frag), "\r\n"):
			size -= 2
		case strings.HasSuffix(string(frag), "\n"):
			size--
		}
		text := string(buf)
		if len(text) > size {
			text = text[:size]
		}
		var r gazetteer.Result
		if size > gazetteer.MaxAddressBytes {
			r = gazetteer.ErrorResult(text, civmap.Errorf(civmap.ETOOLARGE, "address is %d bytes, over the limit of %d", size, gazetteer.MaxAddressBytes))
		} else {
			r = g.Geocode(text)
		}
		if werr := emit(line, r); werr != nil {
			return werr
		}
		if errors.Is(err, io.EOF) {
			return nil
		}
	}
}

// geocodeCSV geocodes the named column of a CSV file with a header row.
func geocodeCSV(ctx context.Context, g *gazetteer.Gazetteer, in io.Reader, column string, emit func(int, gazetteer.Result) error) error {
	cr := csv.NewReader(in)
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = true
	head, err := cr.Read()
	if err != nil {
		if errors.Is(err, io.EOF) {
			return civmap.Errorf(civmap.EINVALID, "geocode: the CSV input is empty (want a header row naming column %q)", column)
		}
		return civmap.Errorf(civmap.EINVALID, "geocode: reading the CSV header: %v", err)
	}
	col := -1
	for i, h := range head {
		if strings.TrimSpace(strings.TrimPrefix(h, "\ufeff")) == column {
			col = i
			break
		}
	}
	if col < 0 {
		return civmap.Errorf(civmap.EINVALID, "geocode: column %q is not in the CSV header %q", column, head)
	}
	for n := 0; ; n++ {
		if n%1024 == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			return nil
		}
		var r gazetteer.Result
		line := 0
		var pe *csv.ParseError
		switch {
		case errors.As(err, &pe):
			line = pe.StartLine
			r = gazetteer.ErrorResult("", civmap.Errorf(civmap.EINVALID, "malformed CSV: %v", pe.Err))
		case err != nil:
			return err
		case col >= len(rec):
			line, _ = cr.FieldPos(0)
			r = gazetteer.ErrorResult("", civmap.Errorf(civmap.EINVALID, "row has %d fields, no column %q", len(rec), column))
		default:
			line, _ = cr.FieldPos(col)
			r = g.Geocode(rec[col])
		}
		if err := emit(line, r); err != nil {
			return err
		}
	}
}

// geocodeWriter writes rows as CSV or JSON lines.
type geocodeWriter struct {
	csv  *csv.Writer
	json *json.Encoder
}

func newGeocodeWriter(w io.Writer, format string) *geocodeWriter {
	if format == "jsonl" {
		enc := json.NewEncoder(w)
		enc.SetEscapeHTML(false)
		return &geocodeWriter{json: enc}
	}
	cw := csv.NewWriter(w)
	_ = cw.Write(geocodeCSVHeader) // errors surface at flush
	return &geocodeWriter{csv: cw}
}

func (w *geocodeWriter) write(line int, r gazetteer.Result) error {
	if w.json != nil {
		return w.json.Encode(geocodeRow{Line: line, Result: r})
	}
	var cands []string
	for _, c := range r.Candidates {
		cands = append(cands, c.Code)
	}
	lon, lat := "", ""
	if r.Point != nil {
		lon = strconv.FormatFloat(r.Point[0], 'f', -1, 64)
		lat = strconv.FormatFloat(r.Point[1], 'f', -1, 64)
	}
	return w.csv.Write([]string{
		strconv.Itoa(line), r.Input, r.Code, r.Name, r.Level.String(), strconv.FormatFloat(r.Confidence, 'f', -1, 64),
		strconv.FormatBool(r.Ambiguous), strconv.FormatBool(r.Conflict), strconv.FormatBool(r.Fuzzy),
		strconv.Itoa(r.CandidateCount), strings.Join(cands, ";"), lon, lat, string(r.CoordSource), string(r.Precision),
		r.ErrorCode, r.Error,
	})
}

func (w *geocodeWriter) flush() error {
	if w.csv != nil {
		w.csv.Flush()
		return w.csv.Error()
	}
	return nil
}

// geocodeSummary counts results by the level they resolved to.
type geocodeSummary struct {
	total, unresolved, ambiguous, conflict, fuzzy, errors int
	byLevel                                               [6]int
}

func (s *geocodeSummary) add(r gazetteer.Result) {
	s.total++
	switch {
	case r.Error != "":
		s.errors++
		return
	case r.Code == "":
		s.unresolved++
	case r.Level.Valid():
		s.byLevel[r.Level]++
	}
	if r.Ambiguous {
		s.ambiguous++
	}
	if r.Conflict {
		s.conflict++
	}
	if r.Fuzzy {
		s.fuzzy++
	}
}

func (s *geocodeSummary) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "geocode: %d rows:", s.total)
	for l := gazetteer.LevelVillage; l >= gazetteer.LevelProvince; l-- {
		fmt.Fprintf(&b, " %s %d,", l, s.byLevel[l])
	}
	fmt.Fprintf(&b, " unresolved %d, errors %d; ambiguous %d, conflict %d, fuzzy %d", s.unresolved, s.errors, s.ambiguous, s.conflict, s.fuzzy)
	return b.String()
}
