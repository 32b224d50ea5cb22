package probe

import (
	"bufio"
	"encoding/binary"
	"errors"
	"io"
)

// jpegComponent tracks which DCT coefficients of one colour component the
// scans have delivered, and to which precision (successive approximation
// bit position; 0 is full precision, 0xff not yet sent).
type jpegComponent struct {
	id byte
	al [64]byte
}

// seqReader reads a file sequentially (JPEG markers, GIF blocks), turning
// end-of-file into the format's truncation error.
type seqReader struct {
	br    *bufio.Reader
	trunc *Error
}

func (j *seqReader) fail(err error) error {
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return j.trunc
	}
	var pe *Error
	if errors.As(err, &pe) {
		return err
	}
	return readErr(err)
}

func (j *seqReader) byte() (byte, error) {
	c, err := j.br.ReadByte()
	if err != nil {
		return 0, j.fail(err)
	}
	return c, nil
}

func (j *seqReader) full(b []byte) error {
	if _, err := io.ReadFull(j.br, b); err != nil {
		return j.fail(err)
	}
	return nil
}

func (j *seqReader) discard(n int) error {
	if _, err := j.br.Discard(n); err != nil {
		return j.fail(err)
	}
	return nil
}

// skipEntropy skips entropy-coded data after a scan header and returns the
// marker that ends it (restart markers and stuffed bytes are part of the
// data).
func (j *seqReader) skipEntropy() (byte, error) {
	for {
		if _, err := j.br.ReadSlice(0xff); err != nil {
			if errors.Is(err, bufio.ErrBufferFull) {
				continue
			}
			return 0, j.fail(err)
		}
		c, err := j.byte()
		for err == nil && c == 0xff {
			c, err = j.byte()
		}
		if err != nil {
			return 0, err
		}
		if c == 0 || c >= 0xd0 && c <= 0xd7 {
			continue
		}
		return c, nil
	}
}

// MaxJPEGScans is the most scans (SOS segments) a JPEG may have, as
// render's decoder allows: each scan is a pass over every block of its
// components however few bytes it holds, so more are refused at upload.
const MaxJPEGScans = 100

func isSOF(m byte) bool {
	return m >= 0xc0 && m <= 0xcf && m != 0xc4 && m != 0xc8 && m != 0xcc
}

