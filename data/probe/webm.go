package probe

import (
	"encoding/binary"
	"math"
)

// EBML and Matroska element IDs (with their length-marker bits).
const (
	ebmlHeader        = 0x1a45dfa3
	ebmlDocTypeID     = 0x4282
	mkvSegment        = 0x18538067
	mkvInfo           = 0x1549a966
	mkvTimecodeScale  = 0x2ad7b1
	mkvDuration       = 0x4489
	mkvTracks         = 0x1654ae6b
	mkvTrackEntry     = 0xae
	mkvTrackType      = 0x83
	mkvVideo          = 0xe0
	mkvPixelWidth     = 0xb0
	mkvPixelHeight    = 0xba
	mkvCluster        = 0x1f43b675
	ebmlUnknownSize   = math.MaxUint64
	mkvMaxSegmentKids = 200000
	mkvMaxMeta        = 4 << 20 // cap on Info and Tracks read into memory
)

// ebmlVint decodes a variable-length integer at the start of b. With keep
// the length marker stays (element IDs); without it, it is removed (sizes),
// and an all-ones value means "unknown size". n is 0 when b is too short or
// the first byte is invalid.
func ebmlVint(b []byte, keep bool, maxLen int) (v uint64, n int) {
	if len(b) == 0 || b[0] == 0 {
		return 0, 0
	}
	n = 1
	for mask := byte(0x80); b[0]&mask == 0; mask >>= 1 {
		n++
	}
	if n > maxLen || n > len(b) {
		return 0, 0
	}
	v = uint64(b[0])
	if !keep {
		v &= uint64(0xff >> n)
	}
	allOnes := v == uint64(0xff>>n)
	for _, c := range b[1:n] {
		v = v<<8 | uint64(c)
		allOnes = allOnes && c == 0xff
	}
	if !keep && allOnes {
		return ebmlUnknownSize, n
	}
	return v, n
}

// ebmlElement is one element inside a byte slice.
type ebmlElement struct {
	id   uint64
	data []byte
}

// ebmlChildren splits b into elements; it stops at the first malformed or
// overrunning element (reported as ok == false).
func ebmlChildren(b []byte) (els []ebmlElement, ok bool) {
	for len(b) > 0 && len(els) < 100000 {
		id, n := ebmlVint(b, true, 4)
		if n == 0 {
			return els, false
		}
		size, m := ebmlVint(b[n:], false, 8)
		if m == 0 || size > uint64(len(b)-n-m) {
			return els, false
		}
		els = append(els, ebmlElement{id: id, data: b[n+m : n+m+int(size)]})
		b = b[n+m+int(size):]
	}
	return els, true
}

func ebmlUint(b []byte) uint64 {
	var v uint64
	for _, c := range b[:min(len(b), 8)] {
		v = v<<8 | uint64(c)
	}
	return v
}

// ebmlDocType returns the DocType of the EBML header at the start of b, or
// "" if b does not start with a well-formed EBML header.
func ebmlDocType(b []byte) string {
	id, n := ebmlVint(b, true, 4)
	if n == 0 || id != ebmlHeader {
		return ""
	}
	size, m := ebmlVint(b[n:], false, 8)
	if m == 0 || size == ebmlUnknownSize {
		return ""
	}
	body := b[n+m:]
	if size < uint64(len(body)) {
		body = body[:size]
	}
	els, _ := ebmlChildren(body)
	for _, e := range els {
		if e.id == ebmlDocTypeID {
			s := string(e.data)
			for len(s) > 0 && s[len(s)-1] == 0 {
				s = s[:len(s)-1]
			}
			return s
		}
	}
	return ""
}

// ebmlHeaderAt reads an element header (ID and size) at off.
func ebmlHeaderAt(src *source, off int64) (id, size uint64, hdr int64, err error) {
	b, err := src.at(off, int(min(12, src.size-off)))
	if err != nil {
		return 0, 0, 0, err
	}
	id, n := ebmlVint(b, true, 4)
	if n == 0 {
		return 0, 0, 0, src.corrupt("invalid element ID")
	}
	size, m := ebmlVint(b[n:], false, 8)
	if m == 0 {
		if len(b) < 12 {
			return 0, 0, 0, src.truncated()
		}
		return 0, 0, 0, src.corrupt("invalid element size")
	}
	return id, size, int64(n + m), nil
}

