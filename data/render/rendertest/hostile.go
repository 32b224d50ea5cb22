// Package rendertest builds images for tests: a dot at a known place (Dot),
// and hostile ones: small files that claim
// or expand to very large pictures, or that make a decoder work hard. Each
// is valid enough for data/probe to accept at upload (unless said
// otherwise), so that it reaches the render pipeline. They are generated,
// not committed: several expand to hundreds of megabytes.
package rendertest

import (
	"bytes"
	"encoding/binary"
	"hash/crc32"
	"strconv"
)

// PNGs returns n distinct w×h PNGs with the given bit depth and colour type
// (0 gray, 2 RGB, 4 gray+alpha, 6 RGBA), Adam7-interlaced or not, whose
// every sample is zero (and every row filtered with filter 0): the image
// data is one run of zero bytes, compressed about 1000:1 (ZlibZeros), so a
// 16-bit RGBA 7000×7000 PNG (392 MB of samples) is about 380 KB. The files
// differ only in a tEXt chunk, so they have different hashes.
func PNGs(w, h, depth int, colorType byte, interlaced bool, n int) [][]byte {
	channels := map[byte]int{0: 1, 2: 3, 4: 2, 6: 4}[colorType]
	rowBytes := func(w int) int64 { return 1 + (int64(w)*int64(channels*depth)+7)/8 }
	raw := int64(h) * rowBytes(w)
	if interlaced {
		raw = 0
		for _, p := range [][4]int{{8, 8, 0, 0}, {8, 8, 4, 0}, {4, 8, 0, 4}, {4, 4, 2, 0}, {2, 4, 0, 2}, {2, 2, 1, 0}, {1, 2, 0, 1}} {
			pw, ph := (w-p[2]+p[0]-1)/p[0], (h-p[3]+p[1]-1)/p[1]
			if pw > 0 && ph > 0 {
				raw += int64(ph) * rowBytes(pw)
			}
		}
	}
	idat := ZlibZeros(raw)
	ihdr := binary.BigEndian.AppendUint32(nil, uint32(w))
	ihdr = binary.BigEndian.AppendUint32(ihdr, uint32(h))
	il := byte(0)
	if interlaced {
		il = 1
	}
	ihdr = append(ihdr, byte(depth), colorType, 0, 0, il)
	out := make([][]byte, n)
	for i := range out {
		b := []byte("\x89PNG\r\n\x1a\n")
		b = appendChunk(b, "IHDR", ihdr)
		b = appendChunk(b, "tEXt", []byte("Comment\x00hostile "+strconv.Itoa(i)))
		for rest := idat; len(rest) > 0; {
			k := min(len(rest), 1<<20)
			b = appendChunk(b, "IDAT", rest[:k])
			rest = rest[k:]
		}
		out[i] = appendChunk(b, "IEND", nil)
	}
	return out
}

// PNG is the first of PNGs(w, h, depth, colorType, false, 1).
func PNG(w, h, depth int, colorType byte) []byte { return PNGs(w, h, depth, colorType, false, 1)[0] }

