package main

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"mime/multipart"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"gallerist/storage"
	"gallerist/storage/s3test"
)

// withS3Proxy is a newTestEnv option: the env's blobs go to a new bucket
// on the shared server, reached through a proxy the test can take down.
// The client tries each request once, so an outage shows at once.
func withS3Proxy(tb testing.TB) (func(*config), *s3test.Proxy) {
	tb.Helper()
	srv := s3test.Shared(tb)
	px := s3test.NewProxy(tb, srv)
	url := px.URL(srv.NewBucket(tb), "gallerist")
	return func(c *config) {
		s3, err := storage.ParseS3URL(url)
		if err != nil {
			tb.Fatal(err)
		}
		s3.MaxRetries = 1
		c.blobs = blobsConfig{s3: &s3, accessKey: srv.AccessKey, secretKey: srv.SecretKey}
	}, px
}

// wantUnavailable checks r is the 503 a store outage answers: code
// unavailable, a Retry-After, and a message that says what happened
// without the store's error.
func wantUnavailable(t *testing.T, what string, r *resp) {
	t.Helper()
	if r.Status != 503 || r.Header.Get("Retry-After") == "" {
		t.Fatalf("%s with the store away: %d (Retry-After %q), want 503 with Retry-After: %s", what, r.Status, r.Header.Get("Retry-After"), r.Body)
	}
	if !strings.Contains(string(r.Body), "cannot reach its file storage") || strings.Contains(string(r.Body), "127.0.0.1") {
		t.Fatalf("%s with the store away says: %s", what, r.Body)
	}
}

// TestRenditionsWaitForTheStore: while the bucket cannot be reached,
// uploads, files and downloads answer 503 unavailable with Retry-After
// (JSON on /api, a page elsewhere), and an item whose renditions are due
// stays pending however often its job finds the store away (those tries
// do not use up the attempts meant for bad files), with no error shown;
// once the store is back the item ends ready with its renditions.
func TestRenditionsWaitForTheStore(t *testing.T) {
	opt, px := withS3Proxy(t)
	e := newTestEnv(t, opt)
	e.app.renderer.StoreBackoff = 20 * time.Millisecond
	tok := e.token(t, 0)
	m := e.uploadOK(t, tok, "photo.jpg", photoJPEG(t, 600, 400))
	id := int64(m["id"].(float64))
	if m["processing"] != "pending" {
		t.Fatalf("processing %v before the workers start", m["processing"])
	}
	fileURL := pathOf(m["url"].(string))
	rendURL := pathOf(m["renditions"].(map[string]any)["320"].(string))

	px.Down()
	before := e.mediaCount(t)
	wantUnavailable(t, "an upload", e.upload(t, tok, upFile{name: "other.jpg", body: photoJPEG(t, 200, 100)}))
	if n := e.mediaCount(t); n != before {
		t.Fatalf("a failed upload left %d rows, had %d", n, before)
	}
	if r := e.upload(t, tok, upFile{name: "other.jpg", body: photoJPEG(t, 200, 100)}); r.errCode(t) != "unavailable" {
		t.Fatalf("code %s", r.errCode(t))
	}
	wantUnavailable(t, "a download", e.do(t, "GET", fmt.Sprintf("/api/media/%d/download", id), tok, nil, ""))
	wantUnavailable(t, "the original", e.do(t, "GET", fileURL, "", nil, ""))
	wantUnavailable(t, "an on-demand rendition", e.do(t, "GET", rendURL, "", nil, ""))
	// The library's upload form without script: a page that says so.
	c := loggedInClient(t, e)
	c.get(t, "/media") // its CSRF token
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	w.WriteField("_csrf", c.csrf)
	fw, _ := w.CreateFormFile("file", "form.jpg")
	fw.Write(photoJPEG(t, 120, 80))
	w.Close()
	st, page := c.req(t, "POST", "/media/upload", &buf, w.FormDataContentType())
	if st != 503 || !strings.Contains(c.header.Get("Content-Type"), "text/html") || !strings.Contains(page, "cannot reach its file storage") {
		t.Fatalf("the upload form with the store away: %d %s: %.300s", st, c.header.Get("Content-Type"), page)
	}
	if n := e.mediaCount(t); n != before {
		t.Fatalf("failed uploads left %d rows, had %d", n, before)
	}
	if left, _ := os.ReadDir(e.app.staging.Dir()); len(left) != 0 {
		t.Fatalf("failed uploads left staging files: %v", left)
	}

	e.startRenderer(t)
	deadline := time.Now().Add(60 * time.Second)
	for e.app.renderer.StoreWaits() <= int64(e.app.renderer.MaxAttempts) {
		if time.Now().After(deadline) {
			t.Fatalf("the job met the store away %d times in 60 s", e.app.renderer.StoreWaits())
		}
		time.Sleep(20 * time.Millisecond)
	}
	if !e.app.renderer.WaitingForStore() {
		t.Fatal("the renderer does not say it waits for the store")
	}
	got := e.getJSON(t, fmt.Sprintf("/api/media/%d", id), tok).json(t)
	if got["processing"] != "pending" || got["processing_error"] != nil {
		t.Fatalf("while the store is away: processing %v, error %v", got["processing"], got["processing_error"])
	}

	px.Up(t)
	got = e.waitProcessed(t, tok, float64(id))
	if got["processing"] != "ready" || got["processing_error"] != nil {
		t.Fatalf("after the store came back: processing %v, error %v", got["processing"], got["processing_error"])
	}
	rends := got["renditions"].(map[string]any)
	if len(rends) == 0 {
		t.Fatal("no renditions")
	}
	for slot, u := range rends {
		if r := e.do(t, "GET", pathOf(u.(string)), "", nil, ""); r.Status != 200 {
			t.Fatalf("rendition %s: %d", slot, r.Status)
		}
	}
	if e.app.renderer.WaitingForStore() {
		t.Fatal("the renderer still says it waits for the store")
	}
}

