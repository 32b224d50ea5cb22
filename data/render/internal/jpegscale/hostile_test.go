package jpegscale

import (
	"bytes"
	"errors"
	"image"
	"image/jpeg"
	"testing"
)

// Hand-made JPEGs for hostile-input regression tests.

func seg(marker byte, payload ...byte) []byte {
	n := len(payload) + 2
	return append([]byte{0xff, marker, byte(n >> 8), byte(n)}, payload...)
}

func cat(parts ...[]byte) []byte {
	var b []byte
	for _, p := range parts {
		b = append(b, p...)
	}
	return b
}

// dht is a DHT segment for one table: class tc (0 DC, 1 AC), slot th, with
// counts[i] codes of length i+1 and the given values.
func dht(tc, th byte, counts [16]byte, vals ...byte) []byte {
	p := append([]byte{tc<<4 | th}, counts[:]...)
	return seg(dhtMarker, append(p, vals...)...)
}

// dqtOnes is a DQT segment for table 0 with every quantizer 1.
func dqtOnes() []byte {
	return seg(dqtMarker, append([]byte{0}, bytes.Repeat([]byte{1}, blockSize)...)...)
}

// grayJPEG is an 8-bit baseline grayscale w×h JPEG with the given Huffman
// tables (slot 0) and entropy-coded data.
func grayJPEG(w, h int, dc, ac []byte, data []byte) []byte {
	return cat(
		[]byte{0xff, soiMarker},
		dqtOnes(),
		seg(sof0Marker, 8, byte(h>>8), byte(h), byte(w>>8), byte(w), 1, 1, 0x11, 0),
		dc, ac,
		seg(sosMarker, 1, 1, 0x00, 0, 63, 0),
		data,
		[]byte{0xff, eoiMarker},
	)
}

// overSubscribedDHT is the regression input of issue 9: its DC table has
// three codes of length 1, which cannot all exist (Kraft sum 3/2). The
// 9-bit look-up table wrote code 2 at index 2<<8 = 512, out of the table's
// 512 entries, and the decoder panicked while reading the DHT segment.
func overSubscribedDHT() []byte {
	return grayJPEG(8, 8,
		dht(0, 0, [16]byte{3}, 0, 1, 2),
		dht(1, 0, [16]byte{1}, 0x00), // a single code: EOB
		[]byte{0x00, 0x00})
}

// wrapAt9 has a DC table over-subscribed by a code of length 9: after
// four codes of length 2 (a complete code), the code of length 9 is 1<<9,
// which a 9-bit look-up table without wrap-around indexes out of range, and
// which wrapped around lands on the slots of code 00. image/jpeg's 8-bit
// table never holds codes of length 9, so 00 decodes as the length-2 code
// (DC size 0). Were the length-9 code to win, every block would read DC
// size 17 and fail.
func wrapAt9() []byte {
	var counts [16]byte
	counts[1], counts[8] = 4, 1
	return grayJPEG(16, 16,
		dht(0, 0, counts, 0, 0, 0, 0, 17),
		dht(1, 0, [16]byte{1}, 0x00),
		[]byte{0x00, 0x00})
}

// staleFastAC has an AC table with three codes of length 1: code 2 wraps
// around onto code 0's slots. The look-up table then says EOB (code 2, as
// in image/jpeg) but a combined code-plus-extra-bits entry left over from
// code 0 (run 0, size 1) said "coefficient -1", so the blocks were decoded
// differently from image/jpeg.
func staleFastAC() []byte {
	return grayJPEG(64, 8,
		dht(0, 0, [16]byte{1}, 0),
		dht(1, 0, [16]byte{3}, 0x01, 0xf0, 0x00),
		make([]byte, 4))
}

// slowPathAtEnd has the same AC table, with the data ending 7 bits into a
// block: image/jpeg then decodes bit by bit (its slow path), where code 0
// (not the look-up table's code 2) wins, and it runs out of data.
func slowPathAtEnd() []byte {
	return grayJPEG(16, 8,
		dht(0, 0, [16]byte{1}, 0),
		dht(1, 0, [16]byte{3}, 0x01, 0xf0, 0x00),
		[]byte{0x0f})
}

