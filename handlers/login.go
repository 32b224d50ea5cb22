package handlers

import (
	"errors"
	"fmt"
	"math"
	"net/url"
	"strings"

	"gallerist/data"
	"gallerist/views"
	"gallerist/web"

	"github.com/gofiber/fiber/v2"
)

func (h *Handlers) handleHome(c *fiber.Ctx) error {
	return c.Redirect("/media", fiber.StatusSeeOther)
}

func (h *Handlers) setupOpen(c *fiber.Ctx) (bool, error) {
	n, err := h.Users.CountUsers(c.UserContext())
	return n == 0, err
}

func (h *Handlers) handleSetupForm(c *fiber.Ctx) error {
	open, err := h.setupOpen(c)
	if err != nil {
		return err
	}
	if !open {
		return c.Redirect("/login", fiber.StatusSeeOther)
	}
	return render(c, views.SetupPage(h.page(c, "Set up", ""), &views.AuthForm{}))
}

// formErrors turns a validation error into the form's field errors, or its general error.
func formErrors(err error, f *views.AuthForm) {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		for _, e := range j.Unwrap() {
			formErrors(e, f)
		}
		return
	}
	var de *data.Error
	if errors.As(err, &de) {
		if field, ok := de.Details["field"].(string); ok {
			if f.Fields == nil {
				f.Fields = map[string]string{}
			}
			f.Fields[field] = de.Message
			return
		}
		f.Error = de.Message
		return
	}
	f.Error = data.ErrorMessage(err)
}

func (h *Handlers) handleSetup(c *fiber.Ctx) error {
	open, err := h.setupOpen(c)
	if err != nil {
		return err
	}
	if !open {
		return data.Errorf(data.ECNotFound, "Gallerist is already set up. Log in instead.")
	}
	f := &views.AuthForm{Email: c.FormValue("email"), OrgName: c.FormValue("org_name")}
	mb, err := h.Users.CreateFirstOwner(c.UserContext(), f.Email, c.FormValue("password"), f.OrgName)
	if err != nil {
		if data.ErrorCode(err) == data.ECInternal {
			return err
		}
		if data.ErrorCode(err) == data.ECConflict {
			return c.Redirect("/login", fiber.StatusSeeOther)
		}
		formErrors(err, f)
		return web.Render(c, fiber.StatusUnprocessableEntity, views.SetupPage(h.page(c, "Set up", ""), f))
	}
	if err := h.Sessions.Login(c, mb); err != nil {
		return err
	}
	toast(c, web.Toast{Message: "Welcome to Gallerist. Drop your first product photos here."})
	return web.RedirectAfterPost(c, "/media")
}

func (h *Handlers) handleLoginForm(c *fiber.Ctx) error {
	open, err := h.setupOpen(c)
	if err != nil {
		return err
	}
	if open {
		return c.Redirect("/setup", fiber.StatusSeeOther)
	}
	next := web.SafeReturn(c.Query("next"), "")
	if _, err := h.Sessions.Membership(c); err == nil {
		return c.Redirect(web.SafeReturn(next, "/media"), fiber.StatusSeeOther)
	}
	return render(c, views.LoginPage(h.page(c, "Log in", ""), &views.AuthForm{Next: next}))
}

func (h *Handlers) handleLogin(c *fiber.Ctx) error {
	email := strings.ToLower(strings.TrimSpace(c.FormValue("email")))
	f := &views.AuthForm{Email: c.FormValue("email"), Next: web.SafeReturn(c.FormValue("next"), "")}
	lim := h.Sessions.Limiter
	ip := web.ClientIP(c)
	if ok, wait := lim.Allow(ip, email); !ok {
		f.Error = fmt.Sprintf("Too many failed attempts to log in as %s. Wait %s and try again, or ask an owner to reset your password.",
			email, minutesText(wait.Minutes()))
		c.Set(fiber.HeaderRetryAfter, fmt.Sprint(int(math.Ceil(wait.Seconds()))))
		return web.Render(c, fiber.StatusTooManyRequests, views.LoginPage(h.page(c, "Log in", ""), f))
	}
	mb, err := h.Users.Authenticate(c.UserContext(), email, c.FormValue("password"))
	if err != nil {
		if data.ErrorCode(err) != data.ECUnauthorized {
			return err
		}
		lim.Fail(ip, email)
		f.Error = data.ErrorMessage(err)
		return web.Render(c, fiber.StatusUnauthorized, views.LoginPage(h.page(c, "Log in", ""), f))
	}
	lim.Reset(ip, email)
	if err := h.Sessions.Login(c, mb); err != nil {
		return err
	}
	if mb.MustChangePassword { // a one-time password from an owner: their own first
		to := ownPasswordPath
		if next := web.SafeReturn(f.Next, ""); next != "" {
			to += "?next=" + url.QueryEscape(next)
		}
		return web.RedirectAfterPost(c, to)
	}
	return web.RedirectAfterPost(c, web.SafeReturn(f.Next, "/media"))
}

func minutesText(m float64) string {
	n := int(math.Ceil(m))
	if n <= 1 {
		return "a minute"
	}
	return fmt.Sprintf("%d minutes", n)
}

func (h *Handlers) handleLogout(c *fiber.Ctx) error {
	if err := h.Sessions.Logout(c.UserContext(), c); err != nil {
		return err
	}
	toast(c, web.Toast{Message: "You are logged out."})
	return web.RedirectAfterPost(c, "/login")
}
