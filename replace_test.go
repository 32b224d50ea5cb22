package main

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/base64"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"gallerist/data"
	"gallerist/storage"
)

// replaceFile replaces an item's file through the API with a multipart upload.
func (e *testEnv) replaceFile(t testing.TB, tok string, id int64, name string, body []byte, fields map[string]string) *resp {
	t.Helper()
	mb, ct := multipartBody(t, []upFile{{name: name, body: body}}, fields)
	return e.do(t, "POST", fmt.Sprintf("/api/media/%d/replace", id), tok, mb, ct)
}

// replaceOK replaces an item's file and returns the item as answered.
func (e *testEnv) replaceOK(t testing.TB, tok string, id int64, name string, body []byte) map[string]any {
	t.Helper()
	r := e.replaceFile(t, tok, id, name, body, nil)
	if r.Status != 200 {
		t.Fatalf("replace %d with %s: %d %s", id, name, r.Status, r.Body)
	}
	return r.json(t)
}

// csrfTokenRE matches the per-page CSRF token, for comparing pages.
var csrfTokenRE = regexp.MustCompile(`[A-Za-z0-9_-]{43}`)

// Issue 16, item 1: a replaced file shows at once in every place that used
// the item (they name the media id), the id stays, alt and filename stay,
// and the stable URL follows to the new file.
func TestReplaceKeepsPlaces(t *testing.T) {
	e := newTestEnv(t)
	tok := e.token(t, 0)
	jpg := readFile(t, goImageTestdata("video-001.jpeg"))
	newJPG := readFile(t, goImageTestdata("video-001.q50.420.jpeg"))

	m := e.uploadOK(t, tok, "mug.jpg", jpg)
	id := idOf(m)
	if r := e.sendJSON(t, "PATCH", fmt.Sprintf("/api/media/%d", id), tok, map[string]any{"alt": "Red mug"}); r.Status != 200 {
		t.Fatalf("alt: %d %s", r.Status, r.Body)
	}
	pid := e.createProduct(t, tok, "Mug")
	img := idOf(e.attachOK(t, tok, pid, id))
	vid := idOf(e.sendJSON(t, "POST", fmt.Sprintf("/api/products/%d/variants", pid), tok, map[string]any{"title": "Red"}).json(t))
	if r := e.sendJSON(t, "PUT", fmt.Sprintf("/api/products/%d/variants/%d/image", pid, vid), tok, map[string]any{"image_id": img}); r.Status != 200 {
		t.Fatalf("variant image: %d %s", r.Status, r.Body)
	}
	cid := idOf(e.sendJSON(t, "POST", "/api/collections", tok, map[string]any{"title": "Summer"}).json(t))
	if r := e.sendJSON(t, "PUT", fmt.Sprintf("/api/collections/%d/image", cid), tok, map[string]any{"media_id": id}); r.Status != 200 {
		t.Fatalf("collection image: %d %s", r.Status, r.Body)
	}
	gr := e.getJSON(t, fmt.Sprintf("/api/media/%d", id), tok)
	etag := gr.Header.Get("ETag")
	got := gr.json(t)
	stable, _ := got["stable_url"].(string)
	if !strings.Contains(stable, fmt.Sprintf("/m/%d/", id)) {
		t.Fatalf("stable_url: %v", got["stable_url"])
	}
	r := e.do(t, "GET", pathOf(stable), "", nil, "")
	if r.Status != 302 || pathOf(r.Header.Get("Location")) != pathOf(m["url"].(string)) {
		t.Fatalf("stable URL before: %d %v, want %s", r.Status, r.Header.Get("Location"), m["url"])
	}

	after := e.replaceOK(t, tok, id, "mug-v2.jpg", newJPG)
	newURL := after["url"].(string)
	if idOf(after) != id || after["sha256"] != shaHex(newJPG) || newURL == m["url"] || after["alt"] != "Red mug" ||
		after["filename"] != "mug.jpg" || after["original_filename"] != "mug-v2.jpg" || after["stable_url"] != stable || after["size"] != float64(len(newJPG)) {
		t.Fatalf("replaced item: %v", after)
	}
	t.Run("the item's ETag moves", func(t *testing.T) {
		if r := e.do(t, "GET", fmt.Sprintf("/api/media/%d", id), tok, nil, "", "If-None-Match", etag); r.Status != 200 || r.Header.Get("ETag") == etag {
			t.Fatalf("If-None-Match with the old tag: %d %s", r.Status, r.Header.Get("ETag"))
		}
	})
	t.Run("gallery", func(t *testing.T) {
		r := e.getJSON(t, fmt.Sprintf("/api/products/%d/images/%d", pid, img), tok).json(t)
		if r["src"] != newURL || idOf(r) != img || r["media_id"] != float64(id) {
			t.Fatalf("gallery image: %v, want src %s", r, newURL)
		}
		p := e.getJSON(t, fmt.Sprintf("/api/products/%d", pid), tok).json(t)
		if p["featured_image"].(map[string]any)["src"] != newURL {
			t.Fatalf("featured image: %v", p["featured_image"])
		}
	})
	t.Run("variant", func(t *testing.T) {
		v := e.getJSON(t, fmt.Sprintf("/api/products/%d/variants/%d", pid, vid), tok).json(t)
		if v["image"].(map[string]any)["src"] != newURL || v["image_id"] != float64(img) {
			t.Fatalf("variant: %v", v)
		}
	})
	t.Run("collection", func(t *testing.T) {
		c := e.getJSON(t, fmt.Sprintf("/api/collections/%d", cid), tok).json(t)
		if c["image"].(map[string]any)["src"] != newURL || c["media_id"] != float64(id) {
			t.Fatalf("collection: %v", c)
		}
	})
	t.Run("stable URL", func(t *testing.T) {
		r := e.do(t, "GET", pathOf(stable), "", nil, "")
		if r.Status != 302 || pathOf(r.Header.Get("Location")) != pathOf(newURL) || r.Header.Get("Cache-Control") != "no-cache" {
			t.Fatalf("stable URL after: %d %v, want %s", r.Status, r.Header, newURL)
		}
		f := e.do(t, "GET", pathOf(r.Header.Get("Location")), "", nil, "")
		if f.Status != 200 || !bytes.Equal(f.Body, newJPG) {
			t.Fatalf("followed: %d, %d bytes", f.Status, len(f.Body))
		}
		if old := e.do(t, "GET", pathOf(m["url"].(string)), "", nil, ""); old.Status != 404 {
			t.Fatalf("the old content URL still answers %d", old.Status)
		}
	})
	t.Run("stable URL of a rendition", func(t *testing.T) {
		e.startRenderer(t)
		ready := e.waitProcessed(t, tok, float64(id))
		want := ready["renditions"].(map[string]any)["100"].(string)
		r := e.do(t, "GET", pathOf(stable)+"?w=100", "", nil, "")
		if r.Status != 302 || pathOf(r.Header.Get("Location")) != pathOf(want) {
			t.Fatalf("?w=100: %d %s, want %s", r.Status, r.Header.Get("Location"), want)
		}
		for _, q := range []string{"?w=241", "?w=abc", "?w=0"} {
			if r := e.do(t, "GET", pathOf(stable)+q, "", nil, ""); r.Status != 404 {
				t.Errorf("%s: %d", q, r.Status)
			}
		}
	})
	t.Run("wrong key is 404 and says nothing", func(t *testing.T) {
		key := stable[strings.LastIndex(stable, "/")+1:]
		wrong := strings.Repeat("0", len(key))
		a := e.do(t, "GET", fmt.Sprintf("/m/%d/%s", id, wrong), "", nil, "")
		b := e.do(t, "GET", fmt.Sprintf("/m/%d/%s", id+1000, key), "", nil, "")
		c := e.do(t, "GET", fmt.Sprintf("/m/%d/short", id), "", nil, "")
		same := func(x, y *resp) bool {
			return bytes.Equal(csrfTokenRE.ReplaceAll(x.Body, nil), csrfTokenRE.ReplaceAll(y.Body, nil))
		}
		if a.Status != 404 || b.Status != 404 || c.Status != 404 || !same(a, b) || !same(a, c) {
			t.Fatalf("wrong key: %d %s / %d %s / %d %s", a.Status, a.Body, b.Status, b.Body, c.Status, c.Body)
		}
	})
	t.Run("JSON attachment sets filename and alt", func(t *testing.T) {
		png := realPNG(t, 20, 10)
		r := e.sendJSON(t, "POST", fmt.Sprintf("/api/media/%d/replace", id), tok, map[string]any{
			"attachment": base64.StdEncoding.EncodeToString(png), "filename": "mug.png", "alt": "Red mug, side"})
		j := r.json(t)
		if r.Status != 200 || j["filename"] != "mug.png" || j["alt"] != "Red mug, side" || j["mime_type"] != "image/png" || j["width"] != 20.0 {
			t.Fatalf("JSON replace: %d %s", r.Status, r.Body)
		}
	})
	e.checkCatalogInvariants(t)
}

