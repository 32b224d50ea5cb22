package probe

// Builders of minimal but structurally valid files for the tests.

import (
	"archive/zip"
	"bytes"
	"encoding/binary"
	"hash/crc32"
	"image"
	"image/color"
	"image/gif"
	"image/jpeg"
	"image/png"
	"math"
	"testing"
	"unicode/utf16"
)

func be16(v uint16) []byte { return binary.BigEndian.AppendUint16(nil, v) }
func be32(v uint32) []byte { return binary.BigEndian.AppendUint32(nil, v) }
func be64(v uint64) []byte { return binary.BigEndian.AppendUint64(nil, v) }
func le16(v uint16) []byte { return binary.LittleEndian.AppendUint16(nil, v) }
func le32(v uint32) []byte { return binary.LittleEndian.AppendUint32(nil, v) }

func cat(parts ...[]byte) []byte { return bytes.Join(parts, nil) }

// ---- images ----

func testImage(w, h int) image.Image {
	m := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			m.Set(x, y, color.RGBA{uint8(x * 7), uint8(y * 5), uint8(x ^ y), 255})
		}
	}
	return m
}

func makeJPEG(t testing.TB, w, h int) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := jpeg.Encode(&b, testImage(w, h), &jpeg.Options{Quality: 80}); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// exifTIFF builds a TIFF structure whose IFD0 holds one Orientation tag.
func exifTIFF(orientation uint16, bigEndian bool) []byte {
	var bo binary.AppendByteOrder = binary.LittleEndian
	hdr := []byte("II*\x00")
	if bigEndian {
		bo, hdr = binary.BigEndian, []byte("MM\x00*")
	}
	b := append([]byte{}, hdr...)
	b = bo.AppendUint32(b, 8)
	b = bo.AppendUint16(b, 2) // two entries
	// ImageDescription (ASCII) first, to check we look past other tags.
	b = bo.AppendUint16(b, 0x010e)
	b = bo.AppendUint16(b, 2)
	b = bo.AppendUint32(b, 4)
	b = append(b, 'a', 'b', 'c', 0)
	b = bo.AppendUint16(b, 0x0112)
	b = bo.AppendUint16(b, 3)
	b = bo.AppendUint32(b, 1)
	b = bo.AppendUint16(b, orientation)
	b = bo.AppendUint16(b, 0)
	b = bo.AppendUint32(b, 0) // no next IFD
	return b
}

// withExif splices an APP1 Exif segment right after the SOI marker.
func withExif(j []byte, orientation uint16, bigEndian bool) []byte {
	seg := append([]byte("Exif\x00\x00"), exifTIFF(orientation, bigEndian)...)
	app1 := cat([]byte{0xff, 0xe1}, be16(uint16(len(seg)+2)), seg)
	return cat(j[:2], app1, j[2:])
}

func makePNG(t testing.TB, w, h int) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := png.Encode(&b, testImage(w, h)); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func pngChunk(typ string, data []byte) []byte {
	crc := crc32.NewIEEE()
	crc.Write([]byte(typ))
	crc.Write(data)
	return cat(be32(uint32(len(data))), []byte(typ), data, be32(crc.Sum32()))
}

// rawPNG builds a PNG from an IHDR and extra chunks (no real image data is
// needed since nothing is inflated).
func rawPNG(w, h uint32, extra ...[]byte) []byte {
	ihdr := cat(be32(w), be32(h), []byte{8, 6, 0, 0, 0})
	parts := [][]byte{[]byte("\x89PNG\r\n\x1a\n"), pngChunk("IHDR", ihdr)}
	parts = append(parts, extra...)
	parts = append(parts, pngChunk("IDAT", []byte{0x78, 0x9c, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01}), pngChunk("IEND", nil))
	return cat(parts...)
}