// TestReuploadRetriesFailedItem: uploading the bytes of a failed item
// again queues them again instead of failing the new item at once (a
// failure may have been the server's, such as a store outage before they
// were waited out), and the old item waits for the same new attempt.
func TestReuploadRetriesFailedItem(t *testing.T) {
	e := newTestEnv(t)
	tok := e.token(t, 0)
	body := photoJPEG(t, 300, 200)
	old := e.uploadOK(t, tok, "photo.jpg", body)
	oldID := int64(old["id"].(float64))
	// What an outage left before: failed for good, the store's error shown.
	if err := e.app.db.ExecForTest(`UPDATE media SET processing = 'failed', processing_error = 'The image could not be decoded (S3 bucket "media" at http://127.0.0.1:7070: connection refused)' WHERE id = ?`, oldID); err != nil {
		t.Fatal(err)
	}
	if err := e.app.db.ExecForTest(`DELETE FROM rendition_jobs`); err != nil {
		t.Fatal(err)
	}
	again := e.uploadOK(t, tok, "photo-again.jpg", body)
	if again["processing"] != "pending" {
		t.Fatalf("the new upload is %v", again["processing"])
	}
	if m := e.getJSON(t, fmt.Sprintf("/api/media/%d", oldID), tok).json(t); m["processing"] != "pending" || m["processing_error"] != nil {
		t.Fatalf("the failed item: %v %v", m["processing"], m["processing_error"])
	}
	e.startRenderer(t)
	for _, id := range []float64{float64(oldID), again["id"].(float64)} {
		if m := e.waitProcessed(t, tok, id); m["processing"] != "ready" || len(m["renditions"].(map[string]any)) == 0 {
			t.Fatalf("item %v: %v %v", id, m["processing"], m["renditions"])
		}
	}
}

