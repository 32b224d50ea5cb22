package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"gallerist/storage"
	"gallerist/storage/s3test"
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

// BenchmarkBackupS3VsDir measures, in one run, backup of one instance (300
// distinct 1024×768 JPEGs seeded through the media service, as in
// BenchmarkBackupRestore) into a new directory and into a new bucket prefix
// (a versitygw on loopback, over its own folder on the same disk), and
// verify of that instance and of a second one holding the same photos in a
// bucket. Ratios are S3 over local; files fsynced, page cache warm.
//
//	go test -run '^$' -bench 'BackupS3VsDir' -benchtime 5x .
func BenchmarkBackupS3VsDir(b *testing.B) {
	const n = 300
	srv := s3test.Shared(b)
	bucket := srv.NewBucket(b)
	local, onS3 := newTestEnv(b), newTestEnv(b, withS3(b))
	stored := bkSeedPhotos(b, local, n)
	bkSeedPhotos(b, onS3, n)
	ctx := context.Background()
	var toDir, toS3, verLocal, verS3 time.Duration
	var copied int64
	i := 0
	for b.Loop() {
		i++
		tmp := b.TempDir()
		t0 := time.Now()
		res, err := storage.Backup(ctx, local.dir, filepath.Join(tmp, "backup"), storage.BackupOptions{})
		if err != nil {
			b.Fatal(err)
		}
		t1 := time.Now()
		res2, err := storage.Backup(ctx, local.dir, srv.URL(bucket, fmt.Sprint("backup-", i)),
			storage.BackupOptions{AccessKey: srv.AccessKey, SecretKey: srv.SecretKey})
		if err != nil {
			b.Fatal(err)
		}
		t2 := time.Now()
		if res2.Bytes != res.Bytes {
			b.Fatalf("backup to S3 wrote %d bytes, to a directory %d", res2.Bytes, res.Bytes)
		}
		for _, v := range []struct {
			e *testEnv
			d *time.Duration
		}{{local, &verLocal}, {onS3, &verS3}} {
			t0 := time.Now()
			rep, err := storage.Verify(ctx, v.e.dir, storage.VerifyOptions{Blobs: v.e.app.blobs})
			*v.d += time.Since(t0)
			if err != nil || !rep.Clean() || rep.Blobs != n {
				b.Fatalf("verify: %+v %v", rep, err)
			}
		}
		toDir += t1.Sub(t0)
		toS3 += t2.Sub(t1)
		copied += res.Bytes
		os.RemoveAll(tmp)
	}
	mb := float64(copied) / 1e6
	b.ReportMetric(mb/toDir.Seconds(), "backup-dir-MB/s")
	b.ReportMetric(mb/toS3.Seconds(), "backup-s3-MB/s")
	b.ReportMetric(toDir.Seconds()/toS3.Seconds(), "s3/dir-backup")
	hashed := float64(stored) / 1e6 * float64(i)
	b.ReportMetric(hashed/verLocal.Seconds(), "verify-local-MB/s")
	b.ReportMetric(hashed/verS3.Seconds(), "verify-s3-MB/s")
	b.ReportMetric(verLocal.Seconds()/verS3.Seconds(), "s3/local-verify")
	b.ReportMetric(float64(stored)/1e6, "store-MB")
}

// BenchmarkS3Redirect measures, in one run against the same versitygw on
// loopback, one 320 px rendition under 8 connections from a second process:
// streamed through the server (the default), answered with a 302 to a
// presigned URL (--blobs-redirect presign; the client does not follow),
// and fetched end to end (302, then the bytes from the bucket). Ratios are
// over streamed. Run with -benchtime=1x.
func BenchmarkS3Redirect(b *testing.B) {
	stores := []struct {
		name string
		e    *testEnv
	}{{"streamed", newTestEnv(b, withS3(b))}, {"redirect", newTestEnv(b, withS3(b), withRedirect(b, "presign", 0))}}
	bin := buildLoadgen(b)
	photo := photoJPEG(b, 1200, 800)
	urls := make([]string, len(stores))
	for i, s := range stores {
		base := s.e.serveLoopback(b)
		m := s.e.uploadOK(b, s.e.token(b, 0), "photo.jpg", photo)
		urls[i] = base + pathOf(m["renditions"].(map[string]any)["320"].(string))
		if res, err := noFollow.Get(urls[i]); err != nil || res.StatusCode >= 400 { // made on demand the first time
			b.Fatalf("%s rendition: %v %v", s.name, res, err)
		} else {
			res.Body.Close()
		}
	}
	b.ResetTimer()
	d := loadDuration().String()
	streamed := loadArgs(b, bin, "-url", urls[0], "-c", "8", "-d", d)
	redirect := loadArgs(b, bin, "-url", urls[1], "-c", "8", "-d", d, "-no-follow")
	followed := loadArgs(b, bin, "-url", urls[1], "-c", "8", "-d", d)
	b.StopTimer()
	b.ReportMetric(streamed.RPS, "streamed-req/s")
	b.ReportMetric(redirect.RPS, "redirect-req/s")
	b.ReportMetric(followed.RPS, "followed-req/s")
	b.ReportMetric(redirect.RPS/streamed.RPS, "redirect/streamed")
	b.ReportMetric(followed.RPS/streamed.RPS, "followed/streamed")
	b.ReportMetric(streamed.P50MS, "streamed-p50-ms")
	b.ReportMetric(redirect.P50MS, "redirect-p50-ms")
}
