package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"net/http"
	"net/netip"
	"slices"
	"strings"
	"testing"

	"gallerist/data"
)

func TestProductsAPI(t *testing.T) {
	e := newTestEnv(t)
	tok := e.token(t, 0)

	r := e.sendJSON(t, "POST", "/api/products", tok, map[string]any{"title": "  Red Mug, 12 oz  "})
	if r.Status != 201 {
		t.Fatalf("create: %d %s", r.Status, r.Body)
	}
	p := r.json(t)
	pid := idOf(p)
	if p["title"] != "Red Mug, 12 oz" || p["handle"] != "red-mug-12-oz" || p["status"] != "draft" || p["image_count"] != 0.0 ||
		p["featured_image"] != nil || r.Header.Get("Location") != fmt.Sprintf("/api/products/%d", pid) {
		t.Fatalf("created product: %v %v", p, r.Header)
	}

	t.Run("OK handle from title made unique", func(t *testing.T) {
		r := e.sendJSON(t, "POST", "/api/products", tok, map[string]any{"title": "Red mug 12 OZ"})
		if r.Status != 201 || r.json(t)["handle"] != "red-mug-12-oz-2" {
			t.Fatalf("%d %s", r.Status, r.Body)
		}
	})
	t.Run("OK explicit handle and status", func(t *testing.T) {
		r := e.sendJSON(t, "POST", "/api/products", tok, map[string]any{"title": "Blue plate", "handle": "plate-blue", "status": "active"})
		if r.Status != 201 || r.json(t)["handle"] != "plate-blue" || r.json(t)["status"] != "active" {
			t.Fatalf("%d %s", r.Status, r.Body)
		}
	})
	t.Run("ErrHandleTaken", func(t *testing.T) {
		r := e.sendJSON(t, "POST", "/api/products", tok, map[string]any{"title": "Other", "handle": "plate-blue"})
		if r.Status != 409 || r.errCode(t) != data.ECConflict || errField(t, r) != "handle" {
			t.Fatalf("%d %s", r.Status, r.Body)
		}
	})
	t.Run("ErrValidation", func(t *testing.T) {
		for _, c := range []struct {
			body   string
			status int
			code   string
		}{
			{`{"title": ""}`, 422, data.ECInvalidField},
			{`{}`, 422, data.ECInvalidField},
			{`{"title": "x", "status": "live"}`, 422, data.ECInvalidField},
			{`{"title": "x", "handle": "Not A Handle"}`, 422, data.ECInvalidField},
			{`{"title": "x", "price": 3}`, 422, data.ECUnknownField},
			{`{"title": 5}`, 422, data.ECInvalidField},
			{`{"title": "x"`, 400, data.ECInvalidJSON},
			{``, 400, data.ECEmptyUpdate},
			{`{"title": "` + strings.Repeat("a", 256) + `"}`, 422, data.ECInvalidField},
			{`{"title": "a\u0000b"}`, 422, data.ECInvalidField},
		} {
			before := e.snapshot(t)
			r := e.sendJSON(t, "POST", "/api/products", tok, c.body)
			if r.Status != c.status || r.errCode(t) != c.code {
				t.Errorf("%s: %d %s", c.body, r.Status, r.Body)
			}
			if e.snapshot(t) != before {
				t.Errorf("%s changed state", c.body)
			}
		}
		r := e.do(t, "POST", "/api/products", tok, strings.NewReader(`title=x`), "application/x-www-form-urlencoded")
		if r.Status != 415 {
			t.Errorf("form body: %d %s", r.Status, r.Body)
		}
	})
	t.Run("OK get", func(t *testing.T) {
		r := e.getJSON(t, fmt.Sprintf("/api/products/%d", pid), tok)
		if r.Status != 200 || r.json(t)["title"] != "Red Mug, 12 oz" {
			t.Fatalf("%d %s", r.Status, r.Body)
		}
		r = e.getJSON(t, fmt.Sprintf("/api/products/%d?fields=id,handle", pid), tok)
		if m := r.json(t); len(m) != 2 || m["handle"] != "red-mug-12-oz" {
			t.Fatalf("fields: %s", r.Body)
		}
		for _, path := range []string{"/api/products/999999", "/api/products/abc", "/api/products/-1"} {
			if r := e.getJSON(t, path, tok); r.Status != 404 || r.errCode(t) != data.ECNotFound {
				t.Errorf("%s: %d %s", path, r.Status, r.Body)
			}
		}
	})
	t.Run("OK list", func(t *testing.T) {
		r := e.getJSON(t, "/api/products", tok)
		body := r.json(t)
		if r.Status != 200 || body["total"] != 3.0 || body["limit"] != 24.0 || body["offset"] != 0.0 {
			t.Fatalf("%d %s", r.Status, r.Body)
		}
		if first := body["data"].([]any)[0].(map[string]any); first["handle"] != "plate-blue" {
			t.Fatalf("newest first: %s", r.Body)
		}
		r = e.getJSON(t, "/api/products?q=MUG&limit=1&offset=1&fields=handle", tok)
		body = r.json(t)
		items := body["data"].([]any)
		if body["total"] != 2.0 || len(items) != 1 || items[0].(map[string]any)["handle"] != "red-mug-12-oz" || len(items[0].(map[string]any)) != 1 {
			t.Fatalf("q/limit/offset/fields: %s", r.Body)
		}
		if r := e.getJSON(t, "/api/products?status=active", tok); r.json(t)["total"] != 1.0 {
			t.Fatalf("status: %s", r.Body)
		}
		if r := e.getJSON(t, "/api/products?handle=plate-blue", tok); r.json(t)["total"] != 1.0 {
			t.Fatalf("handle: %s", r.Body)
		}
		if r := e.getJSON(t, "/api/products?q=50%25", tok); r.json(t)["total"] != 0.0 {
			t.Fatalf("LIKE wildcard not escaped: %s", r.Body)
		}
		for _, q := range []string{"limit=0", "limit=101", "offset=-1", "status=gone", "fields=id,price", "q=" + strings.Repeat("a", 201)} {
			if r := e.getJSON(t, "/api/products?"+q, tok); r.Status != 400 || r.errCode(t) != data.ECInvalidParameter {
				t.Errorf("%s: %d %s", q, r.Status, r.Body)
			}
		}
	})
	t.Run("OK patch", func(t *testing.T) {
		r := e.sendJSON(t, "PATCH", fmt.Sprintf("/api/products/%d", pid), tok, map[string]any{"title": "Red mug", "status": "archived", "handle": "red-mug"})
		if m := r.json(t); r.Status != 200 || m["title"] != "Red mug" || m["status"] != "archived" || m["handle"] != "red-mug" {
			t.Fatalf("%d %s", r.Status, r.Body)
		}
	})
	t.Run("ErrPatch", func(t *testing.T) {
		path := fmt.Sprintf("/api/products/%d", pid)
		for _, c := range []struct {
			body   string
			status int
			code   string
		}{
			{`{}`, 400, data.ECEmptyUpdate},
			{`{"title": null}`, 422, data.ECInvalidField},
			{`{"status": "sold"}`, 422, data.ECInvalidField},
			{`{"handle": "plate-blue"}`, 409, data.ECConflict},
			{`{"gallery_version": 9}`, 422, data.ECUnknownField},
		} {
			r := e.sendJSON(t, "PATCH", path, tok, c.body)
			if r.Status != c.status || r.errCode(t) != c.code {
				t.Errorf("%s: %d %s", c.body, r.Status, r.Body)
			}
		}
		if r := e.sendJSON(t, "PATCH", "/api/products/999999", tok, `{"title": "x"}`); r.Status != 404 {
			t.Errorf("missing: %d %s", r.Status, r.Body)
		}
	})
	t.Run("OK delete", func(t *testing.T) {
		id := e.createProduct(t, tok, "Short-lived")
		if r := e.do(t, "DELETE", fmt.Sprintf("/api/products/%d", id), tok, nil, ""); r.Status != 204 {
			t.Fatalf("%d %s", r.Status, r.Body)
		}
		if r := e.getJSON(t, fmt.Sprintf("/api/products/%d", id), tok); r.Status != 404 {
			t.Fatalf("after delete: %d", r.Status)
		}
		if r := e.do(t, "DELETE", fmt.Sprintf("/api/products/%d", id), tok, nil, ""); r.Status != 404 {
			t.Fatalf("delete twice: %d", r.Status)
		}
	})
}

