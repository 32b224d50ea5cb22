package main

import (
	"bytes"
	"context"
	"html"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"gallerist/data"
)

// Settings › People over HTTP, without JavaScript: plain forms and redirects.

var (
	inviteLinkRE   = regexp.MustCompile(`value="(http://[^"]+/invite/[A-Za-z0-9_-]+)"`)
	tempPasswordRE = regexp.MustCompile(`id="revealed-value" type="text" readonly value="([^"]+)"`)
)

// peopleOwner is a store with its owner logged in on a no-JS client.
func peopleOwner(t testing.TB) (*testEnv, *uiClient) {
	t.Helper()
	e := newTestEnv(t)
	c := e.client()
	if _, err := e.app.users.CreateUser(context.Background(), data.UserCreate{Email: testOwnerEmail, Password: testOwnerPassword, Role: data.RoleOwner}); err != nil {
		t.Fatal(err)
	}
	c.login(t, testOwnerEmail, testOwnerPassword)
	c.get(t, "/settings/people") // the new session's CSRF token
	return e, c
}

// userID is the id of the account with the email.
func (e *testEnv) userID(t testing.TB, email string) string {
	t.Helper()
	var id string
	if err := e.app.db.QueryRowForTest(`SELECT id FROM users WHERE email = ?`, email).Scan(&id); err != nil {
		t.Fatalf("user %s: %v", email, err)
	}
	return id
}

// addPerson adds a person through the form and returns the page's revealed secret.
func addPerson(t testing.TB, c *uiClient, email, role, method string) string {
	t.Helper()
	st, body := c.post(t, "/settings/people", url.Values{"email": {email}, "role": {role}, "method": {method}})
	if st != http.StatusCreated {
		t.Fatalf("add %s: %d %.500s", email, st, body)
	}
	re := inviteLinkRE
	if method == "password" {
		re = tempPasswordRE
	}
	m := re.FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("add %s: no secret on the page: %.2000s", email, body)
	}
	return html.UnescapeString(m[1])
}

// sessionEnded checks that the client's session no longer opens pages.
func sessionEnded(t testing.TB, c *uiClient, who string) {
	t.Helper()
	st, _ := c.get(t, "/media")
	if st != http.StatusSeeOther || !strings.HasPrefix(c.location(), "/login") {
		t.Fatalf("%s's session still works: %d %s", who, st, c.location())
	}
}

func TestPeopleInvite(t *testing.T) {
	e, owner := peopleOwner(t)
	st, body := owner.get(t, "/settings/people")
	if st != 200 || !strings.Contains(body, testOwnerEmail) || !strings.Contains(body, "data-you") || !strings.Contains(body, `href="/settings/people"`) {
		t.Fatalf("people page: %d %.1000s", st, body)
	}
	link := addPerson(t, owner, "Ed@Example.com", "editor", "invite")
	u, err := url.Parse(link)
	if err != nil {
		t.Fatal(err)
	}
	_, body = owner.get(t, "/settings/people")
	if !strings.Contains(body, "ed@example.com") || !strings.Contains(body, "Invited · link works for 7 more days") {
		t.Fatalf("the invited person is not listed as invited: %.3000s", body)
	}
	if strings.Contains(body, u.Path) {
		t.Fatal("the invite link is shown again")
	}

	ed := e.client()
	st, body = ed.get(t, u.Path)
	if st != 200 || !strings.Contains(body, "Join") || !strings.Contains(body, "ed@example.com") || !strings.Contains(body, "Editor") {
		t.Fatalf("invite page: %d %.1000s", st, body)
	}
	st, body = ed.post(t, u.Path, url.Values{"password": {"short"}})
	if st != http.StatusUnprocessableEntity || !strings.Contains(body, "at least 8 characters") {
		t.Fatalf("short password: %d %.1000s", st, body)
	}
	st, _ = ed.post(t, u.Path, url.Values{"name": {"Ed Ward"}, "password": {"eds own password"}})
	if st != http.StatusSeeOther || ed.location() != "/media" {
		t.Fatalf("accept: %d %s", st, ed.location())
	}
	st, body = ed.get(t, "/media")
	if st != 200 || !strings.Contains(body, "Welcome to") || strings.Contains(body, `href="/settings/people"`) {
		t.Fatalf("the editor's library: %d %.500s", st, body)
	}
	if st, body = ed.get(t, "/settings/people"); st != http.StatusForbidden || !strings.Contains(body, "does not allow") {
		t.Fatalf("an editor opens People: %d", st)
	}
	if st, _ = ed.post(t, "/settings/people", url.Values{"email": {"x@example.com"}, "role": {"owner"}}); st != http.StatusForbidden {
		t.Fatalf("an editor adds people: %d", st)
	}
	// The link works once.
	if st, body = e.client().get(t, u.Path); st != http.StatusNotFound || !strings.Contains(body, "does not work any more") {
		t.Fatalf("a used invite link: %d %.500s", st, body)
	}
	// They log in with their own password from now on.
	e.client().login(t, "ed@example.com", "eds own password")
	_, body = owner.get(t, "/settings/people")
	if !strings.Contains(body, "Ed Ward") || strings.Contains(body, "Invited ·") {
		t.Fatalf("after accepting: %.3000s", body)
	}
}

