package main

import (
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"gallerist/data"
	"gallerist/storage"
	"gallerist/storage/fetch"
)

// origin is a test web server on a chosen loopback address.
func origin(t *testing.T, addr string, h http.Handler) string {
	t.Helper()
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Skipf("cannot listen on %s: %v", addr, err)
	}
	srv := &httptest.Server{Listener: ln, Config: &http.Server{Handler: h}}
	srv.Start()
	t.Cleanup(srv.Close)
	return srv.URL
}

func importURLs(t testing.TB, e *testEnv, tok string, urls ...string) *resp {
	return e.sendJSON(t, "POST", "/api/media", tok, map[string]any{"urls": urls})
}

func TestImportByURL(t *testing.T) {
	jpg := readFile(t, goImageTestdata("video-001.jpeg"))
	png := readFile(t, goImageTestdata("video-001.png"))
	webp := xImageTestdata(t, "blue-purple-pink.lossy.webp")
	pdf := minimalPDF()
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write(make([]byte, 50<<20))
	zw.Close()

	mux := http.NewServeMux()
	serve := func(path, ctype string, body []byte) {
		mux.HandleFunc(path, func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", ctype)
			w.Write(body)
		})
	}
	serve("/front.jpg", "image/jpeg", jpg)
	serve("/side.png", "image/png", png)
	serve("/photo.webp", "image/webp", webp)
	serve("/manual.pdf", "application/pdf", pdf)
	serve("/lies.html", "text/html", png) // lies about its type: the bytes decide
	serve("/page.html", "image/jpeg", []byte("<!doctype html><html><script>alert(1)</script></html>"))
	mux.HandleFunc("/redirect/", func(w http.ResponseWriter, r *http.Request) {
		var n int
		fmt.Sscanf(strings.TrimPrefix(r.URL.Path, "/redirect/"), "%d", &n)
		if n == 0 {
			w.Header().Set("Content-Type", "image/png")
			w.Write(png)
			return
		}
		http.Redirect(w, r, fmt.Sprintf("/redirect/%d", n-1), http.StatusFound)
	})
	mux.HandleFunc("/huge.jpg", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "image/jpeg")
		w.Write(jpg[:2000])
		for i := 0; i < 64; i++ {
			if _, err := w.Write(make([]byte, 64<<10)); err != nil {
				return
			}
		}
	})
	mux.HandleFunc("/slow.jpg", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "image/jpeg")
		w.Write(jpg[:100])
		w.(http.Flusher).Flush()
		select {
		case <-r.Context().Done():
		case <-time.After(30 * time.Second):
		}
	})
	mux.HandleFunc("/bomb.png", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "image/png")
		w.Header().Set("Content-Encoding", "gzip")
		w.Write(gz.Bytes())
	})
	mux.HandleFunc("/missing.jpg", http.NotFound)
	base := origin(t, "127.0.0.1:0", mux)

	e := newTestEnv(t, func(c *config) {
		c.fetch.Allow = []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}
		c.fetch.Timeout = time.Second
		c.limits.KindBytes[data.KindImage] = 1 << 20
	})
	tok := e.token(t, 0)

	t.Run("OK four types at once", func(t *testing.T) {
		r := importURLs(t, e, tok, base+"/front.jpg", base+"/side.png", base+"/photo.webp", base+"/manual.pdf")
		if r.Status != 201 {
			t.Fatalf("%d %s", r.Status, r.Body)
		}
		media := r.json(t)["media"].([]any)
		want := []string{"image/jpeg", "image/png", "image/webp", "application/pdf"}
		for i, m := range media {
			m := m.(map[string]any)
			if m["mime_type"] != want[i] || !strings.HasPrefix(m["source_url"].(string), base) {
				t.Errorf("item %d: %v", i, m)
			}
		}
		if m := media[0].(map[string]any); m["filename"] != "front.jpg" || m["width"] != 150.0 {
			t.Errorf("jpeg: %v", m)
		}
	})
	t.Run("OK same URL again offers the existing item", func(t *testing.T) {
		r := importURLs(t, e, tok, base+"/front.jpg")
		if r.Status != 201 || r.json(t)["media"].([]any)[0].(map[string]any)["duplicate_of"] == nil {
			t.Fatalf("%d %s", r.Status, r.Body)
		}
	})
	t.Run("OK redirects within the cap and a lying Content-Type", func(t *testing.T) {
		r := importURLs(t, e, tok, base+"/redirect/3", base+"/lies.html")
		if r.Status != 201 {
			t.Fatalf("%d %s", r.Status, r.Body)
		}
		if m := r.json(t)["media"].([]any)[1].(map[string]any); m["mime_type"] != "image/png" {
			t.Fatalf("lying origin: %v", m)
		}
	})
	errorCases := []struct {
		name   string
		urls   []string
		status int
		code   string
	}{
		{"too many redirects", []string{base + "/redirect/4"}, 422, data.ECFetchFailed},
		{"over the size limit", []string{base + "/huge.jpg"}, 413, data.ECTooLarge},
		{"never finishes", []string{base + "/slow.jpg"}, 422, data.ECFetchFailed},
		{"gzip bomb", []string{base + "/bomb.png"}, 422, data.ECFetchFailed},
		{"HTML", []string{base + "/page.html"}, 415, data.ECUnsupportedType},
		{"404", []string{base + "/missing.jpg"}, 422, data.ECFetchFailed},
		{"all or nothing", []string{base + "/side.png", base + "/missing.jpg"}, 422, data.ECFetchFailed},
		{"ftp scheme", []string{"ftp://127.0.0.1/x.jpg"}, 422, data.ECURLNotAllowed},
		{"no URLs", []string{}, 422, data.ECInvalidField},
		{"eleven URLs", strings.Split(strings.Repeat(base+"/side.png ", 11), " ")[:11], 422, data.ECInvalidField},
	}
	for _, tc := range errorCases {
		t.Run(tc.name, func(t *testing.T) {
			before := e.snapshot(t)
			start := time.Now()
			r := importURLs(t, e, tok, tc.urls...)
			if r.Status != tc.status || r.errCode(t) != tc.code {
				t.Fatalf("got %d %s, want %d %s", r.Status, r.Body, tc.status, tc.code)
			}
			if time.Since(start) > 10*time.Second {
				t.Fatalf("took %v", time.Since(start))
			}
			if e.snapshot(t) != before {
				t.Fatal("state changed")
			}
			if tc.code != data.ECInvalidField && !strings.Contains(string(r.Body), `"url"`) {
				t.Fatalf("error does not name the URL: %s", r.Body)
			}
		})
	}
}

