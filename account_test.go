package main

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"gallerist/data"
)

// Your account (/account), without JavaScript: anyone logged in changes
// their own password; this session goes on, the others end.
func TestAccountChangePassword(t *testing.T) {
	e := newTestEnv(t)
	e.createUser(t, "ed@example.com", data.RoleEditor)
	ed, other := e.client(), e.client()
	ed.login(t, "ed@example.com", testOwnerPassword)
	other.login(t, "ed@example.com", testOwnerPassword)

	// The user menu links the page.
	st, body := ed.get(t, "/media")
	if st != 200 || !strings.Contains(body, `href="/account"`) {
		t.Fatalf("no link to the account page: %d %.1000s", st, body)
	}
	st, body = ed.get(t, "/account")
	if st != 200 || !strings.Contains(body, "Change your password") || !strings.Contains(body, "ed@example.com") ||
		!strings.Contains(body, `autocomplete="current-password"`) || !strings.Contains(body, `aria-current="page"`) {
		t.Fatalf("account page: %d %.2000s", st, body)
	}
	if st, _ := ed.get(t, "/account/password"); st != http.StatusSeeOther || ed.location() != "/account" {
		t.Fatalf("/account/password without a one-time password: %d %s", st, ed.location())
	}

	for _, tc := range []struct {
		name, current, password, want, field string
	}{
		{"NoCurrent", "", "a new password", "Enter your current password.", "current-password-error"},
		{"WrongCurrent", "not my password", "a new password", "That is not your current password.", "current-password-error"},
		{"TooShort", testOwnerPassword, "short", "at least 8 characters", "new-password-error"},
		{"Same", testOwnerPassword, testOwnerPassword, "different from your current one", "new-password-error"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st, body := ed.post(t, "/account/password", url.Values{"current_password": {tc.current}, "password": {tc.password}})
			if st != http.StatusUnprocessableEntity || !strings.Contains(body, tc.want) || !strings.Contains(body, `id="`+tc.field+`"`) ||
				!strings.Contains(body, `aria-invalid="true"`) || !strings.Contains(body, "autofocus") {
				t.Fatalf("%d %.3000s", st, body)
			}
			if strings.Contains(body, `value="`+testOwnerPassword+`"`) {
				t.Fatal("a password is echoed back")
			}
		})
	}
	// CSRF is checked as on every form.
	if st, _ := ed.post(t, "/account/password", url.Values{"_csrf": {""}, "current_password": {testOwnerPassword}, "password": {"my own new one"}}); st != http.StatusForbidden {
		t.Fatalf("without a CSRF token: %d", st)
	}
	st, _ = ed.post(t, "/account/password", url.Values{"current_password": {testOwnerPassword}, "password": {"my own new one"}})
	if st != http.StatusSeeOther || ed.location() != "/account" {
		t.Fatalf("change: %d %s", st, ed.location())
	}
	if st, body = ed.get(t, "/account"); st != 200 || !strings.Contains(body, "Your password was changed. Your other sessions were logged out.") {
		t.Fatalf("this session after the change: %d %.1000s", st, body)
	}
	sessionEnded(t, other, "the other session")
	c := e.client()
	c.get(t, "/login")
	if st, _ := c.post(t, "/login", url.Values{"email": {"ed@example.com"}, "password": {testOwnerPassword}}); st != http.StatusUnauthorized {
		t.Fatalf("the old password still works: %d", st)
	}
	e.client().login(t, "ed@example.com", "my own new one")
}

// Wrong current passwords count against the login limit, so the form is no
// way to guess a password faster than the login page allows.
func TestAccountPasswordRateLimited(t *testing.T) {
	e := newTestEnv(t)
	e.createUser(t, "vi@example.com", data.RoleViewer)
	vi := e.client()
	vi.login(t, "vi@example.com", testOwnerPassword)
	vi.get(t, "/account")
	var st int
	var body string
	for i := 0; i < 50 && st != http.StatusTooManyRequests; i++ {
		st, body = vi.post(t, "/account/password", url.Values{"current_password": {"guess number " + string(rune('a'+i%26))}, "password": {"a new password"}})
	}
	if st != http.StatusTooManyRequests || !strings.Contains(body, "Too many wrong passwords") {
		t.Fatalf("no limit: %d %.1000s", st, body)
	}
}
