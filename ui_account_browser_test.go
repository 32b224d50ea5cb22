package main

import (
	"testing"

	"gallerist/data"
)

// Your account in Chromium: an editor opens it from the user menu, sees
// the refusal inline, changes their password, and their other browser is
// logged out while this one goes on.
func TestBrowserAccountChangePassword(t *testing.T) {
	b := newBrowserEnv(t)
	b.testEnv.createUser(t, "ed@example.com", data.RoleEditor)
	b.login(t, "ed@example.com", testOwnerPassword)
	b.waitJS(t, "the library", `location.pathname === "/media"`)
	other := b.otherVisitor(t)
	other.login(t, "ed@example.com", testOwnerPassword)
	other.waitJS(t, "the other browser's library", `location.pathname === "/media"`)

	b.click(t, `aside details summary`)
	b.click(t, `aside a[href="/account"]`)
	b.waitJS(t, "the account page", `location.pathname === "/account" && document.querySelector("h1")?.textContent.includes("Your account")`)
	b.axe(t, "Your account")
	b.fill(t, "#current-password", "not my password")
	b.fill(t, "#new-password", "eds new password")
	b.click(t, `form[action="/account/password"] button[type=submit]`)
	b.waitJS(t, "the inline error, with the focus on its field", `document.querySelector("#current-password-error")?.textContent.includes("That is not your current password") && document.activeElement?.id === "current-password" && document.querySelector("#current-password").getAttribute("aria-invalid") === "true"`)
	b.axe(t, "Your account with an error")
	b.fill(t, "#current-password", testOwnerPassword)
	b.fill(t, "#new-password", "eds new password")
	b.click(t, `form[action="/account/password"] button[type=submit]`)
	b.waitToast(t, "Your password was changed. Your other sessions were logged out.")
	b.click(t, `aside nav a[href="/products"]`)
	b.waitJS(t, "this session goes on", `location.pathname === "/products"`)
	other.sessionGone(t, "the other browser")
	other.fill(t, "#email", "ed@example.com")
	other.fill(t, "#password", "eds new password")
	other.click(t, `button[type=submit]`)
	other.waitJS(t, "logged in with the new password", `location.pathname === "/products"`)
}

// A person added with a one-time password is held on the page that asks
// for their own, whatever they click, until they choose it.
func TestBrowserOneTimePasswordFirstLogin(t *testing.T) {
	b := loggedIn(t)
	b.openPeople(t)
	pw := b.addPersonInBrowser(t, "ed@example.com", data.RoleEditor, "password")
	ed := b.otherVisitor(t)
	ed.login(t, "ed@example.com", pw)
	ed.waitJS(t, "the own-password page", `location.pathname === "/account/password" && document.querySelector("[data-one-time-notice]")`)
	ed.axe(t, "Choose your own password")
	ed.screenshots(t, "own-password")
	ed.navigate(t, "/products")
	ed.waitJS(t, "still the own-password page", `location.pathname === "/account/password" && document.querySelector("[data-one-time-notice]")`)
	ed.fill(t, "#current-password", pw)
	ed.fill(t, "#new-password", "short")
	ed.click(t, `form[action="/account/password"] button[type=submit]`)
	ed.waitJS(t, "the inline error", `document.querySelector("#new-password-error")?.textContent.includes("at least 8") && document.activeElement?.id === "new-password"`)
	ed.axe(t, "Choose your own password with an error")
	ed.fill(t, "#current-password", pw)
	ed.fill(t, "#new-password", "eds own password")
	ed.click(t, `form[action="/account/password"] button[type=submit]`)
	ed.waitJS(t, "the page asked for, then", `location.pathname === "/products" && document.querySelector("#toasts").textContent.includes("Your password is saved.")`)
	// The owner's list no longer says they have a one-time password.
	b.click(t, `aside nav a[href="/media"]`)
	b.waitJS(t, "the library", `location.pathname === "/media"`)
	b.openPeople(t)
	if evalJS[bool](t, b, `document.querySelector("[data-one-time]") !== null`) {
		t.Fatal("still marked as having a one-time password")
	}
}
