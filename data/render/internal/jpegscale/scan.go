// Copyright 2012 The Go Authors. All rights reserved.
// Use of this source code is governed by a BSD-style
// license that can be found in the LICENSE file.

package jpegscale

import (
	"image"
	mbits "math/bits"
)

// makeImg allocates and initializes the destination image, at the decoding
// scale: blocks are d.bsz pixels square.
func (d *decoder) makeImg(mxx, myy int) {
	s := d.bsz
	div := 1 << d.shift
	visible := image.Rect(0, 0, (d.width+div-1)/div, (d.height+div-1)/div)
	if d.nComp == 1 {
		m := image.NewGray(image.Rect(0, 0, s*mxx, s*myy))
		d.img1 = m.SubImage(visible).(*image.Gray)
		return
	}

	h0 := d.comp[0].h
	v0 := d.comp[0].v
	hRatio := h0 / d.comp[1].h
	vRatio := v0 / d.comp[1].v
	var subsampleRatio image.YCbCrSubsampleRatio
	switch hRatio<<4 | vRatio {
	case 0x11:
		subsampleRatio = image.YCbCrSubsampleRatio444
	case 0x12:
		subsampleRatio = image.YCbCrSubsampleRatio440
	case 0x21:
		subsampleRatio = image.YCbCrSubsampleRatio422
	case 0x22:
		subsampleRatio = image.YCbCrSubsampleRatio420
	case 0x41:
		subsampleRatio = image.YCbCrSubsampleRatio411
	case 0x42:
		subsampleRatio = image.YCbCrSubsampleRatio410
	default:
		panic("unreachable")
	}
	m := image.NewYCbCr(image.Rect(0, 0, s*h0*mxx, s*v0*myy), subsampleRatio)
	d.img3 = m.SubImage(visible).(*image.YCbCr)

	if d.nComp == 4 {
		h3, v3 := d.comp[3].h, d.comp[3].v
		d.blackPix = make([]byte, s*h3*mxx*s*v3*myy)
		d.blackStride = s * h3 * mxx
	}
}

