package storage

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"gallerist/data"
	"gallerist/storage/s3test"

	"github.com/minio/minio-go/v7"
)

// openS3 opens a store on srv's bucket (a new one when bucket is "") under
// prefix, with the server's credentials.
func openS3(t testing.TB, srv *s3test.Server, bucket, prefix string, mutate ...func(*S3Config)) *S3Blobs {
	t.Helper()
	if bucket == "" {
		bucket = srv.NewBucket(t)
	}
	cfg, err := ParseS3URL(srv.URL(bucket, prefix))
	if err != nil {
		t.Fatal(err)
	}
	cfg.AccessKey, cfg.SecretKey = srv.AccessKey, srv.SecretKey
	for _, m := range mutate {
		m(&cfg)
	}
	s, err := NewS3Blobs(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestS3BlobStore(t *testing.T) {
	srv := s3test.Start(t)
	blobStoreSuite(t, func(t *testing.T) BlobStore { return openS3(t, srv, "", "shop/media") })

	t.Run("KeyLayout", func(t *testing.T) {
		bucket := srv.NewBucket(t)
		s := openS3(t, srv, bucket, "shop")
		ctx := context.Background()
		body := []byte("layout")
		sha := shaOf(body)
		for _, key := range []string{sha, sha + "/320.jpg"} {
			if _, err := s.Put(ctx, key, bytes.NewReader(body), int64(len(body)), sha); err != nil {
				t.Fatal(err)
			}
		}
		// Objects that are not blobs, beside and under the prefix, are never listed.
		c := srv.Client()
		for _, name := range []string{"shop/README", "shop/originals/not-a-sha", "other/originals/" + sha} {
			if _, err := c.PutObject(ctx, bucket, name, strings.NewReader("x"), 1, minio.PutObjectOptions{}); err != nil {
				t.Fatal(err)
			}
		}
		var names []string
		for obj := range c.ListObjects(ctx, bucket, minio.ListObjectsOptions{Prefix: "shop/", Recursive: true}) {
			names = append(names, obj.Key)
		}
		want := []string{"shop/README", "shop/originals/" + sha, "shop/originals/not-a-sha", "shop/renditions/" + sha + "/320.jpg"}
		if strings.Join(names, " ") != strings.Join(want, " ") {
			t.Fatalf("objects %v, want %v", names, want)
		}
		var keys []string
		if err := s.List(ctx, "", func(b BlobInfo) error { keys = append(keys, b.Key); return nil }); err != nil {
			t.Fatal(err)
		}
		if strings.Join(keys, " ") != sha+" "+sha+"/320.jpg" {
			t.Fatalf("listed %v", keys)
		}
	})

	t.Run("CacheControl", func(t *testing.T) {
		// Objects are immutable (content-addressed): a client or CDN sent
		// to them (--blobs-redirect) may keep them for good, whichever way
		// they were put.
		bucket := srv.NewBucket(t)
		s := openS3(t, srv, bucket, "shop", func(c *S3Config) { c.PartSize = minS3PartSize })
		ctx := context.Background()
		small, big := []byte("small"), make([]byte, minS3PartSize+1)
		for key, body := range map[string][]byte{shaOf(small): small, shaOf(small) + "/320.jpg": small, shaOf(big): big} {
			if _, err := s.Put(ctx, key, bytes.NewReader(body), int64(len(body)), shaOf(body)); err != nil {
				t.Fatal(err)
			}
			name, _ := s.objectName(key)
			info, err := srv.Client().StatObject(ctx, bucket, name, minio.StatObjectOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if cc := info.Metadata.Get("Cache-Control"); cc != "public, max-age=31536000, immutable" {
				t.Errorf("%s: Cache-Control %q", key, cc)
			}
		}
	})

	t.Run("Multipart", func(t *testing.T) {
		bucket := srv.NewBucket(t)
		s := openS3(t, srv, bucket, "", func(c *S3Config) { c.PartSize = minS3PartSize })
		ctx := context.Background()
		big := make([]byte, 2*minS3PartSize+12345)
		for i := range big {
			big[i] = byte(i * 7 % 251)
		}
		sha := shaOf(big)
		bad := bytes.Clone(big)
		bad[len(bad)-1] ^= 1 // the last part is wrong
		// From a file (an io.ReaderAt, hashed before sending) and from a
		// plain stream (verified as parts are buffered).
		sources := map[string]func([]byte) io.Reader{
			"file":   func(b []byte) io.Reader { return bytes.NewReader(b) },
			"stream": func(b []byte) io.Reader { return io.MultiReader(bytes.NewReader(b)) },
		}
		for src, open := range sources {
			for name, body := range map[string][]byte{"wrong last byte": bad, "short": big[:len(big)-1], "long": append(bytes.Clone(big), 0)} {
				if _, err := s.Put(ctx, sha, open(body), int64(len(big)), sha); !errors.Is(err, ErrBlobCorrupt) {
					t.Fatalf("%s, %s: put gave %v, want ErrBlobCorrupt", src, name, err)
				}
			}
		}
		if _, err := s.Stat(ctx, sha); !errors.Is(err, ErrBlobNotFound) {
			t.Fatalf("after refused multipart puts: %v", err)
		}
		res, err := s.core.ListMultipartUploads(ctx, bucket, "", "", "", "", 100)
		if err != nil || len(res.Uploads) != 0 {
			t.Fatalf("unfinished multipart uploads left: %+v, %v", res.Uploads, err)
		}
		for _, src := range []string{"stream", "file"} { // the file's blob stays for the reads below
			s.Delete(ctx, sha)
			if created, err := s.Put(ctx, sha, sources[src](big), int64(len(big)), sha); err != nil || !created {
				t.Fatalf("%s: put: %v, %v", src, created, err)
			}
			b, err := s.Open(ctx, sha)
			if err != nil {
				t.Fatal(err)
			}
			got, err := io.ReadAll(b)
			b.Close()
			if err != nil || !bytes.Equal(got, big) {
				t.Fatalf("%s: read back %d bytes, %v", src, len(got), err)
			}
		}
		b, err := s.Open(ctx, sha)
		if err != nil {
			t.Fatal(err)
		}
		defer b.Close()
		off := int64(minS3PartSize - 100) // across the first part's end
		b.Seek(off, io.SeekStart)
		got := make([]byte, 200)
		if _, err := io.ReadFull(b, got); err != nil || !bytes.Equal(got, big[off:off+200]) {
			t.Fatalf("range across parts: %v", err)
		}
		b.Seek(0, io.SeekStart)
		all, err := io.ReadAll(b)
		if err != nil || !bytes.Equal(all, big) {
			t.Fatalf("read back %d bytes, %v", len(all), err)
		}
	})

	t.Run("RetriesThrottlingAndServerErrors", func(t *testing.T) {
		bucket := srv.NewBucket(t)
		target, _ := url.Parse(srv.Endpoint)
		proxy := httputil.NewSingleHostReverseProxy(target)
		var failures atomic.Int32
		flaky := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			// Every other request is refused: throttled, then a 500.
			switch failures.Add(1) % 4 {
			case 1:
				w.WriteHeader(http.StatusServiceUnavailable)
				io.WriteString(w, `<?xml version="1.0" encoding="UTF-8"?><Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message></Error>`)
			case 3:
				w.WriteHeader(http.StatusInternalServerError)
				io.WriteString(w, `<?xml version="1.0" encoding="UTF-8"?><Error><Code>InternalError</Code><Message>We encountered an internal error.</Message></Error>`)
			default:
				proxy.ServeHTTP(w, r)
			}
		}))
		defer flaky.Close()
		s := openS3(t, srv, bucket, "", func(c *S3Config) { c.Endpoint, _ = url.Parse(flaky.URL) })
		ctx := context.Background()
		body := bytes.Repeat([]byte("retry "), 1000)
		sha := shaOf(body)
		if created, err := s.Put(ctx, sha, bytes.NewReader(body), int64(len(body)), sha); err != nil || !created {
			t.Fatalf("put through a flaky server: %v, %v", created, err)
		}
		b, err := s.Open(ctx, sha)
		if err != nil {
			t.Fatal(err)
		}
		got, err := io.ReadAll(b)
		b.Close()
		if err != nil || !bytes.Equal(got, body) {
			t.Fatalf("read through a flaky server: %d bytes, %v", len(got), err)
		}
		if err := s.Check(ctx); err != nil {
			t.Fatal(err)
		}
		if failures.Load() < 8 {
			t.Fatalf("only %d requests reached the flaky server", failures.Load())
		}
	})

	t.Run("RangedReadsAskForTheRange", func(t *testing.T) {
		bucket := srv.NewBucket(t)
		target, _ := url.Parse(srv.Endpoint)
		proxy := httputil.NewSingleHostReverseProxy(target)
		var mu sync.Mutex
		var ranges []string
		recording := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Method == http.MethodGet && !r.URL.Query().Has("list-type") && r.URL.Query().Get("location") == "" {
				mu.Lock()
				ranges = append(ranges, r.Header.Get("Range"))
				mu.Unlock()
			}
			proxy.ServeHTTP(w, r)
		}))
		defer recording.Close()
		s := openS3(t, srv, bucket, "", func(c *S3Config) { c.Endpoint, _ = url.Parse(recording.URL) })
		ctx := context.Background()
		body := bytes.Repeat([]byte("0123456789"), 100_000) // 1 MB
		sha := shaOf(body)
		if _, err := s.Put(ctx, sha, bytes.NewReader(body), int64(len(body)), sha); err != nil {
			t.Fatal(err)
		}
		read := func(off, n int64) []byte {
			t.Helper()
			b, err := s.Open(ctx, sha)
			if err != nil {
				t.Fatal(err)
			}
			defer b.Close()
			if _, err := b.Seek(off, io.SeekStart); err != nil {
				t.Fatal(err)
			}
			b.(data.RangeLimiter).LimitRange(off + n)
			got, err := io.ReadAll(b)
			if err != nil {
				t.Fatal(err)
			}
			return got
		}
		mu.Lock()
		ranges = nil
		mu.Unlock()
		if got := read(0, 1); string(got) != "0" {
			t.Fatalf("bytes 0-0: %q", got)
		}
		if got := read(12345, 10); !bytes.Equal(got, body[12345:12355]) {
			t.Fatalf("bytes 12345-12354: %q", got)
		}
		mu.Lock()
		defer mu.Unlock()
		if !slices.Equal(ranges, []string{"bytes=0-0", "bytes=12345-12354"}) {
			t.Fatalf("the store asked for %q, want exactly the ranges read", ranges)
		}
	})

	t.Run("CheckWritesOncePerMinute", func(t *testing.T) {
		// /readyz is public and asks Check every few seconds: the bucket
		// must not take a billed write (and delete) each time.
		bucket := srv.NewBucket(t)
		target, _ := url.Parse(srv.Endpoint)
		proxy := httputil.NewSingleHostReverseProxy(target)
		var writes, lists atomic.Int32
		counting := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			switch {
			case r.Method == http.MethodPut:
				writes.Add(1)
			case r.Method == http.MethodGet && r.URL.Query().Has("list-type"):
				lists.Add(1)
			}
			proxy.ServeHTTP(w, r)
		}))
		defer counting.Close()
		s := openS3(t, srv, bucket, "", func(c *S3Config) { c.Endpoint, _ = url.Parse(counting.URL) })
		for range 5 {
			if err := s.Check(context.Background()); err != nil {
				t.Fatal(err)
			}
		}
		if writes.Load() != 1 || lists.Load() < 5 {
			t.Fatalf("5 checks made %d writes and %d listings; want 1 write, a listing each", writes.Load(), lists.Load())
		}
	})

	t.Run("CheckSaysWhatIsWrong", func(t *testing.T) {
		bucket := srv.NewBucket(t)
		ctx := context.Background()
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		closed := "http://" + ln.Addr().String()
		ln.Close()
		for name, c := range map[string]struct {
			mutate func(*S3Config)
			want   string
		}{
			"WrongSecret":    {func(c *S3Config) { c.SecretKey = "wrong-secret-value" }, "refused the credentials"},
			"UnknownKey":     {func(c *S3Config) { c.AccessKey = "nobody" }, "refused the credentials"},
			"MissingBucket":  {func(c *S3Config) { c.Bucket = "no-such-bucket" }, "the bucket does not exist"},
			"NothingListens": {func(c *S3Config) { c.Endpoint, _ = url.Parse(closed); c.MaxRetries = 2 }, "cannot reach the server"},
		} {
			t.Run(name, func(t *testing.T) {
				s := openS3(t, srv, bucket, "p", c.mutate)
				err := s.Check(ctx)
				if err == nil || !strings.Contains(err.Error(), c.want) {
					t.Fatalf("check: %v, want %q", err, c.want)
				}
				if strings.Contains(err.Error(), s.cfg.SecretKey) || strings.Contains(err.Error(), srv.SecretKey) {
					t.Fatalf("the message shows the secret: %v", err)
				}
			})
		}
	})
}