// ZlibZeros returns a zlib stream of n > 0 zero bytes: one dynamic-Huffman
// deflate block holding a literal zero, then copies of 258 bytes from one
// byte back at two bits each (the code lengths are chosen for exactly
// that), then the rest, so 1032 bytes cost one byte and nothing has to be
// compressed.
func ZlibZeros(n int64) []byte {
	// Lengths 3..258: the symbol, its extra bits and their value.
	lengthCode := func(l int) (sym, nbits, extra int) {
		if l == 258 {
			return 285, 0, 0
		}
		base := 3
		for sym = 257; sym < 285; sym++ {
			nb := 0
			if sym >= 265 {
				nb = (sym - 261) / 4
			}
			if l < base+1<<nb {
				return sym, nb, l - base
			}
			base += 1 << nb
		}
		panic("unreachable")
	}
	rest := int((n - 1) % 258)
	copies := (n - 1) / 258
	// Literal/length code lengths: 285 (copy 258) 1 bit, literal 0 2
	// bits, end of block and the rest's length 3 bits (or end of block 2
	// bits when the rest is one or two literals).
	lit := make([]int, 286)
	lit[285], lit[0] = 1, 2
	remSym, remBits, remExtra := 0, 0, 0
	if rest >= 3 {
		remSym, remBits, remExtra = lengthCode(rest)
		lit[256], lit[remSym] = 3, 3
	} else {
		lit[256] = 2
	}
	if remSym == 285 {
		panic("unreachable") // rest < 258
	}
	codes := canonical(lit)
	var bw bitWriter
	putCode := func(c [2]int) { bw.write(uint32(reverse(c[0], c[1])), uint(c[1])) }

	bw.write(1, 1)  // final block
	bw.write(2, 2)  // dynamic Huffman codes
	bw.write(29, 5) // 286 literal/length codes
	bw.write(0, 5)  // one distance code
	bw.write(14, 4) // 18 code length code lengths
	// Code length codes: 0, 1, 2, 3, 4, 5, 17 and 18, three bits each.
	clUsed := map[int]bool{0: true, 1: true, 2: true, 3: true, 4: true, 5: true, 17: true, 18: true}
	for _, sym := range []int{16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1} {
		if clUsed[sym] {
			bw.write(3, 3)
		} else {
			bw.write(0, 3)
		}
	}
	clCode := map[int]int{0: 0, 1: 1, 2: 2, 3: 3, 4: 4, 5: 5, 17: 6, 18: 7}
	putCL := func(sym int) { bw.write(uint32(reverse(clCode[sym], 3)), 3) }
	lengths := append(lit, 1) // the one distance code: 1 bit
	for i := 0; i < len(lengths); {
		if lengths[i] != 0 {
			putCL(lengths[i])
			i++
			continue
		}
		run := 0
		for i+run < len(lengths) && lengths[i+run] == 0 {
			run++
		}
		for run > 0 {
			switch {
			case run >= 11:
				k := min(run, 138)
				putCL(18)
				bw.write(uint32(k-11), 7)
				run, i = run-k, i+k
			case run >= 3:
				putCL(17)
				bw.write(uint32(run-3), 3)
				i, run = i+run, 0
			default:
				putCL(0)
				i, run = i+1, run-1
			}
		}
	}
	putCode(codes[0]) // the first zero
	for range copies {
		putCode(codes[285])
		bw.write(0, 1) // distance 1
	}
	switch {
	case rest >= 3:
		putCode(codes[remSym])
		bw.write(uint32(remExtra), uint(remBits))
		bw.write(0, 1)
	default:
		for range rest {
			putCode(codes[0])
		}
	}
	putCode(codes[256])
	out := append([]byte{0x78, 0x01}, bw.bytes()...)
	// Adler-32 of n zeros: A stays 1, B adds A (1) for every byte.
	return binary.BigEndian.AppendUint32(out, uint32(n%65521)<<16|1)
}

// canonical returns the canonical Huffman code (value, length) of each
// symbol with a non-zero length.
func canonical(lengths []int) [][2]int {
	codes := make([][2]int, len(lengths))
	code := 0
	for l := 1; l <= 15; l++ {
		for sym, sl := range lengths {
			if sl == l {
				codes[sym] = [2]int{code, l}
				code++
			}
		}
		code <<= 1
	}
	return codes
}

// reverse reverses the low n bits of v (deflate sends Huffman codes most
// significant bit first in a least-significant-first bit stream).
func reverse(v, n int) int {
	r := 0
	for range n {
		r = r<<1 | v&1
		v >>= 1
	}
	return r
}

func appendChunk(b []byte, typ string, data []byte) []byte {
	b = binary.BigEndian.AppendUint32(b, uint32(len(data)))
	start := len(b)
	b = append(b, typ...)
	b = append(b, data...)
	return binary.BigEndian.AppendUint32(b, crc32.ChecksumIEEE(b[start:]))
}

