package main

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"

	"gallerist/web"
)

// rawDo sends a request as it is (HEAD and OPTIONS answers are checked
// here against their GET and Allow, not against the OpenAPI document).
func (e *testEnv) rawDo(t testing.TB, method, path, token string, hdr ...string) *resp {
	t.Helper()
	_, r := e.send(t, method, path, token, nil, "", hdr...)
	return r
}

// Issue 12, item 5: a known path asked with a method it does not take is
// 405 with an Allow header (JSON on /api), not 404; OPTIONS lists the same.
func TestMethodNotAllowed(t *testing.T) {
	e := newTestEnv(t)
	tok := e.token(t, 0)
	id := fmt.Sprint(int64(e.uploadOK(t, tok, "a.png", realPNG(t, 8, 8))["id"].(float64)))
	for _, tc := range []struct{ method, path, allow string }{
		{"DELETE", "/api/media", "GET, HEAD, POST"},
		{"PUT", "/api/ping", "GET, HEAD"},
		{"POST", "/api/media/" + id, "DELETE, GET, HEAD, PATCH"},
		{"PUT", "/api/media/999999", "DELETE, GET, HEAD, PATCH"}, // same for any id: nothing about existence
		{"GET", "/media/1/alt", "POST"},
	} {
		r := e.rawDo(t, tc.method, tc.path, tok)
		if r.Status != http.StatusMethodNotAllowed || r.Header.Get("Allow") != tc.allow {
			t.Errorf("%s %s: %d Allow %q, want 405 Allow %q", tc.method, tc.path, r.Status, r.Header.Get("Allow"), tc.allow)
		}
		if strings.HasPrefix(tc.path, "/api/") && !strings.Contains(string(r.Body), `"code":"method_not_allowed"`) {
			t.Errorf("%s %s: body %s", tc.method, tc.path, r.Body)
		}
		o := e.rawDo(t, "OPTIONS", tc.path, "")
		if o.Status != http.StatusNoContent || o.Header.Get("Allow") != tc.allow {
			t.Errorf("OPTIONS %s: %d Allow %q, want 204 Allow %q", tc.path, o.Status, o.Header.Get("Allow"), tc.allow)
		}
	}
	if r := e.rawDo(t, "DELETE", "/api/nothing-here", tok); r.Status != http.StatusNotFound {
		t.Errorf("unknown path: %d, want 404", r.Status)
	}
}

// Issue 12, item 5: HEAD works on every GET route and answers what GET
// would (status, type, length, validators) without a body.
func TestHeadOnEveryGet(t *testing.T) {
	e := newTestEnv(t)
	tok := e.token(t, 0)
	m := e.uploadOK(t, tok, "a.png", realPNG(t, 8, 8))
	id := fmt.Sprint(int64(m["id"].(float64)))
	pid := fmt.Sprint(e.createProduct(t, tok, "Mug"))
	param := regexp.MustCompile(`:[a-z_]+`)
	n := 0
	for _, r := range e.app.handlers.Routes() {
		if r.Method != "GET" || !r.API {
			continue
		}
		path := param.ReplaceAllStringFunc(r.Path, func(s string) string {
			if strings.Contains(s, "p") && s != ":id" {
				return pid
			}
			return id
		})
		get := e.rawDo(t, "GET", path, tok)
		head := e.rawDo(t, "HEAD", path, tok)
		n++
		if head.Status != get.Status || len(head.Body) != 0 {
			t.Errorf("HEAD %s: %d with %d body bytes; GET: %d", path, head.Status, len(head.Body), get.Status)
			continue
		}
		for _, h := range []string{"Content-Type", "ETag", "Last-Modified", "Cache-Control"} {
			if head.Header.Get(h) != get.Header.Get(h) {
				t.Errorf("HEAD %s: %s %q, GET: %q", path, h, head.Header.Get(h), get.Header.Get(h))
			}
		}
		if cl := head.Header.Get("Content-Length"); get.Header.Get("Content-Encoding") == "" && cl != "" && cl != fmt.Sprint(len(get.Body)) {
			t.Errorf("HEAD %s: Content-Length %s, GET sent %d bytes", path, cl, len(get.Body))
		}
	}
	if n < 8 {
		t.Fatalf("only %d GET routes checked", n)
	}
}

