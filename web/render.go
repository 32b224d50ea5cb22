package web

import (
	"context"
	"io"

	"github.com/gofiber/fiber/v2"
)

// Component is what templ components implement.
type Component interface {
	Render(ctx context.Context, w io.Writer) error
}

// pageCSP keeps pages to our own scripts and styles (inline style attributes
// are allowed for progress bars; no inline script, no eval).
const pageCSP = "default-src 'self'; img-src 'self' data: blob:; media-src 'self' blob:; style-src 'self' 'unsafe-inline'; " +
	"script-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"

// Render writes an HTML page or fragment with the given status.
func Render(c *fiber.Ctx, status int, comp Component) error {
	c.Status(status)
	c.Type("html", "utf-8")
	c.Set(fiber.HeaderCacheControl, "no-store")
	c.Set("Content-Security-Policy", pageCSP)
	c.Set(fiber.HeaderVary, "HX-Request")
	if IsBoosted(c) && c.Method() == fiber.MethodGet {
		c.Set("HX-Push-Url", c.OriginalURL())
	}
	return comp.Render(c.UserContext(), c.Response().BodyWriter())
}

// IsHTMX reports whether htmx sent the request.
func IsHTMX(c *fiber.Ctx) bool { return c.Get("HX-Request") == "true" }

// IsBoosted reports whether htmx sent the request for a boosted link or form,
// which wants the whole page.
func IsBoosted(c *fiber.Ctx) bool { return c.Get("HX-Boosted") == "true" }

// WantsFragment reports whether the request wants a fragment rather than a page:
// an htmx request that is not a boosted navigation.
func WantsFragment(c *fiber.Ctx) bool { return IsHTMX(c) && !IsBoosted(c) }

// RedirectAfterPost answers a successful form post: 303 to the page to show.
// htmx follows it like a browser does.
func RedirectAfterPost(c *fiber.Ctx, to string) error {
	return c.Redirect(to, fiber.StatusSeeOther)
}
