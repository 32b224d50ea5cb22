package render

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/color/palette"
	"image/draw"
	"image/gif"
	"image/jpeg"
	"image/png"
	"io"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"

	xdraw "golang.org/x/image/draw"
	"golang.org/x/image/webp"
)

// goDir runs "go <args>" once per distinct args and returns its output, a
// directory holding real test inputs.
var goDirs sync.Map

func goDir(t *testing.T, args ...string) string {
	t.Helper()
	key := strings.Join(args, " ")
	if v, ok := goDirs.Load(key); ok {
		return v.(string)
	}
	out, err := exec.Command("go", args...).Output()
	if err != nil {
		t.Skipf("go %s: %v", key, err)
	}
	dir := strings.TrimSpace(string(out))
	goDirs.Store(key, dir)
	return dir
}

// stdTestdata is Go's own image testdata: JPEGs (CMYK, gray, progressive,
// every subsampling, restart markers), PNGs and GIFs.
func stdTestdata(t *testing.T) string {
	return filepath.Join(goDir(t, "env", "GOROOT"), "src", "image", "testdata")
}

// webpTestdata is x/image's WebP testdata (lossy, lossless, with alpha).
func webpTestdata(t *testing.T) string {
	return filepath.Join(goDir(t, "list", "-m", "-f", "{{.Dir}}", "golang.org/x/image"), "testdata")
}

func mimeOf(path string) string {
	switch filepath.Ext(path) {
	case ".jpeg", ".jpg":
		return "image/jpeg"
	case ".png":
		return "image/png"
	case ".gif":
		return "image/gif"
	case ".webp":
		return "image/webp"
	}
	return ""
}

func decodeAny(t *testing.T, data []byte) image.Image {
	t.Helper()
	var m image.Image
	var err error
	switch {
	case bytes.HasPrefix(data, []byte("\xff\xd8")):
		m, err = jpeg.Decode(bytes.NewReader(data))
	case bytes.HasPrefix(data, []byte("\x89PNG")):
		m, err = png.Decode(bytes.NewReader(data))
	case bytes.HasPrefix(data, []byte("RIFF")):
		m, err = webp.Decode(bytes.NewReader(data))
	default:
		t.Fatalf("unknown output format % x", data[:min(8, len(data))])
	}
	if err != nil {
		t.Fatalf("decoding rendition: %v", err)
	}
	return m
}

// average returns the mean premultiplied R, G, B, A of m, in 0..255.
func average(m image.Image) [4]float64 {
	b := m.Bounds()
	var sum [4]float64
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r, g, bb, a := m.At(x, y).RGBA()
			sum[0] += float64(r >> 8)
			sum[1] += float64(g >> 8)
			sum[2] += float64(bb >> 8)
			sum[3] += float64(a >> 8)
		}
	}
	n := float64(b.Dx() * b.Dy())
	for i := range sum {
		sum[i] /= n
	}
	return sum
}

func opaque(m image.Image) bool {
	b := m.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			if _, _, _, a := m.At(x, y).RGBA(); a != 0xffff {
				return false
			}
		}
	}
	return true
}

// checkRenditions checks widths, heights, formats, that each rendition
// decodes and that its average colour matches the original's.
func checkRenditions(t *testing.T, orig image.Image, rs []Rendition, widths []int) {
	t.Helper()
	ob := orig.Bounds()
	ow, oh := ob.Dx(), ob.Dy()
	want := plan(widths, ow)
	if len(rs) != len(want) {
		t.Fatalf("got %d renditions, want %d (widths %v of a %dx%d original)", len(rs), len(want), want, ow, oh)
	}
	wantFormat := "jpeg"
	if !opaque(orig) {
		wantFormat = "png"
	}
	oavg := average(orig)
	for i, r := range rs {
		if r.Width != want[i] {
			t.Errorf("rendition %d: width %d, want %d", i, r.Width, want[i])
		}
		if h := int(math.Round(float64(r.Width) * float64(oh) / float64(ow))); r.Height != max(h, 1) {
			t.Errorf("rendition %d: height %d, want %d", i, r.Height, h)
		}
		if r.Format != wantFormat {
			t.Errorf("rendition %d: format %s, want %s", i, r.Format, wantFormat)
		}
		m := decodeAny(t, r.Data)
		if got := m.Bounds().Size(); got != image.Pt(r.Width, r.Height) {
			t.Errorf("rendition %d: decoded size %v, want %dx%d", i, got, r.Width, r.Height)
		}
		if r.Width < 8 || r.Height < 8 {
			continue // too few pixels for a meaningful average
		}
		avg := average(m)
		for c := range avg {
			if d := math.Abs(avg[c] - oavg[c]); d > 6 {
				t.Errorf("rendition %dx%d: average colour %.1f, original %.1f (channel %d off by %.1f)",
					r.Width, r.Height, avg, oavg, c, d)
				break
			}
		}
	}
}

