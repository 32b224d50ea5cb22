// Package probe identifies uploaded files by their bytes and reads their
// dimensions and durations from headers, without decoding pixel data.
//
// It never trusts a file name or a client-supplied Content-Type. The upload
// pipeline peeks at the first HeadSize bytes and calls Sniff; if the type is
// accepted it calls Inspect with random access to the whole file. Inspect
// validates the structure cheaply (truncation, corrupt containers), refines
// provisional container types (ZIP to DOCX/XLSX, OLE compound files to
// DOC/XLS) and reports width, height, duration, EXIF orientation and frame
// count where they apply.
//
// Every length read from a file is checked against the file size and capped
// before anything is allocated, and every loop over file structures is
// bounded, so hostile input can neither panic nor exhaust memory.
package probe

import (
	"errors"
	"fmt"
	"io"
)

// HeadSize is how many leading bytes Sniff wants (the caller peeks this many,
// or fewer if the file is shorter).
const HeadSize = 8192

// Type is what the bytes are.
type Type struct {
	// MIME is the sniffed MIME type, e.g. "image/jpeg"; for rejected types it
	// is the best guess ("image/svg+xml", "text/html", "application/octet-stream").
	MIME string
	// Kind is "image", "video", "audio" or "document"; "" when not accepted.
	Kind string
	// Ext is the canonical extension without dot ("jpg", "png", "gif", "webp",
	// "pdf", "doc", "docx", "xls", "xlsx", "mp4", "mov", "m4a", "webm", "mp3");
	// provisional container types use "zip" and "cfb"; "" when not accepted.
	Ext string
	// Label is human words for messages: "JPEG image", "SVG image",
	// "HTML document", "HEIC photo", "ZIP archive", "empty file"...
	Label string
	// Accepted reports whether uploads of this type are allowed.
	Accepted bool
}

// Info is what Inspect learned.
type Info struct {
	// Type is the type passed to Inspect, possibly refined (DOCX/XLSX from
	// ZIP, DOC/XLS from CFB, audio-only MP4 to M4A) or turned into a
	// rejected type (a plain ZIP, a PowerPoint file, FLAC behind an ID3 tag).
	Type Type
	// Width and Height are the display size of images (after applying the
	// EXIF orientation: orientations 5..8 swap them) and videos (after
	// applying a 90/270-degree track rotation).
	Width  int
	Height int
	// DurationMS is the duration of video and audio in milliseconds, 0 when
	// the file does not say.
	DurationMS int64
	// Orientation is the EXIF orientation 1..8 (JPEG, and PNG/WebP with
	// EXIF); 1 when absent.
	Orientation int
	// Frames is the number of frames of GIF, WebP and PNG/APNG images (1
	// for a still one); 0 for JPEG and for other kinds.
	Frames int
}

// Error is a problem with the file's content (corrupt, truncated, mismatched
// or of a type that is not accepted). Reason is a sentence fragment for a
// person, e.g. "the JPEG file is truncated (no end-of-image marker)".
type Error struct{ Reason string }

// Error returns the Reason.
func (e *Error) Error() string { return e.Reason }

func errorf(format string, args ...any) *Error {
	return &Error{Reason: fmt.Sprintf(format, args...)}
}

// maxRead caps any single in-memory read; callers cap lengths read from the
// file well below it, this is a last line of defence.
const maxRead = 16 << 20

// source is random access to the file being inspected.
type source struct {
	r    io.ReaderAt
	size int64
	what string // e.g. "JPEG file", for messages
	// budget bounds the structures a walk may visit in all (used by the
	// ISO BMFF walker, whose nesting multiplies per-container limits).
	budget int
}

// truncated is the error for reads past the end of the file.
func (s *source) truncated() *Error {
	return errorf("the %s is truncated", s.what)
}

// corrupt is the error for structurally invalid content.
func (s *source) corrupt(detail string) *Error {
	return errorf("the %s is corrupt (%s)", s.what, detail)
}

