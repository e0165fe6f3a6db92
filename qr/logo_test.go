package qr_test

import (
	"bytes"
	"image"
	"image/color"
	"image/png"
	"path/filepath"
	"strings"
	"testing"

	"civmap"
	"civmap/qr"
	"civmap/qr/qrtest"
)

// testLogo is a 60×40 px logo: a red field with a dark bar and a white disc, like a seal.
func testLogo() image.Image {
	img := image.NewRGBA(image.Rect(0, 0, 60, 40))
	for y := 0; y < 40; y++ {
		for x := 0; x < 60; x++ {
			c := color.RGBA{0xb3, 0x26, 0x1e, 0xff}
			if dx, dy := x-30, y-20; dx*dx+dy*dy < 120 {
				c = color.RGBA{0xff, 0xff, 0xff, 0xff}
			} else if y > 30 {
				c = color.RGBA{0x20, 0x20, 0x20, 0xff}
			}
			img.Set(x, y, c)
		}
	}
	return img
}

// Codes with a centre logo (level H, ≤ 20% of the area) still decode, with gozxing and zbarimg,
// for every site URL.
func TestLogoCodesDecode(t *testing.T) {
	sites, err := qrtest.LinxiangSites()
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, testLogo()); err != nil {
		t.Fatal(err)
	}
	logo, err := qr.ReadLogo(&buf)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	want := map[string]string{}
	for _, s := range sites {
		u := qr.SiteURL("https://wmsj.linxiang.example.cn", s.Code)
		c, err := qr.Encode(u, qr.H)
		if err != nil {
			t.Fatal(err)
		}
		lc, err := c.WithLogo(logo)
		if err != nil {
			t.Fatalf("%s: %v", u, err)
		}
		start, side := lc.LogoBox()
		if frac := float64(side*side) / float64(c.Modules()*c.Modules()); frac > qr.LogoMaxArea || side < 5 {
			t.Fatalf("%s: logo pad %d modules covers %.3f of the code", u, side, frac)
		}
		if 2*start+side != c.Width() {
			t.Fatalf("%s: logo pad at %d+%d is not centred in %d", u, start, side, c.Width())
		}
		for _, px := range []int{3, 6} {
			img, err := lc.Image(px)
			if err != nil {
				t.Fatal(err)
			}
			d, err := qr.Decode(img)
			if err != nil || string(d.Payload) != u {
				t.Fatalf("%s with logo at %d px/module: %q, %v", u, px, d.Payload, err)
			}
		}
		f := filepath.Join(dir, s.Code+".png")
		writePNG(t, lc, 4, f)
		want[f] = u
	}
	checkZBar(t, want, true)
}

func TestLogoRules(t *testing.T) {
	c, _ := qr.Encode("https://wmsj.linxiang.example.cn/s/430682", qr.Q)
	if _, err := c.WithLogo(&qr.Logo{Image: testLogo()}); civmap.ErrorField(err) != "logo" {
		t.Errorf("a logo on a level-Q code: %v, want an error naming logo", err)
	}
	h, _ := qr.Encode("https://wmsj.linxiang.example.cn/s/430682", qr.H)
	if _, err := h.WithLogo(&qr.Logo{Image: testLogo(), Area: 0.25}); civmap.ErrorField(err) != "logo" {
		t.Errorf("a logo over 20%%: %v, want an error naming logo", err)
	}
	if _, err := qr.ReadLogo(strings.NewReader("not an image")); civmap.ErrorField(err) != "logo" {
		t.Errorf("ReadLogo(garbage): %v", err)
	}
	// SVG with a logo embeds it as a PNG data URI.
	lc, err := h.WithLogo(&qr.Logo{Image: testLogo()})
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := lc.WriteSVG(&buf, "60mm"); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(buf.String(), `href="data:image/png;base64,`) {
		t.Error("SVG has no embedded logo")
	}
}
