package gazetteer

import (
	"strings"
	"unicode/utf8"

	"github.com/paulmach/orb"

	"civmap"
)

// Limits on geocoder input. The HTTP layer and the CLI apply them; Geocode itself turns an
// over-long address into a per-item error rather than reading it.
const (
	// MaxAddressBytes is the longest address accepted, in bytes of UTF-8 (about 340 Chinese
	// characters; real addresses are under 100). Longer ones get a per-item ETOOLARGE error.
	MaxAddressBytes = 1024
	// MaxBatch is the most addresses one batch request (GeocodeBatch, POST /api/v1/geocode) may
	// hold; a larger batch is refused whole with ETOOLARGE (HTTP 413).
	MaxBatch = 1000
	// MaxBatchBytes bounds the body of a batch request: MaxBatch addresses of MaxAddressBytes
	// each, JSON-quoted, with room for escapes. A larger body is refused whole (HTTP 413).
	MaxBatchBytes = MaxBatch * (MaxAddressBytes*2 + 16)
	// MaxCandidates is the most candidates one Result lists; CandidateCount has the full number.
	MaxCandidates = 100
)

// Result is the geocoder's answer for one address. It marshals to JSON with snake_case names;
// Level marshals as its name ("village"), Point as [lon, lat].
type Result struct {
	// Input is the address as given (invalid UTF-8 replaced by U+FFFD; an over-long input cut at
	// MaxAddressBytes and marked with "…").
	Input string `json:"input"`
	// Code is the deepest division the text justifies: 2, 4, 6, 9 or 12 digits; "" when nothing
	// matched or when same-named candidates have no common ancestor (different provinces).
	Code  string `json:"code"`
	Name  string `json:"name,omitempty"`  // official name of Code
	Level Level  `json:"level,omitempty"` // level of Code, 0 when Code is ""
	// Confidence in Code, 0…1: 1 for a complete consistent chain of typed names; lowered for a
	// name without parents, a bare stem (羊楼司 for 羊楼司镇), unexplained text before the last
	// match, a typo, a conflict and ambiguity. 0 when nothing matched.
	Confidence float64 `json:"confidence"`
	// Spans lists which part of Input matched each level, top level first; spans never overlap
	// and follow the hierarchy.
	Spans []Span `json:"spans,omitempty"`
	// Candidates lists the same-named divisions when the text does not choose between them
	// (Ambiguous); Code is then their deepest common ancestor. At most MaxCandidates, in code
	// order.
	Candidates     []Entry `json:"candidates,omitempty"`
	CandidateCount int     `json:"candidate_count,omitempty"` // all candidates, listed or not
	Ambiguous      bool    `json:"ambiguous"`
	// Conflict is set when a name in the text contradicts the chosen chain (a county that is not
	// in the named province); the geocoder follows the deeper consistent chain.
	Conflict bool `json:"conflict"`
	// Fuzzy is set when a name was matched with one wrong, missing or extra character, among the
	// children of an already resolved parent only.
	Fuzzy bool `json:"fuzzy"`
	// Point is WGS-84 [lon, lat] in degrees: Code's own point if it has one, else its nearest
	// ancestor's; nil when none has one.
	Point       *orb.Point         `json:"point,omitempty"`
	CoordSource civmap.CoordSource `json:"coord_source,omitempty"` // where Point came from
	Precision   civmap.Precision   `json:"precision,omitempty"`    // the precision of the division Point belongs to
	PointCode   string             `json:"point_code,omitempty"`   // the division Point belongs to
	// Error is a per-item error message (empty, too long, invalid UTF-8); ErrorCode is its
	// civmap error code (EINVALID "invalid" or ETOOLARGE "too_large"). Both are "" on success,
	// including when nothing matched.
	Error     string `json:"error,omitempty"`
	ErrorCode string `json:"error_code,omitempty"`
}

// Span says which part of Result.Input matched one level. Start and End are byte offsets into
// Input (Input[Start:End] == Text), not rune offsets.
type Span struct {
	Level Level  `json:"level"`
	Code  string `json:"code"` // the division matched; "" where the candidates differ at this span
	Start int    `json:"start"`
	End   int    `json:"end"`
	Text  string `json:"text"`
}

// Resolved reports whether the result names a division without error.
func (r Result) Resolved() bool { return r.Error == "" && r.Code != "" }

// CheckAddress returns the per-item error for an address the geocoder will not read: EINVALID
// for an empty (or all-space) string or invalid UTF-8, ETOOLARGE for one over MaxAddressBytes.
// It returns nil for an acceptable address.
func CheckAddress(text string) error {
	switch {
	case len(text) > MaxAddressBytes:
		return civmap.Errorf(civmap.ETOOLARGE, "address is %d bytes, over the limit of %d", len(text), MaxAddressBytes)
	case !utf8.ValidString(text):
		return civmap.Errorf(civmap.EINVALID, "address is not valid UTF-8")
	case strings.TrimSpace(text) == "":
		return civmap.Errorf(civmap.EINVALID, "address is empty")
	}
	return nil
}

// ErrorResult returns the Result for an address refused with err (see CheckAddress).
func ErrorResult(text string, err error) Result {
	in := text
	if len(in) > MaxAddressBytes {
		cut := MaxAddressBytes
		for cut > 0 && !utf8.RuneStart(in[cut]) {
			cut--
		}
		in = in[:cut] + "…"
	}
	return Result{
		Input:     strings.ToValidUTF8(in, "\uFFFD"),
		Error:     civmap.ErrorMessage(err),
		ErrorCode: civmap.ErrorCode(err),
	}
}

// GeocodeBatch geocodes each address in texts; a bad address gets its own per-item error and
// the others still resolve. It returns an ETOOLARGE *civmap.Error, and no results, when texts
// holds more than MaxBatch addresses.
func (g *Gazetteer) GeocodeBatch(texts []string) ([]Result, error) {
	if len(texts) > MaxBatch {
		return nil, civmap.Errorf(civmap.ETOOLARGE, "batch holds %d addresses, over the limit of %d", len(texts), MaxBatch)
	}
	out := make([]Result, len(texts))
	for i, t := range texts {
		out[i] = g.Geocode(t)
	}
	return out, nil
}
