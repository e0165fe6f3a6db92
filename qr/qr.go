// Package qr makes civmap's QR codes: byte-mode symbols (ISO/IEC 18004) of a site page URL,
// rendered as PNG with a whole number of pixels per module or as SVG drawn from rectangles,
// always with the standard 4-module quiet zone. The symbol itself comes from
// github.com/yeqown/go-qrcode/v2; this package chooses its options and draws it.
package qr

import (
	"fmt"
	"unicode/utf8"

	"civmap"

	qrcode "github.com/yeqown/go-qrcode/v2"
)

// Level is an error-correction level (ISO/IEC 18004 §7.5.1).
type Level int

const (
	L Level = iota // recovers ~7% of codewords
	M              // ~15%
	Q              // ~25%: the default, for posters that fade and get dirty
	H              // ~30%: with a centre logo
)

// String returns "L", "M", "Q" or "H".
func (l Level) String() string { return [...]string{"L", "M", "Q", "H"}[l] }

// ParseLevel parses "L", "M", "Q" or "H" (EINVALID otherwise, naming field "ec").
func ParseLevel(s string) (Level, error) {
	switch s {
	case "L", "l":
		return L, nil
	case "M", "m":
		return M, nil
	case "Q", "q":
		return Q, nil
	case "H", "h":
		return H, nil
	}
	return 0, civmap.FieldErrorf("ec", "error-correction level %q is not one of L, M, Q, H", s)
}

// QuietZone is the light margin around the symbol, in modules (ISO/IEC 18004 §6.3.8).
const QuietZone = 4

// MaxPayload is the longest payload accepted, in bytes: the byte-mode capacity of version 40 at
// level H (ISO/IEC 18004 Table 7), so any payload fits at every level.
const MaxPayload = 1273

// Code is an encoded QR symbol.
type Code struct {
	Payload string
	Level   Level
	Version int      // 1–40
	modules [][]bool // [row][col], true = dark, without the quiet zone

	logo      *Logo // centre logo, see WithLogo
	logoStart int   // first row and column of the logo pad, quiet zone included
	logoSide  int   // side of the logo pad in modules; 0 without a logo
}

// Encode encodes payload (UTF-8 text, 1–MaxPayload bytes) as one byte-mode segment at level,
// in the smallest version whose capacity (ByteCapacity, ISO/IEC 18004 Table 7) holds it and
// whose renderings decode back to the payload with Decode (else up to maxVersionBump versions
// larger; about 3% of random payloads, see below). The
// bytes are the payload's UTF-8 encoding, with no ECI header: decoders (WeChat, ZXing, zbar)
// read byte mode as UTF-8 when it is valid UTF-8. Errors are EINVALID (field "payload") for an
// empty payload or invalid UTF-8 and ETOOLARGE for one over MaxPayload bytes; anything else is a
// failure of the symbol library (EINTERNAL).
func Encode(payload string, level Level) (*Code, error) {
	switch {
	case payload == "":
		return nil, civmap.FieldErrorf("payload", "nothing to encode")
	case len(payload) > MaxPayload:
		return nil, &civmap.Error{Code: civmap.ETOOLARGE, Field: "payload",
			Message: fmt.Sprintf("payload has %d bytes (at most %d)", len(payload), MaxPayload)}
	case !utf8.ValidString(payload):
		return nil, civmap.FieldErrorf("payload", "payload is not valid UTF-8")
	case level < L || level > H:
		return nil, civmap.FieldErrorf("ec", "unknown error-correction level %d", int(level))
	}
	version, err := MinVersion(len(payload), level)
	if err != nil {
		return nil, err
	}
	// The version is chosen here from the standard's table rather than by the library, so that
	// the symbol is never larger than the payload needs. Each symbol is then decoded back from
	// renderings at several scales (check): a few symbols, through the finder-like patterns their
	// mask leaves in the data, defeat ZXing's detector at some scales (found by the round-trip
	// tests and FuzzRoundTrip); for those a larger version, which lays the data out differently,
	// is used. When no version up to maxVersionBump larger decodes at every scale (seen only for
	// versions near 40, where there is no room), the one decoding at the most scales is kept, as
	// long as it decodes at 2 pixels per module.
	var best *Code
	bestOK := 0
	for v := version; v <= min(40, version+maxVersionBump); v++ {
		c, err := encodeVersion(payload, level, v)
		if err != nil {
			return nil, err
		}
		ok, tried := c.check()
		if ok == tried {
			return c, nil
		}
		if ok > bestOK {
			best, bestOK = c, ok
		}
	}
	if best == nil {
		return nil, fmt.Errorf("qr: encode %d bytes at %s: no version from %d decodes back", len(payload), level, version)
	}
	return best, nil
}

// maxVersionBump is how many versions above the smallest Encode tries for a symbol that
// decodes back.
const maxVersionBump = 3

func encodeVersion(payload string, level Level, version int) (*Code, error) {
	ec := [...]qrcode.EncodeOption{
		qrcode.WithErrorCorrectionLevel(qrcode.ErrorCorrectionLow),
		qrcode.WithErrorCorrectionLevel(qrcode.ErrorCorrectionMedium),
		qrcode.WithErrorCorrectionLevel(qrcode.ErrorCorrectionQuart),
		qrcode.WithErrorCorrectionLevel(qrcode.ErrorCorrectionHighest),
	}[level]
	sym, err := qrcode.NewWith(payload, qrcode.WithEncodingMode(qrcode.EncModeByte), ec, qrcode.WithVersion(version))
	if err != nil {
		return nil, fmt.Errorf("qr: encode %d bytes at %s: %w", len(payload), level, err)
	}
	var cw captureWriter
	if err := sym.Save(&cw); err != nil {
		return nil, fmt.Errorf("qr: %w", err)
	}
	n := len(cw.bitmap)
	if n != 17+4*version {
		return nil, fmt.Errorf("qr: symbol of %d modules, want version %d (%d modules)", n, version, 17+4*version)
	}
	return &Code{Payload: payload, Level: level, Version: version, modules: cw.bitmap}, nil
}

type captureWriter struct{ bitmap [][]bool }

func (w *captureWriter) Write(m qrcode.Matrix) error { w.bitmap = m.Bitmap(); return nil }
func (w *captureWriter) Close() error                { return nil }

// Modules is the symbol's width in modules, without the quiet zone (17 + 4·Version).
func (c *Code) Modules() int { return len(c.modules) }

// Width is the symbol's width in modules including the quiet zone on both sides.
func (c *Code) Width() int { return len(c.modules) + 2*QuietZone }

// Dark reports whether the module at (row, col) is dark; coordinates include the quiet zone,
// so 0 ≤ row, col < Width(), and the quiet zone and a logo's pad are always light.
func (c *Code) Dark(row, col int) bool {
	if c.inLogo(row, col) {
		return false
	}
	row, col = row-QuietZone, col-QuietZone
	if row < 0 || col < 0 || row >= len(c.modules) || col >= len(c.modules) {
		return false
	}
	return c.modules[row][col]
}
