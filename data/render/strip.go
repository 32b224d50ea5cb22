package render

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

// ErrNotJPEG is returned by StripJPEGLocation for input that does not start
// like a JPEG.
var ErrNotJPEG = errors.New("render: not a JPEG")

// StripJPEGLocation copies a JPEG from r to w losslessly (nothing is
// re-encoded; the entropy-coded data is copied byte for byte), removing
// location metadata:
//
//   - Exif (APP1): the GPSInfo pointer (tag 0x8825) is removed from IFD0 and
//     the GPS IFD with its out-of-line values is overwritten with zeros. The
//     segment keeps its length and every other offset stays valid, so
//     Orientation, camera data and the thumbnail are kept.
//   - XMP (APP1): the main XMP packet is dropped if it mentions location
//     (exif:GPS… properties, photoshop:City/State/Country, Iptc4xmpCore
//     Location, Iptc4xmpExt LocationCreated/LocationShown…); otherwise it is
//     kept. Extended XMP segments are always dropped: they carry the overflow
//     of large packets split mid-text, which cannot be checked one segment
//     at a time while streaming.
//   - IPTC in Photoshop APP13: the segment is dropped if its IPTC record has
//     a location dataset (2:90 City, 2:92 Sublocation, 2:95 Province/State,
//     2:100/2:101 Country).
//
// Segments are handled one at a time (each at most 64 KiB) and the image
// data is streamed, so memory stays bounded. Everything from the first scan
// on, including any trailer after the end of the image (such as the MPF
// secondary images some phones append), is copied unchanged.
func StripJPEGLocation(r io.Reader, w io.Writer) error {
	br := bufio.NewReaderSize(r, 64<<10)
	bw := bufio.NewWriterSize(w, 64<<10)
	var hdr [4]byte
	if _, err := io.ReadFull(br, hdr[:2]); err != nil || hdr[0] != 0xff || hdr[1] != 0xd8 {
		return ErrNotJPEG
	}
	if _, err := bw.Write(hdr[:2]); err != nil {
		return err
	}
	seg := make([]byte, 0, 64<<10)
	for {
		// A marker, possibly preceded by fill bytes. Stray bytes between
		// segments carry nothing and are dropped, as decoders skip them.
		b, err := br.ReadByte()
		for err == nil && b != 0xff {
			b, err = br.ReadByte()
		}
		if err != nil {
			return fmt.Errorf("render: reading JPEG marker: %w", unexpected(err))
		}
		m := byte(0xff)
		for m == 0xff {
			if m, err = br.ReadByte(); err != nil {
				return fmt.Errorf("render: reading JPEG marker: %w", unexpected(err))
			}
		}
		if m == 0x00 {
			continue // a stuffed 0xff 0x00 outside a scan: stray data
		}
		if m == 0xd9 || m == 0x01 || (m >= 0xd0 && m <= 0xd7) {
			// EOI, TEM, RSTn: no payload. At EOI, copy whatever follows.
			if _, err := bw.Write([]byte{0xff, m}); err != nil {
				return err
			}
			if m == 0xd9 {
				return copyRest(bw, br)
			}
			continue
		}
		if _, err := io.ReadFull(br, hdr[:2]); err != nil {
			return fmt.Errorf("render: reading JPEG segment: %w", unexpected(err))
		}
		n := int(binary.BigEndian.Uint16(hdr[:2]))
		if n < 2 {
			return fmt.Errorf("render: JPEG segment 0x%02x has length %d", m, n)
		}
		seg = seg[:n-2]
		if _, err := io.ReadFull(br, seg); err != nil {
			return fmt.Errorf("render: reading JPEG segment: %w", unexpected(err))
		}
		keep := true
		switch {
		case m == 0xe1 && bytes.HasPrefix(seg, []byte("Exif\x00\x00")):
			stripExifGPS(seg[6:])
		case m == 0xe1 && bytes.HasPrefix(seg, []byte(xmpExtHeader)):
			keep = false
		case m == 0xe1 && bytes.HasPrefix(seg, []byte(xmpHeader)):
			keep = !xmpHasLocation(seg[len(xmpHeader):])
		case m == 0xed && bytes.HasPrefix(seg, []byte("Photoshop 3.0\x00")):
			keep = !irbHasLocation(seg[len("Photoshop 3.0\x00"):])
		}
		if keep {
			if _, err := bw.Write([]byte{0xff, m, hdr[0], hdr[1]}); err != nil {
				return err
			}
			if _, err := bw.Write(seg); err != nil {
				return err
			}
		}
		if m == 0xda {
			// Start of scan: the rest is entropy-coded data and later
			// segments, copied as they are.
			return copyRest(bw, br)
		}
	}
}

func copyRest(bw *bufio.Writer, br *bufio.Reader) error {
	if _, err := io.Copy(bw, br); err != nil {
		return err
	}
	return bw.Flush()
}

func unexpected(err error) error {
	if err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	return err
}

const (
	xmpHeader    = "http://ns.adobe.com/xap/1.0/\x00"
	xmpExtHeader = "http://ns.adobe.com/xmp/extension/\x00"
)

