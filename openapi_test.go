package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"

	"gallerist/handlers"

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
