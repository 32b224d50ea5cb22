package main

import (
	"fmt"
	"math/rand/v2"
	"net/http"
	"slices"
	"testing"
	"time"
)

// BenchmarkGalleryReorder250: reordering a 250-image gallery in one request
// (every image moves) against a single-image alt PATCH on the same server,
// alternating, over loopback: p50 of each and the ratio.
func BenchmarkGalleryReorder250(b *testing.B) {
	e := newTestEnv(b)
	tok := e.token(b, 0)
	pid, ids := galleryOf250(b, e)
	base := e.serveLoopback(b)
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 2}}
	rng := rand.New(rand.NewPCG(1, 2))
	orders := make([]string, 16)
	for i := range orders {
		o := slices.Clone(ids)
		rng.Shuffle(len(o), func(i, j int) { o[i], o[j] = o[j], o[i] })
		orders[i] = jsonIDs(o)
	}
	reorderURL := fmt.Sprintf("%s/api/products/%d/images/reorder", base, pid)
	patchURL := fmt.Sprintf("%s/api/products/%d/images/%d", base, pid, ids[0])
	var reorder, patch []time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		reorder = append(reorder, timedRequest(b, client, "POST", reorderURL, tok, orders[i%len(orders)]))
		patch = append(patch, timedRequest(b, client, "PATCH", patchURL, tok, fmt.Sprintf(`{"alt": "Mug, view %d"}`, i)))
	}
	b.StopTimer()
	r, p := p50(reorder), p50(patch)
	b.ReportMetric(ms64(r), "reorder-p50-ms")
	b.ReportMetric(ms64(p), "alt-patch-p50-ms")
	b.ReportMetric(float64(r)/float64(p), "reorder/patch")
}

// BenchmarkGalleryList250: GET /api/products/{id}/images of a 250-image
// gallery under load from a second process (scripts/loadgen, 8 keep-alive
// connections), against the trivial JSON endpoint on the same server in the
// same run. Run with -benchtime=1x; GALLERIST_LOAD_SECONDS sets the duration.
func BenchmarkGalleryList250(b *testing.B) {
	e := newTestEnv(b)
	tok := e.token(b, 0)
	pid, _ := galleryOf250(b, e)
	base := e.serveLoopback(b)
	bin := buildLoadgen(b)
	d := loadDuration()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		ping := load(b, bin, base+"/api/ping", "", d)
		list := load(b, bin, fmt.Sprintf("%s/api/products/%d/images", base, pid), tok, d)
		e.app.handlers.SetAnswerCache(false)
		raw := load(b, bin, fmt.Sprintf("%s/api/products/%d/images", base, pid), tok, d)
		e.app.handlers.SetAnswerCache(true)
		b.ReportMetric(ping.RPS, "ping-req/s")
		b.ReportMetric(list.RPS, "gallery250-req/s")
		b.ReportMetric(list.P50MS, "gallery250-p50-ms")
		b.ReportMetric(list.RPS/ping.RPS, "gallery/ping")
		b.ReportMetric(raw.RPS, "uncached-gallery250-req/s")
		b.ReportMetric(raw.P50MS, "uncached-gallery250-p50-ms")
		b.ReportMetric(raw.RPS/ping.RPS, "uncached-gallery/ping")
	}
}
