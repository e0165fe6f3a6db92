package importer

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"path/filepath"
	"strconv"
	"strings"
	"unicode/utf8"

	"civmap"

	"github.com/xuri/excelize/v2"
	"golang.org/x/text/encoding/simplifiedchinese"
)

// Row is one record of an import file, its cells by column (see Columns), with where it came
// from.
type Row struct {
	Line   int               // 1-based: the CSV line, the XLSX row, or the GeoJSON feature number
	Fields map[string]string // column → trimmed cell text; lon/lat from a GeoJSON geometry too
}

// Columns are the canonical column names, each with the headers that name it (English or
// Chinese, case-insensitive).
var Columns = map[string][]string{
	"code":    {"code", "编码", "代码", "编号", "阵地编码", "区划代码"},
	"name":    {"name", "名称", "阵地名称"},
	"kind":    {"kind", "type", "类型", "类别", "阵地类型"},
	"level":   {"level", "层级", "级别"},
	"parent":  {"parent", "parent_code", "site_code", "上级", "上级编码", "所属阵地", "所属"},
	"address": {"address", "地址"},
	"lon":     {"lon", "lng", "longitude", "经度"},
	"lat":     {"lat", "latitude", "纬度"},
	"crs":     {"crs", "坐标系"},
}

// schema is what one kind of import file holds: its columns with the headers that name each,
// the columns every file of the kind must have, and the headers of columns that are recognised
// only to be dropped (their cells are never read).
type schema struct {
	columns  map[string][]string
	required []string
	dropped  []string
}

// siteSchema is the file of sites and venues (Import).
var siteSchema = schema{columns: Columns, required: []string{"code", "name"}}

func normHeader(h string) string {
	return strings.ToLower(strings.TrimSpace(strings.TrimPrefix(h, "\ufeff")))
}

// column returns the column a header names, or "" (an unknown or dropped column); dropped
// reports a header of a dropped column.
func (sc schema) column(header string) (col string, dropped bool) {
	h := normHeader(header)
	for c, names := range sc.columns {
		for _, n := range names {
			if h == n {
				return c, false
			}
		}
	}
	for _, n := range sc.dropped {
		if h == n {
			return "", true
		}
	}
	return "", false
}

// MaxFileBytes bounds an import file (64 MiB): larger files are refused with ETOOLARGE.
const MaxFileBytes = 64 << 20

// ReadFile parses the rows of an import file. The format comes from format ("csv", "xlsx",
// "geojson") or, when empty, from the name's extension (.csv, .txt, .xlsx, .geojson, .json).
// CSV text is UTF-8 (with or without BOM) or GBK/GB18030 as Excel in China saves it: detected
// (not valid UTF-8 → GB18030) unless encoding names it ("utf-8", "gbk", "gb18030"). Errors are
// EINVALID for an unreadable file or header, naming the file.
func ReadFile(name string, data []byte, format, encoding string) ([]Row, error) {
	rows, _, err := readRows(name, data, format, encoding, siteSchema)
	return rows, err
}

// fileFormat is the format of a file: format when set, else from the name's extension.
func fileFormat(name, format string) (string, error) {
	if format != "" {
		return format, nil
	}
	switch strings.ToLower(filepath.Ext(name)) {
	case ".csv", ".txt":
		return "csv", nil
	case ".xlsx":
		return "xlsx", nil
	case ".geojson", ".json":
		return "geojson", nil
	}
	return "", civmap.FieldErrorf("format", "%s: unknown file type %q (want .csv, .xlsx or .geojson, or --format)", name, filepath.Ext(name))
}

// readRows is ReadFile for the columns of sc; it also returns the headers of the dropped
// columns the file had, as written.
func readRows(name string, data []byte, format, encoding string, sc schema) ([]Row, []string, error) {
	if len(data) > MaxFileBytes {
		return nil, nil, civmap.Errorf(civmap.ETOOLARGE, "%s is %d bytes, over the limit of %d", name, len(data), MaxFileBytes)
	}
	format, err := fileFormat(name, format)
	if err != nil {
		return nil, nil, err
	}
	switch format {
	case "csv", "xlsx":
		var cols, dropped []string
		var rows []Row
		err := readTable(data, format, encoding, func(header []string) error {
			var err error
			cols, dropped, err = sc.headerColumns(header)
			return err
		}, func(line int, rec []string) {
			if row, ok := makeRow(line, cols, rec); ok {
				rows = append(rows, row)
			}
		})
		if err != nil {
			return nil, nil, err
		}
		return rows, dropped, nil
	case "geojson":
		rows, err := readGeoJSON(data, sc)
		return rows, nil, err
	}
	return nil, nil, civmap.FieldErrorf("format", "unknown format %q (want csv, xlsx or geojson)", format)
}

// readTable reads a CSV or XLSX table: header gets the first record (an error stops the
// reading and is returned), row every later record with its line (CSV) or row (XLSX) number.
func readTable(data []byte, format, encoding string, header func([]string) error, row func(line int, rec []string)) error {
	if format == "xlsx" {
		return readXLSX(data, header, row)
	}
	text, err := decodeText(data, encoding)
	if err != nil {
		return err
	}
	return readCSV(text, header, row)
}

