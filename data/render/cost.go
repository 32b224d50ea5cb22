package render

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"math"
	"time"

	"gallerist/data/render/internal/jpegscale"
)

// Cost is what one Make or MakeOne call needs, estimated from the
// original's header alone (no pixel is decoded to know it).
type Cost struct {
	// Width and Height are the original's stored size in pixels.
	Width, Height int
	// Bytes is the memory the call allocates for pixels and encoded data:
	// the decoder's output and working buffers at the scale it decodes at
	// (a JPEG at reduced scale, the others whole), the conversion to the
	// raster render works on, every resampling pass and every encoding. It
	// is the sum of those allocations, not the peak of what is live at once,
	// so it is an upper bound whenever the garbage collector lags. Where
	// the header does not tell (a GIF frame's size and interlacing, whether
	// a picture has transparency, which bitstream a WebP holds), the dearer
	// case is assumed.
	Bytes int64
	// CPU is the most CPU the call is expected to take, from per-operation
	// costs measured on worst-case inputs on the reference machine (see
	// TestWorkWeights). For a JPEG it leaves out the scans and the
	// entropy-coded data, which are paid for as they are decoded.
	CPU time.Duration

	decodeCPU time.Duration // the part that is spent before the first rendition
}

// DefaultCPUBudget is the CPU one Make or MakeOne call may use, measured on
// the calling goroutine's thread (locked to it for the call; C code such as
// libwebp's encoder included): 4 seconds, on a 2-core machine shared with
// the server. The budget holds however hostile the image, because every
// step that cannot be interrupted is admitted only if the CPU used so far
// plus the step's worst-case cost, predicted from sizes alone, fits:
//
//   - decoding a PNG, GIF or WebP (predicted from the header: pixels, bytes
//     per row, bitstream size), before any pixel memory is allocated;
//   - for a JPEG, each scan (a pass over every block of its components,
//     however few bytes it has) before it starts, with the reconstruction
//     that follows the scans; the entropy-coded data is checked against the
//     clock every 4 KB as it is decoded;
//   - each rendition's resampling and encoding, before it starts.
//
// A call that would pass the budget fails with ErrTooMuchWork, having used
// less than the budget (on a machine much slower than the reference one,
// where the predictions are too low, up to one step more).
const DefaultCPUBudget = 4 * time.Second

// ErrTooMuchWork means making the renditions would take more CPU than the
// budget (Options.CPUBudget).
var ErrTooMuchWork = errors.New("render: too much work")

// errEstimated stops a decode once Estimate has its figures.
var errEstimated = errors.New("render: estimated")

// Estimate reads the header of an original (the first bytes of a PNG, GIF
// or WebP; for a JPEG the segments up to the frame header) and returns what
// Make(r, mime, widths, opt) would cost. It never decodes pixels. It fails
// as Make would for an unsupported type, an unreadable header or an
// original with more than MaxPixels pixels; it does not apply the CPU
// budget.
func Estimate(r io.Reader, mime string, widths []int, opt Options) (Cost, error) {
	var c Cost
	j := newJob(widths, formats{primary: true, webp: opt.WebP}, opt)
	j.estimate = &c
	j.limit = math.MaxInt64
	_, err := decode(bufio.NewReaderSize(r, 32<<10), mime, j)
	if errors.Is(err, errEstimated) {
		return c, nil
	}
	if err == nil {
		err = errors.New("render: no header")
	}
	return Cost{}, err
}

// job is one Make or MakeOne call: what it makes, and its CPU meter.
type job struct {
	widths   []int
	f        formats
	opt      Options
	limit    time.Duration // the CPU budget
	start    time.Duration // threadCPU when the call started
	reserve  time.Duration // predicted decoding still to come after a JPEG's scans
	estimate *Cost         // for Estimate: admit records the cost here and stops
	crop     CropFunc      // for MakeCrop: the crop made instead of widths
}

