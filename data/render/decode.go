package render

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"fmt"
	"image"
	"image/draw"
	"image/gif"
	"image/png"
	"io"

	"golang.org/x/image/webp"

	"gallerist/data/probe"
	"gallerist/data/render/internal/jpegscale"
)

// source is a decoded, upright original.
type source struct {
	r      *raster
	ow, oh int // the original's oriented size in pixels
}

// decode reads an original. For a JPEG, largest(ow, oh) gives the largest
// width that will be made from an original of oriented size ow×oh, and the
// JPEG is decoded at the smallest DCT scale that is still at least that wide.
func decode(r io.Reader, mime string, largest func(ow, oh int) int) (*source, error) {
	br := bufio.NewReaderSize(r, 32<<10)
	if mime == "" {
		mime = sniff(br)
	}
	switch mime {
	case "image/jpeg", "image/jpg", "image/pjpeg":
		return decodeJPEG(br, largest)
	case "image/png", "image/gif", "image/webp":
	default:
		return nil, fmt.Errorf("%w: %q", ErrUnsupported, mime)
	}

	w, h, err := peekSize(br, mime)
	if err != nil {
		return nil, err
	}
	if err := tooLarge(w, h); err != nil {
		return nil, err
	}
	var m image.Image
	switch mime {
	case "image/png":
		m, err = png.Decode(br)
	case "image/webp":
		m, err = webp.Decode(br)
	case "image/gif":
		m, err = decodeGIF(br, w, h)
	}
	if err != nil {
		return nil, fmt.Errorf("render: decoding %s: %w", mime, err)
	}
	b := m.Bounds()
	rr := fromImage(m, float64(b.Dx()), float64(b.Dy()))
	return &source{r: rr, ow: rr.w, oh: rr.h}, nil
}

func decodeJPEG(br *bufio.Reader, largest func(ow, oh int) int) (*source, error) {
	var (
		orientation = 1
		ow, oh      int
	)
	opt := &jpegscale.Options{Scale: func(h *jpegscale.Header) (int, error) {
		if err := tooLarge(h.Width, h.Height); err != nil {
			return 0, err
		}
		orientation = exifOrientation(h.Exif)
		ow, oh = h.Width, h.Height
		if orientation >= 5 {
			ow, oh = oh, ow
		}
		if h.RGB && h.Subsampled {
			// Rare: the G and B planes would be upsampled coarsely from
			// the reduced scale. Decode them at full scale.
			return 1, nil
		}
		need := largest(ow, oh)
		for _, s := range []int{8, 4, 2} {
			if ow >= need*s {
				return s, nil
			}
		}
		return 1, nil
	}}
	m, hdr, err := jpegscale.DecodeScaled(br, opt)
	if err != nil {
		return nil, fmt.Errorf("render: decoding image/jpeg: %w", err)
	}
	s := float64(hdr.Scale)
	if c, ok := m.(*image.CMYK); ok {
		// CMYK and YCCK: convert once, at the reduced size.
		rgba := image.NewRGBA(c.Rect)
		toRGBA(plane{pix: rgba.Pix, w: c.Rect.Dx(), h: c.Rect.Dy(), stride: rgba.Stride, ch: 4}, c)
		m = rgba
	}
	rr := fromImage(m, float64(hdr.Width)/s, float64(hdr.Height)/s)
	rr = rr.orient(orientation)
	return &source{r: rr, ow: ow, oh: oh}, nil
}

// peekSize reads the pixel size from a PNG, GIF or WebP header without
// consuming input, so that oversized images are refused before decoding.
func peekSize(br *bufio.Reader, mime string) (int, int, error) {
	b, _ := br.Peek(64)
	bad := fmt.Errorf("render: invalid %s header", mime)
	switch mime {
	case "image/png":
		if len(b) < 24 || string(b[12:16]) != "IHDR" {
			return 0, 0, bad
		}
		w, h := binary.BigEndian.Uint32(b[16:]), binary.BigEndian.Uint32(b[20:])
		if w > 1<<30 || h > 1<<30 {
			return 0, 0, bad
		}
		return int(w), int(h), nil
	case "image/gif":
		if len(b) < 10 {
			return 0, 0, bad
		}
		return int(binary.LittleEndian.Uint16(b[6:])), int(binary.LittleEndian.Uint16(b[8:])), nil
	}
	c, err := webp.DecodeConfig(bytes.NewReader(b))
	if err != nil {
		return 0, 0, fmt.Errorf("render: decoding image/webp: %w", err)
	}
	return c.Width, c.Height, nil
}

// decodeGIF decodes the first frame of a (possibly animated) GIF and places
// it on the logical screen, w×h, transparent elsewhere. Later frames are not
// read.
func decodeGIF(r io.Reader, w, h int) (image.Image, error) {
	m, err := gif.Decode(r)
	if err != nil {
		return nil, err
	}
	screen := image.Rect(0, 0, w, h)
	if m.Bounds() == screen || w == 0 || h == 0 {
		return m, nil
	}
	canvas := image.NewRGBA(screen)
	draw.Draw(canvas, m.Bounds(), m, m.Bounds().Min, draw.Src)
	return canvas, nil
}

// exifOrientation is data/probe's reading of the Exif orientation (1 when
// there is none), so the dimensions recorded at upload and the pixels of the
// renditions always agree.
func exifOrientation(tiff []byte) int { return max(probe.ExifOrientation(tiff), 1) }

// tiff is a TIFF (Exif) payload with its byte order.
type tiff struct {
	b    []byte
	bo   binary.ByteOrder
	ifd0 int
}

func parseTIFF(b []byte) (tiff, bool) {
	if len(b) < 8 {
		return tiff{}, false
	}
	var bo binary.ByteOrder
	switch string(b[:2]) {
	case "II":
		bo = binary.LittleEndian
	case "MM":
		bo = binary.BigEndian
	default:
		return tiff{}, false
	}
	if bo.Uint16(b[2:]) != 42 {
		return tiff{}, false
	}
	t := tiff{b: b, bo: bo, ifd0: int(bo.Uint32(b[4:]))}
	if t.ifd0 < 8 || t.ifd0 > len(b)-2 {
		return tiff{}, false
	}
	return t, true
}

func (t tiff) u16(off int) (uint16, bool) {
	if off < 0 || off > len(t.b)-2 {
		return 0, false
	}
	return t.bo.Uint16(t.b[off:]), true
}

func (t tiff) u32(off int) (uint32, bool) {
	if off < 0 || off > len(t.b)-4 {
		return 0, false
	}
	return t.bo.Uint32(t.b[off:]), true
}
