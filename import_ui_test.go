package main

import (
	"context"
	"fmt"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"gallerist/data"
)

// importOrigins starts a canary on 127.0.0.1 (which must never be hit) and an
// allowed "public" origin on 127.0.0.2 serving a PNG at /photo.png and
// redirecting /inward to the canary.
func importOrigins(t *testing.T) (public, canary string, hits *atomic.Int64) {
	hits = new(atomic.Int64)
	png := readFile(t, goImageTestdata("video-001.png"))
	canary = origin(t, "127.0.0.1:0", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		w.Header().Set("Content-Type", "image/png")
		w.Write(png)
	}))
	public = origin(t, "127.0.0.2:0", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/inward" {
			http.Redirect(w, r, canary+"/x.png", http.StatusFound)
			return
		}
		w.Header().Set("Content-Type", "image/png")
		w.Write(png)
	}))
	return public, canary, hits
}

// allowOnly127002 lets imports reach the tests' "public" origin on 127.0.0.2 and nothing else private.
func allowOnly127002(c *config) {
	c.fetch.Allow = []netip.Prefix{netip.MustParsePrefix("127.0.0.2/32")}
	c.fetch.Timeout = 3 * time.Second
}

// TestUIImportFromURLForm: the "Add from URL" form works without JavaScript,
// into the library and into a gallery, and refuses what the API refuses.
func TestUIImportFromURLForm(t *testing.T) {
	public, canary, hits := importOrigins(t)
	e := newTestEnv(t, allowOnly127002)
	e.createUser(t, testOwnerEmail, data.RoleOwner)
	c := e.client()
	c.login(t, testOwnerEmail, testOwnerPassword)
	c.get(t, "/media")

	st, body := c.post(t, "/media/upload", url.Values{"urls": {public + "/photo.png"}})
	if st != http.StatusSeeOther {
		t.Fatalf("import into the library: %d %.300s", st, body)
	}
	var src string
	e.app.db.QueryRowForTest(`SELECT source_url FROM media`).Scan(&src)
	if src != public+"/photo.png" {
		t.Fatalf("source_url %q", src)
	}
	for _, bad := range []string{canary + "/x.png", public + "/inward", "http://169.254.169.254/latest/meta-data/", "file:///etc/passwd"} {
		before := e.snapshot(t)
		st, body := c.post(t, "/media/upload", url.Values{"urls": {bad}})
		if st != http.StatusUnprocessableEntity || !strings.Contains(body, "public internet address") && !strings.Contains(body, "only http and https") {
			t.Fatalf("%s: %d %.400s", bad, st, body)
		}
		if e.snapshot(t) != before {
			t.Fatalf("%s changed state", bad)
		}
	}

	pctx := data.WithPrincipal(context.Background(), data.Principal{OrgID: e.app.defOrg.ID, Actor: "test"})
	p, err := e.app.catalog.CreateProduct(pctx, data.ProductCreate{Title: "Vase"})
	if err != nil {
		t.Fatal(err)
	}
	c.get(t, fmt.Sprintf("/products/%d", p.ID))
	st, body = c.post(t, fmt.Sprintf("/products/%d/images/upload", p.ID), url.Values{"urls": {public + "/photo.png?again"}})
	if st != http.StatusSeeOther {
		t.Fatalf("import into the gallery: %d %.300s", st, body)
	}
	g, err := e.app.catalog.FindGallery(pctx, p.ID, data.GalleryFilter{})
	if err != nil || len(g.Images) != 1 {
		t.Fatalf("gallery after import: %v %v", g, err)
	}
	if n := hits.Load(); n != 0 {
		t.Fatalf("the canary was hit %d times", n)
	}
}

// TestBrowserImportFromURL: in the library, "Add from URL" gives each URL its
// own tile: the good one turns into a thumbnail, the refused one says why.
func TestBrowserImportFromURL(t *testing.T) {
	public, canary, hits := importOrigins(t)
	b := newBrowserEnv(t, allowOnly127002)
	b.setupOwner(t)
	b.click(t, `[data-import] summary`)
	b.fill(t, `[data-import-form] textarea`, public+"/photo.png\n"+canary+"/x.png")
	b.click(t, `[data-import-form] button[type=submit]`)
	b.waitJS(t, "the imported thumbnail and the refused tile",
		`document.querySelectorAll('[data-upload-state=error]').length === 1 && !document.querySelector('[data-upload-tile]:not([data-upload-state])')`)
	msg := evalJS[string](t, b, `document.querySelector('[data-upload-state=error]').textContent`)
	if !strings.Contains(msg, "public internet address") {
		t.Fatalf("refused tile says %q", msg)
	}
	b.shot("library-import-url")
	var n int
	b.app.db.QueryRowForTest(`SELECT COUNT(*) FROM media WHERE source_url = ?`, public+"/photo.png").Scan(&n)
	if n != 1 || hits.Load() != 0 {
		t.Fatalf("imported %d, canary hits %d", n, hits.Load())
	}
}