func TestVariantsAPI(t *testing.T) {
	e := newTestEnv(t)
	tok := e.token(t, 0)
	pid := e.createProduct(t, tok, "T-shirt")
	other := e.createProduct(t, tok, "Socks")
	base := fmt.Sprintf("/api/products/%d/variants", pid)

	r := e.sendJSON(t, "POST", base, tok, map[string]any{"title": "Red / M", "sku": "TS-RED-M", "options": map[string]string{"Color": "Red", "Size": "M"}})
	if r.Status != 201 {
		t.Fatalf("create: %d %s", r.Status, r.Body)
	}
	v := r.json(t)
	vid := idOf(v)
	if v["sku"] != "TS-RED-M" || v["options"].(map[string]any)["Color"] != "Red" || v["image_id"] != nil || v["product_id"] != float64(pid) {
		t.Fatalf("variant: %v", v)
	}
	e.sendJSON(t, "POST", base, tok, map[string]any{"title": "Blue / L"})
	vpath := fmt.Sprintf("%s/%d", base, vid)

	t.Run("OK list get patch", func(t *testing.T) {
		r := e.getJSON(t, base, tok)
		if body := r.json(t); r.Status != 200 || body["total"] != 2.0 || idOf(body["data"].([]any)[0].(map[string]any)) != vid {
			t.Fatalf("list: %d %s", r.Status, r.Body)
		}
		if r := e.getJSON(t, base+"?q=ts-red&fields=id,sku", tok); r.json(t)["total"] != 1.0 {
			t.Fatalf("q: %s", r.Body)
		}
		if r := e.getJSON(t, vpath, tok); r.Status != 200 || r.json(t)["title"] != "Red / M" {
			t.Fatalf("get: %d %s", r.Status, r.Body)
		}
		r = e.sendJSON(t, "PATCH", vpath, tok, map[string]any{"sku": nil, "options": map[string]string{"Color": "Crimson"}})
		if m := r.json(t); r.Status != 200 || m["sku"] != "" || len(m["options"].(map[string]any)) != 1 {
			t.Fatalf("patch: %d %s", r.Status, r.Body)
		}
		if p := e.getJSON(t, fmt.Sprintf("/api/products/%d", pid), tok).json(t); p["variant_count"] != 2.0 {
			t.Fatalf("variant_count: %v", p)
		}
	})
	t.Run("ErrValidation", func(t *testing.T) {
		for _, c := range []struct {
			method, body string
			status       int
			code         string
		}{
			{"POST", `{"title": ""}`, 422, data.ECInvalidField},
			{"POST", `{"title": "x", "options": {"Color": 3}}`, 422, data.ECInvalidField},
			{"POST", `{"title": "x", "options": {"": "Red"}}`, 422, data.ECInvalidField},
			{"POST", `{"title": "x", "sku": "` + strings.Repeat("s", 101) + `"}`, 422, data.ECInvalidField},
			{"POST", `{"title": "x", "image_id": 1}`, 422, data.ECUnknownField},
			{"PATCH", `{}`, 400, data.ECEmptyUpdate},
			{"PATCH", `{"title": null}`, 422, data.ECInvalidField},
		} {
			path := base
			if c.method == "PATCH" {
				path = vpath
			}
			if r := e.sendJSON(t, c.method, path, tok, c.body); r.Status != c.status || r.errCode(t) != c.code {
				t.Errorf("%s %s: %d %s", c.method, c.body, r.Status, r.Body)
			}
		}
	})
	t.Run("ErrNotFound", func(t *testing.T) {
		for _, path := range []string{
			fmt.Sprintf("/api/products/%d/variants/%d", other, vid), // a variant of another product
			fmt.Sprintf("/api/products/999999/variants/%d", vid),
			base + "/999999",
		} {
			if r := e.getJSON(t, path, tok); r.Status != 404 {
				t.Errorf("GET %s: %d", path, r.Status)
			}
			if r := e.sendJSON(t, "PATCH", path, tok, `{"title": "x"}`); r.Status != 404 {
				t.Errorf("PATCH %s: %d", path, r.Status)
			}
			if r := e.do(t, "DELETE", path, tok, nil, ""); r.Status != 404 {
				t.Errorf("DELETE %s: %d", path, r.Status)
			}
		}
		if r := e.getJSON(t, "/api/products/999999/variants", tok); r.Status != 404 {
			t.Errorf("list of a missing product: %d", r.Status)
		}
		if r := e.sendJSON(t, "POST", "/api/products/999999/variants", tok, `{"title": "x"}`); r.Status != 404 {
			t.Errorf("create under a missing product: %d", r.Status)
		}
	})
	t.Run("OK variant image", func(t *testing.T) {
		ms := e.images(t, tok, 2)
		img := idOf(e.attachOK(t, tok, pid, ms[0]))
		foreign := idOf(e.attachOK(t, tok, other, ms[1]))
		r := e.sendJSON(t, "PUT", vpath+"/image", tok, map[string]any{"image_id": img})
		if m := r.json(t); r.Status != 200 || m["image_id"] != float64(img) || m["image"].(map[string]any)["media_id"] != float64(ms[0]) {
			t.Fatalf("set: %d %s", r.Status, r.Body)
		}
		gi := e.getJSON(t, fmt.Sprintf("/api/products/%d/images/%d", pid, img), tok).json(t)
		if ids := gi["variant_ids"].([]any); len(ids) != 1 || ids[0] != float64(vid) {
			t.Fatalf("variant_ids: %v", gi)
		}
		if used := e.getJSON(t, fmt.Sprintf("/api/media/%d/usage", ms[0]), tok).json(t)["used_by"].([]any); len(used) != 2 {
			t.Fatalf("usage with variant: %v", used)
		}
		for _, c := range []struct {
			body   string
			status int
			code   string
		}{
			{fmt.Sprintf(`{"image_id": %d}`, foreign), 422, data.ECInvalidField}, // another product's image
			{`{"image_id": 999999}`, 422, data.ECInvalidField},
			{`{}`, 422, data.ECInvalidField},
			{`{"image_id": "1"}`, 422, data.ECInvalidField},
			{`{"media_id": 1}`, 422, data.ECUnknownField},
		} {
			if r := e.sendJSON(t, "PUT", vpath+"/image", tok, c.body); r.Status != c.status || r.errCode(t) != c.code {
				t.Errorf("%s: %d %s", c.body, r.Status, r.Body)
			}
		}
		if r := e.sendJSON(t, "PUT", fmt.Sprintf("/api/products/%d/variants/%d/image", other, vid), tok, map[string]any{"image_id": foreign}); r.Status != 404 {
			t.Errorf("through another product: %d %s", r.Status, r.Body)
		}
		r = e.sendJSON(t, "PUT", vpath+"/image", tok, `{"image_id": null}`)
		if r.Status != 200 || r.json(t)["image_id"] != nil || r.json(t)["image"] != nil {
			t.Fatalf("clear: %d %s", r.Status, r.Body)
		}
		// Detaching the image clears the variant's image.
		e.sendJSON(t, "PUT", vpath+"/image", tok, map[string]any{"image_id": img})
		if r := e.do(t, "DELETE", fmt.Sprintf("/api/products/%d/images/%d", pid, img), tok, nil, ""); r.Status != 204 {
			t.Fatalf("detach: %d %s", r.Status, r.Body)
		}
		if r := e.getJSON(t, vpath, tok); r.json(t)["image_id"] != nil {
			t.Fatalf("variant keeps a detached image: %s", r.Body)
		}
	})
	t.Run("OK delete", func(t *testing.T) {
		if r := e.do(t, "DELETE", vpath, tok, nil, ""); r.Status != 204 {
			t.Fatalf("%d %s", r.Status, r.Body)
		}
		if r := e.getJSON(t, vpath, tok); r.Status != 404 {
			t.Fatalf("after delete: %d", r.Status)
		}
	})
}