func newJob(widths []int, f formats, opt Options) *job {
	limit := opt.CPUBudget
	if limit <= 0 {
		limit = DefaultCPUBudget
	}
	return &job{widths: widths, f: f, opt: opt, limit: limit, start: threadCPU()}
}

// largest is the largest width the job makes of an original ow pixels wide.
func (j *job) largest(ow, oh int) int {
	ws := j.plan(ow, oh)
	return ws[len(ws)-1]
}

// plan is the widths the job resizes an ow×oh original to. A crop is
// costed as a resize of the whole original to the width its window is
// made from: more than the crop's own work, never less.
func (j *job) plan(ow, oh int) []int {
	if j.crop != nil {
		return []int{j.cropWidth(ow, oh)}
	}
	return plan(j.widths, ow)
}

// admit is called with the job's estimated cost once the header is read.
func (j *job) admit(c Cost) error {
	if j.estimate != nil {
		*j.estimate = c
		return errEstimated
	}
	if err := j.need(c.decodeCPU); err != nil {
		return err
	}
	if j.opt.Admit != nil {
		return j.opt.Admit(c)
	}
	return nil
}

// need fails if the CPU used so far plus d (and the reserve) would pass the
// budget.
func (j *job) need(d time.Duration) error {
	used := threadCPU() - j.start
	if used+d+j.reserve > j.limit {
		return fmt.Errorf("%w: resizing this image would take more than its CPU budget of %v (used %v, the next step may take %v)",
			ErrTooMuchWork, j.limit, used.Round(time.Millisecond), (d + j.reserve).Round(time.Millisecond))
	}
	return nil
}

// Work weights: the CPU of one operation in nanoseconds, the worst seen on
// the reference machine (TestWorkWeights prints the measured figures)
// rounded up by about a fifth.
const (
	wJPEGBlockScan = 18   // one 8×8 block visited by one scan
	wPNGByte       = 6.5  // one byte of inflated, unfiltered PNG data
	wGIFPixel      = 20   // one pixel of the logical screen
	wVP8LPixel     = 100  // one pixel of a lossless WebP
	wVP8Pixel      = 22   // one pixel (macroblock-padded) of a lossy WebP
	wVP8Byte       = 110  // one byte of lossy WebP data
	wConvert       = 12   // one pixel converted to premultiplied RGBA
	wHalve         = 1    // one input sample of a 2×2 box reduction
	wTap           = 1.25 // one filter tap of one output sample
	wJPEGEncode    = 60   // one pixel encoded as JPEG
	wPNGEncode     = 300  // one pixel encoded as PNG (with alpha)
	wWebPAlpha     = 440  // one pixel encoded as WebP with alpha (libwebp)
	wWebPOpaque    = 240  // one pixel encoded as opaque WebP
)

// wIDCT is the CPU of decoding and reconstructing one block of a JPEG with
// little data, at each DCT scale shift (0: full scale).
var wIDCT = [4]float64{560, 160, 60, 40}

// fixedBytes covers the decoders' tables and buffers that do not grow with
// the picture (bufio, Huffman and zlib state).
const fixedBytes = 2 << 20

// tally adds up a job's allocations and CPU (in nanoseconds).
type tally struct {
	bytes int64
	work  float64
}

func (t *tally) alloc(n int)              { t.bytes += int64(n) }
func (t *tally) do(n int, weight float64) { t.work += float64(n) * weight }
func (t *tally) cpu() time.Duration       { return time.Duration(math.Ceil(t.work)) }

func samples(ps []pshape) (n int) {
	for _, p := range ps {
		n += p.w * p.h * p.ch
	}
	return n
}

// pshape and rshape are the sizes of a plane and a raster, for estimates.
type pshape struct {
	w, h, ch int
	ew, eh   float64
}

type rshape struct {
	model  int
	planes []pshape
	opaque bool // known to be opaque
}

func (r rshape) w() int { return r.planes[0].w }

// shapeOf is the shape of a raster.
func shapeOf(r *raster) rshape {
	s := rshape{model: r.model, opaque: r.opaque}
	for _, p := range r.planes {
		s.planes = append(s.planes, pshape{p.w, p.h, p.ch, p.ew, p.eh})
	}
	return s
}