// Issue 12, item 10: CORS is off by default; with --cors-origins the listed
// origins (or any, with "*") get preflights answered and answers they may
// read; other origins get nothing; credentials are never allowed.
func TestCORS(t *testing.T) {
	preflight := func(t *testing.T, e *testEnv, origin, path string) *resp {
		t.Helper()
		return e.rawDo(t, "OPTIONS", path, "", "Origin", origin, "Access-Control-Request-Method", "PATCH",
			"Access-Control-Request-Headers", "authorization, content-type, if-match")
	}
	t.Run("off by default", func(t *testing.T) {
		e := newTestEnv(t)
		tok := e.token(t, 0)
		r := e.rawDo(t, "GET", "/api/media", tok, "Origin", "https://shop.example")
		if r.Status != 200 || r.Header.Get("Access-Control-Allow-Origin") != "" {
			t.Errorf("GET with an Origin and CORS off: %d %v", r.Status, r.Header)
		}
		if p := preflight(t, e, "https://shop.example", "/api/media/1"); p.Header.Get("Access-Control-Allow-Origin") != "" {
			t.Errorf("preflight with CORS off allowed: %v", p.Header)
		}
	})
	t.Run("listed origins", func(t *testing.T) {
		e := newTestEnv(t, func(c *config) { c.corsOrigins = []string{"https://shop.example", "http://localhost:5173"} })
		tok := e.token(t, 0)
		p := preflight(t, e, "https://shop.example", "/api/media/1")
		if p.Status != 204 || p.Header.Get("Access-Control-Allow-Origin") != "https://shop.example" ||
			p.Header.Get("Access-Control-Allow-Methods") != "DELETE, GET, HEAD, PATCH" ||
			!strings.Contains(p.Header.Get("Access-Control-Allow-Headers"), "If-Match") || p.Header.Get("Access-Control-Max-Age") == "" {
			t.Errorf("preflight from a listed origin: %d %v", p.Status, p.Header)
		}
		if o := preflight(t, e, "https://evil.example", "/api/media/1"); o.Header.Get("Access-Control-Allow-Origin") != "" {
			t.Errorf("preflight from another origin allowed: %v", o.Header)
		}
		r := e.rawDo(t, "GET", "/api/media", tok, "Origin", "http://localhost:5173")
		if r.Header.Get("Access-Control-Allow-Origin") != "http://localhost:5173" || !strings.Contains(r.Header.Get("Vary"), "Origin") ||
			!strings.Contains(r.Header.Get("Access-Control-Expose-Headers"), "ETag") {
			t.Errorf("GET from a listed origin: %v", r.Header)
		}
		bad := e.rawDo(t, "GET", "/api/media/999999", tok, "Origin", "https://shop.example")
		if bad.Status != 404 || bad.Header.Get("Access-Control-Allow-Origin") != "https://shop.example" {
			t.Errorf("an error answer is unreadable to the page: %d %v", bad.Status, bad.Header)
		}
		// The admin UI is never opened to other origins.
		if u := e.rawDo(t, "GET", "/login", "", "Origin", "https://shop.example"); u.Header.Get("Access-Control-Allow-Origin") != "" {
			t.Errorf("the UI answers CORS: %v", u.Header)
		}
		for _, r := range []*resp{p, r, bad} {
			if r.Header.Get("Access-Control-Allow-Credentials") != "" {
				t.Errorf("credentials allowed: %v", r.Header)
			}
		}
	})
	t.Run("wildcard", func(t *testing.T) {
		e := newTestEnv(t, func(c *config) { c.corsOrigins = []string{"*"} })
		p := preflight(t, e, "https://anyone.example", "/api/media")
		if p.Header.Get("Access-Control-Allow-Origin") != "*" || p.Header.Get("Access-Control-Allow-Credentials") != "" {
			t.Errorf("wildcard preflight: %v", p.Header)
		}
	})
	t.Run("flag", func(t *testing.T) {
		for _, bad := range []string{"*,https://a.example", "ftp://a.example", "https://a.example/path", "shop.example", "https://u@a.example"} {
			if _, err := web.ParseCORSOrigins(bad); err == nil {
				t.Errorf("--cors-origins %q accepted", bad)
			}
		}
		got, err := web.ParseCORSOrigins(" https://Shop.Example , http://localhost:5173/")
		if err != nil || strings.Join(got, " ") != "https://shop.example http://localhost:5173" {
			t.Errorf("parsed %v %v", got, err)
		}
	})
}

// Review 14, R10: a method the server does not know is 501 not_implemented
// (RFC 9110: 405 is for a known method the path does not take), in the
// API's JSON shape with a request id, and counted in the metrics.
func TestUnknownMethod(t *testing.T) {
	e := newTestEnv(t, func(c *config) { c.metricsAddr = "127.0.0.1:0" })
	tok := e.token(t, 0)
	for _, path := range []string{"/api/media", "/files/abc.jpg", "/media"} {
		r := e.rawDo(t, "WEIRD1", path, tok, "X-Request-Id", "probe-3")
		if r.Status != http.StatusNotImplemented || r.errCode(t) != "not_implemented" || r.Header.Get("X-Request-Id") != "probe-3" {
			t.Errorf("WEIRD1 %s: %d %v %s", path, r.Status, r.Header, r.Body)
		}
	}
	rec := httptest.NewRecorder()
	e.srv.MetricsHandler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	if want := `gallerist_http_requests_total{method="other",route="unmatched",status="501"} 3`; !strings.Contains(rec.Body.String(), want) {
		t.Errorf("metrics lack %s:\n%s", want, rec.Body)
	}
}

// Review 14, R11: a file has one URL. Routing ignores a trailing slash and
// the case of /files/, which would give caches aliases of every original
// and rendition: those spellings are not found.
func TestFileURLsHaveOneSpelling(t *testing.T) {
	e := newTestEnv(t)
	e.startRenderer(t)
	tok := e.token(t, 0)
	m := e.waitProcessed(t, tok, e.uploadOK(t, tok, "a.jpg", photoJPEG(t, 400, 300))["id"].(float64))
	for _, u := range []string{pathOf(m["url"].(string)), pathOf(m["renditions"].(map[string]any)["320"].(string))} {
		if r := e.rawDo(t, "GET", u, ""); r.Status != 200 {
			t.Fatalf("GET %s: %d", u, r.Status)
		}
		for _, alias := range []string{u + "/", strings.Replace(u, "/files/", "/FILES/", 1), strings.Replace(u, "/files/", "/Files/", 1) + "/"} {
			if r := e.rawDo(t, "GET", alias, ""); r.Status != 404 {
				t.Errorf("GET %s: %d, want 404", alias, r.Status)
			}
		}
	}
}
