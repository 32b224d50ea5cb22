package main

import (
	"bytes"
	"fmt"
	"image"
	"image/png"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/chromedp/chromedp"
)

// noisyPNG is a w×h PNG of pseudo-random pixels: large on disk and slow to
// decode and thumbnail, so its upload finishes after smaller ones.
func noisyPNG(t testing.TB, w, h int) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	x := uint32(2463534242)
	for i := 0; i < len(img.Pix); i += 4 {
		x ^= x << 13
		x ^= x >> 17
		x ^= x << 5
		img.Pix[i], img.Pix[i+1], img.Pix[i+2], img.Pix[i+3] = byte(x), byte(x>>8), byte(x>>16), 255
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// Issue 11, defect 3: files dropped into a gallery are saved in the order
// they were picked, even when they finish out of order and one fails.
func TestBrowserGalleryUploadKeepsSelectionOrder(t *testing.T) {
	b := loggedIn(t)
	p := b.seedProduct(t, "Ocean mug")
	dir := t.TempDir()
	var paths, good []string
	add := func(name string, body []byte, ok bool) {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, body, 0o644); err != nil {
			t.Fatal(err)
		}
		paths = append(paths, path)
		if ok {
			good = append(good, name)
		}
	}
	add("1-large.png", noisyPNG(t, 1800, 1400), true) // slow: finishes late
	add("2-small.png", testPNG(t, 200, 150, tileColors[1]), true)
	add("3-broken.png", []byte("\x89PNG\r\n\x1a\nthis is not a picture"), false)
	add("4-small.png", testPNG(t, 220, 160, tileColors[3]), true)
	add("5-small.png", testPNG(t, 240, 180, tileColors[4]), true)
	add("6-small.png", testPNG(t, 260, 190, tileColors[5]), true)

	b.openGalleryFromProducts(t, p, 0)
	evalJS[chromedp.Void](t, b, `window.__done = null; window.__finished = [];
		document.addEventListener("gallerist:uploaded", e => window.__finished.push(e.detail.filename));
		document.addEventListener("gallerist:uploads-done", e => { window.__done = e.detail }); undefined`)
	// A slow uplink makes the large first file finish after the small ones,
	// whatever else the machine is doing.
	b.throttleUploads(t, 2<<20)
	t.Cleanup(func() { b.throttleUploads(t, -1) })
	b.dropFiles(t, paths...)
	b.waitJS(t, "the uploads to finish and the order to save", `window.__done !== null &&
		document.querySelector("#gallery").getAttribute("aria-busy") === null &&
		document.querySelectorAll("#gallery > [data-image-id]").length === 5`)
	finished := evalJS[[]string](t, b, `window.__finished`)
	if slices.Equal(finished, good) {
		t.Fatalf("the uploads finished in selection order (%v); the test needs them out of order", finished)
	}
	t.Logf("completion order: %v", finished)
	if d := evalJS[map[string]any](t, b, `window.__done`); d["failed"] != float64(1) {
		t.Fatalf("uploads-done: %v, want one failure", d)
	}

	names := func() []string {
		g := b.galleryImageNames(t, p.ID)
		return g
	}
	if got := names(); !slices.Equal(got, good) {
		t.Fatalf("saved order %v, want the selection order %v", got, good)
	}
	// After a reload the first picked image is Featured.
	b.do(t, chromedp.Reload())
	b.waitJS(t, "the reloaded gallery", `document.querySelectorAll("#gallery > [data-image-id]").length === 5`)
	featured := evalJS[string](t, b, `(() => { const t = [...document.querySelectorAll("#gallery > [data-image-id]")]
		.find(t => !t.querySelector("[data-featured-badge]").hidden); return t ? t.dataset.filename : "" })()`)
	if featured != good[0] {
		t.Fatalf("featured after reload: %q, want %q", featured, good[0])
	}
	if got := evalJS[[]string](t, b, `[...document.querySelectorAll("#gallery > [data-image-id]")].map(t => t.dataset.filename)`); !slices.Equal(got, good) {
		t.Fatalf("order on the page after reload %v, want %v", got, good)
	}
}

// galleryImageNames is the server-side order of a gallery, as filenames.
func (b *browserEnv) galleryImageNames(t testing.TB, productID int64) []string {
	t.Helper()
	var names []string
	for _, id := range b.galleryMediaOrder(t, productID) {
		m, err := b.app.media.FindMediaByID(b.ownerCtx(), id)
		if err != nil {
			t.Fatal(fmt.Errorf("media %d: %w", id, err))
		}
		names = append(names, m.Filename)
	}
	return names
}
