package fetch

import (
	"context"
	"io"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestPost: a delivery reaches an allowed loopback endpoint with its body
// and headers, keeps the start of the answer, follows no redirect, and is
// refused (without connecting) where imports are refused.
func TestPost(t *testing.T) {
	var got struct{ body, sig, ctype string }
	srv := serveOn(t, "127.0.0.1:0", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/moved" {
			http.Redirect(w, r, "/elsewhere", http.StatusFound)
			return
		}
		b, _ := io.ReadAll(r.Body)
		got.body, got.sig, got.ctype = string(b), r.Header.Get("X-Sig"), r.Header.Get("Content-Type")
		w.WriteHeader(202)
		w.Write([]byte(strings.Repeat("x", 5000)))
	}))
	f, _ := newTestFetcher(t, Config{Allow: loopback8})
	ctx := context.Background()

	t.Run("OK", func(t *testing.T) {
		h := http.Header{"Content-Type": {"application/json"}, "X-Sig": {"v1=abc"}}
		res, err := f.Post(ctx, srv.URL+"/hook", h, []byte(`{"a":1}`), 100)
		if err != nil {
			t.Fatal(err)
		}
		if res.Status != 202 || len(res.Body) != 100 || got.body != `{"a":1}` || got.sig != "v1=abc" || got.ctype != "application/json" {
			t.Fatalf("status %d, %d bytes kept; server got %+v", res.Status, len(res.Body), got)
		}
		waitIdle(t, f)
	})
	t.Run("NoRedirects", func(t *testing.T) {
		res, err := f.Post(ctx, srv.URL+"/moved", nil, nil, 100)
		if err != nil || res.Status != http.StatusFound {
			t.Fatalf("redirect: %v %+v", err, res)
		}
	})
	t.Run("Refused", func(t *testing.T) {
		strict, log := newTestFetcher(t, Config{})
		for _, u := range []string{srv.URL + "/hook", "http://10.0.0.1/hook", "http://[::1]/", "ftp://example.com/", "http://user:pw@example.com/", "http://no-such-name.test/"} {
			_, err := strict.Post(ctx, u, nil, []byte("{}"), 100)
			fe := asError(t, err, CodeNotAllowed)
			if !strings.HasPrefix(fe.Message, "Cannot deliver to ") {
				t.Errorf("%s: message %q", u, fe.Message)
			}
			asError(t, strict.CheckURL(ctx, u), CodeNotAllowed)
		}
		if c := log.snapshot(); len(c) != 0 {
			t.Fatalf("connected to %v", c)
		}
		if err := f.CheckURL(ctx, srv.URL+"/hook"); err != nil {
			t.Fatalf("allowed loopback refused: %v", err)
		}
	})
	t.Run("Unreachable", func(t *testing.T) {
		srv2 := serveOn(t, "127.0.0.1:0", http.NotFoundHandler())
		url := srv2.URL
		srv2.Close()
		_, err := f.Post(ctx, url, nil, nil, 100)
		fe := asError(t, err, CodeFetchFailed)
		if !strings.HasPrefix(fe.Message, "Could not deliver to ") {
			t.Fatalf("message %q", fe.Message)
		}
	})
}

// hangingOrigin answers nothing until the test ends (or the client gives
// up); it counts the requests that arrived and those that ended.
func hangingOrigin(t *testing.T) (url string, arrived, ended *atomic.Int64) {
	t.Helper()
	arrived, ended = new(atomic.Int64), new(atomic.Int64)
	hang := make(chan struct{})
	srv := serveOn(t, "127.0.0.1:0", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		arrived.Add(1)
		defer ended.Add(1)
		select {
		case <-hang:
		case <-r.Context().Done():
		}
	}))
	t.Cleanup(func() { close(hang); srv.Close() })
	return srv.URL, arrived, ended
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("waited 10s for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// TestPostsHaveTheirOwnSlots: while deliveries hang on every post slot, a
// fetch (a URL import) goes through, before any of them ends.
func TestPostsHaveTheirOwnSlots(t *testing.T) {
	slow, arrived, ended := hangingOrigin(t)
	fast := serveOn(t, "127.0.0.1:0", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("img")) }))
	f, _ := newTestFetcher(t, Config{Allow: loopback8, MaxParallel: 2, Timeout: 20 * time.Second})
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	for range 3 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			f.Post(ctx, slow+"/hook", nil, nil, 10)
		}()
	}
	defer wg.Wait()
	defer cancel()
	waitFor(t, "the posts to hang", func() bool { return arrived.Load() == 2 })
	resp, err := f.Fetch(ctx, fast.URL+"/a.jpg", 100)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if n := ended.Load(); n != 0 {
		t.Fatalf("the fetch waited for %d hanging posts to end", n)
	}
}

