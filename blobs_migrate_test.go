package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"gallerist/storage"
	"gallerist/storage/s3test"
)

// fileURLs lists the paths of every file the env serves for its items:
// each original and every rendition.
func (e *testEnv) fileURLs(t testing.TB, tok string, ids []float64) []string {
	t.Helper()
	var urls []string
	for _, id := range ids {
		m := e.getJSON(t, fmt.Sprintf("/api/media/%d", int64(id)), tok).json(t)
		urls = append(urls, pathOf(m["url"].(string)))
		for _, field := range []string{"renditions", "renditions_webp"} {
			rends, _ := m[field].(map[string]any)
			for _, u := range rends {
				urls = append(urls, pathOf(u.(string)))
			}
		}
	}
	slices.Sort(urls)
	return urls
}

// download GETs every path and returns the bodies by path.
func (e *testEnv) download(t testing.TB, paths []string) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	for _, p := range paths {
		r := e.do(t, "GET", p, "", nil, "")
		if r.Status != 200 {
			t.Fatalf("GET %s: %d", p, r.Status)
		}
		out[p] = r.Body
	}
	return out
}

func runMigrate(t testing.TB, env func(string) string, args ...string) string {
	t.Helper()
	var out, errOut bytes.Buffer
	if err := run(context.Background(), append([]string{"blobs", "migrate"}, args...), env, nil, &out, &errOut); err != nil {
		t.Fatalf("blobs migrate %v: %v\n%s%s", args, err, out.String(), errOut.String())
	}
	return out.String()
}

// TestBlobsMigrateSwitch: `gallerist blobs migrate` copies a local store
// to S3 while the app runs, a second run copies only the upload made
// meanwhile, and the app started on the bucket (with the local folders
// emptied) serves every original and rendition byte for byte; then the
// same back from S3 to local.
func TestBlobsMigrateSwitch(t *testing.T) {
	srv := s3test.Shared(t)
	e := newTestEnv(t)
	e.skipOnS3(t, "it migrates from the local store")
	e.startRenderer(t)
	tok := e.token(t, 0)
	var ids []float64
	for i, size := range [][2]int{{1200, 800}, {640, 480}, {300, 900}} {
		m := e.uploadOK(t, tok, fmt.Sprintf("photo-%d.jpg", i), photoJPEG(t, size[0], size[1]))
		ids = append(ids, m["id"].(float64))
	}
	for _, id := range ids {
		e.waitProcessed(t, tok, id)
	}
	target := srv.URL(srv.NewBucket(t), "shop")
	env := envOf("AWS_ACCESS_KEY_ID", srv.AccessKey, "AWS_SECRET_ACCESS_KEY", srv.SecretKey)
	first := runMigrate(t, env, "--data", e.dir, "--to", target)
	for _, want := range []string{"Copied 3 originals", "MB/s", "0 files (0.0 MB) already there were skipped",
		"To switch: stop the server, run this command once more (it copies only what changed), then start the server with --blobs '" + target + "'"} {
		if !strings.Contains(first, want) {
			t.Fatalf("first run's output lacks %q:\n%s", want, first)
		}
	}

	// An upload while the first copy ran: the run after stopping copies it alone.
	late := e.uploadOK(t, tok, "late.jpg", photoJPEG(t, 800, 600))
	ids = append(ids, late["id"].(float64))
	e.waitProcessed(t, tok, ids[3])
	// Downloaded before the last run: a rendition made on request is a new key.
	urls := e.fileURLs(t, tok, ids)
	want := e.download(t, urls)
	keys := e.storeKeys(t, "")
	var all []string
	e.app.blobs.List(context.Background(), "", func(b storage.BlobInfo) error { all = append(all, b.Key); return nil })
	slices.Sort(all)
	lateFiles := 0
	for _, k := range all {
		if strings.HasPrefix(k, late["sha256"].(string)) {
			lateFiles++
		}
	}
	second := runMigrate(t, env, "--data", e.dir, "--to", target)
	if !strings.Contains(second, "Copied 1 original ") ||
		!strings.Contains(second, fmt.Sprintf("%d files", len(all)-lateFiles)) {
		t.Fatalf("second run (want 1 original and %d renditions copied, %d skipped):\n%s", lateFiles-1, len(all)-lateFiles, second)
	}

	// The switch: the app on the bucket, with nothing left in the local folders.
	for _, d := range []string{"blobs", "renditions"} {
		if err := os.RemoveAll(filepath.Join(e.dir, d)); err != nil {
			t.Fatal(err)
		}
	}
	onS3 := newTestEnv(t, func(c *config) {
		c.dataDir = e.dir
		s3, err := storage.ParseS3URL(target)
		if err != nil {
			t.Fatal(err)
		}
		c.blobs = blobsConfig{s3: &s3, accessKey: srv.AccessKey, secretKey: srv.SecretKey}
	})
	// Every key is in the bucket (the server would make a missing rendition
	// again on request, which would hide a lost one).
	if got := onS3.storeKeys(t, ""); !slices.Equal(got, keys) {
		t.Fatalf("originals in the bucket %v, want %v", got, keys)
	}
	var inBucket []string
	onS3.app.blobs.List(context.Background(), "", func(b storage.BlobInfo) error { inBucket = append(inBucket, b.Key); return nil })
	slices.Sort(inBucket)
	if !slices.Equal(inBucket, all) {
		t.Fatalf("keys in the bucket %v, want %v", inBucket, all)
	}
	assertSameFiles(t, onS3, urls, want)

	// And back: S3 to the (emptied) local folders.
	back := runMigrate(t, env, "--data", e.dir, "--blobs", target, "--to", "local")
	if !strings.Contains(back, fmt.Sprintf("Copied %d originals", len(keys))) || !strings.Contains(back, "--blobs local") {
		t.Fatalf("S3 to local:\n%s", back)
	}
	local := newTestEnv(t, func(c *config) { c.dataDir = e.dir })
	assertSameFiles(t, local, urls, want)
	if left, _ := os.ReadDir(filepath.Join(e.dir, "tmp-migrate")); len(left) != 0 {
		t.Fatalf("spool files left: %v", left)
	}
}

