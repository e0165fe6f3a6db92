// Package poster lays out and renders civmap's printable site posters: one A4 portrait page per
// site with the level's title, the site's full name and its parent, the site's QR code (vector,
// at least MinQRMM wide with its quiet zone), the URL, a call to action and the site code — as a
// PDF (github.com/signintech/gopdf, with a subset of a CJK TrueType font embedded) or as an SVG.
// Units: millimetres for positions and sizes on the page, points for font sizes.
package poster

import (
	"fmt"
	"strings"

	"civmap"
	"civmap/qr"
)

// Page geometry, in millimetres: A4 portrait (ISO 216).
const (
	PageWidthMM  = 210.0
	PageHeightMM = 297.0
	marginMM     = 15.0
	mmPerPt      = 25.4 / 72
)

// QRSizeMM is the width of the printed code, quiet zone included: 120 mm, so that a phone reads
// it from about 1.2 m (the usual 10:1 distance-to-size rule), and well above MinQRMM.
const QRSizeMM = 120.0

// MinQRMM is the smallest printed width of a code with its quiet zone that the posters promise:
// 6 cm (issue 4).
const MinQRMM = 60.0

// CallToAction is the line under the code.
const CallToAction = "扫码查看活动 · 我要点单"

// Colours (sRGB).
var (
	red   = RGB{0xb3, 0x26, 0x1e}
	black = RGB{0x22, 0x22, 0x22}
	grey  = RGB{0x55, 0x55, 0x55}
	white = RGB{0xff, 0xff, 0xff}
)

// RGB is an sRGB colour.
type RGB struct{ R, G, B uint8 }

func (c RGB) hex() string { return fmt.Sprintf("#%02x%02x%02x", c.R, c.G, c.B) }

// Site is what a poster shows about one site.
type Site struct {
	Code   string       // site code, e.g. "430682103201"
	Name   string       // full name, e.g. "桃林镇XX村新时代文明实践站"
	Level  civmap.Level // its title comes from Level.Title()
	Parent string       // the parent site's full name; "" for the center
	URL    string       // what the code encodes (qr.SiteURL)
}

// Text is one line of text on a page: its baseline starts at X, Y (mm from the top-left corner
// of the page); Size is in points.
type Text struct {
	X, Y  float64
	Size  float64
	Color RGB
	Text  string
}

// Rect is a filled rectangle, mm from the top-left corner of the page.
type Rect struct {
	X, Y, W, H float64
	Color      RGB
}

// Page is a laid-out poster.
type Page struct {
	Site   Site
	Rects  []Rect // backgrounds, drawn first
	Texts  []Text
	QR     *qr.Code
	QRBox  Rect    // the code with its quiet zone: a white square
	Module float64 // module size, mm
}

// Options are the choices common to every page of a print run.
type Options struct {
	Level qr.Level // error correction; zero value is L, so callers set it (qr.Q by default, qr.H with a logo)
	Logo  *qr.Logo // optional centre logo; needs Level H
}

// Layout places one site's poster. The texts are measured with f, and every character of them
// must be in f: otherwise the error is EUNAVAILABLE naming the characters and FontPackage.
// The code is encoded from s.URL at opt.Level (with opt.Logo).
func Layout(f *Font, s Site, opt Options) (*Page, error) {
	c, err := qr.Encode(s.URL, opt.Level)
	if err != nil {
		return nil, err
	}
	if opt.Logo != nil {
		if c, err = c.WithLogo(opt.Logo); err != nil {
			return nil, err
		}
	}
	p := &Page{Site: s, QR: c}
	center := func(y, size float64, col RGB, text string) {
		p.Texts = append(p.Texts, Text{X: (PageWidthMM - f.WidthMM(text, size)) / 2, Y: y, Size: size, Color: col, Text: text})
	}
	// Title band.
	p.Rects = append(p.Rects, Rect{0, 0, PageWidthMM, 42, red})
	center(27, 34, white, s.Level.Title())
	// Name: as large as fits the width (28 pt down to 14 pt), else two lines at 18 pt.
	width := PageWidthMM - 2*marginMM
	size := 28.0
	for size > 14 && f.WidthMM(s.Name, size) > width {
		size--
	}
	y := 60.0
	if f.WidthMM(s.Name, size) <= width {
		center(y, size, black, s.Name)
		y += 14
	} else {
		r := []rune(s.Name)
		half := len(r) / 2
		center(y, 18, black, string(r[:half]))
		center(y+9, 18, black, string(r[half:]))
		y += 23
	}
	if s.Parent != "" {
		center(y, 14, grey, "所属："+s.Parent)
	}
	// The code, centred, with its quiet zone.
	qy := 88.0
	p.QRBox = Rect{(PageWidthMM - QRSizeMM) / 2, qy, QRSizeMM, QRSizeMM, white}
	p.Module = QRSizeMM / float64(c.Width())
	y = qy + QRSizeMM + 6
	center(y, 9, grey, s.URL)
	center(y+18, 22, red, CallToAction)
	center(y+32, 12, grey, "阵地编码："+s.Code)
	var all strings.Builder
	for _, t := range p.Texts {
		all.WriteString(t.Text)
	}
	if miss := f.Missing(all.String()); len(miss) > 0 {
		return nil, civmap.Errorf(civmap.EUNAVAILABLE, "the font %s has no glyph for %q (site %s %s): use a font with full CJK coverage, e.g. Debian's %s",
			f.Path, string(miss), s.Code, s.Name, FontPackage)
	}
	return p, nil
}
