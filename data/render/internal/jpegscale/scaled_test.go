package jpegscale

import (
	"bytes"
	"image"
	"image/jpeg"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

func testdataJPEGs(t *testing.T) []string {
	out, err := exec.Command("go", "env", "GOROOT").Output()
	if err != nil {
		t.Skip(err)
	}
	files, _ := filepath.Glob(filepath.Join(strings.TrimSpace(string(out)), "src", "image", "testdata", "*.jpeg"))
	if len(files) == 0 {
		t.Skip("no Go image testdata")
	}
	if p := os.Getenv("GALLERIST_BENCH_PHOTO"); p != "" {
		files = append(files, p)
	}
	return files
}

func scaleOpt(s int) *Options {
	return &Options{Scale: func(*Header) (int, error) { return s, nil }}
}

// TestFullScaleMatchesStdlib: at scale 1 the decoder (with its rewritten bit
// reader and Huffman fast paths) gives exactly image/jpeg's pixels.
func TestFullScaleMatchesStdlib(t *testing.T) {
	for _, f := range testdataJPEGs(t) {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		want, wantErr := jpeg.Decode(bytes.NewReader(data))
		got, h, err := DecodeScaled(bytes.NewReader(data), scaleOpt(1))
		if (err != nil) != (wantErr != nil) {
			t.Errorf("%s: error %v, stdlib %v", filepath.Base(f), err, wantErr)
			continue
		}
		if err != nil {
			continue
		}
		if h.Scale != 1 || h.Width != want.Bounds().Dx() || h.Height != want.Bounds().Dy() {
			t.Errorf("%s: header %+v", filepath.Base(f), h)
		}
		if !samePixels(got, want) {
			t.Errorf("%s: pixels differ from image/jpeg", filepath.Base(f))
		}
	}
}

func samePixels(a, b image.Image) bool {
	if a.Bounds() != b.Bounds() {
		return false
	}
	switch a := a.(type) {
	case *image.YCbCr:
		b, ok := b.(*image.YCbCr)
		if !ok || a.SubsampleRatio != b.SubsampleRatio {
			return false
		}
	}
	r := a.Bounds()
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			if a.At(x, y) != b.At(x, y) {
				return false
			}
		}
	}
	return true
}

// TestScaledSizes: a w×h image decoded at 1/s is ceil(w/s)×ceil(h/s), and
// each pixel is close to the average of the s×s block it stands for.
func TestScaledSizes(t *testing.T) {
	for _, f := range testdataJPEGs(t) {
		data, _ := os.ReadFile(f)
		full, err := jpeg.Decode(bytes.NewReader(data))
		if err != nil {
			continue
		}
		gray, isGray := full.(*image.Gray)
		for _, s := range []int{2, 4, 8} {
			m, h, err := DecodeScaled(bytes.NewReader(data), scaleOpt(s))
			if err != nil {
				t.Fatalf("%s 1/%d: %v", filepath.Base(f), s, err)
			}
			want := image.Rect(0, 0, (h.Width+s-1)/s, (h.Height+s-1)/s)
			if m.Bounds() != want || h.Scale != s {
				t.Errorf("%s 1/%d: bounds %v scale %d, want %v", filepath.Base(f), s, m.Bounds(), h.Scale, want)
			}
			if !isGray {
				continue
			}
			// Luma check on gray images: mean absolute difference from the
			// block average.
			g := m.(*image.Gray)
			var sum, n float64
			for y := 0; y < h.Height/s; y++ {
				for x := 0; x < h.Width/s; x++ {
					avg := 0
					for yy := 0; yy < s; yy++ {
						for xx := 0; xx < s; xx++ {
							avg += int(gray.GrayAt(x*s+xx, y*s+yy).Y)
						}
					}
					d := float64(avg)/float64(s*s) - float64(g.GrayAt(x, y).Y)
					if d < 0 {
						d = -d
					}
					sum += d
					n++
				}
			}
			if mad := sum / n; mad > 6 {
				t.Errorf("%s 1/%d: mean abs difference from block averages %.1f", filepath.Base(f), s, mad)
			}
		}
	}
}

// TestCorruptInput: damaged and truncated JPEGs give errors or images,
// never panics.
func TestCorruptInput(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, f := range testdataJPEGs(t) {
		data, _ := os.ReadFile(f)
		if len(data) > 1<<20 {
			continue
		}
		for i := 0; i < 40; i++ {
			d := append([]byte(nil), data...)
			switch i % 4 {
			case 0:
				d = d[:rng.IntN(len(d))]
			default:
				for k := 0; k < 1+i%5; k++ {
					d[rng.IntN(len(d))] = byte(rng.UintN(256))
				}
			}
			for _, s := range []int{1, 4, 8} {
				func() {
					defer func() {
						if r := recover(); r != nil {
							t.Fatalf("%s mutation %d at 1/%d: panic %v", filepath.Base(f), i, s, r)
						}
					}()
					DecodeScaled(bytes.NewReader(d), scaleOpt(s))
				}()
			}
		}
	}
}
