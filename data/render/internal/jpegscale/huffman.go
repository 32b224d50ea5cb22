// Copyright 2009 The Go Authors. All rights reserved.
// Use of this source code is governed by a BSD-style
// license that can be found in the LICENSE file.

package jpegscale

import (
	"io"
)

// maxCodeLength is the maximum (inclusive) number of bits in a Huffman code.
const maxCodeLength = 16

// maxNCodes is the maximum (inclusive) number of codes in a Huffman tree.
const maxNCodes = 256

// lutSize is the log-2 size of the Huffman decoder's look-up tables.
const lutSize = 9

// huffman is a Huffman decoder, specified in section C.
type huffman struct {
	// length is the number of codes in the tree.
	nCodes int32
	// lut is the look-up table for the next lutSize bits in the bit-stream.
	// The high 8 bits of the uint16 are the encoded value. The low 8 bits
	// are 1 plus the code length, or 0 if the value is too large to fit in
	// lutSize bits.
	lut [1 << lutSize]uint16
	// fastAC decodes, in one look-up of the next lutSize bits, an AC code
	// and its extra bits when both fit: the high 8 bits are the (signed)
	// coefficient, then 4 bits of zero run, then 4 bits of total length.
	// 0 means the slow path.
	fastAC [1 << lutSize]int16
	// vals are the decoded values, sorted by their encoding.
	vals [maxNCodes]uint8
	// minCodes[i] is the minimum code of length i, or -1 if there are no
	// codes of that length.
	minCodes [maxCodeLength]int32
	// maxCodes[i] is the maximum code of length i, or -1 if there are no
	// codes of that length.
	maxCodes [maxCodeLength]int32
	// valsIndices[i] is the index into vals of minCodes[i].
	valsIndices [maxCodeLength]int32
}

// errShortHuffmanData means that an unexpected EOF occurred while decoding
// Huffman data.
var errShortHuffmanData = FormatError("short Huffman data")

// fillBits tops up d.bits to at least 57 bits, unstuffing 0xff 0x00 byte
// pairs. At a marker, or at the end of the input, it appends zero bits
// instead (counting those in d.bits.zeros, and in d.bits.pad at the end of
// the input or, for a strict decoder, at a marker too), so callers can take
// up to 57 bits after one call without further checks.
func (d *decoder) fillBits() error {
	a, n := d.bits.a, d.bits.n
	// Fast path: enough bytes buffered to look at a byte and its successor.
	buf := d.bytes.buf[:d.bytes.j]
	i := d.bytes.i
	if !d.bits.marker {
		for n <= 56 && i+1 < len(buf) {
			c := buf[i]
			if c == 0xff {
				if buf[i+1] != 0x00 {
					d.bits.marker = true
					break
				}
				i += 2
			} else {
				i++
			}
			a = a<<8 | uint64(c)
			n += 8
		}
	}
	d.bytes.i = i
	for n <= 56 {
		if d.bits.marker || d.bits.eof {
			a <<= 8
			n += 8
			// zeros only needs to tell whether data bits are left: once
			// it exceeds the 64 bits the buffer holds, none are.
			d.bits.zeros = min(d.bits.zeros+8, 1<<16)
			if d.bits.eof || d.strict {
				d.bits.pad += 8
			}
			continue
		}
		if d.bytes.j-d.bytes.i < 2 {
			if err := d.fill(); err != nil {
				if err != io.ErrUnexpectedEOF {
					return err
				}
				if d.bytes.j-d.bytes.i < 2 {
					if d.bytes.i < d.bytes.j && d.bytes.buf[d.bytes.i] != 0xff {
						// The last byte of the input.
						a = a<<8 | uint64(d.bytes.buf[d.bytes.i])
						n += 8
						d.bytes.i++
					}
					d.bits.eof = true
				}
				continue
			}
		}
		c := d.bytes.buf[d.bytes.i]
		if c == 0xff {
			if d.bytes.buf[d.bytes.i+1] != 0x00 {
				d.bits.marker = true
				continue
			}
			d.bytes.i += 2
		} else {
			d.bytes.i++
		}
		a = a<<8 | uint64(c)
		n += 8
	}
	d.bits.a, d.bits.n = a, n
	return nil
}

