package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"gallerist/data"
	"gallerist/storage"
)

func TestMediaLifecycle(t *testing.T) {
	e := newTestEnv(t)
	tok := e.token(t, 0)
	jpg := readFile(t, goImageTestdata("video-001.jpeg"))
	png := readFile(t, goImageTestdata("video-001.png"))

	m := e.uploadOK(t, tok, "front.jpg", jpg)
	id := int64(m["id"].(float64))
	sum := sha256.Sum256(jpg)
	if m["kind"] != "image" || m["mime_type"] != "image/jpeg" || m["width"] != 150.0 || m["height"] != 103.0 ||
		m["sha256"] != hex.EncodeToString(sum[:]) || m["filename"] != "front.jpg" || m["created_by"] != "token:test" {
		t.Fatalf("unexpected media object: %v", m)
	}

	t.Run("OK list", func(t *testing.T) {
		e.uploadOK(t, tok, "back.png", png)
		r := e.getJSON(t, "/api/media", tok)
		body := r.json(t)
		if r.Status != 200 || body["total"] != 2.0 || body["limit"] != 24.0 {
			t.Fatalf("list: %d %s", r.Status, r.Body)
		}
		first := body["data"].([]any)[0].(map[string]any)
		if first["filename"] != "back.png" {
			t.Fatalf("newest first: got %v", first["filename"])
		}
	})
	t.Run("OK search and kind", func(t *testing.T) {
		r := e.getJSON(t, "/api/media?q=FRONT&kind=image&fields=id,filename", tok)
		body := r.json(t)
		data := body["data"].([]any)
		if len(data) != 1 || len(data[0].(map[string]any)) != 2 {
			t.Fatalf("search: %s", r.Body)
		}
	})
	t.Run("OK patch alt and filename", func(t *testing.T) {
		r := e.sendJSON(t, "PATCH", fmt.Sprintf("/api/media/%d", id), tok, map[string]any{"alt": "Red mug, front", "filename": "mug-front.jpg"})
		if r.Status != 200 || r.json(t)["alt"] != "Red mug, front" {
			t.Fatalf("patch: %d %s", r.Status, r.Body)
		}
		r = e.getJSON(t, "/api/media?q=red%20mug", tok)
		if r.json(t)["total"] != 1.0 {
			t.Fatalf("alt search: %s", r.Body)
		}
		r = e.sendJSON(t, "PATCH", fmt.Sprintf("/api/media/%d", id), tok, map[string]any{"alt": nil})
		if r.Status != 200 || r.json(t)["alt"] != nil {
			t.Fatalf("clear alt: %d %s", r.Status, r.Body)
		}
	})
	t.Run("OK download and public URL", func(t *testing.T) {
		r := e.do(t, "GET", fmt.Sprintf("/api/media/%d/download", id), tok, nil, "")
		if r.Status != 200 || !bytes.Equal(r.Body, jpg) || !strings.HasPrefix(r.Header.Get("Content-Disposition"), "attachment") {
			t.Fatalf("download: %d %v", r.Status, r.Header)
		}
		url := strings.TrimPrefix(m["url"].(string), "http://example.com")
		r = e.do(t, "GET", url, "", nil, "")
		if r.Status != 200 || !bytes.Equal(r.Body, jpg) || r.Header.Get("Cache-Control") != "public, max-age=31536000, immutable" ||
			r.Header.Get("X-Content-Type-Options") != "nosniff" || r.Header.Get("Content-Type") != "image/jpeg" {
			t.Fatalf("public: %d %v", r.Status, r.Header)
		}
		etag := r.Header.Get("ETag")
		if r := e.do(t, "GET", url, "", nil, "", "If-None-Match", etag); r.Status != 304 || len(r.Body) != 0 {
			t.Fatalf("304: %d", r.Status)
		}
		if r := e.do(t, "GET", url, "", nil, "", "Range", "bytes=10-19"); r.Status != 206 || !bytes.Equal(r.Body, jpg[10:20]) ||
			r.Header.Get("Content-Range") != fmt.Sprintf("bytes 10-19/%d", len(jpg)) {
			t.Fatalf("range: %d %v", r.Status, r.Header)
		}
		if r := e.do(t, "GET", url, "", nil, "", "Range", fmt.Sprintf("bytes=%d-", len(jpg)+5)); r.Status != 416 {
			t.Fatalf("416: %d", r.Status)
		}
		if r := e.do(t, "HEAD", url, "", nil, ""); r.Status != 200 || len(r.Body) != 0 || r.Header.Get("Content-Length") != fmt.Sprint(len(jpg)) {
			t.Fatalf("head: %d %v", r.Status, r.Header)
		}
	})
	t.Run("OK trash restore purge", func(t *testing.T) {
		if r := e.do(t, "DELETE", fmt.Sprintf("/api/media/%d?purge=true", id), tok, nil, ""); r.Status != 422 || r.errCode(t) != data.ECNotTrashed {
			t.Fatalf("purge live: %d %s", r.Status, r.Body)
		}
		if r := e.do(t, "DELETE", fmt.Sprintf("/api/media/%d", id), tok, nil, ""); r.Status != 204 {
			t.Fatalf("delete: %d %s", r.Status, r.Body)
		}
		if r := e.getJSON(t, "/api/media?deleted=only", tok); r.json(t)["total"] != 1.0 {
			t.Fatalf("trash: %s", r.Body)
		}
		url := strings.TrimPrefix(m["url"].(string), "http://example.com")
		if r := e.do(t, "GET", url, "", nil, ""); r.Status != 404 {
			t.Fatalf("trashed public file: %d", r.Status)
		}
		if r := e.sendJSON(t, "POST", fmt.Sprintf("/api/media/%d/restore", id), tok, nil); r.Status != 200 || r.json(t)["deleted_at"] != nil {
			t.Fatalf("restore: %d %s", r.Status, r.Body)
		}
		e.do(t, "DELETE", fmt.Sprintf("/api/media/%d", id), tok, nil, "")
		if r := e.do(t, "DELETE", fmt.Sprintf("/api/media/%d?purge=true", id), tok, nil, ""); r.Status != 204 {
			t.Fatalf("purge: %d %s", r.Status, r.Body)
		}
		if r := e.getJSON(t, fmt.Sprintf("/api/media/%d", id), tok); r.Status != 404 {
			t.Fatalf("after purge: %d", r.Status)
		}
	})
	t.Run("OK base64 attachment and duplicate", func(t *testing.T) {
		body := fmt.Sprintf(`{"filename": "again.png", "alt": "a frame", "attachment": "%s"}`, base64.StdEncoding.EncodeToString(png))
		r := e.sendJSON(t, "POST", "/api/media", tok, body)
		if r.Status != 201 {
			t.Fatalf("base64: %d %s", r.Status, r.Body)
		}
		got := r.json(t)["media"].([]any)[0].(map[string]any)
		if got["filename"] != "again.png" || got["alt"] != "a frame" || got["duplicate_of"] == nil {
			t.Fatalf("base64 object: %v", got)
		}
	})
}

