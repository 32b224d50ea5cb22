package probe

import (
	"encoding/binary"
	"math"
)

// Limits on how many boxes are visited: per container, and in all.
const (
	bmffMaxTopBoxes   = 100000
	bmffMaxChildBoxes = 10000
	bmffMaxBoxes      = 500000
)

// box is one ISO base media box: the header starts at off, the payload at
// off+hdr, and the box ends at off+size.
type box struct {
	typ  string
	off  int64
	hdr  int64
	size int64
}

func (b box) data() int64 { return b.off + b.hdr }
func (b box) end() int64  { return b.off + b.size }
func (b box) dataLen() int64 {
	return b.size - b.hdr
}

// readBox reads the box header at off within a parent ending at end.
// Sizes are 32-bit, 64-bit (size 1) or "to the end" (size 0).
func readBox(src *source, off, end int64) (box, error) {
	if end-off < 8 {
		return box{}, src.corrupt("box header cut short")
	}
	b, err := src.at(off, 8)
	if err != nil {
		return box{}, err
	}
	size, hdr := uint64(binary.BigEndian.Uint32(b)), int64(8)
	switch size {
	case 1:
		if end-off < 16 {
			return box{}, src.truncated()
		}
		ext, err := src.at(off+8, 8)
		if err != nil {
			return box{}, err
		}
		size, hdr = binary.BigEndian.Uint64(ext), 16
	case 0:
		size = uint64(end - off)
	}
	if size < uint64(hdr) {
		return box{}, src.corrupt("invalid box size")
	}
	if size > uint64(end-off) {
		if end == src.size {
			return box{}, src.truncated()
		}
		return box{}, src.corrupt("a box overruns its parent")
	}
	return box{typ: string(b[4:8]), off: off, hdr: hdr, size: int64(size)}, nil
}

// eachBox calls fn for the boxes in [start, end), at most limit of them.
func eachBox(src *source, start, end int64, limit int, fn func(box) error) error {
	for off, n := start, 0; off < end; n++ {
		if n >= limit || src.budget <= 0 {
			return src.corrupt("too many boxes")
		}
		src.budget--
		if end-off < 8 && end == src.size && n > 0 {
			return nil // tolerate a few bytes of padding at the end of the file
		}
		b, err := readBox(src, off, end)
		if err != nil {
			return err
		}
		if err := fn(b); err != nil {
			return err
		}
		off = b.end()
	}
	return nil
}

// payload reads up to max bytes of a box's payload.
func payload(src *source, b box, max int) ([]byte, error) {
	return src.at(b.data(), int(min(b.dataLen(), int64(max))))
}

// bmffTrack is what we learn about one trak.
type bmffTrack struct {
	handler     string
	width       int
	height      int
	rotated     bool
	entryWidth  int // from the first visual sample entry
	entryHeight int
	durationMS  int64
}

// inspectISOBMFF walks the top-level boxes of an MP4/MOV/M4A file (the moov
// box may come before or after mdat), takes the duration from mvhd and the
// frame size from the first video track's tkhd (or its sample entry),
// swapping width and height for 90/270-degree rotation matrices.
func inspectISOBMFF(src *source, _ []byte, info *Info) error {
	src.budget = bmffMaxBoxes
	var moov *box
	media := false
	err := eachBox(src, 0, src.size, bmffMaxTopBoxes, func(b box) error {
		switch b.typ {
		case "moov":
			if moov == nil {
				moov = &b
			}
		case "mdat", "moof":
			media = true
		}
		return nil
	})
	if err != nil {
		return err
	}
	if moov == nil {
		return errorf("the %s has no index (moov box); it is truncated or incomplete", src.what)
	}
	if !media {
		return errorf("the %s contains no media data", src.what)
	}
	var (
		timescale  uint32
		duration   uint64
		fragmented uint64
		tracks     []bmffTrack
	)
	err = eachBox(src, moov.data(), moov.end(), bmffMaxChildBoxes, func(b box) error {
		switch b.typ {
		case "mvhd":
			p, err := payload(src, b, 32)
			if err != nil {
				return err
			}
			switch {
			case len(p) >= 20 && p[0] == 0:
				timescale = binary.BigEndian.Uint32(p[12:])
				if d := binary.BigEndian.Uint32(p[16:]); d != math.MaxUint32 {
					duration = uint64(d)
				}
			case len(p) >= 32 && p[0] == 1:
				timescale = binary.BigEndian.Uint32(p[20:])
				if d := binary.BigEndian.Uint64(p[24:]); d != math.MaxUint64 {
					duration = d
				}
			default:
				return src.corrupt("invalid movie header")
			}
		case "mvex":
			return eachBox(src, b.data(), b.end(), bmffMaxChildBoxes, func(c box) error {
				if c.typ != "mehd" {
					return nil
				}
				p, err := payload(src, c, 12)
				if err != nil {
					return err
				}
				switch {
				case len(p) >= 8 && p[0] == 0:
					fragmented = uint64(binary.BigEndian.Uint32(p[4:]))
				case len(p) >= 12 && p[0] == 1:
					fragmented = binary.BigEndian.Uint64(p[4:])
				}
				return nil
			})
		case "trak":
			t, err := bmffTrak(src, b)
			if err != nil {
				return err
			}
			tracks = append(tracks, t)
		}
		return nil
	})
	if err != nil {
		return err
	}
	if timescale == 0 {
		return errorf("the %s has no valid movie header", src.what)
	}
	if duration == 0 {
		duration = fragmented
	}
	info.DurationMS = scaleMS(duration, uint64(timescale))
	if info.DurationMS == 0 {
		for _, t := range tracks {
			info.DurationMS = max(info.DurationMS, t.durationMS)
		}
	}
	var video *bmffTrack
	audio := false
	for i := range tracks {
		switch tracks[i].handler {
		case "vide":
			if video == nil {
				video = &tracks[i]
			}
		case "soun":
			audio = true
		}
	}
	if video == nil {
		switch {
		case !audio:
			return errorf("the %s has no video or audio track", src.what)
		case info.Type == typeMOV:
			return errorf("the %s has no video track", src.what)
		}
		info.Type = typeM4A
		return nil
	}
	if info.Type == typeM4A {
		info.Type = typeMP4
	}
	w, h := video.width, video.height
	if w == 0 || h == 0 {
		w, h = video.entryWidth, video.entryHeight
	}
	if w == 0 || h == 0 {
		return errorf("the %s does not declare its frame size", src.what)
	}
	if video.rotated {
		w, h = h, w
	}
	info.Width, info.Height = w, h
	return nil
}

