package main

import (
	"bytes"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"testing"
	"time"
)

// BenchmarkS3VsLocal measures, in one run, the local store and S3 (a
// versitygw on loopback, over its own folder on the same disk): ingest of
// an 8 MB upload through the real app (upload MB/s), and rendition serving
// (req/s of one 320 px rendition under 8 connections from a second
// process). Ratios are S3 over local. Run with -benchtime=Nx.
func BenchmarkS3VsLocal(b *testing.B) {
	stores := []struct {
		name string
		e    *testEnv
	}{{"local", newTestEnv(b)}, {"s3", newTestEnv(b, withS3(b))}}
	const size = 8 << 20
	head := mp4Header(1280, 720, 1000, uint32(size-len(mp4Header(1280, 720, 1000, 0))))
	payload := append(head, make([]byte, size-len(head))...)
	bases := make([]string, len(stores))
	toks := make([]string, len(stores))
	for i, s := range stores {
		bases[i], toks[i] = s.e.serveLoopback(b), s.e.token(b, 0)
	}
	ingest := make([]time.Duration, len(stores))
	b.ResetTimer()
	for n := 0; n < b.N; n++ {
		for i := range stores {
			payload[len(payload)-1], payload[len(payload)-2] = byte(n), byte(n>>8) // new bytes: no shortcut for duplicates
			var body bytes.Buffer
			mw := multipart.NewWriter(&body)
			fw, _ := mw.CreateFormFile("file", fmt.Sprintf("clip-%d.mp4", n))
			fw.Write(payload)
			mw.Close()
			req, _ := http.NewRequest("POST", bases[i]+"/api/media", &body)
			req.Header.Set("Authorization", "Bearer "+toks[i])
			req.Header.Set("Content-Type", mw.FormDataContentType())
			t0 := time.Now()
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				b.Fatal(err)
			}
			io.Copy(io.Discard, res.Body)
			res.Body.Close()
			ingest[i] += time.Since(t0)
			if res.StatusCode != 201 {
				b.Fatalf("%s upload: %d", stores[i].name, res.StatusCode)
			}
		}
	}
	b.StopTimer()
	mb := float64(size) / (1 << 20) * float64(b.N)
	for i, s := range stores {
		b.ReportMetric(mb/ingest[i].Seconds(), s.name+"-ingest-MB/s")
	}
	b.ReportMetric(ingest[0].Seconds()/ingest[1].Seconds(), "s3/local-ingest")

	bin := buildLoadgen(b)
	rps := make([]float64, len(stores))
	photo := photoJPEG(b, 1200, 800)
	for i, s := range stores {
		m := s.e.uploadOK(b, toks[i], "photo.jpg", photo)
		url := m["renditions"].(map[string]any)["320"].(string)
		url = bases[i] + pathOf(url)
		if res, err := http.Get(url); err != nil || res.StatusCode != 200 { // made on demand the first time
			b.Fatalf("%s rendition: %v %v", s.name, res, err)
		} else {
			res.Body.Close()
		}
		rps[i] = load(b, bin, url, "", loadDuration()).RPS
		b.ReportMetric(rps[i], s.name+"-rendition-req/s")
	}
	b.ReportMetric(rps[1]/rps[0], "s3/local-rendition")
}
