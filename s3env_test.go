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
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
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
	web := httptest.NewServer(http.FileServer(http.Dir(t.TempDir()))) // an HTTP server, not an S3 one
	defer web.Close()
	for name, c := range map[string]struct{ url, secret, want string }{
		"WrongSecret":    {srv.URL(bucket, ""), "not-the-secret-at-all", "refused the credentials"},
		"MissingBucket":  {srv.URL("no-such-bucket", ""), srv.SecretKey, "the bucket does not exist"},
		"NothingListens": {closed, srv.SecretKey, "cannot reach the server"},
		"NotS3":          {"s3://" + bucket + "?endpoint=" + web.URL + "&path_style=true", srv.SecretKey, "answered 404 without an S3 error or an x-amz-request-id: it does not look like an S3 server; check the endpoint in --blobs"},
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

// patternReader yields the byte i*7 mod 251 at offset i, so any range of a
// large file can be checked without keeping it.
type patternReader struct{ off int64 }

func (p *patternReader) Read(b []byte) (int, error) {
	for i := range b {
		b[i] = byte((p.off + int64(i)) * 7 % 251)
	}
	p.off += int64(len(b))
	return len(b), nil
}

func patternAt(off, n int64) []byte {
	b := make([]byte, n)
	(&patternReader{off: off}).Read(b)
	return b
}

// TestDeliveryFromS3: a 50 MB original in S3 is served by /files and
// /api/media/:id/download with ETag, 304, HEAD and Range, streamed: the
// heap does not grow by anything like the file's size while it is sent.
func TestDeliveryFromS3(t *testing.T) {
	e := newTestEnv(t, withS3(t))
	tok := e.token(t, 0)
	base := e.serveLoopback(t)

	const size = 50 << 20
	head := mp4Header(640, 480, 4000, 0)
	head = mp4Header(640, 480, 4000, uint32(size-len(head)))
	body := io.MultiReader(bytes.NewReader(head), io.LimitReader(&patternReader{off: int64(len(head))}, int64(size-len(head))))
	pr, pw := io.Pipe()
	mw := multipart.NewWriter(pw)
	go func() {
		fw, _ := mw.CreateFormFile("file", "clip.mp4")
		io.Copy(fw, body)
		mw.Close()
		pw.Close()
	}()
	req, _ := http.NewRequest("POST", base+"/api/media", pr)
	req.Header.Set("Authorization", "Bearer "+tok)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var created struct{ Media []map[string]any }
	json.NewDecoder(res.Body).Decode(&created)
	res.Body.Close()
	if res.StatusCode != 201 || len(created.Media) != 1 {
		t.Fatalf("upload: %d %v", res.StatusCode, created)
	}
	m := created.Media[0]
	if !e.hasBlob(t, m["sha256"].(string)) {
		t.Fatal("the original is not in the bucket")
	}
	get := func(t *testing.T, method, url string, hdr ...string) *http.Response {
		t.Helper()
		req, err := http.NewRequest(method, url, nil)
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Authorization", "Bearer "+tok)
		for i := 0; i+1 < len(hdr); i += 2 {
			req.Header.Set(hdr[i], hdr[i+1])
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { res.Body.Close() })
		return res
	}
	for name, url := range map[string]string{
		"files":    m["url"].(string),
		"download": fmt.Sprintf("%s/api/media/%d/download", base, idOf(m)),
	} {
		t.Run(name, func(t *testing.T) {
			runtime.GC()
			var before, during runtime.MemStats
			runtime.ReadMemStats(&before)
			whole := get(t, "GET", url)
			etag := whole.Header.Get("ETag")
			if whole.StatusCode != 200 || whole.ContentLength != size || etag == "" {
				t.Fatalf("GET: %d, length %d, ETag %q", whole.StatusCode, whole.ContentLength, etag)
			}
			runtime.ReadMemStats(&during)
			peak := during.HeapAlloc
			buf := make([]byte, 256<<10)
			var n int64
			for {
				k, err := whole.Body.Read(buf)
				n += int64(k)
				if n%(8<<20) < int64(k) { // every 8 MB
					runtime.ReadMemStats(&during)
					peak = max(peak, during.HeapAlloc)
				}
				if err != nil {
					break
				}
			}
			if n != size {
				t.Fatalf("read %d bytes of %d", n, size)
			}
			grew := int64(peak) - int64(before.HeapAlloc)
			t.Logf("heap grew by %.1f MB while 50 MB were sent from S3", float64(grew)/(1<<20))
			if grew > 16<<20 {
				t.Fatalf("heap grew by %d MB while a 50 MB file was sent: it is buffered", grew>>20)
			}

			if r := get(t, "GET", url, "If-None-Match", etag); r.StatusCode != 304 {
				t.Fatalf("If-None-Match: %d", r.StatusCode)
			}
			h := get(t, "HEAD", url)
			if b, _ := io.ReadAll(h.Body); h.StatusCode != 200 || h.Header.Get("Content-Length") != strconv.Itoa(size) || len(b) != 0 {
				t.Fatalf("HEAD: %d, Content-Length %q, %d body bytes", h.StatusCode, h.Header.Get("Content-Length"), len(b))
			}
			off := int64(size - 3000)
			r := get(t, "GET", url, "Range", fmt.Sprintf("bytes=%d-%d", off, off+999))
			got, _ := io.ReadAll(r.Body)
			if r.StatusCode != 206 || r.Header.Get("Content-Range") != fmt.Sprintf("bytes %d-%d/%d", off, off+999, size) || !bytes.Equal(got, patternAt(off, 1000)) {
				t.Fatalf("Range: %d %q, %d bytes, right bytes %v", r.StatusCode, r.Header.Get("Content-Range"), len(got), bytes.Equal(got, patternAt(off, 1000)))
			}
			if r := get(t, "GET", url, "Range", fmt.Sprintf("bytes=%d-", size+1)); r.StatusCode != 416 {
				t.Fatalf("unsatisfiable range: %d", r.StatusCode)
			}
		})
	}
}
