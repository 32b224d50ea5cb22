package probe

import "encoding/binary"

// mp3SearchWindow is how far after the ID3 tag(s) the first frame may start.
const mp3SearchWindow = 64 << 10

// mpegFrame is a parsed MPEG audio frame header.
type mpegFrame struct {
	version    int // 1, 2, or 25 for MPEG 2.5
	layer      int // 1, 2, 3
	bitrate    int // bits per second
	sampleRate int
	channels   int
	length     int // frame length in bytes, header included
	samples    int // samples per frame
}

var mpegBitrates = [2][3][15]int{
	{ // MPEG 1: layers I, II, III
		{0, 32, 64, 96, 128, 160, 192, 224, 256, 288, 320, 352, 384, 416, 448},
		{0, 32, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320, 384},
		{0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320},
	},
	{ // MPEG 2 and 2.5
		{0, 32, 48, 56, 64, 80, 96, 112, 128, 144, 160, 176, 192, 224, 256},
		{0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160},
		{0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160},
	},
}

var mpegSampleRates = [3][3]int{
	{44100, 48000, 32000}, // MPEG 1
	{22050, 24000, 16000}, // MPEG 2
	{11025, 12000, 8000},  // MPEG 2.5
}

// parseMPEGFrame parses a 4-byte frame header. Free-format and reserved
// values are rejected.
func parseMPEGFrame(b []byte) (mpegFrame, bool) {
	if len(b) < 4 || b[0] != 0xff || b[1]&0xe0 != 0xe0 {
		return mpegFrame{}, false
	}
	var f mpegFrame
	vi, srTable := 0, 0
	switch b[1] >> 3 & 3 {
	case 0:
		f.version, vi, srTable = 25, 1, 2
	case 2:
		f.version, vi, srTable = 2, 1, 1
	case 3:
		f.version, vi, srTable = 1, 0, 0
	default:
		return mpegFrame{}, false
	}
	switch b[1] >> 1 & 3 {
	case 1:
		f.layer = 3
	case 2:
		f.layer = 2
	case 3:
		f.layer = 1
	default:
		return mpegFrame{}, false
	}
	bi, si, pad := int(b[2]>>4), int(b[2]>>2&3), int(b[2]>>1&1)
	if bi == 0 || bi == 15 || si == 3 || b[3]&3 == 2 {
		return mpegFrame{}, false
	}
	f.bitrate = mpegBitrates[vi][f.layer-1][bi] * 1000
	f.sampleRate = mpegSampleRates[srTable][si]
	f.channels = 2
	if b[3]>>6 == 3 {
		f.channels = 1
	}
	switch {
	case f.layer == 1:
		f.length, f.samples = (12*f.bitrate/f.sampleRate+pad)*4, 384
	case f.layer == 2:
		f.length, f.samples = 144*f.bitrate/f.sampleRate+pad, 1152
	case f.version == 1:
		f.length, f.samples = 144*f.bitrate/f.sampleRate+pad, 1152
	default:
		f.length, f.samples = 72*f.bitrate/f.sampleRate+pad, 576
	}
	if f.length < 24 {
		return mpegFrame{}, false
	}
	return f, true
}

func (f mpegFrame) sameStream(g mpegFrame) bool {
	return f.version == g.version && f.layer == g.layer && f.sampleRate == g.sampleRate
}

// mpegVBR returns the frame count from a Xing/Info or VBRI header in the
// frame at the start of b.
func mpegVBR(b []byte, f mpegFrame) (frames uint32, ok bool) {
	side := 32
	switch {
	case f.version == 1 && f.channels == 1:
		side = 17
	case f.version != 1 && f.channels == 2:
		side = 17
	case f.version != 1:
		side = 9
	}
	if x := 4 + side; f.layer == 3 && len(b) >= x+12 && (string(b[x:x+4]) == "Xing" || string(b[x:x+4]) == "Info") {
		if binary.BigEndian.Uint32(b[x+4:])&1 != 0 {
			return binary.BigEndian.Uint32(b[x+8:]), true
		}
		return 0, true
	}
	if len(b) >= 36+18 && string(b[36:40]) == "VBRI" {
		return binary.BigEndian.Uint32(b[36+14:]), true
	}
	return 0, false
}

