package render

import (
	"bufio"
	"image"
	"io"
	"runtime"
)

// CropFunc says, for an original of oriented size ow×oh, which part of it
// a crop keeps (win, in the original's pixels) and the size to make of it.
type CropFunc func(ow, oh int) (win image.Rectangle, w, h int)

// MakeCrop decodes the original and makes one crop of it: the window crop
// picks, resampled to crop's size, as JPEG (PNG when the original has
// transparency), through the same decoding, budgets and encoders as Make.
// A JPEG is decoded at the smallest DCT scale that keeps the window at
// least as wide as the crop.
func MakeCrop(r io.Reader, mime string, crop CropFunc, opt Options) (Rendition, error) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	f := formats{primary: true}
	j := newJob(nil, f, opt)
	j.crop = crop
	src, err := decode(bufio.NewReaderSize(r, 32<<10), mime, j)
	if err != nil {
		return Rendition{}, err
	}
	win, w, h := crop(src.ow, src.oh)
	cut := src.r.cut(win, src.ow, src.oh)
	if err := j.need(stepCPU(cut, w, h, f)); err != nil {
		return Rendition{}, err
	}
	rs, err := encode(cut.resize(w, h), f, opt)
	if err != nil {
		return Rendition{}, err
	}
	return rs[0], nil
}

// cropWidth is, for a crop job, the width of the whole original at the
// scale the crop is made from: what decoding must give at least.
func (j *job) cropWidth(ow, oh int) int {
	win, w, _ := j.crop(ow, oh)
	return min(ow, (w*ow+win.Dx()-1)/max(win.Dx(), 1))
}

// cut returns the part of the picture that win covers, for an original of
// ow×oh pixels (the raster may be smaller: a JPEG decoded at reduced
// scale). The planes share the raster's samples. Each plane is cut at the
// nearest whole sample, so the window may move by half a sample of the
// decoded scale.
func (r *raster) cut(win image.Rectangle, ow, oh int) *raster {
	out := &raster{model: r.model, opaque: r.opaque}
	for _, p := range r.planes {
		sx, sy := p.ew/float64(ow), p.eh/float64(oh)
		x0, x1 := span(win.Min.X, win.Max.X, sx, p.w)
		y0, y1 := span(win.Min.Y, win.Max.Y, sy, p.h)
		q := p
		q.pix = p.pix[y0*p.stride+x0*p.ch:]
		q.w, q.h = x1-x0, y1-y0
		q.ew, q.eh = float64(q.w), float64(q.h)
		out.planes = append(out.planes, q)
	}
	out.w, out.h = out.planes[0].w, out.planes[0].h
	return out
}

// span maps [a, b) in original pixels to whole samples of a plane n
// samples long at scale s: at least one sample, inside the plane.
func span(a, b int, s float64, n int) (int, int) {
	lo := min(max(int(float64(a)*s+0.5), 0), n-1)
	hi := min(max(int(float64(b)*s+0.5), lo+1), n)
	return lo, hi
}
