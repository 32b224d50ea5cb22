package main

import (
	"bytes"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"gallerist/data"
)

// loggedInClient is the no-JavaScript client, logged in as the owner.
func loggedInClient(t testing.TB, e *testEnv) *uiClient {
	t.Helper()
	e.createUser(t, testOwnerEmail, data.RoleOwner)
	c := e.client()
	c.login(t, testOwnerEmail, testOwnerPassword)
	return c
}

// Issue 11, defect 11: similar names are cut in the middle, so their ends
// (and extensions) stay visible, with the full name as a tooltip.
func TestUINamesKeepTheirEnd(t *testing.T) {
	e := newTestEnv(t)
	c := loggedInClient(t, e)
	tok := e.token(t, 0)
	names := []string{"ceramic-mug-ocean-blue-front.png", "ceramic-mug-ocean-blue-back.png", "ceramic-mug-ocean-blue-side.png"}
	var ids []int64
	for i, n := range names {
		ids = append(ids, idOf(e.uploadOK(t, tok, n, testPNG(t, 64, 48, tileColors[i]))))
	}
	pid := e.createProduct(t, tok, "Ocean mug")
	for _, id := range ids {
		e.attachOK(t, tok, pid, id)
	}
	tails := []string{"-front.png", "-back.png", "-side.png"}
	for _, page := range []string{"/media", fmt.Sprintf("/products/%d", pid), fmt.Sprintf("/media/%d", ids[0])} {
		st, body := c.get(t, page)
		if st != http.StatusOK {
			t.Fatalf("GET %s: %d", page, st)
		}
		for i, n := range names {
			if page == fmt.Sprintf("/media/%d", ids[0]) && i > 0 {
				break
			}
			if !strings.Contains(body, `title="`+n+`"`) {
				t.Errorf("%s: no title with the full name %q", page, n)
			}
			if !strings.Contains(body, `data-name-tail>`+tails[i]+`</span>`) {
				t.Errorf("%s: %q does not keep its end %q visible", page, n, tails[i])
			}
		}
	}
}

// Issue 11, defect 12: "Created: 1 Dec", with a space.
func TestUITokenDatesHaveASpace(t *testing.T) {
	e := newTestEnv(t)
	c := loggedInClient(t, e)
	e.token(t, 0)
	_, body := c.get(t, "/settings/tokens")
	for _, label := range []string{"Created:", "Last used:", "Expires:"} {
		if !regexp.MustCompile(regexp.QuoteMeta(label) + `</dt>\s+<dd`).MatchString(body) {
			t.Errorf("%q runs into its value: %s", label, regexp.MustCompile(regexp.QuoteMeta(label)+`.{0,40}`).FindString(body))
		}
	}
}

// Issue 11, defect 12: every page links a favicon, and /favicon.ico is not a 404.
func TestUIFavicon(t *testing.T) {
	e := newTestEnv(t)
	c := e.client()
	for _, page := range []string{"/setup", "/login", "/media"} {
		if page == "/login" {
			e.createUser(t, testOwnerEmail, data.RoleOwner)
		}
		if page == "/media" {
			c.login(t, testOwnerEmail, testOwnerPassword)
		}
		st, body := c.get(t, page)
		m := regexp.MustCompile(`<link rel="icon" type="image/svg\+xml" href="([^"]+)"`).FindStringSubmatch(body)
		if m == nil {
			t.Fatalf("GET %s (%d): no icon link", page, st)
		}
		for _, u := range []string{m[1], "/favicon.ico"} {
			r := e.do(t, "GET", u, "", nil, "")
			if r.Status != http.StatusOK || r.Header.Get("Content-Type") != "image/svg+xml" || !bytes.Contains(r.Body, []byte("<svg")) {
				t.Fatalf("GET %s: %d %s", u, r.Status, r.Header.Get("Content-Type"))
			}
		}
	}
}

// Issue 11, defect 12: the Products list shows renditions, not originals.
func TestUIProductsListUsesRenditions(t *testing.T) {
	e := newTestEnv(t)
	c := loggedInClient(t, e)
	tok := e.token(t, 0)
	e.startRenderer(t)
	m := e.uploadOK(t, tok, "big-vase.png", testPNG(t, 1200, 900, tileColors[2]))
	if got := e.waitProcessed(t, tok, m["id"].(float64)); got["processing"] != "ready" {
		t.Fatalf("processing: %v", got["processing"])
	}
	pid := e.createProduct(t, tok, "Big vase")
	e.attachOK(t, tok, pid, idOf(m))
	_, body := c.get(t, "/products")
	img := regexp.MustCompile(`<img [^>]*>`).FindString(body[strings.Index(body, `id="product-list"`):])
	if img == "" {
		t.Fatal("no thumbnail on the products page")
	}
	if !strings.Contains(img, "srcset=") || strings.Contains(img, `src="`+m["url"].(string)) {
		t.Fatalf("the products page loads the original: %s", img)
	}
}

