package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"image/color"
	"slices"
	"strings"
	"testing"

	"gallerist/data"
	"gallerist/handlers"
)

// strictEnv is an organization with something in every list: media, a
// product with variants and a gallery whose order is not the id order, more
// products, and collections.
type strictEnv struct {
	*testEnv
	tok                      string
	media, products          []int64
	variants, collections    []int64
	gallery                  []int64 // gallery image ids, ascending
	pid                      int64   // the product with the gallery and the variants
	galleryPath, variantPath string
}

func newStrictEnv(t testing.TB) *strictEnv {
	t.Helper()
	e := &strictEnv{testEnv: newTestEnv(t)}
	e.tok = e.token(t, 0)
	e.media = e.seedImages(t, 5)
	e.pid = e.createProduct(t, e.tok, "Mug")
	e.products = []int64{e.pid, e.createProduct(t, e.tok, "Bowl"), e.createProduct(t, e.tok, "Plate")}
	e.galleryPath = fmt.Sprintf("/api/products/%d/images", e.pid)
	e.variantPath = fmt.Sprintf("/api/products/%d/variants", e.pid)
	for _, mid := range e.media[:4] {
		e.gallery = append(e.gallery, idOf(e.attachOK(t, e.tok, e.pid, mid)))
	}
	// Reverse the gallery, so position order is the opposite of id order.
	rev := slices.Clone(e.gallery)
	slices.Reverse(rev)
	if r := e.sendJSON(t, "POST", e.galleryPath+"/reorder", e.tok, jsonIDs(rev)); r.Status != 200 {
		t.Fatalf("reorder: %d %s", r.Status, r.Body)
	}
	for _, title := range []string{"Small", "Medium", "Large"} {
		r := e.sendJSON(t, "POST", e.variantPath, e.tok, map[string]any{"title": title})
		if r.Status != 201 {
			t.Fatalf("variant: %d %s", r.Status, r.Body)
		}
		e.variants = append(e.variants, idOf(r.json(t)))
	}
	for _, title := range []string{"Summer", "Winter", "Sale"} {
		r := e.sendJSON(t, "POST", "/api/collections", e.tok, map[string]any{"title": title})
		if r.Status != 201 {
			t.Fatalf("collection: %d %s", r.Status, r.Body)
		}
		e.collections = append(e.collections, idOf(r.json(t)))
	}
	return e
}

// list GETs a list and returns its envelope; it fails unless the answer is 200.
func (e *strictEnv) list(t testing.TB, path string) (ids []int64, items []map[string]any, env map[string]any) {
	t.Helper()
	r := e.getJSON(t, path, e.tok)
	if r.Status != 200 {
		t.Fatalf("GET %s: %d %s", path, r.Status, r.Body)
	}
	env = r.json(t)
	for _, it := range env["data"].([]any) {
		m := it.(map[string]any)
		items = append(items, m)
		if id, ok := m["id"].(float64); ok {
			ids = append(ids, int64(id))
		}
	}
	return ids, items, env
}

// apiError GETs path (or sends method with body) and returns the error
// object of a 400 answer with the given code; it fails otherwise.
func (e *strictEnv) apiError(t testing.TB, method, path string, body any, status int, code string) map[string]any {
	t.Helper()
	var r *resp
	if body == nil {
		r = e.do(t, method, path, e.tok, nil, "")
	} else {
		r = e.sendJSON(t, method, path, e.tok, body)
	}
	if r.Status != status {
		t.Fatalf("%s %s: %d %s, want %d %s", method, path, r.Status, r.Body, status, code)
	}
	m, ok := r.json(t)["error"].(map[string]any)
	if !ok || m["code"] != code {
		t.Fatalf("%s %s: %s, want code %s", method, path, r.Body, code)
	}
	return m
}

func greaterThan(ids []int64, min int64) []int64 {
	var out []int64
	for _, id := range ids {
		if id > min {
			out = append(out, id)
		}
	}
	return out
}

