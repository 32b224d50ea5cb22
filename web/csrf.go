package web

import (
	"bufio"
	"bytes"
	"crypto/subtle"
	"io"
	"mime"
	"mime/multipart"
	"net/url"
	"unicode"
	"unicode/utf8"

	"gallerist/data"

	"github.com/gofiber/fiber/v2"
)

// CSRFField is the form field carrying the CSRF token; htmx sends it as the
// CSRFHeader instead (hx-headers on <body>).
const (
	CSRFField  = "_csrf"
	CSRFHeader = "X-CSRF-Token"
)

var errCSRF = data.Errorf(data.ECCSRF, "This form has expired or did not come from Gallerist. Reload the page and try again.")

// CSRF refuses state-changing browser requests (anything but GET, HEAD,
// OPTIONS outside /api) that do not carry the session's CSRF token in the
// X-CSRF-Token header or the _csrf form field. Multipart uploads are streamed,
// so there the field must come first (the no-JavaScript upload form puts it
// before the file input); it is read without consuming the body, and never
// from the URL, where tokens leak into logs and Referer headers. It runs
// after Sessions.Middleware. API requests are exempt:
// they authenticate with a bearer token, never a cookie.
func CSRF(maxBody int64) fiber.Handler {
	return func(c *fiber.Ctx) error {
		switch c.Method() {
		case fiber.MethodGet, fiber.MethodHead, fiber.MethodOptions:
			return c.Next()
		}
		if !usesSession(c) {
			return c.Next()
		}
		want := CSRFToken(c)
		got := c.Get(CSRFHeader)
		if got == "" {
			mt, params, _ := mime.ParseMediaType(c.Get(fiber.HeaderContentType))
			switch mt {
			case "application/x-www-form-urlencoded":
				if err := BufferBody(c, maxBody); err != nil {
					return err
				}
				got = c.FormValue(CSRFField)
			case "multipart/form-data":
				got = multipartToken(c, params["boundary"])
			}
		}
		if want == "" || len(got) != len(want) || subtle.ConstantTimeCompare([]byte(got), []byte(want)) != 1 {
			return errCSRF
		}
		return c.Next()
	}
}

// csrfPeek bounds how far into a multipart body the token field may start:
// far more than a boundary, the part's headers and a token need.
const csrfPeek = 4 << 10

// multipartToken returns the value of the _csrf field when it is the first
// part of the multipart body, or "". It peeks at most csrfPeek bytes and
// hands the handler a reader that still starts at the beginning of the body.
func multipartToken(c *fiber.Ctx, boundary string) string {
	var head []byte
	if c.Context().RequestBodyStream() == nil {
		head = c.Body()
	} else {
		br := bufio.NewReaderSize(Body(c), csrfPeek)
		head, _ = br.Peek(csrfPeek) // a shorter body peeks what there is
		c.Locals(bodyLocal, io.Reader(br))
	}
	if boundary == "" {
		return ""
	}
	part, err := multipart.NewReader(bytes.NewReader(head), boundary).NextPart()
	if err != nil || part.FormName() != CSRFField || part.FileName() != "" {
		return ""
	}
	v, err := io.ReadAll(io.LimitReader(part, 256))
	if err != nil {
		return ""
	}
	return string(v)
}

// BufferBody reads a streamed request body whole, at most maxBody bytes (413
// beyond), so Fiber's body and form accessors never pull an unbounded stream
// into memory. An already buffered body is left as it is.
func BufferBody(c *fiber.Ctx, maxBody int64) error {
	stream := c.Context().RequestBodyStream()
	if stream == nil {
		return nil
	}
	buf, err := io.ReadAll(io.LimitReader(Body(c), maxBody+1))
	if err != nil {
		return data.Errorf(data.ECBadRequest, "The request body could not be read.")
	}
	if int64(len(buf)) > maxBody {
		return data.Errorf(data.ECTooLarge, "The request body is larger than %s.", data.HumanBytes(maxBody))
	}
	c.Request().SetBody(buf)
	return nil
}

// SafeReturn returns p when it is a clean local absolute path to go back to
// (after login, a form, a dialog's Cancel), or def otherwise. Only a path
// that starts with exactly one "/" and parses as a bare path (no scheme, no
// host) passes; anything a browser could read as another site is refused:
// "//host" and "/\\host" (both scheme-relative to browsers), "/\t/host"
// (browsers drop tabs and line breaks anywhere, leaving "//host"), leading
// spaces, any backslash or control character, and the same tricks
// percent-encoded in the path ("/%2F/host", "/%09/host").
func SafeReturn(p, def string) string {
	if !localPath(p) {
		return def
	}
	u, err := url.Parse(p)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil || u.Opaque != "" || !localPath(u.Path) {
		return def
	}
	return p
}

// localPath reports whether p is valid UTF-8, starts with a single "/" and
// holds no backslash or control character.
func localPath(p string) bool {
	if len(p) == 0 || p[0] != '/' || (len(p) > 1 && (p[1] == '/' || p[1] == '\\')) || !utf8.ValidString(p) {
		return false
	}
	for _, r := range p {
		if r == '\\' || unicode.IsControl(r) {
			return false
		}
	}
	return true
}