// A replacement that fails any check changes nothing: no row, no blob, no
// temporary file; the item keeps its file.
func TestReplaceRefused(t *testing.T) {
	e := newTestEnv(t, func(c *config) {
		c.limits.KindBytes = map[data.Kind]int64{data.KindImage: 25 << 10, data.KindDocument: 1 << 20, data.KindVideo: 1 << 20, data.KindAudio: 1 << 20}
	})
	tok := e.token(t, 0)
	jpg := readFile(t, goImageTestdata("video-001.jpeg"))
	m := e.uploadOK(t, tok, "mug.jpg", jpg)
	id := idOf(m)
	big := readFile(t, goImageTestdata("video-001.png")) // 29 KB
	cases := []struct {
		name   string
		send   func() *resp
		status int
		code   string
	}{
		{"a PDF for an image", func() *resp { return e.replaceFile(t, tok, id, "price-list.pdf", realPDF(t), nil) }, 422, data.ECKindMismatch},
		{"over the image limit", func() *resp { return e.replaceFile(t, tok, id, "big.png", big, nil) }, 413, data.ECTooLarge},
		{"truncated JPEG", func() *resp {
			return e.replaceFile(t, tok, id, "t.jpg", readFile(t, goImageTestdata("video-001.progressive.truncated.jpeg")), nil)
		}, 422, data.ECCorruptFile},
		{"HTML named .jpg", func() *resp {
			return e.replaceFile(t, tok, id, "x.jpg", []byte("<html><script>alert(1)</script></html>"), nil)
		}, 415, data.ECUnsupportedType},
		{"two files", func() *resp {
			mb, ct := multipartBody(t, []upFile{{name: "a.jpg", body: jpg}, {name: "b.jpg", body: jpg}}, nil)
			return e.do(t, "POST", fmt.Sprintf("/api/media/%d/replace", id), tok, mb, ct)
		}, 400, data.ECTooManyFiles},
		{"no file", func() *resp {
			mb, ct := multipartBody(t, nil, map[string]string{"alt": "x"})
			return e.do(t, "POST", fmt.Sprintf("/api/media/%d/replace", id), tok, mb, ct)
		}, 400, data.ECMissingFile},
		{"alt too long", func() *resp {
			return e.replaceFile(t, tok, id, "ok.png", realPNG(t, 8, 8), map[string]string{"alt": strings.Repeat("a", 1001)})
		}, 422, data.ECInvalidField},
		{"bad base64", func() *resp {
			return e.sendJSON(t, "POST", fmt.Sprintf("/api/media/%d/replace", id), tok, `{"filename": "a.png", "attachment": "!!!"}`)
		}, 400, data.ECInvalidBase64},
		{"unknown field", func() *resp {
			return e.replaceFile(t, tok, id, "ok.png", realPNG(t, 8, 8), map[string]string{"colour": "red"})
		}, 422, data.ECUnknownField},
		{"stale If-Match", func() *resp {
			mb, ct := multipartBody(t, []upFile{{name: "ok.png", body: realPNG(t, 8, 8)}}, nil)
			return e.do(t, "POST", fmt.Sprintf("/api/media/%d/replace", id), tok, mb, ct, "If-Match", `W/"m1-0000-0000"`)
		}, 412, data.ECPreconditionFailed},
		{"no such item", func() *resp { return e.replaceFile(t, tok, id+99, "ok.png", realPNG(t, 8, 8), nil) }, 404, data.ECNotFound},
		{"token without media:update", func() *resp {
			return e.replaceFile(t, e.tokenWithout(t, data.ScopeMediaUpdate), id, "ok.png", realPNG(t, 8, 8), nil)
		}, 403, data.ECMissingScope},
	}
	before := e.snapshot(t)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := c.send()
			if r.Status != c.status || r.errCode(t) != c.code {
				t.Fatalf("%d %s, want %d %s", r.Status, r.Body, c.status, c.code)
			}
			if after := e.snapshot(t); after != before {
				t.Fatalf("something changed:\nbefore %s\nafter %s", before, after)
			}
			if left := leftovers(t, e.dir); len(left) > 0 {
				t.Fatalf("temporary files left: %v", left)
			}
			var versions int
			if err := e.app.db.QueryRowForTest(`SELECT COUNT(*) FROM media_versions`).Scan(&versions); err != nil || versions != 0 {
				t.Fatalf("versions: %d %v", versions, err)
			}
			if got := e.getJSON(t, fmt.Sprintf("/api/media/%d", id), tok).json(t); got["sha256"] != m["sha256"] {
				t.Fatalf("the item's file changed: %v", got["sha256"])
			}
		})
	}
	t.Run("the mismatch message says what to do", func(t *testing.T) {
		r := e.replaceFile(t, tok, id, "price-list.pdf", realPDF(t), nil)
		msg := r.json(t)["error"].(map[string]any)["message"].(string)
		if !strings.Contains(msg, "price-list.pdf is a document, but mug.jpg is an image") {
			t.Fatalf("message: %s", msg)
		}
	})
}

