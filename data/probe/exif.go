package probe

import "encoding/binary"

// ExifOrientation returns the Orientation tag (0x0112) of IFD0 in a TIFF
// structure (the payload of a JPEG APP1 "Exif\0\0" segment, a PNG eXIf
// chunk or a WebP EXIF chunk), or 0 when it is absent or invalid.
func ExifOrientation(tiff []byte) int {
	if len(tiff) < 8 {
		return 0
	}
	var bo binary.ByteOrder
	switch string(tiff[:4]) {
	case "II*\x00":
		bo = binary.LittleEndian
	case "MM\x00*":
		bo = binary.BigEndian
	default:
		return 0
	}
	ifd := uint64(bo.Uint32(tiff[4:]))
	if ifd < 8 || ifd+2 > uint64(len(tiff)) {
		return 0
	}
	n := int(bo.Uint16(tiff[ifd:]))
	p := int(ifd) + 2
	for i := 0; i < n && p+12 <= len(tiff); i, p = i+1, p+12 {
		if bo.Uint16(tiff[p:]) != 0x0112 {
			continue
		}
		typ, count := bo.Uint16(tiff[p+2:]), bo.Uint32(tiff[p+4:])
		var v int
		switch {
		case typ == 3 && count >= 1: // SHORT, stored in the value field
			v = int(bo.Uint16(tiff[p+8:]))
		case typ == 4 && count >= 1: // LONG, tolerated
			v = int(bo.Uint32(tiff[p+8:]))
		default:
			return 0
		}
		if v >= 1 && v <= 8 {
			return v
		}
		return 0
	}
	return 0
}

// exifPayload strips the optional "Exif\0\0" prefix that some writers put
// in front of the TIFF header in PNG and WebP.
func exifPayload(b []byte) []byte {
	if hasPrefix(b, "Exif\x00\x00") {
		return b[6:]
	}
	return b
}
