package main

import (
	"net/http/httptest"
	"testing"
)

// BenchmarkMediaListInProcess measures one list request through the real app
// without the network, for profiling (go test -bench MediaListInProcess -cpuprofile).
func BenchmarkMediaListInProcess(b *testing.B) {
	e := newTestEnv(b)
	tok := e.token(b, 0)
	seedMedia(b, e, 100_000)
	b.Run("cached", func(b *testing.B) { benchListInProcess(b, e, tok) })
	e.app.handlers.SetAnswerCache(false)
	defer e.app.handlers.SetAnswerCache(true)
	b.Run("uncached", func(b *testing.B) { benchListInProcess(b, e, tok) })
}

func benchListInProcess(b *testing.B, e *testEnv, tok string) {
	for i := 0; i < b.N; i++ {
		req := httptest.NewRequest("GET", "/api/media?limit=24", nil)
		req.Header.Set("Authorization", "Bearer "+tok)
		res, err := e.srv.App.Test(req, -1)
		if err != nil || res.StatusCode != 200 {
			b.Fatal(err, res.StatusCode)
		}
		res.Body.Close()
	}
}