// Specified in section B.2.3.
func (d *decoder) processSOS(n int) error {
	if d.nComp == 0 {
		return FormatError("missing SOF marker")
	}
	if n < 6 || 4+2*d.nComp < n || n%2 != 0 {
		return FormatError("SOS has wrong length")
	}
	if err := d.readFull(d.tmp[:n]); err != nil {
		return err
	}
	nComp := int(d.tmp[0])
	if n != 4+2*nComp {
		return FormatError("SOS length inconsistent with number of components")
	}
	var scan [maxComponents]struct {
		compIndex uint8
		td        uint8 // DC table selector.
		ta        uint8 // AC table selector.
	}
	totalHV := 0
	for i := 0; i < nComp; i++ {
		cs := d.tmp[1+2*i] // Component selector.
		compIndex := -1
		for j, comp := range d.comp[:d.nComp] {
			if cs == comp.c {
				compIndex = j
			}
		}
		if compIndex < 0 {
			return FormatError("unknown component selector")
		}
		scan[i].compIndex = uint8(compIndex)
		// Section B.2.3 states that "the value of Cs_j shall be different from
		// the values of Cs_1 through Cs_(j-1)". Since we have previously
		// verified that a frame's component identifiers (C_i values in section
		// B.2.2) are unique, it suffices to check that the implicit indexes
		// into d.comp are unique.
		for j := 0; j < i; j++ {
			if scan[i].compIndex == scan[j].compIndex {
				return FormatError("repeated component selector")
			}
		}
		totalHV += d.comp[compIndex].h * d.comp[compIndex].v

		// The baseline t <= 1 restriction is specified in table B.3.
		scan[i].td = d.tmp[2+2*i] >> 4
		if t := scan[i].td; t > maxTh || (d.baseline && t > 1) {
			return FormatError("bad Td value")
		}
		scan[i].ta = d.tmp[2+2*i] & 0x0f
		if t := scan[i].ta; t > maxTh || (d.baseline && t > 1) {
			return FormatError("bad Ta value")
		}
	}
	// Section B.2.3 states that if there is more than one component then the
	// total H*V values in a scan must be <= 10.
	if d.nComp > 1 && totalHV > 10 {
		return FormatError("total sampling factors too large")
	}

	// zigStart and zigEnd are the spectral selection bounds.
	// ah and al are the successive approximation high and low values.
	// The spec calls these values Ss, Se, Ah and Al.
	//
	// For progressive JPEGs, these are the two more-or-less independent
	// aspects of progression. Spectral selection progression is when not
	// all of a block's 64 DCT coefficients are transmitted in one pass.
	// For example, three passes could transmit coefficient 0 (the DC
	// component), coefficients 1-5, and coefficients 6-63, in zig-zag
	// order. Successive approximation is when not all of the bits of a
	// band of coefficients are transmitted in one pass. For example,
	// three passes could transmit the 6 most significant bits, followed
	// by the second-least significant bit, followed by the least
	// significant bit.
	//
	// For sequential JPEGs, these parameters are hard-coded to 0/63/0/0, as
	// per table B.3.
	zigStart, zigEnd, ah, al := int32(0), int32(blockSize-1), uint32(0), uint32(0)
	if d.progressive {
		zigStart = int32(d.tmp[1+2*nComp])
		zigEnd = int32(d.tmp[2+2*nComp])
		ah = uint32(d.tmp[3+2*nComp] >> 4)
		al = uint32(d.tmp[3+2*nComp] & 0x0f)
		if (zigStart == 0 && zigEnd != 0) || zigStart > zigEnd || blockSize <= zigEnd {
			return FormatError("bad spectral selection bounds")
		}
		if zigStart != 0 && nComp != 1 {
			return FormatError("progressive AC coefficients for more than one component")
		}
		if ah != 0 && ah != al+1 {
			return FormatError("bad successive approximation values")
		}
	}

	// mxx and myy are the number of MCUs (Minimum Coded Units) in the image.
	h0, v0 := d.comp[0].h, d.comp[0].v // The h and v values from the Y components.
	mxx := (d.width + 8*h0 - 1) / (8 * h0)
	myy := (d.height + 8*v0 - 1) / (8 * v0)
	// Every scan visits every block of its components, whatever its data.
	blocks := 0
	for i := 0; i < nComp; i++ {
		c := d.comp[scan[i].compIndex]
		blocks += mxx * myy * c.h * c.v
	}
	if err := d.charge(blocks, 0); err != nil {
		return err
	}
	if d.img1 == nil && d.img3 == nil {
		d.makeImg(mxx, myy)
	}
	if d.progressive {
		for i := 0; i < nComp; i++ {
			compIndex := scan[i].compIndex
			if d.progCoeffs[compIndex] == nil {
				d.progCoeffs[compIndex] = make([]coeffs, mxx*myy*d.comp[compIndex].h*d.comp[compIndex].v)
				d.progNonZero[compIndex] = make([]uint64, len(d.progCoeffs[compIndex]))
			}
		}
	}

	d.bits = bits{}
	mcu, expectedRST := 0, uint8(rst0Marker)
	var (
		// b is the decoded coefficients, in natural (not zig-zag) order.
		b  block
		dc [maxComponents]int32
		// bx and by are the location of the current block, in units of 8x8
		// blocks: the third block in the first row has (bx, by) = (2, 0).
		bx, by     int
		blockCount int
	)
	for my := 0; my < myy; my++ {
		for mx := 0; mx < mxx; mx++ {
			for i := 0; i < nComp; i++ {
				compIndex := scan[i].compIndex
				hi := d.comp[compIndex].h
				vi := d.comp[compIndex].v
				for j := 0; j < hi*vi; j++ {
					// The blocks are traversed one MCU at a time. For 4:2:0 chroma
					// subsampling, there are four Y 8x8 blocks in every 16x16 MCU.
					//
					// For a sequential 32x16 pixel image, the Y blocks visiting order is:
					//	0 1 4 5
					//	2 3 6 7
					//
					// For progressive images, the interleaved scans (those with nComp > 1)
					// are traversed as above, but non-interleaved scans are traversed left
					// to right, top to bottom:
					//	0 1 2 3
					//	4 5 6 7
					// Only DC scans (zigStart == 0) can be interleaved. AC scans must have
					// only one component.
					//
					// To further complicate matters, for non-interleaved scans, there is no
					// data for any blocks that are inside the image at the MCU level but
					// outside the image at the pixel level. For example, a 24x16 pixel 4:2:0
					// progressive image consists of two 16x16 MCUs. The interleaved scans
					// will process 8 Y blocks:
					//	0 1 4 5
					//	2 3 6 7
					// The non-interleaved scans will process only 6 Y blocks:
					//	0 1 2
					//	3 4 5
					if nComp != 1 {
						bx = hi*mx + j%hi
						by = vi*my + j/hi
					} else {
						q := mxx * hi
						bx = blockCount % q
						by = blockCount / q
						blockCount++
						if bx*8 >= d.width || by*8 >= d.height {
							continue
						}
					}

					if d.progressive {
						// Decode into the saved coefficients. They are
						// reconstructed by reconstructProgressiveImage after
						// all of the SOS markers are processed.
						bi := by*mxx*hi + bx
						pb, nonZero := &d.progCoeffs[compIndex][bi], &d.progNonZero[compIndex][bi]
						if ah != 0 {
							if err := d.refine(pb, nonZero, &d.huff[acTable][scan[i].ta], zigStart, zigEnd, 1<<al); err != nil {
								return err
							}
						} else if err := decodeCoeffs(d, (*[blockSize]int16)(pb), nonZero, &dc[compIndex], &d.huff[dcTable][scan[i].td], &d.huff[acTable][scan[i].ta], zigStart, zigEnd, al); err != nil {
							return err
						}
						continue
					}
					d.clearBlock(&b)
					if err := decodeCoeffs(d, (*[blockSize]int32)(&b), nil, &dc[compIndex], &d.huff[dcTable][scan[i].td], &d.huff[acTable][scan[i].ta], zigStart, zigEnd, al); err != nil {
						return err
					}
					if err := reconstruct(d, (*[blockSize]int32)(&b), bx, by, int(compIndex)); err != nil {
						return err
					}
				} // for j
			} // for i
			mcu++
			if d.ri > 0 && mcu%d.ri == 0 && mcu < mxx*myy {
				if d.shortData() {
					return errShortHuffmanData
				}
				// For well-formed input, the RST[0-7] restart marker follows
				// immediately. For corrupt input, call findRST to try to
				// resynchronize.
				if err := d.readFull(d.tmp[:2]); err != nil {
					return err
				} else if d.tmp[0] != 0xff || d.tmp[1] != expectedRST {
					if err := d.findRST(expectedRST); err != nil {
						return err
					}
				}
				expectedRST++
				if expectedRST == rst7Marker+1 {
					expectedRST = rst0Marker
				}
				// Reset the Huffman decoder.
				d.bits = bits{}
				// Reset the DC components, as per section F.2.1.3.1.
				dc = [maxComponents]int32{}
				// Reset the progressive decoder state, as per section G.1.2.2.
				d.eobRun = 0
			}
		} // for mx
		if d.shortData() {
			return errShortHuffmanData
		}
	} // for my

	d.scanDone = true
	return nil
}