// at reads exactly n bytes at off. Reading past the end of the file is a
// truncation *Error; other read failures are returned wrapped, not as *Error.
func (s *source) at(off int64, n int) ([]byte, error) {
	if n < 0 || off < 0 || off > s.size || int64(n) > s.size-off {
		return nil, s.truncated()
	}
	if n > maxRead {
		return nil, s.corrupt("a structure is implausibly large")
	}
	b := make([]byte, n)
	if err := s.fill(b, off); err != nil {
		return nil, err
	}
	return b, nil
}

// fill reads len(b) bytes at off into b.
func (s *source) fill(b []byte, off int64) error {
	m, err := s.r.ReadAt(b, off)
	if m == len(b) {
		return nil
	}
	if err == nil || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return s.truncated()
	}
	return readErr(err)
}

// readErr wraps an I/O failure of the underlying reader. End-of-file
// conditions are reported by callers as truncation instead.
func readErr(err error) error {
	return fmt.Errorf("probe: reading file: %w", err)
}

// sectionReader reads the whole file sequentially.
func (s *source) sectionReader() *io.SectionReader {
	return io.NewSectionReader(s.r, 0, s.size)
}

// Inspect reads the complete file through r (random access, size bytes) and
// returns Info. It never decodes pixel data: image sizes come from headers.
//
// t must be what Sniff returned for the file's first bytes; Inspect sniffs
// again and reports a mismatch as *Error. It returns *Error for corrupt,
// truncated or mismatched content, and also when the refined type is not
// accepted (for instance a ZIP that is not a Word or Excel file); Info.Type
// then describes what was found. Failures of r itself are returned as
// other errors.
func Inspect(r io.ReaderAt, size int64, t Type) (Info, error) {
	info := Info{Type: t, Orientation: 1}
	if r == nil || size < 0 {
		return info, errors.New("probe: Inspect needs a reader and a non-negative size")
	}
	if size == 0 {
		info.Type = typeEmpty
		return info, &Error{Reason: "the file is empty"}
	}
	src := &source{r: r, size: size, what: "file"}
	head, err := src.at(0, int(min(size, HeadSize)))
	if err != nil {
		return info, err
	}
	if got := Sniff(head); got != t {
		return info, errorf("the file's content (%s) does not match the expected type (%s)", got.Label, t.Label)
	}
	if !t.Accepted {
		return info, errorf("%s files are not accepted", t.Label)
	}
	var fn func(*source, []byte, *Info) error
	switch t {
	case typeJPEG:
		src.what, fn = "JPEG file", inspectJPEG
	case typePNG:
		src.what, fn = "PNG file", inspectPNG
	case typeGIF:
		src.what, fn = "GIF file", inspectGIF
	case typeWebP:
		src.what, fn = "WebP file", inspectWebP
	case typePDF:
		src.what, fn = "PDF file", inspectPDF
	case typeCFB:
		src.what, fn = "Office file", inspectCFB
	case typeZIP:
		src.what, fn = "ZIP file", inspectZIP
	case typeMP4, typeMOV, typeM4A:
		src.what, fn = "video file", inspectISOBMFF
		if t == typeM4A {
			src.what = "audio file"
		}
	case typeWebM:
		src.what, fn = "WebM file", inspectWebM
	case typeMP3:
		src.what, fn = "MP3 file", inspectMP3
	default:
		return info, errorf("%s files cannot be inspected", t.Label)
	}
	if err := fn(src, head, &info); err != nil {
		return info, err
	}
	return info, nil
}

// applyOrientation records an EXIF orientation and swaps width and height
// for the transposing orientations 5..8.
func (info *Info) applyOrientation(o int) {
	if o < 1 || o > 8 {
		o = 1
	}
	info.Orientation = o
	if o >= 5 {
		info.Width, info.Height = info.Height, info.Width
	}
}
