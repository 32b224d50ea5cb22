package render

import (
	"bytes"
	"encoding/binary"
	"image"
	"image/gif"
	"image/jpeg"
	"image/png"
	"slices"
	"testing"

	"golang.org/x/image/webp"

	"gallerist/data/render/internal/jpegscale"
)

// Fuzz targets. Their seed corpora are committed under testdata/fuzz/FuzzX/
// (small real files from Go's image/testdata and x/image's WebP testdata,
// some with location metadata spliced in, and the regression inputs found
// so far); f.Add adds inputs built here. scripts/fuzz.sh runs every target
// for a bounded time.

// fuzzMaxPixels is MaxPixels while fuzzing: a mutated header easily claims
// a huge frame, which Make legitimately decodes, resizes and encodes, but
// slowly. Larger frames are refused with ErrTooLarge.
const fuzzMaxPixels = 1 << 20

// limitPixels sets MaxPixels to fuzzMaxPixels for the rest of the fuzz
// target (the fuzz function runs sequentially within one process).
func limitPixels(f *testing.F) {
	old := MaxPixels
	MaxPixels = fuzzMaxPixels
	f.Cleanup(func() { MaxPixels = old })
}

// fuzzMIMEs are the types the fuzz targets pass to Make and MakeOne: ""
// (sniffed) and each decodable type, whatever the bytes are.
var fuzzMIMEs = []string{"", "image/jpeg", "image/png", "image/gif", "image/webp"}

// genSeeds are small inputs built in code: one image per format, and a
// JPEG with Exif (orientation and GPS), XMP and IPTC location metadata.
func genSeeds(f *testing.F) [][]byte {
	m := image.NewNRGBA(image.Rect(0, 0, 60, 40))
	for i := range m.Pix {
		m.Pix[i] = uint8(i * 7)
	}
	var jb, pb, gb bytes.Buffer
	if err := jpeg.Encode(&jb, m, &jpeg.Options{Quality: 50}); err != nil {
		f.Fatal(err)
	}
	if err := png.Encode(&pb, m); err != nil {
		f.Fatal(err)
	}
	if err := gif.Encode(&gb, m, &gif.Options{NumColors: 16}); err != nil {
		f.Fatal(err)
	}
	return [][]byte{jb.Bytes(), pb.Bytes(), gb.Bytes(), locatedJPEG(jb.Bytes())}
}

// locatedJPEG adds Exif (orientation 6, GPS), location XMP, extended XMP
// and IPTC with a city to a JPEG.
func locatedJPEG(jpg []byte) []byte {
	tiff := buildTIFF(
		[]ifdEntry{
			{0x010f, 2, 10, []byte("Gallerist\x00")},
			{0x0112, 3, 1, short(6)},
			{0x8825, 4, 1, nil},
		},
		map[uint16][]ifdEntry{0x8825: {
			{0x0001, 2, 2, []byte("N\x00")},
			{0x0002, 5, 3, rationals(48, 51, 29)},
		}})
	iptc := append([]byte{0x1c, 2, 90, 0, 5}, "Paris"...)
	irb := append([]byte("Photoshop 3.0\x008BIM\x04\x04\x00\x00"), binary.BigEndian.AppendUint32(nil, uint32(len(iptc)))...)
	irb = append(irb, iptc...)
	return spliceSegments(jpg,
		exifSegment(tiff),
		segment(0xe1, []byte(xmpHeader+`<x:xmpmeta><rdf:Description exif:GPSLatitude="48,51.48N"/></x:xmpmeta>`)),
		segment(0xe1, []byte(xmpExtHeader+"0123456789abcdef0123456789abcdef\x00\x00\x00\x10\x00\x00\x00\x00<rest/>")),
		segment(0xed, irb))
}

// FuzzMake: Make never panics, and what it returns is consistent: at least
// one rendition, widths ascending and from Widths (or the single
// own-size rendition), each rendition's data decoding to its stated size
// in its stated format.
func FuzzMake(f *testing.F) {
	limitPixels(f)
	for _, s := range genSeeds(f) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		rs, err := Make(bytes.NewReader(data), "", Widths, Options{})
		if err != nil {
			if rs != nil {
				t.Fatalf("renditions with error %v", err)
			}
			return
		}
		if len(rs) == 0 {
			t.Fatal("no rendition and no error")
		}
		for i, r := range rs {
			if i > 0 && r.Width <= rs[i-1].Width {
				t.Fatalf("widths not ascending: %s", summary(rs))
			}
			if len(rs) > 1 && !slices.Contains(Widths, r.Width) {
				t.Fatalf("width %d not in Widths: %s", r.Width, summary(rs))
			}
			checkRendition(t, r)
		}
	})
}

