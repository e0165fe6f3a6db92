package poster

import (
	"bufio"
	"fmt"
	"html"
	"io"
)

// SVGFontFamily is the font-family list of the SVG poster's text: the fonts of DefaultFonts and
// the usual CJK system fonts of phones and office PCs. The SVG does not embed a font.
const SVGFontFamily = `"Droid Sans Fallback", "WenQuanYi Micro Hei", "Noto Sans CJK SC", "Source Han Sans SC", "PingFang SC", "Microsoft YaHei", sans-serif`

// WriteSVG renders one page as a standalone SVG of 210 × 297 mm whose user unit is 1 mm: the
// same layout as the PDF, the code drawn as rectangles (qr.Code.WriteSVGElements) and the text
// as <text> in SVGFontFamily.
func WriteSVG(w io.Writer, p *Page) error {
	bw := bufio.NewWriter(w)
	fmt.Fprintf(bw, `<svg xmlns="http://www.w3.org/2000/svg" version="1.1" width="%gmm" height="%gmm" viewBox="0 0 %g %g">`,
		PageWidthMM, PageHeightMM, PageWidthMM, PageHeightMM)
	fmt.Fprintf(bw, `<title>%s</title>`, html.EscapeString(p.Site.Name))
	fmt.Fprintf(bw, `<rect width="%g" height="%g" fill="#fff"/>`, PageWidthMM, PageHeightMM)
	for _, r := range p.Rects {
		fmt.Fprintf(bw, `<rect x="%g" y="%g" width="%g" height="%g" fill="%s"/>`, r.X, r.Y, r.W, r.H, r.Color.hex())
	}
	fmt.Fprintf(bw, `<g font-family='%s'>`, SVGFontFamily)
	for _, t := range p.Texts {
		fmt.Fprintf(bw, `<text x="%.2f" y="%.2f" font-size="%.3f" fill="%s">%s</text>`,
			t.X, t.Y, t.Size*mmPerPt, t.Color.hex(), html.EscapeString(t.Text))
	}
	bw.WriteString(`</g>`)
	if err := p.QR.WriteSVGElements(bw, p.QRBox.X, p.QRBox.Y, p.Module); err != nil {
		return err
	}
	bw.WriteString(`</svg>`)
	return bw.Flush()
}
