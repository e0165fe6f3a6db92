package qr_test

import (
	"io"
	"testing"

	"civmap/qr"
)

const benchURL = "https://wmsj.linxiang.example/s/430682114001"

// BenchmarkEncodePNG measures a site URL's QR code encoded and written as a 512 px PNG (the
// /qr/{code}.png default). ns/op ⁻¹ is codes per second.
func BenchmarkEncodePNG(b *testing.B) {
	for b.Loop() {
		c, err := qr.Encode(benchURL, qr.Q)
		if err != nil {
			b.Fatal(err)
		}
		px, err := c.ModulePx(512)
		if err != nil {
			b.Fatal(err)
		}
		if err := c.WritePNG(io.Discard, px); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkEncodeSVG measures the same code written as SVG.
func BenchmarkEncodeSVG(b *testing.B) {
	for b.Loop() {
		c, err := qr.Encode(benchURL, qr.Q)
		if err != nil {
			b.Fatal(err)
		}
		if err := c.WriteSVG(io.Discard, ""); err != nil {
			b.Fatal(err)
		}
	}
}
