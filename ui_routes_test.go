package main

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/color"
	"image/gif"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"gallerist/data"
	"gallerist/handlers"
	"gallerist/web"
)

// uiRoutes is every route of the admin UI that needs a login.
func uiRoutes() []web.Route {
	var out []web.Route
	for _, r := range handlers.New(handlers.Deps{}).Routes() {
		if r.API || r.Public || strings.HasPrefix(r.Path, "/files/") {
			continue
		}
		out = append(out, r)
	}
	return out
}

var paramRE = regexp.MustCompile(`:[a-z_]+`)

func routePath(r web.Route, id string) string { return paramRE.ReplaceAllString(r.Path, id) }

func TestUIRoutesNeedLogin(t *testing.T) {
	e := newTestEnv(t)
	e.createUser(t, testOwnerEmail, data.RoleOwner)
	routes := uiRoutes()
	if len(routes) < 30 {
		t.Fatalf("only %d UI routes found", len(routes))
	}
	for _, r := range routes {
		t.Run(r.Method+" "+r.Path, func(t *testing.T) {
			c := e.client()
			c.get(t, "/login") // an anonymous session with a CSRF token, so only the login is missing
			path := routePath(r, "1")
			var st int
			if r.Method == "GET" {
				st, _ = c.get(t, path)
				want := "/login?next=" + url.QueryEscape(path)
				if path == "/media" {
					want = "/login"
				}
				if st != http.StatusSeeOther || c.location() != want {
					t.Fatalf("GET %s without login: %d → %q, want 303 → %q", path, st, c.location(), want)
				}
			} else {
				st, _ = c.post(t, path, nil)
				if st != http.StatusSeeOther || c.location() != "/login" {
					t.Fatalf("POST %s without login: %d → %q, want 303 → /login", path, st, c.location())
				}
			}
			// htmx requests are sent to the login page with HX-Redirect.
			if r.Method == "GET" {
				st, _ = c.get(t, path, "HX-Request", "true")
				if st != http.StatusUnauthorized || !strings.HasPrefix(c.header.Get("HX-Redirect"), "/login") {
					t.Fatalf("htmx GET %s without login: %d, HX-Redirect %q", path, st, c.header.Get("HX-Redirect"))
				}
			}
		})
	}
}

func TestUIRolesAreEnforced(t *testing.T) {
	e := newTestEnv(t)
	e.createUser(t, testOwnerEmail, data.RoleOwner)
	e.createUser(t, "editor@example.com", data.RoleEditor)
	e.createUser(t, "viewer@example.com", data.RoleViewer)
	viewer, editor := e.client(), e.client()
	viewer.login(t, "viewer@example.com", testOwnerPassword)
	editor.login(t, "editor@example.com", testOwnerPassword)

	for _, r := range uiRoutes() {
		if r.Path == "/logout" {
			continue // it ends the session; TestUISetupLoginLogout covers it
		}
		t.Run(r.Method+" "+r.Path, func(t *testing.T) {
			path := routePath(r, "1")
			send := func(c *uiClient) (int, string) {
				if r.Method == "GET" {
					return c.get(t, path)
				}
				return c.post(t, path, nil)
			}
			viewerMay := r.Scope == "" || slices.Contains(data.RoleViewer.Scopes(), r.Scope)
			st, body := send(viewer)
			if viewerMay && st == http.StatusForbidden {
				t.Fatalf("viewer refused %s %s: %.300s", r.Method, path, body)
			}
			if !viewerMay && (st != http.StatusForbidden || !strings.Contains(body, "does not allow")) {
				t.Fatalf("viewer %s %s: %d, want 403 with a readable page: %.300s", r.Method, path, st, body)
			}
			if r.Method == "POST" && r.Scope != "" && st != http.StatusForbidden {
				t.Fatalf("viewer may POST %s (%d)", path, st)
			}
			editorMay := r.Scope == "" || slices.Contains(data.RoleEditor.Scopes(), r.Scope)
			st, body = send(editor)
			if editorMay && st == http.StatusForbidden {
				t.Fatalf("editor refused %s %s: %.300s", r.Method, path, body)
			}
			if !editorMay && st != http.StatusForbidden {
				t.Fatalf("editor %s %s: %d, want 403", r.Method, path, st)
			}
		})
	}
}

