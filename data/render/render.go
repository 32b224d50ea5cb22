// Package render makes the renditions (resized copies) of original images that
// the media manager serves, quickly and with bounded memory.
//
// An original is decoded once. A JPEG is decoded at a reduced scale (1/2, 1/4
// or 1/8, by a reduced inverse DCT; see internal/jpegscale) whenever the
// largest rendition wanted is small enough, then each width is resampled with
// a separable Lanczos-3 filter, working directly on the Y, Cb and Cr planes
// (or on premultiplied RGBA), from the smallest already-made image that is at
// least 1.5 times as wide (a pyramid). Very large reductions (4× or more)
// first halve by 2×2 box averages.
//
// JPEG EXIF orientation is applied, CMYK/YCCK/RGB/gray JPEGs come out with the
// right colours (gray ones as grayscale JPEGs), and transparency is kept: a
// PNG, GIF or WebP with any non-opaque pixel gives PNG (and optionally WebP)
// renditions, anything else gives JPEG. An animated GIF gives its first
// frame. Renditions carry no metadata (no Exif, XMP or ICC profile); pixel
// values are kept as they are, so an original in a wide-gamut profile (such
// as Display P3) looks a little less saturated than in a colour-managed
// viewer. Orientation metadata is applied for JPEG only.
//
// On the 6028×3391 (20 MP, baseline, 4:2:2) reference photo, making all seven
// Widths costs about 0.4× the CPU of one image/jpeg.Decode of it, with 8 MB
// of allocation instead of the decode's 41 MB (bench_test.go).
//
// Everything runs on the calling goroutine. Before any pixel is decoded,
// the call's cost is estimated from the original's header (Estimate, Cost):
// the memory it will allocate, which the server's decode memory budget
// admits through Options.Admit, and its CPU, which is held to a budget per
// call (DefaultCPUBudget, 4 s), so that a hostile image fails with
// ErrTooLarge or ErrTooMuchWork instead of costing what it claims. A 16-bit
// PNG is decoded straight to 8 bits a sample, and a GIF only up to its
// first frame.
package render

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"runtime"
	"slices"
	"time"
)

// Widths are the rendition widths we serve.
var Widths = []int{50, 100, 240, 320, 480, 640, 1024}

// MaxPixels is the largest original, in pixels, that Make accepts. Memory
// is bounded more finely by the caller, from Cost.Bytes (Options.Admit): a
// baseline JPEG decoded at reduced scale needs little (8 MB for 20 MP), but
// a progressive JPEG keeps 2 bytes per coefficient until its last scan (3
// bytes per pixel at 4:2:0, 4 at 4:2:2, 6 at 4:4:4), and a PNG, GIF or WebP
// is decoded whole (1 to 6.5 bytes per pixel; 16-bit PNGs are decoded
// straight to 8 bits a sample).
var MaxPixels = 100_000_000

// Errors returned by Make and MakeOne (possibly wrapped).
var (
	// ErrUnsupported means the MIME type is not one render can decode.
	ErrUnsupported = errors.New("render: unsupported image type")
	// ErrTooLarge means the original has more than MaxPixels pixels (or,
	// from a caller's Admit, needs more memory than it can have).
	ErrTooLarge = errors.New("render: image too large")
)

// Rendition is one encoded, resized copy of an original.
type Rendition struct {
	// Width and Height are the rendition's pixel size.
	Width, Height int
	// Format is "jpeg", "png" or "webp".
	Format string
	// Data is the encoded image, without metadata.
	Data []byte
}

// Options controls how renditions are encoded.
type Options struct {
	// JPEGQuality is the JPEG quality, 1 to 100; 0 means 80. WebP renditions
	// use the same quality.
	JPEGQuality int
	// WebP also produces a WebP rendition for every width (lossy, with alpha
	// when the original has transparency), typically 30–45% smaller than the
	// JPEG at the same quality setting. It is off by default: libwebp's
	// encoder costs four to five times the JPEG encoder, which adds about
	// three quarters to the CPU of Make for a large photo.
	WebP bool
	// Admit, if not nil, is called once the original's header has been
	// read, with the call's estimated cost (see Estimate), before any pixel
	// memory is allocated, and only if the estimate is within the work
	// budget. A non-nil error stops the call with that error. The server
	// waits there for its share of the decode memory budget.
	Admit func(Cost) error
	// CPUBudget bounds the CPU of the call; 0 means DefaultCPUBudget. A
	// call that would pass it fails with ErrTooMuchWork.
	CPUBudget time.Duration
}

func (o Options) quality() int {
	if o.JPEGQuality <= 0 || o.JPEGQuality > 100 {
		return 80
	}
	return o.JPEGQuality
}

