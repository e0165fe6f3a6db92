package data

import "io/fs"

// NationalTSVGz is the path in FS of the national division tree: gzip-compressed UTF-8 text,
// one header line starting with "#", then one division a line, "code<TAB>official name", sorted
// by code as a string. It holds the 2023 statistical division codes of all 31 provinces, 342
// prefectures, 2,978 counties, 41,352 towns and 620,573 villages (665,276 rows; 4.8 MB
// compressed, 22 MB of text). Generated from ../shared/data/divisions by
// geo/gazetteer/internal/gendivisions; provenance in README.md.
//
// The file is embedded through FS with the rest of divisions/ (data.go); it has no //go:embed
// of its own, which would store its 4.8 MB a second time in the binary.
const NationalTSVGz = "divisions/national.tsv.gz"

// OpenNational opens NationalTSVGz in FS. The file also implements io.ReaderAt and io.Seeker.
func OpenNational() (fs.File, error) { return FS.Open(NationalTSVGz) }
