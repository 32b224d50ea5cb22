package render

import (
	"compress/zlib"
	"encoding/binary"
	"fmt"
	"hash"
	"hash/crc32"
	"image"
	"image/png"
	"io"
)

// decodePNG16 decodes a non-interlaced PNG with 16-bit samples straight to
// 8 bits per sample, keeping the high byte of each, which is what converting
// image/png's 16-bit output to 8 bits gives: an *image.Gray (gray), an
// *image.RGBA (RGB) or an *image.NRGBA (with alpha, or with a tRNS colour
// key, compared at 16 bits as image/png does). image/png would hold 8 bytes
// a pixel (NRGBA64 or RGBA64) and render another 4 for the conversion; this
// holds 1 or 4, and two rows.
//
// Chunks are read and checked as image/png does (order, lengths, CRCs,
// trailing pixel data), with its error values, so that it accepts and refuses
// the same files (FuzzPNG16 compares the two).
func decodePNG16(r io.Reader) (image.Image, error) {
	d := &png16{r: r, crc: crc32.NewIEEE()}
	if _, err := io.ReadFull(d.r, d.tmp[:8]); err != nil {
		return nil, eofUnexpected(err)
	}
	if string(d.tmp[:8]) != pngSignature {
		return nil, png.FormatError("not a PNG file")
	}
	for d.stage != dsSeenIEND {
		if err := d.parseChunk(); err != nil {
			return nil, eofUnexpected(err)
		}
	}
	return d.img, nil
}

const pngSignature = "\x89PNG\r\n\x1a\n"

func eofUnexpected(err error) error {
	if err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	return err
}

// Decoding stages, as in image/png.
const (
	dsStart = iota
	dsSeenIHDR
	dsSeenPLTE
	dsSeentRNS
	dsSeenIDAT
	dsSeenIEND
)

type png16 struct {
	r          io.Reader
	crc        hash.Hash32
	img        image.Image
	w, h       int
	colorType  byte
	stage      int
	idatLength uint32
	tmp        [3 * 256]byte

	useTransparent bool
	transparent    [6]byte
}

// errNot16 is returned for an IHDR that decodePNG16 does not handle; the
// caller checked the header first, so it means the file changed under us.
var errNot16 = png.UnsupportedError("not a non-interlaced 16-bit PNG")

func (d *png16) parseChunk() error {
	if _, err := io.ReadFull(d.r, d.tmp[:8]); err != nil {
		return err
	}
	length := binary.BigEndian.Uint32(d.tmp[:4])
	d.crc.Reset()
	d.crc.Write(d.tmp[4:8])
	switch string(d.tmp[4:8]) {
	case "IHDR":
		if d.stage != dsStart {
			return png.FormatError("chunk out of order")
		}
		d.stage = dsSeenIHDR
		return d.parseIHDR(length)
	case "PLTE":
		if d.stage != dsSeenIHDR {
			return png.FormatError("chunk out of order")
		}
		d.stage = dsSeenPLTE
		return d.parsePLTE(length)
	case "tRNS":
		if d.colorType == ctTrueColor {
			if d.stage != dsSeenIHDR && d.stage != dsSeenPLTE {
				return png.FormatError("chunk out of order")
			}
		} else if d.stage != dsSeenIHDR {
			return png.FormatError("chunk out of order")
		}
		d.stage = dsSeentRNS
		return d.parsetRNS(length)
	case "IDAT":
		if d.stage < dsSeenIHDR || d.stage > dsSeenIDAT {
			return png.FormatError("chunk out of order")
		} else if d.stage == dsSeenIDAT {
			break // a later IDAT sequence is skipped, as image/png does
		}
		d.stage = dsSeenIDAT
		d.idatLength = length
		img, err := d.decode()
		if err != nil {
			return err
		}
		d.img = img
		return d.verifyChecksum()
	case "IEND":
		if d.stage != dsSeenIDAT {
			return png.FormatError("chunk out of order")
		}
		d.stage = dsSeenIEND
		if length != 0 {
			return png.FormatError("bad IEND length")
		}
		return d.verifyChecksum()
	}
	if length > 0x7fffffff {
		return png.FormatError(fmt.Sprintf("Bad chunk length: %d", length))
	}
	var ignored [4096]byte
	for length > 0 {
		n, err := io.ReadFull(d.r, ignored[:min(len(ignored), int(length))])
		if err != nil {
			return err
		}
		d.crc.Write(ignored[:n])
		length -= uint32(n)
	}
	return d.verifyChecksum()
}

// PNG colour types.
const (
	ctGrayscale      = 0
	ctTrueColor      = 2
	ctPaletted       = 3
	ctGrayscaleAlpha = 4
	ctTrueColorAlpha = 6
)