// TestPerTenantSlots: one tenant's hanging requests hold at most its share
// of a pool; another tenant's request goes through before any of them ends,
// though it asked after they all did.
func TestPerTenantSlots(t *testing.T) {
	slow, arrived, ended := hangingOrigin(t)
	fast := serveOn(t, "127.0.0.1:0", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("ok")) }))
	f, _ := newTestFetcher(t, Config{Allow: loopback8, MaxParallel: 4, Timeout: 20 * time.Second})
	if total, per := f.PostSlots(); total != 4 || per != 2 {
		t.Fatalf("post slots %d, %d per tenant; want 4, 2", total, per)
	}
	ctx, cancel := context.WithCancel(context.Background())
	a, b := ForTenant(ctx, 1), ForTenant(ctx, 2)
	var wg sync.WaitGroup
	for range 5 {
		wg.Add(2)
		go func() {
			defer wg.Done()
			f.Post(a, slow+"/hook", nil, nil, 10)
		}()
		go func() {
			defer wg.Done()
			if resp, err := f.Fetch(a, slow+"/a.jpg", 10); err == nil {
				resp.Body.Close()
			}
		}()
	}
	defer wg.Wait()
	defer cancel()
	waitFor(t, "tenant 1 to hang", func() bool { return arrived.Load() == 4 })
	if res, err := f.Post(b, fast.URL+"/hook", nil, nil, 10); err != nil || res.Status != 200 {
		t.Fatalf("tenant 2's post: %v %+v", err, res)
	}
	resp, err := f.Fetch(b, fast.URL+"/b.jpg", 10)
	if err != nil {
		t.Fatalf("tenant 2's fetch: %v", err)
	}
	resp.Body.Close()
	if n, m := ended.Load(), arrived.Load(); n != 0 || m != 4 {
		t.Fatalf("tenant 2 waited for %d of tenant 1's requests to end; %d of them ran at once (want 2 posts + 2 fetches)", n, m)
	}
	if f.posts.inUse() != 2 || f.fetches.inUse() != 2 {
		t.Fatalf("slots held: %d posts, %d fetches; want 2 and 2", f.posts.inUse(), f.fetches.inUse())
	}
}

// TestPostUserAgentAndTimeout: deliveries say who sends them (not "media
// import"), and one that gets no answer in time says it timed out.
func TestPostUserAgentAndTimeout(t *testing.T) {
	var ua atomic.Value
	srv := serveOn(t, "127.0.0.1:0", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ua.Store(r.Header.Get("User-Agent"))
	}))
	slow, _, _ := hangingOrigin(t)
	f, _ := newTestFetcher(t, Config{Allow: loopback8, Timeout: 300 * time.Millisecond})
	if _, err := f.Post(context.Background(), srv.URL, nil, nil, 10); err != nil {
		t.Fatal(err)
	}
	if got := ua.Load(); got != DefaultDeliveryUserAgent || !strings.HasPrefix(DefaultDeliveryUserAgent, "Gallerist-Webhooks/") {
		t.Fatalf("User-Agent %q", got)
	}
	_, err := f.Post(context.Background(), slow+"/hook", nil, nil, 10)
	if fe := asError(t, err, CodeFetchFailed); fe.Message != "Could not deliver to "+slow+"/hook: timed out after 300ms." {
		t.Fatalf("message %q", fe.Message)
	}
}
