package handlers

import (
	"bytes"
	"net/url"
	"strings"
	"sync"
	"time"

	"gallerist/data"
	"gallerist/views"
	"gallerist/web"

	"github.com/gofiber/fiber/v2"
)

// thumbnail is the one place that decides how a media item is shown small
// (grids, trash, pickers, the gallery editor) and large (the detail preview):
// its renditions with a srcset, the smallest that covers width CSS pixels on
// a 2x screen as the fallback src. An image whose renditions are not made yet
// shows its original, which the browser scales; items in the trash have no
// public URL and come through the session route. A video or document shows
// its poster (the chosen image, or the still made from the file) while live.
func thumbnail(m *data.Media, width int) views.Thumb {
	if m.Kind != data.KindImage {
		if m.Poster == nil || m.Poster.Item == nil || m.DeletedAt != nil {
			return views.Thumb{Icon: true}
		}
		t := thumbnail(m.Poster.Item, width)
		t.Poster = true
		return t
	}
	if m.DeletedAt != nil {
		return views.Thumb{Src: "/media/" + itoa(m.ID) + "/file"}
	}
	var srcset []string
	src, covered := "", false
	for _, r := range m.Renditions { // ascending by width
		if r.Ext == "webp" {
			continue // the JPEG/PNG set works everywhere; WebP is for storefronts
		}
		u := RenditionURL(m, r)
		srcset = append(srcset, u+" "+itoa(int64(r.Width))+"w")
		if !covered {
			src, covered = u, r.Width >= 2*width
		}
	}
	if src == "" {
		return views.Thumb{Src: FileURL(m)}
	}
	return views.Thumb{Src: src, SrcSet: strings.Join(srcset, ", "), Sizes: itoa(int64(width)) + "px"}
}

var assets = sync.OnceValue(func() views.Assets {
	return views.Assets{CSS: web.AssetURL("app.css"), JS: web.AssetURL("app.js"), HTMX: web.AssetURL("htmx.min.js"), Sortable: web.AssetURL("Sortable.min.js"), Icon: web.AssetURL("favicon.svg"),
		Scripts: []string{web.AssetURL("library.js"), web.AssetURL("gallery.js")}}
})

func (h *Handlers) trashGrace() time.Duration {
	if h.TrashGrace > 0 {
		return h.TrashGrace
	}
	return 7 * 24 * time.Hour
}

// page builds the model every page shares: viewer, CSRF token, assets, toasts.
func (h *Handlers) page(c *fiber.Ctx, title, nav string) *views.Page {
	p := &views.Page{
		Title: title, Nav: nav, CSRF: web.CSRFToken(c), Path: c.OriginalURL(), Assets: assets(),
		Thumb:     thumbnail,
		FileURL:   func(m *data.Media) string { return h.baseURL(c) + FileURL(m) },
		TrashDays: int(h.trashGrace() / (24 * time.Hour)),
		Limits:    h.Limits,
	}
	if mb := web.MembershipOf(c); mb != nil {
		p.Email, p.OrgName, p.Role, p.Scopes = mb.Email, mb.OrgName, mb.Role, mb.Role.Scopes()
	}
	if !web.WantsFragment(c) && !wantsJSON(c) {
		for _, t := range web.TakeToasts(c) {
			p.Toasts = append(p.Toasts, views.Toast(t))
		}
	}
	return p
}

func render(c *fiber.Ctx, comp web.Component) error { return web.Render(c, fiber.StatusOK, comp) }

func renderString(c *fiber.Ctx, comp web.Component) (string, error) {
	var buf bytes.Buffer
	err := comp.Render(c.UserContext(), &buf)
	return buf.String(), err
}

func wantsJSON(c *fiber.Ctx) bool {
	return strings.Contains(c.Get(fiber.HeaderAccept), "application/json")
}

// toast queues a toast for the next page.
func toast(c *fiber.Ctx, t web.Toast) { web.AddToast(c, t) }

// HTMLError renders errors of browser requests: a page, or for an htmx
// fragment request nothing swapped and the message as a toast.
func (h *Handlers) HTMLError(c *fiber.Ctx, status int, e *data.Error) error {
	if wantsJSON(c) {
		return web.WriteJSONError(c, e)
	}
	if web.WantsFragment(c) {
		c.Set("HX-Reswap", "none")
		web.TriggerToast(c, web.Toast{Message: e.Message, Kind: "error"})
		return web.Render(c, status, views.ErrorFragment(e.Message))
	}
	p := h.page(c, "Error", "")
	return web.Render(c, status, views.ErrorPage(p, status, e.Message))
}

// LoginRedirect sends a browser without a session to the login page, and back afterwards.
func (h *Handlers) LoginRedirect(c *fiber.Ctx) error {
	to := "/login"
	if c.Method() == fiber.MethodGet && c.OriginalURL() != "/" && c.OriginalURL() != "/media" {
		to += "?next=" + url.QueryEscape(c.OriginalURL())
	}
	if wantsJSON(c) {
		return web.WriteJSONError(c, data.Errorf(data.ECUnauthorized, "Your session has ended. Log in again, then retry."))
	}
	if web.IsHTMX(c) {
		c.Set("HX-Redirect", to)
		return c.SendStatus(fiber.StatusUnauthorized)
	}
	return c.Redirect(to, fiber.StatusSeeOther)
}

// returnTo is the local URL a form asks to go back to, or def.
func returnTo(c *fiber.Ctx, def string) string {
	return web.SafeReturn(c.FormValue("return", c.Query("return")), def)
}

// listQueryFromCurrent is the library query of the page htmx sent the request from.
func listQueryFromCurrent(c *fiber.Ctx) url.Values {
	u, err := url.Parse(c.Get("HX-Current-URL"))
	if err != nil || u.Path != "/media" && !strings.HasPrefix(u.Path, "/media/") {
		return url.Values{}
	}
	return u.Query()
}