func TestUIFormsNeedCSRFToken(t *testing.T) {
	e := newTestEnv(t)
	e.createUser(t, testOwnerEmail, data.RoleOwner)
	c := e.client()
	c.login(t, testOwnerEmail, testOwnerPassword)
	c.get(t, "/media")
	for _, r := range uiRoutes() {
		if r.Method == "GET" || r.Path == "/logout" {
			continue
		}
		t.Run(r.Path, func(t *testing.T) {
			path := routePath(r, "1")
			st, body := c.post(t, path, url.Values{"_csrf": {""}})
			if st != http.StatusForbidden || !strings.Contains(body, "Reload the page") {
				t.Fatalf("POST %s without token: %d %.200s", path, st, body)
			}
			st, _ = c.post(t, path, url.Values{"_csrf": {"forged" + c.csrf[6:]}})
			if st != http.StatusForbidden {
				t.Fatalf("POST %s with a wrong token: %d", path, st)
			}
			// The header htmx sends works as well as the form field.
			st, _ = c.req(t, "POST", path, strings.NewReader(""), "application/x-www-form-urlencoded", "X-CSRF-Token", c.csrf)
			if st == http.StatusForbidden {
				t.Fatalf("POST %s with the X-CSRF-Token header was refused", path)
			}
		})
	}
	// Multipart uploads carry the token in the header (app.js) or in the
	// form's first field (plain form), never in the URL.
	body, ct := multipartBody(t, []upFile{{name: "a.png", body: readFile(t, goImageTestdata("video-001.png"))}}, nil)
	if st, _ := c.req(t, "POST", "/media/upload", body, ct); st != http.StatusForbidden {
		t.Fatalf("upload without token: %d", st)
	}
	body, ct = multipartBody(t, []upFile{{name: "a.png", body: readFile(t, goImageTestdata("video-001.png"))}}, nil)
	if st, _ := c.req(t, "POST", "/media/upload?_csrf="+url.QueryEscape(c.csrf), body, ct); st != http.StatusForbidden {
		t.Fatalf("upload with the token in the URL: %d, want 403", st)
	}
	png := readFile(t, goImageTestdata("video-001.png"))
	for _, tc := range []struct {
		name  string
		first bool
		want  int
	}{{"first field", true, http.StatusSeeOther}, {"after the file", false, http.StatusForbidden}} {
		var buf bytes.Buffer
		w := multipart.NewWriter(&buf)
		if tc.first {
			w.WriteField("_csrf", c.csrf)
		}
		fw, _ := w.CreateFormFile("file", "b.png")
		fw.Write(png)
		if !tc.first {
			w.WriteField("_csrf", c.csrf)
		}
		w.Close()
		if st, _ := c.req(t, "POST", "/media/upload", &buf, w.FormDataContentType()); st != tc.want {
			t.Fatalf("upload with the token as the %s: %d, want %d", tc.name, st, tc.want)
		}
	}
	if st, _ := c.post(t, "/logout", url.Values{"_csrf": {""}}); st != http.StatusForbidden {
		t.Fatalf("logout without token: %d", st)
	}
	// Login and setup forms are protected too (login CSRF).
	anon := e.client()
	if st, _ := anon.post(t, "/login", url.Values{"_csrf": {""}, "email": {testOwnerEmail}, "password": {testOwnerPassword}}); st != http.StatusForbidden {
		t.Fatalf("login without token: %d", st)
	}
	// The API is not subject to CSRF: it never uses the cookie.
	tok := e.token(t, 0)
	if r := e.do(t, "PATCH", "/api/media/999", tok, strings.NewReader(`{"alt":"x"}`), "application/json"); r.Status != 404 {
		t.Fatalf("API PATCH: %d", r.Status)
	}
}

