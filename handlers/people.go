package handlers

import (
	"context"
	"errors"
	"io"

	"gallerist/data"
	"gallerist/views"
	"gallerist/web"

	"github.com/a-h/templ"
	"github.com/gofiber/fiber/v2"
)

// Settings › People: the owners' page to add people (invite link or
// one-time password), change roles, reset passwords and remove people,
// all through data.PeopleService, which ends the sessions of everyone whose
// access shrinks. The invite link's page is public: its secret is the key.

const peoplePath = "/settings/people"

func (h *Handlers) peopleModel(c *fiber.Ctx) (*views.People, error) {
	list, err := h.Users.FindPeople(c.UserContext())
	if err != nil {
		return nil, err
	}
	p, _ := data.PrincipalFrom(c.UserContext())
	return &views.People{List: list, Me: p.UserID, Now: h.now()}, nil
}

func (h *Handlers) peoplePage(c *fiber.Ctx, status int, pp *views.People, t ...views.Toast) error {
	p := h.page(c, "People", "people")
	p.Toasts = append(p.Toasts, t...)
	return web.Render(c, status, views.PeoplePage(p, pp))
}

func (h *Handlers) handlePeoplePage(c *fiber.Ctx) error {
	pp, err := h.peopleModel(c)
	if err != nil {
		return err
	}
	pp.FocusList = c.Query("removed") != "" // the row that had the focus is gone
	return h.peoplePage(c, fiber.StatusOK, pp)
}

// formFields sorts a validation error (or several, joined) into the form's
// field errors and its general error; other errors are returned.
func formFields(err error) (fields map[string]string, general string, rest error) {
	var errs []error
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		errs = j.Unwrap()
	} else {
		errs = []error{err}
	}
	for _, e := range errs {
		var de *data.Error
		if !errors.As(e, &de) || de.Code == data.ECInternal || de.Code == data.ECInsufficientStorage || de.Code == data.ECUnavailable {
			return nil, "", err
		}
		if field, ok := de.Details["field"].(string); ok {
			if fields == nil {
				fields = map[string]string{}
			}
			if fields[field] == "" {
				fields[field] = de.Message
			}
			continue
		}
		general = de.Message
	}
	return fields, general, nil
}

// handlePersonAddForm adds a person and shows, once, their invite link or
// one-time password on the page it answers.
func (h *Handlers) handlePersonAddForm(c *fiber.Ctx) error {
	pp, err := h.peopleModel(c)
	if err != nil {
		return err
	}
	f := views.PersonForm{Email: c.FormValue("email"), Name: c.FormValue("name"), Role: c.FormValue("role"), Method: c.FormValue("method")}
	pa := data.PersonAdd{Email: f.Email, Name: f.Name, Role: data.Role(f.Role)}
	switch f.Method {
	case "password":
		pa.Password = data.GeneratePassword()
	case "invite", "":
	default:
		pa.Role = data.Role("?") // an unknown method is as wrong as an unknown role
	}
	added, err := h.Users.AddPerson(c.UserContext(), pa)
	if err != nil {
		fields, general, rest := formFields(err)
		if rest != nil {
			return rest
		}
		f.Fields, f.Error = fields, general
		pp.Add = f
		status := fiber.StatusUnprocessableEntity
		if data.ErrorCode(err) == data.ECConflict {
			status = fiber.StatusConflict
		}
		return h.peoplePage(c, status, pp)
	}
	if pp.List, err = h.Users.FindPeople(c.UserContext()); err != nil {
		return err
	}
	r := &views.Revealed{Person: added.Person}
	switch {
	case added.InviteSecret != "":
		r.Link = c.BaseURL() + "/invite/" + added.InviteSecret
	case !added.ExistingAccount:
		r.Password = pa.Password
	}
	pp.Revealed = r
	return h.peoplePage(c, fiber.StatusCreated, pp,
		views.Toast{Message: added.Person.Email + " added as " + views.RoleLabel(added.Person.Role) + "."})
}

func (h *Handlers) findPerson(c *fiber.Ctx) (*data.Person, bool, error) {
	id, err := pathID(c, "id", "Person")
	if err != nil {
		return nil, false, err
	}
	p, err := h.Users.FindPerson(c.UserContext(), id)
	if err != nil {
		return nil, false, err
	}
	me, _ := data.PrincipalFrom(c.UserContext())
	return p, p.UserID == me.UserID, nil
}

// rowRefused shows the People page with a refused change next to its person.
func (h *Handlers) rowRefused(c *fiber.Ctx, person *data.Person, err error) error {
	code := data.ErrorCode(err)
	if code != data.ECConflict && code != data.ECInvalidField || web.WantsFragment(c) {
		return err // a fragment request answers with a toast
	}
	pp, perr := h.peopleModel(c)
	if perr != nil {
		return perr
	}
	pp.RowErrors = map[int64]string{person.UserID: data.ErrorMessage(err)}
	status := fiber.StatusConflict
	if code == data.ECInvalidField {
		status = fiber.StatusUnprocessableEntity
	}
	return h.peoplePage(c, status, pp)
}