// refusalOrigins starts a canary on 127.0.0.1 that counts every hit (there
// must be none) and a "public" origin on 127.0.0.2 (the one address the tests
// allow) that redirects to ?to=, with PORT replaced by the canary's port.
func refusalOrigins(t *testing.T) (port, public string, hits *atomic.Int64) {
	hits = new(atomic.Int64)
	png := readFile(t, goImageTestdata("video-001.png"))
	canary := origin(t, "127.0.0.1:0", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		w.Header().Set("Content-Type", "image/png")
		w.Write(png)
	}))
	port = canary[strings.LastIndex(canary, ":")+1:]
	public = origin(t, "127.0.0.2:0", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, strings.Replace(r.URL.Query().Get("to"), "PORT", port, 1), http.StatusFound)
	}))
	return port, public, hits
}

// refusedURLs are import targets that must never be fetched; PORT is the canary's port.
var refusedURLs = []string{
	"http://127.0.0.1:PORT/x.jpg", "http://127.1:PORT/x.jpg", "http://2130706433:PORT/x.jpg", "http://0x7f000001:PORT/x.jpg",
	"http://0177.0.0.1:PORT/x.jpg", "http://0x7f.1:PORT/x.jpg", "http://127.0.0.3:PORT/x.jpg", "http://127.255.255.254:PORT/x.jpg",
	"http://[::1]:PORT/x.jpg", "http://[::ffff:127.0.0.1]:PORT/x.jpg", "http://[::ffff:7f00:1]:PORT/x.jpg", "http://[0:0:0:0:0:ffff:127.0.0.1]:PORT/x.jpg",
	"http://localhost:PORT/x.jpg", "http://LOCALHOST:PORT/x.jpg", "http://localhost.:PORT/x.jpg", "http://0.0.0.0:PORT/x.jpg",
	"http://0:PORT/x.jpg", "http://[::]:PORT/x.jpg", "http://[::127.0.0.1]:PORT/x.jpg",
	"http://10.0.0.1/x.jpg", "http://10.255.255.255/x.jpg", "http://172.16.0.1/x.jpg", "http://172.31.255.1/x.jpg",
	"http://192.168.0.1/x.jpg", "http://192.168.1.254:8080/x.jpg", "http://169.254.169.254/latest/meta-data/",
	"http://[fd00:ec2::254]/latest/meta-data/", "http://169.254.0.1/x.jpg", "http://100.64.0.1/x.jpg", "http://100.127.255.254/x.jpg",
	"http://224.0.0.1/x.jpg", "http://239.255.255.250/x.jpg", "http://255.255.255.255/x.jpg", "http://240.0.0.1/x.jpg",
	"http://192.0.0.1/x.jpg", "http://192.0.2.1/x.jpg", "http://198.18.0.1/x.jpg", "http://198.51.100.1/x.jpg", "http://203.0.113.1/x.jpg",
	"http://[fc00::1]/x.jpg", "http://[fd12:3456::1]/x.jpg", "http://[fe80::1]/x.jpg", "http://[ff02::1]/x.jpg",
	"http://[64:ff9b::7f00:1]:PORT/x.jpg", "http://[64:ff9b::a00:1]/x.jpg", "http://[2002:7f00:1::]:PORT/x.jpg", "http://[2001::1]/x.jpg",
	"http://[2001:db8::1]/x.jpg", "http://[::ffff:10.0.0.1]/x.jpg", "http://[::ffff:169.254.169.254]/x.jpg",
	"http://0xa9fea9fe/x.jpg", "http://2852039166/x.jpg", "http://0251.0376.0251.0376/x.jpg", "http://169.254.43518/x.jpg",
	"file:///etc/passwd", "gopher://127.0.0.1:PORT/_GET", "ftp://127.0.0.1:PORT/x.jpg", "http://user:pass@127.0.0.1:PORT/x.jpg",
	"dict://127.0.0.1:PORT/", "javascript:alert(1)", "data:image/png;base64,iVBORw0KGgo=",
}

