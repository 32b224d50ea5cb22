package main

import (
	"fmt"
	"math/rand/v2"
	"net/http"
	"slices"
	"testing"
	"time"
)

// BenchmarkSynchronousFull measures what synchronous=FULL (a 2xx survives
// power loss: every commit waits for fsync of the WAL) costs against
// synchronous=NORMAL, on the write paths clients use most: an alt-text
// PATCH, a 250-image reorder and an upload. Both servers run in the same
// process, on the same disk, in alternating rounds; the figures are the
// ratios of p50 latencies (FULL / NORMAL).
//
//	go test -run '^$' -bench SynchronousFull -benchtime 200x .
func BenchmarkSynchronousFull(b *testing.B) {
	type side struct {
		e                     *testEnv
		tok, base             string
		pid                   int64
		ids                   []int64
		patch, reorder, write []time.Duration
	}
	var sides [2]*side
	for i := range sides {
		e := newTestEnv(b)
		if i == 1 {
			if err := e.app.db.ExecForTest(`PRAGMA synchronous = NORMAL`); err != nil {
				b.Fatal(err)
			}
		}
		pid, ids := galleryOf250(b, e)
		sides[i] = &side{e: e, tok: e.token(b, 0), base: e.serveLoopback(b), pid: pid, ids: ids}
	}
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 2}}
	jpg := readFile(b, goImageTestdata("video-001.jpeg"))
	rng := rand.New(rand.NewPCG(1, 2))
	b.ResetTimer()
	for n := 0; n < b.N; n++ {
		for _, s := range sides {
			o := slices.Clone(s.ids)
			rng.Shuffle(len(o), func(i, j int) { o[i], o[j] = o[j], o[i] })
			s.reorder = append(s.reorder, timedRequest(b, client, "POST", fmt.Sprintf("%s/api/products/%d/images/reorder", s.base, s.pid), s.tok, jsonIDs(o)))
			s.patch = append(s.patch, timedRequest(b, client, "PATCH", fmt.Sprintf("%s/api/products/%d/images/%d", s.base, s.pid, s.ids[0]), s.tok, fmt.Sprintf(`{"alt": "Mug, view %d"}`, n)))
			body := append(slices.Clone(jpg), []byte(fmt.Sprint(n))...) // new bytes each time
			t0 := time.Now()
			s.e.uploadOK(b, s.tok, "photo.jpg", body)
			s.write = append(s.write, time.Since(t0))
		}
	}
	b.StopTimer()
	full, normal := sides[0], sides[1]
	for _, m := range []struct {
		name string
		f, n []time.Duration
	}{{"alt-patch", full.patch, normal.patch}, {"reorder", full.reorder, normal.reorder}, {"upload", full.write, normal.write}} {
		b.ReportMetric(ms64(p50(m.f)), m.name+"-full-p50-ms")
		b.ReportMetric(ms64(p50(m.n)), m.name+"-normal-p50-ms")
		b.ReportMetric(float64(p50(m.f))/float64(p50(m.n)), m.name+"-full/normal")
	}
}
