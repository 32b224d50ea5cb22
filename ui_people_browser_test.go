package main

import (
	"context"
	"net/url"
	"strconv"
	"testing"
	"time"

	"gallerist/data"

	"github.com/chromedp/chromedp"
)

// Settings › People in Chromium: an owner reaches it from the sidebar and
// manages people; a second browser (its own cookies) is the other person.

// otherVisitor is a second browser, with its own cookies, on the same server.
func (b *browserEnv) otherVisitor(t testing.TB) *browserEnv {
	t.Helper()
	ctx, cancel := chromedp.NewContext(sharedBrowser(t), chromedp.WithNewBrowserContext())
	t.Cleanup(cancel)
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("open a second browser: %v", err)
	}
	tctx, tcancel := context.WithTimeout(ctx, 2*time.Minute)
	t.Cleanup(tcancel)
	return &browserEnv{testEnv: b.testEnv, ctx: tctx, base: b.base}
}

// openPeople goes to Settings › People through the sidebar.
func (b *browserEnv) openPeople(t testing.TB) {
	t.Helper()
	b.click(t, `aside nav a[href="/settings/people"]`)
	b.waitJS(t, "the People page", `location.pathname === "/settings/people" && document.querySelector("h1")?.textContent.includes("People") && document.querySelector("#people-list")`)
	b.settled(t)
}

// personSel is the CSS selector of a person's row.
func (b *browserEnv) personSel(t testing.TB, email string) string {
	t.Helper()
	var id int64
	if err := b.app.db.QueryRowForTest(`SELECT id FROM users WHERE email = ?`, email).Scan(&id); err != nil {
		t.Fatalf("user %s: %v", email, err)
	}
	return "#person-" + strconv.FormatInt(id, 10)
}

// addPersonInBrowser fills and sends "Add a person" and returns the secret shown once.
func (b *browserEnv) addPersonInBrowser(t testing.TB, email string, role data.Role, method string) string {
	t.Helper()
	b.fill(t, "#person-email", email)
	b.click(t, "#add-role-"+string(role))
	b.click(t, "#add-method-"+method)
	b.click(t, `form[action="/settings/people"] button[type=submit]`)
	b.waitJS(t, "the secret", `document.querySelector("[data-revealed] #revealed-value")?.value && document.querySelector("#people-list [data-person="+`+jsString(jsString(email))+`+"]")`)
	b.waitJS(t, "the toast", `document.querySelector("#toasts").textContent.includes(`+jsString(email+" added as")+`)`)
	return evalJS[string](t, b, `document.querySelector("#revealed-value").value`)
}

// chooseRole picks a role in a person's select and saves it.
func (b *browserEnv) chooseRole(t testing.TB, row string, role data.Role) {
	t.Helper()
	b.settled(t)
	evalJS[chromedp.Void](t, b, `(() => { const s = document.querySelector(`+jsString(row+" select[name=role]")+`); s.focus(); s.value = `+jsString(string(role))+`; s.dispatchEvent(new Event("change", {bubbles: true})) })()`)
	b.click(t, row+` form[action$="/role"] button[type=submit]`)
}

func (b *browserEnv) waitToast(t testing.TB, text string) {
	t.Helper()
	b.waitJS(t, "the toast "+text, `document.querySelector("#toasts").textContent.includes(`+jsString(text)+`)`)
}

func (b *browserEnv) waitDialog(t testing.TB, text string) {
	t.Helper()
	b.waitJS(t, "a dialog saying "+text, `document.querySelector("dialog[open]")?.textContent.includes(`+jsString(text)+`)`)
	b.settled(t)
}

// sessionGone checks that the visitor's next click lands on the login page.
func (b *browserEnv) sessionGone(t testing.TB, who string) {
	t.Helper()
	b.click(t, `aside nav a[href="/products"]`)
	b.waitJS(t, who+" sent to the login page", `location.pathname === "/login" && document.querySelector("#password")`)
}

