package storage

import (
	"net/http"
	"net/http/httptest"
	"net/netip"
	"os"
	"testing"

	"gallerist/data"
	"gallerist/storage/fetch"
)

// tempFiles counts the staging files left in the blob store's temp folder.
func (e *testEnv) tempFiles(t testing.TB) int {
	t.Helper()
	entries, err := os.ReadDir(e.staging.Dir())
	if err != nil {
		t.Fatal(err)
	}
	return len(entries)
}

// The request's staging scope owns what Stage stages: ending it removes the
// files CreateMedia did not take and leaves the library's blob alone.
func TestStagingScope(t *testing.T) {
	t.Run("EndDiscardsWhatWasNotCreated", func(t *testing.T) {
		e := newTestEnv(t)
		ctx, end := data.WithStaging(e.ctx)
		kept := e.stage(t, ctx, "kept.jpg", imageTestdata(t, jpegA))
		e.stage(t, ctx, "dropped.jpg", imageTestdata(t, jpegB))
		e.stage(t, ctx, "dropped.png", imageTestdata(t, pngA))
		ms, err := e.media.CreateMedia(ctx, data.MediaCreate{Files: []*data.Staged{kept}})
		if err != nil {
			t.Fatal(err)
		}
		if n := e.tempFiles(t); n != 2 {
			t.Fatalf("%d staging files before the scope ends, want the 2 not created", n)
		}
		end()
		if n := e.tempFiles(t); n != 0 {
			t.Fatalf("%d staging files after the scope ended, want 0", n)
		}
		if _, err := os.Stat(e.blobPath(ms[0].SHA256)); err != nil {
			t.Fatalf("the created item's blob: %v", err)
		}
	})
	t.Run("URLImportsJoinTheScope", func(t *testing.T) {
		e := newTestEnv(t)
		png := imageTestdata(t, pngB)
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write(png) }))
		defer srv.Close()
		e.media.Fetcher = fetch.New(fetch.Config{Allow: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}})
		ctx, end := data.WithStaging(e.ctx)
		if _, err := e.media.StageURLs(ctx, []string{srv.URL + "/a.png", srv.URL + "/b.png"}); err != nil {
			t.Fatal(err)
		}
		if n := e.tempFiles(t); n != 2 {
			t.Fatalf("%d staging files before the scope ends, want 2", n)
		}
		end()
		if n := e.tempFiles(t); n != 0 {
			t.Fatalf("%d staging files after the scope ended, want 0", n)
		}
	})
	t.Run("WithoutScopeTheCallerDiscards", func(t *testing.T) {
		e := newTestEnv(t)
		st := e.stage(t, e.ctx, "a.jpg", imageTestdata(t, jpegA))
		if n := e.tempFiles(t); n != 1 {
			t.Fatalf("%d staging files, want 1 (outside a scope, the caller's)", n)
		}
		e.media.Discard(st)
		if n := e.tempFiles(t); n != 0 {
			t.Fatalf("%d staging files after Discard", n)
		}
	})
}