// bmffTrak reads a trak box: tkhd, mdia/hdlr, mdia/mdhd and the first
// sample entry of mdia/minf/stbl/stsd.
func bmffTrak(src *source, trak box) (bmffTrack, error) {
	var t bmffTrack
	err := eachBox(src, trak.data(), trak.end(), bmffMaxChildBoxes, func(b box) error {
		switch b.typ {
		case "tkhd":
			p, err := payload(src, b, 96)
			if err != nil {
				return err
			}
			m := 40 // matrix offset for version 0
			if len(p) > 0 && p[0] == 1 {
				m = 52
			}
			if len(p) < m+44 {
				return src.corrupt("invalid track header")
			}
			fixed := func(i int) int32 { return int32(binary.BigEndian.Uint32(p[m+4*i:])) }
			a, bb, c, d := fixed(0), fixed(1), fixed(3), fixed(4)
			t.rotated = a == 0 && d == 0 && bb != 0 && c != 0
			t.width = int(absFixed(int32(binary.BigEndian.Uint32(p[m+36:]))))
			t.height = int(absFixed(int32(binary.BigEndian.Uint32(p[m+40:]))))
		case "mdia":
			return eachBox(src, b.data(), b.end(), bmffMaxChildBoxes, func(c box) error {
				switch c.typ {
				case "hdlr":
					p, err := payload(src, c, 12)
					if err != nil {
						return err
					}
					if len(p) < 12 {
						return src.corrupt("invalid handler box")
					}
					t.handler = string(p[8:12])
				case "mdhd":
					p, err := payload(src, c, 32)
					if err != nil {
						return err
					}
					switch {
					case len(p) >= 20 && p[0] == 0:
						if d := binary.BigEndian.Uint32(p[16:]); d != math.MaxUint32 {
							t.durationMS = scaleMS(uint64(d), uint64(binary.BigEndian.Uint32(p[12:])))
						}
					case len(p) >= 32 && p[0] == 1:
						t.durationMS = scaleMS(binary.BigEndian.Uint64(p[24:]), uint64(binary.BigEndian.Uint32(p[20:])))
					}
				case "minf":
					return bmffSampleEntry(src, c, &t)
				}
				return nil
			})
		}
		return nil
	})
	return t, err
}

// bmffSampleEntry finds minf/stbl/stsd and reads the width and height of
// the first visual sample entry.
func bmffSampleEntry(src *source, minf box, t *bmffTrack) error {
	return eachBox(src, minf.data(), minf.end(), bmffMaxChildBoxes, func(stbl box) error {
		if stbl.typ != "stbl" {
			return nil
		}
		return eachBox(src, stbl.data(), stbl.end(), bmffMaxChildBoxes, func(stsd box) error {
			if stsd.typ != "stsd" {
				return nil
			}
			p, err := payload(src, stsd, 8+36)
			if err != nil {
				return err
			}
			if len(p) >= 8+36 && binary.BigEndian.Uint32(p[4:]) > 0 {
				t.entryWidth = int(binary.BigEndian.Uint16(p[8+32:]))
				t.entryHeight = int(binary.BigEndian.Uint16(p[8+34:]))
			}
			return nil
		})
	})
}

// absFixed returns the integer part of the absolute value of a 16.16
// fixed-point number.
func absFixed(v int32) int64 {
	x := int64(v)
	if x < 0 {
		x = -x
	}
	return x >> 16
}

// scaleMS converts a duration in timescale units to milliseconds; 0 for an
// invalid timescale or an absurd duration (more than ~30 years).
func scaleMS(d, timescale uint64) int64 {
	if timescale == 0 {
		return 0
	}
	secs := d / timescale
	if secs > 1<<30 {
		return 0
	}
	return int64(secs*1000 + (d%timescale)*1000/timescale)
}
