package main

import (
	"bytes"
	"context"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"gallerist/storage"
	"gallerist/storage/s3test"

	"github.com/minio/minio-go/v7"
)

// testBlobsEnv names the variable that runs the media tests against S3:
// GALLERIST_TEST_BLOBS=s3 makes every newTestEnv keep its blobs in a new
// bucket on one versitygw per test process (.ci/run runs the media, GC,
// renditions and delivery tests a second time so).
const testBlobsEnv = "GALLERIST_TEST_BLOBS"

func testBlobsOnS3() bool { return os.Getenv(testBlobsEnv) == "s3" }

// withS3 is a newTestEnv option: the env's blobs go to a new bucket on the
// process's shared S3-compatible server (skipping, or failing under CI, when
// there is none).
func withS3(tb testing.TB) func(*config) {
	tb.Helper()
	srv := s3test.Shared(tb)
	url := srv.URL(srv.NewBucket(tb), "gallerist")
	return func(c *config) {
		s3, err := storage.ParseS3URL(url)
		if err != nil {
			tb.Fatal(err)
		}
		c.blobs = blobsConfig{s3: &s3, accessKey: srv.AccessKey, secretKey: srv.SecretKey}
	}
}

// s3ForDir remembers each data dir's bucket, so that an env reopened on
// the same data dir (a restart) finds its files.
var s3ForDir sync.Map // data dir → blobsConfig

// useS3For puts cfg's blobs in the bucket of its data dir (a new one the
// first time), for GALLERIST_TEST_BLOBS=s3.
func useS3For(tb testing.TB, cfg *config) {
	tb.Helper()
	if b, ok := s3ForDir.Load(cfg.dataDir); ok {
		cfg.blobs = b.(blobsConfig)
		return
	}
	withS3(tb)(cfg)
	s3ForDir.Store(cfg.dataDir, cfg.blobs)
}

// onS3 reports whether the env's blobs are in a bucket.
func (e *testEnv) onS3() bool { return e.cfg.blobs.s3 != nil }

// skipOnS3 skips a test that looks at the data dir's files directly.
func (e *testEnv) skipOnS3(t testing.TB, why string) {
	t.Helper()
	if e.onS3() {
		t.Skipf("local store only: %s", why)
	}
}

// getenv is an environment for commands run on the env's data: the
// blob settings it uses, then kv pairs.
func (e *testEnv) getenv(kv ...string) func(string) string {
	if e.onS3() {
		kv = append(kv, "GALLERIST_BLOBS", e.s3URL(), "AWS_ACCESS_KEY_ID", e.cfg.blobs.accessKey, "AWS_SECRET_ACCESS_KEY", e.cfg.blobs.secretKey)
	}
	return envOf(kv...)
}

// s3URL is the env's --blobs value.
func (e *testEnv) s3URL() string {
	c := e.cfg.blobs.s3
	return "s3://" + c.Bucket + "/" + c.Prefix + "?endpoint=" + c.Endpoint.String() + "&region=" + c.Region + "&path_style=true"
}

// hasBlob reports whether the store holds key.
func (e *testEnv) hasBlob(t testing.TB, key string) bool {
	t.Helper()
	_, err := e.app.blobs.Stat(context.Background(), key)
	if err != nil && err != storage.ErrBlobNotFound {
		t.Fatal(err)
	}
	return err == nil
}

// storeKeys lists the store's keys under prefix ("" for all), sorted;
// originals only when prefix is "".
func (e *testEnv) storeKeys(t testing.TB, prefix string) []string {
	t.Helper()
	var keys []string
	if err := e.app.blobs.List(context.Background(), prefix, func(b storage.BlobInfo) error {
		if prefix != "" || storage.IsOriginalKey(b.Key) {
			keys = append(keys, b.Key)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	slices.Sort(keys)
	return keys
}

// TestServeOnS3: the real binary, given --blobs s3://..., keeps uploads in
// the bucket (under originals/ and renditions/) and nothing in the data
// dir's blob folders, and serves them back.
func TestServeOnS3(t *testing.T) {
	srv := s3test.Shared(t)
	bucket := srv.NewBucket(t)
	s := startBinary(t, buildBinary(t), "--blobs", srv.URL(bucket, "shop"), "--s3-access-key", srv.AccessKey, "--s3-secret-key", srv.SecretKey)
	body := photoJPEG(t, 400, 300)
	id := s.upload(t, "photo.jpg", body)
	m := s.waitReady(t, id)
	st, got := s.request(t, "GET", strings.TrimPrefix(m["url"].(string), s.base), nil, "")
	if st != 200 || !bytes.Equal(got, body) {
		t.Fatalf("file: %d, %d bytes", st, len(got))
	}
	sha := m["sha256"].(string)
	names := map[string]bool{}
	for obj := range srv.Client().ListObjects(context.Background(), bucket, minio.ListObjectsOptions{Recursive: true}) {
		names[obj.Key] = true
	}
	if !names["shop/originals/"+sha] || !names["shop/renditions/"+sha+"/320.jpg"] {
		t.Fatalf("objects in the bucket: %v", names)
	}
	for _, d := range []string{"blobs", "renditions"} {
		if left, _ := filepath.Glob(filepath.Join(s.dir, d, "*")); len(left) != 0 {
			t.Fatalf("files in the data dir's %s/: %v", d, left)
		}
	}
	if strings.Contains(s.log.String(), srv.SecretKey) {
		t.Fatal("the server logged the secret")
	}
}

// TestServeRefusesUnusableBlobStore: a bucket the server cannot use stops
// it at start, with a message saying what is wrong and never the secret.
func TestServeRefusesUnusableBlobStore(t *testing.T) {
	srv := s3test.Shared(t)
	bucket := srv.NewBucket(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := "s3://" + bucket + "?endpoint=http://" + ln.Addr().String() + "&path_style=true"
	ln.Close()
	for name, c := range map[string]struct{ url, secret, want string }{
		"WrongSecret":    {srv.URL(bucket, ""), "not-the-secret-at-all", "refused the credentials"},
		"MissingBucket":  {srv.URL("no-such-bucket", ""), srv.SecretKey, "the bucket does not exist"},
		"NothingListens": {closed, srv.SecretKey, "cannot reach the server"},
		"NoSecret":       {srv.URL(bucket, ""), "", "AWS_SECRET_ACCESS_KEY"},
		"BadURL":         {"s3://" + bucket + "?endpoint=nowhere", srv.SecretKey, "--blobs (from GALLERIST_BLOBS="},
	} {
		t.Run(name, func(t *testing.T) {
			env := envOf("GALLERIST_BLOBS", c.url, "AWS_ACCESS_KEY_ID", srv.AccessKey, "AWS_SECRET_ACCESS_KEY", c.secret)
			var out, errOut bytes.Buffer
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute) // a server that starts by mistake ends
			defer cancel()
			err := run(ctx, []string{"serve", "--data", t.TempDir(), "--addr", "127.0.0.1:0"}, env, nil, &out, &errOut)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("serve: %v, want %q", err, c.want)
			}
			if strings.Contains(out.String(), "running") {
				t.Fatalf("the server started: %s", out.String())
			}
			if all := err.Error() + out.String() + errOut.String(); strings.Contains(all, srv.SecretKey) || strings.Contains(all, "not-the-secret-at-all") {
				t.Fatalf("the secret is shown: %v", err)
			}
		})
	}
}
