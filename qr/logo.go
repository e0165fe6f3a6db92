package qr

import (
	"bytes"
	"fmt"
	"image"
	_ "image/jpeg" // logo files may be JPEG
	_ "image/png"  // or PNG
	"io"
	"math"

	"civmap"
)

// LogoMaxArea is the largest share of a symbol's area (quiet zone excluded) that a centre logo
// may cover, its white pad included: 20%, well inside the ~30% of codewords level H recovers.
const LogoMaxArea = 0.20

// MaxLogoBytes and MaxLogoPx bound a logo file: at most 2 MiB and 2048 px a side.
const (
	MaxLogoBytes = 2 << 20
	MaxLogoPx    = 2048
)

// Logo is an image drawn in the centre of a code on a white pad. Codes with a logo must be
// encoded at level H (ISO/IEC 18004 §7.5.1: ~30% of codewords recoverable).
type Logo struct {
	Image image.Image
	// Area is the share of the symbol's area (quiet zone excluded) the padded logo covers,
	// in (0, LogoMaxArea]; 0 means LogoMaxArea.
	Area float64
}

// ReadLogo decodes a PNG or JPEG logo of at most MaxLogoBytes and MaxLogoPx a side. Errors are
// EINVALID naming field "logo".
func ReadLogo(r io.Reader) (*Logo, error) {
	b, err := io.ReadAll(io.LimitReader(r, MaxLogoBytes+1))
	if err != nil {
		return nil, fmt.Errorf("qr: read logo: %w", err)
	}
	if len(b) > MaxLogoBytes {
		return nil, civmap.FieldErrorf("logo", "logo file is over %d bytes", MaxLogoBytes)
	}
	cfg, _, err := image.DecodeConfig(bytes.NewReader(b))
	if err != nil {
		return nil, civmap.FieldErrorf("logo", "logo is not a PNG or JPEG image: %v", err)
	}
	if cfg.Width < 1 || cfg.Height < 1 || cfg.Width > MaxLogoPx || cfg.Height > MaxLogoPx {
		return nil, civmap.FieldErrorf("logo", "logo is %d×%d px (at most %d px a side)", cfg.Width, cfg.Height, MaxLogoPx)
	}
	img, _, err := image.Decode(bytes.NewReader(b))
	if err != nil {
		return nil, civmap.FieldErrorf("logo", "logo image is damaged: %v", err)
	}
	return &Logo{Image: img}, nil
}

// WithLogo returns a copy of c with logo in its centre: the modules under the logo's square pad
// read as light (Dark, Runs), and renderers draw the logo image inside the pad, one module in
// from its edge. The pad is the largest centred square of whole modules, with the parity of the
// symbol's width so that it is exactly centred, whose area is at most logo.Area of the symbol's;
// when the code with the logo does not decode back (Decode, at the scales Encode checks), the
// pad shrinks by a module on each side until it does. Errors are EINVALID naming field "logo"
// when c is not level H, the area is outside (0, LogoMaxArea], or no pad of at least 5 modules
// leaves the code readable.
func (c *Code) WithLogo(logo *Logo) (*Code, error) {
	if logo == nil || logo.Image == nil {
		return nil, civmap.FieldErrorf("logo", "no logo image")
	}
	if c.Level != H {
		return nil, civmap.FieldErrorf("logo", "a code with a logo must use error-correction level H, not %s", c.Level)
	}
	area := logo.Area
	if area == 0 {
		area = LogoMaxArea
	}
	if !(area > 0 && area <= LogoMaxArea) {
		return nil, civmap.FieldErrorf("logo", "logo area %.3f is outside (0, %.2f] of the code", area, LogoMaxArea)
	}
	n := c.Modules()
	side := int(math.Floor(math.Sqrt(area) * float64(n)))
	if (n-side)%2 != 0 {
		side--
	}
	for ; side >= 5; side -= 2 {
		out := *c
		out.logo = logo
		out.logoSide = side
		out.logoStart = QuietZone + (n-side)/2
		if ok, tried := out.check(); ok == tried {
			return &out, nil
		}
	}
	return nil, civmap.FieldErrorf("logo", "the code is too small for a logo, or the logo makes it unreadable")
}

// LogoBox returns the logo's pad as the row/column of its first module (quiet zone included)
// and its side in modules; side is 0 when the code has no logo.
func (c *Code) LogoBox() (start, side int) { return c.logoStart, c.logoSide }

// Logo returns the code's logo, or nil.
func (c *Code) Logo() *Logo { return c.logo }

// inLogo reports whether the module at (row, col), quiet zone included, is under the logo pad.
func (c *Code) inLogo(row, col int) bool {
	return c.logoSide > 0 && row >= c.logoStart && row < c.logoStart+c.logoSide &&
		col >= c.logoStart && col < c.logoStart+c.logoSide
}

// LogoRect returns where the logo image goes inside the pad, in modules (quiet zone included):
// the pad less one module on each side, shrunk to the image's aspect ratio and centred.
func (c *Code) LogoRect() (x, y, w, h float64) {
	inner := float64(c.logoSide - 2)
	b := c.logo.Image.Bounds()
	iw, ih := float64(b.Dx()), float64(b.Dy())
	w, h = inner, inner
	if iw > ih {
		h = inner * ih / iw
	} else {
		w = inner * iw / ih
	}
	x = float64(c.logoStart+1) + (inner-w)/2
	y = float64(c.logoStart+1) + (inner-h)/2
	return x, y, w, h
}