// FuzzMakeOne: MakeOne, with any type and width and with or without WebP,
// never panics; a rendition is no wider than asked (when the width is
// positive) and decodes to its stated size.
func FuzzMakeOne(f *testing.F) {
	limitPixels(f)
	for i, s := range genSeeds(f) {
		f.Add(s, uint8(i), 100, i%2 == 0)
	}
	f.Fuzz(func(t *testing.T, data []byte, mime uint8, width int, webpToo bool) {
		mt := fuzzMIMEs[int(mime)%len(fuzzMIMEs)]
		r, err := MakeOne(bytes.NewReader(data), mt, width, Options{WebP: webpToo})
		if err != nil {
			return
		}
		if width > 0 && r.Width > width {
			t.Fatalf("asked for %d, got %dx%d", width, r.Width, r.Height)
		}
		if webpToo != (r.Format == "webp") {
			t.Fatalf("WebP %v, got %s", webpToo, r.Format)
		}
		checkRendition(t, r)
	})
}

func checkRendition(t *testing.T, r Rendition) {
	t.Helper()
	if r.Width < 1 || r.Height < 1 {
		t.Fatalf("rendition %dx%d", r.Width, r.Height)
	}
	var cfg image.Config
	var err error
	switch r.Format {
	case "jpeg":
		cfg, err = jpeg.DecodeConfig(bytes.NewReader(r.Data))
	case "png":
		cfg, err = png.DecodeConfig(bytes.NewReader(r.Data))
	case "webp":
		cfg, err = webp.DecodeConfig(bytes.NewReader(r.Data))
	default:
		t.Fatalf("format %q", r.Format)
	}
	if err != nil || cfg.Width != r.Width || cfg.Height != r.Height {
		t.Fatalf("%s rendition %dx%d: decodes to %dx%d, %v", r.Format, r.Width, r.Height, cfg.Width, cfg.Height, err)
	}
}

// FuzzStripJPEGLocation: the stripper never panics and, when it succeeds:
//
//   - its output is no longer than the input, starts with SOI and ends
//     with the input's bytes from the first SOS on, unchanged;
//   - it is idempotent: stripping the output again changes nothing;
//   - the output has no GPSInfo pointer in any Exif IFD0, no XMP packet
//     mentioning location, no extended XMP and no IPTC location;
//   - an input that decodes (image/jpeg or jpegscale) still decodes, to
//     the same size, and keeps its Exif orientation.
func FuzzStripJPEGLocation(f *testing.F) {
	for _, s := range genSeeds(f) {
		if bytes.HasPrefix(s, []byte{0xff, 0xd8}) {
			f.Add(s)
		}
	}
	for _, s := range hostileExif() {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var out bytes.Buffer
		if err := StripJPEGLocation(bytes.NewReader(data), &out); err != nil {
			return
		}
		got := out.Bytes()
		if len(got) > len(data) || !bytes.HasPrefix(got, []byte{0xff, 0xd8}) {
			t.Fatalf("output of %d bytes from %d: % x", len(got), len(data), got[:min(len(got), 8)])
		}
		segs, rest := jpegSegments(got)
		if !bytes.HasSuffix(data, rest) {
			t.Fatal("data from the first SOS on changed")
		}
		for _, s := range segs {
			switch {
			case s.marker == 0xe1 && bytes.HasPrefix(s.payload, []byte("Exif\x00\x00")):
				if hasGPSPointer(s.payload[6:]) {
					t.Fatal("GPSInfo pointer left in IFD0")
				}
			case s.marker == 0xe1 && bytes.HasPrefix(s.payload, []byte(xmpExtHeader)):
				t.Fatal("extended XMP kept")
			case s.marker == 0xe1 && bytes.HasPrefix(s.payload, []byte(xmpHeader)):
				if xmpHasLocation(s.payload[len(xmpHeader):]) {
					t.Fatal("XMP with location kept")
				}
			case s.marker == 0xed && bytes.HasPrefix(s.payload, []byte("Photoshop 3.0\x00")):
				if irbHasLocation(s.payload[len("Photoshop 3.0\x00"):]) {
					t.Fatal("IPTC with location kept")
				}
			}
		}
		var again bytes.Buffer
		if err := StripJPEGLocation(bytes.NewReader(got), &again); err != nil {
			t.Fatalf("stripping the output: %v", err)
		}
		if !bytes.Equal(again.Bytes(), got) {
			t.Fatal("not idempotent: stripping the output changes it")
		}
		checkSameDecode(t, data, got)
	})
}

// checkSameDecode: where in decodes, out decodes to the same size (and the
// same Exif orientation for jpegscale). Frames over fuzzMaxPixels are only
// compared by DecodeConfig.
func checkSameDecode(t *testing.T, in, out []byte) {
	t.Helper()
	ci, err := jpeg.DecodeConfig(bytes.NewReader(in))
	if err == nil {
		co, err := jpeg.DecodeConfig(bytes.NewReader(out))
		if err != nil || co.Width != ci.Width || co.Height != ci.Height {
			t.Fatalf("image/jpeg DecodeConfig: %dx%d before, %dx%d %v after", ci.Width, ci.Height, co.Width, co.Height, err)
		}
		if ci.Width*ci.Height > fuzzMaxPixels {
			return
		}
	}
	if mi, err := jpeg.Decode(bytes.NewReader(in)); err == nil {
		mo, err := jpeg.Decode(bytes.NewReader(out))
		if err != nil || mo.Bounds() != mi.Bounds() {
			t.Fatalf("image/jpeg: %v before, %v after (%v)", mi.Bounds(), boundsOf(mo), err)
		}
	}
	opt := &jpegscale.Options{Scale: func(h *jpegscale.Header) (int, error) {
		if h.Width*h.Height > fuzzMaxPixels {
			return 0, ErrTooLarge
		}
		return 8, nil
	}}
	mi, hi, err := jpegscale.DecodeScaled(bytes.NewReader(in), opt)
	if err != nil {
		return
	}
	mo, ho, err := jpegscale.DecodeScaled(bytes.NewReader(out), opt)
	if err != nil || mo.Bounds() != mi.Bounds() {
		t.Fatalf("jpegscale: %v before, %v after (%v)", mi.Bounds(), boundsOf(mo), err)
	}
	if a, b := exifOrientation(hi.Exif), exifOrientation(ho.Exif); a != b {
		t.Fatalf("orientation %d before, %d after", a, b)
	}
}

