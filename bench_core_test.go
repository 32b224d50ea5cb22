package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// serveLoopback starts the env's real server on a loopback port.
func (e *testEnv) serveLoopback(tb testing.TB) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	go e.srv.App.Listener(ln)
	tb.Cleanup(func() { e.srv.App.ShutdownWithTimeout(5 * time.Second) })
	return "http://" + ln.Addr().String()
}

// BenchmarkIngest25MB uploads a 25 MB file over loopback and, in the same run,
// writes and fsyncs the same bytes to the same disk: the ratio is what our
// ingest (streaming multipart parse, sniff, SHA-256, fsync, rename, insert) costs
// over the disk's own speed.
func BenchmarkIngest25MB(b *testing.B) {
	e := newTestEnv(b)
	tok := e.token(0)
	base := e.serveLoopback(b)
	const size = 25 << 20
	head := mp4Header(1280, 720, 1000, uint32(size-len(mp4Header(1280, 720, 1000, 0))))
	payload := append(head, make([]byte, size-len(head))...)
	var upload, write time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		payload[len(payload)-1] = byte(i) // new bytes each time: no shortcut for duplicates
		payload[len(payload)-2] = byte(i >> 8)

		t0 := time.Now()
		f, err := os.CreateTemp(e.dir, "baseline-*")
		if err != nil {
			b.Fatal(err)
		}
		f.Write(payload)
		f.Sync()
		f.Close()
		os.Remove(f.Name())
		write += time.Since(t0)

		var body bytes.Buffer
		mw := multipart.NewWriter(&body)
		fw, _ := mw.CreateFormFile("file", fmt.Sprintf("clip-%d.mp4", i))
		fw.Write(payload)
		mw.Close()
		req, _ := http.NewRequest("POST", base+"/api/media", &body)
		req.Header.Set("Authorization", "Bearer "+tok)
		req.Header.Set("Content-Type", mw.FormDataContentType())
		t0 = time.Now()
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		io.Copy(io.Discard, res.Body)
		res.Body.Close()
		upload += time.Since(t0)
		if res.StatusCode != 201 {
			b.Fatalf("upload: %d", res.StatusCode)
		}
	}
	mb := float64(size) / (1 << 20) * float64(b.N)
	b.ReportMetric(mb/upload.Seconds(), "upload-MB/s")
	b.ReportMetric(mb/write.Seconds(), "write+fsync-MB/s")
	b.ReportMetric(write.Seconds()/upload.Seconds(), "ratio")
}

// seedMedia inserts n media rows for the default organization in one statement.
func seedMedia(tb testing.TB, e *testEnv, n int) {
	tb.Helper()
	err := e.app.db.ExecForTest(`
		WITH RECURSIVE seq(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM seq WHERE i < ?)
		INSERT INTO media (org_id, kind, filename, original_filename, mime_type, size, sha256, width, height, alt,
			created_by, created_at, updated_at, search)
		SELECT ?, 'image', 'product-' || i || '.jpg', 'IMG_' || i || '.JPG', 'image/jpeg', 100000 + i * 7 % 50000,
			printf('%064x', i), 1200, 800, CASE WHEN i % 3 = 0 THEN '' ELSE 'Ceramic mug number ' || i END,
			'seed', 1700000000000 + i * 1000, 1700000000000 + i * 1000,
			lower('product-' || i || '.jpg' || char(10) || CASE WHEN i % 3 = 0 THEN '' ELSE 'Ceramic mug number ' || i END)
		FROM seq`, n, e.app.defOrg.ID)
	if err != nil {
		tb.Fatal(err)
	}
}

type loadResult struct {
	Requests int     `json:"requests"`
	Errors   int     `json:"errors"`
	RPS      float64 `json:"rps"`
	P50MS    float64 `json:"p50_ms"`
	P99MS    float64 `json:"p99_ms"`
}

// buildLoadgen compiles scripts/loadgen once per benchmark run.
func buildLoadgen(tb testing.TB) string {
	tb.Helper()
	bin := filepath.Join(tb.TempDir(), "loadgen")
	if out, err := exec.Command("go", "build", "-o", bin, "./scripts/loadgen").CombinedOutput(); err != nil {
		tb.Fatalf("build loadgen: %v\n%s", err, out)
	}
	return bin
}

// loadDuration is how long each load runs: 5 s, or GALLERIST_LOAD_SECONDS.
func loadDuration() time.Duration {
	if s, err := time.ParseDuration(os.Getenv("GALLERIST_LOAD_SECONDS") + "s"); err == nil && s > 0 {
		return s
	}
	return 5 * time.Second
}

// load runs the load generator as a second process against url.
func load(tb testing.TB, bin, url, token string, d time.Duration) loadResult {
	tb.Helper()
	args := []string{"-url", url, "-c", "8", "-d", d.String()}
	if token != "" {
		args = append(args, "-H", "Authorization: Bearer "+token)
	}
	out, err := exec.CommandContext(context.Background(), bin, args...).Output()
	if err != nil {
		tb.Fatalf("loadgen %s: %v", url, err)
	}
	var r loadResult
	if err := json.Unmarshal(out, &r); err != nil {
		tb.Fatalf("loadgen output %q: %v", out, err)
	}
	if r.Errors > 0 {
		tb.Fatalf("loadgen %s: %d errors", url, r.Errors)
	}
	return r
}

// BenchmarkMediaList100k: GET /api/media?limit=24 and q= search on a library of
// 100,000 items under load from a second process, against the trivial JSON
// endpoint on the same server in the same run. Run with -benchtime=1x.
func BenchmarkMediaList100k(b *testing.B) {
	e := newTestEnv(b)
	tok := e.token(0)
	seedMedia(b, e, 100_000)
	base := e.serveLoopback(b)
	bin := buildLoadgen(b)
	d := loadDuration()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		ping := load(b, bin, base+"/api/ping", "", d)
		list := load(b, bin, base+"/api/media?limit=24", tok, d)
		search := load(b, bin, base+"/api/media?limit=24&q=mug%20number%204242", tok, d)
		// The same without the answer cache: every request runs its SQL.
		e.app.handlers.SetAnswerCache(false)
		listRaw := load(b, bin, base+"/api/media?limit=24", tok, d)
		searchRaw := load(b, bin, base+"/api/media?limit=24&q=mug%20number%204242", tok, d)
		e.app.handlers.SetAnswerCache(true)
		b.ReportMetric(ping.RPS, "ping-req/s")
		b.ReportMetric(list.RPS, "list-req/s")
		b.ReportMetric(list.P50MS, "list-p50-ms")
		b.ReportMetric(list.RPS/ping.RPS, "list/ping")
		b.ReportMetric(listRaw.RPS, "uncached-list-req/s")
		b.ReportMetric(listRaw.P50MS, "uncached-list-p50-ms")
		b.ReportMetric(listRaw.RPS/ping.RPS, "uncached-list/ping")
		b.ReportMetric(search.P50MS, "search-p50-ms")
		b.ReportMetric(searchRaw.P50MS, "uncached-search-p50-ms")
	}
}