func (b *browserEnv) roleOf(t testing.TB, email string) data.Role {
	t.Helper()
	var role string
	if err := b.app.db.QueryRowForTest(`SELECT ms.role FROM memberships ms JOIN users u ON u.id = ms.user_id WHERE u.email = ?`, email).Scan(&role); err != nil {
		t.Fatalf("role of %s: %v", email, err)
	}
	return data.Role(role)
}

// An owner invites an editor from Settings › People; the editor joins by the
// link in another browser, has no People, then loses their session at once
// when the owner changes their role and again when the owner removes them.
func TestBrowserPeopleInviteRoleRemove(t *testing.T) {
	b := loggedIn(t)
	b.openPeople(t)
	if !evalJS[bool](t, b, `document.querySelector("#people-list [data-you]") !== null && document.querySelector('aside nav a[aria-current="page"]').getAttribute("href") === "/settings/people"`) {
		t.Fatal("no You marker or the sidebar does not mark People")
	}
	b.axe(t, "People")

	link := b.addPersonInBrowser(t, "ed@example.com", data.RoleEditor, "invite")
	b.axe(t, "People with an invite link")
	b.screenshots(t, "people")
	u, err := url.Parse(link)
	if err != nil || u.Host == "" {
		t.Fatalf("invite link %q: %v", link, err)
	}
	ed := b.otherVisitor(t)
	ed.navigate(t, u.Path)
	ed.waitJS(t, "the invite page", `document.querySelector("h1")?.textContent.includes("Join")`)
	ed.axe(t, "invite page")
	ed.fill(t, "#invite-name", "Ed Ward")
	ed.fill(t, "#password", "eds own password")
	ed.click(t, `button[type=submit]`)
	ed.waitJS(t, "the library after joining", `location.pathname === "/media" && document.querySelector("#toasts").textContent.includes("Welcome to")`)
	if evalJS[bool](t, ed, `document.querySelector('a[href="/settings/people"]') !== null`) {
		t.Fatal("an editor sees the People link")
	}
	ed.navigate(t, "/settings/people")
	ed.waitJS(t, "the refusal", `document.querySelector("h1")?.textContent.includes("Not allowed") && document.body.textContent.includes("does not allow")`)
	ed.click(t, `aside nav a[href="/media"]`)
	ed.waitJS(t, "the library", `location.pathname === "/media"`)

	// The owner sees them joined, then makes them a viewer.
	b.click(t, `aside nav a[href="/media"]`)
	b.waitJS(t, "the library", `location.pathname === "/media"`)
	b.openPeople(t)
	row := b.personSel(t, "ed@example.com")
	b.waitJS(t, "Ed's name", `document.querySelector(`+jsString(row)+`).textContent.includes("Ed Ward")`)
	b.chooseRole(t, row, data.RoleViewer)
	b.waitToast(t, "Ed Ward is now Viewer.")
	if r := b.roleOf(t, "ed@example.com"); r != data.RoleViewer {
		t.Fatalf("role on the server: %s", r)
	}
	ed.sessionGone(t, "the re-roled editor")
	ed.fill(t, "#email", "ed@example.com")
	ed.fill(t, "#password", "eds own password")
	ed.click(t, `button[type=submit]`)
	ed.waitJS(t, "the viewer's library", `location.pathname === "/products" || location.pathname === "/media"`)

	// Remove them: a dialog asks first.
	b.click(t, row+` a[href$="/remove"]`)
	b.waitDialog(t, "Remove Ed Ward?")
	b.axe(t, "People: remove dialog")
	b.click(t, `dialog[open] button[type=submit]`)
	b.waitToast(t, "Ed Ward was removed from the store and logged out.")
	b.waitJS(t, "the row gone", `document.querySelector(`+jsString(row)+`) === null`)
	ed.sessionGone(t, "the removed person")
}

