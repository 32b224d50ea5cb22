package main

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"gallerist/data"
)

// galleryOf250 makes a product whose gallery holds 250 images and returns its
// id and image ids in order.
func galleryOf250(tb testing.TB, e *testEnv) (int64, []int64) {
	tb.Helper()
	ctx := data.WithPrincipal(context.Background(), data.Principal{OrgID: e.app.defOrg.ID, Actor: "bench"})
	media := e.seedImages(250)
	p, err := e.app.catalog.CreateProduct(ctx, data.ProductCreate{Title: "Big gallery"})
	if err != nil {
		tb.Fatal(err)
	}
	imgs, err := e.app.catalog.AttachMedia(ctx, p.ID, data.GalleryAttach{MediaIDs: media})
	if err != nil {
		tb.Fatal(err)
	}
	ids := make([]int64, len(imgs))
	for i, gi := range imgs {
		ids[i] = gi.ID
	}
	return p.ID, ids
}

func timedRequest(tb testing.TB, client *http.Client, method, url, tok, body string) time.Duration {
	req, _ := http.NewRequest(method, url, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+tok)
	req.Header.Set("Content-Type", "application/json")
	t0 := time.Now()
	res, err := client.Do(req)
	if err != nil {
		tb.Fatal(err)
	}
	io.Copy(io.Discard, res.Body)
	res.Body.Close()
	d := time.Since(t0)
	if res.StatusCode != 200 {
		tb.Fatalf("%s %s: %d", method, url, res.StatusCode)
	}
	return d
}

func p50(ds []time.Duration) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[len(s)/2]
}

func ms64(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// BenchmarkGalleryReorder250: reordering a 250-image gallery in one request
// (every image moves) against a single-image alt PATCH on the same server,
// alternating, over loopback: p50 of each and the ratio.
func BenchmarkGalleryReorder250(b *testing.B) {
	e := newTestEnv(b)
	tok := e.token(0)
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
	tok := e.token(0)
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