// TestStrictListParams sends every shared list parameter to every list.
func TestStrictListParams(t *testing.T) {
	e := newStrictEnv(t)
	lists := []struct {
		name, path string
		ids        []int64
		maxLimit   int
		sorts      []string
	}{
		{"media", "/api/media", e.media, 100, data.MediaSortFields},
		{"products", "/api/products", e.products, 100, data.ProductSortFields},
		{"variants", e.variantPath, e.variants, 100, data.VariantSortFields},
		{"collections", "/api/collections", e.collections, 100, data.CollectionSortFields},
		{"gallery", e.galleryPath, e.gallery, data.DefaultLimits().MaxGalleryImages, data.GallerySortFields},
	}
	sep := func(path string) string {
		if strings.Contains(path, "?") {
			return "&"
		}
		return "?"
	}
	for _, l := range lists {
		all := slices.Clone(l.ids)
		slices.Sort(all)
		q := func(query string) string { return l.path + sep(l.path) + query }
		t.Run(l.name, func(t *testing.T) {
			t.Run("since_id", func(t *testing.T) {
				ids, _, _ := e.list(t, q(fmt.Sprintf("since_id=%d", all[0])))
				if want := greaterThan(all, all[0]); !slices.Equal(ids, want) {
					t.Errorf("since_id=%d: %v, want %v (ids greater, ascending)", all[0], ids, want)
				}
				ids, _, _ = e.list(t, q("since_id=0&limit=2"))
				if !slices.Equal(ids, all[:2]) {
					t.Errorf("since_id=0&limit=2: %v, want %v", ids, all[:2])
				}
				ids, _, _ = e.list(t, q(fmt.Sprintf("since_id=%d&sort=id", all[0])))
				if !slices.Equal(ids, all[1:]) {
					t.Errorf("since_id with sort=id: %v", ids)
				}
				if m := e.apiError(t, "GET", q(fmt.Sprintf("since_id=%d&sort=-id", all[0])), nil, 400, data.ECInvalidParameter); m["parameter"] != "sort" {
					t.Errorf("since_id with sort=-id: %v", m)
				}
				if m := e.apiError(t, "GET", q("since_id=-1"), nil, 400, data.ECInvalidParameter); m["parameter"] != "since_id" {
					t.Errorf("since_id=-1: %v", m)
				}
			})
			t.Run("sort", func(t *testing.T) {
				ids, _, _ := e.list(t, q("sort=id"))
				if !slices.Equal(ids, all) {
					t.Errorf("sort=id: %v, want %v", ids, all)
				}
				ids, _, _ = e.list(t, q("sort=-id"))
				desc := slices.Clone(all)
				slices.Reverse(desc)
				if !slices.Equal(ids, desc) {
					t.Errorf("sort=-id: %v, want %v", ids, desc)
				}
				for _, f := range l.sorts {
					if f == "position" && l.name == "media" {
						continue // needs product_id: TestStrictMIMETypeAndPositionSort
					}
					for _, s := range []string{f, "-" + f} {
						ids, _, _ = e.list(t, q("sort="+s))
						if got := slices.Sorted(slices.Values(ids)); !slices.Equal(got, all) {
							t.Errorf("sort=%s: %v", s, ids)
						}
					}
				}
				m := e.apiError(t, "GET", q("sort=colour"), nil, 400, data.ECInvalidParameter)
				if m["parameter"] != "sort" || !strings.Contains(m["message"].(string), "created_at") {
					t.Errorf("sort=colour: %v", m)
				}
			})
			t.Run("fields", func(t *testing.T) {
				_, items, _ := e.list(t, q("fields=id,created_at"))
				for _, it := range items {
					if len(it) != 2 || it["id"] == nil || it["created_at"] == nil {
						t.Fatalf("fields=id,created_at: %v", it)
					}
				}
				if m := e.apiError(t, "GET", q("fields=id,colour"), nil, 400, data.ECInvalidParameter); m["parameter"] != "fields" {
					t.Errorf("fields=colour: %v", m)
				}
			})
			t.Run("limit", func(t *testing.T) {
				ids, _, env := e.list(t, q("limit=1&sort=id"))
				if !slices.Equal(ids, all[:1]) || env["limit"].(float64) != 1 || int(env["total"].(float64)) != len(all) {
					t.Errorf("limit=1: %v %v", ids, env)
				}
				for _, bad := range []string{"0", "-1", "x", fmt.Sprint(l.maxLimit + 1)} {
					if m := e.apiError(t, "GET", q("limit="+bad), nil, 400, data.ECInvalidParameter); m["parameter"] != "limit" {
						t.Errorf("limit=%s: %v", bad, m)
					}
				}
			})
			t.Run("offset", func(t *testing.T) {
				ids, _, env := e.list(t, q("offset=1&sort=id"))
				if !slices.Equal(ids, all[1:]) || env["offset"].(float64) != 1 {
					t.Errorf("offset=1: %v %v", ids, env)
				}
				if m := e.apiError(t, "GET", q("offset=-1"), nil, 400, data.ECInvalidParameter); m["parameter"] != "offset" {
					t.Errorf("offset=-1: %v", m)
				}
			})
			t.Run("unknown", func(t *testing.T) {
				m := e.apiError(t, "GET", q("colour=red"), nil, 400, data.ECUnknownParameter)
				known, _ := m["known_parameters"].([]any)
				if m["parameter"] != "colour" || !slices.Contains(known, any("since_id")) || m["use"] != nil {
					t.Errorf("colour=red: %v", m)
				}
				if m := e.apiError(t, "GET", q("limit=1&limit=2"), nil, 400, data.ECInvalidParameter); m["parameter"] != "limit" {
					t.Errorf("limit twice: %v", m)
				}
			})
		})
	}
	t.Run("NotLists", func(t *testing.T) {
		for _, path := range []string{
			fmt.Sprintf("/api/media/%d?colour=red", e.media[0]),
			fmt.Sprintf("/api/media/%d/usage?fields=id", e.media[0]),
			fmt.Sprintf("/api/products/%d?q=mug", e.pid),
			fmt.Sprintf("/api/products/%d/images/%d?since_id=1", e.pid, e.gallery[0]),
			"/api/ping?verbose=1",
		} {
			e.apiError(t, "GET", path, nil, 400, data.ECUnknownParameter)
		}
		if m := e.apiError(t, "DELETE", fmt.Sprintf("/api/media/%d?forced=true", e.media[4]), nil, 400, data.ECUnknownParameter); m["parameter"] != "forced" {
			t.Errorf("forced: %v", m)
		}
		if m := e.apiError(t, "POST", "/api/products?title=Cup", map[string]any{"title": "Cup"}, 400, data.ECUnknownParameter); m["parameter"] != "title" {
			t.Errorf("title in the query: %v", m)
		}
	})
}