func (d *png16) parseIHDR(length uint32) error {
	if length != 13 {
		return png.FormatError("bad IHDR length")
	}
	if _, err := io.ReadFull(d.r, d.tmp[:13]); err != nil {
		return err
	}
	d.crc.Write(d.tmp[:13])
	if d.tmp[10] != 0 {
		return png.UnsupportedError("compression method")
	}
	if d.tmp[11] != 0 {
		return png.UnsupportedError("filter method")
	}
	if d.tmp[12] != 0 {
		return errNot16
	}
	w := int32(binary.BigEndian.Uint32(d.tmp[0:4]))
	h := int32(binary.BigEndian.Uint32(d.tmp[4:8]))
	if w <= 0 || h <= 0 {
		return png.FormatError("non-positive dimension")
	}
	if n := int64(w) * int64(h); n != (n*8)/8 {
		return png.UnsupportedError("dimension overflow")
	}
	if d.tmp[8] != 16 {
		return errNot16
	}
	switch ct := d.tmp[9]; ct {
	case ctGrayscale, ctTrueColor, ctGrayscaleAlpha, ctTrueColorAlpha:
		d.colorType = ct
	default:
		return png.UnsupportedError(fmt.Sprintf("bit depth %d, color type %d", d.tmp[8], d.tmp[9]))
	}
	d.w, d.h = int(w), int(h)
	return d.verifyChecksum()
}

func (d *png16) parsePLTE(length uint32) error {
	np := int(length / 3)
	if length%3 != 0 || np <= 0 || np > 256 {
		return png.FormatError("bad PLTE length")
	}
	n, err := io.ReadFull(d.r, d.tmp[:3*np])
	if err != nil {
		return err
	}
	d.crc.Write(d.tmp[:n])
	switch d.colorType {
	case ctTrueColor, ctTrueColorAlpha:
		// Optional, and ignorable, for true colour.
	default:
		return png.FormatError("PLTE, color type mismatch")
	}
	return d.verifyChecksum()
}

func (d *png16) parsetRNS(length uint32) error {
	var want uint32
	switch d.colorType {
	case ctGrayscale:
		want = 2
	case ctTrueColor:
		want = 6
	default:
		return png.FormatError("tRNS, color type mismatch")
	}
	if length != want {
		return png.FormatError("bad tRNS length")
	}
	n, err := io.ReadFull(d.r, d.tmp[:length])
	if err != nil {
		return err
	}
	d.crc.Write(d.tmp[:n])
	copy(d.transparent[:], d.tmp[:length])
	d.useTransparent = true
	return d.verifyChecksum()
}

func (d *png16) verifyChecksum() error {
	if _, err := io.ReadFull(d.r, d.tmp[:4]); err != nil {
		return err
	}
	if binary.BigEndian.Uint32(d.tmp[:4]) != d.crc.Sum32() {
		return png.FormatError("invalid checksum")
	}
	return nil
}

// Read presents the IDAT chunks as one stream, as image/png's decoder does.
func (d *png16) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	for d.idatLength == 0 {
		if err := d.verifyChecksum(); err != nil {
			return 0, err
		}
		if _, err := io.ReadFull(d.r, d.tmp[:8]); err != nil {
			return 0, err
		}
		d.idatLength = binary.BigEndian.Uint32(d.tmp[:4])
		if string(d.tmp[4:8]) != "IDAT" {
			return 0, png.FormatError("not enough pixel data")
		}
		d.crc.Reset()
		d.crc.Write(d.tmp[4:8])
	}
	if int(d.idatLength) < 0 {
		return 0, png.UnsupportedError("IDAT chunk length overflow")
	}
	n, err := d.r.Read(p[:min(len(p), int(d.idatLength))])
	d.crc.Write(p[:n])
	d.idatLength -= uint32(n)
	return n, err
}

// png16Channels is the number of samples per pixel of a colour type.
func png16Channels(ct byte) int {
	return map[byte]int{ctGrayscale: 1, ctTrueColor: 3, ctGrayscaleAlpha: 2, ctTrueColorAlpha: 4}[ct]
}

