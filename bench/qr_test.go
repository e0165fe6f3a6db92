package bench_test

import (
	"bytes"
	"io"
	"testing"

	"civmap/qr"
	"civmap/qr/poster"
	"civmap/qr/qrtest"
)

const benchURL = "https://wmsj.linxiang.example.cn/s/430682103001"

// BenchmarkQRPNG: encode a site URL at level Q (including the decode checks of qr.Encode) and
// write a 512-px PNG. Reported as encodes per second in the closing note: 1e9 / ns/op.
func BenchmarkQRPNG(b *testing.B) {
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

// BenchmarkQRSVG: encode a site URL at level Q and write the SVG.
func BenchmarkQRSVG(b *testing.B) {
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

// BenchmarkPosters176PDF: lay out and write Linxiang's 176 posters as one PDF (font loaded once,
// outside the loop).
func BenchmarkPosters176PDF(b *testing.B) {
	f, err := poster.LoadFont("")
	if err != nil {
		b.Skip(err)
	}
	sites, err := qrtest.LinxiangSites()
	if err != nil {
		b.Fatal(err)
	}
	ps := poster.FromSites(sites, "https://wmsj.linxiang.example.cn")
	var size int
	for b.Loop() {
		pages, err := poster.LayoutAll(f, ps, poster.Options{Level: qr.Q})
		if err != nil {
			b.Fatal(err)
		}
		var buf bytes.Buffer
		if err := poster.WritePDF(&buf, f, pages); err != nil {
			b.Fatal(err)
		}
		size = buf.Len()
	}
	b.ReportMetric(float64(size), "pdf-bytes")
}