func TestParseS3URL(t *testing.T) {
	t.Run("OK", func(t *testing.T) {
		c, err := ParseS3URL("s3://media-bucket/shop/a?endpoint=http://127.0.0.1:7070&region=eu-west-1&path_style=true")
		if err != nil {
			t.Fatal(err)
		}
		if c.Bucket != "media-bucket" || c.Prefix != "shop/a/" || c.Endpoint.String() != "http://127.0.0.1:7070" || c.Region != "eu-west-1" || !c.PathStyle {
			t.Fatalf("%+v", c)
		}
		if c, err := ParseS3URL("s3://media-bucket"); err != nil || c.Prefix != "" || c.Endpoint.String() != "https://s3.amazonaws.com" || c.PathStyle {
			t.Fatalf("defaults: %+v, %v", c, err)
		}
		if c, err := ParseS3URL("s3://media-bucket/?region=eu-central-1"); err != nil || c.Endpoint.String() != "https://s3.eu-central-1.amazonaws.com" {
			t.Fatalf("AWS region: %+v, %v", c, err)
		}
	})
	for name, c := range map[string]struct{ url, want string }{
		"ErrScheme":        {"https://bucket/x", "is not an S3 URL"},
		"ErrNoBucket":      {"s3:///prefix", "names no bucket"},
		"ErrBucketName":    {"s3://Bad_Bucket/", "not a valid bucket name"},
		"ErrCredentials":   {"s3://key:secret@bucket/", "must not carry credentials"},
		"ErrUnknownParam":  {"s3://bucket/?endpiont=http://x", `unknown parameter "endpiont"`},
		"ErrEndpoint":      {"s3://bucket/?endpoint=127.0.0.1:7070", "must be a bare http or https URL"},
		"ErrEndpointPath":  {"s3://bucket/?endpoint=http://h/path", "must be a bare http or https URL"},
		"ErrPathStyle":     {"s3://bucket/?path_style=maybe", "path_style must be true or false"},
		"ErrDotDotPrefix":  {"s3://bucket/a/../b", "has empty, . or .. segments"},
		"ErrRepeatedParam": {"s3://bucket/?region=a&region=b", "gives region 2 times"},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := ParseS3URL(c.url)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("%s: %v, want %q", c.url, err, c.want)
			}
		})
	}
	t.Run("ErrNoCredentials", func(t *testing.T) {
		c, _ := ParseS3URL("s3://bucket/")
		if _, err := NewS3Blobs(c); err == nil || !strings.Contains(err.Error(), "AWS_ACCESS_KEY_ID") {
			t.Fatalf("no credentials: %v", err)
		}
	})
}

// A refusal of a store that is only read (restore's --from) asks for read
// and list rights, not write and delete (review R3).
func TestExplainAccessDeniedReadOnly(t *testing.T) {
	cfg, err := ParseS3URL("s3://backups/bk?endpoint=http://127.0.0.1:1&path_style=true")
	if err != nil {
		t.Fatal(err)
	}
	cfg.AccessKey, cfg.SecretKey = "reader", "secret"
	denied := minio.ErrorResponse{Code: "AccessDenied", StatusCode: 403, RequestID: "r1"}
	for ro, want := range map[bool]string{true: "the key needs to read and list in the bucket", false: "the key needs to read, write, list and delete in the bucket"} {
		cfg.ReadOnly = ro
		s, err := NewS3Blobs(cfg)
		if err != nil {
			t.Fatal(err)
		}
		if got := s.explain("get manifest.json", denied).Error(); !strings.Contains(got, want) {
			t.Errorf("read-only %v: %s", ro, got)
		}
	}
}
