package qr_test

import (
	"bytes"
	"image/png"
	"strings"
	"testing"

	"civmap"
	"civmap/qr"
)

const siteURL = "https://wmsj.linxiang.example/s/430682114001"

func TestEncodeShape(t *testing.T) {
	c, err := qr.Encode(siteURL, qr.Q)
	if err != nil {
		t.Fatal(err)
	}
	if c.Modules() != 17+4*c.Version || c.Width() != c.Modules()+2*qr.QuietZone {
		t.Fatalf("version %d: %d modules, width %d", c.Version, c.Modules(), c.Width())
	}
	for i := 0; i < c.Width(); i++ {
		for _, rc := range [][2]int{{i, 0}, {i, 3}, {0, i}, {3, i}, {i, c.Width() - 1}, {c.Width() - 1, i}} {
			if c.Dark(rc[0], rc[1]) {
				t.Fatalf("quiet zone module %v is dark", rc)
			}
		}
	}
	// The finder pattern's top-left corner sits right inside the quiet zone.
	if !c.Dark(qr.QuietZone, qr.QuietZone) {
		t.Error("finder pattern corner is light")
	}
}

func TestPNGWholeModules(t *testing.T) {
	c, err := qr.Encode(siteURL, qr.Q)
	if err != nil {
		t.Fatal(err)
	}
	for _, size := range []int{c.MinImagePx(), c.MinImagePx() + 1, 300, 512, 1000} {
		px, err := c.ModulePx(size)
		if err != nil {
			t.Fatalf("size %d: %v", size, err)
		}
		var buf bytes.Buffer
		if err := c.WritePNG(&buf, px); err != nil {
			t.Fatal(err)
		}
		img, err := png.Decode(&buf)
		if err != nil {
			t.Fatal(err)
		}
		if w := img.Bounds().Dx(); w != px*c.Width() || w > size {
			t.Errorf("size %d: image %d px wide, want %d·%d ≤ %d", size, w, px, c.Width(), size)
		}
	}
	_, err = c.ModulePx(c.MinImagePx() - 1)
	if civmap.ErrorField(err) != "size" || !strings.Contains(civmap.ErrorMessage(err), "minimum") {
		t.Errorf("too small: %v", err)
	}
}

func TestEncodeRejects(t *testing.T) {
	if _, err := qr.Encode("", qr.Q); civmap.ErrorCode(err) != civmap.EINVALID {
		t.Errorf("empty payload: %v", err)
	}
	if _, err := qr.Encode(strings.Repeat("a", qr.MaxPayload+1), qr.L); civmap.ErrorCode(err) != civmap.ETOOLARGE {
		t.Errorf("oversized payload: %v", err)
	}
	if _, err := qr.Encode("\xff\xfe", qr.L); civmap.ErrorCode(err) != civmap.EINVALID {
		t.Errorf("invalid UTF-8: %v", err)
	}
	if _, err := qr.Encode(strings.Repeat("a", qr.MaxPayload), qr.H); err != nil {
		t.Errorf("largest payload at H: %v", err)
	}
}
