package fetch

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/rand"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func randomBytes(t *testing.T, prefix []byte, n int, suffix []byte) []byte {
	t.Helper()
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return append(append(append([]byte{}, prefix...), b...), suffix...)
}

func TestFetchMediaBytes(t *testing.T) {
	files := map[string]struct {
		ctype string
		data  []byte
	}{
		"/photo.jpg": {"image/jpeg", randomBytes(t, []byte{0xFF, 0xD8, 0xFF, 0xE0, 0, 0x10, 'J', 'F', 'I', 'F', 0}, 300_000, []byte{0xFF, 0xD9})},
		"/image.png": {"image/png", randomBytes(t, []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\x0dIHDR"), 70_000, []byte("IEND\xaeB`\x82"))},
		"/doc.pdf":   {"application/pdf", randomBytes(t, []byte("%PDF-1.7\n%\xe2\xe3\xcf\xd3\n"), 12_345, []byte("\n%%EOF\n"))},
	}
	var (
		mu      sync.Mutex
		headers []http.Header
	)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		headers = append(headers, r.Header.Clone())
		mu.Unlock()
		file, ok := files[r.URL.Path]
		if !ok {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", file.ctype)
		w.Header().Set("Content-Length", strconv.Itoa(len(file.data)))
		w.Write(file.data)
	}))
	t.Cleanup(srv.Close)

	res := newTestResolver()
	res.set("media.test", []string{"127.0.0.1"})
	f, log := newTestFetcher(t, Config{Allow: loopback8, Resolver: res})
	for path, file := range files {
		for _, base := range []string{srv.URL, strings.Replace(srv.URL, "127.0.0.1", "media.test", 1)} {
			u := base + path
			limit := int64(1 << 20)
			if strings.Contains(base, "media.test") {
				limit = math.MaxInt64 // no overflow in the cap arithmetic
			}
			resp, err := f.Fetch(context.Background(), u, limit)
			if err != nil {
				t.Fatalf("Fetch(%s): %v", u, err)
			}
			got, err := io.ReadAll(resp.Body)
			resp.Body.Close()
			if err != nil {
				t.Fatalf("reading %s: %v", u, err)
			}
			if !bytes.Equal(got, file.data) {
				t.Errorf("%s: got %d bytes, not the %d served", u, len(got), len(file.data))
			}
			if resp.ContentType != file.ctype || resp.ContentLength != int64(len(file.data)) || resp.URL != u {
				t.Errorf("%s: response = %q %d %q", u, resp.ContentType, resp.ContentLength, resp.URL)
			}
		}
	}
	for _, h := range headers {
		if h.Get("User-Agent") != DefaultUserAgent || h.Get("Accept-Encoding") != "identity" {
			t.Errorf("request headers: UA %q, Accept-Encoding %q", h.Get("User-Agent"), h.Get("Accept-Encoding"))
		}
	}
	if len(log.snapshot()) == 0 {
		t.Error("connect hook never ran: the socket Control check is not wired in")
	}
	waitIdle(t, f)
}

func TestRedirects(t *testing.T) {
	var referers atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Referer") != "" {
			referers.Add(1)
		}
		n, err := strconv.Atoi(strings.TrimPrefix(r.URL.Path, "/hop/"))
		if err != nil {
			http.NotFound(w, r)
			return
		}
		if n > 0 {
			http.Redirect(w, r, fmt.Sprintf("/hop/%d", n-1), http.StatusFound)
			return
		}
		w.Write([]byte("arrived"))
	}))
	t.Cleanup(srv.Close)
	f, _ := newTestFetcher(t, Config{Allow: loopback8})
	ctx := context.Background()

	resp, err := f.Fetch(ctx, srv.URL+"/hop/3", 100)
	if err != nil {
		t.Fatalf("3 redirects: %v", err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(body) != "arrived" || resp.URL != srv.URL+"/hop/0" {
		t.Errorf("3 redirects: body %q, URL %q", body, resp.URL)
	}
	if referers.Load() != 0 {
		t.Error("Referer sent on redirect")
	}

	_, err = f.Fetch(ctx, srv.URL+"/hop/4", 100)
	fe := asError(t, err, CodeFetchFailed)
	if !strings.Contains(fe.Message, "redirected more than 3 times") {
		t.Errorf("message %q", fe.Message)
	}

	none, _ := newTestFetcher(t, Config{Allow: loopback8, MaxRedirects: -1})
	_, err = none.Fetch(ctx, srv.URL+"/hop/1", 100)
	asError(t, err, CodeFetchFailed)
	waitIdle(t, f)
	waitIdle(t, none)
}

func TestContentLengthOverCap(t *testing.T) {
	var wrote atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", "2000")
		n, _ := w.Write(make([]byte, 2000))
		wrote.Add(int64(n))
	}))
	t.Cleanup(srv.Close)
	f, _ := newTestFetcher(t, Config{Allow: loopback8})

	_, err := f.Fetch(context.Background(), srv.URL, 1000)
	fe := asError(t, err, CodeTooLarge)
	if !errors.Is(err, ErrTooLarge) || !strings.Contains(fe.Message, srv.URL) {
		t.Errorf("error %v: want errors.Is ErrTooLarge naming the URL", err)
	}
	waitIdle(t, f)

	// Exactly at the cap is fine.
	resp, err := f.Fetch(context.Background(), srv.URL, 2000)
	if err != nil {
		t.Fatal(err)
	}
	b, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil || len(b) != 2000 {
		t.Errorf("at cap: %d bytes, %v", len(b), err)
	}
	waitIdle(t, f)
}

func TestChunkedOverCap(t *testing.T) {
	stop := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		chunk := bytes.Repeat([]byte{0xAB}, 8<<10)
		for {
			select {
			case <-stop:
				return
			case <-r.Context().Done():
				return
			default:
			}
			if _, err := w.Write(chunk); err != nil {
				return
			}
			w.(http.Flusher).Flush()
		}
	}))
	t.Cleanup(srv.Close)
	t.Cleanup(func() { close(stop) }) // runs first: lets hanging handlers return
	f, _ := newTestFetcher(t, Config{Allow: loopback8, Timeout: 5 * time.Second})

	const limit = 100_000
	resp, err := f.Fetch(context.Background(), srv.URL, limit)
	if err != nil {
		t.Fatal(err)
	}
	if resp.ContentLength != -1 {
		t.Errorf("ContentLength = %d, want -1", resp.ContentLength)
	}
	n, err := io.Copy(io.Discard, resp.Body)
	if !errors.Is(err, ErrTooLarge) {
		t.Fatalf("copy: %d bytes, %v; want too_large", n, err)
	}
	asError(t, err, CodeTooLarge)
	if n > limit+32<<10 {
		t.Errorf("read %d bytes past a %d cap", n, limit)
	}
	if n != limit {
		t.Errorf("read %d bytes, want exactly the cap %d before the error", n, limit)
	}
	// The error is sticky.
	if _, err := resp.Body.Read(make([]byte, 10)); !errors.Is(err, ErrTooLarge) {
		t.Errorf("second read: %v", err)
	}
	resp.Body.Close()
	resp.Body.Close()
	waitIdle(t, f)
}

func TestBodyThatNeverEnds(t *testing.T) {
	stop := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "image/jpeg")
		w.Write([]byte{0xFF, 0xD8, 0xFF, 0xE0})
		w.Write(make([]byte, 100))
		w.(http.Flusher).Flush()
		select {
		case <-stop:
		case <-r.Context().Done():
		}
	}))
	t.Cleanup(srv.Close)
	t.Cleanup(func() { close(stop) }) // runs first: lets hanging handlers return
	f, _ := newTestFetcher(t, Config{Allow: loopback8, Timeout: 500 * time.Millisecond})

	start := time.Now()
	resp, err := f.Fetch(context.Background(), srv.URL, 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	elapsed := time.Since(start)
	fe := asError(t, err, CodeFetchFailed)
	if !strings.Contains(fe.Message, "timed out after 500ms") {
		t.Errorf("message %q", fe.Message)
	}
	if len(b) != 104 {
		t.Errorf("read %d bytes before the timeout, want 104", len(b))
	}
	if elapsed < 450*time.Millisecond || elapsed > 3*time.Second {
		t.Errorf("failed after %v, want about 500ms", elapsed)
	}
	waitIdle(t, f)
}

func TestNoHeaders(t *testing.T) {
	// A raw listener that accepts, reads, and never answers.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	var (
		mu    sync.Mutex
		conns []net.Conn
	)
	t.Cleanup(func() {
		mu.Lock()
		defer mu.Unlock()
		for _, c := range conns {
			c.Close()
		}
	})
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
			go io.Copy(io.Discard, c)
		}
	}()
	f, _ := newTestFetcher(t, Config{Allow: loopback8, Timeout: 500 * time.Millisecond})
	start := time.Now()
	_, err = f.Fetch(context.Background(), "http://"+ln.Addr().String()+"/slow.jpg", 1<<20)
	elapsed := time.Since(start)
	fe := asError(t, err, CodeFetchFailed)
	if !strings.Contains(fe.Message, "timed out after 500ms") || !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("error %q", fe.Message)
	}
	if elapsed > 3*time.Second {
		t.Errorf("took %v", elapsed)
	}
	waitIdle(t, f)
}

func TestUnreachable(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	f, _ := newTestFetcher(t, Config{Allow: loopback8, Timeout: 2 * time.Second})
	_, err = f.Fetch(context.Background(), "http://"+addr+"/x.png", 1<<20)
	fe := asError(t, err, CodeFetchFailed)
	if !strings.Contains(fe.Message, "could not be reached") || strings.Contains(fe.Message, "refused") {
		t.Errorf("message %q", fe.Message)
	}
}

func TestMultipleAddressesFallBack(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte("ok"))
	}))
	t.Cleanup(srv.Close)
	res := newTestResolver()
	// Nothing listens on 127.0.0.3 at the server's port: the dial moves on
	// to the next checked address.
	res.set("multi.test", []string{"127.0.0.3", "127.0.0.1"})
	f, log := newTestFetcher(t, Config{Allow: loopback8, Resolver: res})
	u := strings.Replace(srv.URL, "127.0.0.1", "multi.test", 1)
	resp, err := f.Fetch(context.Background(), u, 10)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(b) != "ok" {
		t.Errorf("body %q", b)
	}
	if got := log.snapshot(); len(got) != 2 || !strings.HasPrefix(got[0], "127.0.0.3:") {
		t.Errorf("connects %v, want 127.0.0.3 then 127.0.0.1", got)
	}
}

func gzipBomb(t *testing.T) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zero := make([]byte, 1<<20)
	for i := 0; i < 10; i++ { // 10 MB of zeros
		zw.Write(zero)
	}
	zw.Close()
	return buf.Bytes()
}

func TestCompressedRefused(t *testing.T) {
	bomb := gzipBomb(t)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		enc := r.URL.Query().Get("enc")
		w.Header().Set("Content-Type", "image/png")
		w.Header().Set("Content-Encoding", enc)
		w.Write(bomb)
	}))
	t.Cleanup(srv.Close)
	f, _ := newTestFetcher(t, Config{Allow: loopback8})
	for _, enc := range []string{"gzip", "GZIP", "x-gzip", "br", "deflate", "zstd", "identity, gzip"} {
		_, err := f.Fetch(context.Background(), srv.URL+"/bomb.png?enc="+url.QueryEscape(enc), 1<<30)
		fe := asError(t, err, CodeFetchFailed)
		if !strings.Contains(fe.Message, "compressed responses are not accepted") {
			t.Errorf("%s: message %q", enc, fe.Message)
		}
	}
	// "identity" is not compression.
	resp, err := f.Fetch(context.Background(), srv.URL+"/bomb.png?enc=identity", 1<<30)
	if err != nil {
		t.Fatalf("identity: %v", err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !bytes.Equal(b, bomb) {
		t.Error("identity body changed")
	}
	waitIdle(t, f)
}

func TestErrorStatus(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		code, _ := strconv.Atoi(strings.TrimPrefix(r.URL.Path, "/"))
		w.WriteHeader(code)
		w.Write([]byte("nope"))
	}))
	t.Cleanup(srv.Close)
	f, _ := newTestFetcher(t, Config{Allow: loopback8})
	for code, want := range map[int]string{
		404: "the server answered 404 Not Found",
		403: "the server answered 403 Forbidden",
		500: "the server answered 500 Internal Server Error",
		503: "the server answered 503 Service Unavailable",
		304: "the server answered 304 Not Modified",
	} {
		u := fmt.Sprintf("%s/%d", srv.URL, code)
		_, err := f.Fetch(context.Background(), u, 1<<20)
		fe := asError(t, err, CodeFetchFailed)
		if !strings.Contains(fe.Message, want) || !strings.Contains(fe.Message, u) {
			t.Errorf("%d: message %q", code, fe.Message)
		}
	}
	waitIdle(t, f)
}

func TestHugeHeadersRefused(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		for i := 0; i < 100; i++ {
			w.Header().Set(fmt.Sprintf("X-Junk-%d", i), strings.Repeat("x", 1000))
		}
		w.Write([]byte("hi"))
	}))
	t.Cleanup(srv.Close)
	f, _ := newTestFetcher(t, Config{Allow: loopback8})
	_, err := f.Fetch(context.Background(), srv.URL, 1<<20)
	asError(t, err, CodeFetchFailed)
}

func TestMaxParallel(t *testing.T) {
	const parallel = 2
	var inFlight, peak, served atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := inFlight.Add(1)
		for {
			p := peak.Load()
			if n <= p || peak.CompareAndSwap(p, n) {
				break
			}
		}
		time.Sleep(150 * time.Millisecond)
		inFlight.Add(-1)
		served.Add(1)
		w.Write([]byte("slow"))
	}))
	t.Cleanup(srv.Close)
	f, _ := newTestFetcher(t, Config{Allow: loopback8, MaxParallel: parallel, Timeout: 5 * time.Second})

	var wg sync.WaitGroup
	errs := make(chan error, parallel+3)
	for i := 0; i < parallel+3; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			resp, err := f.Fetch(context.Background(), fmt.Sprintf("%s/%d", srv.URL, i), 100)
			if err != nil {
				errs <- err
				return
			}
			defer resp.Body.Close()
			if _, err := io.ReadAll(resp.Body); err != nil {
				errs <- err
			}
		}(i)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if p := peak.Load(); p > parallel {
		t.Errorf("origin saw %d concurrent requests, MaxParallel is %d", p, parallel)
	} else if p < parallel {
		t.Logf("peak concurrency only %d", p)
	}
	if served.Load() != parallel+3 {
		t.Errorf("served %d", served.Load())
	}
	waitIdle(t, f)
}

func TestSlotWaitRespectsContext(t *testing.T) {
	stop := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte("partial"))
		w.(http.Flusher).Flush()
		select {
		case <-stop:
		case <-r.Context().Done():
		}
	}))
	t.Cleanup(srv.Close)
	t.Cleanup(func() { close(stop) }) // runs first: lets hanging handlers return
	f, _ := newTestFetcher(t, Config{Allow: loopback8, MaxParallel: 1, Timeout: 5 * time.Second})

	held, err := f.Fetch(context.Background(), srv.URL, 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err = f.Fetch(ctx, srv.URL, 1<<20)
	fe := asError(t, err, CodeFetchFailed)
	if !errors.Is(err, context.DeadlineExceeded) || time.Since(start) > 2*time.Second {
		t.Errorf("waiting fetch: %v after %v", fe, time.Since(start))
	}
	// Close releases the slot exactly once: a second Close must not free a
	// slot someone else holds.
	held.Body.Close()
	held.Body.Close()
	waitIdle(t, f)
	second, err := f.Fetch(context.Background(), srv.URL, 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	held.Body.Close() // again, after the slot was taken by someone else
	if f.fetches.inUse() != 1 {
		t.Errorf("slots held = %d, want 1", f.fetches.inUse())
	}
	second.Body.Close()
	waitIdle(t, f)
}

func TestSlotReleasedAtDeadlineWithoutClose(t *testing.T) {
	stop := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/fast" {
			w.Write([]byte("fast"))
			return
		}
		w.Write([]byte("partial"))
		w.(http.Flusher).Flush()
		select {
		case <-stop:
		case <-r.Context().Done():
		}
	}))
	t.Cleanup(srv.Close)
	t.Cleanup(func() { close(stop) }) // runs first: lets hanging handlers return
	f, _ := newTestFetcher(t, Config{Allow: loopback8, MaxParallel: 1, Timeout: 2 * time.Second})

	// The first fetch's deadline comes from its caller (300 ms); the second
	// waits for its slot, within its own 2 s (the wait counts).
	fctx, fcancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer fcancel()
	forgotten, err := f.Fetch(fctx, srv.URL+"/hang", 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	resp, err := f.Fetch(ctx, srv.URL+"/fast", 100)
	if err != nil {
		t.Fatalf("second fetch never got the slot: %v", err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(b) != "fast" || time.Since(start) > 1500*time.Millisecond {
		t.Errorf("second fetch: %q after %v", b, time.Since(start))
	}
	// The forgotten body now fails with the timeout, and closing it late
	// does not release anything twice.
	_, err = io.ReadAll(forgotten.Body)
	asError(t, err, CodeFetchFailed)
	forgotten.Body.Close()
	waitIdle(t, f)
}

func TestParentCancelWhileReading(t *testing.T) {
	stop := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte("partial"))
		w.(http.Flusher).Flush()
		select {
		case <-stop:
		case <-r.Context().Done():
		}
	}))
	t.Cleanup(srv.Close)
	t.Cleanup(func() { close(stop) }) // runs first: lets hanging handlers return
	f, _ := newTestFetcher(t, Config{Allow: loopback8, Timeout: 5 * time.Second})
	ctx, cancel := context.WithCancel(context.Background())
	resp, err := f.Fetch(ctx, srv.URL, 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	time.AfterFunc(50*time.Millisecond, cancel)
	_, err = io.ReadAll(resp.Body)
	fe := asError(t, err, CodeFetchFailed)
	if !errors.Is(err, context.Canceled) || !strings.Contains(fe.Message, "cancelled") {
		t.Errorf("error %q", fe.Message)
	}
	resp.Body.Close()
	waitIdle(t, f)
}

func TestEnvironmentProxyIgnored(t *testing.T) {
	var proxied atomic.Int64
	proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		proxied.Add(1)
		w.Write([]byte("from proxy"))
	}))
	t.Cleanup(proxy.Close)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte("direct"))
	}))
	t.Cleanup(srv.Close)
	for _, k := range []string{"HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy", "ALL_PROXY"} {
		t.Setenv(k, proxy.URL)
	}
	t.Setenv("NO_PROXY", "")
	t.Setenv("no_proxy", "")
	res := newTestResolver()
	res.set("media.test", []string{"127.0.0.1"})
	f, _ := newTestFetcher(t, Config{Allow: loopback8, Resolver: res})
	if f.transport.Proxy != nil {
		t.Fatal("transport has a Proxy func")
	}
	resp, err := f.Fetch(context.Background(), strings.Replace(srv.URL, "127.0.0.1", "media.test", 1), 100)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(b) != "direct" || proxied.Load() != 0 {
		t.Errorf("body %q, proxy hits %d", b, proxied.Load())
	}
}

func TestTLS(t *testing.T) {
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "proto %s", r.Proto)
	}))
	srv.EnableHTTP2 = true
	srv.StartTLS()
	t.Cleanup(srv.Close)

	// Default verification: the test certificate is not trusted.
	f, _ := newTestFetcher(t, Config{Allow: loopback8})
	_, err := f.Fetch(context.Background(), srv.URL, 100)
	fe := asError(t, err, CodeFetchFailed)
	if !strings.Contains(fe.Message, "TLS certificate could not be verified") {
		t.Errorf("message %q", fe.Message)
	}

	// Trusting the test CA, https (and HTTP/2) goes through the same dialer.
	trusting, log := newTestFetcher(t, Config{Allow: loopback8})
	pool := x509.NewCertPool()
	pool.AddCert(srv.Certificate())
	trusting.transport.TLSClientConfig.RootCAs = pool
	resp, err := trusting.Fetch(context.Background(), srv.URL, 100)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(b) != "proto HTTP/2.0" {
		t.Errorf("body %q", b)
	}
	if len(log.snapshot()) != 1 {
		t.Errorf("connects %v", log.snapshot())
	}
}

func TestAllowIsNarrow(t *testing.T) {
	// Allowing 127.0.0.2 must not open 127.0.0.1, nor its mapped or NAT64
	// spellings.
	c := newCanary(t)
	f, _ := newTestFetcher(t, Config{Allow: mustAllow(t, "127.0.0.2")})
	for _, host := range []string{"127.0.0.1", "[::ffff:127.0.0.1]", "[64:ff9b::7f00:2]", "[::ffff:127.0.0.2]:1"} {
		u := "http://" + host
		if !strings.Contains(host, "]:") {
			u += ":" + c.port()
		}
		_, err := f.Fetch(context.Background(), u+"/", 100)
		if strings.HasSuffix(host, "]:1") {
			// ::ffff:127.0.0.2 is 127.0.0.2, which is allowed: port 1 is closed.
			asError(t, err, CodeFetchFailed)
			continue
		}
		asError(t, err, CodeNotAllowed)
	}
	if c.conns.Load() != 0 {
		t.Error("canary reached")
	}
}

func TestZeroLimit(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/empty" {
			w.WriteHeader(http.StatusNoContent)
			return
		}
		w.Write([]byte("x"))
	}))
	t.Cleanup(srv.Close)
	f, _ := newTestFetcher(t, Config{Allow: loopback8})
	resp, err := f.Fetch(context.Background(), srv.URL+"/empty", 0)
	if err != nil {
		t.Fatal(err)
	}
	if b, err := io.ReadAll(resp.Body); err != nil || len(b) != 0 {
		t.Errorf("empty: %q %v", b, err)
	}
	resp.Body.Close()
	_, err = f.Fetch(context.Background(), srv.URL+"/one", 0)
	asError(t, err, CodeTooLarge) // Content-Length 1 > 0
	waitIdle(t, f)
}
