package main

import (
	"bytes"
	"fmt"
	"image/jpeg"
	"net/http"
	"os"
	"strings"
	"sync"
	"testing"
	"time"
)

// benchPhoto is the 20 MP reference photo (scripts/bench-renditions.sh fetches it).
func benchPhoto(b *testing.B) []byte {
	p := os.Getenv("GALLERIST_BENCH_PHOTO")
	if p == "" {
		b.Skip("set GALLERIST_BENCH_PHOTO (scripts/bench-renditions.sh downloads the reference photo)")
	}
	return readFile(b, p)
}

// withComment makes distinct bytes of the same photo: a COM segment after SOI.
func withComment(jpg []byte, s string) []byte {
	seg := []byte{0xFF, 0xFE, 0, byte(len(s) + 2)}
	return append(append(append([]byte{}, jpg[:2]...), append(seg, s...)...), jpg[2:]...)
}

// BenchmarkRenditions measures, on the 20 MP reference photo, against one
// image/jpeg decode of it in the same run: the server's CPU time for one
// upload and every eager rendition (all seven widths, JPEG and WebP); its peak
// RSS for one upload and for four at once; cached rendition requests/s (200
// and 304); and the /api/media list p50 while renditions are being made.
// Run with -benchtime=1x (scripts/bench-renditions.sh).
func BenchmarkRenditions(b *testing.B) {
	photo := benchPhoto(b)
	bin := buildBinary(b)
	loadgen := buildLoadgen(b)

	t0 := cpuSelf()
	const decodes = 3
	for i := 0; i < decodes; i++ {
		if _, err := jpeg.Decode(bytes.NewReader(photo)); err != nil {
			b.Fatal(err)
		}
	}
	decode := (cpuSelf() - t0) / decodes

	for i := 0; i < b.N; i++ {
		// One upload, one worker.
		s := startBinary(b, bin, "--render-workers", "1")
		cpu0, _ := procStat(s.cmd.Process.Pid)
		m := s.waitReady(b, s.upload(b, "kleiber.jpg", photo))
		cpu1, rss1 := procStat(s.cmd.Process.Pid)
		b.ReportMetric(float64(decode.Milliseconds()), "stdlib-decode-ms")
		b.ReportMetric(float64((cpu1 - cpu0).Milliseconds()), "upload+renditions-cpu-ms")
		b.ReportMetric(float64(cpu1-cpu0)/float64(decode), "x-decode")
		b.ReportMetric(float64(rss1)/(1<<20), "peak-rss-MB-1-upload")

		// Cached rendition requests.
		u := strings.TrimPrefix(m["renditions"].(map[string]any)["320"].(string), "http://127.0.0.1")
		u = s.base + u[strings.Index(u, "/files/"):]
		res, _ := http.Get(u)
		etag := res.Header.Get("ETag")
		res.Body.Close()
		r200 := load(b, loadgen, u, "", 3*time.Second)
		r304 := loadWithHeader(b, loadgen, u, "If-None-Match: "+etag, 3*time.Second)
		ping := load(b, loadgen, s.base+"/api/ping", "", 3*time.Second)
		b.ReportMetric(r200.RPS, "rendition-200-req/s")
		b.ReportMetric(r304.RPS, "rendition-304-req/s")
		b.ReportMetric(ping.RPS, "ping-req/s")

		// Four uploads at once, with the default pool (one worker per spare core).
		s4 := startBinary(b, bin)
		var wg sync.WaitGroup
		ids := make([]float64, 4)
		for k := range ids {
			wg.Add(1)
			go func() {
				defer wg.Done()
				ids[k] = s4.upload(b, fmt.Sprintf("k%d.jpg", k), withComment(photo, fmt.Sprintf("copy %d", k)))
			}()
		}
		wg.Wait()
		// The list stays responsive while they are processed.
		busy := load(b, loadgen, s4.base+"/api/media?limit=24", s4.token, 2*time.Second)
		s4.waitReady(b, ids...)
		_, rss4 := procStat(s4.cmd.Process.Pid)
		idle := load(b, loadgen, s4.base+"/api/media?limit=24", s4.token, 2*time.Second)
		b.ReportMetric(float64(rss4)/(1<<20), "peak-rss-MB-4-uploads")
		b.ReportMetric(busy.P50MS, "list-p50-ms-while-rendering")
		b.ReportMetric(idle.P50MS, "list-p50-ms-idle")
	}
}
