package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"gallerist/storage"
	"gallerist/storage/s3test"
	"gallerist/web"
)

// withRedirect is a newTestEnv option (after withS3): --blobs-redirect
// mode, with ttl as --blobs-redirect-ttl (0: the default).
func withRedirect(tb testing.TB, mode string, ttl time.Duration) func(*config) {
	tb.Helper()
	r, err := storage.ParseBlobRedirect(mode)
	if err != nil {
		tb.Fatal(err)
	}
	return func(c *config) { c.blobs.redirect, c.blobs.redirectTTL = r, ttl }
}

// s3Requests counts the requests the server's S3 client makes, by method.
type s3Requests struct {
	mu sync.Mutex
	n  map[string]int
}

func (s *s3Requests) RoundTrip(r *http.Request) (*http.Response, error) {
	s.mu.Lock()
	s.n[r.Method]++
	s.mu.Unlock()
	return http.DefaultTransport.RoundTrip(r)
}

func (s *s3Requests) take() map[string]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := s.n
	s.n = map[string]int{}
	return n
}

// countS3 is a newTestEnv option (after withS3) that counts the server's
// requests to the bucket.
func countS3(counts *s3Requests) func(*config) {
	counts.n = map[string]int{}
	return func(c *config) { c.blobs.s3.Transport = counts }
}

// noFollow is a client that shows redirects instead of following them.
var noFollow = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

func doReq(t *testing.T, c *http.Client, method, url string, hdr ...string) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	res, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return res, body
}

// etagOf is the ETag the server sends for a file path: the file key of an
// original, key-<width><ext> of a rendition.
func etagOf(path string) string {
	key, file, _ := strings.Cut(strings.TrimPrefix(path, "/files/"), "/")
	if file == "" {
		key, _, _ = strings.Cut(key, ".")
		return `"` + key + `"`
	}
	return `"` + key + "-" + strings.Replace(file, ".", "", 1) + `"`
}

// storedBytes reads key from the env's store.
func (e *testEnv) storedBytes(t *testing.T, key string) []byte {
	t.Helper()
	b, err := e.app.blobs.Open(context.Background(), key)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	got, err := io.ReadAll(b)
	if err != nil {
		t.Fatal(err)
	}
	return got
}