// Versions are listed newest first, restorable, and kept for the grace
// period after they stopped being current; GC then drops them and the blobs
// nothing else needs.
func TestReplacedVersionGC(t *testing.T) {
	e := newTestEnv(t)
	t0 := time.Now().Add(-30 * 24 * time.Hour).Truncate(time.Millisecond)
	clock := e.useClock(t0)
	tok := e.token(t, 0)
	v1, v2, v3 := pngOf(t, 1), pngOf(t, 2), pngOf(t, 3)
	id := idOf(e.uploadOK(t, tok, "a.png", v1))
	clock.Advance(time.Hour)
	e.replaceOK(t, tok, id, "b.png", v2)
	clock.Advance(3 * 24 * time.Hour)
	e.replaceOK(t, tok, id, "c.png", v3)

	list := e.getJSON(t, fmt.Sprintf("/api/media/%d/versions", id), tok).json(t)
	items := list["data"].([]any)
	if list["total"] != 2.0 || len(items) != 2 || items[0].(map[string]any)["sha256"] != shaHex(v2) || items[1].(map[string]any)["sha256"] != shaHex(v1) ||
		items[1].(map[string]any)["replaced_by"] != "token:test" || items[1].(map[string]any)["original_filename"] != "a.png" {
		t.Fatalf("versions: %v", list)
	}
	if page := e.getJSON(t, fmt.Sprintf("/api/media/%d/versions?limit=1&offset=1", id), tok).json(t); len(page["data"].([]any)) != 1 ||
		page["data"].([]any)[0].(map[string]any)["sha256"] != shaHex(v1) || page["total"] != 2.0 {
		t.Fatalf("page 2: %v", page)
	}

	ctx := context.Background()
	grace := 7 * 24 * time.Hour
	clock.Advance(5 * 24 * time.Hour) // v1 replaced 8 days ago, v2 5 days ago
	dry, err := e.app.media.CollectGarbage(ctx, true, grace)
	if err != nil || len(dry.Versions) != 1 || dry.Versions[0].SHA256 != shaHex(v1) {
		t.Fatalf("dry run: %+v %v", dry, err)
	}
	rep, err := e.app.media.CollectGarbage(ctx, false, grace)
	if err != nil || len(rep.Versions) != 1 || rep.Versions[0].SHA256 != shaHex(v1) || len(rep.Blobs) != 1 || rep.Blobs[0] != shaHex(v1) {
		t.Fatalf("gc past v1's grace: %+v %v", rep, err)
	}
	if e.hasBlob(t, shaHex(v1)) || !e.hasBlob(t, shaHex(v2)) || !e.hasBlob(t, shaHex(v3)) {
		t.Fatalf("blobs after the first gc: v1 %v v2 %v v3 %v", e.hasBlob(t, shaHex(v1)), e.hasBlob(t, shaHex(v2)), e.hasBlob(t, shaHex(v3)))
	}
	if rep, err := e.app.media.CollectGarbage(ctx, false, grace); err != nil || len(rep.Versions)+len(rep.Blobs)+len(rep.Orphans) != 0 {
		t.Fatalf("gc within v2's grace removed something: %+v %v", rep, err)
	}
	if vr, err := storage.Verify(ctx, e.dir, storage.VerifyOptions{Blobs: e.app.blobs}); err != nil || !vr.Clean() || vr.Versions != 1 {
		t.Fatalf("verify: %+v %v", vr, err)
	}
	// A pinned version outlives the grace period; unpinned, it goes.
	v2id := idOf(e.getJSON(t, fmt.Sprintf("/api/media/%d/versions", id), tok).json(t)["data"].([]any)[0].(map[string]any))
	pin := func(on bool) map[string]any {
		r := e.sendJSON(t, "PATCH", fmt.Sprintf("/api/media/%d/versions/%d", id, v2id), tok, map[string]any{"pinned": on})
		if r.Status != 200 {
			t.Fatalf("pin %v: %d %s", on, r.Status, r.Body)
		}
		return r.json(t)
	}
	if j := pin(true); j["pinned"] != true || j["expires_at"] != nil {
		t.Fatalf("pinned: %v", j)
	}
	clock.Advance(3 * 24 * time.Hour)
	if rep, err := e.app.media.CollectGarbage(ctx, true, grace); err != nil || len(rep.Versions)+len(rep.Blobs) != 0 {
		t.Fatalf("dry run with v2 pinned: %+v %v", rep, err)
	}
	if rep, err := e.app.media.CollectGarbage(ctx, false, grace); err != nil || len(rep.Versions)+len(rep.Blobs) != 0 || !e.hasBlob(t, shaHex(v2)) {
		t.Fatalf("gc removed a pinned version: %+v %v", rep, err)
	}
	if j := pin(false); j["pinned"] != false || j["expires_at"] == nil {
		t.Fatalf("unpinned: %v", j)
	}
	if r := e.sendJSON(t, "PATCH", fmt.Sprintf("/api/media/%d/versions/%d", id, v2id), tok, map[string]any{}); r.Status != 400 || r.errCode(t) != data.ECEmptyUpdate {
		t.Fatalf("empty patch: %d %s", r.Status, r.Body)
	}
	rep, err = e.app.media.CollectGarbage(ctx, false, grace)
	if err != nil || len(rep.Versions) != 1 || rep.Versions[0].SHA256 != shaHex(v2) || e.hasBlob(t, shaHex(v2)) || !e.hasBlob(t, shaHex(v3)) {
		t.Fatalf("gc past v2's grace: %+v %v", rep, err)
	}
	if list := e.getJSON(t, fmt.Sprintf("/api/media/%d/versions", id), tok).json(t); list["total"] != 0.0 {
		t.Fatalf("versions after gc: %v", list)
	}
	if got := e.getJSON(t, fmt.Sprintf("/api/media/%d", id), tok).json(t); got["sha256"] != shaHex(v3) {
		t.Fatalf("current file: %v", got)
	}

	t.Run("purge drops the versions and their blobs", func(t *testing.T) {
		e.replaceOK(t, tok, id, "d.png", v1)
		if !e.hasBlob(t, shaHex(v3)) {
			t.Fatal("v3's blob went while a version has it")
		}
		if r := e.do(t, "DELETE", fmt.Sprintf("/api/media/%d", id), tok, nil, ""); r.Status != 204 {
			t.Fatalf("trash: %d %s", r.Status, r.Body)
		}
		if r := e.do(t, "DELETE", fmt.Sprintf("/api/media/%d?purge=true", id), tok, nil, ""); r.Status != 204 {
			t.Fatalf("purge: %d %s", r.Status, r.Body)
		}
		var n int
		if err := e.app.db.QueryRowForTest(`SELECT COUNT(*) FROM media_versions`).Scan(&n); err != nil || n != 0 {
			t.Fatalf("versions left: %d %v", n, err)
		}
		if e.hasBlob(t, shaHex(v1)) || e.hasBlob(t, shaHex(v3)) {
			t.Fatal("blobs left after purge")
		}
	})
}