func TestCollectionsAPI(t *testing.T) {
	e := newTestEnv(t)
	tok := e.token(t, 0)
	ms := e.images(t, tok, 2)
	r := e.sendJSON(t, "POST", "/api/collections", tok, map[string]any{"title": "Summer sale", "media_id": ms[0]})
	if r.Status != 201 {
		t.Fatalf("create: %d %s", r.Status, r.Body)
	}
	c := r.json(t)
	cid := idOf(c)
	path := fmt.Sprintf("/api/collections/%d", cid)
	if c["handle"] != "summer-sale" || c["media_id"] != float64(ms[0]) || c["image"].(map[string]any)["src"] == "" {
		t.Fatalf("collection: %v", c)
	}

	t.Run("OK list get patch", func(t *testing.T) {
		e.sendJSON(t, "POST", "/api/collections", tok, map[string]any{"title": "Winter", "handle": "winter"})
		if r := e.getJSON(t, "/api/collections", tok); r.json(t)["total"] != 2.0 {
			t.Fatalf("list: %s", r.Body)
		}
		if r := e.getJSON(t, "/api/collections?q=summer&fields=id,title", tok); r.json(t)["total"] != 1.0 {
			t.Fatalf("q: %s", r.Body)
		}
		if r := e.getJSON(t, path, tok); r.Status != 200 || r.json(t)["title"] != "Summer sale" {
			t.Fatalf("get: %d %s", r.Status, r.Body)
		}
		if r := e.sendJSON(t, "PATCH", path, tok, map[string]any{"title": "Summer"}); r.Status != 200 || r.json(t)["title"] != "Summer" {
			t.Fatalf("patch: %d %s", r.Status, r.Body)
		}
	})
	t.Run("ErrValidation", func(t *testing.T) {
		pdf := idOf(e.uploadOK(t, tok, "spec.pdf", realPDF(t)))
		trashed := e.images(t, tok, 1)[0]
		e.do(t, "DELETE", fmt.Sprintf("/api/media/%d", trashed), tok, nil, "")
		for _, c := range []struct {
			method, path, body string
			status             int
			code               string
		}{
			{"POST", "/api/collections", `{"title": "Dup", "handle": "winter"}`, 409, data.ECConflict},
			{"POST", "/api/collections", `{"title": ""}`, 422, data.ECInvalidField},
			{"POST", "/api/collections", fmt.Sprintf(`{"title": "Docs", "media_id": %d}`, pdf), 422, data.ECInvalidField},
			{"PATCH", path, `{"handle": "winter"}`, 409, data.ECConflict},
			{"PATCH", path, `{}`, 400, data.ECEmptyUpdate},
			{"PUT", path + "/image", fmt.Sprintf(`{"media_id": %d}`, pdf), 422, data.ECInvalidField},
			{"PUT", path + "/image", fmt.Sprintf(`{"media_id": %d}`, trashed), 422, data.ECInvalidField},
			{"PUT", path + "/image", `{"media_id": 999999}`, 404, data.ECNotFound},
			{"PUT", path + "/image", `{}`, 422, data.ECInvalidField},
			{"PUT", "/api/collections/999999/image", `{"media_id": null}`, 404, data.ECNotFound},
		} {
			before := e.snapshot(t)
			if r := e.sendJSON(t, c.method, c.path, tok, c.body); r.Status != c.status || r.errCode(t) != c.code {
				t.Errorf("%s %s %s: %d %s", c.method, c.path, c.body, r.Status, r.Body)
			}
			if e.snapshot(t) != before {
				t.Errorf("%s %s %s changed state", c.method, c.path, c.body)
			}
		}
	})
	t.Run("OK image", func(t *testing.T) {
		r := e.sendJSON(t, "PUT", path+"/image", tok, map[string]any{"media_id": ms[1]})
		if r.Status != 200 || r.json(t)["media_id"] != float64(ms[1]) {
			t.Fatalf("set: %d %s", r.Status, r.Body)
		}
		used := e.getJSON(t, fmt.Sprintf("/api/media/%d/usage", ms[1]), tok).json(t)["used_by"].([]any)
		if len(used) != 1 || used[0].(map[string]any)["role"] != "collection_image" {
			t.Fatalf("usage: %v", used)
		}
		r = e.sendJSON(t, "PUT", path+"/image", tok, `{"media_id": null}`)
		if r.Status != 200 || r.json(t)["media_id"] != nil || r.json(t)["image"] != nil {
			t.Fatalf("clear: %d %s", r.Status, r.Body)
		}
	})
	t.Run("OK delete", func(t *testing.T) {
		if r := e.do(t, "DELETE", path, tok, nil, ""); r.Status != 204 {
			t.Fatalf("%d %s", r.Status, r.Body)
		}
		if r := e.getJSON(t, path, tok); r.Status != 404 {
			t.Fatalf("after delete: %d", r.Status)
		}
		if r := e.getJSON(t, fmt.Sprintf("/api/media/%d", ms[0]), tok); r.Status != 200 {
			t.Fatalf("its image left the library: %d", r.Status)
		}
	})
}