// shortData reports whether decoding has used bits past the end of the
// input (or, for a strict decoder, past the marker that ends the segment).
func (d *decoder) shortData() bool {
	return d.bits.n < d.bits.pad
}

// receiveExtend is the composition of RECEIVE and EXTEND, specified in section
// F.2.2.1.
func (d *decoder) receiveExtend(t uint8) (int32, error) {
	if d.bits.n < uint32(t) {
		if err := d.fillBits(); err != nil {
			return 0, err
		}
	}
	d.bits.n -= uint32(t)
	return extend(uint32(d.bits.a>>d.bits.n)&(1<<t-1), t), nil
}

// extend is EXTEND, section F.2.2.1: it maps t-bit value x to a signed value.
func extend(x uint32, t uint8) int32 {
	v := int32(x)
	if v < 1<<(t-1) {
		v += -1<<t + 1
	}
	return v
}

// processDHT processes a Define Huffman Table marker, and initializes a huffman
// struct from its contents. Specified in section B.2.4.2.
func (d *decoder) processDHT(n int) error {
	for n > 0 {
		if n < 17 {
			return FormatError("DHT has wrong length")
		}
		if err := d.readFull(d.tmp[:17]); err != nil {
			return err
		}
		tc := d.tmp[0] >> 4
		if tc > maxTc {
			return FormatError("bad Tc value")
		}
		th := d.tmp[0] & 0x0f
		// The baseline th <= 1 restriction is specified in table B.5.
		if th > maxTh || (d.baseline && th > 1) {
			return FormatError("bad Th value")
		}
		h := &d.huff[tc][th]

		// Read nCodes and h.vals (and derive h.nCodes).
		// nCodes[i] is the number of codes with code length i.
		// h.nCodes is the total number of codes.
		h.nCodes = 0
		var nCodes [maxCodeLength]int32
		for i := range nCodes {
			nCodes[i] = int32(d.tmp[i+1])
			h.nCodes += nCodes[i]
		}
		if h.nCodes == 0 {
			return FormatError("Huffman table has zero length")
		}
		if h.nCodes > maxNCodes {
			return FormatError("Huffman table has excessive length")
		}
		n -= int(h.nCodes) + 17
		if n < 0 {
			return FormatError("DHT has wrong length")
		}
		if err := d.readFull(h.vals[:h.nCodes]); err != nil {
			return err
		}

		// Derive the look-up table. For codes of up to 8 bits it holds what
		// image/jpeg's 8-bit table holds (each entry doubled): the base of
		// an over-subscribed table (one with more codes than its lengths
		// allow, which image/jpeg accepts) wraps around modulo the table
		// size, later codes overwriting earlier ones, so that every index is
		// in range. Codes of lutSize (9) bits are not in image/jpeg's table:
		// its bit-by-bit slow path finds one only where no shorter code
		// matched, and only for the code's own, unwrapped, value. They are
		// entered here under the same conditions, so that decoding takes the
		// same codes as image/jpeg for any table.
		clear(h.lut[:])
		var x, code uint32
		for i := uint32(0); i < lutSize; i++ {
			code <<= 1
			for j := int32(0); j < nCodes[i]; j++ {
				// The codeLength is 1+i, so shift code by lutSize-(1+i) to
				// calculate the high bits for every lutSize-bit sequence
				// whose codeLength's high bits matches code.
				// The high 8 bits of lutValue are the encoded value.
				// The low 8 bits are 1 plus the codeLength.
				lutValue := uint16(h.vals[x])<<8 | uint16(2+i)
				if i < lutSize-1 {
					base := (code << (lutSize - 1 - i)) & (1<<lutSize - 1)
					for k := uint32(0); k < 1<<(lutSize-1-i); k++ {
						h.lut[base|k] = lutValue
					}
				} else if code < 1<<lutSize && h.lut[code] == 0 {
					h.lut[code] = lutValue
				}
				code++
				x++
			}
		}

		// Derive fastAC from the finished look-up table, so that the two
		// always agree (an entry overwritten in lut must not keep a stale
		// fastAC entry): an AC code with a non-zero coefficient whose extra
		// bits also fit in the look-up.
		clear(h.fastAC[:])
		if tc == acTable {
			for s, v := range h.lut {
				if v == 0 {
					continue
				}
				length, val := uint32(v&0xff)-1, v>>8
				run, size := uint32(val>>4), uint32(val&15)
				if size == 0 || length+size > lutSize {
					continue
				}
				extra := (uint32(s) >> (lutSize - length - size)) & (1<<size - 1)
				if coef := extend(extra, uint8(size)); -128 <= coef && coef <= 127 {
					h.fastAC[s] = int16(coef<<8 | int32(run<<4) | int32(length+size))
				}
			}
		}

		// Derive minCodes, maxCodes, and valsIndices.
		var c, index int32
		for i, n := range nCodes {
			if n == 0 {
				h.minCodes[i] = -1
				h.maxCodes[i] = -1
				h.valsIndices[i] = -1
			} else {
				h.minCodes[i] = c
				h.maxCodes[i] = c + n - 1
				h.valsIndices[i] = index
				c += n
				index += n
			}
			c <<= 1
		}
	}
	return nil
}