// decodeText returns data as UTF-8 text.
func decodeText(data []byte, encoding string) (string, error) {
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	switch strings.ToLower(strings.ReplaceAll(encoding, "-", "")) {
	case "":
		if utf8.Valid(data) {
			return string(data), nil
		}
		fallthrough
	case "gbk", "gb18030", "gb2312", "cp936":
		out, err := simplifiedchinese.GB18030.NewDecoder().Bytes(data)
		if err != nil {
			return "", civmap.FieldErrorf("encoding", "the file is neither UTF-8 nor GBK/GB18030: %v", err)
		}
		return string(out), nil
	case "utf8":
		if !utf8.Valid(data) {
			return "", civmap.FieldErrorf("encoding", "the file is not valid UTF-8 (try --encoding gbk)")
		}
		return string(data), nil
	}
	return "", civmap.FieldErrorf("encoding", "unknown encoding %q (want utf-8, gbk or gb18030)", encoding)
}

func readCSV(text string, header func([]string) error, row func(int, []string)) error {
	r := csv.NewReader(strings.NewReader(text))
	r.FieldsPerRecord = -1
	r.TrimLeadingSpace = true
	h, err := r.Read()
	if err == io.EOF {
		return civmap.FieldErrorf("header", "the file is empty")
	} else if err != nil {
		return civmap.FieldErrorf("header", "line 1: %v", err)
	}
	if err := header(h); err != nil {
		return err
	}
	for {
		rec, err := r.Read()
		if err == io.EOF {
			return nil
		}
		line, _ := r.FieldPos(0)
		if err != nil {
			return civmap.FieldErrorf("line", "line %d: %v", line, err)
		}
		row(line, rec)
	}
}

// headerColumns maps the header's cells to columns ("" for an unknown or dropped column) and
// returns the dropped columns' headers as written.
func (sc schema) headerColumns(header []string) (cols, dropped []string, err error) {
	cols = make([]string, len(header))
	seen := map[string]bool{}
	for i, h := range header {
		c, drop := sc.column(h)
		if drop {
			dropped = append(dropped, strings.TrimSpace(strings.TrimPrefix(h, "\ufeff")))
		}
		if c != "" && seen[c] {
			return nil, nil, civmap.FieldErrorf("header", "two columns name %s (%q)", c, h)
		}
		seen[c] = true
		cols[i] = c
	}
	for _, req := range sc.required {
		if !seen[req] {
			return nil, nil, civmap.FieldErrorf("header", "no %s column (headers: %s)", req, strings.Join(sc.columns[req], ", "))
		}
	}
	return cols, dropped, nil
}

// makeRow maps a record's cells to columns; blank records are skipped.
func makeRow(line int, cols, rec []string) (Row, bool) {
	row := Row{Line: line, Fields: map[string]string{}}
	blank := true
	for i, v := range rec {
		v = strings.TrimSpace(v)
		if v != "" {
			blank = false
		}
		if i < len(cols) && cols[i] != "" {
			row.Fields[cols[i]] = v
		}
	}
	return row, !blank
}

func readXLSX(data []byte, header func([]string) error, row func(int, []string)) error {
	f, err := excelize.OpenReader(bytes.NewReader(data))
	if err != nil {
		return civmap.FieldErrorf("format", "not a readable XLSX workbook: %v", err)
	}
	defer f.Close()
	sheets := f.GetSheetList()
	if len(sheets) == 0 {
		return civmap.FieldErrorf("header", "the workbook has no sheet")
	}
	// Raw values: a coordinate shown with fewer decimals must not lose them.
	recs, err := f.GetRows(sheets[0], excelize.Options{RawCellValue: true})
	if err != nil {
		return civmap.FieldErrorf("format", "sheet %s: %v", sheets[0], err)
	}
	if len(recs) == 0 {
		return civmap.FieldErrorf("header", "sheet %s is empty", sheets[0])
	}
	if err := header(recs[0]); err != nil {
		return err
	}
	for i, rec := range recs[1:] {
		row(i+2, rec)
	}
	return nil
}

func readGeoJSON(data []byte, sc schema) ([]Row, error) {
	var fc struct {
		Type     string `json:"type"`
		Features []struct {
			Geometry *struct {
				Type        string          `json:"type"`
				Coordinates json.RawMessage `json:"coordinates"`
			} `json:"geometry"`
			Properties map[string]any `json:"properties"`
		} `json:"features"`
	}
	if err := json.Unmarshal(data, &fc); err != nil || fc.Type != "FeatureCollection" {
		return nil, civmap.FieldErrorf("format", "not a GeoJSON FeatureCollection (%v)", err)
	}
	var rows []Row
	for i, f := range fc.Features {
		row := Row{Line: i + 1, Fields: map[string]string{}}
		for k, v := range f.Properties {
			c, _ := sc.column(k)
			if c == "" || v == nil {
				continue
			}
			switch v := v.(type) {
			case string:
				row.Fields[c] = strings.TrimSpace(v)
			case float64:
				row.Fields[c] = strconv.FormatFloat(v, 'f', -1, 64)
			default:
				row.Fields[c] = fmt.Sprint(v)
			}
		}
		if g := f.Geometry; g != nil {
			if g.Type != "Point" {
				row.Fields["geometry"] = g.Type
			} else {
				var c []float64
				if err := json.Unmarshal(g.Coordinates, &c); err != nil || len(c) < 2 {
					row.Fields["geometry"] = "bad Point"
				} else {
					row.Fields["lon"] = strconv.FormatFloat(c[0], 'f', -1, 64)
					row.Fields["lat"] = strconv.FormatFloat(c[1], 'f', -1, 64)
				}
			}
		}
		rows = append(rows, row)
	}
	return rows, nil
}
