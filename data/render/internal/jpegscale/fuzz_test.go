package jpegscale

import (
	"bytes"
	"errors"
	"image"
	"image/jpeg"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
)

// Fuzz targets. The seed corpora are committed under testdata/fuzz/FuzzX/
// (real files from Go's image/testdata and the regression inputs found so
// far); f.Add adds the hand-made hostile inputs of hostile_test.go.
// scripts/fuzz.sh runs every target for a bounded time.

// scales are the denominators DecodeScaled supports.
var scales = []int{1, 2, 4, 8}

// fuzzMaxPixels bounds the work of one fuzz input: frames larger than this
// are skipped (a mutated header easily claims 65535×65535, which is
// legitimate but slow to decode, not a bug).
const fuzzMaxPixels = 2 << 20

var errFuzzTooLarge = errors.New("frame too large for fuzzing")

func fuzzScale(s int) *Options {
	return &Options{Scale: func(h *Header) (int, error) {
		if h.Width*h.Height > fuzzMaxPixels {
			return 0, errFuzzTooLarge
		}
		return s, nil
	}}
}

// hostileInputs are the hand-made regression inputs.
func hostileInputs() [][]byte {
	return [][]byte{overSubscribedDHT(), wrapAt9(), staleFastAC(), slowPathAtEnd(), runPastEnd()}
}

// FuzzDecode: DecodeConfig, Decode and DecodeScaled at every scale never
// panic, and agree with each other: a decoded image has the configured
// frame size, reduced to ceil(w/s)×ceil(h/s) at scale 1/s, and whether an
// input decodes does not depend on the scale.
func FuzzDecode(f *testing.F) {
	for _, b := range hostileInputs() {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		cfg, cfgErr := DecodeConfig(bytes.NewReader(data))
		if cfgErr == nil && cfg.Width*cfg.Height > fuzzMaxPixels {
			return
		}
		var firstErr error
		for i, s := range scales {
			m, h, err := DecodeScaled(bytes.NewReader(data), fuzzScale(s))
			if errors.Is(err, errFuzzTooLarge) {
				return
			}
			if i == 0 {
				firstErr = err
			} else if (err == nil) != (firstErr == nil) {
				t.Fatalf("at 1/%d: error %v; at 1/1: %v", s, err, firstErr)
			}
			if err != nil {
				continue
			}
			if cfgErr != nil {
				t.Fatalf("decodes at 1/%d, but DecodeConfig: %v", s, cfgErr)
			}
			if h.Width != cfg.Width || h.Height != cfg.Height || h.Scale != s {
				t.Fatalf("at 1/%d: header %dx%d scale %d, config %dx%d", s, h.Width, h.Height, h.Scale, cfg.Width, cfg.Height)
			}
			if want := image.Rect(0, 0, (cfg.Width+s-1)/s, (cfg.Height+s-1)/s); !m.Bounds().Eq(want) {
				t.Fatalf("at 1/%d: bounds %v, want %v", s, m.Bounds(), want)
			}
		}
		// Decode (no Options) is DecodeScaled at 1/1. DecodeConfig fails
		// before any SOS when the input cannot decode, so it is safe to run
		// when DecodeConfig failed.
		m, err := Decode(bytes.NewReader(data))
		if (err == nil) != (firstErr == nil) {
			t.Fatalf("Decode: error %v; DecodeScaled: %v", err, firstErr)
		}
		if err == nil && !m.Bounds().Eq(image.Rect(0, 0, cfg.Width, cfg.Height)) {
			t.Fatalf("Decode: bounds %v, config %dx%d", m.Bounds(), cfg.Width, cfg.Height)
		}
	})
}

// FuzzDifferential compares jpegscale with image/jpeg on the same input;
// see checkDifferential.
func FuzzDifferential(f *testing.F) {
	for _, b := range hostileInputs() {
		f.Add(b)
	}
	f.Fuzz(checkDifferential)
}

// TestDifferential runs checkDifferential on Go's JPEG testdata, on
// truncations of every file at many points (where the leniencies show) and
// on random byte changes.
func TestDifferential(t *testing.T) {
	files := testdataJPEGs(t)
	rng := rand.New(rand.NewPCG(9, 9))
	n := 0
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if len(data) > 1<<20 {
			continue // the optional benchmark photo: larger than fuzzMaxPixels
		}
		name := filepath.Base(f)
		t.Run(name, func(t *testing.T) { checkDifferential(t, data) })
		for i := 0; i < 24; i++ {
			var d []byte
			switch i % 3 {
			case 0:
				d = data[:rng.IntN(len(data))]
			case 1:
				// Cut just after a marker: at segment and scan boundaries.
				ms := markerOffsets(data)
				d = data[:ms[rng.IntN(len(ms))]]
			default:
				d = append([]byte(nil), data...)
				for k := 0; k < 1+i%4; k++ {
					d[rng.IntN(len(d))] = byte(rng.UintN(256))
				}
			}
			checkDifferential(t, d)
			n++
		}
	}
	for _, b := range hostileInputs() {
		checkDifferential(t, b)
	}
	t.Logf("%d files, %d variants", len(files), n)
}

