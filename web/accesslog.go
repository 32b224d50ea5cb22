package web

import (
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"time"

	"github.com/gofiber/fiber/v2"
)

// HeaderRequestID carries a request's id: the client's when it sends a sane
// one (a proxy's, say), else a new one; answered back either way and written
// in the access log, so a merchant's report can be matched to a log line.
const HeaderRequestID = "X-Request-Id"

const requestIDLocal = "gallerist.request_id"

// requestID keeps a client's id of 1 to 64 letters, digits, '.', '_' or
// '-', and makes a new one otherwise (never echo arbitrary bytes into logs).
func requestID(given string) string {
	ok := len(given) > 0 && len(given) <= 64
	for i := 0; ok && i < len(given); i++ {
		b := given[i]
		ok = b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' || b >= '0' && b <= '9' || b == '.' || b == '_' || b == '-'
	}
	if ok {
		return given
	}
	var b [8]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// RequestID is the id of the request being served.
func RequestID(c *fiber.Ctx) string {
	id, _ := c.Locals(requestIDLocal).(string)
	return id
}

// accessLog writes one line per request once it is answered (and counts it
// in the metrics): method, route
// pattern (not the path, so ids and file keys stay out of the log), status,
// duration, bytes sent, who (actor and organization), client address and
// request id. It answers a failed request itself, through the one error
// handler, so that the line carries the status the client got.
func (s *Server) accessLog(c *fiber.Ctx) error {
	start := time.Now()
	id := requestID(c.Get(HeaderRequestID))
	c.Locals(requestIDLocal, id)
	c.Set(HeaderRequestID, id)
	if err := c.Next(); err != nil {
		if herr := s.handleError(c, err); herr != nil {
			c.Status(fiber.StatusInternalServerError)
		}
	}
	route, status, took := routeLabel(c), c.Response().StatusCode(), time.Since(start)
	if s.metrics != nil {
		s.metrics.observe(c.Method(), route, status, took)
	}
	attrs := []slog.Attr{
		slog.String("method", c.Method()),
		slog.String("route", route),
		slog.Int("status", status),
		slog.Duration("duration", took),
		slog.Int("bytes", bodySize(c)),
		slog.String("client", ClientIP(c)),
		slog.String("request_id", id),
	}
	if p, ok := PrincipalOf(c); ok {
		attrs = append(attrs, slog.String("actor", p.Actor), slog.Int64("org", p.OrgID))
	}
	s.log.LogAttrs(c.UserContext(), slog.LevelInfo, "request", attrs...)
	return nil
}

// bodySize is the answer's body size. A streamed body (a file) is measured
// by its header: Body() would read the whole stream into memory.
func bodySize(c *fiber.Ctx) int {
	if c.Response().IsBodyStream() {
		return max(0, c.Response().Header.ContentLength())
	}
	return len(c.Response().Body())
}