// stepCPU is the predicted CPU of resizing from into a w×h rendition and
// encoding it.
func stepCPU(from *raster, w, h int, f formats) time.Duration {
	var t tally
	encodeCost(&t, shapeOf(from).resizeCost(&t, w, h), f)
	return t.cpu()
}

func rgbaShape(w, h int, opaque bool) rshape {
	return rshape{model: modelRGBA, planes: []pshape{{w, h, 4, float64(w), float64(h)}}, opaque: opaque}
}

// cost is the cost of job j on a PNG, GIF or WebP with this header.
func (hd header) cost(j *job) Cost {
	var t tally
	w, h := hd.w, hd.h
	px := w * h
	src := rgbaShape(w, h, false)
	switch hd.mime {
	case "image/png":
		ch := map[byte]int{0: 1, 2: 3, 3: 1, 4: 2, 6: 4}[hd.colorType]
		raw := h * (1 + (w*ch*int(max(hd.depth, 1))+7)/8)
		t.do(raw, wPNGByte)
		trns := hd.trns != 0
		gray := hd.colorType == 0 && !trns
		opaque := (hd.colorType == 0 || hd.colorType == 2) && !trns
		if gray {
			src = rshape{model: modelGray, planes: []pshape{{w, h, 1, float64(w), float64(h)}}, opaque: true}
		} else {
			src.opaque = opaque
		}
		// The decoder's output, then the raster: a Gray is used as it is,
		// NRGBA is premultiplied in place and RGBA used as it is, anything
		// else is converted into a new RGBA raster.
		out, convert := 0, false
		switch {
		case hd.depth == 16 && !hd.interlaced: // decodePNG16: 8 bits a sample
			out = px * 4
			if gray {
				out = px
			}
		case hd.depth == 16: // image/png: 16 bits a sample, then converted
			out, convert = px*8, true
			if gray {
				out = px * 2
			}
		case hd.colorType == 3: // paletted
			out, convert = px, true
		case gray:
			out = px
		default:
			out = px * 4
		}
		if hd.interlaced {
			out *= 2 // each pass is decoded into its own image, then merged
		}
		t.alloc(out + 2*raw/h)
		if convert {
			t.alloc(px * 4)
			t.do(px, wConvert)
		} else if !gray {
			t.do(px, wConvert) // premultiplied in place
		}
	case "image/gif":
		// The first frame is at most the screen; if interlaced it is copied
		// once more; then it is converted (or drawn on the screen) to RGBA.
		t.alloc(2*px + 4*px)
		t.do(px, wGIFPixel+wConvert)
	case "image/webp":
		var lossy, lossless tally
		if hd.vp8 {
			mbw, mbh := (w+15)/16, (h+15)/16
			lossy.alloc(384*mbw*mbh + 16*mbw*mbh + int(hd.riffSize))
			lossy.do(256*mbw*mbh, wVP8Pixel)
			lossy.do(int(hd.riffSize), wVP8Byte)
			if hd.alpha {
				// ALPH: a lossless picture whose green is the alpha, the
				// alpha plane, then a new RGBA raster (NYCbCrA).
				lossy.alloc(px*4 + px + px*4)
				lossy.do(px, wVP8LPixel+wConvert)
			}
		}
		if hd.vp8l {
			// The pixels, a colour-indexed image packed two or more to a
			// pixel, and transforms' sub-images; premultiplied in place.
			lossless.alloc(px*4 + px*2 + px/2)
			lossless.do(px, wVP8LPixel+wConvert)
		}
		t.bytes += max(lossy.bytes, lossless.bytes)
		t.work += max(lossy.work, lossless.work)
		if hd.vp8 && !hd.alpha && !hd.vp8l {
			src = rshape{model: modelYCbCr, opaque: true, planes: []pshape{
				{w, h, 1, float64(w), float64(h)},
				{(w + 1) / 2, (h + 1) / 2, 1, float64(w) / 2, float64(h) / 2},
				{(w + 1) / 2, (h + 1) / 2, 1, float64(w) / 2, float64(h) / 2},
			}}
		}
	}
	decodeCPU := t.cpu()
	renditionsCost(&t, src, j, w, h)
	return Cost{Width: w, Height: h, Bytes: t.bytes + fixedBytes, CPU: t.cpu(), decodeCPU: decodeCPU}
}

