package qr

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"fmt"
	"image/png"
	"io"
)

// WriteSVG writes the code as a standalone SVG whose user unit is one module: a white square of
// Width() units with one path of dark rectangles (runs of dark modules merged per row), so it
// scales to any print size without resampling. sizeAttr, when not empty, sets the width and
// height attributes (e.g. "60mm"); otherwise they are Width()·8 px. A logo is embedded as a PNG
// data URI inside its pad.
func (c *Code) WriteSVG(w io.Writer, sizeAttr string) error {
	bw := bufio.NewWriter(w)
	n := c.Width()
	if sizeAttr == "" {
		sizeAttr = fmt.Sprintf("%d", n*8)
	}
	fmt.Fprintf(bw, `<svg xmlns="http://www.w3.org/2000/svg" version="1.1" viewBox="0 0 %d %d" width="%s" height="%s" shape-rendering="crispEdges">`, n, n, sizeAttr, sizeAttr)
	if err := c.WriteSVGElements(bw, 0, 0, 1); err != nil {
		return err
	}
	bw.WriteString(`</svg>`)
	return bw.Flush()
}

// WriteSVGElements writes the code as SVG elements to embed in a larger drawing: the white
// quiet-zone square, the dark-module path and the logo, with the code's top-left corner at
// (x, y) and modules of size unit, all in the enclosing drawing's user units.
func (c *Code) WriteSVGElements(w *bufio.Writer, x, y, unit float64) error {
	n := float64(c.Width())
	fmt.Fprintf(w, `<g transform="translate(%g %g) scale(%g)">`, x, y, unit)
	fmt.Fprintf(w, `<rect width="%g" height="%g" fill="#fff"/><path fill="#000" d="`, n, n)
	c.Runs(func(row, col, length int) {
		fmt.Fprintf(w, "M%d %dh%dv1h-%dz", col, row, length, length)
	})
	w.WriteString(`"/>`)
	if c.logo != nil {
		var buf bytes.Buffer
		if err := png.Encode(&buf, c.logo.Image); err != nil {
			return fmt.Errorf("qr: encode logo: %w", err)
		}
		lx, ly, lw, lh := c.LogoRect()
		fmt.Fprintf(w, `<image x="%g" y="%g" width="%g" height="%g" preserveAspectRatio="xMidYMid meet" href="data:image/png;base64,%s"/>`,
			lx, ly, lw, lh, base64.StdEncoding.EncodeToString(buf.Bytes()))
	}
	w.WriteString(`</g>`)
	return nil
}

// Runs calls fn for each horizontal run of dark modules, in row order: row and col of its first
// module (quiet zone included) and its length in modules. Vector renderers (SVG, PDF) draw one
// rectangle per run. Modules under a logo's pad are light.
func (c *Code) Runs(fn func(row, col, length int)) {
	n := c.Width()
	for r := 0; r < n; r++ {
		for col := 0; col < n; {
			if !c.Dark(r, col) {
				col++
				continue
			}
			start := col
			for col < n && c.Dark(r, col) {
				col++
			}
			fn(r, start, col-start)
		}
	}
}