// TestStrictVendorSpellings sends the query parameters of the five seed
// APIs, as a client ported from each would, and expects 400
// unknown_parameter with what to use instead.
func TestStrictVendorSpellings(t *testing.T) {
	e := newStrictEnv(t)
	gallery := e.galleryPath
	cases := []struct {
		seed, path, param string
		use               []string // nil: a hint but nothing to use instead
	}{
		{"000", "/api/media?product_id=1&file_type=image/jpeg", "file_type", []string{"mime_type"}},
		{"000", "/api/media?$limit=10", "$limit", []string{"limit"}},
		{"000", "/api/media?$skip=0", "$skip", []string{"offset"}},
		{"000", gallery + "?$limit=10&$skip=0", "$limit", []string{"limit"}},
		{"000", gallery + "?$sort=position", "$sort", []string{"sort"}},
		{"000", "/api/media?organization_id=27", "organization_id", nil},
		{"001", "/api/media?page=2&limit=10", "page", []string{"limit", "offset"}},
		{"001", "/api/products?with_count=true", "with_count", nil},
		{"001", "/api/products?search=mug", "search", []string{"q"}},
		{"002", "/api/media?query=front", "query", []string{"q"}},
		{"003", "/api/media?page=1", "page", []string{"limit", "offset"}},
		{"003", "/api/media?page_size=100", "page_size", []string{"limit"}},
		{"003", "/api/media?type=image", "type", []string{"kind"}},
		{"003", "/api/media?search=example", "search", []string{"q"}},
		{"004", gallery + "?page=1", "page", []string{"limit", "offset"}},
		{"004", gallery + "?per_page=30", "per_page", []string{"limit"}},
		{"004", "/api/products?per_page=30", "per_page", []string{"limit"}},
	}
	for _, c := range cases {
		t.Run(c.seed+"/"+c.param, func(t *testing.T) {
			m := e.apiError(t, "GET", c.path, nil, 400, data.ECUnknownParameter)
			if m["parameter"] != c.param {
				t.Errorf("parameter %v, want %s", m["parameter"], c.param)
			}
			hint, _ := m["hint"].(string)
			if hint == "" || !strings.Contains(m["message"].(string), hint) {
				t.Errorf("no hint in %v", m)
			}
			var use []string
			for _, u := range asSlice(m["use"]) {
				use = append(use, u.(string))
			}
			if !slices.Equal(use, c.use) {
				t.Errorf("use %v, want %v", use, c.use)
			}
			for _, u := range c.use {
				if !strings.Contains(hint, u) {
					t.Errorf("hint %q does not name %s", hint, u)
				}
			}
		})
	}
	// What the seeds send that Gallerist takes as it is.
	for _, path := range []string{
		"/api/media?limit=10&offset=0&kind=image", // 002
		gallery + "?since_id=1&fields=id,src,position",
		gallery + "?position=1",
		"/api/media/" + fmt.Sprint(e.media[0]) + "?fields=id,mime_type,deleted_at",
	} {
		if r := e.getJSON(t, path, e.tok); r.Status != 200 {
			t.Errorf("GET %s: %d %s", path, r.Status, r.Body)
		}
	}
	// A hint only where the endpoint takes what it points to: products have no kind.
	if m := e.apiError(t, "GET", "/api/products?type=image", nil, 400, data.ECUnknownParameter); m["use"] != nil || m["hint"] != nil {
		t.Errorf("type on products: %v", m)
	}
}

func asSlice(v any) []any { s, _ := v.([]any); return s }

