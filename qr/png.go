package qr

import (
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"

	"civmap"
)

// MaxImagePx is the largest PNG side the service renders, in pixels.
const MaxImagePx = 4096

// ModulePx chooses the whole number of pixels per module for an image of at most sizePx pixels
// a side: ⌊sizePx / Width⌋, so modules are never fractional and the image is ≤ sizePx. It returns
// an EINVALID error naming field "size" and the minimum size (one pixel per module) when sizePx
// is smaller than Width, or greater than MaxImagePx.
func (c *Code) ModulePx(sizePx int) (int, error) {
	if sizePx > MaxImagePx {
		return 0, civmap.FieldErrorf("size", "size %d px is over the maximum %d px", sizePx, MaxImagePx)
	}
	if sizePx < c.Width() {
		return 0, civmap.FieldErrorf("size", "size %d px is too small for this code: it is %d modules wide with its quiet zone, so the minimum is %d px", sizePx, c.Width(), c.Width())
	}
	return sizePx / c.Width(), nil
}

// Image renders the code with modulePx pixels per module (≥ 1), quiet zone included, as a
// 1-bit paletted image of Width()·modulePx pixels a side.
func (c *Code) Image(modulePx int) (image.Image, error) {
	if modulePx < 1 {
		return nil, fmt.Errorf("qr: %d pixels per module", modulePx)
	}
	side := c.Width() * modulePx
	img := image.NewPaletted(image.Rect(0, 0, side, side), color.Palette{color.White, color.Black})
	for r := 0; r < c.Width(); r++ {
		for col := 0; col < c.Width(); col++ {
			if !c.Dark(r, col) {
				continue
			}
			for y := r * modulePx; y < (r+1)*modulePx; y++ {
				row := img.Pix[y*img.Stride:]
				for x := col * modulePx; x < (col+1)*modulePx; x++ {
					row[x] = 1
				}
			}
		}
	}
	return img, nil
}

// WritePNG writes the code as a PNG with modulePx pixels per module.
func (c *Code) WritePNG(w io.Writer, modulePx int) error {
	img, err := c.Image(modulePx)
	if err != nil {
		return err
	}
	enc := png.Encoder{CompressionLevel: png.BestSpeed}
	return enc.Encode(w, img)
}