// jpegCost is the cost of job j on a JPEG with this header, decoded at
// 1/scale and then oriented.
func jpegCost(h *jpegscale.Header, scale, orientation int, j *job) Cost {
	var t tally
	shift := map[int]int{1: 0, 2: 1, 4: 2, 8: 3}[scale]
	bsz := 8 / scale
	nc := h.Components
	h0, v0 := h.H[0], h.V[0]
	if nc == 1 {
		h0, v0 = 1, 1
	}
	mxx, myy := (h.Width+8*h0-1)/(8*h0), (h.Height+8*v0-1)/(8*v0)
	vw, vh := (h.Width+scale-1)/scale, (h.Height+scale-1)/scale
	blocks := 0
	for i := range nc {
		hi, vi := h.H[i], h.V[i]
		if nc == 1 {
			hi, vi = 1, 1
		}
		blocks += mxx * myy * hi * vi
	}
	// Output buffers, whole MCUs at the decoding scale.
	yw, yh := bsz*h0*mxx, bsz*v0*myy
	var src rshape
	if nc == 1 {
		t.alloc(yw * yh)
		src = rshape{model: modelGray, opaque: true, planes: []pshape{{vw, vh, 1, float64(h.Width) / float64(scale), float64(h.Height) / float64(scale)}}}
	} else {
		hf, vf := h0/max(h.H[1], 1), v0/max(h.V[1], 1)
		cw, chh := (yw+hf-1)/hf, (yh+vf-1)/vf
		t.alloc(yw*yh + 2*cw*chh)
		if nc == 4 {
			t.alloc(bsz * h.H[3] * mxx * bsz * h.V[3] * myy)
		}
		ew, eh := float64(h.Width)/float64(scale), float64(h.Height)/float64(scale)
		src = rshape{model: modelYCbCr, opaque: true, planes: []pshape{
			{vw, vh, 1, ew, eh},
			{(vw-1)/hf + 1, (vh-1)/vf + 1, 1, ew / float64(hf), eh / float64(vf)},
			{(vw-1)/hf + 1, (vh-1)/vf + 1, 1, ew / float64(hf), eh / float64(vf)},
		}}
		if nc == 4 || h.RGB {
			// CMYK or YCCK, then RGBA; RGB straight to RGBA.
			n := 1
			if nc == 4 {
				n = 2
			}
			t.alloc(n * vw * vh * 4)
			t.do(n*vw*vh, wConvert)
			src = rgbaShape(vw, vh, true)
			src.planes[0].ew, src.planes[0].eh = ew, eh
		}
	}
	if h.Progressive {
		t.alloc(blocks * (2*64 + 8)) // int16 coefficients and a non-zero mask
	}
	t.do(blocks, float64(wIDCT[shift]))
	if orientation >= 2 {
		t.alloc(samples(src.planes))
		t.do(samples(src.planes), 2)
		if orientation >= 5 {
			for i, p := range src.planes {
				src.planes[i] = pshape{p.h, p.w, p.ch, p.eh, p.ew}
			}
		}
	}
	ow, oh := h.Width, h.Height
	if orientation >= 5 {
		ow, oh = oh, ow
	}
	decodeCPU := t.cpu()
	renditionsCost(&t, src, j, ow, oh)
	return Cost{Width: h.Width, Height: h.Height, Bytes: t.bytes + fixedBytes, CPU: t.cpu(), decodeCPU: decodeCPU}
}

