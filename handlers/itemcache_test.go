package handlers

import (
	"bytes"
	"testing"
)

// TestRevCacheBounded fills a revCache far past its bound with entries of
// every size it takes, and checks it never holds more than its bound, that
// its count of bytes is the sum of what it holds, and that an entry answers
// only for its revision and base.
func TestRevCacheBounded(t *testing.T) {
	c := revCache[int64]{max: 1 << 20}
	held := func() int {
		n := 0
		for _, e := range c.entries {
			n += len(e.body)
		}
		return n
	}
	for i := range int64(20_000) {
		size := 1 + int(i*7919%int64(c.max/4))
		c.put(i%5000, revEntry{rev: i, base: "http://a", body: bytes.Repeat([]byte{'x'}, size)})
		if c.bytes > c.max {
			t.Fatalf("after %d puts, %d bytes kept, more than %d", i+1, c.bytes, c.max)
		}
	}
	if got := held(); got != c.bytes {
		t.Fatalf("counted %d bytes, holds %d", c.bytes, got)
	}
	c.put(-1, revEntry{rev: 1, base: "http://a", body: make([]byte, c.max/4+1)})
	if _, ok := c.entries[-1]; ok {
		t.Fatal("an entry of more than a quarter of the bound was kept")
	}
	c.put(7, revEntry{rev: 3, base: "http://a", body: []byte(`{"id":7}`)})
	if e, ok := c.get(7, 3, "http://a"); !ok || string(e.body) != `{"id":7}` {
		t.Fatalf("kept entry not found: %v %q", ok, e.body)
	}
	for _, miss := range []struct {
		rev  int64
		base string
	}{{2, "http://a"}, {4, "http://a"}, {3, "http://b"}} {
		if _, ok := c.get(7, miss.rev, miss.base); ok {
			t.Fatalf("revision %d, base %s answered from the entry of revision 3, base http://a", miss.rev, miss.base)
		}
	}
	if got := held(); got != c.bytes {
		t.Fatalf("counted %d bytes, holds %d", c.bytes, got)
	}
}
