package storage

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"os"
	"strings"

	"gallerist/data"
	"gallerist/data/probe"
	"gallerist/data/render"
)

// errOverLimit marks a copy that passed its byte limit.
var errOverLimit = errors.New("over limit")

// Stage streams src into a temporary file while hashing it, identifies the
// bytes, enforces the per-kind size limit as soon as it is passed, and probes
// dimensions and duration from headers (never decoding pixels). On any error
// the temporary file is gone. The staged file belongs to ctx's staging scope
// if it has one (data.WithStaging); otherwise the caller discards it.
func (s *MediaService) Stage(ctx context.Context, src io.Reader, filename string) (st *data.Staged, err error) {
	original := data.SanitizeFilename(filename)
	display := original
	f, err := s.staging.CreateTemp()
	if err != nil {
		return nil, diskFull(err)
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(f.Name())
			err = diskFull(err)
		}
	}()

	head := make([]byte, probe.HeadSize)
	n, rerr := io.ReadFull(src, head)
	head = head[:n]
	if rerr != nil && !errors.Is(rerr, io.EOF) && !errors.Is(rerr, io.ErrUnexpectedEOF) {
		return nil, rerr
	}
	name := display
	if name == "" {
		name = "The file"
	}
	if n == 0 {
		return nil, data.Errorf(data.ECEmptyFile, "%s is empty (0 bytes).", name).With("filename", original)
	}
	t := probe.Sniff(head)
	if !t.Accepted {
		return nil, unsupported(name, original, t)
	}
	kind := data.Kind(t.Kind)
	limit := s.limits.MaxBytes(kind)

	h := sha256.New()
	w := io.MultiWriter(f, h)
	if _, err := w.Write(head); err != nil {
		return nil, err
	}
	size := int64(n)
	if size > limit {
		return nil, tooLarge(name, original, kind, limit)
	}
	if rerr == nil {
		copied, err := io.Copy(w, &limitedReader{r: src, n: limit - size})
		size += copied
		if errors.Is(err, errOverLimit) {
			return nil, tooLarge(name, original, kind, limit)
		}
		if err != nil {
			return nil, err
		}
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err := f.Sync(); err != nil {
		return nil, err
	}

	info, err := probe.Inspect(f, size, t)
	if err != nil {
		var pe *probe.Error
		if errors.As(err, &pe) {
			return nil, data.Errorf(data.ECCorruptFile, "%s could not be read: %s.", name, strings.TrimSuffix(pe.Reason, ".")).With("filename", original)
		}
		return nil, err
	}
	if !info.Type.Accepted {
		return nil, unsupported(name, original, info.Type)
	}
	kind = data.Kind(info.Type.Kind)
	if size > s.limits.MaxBytes(kind) {
		return nil, tooLarge(name, original, kind, s.limits.MaxBytes(kind))
	}
	if kind == data.KindImage {
		if info.Width <= 0 || info.Height <= 0 {
			return nil, data.Errorf(data.ECCorruptFile, "%s has no readable image size.", name).With("filename", original)
		}
		if info.Width > s.limits.MaxSide || info.Height > s.limits.MaxSide || int64(info.Width)*int64(info.Height) > s.limits.MaxPixels {
			return nil, data.Errorf(data.ECTooManyPixels,
				"%s is %d×%d pixels; images may be at most %d pixels on a side and %d megapixels in all. Resize it and try again.",
				name, info.Width, info.Height, s.limits.MaxSide, s.limits.MaxPixels/1_000_000).
				With("filename", original).With("width", info.Width).With("height", info.Height)
		}
	}
	sum := hex.EncodeToString(h.Sum(nil))
	if info.Type.MIME == "image/jpeg" && s.StripLocation {
		stripped, n, ssum, err := s.stripLocation(f)
		if isDiskFull(err) {
			return nil, err
		}
		if err != nil {
			return nil, data.Errorf(data.ECCorruptFile, "%s could not be read: its metadata is malformed.", name).With("filename", original)
		}
		f.Close()
		os.Remove(f.Name())
		f, size, sum = stripped, n, ssum
	}
	if err := f.Close(); err != nil {
		return nil, err
	}
	if display == "" {
		display = "untitled." + info.Type.Ext
	}
	st = &data.Staged{
		OriginalFilename: original,
		Filename:         display,
		Kind:             kind,
		MIMEType:         info.Type.MIME,
		Size:             size,
		SHA256:           sum,
		Width:            info.Width,
		Height:           info.Height,
		DurationMS:       info.DurationMS,
		Handle:           f.Name(),
	}
	data.OwnStaged(ctx, st, s.Discard) // the request's scope discards it unless CreateMedia takes it
	return st, nil
}