// TestGoTestdata makes renditions of every image in Go's image testdata
// that the standard library decodes, and compares them to its decoding.
func TestGoTestdata(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join(stdTestdata(t), "*"))
	widths := []int{24, 50, 100, 120, 150, 240}
	n := 0
	for _, f := range files {
		mime := mimeOf(f)
		if mime == "" {
			continue
		}
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		orig, _, err := image.Decode(bytes.NewReader(data))
		if err != nil {
			continue // e.g. deliberately broken files
		}
		n++
		t.Run(filepath.Base(f), func(t *testing.T) {
			rs, err := Make(bytes.NewReader(data), mime, widths, Options{})
			if err != nil {
				t.Fatal(err)
			}
			checkRenditions(t, orig, rs, widths)
		})
	}
	if n < 30 {
		t.Errorf("only %d images decoded from Go's testdata", n)
	}
}

// TestWebPTestdata covers lossy, lossless and alpha WebP originals.
func TestWebPTestdata(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join(webpTestdata(t), "*.webp"))
	if len(files) == 0 {
		t.Skip("no x/image testdata")
	}
	sawAlpha := false
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		orig, err := webp.Decode(bytes.NewReader(data))
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		t.Run(filepath.Base(f), func(t *testing.T) {
			rs, err := Make(bytes.NewReader(data), "", Widths, Options{}) // sniffed
			if err != nil {
				t.Fatal(err)
			}
			checkRenditions(t, orig, rs, Widths)
			if !opaque(orig) {
				sawAlpha = true
				if m := decodeAny(t, rs[len(rs)-1].Data); opaque(m) {
					t.Error("transparent original gave an opaque rendition")
				}
			}
		})
	}
	if !sawAlpha {
		t.Error("no WebP with transparency among the test inputs")
	}
}

// TestWebPOutput checks the optional WebP renditions, with and without
// alpha.
func TestWebPOutput(t *testing.T) {
	for _, name := range []string{"blue-purple-pink.lossy.webp", "yellow_rose.lossy-with-alpha.webp"} {
		data, err := os.ReadFile(filepath.Join(webpTestdata(t), name))
		if err != nil {
			t.Skip(err)
		}
		orig, _ := webp.Decode(bytes.NewReader(data))
		rs, err := Make(bytes.NewReader(data), "image/webp", []int{50, 100}, Options{WebP: true})
		if err != nil {
			t.Fatal(err)
		}
		if len(rs) != 4 {
			t.Fatalf("%s: %d renditions, want 4", name, len(rs))
		}
		for i, r := range rs {
			if (i%2 == 1) != (r.Format == "webp") {
				t.Errorf("%s: rendition %d is %s", name, i, r.Format)
			}
			if r.Format != "webp" {
				continue
			}
			m := decodeAny(t, r.Data)
			if m.Bounds().Dx() != r.Width || m.Bounds().Dy() != r.Height {
				t.Errorf("%s: webp %v, want %dx%d", name, m.Bounds(), r.Width, r.Height)
			}
			if opaque(m) != opaque(orig) {
				t.Errorf("%s: webp rendition opaque=%v, original %v", name, opaque(m), opaque(orig))
			}
			avg, oavg := average(m), average(orig)
			for c := range avg {
				if math.Abs(avg[c]-oavg[c]) > 8 {
					t.Errorf("%s: webp average %.1f, original %.1f", name, avg, oavg)
					break
				}
			}
		}
		one, err := MakeOne(bytes.NewReader(data), "image/webp", 100, Options{WebP: true})
		if err != nil || one.Format != "webp" || one.Width != 100 {
			t.Errorf("MakeOne WebP: %v %s %d", err, one.Format, one.Width)
		}
	}
}

