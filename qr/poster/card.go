package poster

import (
	"io"
	"strings"
	"time"

	"civmap"
	"civmap/qr"
)

// Card is a volunteer's personal sign-in code (志愿者码) as printed: whose it is, where they
// serve, and the sign-in URL the code carries.
type Card struct {
	Name     string    // the volunteer's name
	Site     string    // the site they serve, e.g. "XX村新时代文明实践站"
	URL      string    // the personal sign-in URL (secret: whoever scans it signs in)
	IssuedAt time.Time // shown on the card in China Standard Time
}

// Card geometry, in millimetres: a card of CardWidthMM × CardHeightMM at the top of an A4 page,
// outlined for cutting, with a CardQRMM code (quiet zone included) — above MinQRMM, so cheap
// phone cameras read it at arm's length.
const (
	CardWidthMM  = 100.0
	CardHeightMM = 150.0
	CardQRMM     = 70.0
	cardTopMM    = 20.0
)

var cst = time.FixedZone("CST", 8*3600) // China Standard Time, UTC+8, no DST

// LayoutCard places a volunteer's card on an A4 page: a red title band, the name and site, the
// code at level Q, how to use it, and the issue date, inside a cut-out outline; below the card,
// a note for the staff who print it. Errors as for Layout (EUNAVAILABLE for a missing glyph).
func LayoutCard(f *Font, c Card) (*Page, error) {
	code, err := qr.Encode(c.URL, qr.Q)
	if err != nil {
		return nil, err
	}
	p := &Page{Site: Site{Name: c.Name}, QR: code}
	x0 := (PageWidthMM - CardWidthMM) / 2
	center := func(y, size float64, col RGB, text string) {
		p.Texts = append(p.Texts, Text{X: (PageWidthMM - f.WidthMM(text, size)) / 2, Y: y, Size: size, Color: col, Text: text})
	}
	// Outline: four thin grey bars, then the title band.
	const line = 0.3
	p.Rects = append(p.Rects,
		Rect{x0, cardTopMM, CardWidthMM, line, grey}, Rect{x0, cardTopMM + CardHeightMM, CardWidthMM, line, grey},
		Rect{x0, cardTopMM, line, CardHeightMM, grey}, Rect{x0 + CardWidthMM - line, cardTopMM, line, CardHeightMM, grey},
		Rect{x0 + line, cardTopMM + line, CardWidthMM - 2*line, 18, red})
	center(cardTopMM+13, 18, white, "新时代文明实践 · 志愿者码")
	center(cardTopMM+32, 20, black, c.Name)
	site := c.Site
	for len([]rune(site)) > 1 && f.WidthMM(site, 11) > CardWidthMM-8 {
		site = string([]rune(site)[:len([]rune(site))-1])
	}
	center(cardTopMM+41, 11, grey, site)
	qy := cardTopMM + 46
	p.QRBox = Rect{(PageWidthMM - CardQRMM) / 2, qy, CardQRMM, CardQRMM, white}
	p.Module = CardQRMM / float64(code.Width())
	y := qy + CardQRMM + 7
	center(y, 12, red, "用本人手机扫码登录，报名、签到、接单")
	center(y+7, 9, grey, "请妥善保管，勿转借他人；遗失请到所在实践站重新领取")
	center(y+13, 9, grey, "签发："+c.IssuedAt.In(cst).Format("2006年01月02日")+"　重新签发后本码作废")
	center(cardTopMM+CardHeightMM+12, 9, grey, "沿灰线剪下。此码等同于该志愿者的登录凭证，打印后请勿留存副本。")
	var all strings.Builder
	for _, t := range p.Texts {
		all.WriteString(t.Text)
	}
	if miss := f.Missing(all.String()); len(miss) > 0 {
		return nil, civmap.Errorf(civmap.EUNAVAILABLE, "the font %s has no glyph for %q: use a font with full CJK coverage, e.g. Debian's %s",
			f.Path, string(miss), FontPackage)
	}
	return p, nil
}

// WriteCardPDF renders a volunteer's card as a one-page A4 PDF (CJK font subset embedded, the
// code as vector rectangles); errors as WritePDF.
func WriteCardPDF(w io.Writer, f *Font, c Card) error {
	p, err := LayoutCard(f, c)
	if err != nil {
		return err
	}
	return writePDF(w, f, []*Page{p}, "志愿者码")
}