// TestStrictSinceIDSyncsAGallery pages a gallery whose order is not its id
// order by since_id, as a sync client does, and gets every image once.
func TestStrictSinceIDSyncsAGallery(t *testing.T) {
	e := newStrictEnv(t)
	var got []int64
	cursor := int64(0)
	for i := 0; i < 10; i++ {
		ids, _, _ := e.list(t, fmt.Sprintf("%s?since_id=%d&limit=2", e.galleryPath, cursor))
		if len(ids) == 0 {
			break
		}
		got = append(got, ids...)
		cursor = ids[len(ids)-1]
	}
	if !slices.Equal(got, e.gallery) {
		t.Fatalf("synced %v, want every image once in id order %v", got, e.gallery)
	}
	// Products too: ids greater than the cursor, ascending (not newest first).
	ids, _, _ := e.list(t, fmt.Sprintf("/api/products?since_id=%d", e.products[0]))
	if !slices.Equal(ids, e.products[1:]) {
		t.Errorf("products since_id: %v, want %v", ids, e.products[1:])
	}
}

// TestStrictMIMETypeAndPositionSort covers the mime_type filter and
// sort=position on product-scoped lists.
func TestStrictMIMETypeAndPositionSort(t *testing.T) {
	e := newStrictEnv(t)
	png := idOf(e.uploadOK(t, e.tok, "red.png", testPNG(t, 4, 4, colorRed)))
	gif := idOf(e.uploadOK(t, e.tok, "tri.gif", readFile(t, goImageTestdata("triangle-001.gif"))))
	t.Run("One", func(t *testing.T) {
		ids, items, _ := e.list(t, "/api/media?mime_type=image/png")
		if !slices.Equal(ids, []int64{png}) || items[0]["mime_type"] != "image/png" {
			t.Errorf("mime_type=image/png: %v", ids)
		}
	})
	t.Run("CommaList", func(t *testing.T) {
		ids, _, env := e.list(t, "/api/media?mime_type=image/png,image/gif&sort=id")
		if !slices.Equal(ids, []int64{png, gif}) || env["total"].(float64) != 2 {
			t.Errorf("mime_type=image/png,image/gif: %v %v", ids, env)
		}
	})
	t.Run("WithKind", func(t *testing.T) {
		ids, _, _ := e.list(t, "/api/media?kind=image&mime_type=IMAGE/JPEG")
		if len(ids) != len(e.media) {
			t.Errorf("kind=image&mime_type=image/jpeg: %v", ids)
		}
		if ids, _, _ := e.list(t, "/api/media?kind=video&mime_type=image/jpeg"); len(ids) != 0 {
			t.Errorf("kind=video&mime_type=image/jpeg: %v", ids)
		}
	})
	t.Run("ErrUnknownType", func(t *testing.T) {
		m := e.apiError(t, "GET", "/api/media?mime_type=image/jpg", nil, 400, data.ECInvalidParameter)
		if m["parameter"] != "mime_type" || !strings.Contains(m["message"].(string), "image/jpeg") {
			t.Errorf("mime_type=image/jpg: %v", m)
		}
	})
	t.Run("PositionOfAGallery", func(t *testing.T) {
		// The gallery holds media[0..3] in reverse order.
		want := slices.Clone(e.media[:4])
		slices.Reverse(want)
		ids, _, _ := e.list(t, fmt.Sprintf("/api/media?product_id=%d&sort=position", e.pid))
		if !slices.Equal(ids, want) {
			t.Errorf("media sort=position: %v, want %v", ids, want)
		}
		ids, _, _ = e.list(t, fmt.Sprintf("/api/media?product_id=%d&sort=-position", e.pid))
		if slices.Reverse(want); !slices.Equal(ids, want) {
			t.Errorf("media sort=-position: %v, want %v", ids, want)
		}
		if m := e.apiError(t, "GET", "/api/media?sort=position", nil, 400, data.ECInvalidParameter); m["parameter"] != "sort" {
			t.Errorf("sort=position without product_id: %v", m)
		}
		gids, items, _ := e.list(t, e.galleryPath+"?sort=position")
		for i, it := range items {
			if int(it["position"].(float64)) != i+1 {
				t.Fatalf("gallery sort=position: %v", gids)
			}
		}
		rev, _, _ := e.list(t, e.galleryPath+"?sort=-position")
		if slices.Reverse(rev); !slices.Equal(rev, gids) {
			t.Errorf("gallery sort=-position: %v", rev)
		}
	})
}

var colorRed = color.RGBA{255, 0, 0, 255}

