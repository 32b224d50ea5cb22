package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"gallerist/data"

	"github.com/chromedp/chromedp"
	"golang.org/x/crypto/bcrypt"
)

// uiLoginCookie creates the owner and logs in over HTTP like a browser
// without JavaScript; it returns the session cookie ("name=value").
func uiLoginCookie(tb testing.TB, e *testEnv, base string) string {
	tb.Helper()
	e.app.users.Cost = bcrypt.MinCost
	if _, err := e.app.users.CreateUser(context.Background(), data.UserCreate{Email: testOwnerEmail, Password: testOwnerPassword}); err != nil {
		tb.Fatal(err)
	}
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	res, err := client.Get(base + "/login")
	if err != nil {
		tb.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	cookie := res.Cookies()[0]
	token := csrfRE.FindSubmatch(body)[1]
	form := url.Values{"_csrf": {string(token)}, "email": {testOwnerEmail}, "password": {testOwnerPassword}}
	req, _ := http.NewRequest("POST", base+"/login", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.AddCookie(cookie)
	res, err = client.Do(req)
	if err != nil {
		tb.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/media" {
		tb.Fatalf("login: %d", res.StatusCode)
	}
	return res.Cookies()[0].Name + "=" + res.Cookies()[0].Value
}

// sequentialP50 is the median time of n sequential GETs on one keep-alive connection.
func sequentialP50(tb testing.TB, url, header string, n int) time.Duration {
	tb.Helper()
	var ds []time.Duration
	for i := 0; i < n; i++ {
		req, _ := http.NewRequest("GET", url, nil)
		if name, value, ok := strings.Cut(header, ": "); ok {
			req.Header.Set(name, value)
		}
		t0 := time.Now()
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			tb.Fatal(err)
		}
		io.Copy(io.Discard, res.Body)
		res.Body.Close()
		ds = append(ds, time.Since(t0))
		if res.StatusCode != 200 {
			tb.Fatalf("GET %s: %d", url, res.StatusCode)
		}
	}
	return p50(ds)
}

// BenchmarkUIPages: the server's time to render the library page (48 of 250
// items) and the gallery editor of a 250-image product, for a logged-in user
// (session cookie, CSRF token, the membership lookup), against the trivial
// JSON endpoint GET /api/ping in the same run: p50 of sequential requests,
// and requests/s and p50 under load from a second process (8 connections).
// Run with -benchtime=1x.
func BenchmarkUIPages(b *testing.B) {
	e := newTestEnv(b)
	pid, _ := galleryOf250(b, e)
	base := e.serveLoopback(b)
	cookie := "Cookie: " + uiLoginCookie(b, e, base)
	bin := buildLoadgen(b)
	pages := []struct{ name, url, header string }{
		{"ping", base + "/api/ping", ""},
		{"library", base + "/media", cookie},
		{"gallery250", base + fmt.Sprintf("/products/%d", pid), cookie},
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		var pingSeq, pingLoad float64
		for _, pg := range pages {
			seq := ms64(sequentialP50(b, pg.url, pg.header, 200))
			var r loadResult
			if pg.header == "" {
				r = load(b, bin, pg.url, "", 3*time.Second)
			} else {
				r = loadWithHeader(b, bin, pg.url, pg.header, 3*time.Second)
			}
			if r.Errors > 0 {
				b.Fatalf("%s: %d errors under load", pg.name, r.Errors)
			}
			b.ReportMetric(seq, pg.name+"-p50-ms")
			b.ReportMetric(r.RPS, pg.name+"-rps")
			b.ReportMetric(r.P50MS, pg.name+"-p50-ms-loaded")
			if pg.name == "ping" {
				pingSeq, pingLoad = seq, r.RPS
				continue
			}
			b.ReportMetric(seq/pingSeq, pg.name+"-p50-x-ping")
			b.ReportMetric(pingLoad/r.RPS, pg.name+"-rps-x-ping")
		}
	}
}

// pageLoad is what Chromium measured for one navigation.
type pageLoad struct {
	DCL   float64 `json:"dcl"`   // ms from navigation start to DOMContentLoaded end
	Load  float64 `json:"load"`  // ms to the load event's end
	HTML  float64 `json:"html"`  // bytes transferred for the document (headers and body, compressed)
	CSS   float64 `json:"css"`   // bytes transferred for stylesheets
	JS    float64 `json:"js"`    // bytes transferred for scripts
	Img   float64 `json:"img"`   // bytes transferred for images
	Nodes float64 `json:"nodes"` // DOM elements
}

const pageLoadJS = `(() => {
	const nav = performance.getEntriesByType("navigation")[0];
	const sum = (f) => performance.getEntriesByType("resource").filter(f).reduce((a, r) => a + r.transferSize, 0);
	return {
		dcl: nav.domContentLoadedEventEnd - nav.startTime, load: nav.loadEventEnd - nav.startTime, html: nav.transferSize,
		css: sum(r => /\.css(\?|$)/.test(r.name)), js: sum(r => /\.js(\?|$)/.test(r.name)),
		img: sum(r => r.initiatorType === "img"), nodes: document.getElementsByTagName("*").length,
	};
})()`

// BenchmarkUIBrowser: in Chromium on loopback, time from navigation to
// DOMContentLoaded and the bytes transferred (HTML, CSS, JS) for the library
// and the 250-image gallery editor: cold (empty cache, first visit) and warm
// (p50 of 5 more visits; the fingerprinted assets come from the cache).
// Run with -benchtime=1x.
func BenchmarkUIBrowser(b *testing.B) {
	sharedBrowser(b)
	be := newBrowserEnv(b)
	pid, _ := galleryOf250(b, be.testEnv)
	be.navigate(b, "/setup")
	be.fill(b, "#email", testOwnerEmail)
	be.fill(b, "#password", testOwnerPassword)
	be.click(b, `button[type=submit]`)
	be.waitJS(b, "the library", `location.pathname === "/media"`)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		for _, pg := range []struct{ name, path string }{{"library", "/media"}, {"gallery250", fmt.Sprintf("/products/%d", pid)}} {
			// Cold: a new browser context has an empty cache; log in there too.
			ctx, cancel := chromedp.NewContext(browserCtx, chromedp.WithNewBrowserContext())
			// The tab lives as long as the context of its first run: no timeout on that one.
			if err := chromedp.Do(ctx); err != nil {
				b.Fatal(err)
			}
			cold := &browserEnv{testEnv: be.testEnv, ctx: ctx, base: be.base}
			cold.login(b, testOwnerEmail, testOwnerPassword)
			cold.waitJS(b, "the library", `location.pathname === "/media"`)
			// The login pages cached the assets; a first visit has none.
			cold.clearCache(b)
			cold.navigate(b, pg.path)
			c := evalJS[pageLoad](b, cold, pageLoadJS)
			cancel()
			var warm []pageLoad
			for j := 0; j < 5; j++ {
				be.navigate(b, pg.path)
				warm = append(warm, evalJS[pageLoad](b, be, pageLoadJS))
			}
			dcls := make([]time.Duration, len(warm))
			for j, w := range warm {
				dcls[j] = time.Duration(w.DCL * float64(time.Millisecond))
			}
			b.ReportMetric(c.DCL, pg.name+"-dcl-ms-cold")
			b.ReportMetric(ms64(p50(dcls)), pg.name+"-dcl-ms-warm")
			b.ReportMetric(c.HTML, pg.name+"-html-B")
			b.ReportMetric(c.CSS, pg.name+"-css-B")
			b.ReportMetric(c.JS, pg.name+"-js-B")
			b.ReportMetric(warm[len(warm)-1].CSS+warm[len(warm)-1].JS, pg.name+"-css+js-B-warm")
			b.ReportMetric(c.Nodes, pg.name+"-dom-elements")
		}
	}
}
