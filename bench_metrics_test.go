package main

import (
	"io"
	"net/http"
	"net/http/httptest"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/valyala/fasthttp"
)

// hitEveryRoute sends one request to every route of the routes table (its
// parameters filled in), so that the metrics hold a series per route and
// status, and returns how many requests it sent.
func hitEveryRoute(tb testing.TB, e *testEnv, tok string) int {
	tb.Helper()
	n := 0
	for _, r := range e.app.handlers.Routes() {
		parts := strings.Split(r.Path, "/")
		for i, p := range parts {
			if strings.HasPrefix(p, ":") || p == "*" {
				parts[i] = "1"
			}
		}
		req := httptest.NewRequest(r.Method, strings.Join(parts, "/"), nil)
		req.Header.Set("Authorization", "Bearer "+tok)
		res, err := e.srv.App.Test(req, -1)
		if err != nil {
			tb.Fatal(err)
		}
		res.Body.Close()
		n++
	}
	return n
}

// serveInMemory runs one request through a server's whole middleware chain
// and handler without a network, as fasthttp hands it over.
func serveInMemory(h fasthttp.RequestHandler, method, uri string) int {
	var ctx fasthttp.RequestCtx
	var req fasthttp.Request
	req.Header.SetMethod(method)
	req.SetRequestURI(uri)
	ctx.Init(&req, nil, nil)
	h(&ctx)
	return ctx.Response.StatusCode()
}

// BenchmarkMetricsScrape measures, in one run: a scrape of /metrics after
// every route of the routes table was hit, against GET /api/ping over the
// same loopback (and a scrape before any request, for the Go runtime's and
// the process's share); and the per-request cost of counting a request in the
// metrics, as GET /api/ping through the whole app with metrics on against
// the same app with metrics off (in memory, no network: only the server's
// own work is compared).
func BenchmarkMetricsScrape(b *testing.B) {
	metricsOn := func(c *config) { c.metricsAddr = "127.0.0.1:0" }
	with, without, fresh := newTestEnv(b, metricsOn), newTestEnv(b), newTestEnv(b, metricsOn)
	routes := hitEveryRoute(b, with, with.token(b, 0))
	base := with.serveLoopback(b)
	metrics := httptest.NewServer(with.srv.MetricsHandler())
	defer metrics.Close()
	empty := httptest.NewServer(fresh.srv.MetricsHandler()) // no request counted yet
	defer empty.Close()
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 2}}
	get := func(url string) (int, time.Duration) {
		t0 := time.Now()
		res, err := client.Get(url)
		if err != nil {
			b.Fatal(err)
		}
		n, _ := io.Copy(io.Discard, res.Body)
		res.Body.Close()
		if res.StatusCode != 200 {
			b.Fatalf("GET %s: %d", url, res.StatusCode)
		}
		return int(n), time.Since(t0)
	}
	hWith, hWithout := with.srv.App.Handler(), without.srv.App.Handler()
	const batch = 100 // in-memory requests per variant per iteration
	inMemory := func(h fasthttp.RequestHandler) time.Duration {
		t0 := time.Now()
		for range batch {
			serveInMemory(h, "GET", "/api/ping")
		}
		return time.Since(t0)
	}
	// Medians, not sums: other work on the machine preempts some samples.
	var scrapes, emptyScrapes, pings, withs, withouts []time.Duration
	var size int
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		n, d := get(metrics.URL + "/metrics")
		size, scrapes = n, append(scrapes, d)
		_, d = get(empty.URL + "/metrics")
		emptyScrapes = append(emptyScrapes, d)
		_, d = get(base + "/api/ping")
		pings = append(pings, d)
		runtime.GC() // the scrapes' garbage is collected in neither variant's time
		if i%2 == 0 {
			withs, withouts = append(withs, inMemory(hWith)), append(withouts, inMemory(hWithout))
		} else {
			withouts, withs = append(withouts, inMemory(hWithout)), append(withs, inMemory(hWith))
		}
	}
	b.StopTimer()
	if st := serveInMemory(hWith, "GET", "/api/ping"); st != 200 {
		b.Fatalf("in-memory ping: %d", st)
	}
	med := func(ds []time.Duration) time.Duration { slices.Sort(ds); return ds[len(ds)/2] }
	µs := func(d time.Duration) float64 { return float64(d.Nanoseconds()) / 1e3 }
	b.ReportMetric(float64(routes), "routes-hit")
	b.ReportMetric(float64(size)/1024, "scrape-KB")
	b.ReportMetric(µs(med(scrapes)), "scrape-µs")
	b.ReportMetric(µs(med(emptyScrapes)), "scrape-no-requests-µs")
	b.ReportMetric(µs(med(pings)), "ping-µs")
	b.ReportMetric(float64(med(scrapes))/float64(med(pings)), "scrape/ping")
	w, wo := med(withs), med(withouts)
	b.ReportMetric(µs(w)/batch, "app-with-metrics-µs")
	b.ReportMetric(µs(wo)/batch, "app-without-µs")
	b.ReportMetric(float64(w)/float64(wo), "with/without")
}