// Issue 14, delivery: with --blobs-redirect presign, GET and HEAD of an
// original and of a rendition (made on demand first) answer 302 to a
// presigned URL that a plain client follows to the same bytes, type and
// disposition; everything the streamed path refuses is still refused,
// without a redirect; the bucket sees one HEAD per file request.
func TestBlobsRedirectPresign(t *testing.T) {
	var counts s3Requests
	e := newTestEnv(t, withS3(t), withRedirect(t, "presign", 0), countS3(&counts))
	tok := e.token(t, 0)
	base := e.serveLoopback(t)
	photo := photoJPEG(t, 800, 600)
	img := e.uploadOK(t, tok, "photo.jpg", photo)
	pdf := minimalPDF()
	doc := e.uploadOK(t, tok, "Price list.pdf", pdf)
	endpoint := e.cfg.blobs.s3.Endpoint.String()

	imgSHA := img["sha256"].(string)
	cases := []struct {
		name, path, key, mime, disposition string
	}{
		{"Original", pathOf(img["url"].(string)), imgSHA, "image/jpeg", web.ContentDisposition(false, "photo.jpg")},
		{"Document", pathOf(doc["url"].(string)), doc["sha256"].(string), "application/pdf", web.ContentDisposition(true, "Price list.pdf")},
		// Not made yet (no workers run): made on demand, then redirected.
		{"Rendition", pathOf(img["renditions"].(map[string]any)["320"].(string)), imgSHA + "/320.jpg", "image/jpeg", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			counts.take()
			res, _ := doReq(t, noFollow, "GET", base+c.path)
			if n := counts.take(); c.name != "Rendition" && (n["HEAD"] != 1 || len(n) != 1) {
				t.Errorf("a redirected GET makes one HEAD request to the bucket, made %v", n)
			}
			loc := res.Header.Get("Location")
			if res.StatusCode != 302 || !strings.HasPrefix(loc, endpoint+"/") {
				t.Fatalf("GET: %d, Location %q", res.StatusCode, loc)
			}
			if cc := res.Header.Get("Cache-Control"); cc != "private, max-age=450" {
				t.Errorf("Cache-Control of the 302: %q", cc)
			}
			if res.Header.Get("ETag") != "" || res.Header.Get("Content-Disposition") != "" {
				t.Errorf("the 302 carries the file's headers: %v", res.Header)
			}
			want := e.storedBytes(t, c.key)
			got, body := doReq(t, http.DefaultClient, "GET", loc)
			if got.StatusCode != 200 || sha256.Sum256(body) != sha256.Sum256(want) {
				t.Fatalf("following the Location: %d, %d bytes (want %d)", got.StatusCode, len(body), len(want))
			}
			if ct := got.Header.Get("Content-Type"); ct != c.mime {
				t.Errorf("Content-Type from the bucket: %q, want %q", ct, c.mime)
			}
			if cd := got.Header.Get("Content-Disposition"); cd != c.disposition {
				t.Errorf("Content-Disposition from the bucket: %q, want %q", cd, c.disposition)
			}
			counts.take()
			head, hb := doReq(t, noFollow, "HEAD", base+c.path)
			hloc := head.Header.Get("Location")
			if head.StatusCode != 302 || len(hb) != 0 || !strings.HasPrefix(hloc, endpoint+"/") {
				t.Fatalf("HEAD: %d, %d body bytes, Location %q", head.StatusCode, len(hb), hloc)
			}
			if n := counts.take(); n["HEAD"] != 1 || n["GET"] != 0 {
				t.Errorf("one HEAD request to the bucket per redirected request, made %v", n)
			}
			followed, _ := doReq(t, http.DefaultClient, "HEAD", hloc)
			if followed.StatusCode != 200 || followed.ContentLength != int64(len(want)) || followed.Header.Get("Content-Type") != c.mime {
				t.Fatalf("HEAD of the Location: %d, length %d, type %q", followed.StatusCode, followed.ContentLength, followed.Header.Get("Content-Type"))
			}

			// A client that has the file already is told so, not redirected.
			etag := etagOf(c.path)
			if r, _ := doReq(t, noFollow, "GET", base+c.path, "If-None-Match", etag); r.StatusCode != 304 {
				t.Errorf("If-None-Match %s: %d, want 304", etag, r.StatusCode)
			}

			// A signature that is not the server's is refused by the bucket.
			u, _ := url.Parse(loc)
			q := u.Query()
			sig := q.Get("X-Amz-Signature")
			q.Set("X-Amz-Signature", strings.Repeat("0", len(sig)))
			u.RawQuery = q.Encode()
			if r, _ := doReq(t, http.DefaultClient, "GET", u.String()); r.StatusCode != 403 {
				t.Errorf("altered signature: %d, want 403", r.StatusCode)
			}
			// Nor can the signed URL be bent to another type.
			q = u.Query()
			q.Set("X-Amz-Signature", sig)
			q.Set("response-content-type", "text/html")
			u.RawQuery = q.Encode()
			if r, _ := doReq(t, http.DefaultClient, "GET", u.String()); r.StatusCode != 403 {
				t.Errorf("altered response-content-type: %d, want 403", r.StatusCode)
			}
		})
	}

	t.Run("LoggedInDownloadStreams", func(t *testing.T) {
		// A logged-in download (of a trashed item too) is private: never a
		// URL that anyone holding it could use.
		r := e.do(t, "GET", fmt.Sprintf("/api/media/%d/download", idOf(doc)), tok, nil, "")
		if r.Status != 200 || !bytes.Equal(r.Body, pdf) {
			t.Fatalf("download: %d, %d bytes", r.Status, len(r.Body))
		}
	})

	t.Run("StreamedCountsForComparison", func(t *testing.T) {
		s := newTestEnv(t, withS3(t), countS3(&counts))
		m := s.uploadOK(t, s.token(t, 0), "photo.jpg", photo)
		sbase := s.serveLoopback(t)
		counts.take()
		r, body := doReq(t, noFollow, "GET", sbase+pathOf(m["url"].(string)))
		if r.StatusCode != 200 || !bytes.Equal(body, photo) {
			t.Fatalf("streamed GET: %d", r.StatusCode)
		}
		if n := counts.take(); n["HEAD"] != 1 || n["GET"] != 1 {
			t.Errorf("a streamed file request makes one HEAD and one GET to the bucket, made %v", n)
		}
		if cd := r.Header.Get("Content-Disposition"); cd != cases[0].disposition {
			t.Errorf("streamed Content-Disposition %q, redirected %q", cd, cases[0].disposition)
		}
	})

	t.Run("NotFoundNeverRedirects", func(t *testing.T) {
		key := strings.TrimPrefix(strings.SplitN(pathOf(img["url"].(string)), ".", 2)[0], "/files/")
		trashed := e.uploadOK(t, tok, "gone.jpg", photoJPEG(t, 640, 480))
		if r := e.do(t, "DELETE", fmt.Sprintf("/api/media/%d", idOf(trashed)), tok, nil, ""); r.Status != 204 {
			t.Fatalf("delete: %d %s", r.Status, r.Body)
		}
		for _, p := range []string{
			"/files/0123456789abcdef0123456789abcdef.jpg",     // no such key
			"/files/" + key + ".png",                          // the wrong extension
			"/files/" + key + "/321.jpg",                      // not one of our widths
			"/files/" + key + "/320.png",                      // not a format made for it
			"/files/0123456789abcdef0123456789abcdef/320.jpg", // no such key
			pathOf(trashed["url"].(string)),                   // in the trash
			pathOf(trashed["renditions"].(map[string]any)["320"].(string)),
		} {
			for _, method := range []string{"GET", "HEAD"} {
				if r, _ := doReq(t, noFollow, method, base+p); r.StatusCode != 404 || r.Header.Get("Location") != "" {
					t.Errorf("%s %s: %d, Location %q; want 404 and no redirect", method, p, r.StatusCode, r.Header.Get("Location"))
				}
			}
		}
		// A wave-1 URL (by content hash) still goes to today's URL first.
		if r, _ := doReq(t, noFollow, "GET", base+"/files/"+imgSHA+".jpg"); r.StatusCode != 301 || r.Header.Get("Location") != pathOf(img["url"].(string)) {
			t.Errorf("legacy URL: %d, Location %q", r.StatusCode, r.Header.Get("Location"))
		}
	})
}

