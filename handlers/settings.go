package handlers

import (
	"strings"
	"time"

	"gallerist/data"
	"gallerist/views"
	"gallerist/web"

	"github.com/gofiber/fiber/v2"
)

func (h *Handlers) tokensModel(c *fiber.Ctx) (*views.Tokens, error) {
	list, err := h.Auth.FindTokens(c.UserContext())
	if err != nil {
		return nil, err
	}
	return &views.Tokens{List: list, Now: h.now()}, nil
}

func (h *Handlers) handleTokensPage(c *fiber.Ctx) error {
	t, err := h.tokensModel(c)
	if err != nil {
		return err
	}
	return render(c, views.TokensPage(h.page(c, "API tokens", "settings"), t))
}

var tokenExpiry = map[string]time.Duration{"30d": 30 * 24 * time.Hour, "90d": 90 * 24 * time.Hour, "365d": 365 * 24 * time.Hour, "never": 0}

// handleTokenCreateForm creates a token through the same AuthService the CLI
// uses and shows its secret, once, on the page it answers (never stored in
// the session or a redirect).
func (h *Handlers) handleTokenCreateForm(c *fiber.Ctx) error {
	t, err := h.tokensModel(c)
	if err != nil {
		return err
	}
	t.Name = c.FormValue("name")
	t.Expiry = c.FormValue("expires")
	var names []string
	for _, v := range c.Request().PostArgs().PeekMulti("scopes") {
		names = append(names, string(v))
		t.Scopes = append(t.Scopes, data.Scope(v))
	}
	if t.Scopes == nil {
		t.Scopes = []data.Scope{}
	}
	p := h.page(c, "API tokens", "settings")
	fail := func(err error) error {
		if code := data.ErrorCode(err); code != data.ECInvalidField {
			return err
		}
		t.Error = data.ErrorMessage(err)
		return web.Render(c, fiber.StatusUnprocessableEntity, views.TokensPage(p, t))
	}
	d, ok := tokenExpiry[t.Expiry]
	if !ok {
		return fail(data.FieldError("expires", "Choose when the token expires."))
	}
	scopes, err := data.ParseScopes(strings.Join(names, ","))
	if err != nil {
		return fail(data.FieldError("scopes", "Choose at least one thing the token may do."))
	}
	var exp *time.Time
	if d > 0 {
		e := h.now().Add(d)
		exp = &e
	}
	tok, secret, err := h.Auth.CreateToken(c.UserContext(), t.Name, scopes, exp)
	if err != nil {
		return fail(err)
	}
	if t.List, err = h.Auth.FindTokens(c.UserContext()); err != nil {
		return err
	}
	t.Created, t.Secret = tok, secret
	t.Name, t.Scopes, t.Expiry = "", nil, ""
	return web.Render(c, fiber.StatusCreated, views.TokensPage(p, t))
}

func (h *Handlers) findToken(c *fiber.Ctx) (*data.Token, error) {
	id, err := pathID(c, "id", "Token")
	if err != nil {
		return nil, err
	}
	list, err := h.Auth.FindTokens(c.UserContext())
	if err != nil {
		return nil, err
	}
	for _, t := range list {
		if t.ID == id {
			return t, nil
		}
	}
	return nil, data.NotFound("Token")
}

func (h *Handlers) handleTokenRevokeConfirm(c *fiber.Ctx) error {
	tk, err := h.findToken(c)
	if err != nil {
		return err
	}
	p := h.page(c, "Revoke "+tk.Name, "settings")
	return h.confirmWith(c, fiber.StatusOK, p, views.RevokeConfirm(p, tk))
}

func (h *Handlers) handleTokenRevokeForm(c *fiber.Ctx) error {
	tk, err := h.findToken(c)
	if err != nil {
		return err
	}
	if err := h.Auth.RevokeToken(c.UserContext(), tk.ID); err != nil {
		return err
	}
	toast(c, web.Toast{Message: "Token “" + tk.Name + "” revoked"})
	return web.RedirectAfterPost(c, "/settings/tokens")
}
