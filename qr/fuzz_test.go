package qr_test

import (
	"math/rand/v2"
	"strings"
	"testing"
	"unicode/utf8"

	"civmap"
	"civmap/qr"
)

// FuzzRoundTrip: any payload the service accepts encodes at any level into a code that decodes
// back to its exact bytes at any scale from 1 to 12 pixels per module; anything it rejects is
// rejected with the documented error code. Run: go test -fuzz FuzzRoundTrip ./qr/
func FuzzRoundTrip(f *testing.F) {
	f.Add("https://wmsj.linxiang.example.cn/s/430682103201", uint8(2), uint8(3))
	f.Add("https://wmsj.linxiang.example.cn/s/430682103201?from=海报", uint8(3), uint8(1))
	f.Add("长", uint8(0), uint8(5))
	f.Add("", uint8(1), uint8(2))
	f.Add("\xff", uint8(1), uint8(2))
	f.Add(strings.Repeat("9", qr.MaxPayload), uint8(3), uint8(1))
	f.Fuzz(func(t *testing.T, payload string, level, px uint8) {
		l := qr.Level(level % 4)
		c, err := qr.Encode(payload, l)
		switch {
		case payload == "" || !utf8.ValidString(payload):
			if civmap.ErrorCode(err) != civmap.EINVALID {
				t.Fatalf("Encode(%q): %v, want EINVALID", payload, err)
			}
			return
		case len(payload) > qr.MaxPayload:
			if civmap.ErrorCode(err) != civmap.ETOOLARGE {
				t.Fatalf("Encode(%d bytes): %v, want ETOOLARGE", len(payload), err)
			}
			return
		case err != nil:
			t.Fatalf("Encode(%q, %s): %v", payload, l, err)
		}
		img, err := c.Image(1 + int(px)%12)
		if err != nil {
			t.Fatal(err)
		}
		d, err := qr.Decode(img)
		if err != nil || string(d.Payload) != payload || d.Level != l.String() {
			t.Fatalf("%d bytes at %s, version %d, %d px/module: decoded %q (%s), %v", len(payload), l, c.Version, 1+int(px)%12, d.Payload, d.Level, err)
		}
	})
}

// TestScaleSweep renders 300 random codes at every scale from 1 to 12 pixels per module; all
// must decode.
func TestScaleSweep(t *testing.T) {
	if testing.Short() {
		t.Skip("slow")
	}
	r := rand.New(rand.NewPCG(7, 18004))
	for i := 0; i < 300; i++ {
		p := randomUTF8(r, 1+r.IntN(80))
		l := levels[r.IntN(4)]
		c, err := qr.Encode(p, l)
		if err != nil {
			t.Fatal(err)
		}
		for px := 1; px <= 12; px++ {
			img, _ := c.Image(px)
			if d, err := qr.Decode(img); err != nil || string(d.Payload) != p {
				t.Errorf("%d bytes at %s, version %d, %d px/module: %v", len(p), l, c.Version, px, err)
			}
		}
	}
}