// TestStrictErrorVocabulary covers one error vocabulary: non-object bodies,
// type errors in words, detail keys, and the ids, positions and booleans of
// query parameters.
func TestStrictErrorVocabulary(t *testing.T) {
	e := newStrictEnv(t)
	pid, vid, cid, iid := e.pid, e.variants[0], e.collections[0], e.gallery[0]
	endpoints := []struct{ method, path string }{
		{"POST", "/api/products"},
		{"PATCH", fmt.Sprintf("/api/products/%d", pid)},
		{"POST", e.variantPath},
		{"PATCH", fmt.Sprintf("%s/%d", e.variantPath, vid)},
		{"PUT", fmt.Sprintf("%s/%d/image", e.variantPath, vid)},
		{"POST", "/api/collections"},
		{"PATCH", fmt.Sprintf("/api/collections/%d", cid)},
		{"PUT", fmt.Sprintf("/api/collections/%d/image", cid)},
		{"POST", e.galleryPath + "/reorder"},
		{"PATCH", fmt.Sprintf("%s/%d", e.galleryPath, iid)},
		{"PUT", fmt.Sprintf("%s/%d", e.galleryPath, iid)},
		{"POST", e.galleryPath},
		{"PATCH", fmt.Sprintf("/api/media/%d", e.media[0])},
		{"POST", "/api/media"},
	}
	t.Run("NonObjectBodies", func(t *testing.T) {
		for _, ep := range endpoints {
			for _, body := range []string{`[]`, `[{"title": "x"}]`, `"x"`, `5`, `null`, `true`, ` null `} {
				m := e.apiError(t, ep.method, ep.path, body, 400, data.ECInvalidJSON)
				msg := m["message"].(string)
				for _, leak := range []string{"struct", "int64", "map[", "[]"} {
					if strings.Contains(msg, leak) {
						t.Errorf("%s %s %s: message leaks Go types: %q", ep.method, ep.path, body, msg)
					}
				}
			}
		}
	})
	t.Run("TypeErrorsInWords", func(t *testing.T) {
		for _, c := range []struct {
			method, path, body, field, words string
		}{
			{"POST", "/api/products", `{"title": 5}`, "title", "a string"},
			{"PATCH", fmt.Sprintf("/api/products/%d", pid), `{"title": ["x"]}`, "title", "a string"},
			{"POST", e.variantPath, `{"title": "x", "options": [1]}`, "options", "an object of strings"},
			{"PATCH", fmt.Sprintf("%s/%d", e.galleryPath, iid), `{"position": "first"}`, "position", "a whole number"},
			{"POST", "/api/collections", `{"title": "x", "media_id": "a"}`, "media_id", "a whole number"},
			{"POST", e.galleryPath + "/reorder", `{"positions": {"id": 1}}`, "positions", "a list"},
		} {
			m := e.apiError(t, c.method, c.path, c.body, 422, data.ECInvalidField)
			if m["field"] != c.field || !strings.Contains(m["message"].(string), c.words) || strings.ContainsAny(m["message"].(string), "{}[]") {
				t.Errorf("%s %s %s: %v", c.method, c.path, c.body, m)
			}
		}
	})
	t.Run("ReorderAsPositions", func(t *testing.T) {
		for _, body := range []string{`{"positions": null}`, `{"positions": []}`, fmt.Sprintf(`{"positions": [{"id": %d, "position": 1}]}`, iid)} {
			if m := e.apiError(t, "POST", e.galleryPath+"/reorder", body, 422, data.ECInvalidField); m["field"] != "positions" {
				t.Errorf("%s: field %v, want positions", body, m["field"])
			}
		}
		if m := e.apiError(t, "POST", e.galleryPath+"/reorder", `{"positions": [{"id": 1, "pos": 2}]}`, 422, data.ECUnknownField); m["field"] != "pos" {
			t.Errorf("unknown field in positions: %v", m)
		}
		if m := e.apiError(t, "POST", e.galleryPath+"/reorder", `{"ids": null}`, 422, data.ECInvalidField); m["field"] != "ids" {
			t.Errorf("ids null: %v", m)
		}
	})
	t.Run("ZeroIsNotNoFilter", func(t *testing.T) {
		if m := e.apiError(t, "GET", "/api/media?product_id=0", nil, 400, data.ECInvalidParameter); m["parameter"] != "product_id" {
			t.Errorf("product_id=0: %v", m)
		}
		for _, bad := range []string{"0", "-1", "x", "251"} {
			if m := e.apiError(t, "GET", e.galleryPath+"?position="+bad, nil, 400, data.ECInvalidParameter); m["parameter"] != "position" {
				t.Errorf("position=%s: %v", bad, m)
			}
		}
		if ids, _, _ := e.list(t, e.galleryPath+"?position=1"); len(ids) != 1 {
			t.Errorf("position=1: %v", ids)
		}
	})
	t.Run("Booleans", func(t *testing.T) {
		used := fmt.Sprintf("/api/media/%d", e.media[0]) // in the gallery
		for _, bad := range []string{"yes", "no", "on", "2", "TRUE!"} {
			if m := e.apiError(t, "DELETE", used+"?force="+bad, nil, 400, data.ECInvalidParameter); m["parameter"] != "force" || !strings.Contains(m["message"].(string), "true or false") {
				t.Errorf("force=%s: %v", bad, m)
			}
			if m := e.apiError(t, "GET", "/api/media?used="+bad, nil, 400, data.ECInvalidParameter); m["parameter"] != "used" {
				t.Errorf("used=%s: %v", bad, m)
			}
		}
		e.apiError(t, "DELETE", used+"?force=0", nil, 409, data.ECInUse)
		if r := e.do(t, "DELETE", used+"?force=1", e.tok, nil, ""); r.Status != 204 {
			t.Errorf("force=1: %d %s", r.Status, r.Body)
		}
		if ids, _, _ := e.list(t, "/api/media?used=false&sort=id"); !slices.Equal(ids, e.media[4:]) {
			t.Errorf("used=false: %v", ids)
		}
	})
}

