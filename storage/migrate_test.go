package storage

import (
	"bytes"
	"context"
	"errors"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"gallerist/storage/s3test"
)

// migrateEnv is a data dir with media, renditions and orphan blobs (all
// copied by a migration), and returns every key of its store.
func migrateEnv(t *testing.T) (*testEnv, []string) {
	t.Helper()
	e := newDataDirEnv(t)
	a := e.createMedia(t, e.ctx, "a.jpg", jpegA)
	b := e.createMedia(t, e.ctx, "b.png", pngA)
	e.fakeRendition(t, a.SHA256, 320)
	e.fakeRendition(t, a.SHA256, 640)
	e.fakeRendition(t, b.SHA256, 320)
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range 24 {
		body := make([]byte, 64<<10+i*4096)
		for j := range body {
			body[j] = byte(rng.Uint32())
		}
		e.putBlob(t, shaOf(body), body)
	}
	return e, storeKeysOf(t, e.blobs)
}

func storeKeysOf(t testing.TB, s BlobStore) []string {
	t.Helper()
	var keys []string
	if err := s.List(context.Background(), "", func(b BlobInfo) error { keys = append(keys, b.Key); return nil }); err != nil {
		t.Fatal(err)
	}
	slices.Sort(keys)
	return keys
}

func readBlob(t testing.TB, s BlobStore, key string) []byte {
	t.Helper()
	r, err := s.Open(context.Background(), key)
	if err != nil {
		t.Fatalf("open %s in %v: %v", key, s, err)
	}
	defer r.Close()
	b, err := io.ReadAll(r)
	if err != nil {
		t.Fatalf("read %s: %v", key, err)
	}
	return b
}

// sameBlobs checks, key by key, that dst holds exactly src's keys and bytes.
func sameBlobs(t testing.TB, src, dst BlobStore) {
	t.Helper()
	want, got := storeKeysOf(t, src), storeKeysOf(t, dst)
	if !slices.Equal(want, got) {
		t.Fatalf("target keys %v,\nwant %v", got, want)
	}
	for _, k := range want {
		if !bytes.Equal(readBlob(t, src, k), readBlob(t, dst, k)) {
			t.Fatalf("%s differs in the target", k)
		}
	}
}

func migrateOpt(t testing.TB, dir string) MigrateOptions {
	t.Helper()
	spool, err := NewStaging(filepath.Join(dir, "tmp-migrate"))
	if err != nil {
		t.Fatal(err)
	}
	return MigrateOptions{Spool: spool, Workers: 3}
}

// TestMigrateBlobs copies a local store to S3, stopped midway and run
// again (it continues, copying only what is missing), then back to a new
// local store, and checks every key's bytes after each.
func TestMigrateBlobs(t *testing.T) {
	srv := s3test.Start(t)
	e, keys := migrateEnv(t)
	s3 := openS3(t, srv, "", "shop")

	ctx, cancel := context.WithCancel(context.Background())
	opt := migrateOpt(t, e.dir)
	opt.Progress = func(p Progress) {
		if p.Files == 8 {
			cancel()
		}
	}
	if _, err := MigrateBlobs(ctx, e.dir, e.blobs, s3, opt); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled migration: %v", err)
	}
	partial := storeKeysOf(t, s3)
	if len(partial) < 8 || len(partial) >= len(keys) {
		t.Fatalf("after the cancel the target has %d of %d keys", len(partial), len(keys))
	}
	for _, k := range partial { // nothing half-written
		if !bytes.Equal(readBlob(t, e.blobs, k), readBlob(t, s3, k)) {
			t.Fatalf("%s was left half-written", k)
		}
	}

	res, err := MigrateBlobs(context.Background(), e.dir, e.blobs, s3, migrateOpt(t, e.dir))
	if err != nil || len(res.Problems) != 0 || len(res.Missing) != 0 {
		t.Fatalf("resumed migration: %v %+v", err, res)
	}
	// A PUT cancelled as its last bytes went may still land after the
	// first run returned: the resumed run skips what is there then.
	if res.Skipped.Count < int64(len(partial)) || res.Skipped.Count+res.Originals.Count+res.Renditions.Count != int64(len(keys)) {
		t.Fatalf("resumed: skipped %d (at least %d), copied %d+%d of %d", res.Skipped.Count, len(partial), res.Originals.Count, res.Renditions.Count, len(keys))
	}
	sameBlobs(t, e.blobs, s3)

	again, err := MigrateBlobs(context.Background(), e.dir, e.blobs, s3, migrateOpt(t, e.dir))
	if err != nil || again.Bytes() != 0 || again.Skipped.Count != int64(len(keys)) {
		t.Fatalf("a run after a complete one: %v %+v", err, again)
	}

	t.Run("S3ToLocal", func(t *testing.T) {
		back, _ := openLocalBlobs(t, t.TempDir())
		res, err := MigrateBlobs(context.Background(), e.dir, s3, back, migrateOpt(t, e.dir))
		if err != nil || len(res.Problems) != 0 || res.Renditions.Count != 3 || res.Originals.Count != int64(len(keys)-3) {
			t.Fatalf("S3 to local: %v %+v", err, res)
		}
		sameBlobs(t, s3, back)
	})
}

