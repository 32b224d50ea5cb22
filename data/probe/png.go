package probe

import (
	"encoding/binary"
	"hash/crc32"
	"io"
)

// inspectPNG walks the chunks from the signature to IEND, verifying every
// chunk's CRC without inflating the image data. It reads the size from
// IHDR, the frame count from acTL (APNG) and the orientation from eXIf.
func inspectPNG(src *source, _ []byte, info *Info) error {
	trunc := &Error{Reason: "the PNG file is truncated (no IEND chunk)"}
	off := int64(8)
	var (
		haveIHDR, haveIDAT, havePLTE bool
		colorType                    byte
		frames                       = 1
		orientation                  int
	)
	crcBuf := make([]byte, 32<<10)
	for {
		if src.size-off < 12 {
			return trunc
		}
		hdr, err := src.at(off, 8)
		if err != nil {
			return err
		}
		n := int64(binary.BigEndian.Uint32(hdr))
		typ := string(hdr[4:8])
		if n > 0x7fffffff {
			return src.corrupt("invalid chunk length")
		}
		for _, c := range []byte(typ) {
			if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z') {
				return src.corrupt("invalid chunk type")
			}
		}
		if n+12 > src.size-off {
			return trunc
		}
		if !haveIHDR && typ != "IHDR" {
			return src.corrupt("the first chunk is not IHDR")
		}
		// Verify the CRC over type and data.
		crc := crc32.NewIEEE()
		crc.Write(hdr[4:8])
		var data []byte // kept for small chunks we parse
		keep := (typ == "IHDR" || typ == "acTL") && n <= 64 || typ == "eXIf" && n <= 1<<20
		if keep {
			if data, err = src.at(off+8, int(n)); err != nil {
				return err
			}
			crc.Write(data)
		} else {
			sr := io.NewSectionReader(src.r, off+8, n)
			copied, err := io.CopyBuffer(crc, sr, crcBuf)
			if err != nil {
				return readErr(err)
			}
			if copied != n {
				return trunc
			}
		}
		sum, err := src.at(off+8+n, 4)
		if err != nil {
			return err
		}
		if crc.Sum32() != binary.BigEndian.Uint32(sum) {
			return errorf("the PNG file is corrupt (checksum mismatch in the %s chunk)", typ)
		}
		switch typ {
		case "IHDR":
			if haveIHDR {
				return src.corrupt("more than one IHDR chunk")
			}
			if n != 13 {
				return src.corrupt("invalid IHDR chunk")
			}
			haveIHDR = true
			w, h := binary.BigEndian.Uint32(data), binary.BigEndian.Uint32(data[4:])
			if w == 0 || h == 0 {
				return &Error{Reason: "the PNG file declares a zero width or height"}
			}
			if w > 0x7fffffff || h > 0x7fffffff {
				return src.corrupt("invalid image size")
			}
			depth := data[8]
			colorType = data[9]
			if !pngDepthOK(colorType, depth) {
				return src.corrupt("invalid bit depth or colour type")
			}
			if data[10] != 0 || data[11] != 0 || data[12] > 1 {
				return src.corrupt("unknown compression, filter or interlace method")
			}
			info.Width, info.Height = int(w), int(h)
		case "PLTE":
			havePLTE = true
		case "IDAT":
			haveIDAT = true
		case "acTL":
			if len(data) >= 4 {
				if f := binary.BigEndian.Uint32(data); f >= 1 && f <= 1<<20 {
					frames = int(f)
				}
			}
		case "eXIf":
			if orientation == 0 && data != nil {
				orientation = ExifOrientation(exifPayload(data))
			}
		case "IEND":
			if !haveIDAT {
				return &Error{Reason: "the PNG file contains no image data"}
			}
			if colorType == 3 && !havePLTE {
				return src.corrupt("a palette image without a palette")
			}
			info.Frames = frames
			info.applyOrientation(orientation)
			return nil
		}
		off += 12 + n
	}
}

// pngDepthOK reports whether the bit depth is allowed for the colour type.
func pngDepthOK(colorType, depth byte) bool {
	switch colorType {
	case 0:
		return depth == 1 || depth == 2 || depth == 4 || depth == 8 || depth == 16
	case 3:
		return depth == 1 || depth == 2 || depth == 4 || depth == 8
	case 2, 4, 6:
		return depth == 8 || depth == 16
	}
	return false
}