// Restoring a version makes it current again and the current file a version.
func TestReplaceRestoreVersion(t *testing.T) {
	e := newTestEnv(t)
	tok := e.token(t, 0)
	v1, v2 := readFile(t, goImageTestdata("video-001.jpeg")), readFile(t, goImageTestdata("video-001.q50.444.jpeg"))
	m := e.uploadOK(t, tok, "a.jpg", v1)
	id := idOf(m)
	pid := e.createProduct(t, tok, "Mug")
	e.attachOK(t, tok, pid, id)
	e.replaceOK(t, tok, id, "b.jpg", v2)
	vs := e.getJSON(t, fmt.Sprintf("/api/media/%d/versions", id), tok).json(t)["data"].([]any)
	vid := idOf(vs[0].(map[string]any))

	r := e.do(t, "POST", fmt.Sprintf("/api/media/%d/versions/%d/restore", id, vid), tok, nil, "")
	got := r.json(t)
	if r.Status != 200 || got["sha256"] != shaHex(v1) || got["url"] != m["url"] || got["original_filename"] != "a.jpg" || r.Header.Get("ETag") == "" {
		t.Fatalf("restore: %d %s", r.Status, r.Body)
	}
	vs = e.getJSON(t, fmt.Sprintf("/api/media/%d/versions", id), tok).json(t)["data"].([]any)
	if len(vs) != 1 || vs[0].(map[string]any)["sha256"] != shaHex(v2) || vs[0].(map[string]any)["uploaded_at"] == vs[0].(map[string]any)["replaced_at"] {
		t.Fatalf("versions after restore: %v", vs)
	}
	if g := e.getJSON(t, fmt.Sprintf("/api/products/%d/images", pid), tok).json(t)["data"].([]any)[0].(map[string]any); g["src"] != m["url"] {
		t.Fatalf("gallery after restore: %v", g)
	}
	if r := e.do(t, "POST", fmt.Sprintf("/api/media/%d/versions/%d/restore", id, vid), tok, nil, ""); r.Status != 404 {
		t.Fatalf("restoring a restored version: %d %s", r.Status, r.Body)
	}
	if r := e.do(t, "POST", fmt.Sprintf("/api/media/%d/versions/%d/restore", id, vid), e.tokenWithout(t, data.ScopeMediaUpdate), nil, ""); r.Status != 403 {
		t.Fatalf("without media:update: %d", r.Status)
	}
}

