package web

import (
	"crypto/subtle"
	"io"
	"mime"
	"strings"

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
// so a no-JavaScript upload form carries the token in its action's query
// string instead. It runs after Sessions.Middleware. API requests are exempt:
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
			mt, _, _ := mime.ParseMediaType(c.Get(fiber.HeaderContentType))
			switch mt {
			case "application/x-www-form-urlencoded":
				if err := BufferBody(c, maxBody); err != nil {
					return err
				}
				got = c.FormValue(CSRFField)
			case "multipart/form-data":
				got = c.Query(CSRFField)
			}
		}
		if want == "" || len(got) != len(want) || subtle.ConstantTimeCompare([]byte(got), []byte(want)) != 1 {
			return errCSRF
		}
		return c.Next()
	}
}

// BufferBody reads a streamed request body whole, at most maxBody bytes (413
// beyond), so Fiber's body and form accessors never pull an unbounded stream
// into memory. An already buffered body is left as it is.
func BufferBody(c *fiber.Ctx, maxBody int64) error {
	stream := c.Context().RequestBodyStream()
	if stream == nil {
		return nil
	}
	buf, err := io.ReadAll(io.LimitReader(stream, maxBody+1))
	if err != nil {
		return data.Errorf(data.ECBadRequest, "The request body could not be read.")
	}
	if int64(len(buf)) > maxBody {
		return data.Errorf(data.ECTooLarge, "The request body is larger than %s.", data.HumanBytes(maxBody))
	}
	c.Request().SetBody(buf)
	return nil
}

// SafeReturn returns a local path to go back to, or def when p is not one
// (absolute URLs and "//host" would send people elsewhere).
func SafeReturn(p, def string) string {
	if p == "" || !strings.HasPrefix(p, "/") || strings.HasPrefix(p, "//") || strings.HasPrefix(p, "/\\") || strings.ContainsAny(p, "\r\n") {
		return def
	}
	return p
}
