package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"

	"gallerist/data"
	"gallerist/handlers"
	"gallerist/web"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/legacy"
)

var (
	oaOnce   sync.Once
	oaRouter routers.Router
	oaErr    error
)

func openapiRouter() (routers.Router, error) {
	oaOnce.Do(func() {
		loader := openapi3.NewLoader()
		doc, err := loader.LoadFromData(handlers.OpenAPIDocument())
		if err != nil {
			oaErr = err
			return
		}
		if err := doc.Validate(context.Background(), openapi3.DisableExamplesValidation()); err != nil {
			oaErr = err
			return
		}
		oaRouter, oaErr = legacy.NewRouter(doc)
	})
	return oaRouter, oaErr
}

// validateResponse checks a real /api response against /api/openapi.json:
// the route and status must be documented and the JSON body must match.
func validateResponse(t testing.TB, req *http.Request, r *resp) {
	t.Helper()
	if !strings.HasPrefix(req.URL.Path, "/api/") {
		return
	}
	router, err := openapiRouter()
	if err != nil {
		t.Fatalf("openapi document: %v", err)
	}
	vreq := req.Clone(context.Background())
	vreq.Body = http.NoBody
	route, params, err := router.FindRoute(vreq)
	if err != nil {
		if r.Status == 404 || r.Status == 405 {
			return // unknown routes answer the error shape; checked elsewhere
		}
		t.Fatalf("%s %s is not in the OpenAPI document: %v", req.Method, req.URL.Path, err)
	}
	in := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: &openapi3filter.RequestValidationInput{Request: vreq, PathParams: params, Route: route,
			Options: &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc}},
		Status:  r.Status,
		Header:  r.Header,
		Body:    io.NopCloser(bytes.NewReader(r.Body)),
		Options: &openapi3filter.Options{IncludeResponseStatus: true, MultiError: true},
	}
	if r.Status == 304 || r.Status == 206 || req.Method == "HEAD" {
		in.Options.ExcludeResponseBody = true
	}
	if err := openapi3filter.ValidateResponse(context.Background(), in); err != nil {
		t.Errorf("%s %s → %d does not match the OpenAPI document: %v\nbody: %.500s", req.Method, req.URL.Path, r.Status, err, r.Body)
	}
}

func TestOpenAPIDocumentIsValid(t *testing.T) {
	if _, err := openapiRouter(); err != nil {
		t.Fatal(err)
	}
	e := newTestEnv(t)
	r := e.getJSON(t, "/api/openapi.json", "")
	if r.Status != 200 || !bytes.Contains(r.Body, []byte(`"openapi": "3.1.0"`)) {
		t.Fatalf("openapi.json: %d %.200s", r.Status, r.Body)
	}
}

// docOperation is one operation of the OpenAPI document, as the tests read it.
type docOperation struct {
	Path, Method string
	OperationID  string                     `json:"operationId"`
	Responses    map[string]json.RawMessage `json:"responses"`
	RequestBody  json.RawMessage            `json:"requestBody"`
	Parameters   []docParam                 `json:"parameters"`
	Security     []map[string][]string      `json:"security"`
}

type docParam struct {
	Ref    string         `json:"$ref"`
	Name   string         `json:"name"`
	In     string         `json:"in"`
	Schema map[string]any `json:"schema"`
}

// openapiDoc is the document, decoded.
func openapiDoc(t testing.TB) map[string]any {
	t.Helper()
	var doc map[string]any
	if err := json.Unmarshal(handlers.OpenAPIDocument(), &doc); err != nil {
		t.Fatal(err)
	}
	return doc
}

// openapiOperations lists every operation of the document, with the path's parameters.
func openapiOperations(t testing.TB) []docOperation {
	t.Helper()
	var doc struct {
		Paths map[string]map[string]json.RawMessage `json:"paths"`
	}
	if err := json.Unmarshal(handlers.OpenAPIDocument(), &doc); err != nil {
		t.Fatal(err)
	}
	var out []docOperation
	for path, item := range doc.Paths {
		var shared []docParam
		json.Unmarshal(item["parameters"], &shared)
		for method, raw := range item {
			if method == "parameters" {
				continue
			}
			op := docOperation{Path: path, Method: strings.ToUpper(method)}
			if err := json.Unmarshal(raw, &op); err != nil {
				t.Fatalf("%s %s: %v", method, path, err)
			}
			op.Parameters = append(slices.Clone(shared), op.Parameters...)
			out = append(out, op)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Path+out[i].Method < out[j].Path+out[j].Method })
	return out
}

