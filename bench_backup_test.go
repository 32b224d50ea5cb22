package main

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"gallerist/data"
	"gallerist/storage"
)

// bkJPEGComment returns a real JPEG with a comment segment (COM) saying i
// right after its start marker: the same picture, distinct bytes.
func bkJPEGComment(base []byte, i int) []byte {
	c := fmt.Sprintf("gallerist benchmark image %d", i)
	out := make([]byte, 0, len(base)+len(c)+4)
	out = append(out, base[:2]...)
	out = append(out, 0xFF, 0xFE, byte((len(c)+2)>>8), byte(len(c)+2))
	out = append(out, c...)
	return append(out, base[2:]...)
}

// bkPhoto is a 1024×768 JPEG (quality 85) with gradients and noise, sized
// like a web-ready product photo.
func bkPhoto(tb testing.TB) []byte {
	tb.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 1024, 768))
	r := rand.New(rand.NewPCG(1, 2))
	for y := 0; y < 768; y++ {
		for x := 0; x < 1024; x++ {
			n := uint8(r.IntN(48))
			img.SetRGBA(x, y, color.RGBA{uint8(x/4) + n, uint8(y/3) + n, uint8((x+y)/7) + n, 255})
		}
	}
	var b bytes.Buffer
	if err := jpeg.Encode(&b, img, &jpeg.Options{Quality: 85}); err != nil {
		tb.Fatal(err)
	}
	return b.Bytes()
}

// bkSeedPhotos uploads n distinct photos through the media service, ten per
// transaction, and returns the bytes stored.
func bkSeedPhotos(tb testing.TB, e *testEnv, n int) int64 {
	tb.Helper()
	ctx := data.WithPrincipal(context.Background(), data.Principal{OrgID: e.app.defOrg.ID, Actor: "bench"})
	base := bkPhoto(tb)
	var total int64
	for done := 0; done < n; {
		var files []*data.Staged
		for i := 0; i < min(10, n-done); i++ {
			st, err := e.app.media.Stage(ctx, bytes.NewReader(bkJPEGComment(base, done+i)), fmt.Sprintf("photo-%d.jpg", done+i))
			if err != nil {
				tb.Fatal(err)
			}
			total += st.Size
			files = append(files, st)
		}
		if _, err := e.app.media.CreateMedia(ctx, data.MediaCreate{Files: files}); err != nil {
			tb.Fatal(err)
		}
		done += len(files)
	}
	var distinct int
	if err := e.app.db.QueryRowForTest(`SELECT COUNT(DISTINCT sha256) FROM media`).Scan(&distinct); err != nil || distinct != n {
		tb.Fatalf("%d distinct blobs, want %d (%v)", distinct, n, err)
	}
	return total
}

// BenchmarkBackupRestore measures backup, restore and verify of a store of
// 1,000 distinct real JPEGs (1024×768, about 0.3 MB each) seeded through the
// media service, while the store's database is open (as under a server).
// Files are fsynced; the page cache is warm (the source was just written).
//
//	go test -run '^$' -bench 'BackupRestore' -benchtime 3x .
func BenchmarkBackupRestore(b *testing.B) {
	e := newTestEnv(b)
	stored := bkSeedPhotos(b, e, 1000)
	ctx := context.Background()
	var backupD, restoreD, verifyD time.Duration
	var bytesCopied, files int64
	for b.Loop() {
		tmp := b.TempDir()
		dest, restored := filepath.Join(tmp, "backup"), filepath.Join(tmp, "restored")
		t0 := time.Now()
		res, err := storage.Backup(ctx, e.dir, dest, storage.BackupOptions{})
		if err != nil {
			b.Fatal(err)
		}
		t1 := time.Now()
		rr, err := storage.Restore(ctx, dest, restored, storage.RestoreOptions{})
		if err != nil {
			b.Fatal(err)
		}
		t2 := time.Now()
		rep, err := storage.Verify(ctx, restored, storage.VerifyOptions{})
		if err != nil || !rep.Clean() || rep.Blobs != 1000 {
			b.Fatalf("verify: %+v %v", rep, err)
		}
		t3 := time.Now()
		backupD += t1.Sub(t0)
		restoreD += t2.Sub(t1)
		verifyD += t3.Sub(t2)
		bytesCopied += res.Bytes
		files += res.Manifest.Blobs.Count + res.Manifest.Renditions.Count
		if rr.Bytes != res.Bytes {
			b.Fatalf("restored %d bytes, backed up %d", rr.Bytes, res.Bytes)
		}
		os.RemoveAll(tmp)
	}
	mbs := float64(bytesCopied) / 1e6
	b.ReportMetric(mbs/backupD.Seconds(), "backup-MB/s")
	b.ReportMetric(mbs/restoreD.Seconds(), "restore-MB/s")
	b.ReportMetric(float64(files)/backupD.Seconds(), "backup-files/s")
	b.ReportMetric(mbs/verifyD.Seconds(), "verify-MB/s")
	b.ReportMetric(float64(stored)/1e6, "store-MB")
	b.ReportMetric(backupD.Seconds()/float64(b.N), "backup-s")
	b.ReportMetric(restoreD.Seconds()/float64(b.N), "restore-s")
}

