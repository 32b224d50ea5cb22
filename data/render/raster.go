package render

import (
	"image"
	"image/color"
	"image/draw"
)

// A plane is one array of 8-bit samples: a Y, Cb or Cr plane (ch == 1) or
// interleaved premultiplied RGBA (ch == 4).
type plane struct {
	pix          []byte
	w, h, stride int // stored samples; stride in bytes
	ch           int
	// ew and eh are the extent of the picture in this plane's samples. They
	// can be fractional and a little less than w and h: a JPEG decoded at
	// 1/4 has ceil(W/4) columns, the last one covering W/4 - floor(W/4) of a
	// column of picture, and chroma planes cover the picture in fewer samples.
	ew, eh float64
}

// Models of a raster.
const (
	modelGray  = iota // one plane: Y
	modelYCbCr        // three planes: Y, Cb, Cr (any subsampling)
	modelRGBA         // one 4-channel plane, premultiplied alpha
)

// A raster is a decoded picture in a form the resampler and the encoders
// work on directly, without per-pixel interface calls.
type raster struct {
	model  int
	planes []plane
	w, h   int // picture size in pixels (the first plane's size)
	opaque bool
}

func newPlane(w, h, ch int) plane {
	return plane{pix: make([]byte, w*h*ch), w: w, h: h, stride: w * ch, ch: ch, ew: float64(w), eh: float64(h)}
}

// fromImage turns a decoded image into a raster without copying when it can.
// ew and eh are the picture's extent in pixels of m (see plane). It takes m
// over: an *image.NRGBA is premultiplied in place.
func fromImage(m image.Image, ew, eh float64) *raster {
	b := m.Bounds()
	w, h := b.Dx(), b.Dy()
	switch m := m.(type) {
	case *image.Gray:
		p := plane{pix: m.Pix[m.PixOffset(b.Min.X, b.Min.Y):], w: w, h: h, stride: m.Stride, ch: 1, ew: ew, eh: eh}
		return &raster{model: modelGray, planes: []plane{p}, w: w, h: h, opaque: true}
	case *image.RGBA:
		p := plane{pix: m.Pix[m.PixOffset(b.Min.X, b.Min.Y):], w: w, h: h, stride: m.Stride, ch: 4, ew: ew, eh: eh}
		return &raster{model: modelRGBA, planes: []plane{p}, w: w, h: h, opaque: alphaOpaque(p.pix[3:], w, h, p.stride, 4)}
	case *image.NRGBA:
		p := plane{pix: m.Pix[m.PixOffset(b.Min.X, b.Min.Y):], w: w, h: h, stride: m.Stride, ch: 4, ew: ew, eh: eh}
		premultiplyInPlace(p)
		return &raster{model: modelRGBA, planes: []plane{p}, w: w, h: h, opaque: alphaOpaque(p.pix[3:], w, h, p.stride, 4)}
	case *image.YCbCr:
		return fromYCbCr(m, ew, eh)
	case *image.NYCbCrA:
		if alphaOpaque(m.A[m.AOffset(b.Min.X, b.Min.Y):], w, h, m.AStride, 1) {
			return fromYCbCr(&m.YCbCr, ew, eh)
		}
	}
	p := newPlane(w, h, 4)
	p.ew, p.eh = ew, eh
	toRGBA(p, m)
	return &raster{model: modelRGBA, planes: []plane{p}, w: w, h: h, opaque: alphaOpaque(p.pix[3:], w, h, p.stride, 4)}
}

func fromYCbCr(m *image.YCbCr, ew, eh float64) *raster {
	b := m.Bounds()
	w, h := b.Dx(), b.Dy()
	hf, vf := 1, 1
	switch m.SubsampleRatio {
	case image.YCbCrSubsampleRatio422:
		hf = 2
	case image.YCbCrSubsampleRatio420:
		hf, vf = 2, 2
	case image.YCbCrSubsampleRatio440:
		vf = 2
	case image.YCbCrSubsampleRatio411:
		hf = 4
	case image.YCbCrSubsampleRatio410:
		hf, vf = 4, 2
	}
	// Chroma samples covering the picture: from the one holding b.Min to the
	// one holding b.Max - 1.
	cx0, cy0 := b.Min.X/hf, b.Min.Y/vf
	cw, chh := (b.Max.X-1)/hf-cx0+1, (b.Max.Y-1)/vf-cy0+1
	co := m.COffset(b.Min.X, b.Min.Y)
	y := plane{pix: m.Y[m.YOffset(b.Min.X, b.Min.Y):], w: w, h: h, stride: m.YStride, ch: 1, ew: ew, eh: eh}
	cb := plane{pix: m.Cb[co:], w: cw, h: chh, stride: m.CStride, ch: 1, ew: ew / float64(hf), eh: eh / float64(vf)}
	cr := cb
	cr.pix = m.Cr[co:]
	return &raster{model: modelYCbCr, planes: []plane{y, cb, cr}, w: w, h: h, opaque: true}
}