// decodeCoeffs decodes the DC and/or AC coefficients of one block in a
// sequential scan or a first progressive scan (Ah == 0), into b. If nonZero
// is not nil, the zig-zag index of each AC coefficient set is recorded in it.
func decodeCoeffs[T int16 | int32](d *decoder, b *[blockSize]T, nonZero *uint64, dc *int32, dcHuff, acHuff *huffman, zigStart, zigEnd int32, al uint32) error {
	zig := zigStart
	if zig == 0 {
		zig++
		// Decode the DC coefficient, as specified in section F.2.2.1.
		value, err := d.decodeHuffman(dcHuff)
		if err != nil {
			return err
		}
		if value > 16 {
			return UnsupportedError("excessive DC component")
		}
		dcDelta, err := d.receiveExtend(value)
		if err != nil {
			return err
		}
		*dc += dcDelta
		b[0] = T(*dc << al)
	}

	if zig <= zigEnd && d.eobRun > 0 {
		d.eobRun--
		return nil
	}
	if acHuff.nCodes == 0 && zig <= zigEnd {
		return FormatError("uninitialized Huffman table")
	}
	// Decode the AC coefficients, as specified in section F.2.2.2. The bit
	// buffer lives in locals here, the decoder's hottest loop. The look-ups
	// are skipped when 1 to 7 bits of data are left (bits.fewDataBits).
	a, n, zeros := d.bits.a, d.bits.n, d.bits.zeros
	for ; zig <= zigEnd; zig++ {
		if n < 32 {
			// Room for a code and its extra bits without further checks.
			d.bits.a, d.bits.n = a, n
			if err := d.fillBits(); err != nil {
				return err
			}
			a, n, zeros = d.bits.a, d.bits.n, d.bits.zeros
		}
		peek := (a >> (n - lutSize)) & (1<<lutSize - 1)
		v := uint16(0)
		if n-zeros-1 >= 7 { // !fewDataBits
			if fa := acHuff.fastAC[peek]; fa != 0 {
				// A coefficient past zigEnd takes the path below, which,
				// like image/jpeg, stops without reading its extra bits.
				if z := zig + int32(fa>>4)&15; z <= zigEnd {
					n -= uint32(fa & 15)
					zig = z
					b[unzig[zig&63]] = T(int32(fa>>8) << al)
					if nonZero != nil {
						*nonZero |= 1 << (zig & 63)
					}
					continue
				}
			}
			v = acHuff.lut[peek]
		}
		var value uint8
		if v != 0 {
			n -= uint32(v&0xff) - 1
			value = uint8(v >> 8)
		} else {
			d.bits.a, d.bits.n = a, n
			var err error
			if value, err = d.decodeHuffmanSlow(acHuff); err != nil {
				return err
			}
			n = d.bits.n
		}
		val0 := value >> 4
		val1 := value & 0x0f
		if val1 != 0 {
			zig += int32(val0)
			if zig > zigEnd {
				break
			}
			n -= uint32(val1)
			ac := extend(uint32(a>>n)&(1<<val1-1), val1)
			b[unzig[zig&63]] = T(ac << al)
			if nonZero != nil {
				*nonZero |= 1 << (zig & 63)
			}
		} else {
			if val0 != 0x0f {
				d.bits.a, d.bits.n = a, n
				d.eobRun = uint16(1 << val0)
				if val0 != 0 {
					bits, err := d.decodeBits(int32(val0))
					if err != nil {
						return err
					}
					d.eobRun |= uint16(bits)
				}
				d.eobRun--
				return nil
			}
			zig += 0x0f
		}
	}
	d.bits.a, d.bits.n = a, n
	return nil
}