func TestUISetupLoginLogout(t *testing.T) {
	e := newTestEnv(t)
	c := e.client()
	if st, _ := c.get(t, "/media"); st != http.StatusSeeOther || c.location() != "/login" {
		t.Fatalf("first visit: %d %s", st, c.location())
	}
	if st, _ := c.get(t, "/login"); st != http.StatusSeeOther || c.location() != "/setup" {
		t.Fatalf("login before setup: %d %s", st, c.location())
	}
	if st, _ := c.get(t, "/setup"); st != 200 {
		t.Fatalf("setup page: %d", st)
	}
	t.Run("ErrShortPassword", func(t *testing.T) {
		st, body := c.post(t, "/setup", url.Values{"email": {testOwnerEmail}, "password": {"short"}})
		if st != http.StatusUnprocessableEntity || !strings.Contains(body, "at least 8 characters") || !strings.Contains(body, testOwnerEmail) {
			t.Fatalf("%d %.400s", st, body)
		}
	})
	anonCSRF := c.csrf
	anonCookie := c.cookie
	st, _ := c.post(t, "/setup", url.Values{"email": {testOwnerEmail}, "password": {testOwnerPassword}, "org_name": {"Hilltop"}})
	if st != http.StatusSeeOther || c.location() != "/media" {
		t.Fatalf("setup: %d %s", st, c.location())
	}
	if c.cookie == anonCookie {
		t.Fatal("the session cookie was not renewed at login")
	}
	st, body := c.get(t, "/media")
	if st != 200 || !strings.Contains(body, "Hilltop") || !strings.Contains(body, "Welcome to Gallerist") {
		t.Fatalf("library after setup: %d", st)
	}
	if c.csrf == anonCSRF {
		t.Fatal("the CSRF token was not renewed at login")
	}
	t.Run("SetupGone", func(t *testing.T) {
		other := e.client()
		if st, _ := other.get(t, "/setup"); st != http.StatusSeeOther || other.location() != "/login" {
			t.Fatalf("GET /setup after setup: %d %s", st, other.location())
		}
		other.get(t, "/login")
		if st, _ := other.post(t, "/setup", url.Values{"email": {"evil@example.com"}, "password": {testOwnerPassword}}); st != http.StatusNotFound {
			t.Fatalf("POST /setup after setup: %d", st)
		}
		if n, _ := e.app.users.CountUsers(context.Background()); n != 1 {
			t.Fatalf("%d users", n)
		}
	})
	t.Run("CookieFlags", func(t *testing.T) {
		other := e.client()
		other.get(t, "/login")
		sc := other.header.Get("Set-Cookie")
		for _, want := range []string{"HttpOnly", "SameSite=Lax", "Path=/"} {
			if !strings.Contains(sc, want) {
				t.Fatalf("cookie %q lacks %s", sc, want)
			}
		}
		if strings.Contains(sc, "Secure") {
			t.Fatalf("cookie %q is Secure without --secure-cookies", sc)
		}
		se := newTestEnv(t, func(cfg *config) { cfg.secureCookies = true })
		sc2 := se.client()
		sc2.get(t, "/login")
		if !strings.Contains(sc2.header.Get("Set-Cookie"), "Secure") {
			t.Fatalf("--secure-cookies: %q", sc2.header.Get("Set-Cookie"))
		}
	})
	t.Run("LogoutEndsSession", func(t *testing.T) {
		stolen := c.cookie
		if st, _ := c.post(t, "/logout", nil); st != http.StatusSeeOther || c.location() != "/login" {
			t.Fatalf("logout: %d %s", st, c.location())
		}
		replay := e.client()
		replay.cookie = stolen
		if st, _ := replay.get(t, "/media"); st != http.StatusSeeOther || replay.location() != "/login" {
			t.Fatalf("the cookie from before logout still works: %d", st)
		}
	})
	t.Run("ErrWrongPassword", func(t *testing.T) {
		other := e.client()
		other.get(t, "/login")
		st, body := other.post(t, "/login", url.Values{"email": {testOwnerEmail}, "password": {"nope nope nope"}})
		if st != http.StatusUnauthorized || !strings.Contains(body, "do not match") {
			t.Fatalf("%d %.300s", st, body)
		}
	})
	t.Run("NextIsLocalOnly", func(t *testing.T) {
		other := e.client()
		other.get(t, "/login?next="+url.QueryEscape("//evil.example/x"))
		st, _ := other.post(t, "/login", url.Values{"email": {testOwnerEmail}, "password": {testOwnerPassword}, "next": {"//evil.example/x"}})
		if st != http.StatusSeeOther || other.location() != "/media" {
			t.Fatalf("next=//evil: %d %s", st, other.location())
		}
		other.get(t, "/media")
		other.post(t, "/logout", nil)
		other.get(t, "/login")
		other.post(t, "/login", url.Values{"email": {testOwnerEmail}, "password": {testOwnerPassword}, "next": {"/trash"}})
		if other.location() != "/trash" {
			t.Fatalf("next=/trash: %s", other.location())
		}
	})
}

