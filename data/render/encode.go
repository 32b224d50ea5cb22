package render

import (
	"bytes"
	"fmt"
	"image"
	"image/jpeg"
	"image/png"

	"github.com/chai2010/webp"
)

// formats says which encodings to make of each rendition.
type formats struct {
	primary bool // JPEG, or PNG when the picture has transparency
	webp    bool
}

// encode encodes one resized raster in the requested formats.
func encode(r *raster, f formats, opt Options) ([]Rendition, error) {
	var out []Rendition
	if f.primary {
		var buf bytes.Buffer
		format := "jpeg"
		if r.opaque {
			buf.Grow(r.w * r.h / 4)
			if err := jpeg.Encode(&buf, r.image(), &jpeg.Options{Quality: opt.quality()}); err != nil {
				return nil, fmt.Errorf("render: encoding jpeg: %w", err)
			}
		} else {
			format = "png"
			if err := pngEncoder.Encode(&buf, r.nrgba()); err != nil {
				return nil, fmt.Errorf("render: encoding png: %w", err)
			}
		}
		out = append(out, Rendition{Width: r.w, Height: r.h, Format: format, Data: buf.Bytes()})
	}
	if f.webp {
		data, err := encodeWebP(r, opt)
		if err != nil {
			return nil, fmt.Errorf("render: encoding webp: %w", err)
		}
		out = append(out, Rendition{Width: r.w, Height: r.h, Format: "webp", Data: data})
	}
	return out, nil
}

var pngEncoder = png.Encoder{CompressionLevel: png.DefaultCompression}

// encodeWebP encodes with libwebp (lossy, at the JPEG quality). libwebp wants
// straight (non-premultiplied) RGBA or RGB.
func encodeWebP(r *raster, opt Options) ([]byte, error) {
	q := float32(opt.quality())
	if !r.opaque {
		m := r.nrgba()
		return webp.EncodeRGBA(&image.RGBA{Pix: m.Pix, Stride: m.Stride, Rect: m.Rect}, q)
	}
	rgb := &webp.RGBImage{XPix: make([]byte, 3*r.w*r.h), XStride: 3 * r.w, XRect: image.Rect(0, 0, r.w, r.h)}
	switch r.model {
	case modelGray:
		p := r.planes[0]
		for y := 0; y < r.h; y++ {
			src := p.pix[y*p.stride:][:r.w]
			dst := rgb.XPix[y*rgb.XStride:][:3*r.w]
			for x, v := range src {
				dst[3*x], dst[3*x+1], dst[3*x+2] = v, v, v
			}
		}
	case modelYCbCr:
		m := r.image().(*image.YCbCr)
		for y := 0; y < r.h; y++ {
			dst := rgb.XPix[y*rgb.XStride:][:3*r.w]
			yrow := m.Y[y*m.YStride:]
			crow := (y / 2) * m.CStride
			for x := 0; x < r.w; x++ {
				ci := crow + x/2
				dst[3*x], dst[3*x+1], dst[3*x+2] = ycc2rgb(yrow[x], m.Cb[ci], m.Cr[ci])
			}
		}
	default:
		p := r.planes[0]
		for y := 0; y < r.h; y++ {
			src := p.pix[y*p.stride:][:4*r.w]
			dst := rgb.XPix[y*rgb.XStride:][:3*r.w]
			for x := 0; x < r.w; x++ {
				copy(dst[3*x:3*x+3], src[4*x:4*x+3])
			}
		}
	}
	return webp.EncodeRGB(rgb, q)
}

// ycc2rgb is color.YCbCrToRGB, inlined by hand for the per-pixel loop.
func ycc2rgb(y, cb, cr uint8) (uint8, uint8, uint8) {
	yy := int32(y) * 0x10101
	cb1 := int32(cb) - 128
	cr1 := int32(cr) - 128
	r := yy + 91881*cr1
	g := yy - 22554*cb1 - 46802*cr1
	b := yy + 116130*cb1
	return clamp16(r), clamp16(g), clamp16(b)
}

func clamp16(v int32) uint8 {
	if uint32(v)&0xff000000 == 0 {
		return uint8(v >> 16)
	}
	if v < 0 {
		return 0
	}
	return 255
}