// Another organization cannot replace an item, list its versions or
// restore one: 404, as if it did not exist, and nothing changes.
func TestReplaceTenancy(t *testing.T) {
	e := newTestEnv(t)
	tok := e.token(t, 0)
	other, err := e.app.orgs.CreateOrg(context.Background(), "other", "Other")
	if err != nil {
		t.Fatal(err)
	}
	theirs := e.token(t, other.ID)
	v1, v2 := pngOf(t, 1), pngOf(t, 2)
	id := idOf(e.uploadOK(t, tok, "a.png", v1))
	e.replaceOK(t, tok, id, "b.png", v2)
	vid := idOf(e.getJSON(t, fmt.Sprintf("/api/media/%d/versions", id), tok).json(t)["data"].([]any)[0].(map[string]any))
	stable := e.getJSON(t, fmt.Sprintf("/api/media/%d", id), tok).json(t)["stable_url"].(string)
	before := e.snapshot(t)

	if r := e.replaceFile(t, theirs, id, "c.png", pngOf(t, 3), nil); r.Status != 404 || r.errCode(t) != data.ECNotFound {
		t.Fatalf("replace: %d %s", r.Status, r.Body)
	}
	if r := e.getJSON(t, fmt.Sprintf("/api/media/%d/versions", id), theirs); r.Status != 404 {
		t.Fatalf("versions: %d %s", r.Status, r.Body)
	}
	if r := e.do(t, "POST", fmt.Sprintf("/api/media/%d/versions/%d/restore", id, vid), theirs, nil, ""); r.Status != 404 {
		t.Fatalf("restore: %d %s", r.Status, r.Body)
	}
	if r := e.sendJSON(t, "PATCH", fmt.Sprintf("/api/media/%d/versions/%d", id, vid), theirs, map[string]any{"pinned": true}); r.Status != 404 {
		t.Fatalf("pin: %d %s", r.Status, r.Body)
	}
	if r := e.getJSON(t, fmt.Sprintf("/api/media/%d/versions", id), tok).json(t)["data"].([]any)[0].(map[string]any); r["pinned"] != false {
		t.Fatalf("their pin changed ours: %v", r)
	}
	if after := e.snapshot(t); after != before {
		t.Fatalf("changed:\n%s\n%s", before, after)
	}
	if left := leftovers(t, e.dir); len(left) > 0 {
		t.Fatalf("temporary files left: %v", left)
	}
	// Their own item with the same id gets a different stable key.
	theirID := idOf(e.uploadOK(t, theirs, "x.png", v1))
	theirStable := e.getJSON(t, fmt.Sprintf("/api/media/%d", theirID), theirs).json(t)["stable_url"].(string)
	key := stable[strings.LastIndex(stable, "/")+1:]
	theirKey := theirStable[strings.LastIndex(theirStable, "/")+1:]
	if key == theirKey {
		t.Fatal("two organizations' items share a stable key")
	}
	if r := e.do(t, "GET", fmt.Sprintf("/m/%d/%s", theirID, key), "", nil, ""); r.Status != 404 {
		t.Fatalf("one org's key on another's item: %d", r.Status)
	}
	cur := e.getJSON(t, fmt.Sprintf("/api/media/%d", id), tok).json(t)
	if cur["sha256"] != shaHex(v2) {
		t.Fatalf("item changed: %v", cur)
	}
}

// A backup carries the blobs of versions; a restore brings them back;
// verify checks them (a missing one is a problem).
func TestReplaceBackupKeepsVersions(t *testing.T) {
	e := newTestEnv(t)
	e.skipOnS3(t, "verify reads the local blob folders")
	tok := e.token(t, 0)
	v1, v2 := pngOf(t, 1), pngOf(t, 2)
	id := idOf(e.uploadOK(t, tok, "a.png", v1))
	e.replaceOK(t, tok, id, "b.png", v2)
	ctx := context.Background()
	dest := t.TempDir() + "/backup"
	if _, err := storage.Backup(ctx, e.dir, dest, storage.BackupOptions{}); err != nil {
		t.Fatal(err)
	}
	restored := t.TempDir() + "/data"
	if _, err := storage.Restore(ctx, dest, restored, storage.RestoreOptions{}); err != nil {
		t.Fatal(err)
	}
	vr, err := storage.Verify(ctx, restored, storage.VerifyOptions{})
	if err != nil || !vr.Clean() || vr.Versions != 1 || vr.Blobs != 2 {
		t.Fatalf("verify of the restored copy: %+v %v", vr, err)
	}
	if !fileExists(filepath.Join(restored, "blobs", shaHex(v1)[:2], shaHex(v1)[2:4], shaHex(v1))) {
		t.Fatal("the version's blob is not in the restored copy")
	}
	if err := os.Remove(e.blobPath(shaHex(v1))); err != nil {
		t.Fatal(err)
	}
	vr, err = storage.Verify(ctx, e.dir, storage.VerifyOptions{})
	if err != nil || vr.Clean() || !strings.Contains(strings.Join(vr.Problems, "\n"), "previous files of media") {
		t.Fatalf("verify with a version's blob gone: %+v %v", vr, err)
	}
}

