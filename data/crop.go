package data

import (
	"image"
	"math"
	"strconv"
	"strings"
)

// FocalPoint is where the subject of an image is: X and Y are fractions
// (0 to 1) of its EXIF-oriented width and height, from the top left.
// Fixed-ratio crops are cut around it; an image without one is cropped
// around its centre.
type FocalPoint struct{ X, Y float64 }

// Validate checks that both coordinates are within 0..1 (field errors
// name focal_x or focal_y).
func (f FocalPoint) Validate() error {
	for _, c := range []struct {
		name string
		v    float64
	}{{"focal_x", f.X}, {"focal_y", f.Y}} {
		if math.IsNaN(c.v) || c.v < 0 || c.v > 1 {
			return FieldError(c.name, "%s must be a number from 0 (left or top edge) to 1 (right or bottom edge).", c.name)
		}
	}
	return nil
}

// FocalInput is focal_x and focal_y as a request sends them: each absent
// (not Set), null (Set with a nil value) or a number.
type FocalInput struct {
	XSet, YSet bool
	X, Y       *float64
}

// Update reads the pair: change is false when neither was sent; otherwise
// the new focal point, nil when both are null (clearing it). Only one of
// the two, or one null and one a number, is a field error naming the one
// that is missing.
func (in FocalInput) Update() (change bool, f *FocalPoint, err error) {
	if !in.XSet && !in.YSet {
		return false, nil, nil
	}
	if in.X == nil && in.Y == nil {
		if !in.XSet || !in.YSet { // one null, the other absent: ask for the pair
			missing := "focal_y"
			if !in.XSet {
				missing = "focal_x"
			}
			return false, nil, FieldError(missing, "Send focal_x and focal_y together: both null clears the focal point.")
		}
		return true, nil, nil
	}
	if in.X == nil {
		return false, nil, FieldError("focal_x", "Send focal_x with focal_y: a focal point needs both (or both null to clear it).")
	}
	if in.Y == nil {
		return false, nil, FieldError("focal_y", "Send focal_y with focal_x: a focal point needs both (or both null to clear it).")
	}
	p := FocalPoint{X: *in.X, Y: *in.Y}
	if err := p.Validate(); err != nil {
		return false, nil, err
	}
	return true, &p, nil
}

// CropRatio is one of the fixed aspect ratios crops are made at.
type CropRatio struct {
	Name string // "16:9"
	W, H int
}

// CropRatios are the ratios crops are made at: square, portrait 4:5 and
// wide 16:9, each at the RenditionWidths that fit.
var CropRatios = []CropRatio{{"1:1", 1, 1}, {"4:5", 4, 5}, {"16:9", 16, 9}}

// HeightFor is the height of a crop w pixels wide (rounded, at least 1).
func (r CropRatio) HeightFor(w int) int {
	return max(1, (2*w*r.H+r.W)/(2*r.W))
}

// windowSize is the largest r.W:r.H rectangle inside ow×oh (at least 1×1).
func (r CropRatio) windowSize(ow, oh int) (cw, ch int) {
	if ow*r.H >= oh*r.W { // wider than the ratio: full height
		return min(ow, max(1, (2*oh*r.W+r.H)/(2*r.H))), oh
	}
	return ow, min(oh, r.HeightFor(ow))
}

// CropWindow is the part of an ow×oh image a crop at ratio r keeps: the
// largest rectangle of that ratio inside the image, centred on the focal
// point (the image's centre when f is nil) and moved back inside the
// image where the focal point is near an edge.
func CropWindow(ow, oh int, r CropRatio, f *FocalPoint) image.Rectangle {
	cw, ch := r.windowSize(ow, oh)
	fx, fy := 0.5, 0.5
	if f != nil {
		fx, fy = f.X, f.Y
	}
	place := func(size, win int, at float64) int {
		p := int(math.Round(at*float64(size) - float64(win)/2))
		return min(max(p, 0), size-win)
	}
	x0, y0 := place(ow, cw, fx), place(oh, ch, fy)
	return image.Rect(x0, y0, x0+cw, y0+ch)
}

