package main

import (
	"context"
	"fmt"
	"net/http/httptest"
	"testing"

	"gallerist/data"
)

// BenchmarkMediaListInProcess measures one list request through the real app
// without the network, for profiling (go test -bench MediaListInProcess
// -cpuprofile); ping is the trivial endpoint through the same app, the
// baseline to divide by.
func BenchmarkMediaListInProcess(b *testing.B) {
	e := newTestEnv(b)
	tok := e.token(b, 0)
	seedMedia(b, e, 100_000)
	b.Run("ping", func(b *testing.B) { benchGetInProcess(b, e, tok, "/api/ping") })
	b.Run("cached", func(b *testing.B) { benchGetInProcess(b, e, tok, "/api/media?limit=24") })
	e.app.handlers.SetAnswerCache(false)
	defer e.app.handlers.SetAnswerCache(true)
	b.Run("uncached", func(b *testing.B) { benchGetInProcess(b, e, tok, "/api/media?limit=24") })
	e.app.handlers.SetRevCache(false)
	b.Run("uncached-rebuilt", func(b *testing.B) { benchGetInProcess(b, e, tok, "/api/media?limit=24") })
	e.app.handlers.SetRevCache(true)
	b.Run("search-mug", func(b *testing.B) { benchGetInProcess(b, e, tok, "/api/media?limit=24&q=mug") })
	ctx := data.WithPrincipal(context.Background(), data.Principal{OrgID: e.app.defOrg.ID, Actor: "bench", Role: data.RoleOwner, Scopes: data.RoleOwner.Scopes()})
	p, err := e.app.catalog.CreateProduct(ctx, data.ProductCreate{Title: "Big gallery"})
	if err != nil {
		b.Fatal(err)
	}
	ids := make([]int64, 250)
	for i := range ids {
		ids[i] = int64(100_000 - i)
	}
	if _, err := e.app.catalog.AttachMedia(ctx, p.ID, data.GalleryAttach{MediaIDs: ids}); err != nil {
		b.Fatal(err)
	}
	b.Run("gallery250", func(b *testing.B) { benchGetInProcess(b, e, tok, fmt.Sprintf("/api/products/%d/images", p.ID)) })
	e.app.handlers.SetRevCache(false)
	defer e.app.handlers.SetRevCache(true)
	b.Run("gallery250-rebuilt", func(b *testing.B) { benchGetInProcess(b, e, tok, fmt.Sprintf("/api/products/%d/images", p.ID)) })
}

func benchGetInProcess(b *testing.B, e *testEnv, tok, path string) {
	for i := 0; i < b.N; i++ {
		req := httptest.NewRequest("GET", path, nil)
		req.Header.Set("Authorization", "Bearer "+tok)
		res, err := e.srv.App.Test(req, -1)
		if err != nil || res.StatusCode != 200 {
			b.Fatal(err, res.StatusCode)
		}
		res.Body.Close()
	}
}
