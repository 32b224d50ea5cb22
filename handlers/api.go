// Package handlers holds Gallerist's HTTP handlers, one file per resource,
// HTML and /api side by side. They are thin: parse, call a service, render.
package handlers

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"gallerist/data"
	"gallerist/web"

	"github.com/gofiber/fiber/v2"
)

// Deps are the services the handlers use.
type Deps struct {
	Media data.MediaService
	Auth  data.AuthService
	// Renditions serves resized images (nil: originals only).
	Renditions data.RenditionService
	Catalog    data.CatalogService
	Limits     data.Limits

	// Users and Sessions serve the admin UI's accounts; TrashGrace is how long trashed media stay restorable.
	Users      data.UserService
	Sessions   *web.Sessions
	TrashGrace time.Duration

	// PublicURL, if set, is the absolute base of file URLs ("https://cdn.example.com");
	// otherwise URLs are built from the request's scheme and host.
	PublicURL string
}

// Handlers holds the dependencies of every handler.
type Handlers struct {
	Deps
	answers   answerCache
	noAnswers atomic.Bool
}

// New returns the handlers.
func New(d Deps) *Handlers { return &Handlers{Deps: d} }

// Routes is Gallerist's routes table: every route with the scope it needs.
// The web package applies authentication and the scope check to each.
func (h *Handlers) Routes() []web.Route {
	return append(append(h.apiRoutes(), h.fileRoutes()...), h.uiRoutes()...)
}

func (h *Handlers) apiRoutes() []web.Route {
	api := func(method, path string, scope data.Scope, fn fiber.Handler) web.Route {
		return web.Route{Method: method, Path: path, Scope: scope, API: true, Handler: fn}
	}
	r := []web.Route{
		{Method: "GET", Path: "/api/openapi.json", Public: true, API: true, Handler: h.handleOpenAPI},
		{Method: "GET", Path: "/api/ping", Public: true, API: true, Handler: h.handlePing},
		api("GET", "/api/media", data.ScopeMediaRead, h.handleMediaList),
		{Method: "POST", Path: "/api/media", Scope: data.ScopeMediaCreate, API: true, Stream: true, Handler: h.handleMediaCreate},
		api("GET", "/api/media/:id", data.ScopeMediaRead, h.handleMediaGet),
		api("PATCH", "/api/media/:id", data.ScopeMediaUpdate, h.handleMediaPatch),
		api("DELETE", "/api/media/:id", data.ScopeMediaDelete, h.handleMediaDelete),
		api("POST", "/api/media/:id/restore", data.ScopeMediaDelete, h.handleMediaRestore),
		api("GET", "/api/media/:id/usage", data.ScopeMediaRead, h.handleMediaUsage),
		api("GET", "/api/media/:id/download", data.ScopeMediaRead, h.handleMediaOriginal(true)),
		api("HEAD", "/api/media/:id/download", data.ScopeMediaRead, h.handleMediaOriginal(true)),
	}
	return append(r, h.catalogRoutes()...)
}

// handlePing is the trivial JSON endpoint benchmarks compare against.
func (h *Handlers) handlePing(c *fiber.Ctx) error {
	return c.JSON(fiber.Map{"ok": true})
}

// List is the envelope of every list.
type List[T any] struct {
	Data   []T `json:"data"`
	Total  int `json:"total"`
	Limit  int `json:"limit"`
	Offset int `json:"offset"`
}

// pageParams parses limit (1-100, default def) and offset (>= 0).
func pageParams(c *fiber.Ctx, def int) (limit, offset int, err error) {
	limit, offset = def, 0
	if v := c.Query("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 100 {
			return 0, 0, paramError("limit", "limit must be a whole number from 1 to 100.")
		}
		limit = n
	}
	if v := c.Query("offset"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return 0, 0, paramError("offset", "offset must be a whole number, 0 or more.")
		}
		offset = n
	}
	return limit, offset, nil
}

func paramError(name, msg string) *data.Error {
	return data.Errorf(data.ECInvalidParameter, "%s", msg).With("parameter", name)
}

func queryID(c *fiber.Ctx, name string) (int64, error) {
	v := c.Query(name)
	if v == "" {
		return 0, nil
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < 0 {
		return 0, paramError(name, name+" must be a positive whole number.")
	}
	return n, nil
}

func queryBool(c *fiber.Ctx, name string) (*bool, error) {
	switch strings.ToLower(c.Query(name)) {
	case "":
		return nil, nil
	case "true", "1", "yes":
		t := true
		return &t, nil
	case "false", "0", "no":
		f := false
		return &f, nil
	}
	return nil, paramError(name, name+" must be true or false.")
}

// pathID parses a numeric path parameter; anything else is the same 404 as a missing row.
func pathID(c *fiber.Ctx, name, what string) (int64, error) {
	n, err := strconv.ParseInt(c.Params(name), 10, 64)
	if err != nil || n <= 0 {
		return 0, data.NotFound(what)
	}
	return n, nil
}

// fieldsParam parses fields=a,b and checks each against the allowed names.
func fieldsParam(c *fiber.Ctx, allowed []string) ([]string, error) {
	v := c.Query("fields")
	if v == "" {
		return nil, nil
	}
	var out []string
	for _, f := range strings.Split(v, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		ok := false
		for _, a := range allowed {
			if a == f {
				ok = true
			}
		}
		if !ok {
			return nil, paramError("fields", fmt.Sprintf("Unknown field %q in fields; known fields: %s.", f, strings.Join(allowed, ", ")))
		}
		out = append(out, f)
	}
	return out, nil
}

// sparse keeps only the named fields of a JSON-able value (all when fields is empty).
func sparse(v any, fields []string) (any, error) {
	if len(fields) == 0 {
		return v, nil
	}
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, err
	}
	out := make(map[string]json.RawMessage, len(fields))
	for _, f := range fields {
		if raw, ok := m[f]; ok {
			out[f] = raw
		}
	}
	return out, nil
}

// decodeStrict decodes a JSON body into v, rejecting unknown fields (422) and
// malformed JSON (400). The body was bounded by the web layer.
func decodeStrict(c *fiber.Ctx, v any) error {
	body := c.Body()
	if len(bytes.TrimSpace(body)) == 0 {
		return data.Errorf(data.ECEmptyUpdate, "The request body is empty; send a JSON object.")
	}
	if ct := c.Get(fiber.HeaderContentType); ct != "" && !strings.HasPrefix(strings.ToLower(ct), "application/json") {
		return data.Errorf(data.ECUnsupportedContent, "Send the body as application/json.")
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return jsonError(err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return data.Errorf(data.ECInvalidJSON, "Unexpected data after the JSON object.")
	}
	return nil
}

func jsonError(err error) error {
	var ute *json.UnmarshalTypeError
	if errors.As(err, &ute) {
		return data.Errorf(data.ECInvalidField, "The field %q has the wrong type; expected %s.", ute.Field, ute.Type.String()).With("field", ute.Field)
	}
	if msg := err.Error(); strings.HasPrefix(msg, "json: unknown field ") {
		f := strings.Trim(strings.TrimPrefix(msg, "json: unknown field "), `"`)
		return data.Errorf(data.ECUnknownField, "Unknown field %q.", f).With("field", f)
	}
	return data.Errorf(data.ECInvalidJSON, "The request body is not valid JSON: %s.", strings.TrimPrefix(err.Error(), "json: "))
}

// baseURL is the absolute base for URLs in responses.
func (h *Handlers) baseURL(c *fiber.Ctx) string {
	if h.PublicURL != "" {
		return strings.TrimRight(h.PublicURL, "/")
	}
	return c.BaseURL()
}