// TestBlobsRedirectPresignExpires: once its lifetime is over, a presigned
// URL is refused by the bucket.
func TestBlobsRedirectPresignExpires(t *testing.T) {
	e := newTestEnv(t, withS3(t), withRedirect(t, "presign", time.Second))
	m := e.uploadOK(t, e.token(t, 0), "photo.jpg", photoJPEG(t, 400, 300))
	base := e.serveLoopback(t)
	res, _ := doReq(t, noFollow, "GET", base+pathOf(m["url"].(string)))
	if res.StatusCode != 302 || res.Header.Get("Cache-Control") != "no-store" {
		t.Fatalf("GET: %d, Cache-Control %q", res.StatusCode, res.Header.Get("Cache-Control"))
	}
	time.Sleep(2100 * time.Millisecond) // past the URL's one second
	if r, _ := doReq(t, http.DefaultClient, "GET", res.Header.Get("Location")); r.StatusCode != 403 {
		t.Fatalf("expired URL: %d, want 403", r.StatusCode)
	}
}

// TestBlobsRedirectCDN: with a CDN base URL the 302 names the object under
// it, with the type and disposition the server would send.
func TestBlobsRedirectCDN(t *testing.T) {
	e := newTestEnv(t, withS3(t), withRedirect(t, "https://cdn.example.com/media/", 0))
	tok := e.token(t, 0)
	base := e.serveLoopback(t)
	m := e.uploadOK(t, tok, "photo.jpg", photoJPEG(t, 800, 600))
	sha := m["sha256"].(string)
	for path, want := range map[string]string{
		pathOf(m["url"].(string)): "https://cdn.example.com/media/gallerist/originals/" + sha + "?" + url.Values{
			"response-content-type": {"image/jpeg"}, "response-content-disposition": {web.ContentDisposition(false, "photo.jpg")}}.Encode(),
		pathOf(m["renditions"].(map[string]any)["640"].(string)): "https://cdn.example.com/media/gallerist/renditions/" + sha + "/640.jpg?response-content-type=image%2Fjpeg",
	} {
		for _, method := range []string{"GET", "HEAD"} {
			res, _ := doReq(t, noFollow, method, base+path)
			if res.StatusCode != 302 || res.Header.Get("Location") != want || res.Header.Get("Cache-Control") != "private, max-age=300" {
				t.Errorf("%s %s: %d, Location %q, Cache-Control %q; want 302 to %q", method, path, res.StatusCode,
					res.Header.Get("Location"), res.Header.Get("Cache-Control"), want)
			}
		}
	}
	if r, _ := doReq(t, noFollow, "GET", base+"/files/0123456789abcdef0123456789abcdef.jpg"); r.StatusCode != 404 || r.Header.Get("Location") != "" {
		t.Errorf("unknown file: %d, Location %q", r.StatusCode, r.Header.Get("Location"))
	}
}

