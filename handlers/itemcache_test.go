package handlers

import (
	"bytes"
	"fmt"
	"testing"

	"gallerist/data"
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
			n += entryOverhead + len(e.body) + len(e.etag) + len(e.base)
		}
		return n
	}
	for i := range int64(20_000) {
		size := 1 + int(i*7919%int64(c.max/4-entryOverhead-len("http://a")))
		c.put(i%5000, revEntry{rev: i, base: "http://a", body: bytes.Repeat([]byte{'x'}, size)})
		if c.bytes > c.max {
			t.Fatalf("after %d puts, %d bytes kept, more than %d", i+1, c.bytes, c.max)
		}
	}
	if got := held(); got != c.bytes {
		t.Fatalf("counted %d bytes, holds %d", c.bytes, got)
	}
	// Many small entries (an empty gallery asked with ever new offsets)
	// are bounded by their count too.
	for i := range int64(100_000) {
		c.put(10_000+i, revEntry{rev: 1, base: "http://a", body: []byte("{}")})
	}
	if n := len(c.entries); n*entryOverhead > c.max || c.bytes > c.max {
		t.Fatalf("%d small entries kept (%d bytes counted), more than %d bytes allow", n, c.bytes, c.max)
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

// TestGalleryKeyIsTheParsedRequest checks that requests a client can spell
// in endless ways (zero-padded numbers, fields repeated or reordered) name
// one kept gallery answer, and that different requests do not.
func TestGalleryKeyIsTheParsedRequest(t *testing.T) {
	f := data.GalleryFilter{Limit: 10, Offset: 20}
	a := newGalleryKey(1, 2, f, []string{"id", "position", "id"})
	if b := newGalleryKey(1, 2, f, []string{"position", "id"}); a != b {
		t.Fatalf("%+v and %+v differ", a, b)
	}
	for _, other := range []galleryKey{
		newGalleryKey(3, 2, f, []string{"id", "position"}),
		newGalleryKey(1, 4, f, []string{"id", "position"}),
		newGalleryKey(1, 2, data.GalleryFilter{Limit: 10, Offset: 21}, []string{"id", "position"}),
		newGalleryKey(1, 2, f, []string{"id"}),
	} {
		if other == a {
			t.Fatalf("%+v names the answer of %+v", other, a)
		}
	}
}

// TestAnswerCacheBounded checks the answer cache's byte bound: long keys
// (a client's query string) and large answers (a gallery's 250 KB) count.
func TestAnswerCacheBounded(t *testing.T) {
	var a answerCache
	for i := range 2000 {
		key := fmt.Sprintf("%0*d", 3500, i) // a padded offset
		a.put(1, key, answer{body: bytes.Repeat([]byte{'x'}, 250<<10)})
		if a.bytes > answerCacheBytes {
			t.Fatalf("after %d answers, %d bytes kept, more than %d", i+1, a.bytes, answerCacheBytes)
		}
	}
	n := 0
	for k, v := range a.entries {
		n += len(k) + len(v.body)
	}
	if n != a.bytes {
		t.Fatalf("counted %d bytes, holds %d", a.bytes, n)
	}
}