// TestMigrateRefusesDamagedBytes: an original whose bytes do not hash to its
// key, a rendition whose size is not its row's, and a target copy of the
// wrong size: the first two are reported by key and not copied, the third
// is replaced.
func TestMigrateRefusesDamagedBytes(t *testing.T) {
	e, keys := migrateEnv(t)
	var orig, rend string
	for _, k := range keys {
		if IsOriginalKey(k) && orig == "" {
			orig = k
		}
		if !IsOriginalKey(k) && rend == "" {
			rend = k
		}
	}
	p, _ := e.blobs.path(orig)
	body, _ := os.ReadFile(p)
	body[len(body)/2] ^= 1
	os.WriteFile(p, body, 0o600)
	rp, _ := e.blobs.path(rend)
	os.WriteFile(rp, []byte("a rendition of another size"), 0o600)

	dstDir := t.TempDir()
	dst, _ := openLocalBlobs(t, dstDir)
	var wrong string
	for _, k := range keys {
		if IsOriginalKey(k) && k != orig {
			wrong = k
			break
		}
	}
	wp, _ := dst.path(wrong)
	os.MkdirAll(filepath.Dir(wp), 0o750)
	os.WriteFile(wp, []byte("torn"), 0o600)

	res, err := MigrateBlobs(context.Background(), e.dir, e.blobs, dst, migrateOpt(t, e.dir))
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Problems) != 2 || !strings.HasPrefix(res.Problems[0], min(orig, rend)) || !strings.Contains(strings.Join(res.Problems, "\n"), "do not hash to the key") ||
		!strings.Contains(strings.Join(res.Problems, "\n"), "its database row says") {
		t.Fatalf("problems %q (original %s, rendition %s)", res.Problems, orig, rend)
	}
	for _, k := range []string{orig, rend} {
		if _, err := dst.Stat(context.Background(), k); !errors.Is(err, ErrBlobNotFound) {
			t.Fatalf("%s is in the target: %v", k, err)
		}
	}
	if !slices.Equal(res.Replaced, []string{wrong}) || !bytes.Equal(readBlob(t, dst, wrong), readBlob(t, e.blobs, wrong)) {
		t.Fatalf("replaced %v, want %s with the right bytes", res.Replaced, wrong)
	}
	if left, _ := os.ReadDir(filepath.Join(dstDir, "tmp")); len(left) != 0 {
		t.Fatalf("staging files left in the target: %v", left)
	}
}

// BenchmarkMigrate measures `blobs migrate` local→S3 (a versitygw on
// loopback over a folder on the same disk) and, as the baseline of the same
// run, local→local: 24 originals of 4 MiB and 96 renditions of 32 KiB
// (each with its row) per iteration, into a new target each time.
func BenchmarkMigrate(b *testing.B) {
	srv := s3test.Start(b)
	e := newDataDirEnv(b)
	rng := rand.New(rand.NewPCG(3, 4))
	random := func(n int) []byte {
		body := make([]byte, n)
		for i := range body {
			body[i] = byte(rng.Uint32())
		}
		return body
	}
	var total int64
	for range 24 {
		body := random(4 << 20)
		sha := shaOf(body)
		e.putBlob(b, sha, body)
		total += int64(len(body))
		for slot := range 4 {
			r := random(32 << 10)
			key := sha + "/" + []string{"100", "320", "640", "1280"}[slot] + ".jpg"
			if _, err := e.blobs.Put(context.Background(), key, bytes.NewReader(r), int64(len(r)), shaOf(r)); err != nil {
				b.Fatal(err)
			}
			if err := e.db.ExecForTest(`INSERT INTO renditions (sha256, slot, ext, mime_type, width, height, size, created_at)
				VALUES (?, ?, 'jpg', 'image/jpeg', 1, 1, ?, 0)`, sha, []int{100, 320, 640, 1280}[slot], len(r)); err != nil {
				b.Fatal(err)
			}
			total += int64(len(r))
		}
	}
	elapsed := map[string]time.Duration{}
	b.ResetTimer()
	for n := 0; n < b.N; n++ {
		for _, name := range []string{"local", "s3"} {
			b.StopTimer()
			var dst BlobStore
			if name == "s3" {
				dst = openS3(b, srv, "", "bench")
			} else {
				dst, _ = openLocalBlobs(b, b.TempDir())
			}
			b.StartTimer()
			res, err := MigrateBlobs(context.Background(), e.dir, e.blobs, dst, migrateOpt(b, e.dir))
			if err != nil || len(res.Problems) != 0 || res.Bytes() != total {
				b.Fatalf("%s: %v %+v", name, err, res)
			}
			elapsed[name] += res.Elapsed
		}
	}
	b.StopTimer()
	mb := float64(total) / 1e6 * float64(b.N)
	b.ReportMetric(mb/elapsed["local"].Seconds(), "local-MB/s")
	b.ReportMetric(mb/elapsed["s3"].Seconds(), "s3-MB/s")
	b.ReportMetric(elapsed["local"].Seconds()/elapsed["s3"].Seconds(), "s3/local")
}
