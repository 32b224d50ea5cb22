package main

import (
	"fmt"
	"net"
	"net/http"
	"testing"

	"github.com/chromedp/chromedp"
)

// storefront serves a blank page on its own origin (another port), as a
// shop's site calling the API from its visitors' browsers would be.
func storefront(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprint(w, "<!doctype html><title>Shop</title><p>shop</p>")
	})}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return "http://" + ln.Addr().String()
}

// Issue 12, item 10, in a real browser: a page of a listed origin reads the
// API with a bearer token (the preflight passes); a page of any other
// origin cannot.
func TestBrowserCORS(t *testing.T) {
	shop, other := storefront(t), storefront(t)
	b := newBrowserEnv(t, func(c *config) { c.corsOrigins = []string{shop} })
	tok := b.token(t, 0)
	b.uploadOK(t, tok, "mug.png", realPNG(t, 8, 8))
	call := fmt.Sprintf(`fetch(%s + "/api/media?limit=5", {headers: {Authorization: "Bearer %s", "If-None-Match": "\"x\""}})
		.then(r => r.json()).then(j => "items:" + j.data.length, e => "refused:" + e.name)`, jsString(b.base), tok)
	b.do(t, chromedp.Navigate(shop+"/"), chromedp.WaitReady("body"))
	if got := evalJS[string](t, b, call); got != "items:1" {
		t.Errorf("from the listed origin %s: %s", shop, got)
	}
	b.do(t, chromedp.Navigate(other+"/"), chromedp.WaitReady("body"))
	if got := evalJS[string](t, b, call); got != "refused:TypeError" {
		t.Errorf("from the unlisted origin %s: %s", other, got)
	}
}