func TestPeopleAddErrors(t *testing.T) {
	_, owner := peopleOwner(t)
	st, body := owner.post(t, "/settings/people", url.Values{"email": {"not an email"}, "role": {"editor"}, "method": {"invite"}})
	if st != http.StatusUnprocessableEntity || !strings.Contains(body, `aria-invalid="true"`) || !strings.Contains(body, "is not an email address") ||
		!strings.Contains(body, `value="not an email"`) {
		t.Fatalf("bad email: %d %.3000s", st, body)
	}
	st, body = owner.post(t, "/settings/people", url.Values{"email": {testOwnerEmail}, "role": {"viewer"}, "method": {"invite"}})
	if st != http.StatusConflict || !strings.Contains(body, "is already in this store, as owner") {
		t.Fatalf("an existing member: %d %.3000s", st, body)
	}
}

// loginOneTime logs in with a one-time password: the answer is the page
// that asks for a password of their own.
func loginOneTime(t testing.TB, c *uiClient, email, password string) {
	t.Helper()
	c.get(t, "/login")
	st, body := c.post(t, "/login", url.Values{"email": {email}, "password": {password}})
	if st != http.StatusSeeOther || c.location() != "/account/password" {
		t.Fatalf("login with a one-time password as %s: %d %s %.300s", email, st, c.location(), body)
	}
	if st, body = c.get(t, "/account/password"); st != 200 || !strings.Contains(body, "Choose your own password") || !strings.Contains(body, "data-one-time-notice") {
		t.Fatalf("the one-time password page: %d %.1500s", st, body)
	}
}