// Without JavaScript, Replace is a plain multipart form and Restore a plain
// form: each redirects to the item, whose panel shows the new state; a file
// of another kind answers a page that says why, and nothing changes.
func TestReplaceFormWithoutJS(t *testing.T) {
	e := newTestEnv(t)
	tok := e.token(t, 0)
	v1, v2 := pngOf(t, 1), pngOf(t, 2)
	id := idOf(e.uploadOK(t, tok, "mug.png", v1))
	e.createUser(t, "editor@example.com", data.RoleEditor)
	c := e.client()
	c.login(t, "editor@example.com", testOwnerPassword)
	st, page := c.get(t, fmt.Sprintf("/media/%d", id))
	if st != 200 || !strings.Contains(page, `id="replace-form"`) || !strings.Contains(page, "No earlier files.") {
		t.Fatalf("panel: %d", st)
	}
	send := func(name string, body []byte) (int, string) {
		mb, ct := multipartBody(t, []upFile{{name: name, body: body}}, map[string]string{"_csrf": c.csrf})
		return c.req(t, "POST", fmt.Sprintf("/media/%d/replace", id), mb, ct)
	}
	if st, body := send("list.pdf", realPDF(t)); st != 422 || !strings.Contains(body, "list.pdf is a document, but mug.png is an image") {
		t.Fatalf("kind mismatch: %d %.400s", st, body)
	}
	c.get(t, fmt.Sprintf("/media/%d", id))
	if st, _ := send("mug-v2.png", v2); st != 303 || c.location() != fmt.Sprintf("/media/%d", id) {
		t.Fatalf("replace: %d %s", st, c.location())
	}
	_, page = c.get(t, fmt.Sprintf("/media/%d", id))
	if !strings.Contains(page, "Replaced the file.") || !strings.Contains(page, "data-version-id") || !strings.Contains(page, "mug.png") {
		t.Fatalf("panel after replace: %.2000s", page)
	}
	vid := idOf(e.getJSON(t, fmt.Sprintf("/api/media/%d/versions", id), tok).json(t)["data"].([]any)[0].(map[string]any))
	if st, _ := c.post(t, fmt.Sprintf("/media/%d/versions/%d/pin", id, vid), url.Values{"pinned": {"true"}}); st != 303 {
		t.Fatalf("pin: %d", st)
	}
	if _, page = c.get(t, fmt.Sprintf("/media/%d", id)); !strings.Contains(page, "data-pinned") || !strings.Contains(page, "Pinned: this version is kept") {
		t.Fatalf("panel after pin: %.2000s", page)
	}
	if st, _ := c.post(t, fmt.Sprintf("/media/%d/versions/%d/restore", id, vid), nil); st != 303 {
		t.Fatalf("restore: %d", st)
	}
	if got := e.getJSON(t, fmt.Sprintf("/api/media/%d", id), tok).json(t); got["sha256"] != shaHex(v1) {
		t.Fatalf("after restore: %v", got["sha256"])
	}
	if left := leftovers(t, e.dir); len(left) > 0 {
		t.Fatalf("temporary files left: %v", left)
	}
}

// Replaces and garbage collection with no grace at all, at the same time:
// whatever the interleaving, every item's current file is in the store
// (a version's blob may go, a current one never).
func TestReplaceDuringGC(t *testing.T) {
	e := newTestEnv(t)
	tok := e.token(t, 0)
	var ids []int64
	for i := 0; i < 4; i++ {
		ids = append(ids, idOf(e.uploadOK(t, tok, fmt.Sprintf("p%d.png", i), pngOf(t, i))))
	}
	done := make(chan struct{})
	gcErr := make(chan error, 1)
	go func() {
		defer close(gcErr)
		for {
			select {
			case <-done:
				return
			default:
			}
			if _, err := e.app.media.CollectGarbage(context.Background(), false, 0); err != nil {
				gcErr <- err
				return
			}
		}
	}()
	for round := 1; round <= 15; round++ {
		for _, id := range ids {
			body := pngOf(t, int(id)*100+round%3) // bytes come back: a replace may bring a version's bytes back
			mb, ct := multipartBody(t, []upFile{{name: "n.png", body: body}}, nil)
			_, r := e.send(t, "POST", fmt.Sprintf("/api/media/%d/replace", id), tok, mb, ct)
			if r.Status != 200 {
				t.Fatalf("replace %d: %d %s", id, r.Status, r.Body)
			}
		}
	}
	close(done)
	if err := <-gcErr; err != nil {
		t.Fatal(err)
	}
	for _, id := range ids {
		m := e.getJSON(t, fmt.Sprintf("/api/media/%d", id), tok).json(t)
		if !e.hasBlob(t, m["sha256"].(string)) {
			t.Fatalf("item %d's current file %s is gone", id, m["sha256"])
		}
		f := e.do(t, "GET", pathOf(m["url"].(string)), "", nil, "")
		if f.Status != 200 || shaHex(f.Body) != m["sha256"] {
			t.Fatalf("item %d's file: %d", id, f.Status)
		}
	}
	var shas sql.NullString
	if err := e.app.db.QueryRowForTest(`SELECT group_concat(sha256) FROM media_versions`).Scan(&shas); err != nil {
		t.Fatal(err)
	}
	for _, sha := range strings.Split(shas.String, ",") {
		if sha != "" && !e.hasBlob(t, sha) {
			t.Fatalf("a version row's blob %s is gone", sha)
		}
	}
}

// Review 16, B1: If-Match protects the file as well as the fields. A tag
// read before a replace or a restore is stale after it: a second replace,
// a restore and a PATCH sent with it answer 412 and change nothing, also
// when a restore brings back the very bytes the tag was read with.
func TestReplaceMovesIfMatchVersion(t *testing.T) {
	e := newTestEnv(t)
	tok := e.token(t, 0)
	a, b := readFile(t, goImageTestdata("video-001.jpeg")), readFile(t, goImageTestdata("video-001.q50.444.jpeg"))
	c := readFile(t, goImageTestdata("video-001.q50.420.jpeg"))
	id := idOf(e.uploadOK(t, tok, "a.jpg", a))
	path := fmt.Sprintf("/api/media/%d", id)
	before := e.getJSON(t, path, tok).Header.Get("ETag")

	mb, ct := multipartBody(t, []upFile{{name: "b.jpg", body: b}}, nil)
	r := e.do(t, "POST", path+"/replace", tok, mb, ct, "If-Match", before)
	if r.Status != 200 {
		t.Fatalf("replace with the current tag: %d %s", r.Status, r.Body)
	}
	afterReplace := r.Header.Get("ETag")
	refused := func(t *testing.T, what string, r *resp) {
		t.Helper()
		if r.Status != 412 || r.errCode(t) != "precondition_failed" {
			t.Fatalf("%s with a stale tag: %d %s", what, r.Status, r.Body)
		}
		if got := e.getJSON(t, path, tok).json(t); got["sha256"] != shaHex(b) && what != "after restore" {
			t.Fatalf("%s changed the item: %v", what, got)
		}
	}
	t.Run("replace", func(t *testing.T) {
		mb, ct := multipartBody(t, []upFile{{name: "c.jpg", body: c}}, nil)
		refused(t, "replace", e.do(t, "POST", path+"/replace", tok, mb, ct, "If-Match", before))
	})
	vid := idOf(e.getJSON(t, path+"/versions", tok).json(t)["data"].([]any)[0].(map[string]any))
	t.Run("restore", func(t *testing.T) {
		refused(t, "restore", e.do(t, "POST", fmt.Sprintf("%s/versions/%d/restore", path, vid), tok, nil, "", "If-Match", before))
	})
	t.Run("patch", func(t *testing.T) {
		refused(t, "PATCH", e.do(t, "PATCH", path, tok, strings.NewReader(`{"alt":"old picture"}`), "application/json", "If-Match", before))
		if got := e.getJSON(t, path, tok).json(t); got["alt"] != nil {
			t.Fatalf("alt written: %v", got["alt"])
		}
	})
	t.Run("a restore back to the same bytes", func(t *testing.T) {
		r := e.do(t, "POST", fmt.Sprintf("%s/versions/%d/restore", path, vid), tok, nil, "", "If-Match", afterReplace)
		if r.Status != 200 || r.json(t)["sha256"] != shaHex(a) {
			t.Fatalf("restore with the current tag: %d %s", r.Status, r.Body)
		}
		for _, tag := range []string{before, afterReplace} {
			r := e.do(t, "PATCH", path, tok, strings.NewReader(`{"alt":"x"}`), "application/json", "If-Match", tag)
			if r.Status != 412 {
				t.Fatalf("PATCH with %s after the restore: %d %s", tag, r.Status, r.Body)
			}
		}
	})
}