// TestStrictBase64Attachments sends attachments as clients really encode them.
func TestStrictBase64Attachments(t *testing.T) {
	e := newStrictEnv(t)
	jpg := readFile(t, goImageTestdata("video-001.q50.420.jpeg"))
	png := readFile(t, goImageTestdata("video-001.png"))
	sum := func(b []byte) string { s := sha256.Sum256(b); return hex.EncodeToString(s[:]) }
	urlSafe := base64.RawURLEncoding.EncodeToString(jpg)
	if !strings.ContainsAny(urlSafe, "-_") {
		t.Fatal("the test file's URL-safe base64 has no - or _")
	}
	for _, c := range []struct {
		name, attachment string
		body             []byte
	}{
		{"DataURL", "data:image/png;base64," + base64.StdEncoding.EncodeToString(png), png},
		{"DataURLWrapped", "data:image/jpeg;base64,\n" + wrapLines(base64.StdEncoding.EncodeToString(jpg), 76), jpg},
		{"URLSafeUnpadded", urlSafe, jpg},
		{"URLSafePadded", base64.URLEncoding.EncodeToString(jpg), jpg},
		{"DataURLURLSafe", "data:image/jpeg;base64," + urlSafe, jpg},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := e.sendJSON(t, "POST", "/api/media", e.tok, map[string]any{"attachment": c.attachment, "filename": "photo"})
			if r.Status != 201 {
				t.Fatalf("%d %s", r.Status, r.Body)
			}
			if got := r.json(t)["media"].([]any)[0].(map[string]any)["sha256"]; got != sum(c.body) {
				t.Errorf("sha256 %v, want %s", got, sum(c.body))
			}
		})
	}
	t.Run("Gallery", func(t *testing.T) {
		pid := e.products[1]
		r := e.sendJSON(t, "POST", fmt.Sprintf("/api/products/%d/images", pid), e.tok,
			map[string]any{"attachment": "data:image/png;base64," + base64.RawURLEncoding.EncodeToString(png), "filename": "p.png", "position": 1})
		if r.Status != 201 || r.json(t)["position"].(float64) != 1 {
			t.Fatalf("%d %s", r.Status, r.Body)
		}
	})
	for _, c := range []struct{ name, attachment string }{
		{"Garbage", "!!!not base64!!!"},
		{"MixedAlphabets", base64.StdEncoding.EncodeToString(jpg)[:40] + "-_"},
		{"DataURLNotBase64", "data:image/png," + base64.StdEncoding.EncodeToString(png)},
		{"OneCharacterOver", base64.StdEncoding.EncodeToString(jpg) + "Q"},
	} {
		t.Run("Err"+c.name, func(t *testing.T) {
			m := e.apiError(t, "POST", "/api/media", map[string]any{"attachment": c.attachment, "filename": "x.jpg"}, 400, data.ECInvalidBase64)
			msg := m["message"].(string)
			if m["field"] != "attachment" || !strings.Contains(msg, "expected") || !strings.Contains(msg, "URL-safe") || !strings.Contains(msg, "data:image/png;base64,") {
				t.Errorf("%v", m)
			}
		})
	}
}

func wrapLines(s string, n int) string {
	var b strings.Builder
	for len(s) > n {
		b.WriteString(s[:n] + "\n")
		s = s[n:]
	}
	b.WriteString(s)
	return b.String()
}