// relogin keeps the acting owner's own session after a change that ended
// all of their sessions (their role or password), with the new session version.
func (h *Handlers) relogin(c *fiber.Ctx, userID int64) error {
	p, _ := data.PrincipalFrom(c.UserContext())
	mb, err := h.Users.FindMembership(c.UserContext(), userID, p.OrgID)
	if err != nil {
		return err
	}
	return h.Sessions.Login(c, mb)
}

// handlePersonRoleConfirm asks before you change your own role (the role
// form of your own row asks for it with htmx; without, its post does).
func (h *Handlers) handlePersonRoleConfirm(c *fiber.Ctx) error {
	person, self, err := h.findPerson(c)
	if err != nil {
		return err
	}
	role, err := data.ParseRole(c.Query("role"))
	if err != nil {
		return h.rowRefused(c, person, err)
	}
	if role == person.Role {
		if web.WantsFragment(c) {
			c.Set("HX-Reswap", "none")
			web.TriggerToast(c, web.Toast{Message: person.Label() + " is already " + views.RoleLabel(role) + "."})
			return c.SendStatus(fiber.StatusNoContent)
		}
		return c.Redirect(peoplePath, fiber.StatusSeeOther)
	}
	return h.roleConfirm(c, person, self, role)
}

func (h *Handlers) roleConfirm(c *fiber.Ctx, person *data.Person, self bool, role data.Role) error {
	pp, err := h.peopleModel(c)
	if err != nil {
		return err
	}
	if role != data.RoleOwner && pp.OnlyOwner(person) {
		p := h.page(c, "Only owner", "people")
		return h.roleDialog(c, fiber.StatusConflict, p, person, views.OnlyOwnerNotice(person, self, false))
	}
	if !self {
		// Others' roles change without a question; this page only serves a link followed by hand.
		return c.Redirect(peoplePath, fiber.StatusSeeOther)
	}
	p := h.page(c, "Change your role", "people")
	return h.roleDialog(c, fiber.StatusOK, p, person, views.RoleConfirm(p, person, role))
}

// roleDialog answers a role change that needs a word first. As a dialog it
// also puts the role the person really has back into their select: until a
// change is confirmed and done, the page shows no role they do not have.
func (h *Handlers) roleDialog(c *fiber.Ctx, status int, p *views.Page, person *data.Person, body templ.Component) error {
	if !web.WantsFragment(c) {
		return h.confirmWith(c, status, p, body)
	}
	return web.Render(c, status, templ.ComponentFunc(func(ctx context.Context, w io.Writer) error {
		if err := views.ConfirmDialog().Render(templ.WithChildren(ctx, body), w); err != nil {
			return err
		}
		return views.RoleSelect(person, true).Render(ctx, w)
	}))
}

func (h *Handlers) handlePersonRoleForm(c *fiber.Ctx) error {
	person, self, err := h.findPerson(c)
	if err != nil {
		return err
	}
	role, err := data.ParseRole(c.FormValue("role"))
	if err != nil {
		return h.rowRefused(c, person, err)
	}
	if role == person.Role {
		toast(c, web.Toast{Message: person.Label() + " is already " + views.RoleLabel(role) + "."})
		return web.RedirectAfterPost(c, peoplePath)
	}
	if self && c.FormValue("confirm") != "1" {
		return h.roleConfirm(c, person, self, role)
	}
	updated, err := h.Users.ChangeRole(c.UserContext(), person.UserID, role)
	if err != nil {
		return h.rowRefused(c, person, err)
	}
	if self {
		if err := h.relogin(c, person.UserID); err != nil {
			return err
		}
		toast(c, web.Toast{Message: "You are now " + views.RoleLabel(updated.Role) + " of this store."})
		return web.RedirectAfterPost(c, "/media")
	}
	msg := updated.Label() + " is now " + views.RoleLabel(updated.Role) + "."
	switch {
	case updated.Invited:
	case data.RoleShrinks(person.Role, updated.Role):
		msg += " They were logged out and log in again with the new role."
	default:
		msg += " The new role applies at once; they stay logged in."
	}
	toast(c, web.Toast{Message: msg})
	return web.RedirectAfterPost(c, peoplePath)
}

func (h *Handlers) handlePersonRemoveConfirm(c *fiber.Ctx) error {
	person, self, err := h.findPerson(c)
	if err != nil {
		return err
	}
	pp, err := h.peopleModel(c)
	if err != nil {
		return err
	}
	if pp.OnlyOwner(person) {
		p := h.page(c, "Only owner", "people")
		return h.confirmWith(c, fiber.StatusConflict, p, views.OnlyOwnerNotice(person, self, true))
	}
	p := h.page(c, "Remove "+person.Label(), "people")
	return h.confirmWith(c, fiber.StatusOK, p, views.RemoveConfirm(p, person, self))
}