func TestGalleryAPI(t *testing.T) {
	e := newTestEnv(t)
	tok := e.token(t, 0)
	pid := e.createProduct(t, tok, "Mug")
	ms := e.images(t, tok, 4)
	base := fmt.Sprintf("/api/products/%d/images", pid)

	r := e.sendJSON(t, "POST", base, tok, map[string]any{"media_id": ms[0]})
	if r.Status != 201 {
		t.Fatalf("attach: %d %s", r.Status, r.Body)
	}
	first := r.json(t)
	if first["position"] != 1.0 || first["media_id"] != float64(ms[0]) || first["mime_type"] != "image/jpeg" || first["width"] != 150.0 ||
		!strings.HasSuffix(first["src"].(string), ".jpg") || r.Header.Get("ETag") == "" ||
		r.Header.Get("Location") != fmt.Sprintf("%s/%d", base, idOf(first)) {
		t.Fatalf("image: %v %v", first, r.Header)
	}

	t.Run("OK attach at position with alt", func(t *testing.T) {
		e.attachOK(t, tok, pid, ms[1]) // position 2
		r := e.sendJSON(t, "POST", base, tok, map[string]any{"media_id": ms[2], "position": 1, "alt": "Mug from above"})
		if m := r.json(t); r.Status != 201 || m["position"] != 1.0 || m["alt"] != "Mug from above" {
			t.Fatalf("%d %s", r.Status, r.Body)
		}
		_, media, _ := e.gallery(t, tok, pid)
		if !slices.Equal(media, []int64{ms[2], ms[0], ms[1]}) {
			t.Fatalf("order: %v", media)
		}
		if m := e.getJSON(t, fmt.Sprintf("/api/media/%d", ms[2]), tok).json(t); m["alt"] != "Mug from above" {
			t.Fatalf("alt not on the media item: %v", m["alt"])
		}
		p := e.getJSON(t, fmt.Sprintf("/api/products/%d", pid), tok).json(t)
		if p["image_count"] != 3.0 || p["images_with_alt"] != 1.0 || p["featured_image"].(map[string]any)["media_id"] != float64(ms[2]) {
			t.Fatalf("product counts: %v", p)
		}
	})
	t.Run("ErrAttach", func(t *testing.T) {
		pdf := idOf(e.uploadOK(t, tok, "spec.pdf", realPDF(t)))
		trashed := e.images(t, tok, 1)[0]
		e.do(t, "DELETE", fmt.Sprintf("/api/media/%d", trashed), tok, nil, "")
		other, _ := e.app.orgs.CreateOrg(context.Background(), "elsewhere", "Elsewhere")
		foreign := idOf(e.uploadOK(t, e.token(t, other.ID), "theirs.jpg", readFile(t, goImageTestdata("video-001.jpeg"))))
		for _, c := range []struct {
			path, body string
			status     int
			code       string
		}{
			{base, fmt.Sprintf(`{"media_id": %d}`, ms[0]), 409, data.ECConflict},
			{base, fmt.Sprintf(`{"media_id": %d}`, pdf), 422, data.ECInvalidField},
			{base, fmt.Sprintf(`{"media_id": %d}`, trashed), 422, data.ECInvalidField},
			{base, `{"media_id": 999999}`, 404, data.ECNotFound},
			{base, fmt.Sprintf(`{"media_id": %d}`, foreign), 404, data.ECNotFound},
			{base, fmt.Sprintf(`{"media_id": %d, "position": 5}`, ms[3]), 422, data.ECInvalidField},
			{base, fmt.Sprintf(`{"media_id": %d, "position": 0}`, ms[3]), 422, data.ECInvalidField},
			{base, `{"media_id": "x"}`, 422, data.ECInvalidField},
			{base, fmt.Sprintf(`{"media_id": %d, "caption": "x"}`, ms[3]), 422, data.ECUnknownField},
			{base, `{}`, 400, data.ECMissingFile},
			{base, `{"media_id": 1`, 400, data.ECInvalidJSON},
			{"/api/products/999999/images", fmt.Sprintf(`{"media_id": %d}`, ms[3]), 404, data.ECNotFound},
		} {
			before := e.snapshot(t)
			r := e.sendJSON(t, "POST", c.path, tok, c.body)
			if r.Status != c.status || r.errCode(t) != c.code {
				t.Errorf("%s: %d %s", c.body, r.Status, r.Body)
			}
			if e.snapshot(t) != before {
				t.Errorf("%s changed state", c.body)
			}
		}
		if r := e.do(t, "POST", base, tok, strings.NewReader("media_id=1"), "application/x-www-form-urlencoded"); r.Status != 415 {
			t.Errorf("form-encoded: %d %s", r.Status, r.Body)
		}
	})
	t.Run("OK upload multipart and base64", func(t *testing.T) {
		png := readFile(t, goImageTestdata("video-001.png"))
		body, ct := multipartBody(t, []upFile{{name: "side.png", body: png}}, map[string]string{"position": "2", "alt": "Side view"})
		r := e.do(t, "POST", base, tok, body, ct)
		m := r.json(t)
		if r.Status != 201 || m["position"] != 2.0 || m["alt"] != "Side view" || m["mime_type"] != "image/png" {
			t.Fatalf("multipart: %d %s", r.Status, r.Body)
		}
		if mm := e.getJSON(t, fmt.Sprintf("/api/media/%d", int64(m["media_id"].(float64))), tok).json(t); mm["filename"] != "side.png" || mm["usage_count"] != 1.0 {
			t.Fatalf("uploaded media: %v", mm)
		}
		gif := readFile(t, goImageTestdata("video-001.gif"))
		r = e.sendJSON(t, "POST", base, tok, fmt.Sprintf(`{"filename": "anim.gif", "alt": "Spin", "attachment": %q}`, base64.StdEncoding.EncodeToString(gif)))
		if m := r.json(t); r.Status != 201 || m["position"] != 5.0 || m["mime_type"] != "image/gif" || m["alt"] != "Spin" {
			t.Fatalf("base64: %d %s", r.Status, r.Body)
		}
	})
	t.Run("ErrUpload", func(t *testing.T) {
		png := readFile(t, goImageTestdata("video-001.png"))
		pdf := realPDF(t)
		cases := []struct {
			name   string
			files  []upFile
			fields map[string]string
			path   string
			status int
			code   string
		}{
			{"document", []upFile{{name: "spec.pdf", body: pdf}}, nil, base, 422, data.ECInvalidField},
			{"two files", []upFile{{name: "a.png", body: png}, {name: "b.png", body: png}}, nil, base, 400, data.ECTooManyFiles},
			{"file and media_id", []upFile{{name: "a.png", body: png}}, map[string]string{"media_id": fmt.Sprint(ms[3])}, base, 422, data.ECInvalidField},
			{"bad position", []upFile{{name: "a.png", body: png}}, map[string]string{"position": "first"}, base, 422, data.ECInvalidField},
			{"position past the end", []upFile{{name: "a.png", body: png}}, map[string]string{"position": "99"}, base, 422, data.ECInvalidField},
			{"unknown field", []upFile{{name: "a.png", body: png}}, map[string]string{"caption": "x"}, base, 422, data.ECUnknownField},
			{"not an image at all", []upFile{{name: "a.png", body: []byte("hello, world")}}, nil, base, 415, data.ECUnsupportedType},
			{"missing product", []upFile{{name: "a.png", body: png}}, nil, "/api/products/999999/images", 404, data.ECNotFound},
		}
		for _, c := range cases {
			before := e.snapshot(t)
			body, ct := multipartBody(t, c.files, c.fields)
			r := e.do(t, "POST", c.path, tok, body, ct)
			if r.Status != c.status || r.errCode(t) != c.code {
				t.Errorf("%s: %d %s", c.name, r.Status, r.Body)
			}
			if e.snapshot(t) != before {
				t.Errorf("%s changed state:\n%s\n----\n%s", c.name, before, e.snapshot(t))
			}
		}
	})
	t.Run("OK list params", func(t *testing.T) {
		r := e.getJSON(t, base, tok)
		body := r.json(t)
		items := body["data"].([]any)
		if r.Status != 200 || body["total"] != 5.0 || len(items) != 5 || body["limit"] != 250.0 {
			t.Fatalf("list: %d %s", r.Status, r.Body)
		}
		etag := r.Header.Get("ETag")
		if !strings.HasPrefix(etag, fmt.Sprintf(`W/"g%d-`, pid)) {
			t.Fatalf("etag %q", etag)
		}
		second := items[1].(map[string]any)
		if r := e.getJSON(t, base+"?position=2", tok); r.json(t)["total"] != 1.0 || idOf(r.json(t)["data"].([]any)[0].(map[string]any)) != idOf(second) {
			t.Fatalf("position: %s", r.Body)
		}
		if r := e.getJSON(t, base+"?src="+second["src"].(string), tok); r.json(t)["total"] != 1.0 {
			t.Fatalf("src: %s", r.Body)
		}
		if r := e.getJSON(t, base+"?src=https://elsewhere.example/x.jpg", tok); r.json(t)["total"] != 0.0 {
			t.Fatalf("foreign src: %s", r.Body)
		}
		minID := idOf(first)
		if r := e.getJSON(t, fmt.Sprintf("%s?since_id=%d", base, minID), tok); r.json(t)["total"] != 4.0 {
			t.Fatalf("since_id: %s", r.Body)
		}
		r = e.getJSON(t, base+"?limit=2&offset=1&fields=id,position", tok)
		page := r.json(t)["data"].([]any)
		if len(page) != 2 || page[0].(map[string]any)["position"] != 2.0 || len(page[0].(map[string]any)) != 2 {
			t.Fatalf("limit/offset/fields: %s", r.Body)
		}
		for _, q := range []string{"limit=0", "limit=251", "offset=x", "since_id=-2", "position=a", "fields=id,url"} {
			if r := e.getJSON(t, base+"?"+q, tok); r.Status != 400 || r.errCode(t) != data.ECInvalidParameter {
				t.Errorf("%s: %d %s", q, r.Status, r.Body)
			}
		}
		if r := e.getJSON(t, "/api/products/999999/images", tok); r.Status != 404 {
			t.Errorf("missing product: %d", r.Status)
		}
	})
	t.Run("OK get patch image", func(t *testing.T) {
		images, media, etag := e.gallery(t, tok, pid)
		img := images[0]
		path := fmt.Sprintf("%s/%d", base, img)
		if r := e.getJSON(t, path, tok); r.Status != 200 || r.json(t)["position"] != 1.0 || r.Header.Get("ETag") != etag {
			t.Fatalf("get: %d %s %v", r.Status, r.Body, r.Header)
		}
		r := e.do(t, "PATCH", path, tok, strings.NewReader(`{"position": 3, "alt": "Top view"}`), "application/json", "If-Match", etag)
		if m := r.json(t); r.Status != 200 || m["position"] != 3.0 || m["alt"] != "Top view" || r.Header.Get("ETag") == etag {
			t.Fatalf("patch: %d %s", r.Status, r.Body)
		}
		_, got, _ := e.gallery(t, tok, pid)
		want := append([]int64{media[1], media[2], media[0]}, media[3:]...)
		if !slices.Equal(got, want) {
			t.Fatalf("after move to 3: %v, want %v", got, want)
		}
		if m := e.getJSON(t, fmt.Sprintf("/api/media/%d", media[0]), tok).json(t); m["alt"] != "Top view" {
			t.Fatalf("alt on the media item: %v", m["alt"])
		}
		// Move back to the front, alt only, alt cleared with null.
		e.sendJSON(t, "PATCH", path, tok, `{"position": 1}`)
		if r := e.sendJSON(t, "PATCH", path, tok, `{"alt": null}`); r.Status != 200 || r.json(t)["alt"] != nil || r.json(t)["position"] != 1.0 {
			t.Fatalf("alt null: %d %s", r.Status, r.Body)
		}
		if _, got, _ := e.gallery(t, tok, pid); !slices.Equal(got, media) {
			t.Fatalf("after moving back: %v, want %v", got, media)
		}
		for _, c := range []struct {
			body   string
			hdr    []string
			status int
			code   string
		}{
			{`{}`, nil, 400, data.ECEmptyUpdate},
			{`{"position": 0}`, nil, 422, data.ECInvalidField},
			{`{"position": 6}`, nil, 422, data.ECInvalidField},
			{`{"alt": "` + strings.Repeat("a", 1001) + `"}`, nil, 422, data.ECInvalidField},
			{`{"media_id": 3}`, nil, 422, data.ECUnknownField},
			{`{"position": 2}`, []string{"If-Match", etag}, 412, data.ECPreconditionFailed},
		} {
			before := e.snapshot(t)
			r := e.do(t, "PATCH", path, tok, strings.NewReader(c.body), "application/json", c.hdr...)
			if r.Status != c.status || r.errCode(t) != c.code {
				t.Errorf("%s: %d %s", c.body, r.Status, r.Body)
			}
			if e.snapshot(t) != before {
				t.Errorf("%s changed state", c.body)
			}
		}
		other := e.createProduct(t, tok, "Other")
		for _, p := range []string{fmt.Sprintf("/api/products/%d/images/%d", other, img), base + "/999999"} {
			if r := e.getJSON(t, p, tok); r.Status != 404 {
				t.Errorf("GET %s: %d", p, r.Status)
			}
			if r := e.sendJSON(t, "PATCH", p, tok, `{"position": 1}`); r.Status != 404 {
				t.Errorf("PATCH %s: %d", p, r.Status)
			}
			if r := e.do(t, "DELETE", p, tok, nil, ""); r.Status != 404 {
				t.Errorf("DELETE %s: %d", p, r.Status)
			}
		}
	})
	t.Run("OK reorder", func(t *testing.T) {
		images, _, etag := e.gallery(t, tok, pid)
		rev := slices.Clone(images)
		slices.Reverse(rev)
		r := e.do(t, "POST", base+"/reorder", tok, strings.NewReader(jsonIDs(rev)), "application/json", "If-Match", etag)
		if m := r.json(t); r.Status != 200 || m["success"] != true || m["updated"] != 4.0 { // the middle one stays
			t.Fatalf("reorder: %d %s", r.Status, r.Body)
		}
		newTag := r.Header.Get("ETag")
		got, _, listTag := e.gallery(t, tok, pid)
		if !slices.Equal(got, rev) || newTag == etag || newTag != listTag {
			t.Fatalf("after reorder: %v (want %v), etag %q → %q, list %q", got, rev, etag, newTag, listTag)
		}
		// Positions form, with a bare version in If-Match.
		version := strings.TrimSuffix(newTag[strings.LastIndex(newTag, "-")+1:], `"`)
		var ps []string
		for i, id := range images { // back to the original order
			ps = append(ps, fmt.Sprintf(`{"id": %d, "position": %d}`, id, i+1))
		}
		r = e.do(t, "POST", base+"/reorder", tok, strings.NewReader(`{"positions": [`+strings.Join(ps, ",")+`]}`), "application/json", "If-Match", version)
		if r.Status != 200 || r.json(t)["updated"] != 4.0 {
			t.Fatalf("positions: %d %s", r.Status, r.Body)
		}
		if got, _, _ := e.gallery(t, tok, pid); !slices.Equal(got, images) {
			t.Fatalf("after positions: %v", got)
		}
		// The same order again changes nothing, not even the version.
		_, _, tag := e.gallery(t, tok, pid)
		r = e.sendJSON(t, "POST", base+"/reorder", tok, jsonIDs(images))
		if r.Status != 200 || r.json(t)["updated"] != 0.0 || r.Header.Get("ETag") != tag {
			t.Fatalf("no-op reorder: %d %s %v", r.Status, r.Body, r.Header)
		}
	})
	t.Run("ErrReorder", func(t *testing.T) {
		images, _, etag := e.gallery(t, tok, pid)
		other := e.createProduct(t, tok, "Plate")
		foreign := idOf(e.attachOK(t, tok, other, ms[3]))
		n := len(images)
		cases := []struct {
			name, body string
			hdr        []string
			status     int
			code       string
		}{
			{"missing one", jsonIDs(images[1:]), nil, 422, data.ECInvalidField},
			{"repeated", jsonIDs(append(slices.Clone(images[:n-1]), images[0])), nil, 422, data.ECInvalidField},
			{"extra", jsonIDs(append(slices.Clone(images), 999999)), nil, 422, data.ECInvalidField},
			{"another product's image", jsonIDs(append(slices.Clone(images[1:]), foreign)), nil, 422, data.ECInvalidField},
			{"empty", `{"ids": []}`, nil, 422, data.ECInvalidField},
			{"neither", `{}`, nil, 422, data.ECInvalidField},
			{"both", fmt.Sprintf(`{"ids": [%d], "positions": []}`, images[0]), nil, 422, data.ECInvalidField},
			{"position twice", fmt.Sprintf(`{"positions": [{"id": %d, "position": 1}, {"id": %d, "position": 1}]}`, images[0], images[1]), nil, 422, data.ECInvalidField},
			{"position out of range", fmt.Sprintf(`{"positions": [{"id": %d, "position": 9}]}`, images[0]), nil, 422, data.ECInvalidField},
			{"positions not covering", fmt.Sprintf(`{"positions": [{"id": %d, "position": 1}]}`, images[0]), nil, 422, data.ECInvalidField},
			{"not ids", `{"ids": ["a"]}`, nil, 422, data.ECInvalidField},
			{"unknown field", `{"order": []}`, nil, 422, data.ECUnknownField},
			{"stale If-Match", jsonIDs(images), []string{"If-Match", `W/"g1-1"`}, 412, data.ECPreconditionFailed},
			{"another product's ETag", jsonIDs(images), []string{"If-Match", strings.Replace(etag, fmt.Sprintf("g%d-", pid), fmt.Sprintf("g%d-", other), 1)}, 412, data.ECPreconditionFailed},
			{"garbage If-Match", jsonIDs(images), []string{"If-Match", `"abc"`}, 412, data.ECPreconditionFailed},
		}
		for _, c := range cases {
			before := e.snapshot(t)
			r := e.do(t, "POST", base+"/reorder", tok, strings.NewReader(c.body), "application/json", c.hdr...)
			if r.Status != c.status || r.errCode(t) != c.code {
				t.Errorf("%s: %d %s", c.name, r.Status, r.Body)
			}
			if got, _, tag := e.gallery(t, tok, pid); !slices.Equal(got, images) || tag != etag {
				t.Errorf("%s changed the gallery: %v %s", c.name, got, tag)
			}
			if e.snapshot(t) != before {
				t.Errorf("%s changed state", c.name)
			}
		}
		// A stale version loses even when the order given is valid; the current one wins.
		e.sendJSON(t, "PATCH", fmt.Sprintf("%s/%d", base, images[0]), tok, `{"position": 2}`)
		fresh, _, cur := e.gallery(t, tok, pid)
		if r := e.do(t, "POST", base+"/reorder", tok, strings.NewReader(jsonIDs(images)), "application/json", "If-Match", etag); r.Status != 412 {
			t.Fatalf("second tab: %d %s", r.Status, r.Body)
		}
		if got, _, _ := e.gallery(t, tok, pid); !slices.Equal(got, fresh) {
			t.Fatalf("412 changed the gallery")
		}
		if r := e.do(t, "POST", base+"/reorder", tok, strings.NewReader(jsonIDs(images)), "application/json", "If-Match", cur+", *"); r.Status != 200 {
			t.Fatalf("current version: %d %s", r.Status, r.Body)
		}
		if r := e.sendJSON(t, "POST", "/api/products/999999/images/reorder", tok, `{"ids": []}`); r.Status != 404 {
			t.Fatalf("missing product: %d", r.Status)
		}
	})
	t.Run("OK detach", func(t *testing.T) {
		images, media, etag := e.gallery(t, tok, pid)
		if r := e.do(t, "DELETE", fmt.Sprintf("%s/%d", base, images[1]), tok, nil, "", "If-Match", `W/"g1-1"`); r.Status != 412 {
			t.Fatalf("stale detach: %d %s", r.Status, r.Body)
		}
		r := e.do(t, "DELETE", fmt.Sprintf("%s/%d", base, images[1]), tok, nil, "", "If-Match", etag)
		if r.Status != 204 || r.Header.Get("ETag") == etag {
			t.Fatalf("detach: %d %s", r.Status, r.Body)
		}
		got, _, _ := e.gallery(t, tok, pid)
		if !slices.Equal(got, append([]int64{images[0]}, images[2:]...)) {
			t.Fatalf("after detach: %v", got)
		}
		if m := e.getJSON(t, fmt.Sprintf("/api/media/%d", media[1]), tok); m.Status != 200 || m.json(t)["deleted_at"] != nil {
			t.Fatalf("detached media left the library: %s", m.Body)
		}
		if r := e.do(t, "DELETE", fmt.Sprintf("%s/%d", base, images[1]), tok, nil, ""); r.Status != 404 {
			t.Fatalf("detach twice: %d", r.Status)
		}
	})
	t.Run("OK media by product and unused", func(t *testing.T) {
		_, media, _ := e.gallery(t, tok, pid)
		r := e.getJSON(t, fmt.Sprintf("/api/media?product_id=%d&limit=100", pid), tok)
		var got []int64
		for _, it := range r.json(t)["data"].([]any) {
			got = append(got, idOf(it.(map[string]any)))
		}
		slices.Sort(got)
		want := slices.Sorted(slices.Values(media))
		if !slices.Equal(got, want) {
			t.Fatalf("product_id: %v, want %v", got, want)
		}
		r = e.getJSON(t, "/api/media?used=false&limit=100", tok)
		for _, it := range r.json(t)["data"].([]any) {
			m := it.(map[string]any)
			if m["usage_count"] != 0.0 || slices.Contains(media, idOf(m)) {
				t.Fatalf("used=false lists a used item: %v", m)
			}
		}
		if r.json(t)["total"] == 0.0 {
			t.Fatalf("used=false lists nothing: %s", r.Body)
		}
		r = e.getJSON(t, "/api/media?used=true&limit=100", tok)
		for _, it := range r.json(t)["data"].([]any) {
			if it.(map[string]any)["usage_count"] == 0.0 {
				t.Fatalf("used=true lists an unused item: %v", it)
			}
		}
	})
	t.Run("OK delete product keeps media", func(t *testing.T) {
		_, media, _ := e.gallery(t, tok, pid)
		if r := e.do(t, "DELETE", fmt.Sprintf("/api/products/%d", pid), tok, nil, ""); r.Status != 204 {
			t.Fatalf("%d %s", r.Status, r.Body)
		}
		for _, id := range media {
			r := e.getJSON(t, fmt.Sprintf("/api/media/%d", id), tok)
			if r.Status != 200 || r.json(t)["deleted_at"] != nil || r.json(t)["usage_count"] != 0.0 {
				t.Fatalf("media %d after product delete: %d %s", id, r.Status, r.Body)
			}
		}
		var n int
		e.app.db.QueryRowForTest(`SELECT COUNT(*) FROM gallery_images WHERE product_id = ?`, pid).Scan(&n)
		if n != 0 {
			t.Fatalf("%d gallery rows left", n)
		}
		if r := e.getJSON(t, base, tok); r.Status != 404 {
			t.Fatalf("gallery of a deleted product: %d", r.Status)
		}
	})
}