func (d *png16) decode() (image.Image, error) {
	zr, err := zlib.NewReader(d)
	if err != nil {
		return nil, err
	}
	defer zr.Close()
	w, h := d.w, d.h
	bpp := 2 * png16Channels(d.colorType) // bytes per pixel, for the filters
	rowSize := 1 + int64(bpp)*int64(w)
	if rowSize != int64(int(rowSize)) {
		return nil, png.UnsupportedError("dimension overflow")
	}
	// The output, 8 bits a sample. Allocated only once the first row has
	// arrived, so that a file that ends early costs little.
	var (
		gray  *image.Gray
		rgba  *image.RGBA
		nrgba *image.NRGBA
		img   image.Image
	)
	alloc := func() {
		rect := image.Rect(0, 0, w, h)
		switch {
		case d.colorType == ctGrayscale && !d.useTransparent:
			gray = image.NewGray(rect)
			img = gray
		case d.colorType == ctTrueColor && !d.useTransparent:
			rgba = image.NewRGBA(rect)
			img = rgba
		default:
			nrgba = image.NewNRGBA(rect)
			img = nrgba
		}
	}
	cr := make([]byte, rowSize)
	pr := make([]byte, rowSize)
	ty := uint16(d.transparent[0])<<8 | uint16(d.transparent[1])
	tg := uint16(d.transparent[2])<<8 | uint16(d.transparent[3])
	tb := uint16(d.transparent[4])<<8 | uint16(d.transparent[5])
	for y := 0; y < h; y++ {
		if _, err := io.ReadFull(zr, cr); err != nil {
			if err == io.EOF || err == io.ErrUnexpectedEOF {
				return nil, png.FormatError("not enough pixel data")
			}
			return nil, err
		}
		if img == nil {
			alloc()
		}
		if err := unfilter(cr, pr, bpp); err != nil {
			return nil, err
		}
		cdat := cr[1:]
		switch {
		case gray != nil:
			dst := gray.Pix[y*gray.Stride:][:w]
			for x := range dst {
				dst[x] = cdat[2*x]
			}
		case rgba != nil:
			dst := rgba.Pix[y*rgba.Stride:][:4*w]
			for x := 0; x < w; x++ {
				s := cdat[6*x : 6*x+6 : 6*x+6]
				dst[4*x], dst[4*x+1], dst[4*x+2], dst[4*x+3] = s[0], s[2], s[4], 0xff
			}
		default:
			dst := nrgba.Pix[y*nrgba.Stride:][:4*w]
			switch d.colorType {
			case ctGrayscale: // with a transparent colour
				for x := 0; x < w; x++ {
					v := cdat[2*x]
					a := uint8(0xff)
					if uint16(v)<<8|uint16(cdat[2*x+1]) == ty {
						a = 0
					}
					dst[4*x], dst[4*x+1], dst[4*x+2], dst[4*x+3] = v, v, v, a
				}
			case ctGrayscaleAlpha:
				for x := 0; x < w; x++ {
					v := cdat[4*x]
					dst[4*x], dst[4*x+1], dst[4*x+2], dst[4*x+3] = v, v, v, cdat[4*x+2]
				}
			case ctTrueColor: // with a transparent colour
				for x := 0; x < w; x++ {
					s := cdat[6*x : 6*x+6 : 6*x+6]
					a := uint8(0xff)
					if uint16(s[0])<<8|uint16(s[1]) == ty && uint16(s[2])<<8|uint16(s[3]) == tg && uint16(s[4])<<8|uint16(s[5]) == tb {
						a = 0
					}
					dst[4*x], dst[4*x+1], dst[4*x+2], dst[4*x+3] = s[0], s[2], s[4], a
				}
			case ctTrueColorAlpha:
				for x := 0; x < w; x++ {
					s := cdat[8*x : 8*x+8 : 8*x+8]
					dst[4*x], dst[4*x+1], dst[4*x+2], dst[4*x+3] = s[0], s[2], s[4], s[6]
				}
			}
		}
		pr, cr = cr, pr
	}
	// Check for EOF, to verify the zlib checksum, as image/png does.
	n := 0
	for i := 0; n == 0 && err == nil; i++ {
		if i == 100 {
			return nil, io.ErrNoProgress
		}
		n, err = zr.Read(d.tmp[:1])
	}
	if err != nil && err != io.EOF {
		return nil, png.FormatError(err.Error())
	}
	if n != 0 || d.idatLength != 0 {
		return nil, png.FormatError("too much pixel data")
	}
	return img, nil
}

// unfilter reverses a PNG row filter in place: cr is the current row (its
// filter type byte first), pr the previous one (zeros for the first row).
func unfilter(cr, pr []byte, bpp int) error {
	cdat, pdat := cr[1:], pr[1:]
	switch cr[0] {
	case 0:
	case 1:
		for i := bpp; i < len(cdat); i++ {
			cdat[i] += cdat[i-bpp]
		}
	case 2:
		for i, p := range pdat {
			cdat[i] += p
		}
	case 3:
		for i := 0; i < bpp; i++ {
			cdat[i] += pdat[i] / 2
		}
		for i := bpp; i < len(cdat); i++ {
			cdat[i] += uint8((int(cdat[i-bpp]) + int(pdat[i])) / 2)
		}
	case 4:
		paeth(cdat, pdat, bpp)
	default:
		return png.FormatError("bad filter type")
	}
	return nil
}

// paeth applies the Paeth filter (image/png's filterPaeth).
func paeth(cdat, pdat []byte, bpp int) {
	var a, b, c, pa, pb, pc int
	for i := 0; i < bpp; i++ {
		a, c = 0, 0
		for j := i; j < len(cdat); j += bpp {
			b = int(pdat[j])
			pa = b - c
			pb = a - c
			pc = abs(pa + pb)
			pa = abs(pa)
			pb = abs(pb)
			if pa <= pb && pa <= pc {
				// No-op.
			} else if pb <= pc {
				a = b
			} else {
				a = c
			}
			a += int(cdat[j])
			a &= 0xff
			cdat[j] = uint8(a)
			c = b
		}
	}
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}
