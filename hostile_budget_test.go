package main

import (
	"bytes"
	"fmt"
	"runtime"
	"testing"
)

// allocatedBy returns the bytes allocated while fn ran (all goroutines; the
// test env is otherwise idle).
func allocatedBy(fn func()) uint64 {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	fn()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// TestJSONUploadWithManyKeys: the streaming JSON reader of POST /api/media
// must not allocate per key (wave 1 nested a 32 KB reader per key, so a
// 1 MB body of 100,000 keys cost gigabytes).
func TestJSONUploadWithManyKeys(t *testing.T) {
	e := newTestEnv(t)
	tok := e.token(t, 0)
	var body bytes.Buffer
	body.WriteString("{")
	for i := 0; body.Len() < 1<<20-32; i++ {
		if i > 0 {
			body.WriteByte(',')
		}
		fmt.Fprintf(&body, `"k%d":0`, i)
	}
	body.WriteString("}")
	before := e.snapshot(t)
	var r *resp
	alloc := allocatedBy(func() {
		r = e.do(t, "POST", "/api/media", tok, bytes.NewReader(body.Bytes()), "application/json")
	})
	if r.Status != 400 || r.errCode(t) != "invalid_json" {
		t.Fatalf("%d %s", r.Status, r.Body)
	}
	t.Logf("1 MB of keys: %d, %.1f MB allocated", r.Status, float64(alloc)/(1<<20))
	// The body itself is copied a few times by the test transport; a few MB
	// beyond that is the bound.
	if alloc > 16<<20 {
		t.Fatalf("a 1 MB body of keys allocated %.1f MB", float64(alloc)/(1<<20))
	}
	if after := e.snapshot(t); after != before {
		t.Fatalf("changed the data dir:\n%s\n%s", before, after)
	}
}