// BenchmarkVerify measures verify on 10,000 media items, each with its own
// real blob (a 5.6 KB JPEG from Go's testdata with a distinct comment),
// written straight into the store and its rows inserted by SQL: the
// per-item cost (SQL, open, hash, stat). For large photos the hashing
// dominates: see verify-MB/s in BenchmarkBackupRestore.
//
//	go test -run '^$' -bench 'BenchmarkVerify' -benchtime 3x .
func BenchmarkVerify(b *testing.B) {
	const n = 10000
	e := newTestEnv(b)
	bkSeedDirect(b, e.dir, n)
	ctx := context.Background()
	var d time.Duration
	var hashed int64
	for b.Loop() {
		t0 := time.Now()
		rep, err := storage.Verify(ctx, e.dir, storage.VerifyOptions{})
		d += time.Since(t0)
		if err != nil || !rep.Clean() || rep.Media != n || rep.Blobs != n {
			b.Fatalf("verify: %+v %v", rep, err)
		}
		hashed += rep.BlobBytes
	}
	b.ReportMetric(d.Seconds()/float64(b.N), "s/10k-items")
	b.ReportMetric(float64(hashed)/1e6/d.Seconds(), "MB/s")
}

// bkSeedDirect adds n media items straight to the data dir dir (whose
// database a command or an env made), for tests and benchmarks that need
// many files fast: each its own real blob (a 5.6 KB JPEG from Go's testdata
// with a distinct comment) written where the local store keeps it, and its
// row inserted by SQL in the first organization.
func bkSeedDirect(tb testing.TB, dir string, n int) {
	tb.Helper()
	db, err := sql.Open("sqlite3", "file:"+filepath.Join(dir, storage.DBFileName)+"?_busy_timeout=10000")
	if err != nil {
		tb.Fatal(err)
	}
	defer db.Close()
	var org int64
	if err := db.QueryRow(`SELECT id FROM orgs ORDER BY id LIMIT 1`).Scan(&org); err != nil {
		tb.Fatal(err)
	}
	base := readFile(tb, goImageTestdata("video-001.q50.420.jpeg"))
	var values []string
	var args []any
	flush := func() {
		if len(values) == 0 {
			return
		}
		if _, err := db.Exec(`INSERT INTO media (org_id, kind, filename, original_filename, mime_type, size, sha256,
			created_by, created_at, updated_at) VALUES `+strings.Join(values, ", "), args...); err != nil {
			tb.Fatal(err)
		}
		values, args = values[:0], args[:0]
	}
	for i := 0; i < n; i++ {
		body := bkJPEGComment(base, i)
		sha := bkSHA(body)
		p := bkBlobPath(dir, sha)
		if err := os.MkdirAll(filepath.Dir(p), 0o750); err != nil {
			tb.Fatal(err)
		}
		if err := os.WriteFile(p, body, 0o600); err != nil {
			tb.Fatal(err)
		}
		values = append(values, "(?, 'image', ?, ?, 'image/jpeg', ?, ?, 'bench', 0, 0)")
		args = append(args, org, fmt.Sprintf("p-%d.jpg", i), fmt.Sprintf("p-%d.jpg", i), len(body), sha)
		if len(values) == 500 {
			flush()
		}
	}
	flush()
}