// decodeHuffman returns the next Huffman-coded value from the bit-stream,
// decoded according to h.
func (d *decoder) decodeHuffman(h *huffman) (uint8, error) {
	if h.nCodes == 0 {
		return 0, FormatError("uninitialized Huffman table")
	}
	if d.bits.n < 16 {
		if err := d.fillBits(); err != nil {
			return 0, err
		}
	}
	if !d.bits.fewDataBits() {
		if v := h.lut[(d.bits.a>>(d.bits.n-lutSize))&(1<<lutSize-1)]; v != 0 {
			d.bits.n -= uint32(v&0xff) - 1
			return uint8(v >> 8), nil
		}
	}
	return d.decodeHuffmanSlow(h)
}

// fewDataBits reports whether 1 to 7 bits of data are left before the zero
// bits appended at a marker or at the end of the input. image/jpeg then
// decodes bit by bit (its slow path), and for an over-subscribed table the
// slow path can decode other codes than the look-up table, so decodeHuffman
// and decodeCoeffs do too. With no data bits left (only zero bits, which
// image/jpeg would not read at all) the look-ups stay in use: decoding a
// large frame from padding must not take the slow path for every code.
func (b *bits) fewDataBits() bool {
	return b.n-b.zeros-1 < 7 // 0 < n-zeros < 8, unsigned
}

// decodeHuffmanSlow decodes a code bit by bit: one longer than lutSize bits,
// or any code while fewDataBits. d.bits holds at least 16 bits.
func (d *decoder) decodeHuffmanSlow(h *huffman) (uint8, error) {
	code := int32(0)
	for i := 0; i < maxCodeLength; i++ {
		d.bits.n--
		code |= int32(d.bits.a>>d.bits.n) & 1
		if code <= h.maxCodes[i] {
			return h.vals[h.valsIndices[i]+code-h.minCodes[i]], nil
		}
		code <<= 1
	}
	return 0, FormatError("bad Huffman code")
}

func (d *decoder) decodeBit() (bool, error) {
	if d.bits.n == 0 {
		if err := d.fillBits(); err != nil {
			return false, err
		}
	}
	d.bits.n--
	return d.bits.a>>d.bits.n&1 != 0, nil
}

func (d *decoder) decodeBits(n int32) (uint32, error) {
	if d.bits.n < uint32(n) {
		if err := d.fillBits(); err != nil {
			return 0, err
		}
	}
	d.bits.n -= uint32(n)
	return uint32(d.bits.a>>d.bits.n) & (1<<uint32(n) - 1), nil
}
