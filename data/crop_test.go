package data

import (
	"image"
	"testing"
)

func ratio(name string) CropRatio {
	for _, r := range CropRatios {
		if r.Name == name {
			return r
		}
	}
	panic(name)
}

func TestCropWindow(t *testing.T) {
	for _, tc := range []struct {
		name   string
		ow, oh int
		ratio  string
		f      *FocalPoint
		want   image.Rectangle
	}{
		{"WideSquareCentre", 1600, 900, "1:1", nil, image.Rect(350, 0, 1250, 900)},
		{"WideSquareFocalRight", 1600, 900, "1:1", &FocalPoint{0.6, 0.3}, image.Rect(510, 0, 1410, 900)},
		{"WideSquareFocalNearEdge", 1600, 900, "1:1", &FocalPoint{0.8, 0.3}, image.Rect(700, 0, 1600, 900)},
		{"WideSquareFocalOrigin", 1600, 900, "1:1", &FocalPoint{0, 0}, image.Rect(0, 0, 900, 900)},
		{"WideSquareFocalFar", 1600, 900, "1:1", &FocalPoint{1, 1}, image.Rect(700, 0, 1600, 900)},
		{"TallSquareCentre", 900, 1600, "1:1", nil, image.Rect(0, 350, 900, 1250)},
		{"TallSquareFocalTop", 900, 1600, "1:1", &FocalPoint{0.5, 0}, image.Rect(0, 0, 900, 900)},
		{"TallSquareFocalBottom", 900, 1600, "1:1", &FocalPoint{1, 1}, image.Rect(0, 700, 900, 1600)},
		{"TallWide", 900, 1600, "16:9", &FocalPoint{0.2, 0.25}, image.Rect(0, 147, 900, 653)},
		{"WidePortrait", 1600, 900, "4:5", &FocalPoint{0.8, 0.3}, image.Rect(880, 0, 1600, 900)},
		{"SameRatio", 1600, 900, "16:9", &FocalPoint{0.9, 0.9}, image.Rect(0, 0, 1600, 900)},
		{"OnePixel", 1, 1, "16:9", &FocalPoint{1, 0}, image.Rect(0, 0, 1, 1)},
		{"TinyWide", 3, 1, "4:5", &FocalPoint{1, 1}, image.Rect(2, 0, 3, 1)},
		{"ThinTall", 1, 500, "16:9", &FocalPoint{0, 1}, image.Rect(0, 499, 1, 500)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := ratio(tc.ratio)
			got := CropWindow(tc.ow, tc.oh, r, tc.f)
			if got != tc.want {
				t.Fatalf("CropWindow(%d×%d, %s, %v) = %v, want %v", tc.ow, tc.oh, tc.ratio, tc.f, got, tc.want)
			}
			if !got.In(image.Rect(0, 0, tc.ow, tc.oh)) || got.Empty() {
				t.Fatalf("%v is not a non-empty part of %d×%d", got, tc.ow, tc.oh)
			}
		})
	}
}

// TestCropWindowProperties: on every ratio and a spread of sizes and focal
// points, the window has the ratio (to a pixel), is the largest that fits
// (touches both edges on one axis), stays inside, and holds the focal
// point unless the edge forced it away, in which case it touches that edge.
func TestCropWindowProperties(t *testing.T) {
	sizes := [][2]int{{1, 1}, {2, 7}, {7, 2}, {50, 50}, {640, 480}, {480, 640}, {4000, 100}, {100, 4000}, {1023, 1025}}
	focals := []*FocalPoint{nil, {0, 0}, {1, 1}, {0, 1}, {1, 0}, {0.5, 0.5}, {0.8, 0.3}, {0.01, 0.99}}
	for _, r := range CropRatios {
		for _, s := range sizes {
			ow, oh := s[0], s[1]
			for _, f := range focals {
				w := CropWindow(ow, oh, r, f)
				if !w.In(image.Rect(0, 0, ow, oh)) || w.Empty() {
					t.Fatalf("%s %d×%d %v: %v outside or empty", r.Name, ow, oh, f, w)
				}
				if w.Dx() != ow && w.Dy() != oh {
					t.Fatalf("%s %d×%d %v: %v is not the largest window", r.Name, ow, oh, f, w)
				}
				// The ratio, within the rounding of one side.
				if d := w.Dx()*r.H - w.Dy()*r.W; w.Dx() > 1 && w.Dy() > 1 && abs(d) > max(r.W, r.H) {
					t.Fatalf("%s %d×%d: %v has ratio off by %d", r.Name, ow, oh, w, d)
				}
				fx, fy := 0.5, 0.5
				if f != nil {
					fx, fy = f.X, f.Y
				}
				px, py := fx*float64(ow), fy*float64(oh)
				inX := px >= float64(w.Min.X)-1 && px <= float64(w.Max.X)+1
				inY := py >= float64(w.Min.Y)-1 && py <= float64(w.Max.Y)+1
				if !inX || !inY {
					t.Fatalf("%s %d×%d %v: focal (%.0f, %.0f) outside %v", r.Name, ow, oh, f, px, py, w)
				}
			}
		}
	}
}