// A password an owner gives is one-time: at the next login the person
// chooses their own before anything else; then only theirs works.
func TestPeopleOneTimePassword(t *testing.T) {
	e, owner := peopleOwner(t)
	_, body := owner.get(t, "/settings/people")
	if !strings.Contains(body, "One-time password") || strings.Contains(body, "Temporary password") {
		t.Fatalf("the add form's wording: %.3000s", body)
	}
	pw := addPerson(t, owner, "vi@example.com", "editor", "password")
	_, body = owner.get(t, "/settings/people")
	if !strings.Contains(body, "data-one-time") {
		t.Fatalf("the list does not say they have a one-time password: %.3000s", body)
	}
	vi := e.client()
	loginOneTime(t, vi, "vi@example.com", pw)
	// Nothing else opens until they choose: pages, fragments, forms.
	for _, path := range []string{"/media", "/products", "/trash", "/account"} {
		if st, _ := vi.get(t, path); st != http.StatusSeeOther || !strings.HasPrefix(vi.location(), "/account/password") {
			t.Fatalf("GET %s with a one-time password: %d %s", path, st, vi.location())
		}
	}
	if st, _ := vi.get(t, "/products"); st != http.StatusSeeOther || vi.location() != "/account/password?next=%2Fproducts" {
		t.Fatalf("the page asked for is not kept: %s", vi.location())
	}
	if st, _ := vi.get(t, "/media/1", "HX-Request", "true"); st != http.StatusNoContent || vi.header.Get("HX-Redirect") != "/account/password" {
		t.Fatalf("a fragment with a one-time password: %d %q", st, vi.header.Get("HX-Redirect"))
	}
	if st, _ := vi.post(t, "/media/1/alt", url.Values{"alt": {"x"}}); st != http.StatusSeeOther || vi.location() != "/account/password" {
		t.Fatalf("a form with a one-time password: %d %s", st, vi.location())
	}
	// The API (tokens) is not held.
	tok := e.token(t, e.app.defOrg.ID, data.ScopeMediaRead)
	if r := e.getJSON(t, "/api/media", tok); r.Status != 200 {
		t.Fatalf("the API: %d", r.Status)
	}
	// Refusals are inline.
	st, body := vi.post(t, "/account/password", url.Values{"current_password": {pw}, "password": {pw}})
	if st != http.StatusUnprocessableEntity || !strings.Contains(body, "different from your current one") || !strings.Contains(body, `aria-invalid="true"`) ||
		!strings.Contains(body, "Choose your own password") {
		t.Fatalf("the same password again: %d %.2000s", st, body)
	}
	st, body = vi.post(t, "/account/password", url.Values{"current_password": {"not it at all"}, "password": {"vis own password"}})
	if st != http.StatusUnprocessableEntity || !strings.Contains(body, "That is not your current password") || !strings.Contains(body, `id="current-password-error"`) {
		t.Fatalf("a wrong one-time password: %d %.2000s", st, body)
	}
	st, _ = vi.post(t, "/account/password", url.Values{"current_password": {pw}, "password": {"vis own password"}, "next": {"/products"}})
	if st != http.StatusSeeOther || vi.location() != "/products" {
		t.Fatalf("choose a password: %d %s", st, vi.location())
	}
	if st, body = vi.get(t, "/products"); st != 200 || !strings.Contains(body, "Your password is saved.") {
		t.Fatalf("after choosing: %d %.1000s", st, body)
	}
	if st, _ := vi.get(t, "/settings/people"); st != http.StatusForbidden {
		t.Fatalf("an editor opens People: %d", st)
	}
	_, body = owner.get(t, "/settings/people")
	if strings.Contains(body, "data-one-time") {
		t.Fatal("the list still says they have a one-time password")
	}
	c := e.client()
	c.get(t, "/login")
	if st, _ := c.post(t, "/login", url.Values{"email": {"vi@example.com"}, "password": {pw}}); st != http.StatusUnauthorized {
		t.Fatalf("the one-time password works twice: %d", st)
	}
	e.client().login(t, "vi@example.com", "vis own password")
}

// A one-time password with a page asked for: the login keeps it for after.
func TestPeopleOneTimePasswordKeepsNext(t *testing.T) {
	e, owner := peopleOwner(t)
	pw := addPerson(t, owner, "ed@example.com", "editor", "password")
	ed := e.client()
	ed.get(t, "/login?next=/trash")
	if st, _ := ed.post(t, "/login", url.Values{"email": {"ed@example.com"}, "password": {pw}, "next": {"/trash"}}); st != http.StatusSeeOther ||
		ed.location() != "/account/password?next=%2Ftrash" {
		t.Fatalf("login: %d %s", st, ed.location())
	}
	ed.get(t, ed.location())
	if st, _ := ed.post(t, "/account/password", url.Values{"current_password": {pw}, "password": {"eds own password"}, "next": {"/trash"}}); st != http.StatusSeeOther || ed.location() != "/trash" {
		t.Fatalf("choose: %d %s", st, ed.location())
	}
}

