package render

import (
	"bytes"
	"compress/zlib"
	"encoding/binary"
	"hash/crc32"
	"image"
	"image/png"
	"math/rand/v2"
	"testing"

	"gallerist/data/render/rendertest"
)

// pngChunk appends one chunk with its CRC.
func pngChunk(b []byte, typ string, data []byte) []byte {
	b = binary.BigEndian.AppendUint32(b, uint32(len(data)))
	start := len(b)
	b = append(b, typ...)
	b = append(b, data...)
	return binary.BigEndian.AppendUint32(b, crc32.ChecksumIEEE(b[start:]))
}

// png16Spec describes a hand-made 16-bit PNG: its rows are raw (filter
// type byte, then samples), so any filter and any sample values can be had.
type png16Spec struct {
	w, h     int
	ct       byte
	trns     []byte   // tRNS payload, if any
	plte     bool     // a PLTE chunk (allowed for true colour)
	alphabet []byte   // sample bytes are drawn from it (nil: any byte)
	filters  []byte   // filter types to cycle through (nil: 0 to 4)
	idats    int      // IDAT chunks to split the data into
	seed     uint64   // for the random samples
	extra    [][2]any // ancillary chunks before IDAT: {type, data}
}

func (s png16Spec) build() []byte {
	r := rand.New(rand.NewPCG(s.seed, uint64(s.w*s.h)))
	ch := map[byte]int{0: 1, 2: 3, 4: 2, 6: 4}[s.ct]
	filters := s.filters
	if filters == nil {
		filters = []byte{0, 1, 2, 3, 4}
	}
	var raw []byte
	for y := 0; y < s.h; y++ {
		raw = append(raw, filters[y%len(filters)])
		for range s.w * ch * 2 {
			if s.alphabet != nil {
				raw = append(raw, s.alphabet[r.IntN(len(s.alphabet))])
			} else {
				raw = append(raw, byte(r.Uint32()))
			}
		}
	}
	var z bytes.Buffer
	zw := zlib.NewWriter(&z)
	zw.Write(raw)
	zw.Close()
	b := []byte(pngSignature)
	ihdr := binary.BigEndian.AppendUint32(nil, uint32(s.w))
	ihdr = binary.BigEndian.AppendUint32(ihdr, uint32(s.h))
	b = pngChunk(b, "IHDR", append(ihdr, 16, s.ct, 0, 0, 0))
	for _, e := range s.extra {
		b = pngChunk(b, e[0].(string), e[1].([]byte))
	}
	if s.plte {
		b = pngChunk(b, "PLTE", []byte{1, 2, 3, 4, 5, 6})
	}
	if s.trns != nil {
		b = pngChunk(b, "tRNS", s.trns)
	}
	data := z.Bytes()
	n := max(s.idats, 1)
	for i := range n {
		b = pngChunk(b, "IDAT", data[i*len(data)/n:(i+1)*len(data)/n])
	}
	return pngChunk(b, "IEND", nil)
}

// png16Inputs are 16-bit PNGs of every colour type, filter and transparency.
func png16Inputs() [][]byte {
	var out [][]byte
	for i, ct := range []byte{0, 2, 4, 6} {
		out = append(out,
			png16Spec{w: 33, h: 17, ct: ct, seed: uint64(i)}.build(),
			png16Spec{w: 1, h: 9, ct: ct, seed: uint64(i), idats: 3}.build(),
			png16Spec{w: 70, h: 3, ct: ct, seed: uint64(i), filters: []byte{4}, extra: [][2]any{{"tEXt", []byte("k\x00v")}}}.build())
	}
	// Colour keys that match some pixels (only filter 0, so that the stored
	// samples are the pixels).
	ab := []byte{0x00, 0x12}
	out = append(out,
		png16Spec{w: 20, h: 20, ct: 0, trns: []byte{0x12, 0x00}, alphabet: ab, filters: []byte{0}, seed: 7}.build(),
		png16Spec{w: 20, h: 20, ct: 2, trns: []byte{0x12, 0x00, 0x00, 0x12, 0x00, 0x00}, alphabet: ab, filters: []byte{0}, seed: 8}.build(),
		png16Spec{w: 20, h: 20, ct: 2, plte: true, trns: []byte{0, 0, 0, 0, 0, 0}, alphabet: ab, filters: []byte{0}, seed: 9}.build(),
	)
	// image/png's own encoder.
	for _, m := range []image.Image{image.NewGray16(image.Rect(0, 0, 40, 30)), image.NewRGBA64(image.Rect(0, 0, 40, 30)), image.NewNRGBA64(image.Rect(0, 0, 40, 30))} {
		var b bytes.Buffer
		png.Encode(&b, m)
		out = append(out, b.Bytes())
	}
	out = append(out, rendertest.PNG(300, 200, 16, 6), rendertest.PNG(300, 200, 16, 0))
	return out
}