// Issue 11, defect 12: renaming in the detail panel updates its title too.
func TestUIRenameUpdatesPanelTitle(t *testing.T) {
	e := newTestEnv(t)
	c := loggedInClient(t, e)
	tok := e.token(t, 0)
	id := idOf(e.uploadOK(t, tok, "old-name.png", testPNG(t, 64, 48, tileColors[0])))
	c.get(t, fmt.Sprintf("/media/%d", id))
	st, body := c.post(t, fmt.Sprintf("/media/%d/rename", id), url.Values{"filename": {"blue-vase-front.png"}},
		"HX-Request", "true", "HX-Target", "rename-form", "HX-Current-URL", fmt.Sprintf("http://x/media/%d", id))
	if st != http.StatusOK {
		t.Fatalf("rename: %d %s", st, body)
	}
	h := regexp.MustCompile(`(?s)<h2 id="panel-title"[^>]*>.*?</h2>`).FindString(body)
	if h == "" || !strings.Contains(h, `hx-swap-oob="true"`) || !strings.Contains(h, `title="blue-vase-front.png"`) ||
		strings.Contains(h, "old-name") {
		t.Fatalf("the panel title is not updated: %q", h)
	}
}

// Issue 11, defect 3: the gallery upload puts the file at ?position= (the
// place the page showed it), clamped to the gallery, else at the end.
func TestUIGalleryUploadPosition(t *testing.T) {
	e := newTestEnv(t)
	c := loggedInClient(t, e)
	tok := e.token(t, 0)
	pid := e.createProduct(t, tok, "Jug")
	first := idOf(e.uploadOK(t, tok, "first.png", testPNG(t, 64, 48, tileColors[0])))
	e.attachOK(t, tok, pid, first)
	c.get(t, fmt.Sprintf("/products/%d", pid))
	upload := func(q, name string, i int) {
		t.Helper()
		body, ct := multipartBody(t, []upFile{{name: name, body: testPNG(t, 64, 48, tileColors[i])}}, nil)
		st, out := c.req(t, "POST", fmt.Sprintf("/products/%d/images/upload%s", pid, q), body, ct, "X-CSRF-Token", c.csrf, "Accept", "application/json")
		if st != http.StatusCreated {
			t.Fatalf("upload %s%s: %d %s", name, q, st, out)
		}
	}
	upload("?position=1", "front.png", 1) // before first
	upload("?position=99", "late.png", 2) // past the end: appended
	upload("?position=2", "second.png", 3)
	upload("", "last.png", 4)
	_, media, _ := e.gallery(t, tok, pid)
	var got []string
	for _, id := range media {
		m := e.getJSON(t, fmt.Sprintf("/api/media/%d", id), tok).json(t)
		got = append(got, m["filename"].(string))
	}
	want := []string{"front.png", "second.png", "first.png", "late.png", "last.png"}
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("gallery %v, want %v", got, want)
	}
}

// Issue 11, defect 12: the setup form shows every field's error at once,
// each tied to its input, with a summary above.
func TestUISetupShowsEveryError(t *testing.T) {
	e := newTestEnv(t)
	c := e.client()
	c.get(t, "/setup")
	st, body := c.post(t, "/setup", url.Values{"email": {"not-an-email"}, "password": {"short"}, "org_name": {strings.Repeat("x", 101)}})
	if st != http.StatusUnprocessableEntity {
		t.Fatalf("setup with three bad fields: %d", st)
	}
	for _, id := range []string{"email-error", "password-error", "org_name-error"} {
		if !strings.Contains(body, `id="`+id+`"`) {
			t.Errorf("no %s on the page", id)
		}
	}
	if !strings.Contains(body, "Fix the 3 fields marked below.") {
		t.Errorf("no summary of the 3 errors")
	}
	if n, _ := e.app.users.CountUsers(t.Context()); n != 0 {
		t.Errorf("%d users after a refused setup", n)
	}
}

// Issue 11, defect 6: /media/status tells a page about its own
// organization's items only; another's ids answer like ids that never
// existed, and bad lists are refused.
func TestUIMediaStatusIsolation(t *testing.T) {
	e := newTestEnv(t)
	other, err := e.app.orgs.CreateOrg(t.Context(), "other", "Other store")
	if err != nil {
		t.Fatal(err)
	}
	mine := e.uploadOK(t, e.token(t, 0), "mine.png", realPNG(t, 9, 9))
	theirs := e.uploadOK(t, e.token(t, other.ID), "theirs.png", realPNG(t, 9, 9))
	c := loggedInClient(t, e)
	status := func(ids string) (int, string) {
		t.Helper()
		return c.get(t, "/media/status?ids="+ids)
	}
	_, own := status(fmt.Sprint(mine["id"]))
	if !strings.Contains(own, `"processing":"pending"`) {
		t.Errorf("own item's status: %s", own)
	}
	_, foreign := status(fmt.Sprint(theirs["id"]))
	_, none := status("999999")
	if foreign != none || !strings.Contains(none, `"items":[]`) {
		t.Errorf("another store's id answers %s, a missing one %s", foreign, none)
	}
	for _, bad := range []string{"1,x", "-3", strings.Repeat("1,", 101) + "1"} {
		if st, _ := status(bad); st != http.StatusBadRequest {
			t.Errorf("ids=%.20s: %d, want 400", bad, st)
		}
	}
}
