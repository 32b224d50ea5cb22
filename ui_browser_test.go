package main

import (
	"testing"

	"github.com/chromedp/chromedp"
)

func TestBrowserSetupAndLogin(t *testing.T) {
	b := newBrowserEnv(t)
	b.navigate("/media")
	b.waitJS("redirect to setup", `location.pathname === "/setup"`)
	b.screenshots("setup")
	b.axe("setup")

	// A too-short password is refused inline, keeping what was typed.
	b.fill("#email", testOwnerEmail)
	b.fill("#password", "short")
	b.click(`button[type=submit]`)
	b.waitJS("the password error", `document.querySelector("#password-error") !== null`)
	if got := evalJS[string](b, `document.querySelector("#email").value`); got != testOwnerEmail {
		t.Fatalf("email not kept after an error: %q", got)
	}

	b.fill("#org_name", "Hilltop Ceramics")
	b.fill("#password", testOwnerPassword)
	b.click(`button[type=submit]`)
	b.waitJS("the library", `location.pathname === "/media" && document.body.innerText.includes("Drop product photos here to start your library")`)
	if !evalJS[bool](b, `document.body.innerText.includes("Hilltop Ceramics")`) {
		t.Fatalf("the store name is not shown: %s", b.pageText())
	}
	b.screenshots("library-empty")
	b.axe("library (empty)")

	// Setup is gone once a user exists.
	b.navigate("/setup")
	if p := b.path(); p != "/media" {
		t.Fatalf("/setup after setup went to %s", p)
	}

	// Log out (the menu is a <details>), then log in again.
	b.do(chromedp.Click(chromedp.CSS(`aside details summary`)))
	b.click(`aside form[action="/logout"] button`)
	b.waitJS("the login page", `location.pathname === "/login" && document.body.innerText.includes("You are logged out")`)
	b.screenshots("login")
	b.axe("login")

	b.login(testOwnerEmail, "wrong password!")
	b.waitJS("the login error", `document.body.innerText.includes("do not match")`)
	b.login(testOwnerEmail, testOwnerPassword)
	b.waitJS("the library after login", `location.pathname === "/media"`)
}
