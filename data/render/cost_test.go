package render

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/gif"
	"image/jpeg"
	"image/png"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"testing"
	"time"

	cwebp "github.com/chai2010/webp"
	"golang.org/x/image/webp"

	"gallerist/data/render/internal/jpegscale"
	"gallerist/data/render/rendertest"
)

// noiseNRGBA is a w×h picture of random samples (alpha random too unless
// opaque): the worst case for every entropy coder and filter.
func noiseNRGBA(w, h int, opaque bool) *image.NRGBA {
	m := image.NewNRGBA(image.Rect(0, 0, w, h))
	r := rand.New(rand.NewPCG(uint64(w), uint64(h)))
	for i := range m.Pix {
		m.Pix[i] = uint8(r.Uint32())
		if opaque && i%4 == 3 {
			m.Pix[i] = 255
		}
	}
	return m
}

// cpuPer runs f and returns its CPU time in nanoseconds divided by n.
func cpuPer(n int, f func()) float64 {
	runtime.GC()
	start := cpuTime()
	f()
	return float64(cpuTime()-start) / float64(n)
}

// TestWorkWeights measures, on this machine, the CPU of each operation the
// work weights (cost.go) stand for, on worst-case inputs, and prints it
// beside the weight. It is a calibration, not a check (it takes about a
// minute): GALLERIST_CALIBRATE=1 go test -run TestWorkWeights -v ./data/render/
func TestWorkWeights(t *testing.T) {
	if os.Getenv("GALLERIST_CALIBRATE") == "" {
		t.Skip("set GALLERIST_CALIBRATE=1 to measure the work weights")
	}
	report := func(name string, ns float64, weight float64) {
		if weight == 0 {
			t.Logf("%-44s %7.2f ns   (no weight)", name, ns)
			return
		}
		t.Logf("%-44s %7.2f ns   weight %6.2f   (%.2f×)", name, ns, weight, weight/ns)
	}
	const w, h = 3000, 2000
	noise := noiseNRGBA(w, h, false)

	// PNG: every row Paeth-filtered noise (image/png's encoder picks the
	// filter per row; on noise, mostly Paeth), 8 and 16 bits.
	var pb bytes.Buffer
	if err := png.Encode(&pb, noise); err != nil {
		t.Fatal(err)
	}
	report("PNG 8-bit decode, per inflated byte", cpuPer(w*h*4, func() { png.Decode(bytes.NewReader(pb.Bytes())) }), wPNGByte)
	n64 := image.NewNRGBA64(noise.Rect)
	for i, v := range noise.Pix {
		n64.Pix[2*i], n64.Pix[2*i+1] = v, v^0x5a
	}
	pb.Reset()
	if err := png.Encode(&pb, n64); err != nil {
		t.Fatal(err)
	}
	report("PNG 16-bit decodePNG16, per inflated byte", cpuPer(w*h*8, func() { decodePNG16(bytes.NewReader(pb.Bytes())) }), wPNGByte)

	// GIF: 256 colours of noise, LZW at its worst.
	var gb bytes.Buffer
	if err := gif.Encode(&gb, noise, &gif.Options{NumColors: 256}); err != nil {
		t.Fatal(err)
	}
	report("GIF decode, per pixel", cpuPer(w*h, func() { gif.Decode(bytes.NewReader(gb.Bytes())) }), wGIFPixel)

	// WebP lossless: noise, and the hostile single-symbol stream.
	ll, err := cwebp.EncodeLosslessRGBA(noiseNRGBA(1500, 1000, false))
	if err != nil {
		t.Fatal(err)
	}
	report("WebP lossless decode (noise), per pixel", cpuPer(1500*1000, func() { webp.Decode(bytes.NewReader(ll)) }), wVP8LPixel)
	hostile := rendertest.WebPLossless(w, h, 0x80808080)
	report("WebP lossless decode (no data), per pixel", cpuPer(w*h, func() { webp.Decode(bytes.NewReader(hostile)) }), wVP8LPixel)

	// WebP lossy: flat (per pixel) and noise at quality 100 (per byte).
	flat, err := cwebp.EncodeRGBA(image.NewRGBA(image.Rect(0, 0, w, h)), 50)
	if err != nil {
		t.Fatal(err)
	}
	report("WebP lossy decode (flat), per pixel", cpuPer(w*h, func() { webp.Decode(bytes.NewReader(flat)) }), wVP8Pixel)
	lossy, _ := cwebp.EncodeRGBA(noiseNRGBA(w, h, true), 100)
	perByte := cpuPer(len(lossy), func() { webp.Decode(bytes.NewReader(lossy)) }) - float64(wVP8Pixel*w*h)/float64(len(lossy))
	report("WebP lossy decode (noise), per byte", perByte, wVP8Byte)

	// JPEG: per block per scan (end-of-band runs), per byte (noise at
	// quality 100), and per block reconstructed at each scale.
	prog := rendertest.ProgressiveJPEG(w, h, 1, 100)
	blocks := (w / 8) * (h / 8)
	report("JPEG progressive scan, per block", cpuPer(100*blocks, func() {
		jpegscale.DecodeScaled(bytes.NewReader(prog), &jpegscale.Options{Scale: func(*jpegscale.Header) (int, error) { return 8, nil }})
	})-wIDCT[3]/100, wJPEGBlockScan)
	var jb bytes.Buffer
	if err := jpeg.Encode(&jb, noiseNRGBA(w, h, true), &jpeg.Options{Quality: 100}); err != nil {
		t.Fatal(err)
	}
	flatJPEG := encodeJPEG(t, image.NewGray(image.Rect(0, 0, w, h)), 90)
	for shift, s := range []int{1, 2, 4, 8} {
		opt := &jpegscale.Options{Scale: func(*jpegscale.Header) (int, error) { return s, nil }}
		per := cpuPer(blocks, func() { jpegscale.DecodeScaled(bytes.NewReader(flatJPEG), opt) }) - wJPEGBlockScan
		report(fmt.Sprintf("JPEG block reconstructed at 1/%d", s), per, wIDCT[shift])
	}
	blocks3 := blocks * 3 / 2 // 4:2:0
	per := cpuPer(jb.Len(), func() {
		jpegscale.DecodeScaled(bytes.NewReader(jb.Bytes()), &jpegscale.Options{Scale: func(*jpegscale.Header) (int, error) { return 1, nil }})
	}) - float64(blocks3)*(wJPEGBlockScan+wIDCT[0])/float64(jb.Len())
	report("JPEG data, per byte (checked on the clock)", per, 0)

	// Conversion to premultiplied RGBA.
	report("NRGBA premultiplied in place, per pixel", cpuPer(w*h, func() { fromImage(noiseNRGBA(w, h, false), w, h) })-randCost(t, w*h), wConvert)
	pal := image.NewPaletted(noise.Rect, gifPalette())
	report("Paletted to RGBA, per pixel", cpuPer(w*h, func() { fromImage(pal, w, h) }), wConvert)

	// Resampling: 2×2 box reductions, and filter taps.
	rr := fromImage(noiseNRGBA(w, h, false), w, h)
	p := rr.planes[0]
	report("2×2 box reduction, per input sample", cpuPer(w*h*4, func() { p.halve() }), wHalve)
	taps := tapsFor(float64(w) / 1024)
	report("Lanczos pass, per tap per output sample", cpuPer(1024*h*4*taps, func() { p.hpass(1024, 1024) }), wTap)

	// Encoding 1024×683 renditions of noise.
	small := fromImage(noiseNRGBA(1024, 683, false), 1024, 683)
	opaque := fromImage(noiseNRGBA(1024, 683, true), 1024, 683)
	px := 1024 * 683
	report("JPEG encode, per pixel", cpuPer(px, func() { encode(opaque, formats{primary: true}, Options{}) }), wJPEGEncode)
	report("PNG encode (with alpha), per pixel", cpuPer(px, func() { encode(small, formats{primary: true}, Options{}) }), wPNGEncode)
	report("WebP encode (with alpha), per pixel", cpuPer(px, func() { encode(small, formats{webp: true}, Options{}) }), wWebPAlpha)
	report("WebP encode (opaque), per pixel", cpuPer(px, func() { encode(opaque, formats{webp: true}, Options{}) }), wWebPOpaque)
}