// TestImportRefusesPrivateTargets: every private, loopback, link-local or
// otherwise non-public target is refused with url_not_allowed, through
// /api/media and through a public-looking origin that redirects, and a canary
// on loopback records zero hits.
func TestImportRefusesPrivateTargets(t *testing.T) {
	port, public, hits := refusalOrigins(t)
	e := newTestEnv(t, allowOnly127002)
	tok := e.token(t, 0)
	if len(refusedURLs) < 50 {
		t.Fatalf("only %d refused URLs", len(refusedURLs))
	}
	var messages = map[string]bool{}
	for _, raw := range refusedURLs {
		u := strings.ReplaceAll(raw, "PORT", port)
		for _, via := range []string{"direct", "redirect"} {
			target := u
			if via == "redirect" {
				target = public + "/?to=" + url.QueryEscape(raw)
			}
			t.Run(via+" "+raw, func(t *testing.T) {
				before := e.snapshot(t)
				r := importURLs(t, e, tok, target)
				if r.Status != 422 || r.errCode(t) != data.ECURLNotAllowed {
					t.Fatalf("got %d %s", r.Status, r.Body)
				}
				msg := r.json(t)["error"].(map[string]any)["message"].(string)
				messages[strings.Replace(msg, target, "URL", 1)] = true
				if e.snapshot(t) != before {
					t.Fatal("state changed")
				}
			})
		}
	}
	if n := hits.Load(); n != 0 {
		t.Fatalf("the canary was hit %d times", n)
	}
	t.Logf("%d refused targets, each direct and by redirect; distinct messages: %v", len(refusedURLs), messages)
}