// Review 16, B2, B4, B5: a version restored away says when and by whom it
// was uploaded (the replace that made it current, not the item's
// creation); a replace sent without a filename leaves a named version; a
// version's PATCH compares If-Match with its item's tag.
func TestReplaceVersionDetails(t *testing.T) {
	e := newTestEnv(t)
	t0 := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	clock := e.useClock(t0)
	tok := e.token(t, 0)
	ctx := data.WithPrincipal(context.Background(), data.Principal{OrgID: e.app.defOrg.ID, Actor: "test"})
	_, other, err := e.app.auth.CreateToken(ctx, "replacer", []data.Scope{data.ScopeMediaRead, data.ScopeMediaUpdate}, nil)
	if err != nil {
		t.Fatal(err)
	}
	x, y := readFile(t, goImageTestdata("video-001.jpeg")), readFile(t, goImageTestdata("video-001.q50.444.jpeg"))
	id := idOf(e.uploadOK(t, tok, "x.jpg", x))
	path := fmt.Sprintf("/api/media/%d", id)
	clock.Advance(time.Hour)
	body := fmt.Sprintf(`{"attachment": %q}`, base64.StdEncoding.EncodeToString(y))
	if r := e.do(t, "POST", path+"/replace", other, strings.NewReader(body), "application/json"); r.Status != 200 {
		t.Fatalf("base64 replace: %d %s", r.Status, r.Body)
	}
	clock.Advance(time.Hour)
	vs := e.getJSON(t, path+"/versions", tok).json(t)["data"].([]any)
	if r := e.do(t, "POST", fmt.Sprintf("%s/versions/%d/restore", path, idOf(vs[0].(map[string]any))), tok, nil, ""); r.Status != 200 {
		t.Fatalf("restore: %d %s", r.Status, r.Body)
	}
	vs = e.getJSON(t, path+"/versions", tok).json(t)["data"].([]any)
	v := vs[0].(map[string]any)
	t.Run("uploaded at and by", func(t *testing.T) {
		if v["sha256"] != shaHex(y) || v["uploaded_at"] != "2026-03-01T11:00:00.000Z" || v["uploaded_by"] != "token:replacer" ||
			v["replaced_at"] != "2026-03-01T12:00:00.000Z" || v["replaced_by"] != "token:test" {
			t.Fatalf("version restored away: %v", v)
		}
	})
	t.Run("a replace without a filename leaves a named version", func(t *testing.T) {
		if v["original_filename"] != "untitled.jpg" {
			t.Fatalf("version name: %v", v["original_filename"])
		}
	})
	t.Run("version PATCH honours If-Match", func(t *testing.T) {
		vpath := fmt.Sprintf("%s/versions/%d", path, idOf(v))
		r := e.do(t, "PATCH", vpath, tok, strings.NewReader(`{"pinned":true}`), "application/json", "If-Match", `W/"bogus"`)
		if r.Status != 412 || r.errCode(t) != "precondition_failed" {
			t.Fatalf("bogus If-Match: %d %s", r.Status, r.Body)
		}
		if got := e.getJSON(t, path+"/versions", tok).json(t)["data"].([]any)[0].(map[string]any); got["pinned"] != false {
			t.Fatalf("pinned by a refused PATCH: %v", got)
		}
		tag := e.getJSON(t, path, tok).Header.Get("ETag")
		r = e.do(t, "PATCH", vpath, tok, strings.NewReader(`{"pinned":true}`), "application/json", "If-Match", tag)
		if r.Status != 200 || r.json(t)["pinned"] != true || r.Header.Get("ETag") != tag {
			t.Fatalf("current If-Match: %d %s %s", r.Status, r.Header.Get("ETag"), r.Body)
		}
	})
}