// GIF returns a GIF89a with a screenW×screenH logical screen and frames
// frames of frameW×frameH at the top left corner, every pixel colour 0 of a
// 4-colour global palette. Its LZW data is what compress/lzw writes for a
// run of zeros (LZWZeros): 50 million pixels take about 37 KB.
func GIF(screenW, screenH, frameW, frameH, frames int) []byte {
	b := []byte("GIF89a")
	b = binary.LittleEndian.AppendUint16(b, uint16(screenW))
	b = binary.LittleEndian.AppendUint16(b, uint16(screenH))
	b = append(b, 0x80|0x01, 0, 0) // global colour table of 4 entries
	b = append(b, 0, 0, 0, 255, 255, 255, 255, 0, 0, 0, 0, 255)
	lz := LZWZeros(int64(frameW)*int64(frameH), 2)
	for range frames {
		b = append(b, 0x2c, 0, 0, 0, 0)
		b = binary.LittleEndian.AppendUint16(b, uint16(frameW))
		b = binary.LittleEndian.AppendUint16(b, uint16(frameH))
		b = append(b, 0, 2) // no local table, not interlaced; LZW minimum code size 2
		for rest := lz; len(rest) > 0; {
			k := min(len(rest), 255)
			b = append(b, byte(k))
			b = append(b, rest[:k]...)
			rest = rest[k:]
		}
		b = append(b, 0)
	}
	return append(b, 0x3b)
}

// LZWZeros returns what compress/lzw's writer (LSB order) writes for n > 0
// zero bytes with the given literal width, computed without a dictionary:
// for a run of zeros the table holds the runs of 2, 3, ... zeros, so each
// code is one zero longer than the last.
func LZWZeros(n int64, litWidth uint) []byte {
	clear := 1 << litWidth
	const maxCode = 1<<12 - 1
	var (
		bw       bitWriter
		width    = litWidth + 1
		hi       = clear + 1
		overflow = 1 << (litWidth + 1)
		maxLen   = int64(1) // the longest run in the table
	)
	emit := func(code int) { bw.write(uint32(code), width) }
	codeOf := func(l int64) int {
		if l == 1 {
			return 0
		}
		return clear + int(l)
	}
	// incHi is compress/lzw's: it reports whether the table was cleared.
	incHi := func() bool {
		hi++
		if hi == overflow {
			width++
			overflow <<= 1
		}
		if hi == maxCode {
			emit(clear)
			width, hi, overflow = litWidth+1, clear+1, clear<<1
			return true
		}
		return false
	}
	emit(clear)
	cur, left := int64(1), n-1
	for left > 0 {
		if cur < maxLen {
			k := min(maxLen-cur, left)
			cur, left = cur+k, left-k
			continue
		}
		emit(codeOf(cur))
		if !incHi() {
			maxLen = cur + 1
		} else {
			maxLen = 1
		}
		cur, left = 1, left-1
	}
	emit(codeOf(cur))
	incHi()
	emit(clear + 1)
	return bw.bytes()
}

// WebPLossless returns a lossless WebP of w×h pixels (at most 16384 on a
// side) in a few dozen bytes: every one of its five prefix codes has a
// single symbol, which takes no bits, so each pixel costs the decoder work
// but the file nothing. Every pixel is the colour argb.
func WebPLossless(w, h int, argb uint32) []byte {
	var bw bitWriter
	bw.write(0x2f, 8)
	bw.write(uint32(w-1), 14)
	bw.write(uint32(h-1), 14)
	bw.write(1, 1) // alpha is used
	bw.write(0, 3) // version
	bw.write(0, 1) // no transform
	bw.write(0, 1) // no colour cache
	bw.write(0, 1) // no meta prefix codes
	// Green, red, blue, alpha, distance: simple codes with one 8-bit symbol.
	for _, sym := range []uint32{argb >> 8 & 0xff, argb >> 16 & 0xff, argb & 0xff, argb >> 24, 0} {
		bw.write(1, 1) // simple code
		bw.write(0, 1) // one symbol
		bw.write(1, 1) // of 8 bits
		bw.write(sym, 8)
	}
	vp8l := bw.bytes()
	b := []byte("RIFF\x00\x00\x00\x00WEBPVP8L")
	b = binary.LittleEndian.AppendUint32(b, uint32(len(vp8l)))
	b = append(b, vp8l...)
	if len(vp8l)%2 == 1 {
		b = append(b, 0)
	}
	binary.LittleEndian.PutUint32(b[4:], uint32(len(b)-8))
	return b
}

// bitWriter writes bits least significant first (VP8L's order).
type bitWriter struct {
	buf   []byte
	acc   uint64
	nbits uint
}