// TestBlobsRedirectRefusedWithLocalStore: the local store has no URL to
// redirect to, so the server does not start with --blobs-redirect set.
func TestBlobsRedirectRefusedWithLocalStore(t *testing.T) {
	for _, args := range [][]string{{"--blobs-redirect", "presign"}, {"--blobs-redirect", "https://cdn.example.com"}} {
		var out, errOut bytes.Buffer
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		err := run(ctx, append([]string{"serve", "--data", t.TempDir(), "--addr", "127.0.0.1:0"}, args...), envOf(), nil, &out, &errOut)
		cancel()
		if err == nil || !strings.Contains(err.Error(), "--blobs-redirect needs an S3 store") {
			t.Errorf("%v: %v, want a refusal naming --blobs-redirect", args, err)
		}
		if strings.Contains(out.String(), "running") {
			t.Errorf("%v: the server started: %s", args, out.String())
		}
	}
	// Off is the local store's only way, and the default.
	var cfg config
	if err := newFlags("serve", envOf("GALLERIST_BLOBS_REDIRECT", "off"), &cfg, allSettings()...).Parse(nil); err != nil || cfg.blobs.redirect.On() || cfg.blobs.redirectTTL != storage.DefaultPresignTTL {
		t.Errorf("off: %v, %+v", err, cfg.blobs)
	}
	cfg = config{}
	env := envOf("GALLERIST_BLOBS_REDIRECT", "presign", "GALLERIST_BLOBS_REDIRECT_TTL", "1h")
	if err := newFlags("serve", env, &cfg, allSettings()...).Parse(nil); err != nil || !cfg.blobs.redirect.Presign || cfg.blobs.redirectTTL != time.Hour {
		t.Errorf("from the environment: %v, %+v", err, cfg.blobs)
	}
}

// TestServeRedirectsOnS3: the real binary takes --blobs-redirect from its
// flags, logs it, and answers a file request with a 302 that leads to the bytes.
func TestServeRedirectsOnS3(t *testing.T) {
	srv := s3test.Shared(t)
	s := startBinary(t, buildBinary(t), "--blobs", srv.URL(srv.NewBucket(t), "shop"), "--s3-access-key", srv.AccessKey,
		"--s3-secret-key", srv.SecretKey, "--blobs-redirect", "presign", "--blobs-redirect-ttl", "2m")
	body := photoJPEG(t, 400, 300)
	m := s.waitReady(t, s.upload(t, "photo.jpg", body))
	res, _ := doReq(t, noFollow, "GET", s.base+strings.TrimPrefix(m["url"].(string), s.base))
	if res.StatusCode != 302 || res.Header.Get("Cache-Control") != "private, max-age=60" {
		t.Fatalf("GET: %d, Cache-Control %q", res.StatusCode, res.Header.Get("Cache-Control"))
	}
	if got, b := doReq(t, http.DefaultClient, "GET", res.Header.Get("Location")); got.StatusCode != 200 || !bytes.Equal(b, body) {
		t.Fatalf("following the Location: %d, %d bytes", got.StatusCode, len(b))
	}
	if !strings.Contains(s.log.String(), "302 to presigned URLs valid for 2m0s") {
		t.Errorf("the start log does not say how files are answered:\n%s", s.log.String())
	}
}