func TestGalleryFull(t *testing.T) {
	e := newTestEnv(t, func(c *config) { c.limits.MaxGalleryImages = 3 })
	tok := e.token(t, 0)
	pid := e.createProduct(t, tok, "Lamp")
	ms := e.images(t, tok, 4)
	for _, id := range ms[:3] {
		e.attachOK(t, tok, pid, id)
	}
	before := e.snapshot(t)
	r := e.sendJSON(t, "POST", fmt.Sprintf("/api/products/%d/images", pid), tok, map[string]any{"media_id": ms[3]})
	if r.Status != 422 || r.errCode(t) != data.ECGalleryFull || !strings.Contains(string(r.Body), "at most 3") {
		t.Fatalf("4th image: %d %s", r.Status, r.Body)
	}
	body, ct := multipartBody(t, []upFile{{name: "more.png", body: readFile(t, goImageTestdata("video-001.png"))}}, nil)
	if r := e.do(t, "POST", fmt.Sprintf("/api/products/%d/images", pid), tok, body, ct); r.Status != 422 || r.errCode(t) != data.ECGalleryFull {
		t.Fatalf("upload into a full gallery: %d %s", r.Status, r.Body)
	}
	if e.snapshot(t) != before {
		t.Fatalf("a refused attach changed state")
	}
	// The gallery filling up after the handler's early check: the service
	// creates the item, fails to attach it, and removes it and its new blob.
	ctx := data.WithPrincipal(context.Background(), data.Principal{OrgID: e.app.defOrg.ID, Actor: "test",
		Scopes: []data.Scope{data.ScopeProductsWrite, data.ScopeMediaCreate}})
	st, err := e.app.media.Stage(ctx, bytes.NewReader(readFile(t, goImageTestdata("video-001.gif"))), "late.gif")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.app.catalog.AttachUpload(ctx, pid, data.MediaCreate{Files: []*data.Staged{st}}, 0); data.ErrorCode(err) != data.ECGalleryFull {
		t.Fatalf("late upload: %v", err)
	}
	if e.snapshot(t) != before {
		t.Fatalf("a failed upload-and-attach left something behind:\n%s\n----\n%s", before, e.snapshot(t))
	}
}