// Issue 12, item 4: every route is documented (HEAD for every GET, OPTIONS
// on every path), nothing else is, and each operation lists the statuses
// the server can answer it with.
func TestOpenAPIDescribesEveryRoute(t *testing.T) {
	ops := map[string]docOperation{}
	for _, op := range openapiOperations(t) {
		ops[op.Method+" "+op.Path] = op
	}
	routes := map[string]web.Route{}
	for _, r := range handlers.New(handlers.Deps{}).Routes() {
		if !r.API || !strings.HasPrefix(r.Path, "/api/") {
			continue
		}
		path := regexp.MustCompile(`:([a-z_]+)`).ReplaceAllString(r.Path, "{$1}")
		routes[r.Method+" "+path] = r
		if r.Method == "GET" {
			routes["HEAD "+path] = r
		}
		routes["OPTIONS "+path] = web.Route{Method: "OPTIONS", Path: r.Path, Public: true, API: true}
	}
	for key, r := range routes {
		op, ok := ops[key]
		if !ok {
			t.Errorf("%s is not documented", key)
			continue
		}
		want := []string{"431", "500"}
		if r.Method != "OPTIONS" {
			want = append(want, "400", "413", "415")
			if !r.Public {
				want = append(want, "401", "403")
			}
			if strings.Contains(r.Path, ":") {
				want = append(want, "404")
			}
			if op.RequestBody != nil {
				want = append(want, "408", "422")
			}
			if r.Method != "GET" && r.Method != "HEAD" {
				want = append(want, "507")
			}
		}
		for _, s := range want {
			if _, ok := op.Responses[s]; !ok {
				t.Errorf("%s does not document %s", key, s)
			}
		}
		hasIfMatch := slices.ContainsFunc(op.Parameters, func(p docParam) bool { return strings.HasSuffix(p.Ref, "IfMatch") })
		if _, has412 := op.Responses["412"]; hasIfMatch != has412 {
			t.Errorf("%s: If-Match %v but 412 %v", key, hasIfMatch, has412)
		}
		hasINM := slices.ContainsFunc(op.Parameters, func(p docParam) bool { return strings.HasSuffix(p.Ref, "IfNoneMatch") })
		if _, has304 := op.Responses["304"]; hasINM != has304 {
			t.Errorf("%s: If-None-Match %v but 304 %v", key, hasINM, has304)
		}
	}
	for key := range ops {
		if _, ok := routes[key]; !ok {
			t.Errorf("%s is documented but not routed", key)
		}
	}
	for _, key := range []string{"GET /api/media/{id}", "GET /api/products/{id}", "GET /api/products/{id}/images", "HEAD /api/products/{id}/images"} {
		if _, ok := ops[key].Responses["304"]; !ok {
			t.Errorf("%s: no 304", key)
		}
	}
	for _, key := range []string{"PATCH /api/media/{id}", "DELETE /api/media/{id}", "PATCH /api/products/{id}", "PUT /api/products/{id}/images/{image_id}"} {
		if _, ok := ops[key].Responses["412"]; !ok {
			t.Errorf("%s: no 412", key)
		}
	}
}

