package handlers

import (
	"net/url"

	"gallerist/data"
	"gallerist/views"
	"gallerist/web"

	"github.com/gofiber/fiber/v2"
)

// Your account: every logged-in person changes their own password here. A
// person who logged in with a one-time password from an owner is held on
// /account/password until they choose their own (requireOwnPassword).

const ownPasswordPath = "/account/password"

// requireOwnPassword holds a session that logged in with a one-time
// password on /account/password: every other page of the admin UI sends it
// there (logging out stays possible). API routes use tokens and are untouched.
func (h *Handlers) requireOwnPassword(routes []web.Route) []web.Route {
	for i, r := range routes {
		if r.Public || r.API || r.Path == ownPasswordPath || r.Path == "/logout" {
			continue
		}
		next := r.Handler
		routes[i].Handler = func(c *fiber.Ctx) error {
			if mb := web.MembershipOf(c); mb != nil && mb.MustChangePassword {
				return toOwnPassword(c)
			}
			return next(c)
		}
	}
	return routes
}

func toOwnPassword(c *fiber.Ctx) error {
	to := ownPasswordPath
	if c.Method() == fiber.MethodGet && !web.IsHTMX(c) {
		if next := web.SafeReturn(c.OriginalURL(), ""); next != "" && next != "/media" {
			to += "?next=" + url.QueryEscape(next)
		}
	}
	if web.WantsFragment(c) {
		c.Set("HX-Redirect", to) // a dialog or panel request: the whole page goes
		return c.SendStatus(fiber.StatusNoContent)
	}
	return c.Redirect(to, fiber.StatusSeeOther)
}

func mustChoosePassword(c *fiber.Ctx) bool {
	mb := web.MembershipOf(c)
	return mb != nil && mb.MustChangePassword
}

func (h *Handlers) handleAccountPage(c *fiber.Ctx) error {
	return h.accountPage(c, fiber.StatusOK, &views.PasswordForm{})
}

func (h *Handlers) accountPage(c *fiber.Ctx, status int, f *views.PasswordForm) error {
	if mustChoosePassword(c) {
		return web.Render(c, status, views.OwnPasswordPage(h.page(c, "Choose your own password", ""), f))
	}
	return web.Render(c, status, views.AccountPage(h.page(c, "Your account", "account"), f))
}

// handleOwnPasswordPage is the one page of a one-time password's session;
// for everyone else it is the account page.
func (h *Handlers) handleOwnPasswordPage(c *fiber.Ctx) error {
	if !mustChoosePassword(c) {
		return c.Redirect("/account", fiber.StatusSeeOther)
	}
	return h.accountPage(c, fiber.StatusOK, &views.PasswordForm{Next: web.SafeReturn(c.Query("next"), "")})
}

// handleOwnPasswordForm changes your own password: this session goes on
// (logged in again with the new session version), every other one ends.
// Wrong current passwords count as failed logins, so this form is no way
// around the login rate limit.
func (h *Handlers) handleOwnPasswordForm(c *fiber.Ctx) error {
	mb := web.MembershipOf(c)
	if mb == nil {
		return data.Errorf(data.ECUnauthorized, "Log in first.")
	}
	oneTime := mb.MustChangePassword
	f := &views.PasswordForm{Next: web.SafeReturn(c.FormValue("next"), "")}
	lim, ip := h.Sessions.Limiter, web.ClientIP(c)
	if ok, wait := lim.Allow(ip, mb.Email); !ok {
		f.Error = "Too many wrong passwords. Wait " + minutesText(wait.Minutes()) + " and try again, or ask an owner to reset your password."
		return h.accountPage(c, fiber.StatusTooManyRequests, f)
	}
	updated, err := h.Users.ChangeOwnPassword(c.UserContext(), c.FormValue("current_password"), c.FormValue("password"))
	if err != nil {
		fields, general, rest := formFields(err)
		if rest != nil {
			return rest
		}
		if fields["current_password"] != "" && c.FormValue("current_password") != "" {
			lim.Fail(ip, mb.Email)
		}
		f.Fields, f.Error = fields, general
		return h.accountPage(c, fiber.StatusUnprocessableEntity, f)
	}
	lim.Reset(ip, mb.Email)
	if err := h.Sessions.Login(c, updated); err != nil {
		return err
	}
	if oneTime {
		toast(c, web.Toast{Message: "Your password is saved. From now on you log in with it."})
		return web.RedirectAfterPost(c, web.SafeReturn(f.Next, "/media"))
	}
	toast(c, web.Toast{Message: "Your password was changed. Your other sessions were logged out."})
	return web.RedirectAfterPost(c, "/account")
}