// Review 16, D2 and D4: lists refuse fields=stable_url (it is only on
// single items) with a 400 saying so; a stable URL answers only at its
// canonical id, POST to it is 405, and it sets no session cookie; a number
// out of range says so.
func TestStableURLStrict(t *testing.T) {
	e := newTestEnv(t)
	tok := e.token(t, 0)
	m := e.uploadOK(t, tok, "a.jpg", readFile(t, goImageTestdata("video-001.jpeg")))
	id := idOf(m)
	stable := pathOf(e.getJSON(t, fmt.Sprintf("/api/media/%d", id), tok).json(t)["stable_url"].(string))
	t.Run("fields=stable_url on a list", func(t *testing.T) {
		r := e.getJSON(t, "/api/media?fields=id,stable_url", tok)
		if r.Status != 400 || r.errCode(t) != "invalid_parameter" || !strings.Contains(string(r.Body), "only on single items") {
			t.Fatalf("list: %d %s", r.Status, r.Body)
		}
		if r := e.getJSON(t, fmt.Sprintf("/api/media/%d?fields=id,stable_url", id), tok); r.Status != 200 || r.json(t)["stable_url"] == nil {
			t.Fatalf("single: %d %s", r.Status, r.Body)
		}
	})
	t.Run("non-canonical id", func(t *testing.T) {
		key := stable[strings.LastIndex(stable, "/")+1:]
		for _, p := range []string{fmt.Sprintf("/m/0%d/%s", id, key), fmt.Sprintf("/m/+%d/%s", id, key)} {
			if r := e.do(t, "GET", p, "", nil, ""); r.Status != 404 {
				t.Fatalf("%s: %d %s", p, r.Status, r.Header.Get("Location"))
			}
		}
		r := e.do(t, "GET", stable, "", nil, "")
		if r.Status != 302 || r.Header.Get("Set-Cookie") != "" {
			t.Fatalf("canonical: %d, cookie %q", r.Status, r.Header.Get("Set-Cookie"))
		}
	})
	t.Run("POST", func(t *testing.T) {
		r := e.do(t, "POST", stable, "", nil, "")
		if r.Status != 405 || r.Header.Get("Allow") != "GET, HEAD" {
			t.Fatalf("POST: %d %q %s", r.Status, r.Header.Get("Allow"), r.Body)
		}
	})
	t.Run("a number out of range", func(t *testing.T) {
		r := e.do(t, "PATCH", fmt.Sprintf("/api/media/%d", id), tok, strings.NewReader(`{"focal_x":1e400,"focal_y":0.5}`), "application/json")
		if r.Status != 400 && r.Status != 422 || !strings.Contains(string(r.Body), "1e400 is out of its range") {
			t.Fatalf("1e400: %d %s", r.Status, r.Body)
		}
	})
}

// Review 16, U1: a version's bytes for a token with media:read (as the
// original's download: attachment, ETag), 404 for another organization,
// 403 without the scope, 401 without a token.
func TestReplaceVersionDownload(t *testing.T) {
	e := newTestEnv(t)
	tok := e.token(t, 0)
	other, err := e.app.orgs.CreateOrg(context.Background(), "other", "Other")
	if err != nil {
		t.Fatal(err)
	}
	v1 := pngOf(t, 1)
	id := idOf(e.uploadOK(t, tok, "a.png", v1))
	e.replaceOK(t, tok, id, "b.png", pngOf(t, 2))
	vid := idOf(e.getJSON(t, fmt.Sprintf("/api/media/%d/versions", id), tok).json(t)["data"].([]any)[0].(map[string]any))
	path := fmt.Sprintf("/api/media/%d/versions/%d/download", id, vid)
	r := e.do(t, "GET", path, e.tokenWithout(t, data.ScopeMediaUpdate), nil, "")
	if r.Status != 200 || !bytes.Equal(r.Body, v1) || !strings.HasPrefix(r.Header.Get("Content-Disposition"), "attachment; filename=a.png") || r.Header.Get("ETag") == "" {
		t.Fatalf("download: %d %v", r.Status, r.Header)
	}
	for _, tc := range []struct {
		tok  string
		want int
	}{{e.token(t, other.ID), 404}, {e.tokenWithout(t, data.ScopeMediaRead), 403}, {"", 401}} {
		if r := e.do(t, "GET", path, tc.tok, nil, ""); r.Status != tc.want {
			t.Errorf("token %q: %d, want %d", tc.tok, r.Status, tc.want)
		}
	}
	if r := e.do(t, "GET", fmt.Sprintf("/api/media/%d/versions/%d/download", id, vid+1), tok, nil, ""); r.Status != 404 {
		t.Errorf("a version that does not exist: %d", r.Status)
	}
}

// A display name that ends in the old file's extension follows the new
// file's type (a JPEG replaced by a PNG no longer calls itself .jpg), and
// back on restore; a name sent with the replace, or one without the old
// type's extension, stays as it is.
func TestReplaceTakesNewExtension(t *testing.T) {
	e := newTestEnv(t)
	tok := e.token(t, 0)
	jpg := readFile(t, goImageTestdata("video-001.jpeg"))
	png := readFile(t, goImageTestdata("video-001.png"))

	id := idOf(e.uploadOK(t, tok, "mug.jpg", jpg))
	if got := e.replaceOK(t, tok, id, "export.png", png); got["filename"] != "mug.png" || got["mime_type"] != "image/png" {
		t.Fatalf("JPEG replaced by a PNG: filename %v, type %v; want mug.png", got["filename"], got["mime_type"])
	}
	if hits := e.getJSON(t, "/api/media?q=mug.png", tok).json(t)["data"].([]any); len(hits) != 1 || idOf(hits[0].(map[string]any)) != id {
		t.Fatalf("search for the new name: %v", hits)
	}
	vs := e.getJSON(t, fmt.Sprintf("/api/media/%d/versions", id), tok).json(t)["data"].([]any)
	vid := idOf(vs[0].(map[string]any))
	r := e.sendJSON(t, "POST", fmt.Sprintf("/api/media/%d/versions/%d/restore", id, vid), tok, map[string]any{})
	if r.Status != 200 || r.json(t)["filename"] != "mug.jpg" {
		t.Fatalf("restore of the JPEG: %d %s; want filename mug.jpg", r.Status, r.Body)
	}

	named := e.replaceFile(t, tok, id, "x.png", png, map[string]string{"filename": "Mug, studio.png"})
	if named.Status != 200 || named.json(t)["filename"] != "Mug, studio.png" {
		t.Fatalf("replace with a filename: %d %s", named.Status, named.Body)
	}

	kept := idOf(e.uploadOK(t, tok, "Summer.2024", jpg))
	if got := e.replaceOK(t, tok, kept, "export.png", png); got["filename"] != "Summer.2024" {
		t.Fatalf("a name without the old extension changed: %v", got["filename"])
	}
}
