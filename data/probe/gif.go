package probe

import (
	"bufio"
	"encoding/binary"
)

// inspectGIF walks the blocks of a GIF from the logical screen descriptor to
// the trailer, counting frames, without decompressing any image data.
func inspectGIF(src *source, _ []byte, info *Info) error {
	j := &seqReader{
		br:    bufio.NewReaderSize(src.sectionReader(), 32<<10),
		trunc: &Error{Reason: "the GIF file is truncated (no trailer)"},
	}
	var hdr [13]byte
	if err := j.full(hdr[:]); err != nil {
		return err
	}
	width := int(binary.LittleEndian.Uint16(hdr[6:]))
	height := int(binary.LittleEndian.Uint16(hdr[8:]))
	if hdr[10]&0x80 != 0 {
		if err := j.discard(3 << (hdr[10]&7 + 1)); err != nil {
			return err
		}
	}
	skipSubBlocks := func() error {
		for {
			n, err := j.byte()
			if err != nil {
				return err
			}
			if n == 0 {
				return nil
			}
			if err := j.discard(int(n)); err != nil {
				return err
			}
		}
	}
	frames := 0
	for {
		b, err := j.byte()
		if err != nil {
			return err
		}
		switch b {
		case 0x21: // extension
			if _, err := j.byte(); err != nil {
				return err
			}
			if err := skipSubBlocks(); err != nil {
				return err
			}
		case 0x2c: // image descriptor
			var d [9]byte
			if err := j.full(d[:]); err != nil {
				return err
			}
			fw := int(binary.LittleEndian.Uint16(d[4:]))
			fh := int(binary.LittleEndian.Uint16(d[6:]))
			if frames == 0 && (width == 0 || height == 0) {
				width = int(binary.LittleEndian.Uint16(d[0:])) + fw
				height = int(binary.LittleEndian.Uint16(d[2:])) + fh
			}
			if d[8]&0x80 != 0 {
				if err := j.discard(3 << (d[8]&7 + 1)); err != nil {
					return err
				}
			}
			lzw, err := j.byte()
			if err != nil {
				return err
			}
			if lzw < 1 || lzw > 11 {
				return src.corrupt("invalid LZW code size")
			}
			if err := skipSubBlocks(); err != nil {
				return err
			}
			frames++
		case 0x3b: // trailer
			if frames == 0 {
				return &Error{Reason: "the GIF file contains no image"}
			}
			if width == 0 || height == 0 {
				return &Error{Reason: "the GIF file declares a zero width or height"}
			}
			info.Width, info.Height, info.Frames = width, height, frames
			return nil
		default:
			return src.corrupt("unknown block")
		}
	}
}