// renditionsCost adds the resampling and encoding of every width job j
// makes of a decoded raster of shape src, for an original of oriented size
// ow×oh, following makeRenditions step by step.
func renditionsCost(t *tally, src rshape, j *job, ow, oh int) {
	ws := j.plan(ow, oh)
	made := []rshape{src}
	for i := len(ws) - 1; i >= 0; i-- {
		w := ws[i]
		from := made[0]
		for _, m := range made[1:] {
			if float64(m.w()) >= pyramidFactor*float64(w) && m.w() < from.w() {
				from = m
			}
		}
		out := from.resizeCost(t, w, heightFor(w, ow, oh))
		made = append(made, out)
		encodeCost(t, out, j.f)
	}
}

func (r rshape) resizeCost(t *tally, w, h int) rshape {
	out := rshape{model: r.model, opaque: r.opaque}
	for i, p := range r.planes {
		if r.model == modelYCbCr && i > 0 {
			out.planes = append(out.planes, p.resampleCost(t, (w+1)/2, (h+1)/2, float64(w)/2, float64(h)/2))
			continue
		}
		out.planes = append(out.planes, p.resampleCost(t, w, h, float64(w), float64(h)))
	}
	return out
}

// resampleCost follows plane.resample.
func (p pshape) resampleCost(t *tally, dw, dh int, dew, deh float64) pshape {
	for p.ew/dew >= 4 && p.eh/deh >= 4 && p.w >= 2 && p.h >= 2 {
		q := pshape{(p.w + 1) / 2, (p.h + 1) / 2, p.ch, p.ew / 2, p.eh / 2}
		t.alloc(q.w * q.h * q.ch)
		t.do(p.w*p.h*p.ch, wHalve)
		p = q
	}
	needH := p.ew != dew || dw > p.w
	needV := p.eh != deh || dh > p.h
	hpass := func() {
		nn := min(tapsFor(p.ew/dew), p.w)
		t.alloc(dw*8 + dw*nn*4 + nn*8 + dw*p.h*p.ch)
		t.do(dw*p.h*p.ch*nn, wTap)
		p = pshape{dw, p.h, p.ch, dew, p.eh}
	}
	vpass := func() {
		nn := min(tapsFor(p.eh/deh), p.h)
		t.alloc(dh*8 + dh*nn*4 + nn*8 + p.w*dh*p.ch + p.w*p.ch*4)
		t.do(p.w*dh*p.ch*nn, wTap)
		p = pshape{p.w, dh, p.ch, p.ew, deh}
	}
	if needH && needV {
		th, tv := float64(tapsFor(p.ew/dew)), float64(tapsFor(p.eh/deh))
		hFirst := float64(p.h*dw)*th + float64(dw*dh)*tv
		vFirst := float64(p.w*dh)*tv + float64(dw*dh)*th
		if vFirst < hFirst {
			vpass()
			needV = false
		}
	}
	if needH {
		hpass()
	}
	if needV {
		vpass()
	}
	p.w, p.h = dw, dh
	if p.ch == 4 {
		t.do(dw*dh, wConvert)
	}
	return p
}

// encodeCost adds the encodings of one rendition. Unless the picture is
// known to be opaque, the dearer PNG encoding is assumed.
func encodeCost(t *tally, r rshape, f formats) {
	px := r.planes[0].w * r.planes[0].h
	if f.primary {
		if r.opaque {
			t.alloc(2 * px) // the output buffer, grown
			t.do(px, wJPEGEncode)
		} else {
			// Straight alpha; the output buffer, grown by doubling from
			// nothing to up to twice the size of the raw samples (noise
			// does not compress); the deflater's tables.
			t.alloc(4*px + 17*px + 3<<19)
			t.do(px, wPNGEncode+wConvert)
		}
	}
	if f.webp {
		// RGB or NRGBA for libwebp, its own buffers (C memory, counted
		// the same), the output copied back.
		t.alloc(4*px + 8*px + 2*px)
		if r.opaque {
			t.do(px, wWebPOpaque)
		} else {
			t.do(px, wWebPAlpha)
		}
	}
}

var clockStart = time.Now()

// wallClock is the time since the process started.
func wallClock() time.Duration { return time.Since(clockStart) }
