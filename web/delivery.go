package web

import (
	"fmt"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"time"

	"gallerist/data"

	"github.com/gofiber/fiber/v2"
)

// FileResponse describes stored bytes to send.
type FileResponse struct {
	Blob        data.Blob
	ContentType string
	ETag        string // strong validator without quotes, e.g. the content hash
	Immutable   bool   // content-addressed: cache for a year
	Attachment  bool   // Content-Disposition: attachment
	Filename    string // for Content-Disposition
	// Modified is sent as Last-Modified (default: the blob's time). Files
	// shared by several organizations send the item's own time, so it does
	// not tell when someone else stored the same bytes.
	Modified time.Time
	// Public files (/files/...) may be answered with a 302 to where their
	// store serves them (--blobs-redirect); logged-in downloads never are.
	Public bool
}

// SendFile answers GET and HEAD for stored bytes with ETag/If-None-Match
// (304), single byte ranges (206/416), safe headers and streaming.
// It takes ownership of f.Blob and closes it.
func SendFile(c *fiber.Ctx, f FileResponse) error {
	size := f.Blob.Size()
	etag := `"` + f.ETag + `"`
	h := &c.Response().Header
	h.Set("ETag", etag)
	h.Set("Accept-Ranges", "bytes")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; sandbox")
	h.Set("Cross-Origin-Resource-Policy", "cross-origin")
	if f.Immutable {
		h.Set("Cache-Control", "public, max-age=31536000, immutable")
	} else {
		h.Set("Cache-Control", "private, no-cache")
	}
	modified := f.Modified
	if modified.IsZero() {
		modified = f.Blob.ModTime()
	}
	h.Set("Last-Modified", modified.UTC().Format(http.TimeFormat))
	ct := f.ContentType
	if ct == "" {
		ct = "application/octet-stream"
	}
	h.Set("Content-Type", ct)
	disposition := ""
	if f.Attachment || f.Filename != "" {
		disposition = ContentDisposition(f.Attachment, f.Filename)
		h.Set("Content-Disposition", disposition)
	}

	if inm := c.Get(fiber.HeaderIfNoneMatch); inm != "" && etagMatch(inm, etag) {
		f.Blob.Close()
		c.Status(http.StatusNotModified)
		return nil
	}
	if r, ok := f.Blob.(data.Redirector); ok && f.Public {
		loc, cacheFor, err := r.Redirect(c.Method() == fiber.MethodHead, ct, disposition)
		if err != nil || loc != "" {
			f.Blob.Close()
		}
		if err != nil {
			return err
		}
		if loc != "" {
			sendRedirect(c, loc, cacheFor)
			return nil
		}
	}
	start, length, status := int64(0), size, http.StatusOK
	if rg := c.Get(fiber.HeaderRange); rg != "" && (c.Get(fiber.HeaderIfRange) == "" || c.Get(fiber.HeaderIfRange) == etag) {
		s, l, ok := parseRange(rg, size)
		switch {
		case ok:
			start, length, status = s, l, http.StatusPartialContent
			h.Set("Content-Range", fmt.Sprintf("bytes %d-%d/%d", s, s+l-1, size))
		case s == -1:
			f.Blob.Close()
			h.Set("Content-Range", fmt.Sprintf("bytes */%d", size))
			h.Del("Content-Type")
			c.Status(http.StatusRequestedRangeNotSatisfiable)
			return nil
		}
	}
	c.Status(status)
	if c.Method() == fiber.MethodHead {
		f.Blob.Close()
		c.Response().SkipBody = true
		h.SetContentLength(int(length))
		return nil
	}
	if _, err := f.Blob.Seek(start, io.SeekStart); err != nil {
		f.Blob.Close()
		return err
	}
	if rl, ok := f.Blob.(data.RangeLimiter); ok {
		rl.LimitRange(start + length)
	}
	c.Response().SetBodyStream(&limitedCloser{r: io.LimitReader(f.Blob, length), c: f.Blob}, int(length))
	return nil
}

// sendRedirect answers 302 to where the store serves the bytes itself. The
// answer is cached only briefly (a presigned URL expires; a deleted file
// must stop being sent), and says nothing about the bytes: no validators,
// type or length of its own.
func sendRedirect(c *fiber.Ctx, loc string, cacheFor time.Duration) {
	h := &c.Response().Header
	for _, k := range []string{"ETag", "Accept-Ranges", "Last-Modified", "Content-Type", "Content-Disposition", "Content-Range"} {
		h.Del(k)
	}
	if s := int(cacheFor / time.Second); s > 0 {
		h.Set("Cache-Control", "private, max-age="+strconv.Itoa(s))
	} else {
		h.Set("Cache-Control", "no-store")
	}
	h.Set("Location", loc)
	c.Status(http.StatusFound)
	c.Response().SkipBody = c.Method() == fiber.MethodHead
}

type limitedCloser struct {
	r io.Reader
	c io.Closer
}

func (l *limitedCloser) Read(p []byte) (int, error) { return l.r.Read(p) }
func (l *limitedCloser) Close() error               { return l.c.Close() }

func etagMatch(header, etag string) bool {
	for _, part := range strings.Split(header, ",") {
		part = strings.TrimSpace(part)
		if part == "*" || strings.TrimPrefix(part, "W/") == etag {
			return true
		}
	}
	return false
}

// parseRange parses a single "bytes=" range. ok=false with start=-1 means
// unsatisfiable; ok=false with start=0 means ignore the header (serve whole).
func parseRange(h string, size int64) (start, length int64, ok bool) {
	spec, found := strings.CutPrefix(h, "bytes=")
	if !found || strings.Contains(spec, ",") {
		return 0, 0, false
	}
	a, b, found := strings.Cut(strings.TrimSpace(spec), "-")
	if !found {
		return 0, 0, false
	}
	if a == "" {
		n, err := strconv.ParseInt(b, 10, 64)
		if err != nil || n <= 0 {
			return -1, 0, false
		}
		n = min(n, size)
		return size - n, n, size > 0
	}
	s, err := strconv.ParseInt(a, 10, 64)
	if err != nil || s < 0 {
		return 0, 0, false
	}
	if s >= size {
		return -1, 0, false
	}
	e := size - 1
	if b != "" {
		e, err = strconv.ParseInt(b, 10, 64)
		if err != nil || e < s {
			return 0, 0, false
		}
		e = min(e, size-1)
	}
	return s, e - s + 1, true
}

// ContentDisposition builds the header with an ASCII fallback and an RFC 5987
// UTF-8 filename, so any display name survives the trip.
func ContentDisposition(attachment bool, filename string) string {
	kind := "inline"
	if attachment {
		kind = "attachment"
	}
	if filename == "" {
		return kind
	}
	ascii := make([]rune, 0, len(filename))
	for _, r := range filename {
		if r < 0x20 || r > 0x7e || r == '"' || r == '\\' || r == '%' || r == ';' {
			r = '_'
		}
		ascii = append(ascii, r)
	}
	return mime.FormatMediaType(kind, map[string]string{"filename": string(ascii)}) + "; filename*=UTF-8''" + pathEscapeRFC5987(filename)
}

func pathEscapeRFC5987(s string) string {
	var b strings.Builder
	for _, c := range []byte(s) {
		if (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || strings.IndexByte("!#$&+-.^_`|~", c) >= 0 {
			b.WriteByte(c)
		} else {
			fmt.Fprintf(&b, "%%%02X", c)
		}
	}
	return b.String()
}

// FormatTime renders times the API's way: RFC 3339, UTC, milliseconds.
func FormatTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") }
