// Copyright 2009 The Go Authors. All rights reserved.
// Use of this source code is governed by a BSD-style
// license that can be found in the LICENSE file.

// This file holds the scaled-decoding additions to the copied decoder.

package jpegscale

import (
	"image"
	"io"
)

// Header describes a JPEG frame as known before any pixel is decoded.
type Header struct {
	// Width and Height are the stored (not EXIF-oriented) dimensions.
	Width, Height int
	// Components is 1 (gray), 3 (YCbCr or RGB) or 4 (CMYK or YCCK).
	Components int
	// Progressive reports a progressive (SOF2) frame.
	Progressive bool
	// RGB reports 3 components stored as R, G, B rather than Y, Cb, Cr.
	RGB bool
	// Subsampled reports that some component has a lower resolution.
	Subsampled bool
	// Exif is the TIFF payload (after "Exif\x00\x00") of the first Exif APP1
	// segment that precedes the frame header, or nil.
	Exif []byte
	// Scale is the denominator the image was decoded at: 1, 2, 4 or 8.
	Scale int
	// H and V are the sampling factors of each of the Components (as the
	// decoder uses them: 1, 1 for a gray image).
	H, V [4]int
}

// Options controls DecodeScaled.
type Options struct {
	// Scale, if not nil, is called once the frame header has been read and
	// returns the denominator to decode at: 1, 2, 4 or 8 (other values mean
	// 1), or an error, which stops decoding before any pixel memory is
	// allocated.
	Scale func(h *Header) (int, error)
	// Charge, if not nil, is told of the work ahead as decoding proceeds:
	// before each scan, the number of 8×8 blocks it codes (every scan visits
	// all the blocks of its components, however little data it has), and,
	// as input is read, the number of bytes. A non-nil error stops decoding
	// with that error.
	Charge func(blocks, bytes int) error
}

func (d *decoder) charge(blocks, bytes int) error {
	if d.opt == nil || d.opt.Charge == nil {
		return nil
	}
	return d.opt.Charge(blocks, bytes)
}

// DecodeScaled decodes a JPEG at the scale chosen by opt.Scale. A w×h image
// decoded at 1/s is ceil(w/s)×ceil(h/s) pixels. The result is an *image.Gray,
// *image.YCbCr, *image.RGBA (Adobe RGB-transform JPEGs) or *image.CMYK.
func DecodeScaled(r io.Reader, opt *Options) (image.Image, Header, error) {
	d := decoder{opt: opt}
	m, err := d.decode(r, false)
	return m, d.header(), err
}

func (d *decoder) header() Header {
	sub := false
	var hs, vs [4]int
	for i, c := range d.comp[:d.nComp] {
		sub = sub || c.h != d.comp[0].h || c.v != d.comp[0].v
		hs[i], vs[i] = c.h, c.v
	}
	return Header{
		H:           hs,
		V:           vs,
		RGB:         d.nComp == 3 && d.isRGB(),
		Subsampled:  sub,
		Width:       d.width,
		Height:      d.height,
		Components:  d.nComp,
		Progressive: d.progressive,
		Exif:        d.exif,
		Scale:       1 << d.shift,
	}
}

// chooseScale sets the reduction once the SOF has been processed.
func (d *decoder) chooseScale() error {
	d.shift, d.bsz = 0, 8
	if d.opt == nil || d.opt.Scale == nil {
		return nil
	}
	h := d.header()
	s, err := d.opt.Scale(&h)
	if err != nil {
		return err
	}
	switch s {
	case 2:
		d.shift = 1
	case 4:
		d.shift = 2
	case 8:
		d.shift = 3
	}
	d.bsz = 8 >> d.shift
	return nil
}

// coeffs holds one block's quantized coefficients, in natural order, between
// the scans of a progressive JPEG. int16 is enough for 8-bit JPEGs (as in
// libjpeg's JCOEF) and halves the memory the standard library uses.
type coeffs [blockSize]int16

// zigOf is the inverse of unzig: zigOf[natural index] = zig-zag index.
var zigOf = func() (z [blockSize]int) {
	for i, n := range unzig {
		z[n] = i
	}
	return z
}()

// Kernel of the 4-point inverse DCT that yields the 1/2-scale output from the
// 4x4 lowest frequencies, with the 8-point normalisation:
// k(m, u) = C(u) cos((2m+1)uπ/8) / 2, with C(0) = 1/√2 and C(u>0) = 1.
const (
	k4a = 0.35355339059327373 // 1/(2√2) = cos(π/4)/2
	k4b = 0.46193976625564337 // cos(π/8)/2
	k4c = 0.19134171618254492 // cos(3π/8)/2
)