// alphaOpaque reports whether every alpha sample (every step-th byte of each
// row, starting at pix[0]) is 255.
func alphaOpaque(pix []byte, w, h, stride, step int) bool {
	for y := 0; y < h; y++ {
		row := pix[y*stride:]
		for x := 0; x < w*step; x += step {
			if row[x] != 255 {
				return false
			}
		}
	}
	return true
}

// toRGBA writes m, converted to premultiplied RGBA, into p.
func toRGBA(p plane, m image.Image) {
	b := m.Bounds()
	w, h := b.Dx(), b.Dy()
	switch m := m.(type) {
	case *image.RGBA:
		for y := 0; y < h; y++ {
			copy(p.pix[y*p.stride:y*p.stride+4*w], m.Pix[m.PixOffset(b.Min.X, b.Min.Y+y):])
		}
	case *image.NRGBA:
		for y := 0; y < h; y++ {
			src := m.Pix[m.PixOffset(b.Min.X, b.Min.Y+y):][:4*w]
			dst := p.pix[y*p.stride:][:4*w]
			for i := 0; i < len(src); i += 4 {
				a := uint32(src[i+3])
				dst[i+0] = premul(src[i+0], a)
				dst[i+1] = premul(src[i+1], a)
				dst[i+2] = premul(src[i+2], a)
				dst[i+3] = uint8(a)
			}
		}
	case *image.Paletted:
		var lut [256][4]byte
		for i, c := range m.Palette {
			r, g, bb, a := c.RGBA()
			lut[i] = [4]byte{uint8(r >> 8), uint8(g >> 8), uint8(bb >> 8), uint8(a >> 8)}
		}
		for y := 0; y < h; y++ {
			src := m.Pix[m.PixOffset(b.Min.X, b.Min.Y+y):][:w]
			dst := p.pix[y*p.stride:][:4*w]
			for x, c := range src {
				copy(dst[4*x:4*x+4], lut[c][:])
			}
		}
	case *image.CMYK:
		for y := 0; y < h; y++ {
			src := m.Pix[m.PixOffset(b.Min.X, b.Min.Y+y):][:4*w]
			dst := p.pix[y*p.stride:][:4*w]
			for i := 0; i < len(src); i += 4 {
				r, g, bb := color.CMYKToRGB(src[i], src[i+1], src[i+2], src[i+3])
				dst[i+0], dst[i+1], dst[i+2], dst[i+3] = r, g, bb, 255
			}
		}
	case *image.NYCbCrA:
		for y := 0; y < h; y++ {
			dst := p.pix[y*p.stride:][:4*w]
			for x := 0; x < w; x++ {
				yi := m.YOffset(b.Min.X+x, b.Min.Y+y)
				ci := m.COffset(b.Min.X+x, b.Min.Y+y)
				r, g, bb := color.YCbCrToRGB(m.Y[yi], m.Cb[ci], m.Cr[ci])
				a := uint32(m.A[m.AOffset(b.Min.X+x, b.Min.Y+y)])
				dst[4*x+0] = premul(r, a)
				dst[4*x+1] = premul(g, a)
				dst[4*x+2] = premul(bb, a)
				dst[4*x+3] = uint8(a)
			}
		}
	default:
		dst := &image.RGBA{Pix: p.pix, Stride: p.stride, Rect: image.Rect(0, 0, w, h)}
		draw.Draw(dst, dst.Rect, m, b.Min, draw.Src)
	}
}

// premultiplyInPlace premultiplies straight-alpha RGBA samples.
func premultiplyInPlace(p plane) {
	for y := 0; y < p.h; y++ {
		row := p.pix[y*p.stride:][:4*p.w]
		for i := 0; i < len(row); i += 4 {
			switch a := uint32(row[i+3]); a {
			case 255:
			case 0:
				row[i], row[i+1], row[i+2] = 0, 0, 0
			default:
				row[i+0] = premul(row[i+0], a)
				row[i+1] = premul(row[i+1], a)
				row[i+2] = premul(row[i+2], a)
			}
		}
	}
}

func premul(c uint8, a uint32) uint8 {
	return uint8((uint32(c)*a + 127) / 255)
}

// orient applies an EXIF orientation (2 to 8) so that the picture is upright.
func (r *raster) orient(o int) *raster {
	if o < 2 || o > 8 {
		return r
	}
	out := &raster{model: r.model, opaque: r.opaque}
	for _, p := range r.planes {
		out.planes = append(out.planes, p.orient(o))
	}
	out.w, out.h = out.planes[0].w, out.planes[0].h
	return out
}