func (h *Handlers) handlePersonRemoveForm(c *fiber.Ctx) error {
	person, self, err := h.findPerson(c)
	if err != nil {
		return err
	}
	if _, err := h.Users.RemovePerson(c.UserContext(), person.UserID); err != nil {
		return h.rowRefused(c, person, err)
	}
	if self {
		if err := h.Sessions.Logout(c.UserContext(), c); err != nil {
			return err
		}
		toast(c, web.Toast{Message: "You removed yourself from the store and were logged out."})
		return web.RedirectAfterPost(c, "/login")
	}
	toast(c, web.Toast{Message: person.Label() + " was removed from the store and logged out."})
	return web.RedirectAfterPost(c, peoplePath+"?removed=1")
}

func (h *Handlers) passwordPage(c *fiber.Ctx, status int, person *data.Person, self bool, f *views.PersonForm) error {
	p := h.page(c, "Reset password", "people")
	return h.confirmWith(c, status, p, views.PasswordReset(p, person, self, f))
}

func (h *Handlers) handlePersonPasswordPage(c *fiber.Ctx) error {
	person, self, err := h.findPerson(c)
	if err != nil {
		return err
	}
	return h.passwordPage(c, fiber.StatusOK, person, self, &views.PersonForm{})
}

// handlePersonPasswordForm sets a person's password (made up here and shown
// once, or typed by the owner); their sessions end.
func (h *Handlers) handlePersonPasswordForm(c *fiber.Ctx) error {
	person, self, err := h.findPerson(c)
	if err != nil {
		return err
	}
	f := &views.PersonForm{Method: c.FormValue("method")}
	var pw string
	switch f.Method {
	case "generate":
		pw = data.GeneratePassword()
	case "set":
		pw = c.FormValue("password")
	default:
		f.Error = "Choose whether to make up a one-time password or type one."
		return h.passwordPage(c, fiber.StatusUnprocessableEntity, person, self, f)
	}
	updated, err := h.Users.SetPassword(c.UserContext(), person.UserID, pw)
	if err != nil {
		fields, general, rest := formFields(err)
		if rest != nil {
			return rest
		}
		f.Fields, f.Error = fields, general
		return h.passwordPage(c, fiber.StatusUnprocessableEntity, person, self, f)
	}
	if self {
		if err := h.relogin(c, person.UserID); err != nil {
			return err
		}
	}
	msg := "Password of " + updated.Label() + " reset. They were logged out everywhere and choose their own when they next log in."
	if self {
		msg = "Your password was changed. Your other sessions were logged out."
	}
	if f.Method == "set" {
		toast(c, web.Toast{Message: msg})
		return web.RedirectAfterPost(c, peoplePath)
	}
	pp, err := h.peopleModel(c)
	if err != nil {
		return err
	}
	pp.Revealed = &views.Revealed{Person: updated, Password: pw}
	return h.peoplePage(c, fiber.StatusOK, pp, views.Toast{Message: msg})
}

// handlePersonInviteForm replaces an invited person's link with a new one, shown once.
func (h *Handlers) handlePersonInviteForm(c *fiber.Ctx) error {
	person, _, err := h.findPerson(c)
	if err != nil {
		return err
	}
	updated, secret, err := h.Users.RenewInvite(c.UserContext(), person.UserID)
	if err != nil {
		return h.rowRefused(c, person, err)
	}
	pp, err := h.peopleModel(c)
	if err != nil {
		return err
	}
	pp.Revealed = &views.Revealed{Person: updated, Link: c.BaseURL() + "/invite/" + secret}
	return h.peoplePage(c, fiber.StatusOK, pp, views.Toast{Message: "New invite link for " + updated.Email + ". The old link no longer works."})
}

func (h *Handlers) handleInvitePage(c *fiber.Ctx) error {
	iv, err := h.Users.FindInvite(c.UserContext(), c.Params("secret"))
	if err != nil {
		return err
	}
	return h.invitePage(c, fiber.StatusOK, iv, &views.InviteForm{Name: iv.Name})
}

func (h *Handlers) invitePage(c *fiber.Ctx, status int, iv *data.Invite, f *views.InviteForm) error {
	c.Set("Referrer-Policy", "no-referrer") // the URL is the key
	p := h.page(c, "Join "+iv.OrgName, "")
	return web.Render(c, status, views.InvitePage(p, c.Path(), iv, f))
}

// handleInviteForm accepts an invite: the invitee's password is set, the link
// is used up, and they are logged in.
func (h *Handlers) handleInviteForm(c *fiber.Ctx) error {
	secret := c.Params("secret")
	iv, err := h.Users.FindInvite(c.UserContext(), secret)
	if err != nil {
		return err
	}
	f := &views.InviteForm{Name: c.FormValue("name")}
	mb, err := h.Users.AcceptInvite(c.UserContext(), secret, f.Name, c.FormValue("password"))
	if err != nil {
		fields, general, rest := formFields(err)
		if rest != nil || data.ErrorCode(err) == data.ECNotFound {
			return err
		}
		f.Fields, f.Error = fields, general
		return h.invitePage(c, fiber.StatusUnprocessableEntity, iv, f)
	}
	if err := h.Sessions.Login(c, mb); err != nil {
		return err
	}
	toast(c, web.Toast{Message: "Welcome to " + mb.OrgName + ". You are " + views.RoleLabel(mb.Role) + " here."})
	return web.RedirectAfterPost(c, "/media")
}
