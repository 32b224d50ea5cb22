package main

import (
	"fmt"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"gallerist/data"
	"gallerist/web"
)

// hostileReturns are return URLs that would send a browser to another site
// (or are not clean local paths): every place that reads one must fall back
// to its default.
var hostileReturns = []string{
	"//evil.example/",
	"///evil.example/",
	"/\t/evil.example/",
	"/\n/evil.example/",
	"/\r/evil.example/",
	"/\\evil.example/",
	"\\/evil.example/",
	"\\\\evil.example/",
	" //evil.example/",
	"\t//evil.example/",
	"/%2F/evil.example/",
	"/%09/evil.example/",
	"/%5Cevil.example/",
	"https://evil.example/",
	"HTTPS:evil.example",
	"javascript:alert('evil.example')",
	"/media\r\nLocation: https://evil.example/",
}

var (
	nextInputRE  = regexp.MustCompile(`name="next" value="([^"]*)"`)
	returnRE     = regexp.MustCompile(`name="return" value="([^"]*)"`)
	cancelLinkRE = regexp.MustCompile(`<a href="([^"]*)"[^>]*data-dialog-cancel`)
)

func firstMatch(re *regexp.Regexp, body string) (string, bool) {
	m := re.FindStringSubmatch(body)
	if m == nil {
		return "", false
	}
	return m[1], true
}

// TestReturnURLsStayLocal drives every place the app reads a return URL
// (login's next, the return field of forms and of the delete dialog) with
// URLs meant to leave the site: redirects and rendered links fall back to
// the default; a clean local path is kept.
func TestReturnURLsStayLocal(t *testing.T) {
	e := newTestEnv(t)
	e.createUser(t, testOwnerEmail, data.RoleOwner)
	tok := e.token(t, 0)
	id := idOf(e.uploadOK(t, tok, "mug.jpg", readFile(t, goImageTestdata("video-001.jpeg"))))
	owner := e.client()
	owner.login(t, testOwnerEmail, testOwnerPassword)

	for i, ret := range hostileReturns {
		t.Run(fmt.Sprintf("%d_%s", i, url.PathEscape(ret)), func(t *testing.T) {
			t.Run("LoginFormNext", func(t *testing.T) {
				anon := e.client()
				st, body := anon.get(t, "/login?next="+url.QueryEscape(ret))
				got, ok := firstMatch(nextInputRE, body)
				if st != http.StatusOK || !ok || got != "" || strings.Contains(body, "evil.example") {
					t.Fatalf("GET /login?next=%q: %d, next field %q (found %v)", ret, st, got, ok)
				}
			})
			t.Run("LoginPostNext", func(t *testing.T) {
				c := e.client()
				c.get(t, "/login")
				st, _ := c.post(t, "/login", url.Values{"email": {testOwnerEmail}, "password": {testOwnerPassword}, "next": {ret}})
				if st != http.StatusSeeOther || c.location() != "/media" {
					t.Fatalf("POST /login next=%q: %d → %q, want 303 → /media", ret, st, c.location())
				}
			})
			t.Run("LoggedInLoginNext", func(t *testing.T) {
				st, _ := owner.get(t, "/login?next="+url.QueryEscape(ret))
				if st != http.StatusSeeOther || owner.location() != "/media" {
					t.Fatalf("GET /login?next=%q logged in: %d → %q, want 303 → /media", ret, st, owner.location())
				}
			})
			t.Run("DeleteDialog", func(t *testing.T) {
				for _, hx := range [][]string{nil, {"HX-Request", "true"}} {
					st, body := owner.get(t, fmt.Sprintf("/media/%d/delete?return=%s", id, url.QueryEscape(ret)), hx...)
					cancel, okC := firstMatch(cancelLinkRE, body)
					if st != http.StatusOK || !okC || cancel != "/media" {
						t.Fatalf("delete dialog with return=%q (%v): %d, Cancel %q", ret, hx, st, cancel)
					}
					// The dialog's own return field, and any other on the page
					// (a toast's Undo form carries the current page's path).
					fields := returnRE.FindAllStringSubmatch(body, -1)
					if len(fields) == 0 {
						t.Fatalf("delete dialog with return=%q (%v) has no return field", ret, hx)
					}
					dialogField := false
					for _, f := range fields {
						v := html.UnescapeString(f[1])
						if web.SafeReturn(v, "") != v {
							t.Fatalf("delete dialog with return=%q (%v) renders return field %q", ret, hx, v)
						}
						dialogField = dialogField || v == "/media"
					}
					if !dialogField {
						t.Fatalf("delete dialog with return=%q (%v): no return field falls back to /media: %q", ret, hx, fields)
					}
				}
			})
			t.Run("DeleteAndRestoreForms", func(t *testing.T) {
				st, _ := owner.post(t, fmt.Sprintf("/media/%d/delete", id), url.Values{"return": {ret}})
				if st != http.StatusSeeOther || owner.location() != "/media" {
					t.Fatalf("delete with return=%q: %d → %q, want 303 → /media", ret, st, owner.location())
				}
				st, _ = owner.post(t, fmt.Sprintf("/media/%d/restore?return=%s", id, url.QueryEscape(ret)), nil)
				if st != http.StatusSeeOther || owner.location() != "/media" {
					t.Fatalf("restore with return=%q: %d → %q, want 303 → /media", ret, st, owner.location())
				}
			})
		})
	}

	t.Run("LocalPathsAreKept", func(t *testing.T) {
		const local = "/media?kind=image&q=mug"
		c := e.client()
		c.get(t, "/login?next="+url.QueryEscape(local))
		st, _ := c.post(t, "/login", url.Values{"email": {testOwnerEmail}, "password": {testOwnerPassword}, "next": {local}})
		if st != http.StatusSeeOther || c.location() != local {
			t.Fatalf("login with next=%q: %d → %q", local, st, c.location())
		}
		_, body := owner.get(t, fmt.Sprintf("/media/%d/delete?return=%s", id, url.QueryEscape(local)))
		if cancel, _ := firstMatch(cancelLinkRE, body); cancel != "/media?kind=image&amp;q=mug" {
			t.Fatalf("Cancel link %q, want the local return", cancel)
		}
		st, _ = owner.post(t, fmt.Sprintf("/media/%d/delete", id), url.Values{"return": {local}})
		if st != http.StatusSeeOther || owner.location() != local {
			t.Fatalf("delete with return=%q: %d → %q", local, st, owner.location())
		}
		st, _ = owner.post(t, fmt.Sprintf("/media/%d/restore", id), url.Values{"return": {"/trash"}})
		if st != http.StatusSeeOther || owner.location() != "/trash" {
			t.Fatalf("restore with return=/trash: %d → %q", st, owner.location())
		}
	})
}
