package poster

import (
	"errors"
	"fmt"
	"io"

	"civmap"

	"github.com/signintech/gopdf"
)

// WritePDF renders pages as one PDF, a page each, A4 portrait: text in f (only the glyphs used
// are embedded: gopdf writes a subset as a CIDFontType2 with a ToUnicode map, so the text can be
// searched and extracted), the codes as filled rectangles (one per run of dark modules, see
// qr.Code.Runs) on the white quiet-zone square, a logo as an image. It returns an EINVALID error
// for no pages and EUNAVAILABLE when a glyph is missing from f.
func WritePDF(w io.Writer, f *Font, pages []*Page) error {
	return writePDF(w, f, pages, "新时代文明实践阵地二维码海报")
}

func writePDF(w io.Writer, f *Font, pages []*Page, title string) error {
	if len(pages) == 0 {
		return civmap.Errorf(civmap.EINVALID, "no sites to print")
	}
	pdf := &gopdf.GoPdf{}
	pdf.Start(gopdf.Config{PageSize: *gopdf.PageSizeA4, Unit: gopdf.UnitMM})
	pdf.SetInfo(gopdf.PdfInfo{Title: title, Creator: "civmap", Producer: "civmap (gopdf)"})
	var missing []rune
	opt := gopdf.TtfOption{OnGlyphNotFound: func(r rune) { missing = append(missing, r) }}
	families := map[*Font]string{}
	for g := f; g != nil; g = g.Fallback {
		families[g] = fmt.Sprintf("f%d", len(families))
		if err := pdf.AddTTFFontDataWithOption(families[g], g.Data, opt); err != nil {
			return fmt.Errorf("poster: font %s: %w", g.Path, err)
		}
	}
	for _, p := range pages {
		pdf.AddPage()
		if err := drawPDF(pdf, f, families, p); err != nil {
			return err
		}
	}
	if len(missing) > 0 {
		return civmap.Errorf(civmap.EUNAVAILABLE, "the font %s has no glyph for %q: install %s", f.Path, string(missing), FontPackage)
	}
	if err := pdf.Write(w); err != nil {
		return fmt.Errorf("poster: write PDF: %w", err)
	}
	return nil
}

func drawPDF(pdf *gopdf.GoPdf, f *Font, families map[*Font]string, p *Page) error {
	fill := func(c RGB) { pdf.SetFillColor(c.R, c.G, c.B) }
	for _, r := range p.Rects {
		fill(r.Color)
		pdf.RectFromUpperLeftWithStyle(r.X, r.Y, r.W, r.H, "F")
	}
	for _, t := range p.Texts {
		pdf.SetTextColor(t.Color.R, t.Color.G, t.Color.B)
		x := t.X
		for _, s := range f.spans(t.Text) {
			if err := pdf.SetFont(families[s.font], "", t.Size); err != nil {
				return err
			}
			pdf.SetXY(x, t.Y)
			if err := pdf.Text(s.text); err != nil {
				return err
			}
			x += s.font.ownWidthMM(s.text, t.Size)
		}
	}
	b, m := p.QRBox, p.Module
	fill(white)
	pdf.RectFromUpperLeftWithStyle(b.X, b.Y, b.W, b.H, "F")
	fill(RGB{0, 0, 0})
	p.QR.Runs(func(row, col, n int) {
		pdf.RectFromUpperLeftWithStyle(b.X+float64(col)*m, b.Y+float64(row)*m, float64(n)*m, m, "F")
	})
	if logo := p.QR.Logo(); logo != nil {
		x, y, w, h := p.QR.LogoRect()
		if err := pdf.ImageFrom(logo.Image, b.X+x*m, b.Y+y*m, &gopdf.Rect{W: w * m, H: h * m}); err != nil {
			return errors.Join(errors.New("poster: logo"), err)
		}
	}
	return nil
}