func assertSameFiles(t testing.TB, e *testEnv, urls []string, want map[string][]byte) {
	t.Helper()
	got := e.download(t, urls)
	for _, u := range urls {
		if !bytes.Equal(got[u], want[u]) {
			t.Fatalf("%s: %d bytes, want the %d served before", u, len(got[u]), len(want[u]))
		}
	}
}

// TestBlobsMigrateRefuses: a missing or same target, and a bad URL, say so.
func TestBlobsMigrateRefuses(t *testing.T) {
	dir := t.TempDir()
	for name, c := range map[string]struct {
		args []string
		want string
	}{
		"NoTarget":   {nil, "needs --to local or --to s3://"},
		"LocalTwice": {[]string{"--to", "local"}, "in the local store already"},
		"BadTarget":  {[]string{"--to", "ftp://x"}, "must be local or an s3:// URL"},
		"BadURL":     {[]string{"--to", "s3://x"}, "not a valid bucket name"},
	} {
		t.Run(name, func(t *testing.T) {
			var out bytes.Buffer
			err := run(context.Background(), append([]string{"blobs", "migrate", "--data", dir}, c.args...), envOf(), nil, &out, &out)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("err %v, want %q", err, c.want)
			}
		})
	}
}

// TestBackupOfS3Store: with the server's files in a bucket, `gallerist
// backup --to DIR` copies them (originals and renditions, through the store)
// into the backup, whose restore serves every file byte for byte.
func TestBackupOfS3Store(t *testing.T) {
	e := newTestEnv(t, withS3(t))
	e.startRenderer(t)
	tok := e.token(t, 0)
	var ids []float64
	for i := range 3 {
		m := e.uploadOK(t, tok, fmt.Sprintf("photo-%d.jpg", i), photoJPEG(t, 500+100*i, 400))
		ids = append(ids, m["id"].(float64))
		e.waitProcessed(t, tok, ids[i])
	}
	urls := e.fileURLs(t, tok, ids)
	want := e.download(t, urls)
	var keys int
	e.app.blobs.List(context.Background(), "", func(storage.BlobInfo) error { keys++; return nil })

	dest := filepath.Join(t.TempDir(), "backup")
	var out, errOut bytes.Buffer
	if err := run(context.Background(), []string{"backup", "--data", e.dir, "--to", dest}, e.getenv(), nil, &out, &errOut); err != nil {
		t.Fatalf("backup: %v\n%s", err, errOut.String())
	}
	m, err := storage.ReadManifest(dest)
	if err != nil {
		t.Fatal(err)
	}
	if m.Blobs.Count != 3 || m.Blobs.Count+m.Renditions.Count != int64(keys) {
		t.Fatalf("manifest: blobs %+v, renditions %+v; the bucket has %d keys", m.Blobs, m.Renditions, keys)
	}
	if _, err := os.Stat(filepath.Join(dest, "tmp")); !os.IsNotExist(err) {
		t.Fatalf("the backup kept its staging folder: %v", err)
	}
	restored := filepath.Join(t.TempDir(), "restored")
	if err := run(context.Background(), []string{"restore", "--from", dest, "--data", restored}, envOf(), nil, &out, &errOut); err != nil {
		t.Fatalf("restore: %v", err)
	}
	local := newTestEnv(t, func(c *config) { c.dataDir = restored; c.blobs = blobsConfig{} })
	assertSameFiles(t, local, urls, want)
}