// inspectJPEG walks every marker segment and the entropy-coded data up to the
// end-of-image marker. It takes the size from the first frame header, the
// orientation from the first APP1 Exif segment, and checks that the scans
// cover every component completely (which catches progressive files cut
// short even when an end-of-image marker was appended).
func inspectJPEG(src *source, _ []byte, info *Info) error {
	j := &seqReader{
		br:    bufio.NewReaderSize(src.sectionReader(), 64<<10),
		trunc: &Error{Reason: "the JPEG file is truncated (no end-of-image marker)"},
	}
	var soi [2]byte
	if err := j.full(soi[:]); err != nil {
		return err
	}
	if soi != [2]byte{0xff, 0xd8} {
		return src.corrupt("no start-of-image marker")
	}
	buf := make([]byte, 0xffff)
	var (
		haveSOF     bool
		progressive bool
		width       int
		height      int
		comps       []jpegComponent
		scans       int
		orientation int
		pending     int = -1
	)
	for {
		var m byte
		if pending >= 0 {
			m, pending = byte(pending), -1
		} else {
			c, err := j.byte()
			if err != nil {
				return err
			}
			for c != 0xff { // tolerate garbage between segments, as decoders do
				if c, err = j.byte(); err != nil {
					return err
				}
			}
			for c == 0xff {
				if c, err = j.byte(); err != nil {
					return err
				}
			}
			if c == 0 {
				continue
			}
			m = c
		}
		if m == 0xd9 { // EOI
			break
		}
		if m == 0xd8 || m == 0x01 || m >= 0xd0 && m <= 0xd7 {
			continue // standalone markers
		}
		if err := j.full(buf[:2]); err != nil {
			return err
		}
		n := int(binary.BigEndian.Uint16(buf)) - 2
		if n < 0 {
			return src.corrupt("invalid segment length")
		}
		switch {
		case isSOF(m) && !haveSOF:
			if err := j.full(buf[:n]); err != nil {
				return err
			}
			seg := buf[:n]
			if len(seg) < 6 {
				return src.corrupt("short frame header")
			}
			switch m {
			case 0xc0, 0xc1, 0xc2:
			case 0xc3, 0xc7, 0xcb, 0xcf:
				return &Error{Reason: "the JPEG file uses lossless coding, which is not supported"}
			case 0xc5, 0xc6, 0xcd, 0xce:
				return &Error{Reason: "the JPEG file uses hierarchical coding, which is not supported"}
			default:
				return &Error{Reason: "the JPEG file uses arithmetic coding, which is not supported"}
			}
			if seg[0] != 8 {
				return errorf("the JPEG file has %d-bit samples; only 8-bit JPEG is supported", seg[0])
			}
			height = int(binary.BigEndian.Uint16(seg[1:]))
			width = int(binary.BigEndian.Uint16(seg[3:]))
			if width == 0 || height == 0 {
				return &Error{Reason: "the JPEG file declares a zero width or height"}
			}
			nc := int(seg[5])
			if nc < 1 || nc > 4 || len(seg) < 6+3*nc {
				return src.corrupt("invalid frame header")
			}
			comps = make([]jpegComponent, nc)
			for i := range comps {
				comps[i].id = seg[6+3*i]
				for k := range comps[i].al {
					comps[i].al[k] = 0xff
				}
			}
			haveSOF, progressive = true, m == 0xc2
		case m == 0xe1 && orientation == 0:
			if err := j.full(buf[:n]); err != nil {
				return err
			}
			if seg := buf[:n]; hasPrefix(seg, "Exif\x00\x00") {
				orientation = ExifOrientation(seg[6:])
			}
		case m == 0xda:
			if !haveSOF {
				return src.corrupt("image data before the frame header")
			}
			if err := j.full(buf[:n]); err != nil {
				return err
			}
			if err := jpegScan(src, buf[:n], comps, progressive); err != nil {
				return err
			}
			if scans++; scans > MaxJPEGScans {
				return errorf("the JPEG file has more than %d scans (progressive JPEGs have about 10), which would take too long to decode", MaxJPEGScans)
			}
			c, err := j.skipEntropy()
			if err != nil {
				return err
			}
			pending = int(c)
		default:
			if err := j.discard(n); err != nil {
				return err
			}
		}
	}
	if !haveSOF || scans == 0 {
		return &Error{Reason: "the JPEG file contains no image data"}
	}
	for _, c := range comps {
		for _, al := range c.al {
			if al != 0 {
				return &Error{Reason: "the JPEG file is truncated (its scans stop before the whole image is coded)"}
			}
		}
	}
	info.Width, info.Height = width, height
	info.applyOrientation(orientation)
	return nil
}

// jpegScan validates a scan header and records the coefficients it codes.
func jpegScan(src *source, seg []byte, comps []jpegComponent, progressive bool) error {
	if len(seg) < 1 {
		return src.corrupt("short scan header")
	}
	ns := int(seg[0])
	if ns < 1 || ns > 4 || len(seg) < 1+2*ns+3 {
		return src.corrupt("invalid scan header")
	}
	ss, se, al := seg[1+2*ns], seg[2+2*ns], seg[3+2*ns]&0x0f
	if !progressive {
		ss, se, al = 0, 63, 0
	} else if se > 63 || ss > se || ss == 0 && se != 0 || ss > 0 && ns != 1 || al > 13 {
		return src.corrupt("invalid progressive scan")
	}
	for i := range ns {
		id := seg[1+2*i]
		found := false
		for ci := range comps {
			if comps[ci].id != id {
				continue
			}
			found = true
			for k := int(ss); k <= int(se); k++ {
				comps[ci].al[k] = min(comps[ci].al[k], al)
			}
			break
		}
		if !found {
			return src.corrupt("a scan refers to an unknown component")
		}
	}
	return nil
}