// A promotion takes effect in the person's sessions as they are; only a
// demotion logs them out.
func TestPeoplePromotionKeepsSessions(t *testing.T) {
	e, owner := peopleOwner(t)
	e.createUser(t, "vi@example.com", data.RoleViewer)
	vi := e.client()
	vi.login(t, "vi@example.com", testOwnerPassword)
	id := e.userID(t, "vi@example.com")
	if st, _ := owner.post(t, "/settings/people/"+id+"/role", url.Values{"role": {"editor"}}); st != http.StatusSeeOther {
		t.Fatalf("promote: %d", st)
	}
	_, body := owner.get(t, "/settings/people")
	if !strings.Contains(body, "vi@example.com is now Editor. The new role applies at once; they stay logged in.") || strings.Contains(body, "logged out") {
		t.Fatalf("the toast: %.3000s", body)
	}
	if st, _ := vi.get(t, "/media"); st != 200 {
		t.Fatalf("the promoted viewer's session: %d", st)
	}
	if st, _ := owner.post(t, "/settings/people/"+id+"/role", url.Values{"role": {"owner"}}); st != http.StatusSeeOther {
		t.Fatalf("promote to owner: %d", st)
	}
	if st, body := vi.get(t, "/settings/people"); st != 200 || !strings.Contains(body, `data-person="vi@example.com"`) {
		t.Fatalf("the new owner's session does not open People: %d", st)
	}
	// Back down to viewer: that session ends, with a truthful toast.
	if st, _ := owner.post(t, "/settings/people/"+id+"/role", url.Values{"role": {"viewer"}}); st != http.StatusSeeOther {
		t.Fatalf("demote: %d", st)
	}
	if _, body := owner.get(t, "/settings/people"); !strings.Contains(body, "vi@example.com is now Viewer. They were logged out") {
		t.Fatalf("the demotion toast: %.3000s", body)
	}
	sessionEnded(t, vi, "the demoted owner")
}

// A refused change of your own role asked in a dialog puts your real role
// back into the select (an out-of-band swap), whatever was picked.
func TestPeopleRoleDialogShowsRealRole(t *testing.T) {
	e, owner := peopleOwner(t)
	id := e.userID(t, testOwnerEmail)
	realRole := regexp.MustCompile(`<select id="role-` + id + `" name="role"[^>]*hx-swap-oob="true"[^>]*>.*?<option value="owner" selected>`)
	st, body := owner.get(t, "/settings/people/"+id+"/role?role=editor", "HX-Request", "true")
	if st != http.StatusConflict || !strings.Contains(body, "You cannot change your role yet") || !realRole.MatchString(body) {
		t.Fatalf("only-owner dialog: %d %.3000s", st, body)
	}
	// With another owner the question comes, and the select still shows the role you have.
	e.createUser(t, "co@example.com", data.RoleOwner)
	st, body = owner.get(t, "/settings/people/"+id+"/role?role=viewer", "HX-Request", "true")
	if st != 200 || !strings.Contains(body, "Make yourself Viewer?") || !realRole.MatchString(body) {
		t.Fatalf("demote-yourself dialog: %d %.3000s", st, body)
	}
	// Without JavaScript the answer is a page, whose OK goes back to the list as it is.
	st, body = owner.post(t, "/settings/people/"+id+"/role", url.Values{"role": {"editor"}})
	if st != 200 || strings.Contains(body, "hx-swap-oob") || !strings.Contains(body, `href="/settings/people"`) {
		t.Fatalf("the question as a page: %d %.2000s", st, body)
	}
}

func TestPeopleChangeRoleEndsSessions(t *testing.T) {
	e, owner := peopleOwner(t)
	e.createUser(t, "ed@example.com", data.RoleEditor)
	ed := e.client()
	ed.login(t, "ed@example.com", testOwnerPassword)
	id := e.userID(t, "ed@example.com")
	st, _ := owner.post(t, "/settings/people/"+id+"/role", url.Values{"role": {"viewer"}})
	if st != http.StatusSeeOther || owner.location() != "/settings/people" {
		t.Fatalf("change role: %d %s", st, owner.location())
	}
	_, body := owner.get(t, "/settings/people")
	if !strings.Contains(body, "is now Viewer") {
		t.Fatalf("no toast: %.2000s", body)
	}
	sessionEnded(t, ed, "the demoted editor")
	ed.login(t, "ed@example.com", testOwnerPassword)
	mb, err := e.app.users.FindMembership(context.Background(), mustInt(t, id), e.app.defOrg.ID)
	if err != nil || mb.Role != data.RoleViewer {
		t.Fatalf("%+v %v", mb, err)
	}
	// The owner's own session is untouched.
	if st, _ := owner.get(t, "/settings/people"); st != 200 {
		t.Fatalf("owner: %d", st)
	}
}