// markerOffsets lists the offsets of 0xff bytes followed by a marker code
// (and the end of data).
func markerOffsets(b []byte) []int {
	var ms []int
	for i := 0; i+1 < len(b); i++ {
		if b[i] == 0xff && b[i+1] != 0 && b[i+1] != 0xff {
			ms = append(ms, i)
		}
	}
	return append(ms, len(b))
}

// checkDifferential feeds data to image/jpeg and to jpegscale.
//
// jpegscale's strict mode (decodeStrict) must take image/jpeg's decision:
// where image/jpeg decodes, it decodes to the same size and type (and, for
// sequential JPEGs, the same pixels); where image/jpeg refuses, it refuses.
// DecodeConfig must agree with image/jpeg's. Nothing may panic.
//
// The default (lenient) decoder used by render accepts a superset. Its
// deliberate divergences from image/jpeg, allowed here, are:
//
//   - Scan data cut short by a marker is completed with zero bits, and a
//     missing EOI after complete scan data is accepted (image/jpeg fails
//     with "missing 0xff00 sequence" and an unexpected EOF). libjpeg and
//     browsers show such files (phones and interrupted uploads produce
//     them), so Gallerist makes renditions of them too. Whenever the strict
//     decoder accepts an input, the lenient one gives the same image.
//   - More than maxScans scans are refused with a FormatError (in both
//     modes), where image/jpeg has no limit: every scan costs a pass over
//     the frame, so a small file with thousands of empty scans would take
//     minutes. No encoder writes more than a few dozen.
//
// Progressive JPEGs are compared by size only: jpegscale keeps progressive
// coefficients in int16 (as libjpeg does), so hostile coefficient values
// that overflow 16 bits give other pixels than image/jpeg's int32.
func checkDifferential(t *testing.T, data []byte) {
	t.Helper()
	stdCfg, stdCfgErr := jpeg.DecodeConfig(bytes.NewReader(data))
	cfg, cfgErr := DecodeConfig(bytes.NewReader(data))
	if (cfgErr == nil) != (stdCfgErr == nil) {
		t.Fatalf("DecodeConfig: error %v, image/jpeg %v", cfgErr, stdCfgErr)
	}
	if cfgErr == nil && cfg != stdCfg {
		t.Fatalf("DecodeConfig: %+v, image/jpeg %+v", cfg, stdCfg)
	}
	if cfgErr == nil && cfg.Width*cfg.Height > fuzzMaxPixels {
		return
	}
	// With a failed DecodeConfig every decoder fails before allocating.
	want, stdErr := jpeg.Decode(bytes.NewReader(data))
	var strict decoder
	strict.strict = true
	got, err := strict.decode(bytes.NewReader(data), false)
	tooManyScans := errors.Is(err, errTooManyScans)
	switch {
	case tooManyScans:
		// Deliberate: a bound image/jpeg does not have.
		if strict.nScans <= maxScans {
			t.Fatalf("too many scans after %d", strict.nScans)
		}
	case (err == nil) != (stdErr == nil):
		t.Fatalf("strict decode: error %v, image/jpeg %v", err, stdErr)
	case err == nil:
		if !got.Bounds().Eq(want.Bounds()) {
			t.Fatalf("bounds %v, image/jpeg %v", got.Bounds(), want.Bounds())
		}
		if ok, why := sameType(got, want); !ok {
			t.Fatalf("image %s", why)
		}
		if !strict.progressive && !samePix(got, want) {
			t.Fatal("sequential JPEG: pixels differ from image/jpeg")
		}
	}

	// The lenient decoder, at every scale.
	for _, s := range scales {
		m, h, lerr := DecodeScaled(bytes.NewReader(data), fuzzScale(s))
		if errors.Is(lerr, errFuzzTooLarge) {
			return
		}
		// The lenient decoder gets at least as far as the strict one.
		if tooManyScans && !errors.Is(lerr, errTooManyScans) ||
			errors.Is(lerr, errTooManyScans) && err == nil {
			t.Fatalf("at 1/%d: error %v, strict decode %v", s, lerr, err)
		}
		if err == nil && lerr != nil {
			t.Fatalf("at 1/%d: error %v, but the strict decoder accepts the input", s, lerr)
		}
		if lerr != nil {
			continue
		}
		// Accepted, possibly through a leniency (err != nil).
		if want := image.Rect(0, 0, (h.Width+s-1)/s, (h.Height+s-1)/s); !m.Bounds().Eq(want) ||
			h.Width != cfg.Width || h.Height != cfg.Height {
			t.Fatalf("at 1/%d: bounds %v, header %dx%d, config %dx%d", s, m.Bounds(), h.Width, h.Height, cfg.Width, cfg.Height)
		}
		if s == 1 && err == nil && !samePix(m, got) {
			t.Fatal("lenient and strict decoders give different pixels")
		}
	}
}

