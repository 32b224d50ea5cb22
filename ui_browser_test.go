package main

import (
	"testing"

	"github.com/chromedp/chromedp"
)

func TestBrowserSetupAndLogin(t *testing.T) {
	b := newBrowserEnv(t)
	b.navigate(t, "/media")
	b.waitJS(t, "redirect to setup", `location.pathname === "/setup"`)
	b.screenshots(t, "setup")
	b.axe(t, "setup")

	// A too-short password is refused inline, keeping what was typed.
	b.fill(t, "#email", testOwnerEmail)
	b.fill(t, "#password", "short")
	b.click(t, `button[type=submit]`)
	b.waitJS(t, "the password error", `document.querySelector("#password-error") !== null`)
	if got := evalJS[string](t, b, `document.querySelector("#email").value`); got != testOwnerEmail {
		t.Fatalf("email not kept after an error: %q", got)
	}

	b.fill(t, "#org_name", "Hilltop Ceramics")
	b.fill(t, "#password", testOwnerPassword)
	b.click(t, `button[type=submit]`)
	b.waitJS(t, "the library", `location.pathname === "/media" && document.body.innerText.includes("Drop product photos here to start your library")`)
	if !evalJS[bool](t, b, `document.body.innerText.includes("Hilltop Ceramics")`) {
		t.Fatalf("the store name is not shown: %s", b.pageText())
	}
	b.screenshots(t, "library-empty")
	b.axe(t, "library (empty)")

	// Setup is gone once a user exists.
	b.navigate(t, "/setup")
	if p := b.path(t); p != "/media" {
		t.Fatalf("/setup after setup went to %s", p)
	}

	// Log out (the menu is a <details>), then log in again.
	b.do(t, chromedp.Click(chromedp.CSS(`aside details summary`)))
	b.click(t, `aside form[action="/logout"] button`)
	b.waitJS(t, "the login page", `location.pathname === "/login" && document.body.innerText.includes("You are logged out")`)
	b.screenshots(t, "login")
	b.axe(t, "login")

	b.login(t, testOwnerEmail, "wrong password!")
	b.waitJS(t, "the login error", `document.body.innerText.includes("do not match")`)
	b.login(t, testOwnerEmail, testOwnerPassword)
	b.waitJS(t, "the library after login", `location.pathname === "/media"`)
}