// inspectWebM walks the top-level elements to the Segment and the
// Segment's children: Info gives the duration (Duration × TimecodeScale)
// and Tracks the first video track's PixelWidth and PixelHeight. Clusters
// are skipped by size; an unknown-size cluster (live recordings) ends the
// walk.
func inspectWebM(src *source, head []byte, info *Info) error {
	if ebmlDocType(head) != "webm" {
		return src.corrupt("invalid EBML header")
	}
	// Find the Segment.
	var segStart, segEnd int64 = -1, 0
	for off, i := int64(0), 0; off < src.size && i < 64; i++ {
		id, size, hdr, err := ebmlHeaderAt(src, off)
		if err != nil {
			return err
		}
		if id == mkvSegment {
			segStart, segEnd = off+hdr, src.size
			if size != ebmlUnknownSize {
				if size > uint64(src.size-segStart) {
					return src.truncated()
				}
				segEnd = segStart + int64(size)
			}
			break
		}
		if size == ebmlUnknownSize || size > uint64(src.size-off-hdr) {
			return src.truncated()
		}
		off += hdr + int64(size)
	}
	if segStart < 0 {
		return errorf("the %s has no segment", src.what)
	}

	var (
		haveInfo, haveTracks bool
		scale                uint64 = 1000000
		duration             float64
		width, height        int
		hasVideo, hasAudio   bool
	)
	for off, i := segStart, 0; off < segEnd && i < mkvMaxSegmentKids; i++ {
		if segEnd-off < 2 {
			break
		}
		id, size, hdr, err := ebmlHeaderAt(src, off)
		if err != nil {
			return err
		}
		if size == ebmlUnknownSize {
			if id == mkvCluster {
				break // live recording: clusters to the end
			}
			return src.corrupt("an element of unknown size")
		}
		if size > uint64(segEnd-off-hdr) {
			return src.truncated()
		}
		switch id {
		case mkvInfo, mkvTracks:
			if size > mkvMaxMeta {
				return src.corrupt("oversized header element")
			}
			b, err := src.at(off+hdr, int(size))
			if err != nil {
				return err
			}
			els, ok := ebmlChildren(b)
			if !ok {
				return src.corrupt("malformed header element")
			}
			if id == mkvInfo && !haveInfo {
				haveInfo = true
				for _, e := range els {
					switch e.id {
					case mkvTimecodeScale:
						if v := ebmlUint(e.data); v > 0 {
							scale = v
						}
					case mkvDuration:
						switch len(e.data) {
						case 4:
							duration = float64(math.Float32frombits(binary.BigEndian.Uint32(e.data)))
						case 8:
							duration = math.Float64frombits(binary.BigEndian.Uint64(e.data))
						}
					}
				}
			}
			if id == mkvTracks && !haveTracks {
				haveTracks = true
				width, height, hasVideo, hasAudio = webmTracks(els)
			}
		}
		off += hdr + int64(size)
	}
	if !haveTracks {
		return errorf("the %s has no track list", src.what)
	}
	if !hasVideo {
		if hasAudio {
			return errorf("the %s has no video track (audio-only WebM is not accepted)", src.what)
		}
		return errorf("the %s has no video track", src.what)
	}
	if width == 0 || height == 0 {
		return errorf("the %s does not declare its frame size", src.what)
	}
	info.Width, info.Height = width, height
	if ms := duration * float64(scale) / 1e6; ms > 0 && ms < 1e15 && !math.IsNaN(ms) {
		info.DurationMS = int64(ms + 0.5)
	}
	return nil
}

// webmTracks returns the frame size of the first video track and which
// kinds of tracks exist.
func webmTracks(els []ebmlElement) (width, height int, video, audio bool) {
	for _, e := range els {
		if e.id != mkvTrackEntry {
			continue
		}
		fields, _ := ebmlChildren(e.data)
		var typ uint64
		var w, h uint64
		for _, f := range fields {
			switch f.id {
			case mkvTrackType:
				typ = ebmlUint(f.data)
			case mkvVideo:
				vf, _ := ebmlChildren(f.data)
				for _, v := range vf {
					switch v.id {
					case mkvPixelWidth:
						w = ebmlUint(v.data)
					case mkvPixelHeight:
						h = ebmlUint(v.data)
					}
				}
			}
		}
		switch typ {
		case 1:
			if !video {
				video = true
				if w <= math.MaxInt32 && h <= math.MaxInt32 {
					width, height = int(w), int(h)
				}
			}
		case 2:
			audio = true
		}
	}
	return width, height, video, audio
}