// stripLocation copies a staged JPEG without its GPS and other location
// metadata, losslessly (the compressed image data is copied byte for byte),
// into a new staging file, and returns it with its size and hash.
func (s *MediaService) stripLocation(src *os.File) (*os.File, int64, string, error) {
	if _, err := src.Seek(0, io.SeekStart); err != nil {
		return nil, 0, "", err
	}
	dst, err := s.staging.CreateTemp()
	if err != nil {
		return nil, 0, "", err
	}
	h := sha256.New()
	cw := &countWriter{w: io.MultiWriter(dst, h)}
	err = render.StripJPEGLocation(bufio.NewReaderSize(src, 64<<10), cw)
	if err == nil {
		err = dst.Sync()
	}
	if err != nil {
		dst.Close()
		os.Remove(dst.Name())
		return nil, 0, "", err
	}
	return dst, cw.n, hex.EncodeToString(h.Sum(nil)), nil
}

type countWriter struct {
	w io.Writer
	n int64
}

func (c *countWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

// Discard removes a staged file's temporary copy.
func (s *MediaService) Discard(st *data.Staged) {
	if st == nil {
		return
	}
	if p, ok := st.Handle.(string); ok && p != "" {
		os.Remove(p)
		st.Handle = ""
	}
}

func unsupported(name, original string, t probe.Type) *data.Error {
	label := t.Label
	if label == "" {
		label = "unknown data"
	}
	return data.Errorf(data.ECUnsupportedType,
		"%s is %s %s, which Gallerist does not accept. Upload a JPEG, PNG, GIF or WebP image, a PDF, Word or Excel document, an MP4, MOV or WebM video, or an MP3.",
		name, article(label), label).
		With("filename", original).With("detected", label).With("detected_mime_type", t.MIME)
}

func article(s string) string {
	if s == "" {
		return "a"
	}
	switch strings.ToLower(s[:1]) {
	case "a", "e", "i", "o", "u", "h":
		if strings.HasPrefix(s, "HTML") || strings.HasPrefix(s, "HEIC") {
			return "an"
		}
		if strings.ContainsAny(strings.ToLower(s[:1]), "aeiou") {
			return "an"
		}
	case "m", "s", "x", "f", "l", "r", "n":
		// Acronyms read letter by letter: "an MP4", "an SVG", "an XML".
		if len(s) > 1 && s[1] >= 'A' && s[1] <= 'Z' {
			return "an"
		}
	}
	return "a"
}

func tooLarge(name, original string, kind data.Kind, limit int64) *data.Error {
	return data.Errorf(data.ECTooLarge, "%s is larger than the %s limit for %s.", name, data.HumanBytes(limit), kind.Plural()).
		With("filename", original).With("limit_bytes", limit)
}

// limitedReader reads at most n bytes and fails with errOverLimit when more follow.
type limitedReader struct {
	r io.Reader
	n int64
}

func (l *limitedReader) Read(p []byte) (int, error) {
	if l.n <= 0 {
		var one [1]byte
		k, err := l.r.Read(one[:])
		if k > 0 {
			return 0, errOverLimit
		}
		if err == nil {
			return 0, nil
		}
		return 0, err
	}
	if int64(len(p)) > l.n {
		p = p[:l.n]
	}
	k, err := l.r.Read(p)
	l.n -= int64(k)
	return k, err
}