func abs(v int) int { return max(v, -v) }

func TestCropSizeAndSlots(t *testing.T) {
	sq, wide := ratio("1:1"), ratio("16:9")
	if w, h := CropSize(2000, 1000, sq, 640); w != 640 || h != 640 {
		t.Fatalf("square 640 of 2000×1000: %d×%d", w, h)
	}
	if w, h := CropSize(2000, 1000, wide, 1024); w != 1024 || h != 576 {
		t.Fatalf("16:9 1024 of 2000×1000: %d×%d", w, h)
	}
	// A tiny image: its crop is the window itself, under the smallest slot.
	if got := CropSlots(30, 20, sq); len(got) != 1 || got[0] != 50 {
		t.Fatalf("slots of 30×20: %v", got)
	}
	if w, h := CropSize(30, 20, sq, 50); w != 20 || h != 20 {
		t.Fatalf("square of 30×20: %d×%d", w, h)
	}
	// A window narrower than the image: 16:9 of a portrait is as wide as it.
	if got := CropSlots(300, 1000, wide); len(got) != 3 || got[2] != 240 {
		t.Fatalf("16:9 slots of 300×1000: %v", got)
	}
	if got := CropSlots(1000, 300, sq); got[len(got)-1] != 240 {
		t.Fatalf("square slots of 1000×300 (window 300 wide): %v", got)
	}
}

func TestCropNames(t *testing.T) {
	c := CropOf(ratio("16:9"), 640, &FocalPoint{0.8, 0.3})
	if c.Name() != "640x360-800-300" {
		t.Fatalf("name %q", c.Name())
	}
	if got, ok := ParseCropName("640x360-800-300"); !ok || got != c {
		t.Fatalf("parse: %+v %v", got, ok)
	}
	if CropOf(ratio("1:1"), 50, nil).Name() != "50x50-500-500" {
		t.Fatal("centre crop name")
	}
	for _, bad := range []string{"640x360", "640x361-800-300", "641x641-0-0", "640x640-1001-0", "640x640-0800-300", "640x640--1-0",
		"640x640-800-300-1", "x-800-300", "640X640-800-300", "640x640-8e2-300"} {
		if _, ok := ParseCropName(bad); ok {
			t.Errorf("%q parsed", bad)
		}
	}
	seen := map[int]string{}
	for _, r := range CropRatios {
		for _, w := range RenditionWidths {
			for _, f := range []*FocalPoint{nil, {0, 0}, {1, 1}, {0.123, 0.987}} {
				c := CropOf(r, w, f)
				s := c.StorageSlot()
				if !IsCropSlot(s) || IsRenditionWidth(s) {
					t.Fatalf("%s: slot %d", c.Name(), s)
				}
				if other, dup := seen[s]; dup && other != r.Name+c.Name() {
					t.Fatalf("%s and %s share slot %d", other, c.Name(), s)
				}
				seen[s] = r.Name + c.Name()
			}
		}
	}
}

func TestFocalInput(t *testing.T) {
	f := func(v float64) *float64 { return &v }
	for _, tc := range []struct {
		name   string
		in     FocalInput
		change bool
		want   *FocalPoint
		field  string
	}{
		{"Absent", FocalInput{}, false, nil, ""},
		{"Set", FocalInput{XSet: true, YSet: true, X: f(0.8), Y: f(0.3)}, true, &FocalPoint{0.8, 0.3}, ""},
		{"Edges", FocalInput{XSet: true, YSet: true, X: f(0), Y: f(1)}, true, &FocalPoint{0, 1}, ""},
		{"Clear", FocalInput{XSet: true, YSet: true}, true, nil, ""},
		{"ErrOnlyX", FocalInput{XSet: true, X: f(0.5)}, false, nil, "focal_y"},
		{"ErrOnlyY", FocalInput{YSet: true, Y: f(0.5)}, false, nil, "focal_x"},
		{"ErrYNull", FocalInput{XSet: true, YSet: true, X: f(0.5)}, false, nil, "focal_y"},
		{"ErrOnlyXNull", FocalInput{XSet: true}, false, nil, "focal_y"},
		{"ErrOnlyYNull", FocalInput{YSet: true}, false, nil, "focal_x"},
		{"ErrXRange", FocalInput{XSet: true, YSet: true, X: f(1.01), Y: f(0.5)}, false, nil, "focal_x"},
		{"ErrYRange", FocalInput{XSet: true, YSet: true, X: f(0.5), Y: f(-0.1)}, false, nil, "focal_y"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			change, got, err := tc.in.Update()
			if tc.field != "" {
				var de *Error
				if e, ok := err.(*Error); ok {
					de = e
				}
				if de == nil || de.Code != ECInvalidField || de.Details["field"] != tc.field {
					t.Fatalf("err %v, want invalid_field on %s", err, tc.field)
				}
				return
			}
			if err != nil || change != tc.change || (got == nil) != (tc.want == nil) || (got != nil && *got != *tc.want) {
				t.Fatalf("got %v %v %v, want %v %v", change, got, err, tc.change, tc.want)
			}
		})
	}
}
