package main

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/netip"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"sync/atomic"
	"testing"

	"gallerist/data"
	"gallerist/handlers"
)

// wantMissingScope checks a 403 missing_scope answer naming the scope.
func wantMissingScope(t *testing.T, r *resp, scope data.Scope) {
	t.Helper()
	if r.Status != http.StatusForbidden || r.errCode(t) != data.ECMissingScope {
		t.Fatalf("%d %s, want 403 missing_scope", r.Status, r.Body)
	}
	e := r.json(t)["error"].(map[string]any)
	if e["required_scope"] != string(scope) || !strings.Contains(e["message"].(string), string(scope)) {
		t.Fatalf("error %v does not name %s", e, scope)
	}
}

// TestGalleryRoutesNeedMediaScopes: products:write lets a token arrange
// galleries with items already in the library; creating media through a
// gallery (upload, base64 attachment, src import) also needs media:create,
// and changing alt text through a gallery also needs media:update, exactly
// as through /api/media.
func TestGalleryRoutesNeedMediaScopes(t *testing.T) {
	e := newTestEnv(t, func(c *config) { c.fetch.Allow = []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")} })
	full := e.token(t, 0)
	write := e.token(t, 0, data.ScopeProductsRead, data.ScopeProductsWrite)
	writeCreate := e.token(t, 0, data.ScopeProductsRead, data.ScopeProductsWrite, data.ScopeMediaCreate)
	writeUpdate := e.token(t, 0, data.ScopeProductsRead, data.ScopeProductsWrite, data.ScopeMediaUpdate)

	jpg := readFile(t, goImageTestdata("video-001.jpeg"))
	png := readFile(t, goImageTestdata("video-001.png"))
	gif := readFile(t, goImageTestdata("video-001.gif"))
	var fetched atomic.Int64
	mux := http.NewServeMux()
	mux.HandleFunc("/front.gif", func(w http.ResponseWriter, r *http.Request) { fetched.Add(1); w.Write(gif) })
	src := origin(t, "127.0.0.1:0", mux) + "/front.gif"

	pid := e.createProduct(t, full, "Mug")
	base := fmt.Sprintf("/api/products/%d/images", pid)
	mid := e.images(t, full, 1)[0]
	other := e.images(t, full, 1)[0] // same bytes, another row
	b64 := base64.StdEncoding.EncodeToString(png)

	t.Run("CreateNeedsMediaCreate", func(t *testing.T) {
		for _, door := range []struct {
			name string
			send func(tok string) *resp
		}{
			{"Multipart", func(tok string) *resp {
				body, ct := multipartBody(t, []upFile{{name: "side.png", body: png}}, map[string]string{"alt": "Side"})
				return e.do(t, "POST", base, tok, body, ct)
			}},
			{"Base64Attachment", func(tok string) *resp {
				return e.sendJSON(t, "POST", base, tok, map[string]any{"attachment": b64, "filename": "side.png", "position": 1})
			}},
			{"Src", func(tok string) *resp {
				return e.sendJSON(t, "POST", base, tok, map[string]any{"src": src})
			}},
		} {
			t.Run(door.name, func(t *testing.T) {
				before := e.snapshot(t)
				fetchedBefore := fetched.Load()
				wantMissingScope(t, door.send(write), data.ScopeMediaCreate)
				if after := e.snapshot(t); after != before {
					t.Fatalf("a refused gallery upload changed state:\n%s\n----\n%s", before, after)
				}
				if fetched.Load() != fetchedBefore {
					t.Fatal("a refused import fetched its URL")
				}
				r := door.send(writeCreate)
				if r.Status != http.StatusCreated {
					t.Fatalf("with media:create: %d %s", r.Status, r.Body)
				}
				e.do(t, "DELETE", fmt.Sprintf("%s/%d", base, idOf(r.json(t))), writeCreate, nil, "")
			})
		}
	})

	t.Run("AttachExistingNeedsOnlyProductsWrite", func(t *testing.T) {
		r := e.sendJSON(t, "POST", base, write, map[string]any{"media_id": mid})
		if r.Status != http.StatusCreated {
			t.Fatalf("attach by media_id with products:write: %d %s", r.Status, r.Body)
		}
		body, ct := multipartBody(t, nil, map[string]string{"media_id": fmt.Sprint(other)})
		if r := e.do(t, "POST", base, write, body, ct); r.Status != http.StatusCreated {
			t.Fatalf("multipart attach by media_id with products:write: %d %s", r.Status, r.Body)
		}
		images, _, _ := e.gallery(t, full, pid)
		e.do(t, "DELETE", fmt.Sprintf("%s/%d", base, images[1]), write, nil, "")
	})

	t.Run("AttachWithAltNeedsMediaUpdate", func(t *testing.T) {
		images, _, _ := e.gallery(t, full, pid)
		e.do(t, "DELETE", fmt.Sprintf("%s/%d", base, images[0]), write, nil, "")
		before := e.snapshot(t)
		wantMissingScope(t, e.sendJSON(t, "POST", base, write, map[string]any{"media_id": mid, "alt": "Attacker's words"}), data.ScopeMediaUpdate)
		wantMissingScope(t, e.sendJSON(t, "POST", base, write, map[string]any{"media_id": mid, "alt": nil}), data.ScopeMediaUpdate)
		body, ct := multipartBody(t, nil, map[string]string{"media_id": fmt.Sprint(mid), "alt": "Attacker's words"})
		wantMissingScope(t, e.do(t, "POST", base, write, body, ct), data.ScopeMediaUpdate)
		if after := e.snapshot(t); after != before {
			t.Fatalf("a refused attach changed state")
		}
		r := e.sendJSON(t, "POST", base, writeUpdate, map[string]any{"media_id": mid, "alt": "Red mug"})
		if r.Status != http.StatusCreated || r.json(t)["alt"] != "Red mug" {
			t.Fatalf("attach with alt and media:update: %d %s", r.Status, r.Body)
		}
	})

	t.Run("AltEditNeedsMediaUpdate", func(t *testing.T) {
		images, _, _ := e.gallery(t, full, pid)
		img := fmt.Sprintf("%s/%d", base, images[0])
		wantMissingScope(t, e.sendJSON(t, "PATCH", img, write, map[string]any{"alt": "Attacker's words"}), data.ScopeMediaUpdate)
		wantMissingScope(t, e.sendJSON(t, "PATCH", img, write, map[string]any{"alt": "Attacker's words", "position": 1}), data.ScopeMediaUpdate)
		if m := e.getJSON(t, fmt.Sprintf("/api/media/%d", mid), full).json(t); m["alt"] != "Red mug" {
			t.Fatalf("a refused PATCH changed alt text: %v", m["alt"])
		}
		if r := e.sendJSON(t, "PATCH", img, write, map[string]any{"position": 1}); r.Status != http.StatusOK {
			t.Fatalf("moving with products:write: %d %s", r.Status, r.Body)
		}
		r := e.sendJSON(t, "PATCH", img, writeUpdate, map[string]any{"alt": "Red mug, front"})
		if r.Status != http.StatusOK || r.json(t)["alt"] != "Red mug, front" {
			t.Fatalf("alt with media:update: %d %s", r.Status, r.Body)
		}
	})

	t.Run("MediaRoutesUnchanged", func(t *testing.T) {
		wantMissingScope(t, e.upload(t, write, upFile{name: "x.jpg", body: jpg}), data.ScopeMediaCreate)
		wantMissingScope(t, e.sendJSON(t, "PATCH", fmt.Sprintf("/api/media/%d", mid), write, map[string]any{"alt": "x"}), data.ScopeMediaUpdate)
	})
}

// TestGalleryUIMediaScopes: the admin UI goes through the same checks with
// the role's scopes: an editor uploads into a gallery, attaches and edits
// alt text there; a viewer can do none of it.
func TestGalleryUIMediaScopes(t *testing.T) {
	e := newTestEnv(t)
	e.createUser(t, "editor@example.com", data.RoleEditor)
	e.createUser(t, "viewer@example.com", data.RoleViewer)
	tok := e.token(t, 0)
	pid := e.createProduct(t, tok, "Mug")
	mid := e.images(t, tok, 1)[0]
	editor, viewer := e.client(), e.client()
	editor.login(t, "editor@example.com", testOwnerPassword)
	viewer.login(t, "viewer@example.com", testOwnerPassword)
	png := readFile(t, goImageTestdata("video-001.png"))

	upload := func(c *uiClient) (int, string) {
		c.get(t, fmt.Sprintf("/products/%d", pid))
		body, ct := multipartBody(t, []upFile{{name: "side.png", body: png}}, nil)
		return c.req(t, "POST", fmt.Sprintf("/products/%d/images/upload", pid), body, ct, "X-CSRF-Token", c.csrf, "Accept", "application/json")
	}
	before := e.snapshot(t)
	if st, body := upload(viewer); st != http.StatusForbidden {
		t.Fatalf("viewer upload into a gallery: %d %.300s", st, body)
	}
	if st, _ := viewer.post(t, fmt.Sprintf("/products/%d/images", pid), url.Values{"media_id": {fmt.Sprint(mid)}}); st != http.StatusForbidden {
		t.Fatalf("viewer attach: %d", st)
	}
	if e.snapshot(t) != before {
		t.Fatal("a viewer's refused requests changed state")
	}

	if st, body := upload(editor); st != http.StatusCreated && st != http.StatusOK {
		t.Fatalf("editor upload into a gallery: %d %.300s", st, body)
	}
	if st, _ := editor.post(t, fmt.Sprintf("/products/%d/images", pid), url.Values{"media_id": {fmt.Sprint(mid)}}); st != http.StatusSeeOther {
		t.Fatalf("editor attach: %d", st)
	}
	images, _, _ := e.gallery(t, tok, pid)
	if len(images) != 2 {
		t.Fatalf("gallery has %d images, want 2", len(images))
	}
	alt := fmt.Sprintf("/products/%d/images/%d/alt", pid, images[1])
	if st, _ := viewer.post(t, alt, url.Values{"alt": {"Viewer's words"}}); st != http.StatusForbidden {
		t.Fatalf("viewer alt edit: %d", st)
	}
	if st, body := editor.post(t, alt, url.Values{"alt": {"Red mug"}}); st != http.StatusSeeOther {
		t.Fatalf("editor alt edit: %d %.300s", st, body)
	}
	if m := e.getJSON(t, fmt.Sprintf("/api/media/%d", mid), tok).json(t); m["alt"] != "Red mug" {
		t.Fatalf("alt after the editor's edit: %v", m["alt"])
	}
}

// TestOpenAPIDescribesScopes: every scoped /api operation names its scope
// (from the routes table), and the gallery operations whose body decides
// name the extra media scopes.
// alsoRequired are the scopes operations need besides their route's.
var alsoRequired = map[string][]string{"POST /api/imports": {string(data.ScopeProductsWrite)}}

func TestOpenAPIDescribesScopes(t *testing.T) {
	type operation struct {
		Security    []map[string][]string `json:"security"`
		Required    []string              `json:"x-required-scopes"`
		Conditional map[string]string     `json:"x-conditional-scopes"`
	}
	var raw struct {
		Paths map[string]map[string]json.RawMessage `json:"paths"`
	}
	if err := json.Unmarshal(handlers.OpenAPIDocument(), &raw); err != nil {
		t.Fatal(err)
	}
	doc := struct {
		Paths map[string]map[string]operation
	}{Paths: map[string]map[string]operation{}}
	for path, item := range raw.Paths {
		doc.Paths[path] = map[string]operation{}
		for method, v := range item {
			var op operation
			if method != "parameters" && json.Unmarshal(v, &op) == nil {
				doc.Paths[path][method] = op
			}
		}
	}
	n := 0
	for _, r := range handlers.New(handlers.Deps{}).Routes() {
		if !r.API || r.Scope == "" {
			continue
		}
		n++
		path := regexp.MustCompile(`:([a-z_]+)`).ReplaceAllString(r.Path, "{$1}")
		op, ok := doc.Paths[path][strings.ToLower(r.Method)]
		if !ok {
			t.Errorf("%s %s is not documented", r.Method, path)
			continue
		}
		// The routes table's scope, then any the handler always asks too
		// (TestImportZipAPI/ScopesBeforeTheBody checks the import's).
		want := append([]string{string(r.Scope)}, alsoRequired[r.Method+" "+path]...)
		if !slices.Equal(op.Required, want) || len(op.Security) != 1 || !slices.Equal(op.Security[0]["bearer"], want) {
			t.Errorf("%s %s: x-required-scopes %v, security %v; want %v", r.Method, path, op.Required, op.Security, want)
		}
	}
	if n < 30 {
		t.Fatalf("only %d scoped API routes", n)
	}
	add := doc.Paths["/api/products/{id}/images"]["post"].Conditional
	patch := doc.Paths["/api/products/{id}/images/{image_id}"]["patch"].Conditional
	if add[string(data.ScopeMediaCreate)] == "" || add[string(data.ScopeMediaUpdate)] == "" || patch[string(data.ScopeMediaUpdate)] == "" {
		t.Fatalf("gallery operations lack x-conditional-scopes: add %v, patch %v", add, patch)
	}
}
