package web

import (
	"fmt"
	"net/url"
	"strings"

	"github.com/gofiber/fiber/v2"
)

// cors lets the pages of chosen origins (a storefront, a browser app) call
// /api and read /files. Off unless origins are configured. The API
// authenticates with bearer tokens, never cookies, so credentials are never
// allowed: not for a listed origin and not for the wildcard.
type cors struct {
	any     bool
	origins map[string]bool
}

// The request headers a cross-origin page may send, and the response
// headers its script may read.
const (
	corsAllowHeaders  = "Authorization, Content-Type, If-Match, If-None-Match, If-Modified-Since, Range"
	corsExposeHeaders = "ETag, Location, Link, Content-Range, Content-Disposition, Retry-After, Allow"
	corsMaxAge        = "600"
)

func newCORS(origins []string) cors {
	c := cors{origins: map[string]bool{}}
	for _, o := range origins {
		if o == "*" {
			c.any = true
		}
		c.origins[o] = true
	}
	return c
}

// ParseCORSOrigins parses --cors-origins: "*" alone, or a comma-separated
// list of origins such as https://shop.example.com or http://localhost:5173
// (scheme and host, an optional port, nothing else).
func ParseCORSOrigins(s string) ([]string, error) {
	var out []string
	for o := range strings.SplitSeq(s, ",") {
		o = strings.TrimSpace(o)
		if o == "" {
			continue
		}
		if o == "*" {
			out = append(out, o)
			continue
		}
		u, err := url.Parse(o)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil ||
			(u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" {
			return nil, fmt.Errorf("%q is not an origin; write it as scheme://host[:port], e.g. https://shop.example.com", o)
		}
		out = append(out, strings.ToLower(u.Scheme+"://"+u.Host))
	}
	if len(out) > 1 && strings.Contains(","+strings.Join(out, ",")+",", ",*,") {
		return nil, fmt.Errorf(`"*" allows every origin; give it alone or list origins instead`)
	}
	return out, nil
}

func (co cors) allows(origin string) bool {
	return co.any || co.origins[strings.ToLower(origin)]
}

// handle answers preflight requests for known paths and marks the answers
// of allowed origins readable. Other origins get answers without CORS
// headers, which browsers keep from the calling page.
func (co cors) handle(idx methodIndex) fiber.Handler {
	return func(c *fiber.Ctx) error {
		origin := c.Get(fiber.HeaderOrigin)
		if len(co.origins) == 0 || origin == "" || !isAPI(c) {
			return c.Next()
		}
		c.Vary(fiber.HeaderOrigin)
		ok := co.allows(origin)
		allowOrigin := origin
		if co.any {
			allowOrigin = "*"
		}
		if c.Method() == fiber.MethodOptions && c.Get(fiber.HeaderAccessControlRequestMethod) != "" {
			allow := idx.allowed(c.Path())
			if allow == "" {
				return c.Next() // 404 like any unknown path
			}
			c.Set(fiber.HeaderAllow, allow)
			if ok {
				c.Set(fiber.HeaderAccessControlAllowOrigin, allowOrigin)
				c.Set(fiber.HeaderAccessControlAllowMethods, allow)
				c.Set(fiber.HeaderAccessControlAllowHeaders, corsAllowHeaders)
				c.Set(fiber.HeaderAccessControlMaxAge, corsMaxAge)
			}
			return c.SendStatus(fiber.StatusNoContent)
		}
		if ok {
			c.Set(fiber.HeaderAccessControlAllowOrigin, allowOrigin)
			c.Set(fiber.HeaderAccessControlExposeHeaders, corsExposeHeaders)
		}
		return c.Next()
	}
}