// TestGalleryImportRefusesPrivateTargets: the same refused targets, through
// POST /api/products/{id}/images {"src"}: each refused, nothing attached, and
// the canary never hit.
func TestGalleryImportRefusesPrivateTargets(t *testing.T) {
	port, public, hits := refusalOrigins(t)
	e := newTestEnv(t, allowOnly127002)
	tok := e.token(t, 0)
	r := e.sendJSON(t, "POST", "/api/products", tok, map[string]any{"title": "Mug"})
	if r.Status != 201 {
		t.Fatalf("create product: %d %s", r.Status, r.Body)
	}
	images := fmt.Sprintf("/api/products/%d/images", int64(r.json(t)["id"].(float64)))
	for _, raw := range refusedURLs {
		for _, target := range []string{strings.ReplaceAll(raw, "PORT", port), public + "/?to=" + url.QueryEscape(raw)} {
			before := e.snapshot(t)
			r := e.sendJSON(t, "POST", images, tok, map[string]any{"src": target})
			if r.Status != 422 || r.errCode(t) != data.ECURLNotAllowed {
				t.Errorf("%s: %d %s", target, r.Status, r.Body)
			}
			if e.snapshot(t) != before {
				t.Errorf("%s changed state", target)
			}
		}
	}
	if n := hits.Load(); n != 0 {
		t.Fatalf("the canary was hit %d times", n)
	}
}

// TestImportsAreFairAcrossStores: one organization's slow imports take at
// most its own share of the download slots, so another organization's
// import goes through meanwhile (wave 1: four stuck imports of one store
// took every slot of the server).
func TestImportsAreFairAcrossStores(t *testing.T) {
	jpg := readFile(t, goImageTestdata("video-001.jpeg"))
	release := make(chan struct{})
	var slow atomic.Int32
	base := origin(t, "127.0.0.2:0", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, "/slow") {
			slow.Add(1)
			select {
			case <-release:
			case <-r.Context().Done():
				return
			}
		}
		w.Header().Set("Content-Type", "image/jpeg")
		w.Write(jpg)
	}))
	e := newTestEnv(t, func(c *config) {
		allowOnly127002(c)
		c.fetch.Timeout = 20 * time.Second
	})
	mine := e.token(t, 0)
	other, err := e.app.orgs.CreateOrg(context.Background(), "other", "Other store")
	if err != nil {
		t.Fatal(err)
	}
	theirs := e.token(t, other.ID)

	// As many slow imports as the whole server has slots.
	var wg sync.WaitGroup
	for i := 0; i < fetch.DefaultMaxParallel; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			importURLs(t, e, mine, fmt.Sprintf("%s/slow-%d.jpg", base, i))
		}()
	}
	for slow.Load() < storage.DefaultFetchesPerOrg {
		time.Sleep(10 * time.Millisecond)
	}
	// Another store is not held up, and this store runs only its share.
	if r := importURLs(t, e, theirs, base+"/quick.jpg"); r.Status != 201 {
		t.Fatalf("the other store's import: %d %s", r.Status, r.Body)
	}
	if n := slow.Load(); n != storage.DefaultFetchesPerOrg {
		t.Fatalf("%d imports of one store ran at once, want %d", n, storage.DefaultFetchesPerOrg)
	}
	close(release)
	wg.Wait()
}