// Issue 12, item 4: answers are described exactly: every object schema
// lists its properties and forbids others, and list items are typed.
func TestOpenAPIResponsesAreClosed(t *testing.T) {
	schemas := openapiDoc(t)["components"].(map[string]any)["schemas"].(map[string]any)
	var walk func(where string, s any)
	walk = func(where string, s any) {
		switch v := s.(type) {
		case map[string]any:
			if _, ok := v["properties"]; ok && v["additionalProperties"] != false {
				t.Errorf("%s: additionalProperties is %v, want false", where, v["additionalProperties"])
			}
			for k, sub := range v {
				walk(where+"."+k, sub)
			}
		case []any:
			for i, sub := range v {
				walk(fmt.Sprintf("%s[%d]", where, i), sub)
			}
		}
	}
	for name, s := range schemas {
		walk(name, s)
		if list, ok := s.(map[string]any)["properties"].(map[string]any)["data"].(map[string]any); ok && strings.HasSuffix(name, "List") {
			items := list["items"].(map[string]any)
			ref, _ := items["$ref"].(string)
			target, _ := schemas[strings.TrimPrefix(ref, "#/components/schemas/")].(map[string]any)
			if target == nil || target["properties"] == nil {
				t.Errorf("%s: list items are not a typed object: %v", name, items)
			}
		}
	}
	if len(schemas) < 20 {
		t.Fatalf("only %d schemas", len(schemas))
	}
}

// Issue 12, item 4: the enums are the server's, so they cannot drift.
func TestOpenAPIEnumsFromData(t *testing.T) {
	doc := openapiDoc(t)
	schemas := doc["components"].(map[string]any)["schemas"].(map[string]any)
	enum := func(path ...string) []string {
		var v any = schemas
		for _, p := range path {
			v = v.(map[string]any)[p]
		}
		var out []string
		for _, x := range v.([]any) {
			out = append(out, x.(string))
		}
		slices.Sort(out)
		return out
	}
	sorted := func(s []string) []string { s = slices.Clone(s); slices.Sort(s); return s }
	var kinds, scopes []string
	for _, k := range data.Kinds {
		kinds = append(kinds, string(k))
	}
	for _, s := range data.AllTokenScopes {
		scopes = append(scopes, string(s.Scope))
	}
	var codes []string
	for name := range schemas {
		if strings.HasPrefix(name, "Error") {
			codes = append(codes, enum(name, "properties", "error", "properties", "code", "enum")...)
		}
	}
	var all []string // the codes of every status the document has an answer for
	for c, status := range web.ErrorCodes() {
		if _, ok := schemas[fmt.Sprintf("Error%d", status)]; ok {
			all = append(all, c)
		} else if c != data.ECRateLimited { // 429 only rate-limits logins, in the UI
			t.Errorf("%s (%d) is in no answer of the document", c, status)
		}
	}
	slices.Sort(codes)
	for _, c := range []struct {
		name      string
		got, want []string
	}{
		{"kinds", enum("Media", "properties", "kind", "enum"), sorted(kinds)},
		{"mime types", enum("Media", "properties", "mime_type", "enum"), sorted(data.MIMETypes)},
		{"gallery mime types", enum("GalleryImage", "properties", "mime_type", "enum"), sorted(data.MIMETypes)},
		{"product statuses", enum("Product", "properties", "status", "enum"), []string{"active", "archived", "draft"}},
		{"unrestored reasons", enum("Unrestored", "properties", "reason", "enum"), sorted(data.UnrestoredReasons)},
		{"scopes", enum("Error403", "properties", "error", "properties", "required_scope", "enum"), sorted(scopes)},
		{"error codes (each status's, together)", codes, sorted(all)},
	} {
		if !slices.Equal(c.got, c.want) {
			t.Errorf("%s: the document lists %v, the server %v", c.name, c.got, c.want)
		}
	}
	for code, status := range web.ErrorCodes() {
		if s, ok := schemas[fmt.Sprintf("Error%d", status)]; ok && !slices.Contains(enum(fmt.Sprintf("Error%d", status), "properties", "error", "properties", "code", "enum"), code) {
			t.Errorf("%s is not among the codes of %d: %v", code, status, s)
		}
	}
}