// TestStrictGalleryImagePut replaces a gallery image's position and alt
// text, as seed 004's clients do.
func TestStrictGalleryImagePut(t *testing.T) {
	e := newStrictEnv(t)
	img := func(id int64) string { return fmt.Sprintf("%s/%d", e.galleryPath, id) }
	last := e.gallery[0] // the reversed gallery has the first image last
	t.Run("OK", func(t *testing.T) {
		r := e.sendJSON(t, "PUT", img(last), e.tok, map[string]any{"position": 1, "alt": "A blue mug"})
		if m := r.json(t); r.Status != 200 || m["position"].(float64) != 1 || m["alt"] != "A blue mug" {
			t.Fatalf("%d %s", r.Status, r.Body)
		}
		if r.Header.Get("ETag") == "" {
			t.Error("no ETag")
		}
		// A full replacement: alt left out clears it.
		r = e.sendJSON(t, "PUT", img(last), e.tok, map[string]any{"position": 2})
		if m := r.json(t); r.Status != 200 || m["position"].(float64) != 2 || m["alt"] != nil {
			t.Fatalf("without alt: %d %s", r.Status, r.Body)
		}
	})
	t.Run("Seed004Body", func(t *testing.T) {
		_, items, _ := e.list(t, e.galleryPath+"?sort=id")
		cur := items[1]
		body := map[string]any{"id": cur["id"], "src": cur["src"], "position": 1, "product_id": e.pid}
		r := e.sendJSON(t, "PUT", img(idOf(cur)), e.tok, body)
		if r.Status != 200 || r.json(t)["position"].(float64) != 1 {
			t.Fatalf("%d %s", r.Status, r.Body)
		}
		// The whole object a GET gave, sent back with a new position.
		cur = r.json(t)
		cur["position"] = float64(3)
		if r := e.sendJSON(t, "PUT", img(idOf(cur)), e.tok, cur); r.Status != 200 || r.json(t)["position"].(float64) != 3 {
			t.Fatalf("round trip: %d %s", r.Status, r.Body)
		}
	})
	t.Run("ErrReadOnly", func(t *testing.T) {
		for field, v := range map[string]any{"id": e.gallery[1], "product_id": e.products[1], "media_id": e.media[4], "src": "https://example.com/x.jpg"} {
			m := e.apiError(t, "PUT", img(last), map[string]any{"position": 1, field: v}, 422, data.ECInvalidField)
			if m["field"] != field {
				t.Errorf("%s: %v", field, m)
			}
		}
	})
	t.Run("ErrNoPosition", func(t *testing.T) {
		for _, body := range []string{`{"alt": "x"}`, `{"position": null}`} {
			if m := e.apiError(t, "PUT", img(last), body, 422, data.ECInvalidField); m["field"] != "position" {
				t.Errorf("%s: %v", body, m)
			}
		}
		if m := e.apiError(t, "PUT", img(last), `{"position": 9}`, 422, data.ECInvalidField); m["field"] != "position" {
			t.Errorf("position 9: %v", m)
		}
	})
	t.Run("AltScopeOnlyWhenItChanges", func(t *testing.T) {
		tok := e.token(t, 0, data.ScopeProductsRead, data.ScopeProductsWrite)
		e.sendJSON(t, "PATCH", img(last), e.tok, map[string]any{"alt": "Kept"})
		r := e.sendJSON(t, "PUT", img(last), tok, map[string]any{"position": 1, "alt": "Kept"})
		if r.Status != 200 || r.json(t)["alt"] != "Kept" {
			t.Fatalf("same alt without media:update: %d %s", r.Status, r.Body)
		}
		r = e.sendJSON(t, "PUT", img(last), tok, map[string]any{"position": 1, "alt": "Changed"})
		if r.Status != 403 || r.errCode(t) != data.ECMissingScope {
			t.Fatalf("new alt without media:update: %d %s", r.Status, r.Body)
		}
	})
	t.Run("PatchStays", func(t *testing.T) {
		r := e.sendJSON(t, "PATCH", img(last), e.tok, map[string]any{"position": 4})
		if r.Status != 200 || r.json(t)["alt"] != "Kept" {
			t.Fatalf("%d %s", r.Status, r.Body)
		}
	})
}