// refine decodes a successive approximation refinement block, as specified in
// section G.1.2.
func (d *decoder) refine(b *coeffs, nonZero *uint64, h *huffman, zigStart, zigEnd, delta int32) error {
	// Refining a DC component is trivial.
	if zigStart == 0 {
		if zigEnd != 0 {
			panic("unreachable")
		}
		bit, err := d.decodeBit()
		if err != nil {
			return err
		}
		if bit {
			b[0] |= int16(delta)
		}
		return nil
	}

	// Refining AC components is more complicated; see sections G.1.2.2 and G.1.2.3.
	zig := zigStart
	if d.eobRun == 0 {
	loop:
		for ; zig <= zigEnd; zig++ {
			z := int32(0)
			value, err := d.decodeHuffman(h)
			if err != nil {
				return err
			}
			val0 := value >> 4
			val1 := value & 0x0f

			switch val1 {
			case 0:
				if val0 != 0x0f {
					d.eobRun = uint16(1 << val0)
					if val0 != 0 {
						bits, err := d.decodeBits(int32(val0))
						if err != nil {
							return err
						}
						d.eobRun |= uint16(bits)
					}
					break loop
				}
			case 1:
				z = delta
				bit, err := d.decodeBit()
				if err != nil {
					return err
				}
				if !bit {
					z = -z
				}
			default:
				return FormatError("unexpected Huffman code")
			}

			zig, err = d.refineNonZeroes(b, *nonZero, zig, zigEnd, int32(val0), delta)
			if err != nil {
				return err
			}
			if zig > zigEnd {
				return FormatError("too many coefficients")
			}
			if z != 0 {
				b[unzig[zig]] = int16(z)
				*nonZero |= 1 << zig
			}
		}
	}
	if d.eobRun > 0 {
		d.eobRun--
		if _, err := d.refineNonZeroes(b, *nonZero, zig, zigEnd, -1, delta); err != nil {
			return err
		}
	}
	return nil
}

