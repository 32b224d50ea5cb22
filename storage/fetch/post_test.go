package fetch

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
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