func boundsOf(m image.Image) image.Rectangle {
	if m == nil {
		return image.Rectangle{}
	}
	return m.Bounds()
}

type jpegSegment struct {
	marker  byte
	payload []byte
}

// jpegSegments splits the stripper's output (markers back to back, no fill
// bytes) into its segments before the first SOS or EOI, and the rest, from
// that SOS or EOI on (which the stripper copies unchanged).
func jpegSegments(b []byte) ([]jpegSegment, []byte) {
	var segs []jpegSegment
	i := 2
	for i+1 < len(b) && b[i] == 0xff {
		m := b[i+1]
		if m == 0x01 || (m >= 0xd0 && m <= 0xd7) {
			i += 2
			continue
		}
		if m == 0xda || m == 0xd9 || i+4 > len(b) {
			break
		}
		n := int(binary.BigEndian.Uint16(b[i+2:]))
		if i+2+n > len(b) {
			break
		}
		segs = append(segs, jpegSegment{m, b[i+4 : i+2+n]})
		i += 2 + n
	}
	return segs, b[min(i, len(b)):]
}

// hasGPSPointer reports whether a TIFF payload's IFD0 has a GPSInfo entry.
func hasGPSPointer(b []byte) bool {
	t, ok := parseTIFF(b)
	if !ok {
		return false
	}
	n, ok := t.u16(t.ifd0)
	if !ok || t.ifd0+2+12*int(n)+4 > len(b) {
		return false
	}
	for i := 0; i < int(n); i++ {
		if tag, _ := t.u16(t.ifd0 + 2 + 12*i); tag == 0x8825 {
			return true
		}
	}
	return false
}

// hostileExif are JPEGs with crafted Exif: two GPSInfo entries (the second
// used to survive, and the stripper was not idempotent), and a GPS IFD
// pointer to IFD0 itself (zeroing the "GPS IFD" used to wipe IFD0 and its
// Orientation).
func hostileExif() [][]byte {
	m := image.NewGray(image.Rect(0, 0, 16, 8))
	var jb bytes.Buffer
	if err := jpeg.Encode(&jb, m, nil); err != nil {
		panic(err)
	}
	gps := []ifdEntry{{0x0001, 2, 2, []byte("N\x00")}, {0x0002, 5, 3, rationals(48, 51, 29)}}
	// buildTIFF links each GPSInfo entry to its own copy of the GPS IFD.
	two := buildTIFF(
		[]ifdEntry{{0x0112, 3, 1, short(6)}, {0x8825, 4, 1, nil}, {0x8825, 4, 1, nil}},
		map[uint16][]ifdEntry{0x8825: gps})

	self := buildTIFF([]ifdEntry{{0x0112, 3, 1, short(8)}, {0x8825, 4, 1, short(0)}}, nil)
	binary.BigEndian.PutUint32(self[8+2+12+8:], 8) // GPS IFD = IFD0
	return [][]byte{
		spliceSegments(jb.Bytes(), exifSegment(two)),
		spliceSegments(jb.Bytes(), exifSegment(self)),
	}
}

// TestStripHostileExif: both hostile Exif layouts are stripped of every
// GPS pointer, idempotently, keeping the orientation.
func TestStripHostileExif(t *testing.T) {
	for i, in := range hostileExif() {
		var out, again bytes.Buffer
		if err := StripJPEGLocation(bytes.NewReader(in), &out); err != nil {
			t.Fatal(err)
		}
		segs, _ := jpegSegments(out.Bytes())
		tiff := segs[0].payload[6:]
		if hasGPSPointer(tiff) {
			t.Errorf("input %d: GPSInfo pointer left", i)
		}
		if want := []int{6, 8}[i]; exifOrientation(tiff) != want {
			t.Errorf("input %d: orientation %d, want %d", i, exifOrientation(tiff), want)
		}
		if i == 0 && bytes.Contains(out.Bytes(), rationals(48, 51, 29)) {
			t.Error("GPS values left")
		}
		StripJPEGLocation(bytes.NewReader(out.Bytes()), &again)
		if !bytes.Equal(again.Bytes(), out.Bytes()) {
			t.Errorf("input %d: not idempotent", i)
		}
	}
}
