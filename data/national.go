package data

import _ "embed" // for //go:embed

// NationalTSVGz is the path in FS of the national division tree: gzip-compressed UTF-8 text,
// one header line starting with "#", then one division a line, "code<TAB>official name", sorted
// by code as a string. It holds the 2023 statistical division codes of all 31 provinces, 342
// prefectures, 2,978 counties, 41,352 towns and 620,573 villages (665,276 rows). Generated from
// ../shared/data/divisions by geo/gazetteer/internal/gendivisions; provenance in README.md.
const NationalTSVGz = "divisions/national.tsv.gz"

// National holds the bytes of NationalTSVGz (about 4.8 MB compressed, 22 MB of text).
//
//go:embed divisions/national.tsv.gz
var National []byte