// TestCatalogIsolation: another organization's product, variant, image and
// collection ids answer exactly like nonexistent ones, and nothing changes.
func TestCatalogIsolation(t *testing.T) {
	e := newTestEnv(t)
	other, err := e.app.orgs.CreateOrg(context.Background(), "other", "Other store")
	if err != nil {
		t.Fatal(err)
	}
	mine, theirs := e.token(t, 0), e.token(t, other.ID)
	pid := e.createProduct(t, mine, "Mine")
	mid := e.images(t, mine, 1)[0]
	img := idOf(e.attachOK(t, mine, pid, mid))
	vid := idOf(e.sendJSON(t, "POST", fmt.Sprintf("/api/products/%d/variants", pid), mine, `{"title": "S"}`).json(t))
	cid := idOf(e.sendJSON(t, "POST", "/api/collections", mine, `{"title": "Mine"}`).json(t))
	theirPID := e.createProduct(t, theirs, "Theirs")

	routes := func(pid, vid, img, cid int64) []apiRoute {
		p := fmt.Sprintf("/api/products/%d", pid)
		c := fmt.Sprintf("/api/collections/%d", cid)
		return []apiRoute{
			{"GET", p, "", ""},
			{"PATCH", p, "", `{"title": "stolen"}`},
			{"DELETE", p, "", ""},
			{"GET", p + "/variants", "", ""},
			{"POST", p + "/variants", "", `{"title": "x"}`},
			{"GET", fmt.Sprintf("%s/variants/%d", p, vid), "", ""},
			{"PATCH", fmt.Sprintf("%s/variants/%d", p, vid), "", `{"title": "x"}`},
			{"DELETE", fmt.Sprintf("%s/variants/%d", p, vid), "", ""},
			{"PUT", fmt.Sprintf("%s/variants/%d/image", p, vid), "", `{"image_id": null}`},
			{"GET", p + "/images", "", ""},
			{"POST", p + "/images", "", `{"media_id": 1}`},
			{"POST", p + "/images/reorder", "", `{"ids": []}`},
			{"GET", fmt.Sprintf("%s/images/%d", p, img), "", ""},
			{"PATCH", fmt.Sprintf("%s/images/%d", p, img), "", `{"alt": "x"}`},
			{"DELETE", fmt.Sprintf("%s/images/%d", p, img), "", ""},
			{"GET", c, "", ""},
			{"PATCH", c, "", `{"title": "x"}`},
			{"DELETE", c, "", ""},
			{"PUT", c + "/image", "", `{"media_id": null}`},
		}
	}
	missing := routes(999999, 999998, 999997, 999996)
	for i, rt := range routes(pid, vid, img, cid) {
		before := e.snapshot(t)
		got := e.do(t, rt.method, rt.path, theirs, strings.NewReader(rt.body), "application/json")
		want := e.do(t, missing[i].method, missing[i].path, theirs, strings.NewReader(rt.body), "application/json")
		if got.Status != 404 || got.Status != want.Status || string(got.Body) != string(want.Body) {
			t.Errorf("%s %s as another org: %d %s; nonexistent: %d %s", rt.method, rt.path, got.Status, got.Body, want.Status, want.Body)
		}
		if e.snapshot(t) != before {
			t.Errorf("%s %s as another org changed state", rt.method, rt.path)
		}
	}
	// Their own product cannot take my media, variants or images either.
	for _, c := range []struct{ method, path, body string }{
		{"POST", fmt.Sprintf("/api/products/%d/images", theirPID), fmt.Sprintf(`{"media_id": %d}`, mid)},
		{"PUT", fmt.Sprintf("/api/collections/%d/image", idOf(e.sendJSON(t, "POST", "/api/collections", theirs, `{"title": "T"}`).json(t))), fmt.Sprintf(`{"media_id": %d}`, mid)},
	} {
		before := e.snapshot(t)
		if r := e.sendJSON(t, c.method, c.path, theirs, c.body); r.Status != 404 {
			t.Errorf("%s %s with my media: %d %s", c.method, c.path, r.Status, r.Body)
		}
		if e.snapshot(t) != before {
			t.Errorf("%s %s changed state", c.method, c.path)
		}
	}
	for _, path := range []string{"/api/products", "/api/collections"} {
		r := e.getJSON(t, path, theirs)
		for _, it := range r.json(t)["data"].([]any) {
			if id := idOf(it.(map[string]any)); id == pid || id == cid {
				t.Errorf("%s lists another org's row %d", path, id)
			}
		}
	}
}