func sameType(a, b image.Image) (bool, string) {
	switch a := a.(type) {
	case *image.YCbCr:
		b, ok := b.(*image.YCbCr)
		if !ok {
			return false, "types differ"
		}
		if a.SubsampleRatio != b.SubsampleRatio {
			return false, "subsampling ratios differ"
		}
		return true, ""
	case *image.Gray, *image.RGBA, *image.CMYK:
		if ta, tb := typeName(a), typeName(b); ta != tb {
			return false, "type " + ta + ", image/jpeg " + tb
		}
		return true, ""
	}
	return false, "of unexpected type " + typeName(a)
}

func typeName(m image.Image) string {
	switch m.(type) {
	case *image.YCbCr:
		return "YCbCr"
	case *image.Gray:
		return "Gray"
	case *image.RGBA:
		return "RGBA"
	case *image.CMYK:
		return "CMYK"
	}
	return "other"
}

// samePix compares two images of the same type and bounds row by row.
func samePix(a, b image.Image) bool {
	if !a.Bounds().Eq(b.Bounds()) {
		return false
	}
	r := a.Bounds()
	rows := func(pa, pb []byte, sa, sb, oa, ob, n, h int) bool {
		for y := 0; y < h; y++ {
			if !bytes.Equal(pa[oa+y*sa:oa+y*sa+n], pb[ob+y*sb:ob+y*sb+n]) {
				return false
			}
		}
		return true
	}
	switch a := a.(type) {
	case *image.Gray:
		b := b.(*image.Gray)
		return rows(a.Pix, b.Pix, a.Stride, b.Stride, a.PixOffset(r.Min.X, r.Min.Y), b.PixOffset(r.Min.X, r.Min.Y), r.Dx(), r.Dy())
	case *image.RGBA:
		b := b.(*image.RGBA)
		return rows(a.Pix, b.Pix, a.Stride, b.Stride, a.PixOffset(r.Min.X, r.Min.Y), b.PixOffset(r.Min.X, r.Min.Y), 4*r.Dx(), r.Dy())
	case *image.CMYK:
		b := b.(*image.CMYK)
		return rows(a.Pix, b.Pix, a.Stride, b.Stride, a.PixOffset(r.Min.X, r.Min.Y), b.PixOffset(r.Min.X, r.Min.Y), 4*r.Dx(), r.Dy())
	case *image.YCbCr:
		b := b.(*image.YCbCr)
		if !rows(a.Y, b.Y, a.YStride, b.YStride, a.YOffset(r.Min.X, r.Min.Y), b.YOffset(r.Min.X, r.Min.Y), r.Dx(), r.Dy()) {
			return false
		}
		// The chroma planes, over the chroma samples the bounds cover.
		cw, ch := chromaSize(a.SubsampleRatio, r.Dx(), r.Dy())
		return rows(a.Cb, b.Cb, a.CStride, b.CStride, a.COffset(r.Min.X, r.Min.Y), b.COffset(r.Min.X, r.Min.Y), cw, ch) &&
			rows(a.Cr, b.Cr, a.CStride, b.CStride, a.COffset(r.Min.X, r.Min.Y), b.COffset(r.Min.X, r.Min.Y), cw, ch)
	}
	return samePixels(a, b)
}

func chromaSize(r image.YCbCrSubsampleRatio, w, h int) (int, int) {
	switch r {
	case image.YCbCrSubsampleRatio422:
		return (w + 1) / 2, h
	case image.YCbCrSubsampleRatio420:
		return (w + 1) / 2, (h + 1) / 2
	case image.YCbCrSubsampleRatio440:
		return w, (h + 1) / 2
	case image.YCbCrSubsampleRatio411:
		return (w + 3) / 4, h
	case image.YCbCrSubsampleRatio410:
		return (w + 3) / 4, (h + 1) / 2
	}
	return w, h
}