func TestPeopleRemoveEndsSession(t *testing.T) {
	e, owner := peopleOwner(t)
	e.createUser(t, "ed@example.com", data.RoleEditor)
	ed := e.client()
	ed.login(t, "ed@example.com", testOwnerPassword)
	id := e.userID(t, "ed@example.com")
	// Without JavaScript the confirmation is a page.
	st, body := owner.get(t, "/settings/people/"+id+"/remove")
	if st != 200 || !strings.Contains(body, "Remove ed@example.com?") || !strings.Contains(body, `id="main"`) {
		t.Fatalf("confirm page: %d %.1000s", st, body)
	}
	// With htmx it is a dialog.
	st, body = owner.get(t, "/settings/people/"+id+"/remove", "HX-Request", "true")
	if st != 200 || !strings.Contains(body, "<dialog") || strings.Contains(body, `id="main"`) {
		t.Fatalf("confirm dialog: %d %.1000s", st, body)
	}
	st, _ = owner.post(t, "/settings/people/"+id+"/remove", nil)
	if st != http.StatusSeeOther || owner.location() != "/settings/people?removed=1" {
		t.Fatalf("remove: %d %s", st, owner.location())
	}
	// The row that had the focus is gone: the list's heading takes it.
	_, body = owner.get(t, owner.location())
	if !regexp.MustCompile(`<h2 id="people-title"[^>]*tabindex="-1"[^>]*autofocus`).MatchString(body) {
		t.Fatalf("the list heading does not take the focus: %.3000s", body)
	}
	if strings.Contains(body, `data-person="ed@example.com"`) || !strings.Contains(body, "ed@example.com was removed from the store and logged out.") {
		t.Fatalf("after remove: %.3000s", body)
	}
	sessionEnded(t, ed, "the removed editor")
	ed.get(t, "/login")
	if st, _ := ed.post(t, "/login", url.Values{"email": {"ed@example.com"}, "password": {testOwnerPassword}}); st != http.StatusUnauthorized {
		t.Fatalf("a removed person logs in: %d", st)
	}
}

func TestPeopleResetPassword(t *testing.T) {
	e, owner := peopleOwner(t)
	e.createUser(t, "ed@example.com", data.RoleEditor)
	ed := e.client()
	ed.login(t, "ed@example.com", testOwnerPassword)
	id := e.userID(t, "ed@example.com")
	st, body := owner.post(t, "/settings/people/"+id+"/password", url.Values{"method": {"set"}, "password": {"short"}})
	if st != http.StatusUnprocessableEntity || !strings.Contains(body, "at least 8 characters") || !strings.Contains(body, `aria-invalid="true"`) {
		t.Fatalf("short password: %d %.2000s", st, body)
	}
	if st, _ = owner.post(t, "/settings/people/"+id+"/password", nil); st != http.StatusUnprocessableEntity {
		t.Fatalf("no method: %d", st)
	}
	// A failed reset leaves the session alone.
	if st, _ = ed.get(t, "/media"); st != 200 {
		t.Fatalf("editor after a refused reset: %d", st)
	}
	st, body = owner.post(t, "/settings/people/"+id+"/password", url.Values{"method": {"generate"}})
	m := tempPasswordRE.FindStringSubmatch(body)
	if st != 200 || m == nil {
		t.Fatalf("reset: %d %.2000s", st, body)
	}
	sessionEnded(t, ed, "the editor whose password was reset")
	ed.get(t, "/login")
	if st, _ := ed.post(t, "/login", url.Values{"email": {"ed@example.com"}, "password": {testOwnerPassword}}); st != http.StatusUnauthorized {
		t.Fatalf("the old password works: %d", st)
	}
	loginOneTime(t, ed, "ed@example.com", html.UnescapeString(m[1]))
	// A typed password: a toast, no secret on the page.
	st, _ = owner.post(t, "/settings/people/"+id+"/password", url.Values{"method": {"set"}, "password": {"typed by the owner"}})
	if st != http.StatusSeeOther {
		t.Fatalf("set: %d", st)
	}
	sessionEnded(t, ed, "the editor whose password was set")
	loginOneTime(t, e.client(), "ed@example.com", "typed by the owner")
}