// TestCatalogScopes: products:read reads, products:write writes; nothing else does.
func TestCatalogScopes(t *testing.T) {
	e := newTestEnv(t)
	all := e.token(t, 0)
	pid := e.createProduct(t, all, "Mug")
	mid := e.images(t, all, 1)[0]
	img := idOf(e.attachOK(t, all, pid, mid))
	vid := idOf(e.sendJSON(t, "POST", fmt.Sprintf("/api/products/%d/variants", pid), all, `{"title": "S"}`).json(t))
	cid := idOf(e.sendJSON(t, "POST", "/api/collections", all, `{"title": "C"}`).json(t))
	p := fmt.Sprintf("/api/products/%d", pid)
	r, w := data.ScopeProductsRead, data.ScopeProductsWrite
	routes := []apiRoute{
		{"GET", "/api/products", r, ""},
		{"POST", "/api/products", w, `{"title": "x"}`},
		{"GET", p, r, ""},
		{"PATCH", p, w, `{"title": "x"}`},
		{"DELETE", p, w, ""},
		{"GET", p + "/variants", r, ""},
		{"POST", p + "/variants", w, `{"title": "x"}`},
		{"GET", fmt.Sprintf("%s/variants/%d", p, vid), r, ""},
		{"PATCH", fmt.Sprintf("%s/variants/%d", p, vid), w, `{"title": "x"}`},
		{"DELETE", fmt.Sprintf("%s/variants/%d", p, vid), w, ""},
		{"PUT", fmt.Sprintf("%s/variants/%d/image", p, vid), w, `{"image_id": null}`},
		{"GET", p + "/images", r, ""},
		{"POST", p + "/images", w, fmt.Sprintf(`{"media_id": %d}`, mid)},
		{"POST", p + "/images/reorder", w, fmt.Sprintf(`{"ids": [%d]}`, img)},
		{"GET", fmt.Sprintf("%s/images/%d", p, img), r, ""},
		{"PATCH", fmt.Sprintf("%s/images/%d", p, img), w, `{"alt": "x"}`},
		{"DELETE", fmt.Sprintf("%s/images/%d", p, img), w, ""},
		{"GET", "/api/collections", r, ""},
		{"POST", "/api/collections", w, `{"title": "x"}`},
		{"GET", fmt.Sprintf("/api/collections/%d", cid), r, ""},
		{"PATCH", fmt.Sprintf("/api/collections/%d", cid), w, `{"title": "x"}`},
		{"DELETE", fmt.Sprintf("/api/collections/%d", cid), w, ""},
		{"PUT", fmt.Sprintf("/api/collections/%d/image", cid), w, `{"media_id": null}`},
	}
	for _, rt := range routes {
		tok := e.tokenWithout(t, rt.scope)
		before := e.snapshot(t)
		res := e.do(t, rt.method, rt.path, tok, strings.NewReader(rt.body), "application/json")
		if res.Status != 403 || res.errCode(t) != data.ECMissingScope || !strings.Contains(string(res.Body), string(rt.scope)) {
			t.Errorf("%s %s without %s: %d %s", rt.method, rt.path, rt.scope, res.Status, res.Body)
		}
		if e.snapshot(t) != before {
			t.Errorf("%s %s without scope changed state", rt.method, rt.path)
		}
		if res := e.do(t, rt.method, rt.path, "", strings.NewReader(rt.body), "application/json"); res.Status != 401 {
			t.Errorf("%s %s without a token: %d", rt.method, rt.path, res.Status)
		}
	}
}

