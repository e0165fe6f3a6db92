package qr

import (
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"
	"math"

	"civmap"

	xdraw "golang.org/x/image/draw"
)

// MaxImagePx is the largest PNG side the service renders, in pixels.
const MaxImagePx = 4096

// MinModulePx is the fewest pixels per module a PNG may have: 2. With one pixel per module any
// scaling by a viewer, a chat app or a printer driver resamples modules into grey; two keep a
// clean edge at the common 2× and 0.5× display scales.
const MinModulePx = 2

// MinImagePx is the smallest PNG side, in pixels, that holds c with MinModulePx pixels per
// module: Width()·MinModulePx.
func (c *Code) MinImagePx() int { return c.Width() * MinModulePx }

// ModulePx chooses the whole number of pixels per module for an image of at most sizePx pixels
// a side: ⌊sizePx / Width⌋, so modules are never fractional and the image is ≤ sizePx (it is
// exactly Width()·ModulePx pixels). It returns an EINVALID error naming field "size" — with the
// minimum, MinImagePx — when sizePx is below MinImagePx, and when sizePx is over MaxImagePx.
func (c *Code) ModulePx(sizePx int) (int, error) {
	if sizePx > MaxImagePx {
		return 0, civmap.FieldErrorf("size", "size %d px is over the maximum %d px", sizePx, MaxImagePx)
	}
	if min := c.MinImagePx(); sizePx < min {
		return 0, civmap.FieldErrorf("size", "size %d px is too small for this code: it is %d modules wide with its quiet zone and needs at least %d px per module, so the minimum size is %d px", sizePx, c.Width(), MinModulePx, min)
	}
	return sizePx / c.Width(), nil
}

// Image renders the code with modulePx pixels per module (≥ 1), quiet zone included, as an
// image of Width()·modulePx pixels a side: 1-bit paletted black on white, or RGBA when the code
// has a logo (drawn scaled into its pad with Catmull-Rom resampling).
func (c *Code) Image(modulePx int) (image.Image, error) {
	if modulePx < 1 || c.Width()*modulePx > 4*MaxImagePx {
		return nil, fmt.Errorf("qr: %d pixels per module", modulePx)
	}
	side := c.Width() * modulePx
	img := image.NewPaletted(image.Rect(0, 0, side, side), color.Palette{color.White, color.Black})
	c.Runs(func(r, col, n int) {
		for y := r * modulePx; y < (r+1)*modulePx; y++ {
			row := img.Pix[y*img.Stride:]
			for x := col * modulePx; x < (col+n)*modulePx; x++ {
				row[x] = 1
			}
		}
	})
	if c.logo == nil {
		return img, nil
	}
	rgba := image.NewRGBA(img.Bounds())
	xdraw.Draw(rgba, rgba.Bounds(), img, image.Point{}, xdraw.Src)
	x, y, w, h := c.LogoRect()
	px := float64(modulePx)
	dst := image.Rect(int(math.Round(x*px)), int(math.Round(y*px)), int(math.Round((x+w)*px)), int(math.Round((y+h)*px)))
	xdraw.CatmullRom.Scale(rgba, dst, c.logo.Image, c.logo.Image.Bounds(), xdraw.Over, nil)
	return rgba, nil
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