// TestConcurrentListsDoNotStarveThePool: more simultaneous lists (with
// filters whose statements are prepared on first use) than reader connections.
func TestConcurrentListsDoNotStarveThePool(t *testing.T) {
	e := newTestEnv(t)
	tok := e.token(t, 0)
	seedMedia(t, e, 500)
	var wg sync.WaitGroup
	for i := 0; i < 32; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for _, q := range []string{"q=mug", "kind=image&q=number", "sort=size&q=1", "used=false", "missing_alt=true"} {
				if r := e.getJSON(t, "/api/media?"+q, tok); r.Status != 200 {
					t.Errorf("%s: %d", q, r.Status)
				}
			}
		}()
	}
	wg.Wait()
}

// TestListAnswersFollowEveryWrite: list answers are cached per database
// version, so a change made by this server or by another process (here a
// second connection to the same file) shows at once.
func TestListAnswersFollowEveryWrite(t *testing.T) {
	e := newTestEnv(t)
	tok := e.token(t, 0)
	m := e.uploadOK(t, tok, "a.png", realPNG(t, 5, 5))
	first := e.getJSON(t, "/api/media", tok).Body
	if again := e.getJSON(t, "/api/media", tok).Body; !bytes.Equal(first, again) {
		t.Fatal("same data, different answers")
	}
	e.sendJSON(t, "PATCH", fmt.Sprintf("/api/media/%d", int64(m["id"].(float64))), tok, map[string]any{"alt": "through the API"})
	if !bytes.Contains(e.getJSON(t, "/api/media", tok).Body, []byte("through the API")) {
		t.Fatal("stale answer after an API write")
	}
	other, err := storage.OpenDB(context.Background(), filepath.Join(e.dir, "gallerist.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	if err := other.ExecForTest(`UPDATE media SET alt = 'from another process'`); err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(e.getJSON(t, "/api/media", tok).Body, []byte("from another process")) {
		t.Fatal("stale answer after another process wrote")
	}
}

// TestMediaListParameters: sort, since_id, pagination, kind and fields mean
// what the API documents, and bad values answer 400 naming the parameter.
func TestMediaListParameters(t *testing.T) {
	e := newTestEnv(t)
	tok := e.token(t, 0)
	names := []string{"b.png", "C.png", "a.png"}
	var ids []int64
	for i, n := range names {
		ids = append(ids, int64(e.uploadOK(t, tok, n, realPNG(t, 4+i*3, 4))["id"].(float64)))
	}
	order := func(q string) []string {
		r := e.getJSON(t, "/api/media?"+q, tok)
		if r.Status != 200 {
			t.Fatalf("%s: %d %s", q, r.Status, r.Body)
		}
		var out []string
		for _, m := range r.json(t)["data"].([]any) {
			out = append(out, m.(map[string]any)["filename"].(string))
		}
		return out
	}
	check := func(q string, want ...string) {
		t.Helper()
		if got := order(q); strings.Join(got, ",") != strings.Join(want, ",") {
			t.Errorf("%s: got %v, want %v", q, got, want)
		}
	}
	check("", "a.png", "C.png", "b.png") // newest first
	check("sort=created_at", "b.png", "C.png", "a.png")
	check("sort=filename", "a.png", "b.png", "C.png") // case-insensitive
	check("sort=-filename", "C.png", "b.png", "a.png")
	check("sort=size", "b.png", "C.png", "a.png")
	check("sort=-size", "a.png", "C.png", "b.png")
	check(fmt.Sprintf("since_id=%d", ids[0]), "C.png", "a.png") // ascending after the id
	check("limit=1&offset=1", "C.png")
	check("kind=video")
	if r := e.getJSON(t, "/api/media?limit=1", tok).json(t); r["total"] != 3.0 || r["limit"] != 1.0 {
		t.Errorf("envelope: %v", r)
	}
	for _, bad := range []string{"limit=0", "limit=101", "limit=x", "offset=-1", "kind=pictures", "sort=width", "since_id=-3", "fields=secret", "deleted=all", "used=maybe"} {
		r := e.getJSON(t, "/api/media?"+bad, tok)
		if r.Status != 400 || r.errCode(t) != data.ECInvalidParameter {
			t.Errorf("%s: %d %s", bad, r.Status, r.Body)
		}
		param := strings.SplitN(bad, "=", 2)[0]
		if r.json(t)["error"].(map[string]any)["parameter"] != param {
			t.Errorf("%s: error does not name the parameter: %s", bad, r.Body)
		}
	}
	// Deep offsets cost as much as reading every row skipped: since_id goes further.
	if r := e.getJSON(t, fmt.Sprintf("/api/media?offset=%d", data.MaxMediaOffset), tok); r.Status != 200 {
		t.Errorf("offset=%d: %d %s", data.MaxMediaOffset, r.Status, r.Body)
	}
	if r := e.getJSON(t, fmt.Sprintf("/api/media?q=a&offset=%d", data.MaxMediaOffset+1), tok); r.Status != 400 || r.errCode(t) != data.ECInvalidParameter ||
		r.json(t)["error"].(map[string]any)["message"] != "offset can be at most 10000 in a media list; to go through more, page with since_id (the last id of the page before)." {
		t.Errorf("offset past the cap: %d %s", r.Status, r.Body)
	}
	// PATCH rules.
	p := fmt.Sprintf("/api/media/%d", ids[0])
	for body, code := range map[string]string{
		`{}`:                      data.ECEmptyUpdate,
		``:                        data.ECEmptyUpdate,
		`{"colour": "red"}`:       data.ECUnknownField,
		`{"filename": ""}`:        data.ECInvalidField,
		`{"filename": "a/b.png"}`: data.ECInvalidField,
		`{"filename": null}`:      data.ECInvalidField,
		`{"alt": 5}`:              data.ECInvalidField,
		`{"alt": "line\nbreak"}`:  data.ECInvalidField,
		`{"alt": "x"`:             data.ECInvalidJSON,
	} {
		before := e.snapshot(t)
		r := e.sendJSON(t, "PATCH", p, tok, body)
		if r.errCode(t) != code {
			t.Errorf("PATCH %s: %d %s, want %s", body, r.Status, r.Body, code)
		}
		if e.snapshot(t) != before {
			t.Errorf("PATCH %s changed state", body)
		}
	}
}
