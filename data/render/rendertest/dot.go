package rendertest

import (
	"bytes"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
)

// Dot is a w×h white picture with a red disc of radius r centred at
// (fx·w, fy·h), encoded as "png" or "jpeg": a subject at a known place,
// for checking where crops cut.
func Dot(w, h int, fx, fy float64, r int, format string) []byte {
	m := image.NewRGBA(image.Rect(0, 0, w, h))
	cx, cy := int(fx*float64(w)), int(fy*float64(h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			c := color.RGBA{255, 255, 255, 255}
			if dx, dy := x-cx, y-cy; dx*dx+dy*dy <= r*r {
				c = color.RGBA{220, 0, 0, 255}
			}
			m.SetRGBA(x, y, c)
		}
	}
	var buf bytes.Buffer
	var err error
	if format == "jpeg" {
		err = jpeg.Encode(&buf, m, &jpeg.Options{Quality: 90})
	} else {
		err = png.Encode(&buf, m)
	}
	if err != nil {
		panic(err)
	}
	return buf.Bytes()
}

// FindDot is the centre of the red pixels of m (clearly red: much more red
// than green and blue), relative to its bounds, and how many there are.
func FindDot(m image.Image) (x, y float64, n int) {
	b := m.Bounds()
	var sx, sy int
	for py := b.Min.Y; py < b.Max.Y; py++ {
		for px := b.Min.X; px < b.Max.X; px++ {
			r, g, bl, _ := m.At(px, py).RGBA()
			if r > 0x9000 && g < 0x6000 && bl < 0x6000 {
				sx, sy, n = sx+px-b.Min.X, sy+py-b.Min.Y, n+1
			}
		}
	}
	if n == 0 {
		return -1, -1, 0
	}
	return float64(sx) / float64(n), float64(sy) / float64(n), n
}
