package render

import (
	"bytes"
	"image"
	"image/jpeg"
	"image/png"
	"math"
	"testing"

	"gallerist/data/render/rendertest"
)

// cropAt is a CropFunc for a fixed window and size.
func cropAt(win image.Rectangle, w, h int) CropFunc {
	return func(ow, oh int) (image.Rectangle, int, int) { return win, w, h }
}

// TestMakeCrop: the window is cut where asked, from a PNG at full scale and
// from a large JPEG decoded at reduced scale, so the red dot lands where
// the window puts it; a transparent original gives a PNG crop.
func TestMakeCrop(t *testing.T) {
	for _, tc := range []struct {
		name       string
		w, h       int
		format     string
		win        image.Rectangle
		outW, outH int
	}{
		// Dot at (320, 60) of 400×200; window (200,0)-(400,200): at (120, 60) of 200, so (60, 30) of 100.
		{"PNG", 400, 200, "png", image.Rect(200, 0, 400, 200), 100, 100},
		// Dot at (1280, 240) of 1600×800; 16:9 window (800,0)-(1600,450) at 50 wide: decoded at 1/8.
		{"JPEGReducedScale", 1600, 800, "jpeg", image.Rect(800, 0, 1600, 450), 100, 56},
		{"TinyUpscaleNone", 20, 10, "png", image.Rect(10, 0, 20, 10), 10, 10},
	} {
		t.Run(tc.name, func(t *testing.T) {
			src := rendertest.Dot(tc.w, tc.h, 0.8, 0.3, max(3, tc.w/40), tc.format)
			rd, err := MakeCrop(bytes.NewReader(src), "image/"+tc.format, cropAt(tc.win, tc.outW, tc.outH), Options{})
			if err != nil {
				t.Fatal(err)
			}
			if rd.Width != tc.outW || rd.Height != tc.outH || rd.Format != "jpeg" {
				t.Fatalf("made %d×%d %s, want %d×%d jpeg", rd.Width, rd.Height, rd.Format, tc.outW, tc.outH)
			}
			m, err := jpeg.Decode(bytes.NewReader(rd.Data))
			if err != nil {
				t.Fatal(err)
			}
			// Where the dot should be in the crop, in its pixels.
			scale := float64(tc.outW) / float64(tc.win.Dx())
			wantX := (0.8*float64(tc.w) - float64(tc.win.Min.X)) * scale
			wantY := (0.3*float64(tc.h) - float64(tc.win.Min.Y)) * scale
			x, y, n := rendertest.FindDot(m)
			if n == 0 || math.Abs(x-wantX) > 2 || math.Abs(y-wantY) > 2 {
				t.Fatalf("dot at (%.1f, %.1f) (%d px), want (%.1f, %.1f)", x, y, n, wantX, wantY)
			}
		})
	}
	t.Run("Transparent", func(t *testing.T) {
		m := image.NewNRGBA(image.Rect(0, 0, 60, 30))
		var buf bytes.Buffer
		if err := png.Encode(&buf, m); err != nil {
			t.Fatal(err)
		}
		rd, err := MakeCrop(&buf, "image/png", cropAt(image.Rect(15, 0, 45, 30), 30, 30), Options{})
		if err != nil || rd.Format != "png" || rd.Width != 30 || rd.Height != 30 {
			t.Fatalf("%v %s %d×%d", err, rd.Format, rd.Width, rd.Height)
		}
	})
	t.Run("ErrOverBudget", func(t *testing.T) {
		src := rendertest.Dot(400, 200, 0.5, 0.5, 5, "png")
		_, err := MakeCrop(bytes.NewReader(src), "image/png", cropAt(image.Rect(100, 0, 300, 200), 100, 100),
			Options{Admit: func(Cost) error { return ErrTooLarge }})
		if err != ErrTooLarge {
			t.Fatalf("admit refused, got %v", err)
		}
	})
}

// TestCropWidthDecodeScale: a crop of a large JPEG is decoded only as finely
// as its window needs.
func TestCropWidthDecodeScale(t *testing.T) {
	j := newJob(nil, formats{primary: true}, Options{})
	j.crop = cropAt(image.Rect(0, 0, 800, 800), 100, 100)
	if got := j.largest(1600, 800); got != 200 {
		t.Fatalf("largest %d, want 200 (the window is half the width)", got)
	}
	j.crop = cropAt(image.Rect(0, 0, 10, 10), 10, 10)
	if got := j.largest(20, 10); got != 20 {
		t.Fatalf("largest %d, want the whole 20", got)
	}
}