func TestPeopleLastOwner(t *testing.T) {
	e, owner := peopleOwner(t)
	id := e.userID(t, testOwnerEmail)
	const msg = "You are the only owner of this store. Make someone else an owner first"
	for _, tc := range []struct {
		method, path string
		form         url.Values
	}{
		{"POST", "/settings/people/" + id + "/role", url.Values{"role": {"editor"}}},
		{"GET", "/settings/people/" + id + "/role?role=viewer", nil},
		{"GET", "/settings/people/" + id + "/remove", nil},
	} {
		var st int
		var body string
		if tc.method == "GET" {
			st, body = owner.get(t, tc.path)
		} else {
			st, body = owner.post(t, tc.path, tc.form)
		}
		if st != http.StatusConflict || !strings.Contains(body, msg) {
			t.Fatalf("%s %s: %d %.2000s", tc.method, tc.path, st, body)
		}
	}
	// Past the questions, the store still refuses, with the reason next to the person.
	st, body := owner.post(t, "/settings/people/"+id+"/role", url.Values{"role": {"editor"}, "confirm": {"1"}})
	if st != http.StatusConflict || !strings.Contains(body, "owner@example.com is the only owner of this store") || !strings.Contains(body, "data-row-error") {
		t.Fatalf("confirmed demotion: %d %.2000s", st, body)
	}
	st, body = owner.post(t, "/settings/people/"+id+"/remove", nil)
	if st != http.StatusConflict || !strings.Contains(body, "owner@example.com is the only owner of this store") {
		t.Fatalf("remove: %d %.2000s", st, body)
	}
	if mb, err := e.app.users.FindMembership(context.Background(), mustInt(t, id), e.app.defOrg.ID); err != nil || mb.Role != data.RoleOwner {
		t.Fatalf("%+v %v", mb, err)
	}
	if st, _ := owner.get(t, "/settings/people"); st != 200 {
		t.Fatalf("owner after refusals: %d", st)
	}
}

func TestPeopleDemoteYourself(t *testing.T) {
	e, owner := peopleOwner(t)
	e.createUser(t, "co@example.com", data.RoleOwner)
	id := e.userID(t, testOwnerEmail)
	st, body := owner.post(t, "/settings/people/"+id+"/role", url.Values{"role": {"editor"}})
	if st != 200 || !strings.Contains(body, "Make yourself Editor?") || !strings.Contains(body, `name="confirm" value="1"`) {
		t.Fatalf("no question first: %d %.2000s", st, body)
	}
	if mb, _ := e.app.users.FindMembership(context.Background(), mustInt(t, id), e.app.defOrg.ID); mb.Role != data.RoleOwner {
		t.Fatal("changed before the question was answered")
	}
	st, _ = owner.post(t, "/settings/people/"+id+"/role", url.Values{"role": {"editor"}, "confirm": {"1"}})
	if st != http.StatusSeeOther || owner.location() != "/media" {
		t.Fatalf("confirmed: %d %s", st, owner.location())
	}
	// This session goes on, as an editor.
	st, body = owner.get(t, "/media")
	if st != 200 || !strings.Contains(body, "You are now Editor of this store.") || strings.Contains(body, `href="/settings/people"`) {
		t.Fatalf("after demoting yourself: %d %.1000s", st, body)
	}
	if st, _ := owner.get(t, "/settings/people"); st != http.StatusForbidden {
		t.Fatalf("a demoted owner opens People: %d", st)
	}
}

func TestPeopleRenewInvite(t *testing.T) {
	e, owner := peopleOwner(t)
	first, _ := url.Parse(addPerson(t, owner, "in@example.com", "viewer", "invite"))
	id := e.userID(t, "in@example.com")
	st, body := owner.post(t, "/settings/people/"+id+"/invite", nil)
	m := inviteLinkRE.FindStringSubmatch(body)
	if st != 200 || m == nil {
		t.Fatalf("new link: %d %.2000s", st, body)
	}
	second, _ := url.Parse(m[1])
	if st, _ := e.client().get(t, first.Path); st != http.StatusNotFound {
		t.Fatalf("the replaced link: %d", st)
	}
	if st, _ := e.client().get(t, second.Path); st != 200 {
		t.Fatalf("the new link: %d", st)
	}
	// An invited person cannot log in before accepting.
	c := e.client()
	c.get(t, "/login")
	if st, _ := c.post(t, "/login", url.Values{"email": {"in@example.com"}, "password": {""}}); st != http.StatusUnauthorized {
		t.Fatalf("login before accepting: %d", st)
	}
}

