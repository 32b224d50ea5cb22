package main

import (
	"encoding/base64"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"

	"gallerist/data"
)

// Issue 12, item 5: ETags, conditional requests and Location, as a client
// author expects them. (The renderer does not run in these tests, so images
// stay pending and nothing changes an answer behind a test's back.)

var resourceTagRE = regexp.MustCompile(`^W/"([a-z])(\d+)-([0-9a-f]+)-([0-9a-z]+)"$`)

// tagOf returns an answer's ETag, checking it has our shape and names kind and id.
func tagOf(t testing.TB, r *resp, kind string, id int64) string {
	t.Helper()
	tag := r.Header.Get("ETag")
	m := resourceTagRE.FindStringSubmatch(tag)
	if m == nil || m[1] != kind || m[2] != fmt.Sprint(id) {
		t.Fatalf("ETag %q, want W/\"%s%d-<digest>-<version>\" (%d %s)", tag, kind, id, r.Status, r.Body)
	}
	return tag
}

// staleTag is tag with another version: what a client that read an older state holds.
func staleTag(tag string) string {
	return tag[:strings.LastIndex(tag, "-")+1] + `0000000"`
}

// TestConditionalRequests: every single resource (media, product, variant,
// collection) has an ETag; If-None-Match gives 304; If-Match on PATCH, PUT
// and DELETE gives 412 with the current ETag when stale, and changes nothing.
func TestConditionalRequests(t *testing.T) {
	e := newTestEnv(t)
	tok := e.token(t, 0)
	m := e.uploadOK(t, tok, "mug.png", realPNG(t, 24, 16))
	mid := idOf(m)
	other := e.uploadOK(t, tok, "plate.png", realPNG(t, 20, 16))
	pid := e.createProduct(t, tok, "Mug")
	e.attachOK(t, tok, pid, idOf(other))
	v := e.sendJSON(t, "POST", fmt.Sprintf("/api/products/%d/variants", pid), tok, map[string]any{"title": "Red"})
	vid := idOf(v.json(t))
	col := e.sendJSON(t, "POST", "/api/collections", tok, map[string]any{"title": "Summer"})
	cid := idOf(col.json(t))

	for _, tc := range []struct {
		name, kind, path string
		id               int64
		patch            string // a PATCH (or PUT) body
		patchMethod      string
		field            string // a field the patch sets
		want             any
		fields           string // a fields= value of the GET
	}{
		{"media", "m", fmt.Sprintf("/api/media/%d", mid), mid, `{"alt": "A blue mug"}`, "PATCH", "alt", "A blue mug", "id,alt"},
		{"product", "p", fmt.Sprintf("/api/products/%d", pid), pid, `{"title": "Blue mug"}`, "PATCH", "title", "Blue mug", "id,title"},
		{"variant", "v", fmt.Sprintf("/api/products/%d/variants/%d", pid, vid), vid, `{"sku": "MUG-RED"}`, "PATCH", "sku", "MUG-RED", "id,sku"},
		{"collection", "c", fmt.Sprintf("/api/collections/%d", cid), cid, `{"title": "Winter"}`, "PATCH", "title", "Winter", "id"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := e.getJSON(t, tc.path, tok)
			tag := tagOf(t, r, tc.kind, tc.id)
			if again := e.getJSON(t, tc.path, tok); again.Header.Get("ETag") != tag {
				t.Fatalf("the ETag moved without a change: %q then %q", tag, again.Header.Get("ETag"))
			}
			// If-None-Match: 304 without a body, for GET and HEAD, for any fields= subset.
			for _, path := range []string{tc.path, tc.path + "?fields=" + tc.fields} {
				for _, method := range []string{"GET", "HEAD"} {
					nm := e.do(t, method, path, tok, nil, "", "If-None-Match", tag)
					if nm.Status != http.StatusNotModified || len(nm.Body) != 0 || nm.Header.Get("ETag") != tag {
						t.Errorf("%s %s If-None-Match current: %d %q %s", method, path, nm.Status, nm.Header.Get("ETag"), nm.Body)
					}
				}
			}
			if nm := e.do(t, "GET", tc.path, tok, nil, "", "If-None-Match", `W/"x", `+tag); nm.Status != http.StatusNotModified {
				t.Errorf("If-None-Match list naming the tag: %d", nm.Status)
			}
			if nm := e.do(t, "GET", tc.path, tok, nil, "", "If-None-Match", staleTag(tag)); nm.Status != 200 {
				t.Errorf("If-None-Match stale: %d", nm.Status)
			}

			// If-Match stale: 412 with the current ETag, nothing changed.
			before := e.snapshot(t)
			for _, stale := range []string{staleTag(tag), `"garbage"`, strings.Replace(tag, tc.kind, "x", 1)} {
				pf := e.do(t, tc.patchMethod, tc.path, tok, strings.NewReader(tc.patch), "application/json", "If-Match", stale)
				if pf.Status != http.StatusPreconditionFailed || pf.errCode(t) != data.ECPreconditionFailed || pf.Header.Get("ETag") != tag {
					t.Errorf("If-Match %s: %d ETag %q %s; want 412 with %q", stale, pf.Status, pf.Header.Get("ETag"), pf.Body, tag)
				}
			}
			if cur := e.getJSON(t, tc.path, tok); cur.json(t)[tc.field] == tc.want || e.snapshot(t) != before {
				t.Fatalf("a 412 changed the %s: %s", tc.name, cur.Body)
			}

			// If-Match current: the write goes through and answers the new tag, which GET agrees with.
			ok := e.do(t, tc.patchMethod, tc.path, tok, strings.NewReader(tc.patch), "application/json", "If-Match", tag)
			if ok.Status != 200 || ok.json(t)[tc.field] != tc.want {
				t.Fatalf("If-Match current: %d %s", ok.Status, ok.Body)
			}
			newTag := tagOf(t, ok, tc.kind, tc.id)
			if newTag == tag || e.getJSON(t, tc.path, tok).Header.Get("ETag") != newTag {
				t.Fatalf("after the write: %q (was %q), GET says %q", newTag, tag, e.getJSON(t, tc.path, tok).Header.Get("ETag"))
			}
			if nm := e.do(t, "GET", tc.path, tok, nil, "", "If-None-Match", tag); nm.Status != 200 || nm.json(t)[tc.field] != tc.want {
				t.Errorf("If-None-Match with the old tag after a change: %d", nm.Status)
			}
			// The old tag is now stale for writes; * matches whatever the state.
			if pf := e.do(t, tc.patchMethod, tc.path, tok, strings.NewReader(tc.patch), "application/json", "If-Match", tag); pf.Status != 412 || pf.Header.Get("ETag") != newTag {
				t.Errorf("If-Match with the old tag: %d %q", pf.Status, pf.Header.Get("ETag"))
			}
			if ok := e.do(t, tc.patchMethod, tc.path, tok, strings.NewReader(tc.patch), "application/json", "If-Match", "*"); ok.Status != 200 {
				t.Errorf("If-Match *: %d %s", ok.Status, ok.Body)
			}
		})
	}

	t.Run("a derived change moves the digest, not the version", func(t *testing.T) {
		path := fmt.Sprintf("/api/media/%d", mid)
		tag := tagOf(t, e.getJSON(t, path, tok), "m", mid)
		e.attachOK(t, tok, pid, mid) // used_by and usage_count change; filename and alt do not
		now := e.getJSON(t, path, tok)
		if now.Header.Get("ETag") == tag || e.do(t, "GET", path, tok, nil, "", "If-None-Match", tag).Status != 200 {
			t.Fatalf("the answer changed (used_by) but the ETag did not: %q", tag)
		}
		if r := e.do(t, "PATCH", path, tok, strings.NewReader(`{"filename": "blue-mug.png"}`), "application/json", "If-Match", tag); r.Status != 200 {
			t.Fatalf("If-Match after a new use (nothing a PATCH changes moved): %d %s", r.Status, r.Body)
		}
	})

	t.Run("DELETE and PUT", func(t *testing.T) {
		vpath := fmt.Sprintf("/api/products/%d/variants/%d", pid, vid)
		gallery, _, _ := e.gallery(t, tok, pid)
		tag := tagOf(t, e.getJSON(t, vpath, tok), "v", vid)
		body := fmt.Sprintf(`{"image_id": %d}`, gallery[0])
		if r := e.do(t, "PUT", vpath+"/image", tok, strings.NewReader(body), "application/json", "If-Match", staleTag(tag)); r.Status != 412 || r.Header.Get("ETag") != tag {
			t.Fatalf("PUT image with a stale tag: %d %q", r.Status, r.Header.Get("ETag"))
		}
		r := e.do(t, "PUT", vpath+"/image", tok, strings.NewReader(body), "application/json", "If-Match", tag)
		if r.Status != 200 || tagOf(t, r, "v", vid) == tag {
			t.Fatalf("PUT image: %d %s", r.Status, r.Body)
		}
		for _, path := range []string{vpath, fmt.Sprintf("/api/collections/%d", cid), fmt.Sprintf("/api/media/%d", idOf(other)), fmt.Sprintf("/api/products/%d", pid)} {
			del := path
			if strings.HasPrefix(path, "/api/media/") {
				del += "?force=true" // it is in the gallery
			}
			cur := e.getJSON(t, path, tok).Header.Get("ETag")
			if r := e.do(t, "DELETE", del, tok, nil, "", "If-Match", staleTag(cur)); r.Status != 412 || r.Header.Get("ETag") != cur {
				t.Errorf("DELETE %s with a stale tag: %d %q", path, r.Status, r.Header.Get("ETag"))
			}
			if r := e.getJSON(t, path, tok); r.Status != 200 || r.json(t)["deleted_at"] != nil {
				t.Errorf("a 412 deleted %s: %d %s", path, r.Status, r.Body)
			}
			if r := e.do(t, "DELETE", del, tok, nil, "", "If-Match", cur); r.Status != 204 {
				t.Errorf("DELETE %s with its tag: %d %s", path, r.Status, r.Body)
			}
		}
	})
}