func makeGIF(t testing.TB, w, h, frames int) []byte {
	t.Helper()
	g := &gif.GIF{}
	pal := color.Palette{color.Black, color.White}
	for i := range frames {
		m := image.NewPaletted(image.Rect(0, 0, w, h), pal)
		m.SetColorIndex(i%w, 0, 1)
		g.Image = append(g.Image, m)
		g.Delay = append(g.Delay, 10)
	}
	var b bytes.Buffer
	if err := gif.EncodeAll(&b, g); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func riffChunk(fourcc string, data []byte) []byte {
	b := cat([]byte(fourcc), le32(uint32(len(data))), data)
	if len(data)%2 == 1 {
		b = append(b, 0)
	}
	return b
}

func riff(form string, chunks ...[]byte) []byte {
	body := cat(append([][]byte{[]byte(form)}, chunks...)...)
	return cat([]byte("RIFF"), le32(uint32(len(body))), body)
}

// vp8lChunk is a VP8L chunk header for a w×h image (bitstream body faked).
func vp8lChunk(w, h int) []byte {
	bits := uint32(w-1) | uint32(h-1)<<14
	return riffChunk("VP8L", cat([]byte{0x2f}, le32(bits), make([]byte, 10)))
}

func le24(v int) []byte { return []byte{byte(v), byte(v >> 8), byte(v >> 16)} }

func vp8xChunk(flags byte, w, h int) []byte {
	return riffChunk("VP8X", cat([]byte{flags, 0, 0, 0}, le24(w-1), le24(h-1)))
}

// ---- documents ----

func minimalPDF() []byte {
	return []byte("%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n" +
		"2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n" +
		"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 612 792]>>endobj\n" +
		"xref\n0 4\n0000000000 65535 f \n0000000009 00000 n \n0000000052 00000 n \n0000000101 00000 n \n" +
		"trailer<</Size 4/Root 1 0 R>>\nstartxref\n164\n%%EOF\n")
}

type zipEntry struct {
	name string
	data string
}

func makeZIP(t testing.TB, entries ...zipEntry) []byte {
	t.Helper()
	var b bytes.Buffer
	w := zip.NewWriter(&b)
	for _, e := range entries {
		f, err := w.Create(e.name)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.Write([]byte(e.data)); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func contentTypes(part, ct string) string {
	return `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">
<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>
<Default Extension="xml" ContentType="application/xml"/>
<Override PartName="` + part + `" ContentType="` + ct + `"/>
</Types>`
}

const rels = `<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/></Relationships>`

func makeDOCX(t testing.TB, ct string) []byte {
	return makeZIP(t,
		zipEntry{"[Content_Types].xml", contentTypes("/word/document.xml", ct)},
		zipEntry{"_rels/.rels", rels},
		zipEntry{"word/document.xml", `<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body><w:p><w:r><w:t>Hi</w:t></w:r></w:p></w:body></w:document>`},
	)
}

func makeXLSX(t testing.TB, ct string) []byte {
	return makeZIP(t,
		zipEntry{"[Content_Types].xml", contentTypes("/xl/workbook.xml", ct)},
		zipEntry{"_rels/.rels", rels},
		zipEntry{"xl/workbook.xml", `<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheets><sheet name="S" sheetId="1"/></sheets></workbook>`},
		zipEntry{"xl/worksheets/sheet1.xml", `<worksheet/>`},
	)
}

// cfbStream is a stream at the root of a test compound file.
type cfbStream struct {
	name    string
	typ     byte // 2 stream (default), 1 storage
	data    []byte
	rightTo int // overrides the right sibling (for loops); 0 = next entry
}

// cfbOptions shape a test compound file.
type cfbOptions struct {
	shift      uint // sector size shift: 9 (version 3, default) or 12 (version 4)
	fatSectors int  // minimum number of FAT sectors (more than 109 needs DIFAT sectors)
	clsid      []byte
}

// makeCFB writes a version-3 compound file (512-byte sectors).
func makeCFB(streams []cfbStream, rootCLSID []byte) []byte {
	return buildCFB(streams, cfbOptions{clsid: rootCLSID})
}

// buildCFB writes a compound file laid out as: FAT sectors, DIFAT sectors,
// directory, mini FAT, mini stream (streams under 4096 bytes), then the
// regular streams.
func buildCFB(streams []cfbStream, o cfbOptions) []byte {
	const (
		free    = 0xffffffff
		end     = 0xfffffffe
		fatSect = 0xfffffffd
		difSect = 0xfffffffc
	)
	if o.shift == 0 {
		o.shift = 9
	}
	secSize := 1 << o.shift
	per := secSize / 4
	sectorsOf := func(n int) int { return (n + secSize - 1) / secSize }

	// Mini stream and mini FAT.
	var mini []byte
	var miniFAT []byte
	starts := make([]uint32, len(streams))
	for i, s := range streams {
		if s.typ == 1 || len(s.data) >= 4096 {
			continue
		}
		starts[i] = uint32(len(mini) / 64)
		n := (len(s.data) + 63) / 64
		for k := range n {
			next := uint32(len(miniFAT)/4 + 1)
			if k == n-1 {
				next = end
			}
			miniFAT = binary.LittleEndian.AppendUint32(miniFAT, next)
		}
		chunk := make([]byte, n*64)
		copy(chunk, s.data)
		mini = append(mini, chunk...)
	}
	dirBytes := (len(streams) + 1) * 128
	chains := [][]byte{make([]byte, dirBytes), miniFAT, mini}
	for _, s := range streams {
		if s.typ != 1 && len(s.data) >= 4096 {
			chains = append(chains, s.data)
		} else {
			chains = append(chains, nil)
		}
	}
	data := 0
	for _, c := range chains {
		data += sectorsOf(len(c))
	}
	nFAT, nDIFAT := max(o.fatSectors, 1), 0
	for {
		if nFAT > 109 {
			nDIFAT = (nFAT - 109 + per - 2) / (per - 1)
		}
		if need := (data + nFAT + nDIFAT + per - 1) / per; need > nFAT {
			nFAT = need
			continue
		}
		break
	}
	fat := make([]uint32, nFAT*per)
	for i := range fat {
		fat[i] = free
	}
	for i := range nFAT {
		fat[i] = fatSect
	}
	for i := range nDIFAT {
		fat[nFAT+i] = difSect
	}
	next := nFAT + nDIFAT
	chainStart := make([]uint32, len(chains))
	var body []byte
	for ci, c := range chains {
		n := sectorsOf(len(c))
		if n == 0 {
			chainStart[ci] = end
			continue
		}
		chainStart[ci] = uint32(next)
		for k := range n {
			if k == n-1 {
				fat[next+k] = end
			} else {
				fat[next+k] = uint32(next + k + 1)
			}
		}
		next += n
	}
	// Directory entries.
	entry := func(name string, typ byte, child, right uint32, start uint32, size uint64, clsid []byte) []byte {
		e := make([]byte, 128)
		u := utf16.Encode([]rune(name))
		for i, c := range u {
			binary.LittleEndian.PutUint16(e[2*i:], c)
		}
		binary.LittleEndian.PutUint16(e[64:], uint16(2*len(u)+2))
		e[66], e[67] = typ, 1
		binary.LittleEndian.PutUint32(e[68:], free)
		binary.LittleEndian.PutUint32(e[72:], right)
		binary.LittleEndian.PutUint32(e[76:], child)
		copy(e[80:96], clsid)
		binary.LittleEndian.PutUint32(e[116:], start)
		binary.LittleEndian.PutUint64(e[120:], size)
		return e
	}
	child := uint32(free)
	if len(streams) > 0 {
		child = 1
	}
	dir := entry("Root Entry", 5, child, free, chainStart[2], uint64(len(mini)), o.clsid)
	for i, s := range streams {
		right := uint32(free)
		if i+1 < len(streams) {
			right = uint32(i + 2)
		}
		if s.rightTo != 0 {
			right = uint32(s.rightTo)
		}
		typ := s.typ
		if typ == 0 {
			typ = 2
		}
		start, size := starts[i], uint64(len(s.data))
		if typ == 1 {
			start, size = 0, 0
		} else if len(s.data) >= 4096 {
			start = chainStart[3+i]
		}
		dir = append(dir, entry(s.name, typ, free, right, start, size, nil)...)
	}
	chains[0] = dir
	for _, c := range chains {
		if n := sectorsOf(len(c)); n > 0 {
			padded := make([]byte, n*secSize)
			copy(padded, c)
			body = append(body, padded...)
		}
	}
	// Header, FAT and DIFAT sectors.
	h := make([]byte, secSize)
	copy(h, cfbMagic)
	binary.LittleEndian.PutUint16(h[0x18:], 0x3e)
	binary.LittleEndian.PutUint16(h[0x1a:], 3)
	if o.shift == 12 {
		binary.LittleEndian.PutUint16(h[0x1a:], 4)
		binary.LittleEndian.PutUint32(h[0x28:], uint32(sectorsOf(len(dir))))
	}
	binary.LittleEndian.PutUint16(h[0x1c:], 0xfffe)
	binary.LittleEndian.PutUint16(h[0x1e:], uint16(o.shift))
	binary.LittleEndian.PutUint16(h[0x20:], 6)
	binary.LittleEndian.PutUint32(h[0x2c:], uint32(nFAT))
	binary.LittleEndian.PutUint32(h[0x30:], chainStart[0])
	binary.LittleEndian.PutUint32(h[0x38:], 4096)
	binary.LittleEndian.PutUint32(h[0x3c:], chainStart[1])
	binary.LittleEndian.PutUint32(h[0x40:], uint32(sectorsOf(len(miniFAT))))
	binary.LittleEndian.PutUint32(h[0x44:], end)
	if nDIFAT > 0 {
		binary.LittleEndian.PutUint32(h[0x44:], uint32(nFAT))
	}
	binary.LittleEndian.PutUint32(h[0x48:], uint32(nDIFAT))
	for i := range 109 {
		v := uint32(free)
		if i < nFAT {
			v = uint32(i)
		}
		binary.LittleEndian.PutUint32(h[0x4c+4*i:], v)
	}
	var fatBytes []byte
	for _, v := range fat {
		fatBytes = binary.LittleEndian.AppendUint32(fatBytes, v)
	}
	var difat []byte
	for d := range nDIFAT {
		sec := make([]byte, secSize)
		for k := range per - 1 {
			v := uint32(free)
			if idx := 109 + d*(per-1) + k; idx < nFAT {
				v = uint32(idx)
			}
			binary.LittleEndian.PutUint32(sec[4*k:], v)
		}
		nextDIFAT := uint32(end)
		if d+1 < nDIFAT {
			nextDIFAT = uint32(nFAT + d + 1)
		}
		binary.LittleEndian.PutUint32(sec[4*(per-1):], nextDIFAT)
		difat = append(difat, sec...)
	}
	return cat(h, fatBytes, difat, body)
}

// wordStream returns n bytes starting with the Word FIB identifier.
func wordStream(n int) []byte {
	b := make([]byte, n)
	binary.LittleEndian.PutUint16(b, 0xa5ec)
	for i := 2; i < n; i++ {
		b[i] = byte(i)
	}
	return b
}

// workbookStream returns n bytes starting with a BIFF8 BOF record.
func workbookStream(n int) []byte {
	b := make([]byte, n)
	binary.LittleEndian.PutUint16(b, 0x0809)
	binary.LittleEndian.PutUint16(b[2:], 16)
	return b
}

// ---- ISO base media ----

func mbox(typ string, payload ...[]byte) []byte {
	body := cat(payload...)
	return cat(be32(uint32(8+len(body))), []byte(typ), body)
}

// mbox64 writes a box with a 64-bit largesize.
func mbox64(typ string, payload ...[]byte) []byte {
	body := cat(payload...)
	return cat(be32(1), []byte(typ), be64(uint64(16+len(body))), body)
}

func ftyp(major string, compat ...string) []byte {
	p := cat([]byte(major), be32(0))
	for _, c := range compat {
		p = append(p, c...)
	}
	return mbox("ftyp", p)
}

func mvhd(version byte, timescale uint32, duration uint64) []byte {
	var p []byte
	if version == 1 {
		p = cat([]byte{1, 0, 0, 0}, be64(0), be64(0), be32(timescale), be64(duration))
	} else {
		p = cat([]byte{0, 0, 0, 0}, be32(0), be32(0), be32(timescale), be32(uint32(duration)))
	}
	p = cat(p, be32(0x00010000), be16(0x0100), make([]byte, 10), identityMatrix(), make([]byte, 24), be32(2))
	return mbox("mvhd", p)
}

func identityMatrix() []byte {
	return cat(be32(0x00010000), be32(0), be32(0), be32(0), be32(0x00010000), be32(0), be32(0), be32(0), be32(0x40000000))
}

// rotationMatrix returns the matrix for a rotation by deg (0, 90, 180, 270).
func rotationMatrix(deg int) []byte {
	one, neg := uint32(0x00010000), uint32(0xffff0000)
	var a, b, c, d uint32
	switch deg {
	case 90:
		a, b, c, d = 0, one, neg, 0
	case 180:
		a, b, c, d = neg, 0, 0, neg
	case 270:
		a, b, c, d = 0, neg, one, 0
	default:
		a, b, c, d = one, 0, 0, one
	}
	return cat(be32(a), be32(b), be32(0), be32(c), be32(d), be32(0), be32(0), be32(0), be32(0x40000000))
}

func tkhd(version byte, w, h uint32, matrix []byte) []byte {
	var p []byte
	if version == 1 {
		p = cat([]byte{1, 0, 0, 3}, be64(0), be64(0), be32(1), be32(0), be64(0))
	} else {
		p = cat([]byte{0, 0, 0, 3}, be32(0), be32(0), be32(1), be32(0), be32(0))
	}
	p = cat(p, make([]byte, 8), be16(0), be16(0), be16(0), be16(0), matrix, be32(w), be32(h))
	return mbox("tkhd", p)
}

func hdlr(handler string) []byte {
	return mbox("hdlr", cat(be32(0), be32(0), []byte(handler), make([]byte, 12), []byte("h\x00")))
}

func mdhd(timescale, duration uint32) []byte {
	return mbox("mdhd", cat(be32(0), be32(0), be32(0), be32(timescale), be32(duration), be16(0x55c4), be16(0)))
}

func stsdVisual(w, h uint16) []byte {
	entry := cat(make([]byte, 6), be16(1), make([]byte, 16), be16(w), be16(h), make([]byte, 50))
	return mbox("stsd", be32(0), be32(1), mbox("avc1", entry))
}

func trak(tk []byte, handler string, extra ...[]byte) []byte {
	minf := mbox("minf", mbox("stbl", extra...))
	return mbox("trak", tk, mbox("mdia", mdhd(1000, 0), hdlr(handler), minf))
}

func videoTrak(w, h uint32, deg int) []byte {
	return trak(tkhd(0, w<<16, h<<16, rotationMatrix(deg)), "vide")
}

func audioTrak() []byte {
	return trak(tkhd(0, 0, 0, identityMatrix()), "soun")
}

// ---- EBML ----

func ebmlID(id uint64) []byte {
	var b []byte
	for s := 24; s >= 0; s -= 8 {
		if c := byte(id >> s); c != 0 || len(b) > 0 {
			b = append(b, c)
		}
	}
	return b
}

func el(id uint64, payload ...[]byte) []byte {
	body := cat(payload...)
	size := cat([]byte{0x01}, be64(uint64(len(body)))[1:])
	return cat(ebmlID(id), size, body)
}

// elUnknown writes an element of unknown size.
func elUnknown(id uint64, payload ...[]byte) []byte {
	return cat(ebmlID(id), []byte{0x01, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}, cat(payload...))
}

func elUint(id, v uint64) []byte { return el(id, be64(v)) }

func elFloat(id uint64, v float64) []byte { return el(id, be64(math.Float64bits(v))) }

func ebmlHeaderEl(docType string) []byte {
	return el(ebmlHeader, elUint(0x4286, 1), elUint(0x42f7, 1), elUint(0x42f2, 4), elUint(0x42f3, 8),
		el(ebmlDocTypeID, []byte(docType)), elUint(0x4287, 4), elUint(0x4285, 2))
}

func webmTrack(typ uint64, w, h uint64) []byte {
	parts := [][]byte{elUint(0xd7, 1), elUint(mkvTrackType, typ), el(0x86, []byte("V_VP9"))}
	if typ == 1 {
		parts = append(parts, el(mkvVideo, elUint(mkvPixelWidth, w), elUint(mkvPixelHeight, h)))
	}
	return el(mkvTrackEntry, parts...)
}

func makeWebM(durationMS float64, w, h uint64) []byte {
	info := el(mkvInfo, elUint(mkvTimecodeScale, 1000000), elFloat(mkvDuration, durationMS), el(0x4d80, []byte("test")))
	tracks := el(mkvTracks, webmTrack(1, w, h), webmTrack(2, 0, 0))
	cluster := el(mkvCluster, elUint(0xe7, 0), el(0xa3, make([]byte, 100)))
	return cat(ebmlHeaderEl("webm"), el(mkvSegment, el(0xec, make([]byte, 10)), info, tracks, cluster, cluster))
}

// ---- MP3 ----

// MPEG-1 Layer III, 128 kbit/s, 44.1 kHz, stereo, no padding: 417 bytes.
var mp3Header = []byte{0xff, 0xfb, 0x90, 0x00}

const mp3FrameLen = 417

func mp3Frames(n int) []byte {
	var b []byte
	for i := range n {
		f := make([]byte, mp3FrameLen)
		copy(f, mp3Header)
		f[10] = byte(i)
		b = append(b, f...)
	}
	return b
}

func xingFrame(frames uint32) []byte {
	f := make([]byte, mp3FrameLen)
	copy(f, mp3Header)
	copy(f[4+32:], "Xing")
	copy(f[4+32+4:], be32(1))
	copy(f[4+32+8:], be32(frames))
	return f
}

func id3Tag(size int) []byte {
	b := []byte{'I', 'D', '3', 4, 0, 0}
	b = append(b, byte(size>>21&0x7f), byte(size>>14&0x7f), byte(size>>7&0x7f), byte(size&0x7f))
	body := make([]byte, size)
	copy(body, "TIT2\x00\x00\x00\x05\x00\x00\x03Song")
	return append(b, body...)
}
