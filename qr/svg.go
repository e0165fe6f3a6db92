package qr

import (
	"bufio"
	"fmt"
	"io"
)

// WriteSVG writes the code as a standalone SVG whose user unit is one module: a white square of
// Width() units with one path of dark rectangles (runs of dark modules merged per row), so it
// scales to any print size without resampling. sizeAttr, when not empty, sets the width and
// height attributes (e.g. "60mm"); otherwise they are Width()·8 px.
func (c *Code) WriteSVG(w io.Writer, sizeAttr string) error {
	bw := bufio.NewWriter(w)
	n := c.Width()
	if sizeAttr == "" {
		sizeAttr = fmt.Sprintf("%d", n*8)
	}
	fmt.Fprintf(bw, `<svg xmlns="http://www.w3.org/2000/svg" version="1.1" viewBox="0 0 %d %d" width="%s" height="%s" shape-rendering="crispEdges">`, n, n, sizeAttr, sizeAttr)
	fmt.Fprintf(bw, `<rect width="%d" height="%d" fill="#fff"/><path fill="#000" d="`, n, n)
	c.writePath(bw, 0, 0)
	bw.WriteString(`"/></svg>`)
	return bw.Flush()
}

// writePath writes the SVG path data of the dark modules, offset by (x0, y0) modules.
func (c *Code) writePath(w *bufio.Writer, x0, y0 int) {
	c.Runs(func(row, col, length int) {
		fmt.Fprintf(w, "M%d %dh%dv1h-%dz", x0+col, y0+row, length, length)
	})
}

// Runs calls fn for each horizontal run of dark modules, in row order: row and col of its first
// module (quiet zone included) and its length in modules. Vector renderers (SVG, PDF) draw one
// rectangle per run.
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