// randCost is the CPU per pixel of making noiseNRGBA (subtracted).
func randCost(_ *testing.T, n int) float64 {
	return cpuPer(n, func() { noiseNRGBA(3000, n/3000, false) })
}

func gifPalette() color.Palette {
	p := make(color.Palette, 256)
	for i := range p {
		p[i] = color.NRGBA{uint8(i), uint8(i * 7), uint8(i * 13), uint8(i)}
	}
	return p
}

// costInput is an original for the estimate tests, made on demand (data,
// or gen).
type costInput struct {
	name, mime string
	data       []byte
	gen        func() []byte
}

func (c costInput) bytes() []byte {
	if c.data == nil && c.gen != nil {
		return c.gen()
	}
	return c.data
}

func costInputs(t *testing.T) []costInput {
	const w, h = 512, 341
	enc := func(m image.Image) []byte {
		var b bytes.Buffer
		if err := png.Encode(&b, m); err != nil {
			t.Fatal(err)
		}
		return b.Bytes()
	}
	noise := sync.OnceValue(func() *image.NRGBA { return noiseNRGBA(w, h, false) })
	pal := func() *image.Paletted {
		p := image.NewPaletted(image.Rect(0, 0, w, h), gifPalette())
		for i := range p.Pix {
			p.Pix[i] = noise().Pix[4*i+1]
		}
		return p
	}
	gray := func() *image.Gray {
		g := image.NewGray(image.Rect(0, 0, w, h))
		for i := range g.Pix {
			g.Pix[i] = noise().Pix[4*i]
		}
		return g
	}
	rgb := func() *image.RGBA {
		m := image.NewRGBA(image.Rect(0, 0, w, h))
		for i := range w * h {
			copy(m.Pix[4*i:4*i+3], noise().Pix[4*i:])
			m.Pix[4*i+3] = 255
		}
		return m
	}
	webpOf := func(m image.Image) []byte {
		b, err := cwebp.EncodeRGBA(m, 90)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	photo := sync.OnceValue(func() []byte { return encodeJPEG(t, testPhoto(t, 2100, 700), 90) })
	in := []costInput{
		{name: "JPEG 2100×700 (1/2 scale)", mime: "image/jpeg", gen: photo},
		{name: "JPEG 2100×700, orientation 6", mime: "image/jpeg", gen: func() []byte { return locatedJPEG(photo()) }},
		{name: "JPEG 512×341 (full scale)", mime: "image/jpeg", gen: func() []byte { return encodeJPEG(t, testPhoto(t, w, h), 90) }},
		{name: "JPEG gray 4200×400 (1/4)", mime: "image/jpeg", gen: func() []byte { return encodeJPEG(t, image.NewGray(image.Rect(0, 0, 4200, 400)), 90) }},
		{name: "JPEG progressive 2100×1000, 10 scans (1/2)", mime: "image/jpeg", gen: func() []byte { return rendertest.ProgressiveJPEG(2100, 1000, 3, 10) }},
		{name: "JPEG progressive gray 512×341", mime: "image/jpeg", gen: func() []byte { return rendertest.ProgressiveJPEG(w, h, 1, 6) }},
		{name: "PNG RGBA", mime: "image/png", gen: func() []byte { return enc(noise()) }},
		{name: "PNG RGB", mime: "image/png", gen: func() []byte { return enc(rgb()) }},
		{name: "PNG gray", mime: "image/png", gen: func() []byte { return enc(gray()) }},
		{name: "PNG paletted", mime: "image/png", gen: func() []byte { return enc(pal()) }},
		{name: "PNG interlaced RGBA", mime: "image/png", gen: func() []byte { return rendertest.PNGs(w, h, 8, 6, true, 1)[0] }},
		{name: "PNG 16-bit gray", mime: "image/png", gen: func() []byte { return png16Spec{w: w, h: h, ct: 0}.build() }},
		{name: "PNG 16-bit RGB", mime: "image/png", gen: func() []byte { return png16Spec{w: w, h: h, ct: 2}.build() }},
		{name: "PNG 16-bit gray+alpha", mime: "image/png", gen: func() []byte { return png16Spec{w: w, h: h, ct: 4}.build() }},
		{name: "PNG 16-bit RGBA", mime: "image/png", gen: func() []byte { return png16Spec{w: w, h: h, ct: 6}.build() }},
		{name: "PNG 16-bit RGBA interlaced", mime: "image/png", gen: func() []byte { return rendertest.PNGs(w, h, 16, 6, true, 1)[0] }},
		{name: "GIF noise", mime: "image/gif", gen: func() []byte {
			var b bytes.Buffer
			if err := gif.Encode(&b, pal(), nil); err != nil {
				t.Fatal(err)
			}
			return b.Bytes()
		}},
		{name: "GIF small frame on a large screen", mime: "image/gif", gen: func() []byte { return rendertest.GIF(1200, 800, 10, 10, 1) }},
		{name: "WebP lossless", mime: "image/webp", gen: func() []byte { return rendertest.WebPLossless(w, h, 0x80ff0000) }},
		{name: "WebP lossy", mime: "image/webp", gen: func() []byte { return webpOf(noiseNRGBA(w, h, true)) }},
		{name: "WebP lossy with alpha", mime: "image/webp", gen: func() []byte { return webpOf(noise()) }},
	}
	for _, name := range []string{"video-001.cmyk.jpeg", "video-001.rgb.jpeg", "video-001.q50.410.progressive.jpeg", "video-001.interlaced.gif", "video-001.221212.png"} {
		b, err := os.ReadFile(filepath.Join(stdTestdata(t), name))
		if err != nil {
			t.Fatal(err)
		}
		in = append(in, costInput{name: name, mime: mimeOf(name), data: b})
	}
	return in
}

// allocated runs f and returns the bytes it allocated.
func allocated(f func()) int64 {
	var a, b runtime.MemStats
	runtime.ReadMemStats(&a)
	f()
	runtime.ReadMemStats(&b)
	return int64(b.TotalAlloc - a.TotalAlloc)
}

// TestEstimateCoversAllocations: for every kind of original, the memory
// Estimate predicts from the header is at least what Make allocates (the
// decode budget relies on it), and not wildly more, and Make's Admit sees
// the same cost.
func TestEstimateCoversAllocations(t *testing.T) {
	for i, in := range costInputs(t) {
		if (raceEnabled || testing.Short()) && i%3 != 0 {
			continue // a third of them
		}
		data := in.bytes()
		for _, webp := range []bool{i%2 == 0} { // half of them with WebP
			opt := Options{WebP: webp, CPUBudget: time.Minute} // -race is slow
			est, err := Estimate(bytes.NewReader(data), in.mime, Widths, opt)
			if err != nil {
				t.Fatalf("%s: %v", in.name, err)
			}
			var admitted []Cost
			opt.Admit = func(c Cost) error { admitted = append(admitted, c); return nil }
			var made []Rendition
			got := allocated(func() {
				made, err = Make(bytes.NewReader(data), in.mime, Widths, opt)
			})
			if err != nil {
				t.Fatalf("%s: %v", in.name, err)
			}
			if len(admitted) != 1 || admitted[0] != est {
				t.Errorf("%s: Admit saw %+v, Estimate says %+v", in.name, admitted, est)
			}
			if got > est.Bytes {
				t.Errorf("%s (WebP %v): Make allocated %d KB, more than the estimate's %d KB", in.name, webp, got>>10, est.Bytes>>10)
			}
			// Honest, too, beyond the fixed allowances (decoder tables,
			// a deflater per PNG rendition).
			if est.Bytes > 4*got+fixedBytes+int64(len(made))*3<<19 {
				t.Errorf("%s (WebP %v): estimate %d KB, more than 4× the %d KB Make allocated", in.name, webp, est.Bytes>>10, got>>10)
			}
			t.Logf("%-40s WebP %-5v allocated %7d KB, estimate %7d KB (%.2f×), CPU estimate %v, %d renditions",
				in.name, webp, got>>10, est.Bytes>>10, float64(est.Bytes)/float64(got), est.CPU.Round(time.Millisecond), len(made))
		}
	}
}

// TestAdmitRefusalDecodesNothing: an Admit error stops Make before any
// pixel memory is allocated, and comes back as it is.
func TestAdmitRefusalDecodesNothing(t *testing.T) {
	refused := errors.New("no room")
	for _, in := range []costInput{
		{name: "16-bit PNG 7000×7000", mime: "image/png", data: rendertest.PNG(7000, 7000, 16, 6)},
		{name: "progressive JPEG 7000×7000", mime: "image/jpeg", data: rendertest.ProgressiveJPEG(7000, 7000, 3, 10)},
		{name: "GIF 7000×7000", mime: "image/gif", data: rendertest.GIF(7000, 7000, 7000, 7000, 1)},
		{name: "WebP 5000×5000", mime: "image/webp", data: rendertest.WebPLossless(5000, 5000, 0)},
	} {
		var cost Cost
		var err error
		got := allocated(func() {
			_, err = Make(bytes.NewReader(in.data), in.mime, Widths, Options{Admit: func(c Cost) error { cost = c; return refused }})
		})
		if !errors.Is(err, refused) {
			t.Fatalf("%s: %v", in.name, err)
		}
		if got > 1<<20 {
			t.Errorf("%s: %d KB allocated before the refusal", in.name, got>>10)
		}
		t.Logf("%s: refused at %d MB estimated; %d KB allocated", in.name, cost.Bytes>>20, got>>10)
	}
}

// TestCPUBudget: hostile originals stop with ErrTooMuchWork having used
// no more than their budget; an ordinary one is well within the default.
func TestCPUBudget(t *testing.T) {
	cases := []struct {
		name   string
		mime   string
		data   []byte
		budget time.Duration
	}{
		// 50 megapixels of lossless WebP predict more than 4 s to decode:
		// refused before decoding.
		{"lossless WebP 7071×7071 in 34 bytes", "image/webp", rendertest.WebPLossless(7071, 7071, 0), 0},
		// 100 scans of 250,000 blocks: stopped between scans.
		{"progressive JPEG 4000×4000, 100 scans", "image/jpeg", rendertest.ProgressiveJPEG(4000, 4000, 1, 100), 150 * time.Millisecond},
		// A 1024×4096 rendition would take up to 3 s to encode: stopped
		// after decoding, before resampling.
		{"PNG 1024×4096 with alpha", "image/png", rendertest.PNG(1024, 4096, 8, 6), time.Second},
	}
	for _, c := range cases {
		var err error
		start := cpuTime()
		runtime.LockOSThread()
		_, err = Make(bytes.NewReader(c.data), c.mime, Widths, Options{WebP: true, CPUBudget: c.budget})
		runtime.UnlockOSThread()
		used := cpuTime() - start
		if !errors.Is(err, ErrTooMuchWork) {
			t.Fatalf("%s: %v, want ErrTooMuchWork", c.name, err)
		}
		budget := c.budget
		if budget == 0 {
			budget = DefaultCPUBudget
		}
		// The process's CPU: the call's thread, plus the garbage
		// collector's background work.
		if used > budget+100*time.Millisecond {
			t.Errorf("%s: stopped after %v of CPU, budget %v", c.name, used, budget)
		}
		t.Logf("%s: %v after %v of CPU (budget %v)", c.name, err, used.Round(time.Millisecond), budget)
	}
	if _, err := Make(bytes.NewReader(rendertest.ProgressiveJPEG(2000, 2000, 1, 10)), "image/jpeg", Widths, Options{}); err != nil {
		t.Errorf("an ordinary progressive JPEG: %v", err)
	}
}

// TestGIFFirstFrameOnly: render reads a GIF up to the end of its first
// frame, so nothing after it costs anything (even data that is not a GIF),
// and a frame outside the logical screen is refused.
func TestGIFFirstFrameOnly(t *testing.T) {
	g := rendertest.GIF(640, 480, 640, 480, 1)
	tail := append(g[:len(g)-1:len(g)-1], bytes.Repeat([]byte{0x2c, 0xff}, 1000)...)
	if _, err := Make(bytes.NewReader(tail), "image/gif", Widths, Options{}); err != nil {
		t.Errorf("junk after the first frame: %v", err)
	}
	big := rendertest.GIF(100, 100, 200, 100, 1)
	if _, err := Make(bytes.NewReader(big), "image/gif", Widths, Options{}); err == nil {
		t.Error("a frame larger than the screen was accepted")
	}
	// Later frames, even huge ones, are never decoded.
	anim := rendertest.GIF(2000, 2000, 2000, 2000, 20)
	got := allocated(func() {
		if _, err := Make(bytes.NewReader(anim), "image/gif", Widths, Options{CPUBudget: time.Minute}); err != nil {
			t.Error(err)
		}
	})
	est, _ := Estimate(bytes.NewReader(anim), "image/gif", Widths, Options{})
	if got > est.Bytes {
		t.Errorf("20 frames of 4 MP: %d MB allocated, over the one-frame estimate of %d MB", got>>20, est.Bytes>>20)
	}
}
