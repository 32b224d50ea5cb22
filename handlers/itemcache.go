package handlers

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"

	"gallerist/data"

	"github.com/gofiber/fiber/v2"
)

// revCache keeps JSON by key, each valid for one revision that triggers in
// the database bump with any change to what the JSON shows (migration 024):
// a media item's list JSON by its media.rev, a gallery's answer by its
// products.gallery_rev. Unlike the answer cache, which any commit anywhere
// empties, an entry stays good until its own rows change, so in a live store
// (uploads, rendition jobs, edits elsewhere) a list reads ids and revisions
// and rebuilds only what changed. It holds at most max bytes of JSON; past
// that, a quarter goes (map order: random enough, and no bookkeeping per
// hit).
type revCache[K comparable] struct {
	mu      sync.RWMutex
	entries map[K]revEntry
	bytes   int // the entries' cost()
	max     int
}

type revEntry struct {
	rev  int64
	base string // the URL base the JSON's links were made with
	body []byte
	etag string
}

// The bytes of JSON each keeps: 16 MB is the list JSON of about 16,000
// items (a library page of 48 is 48 of them), and 16 MB the answers of 64
// galleries of 250 images.
const (
	itemCacheBytes    = 16 << 20
	galleryCacheBytes = 16 << 20
)

func (c *revCache[K]) get(key K, rev int64, base string) (revEntry, bool) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	e, ok := c.entries[key]
	return e, ok && e.rev == rev && e.base == base
}

// entryOverhead is what an entry costs besides its strings: the map slot,
// the key, the entry's headers. Counting it bounds the memory of many
// small answers (an empty gallery asked with ever new offsets) as well as
// of a few large ones.
const entryOverhead = 256

func (e revEntry) cost() int { return entryOverhead + len(e.body) + len(e.etag) + len(e.base) }

func (c *revCache[K]) put(key K, e revEntry) {
	if e.cost() > c.max/4 {
		return // it would push out most of the others
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.entries == nil {
		c.entries = map[K]revEntry{}
	}
	if old, ok := c.entries[key]; ok {
		delete(c.entries, key)
		c.bytes -= old.cost()
	}
	if c.bytes+e.cost() > c.max {
		for k, old := range c.entries {
			if c.bytes <= c.max*3/4 {
				break
			}
			delete(c.entries, k)
			c.bytes -= old.cost()
		}
	}
	c.entries[key] = e
	c.bytes += e.cost()
}

// SetRevCache turns the answers kept by revision on (the default) or off;
// benchmarks measure both, and tests compare them.
func (h *Handlers) SetRevCache(on bool) { h.noRevs.Store(!on) }

// rawJSON is an answer already encoded: cachedJSON sends it as it is.
type rawJSON []byte

// mediaListByRev is a media list's answer made from the items' JSON kept by
// revision: one read of the page's ids and revisions, and of the items
// whose revision is not kept, whole. The bytes are those c.JSON makes of
// listOf's List (TestRevCacheAnswersAsBuilt compares them).
func (h *Handlers) mediaListByRev(c *fiber.Ctx, f data.MediaFilter) (rawJSON, error) {
	base := h.baseURL(c)
	kept := map[int64][]byte{}
	page, total, err := h.Media.FindMediaRevs(c.UserContext(), f, func(id, rev int64) bool {
		e, ok := h.items.get(id, rev, base)
		if ok {
			kept[id] = e.body
		}
		return ok
	})
	if err != nil {
		return nil, err
	}
	size := 128
	for _, b := range kept {
		size += len(b) + 1
	}
	buf := bytes.NewBuffer(make([]byte, 0, size+(len(page)-len(kept))*1024))
	buf.WriteString(`{"data":[`)
	for i, r := range page {
		if i > 0 {
			buf.WriteByte(',')
		}
		// An item read whole is of the page's snapshot: kept JSON from a
		// first read without a transaction may be older.
		b, ok := kept[r.ID]
		if r.Media != nil || !ok {
			if r.Media == nil {
				return nil, fmt.Errorf("media %d: neither kept nor read", r.ID)
			}
			if b, err = json.Marshal(h.mediaJSON(c, r.Media)); err != nil {
				return nil, err
			}
			h.items.put(r.ID, revEntry{rev: r.Rev, base: base, body: b})
		}
		buf.Write(b)
	}
	buf.WriteString(`],"total":`)
	buf.WriteString(strconv.Itoa(total.N))
	buf.WriteString(`,"total_exact":`)
	buf.WriteString(strconv.FormatBool(total.Exact))
	buf.WriteString(`,"limit":`)
	buf.WriteString(strconv.Itoa(f.Limit))
	buf.WriteString(`,"offset":`)
	buf.WriteString(strconv.Itoa(f.Offset))
	buf.WriteByte('}')
	return buf.Bytes(), nil
}

// galleryKey names a kept gallery answer: the organization, the product and
// the request's parameters as parsed (not the query string, which a client
// can vary without end: "offset=0001", repeated fields), so keys stay small
// and few; the base URL is checked with the revision.
type galleryKey struct {
	org, product int64
	filter       data.GalleryFilter
	fields       string // the fields= names, sorted, each once
}

func newGalleryKey(org, product int64, f data.GalleryFilter, fields []string) galleryKey {
	names := slices.Compact(slices.Sorted(slices.Values(fields)))
	return galleryKey{org: org, product: product, filter: f, fields: strings.Join(names, ",")}
}

// keptGallery sends the gallery's answer kept for its current revision, if
// there is one; it reports whether it did.
func (h *Handlers) keptGallery(c *fiber.Ctx, key galleryKey) (bool, error) {
	rev, err := h.Catalog.GalleryRev(c.UserContext(), key.product)
	if err != nil {
		return false, nil // the full path answers it (a product not found here, an error)
	}
	e, ok := h.galleries.get(key, rev, h.baseURL(c))
	if !ok {
		return false, nil
	}
	c.Set(fiber.HeaderETag, e.etag)
	c.Set(fiber.HeaderContentType, fiber.MIMEApplicationJSON)
	return true, c.Send(e.body)
}