// TestPeopleAndCLI: people made by `gallerist user create` show up in People
// and can be managed there; the CLI keeps its behaviour.
func TestPeopleAndCLI(t *testing.T) {
	dir := t.TempDir()
	env := func(k string) string {
		switch k {
		case "GALLERIST_DATA":
			return dir
		case "GALLERIST_PASSWORD":
			return testOwnerPassword
		}
		return ""
	}
	for _, args := range [][]string{
		{"user", "create", "--email", testOwnerEmail},
		{"user", "create", "--email", "cli@example.com", "--role", "viewer"},
	} {
		if err := run(context.Background(), args, env, nil, io.Discard, io.Discard); err != nil {
			t.Fatal(err)
		}
	}
	e := newTestEnv(t, func(cfg *config) { cfg.dataDir = dir })
	owner := e.client()
	owner.login(t, testOwnerEmail, testOwnerPassword)
	_, body := owner.get(t, "/settings/people")
	if !strings.Contains(body, `data-person="cli@example.com"`) {
		t.Fatalf("a CLI-made user is not listed: %.2000s", body)
	}
	id := e.userID(t, "cli@example.com")
	if st, _ := owner.post(t, "/settings/people/"+id+"/role", url.Values{"role": {"editor"}}); st != http.StatusSeeOther {
		t.Fatalf("role of a CLI-made user: %d", st)
	}
	// The CLI still creates (and re-roles) users in the same database.
	var out bytes.Buffer
	if err := run(context.Background(), []string{"user", "create", "--email", "cli@example.com", "--role", "owner"}, env, nil, &out, io.Discard); err != nil ||
		!strings.Contains(out.String(), "cli@example.com is owner of default") {
		t.Fatalf("%v %q", err, out.String())
	}
}

func mustInt(t testing.TB, s string) int64 {
	t.Helper()
	var n int64
	for _, r := range s {
		if r < '0' || r > '9' {
			t.Fatalf("not a number: %q", s)
		}
		n = n*10 + int64(r-'0')
	}
	return n
}

// An owner changing their own password keeps this session and ends the others.
func TestPeopleOwnPassword(t *testing.T) {
	e, owner := peopleOwner(t)
	other := e.client()
	other.login(t, testOwnerEmail, testOwnerPassword)
	id := e.userID(t, testOwnerEmail)
	st, body := owner.get(t, "/settings/people/"+id+"/password")
	if st != 200 || !strings.Contains(body, "Change your password") {
		t.Fatalf("own password page: %d %.1000s", st, body)
	}
	st, _ = owner.post(t, "/settings/people/"+id+"/password", url.Values{"method": {"set"}, "password": {"my new password"}})
	if st != http.StatusSeeOther {
		t.Fatalf("set own password: %d", st)
	}
	if st, body = owner.get(t, "/settings/people"); st != 200 || !strings.Contains(body, "Your password was changed. Your other sessions were logged out.") {
		t.Fatalf("this session after the change: %d %.500s", st, body)
	}
	sessionEnded(t, other, "the owner's other session")
	e.client().login(t, testOwnerEmail, "my new password")
}

// With another owner, an owner may remove themselves: asked first, then logged out.
func TestPeopleRemoveYourself(t *testing.T) {
	e, owner := peopleOwner(t)
	e.createUser(t, "co@example.com", data.RoleOwner)
	id := e.userID(t, testOwnerEmail)
	st, body := owner.get(t, "/settings/people/"+id+"/remove")
	if st != 200 || !strings.Contains(body, "Remove yourself from this store?") {
		t.Fatalf("confirm: %d %.1000s", st, body)
	}
	st, _ = owner.post(t, "/settings/people/"+id+"/remove", nil)
	if st != http.StatusSeeOther || owner.location() != "/login" {
		t.Fatalf("remove yourself: %d %s", st, owner.location())
	}
	if st, body = owner.get(t, "/login"); st != 200 || !strings.Contains(body, "You removed yourself from the store and were logged out.") {
		t.Fatalf("login page: %d %.500s", st, body)
	}
	sessionEnded(t, owner, "the owner who left")
	co := e.client()
	co.login(t, "co@example.com", testOwnerPassword)
	co.get(t, "/settings/people")
	// co is now the only owner.
	coID := e.userID(t, "co@example.com")
	if st, _ := co.post(t, "/settings/people/"+coID+"/role", url.Values{"role": {"viewer"}, "confirm": {"1"}}); st != http.StatusConflict {
		t.Fatalf("the remaining owner steps down: %d", st)
	}
}
