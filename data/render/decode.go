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
	"time"

	"golang.org/x/image/webp"

	"gallerist/data/probe"
	"gallerist/data/render/internal/jpegscale"
)

// source is a decoded, upright original.
type source struct {
	r      *raster
	ow, oh int // the original's oriented size in pixels
}

// decode reads an original for job j. Once the header is read, and before
// any pixel memory is allocated, the cost of the whole job is estimated and
// j.admit decides whether it goes ahead. A JPEG is decoded at the smallest
// DCT scale that is still at least as wide as the largest width j makes.
func decode(br *bufio.Reader, mime string, j *job) (*source, error) {
	if mime == "" {
		mime = sniff(br)
	}
	switch mime {
	case "image/jpeg", "image/jpg", "image/pjpeg":
		return decodeJPEG(br, j)
	case "image/png", "image/gif", "image/webp":
	default:
		return nil, fmt.Errorf("%w: %q", ErrUnsupported, mime)
	}

	hdr, err := peekHeader(br, mime)
	if err != nil {
		return nil, err
	}
	if err := tooLarge(hdr.w, hdr.h); err != nil {
		return nil, err
	}
	if err := j.admit(hdr.cost(j)); err != nil {
		return nil, err
	}
	var m image.Image
	switch {
	case mime == "image/png" && hdr.depth == 16 && !hdr.interlaced:
		m, err = decodePNG16(br)
	case mime == "image/png":
		m, err = png.Decode(br)
	case mime == "image/webp":
		m, err = webp.Decode(br)
	default:
		m, err = decodeGIF(br, hdr.w, hdr.h)
	}
	if err != nil {
		return nil, fmt.Errorf("render: decoding %s: %w", mime, err)
	}
	b := m.Bounds()
	rr := fromImage(m, float64(b.Dx()), float64(b.Dy()))
	return &source{r: rr, ow: rr.w, oh: rr.h}, nil
}

// jpegScale returns the DCT scale to decode a JPEG at, its EXIF orientation
// and its oriented size, for a job whose largest width for an original of
// oriented size ow×oh is largest(ow, oh).
func jpegScale(h *jpegscale.Header, largest func(ow, oh int) int) (scale, orientation, ow, oh int) {
	orientation = exifOrientation(h.Exif)
	ow, oh = h.Width, h.Height
	if orientation >= 5 {
		ow, oh = oh, ow
	}
	if h.RGB && h.Subsampled {
		// Rare: the G and B planes would be upsampled coarsely from
		// the reduced scale. Decode them at full scale.
		return 1, orientation, ow, oh
	}
	need := largest(ow, oh)
	for _, s := range []int{8, 4, 2} {
		if ow >= need*s {
			return s, orientation, ow, oh
		}
	}
	return 1, orientation, ow, oh
}

func decodeJPEG(br *bufio.Reader, j *job) (*source, error) {
	var orientation, ow, oh int
	opt := &jpegscale.Options{
		Scale: func(h *jpegscale.Header) (int, error) {
			if err := tooLarge(h.Width, h.Height); err != nil {
				return 0, err
			}
			var s int
			s, orientation, ow, oh = jpegScale(h, j.largest)
			c := jpegCost(h, s, orientation, j)
			if err := j.admit(c); err != nil {
				return 0, err
			}
			// What follows the scans must still fit when each scan starts.
			j.reserve = c.decodeCPU
			return s, nil
		},
		Charge: func(blocks, _ int) error {
			return j.need(time.Duration(float64(blocks) * wJPEGBlockScan))
		},
	}
	m, hdr, err := jpegscale.DecodeScaled(br, opt)
	j.reserve = 0
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

// header is what the first bytes of a PNG, GIF or WebP say.
type header struct {
	mime string
	w, h int // pixels (for a GIF, the logical screen)
	// PNG: bit depth, colour type, Adam7; trns is 1 if a tRNS chunk comes
	// before the image data, 0 if none does, -1 if the first bytes do not
	// tell.
	depth, colorType byte
	interlaced       bool
	trns             int
	// WebP: which bitstreams the file may hold, whether it says it has an
	// alpha channel, and the RIFF size (the decoder reads a lossy
	// bitstream whole).
	vp8, vp8l, alpha bool
	riffSize         int64
}

// peekHeader reads a PNG, GIF or WebP header without consuming input, so
// that the job's cost is known before any decoding.
func peekHeader(br *bufio.Reader, mime string) (header, error) {
	b, _ := br.Peek(64)
	bad := fmt.Errorf("render: invalid %s header", mime)
	hd := header{mime: mime}
	switch mime {
	case "image/png":
		if len(b) < 29 || string(b[12:16]) != "IHDR" {
			return hd, bad
		}
		w, h := binary.BigEndian.Uint32(b[16:]), binary.BigEndian.Uint32(b[20:])
		if w > 1<<30 || h > 1<<30 {
			return hd, bad
		}
		hd.w, hd.h = int(w), int(h)
		hd.depth, hd.colorType, hd.interlaced = b[24], b[25], b[28] == 1
		hd.trns = pngTRNS(br)
		return hd, nil
	case "image/gif":
		if len(b) < 10 {
			return hd, bad
		}
		hd.w, hd.h = int(binary.LittleEndian.Uint16(b[6:])), int(binary.LittleEndian.Uint16(b[8:]))
		return hd, nil
	}
	c, err := webp.DecodeConfig(bytes.NewReader(b))
	if err != nil {
		return hd, fmt.Errorf("render: decoding image/webp: %w", err)
	}
	hd.w, hd.h = c.Width, c.Height
	hd.riffSize = int64(binary.LittleEndian.Uint32(b[4:]))
	switch string(b[12:16]) {
	case "VP8 ":
		hd.vp8 = true
	case "VP8L":
		hd.vp8l = true
	default: // VP8X: the bitstream comes later
		hd.vp8, hd.vp8l, hd.alpha = true, true, b[20]&0x10 != 0
	}
	return hd, nil
}

// pngTRNS walks the chunks in the buffered first bytes of a PNG up to the
// image data: 1 if a tRNS chunk comes first, 0 if IDAT does, -1 if neither
// is buffered.
func pngTRNS(br *bufio.Reader) int {
	b, _ := br.Peek(br.Size())
	for off := 8; off+8 <= len(b); {
		n := int(binary.BigEndian.Uint32(b[off:]))
		switch string(b[off+4 : off+8]) {
		case "tRNS":
			return 1
		case "IDAT":
			return 0
		}
		if n < 0 || n > len(b) {
			break
		}
		off += 12 + n
	}
	return -1
}

// decodeGIF decodes the first frame of a (possibly animated) GIF and places
// it on the logical screen, w×h, transparent elsewhere. gif.Decode reads
// only up to the end of the first frame (image/gif stops there unless all
// frames are asked for), and the frame must lie within the screen.
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
