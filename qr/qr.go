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
}

// Encode encodes payload (UTF-8 text, 1–MaxPayload bytes) in byte mode at level. Errors are
// EINVALID for an empty payload, ETOOLARGE for one over MaxPayload bytes, and EINVALID for
// invalid UTF-8.
func Encode(payload string, level Level) (*Code, error) {
	switch {
	case payload == "":
		return nil, civmap.FieldErrorf("payload", "nothing to encode")
	case len(payload) > MaxPayload:
		return nil, &civmap.Error{Code: civmap.ETOOLARGE, Field: "payload",
			Message: fmt.Sprintf("payload has %d bytes (at most %d)", len(payload), MaxPayload)}
	case !utf8.ValidString(payload):
		return nil, civmap.FieldErrorf("payload", "payload is not valid UTF-8")
	}
	ec := [...]qrcode.EncodeOption{
		qrcode.WithErrorCorrectionLevel(qrcode.ErrorCorrectionLow),
		qrcode.WithErrorCorrectionLevel(qrcode.ErrorCorrectionMedium),
		qrcode.WithErrorCorrectionLevel(qrcode.ErrorCorrectionQuart),
		qrcode.WithErrorCorrectionLevel(qrcode.ErrorCorrectionHighest),
	}[level]
	sym, err := qrcode.NewWith(payload, qrcode.WithEncodingMode(qrcode.EncModeByte), ec)
	if err != nil {
		return nil, fmt.Errorf("qr: encode %d bytes at %s: %w", len(payload), level, err)
	}
	var cw captureWriter
	if err := sym.Save(&cw); err != nil {
		return nil, fmt.Errorf("qr: %w", err)
	}
	n := len(cw.bitmap)
	if n < 21 || (n-17)%4 != 0 {
		return nil, fmt.Errorf("qr: symbol of %d modules is not a QR version", n)
	}
	return &Code{Payload: payload, Level: level, Version: (n - 17) / 4, modules: cw.bitmap}, nil
}

type captureWriter struct{ bitmap [][]bool }

func (w *captureWriter) Write(m qrcode.Matrix) error { w.bitmap = m.Bitmap(); return nil }
func (w *captureWriter) Close() error                { return nil }

// Modules is the symbol's width in modules, without the quiet zone (17 + 4·Version).
func (c *Code) Modules() int { return len(c.modules) }

// Width is the symbol's width in modules including the quiet zone on both sides.
func (c *Code) Width() int { return len(c.modules) + 2*QuietZone }

// Dark reports whether the module at (row, col) is dark; coordinates include the quiet zone,
// so 0 ≤ row, col < Width(), and the quiet zone is always light.
func (c *Code) Dark(row, col int) bool {
	row, col = row-QuietZone, col-QuietZone
	if row < 0 || col < 0 || row >= len(c.modules) || col >= len(c.modules) {
		return false
	}
	return c.modules[row][col]
}