// TestAnimatedGIF: the first frame is rendered, placed on the logical screen.
func TestAnimatedGIF(t *testing.T) {
	pal := color.Palette{color.RGBA{200, 30, 30, 255}, color.RGBA{30, 30, 200, 255}, color.RGBA{0, 0, 0, 0}}
	frame := func(r image.Rectangle, c uint8) *image.Paletted {
		m := image.NewPaletted(r, pal)
		for i := range m.Pix {
			m.Pix[i] = c
		}
		return m
	}
	var buf bytes.Buffer
	err := gif.EncodeAll(&buf, &gif.GIF{
		Image: []*image.Paletted{frame(image.Rect(0, 0, 400, 200), 0), frame(image.Rect(0, 0, 400, 200), 1)},
		Delay: []int{10, 10},
	})
	if err != nil {
		t.Fatal(err)
	}
	rs, err := Make(bytes.NewReader(buf.Bytes()), "image/gif", Widths, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(rs) != 4 || rs[3].Width != 320 || rs[3].Height != 160 || rs[3].Format != "jpeg" {
		t.Fatalf("renditions: %v", summary(rs))
	}
	avg := average(decodeAny(t, rs[3].Data))
	if avg[0] < 180 || avg[2] > 50 {
		t.Errorf("average %v: not the first (red) frame", avg)
	}

	// A first frame smaller than the screen leaves transparent pixels: PNG.
	buf.Reset()
	err = gif.EncodeAll(&buf, &gif.GIF{
		Image:  []*image.Paletted{frame(image.Rect(100, 50, 300, 150), 0), frame(image.Rect(0, 0, 400, 200), 1)},
		Delay:  []int{10, 10},
		Config: image.Config{ColorModel: pal, Width: 400, Height: 200},
	})
	if err != nil {
		t.Fatal(err)
	}
	rs, err = Make(bytes.NewReader(buf.Bytes()), "image/gif", []int{200}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(rs) != 1 || rs[0].Width != 200 || rs[0].Height != 100 || rs[0].Format != "png" {
		t.Fatalf("renditions: %v", summary(rs))
	}
	m := decodeAny(t, rs[0].Data)
	if _, _, _, a := m.At(5, 5).RGBA(); a != 0 {
		t.Errorf("corner alpha %d, want transparent", a)
	}
	if r, _, _, a := m.At(100, 50).RGBA(); a != 0xffff || r>>8 < 180 {
		t.Errorf("centre not opaque red: r=%d a=%d", r>>8, a>>8)
	}
}

func summary(rs []Rendition) string {
	var s []string
	for _, r := range rs {
		s = append(s, fmt.Sprintf("%dx%d %s", r.Width, r.Height, r.Format))
	}
	return strings.Join(s, ", ")
}

// testPhoto returns a w×h photo-like image: Go's test picture scaled up, with
// a red marker in the top-left corner.
func testPhoto(t *testing.T, w, h int) *image.RGBA {
	f, err := os.Open(filepath.Join(stdTestdata(t), "video-001.png"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	src, err := png.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	m := image.NewRGBA(image.Rect(0, 0, w, h))
	xdraw.CatmullRom.Scale(m, m.Rect, src, src.Bounds(), xdraw.Src, nil)
	draw.Draw(m, image.Rect(0, 0, w/5, h/5), image.NewUniform(color.RGBA{255, 0, 0, 255}), image.Point{}, draw.Src)
	return m
}

func encodeJPEG(t *testing.T, m image.Image, q int) []byte {
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, m, &jpeg.Options{Quality: q}); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// ifdEntry is a TIFF IFD entry for building Exif test data. Values longer
// than 4 bytes go out of line.
type ifdEntry struct {
	tag, typ uint16
	count    uint32
	value    []byte // raw value bytes (big-endian)
}

// buildTIFF lays out a big-endian TIFF with IFD0 and optional sub-IFDs; a
// sub-IFD is linked from IFD0 by the entry whose tag is its key (0x8825 for
// GPS, 0x8769 for Exif).
func buildTIFF(ifd0 []ifdEntry, subs map[uint16][]ifdEntry) []byte {
	bo := binary.BigEndian
	out := []byte("MM\x00\x2a\x00\x00\x00\x08")
	// Positions: IFD0 at 8, then its data, then each sub-IFD with its data.
	type pending struct {
		at    int
		value []byte
	}
	writeIFD := func(entries []ifdEntry, links map[uint16]int) []pending {
		out = bo.AppendUint16(out, uint16(len(entries)))
		var pend []pending
		for _, e := range entries {
			out = bo.AppendUint16(out, e.tag)
			out = bo.AppendUint16(out, e.typ)
			out = bo.AppendUint32(out, e.count)
			if _, ok := links[e.tag]; ok {
				pend = append(pend, pending{at: len(out), value: nil})
				out = bo.AppendUint32(out, 0)
				continue
			}
			if len(e.value) <= 4 {
				v := make([]byte, 4)
				copy(v, e.value)
				out = append(out, v...)
			} else {
				pend = append(pend, pending{at: len(out), value: e.value})
				out = bo.AppendUint32(out, 0)
			}
		}
		out = bo.AppendUint32(out, 0) // no next IFD
		for _, p := range pend {
			if p.value != nil {
				bo.PutUint32(out[p.at:], uint32(len(out)))
				out = append(out, p.value...)
				if len(out)%2 == 1 {
					out = append(out, 0)
				}
			}
		}
		return pend
	}
	links := map[uint16]int{}
	for tag := range subs {
		links[tag] = 0
	}
	pend := writeIFD(ifd0, links)
	// Link sub-IFDs in IFD0 order.
	i := 0
	for _, e := range ifd0 {
		if sub, ok := subs[e.tag]; ok {
			for pend[i].value != nil {
				i++
			}
			bo.PutUint32(out[pend[i].at:], uint32(len(out)))
			i++
			writeIFD(sub, nil)
		}
	}
	return out
}

func short(v uint16) []byte { return binary.BigEndian.AppendUint16(nil, v) }

func rationals(vs ...uint32) []byte {
	var b []byte
	for _, v := range vs {
		b = binary.BigEndian.AppendUint32(b, v)
		b = binary.BigEndian.AppendUint32(b, 1)
	}
	return b
}

// spliceSegments inserts APPn segments right after a JPEG's SOI.
func spliceSegments(jpg []byte, segs ...[]byte) []byte {
	out := append([]byte{}, jpg[:2]...)
	for _, s := range segs {
		out = append(out, s...)
	}
	return append(out, jpg[2:]...)
}

func segment(marker byte, payload []byte) []byte {
	s := []byte{0xff, marker, 0, 0}
	binary.BigEndian.PutUint16(s[2:], uint16(len(payload)+2))
	return append(s, payload...)
}

func exifSegment(tiff []byte) []byte {
	return segment(0xe1, append([]byte("Exif\x00\x00"), tiff...))
}

// TestOrientation: each EXIF orientation gives an upright rendition. The red
// marker in the stored top-left corner must land where the orientation puts
// it, and width and height swap for 5 to 8.
func TestOrientation(t *testing.T) {
	photo := encodeJPEG(t, testPhoto(t, 1600, 800), 90)
	// Where the stored top-left corner ends up.
	corner := map[int]string{1: "TL", 2: "TR", 3: "BR", 4: "BL", 5: "TL", 6: "TR", 7: "BR", 8: "BL"}
	for o := 1; o <= 8; o++ {
		tiff := buildTIFF([]ifdEntry{{0x0112, 3, 1, short(uint16(o))}}, nil)
		data := spliceSegments(photo, exifSegment(tiff))
		rs, err := Make(bytes.NewReader(data), "image/jpeg", []int{100, 640}, Options{})
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range rs {
			ow, oh := 1600, 800
			if o >= 5 {
				ow, oh = 800, 1600
			}
			if r.Height != r.Width*oh/ow {
				t.Errorf("orientation %d: %dx%d, want aspect %dx%d", o, r.Width, r.Height, ow, oh)
			}
			m := decodeAny(t, r.Data)
			b := m.Bounds()
			at := map[string]image.Point{
				"TL": {b.Dx() / 20, b.Dy() / 20}, "TR": {b.Dx() - 1 - b.Dx()/20, b.Dy() / 20},
				"BL": {b.Dx() / 20, b.Dy() - 1 - b.Dy()/20}, "BR": {b.Dx() - 1 - b.Dx()/20, b.Dy() - 1 - b.Dy()/20},
			}
			for name, p := range at {
				red := isRed(m.At(p.X, p.Y))
				if red != (name == corner[o]) {
					t.Errorf("orientation %d, %dpx: corner %s red=%v (marker should be %s)", o, r.Width, name, red, corner[o])
				}
			}
		}
	}
}

func isRed(c color.Color) bool {
	r, g, b, _ := c.RGBA()
	return r>>8 > 200 && g>>8 < 60 && b>>8 < 60
}

// TestScaledDecodeSimilarity compares renditions made through the scaled
// DCT decoder with the same resampling of a full stdlib decode.
func TestScaledDecodeSimilarity(t *testing.T) {
	type input struct {
		name string
		data []byte
	}
	inputs := []input{
		{"photo-1600x1100-q90", encodeJPEG(t, testPhoto(t, 1600, 1100), 90)},
		{"photo-1203x799-q75", encodeJPEG(t, testPhoto(t, 1203, 799), 75)},
	}
	files, _ := filepath.Glob(filepath.Join(stdTestdata(t), "*.jpeg"))
	for _, f := range files {
		data, _ := os.ReadFile(f)
		if _, err := jpeg.Decode(bytes.NewReader(data)); err == nil {
			inputs = append(inputs, input{filepath.Base(f), data})
		}
	}
	scales := map[int]bool{}
	for i, in := range inputs {
		full, err := jpeg.Decode(bytes.NewReader(in.data))
		if err != nil {
			t.Fatal(err)
		}
		ow, oh := full.Bounds().Dx(), full.Bounds().Dy()
		widths := []int{ow / 8, ow / 4, ow / 3, ow / 2}
		if i >= 2 {
			// Go's 150×103 test pictures are so busy that an 8×8 block
			// average differs from Lanczos by ~30 dB at the block scale;
			// compare them where a resampling step of 1.5 follows the
			// scaled decode (1/4 then 1/2), as for real photos.
			widths = []int{ow / 6, ow / 3}
		}
		for _, w := range widths {
			h := heightFor(w, ow, oh)
			runtime.LockOSThread() // the job's CPU meter is the thread's clock
			src, err := decode(bufio.NewReader(bytes.NewReader(in.data)), "image/jpeg", newJob([]int{w}, formats{primary: true}, Options{}))
			runtime.UnlockOSThread()
			if err != nil {
				t.Fatal(err)
			}
			scales[int(math.Round(float64(ow)/float64(src.r.w)))] = true
			got := toNRGBA(src.r.resize(w, h).image())
			ref := fullDecodeResize(full, w, h)
			if p := psnr(got, ref); p < 30 {
				t.Errorf("%s at %d px (decoded %dpx wide): PSNR %.1f dB < 30", in.name, w, src.r.w, p)
			} else {
				t.Logf("%s at %d px (decoded %dpx wide): PSNR %.1f dB", in.name, w, src.r.w, p)
			}
		}
	}
	for _, s := range []int{2, 4, 8} {
		if !scales[s] {
			t.Errorf("scale 1/%d not exercised", s)
		}
	}
}

// fullDecodeResize resamples a full-resolution decode with the same
// resampler (the reference for the scaled decoder).
func fullDecodeResize(full image.Image, w, h int) *image.NRGBA {
	b := full.Bounds()
	var r *raster
	if c, ok := full.(*image.CMYK); ok {
		rgba := image.NewRGBA(c.Rect)
		toRGBA(plane{pix: rgba.Pix, w: b.Dx(), h: b.Dy(), stride: rgba.Stride, ch: 4}, c)
		r = fromImage(rgba, float64(b.Dx()), float64(b.Dy()))
	} else {
		r = fromImage(full, float64(b.Dx()), float64(b.Dy()))
	}
	return toNRGBA(r.resize(w, h).image())
}

func toNRGBA(m image.Image) *image.NRGBA {
	n := image.NewNRGBA(m.Bounds())
	draw.Draw(n, n.Rect, m, m.Bounds().Min, draw.Src)
	return n
}

func psnr(a, b *image.NRGBA) float64 {
	var se float64
	for i := range a.Pix {
		if i%4 == 3 {
			continue
		}
		d := float64(a.Pix[i]) - float64(b.Pix[i])
		se += d * d
	}
	mse := se / float64(len(a.Pix)/4*3)
	if mse == 0 {
		return math.Inf(1)
	}
	return 10 * math.Log10(255*255/mse)
}

// TestPlan covers which sizes get made.
func TestPlan(t *testing.T) {
	data := encodeJPEG(t, testPhoto(t, 300, 200), 90)
	rs, err := Make(bytes.NewReader(data), "image/jpeg", Widths, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if got := summary(rs); got != "50x33 jpeg, 100x67 jpeg, 240x160 jpeg" {
		t.Errorf("300x200: %s", got)
	}
	// Narrower than every width: one rendition at the original size.
	small := encodeJPEG(t, testPhoto(t, 40, 30), 90)
	rs, err = Make(bytes.NewReader(small), "image/jpeg", Widths, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if got := summary(rs); got != "40x30 jpeg" {
		t.Errorf("40x30: %s", got)
	}
	// MakeOne caps at the original width.
	one, err := MakeOne(bytes.NewReader(data), "image/jpeg", 1024, Options{})
	if err != nil || one.Width != 300 || one.Height != 200 {
		t.Errorf("MakeOne(1024) of 300x200: %dx%d %v", one.Width, one.Height, err)
	}
	one, err = MakeOne(bytes.NewReader(data), "image/jpeg", 64, Options{JPEGQuality: 95})
	if err != nil || one.Width != 64 || one.Height != 43 || one.Format != "jpeg" {
		t.Errorf("MakeOne(64): %dx%d %s %v", one.Width, one.Height, one.Format, err)
	}
}

// TestNoMetadata: renditions have no APPn or COM segments even when the
// original has Exif, XMP and an ICC profile.
func TestNoMetadata(t *testing.T) {
	tiff := buildTIFF([]ifdEntry{{0x0112, 3, 1, short(1)}}, nil)
	data := spliceSegments(encodeJPEG(t, testPhoto(t, 500, 300), 90),
		exifSegment(tiff),
		segment(0xe1, []byte(xmpHeader+"<x:xmpmeta/>")),
		segment(0xe2, []byte("ICC_PROFILE\x00\x01\x01fake")),
		segment(0xfe, []byte("a comment")))
	rs, err := Make(bytes.NewReader(data), "image/jpeg", Widths, Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rs {
		for _, m := range markers(t, r.Data) {
			if m >= 0xe0 && m <= 0xef || m == 0xfe {
				t.Errorf("%dpx rendition has segment 0x%02x", r.Width, m)
			}
		}
	}
}

// markers lists the markers of a JPEG up to its first SOS.
func markers(t *testing.T, b []byte) []byte {
	var ms []byte
	i := 2
	for i+4 <= len(b) {
		if b[i] != 0xff {
			t.Fatalf("no marker at %d", i)
		}
		m := b[i+1]
		ms = append(ms, m)
		if m == 0xda {
			break
		}
		i += 2 + int(binary.BigEndian.Uint16(b[i+2:]))
	}
	return ms
}

// TestErrors covers refused inputs.
func TestErrors(t *testing.T) {
	photo := encodeJPEG(t, testPhoto(t, 320, 240), 90)
	if _, err := Make(bytes.NewReader(photo), "image/tiff", Widths, Options{}); !errors.Is(err, ErrUnsupported) {
		t.Errorf("tiff: %v", err)
	}
	if _, err := Make(strings.NewReader("not an image at all"), "", Widths, Options{}); !errors.Is(err, ErrUnsupported) {
		t.Errorf("garbage: %v", err)
	}
	if _, err := Make(bytes.NewReader(photo[:len(photo)/2]), "image/jpeg", Widths, Options{}); err == nil {
		t.Error("truncated JPEG: no error")
	}
	// Missing EOI after complete image data is accepted, as browsers do.
	if _, err := Make(bytes.NewReader(photo[:len(photo)-2]), "image/jpeg", Widths, Options{}); err != nil {
		t.Errorf("JPEG without EOI: %v", err)
	}
	defer func(m int) { MaxPixels = m }(MaxPixels)
	MaxPixels = 320*240 - 1
	if _, err := Make(bytes.NewReader(photo), "image/jpeg", Widths, Options{}); !errors.Is(err, ErrTooLarge) {
		t.Errorf("too large JPEG: %v", err)
	}
	var buf bytes.Buffer
	png.Encode(&buf, testPhoto(t, 320, 240))
	if _, err := Make(&buf, "image/png", Widths, Options{}); !errors.Is(err, ErrTooLarge) {
		t.Errorf("too large PNG: %v", err)
	}
}

// TestPNGAlpha: a PNG with a transparent hole gives PNG renditions that keep
// it; an opaque PNG gives JPEG.
func TestPNGAlpha(t *testing.T) {
	m := image.NewNRGBA(image.Rect(0, 0, 400, 300))
	for i := 0; i < len(m.Pix); i += 4 {
		m.Pix[i], m.Pix[i+1], m.Pix[i+2], m.Pix[i+3] = 20, 160, 60, 255
	}
	hole := image.Rect(150, 100, 250, 200)
	draw.Draw(m, hole, image.Transparent, image.Point{}, draw.Src)
	var buf bytes.Buffer
	if err := png.Encode(&buf, m); err != nil {
		t.Fatal(err)
	}
	rs, err := Make(bytes.NewReader(buf.Bytes()), "image/png", Widths, Options{})
	if err != nil {
		t.Fatal(err)
	}
	checkRenditions(t, m, rs, Widths)
	out := decodeAny(t, rs[len(rs)-1].Data) // 320x240
	if _, _, _, a := out.At(160, 120).RGBA(); a != 0 {
		t.Errorf("hole alpha %d", a>>8)
	}
	if r, g, b, a := out.At(20, 20).RGBA(); a>>8 != 255 || r>>8 != 20 || g>>8 != 160 || b>>8 != 60 {
		t.Errorf("opaque area %d %d %d %d", r>>8, g>>8, b>>8, a>>8)
	}

	pm := image.NewPaletted(image.Rect(0, 0, 300, 200), palette.Plan9)
	buf.Reset()
	png.Encode(&buf, pm)
	rs, err = Make(&buf, "image/png", []int{100}, Options{})
	if err != nil || len(rs) != 1 || rs[0].Format != "jpeg" {
		t.Errorf("opaque paletted PNG: %s %v", summary(rs), err)
	}
}

// TestStripJPEGLocation: the GPS IFD and location XMP/IPTC go, everything
// else (orientation, other tags, image data) stays byte for byte.
func TestStripJPEGLocation(t *testing.T) {
	lat := rationals(48, 51, 29)
	lon := rationals(2, 17, 40)
	tiff := buildTIFF(
		[]ifdEntry{
			{0x010f, 2, 10, []byte("Gallerist\x00")}, // Make
			{0x0112, 3, 1, short(6)},                 // Orientation
			{0x8769, 4, 1, nil},                      // ExifIFD
			{0x8825, 4, 1, nil},                      // GPSInfo
		},
		map[uint16][]ifdEntry{
			0x8769: {{0x9003, 2, 20, []byte("2024:05:06 07:08:09\x00")}}, // DateTimeOriginal
			0x8825: {
				{0x0001, 2, 2, []byte("N\x00")},
				{0x0002, 5, 3, lat},
				{0x0003, 2, 2, []byte("E\x00")},
				{0x0004, 5, 3, lon},
			},
		})
	if !bytes.Contains(tiff, lat) || exifOrientation(tiff) != 6 {
		t.Fatal("test TIFF not built as intended")
	}
	xmpGPS := segment(0xe1, []byte(xmpHeader+`<x:xmpmeta><rdf:Description exif:GPSLatitude="48,51.48N"/></x:xmpmeta>`))
	xmpPlain := segment(0xe1, []byte(xmpHeader+`<x:xmpmeta><rdf:Description dc:format="image/jpeg"/></x:xmpmeta>`))
	xmpExt := segment(0xe1, []byte(xmpExtHeader+"0123456789abcdef0123456789abcdef\x00\x00\x00\x10\x00\x00\x00\x00<rest/>"))
	iptcCity := append([]byte{0x1c, 2, 90, 0, 5}, "Paris"...)
	irb := append([]byte("Photoshop 3.0\x008BIM\x04\x04\x00\x00"), binary.BigEndian.AppendUint32(nil, uint32(len(iptcCity)))...)
	irb = append(irb, iptcCity...)
	if len(irb)%2 == 1 {
		irb = append(irb, 0)
	}
	app13 := segment(0xed, irb)

	base := encodeJPEG(t, testPhoto(t, 640, 480), 85)
	orig := spliceSegments(base, exifSegment(tiff), xmpGPS, xmpExt, app13, segment(0xfe, []byte("kept comment")))
	var out bytes.Buffer
	if err := StripJPEGLocation(bytes.NewReader(orig), &out); err != nil {
		t.Fatal(err)
	}
	got := out.Bytes()

	// The image data, from SOS on, is unchanged.
	if !bytes.Equal(got[bytes.Index(got, []byte{0xff, 0xda}):], orig[bytes.Index(orig, []byte{0xff, 0xda}):]) {
		t.Error("scan data changed")
	}
	// The Exif segment keeps its size; GPS is gone, everything else readable.
	i := bytes.Index(got, []byte("Exif\x00\x00"))
	if i < 0 {
		t.Fatal("Exif segment lost")
	}
	newTIFF := got[i+6 : i+6+len(tiff)]
	if bytes.Contains(newTIFF, lat) || bytes.Contains(newTIFF, lon) || bytes.Contains(newTIFF, []byte("N\x00\x00\x00")) {
		t.Error("GPS values still present")
	}
	tt, _ := parseTIFF(newTIFF)
	n, _ := tt.u16(tt.ifd0)
	if n != 3 {
		t.Errorf("IFD0 has %d entries, want 3", n)
	}
	tags := map[uint16]uint32{}
	for k := 0; k < int(n); k++ {
		tag, _ := tt.u16(tt.ifd0 + 2 + 12*k)
		v, _ := tt.u32(tt.ifd0 + 2 + 12*k + 8)
		tags[tag] = v
	}
	if _, ok := tags[0x8825]; ok {
		t.Error("GPSInfo tag still in IFD0")
	}
	if next, _ := tt.u32(tt.ifd0 + 2 + 12*int(n)); next != 0 {
		t.Errorf("next-IFD offset %d, want 0", next)
	}
	if exifOrientation(newTIFF) != 6 {
		t.Error("orientation lost")
	}
	if mk := tags[0x010f]; string(newTIFF[mk:mk+9]) != "Gallerist" {
		t.Error("Make tag value not found at its offset")
	}
	// The Exif sub-IFD's first entry (DateTimeOriginal) points to its value.
	if off, ok := tt.u32(int(tags[0x8769]) + 2 + 8); !ok || int(off)+19 > len(newTIFF) ||
		string(newTIFF[off:off+19]) != "2024:05:06 07:08:09" {
		t.Error("Exif sub-IFD no longer valid")
	}
	// XMP with location, extended XMP and IPTC with a city are dropped.
	for _, s := range []string{"GPSLatitude", xmpExtHeader, "Photoshop 3.0", "Paris"} {
		if bytes.Contains(got, []byte(s)) {
			t.Errorf("%q still present", s)
		}
	}
	if !bytes.Contains(got, []byte("kept comment")) {
		t.Error("comment dropped")
	}
	if _, err := jpeg.Decode(bytes.NewReader(got)); err != nil {
		t.Errorf("stripped JPEG does not decode: %v", err)
	}
	// Orientation still applies: a 640x480 original renders 480 wide, 640 tall.
	rs, err := Make(bytes.NewReader(got), "image/jpeg", []int{240}, Options{})
	if err != nil || rs[0].Width != 240 || rs[0].Height != 320 {
		t.Errorf("rendition of stripped JPEG: %s %v", summary(rs), err)
	}

	// XMP without location stays; a JPEG without GPS is copied unchanged.
	plain := spliceSegments(base, exifSegment(buildTIFF([]ifdEntry{{0x0112, 3, 1, short(3)}}, nil)), xmpPlain)
	out.Reset()
	if err := StripJPEGLocation(bytes.NewReader(plain), &out); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(out.Bytes(), plain) {
		t.Error("JPEG without location changed")
	}

	if err := StripJPEGLocation(strings.NewReader("GIF89a..."), &out); !errors.Is(err, ErrNotJPEG) {
		t.Errorf("not a JPEG: %v", err)
	}
	if err := StripJPEGLocation(bytes.NewReader(orig[:40]), io.Discard); err == nil {
		t.Error("truncated header: no error")
	}
}
