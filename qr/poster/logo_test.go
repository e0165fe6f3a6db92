package poster_test

import (
	"image"
	"image/color"
)

// qrtestLogo is a 48×48 px red seal with a white cross.
func qrtestLogo() image.Image {
	img := image.NewRGBA(image.Rect(0, 0, 48, 48))
	for y := 0; y < 48; y++ {
		for x := 0; x < 48; x++ {
			c := color.RGBA{0xb3, 0x26, 0x1e, 0xff}
			if (x > 20 && x < 28) || (y > 20 && y < 28) {
				c = color.RGBA{0xff, 0xff, 0xff, 0xff}
			}
			img.Set(x, y, c)
		}
	}
	return img
}