// Issue 12, item 4: every parameter carries the bounds the server enforces,
// and the server agrees with each closed list (fields, sort) and bound
// (limit, q) the document states.
func TestOpenAPIParameterBounds(t *testing.T) {
	e := newTestEnv(t)
	tok := e.token(t, 0)
	m := e.uploadOK(t, tok, "a.png", realPNG(t, 12, 12))
	pid := e.createProduct(t, tok, "Mug")
	img := idOf(e.attachOK(t, tok, pid, idOf(m)))
	vid := idOf(e.sendJSON(t, "POST", fmt.Sprintf("/api/products/%d/variants", pid), tok, map[string]any{"title": "Red"}).json(t))
	cid := idOf(e.sendJSON(t, "POST", "/api/collections", tok, map[string]any{"title": "Summer"}).json(t))
	// A webhook row as it is stored (creating one through the API checks its URL's address).
	if err := e.app.db.ExecForTest(`INSERT INTO webhooks (org_id, url, events, secret, cursor, created_by, created_at)
		VALUES (?, 'https://example.com/hook', '["media.created"]', 'secret', 0, 'test', 0)`, e.app.defOrg.ID); err != nil {
		t.Fatal(err)
	}
	var hook int64
	e.app.db.QueryRowForTest(`SELECT MAX(id) FROM webhooks`).Scan(&hook)
	fill := strings.NewReplacer("{vid}", fmt.Sprint(vid), "{image_id}", fmt.Sprint(img))
	concrete := func(path string) string {
		path = fill.Replace(path)
		switch {
		case strings.HasPrefix(path, "/api/media/"):
			return strings.Replace(path, "{id}", fmt.Sprint(idOf(m)), 1)
		case strings.HasPrefix(path, "/api/collections/"):
			return strings.Replace(path, "{id}", fmt.Sprint(cid), 1)
		case strings.HasPrefix(path, "/api/webhooks/"):
			return strings.Replace(path, "{id}", fmt.Sprint(hook), 1)
		}
		return strings.Replace(path, "{id}", fmt.Sprint(pid), 1)
	}
	values := func(s map[string]any) []string {
		if items, ok := s["items"].(map[string]any); ok {
			s = items
		}
		var out []string
		for _, v := range s["enum"].([]any) {
			out = append(out, v.(string))
		}
		return out
	}
	status := func(path, query string) int {
		return e.getJSON(t, path+"?"+query, tok).Status
	}
	n := 0
	for _, op := range openapiOperations(t) {
		if op.Method != "GET" || !strings.HasPrefix(op.Path, "/api/") {
			continue
		}
		path := concrete(op.Path)
		for _, p := range op.Parameters {
			where := op.Method + " " + op.Path + " " + p.Name
			switch {
			case p.In == "path":
				if p.Schema["minimum"] != 1.0 {
					t.Errorf("%s: minimum %v, want 1", where, p.Schema["minimum"])
				}
			case p.Name == "limit":
				maxV := p.Schema["maximum"].(float64)
				if p.Schema["minimum"] != 1.0 || (maxV != 100 && maxV != float64(data.DefaultLimits().MaxGalleryImages)) {
					t.Errorf("%s: %v", where, p.Schema)
				}
				if status(path, fmt.Sprintf("limit=%d", int(maxV))) != 200 || status(path, fmt.Sprintf("limit=%d", int(maxV)+1)) != 400 || status(path, "limit=0") != 400 {
					t.Errorf("%s: the server's bound is not %v", where, maxV)
				}
			case p.Name == "offset" || p.Name == "since_id":
				if p.Schema["minimum"] != 0.0 || status(path, p.Name+"=-1") != 400 {
					t.Errorf("%s: %v", where, p.Schema)
				}
			case p.Name == "q":
				if p.Schema["maxLength"] != 200.0 || status(path, "q="+strings.Repeat("a", 200)) != 200 || status(path, "q="+strings.Repeat("a", 201)) != 400 {
					t.Errorf("%s: %v", where, p.Schema)
				}
			case p.Name == "fields":
				names := values(p.Schema)
				if status(path, "fields="+strings.Join(names, ",")) != 200 || status(path, "fields=colour") != 400 {
					t.Errorf("%s: the server does not take exactly %v", where, names)
				}
				n++
			case p.Name == "sort":
				for _, s := range values(p.Schema) {
					q := "sort=" + s
					if strings.TrimPrefix(s, "-") == "position" && op.Path == "/api/media" {
						q += fmt.Sprintf("&product_id=%d", pid)
					}
					if st := status(path, q); st != 200 {
						t.Errorf("%s=%s: %d", where, s, st)
					}
				}
				if status(path, "sort=colour") != 400 {
					t.Errorf("%s: an unknown sort is not refused", where)
				}
			}
		}
	}
	if n < 9 {
		t.Errorf("only %d fields parameters checked", n)
	}
}