// checkPNG16 decodes b with image/png and with decodePNG16: both fail with
// the same error, or both succeed with the same size and, in every 8-bit
// sample of ours, the high byte of image/png's 16-bit one.
func checkPNG16(t *testing.T, b []byte) {
	t.Helper()
	want, werr := png.Decode(bytes.NewReader(b))
	got, gerr := decodePNG16(bytes.NewReader(b))
	if (werr == nil) != (gerr == nil) || werr != nil && werr.Error() != gerr.Error() {
		t.Fatalf("image/png: %v; decodePNG16: %v", werr, gerr)
	}
	if werr != nil {
		return
	}
	if got.Bounds() != want.Bounds() {
		t.Fatalf("bounds %v, image/png %v", got.Bounds(), want.Bounds())
	}
	var g, w []byte
	switch want := want.(type) {
	case *image.Gray16:
		m, ok := got.(*image.Gray)
		if !ok {
			t.Fatalf("%T for image/png's %T", got, want)
		}
		g, w = m.Pix, want.Pix
	case *image.RGBA64:
		m, ok := got.(*image.RGBA)
		if !ok {
			t.Fatalf("%T for image/png's %T", got, want)
		}
		g, w = m.Pix, want.Pix
	case *image.NRGBA64:
		m, ok := got.(*image.NRGBA)
		if !ok {
			t.Fatalf("%T for image/png's %T", got, want)
		}
		g, w = m.Pix, want.Pix
	default:
		t.Fatalf("image/png decoded a %T", want)
	}
	if len(w) != 2*len(g) {
		t.Fatalf("%d samples, image/png %d", len(g), len(w)/2)
	}
	for i := range g {
		if g[i] != w[2*i] {
			t.Fatalf("sample %d: %#x, image/png %#x%02x", i, g[i], w[2*i], w[2*i+1])
		}
	}
}

// png16Eligible reports whether decode would hand b to decodePNG16 (a
// non-interlaced 16-bit IHDR first), for a picture small enough for
// image/png to allocate quickly.
func png16Eligible(b []byte) bool {
	if len(b) < 33 || string(b[:8]) != pngSignature || string(b[12:16]) != "IHDR" {
		return false
	}
	w, h := binary.BigEndian.Uint32(b[16:]), binary.BigEndian.Uint32(b[20:])
	return b[24] == 16 && b[28] == 0 && uint64(w)*uint64(h) <= 1<<20
}

func TestPNG16MatchesImagePNG(t *testing.T) {
	for _, b := range png16Inputs() {
		checkPNG16(t, b)
		// Broken the ways files break: cut short, a flipped byte, data
		// after the image data, chunks out of order.
		for _, n := range []int{8, 20, 33, 40, len(b) / 2, len(b) - 13, len(b) - 1} {
			checkPNG16(t, b[:n])
		}
		for _, i := range []int{9, 30, 37, len(b) / 2, len(b) - 5} {
			c := bytes.Clone(b)
			c[i] ^= 0x40
			checkPNG16(t, c)
		}
	}
	w := png16Spec{w: 5, h: 5, ct: 6, seed: 3}.build()
	// tRNS after IDAT; a second IHDR; IEND with data; PLTE for gray.
	checkPNG16(t, append(w[:len(w)-12:len(w)-12], pngChunk(pngChunk(nil, "tRNS", []byte{0, 0}), "IEND", nil)...))
	checkPNG16(t, append(w[:33:33], w[8:]...))
	checkPNG16(t, append(w[:len(w)-12:len(w)-12], pngChunk(nil, "IEND", []byte{1})...))
	checkPNG16(t, png16Spec{w: 5, h: 5, ct: 0, plte: true}.build())
	checkPNG16(t, png16Spec{w: 5, h: 5, ct: 6, trns: []byte{0, 0}}.build())
	checkPNG16(t, png16Spec{w: 5, h: 5, ct: 0, trns: []byte{0, 0, 0}}.build())
	checkPNG16(t, png16Spec{w: 5, h: 5, ct: 3}.build())
	checkPNG16(t, png16Spec{w: 5, h: 5, ct: 2, filters: []byte{5}}.build())
}

// FuzzPNG16 is the differential test of decodePNG16 against image/png on
// whatever decode would give it.
func FuzzPNG16(f *testing.F) {
	for _, b := range png16Inputs() {
		if len(b) < 64<<10 {
			f.Add(b)
		}
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		if png16Eligible(b) {
			checkPNG16(t, b)
		}
	})
}

// TestPNG16Renditions: a 16-bit PNG's renditions are those of the 8-bit
// PNG of its high bytes, and its decode holds 4 bytes a pixel, not 12.
func TestPNG16Renditions(t *testing.T) {
	b := png16Spec{w: 300, h: 200, ct: 6, seed: 5}.build()
	m16, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	n16 := m16.(*image.NRGBA64)
	n8 := image.NewNRGBA(n16.Rect)
	for i := range n8.Pix {
		n8.Pix[i] = n16.Pix[2*i]
	}
	var p8 bytes.Buffer
	png.Encode(&p8, n8)
	got, err := Make(bytes.NewReader(b), "image/png", Widths, Options{WebP: true})
	if err != nil {
		t.Fatal(err)
	}
	want, err := Make(bytes.NewReader(p8.Bytes()), "image/png", Widths, Options{WebP: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(want) {
		t.Fatalf("%d renditions, want %d", len(got), len(want))
	}
	for i := range got {
		if !bytes.Equal(got[i].Data, want[i].Data) {
			t.Errorf("rendition %d×%d %s differs from the 8-bit PNG's", got[i].Width, got[i].Height, got[i].Format)
		}
	}
}