// orient returns p transformed by EXIF orientation o: 2 flip left-right,
// 3 rotate 180°, 4 flip top-bottom, 5 transpose, 6 rotate 90° clockwise,
// 7 transverse, 8 rotate 90° counter-clockwise. The fractional part of the
// extent stays at the right and bottom; the error is below one sample.
func (p plane) orient(o int) plane {
	w, h, ch, s := p.w, p.h, p.ch, p.stride
	last := (h-1)*s + (w-1)*ch
	// dst(x, y) = src[base + x*dx + y*dy]
	var base, dx, dy int
	switch o {
	case 2:
		base, dx, dy = (w-1)*ch, -ch, s
	case 3:
		base, dx, dy = last, -ch, -s
	case 4:
		base, dx, dy = (h-1)*s, ch, -s
	case 5:
		base, dx, dy = 0, s, ch
	case 6:
		base, dx, dy = (h-1)*s, -s, ch
	case 7:
		base, dx, dy = last, -s, -ch
	case 8:
		base, dx, dy = (w-1)*ch, s, -ch
	}
	var q plane
	if o >= 5 {
		q = newPlane(h, w, ch)
		q.ew, q.eh = p.eh, p.ew
	} else {
		q = newPlane(w, h, ch)
		q.ew, q.eh = p.ew, p.eh
	}
	if o >= 5 && ch == 1 {
		transposeTiled(q, p.pix, base, dx, dy)
		return q
	}
	for y := 0; y < q.h; y++ {
		row := q.pix[y*q.stride : y*q.stride+q.w*ch]
		i := base + y*dy
		for x := 0; x < len(row); x += ch {
			copy(row[x:x+ch], p.pix[i:i+ch])
			i += dx
		}
	}
	return q
}

// transposeTiled fills the 1-channel plane q with src[base + x*dx + y*dy]
// in 32×32 tiles, which keeps a transposing walk cache-friendly.
func transposeTiled(q plane, src []byte, base, dx, dy int) {
	const t = 32
	for ty := 0; ty < q.h; ty += t {
		for tx := 0; tx < q.w; tx += t {
			for y := ty; y < min(ty+t, q.h); y++ {
				row := q.pix[y*q.stride:]
				i := base + y*dy + tx*dx
				for x := tx; x < min(tx+t, q.w); x++ {
					row[x] = src[i]
					i += dx
				}
			}
		}
	}
}

// resize returns the picture resampled to w×h pixels.
func (r *raster) resize(w, h int) *raster {
	out := &raster{model: r.model, opaque: r.opaque, w: w, h: h}
	for i, p := range r.planes {
		if r.model == modelYCbCr && i > 0 {
			// Output chroma is 4:2:0, as the JPEG encoder writes it.
			out.planes = append(out.planes, p.resample((w+1)/2, (h+1)/2, float64(w)/2, float64(h)/2))
			continue
		}
		out.planes = append(out.planes, p.resample(w, h, float64(w), float64(h)))
	}
	return out
}

// image returns the raster as an image the encoders have fast paths for:
// *image.Gray, *image.YCbCr (4:2:0, as made by resize) or *image.RGBA.
func (r *raster) image() image.Image {
	rect := image.Rect(0, 0, r.w, r.h)
	switch r.model {
	case modelGray:
		p := r.planes[0]
		return &image.Gray{Pix: p.pix, Stride: p.stride, Rect: rect}
	case modelYCbCr:
		y, cb, cr := r.planes[0], r.planes[1], r.planes[2]
		return &image.YCbCr{Y: y.pix, Cb: cb.pix, Cr: cr.pix, YStride: y.stride, CStride: cb.stride,
			SubsampleRatio: image.YCbCrSubsampleRatio420, Rect: rect}
	}
	p := r.planes[0]
	return &image.RGBA{Pix: p.pix, Stride: p.stride, Rect: rect}
}

// nrgba returns the pixels un-premultiplied (for PNG and WebP with alpha).
func (r *raster) nrgba() *image.NRGBA {
	p := r.planes[0]
	m := image.NewNRGBA(image.Rect(0, 0, r.w, r.h))
	for y := 0; y < r.h; y++ {
		src := p.pix[y*p.stride:][:4*r.w]
		dst := m.Pix[y*m.Stride:][:4*r.w]
		for i := 0; i < len(src); i += 4 {
			a := uint32(src[i+3])
			switch a {
			case 0:
				dst[i], dst[i+1], dst[i+2], dst[i+3] = 0, 0, 0, 0
			case 255:
				copy(dst[i:i+4], src[i:i+4])
			default:
				dst[i+0] = uint8((uint32(src[i+0])*255 + a/2) / a)
				dst[i+1] = uint8((uint32(src[i+1])*255 + a/2) / a)
				dst[i+2] = uint8((uint32(src[i+2])*255 + a/2) / a)
				dst[i+3] = uint8(a)
			}
		}
	}
	return m
}