// reconstruct dequantizes the coefficients the current scale needs, runs the
// (possibly reduced) inverse DCT and stores the block at block position (bx,
// by) of component compIndex.
func reconstruct[T int16 | int32](d *decoder, b *[blockSize]T, bx, by, compIndex int) error {
	dst, stride, err := d.blockDst(bx, by, compIndex)
	if err != nil {
		return err
	}
	qt := &d.quant[d.comp[compIndex].tq]
	switch d.shift {
	case 0:
		var blk block
		for zig := 0; zig < blockSize; zig++ {
			n := unzig[zig]
			blk[n] = int32(b[n]) * qt[zig]
		}
		idct(&blk)
		storeBlock(&blk, 8, dst, stride)
	case 1:
		var f [16]float32
		for v := 0; v < 4; v++ {
			for u := 0; u < 4; u++ {
				n := 8*v + u
				f[4*v+u] = float32(int32(b[n]) * qt[zigOf[n]])
			}
		}
		// Columns, then rows, of the 4-point IDCT.
		for u := 0; u < 4; u++ {
			f0, f1, f2, f3 := f[u], f[4+u], f[8+u], f[12+u]
			e0, e1 := (f0+f2)*k4a, (f0-f2)*k4a
			o0, o1 := f1*k4b+f3*k4c, f1*k4c-f3*k4b
			f[u], f[4+u], f[8+u], f[12+u] = e0+o0, e1+o1, e1-o1, e0-o0
		}
		for m := 0; m < 4; m++ {
			r := f[4*m : 4*m+4 : 4*m+4]
			e0, e1 := (r[0]+r[2])*k4a, (r[0]-r[2])*k4a
			o0, o1 := r[1]*k4b+r[3]*k4c, r[1]*k4c-r[3]*k4b
			row := dst[m*stride : m*stride+4 : m*stride+4]
			row[0] = clampPix(e0 + o0)
			row[1] = clampPix(e1 + o1)
			row[2] = clampPix(e1 - o1)
			row[3] = clampPix(e0 - o0)
		}
	case 2:
		f00 := int32(b[0]) * qt[0]
		f01 := int32(b[1]) * qt[1] // natural 1 is zig-zag 1
		f10 := int32(b[8]) * qt[2] // natural 8 is zig-zag 2
		f11 := int32(b[9]) * qt[4] // natural 9 is zig-zag 4
		a, s := f00+f11, f00-f11
		dst[0] = clampInt((a + f01 + f10 + 4) >> 3)
		dst[1] = clampInt((s - f01 + f10 + 4) >> 3)
		dst[stride] = clampInt((s + f01 - f10 + 4) >> 3)
		dst[stride+1] = clampInt((a - f01 - f10 + 4) >> 3)
	case 3:
		dst[0] = clampInt((int32(b[0])*qt[0] + 4) >> 3)
	}
	return nil
}

// clearBlock zeroes the coefficients that reconstruct reads at the current
// scale. The others may hold stale values: they are written but never read.
func (d *decoder) clearBlock(b *block) {
	switch d.shift {
	case 0:
		*b = block{}
	case 1:
		for v := 0; v < 4; v++ {
			r := b[8*v : 8*v+4 : 8*v+4]
			r[0], r[1], r[2], r[3] = 0, 0, 0, 0
		}
	case 2:
		b[0], b[1], b[8], b[9] = 0, 0, 0, 0
	default:
		b[0] = 0
	}
}

// blockDst returns where block (bx, by) of a component goes in the output.
func (d *decoder) blockDst(bx, by, compIndex int) ([]byte, int, error) {
	s := d.bsz
	if d.nComp == 1 {
		return d.img1.Pix[s*(by*d.img1.Stride+bx):], d.img1.Stride, nil
	}
	switch compIndex {
	case 0:
		return d.img3.Y[s*(by*d.img3.YStride+bx):], d.img3.YStride, nil
	case 1:
		return d.img3.Cb[s*(by*d.img3.CStride+bx):], d.img3.CStride, nil
	case 2:
		return d.img3.Cr[s*(by*d.img3.CStride+bx):], d.img3.CStride, nil
	case 3:
		return d.blackPix[s*(by*d.blackStride+bx):], d.blackStride, nil
	}
	return nil, 0, UnsupportedError("too many components")
}

// storeBlock level-shifts by +128, clips to [0, 255] and writes an n×n block.
func storeBlock(b *block, n int, dst []byte, stride int) {
	for y := 0; y < n; y++ {
		row := dst[y*stride : y*stride+n]
		src := b[y*8 : y*8+n]
		for x, c := range src {
			if c < -128 {
				c = 0
			} else if c > 127 {
				c = 255
			} else {
				c += 128
			}
			row[x] = uint8(c)
		}
	}
}

func clampInt(c int32) uint8 {
	c += 128
	if c < 0 {
		return 0
	}
	if c > 255 {
		return 255
	}
	return uint8(c)
}

func clampPix(f float32) uint8 {
	f += 128.5
	if f <= 0 {
		return 0
	}
	if f >= 255 {
		return 255
	}
	return uint8(f)
}