func TestUILoginRateLimit(t *testing.T) {
	e := newTestEnv(t)
	e.createUser(t, testOwnerEmail, data.RoleOwner)
	now := time.Now()
	e.app.sessions.Limiter.Now = func() time.Time { return now }
	c := e.client()
	c.get(t, "/login")
	for i := 0; i < 5; i++ {
		if st, _ := c.post(t, "/login", url.Values{"email": {testOwnerEmail}, "password": {"wrong password"}}); st != http.StatusUnauthorized {
			t.Fatalf("attempt %d: %d", i+1, st)
		}
	}
	st, body := c.post(t, "/login", url.Values{"email": {testOwnerEmail}, "password": {testOwnerPassword}})
	if st != http.StatusTooManyRequests || !strings.Contains(body, "Too many failed attempts") || c.header.Get("Retry-After") == "" {
		t.Fatalf("6th attempt: %d %.300s", st, body)
	}
	// Another email from the same address is still allowed.
	e.createUser(t, "editor@example.com", data.RoleEditor)
	if st, _ := c.post(t, "/login", url.Values{"email": {"editor@example.com"}, "password": {testOwnerPassword}}); st != http.StatusSeeOther {
		t.Fatalf("other email: %d", st)
	}
	now = now.Add(16 * time.Minute)
	c2 := e.client()
	c2.login(t, testOwnerEmail, testOwnerPassword)
}

func TestUIHTMXErrorsAreToasts(t *testing.T) {
	e := newTestEnv(t)
	e.createUser(t, testOwnerEmail, data.RoleOwner)
	c := e.client()
	c.login(t, testOwnerEmail, testOwnerPassword)
	st, _ := c.get(t, "/media/999", "HX-Request", "true")
	if st != 404 || c.header.Get("HX-Reswap") != "none" || !strings.Contains(c.header.Get("HX-Trigger"), "gallerist:toast") {
		t.Fatalf("htmx 404: %d reswap=%q trigger=%q", st, c.header.Get("HX-Reswap"), c.header.Get("HX-Trigger"))
	}
	st, body := c.get(t, "/media/999")
	if st != 404 || !strings.Contains(body, "<html") {
		t.Fatalf("plain 404: %d", st)
	}
}

func TestUIUploadAnswers(t *testing.T) {
	e := newTestEnv(t, func(cfg *config) { cfg.limits.KindBytes[data.KindImage] = 4 << 10 })
	e.createUser(t, testOwnerEmail, data.RoleOwner)
	c := e.client()
	c.login(t, testOwnerEmail, testOwnerPassword)
	c.get(t, "/media")
	upload := func(name string, b []byte) (int, string) {
		body, ct := multipartBody(t, []upFile{{name: name, body: b}}, nil)
		return c.req(t, "POST", "/media/upload", body, ct, "X-CSRF-Token", c.csrf, "Accept", "application/json")
	}
	st, body := upload("big.png", bytes.Repeat(readFile(t, goImageTestdata("video-001.png")), 2))
	if st != http.StatusRequestEntityTooLarge || !strings.Contains(body, "larger than the 4 KB limit for images") {
		t.Fatalf("oversize: %d %s", st, body)
	}
	st, body = upload("notes.txt", []byte("just some text, not a picture"))
	if st != http.StatusUnsupportedMediaType || !strings.Contains(body, "which Gallerist does not accept") || !strings.Contains(body, `"detected"`) {
		t.Fatalf("unsupported: %d %s", st, body)
	}
	var gb bytes.Buffer
	if err := gif.Encode(&gb, image.NewPaletted(image.Rect(0, 0, 40, 30), color.Palette{color.White, color.Black}), nil); err != nil {
		t.Fatal(err)
	}
	small := gb.Bytes() // under the 4 KB limit of this test
	st, body = upload("one.gif", small)
	if st != http.StatusCreated || !strings.Contains(body, `"html"`) {
		t.Fatalf("upload: %d %s", st, body)
	}
	st, body = upload("again.gif", small)
	if st != http.StatusCreated || !strings.Contains(body, "Already in your library") || !strings.Contains(body, `"duplicate_of"`) {
		t.Fatalf("duplicate: %d %s", st, body)
	}
	var n int
	e.app.db.QueryRowForTest(`SELECT COUNT(*) FROM media`).Scan(&n)
	if n != 1 {
		t.Fatalf("the duplicate was kept: %d media rows", n)
	}
}