// xmpLocation lists the XMP property names (local names, after the prefix's
// colon) that locate a photo.
var xmpLocation = [][]byte{
	[]byte(":GPS"), // exif:GPSLatitude, exif:GPSLongitude, exifEX:GPS…, …
	[]byte(":City"),
	[]byte(":State"),
	[]byte(":Country"),
	[]byte(":CountryCode"),
	[]byte(":CountryName"),
	[]byte(":Location"), // Iptc4xmpCore:Location, LocationCreated, LocationShown
	[]byte(":Sublocation"),
	[]byte(":ProvinceState"),
	[]byte(":WorldRegion"),
}

func xmpHasLocation(packet []byte) bool {
	for _, name := range xmpLocation {
		if bytes.Contains(packet, name) {
			return true
		}
	}
	return false
}

// irbHasLocation reports whether a Photoshop image resource block holds an
// IPTC-NAA record (resource 0x0404) with a location dataset. Unparseable
// blocks count as having one.
func irbHasLocation(b []byte) bool {
	for len(b) > 0 {
		if len(b) < 12 || string(b[:4]) != "8BIM" {
			return true
		}
		id := binary.BigEndian.Uint16(b[4:])
		nameLen := int(b[6])
		nameSize := 1 + nameLen
		if nameSize%2 == 1 {
			nameSize++
		}
		if len(b) < 6+nameSize+4 {
			return true
		}
		size := int(binary.BigEndian.Uint32(b[6+nameSize:]))
		data := b[6+nameSize+4:]
		if size > len(data) {
			return true
		}
		if id == 0x0404 && iptcHasLocation(data[:size]) {
			return true
		}
		if size%2 == 1 {
			size++
		}
		b = data[min(size, len(data)):]
	}
	return false
}

// iptcHasLocation reports whether IPTC-IIM data has a record 2 location
// dataset. Unparseable data counts as having one.
func iptcHasLocation(b []byte) bool {
	for len(b) > 0 {
		if len(b) < 5 || b[0] != 0x1c {
			return true
		}
		rec, ds := b[1], b[2]
		n := int(binary.BigEndian.Uint16(b[3:]))
		b = b[5:]
		if n&0x8000 != 0 {
			return true // extended length: not used by location datasets
		}
		if rec == 2 && (ds == 90 || ds == 92 || ds == 95 || ds == 100 || ds == 101) {
			return true
		}
		if n > len(b) {
			return true
		}
		b = b[n:]
	}
	return false
}

// tiffTypeSize is the byte size of each TIFF field type.
var tiffTypeSize = [...]int{1: 1, 2: 1, 3: 2, 4: 4, 5: 8, 6: 1, 7: 1, 8: 2, 9: 4, 10: 8, 11: 4, 12: 8}

// stripExifGPS removes the GPS IFD from an Exif TIFF payload in place,
// keeping its length: the GPSInfo entry is taken out of IFD0 (later entries
// and the next-IFD offset move up 12 bytes, leaving 12 zero bytes), and the
// GPS IFD and its out-of-line values are zeroed. Every GPSInfo entry goes:
// a crafted file may have several, and readers differ in which one they
// follow. IFD0's own entries are never zeroed, even where a crafted GPS IFD
// overlaps them, so that Orientation survives.
func stripExifGPS(b []byte) {
	t, ok := parseTIFF(b)
	if !ok {
		return
	}
	n16, ok := t.u16(t.ifd0)
	n := int(n16)
	if !ok || t.ifd0+2+12*n+4 > len(b) {
		return
	}
	end := t.ifd0 + 2 + 12*n + 4
	keepLo, keepHi := t.ifd0, end
	for i := 0; i < n; {
		e := t.ifd0 + 2 + 12*i
		if tag, _ := t.u16(e); tag != 0x8825 {
			i++
			continue
		}
		gps, _ := t.u32(e + 8)
		zeroIFD(t, int(gps), keepLo, keepHi)
		// Remove entry i: move later entries and the next-IFD offset up,
		// then look at the entry now at i.
		copy(b[e:end-12], b[e+12:end])
		clear(b[end-12 : end])
		n--
		end -= 12
		t.bo.PutUint16(b[t.ifd0:], uint16(n))
	}
}

// zeroIFD overwrites an IFD and the out-of-line values it points to with
// zeros, except for the bytes b[keepLo:keepHi].
func zeroIFD(t tiff, off, keepLo, keepHi int) {
	b := t.b
	m16, ok := t.u16(off)
	m := int(m16)
	if !ok || off < 8 || off+2+12*m+4 > len(b) {
		return
	}
	for i := 0; i < m; i++ {
		e := off + 2 + 12*i
		typ, _ := t.u16(e + 2)
		count, _ := t.u32(e + 4)
		if int(typ) >= len(tiffTypeSize) || tiffTypeSize[typ] == 0 {
			continue
		}
		size := uint64(tiffTypeSize[typ]) * uint64(count)
		if size <= 4 {
			continue
		}
		v, _ := t.u32(e + 8)
		if v >= 8 && uint64(v)+size <= uint64(len(b)) {
			clearOutside(b, int(v), int(uint64(v)+size), keepLo, keepHi)
		}
	}
	clearOutside(b, off, off+2+12*m+4, keepLo, keepHi)
}

// clearOutside zeroes b[lo:hi] except for b[keepLo:keepHi].
func clearOutside(b []byte, lo, hi, keepLo, keepHi int) {
	clear(b[lo:min(hi, max(lo, keepLo))])
	clear(b[max(lo, min(hi, keepHi)):hi])
}