// The only owner can neither remove nor demote themselves (the dialogs say
// why); a password reset ends the person's sessions; an owner who demotes
// themselves is asked first and keeps their session with the new role.
func TestBrowserPeopleLastOwnerResetDemote(t *testing.T) {
	b := loggedIn(t)
	b.openPeople(t)
	me := b.personSel(t, testOwnerEmail)

	b.click(t, me+` a[href$="/remove"]`)
	b.waitDialog(t, "You are the only owner of this store")
	b.axe(t, "People: only-owner dialog")
	b.click(t, `dialog[open] [data-dialog-cancel]`)
	b.waitJS(t, "the dialog closed", `document.querySelector("dialog[open]") === null`)

	b.chooseRole(t, me, data.RoleEditor)
	b.waitDialog(t, "You are the only owner of this store")
	b.click(t, `dialog[open] [data-dialog-cancel]`)
	// Closed, and the focus back where it was (the dialog gives it back a moment after closing).
	b.waitJS(t, "the dialog closed", `document.querySelector("dialog[open]") === null && document.activeElement?.matches(`+jsString(me+` form[action$="/role"] button[type=submit]`)+`)`)
	if r := b.roleOf(t, testOwnerEmail); r != data.RoleOwner {
		t.Fatalf("the only owner became %s", r)
	}

	// A viewer with a one-time password, logged in in another browser,
	// chooses their own first.
	pw := b.addPersonInBrowser(t, "vi@example.com", data.RoleViewer, "password")
	b.axe(t, "People with a one-time password")
	vi := b.otherVisitor(t)
	vi.login(t, "vi@example.com", pw)
	vi.chooseOwnPassword(t, pw, "vis own password")
	vi.waitJS(t, "the viewer's library", `location.pathname === "/media"`)

	// Reset their password: their session ends at once; the new one works.
	row := b.personSel(t, "vi@example.com")
	b.click(t, row+` a[href$="/password"]`)
	b.waitDialog(t, "Reset the password of vi@example.com")
	b.axe(t, "People: reset password dialog")
	b.screenshots(t, "people-reset-dialog")
	b.click(t, `dialog[open] button[type=submit]`)
	b.waitJS(t, "the new password", `document.querySelector("[data-revealed] #revealed-value")?.value`)
	b.waitToast(t, "Password of vi@example.com reset. They were logged out everywhere and choose their own when they next log in.")
	newPW := evalJS[string](t, b, `document.querySelector("#revealed-value").value`)
	if newPW == pw {
		t.Fatal("the same password again")
	}
	vi.sessionGone(t, "the viewer whose password was reset")
	vi.fill(t, "#email", "vi@example.com")
	vi.fill(t, "#password", newPW)
	vi.click(t, `button[type=submit]`)
	vi.chooseOwnPassword(t, newPW, "vis second own password")
	vi.waitJS(t, "the viewer back in", `location.pathname === "/products"`)

	// With a second owner, demoting yourself asks first, then keeps you in.
	b.chooseRole(t, row, data.RoleOwner)
	b.waitToast(t, "vi@example.com is now Owner. The new role applies at once; they stay logged in.")
	vi.click(t, `aside nav a[href="/media"]`)
	vi.waitJS(t, "the promoted viewer still in, now with People", `location.pathname === "/media" && document.querySelector('aside nav a[href="/settings/people"]') !== null`)
	b.chooseRole(t, me, data.RoleEditor)
	b.waitDialog(t, "Make yourself Editor?")
	b.axe(t, "People: demote yourself dialog")
	if r := b.roleOf(t, testOwnerEmail); r != data.RoleOwner {
		t.Fatalf("changed before the question was answered: %s", r)
	}
	b.click(t, `dialog[open] button[type=submit]`)
	b.waitJS(t, "the library as an editor", `location.pathname === "/media" && document.querySelector("#toasts").textContent.includes("You are now Editor of this store.")`)
	if r := b.roleOf(t, testOwnerEmail); r != data.RoleEditor {
		t.Fatalf("role on the server: %s", r)
	}
	if evalJS[bool](t, b, `document.querySelector('a[href="/settings/people"]') !== null`) {
		t.Fatal("a demoted owner still sees People")
	}
	// Their own session goes on.
	b.click(t, `aside nav a[href="/products"]`)
	b.waitJS(t, "the products page", `location.pathname === "/products"`)
}