// TestMissingBlobIsReported: a live item whose file the store lost answers
// a plain 404, and the operator hears of it: one warning per key (with
// where the file should be), and gallerist_blob_missing_total counts
// every such request.
func TestMissingBlobIsReported(t *testing.T) {
	var logs syncBuffer
	e := newTestEnv(t, func(c *config) { c.metricsAddr = "127.0.0.1:0" })
	e.app.db.Log = slog.New(slog.NewJSONHandler(&logs, nil))
	e.startRenderer(t)
	tok := e.token(t, 0)
	m := e.waitProcessed(t, tok, e.uploadOK(t, tok, "a.jpg", photoJPEG(t, 400, 300))["id"].(float64))
	sha := m["sha256"].(string)
	ctx := context.Background()
	for _, key := range []string{sha, sha + "/320.jpg"} {
		if err := e.app.blobs.Delete(ctx, key); err != nil {
			t.Fatal(err)
		}
	}
	before := storage.Stats.BlobsMissing()
	for range 2 {
		for _, u := range []string{pathOf(m["url"].(string)), pathOf(m["renditions"].(map[string]any)["320"].(string)),
			fmt.Sprintf("/api/media/%d/download", int64(m["id"].(float64)))} {
			if r := e.do(t, "GET", u, tok, nil, ""); r.Status != 404 {
				t.Fatalf("GET %s: %d", u, r.Status)
			}
		}
	}
	if n := storage.Stats.BlobsMissing() - before; n != 6 {
		t.Errorf("%d missing files counted, want 6", n)
	}
	warned := map[string]int{}
	for _, l := range jsonLines(t, logs.String()) {
		if strings.Contains(fmt.Sprint(l["msg"]), "missing") {
			warned[fmt.Sprint(l["key"])]++
			if !strings.Contains(fmt.Sprint(l["location"]), sha[:8]) {
				t.Errorf("warning without the location: %v", l)
			}
		}
	}
	if len(warned) != 2 || warned[sha] != 1 || warned[sha+"/320.jpg"] != 1 {
		t.Errorf("warnings by key: %v, want one for each lost file", warned)
	}
	rec := httptest.NewRecorder()
	e.srv.MetricsHandler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	if !strings.Contains(rec.Body.String(), "gallerist_blob_missing_total ") {
		t.Error("no gallerist_blob_missing_total in the metrics")
	}
}

// TestReprocessFailedItem: POST /api/media/{id}/reprocess queues a failed
// image again (its attempts start over) and it ends ready; an item that
// did not fail is left as it is, and another organization's is not found.
func TestReprocessFailedItem(t *testing.T) {
	e := newTestEnv(t)
	tok := e.token(t, 0)
	m := e.uploadOK(t, tok, "photo.jpg", photoJPEG(t, 300, 200))
	id := int64(m["id"].(float64))
	if err := e.app.db.ExecForTest(`UPDATE media SET processing = 'failed', processing_error = 'Making thumbnails of this image failed on the server' WHERE id = ?`, id); err != nil {
		t.Fatal(err)
	}
	if err := e.app.db.ExecForTest(`DELETE FROM rendition_jobs`); err != nil {
		t.Fatal(err)
	}
	path := fmt.Sprintf("/api/media/%d/reprocess", id)
	org, err := e.app.orgs.CreateOrg(context.Background(), "other", "Other store")
	if err != nil {
		t.Fatal(err)
	}
	other := e.token(t, org.ID)
	if r := e.do(t, "POST", path, other, nil, ""); r.Status != 404 {
		t.Fatalf("another organization's item: %d", r.Status)
	}
	r := e.do(t, "POST", path, tok, nil, "")
	if got := r.json(t); r.Status != 200 || got["processing"] != "pending" || got["processing_error"] != nil {
		t.Fatalf("reprocess: %d %s", r.Status, r.Body)
	}
	e.startRenderer(t)
	if got := e.waitProcessed(t, tok, float64(id)); got["processing"] != "ready" || len(got["renditions"].(map[string]any)) == 0 {
		t.Fatalf("after reprocessing: %v %v", got["processing"], got["processing_error"])
	}
	if got := e.do(t, "POST", path, tok, nil, "").json(t); got["processing"] != "ready" {
		t.Fatalf("reprocessing a ready item: %v", got["processing"])
	}
}