// refineNonZeroes refines non-zero entries of b in zig-zag order, from zig
// to zigEnd. If nz >= 0, it stops at the (nz+1)th zero entry and returns its
// index; otherwise it returns zigEnd+1. nonZero marks b's non-zero entries,
// so only those are visited: a refinement scan reads one bit for each.
func (d *decoder) refineNonZeroes(b *coeffs, nonZero uint64, zig, zigEnd, nz, delta int32) (int32, error) {
	if zig > zigEnd {
		return zig, nil
	}
	band := (^uint64(0) << (zig & 63)) & (^uint64(0) >> (63 - zigEnd&63))
	todo := nonZero & band
	stop := zigEnd + 1
	if nz >= 0 {
		zeros := ^nonZero & band
		for ; nz > 0 && zeros != 0; nz-- {
			zeros &= zeros - 1
		}
		if zeros != 0 {
			stop = int32(mbits.TrailingZeros64(zeros))
			todo &= 1<<stop - 1
		}
	}
	// The bit buffer lives in locals: this loop reads a bit for every
	// non-zero coefficient of every block in every refinement scan.
	a, n := d.bits.a, d.bits.n
	for ; todo != 0; todo &= todo - 1 {
		if n == 0 {
			d.bits.a, d.bits.n = a, n
			if err := d.fillBits(); err != nil {
				return 0, err
			}
			a, n = d.bits.a, d.bits.n
		}
		n--
		if a>>n&1 == 0 {
			continue
		}
		u := unzig[mbits.TrailingZeros64(todo)]
		if b[u] >= 0 {
			b[u] += int16(delta)
		} else {
			b[u] -= int16(delta)
		}
	}
	d.bits.a, d.bits.n = a, n
	return stop, nil
}

func (d *decoder) reconstructProgressiveImage() error {
	// The h0, mxx, by and bx variables have the same meaning as in the
	// processSOS method.
	h0 := d.comp[0].h
	mxx := (d.width + 8*h0 - 1) / (8 * h0)
	for i := 0; i < d.nComp; i++ {
		if d.progCoeffs[i] == nil {
			continue
		}
		v := 8 * d.comp[0].v / d.comp[i].v
		h := 8 * d.comp[0].h / d.comp[i].h
		stride := mxx * d.comp[i].h
		for by := 0; by*v < d.height; by++ {
			for bx := 0; bx*h < d.width; bx++ {
				if err := reconstruct(d, (*[blockSize]int16)(&d.progCoeffs[i][by*stride+bx]), bx, by, i); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// findRST advances past the next RST restart marker that matches expectedRST.
// Other than I/O errors, it is also an error if we encounter an {0xFF, M}
// two-byte marker sequence where M is not 0x00, 0xFF or the expectedRST.
//
// This is similar to libjpeg's jdmarker.c's next_marker function.
// https://github.com/libjpeg-turbo/libjpeg-turbo/blob/2dfe6c0fe9e18671105e94f7cbf044d4a1d157e6/jdmarker.c#L892-L935
//
// Precondition: d.tmp[:2] holds the next two bytes of JPEG-encoded input
// (input in the d.readFull sense).
func (d *decoder) findRST(expectedRST uint8) error {
	for {
		// i is the index such that, at the bottom of the loop, we read 2-i
		// bytes into d.tmp[i:2], maintaining the invariant that d.tmp[:2]
		// holds the next two bytes of JPEG-encoded input. It is either 0 or 1,
		// so that each iteration advances by 1 or 2 bytes (or returns).
		i := 0

		if d.tmp[0] == 0xff {
			if d.tmp[1] == expectedRST {
				return nil
			} else if d.tmp[1] == 0xff {
				i = 1
			} else if d.tmp[1] != 0x00 {
				// libjpeg's jdmarker.c's jpeg_resync_to_restart does something
				// fancy here, treating RST markers within two (modulo 8) of
				// expectedRST differently from RST markers that are 'more
				// distant'. Until we see evidence that recovering from such
				// cases is frequent enough to be worth the complexity, we take
				// a simpler approach for now. Any marker that's not 0x00, 0xff
				// or expectedRST is a fatal FormatError.
				return FormatError("bad RST marker")
			}

		} else if d.tmp[1] == 0xff {
			d.tmp[0] = 0xff
			i = 1
		}

		if err := d.readFull(d.tmp[i:2]); err != nil {
			return err
		}
	}
}
