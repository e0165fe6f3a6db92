package qr

import (
	"fmt"
	"image"

	"github.com/makiuchi-d/gozxing"
	gzqr "github.com/makiuchi-d/gozxing/qrcode"
)

// Decoded is what Decode read from an image.
type Decoded struct {
	Payload []byte // the byte-mode segments concatenated: the exact bytes encoded
	Text    string // the decoder's text, read as UTF-8
	Level   string // error-correction level: "L", "M", "Q" or "H"
}

// Decode finds and decodes one QR code in img with gozxing, the Go port of ZXing (the decoder
// family of most Android scanner apps): hybrid binarizer, TRY_HARDER, byte mode read as UTF-8.
// Encode uses it to check every symbol before returning it; tests use it for round trips.
func Decode(img image.Image) (Decoded, error) {
	bmp, err := gozxing.NewBinaryBitmap(gozxing.NewHybridBinarizer(gozxing.NewLuminanceSourceFromImage(img)))
	if err != nil {
		return Decoded{}, err
	}
	hints := map[gozxing.DecodeHintType]any{
		gozxing.DecodeHintType_TRY_HARDER:    true,
		gozxing.DecodeHintType_CHARACTER_SET: "UTF-8",
	}
	res, err := gzqr.NewQRCodeReader().Decode(bmp, hints)
	if err != nil {
		return Decoded{}, err
	}
	out := Decoded{Text: res.GetText()}
	md := res.GetResultMetadata()
	if segs, ok := md[gozxing.ResultMetadataType_BYTE_SEGMENTS].([][]byte); ok {
		for _, s := range segs {
			out.Payload = append(out.Payload, s...)
		}
	}
	switch lv := md[gozxing.ResultMetadataType_ERROR_CORRECTION_LEVEL].(type) {
	case string:
		out.Level = lv
	case fmt.Stringer:
		out.Level = lv.String()
	}
	return out, nil
}

// checkPx are the pixels per module of the renderings Encode and WithLogo decode to check a
// code. A few symbols in a thousand carry a finder-like pattern in their data that ZXing's
// detector takes for a corner at some scales and not others; checking at several scales catches
// them (TestScaleSweep). Scales whose image would be over checkMaxPx pixels a side are skipped,
// so large symbols are checked at the small scales only.
var checkPx = [...]int{2, 3, 4, 5, 6, 8}

const checkMaxPx = 1000

// check renders c at each of checkPx and decodes it back. It returns how many scales gave the
// exact payload and level back, and how many were tried; the first scale (2 px per module)
// is always tried.
func (c *Code) check() (ok, tried int) {
	for i, px := range checkPx {
		if i > 0 && px*c.Width() > checkMaxPx {
			break
		}
		tried++
		img, err := c.Image(px)
		if err != nil {
			continue
		}
		d, err := Decode(img)
		if err == nil && string(d.Payload) == c.Payload && d.Level == c.Level.String() {
			ok++
		} else if i == 0 {
			return 0, tried // the smallest scale must decode
		}
	}
	return ok, tried
}
