package web

import (
	"strconv"
	"strings"

	"gallerist/static"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/compress"
)

// AssetURL is the cache-busting URL of an embedded asset.
func AssetURL(name string) string { return static.URL(name) }

// StaticFiles serves the embedded assets under /static/. A request carrying
// the asset's current hash (?v=) may be cached for a year; others revalidate.
func StaticFiles(c *fiber.Ctx) error {
	name, ok := strings.CutPrefix(c.Path(), "/static/")
	if c.Path() == "/favicon.ico" {
		// Browsers ask for it whatever the page links; answer with the icon.
		name, ok = "favicon.svg", true
	}
	if !ok || (c.Method() != fiber.MethodGet && c.Method() != fiber.MethodHead) {
		return c.Next()
	}
	a := static.Get(name)
	if a == nil {
		return c.Next()
	}
	etag := `"` + a.Hash + `"`
	c.Set(fiber.HeaderETag, etag)
	c.Set(fiber.HeaderVary, "Accept-Encoding")
	if c.Query("v") == a.Hash {
		c.Set(fiber.HeaderCacheControl, "public, max-age=31536000, immutable")
	} else {
		c.Set(fiber.HeaderCacheControl, "public, no-cache")
	}
	if c.Get(fiber.HeaderIfNoneMatch) == etag {
		return c.SendStatus(fiber.StatusNotModified)
	}
	c.Set(fiber.HeaderContentType, a.ContentType)
	body := a.Body
	if strings.Contains(c.Get(fiber.HeaderAcceptEncoding), "gzip") {
		c.Set(fiber.HeaderContentEncoding, "gzip")
		body = a.Gzip
	}
	if c.Method() == fiber.MethodHead {
		c.Set(fiber.HeaderContentLength, strconv.Itoa(len(body)))
		return nil
	}
	return c.Send(body)
}

// CompressPages gzips HTML pages and fragments (not files, downloads or the API).
func CompressPages() fiber.Handler {
	return compress.New(compress.Config{Level: compress.LevelDefault, Next: func(c *fiber.Ctx) bool {
		return !usesSession(c) || strings.HasSuffix(c.Path(), "/download") || strings.HasSuffix(c.Path(), "/file") ||
			c.Method() != fiber.MethodGet && c.Method() != fiber.MethodPost
	}})
}