func TestCLIUserCreate(t *testing.T) {
	dir := t.TempDir()
	env := func(k string) string {
		if k == "GALLERIST_DATA" {
			return dir
		}
		return ""
	}
	var out bytes.Buffer
	err := run(context.Background(), []string{"user", "create", "--email", "Ed@Example.com", "--role", "editor"}, env,
		strings.NewReader("a long enough password\n"), &out, io.Discard)
	if err != nil || !strings.Contains(out.String(), "ed@example.com is editor of default") {
		t.Fatalf("user create: %v %q", err, out.String())
	}
	if lines := strings.Split(strings.TrimSpace(out.String()), "\n"); !regexp.MustCompile(`^[0-9]+$`).MatchString(lines[len(lines)-1]) {
		t.Fatalf("user create does not end with the new id: %q", out.String())
	}
	err = run(context.Background(), []string{"user", "create", "--email", "x@example.com"}, env, strings.NewReader("short\n"), &out, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "at least 8") {
		t.Fatalf("short password: %v", err)
	}
	err = run(context.Background(), []string{"user", "create", "--email", "y@example.com", "--role", "admin"}, env, strings.NewReader("long enough pw\n"), &out, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "owner, editor or viewer") {
		t.Fatalf("bad role: %v", err)
	}
	envPW := func(k string) string {
		switch k {
		case "GALLERIST_DATA":
			return dir
		case "GALLERIST_PASSWORD":
			return "from the environment"
		}
		return ""
	}
	if err := run(context.Background(), []string{"user", "create", "--email", "z@example.com", "--role", "viewer"}, envPW, nil, &out, io.Discard); err != nil {
		t.Fatal(err)
	}
	e := newTestEnv(t, func(cfg *config) { cfg.dataDir = dir })
	if _, err := e.app.users.Authenticate(context.Background(), "z@example.com", "from the environment"); err != nil {
		t.Fatalf("login with the CLI-made user: %v", err)
	}
	_ = fmt.Sprint
}

// Issue 13, item 5: the library's links are rendered from the filter its URL
// asked for, so page 2 is of the same list (used=true, mime_type and limit
// were dropped before) and the tabs keep the rest of the filter.
func TestUILibraryLinksKeepTheFilter(t *testing.T) {
	e := newTestEnv(t)
	e.createUser(t, testOwnerEmail, data.RoleOwner)
	tok := e.token(t, 0, data.ScopeMediaCreate, data.ScopeMediaRead, data.ScopeProductsWrite)
	var ids []int64
	for _, name := range []string{"video-001.png", "video-005.gray.png", "video-001.gif"} {
		ids = append(ids, idOf(e.uploadOK(t, tok, name, readFile(t, goImageTestdata(name)))))
	}
	pid := e.createProduct(t, tok, "Mug")
	for _, id := range ids {
		e.sendJSON(t, "POST", fmt.Sprintf("/api/products/%d/images", pid), tok, map[string]any{"media_id": id})
	}
	c := e.client()
	c.login(t, testOwnerEmail, testOwnerPassword)
	st, body := c.get(t, "/media?used=true&mime_type=image/png&limit=1")
	if st != http.StatusOK {
		t.Fatalf("library: %d", st)
	}
	for _, want := range []string{
		`href="/media?limit=1&amp;mime_type=image%2Fpng&amp;offset=1&amp;used=true" class="btn-secondary" rel="next"`,
		`href="/media?kind=video&amp;limit=1&amp;mime_type=image%2Fpng&amp;used=true"`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("the page has no link %s", want)
		}
	}
	if st, body := c.get(t, "/media?kind=photo"); st != http.StatusBadRequest || !strings.Contains(body, "kind must be one of image, video, audio, document.") {
		t.Errorf("a bad kind: %d, want the API's message", st)
	}
}
