package probe

import "encoding/binary"

// inspectWebP walks the RIFF chunks of a WebP file. The size comes from the
// VP8X canvas when present, else from the VP8 (lossy) or VP8L (lossless)
// bitstream header.
func inspectWebP(src *source, _ []byte, info *Info) error {
	hdr, err := src.at(0, 12)
	if err != nil {
		return err
	}
	end := 8 + int64(binary.LittleEndian.Uint32(hdr[4:]))
	if end > src.size {
		return src.truncated()
	}
	if end < 12+8 {
		return src.corrupt("no chunks")
	}
	var (
		width, height int
		extended      bool
		animated      bool
		image         bool
		frames        int
		orientation   int
	)
	off := int64(12)
	for first := true; end-off >= 8; first = false {
		ch, err := src.at(off, 8)
		if err != nil {
			return err
		}
		fourcc := string(ch[:4])
		n := int64(binary.LittleEndian.Uint32(ch[4:]))
		if n > end-off-8 {
			return src.truncated()
		}
		data := off + 8
		if first && fourcc != "VP8X" && fourcc != "VP8 " && fourcc != "VP8L" {
			return src.corrupt("the first chunk is not VP8, VP8L or VP8X")
		}
		switch fourcc {
		case "VP8X":
			if !first {
				return src.corrupt("misplaced VP8X chunk")
			}
			if n < 10 {
				return src.corrupt("short VP8X chunk")
			}
			b, err := src.at(data, 10)
			if err != nil {
				return err
			}
			extended, animated = true, b[0]&0x02 != 0
			width = 1 + int(uint32(b[4])|uint32(b[5])<<8|uint32(b[6])<<16)
			height = 1 + int(uint32(b[7])|uint32(b[8])<<8|uint32(b[9])<<16)
		case "VP8 ", "VP8L":
			w, h, err := webpBitstreamSize(src, fourcc, data, n)
			if err != nil {
				return err
			}
			if !extended {
				width, height = w, h
			}
			if !image {
				image, frames = true, 1
			}
			if !extended {
				// A simple file is one bitstream chunk; ignore the rest.
				off = end
				continue
			}
		case "ANMF":
			if !animated {
				return src.corrupt("animation frame in a still image")
			}
			image = true
			frames++
		case "EXIF":
			if orientation == 0 && n <= 1<<20 {
				b, err := src.at(data, int(n))
				if err != nil {
					return err
				}
				orientation = ExifOrientation(exifPayload(b))
			}
		}
		off = data + n + n&1
	}
	if !image {
		return &Error{Reason: "the WebP file contains no image"}
	}
	info.Width, info.Height, info.Frames = width, height, frames
	info.applyOrientation(orientation)
	return nil
}

// webpBitstreamSize reads the frame size from a VP8 or VP8L chunk.
func webpBitstreamSize(src *source, fourcc string, data, n int64) (int, int, error) {
	if fourcc == "VP8 " {
		if n < 10 {
			return 0, 0, src.corrupt("short VP8 chunk")
		}
		b, err := src.at(data, 10)
		if err != nil {
			return 0, 0, err
		}
		if b[0]&1 != 0 || string(b[3:6]) != "\x9d\x01\x2a" {
			return 0, 0, src.corrupt("invalid VP8 key frame")
		}
		w := int(binary.LittleEndian.Uint16(b[6:]) & 0x3fff)
		h := int(binary.LittleEndian.Uint16(b[8:]) & 0x3fff)
		if w == 0 || h == 0 {
			return 0, 0, &Error{Reason: "the WebP file declares a zero width or height"}
		}
		return w, h, nil
	}
	if n < 5 {
		return 0, 0, src.corrupt("short VP8L chunk")
	}
	b, err := src.at(data, 5)
	if err != nil {
		return 0, 0, err
	}
	bits := binary.LittleEndian.Uint32(b[1:])
	if b[0] != 0x2f || bits>>29 != 0 {
		return 0, 0, src.corrupt("invalid VP8L header")
	}
	return int(bits&0x3fff) + 1, int(bits>>14&0x3fff) + 1, nil
}