// TestUsageAndSafeDelete: "still used by" through the API, 409 in_use that
// changes nothing, force that detaches everywhere, and restore that puts the
// item back where it was.
func TestUsageAndSafeDelete(t *testing.T) {
	e := newTestEnv(t)
	tok := e.token(t, 0)
	ms := e.images(t, tok, 4)
	a, b, c, d := ms[0], ms[1], ms[2], ms[3]
	p1, p2 := e.createProduct(t, tok, "Mug"), e.createProduct(t, tok, "Plate")
	e.attachOK(t, tok, p1, b)
	imgA := idOf(e.attachOK(t, tok, p1, a)) // p1: b, a
	e.attachOK(t, tok, p1, c)               // p1: b, a, c
	e.attachOK(t, tok, p2, a)
	e.attachOK(t, tok, p2, d) // p2: a, d
	vid := idOf(e.sendJSON(t, "POST", fmt.Sprintf("/api/products/%d/variants", p1), tok, `{"title": "Large"}`).json(t))
	e.sendJSON(t, "PUT", fmt.Sprintf("/api/products/%d/variants/%d/image", p1, vid), tok, map[string]any{"image_id": imgA})
	cid := idOf(e.sendJSON(t, "POST", "/api/collections", tok, map[string]any{"title": "Kitchen", "media_id": a}).json(t))

	usage := func(id int64) []map[string]any {
		t.Helper()
		var out []map[string]any
		for _, u := range e.getJSON(t, fmt.Sprintf("/api/media/%d/usage", id), tok).json(t)["used_by"].([]any) {
			out = append(out, u.(map[string]any))
		}
		return out
	}
	t.Run("OK usage", func(t *testing.T) {
		u := usage(a)
		if len(u) != 4 {
			t.Fatalf("used_by: %v", u)
		}
		want := map[string]bool{
			fmt.Sprintf("product %d gallery 2", p1): true, fmt.Sprintf("product %d gallery 1", p2): true,
			fmt.Sprintf("variant %d variant_image %d", vid, p1): true, fmt.Sprintf("collection %d collection_image", cid): true,
		}
		for _, x := range u {
			var key string
			switch x["type"] {
			case "product":
				key = fmt.Sprintf("product %d %s %d", idOf(x), x["role"], int(x["position"].(float64)))
			case "variant":
				key = fmt.Sprintf("variant %d %s %d", idOf(x), x["role"], int64(x["product_id"].(float64)))
			default:
				key = fmt.Sprintf("collection %d %s", idOf(x), x["role"])
			}
			if !want[key] {
				t.Errorf("unexpected usage %q in %v", key, u)
			}
		}
		m := e.getJSON(t, fmt.Sprintf("/api/media/%d", a), tok).json(t)
		if len(m["used_by"].([]any)) != 4 || m["usage_count"] != 4.0 {
			t.Fatalf("media object: %v", m)
		}
		for _, it := range e.getJSON(t, "/api/media?limit=100", tok).json(t)["data"].([]any) {
			if x := it.(map[string]any); idOf(x) == a && x["usage_count"] != 4.0 {
				t.Fatalf("list usage_count: %v", x)
			}
		}
		if u := usage(d); len(u) != 1 || u[0]["position"] != 2.0 {
			t.Fatalf("usage of d: %v", u)
		}
	})
	t.Run("ErrInUse changes nothing", func(t *testing.T) {
		before := e.snapshot(t)
		r := e.do(t, "DELETE", fmt.Sprintf("/api/media/%d", a), tok, nil, "")
		if r.Status != 409 || r.errCode(t) != data.ECInUse {
			t.Fatalf("%d %s", r.Status, r.Body)
		}
		er := r.json(t)["error"].(map[string]any)
		if len(er["used_by"].([]any)) != 4 || !strings.Contains(er["message"].(string), "2 products, 1 variant and 1 collection") {
			t.Fatalf("in_use body: %s", r.Body)
		}
		if e.snapshot(t) != before {
			t.Fatalf("409 changed state")
		}
	})
	_, _, tag1 := e.gallery(t, tok, p1)
	t.Run("OK force detaches everywhere", func(t *testing.T) {
		if r := e.do(t, "DELETE", fmt.Sprintf("/api/media/%d?force=true", a), tok, nil, ""); r.Status != 204 {
			t.Fatalf("%d %s", r.Status, r.Body)
		}
		if _, m, tag := e.gallery(t, tok, p1); !slices.Equal(m, []int64{b, c}) || tag == tag1 {
			t.Fatalf("p1 after force: %v %s", m, tag)
		}
		if _, m, _ := e.gallery(t, tok, p2); !slices.Equal(m, []int64{d}) {
			t.Fatalf("p2 after force: %v", m)
		}
		if v := e.getJSON(t, fmt.Sprintf("/api/products/%d/variants/%d", p1, vid), tok).json(t); v["image_id"] != nil {
			t.Fatalf("variant keeps the image: %v", v)
		}
		if col := e.getJSON(t, fmt.Sprintf("/api/collections/%d", cid), tok).json(t); col["media_id"] != nil {
			t.Fatalf("collection keeps the image: %v", col)
		}
		if u := usage(a); len(u) != 0 {
			t.Fatalf("usage after force: %v", u)
		}
		if r := e.sendJSON(t, "POST", fmt.Sprintf("/api/products/%d/images", p1), tok, map[string]any{"media_id": a}); r.Status != 422 {
			t.Fatalf("attach a trashed item: %d %s", r.Status, r.Body)
		}
	})
	t.Run("OK restore puts it back", func(t *testing.T) {
		r := e.sendJSON(t, "POST", fmt.Sprintf("/api/media/%d/restore", a), tok, nil)
		if r.Status != 200 || r.json(t)["usage_count"] != 4.0 {
			t.Fatalf("restore: %d %s", r.Status, r.Body)
		}
		if _, m, _ := e.gallery(t, tok, p1); !slices.Equal(m, []int64{b, a, c}) {
			t.Fatalf("p1 after restore: %v", m)
		}
		if _, m, _ := e.gallery(t, tok, p2); !slices.Equal(m, []int64{a, d}) {
			t.Fatalf("p2 after restore: %v", m)
		}
		v := e.getJSON(t, fmt.Sprintf("/api/products/%d/variants/%d", p1, vid), tok).json(t)
		if v["image"] == nil || v["image"].(map[string]any)["media_id"] != float64(a) {
			t.Fatalf("variant image not restored: %v", v)
		}
		if col := e.getJSON(t, fmt.Sprintf("/api/collections/%d", cid), tok).json(t); col["media_id"] != float64(a) {
			t.Fatalf("collection image not restored: %v", col)
		}
	})
	t.Run("OK restore where still possible", func(t *testing.T) {
		if r := e.do(t, "DELETE", fmt.Sprintf("/api/media/%d?force=true", a), tok, nil, ""); r.Status != 204 {
			t.Fatalf("%d %s", r.Status, r.Body)
		}
		// Meanwhile: the collection gets another image, p2 is deleted,
		// p1 is reordered and loses an image.
		e.sendJSON(t, "PUT", fmt.Sprintf("/api/collections/%d/image", cid), tok, map[string]any{"media_id": d})
		e.do(t, "DELETE", fmt.Sprintf("/api/products/%d", p2), tok, nil, "")
		images, _, _ := e.gallery(t, tok, p1) // b, c
		e.do(t, "DELETE", fmt.Sprintf("/api/products/%d/images/%d", p1, images[0]), tok, nil, "")
		p3 := e.createProduct(t, tok, "Bowl") // may reuse p2's id: nothing of a must land in it
		if r := e.sendJSON(t, "POST", fmt.Sprintf("/api/media/%d/restore", a), tok, nil); r.Status != 200 {
			t.Fatalf("restore: %d %s", r.Status, r.Body)
		}
		if _, m, _ := e.gallery(t, tok, p1); !slices.Equal(m, []int64{c, a}) {
			t.Fatalf("p1 after restore: %v", m)
		}
		if _, m, _ := e.gallery(t, tok, p3); len(m) != 0 {
			t.Fatalf("restore landed in a new product: %v", m)
		}
		if col := e.getJSON(t, fmt.Sprintf("/api/collections/%d", cid), tok).json(t); col["media_id"] != float64(d) {
			t.Fatalf("restore replaced the collection's new image: %v", col)
		}
		if u := usage(a); len(u) != 2 { // p1's gallery and its variant
			t.Fatalf("usage after partial restore: %v", u)
		}
	})
}

// TestGalleryImportBySrc: {"src": URL} imports through the one fetcher and
// attaches; refused addresses and non-images change nothing.
func TestGalleryImportBySrc(t *testing.T) {
	e := newTestEnv(t, func(c *config) { c.fetch.Allow = []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")} })
	tok := e.token(t, 0)
	jpg := readFile(t, goImageTestdata("video-001.jpeg"))
	mux := http.NewServeMux()
	mux.HandleFunc("/front.jpg", func(w http.ResponseWriter, r *http.Request) { w.Write(jpg) })
	mux.HandleFunc("/spec.pdf", func(w http.ResponseWriter, r *http.Request) { w.Write(realPDF(t)) })
	url := origin(t, "127.0.0.1:0", mux)
	pid := e.createProduct(t, tok, "Mug")
	base := fmt.Sprintf("/api/products/%d/images", pid)
	e.attachOK(t, tok, pid, e.images(t, tok, 1)[0])

	r := e.sendJSON(t, "POST", base, tok, map[string]any{"src": url + "/front.jpg", "position": 1, "alt": "Imported"})
	m := r.json(t)
	if r.Status != 201 || m["position"] != 1.0 || m["alt"] != "Imported" || m["mime_type"] != "image/jpeg" {
		t.Fatalf("import: %d %s", r.Status, r.Body)
	}
	if mm := e.getJSON(t, fmt.Sprintf("/api/media/%d", int64(m["media_id"].(float64))), tok).json(t); mm["source_url"] != url+"/front.jpg" {
		t.Fatalf("source_url: %v", mm)
	}
	for _, c := range []struct {
		body   string
		status int
		code   string
	}{
		{fmt.Sprintf(`{"src": %q}`, url+"/spec.pdf"), 422, data.ECInvalidField},
		{`{"src": "http://169.254.169.254/latest/meta-data"}`, 422, data.ECURLNotAllowed},
		{`{"src": ""}`, 422, data.ECInvalidField},
		{`{"src": 5}`, 422, data.ECInvalidField},
		{fmt.Sprintf(`{"src": %q, "media_id": 1}`, url+"/front.jpg"), 422, data.ECInvalidField},
	} {
		before := e.snapshot(t)
		if r := e.sendJSON(t, "POST", base, tok, c.body); r.Status != c.status || r.errCode(t) != c.code {
			t.Errorf("%s: %d %s", c.body, r.Status, r.Body)
		}
		if e.snapshot(t) != before {
			t.Errorf("%s changed state", c.body)
		}
	}
}