// TestGalleryETag: a gallery's ETag changes when any image's alt text or
// position changes (whichever way: the gallery, the media item, a reorder);
// If-None-Match on the list and on an image gives 304 while nothing
// changed; a 412 carries the current ETag.
func TestGalleryETag(t *testing.T) {
	e := newTestEnv(t)
	tok := e.token(t, 0)
	pid := e.createProduct(t, tok, "Mug")
	var media []int64
	for i := range 3 {
		m := e.uploadOK(t, tok, fmt.Sprintf("m%d.png", i), realPNG(t, 16+i, 16))
		media = append(media, idOf(m))
		e.attachOK(t, tok, pid, idOf(m))
	}
	list := fmt.Sprintf("/api/products/%d/images", pid)
	images, _, tag := e.gallery(t, tok, pid)
	tagOf(t, &resp{Header: http.Header{"Etag": {tag}}}, "g", pid)
	notModified := func(t *testing.T, path, tag string) bool {
		t.Helper()
		r := e.do(t, "GET", path, tok, nil, "", "If-None-Match", tag)
		if r.Status == 304 && (len(r.Body) != 0 || r.Header.Get("ETag") != tag) {
			t.Errorf("304 %s: body %q, ETag %q", path, r.Body, r.Header.Get("ETag"))
		}
		return r.Status == 304
	}
	image := fmt.Sprintf("%s/%d", list, images[1])
	if !notModified(t, list, tag) || !notModified(t, image, tag) || !notModified(t, list+"?fields=id,alt", tag) {
		t.Fatalf("If-None-Match with the current gallery ETag is not 304")
	}
	if e.getJSON(t, image, tok).Header.Get("ETag") != tag {
		t.Fatalf("an image's ETag is not its gallery's")
	}

	steps := []struct {
		name string
		do   func(t *testing.T) *resp
	}{
		{"alt through the media item", func(t *testing.T) *resp {
			return e.sendJSON(t, "PATCH", fmt.Sprintf("/api/media/%d", media[2]), tok, `{"alt": "Side view"}`)
		}},
		{"alt through the gallery", func(t *testing.T) *resp {
			return e.sendJSON(t, "PATCH", image, tok, `{"alt": "Top view"}`)
		}},
		{"the same alt again changes nothing", nil},
		{"reorder", func(t *testing.T) *resp {
			rev := slices.Clone(images)
			slices.Reverse(rev)
			return e.sendJSON(t, "POST", list+"/reorder", tok, jsonIDs(rev))
		}},
		{"move one image", func(t *testing.T) *resp {
			return e.sendJSON(t, "PATCH", image, tok, `{"position": 1}`)
		}},
	}
	for _, s := range steps {
		t.Run(s.name, func(t *testing.T) {
			if s.do == nil {
				if r := e.sendJSON(t, "PATCH", image, tok, `{"alt": "Top view"}`); r.Status != 200 || r.Header.Get("ETag") != tag {
					t.Fatalf("a PATCH that changes nothing moved the ETag: %d %q → %q", r.Status, tag, r.Header.Get("ETag"))
				}
				if !notModified(t, list, tag) {
					t.Fatal("not 304 after a PATCH that changed nothing")
				}
				return
			}
			if r := s.do(t); r.Status != 200 {
				t.Fatalf("%d %s", r.Status, r.Body)
			}
			_, _, now := e.gallery(t, tok, pid)
			if now == tag {
				t.Fatalf("the gallery ETag did not change: %q", tag)
			}
			if notModified(t, list, tag) || notModified(t, image, tag) {
				t.Fatal("If-None-Match with the old ETag is 304 after a change")
			}
			if !notModified(t, list, now) {
				t.Fatal("If-None-Match with the new ETag is not 304")
			}
			tag = now
		})
	}

	t.Run("412 carries the current ETag", func(t *testing.T) {
		_, _, cur := e.gallery(t, tok, pid)
		for _, r := range []*resp{
			e.do(t, "POST", list+"/reorder", tok, strings.NewReader(jsonIDs(images)), "application/json", "If-Match", staleTag(cur)),
			e.do(t, "PATCH", image, tok, strings.NewReader(`{"position": 2}`), "application/json", "If-Match", `W/"g1-1"`),
			e.do(t, "DELETE", image, tok, nil, "", "If-Match", staleTag(cur)),
		} {
			if r.Status != 412 || r.errCode(t) != data.ECPreconditionFailed || r.Header.Get("ETag") != cur {
				t.Errorf("stale If-Match: %d %q %s; want 412 with %q", r.Status, r.Header.Get("ETag"), r.Body, cur)
			}
		}
		// The ETag itself, as If-Match, goes through.
		if r := e.do(t, "PATCH", image, tok, strings.NewReader(`{"position": 2}`), "application/json", "If-Match", cur); r.Status != 200 {
			t.Errorf("If-Match with the current ETag: %d %s", r.Status, r.Body)
		}
	})
}