// mpegStreamAt reports whether b holds an MPEG audio stream starting at
// offset 0: three consecutive valid frame headers of the same stream at the
// computed frame lengths, or a first frame with a Xing/Info/VBRI header
// followed by a valid frame (or by the end of the data when whole is set).
func mpegStreamAt(b []byte, whole bool) (mpegFrame, bool) {
	f, ok := parseMPEGFrame(b)
	if !ok {
		return f, false
	}
	p, cur := 0, f
	for n := 1; n < 3; n++ {
		p += cur.length
		g, ok := parseMPEGFrame(b[min(p, len(b)):])
		if !ok || !f.sameStream(g) {
			break
		}
		if n == 2 {
			return f, true
		}
		cur = g
	}
	if _, vbr := mpegVBR(b, f); vbr {
		if whole && f.length == len(b) {
			return f, true
		}
		if g, ok := parseMPEGFrame(b[min(f.length, len(b)):]); ok && f.sameStream(g) {
			return f, true
		}
	}
	return f, false
}

// id3Size returns the total size of an ID3v2 tag at the start of b, or 0.
func id3Size(b []byte) int64 {
	if len(b) < 10 || string(b[:3]) != "ID3" || b[3] < 2 || b[3] > 4 || b[4] == 0xff {
		return 0
	}
	var size int64
	for _, c := range b[6:10] {
		if c&0x80 != 0 {
			return 0
		}
		size = size<<7 | int64(c)
	}
	size += 10
	if b[5]&0x10 != 0 {
		size += 10 // footer
	}
	return size
}

// sniffMP3 recognises MP3 in the head: an ID3v2 tag (provisional: the
// frames may lie beyond the head; Inspect checks them), or MPEG audio
// frames at the start, possibly after zero padding.
func sniffMP3(head []byte) (Type, bool) {
	if id3Size(head) > 0 {
		return typeMP3, true
	}
	p := 0
	for p < len(head) && head[p] == 0 {
		p++
	}
	if p < len(head) && head[p] == 0xff {
		if _, ok := mpegStreamAt(head[p:], len(head) < HeadSize); ok {
			return typeMP3, true
		}
		if p+1 < len(head) && head[p+1]&0xf6 == 0xf0 {
			return typeAAC, true
		}
	}
	return Type{}, false
}

// inspectMP3 skips ID3v2 tags, finds the first frame within 64 KiB after
// them (requiring three consecutive valid frames or a VBR header, so random
// data is not mistaken for audio) and computes the duration from the
// Xing/Info or VBRI frame count, or from the bitrate for CBR files.
func inspectMP3(src *source, _ []byte, info *Info) error {
	start := int64(0)
	for range 8 {
		b, err := src.at(start, int(min(10, src.size-start)))
		if err != nil {
			return err
		}
		n := id3Size(b)
		if n == 0 {
			break
		}
		if n > src.size-start {
			return errorf("the %s is truncated (inside the ID3 tag)", src.what)
		}
		start += n
	}
	if start >= src.size {
		return errorf("the %s contains no audio (only an ID3 tag)", src.what)
	}
	n := min(src.size-start, mp3SearchWindow+16<<10)
	buf, err := src.at(start, int(n))
	if err != nil {
		return err
	}
	whole := start+n == src.size
	switch {
	case hasPrefix(buf, "fLaC"):
		info.Type = typeFLAC
		return notAccepted(typeFLAC, "FLAC is not accepted")
	case len(buf) >= 2 && buf[0] == 0xff && buf[1]&0xf6 == 0xf0:
		info.Type = typeAAC
		return notAccepted(typeAAC, "AAC audio must be uploaded as M4A")
	}
	for p := 0; p < len(buf) && p <= mp3SearchWindow; p++ {
		if buf[p] != 0xff {
			continue
		}
		f, ok := mpegStreamAt(buf[p:], whole)
		if !ok {
			continue
		}
		offset := start + int64(p)
		if frames, vbr := mpegVBR(buf[p:], f); vbr && frames > 0 {
			info.DurationMS = int64(frames) * int64(f.samples) * 1000 / int64(f.sampleRate)
			return nil
		}
		audio := src.size - offset
		if audio >= 128 {
			if tag, err := src.at(src.size-128, 3); err == nil && string(tag) == "TAG" {
				audio -= 128
			}
		}
		info.DurationMS = audio * 8 * 1000 / int64(f.bitrate)
		return nil
	}
	return errorf("the %s contains no valid MPEG audio frames", src.what)
}
