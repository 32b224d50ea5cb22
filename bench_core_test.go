package main

import (
	"bytes"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"os"
	"testing"
	"time"
)

// BenchmarkIngest25MB uploads a 25 MB file over loopback and, in the same run,
// writes and fsyncs the same bytes to the same disk: the ratio is what our
// ingest (streaming multipart parse, sniff, SHA-256, fsync, rename, insert) costs
// over the disk's own speed.
func BenchmarkIngest25MB(b *testing.B) {
	e := newTestEnv(b)
	tok := e.token(b, 0)
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

// BenchmarkMediaList100k: GET /api/media?limit=24 and q= search on a library of
// 100,000 items under load from a second process, against the trivial JSON
// endpoint on the same server in the same run. Run with -benchtime=1x.
func BenchmarkMediaList100k(b *testing.B) {
	e := newTestEnv(b)
	tok := e.token(b, 0)
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