// TestLocationOnEveryCreate: every 201 carries Location, the path of what
// was created (for several media items at once, the first), and GET there
// answers it. The table covers every operation documented with a 201.
func TestLocationOnEveryCreate(t *testing.T) {
	e := newTestEnv(t, allowOnly127002) // the webhook's receiver is on 127.0.0.2
	tok := e.token(t, 0)
	pid := e.createProduct(t, tok, "Mug")
	lib := idOf(e.uploadOK(t, tok, "lib.png", realPNG(t, 30, 20)))
	png := realPNG(t, 18, 12)
	b64 := base64.StdEncoding.EncodeToString

	type created struct {
		op   string // operationId
		send func(t *testing.T) *resp
		id   func(m map[string]any) int64
	}
	first := func(m map[string]any) int64 { return idOf(m["media"].([]any)[0].(map[string]any)) }
	own := func(m map[string]any) int64 { return idOf(m) }
	cases := []created{
		{"createMedia", func(t *testing.T) *resp { return e.upload(t, tok, upFile{name: "a.png", body: realPNG(t, 10, 10)}) }, first},
		{"createMedia", func(t *testing.T) *resp {
			return e.upload(t, tok, upFile{name: "b.png", body: realPNG(t, 11, 10)}, upFile{name: "c.png", body: realPNG(t, 12, 10)})
		}, first},
		{"createMedia", func(t *testing.T) *resp {
			return e.sendJSON(t, "POST", "/api/media", tok, map[string]any{"attachment": b64(png), "filename": "d.png"})
		}, first},
		{"createProduct", func(t *testing.T) *resp {
			return e.sendJSON(t, "POST", "/api/products", tok, map[string]any{"title": "Plate"})
		}, own},
		{"createVariant", func(t *testing.T) *resp {
			return e.sendJSON(t, "POST", fmt.Sprintf("/api/products/%d/variants", pid), tok, map[string]any{"title": "Red"})
		}, own},
		{"createCollection", func(t *testing.T) *resp {
			return e.sendJSON(t, "POST", "/api/collections", tok, map[string]any{"title": "Summer"})
		}, own},
		{"addProductImage", func(t *testing.T) *resp {
			return e.sendJSON(t, "POST", fmt.Sprintf("/api/products/%d/images", pid), tok, map[string]any{"media_id": lib})
		}, own},
		{"addProductImage", func(t *testing.T) *resp {
			body, ct := multipartBody(t, []upFile{{name: "e.png", body: realPNG(t, 13, 10)}}, map[string]string{"position": "1"})
			return e.do(t, "POST", fmt.Sprintf("/api/products/%d/images", pid), tok, body, ct)
		}, own},
		{"createWebhook", func(t *testing.T) *resp {
			return e.sendJSON(t, "POST", "/api/webhooks", tok, map[string]any{"url": newReceiver(t).url, "events": []string{"media.created"}})
		}, own},
	}
	covered := map[string]bool{}
	for _, c := range cases {
		r := c.send(t)
		if r.Status != 201 {
			t.Fatalf("%s: %d %s", c.op, r.Status, r.Body)
		}
		covered[c.op] = true
		loc := r.Header.Get("Location")
		id := c.id(r.json(t))
		if !strings.HasPrefix(loc, "/api/") || !strings.HasSuffix(loc, fmt.Sprintf("/%d", id)) {
			t.Errorf("%s: Location %q, want the path of %d", c.op, loc, id)
			continue
		}
		if g := e.getJSON(t, loc, tok); g.Status != 200 || idOf(g.json(t)) != id {
			t.Errorf("%s: GET Location %s: %d %s", c.op, loc, g.Status, g.Body)
		}
	}
	for _, op := range openapiOperations(t) {
		if _, ok := op.Responses["201"]; ok && !covered[op.OperationID] {
			t.Errorf("%s answers 201 but is not in this table", op.OperationID)
		}
	}
}