// CropSlots are the widths an ow×oh image has crops at in ratio r: every
// RenditionWidth up to its crop window's width, or the smallest one (made
// at the window's own size) when the window is narrower than all.
func CropSlots(ow, oh int, r CropRatio) []int {
	cw, _ := r.windowSize(ow, oh)
	return RenditionSlots(cw)
}

// CropSize is the pixels of the crop at slot of an ow×oh image: slot wide
// at the ratio, or the window itself when it is narrower (never upscaled).
func CropSize(ow, oh int, r CropRatio, slot int) (w, h int) {
	cw, ch := r.windowSize(ow, oh)
	if slot >= cw {
		return cw, ch
	}
	return slot, r.HeightFor(slot)
}

// Crop names one crop of an image: its ratio, the width asked for (a
// RenditionWidth) and the focal point in thousandths (500, 500 for none).
type Crop struct {
	Ratio  CropRatio
	Slot   int
	FX, FY int
}

// CropOf is the crop of an item with focal point f (nil: the centre).
func CropOf(r CropRatio, slot int, f *FocalPoint) Crop {
	c := Crop{Ratio: r, Slot: slot, FX: 500, FY: 500}
	if f != nil {
		c.FX, c.FY = int(math.Round(f.X*1000)), int(math.Round(f.Y*1000))
	}
	return c
}

// Focal is the crop's focal point.
func (c Crop) Focal() *FocalPoint {
	return &FocalPoint{X: float64(c.FX) / 1000, Y: float64(c.FY) / 1000}
}

// Name is the crop's file name without extension, as its URL spells it:
// "{w}x{h}-{fx}-{fy}" (fx, fy in thousandths), e.g. "640x360-800-300".
// A new focal point gives a new name.
func (c Crop) Name() string {
	return strconv.Itoa(c.Slot) + "x" + strconv.Itoa(c.Ratio.HeightFor(c.Slot)) + "-" + strconv.Itoa(c.FX) + "-" + strconv.Itoa(c.FY)
}

// CropSlotBase is where crops' storage slots start, above every width.
const CropSlotBase = 1_000_000_000_000

// StorageSlot is the integer the crop is stored under beside the plain
// renditions (whose slot is their width): ratio, width and focal point
// in one number, (ratio index + 1)·10¹² + width·10⁸ + fx·10⁴ + fy.
func (c Crop) StorageSlot() int {
	ri := 0
	for i, r := range CropRatios {
		if r == c.Ratio {
			ri = i
		}
	}
	return (ri+1)*CropSlotBase + c.Slot*100_000_000 + c.FX*10_000 + c.FY
}

// IsCropSlot reports whether a stored slot is a crop's, not a width.
func IsCropSlot(slot int) bool { return slot >= CropSlotBase }

// ParseCropName reads a crop's name ("640x360-800-300"): a RenditionWidth,
// the height of one of CropRatios at it, and a focal point in thousandths,
// spelled one way only (Name's).
func ParseCropName(name string) (Crop, bool) {
	size, focal, _ := strings.Cut(name, "-")
	ws, hs, _ := strings.Cut(size, "x")
	xs, ys, _ := strings.Cut(focal, "-")
	var n [4]int
	for i, s := range []string{ws, hs, xs, ys} {
		v, err := strconv.Atoi(s)
		if err != nil || v < 0 {
			return Crop{}, false
		}
		n[i] = v
	}
	if !IsRenditionWidth(n[0]) || n[2] > 1000 || n[3] > 1000 {
		return Crop{}, false
	}
	for _, r := range CropRatios {
		if r.HeightFor(n[0]) == n[1] {
			c := Crop{Ratio: r, Slot: n[0], FX: n[2], FY: n[3]}
			return c, c.Name() == name
		}
	}
	return Crop{}, false
}
