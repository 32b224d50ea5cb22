package web

import (
	"encoding/json"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"time"

	"gallerist/data"

	"github.com/gofiber/fiber/v2"
	"github.com/valyala/fasthttp"
)

// routePattern is one route's path split into segments (":name" matches any
// one non-empty segment), with the methods registered for it.
type routePattern struct {
	segs    []string
	methods []string
}

// methodIndex answers which methods a path has routes for, so a known path
// asked with the wrong method gets 405 and an Allow header, not 404.
type methodIndex []routePattern

func splitPath(p string) []string {
	return strings.Split(strings.Trim(strings.ToLower(p), "/"), "/")
}

func newMethodIndex(routes []Route) methodIndex {
	var idx methodIndex
	for _, r := range routes {
		segs := splitPath(r.Path)
		i := slices.IndexFunc(idx, func(p routePattern) bool { return slices.Equal(p.segs, segs) })
		if i < 0 {
			idx = append(idx, routePattern{segs: segs})
			i = len(idx) - 1
		}
		idx[i].methods = append(idx[i].methods, r.Method)
		if r.Method == fiber.MethodGet {
			idx[i].methods = append(idx[i].methods, fiber.MethodHead)
		}
	}
	for i := range idx {
		slices.Sort(idx[i].methods)
		idx[i].methods = slices.Compact(idx[i].methods)
	}
	return idx
}

func (p routePattern) matches(segs []string) bool {
	if len(p.segs) != len(segs) {
		return false
	}
	for i, s := range p.segs {
		if strings.HasPrefix(s, ":") {
			if segs[i] == "" {
				return false
			}
		} else if s != segs[i] {
			return false
		}
	}
	return true
}

// allowed lists the methods path has routes for ("" when none), as an
// Allow header spells them.
func (idx methodIndex) allowed(path string) string {
	segs := splitPath(path)
	var methods []string
	for _, p := range idx {
		if p.matches(segs) {
			methods = append(methods, p.methods...)
		}
	}
	if len(methods) == 0 {
		return ""
	}
	slices.Sort(methods)
	return strings.Join(slices.Compact(methods), ", ")
}

// errUnknownMethod answers a method Fiber does not route (WEIRD1, PROPFIND):
// 501 as RFC 9110 says for a method the server does not recognize (405 is
// for a known method a path does not take).
var errUnknownMethod = data.Errorf(data.ECNotImplemented, "This server does not implement that request method.")

// unknownMethod answers a request whose method Fiber does not know (it
// would answer 400 before any middleware ran, unlogged and uncounted):
// 501 in the API's JSON shape, with a request id, counted and logged as
// method "other", route "unmatched". The connection is closed, since a
// body we do not read may follow.
func (s *Server) unknownMethod(ctx *fasthttp.RequestCtx) {
	start := time.Now()
	id := requestID(string(ctx.Request.Header.Peek(HeaderRequestID)))
	body, _ := json.Marshal(errorBody(errUnknownMethod))
	ctx.Response.Header.Set(HeaderRequestID, id)
	ctx.Response.Header.Set("X-Content-Type-Options", "nosniff")
	ctx.SetConnectionClose()
	ctx.SetStatusCode(http.StatusNotImplemented)
	ctx.SetContentType(fiber.MIMEApplicationJSON)
	ctx.SetBody(body)
	if s.metrics != nil {
		s.metrics.observe("other", "unmatched", http.StatusNotImplemented, time.Since(start))
	}
	s.log.LogAttrs(ctx, slog.LevelInfo, "request", slog.String("method", "other"), slog.String("route", "unmatched"),
		slog.Int("status", http.StatusNotImplemented), slog.Duration("duration", time.Since(start)), slog.Int("bytes", len(body)),
		slog.String("client", ctx.RemoteIP().String()), slog.String("request_id", id))
}