// TestStrictSoftDeleteIsVisible covers what a seed-000 client expects of a
// soft delete, and a restore that cannot put an item back everywhere.
func TestStrictSoftDeleteIsVisible(t *testing.T) {
	e := newTestEnv(t, func(c *config) { c.limits.MaxGalleryImages = 2 })
	tok := e.token(t, 0)
	ids := e.seedImages(t, 3)
	a, b, c := ids[0], ids[1], ids[2]
	pid := e.createProduct(t, tok, "Mug")
	e.attachOK(t, tok, pid, a)
	e.attachOK(t, tok, pid, b)
	r := e.sendJSON(t, "POST", fmt.Sprintf("/api/products/%d/variants", pid), tok, map[string]any{"title": "Red"})
	vid := idOf(r.json(t))
	imgs, _, _ := e.gallery(t, tok, pid)
	if r := e.sendJSON(t, "PUT", fmt.Sprintf("/api/products/%d/variants/%d/image", pid, vid), tok, map[string]any{"image_id": imgs[0]}); r.Status != 200 {
		t.Fatalf("variant image: %d %s", r.Status, r.Body)
	}
	r = e.sendJSON(t, "POST", "/api/collections", tok, map[string]any{"title": "Summer", "media_id": a})
	cid := idOf(r.json(t))

	r = e.do(t, "DELETE", fmt.Sprintf("/api/media/%d?force=true", a), tok, nil, "")
	if r.Status != 204 || len(r.Body) != 0 {
		t.Fatalf("delete: %d %q", r.Status, r.Body)
	}
	r = e.getJSON(t, fmt.Sprintf("/api/media/%d", a), tok)
	if m := r.json(t); r.Status != 200 || m["deleted_at"] == nil || m["id"].(float64) != float64(a) {
		t.Fatalf("GET of a trashed item: %d %s", r.Status, r.Body)
	}
	// Meanwhile the gallery fills up and the collection gets another image.
	e.attachOK(t, tok, pid, c)
	if r := e.sendJSON(t, "PUT", fmt.Sprintf("/api/collections/%d/image", cid), tok, map[string]any{"media_id": b}); r.Status != 200 {
		t.Fatalf("collection image: %d %s", r.Status, r.Body)
	}

	r = e.do(t, "POST", fmt.Sprintf("/api/media/%d/restore", a), tok, nil, "")
	if r.Status != 200 {
		t.Fatalf("restore: %d %s", r.Status, r.Body)
	}
	var got struct {
		DeletedAt   *string `json:"deleted_at"`
		NotRestored []struct {
			Type      string `json:"type"`
			ID        int64  `json:"id"`
			Title     string `json:"title"`
			Role      string `json:"role"`
			Position  int    `json:"position"`
			ProductID int64  `json:"product_id"`
			Reason    string `json:"reason"`
		} `json:"not_restored"`
	}
	if err := json.Unmarshal(r.Body, &got); err != nil {
		t.Fatal(err)
	}
	if got.DeletedAt != nil || len(got.NotRestored) != 3 {
		t.Fatalf("restore answer: %s", r.Body)
	}
	want := map[string]string{"product": "gallery_full", "variant": "not_in_gallery", "collection": "taken"}
	for _, u := range got.NotRestored {
		if want[u.Type] != u.Reason {
			t.Errorf("%s %d: reason %s, want %s (%s)", u.Type, u.ID, u.Reason, want[u.Type], r.Body)
		}
		switch u.Type {
		case "product":
			if u.ID != pid || u.Title != "Mug" || u.Role != "gallery" || u.Position != 1 {
				t.Errorf("gallery place: %+v", u)
			}
		case "variant":
			if u.ID != vid || u.ProductID != pid || u.Title != "Red" {
				t.Errorf("variant place: %+v", u)
			}
		case "collection":
			if u.ID != cid || u.Title != "Summer" {
				t.Errorf("collection place: %+v", u)
			}
		}
	}
	e.checkCatalogInvariants(t)

	// A restore that puts the item back everywhere reports nothing.
	e.do(t, "DELETE", fmt.Sprintf("/api/products/%d/images/%d", pid, imgs[1]), tok, nil, "")
	if r := e.do(t, "DELETE", fmt.Sprintf("/api/media/%d?force=true", c), tok, nil, ""); r.Status != 204 {
		t.Fatalf("delete: %d %s", r.Status, r.Body)
	}
	r = e.do(t, "POST", fmt.Sprintf("/api/media/%d/restore", c), tok, nil, "")
	if r.Status != 200 || !bytes.Contains(r.Body, []byte(`"not_restored":[]`)) {
		t.Fatalf("full restore: %d %s", r.Status, r.Body)
	}
}

// TestOpenAPIQueryParamsMatchRoutes checks that the OpenAPI document lists
// exactly the query parameters each operation takes (the routes table's),
// so what the strict check refuses is what the document leaves out.
func TestOpenAPIQueryParamsMatchRoutes(t *testing.T) {
	var doc struct {
		Paths map[string]map[string]json.RawMessage `json:"paths"`
	}
	if err := json.Unmarshal(handlers.OpenAPIDocument(), &doc); err != nil {
		t.Fatal(err)
	}
	type params []struct {
		Name string `json:"name"`
		In   string `json:"in"`
	}
	routes := handlers.APIQueryParams()
	for key, want := range routes {
		method, path, _ := strings.Cut(key, " ")
		item := doc.Paths[path]
		raw, ok := item[strings.ToLower(method)]
		if !ok {
			t.Errorf("%s is not in the document", key)
			continue
		}
		var op struct {
			Parameters params `json:"parameters"`
		}
		json.Unmarshal(raw, &op)
		var shared params
		json.Unmarshal(item["parameters"], &shared)
		var got []string
		for _, p := range append(shared, op.Parameters...) {
			if p.In == "query" {
				got = append(got, p.Name)
			}
		}
		slices.Sort(got)
		want = slices.Clone(want)
		slices.Sort(want)
		if !slices.Equal(got, want) {
			t.Errorf("%s: the document lists %v, the route takes %v", key, got, want)
		}
	}
	if len(routes) < 30 {
		t.Errorf("only %d routes", len(routes))
	}
}