// runPastEnd has a (valid) AC code for "run 15, size 1" that the fourth
// time in a block runs past coefficient 63: image/jpeg stops the block
// there without reading the coefficient's extra bit, which is the next
// block's DC code. The combined code-plus-extra-bits path used to consume
// it, and the next block failed with a bad Huffman code.
func runPastEnd() []byte {
	return grayJPEG(16, 8,
		dht(0, 0, [16]byte{1}, 0),
		dht(1, 0, [16]byte{0, 3}, 0xf1, 0x00, 0x01),
		// 0 001 001 001 00 | 0 01 | 1, then unused bytes (so that the
		// end of the data is not within 8 bits).
		[]byte{0x12, 0x43, 0x00, 0x00})
}

func decodeNoPanic(t *testing.T, name string, data []byte) {
	t.Helper()
	defer func() {
		if r := recover(); r != nil {
			t.Fatalf("%s: panic: %v", name, r)
		}
	}()
	if _, err := DecodeConfig(bytes.NewReader(data)); err != nil {
		t.Logf("%s: DecodeConfig: %v", name, err)
	}
	for _, s := range scales {
		_, _, err := DecodeScaled(bytes.NewReader(data), scaleOpt(s))
		t.Logf("%s at 1/%d: %v", name, s, err)
	}
}

// TestHuffmanLikeStdlib: issue 9's crash, and over-subscribed Huffman
// tables in general. They decode like image/jpeg (which accepts them), to
// the same pixels or the same refusal (compared without the leniencies
// image/jpeg lacks), instead of panicking.
func TestHuffmanLikeStdlib(t *testing.T) {
	for name, data := range map[string][]byte{
		"issue9":  overSubscribedDHT(),
		"wrapAt9": wrapAt9(),
		"staleAC": staleFastAC(),
		"slowEnd": slowPathAtEnd(),
		"runPast": runPastEnd(),
	} {
		t.Run(name, func(t *testing.T) {
			decodeNoPanic(t, name, data)
			want, stdErr := jpeg.Decode(bytes.NewReader(data))
			got, err := decodeStrict(data)
			if (err == nil) != (stdErr == nil) {
				t.Fatalf("error %v, image/jpeg %v", err, stdErr)
			}
			if err == nil && !samePixels(got, want) {
				t.Error("pixels differ from image/jpeg")
			}
		})
	}
}

// TestTooManyScans: a progressive JPEG with more than maxScans scans is
// refused with a FormatError (image/jpeg has no limit, and each scan costs a
// pass over every block of the image).
func TestTooManyScans(t *testing.T) {
	var b []byte
	b = append(b, 0xff, soiMarker)
	b = append(b, dqtOnes()...)
	b = append(b, seg(sof2Marker, 8, 0, 64, 0, 64, 1, 1, 0x11, 0)...)
	b = append(b, dht(0, 0, [16]byte{1}, 0)...)
	for i := 0; i < maxScans+1; i++ {
		// A DC refinement scan: one bit per block.
		b = append(b, seg(sosMarker, 1, 1, 0x00, 0, 0, 0x10)...)
		b = append(b, bytes.Repeat([]byte{0x00}, 8)...)
	}
	b = append(b, 0xff, eoiMarker)
	if _, err := jpeg.Decode(bytes.NewReader(b)); err != nil {
		t.Fatalf("image/jpeg: %v", err)
	}
	_, err := Decode(bytes.NewReader(b))
	var fe FormatError
	if !errors.As(err, &fe) {
		t.Fatalf("%d scans: error %v, want a FormatError", maxScans+1, err)
	}
	// maxScans scans are fine.
	cut := bytes.LastIndex(b, []byte{0xff, sosMarker})
	ok := append(b[:cut:cut], 0xff, eoiMarker)
	if _, err := Decode(bytes.NewReader(ok)); err != nil {
		t.Fatalf("%d scans: %v", maxScans, err)
	}
}

// decodeStrict decodes without the leniencies image/jpeg lacks.
func decodeStrict(data []byte) (image.Image, error) {
	d := decoder{strict: true}
	return d.decode(bytes.NewReader(data), false)
}