// Make decodes the original once and produces one rendition per width in
// widths that is at most the (EXIF-oriented) original width: originals are
// never upscaled, and widths larger than the original are skipped (callers
// serve the largest existing rendition for a larger requested width). If no
// width fits, because the original is narrower than all of them, Make
// produces a single rendition at the original's own size, so that every
// original has at least one clean, web-safe rendition. Heights keep the
// aspect ratio (rounded, at least 1).
//
// mime is the sniffed type: image/jpeg, image/png, image/gif or image/webp
// (an empty mime is sniffed from the first bytes). The result is ordered by
// width, ascending; with opt.WebP each width's JPEG or PNG is followed by its
// WebP.
func Make(r io.Reader, mime string, widths []int, opt Options) ([]Rendition, error) {
	return makeRenditions(r, mime, widths, opt, formats{primary: true, webp: opt.WebP})
}

// MakeOne makes a single rendition of the given width (for on-demand
// requests) through the same code as Make: the width is capped at the
// original's width. It returns the JPEG or PNG rendition, or with opt.WebP
// only the WebP one.
func MakeOne(r io.Reader, mime string, width int, opt Options) (Rendition, error) {
	rs, err := makeRenditions(r, mime, []int{width}, opt, formats{primary: !opt.WebP, webp: opt.WebP})
	if err != nil {
		return Rendition{}, err
	}
	return rs[0], nil
}

func makeRenditions(r io.Reader, mime string, widths []int, opt Options, f formats) ([]Rendition, error) {
	// The CPU budget is kept on this thread's clock.
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	j := newJob(widths, f, opt)
	src, err := decode(bufio.NewReaderSize(r, 32<<10), mime, j)
	if err != nil {
		return nil, err
	}
	ws := plan(widths, src.ow)
	out := make([]Rendition, 0, 2*len(ws))
	made := []*raster{src.r}
	for i := len(ws) - 1; i >= 0; i-- {
		w, h := ws[i], heightFor(ws[i], src.ow, src.oh)
		from := pyramidSource(made, w)
		if err := j.need(stepCPU(from, w, h, f)); err != nil {
			return nil, err
		}
		rr := from.resize(w, h)
		made = append(made, rr)
		rs, err := encode(rr, f, opt)
		if err != nil {
			return nil, err
		}
		out = append(out, rs...)
	}
	// Widths were made largest first; return them smallest first, keeping
	// each width's JPEG or PNG before its WebP.
	slices.SortStableFunc(out, func(a, b Rendition) int { return a.Width - b.Width })
	return out, nil
}

// plan returns the widths to make for an original ow pixels wide: the
// distinct positive widths <= ow, ascending, or just ow when none fits.
func plan(widths []int, ow int) []int {
	var ws []int
	for _, w := range widths {
		if w > 0 && w <= ow && !slices.Contains(ws, w) {
			ws = append(ws, w)
		}
	}
	if len(ws) == 0 {
		return []int{ow}
	}
	slices.Sort(ws)
	return ws
}

func heightFor(w, ow, oh int) int {
	h := (2*w*oh + ow) / (2 * ow) // round(w*oh/ow)
	return max(h, 1)
}

// pyramidFactor: a rendition is resampled from the smallest image already
// made that is at least this many times wider. Each step is then a
// reduction by 1.5 or more, which keeps successive filtering from softening
// the small sizes (measured on the reference photo: within 0.5 dB of, or
// better than, resampling every width from the decoded image, and above
// 52 dB PSNR against Lanczos-3 from the full-resolution decode), while
// sparing most of the work of resampling every width from the large image.
const pyramidFactor = 1.5

func pyramidSource(made []*raster, w int) *raster {
	best := made[0]
	for _, m := range made[1:] {
		if float64(m.w) >= pyramidFactor*float64(w) && m.w < best.w {
			best = m
		}
	}
	return best
}

// sniff returns the MIME type of an image from its first bytes, or "".
func sniff(br *bufio.Reader) string {
	b, _ := br.Peek(12)
	switch {
	case len(b) >= 3 && b[0] == 0xff && b[1] == 0xd8 && b[2] == 0xff:
		return "image/jpeg"
	case len(b) >= 8 && string(b[:8]) == "\x89PNG\r\n\x1a\n":
		return "image/png"
	case len(b) >= 6 && (string(b[:6]) == "GIF87a" || string(b[:6]) == "GIF89a"):
		return "image/gif"
	case len(b) >= 12 && string(b[:4]) == "RIFF" && string(b[8:12]) == "WEBP":
		return "image/webp"
	}
	return ""
}

func tooLarge(w, h int) error {
	if w <= 0 || h <= 0 {
		return fmt.Errorf("render: invalid dimensions %dx%d", w, h)
	}
	if int64(w)*int64(h) > int64(MaxPixels) {
		return fmt.Errorf("%w: %dx%d is more than %d pixels", ErrTooLarge, w, h, MaxPixels)
	}
	return nil
}