func (w *bitWriter) write(v uint32, n uint) {
	w.acc |= uint64(v&(1<<n-1)) << w.nbits
	w.nbits += n
	for w.nbits >= 8 {
		w.buf = append(w.buf, byte(w.acc))
		w.acc >>= 8
		w.nbits -= 8
	}
}

func (w *bitWriter) bytes() []byte {
	if w.nbits > 0 {
		w.buf = append(w.buf, byte(w.acc))
		w.acc, w.nbits = 0, 0
	}
	return w.buf
}

// ProgressiveJPEG returns a progressive w×h JPEG with comps components (1
// or 3, not subsampled) and scans scans: one interleaved DC scan, then AC
// scans (coefficients 1 to 63, full precision) cycling over the components,
// each coding every block as part of end-of-band runs of up to 32767
// blocks. Every coefficient is zero (a mid-gray picture). The DC scan costs
// one bit per block, each AC scan a few dozen bytes, so the decoder's work
// (scans × blocks) is out of all proportion to the file's size. scans above
// 100 are refused by data/probe at upload.
func ProgressiveJPEG(w, h, comps, scans int) []byte {
	seg := func(b []byte, marker byte, payload ...byte) []byte {
		b = append(b, 0xff, marker, byte((len(payload)+2)>>8), byte(len(payload)+2))
		return append(b, payload...)
	}
	b := []byte{0xff, 0xd8}
	b = seg(b, 0xdb, append([]byte{0}, bytes.Repeat([]byte{1}, 64)...)...)
	sof := []byte{8, byte(h >> 8), byte(h), byte(w >> 8), byte(w), byte(comps)}
	for c := range comps {
		sof = append(sof, byte(c+1), 0x11, 0)
	}
	b = seg(b, 0xc2, sof...)
	// DC table 0: one code "0" for size 0. AC table 0: fifteen 4-bit codes
	// for the end-of-band runs EOBr, r = 0..14.
	b = seg(b, 0xc4, 0x00, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
	ac := []byte{0x10, 0, 0, 0, 15, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}
	for r := range 15 {
		ac = append(ac, byte(r<<4))
	}
	b = seg(b, 0xc4, ac...)
	blocks := ((w + 7) / 8) * ((h + 7) / 8)

	dc := []byte{byte(comps)}
	for c := range comps {
		dc = append(dc, byte(c+1), 0x00)
	}
	b = seg(b, 0xda, append(dc, 0, 0, 0)...)
	var jw jpegBits
	for range blocks * comps {
		jw.write(0, 1)
	}
	b = append(b, jw.bytes()...)

	for s := 1; s < scans; s++ {
		b = seg(b, 0xda, 1, byte((s-1)%comps+1), 0x00, 1, 63, 0)
		var jw jpegBits
		for rest := blocks; rest > 0; {
			r := min(14, bitLen(rest)-1)
			run := min(rest, 1<<(r+1)-1)
			jw.write(uint32(r), 4) // code of EOBr is r in 4 bits
			jw.write(uint32(run-1<<r), uint(r))
			rest -= run
		}
		b = append(b, jw.bytes()...)
	}
	return append(b, 0xff, 0xd9)
}

func bitLen(n int) int {
	l := 0
	for ; n > 0; n >>= 1 {
		l++
	}
	return l
}

// jpegBits writes entropy-coded JPEG data: most significant bit first, a
// zero byte stuffed after each 0xff, padded with ones.
type jpegBits struct {
	buf   []byte
	acc   uint32
	nbits uint
}

func (w *jpegBits) write(v uint32, n uint) {
	for i := int(n) - 1; i >= 0; i-- {
		w.acc = w.acc<<1 | v>>uint(i)&1
		w.nbits++
		if w.nbits == 8 {
			w.flush()
		}
	}
}

func (w *jpegBits) flush() {
	c := byte(w.acc)
	w.buf = append(w.buf, c)
	if c == 0xff {
		w.buf = append(w.buf, 0)
	}
	w.acc, w.nbits = 0, 0
}

func (w *jpegBits) bytes() []byte {
	if w.nbits > 0 {
		for w.nbits > 0 {
			w.write(1, 1)
		}
	}
	return w.buf
}