// chooseOwnPassword is the page after a login with a one-time password:
// it asks for a password of one's own, and then goes on.
func (b *browserEnv) chooseOwnPassword(t testing.TB, oneTime, own string) {
	t.Helper()
	b.waitJS(t, "the page asking for an own password", `location.pathname === "/account/password" && document.querySelector("[data-one-time-notice]") && document.activeElement?.id === "current-password"`)
	b.fill(t, "#current-password", oneTime)
	b.fill(t, "#new-password", own)
	b.click(t, `form[action="/account/password"] button[type=submit]`)
	b.waitJS(t, "the toast after choosing", `location.pathname !== "/account/password" && document.querySelector("#toasts").textContent.includes("Your password is saved.")`)
}

// After a refused change of your own role the select shows the role you
// have, and the focus is back on the button you pressed; after adding a
// person the focus is on the secret shown once; after removing one, on the
// list's heading.
func TestBrowserPeopleRoleRefusalAndFocus(t *testing.T) {
	b := loggedIn(t)
	b.openPeople(t)
	me := b.personSel(t, testOwnerEmail)
	b.chooseRole(t, me, data.RoleEditor)
	b.waitDialog(t, "You cannot change your role yet")
	if v := evalJS[string](t, b, `document.querySelector(`+jsString(me+" select[name=role]")+`).value`); v != "owner" {
		t.Fatalf("behind the dialog the select shows %q", v)
	}
	b.click(t, `dialog[open] [data-dialog-cancel]`)
	b.waitJS(t, "the dialog closed, focus back on Save role", `document.querySelector("dialog[open]") === null && document.activeElement?.matches(`+jsString(me+` form[action$="/role"] button[type=submit]`)+`)`)
	if v := evalJS[string](t, b, `document.querySelector(`+jsString(me+" select[name=role]")+`).value`); v != "owner" {
		t.Fatalf("after the refusal the select shows %q", v)
	}

	// Adding a person: the focus goes to the one-time secret, whose region is named.
	b.addPersonInBrowser(t, "vi@example.com", data.RoleViewer, "password")
	b.waitJS(t, "the focus on the revealed password", `document.activeElement?.matches("[data-revealed]") && document.activeElement.getAttribute("aria-labelledby") === "revealed-title"`)
	if !evalJS[bool](t, b, `document.querySelector("#revealed-title").textContent.includes("One-time password for vi@example.com") && document.querySelector("#revealed-help").textContent.includes("they choose their own password when they first log in")`) {
		t.Fatalf("the revealed card's wording: %s", evalJS[string](t, b, `document.querySelector("[data-revealed]").textContent`))
	}
	b.addPersonInBrowser(t, "ed@example.com", data.RoleEditor, "invite")
	b.waitJS(t, "the focus on the revealed link", `document.activeElement?.matches("[data-revealed]") && document.querySelector("#revealed-title").textContent.includes("invite link")`)

	// Removing a person: the list's heading takes the focus.
	row := b.personSel(t, "vi@example.com")
	b.click(t, row+` a[href$="/remove"]`)
	b.waitDialog(t, "Remove vi@example.com?")
	b.click(t, `dialog[open] button[type=submit]`)
	b.waitToast(t, "vi@example.com was removed from the store and logged out.")
	b.waitJS(t, "the focus on the list heading", `document.querySelector(`+jsString(row)+`) === null && document.activeElement?.id === "people-title" && document.activeElement.textContent.includes("2 people")`)
}
