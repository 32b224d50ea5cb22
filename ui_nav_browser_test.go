package main

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"gallerist/data"

	"github.com/chromedp/chromedp"
)

// mediaTotal is the number of media items in the library, on the server.
func (b *browserEnv) mediaTotal(t testing.TB) int {
	t.Helper()
	_, total, err := b.app.media.FindMedia(b.ownerCtx(), data.MediaFilter{})
	if err != nil {
		t.Fatal(err)
	}
	return total.N
}

// openGalleryFromProducts reaches a product's gallery editor as a person
// does: the sidebar's Products link, then the product in the list (both
// boosted navigations, which swap the body and never run <head> scripts).
func (b *browserEnv) openGalleryFromProducts(t testing.TB, p *data.Product, tiles int) {
	t.Helper()
	b.click(t, `aside nav a[href="/products"]`)
	b.waitJS(t, "the product list", `location.pathname === "/products" && document.querySelector("#product-list") !== null`)
	b.click(t, fmt.Sprintf(`#product-list a[href="/products/%d"]`, p.ID))
	b.waitJS(t, "the gallery editor", fmt.Sprintf(`location.pathname === "/products/%d" && document.querySelectorAll("#gallery > [data-image-id]").length === %d`, p.ID, tiles))
	b.settled(t)
}

// dragFirstPastThird drags tile 1 just past tile 3 with the mouse and waits
// for the new order to be saved.
func (b *browserEnv) dragFirstPastThird(t testing.TB) {
	t.Helper()
	tile := func(i int) string { return fmt.Sprintf("#gallery > [data-image-id]:nth-child(%d)", i) }
	before := evalJS[string](t, b, `document.querySelector("#gallery").dataset.version`)
	b.dragTo(t, tile(1), tile(3))
	b.waitJS(t, "the dragged order to save", `document.querySelector("#gallery").getAttribute("aria-busy") === null &&
		document.querySelector("#gallery").dataset.version !== "`+before+`"`)
}

// Issue 11, defect 1: drag and drop must work on a gallery editor reached by
// boosted navigation, and again after leaving it and coming Back.
func TestBrowserGalleryDragAfterNavigation(t *testing.T) {
	b := loggedIn(t)
	ids := b.seedImages(t, "vase", 5)
	p := b.seedProduct(t, "Tall vase", ids...)
	media := b.mediaTotal(t)

	b.openGalleryFromProducts(t, p, 5)
	b.dragFirstPastThird(t)
	want := []int64{ids[1], ids[2], ids[0], ids[3], ids[4]}
	if got := b.galleryMediaOrder(t, p.ID); !slices.Equal(got, want) {
		t.Fatalf("order after dragging 1 past 3: %v, want %v", got, want)
	}
	if n := b.mediaTotal(t); n != media {
		t.Fatalf("the drag created media: %d items, want %d", n, media)
	}
	if n := evalJS[int](t, b, `document.querySelectorAll("[data-upload-tile]").length`); n != 0 {
		t.Fatalf("the drag started %d uploads", n)
	}

	// Away to the library with the sidebar, then Back.
	b.click(t, `aside nav a[href="/media"]`)
	b.waitJS(t, "the library", `location.pathname === "/media" && document.querySelector("#gallery") === null`)
	b.do(t, chromedp.NavigateBack())
	b.waitJS(t, "the gallery editor after Back", fmt.Sprintf(`location.pathname === "/products/%d" &&
		document.querySelectorAll("#gallery > [data-image-id]").length === 5 &&
		document.querySelector("#gallery > :first-child").dataset.imageId === "%d"`, p.ID, ids[1]))
	b.settled(t)
	b.dragFirstPastThird(t)
	want = []int64{ids[2], ids[0], ids[1], ids[3], ids[4]}
	if got := b.galleryMediaOrder(t, p.ID); !slices.Equal(got, want) {
		t.Fatalf("order after the second drag: %v, want %v", got, want)
	}
	if n := b.mediaTotal(t); n != media {
		t.Fatalf("the drags created media: %d items, want %d", n, media)
	}

	// From the library: a thumbnail's detail panel, then its "Used by" link.
	b.click(t, `aside nav a[href="/media"]`)
	b.waitJS(t, "the library", `location.pathname === "/media" && document.querySelector("#gallery") === null`)
	b.click(t, fmt.Sprintf(`#media-%d a`, ids[3]))
	usedBy := fmt.Sprintf(`#panel section[aria-labelledby="used-by-title"] a[href="/products/%d"]`, p.ID)
	b.waitJS(t, "the detail panel", `document.querySelector(`+jsString(usedBy)+`) !== null`)
	b.click(t, usedBy)
	b.waitJS(t, "the gallery editor from Used by", fmt.Sprintf(`location.pathname === "/products/%d" &&
		document.querySelectorAll("#gallery > [data-image-id]").length === 5`, p.ID))
	b.settled(t)
	b.dragFirstPastThird(t)
	want = []int64{ids[0], ids[1], ids[2], ids[3], ids[4]}
	if got := b.galleryMediaOrder(t, p.ID); !slices.Equal(got, want) {
		t.Fatalf("order after the drag via Used by: %v, want %v", got, want)
	}
	if n := b.mediaTotal(t); n != media {
		t.Fatalf("the drags created media: %d items, want %d", n, media)
	}
	// Exactly one Sortable on the list (no double init).
	if !evalJS[bool](t, b, `(() => { const g = document.querySelector("#gallery"); return !!g._sortable && window.Sortable.get(g) === g._sortable })()`) {
		t.Fatal("the gallery has no (single) Sortable after Back")
	}
}

// Issue 11, defect 2: an image dragged inside the page (a tile's thumbnail)
// is not an upload, even when its DataTransfer carries it as a file.
func TestBrowserInPageImageDragIsNotUpload(t *testing.T) {
	b := loggedIn(t)
	ids := b.seedImages(t, "jug", 3)
	p := b.seedProduct(t, "Milk jug", ids...)
	b.openGalleryFromProducts(t, p, 3)
	media := b.mediaTotal(t)

	if !evalJS[bool](t, b, `[...document.querySelectorAll("#gallery [data-image-id] img")].every(i => i.draggable === false && i.getAttribute("draggable") === "false")`) {
		t.Fatal("gallery thumbnails are draggable as images")
	}
	// What Chromium does for a native image drag: dragstart on the <img>,
	// then dragenter, dragover and drop with the image as a file.
	evalJS[chromedp.Void](t, b, `(async () => {
		window.__uploads = 0;
		const open = XMLHttpRequest.prototype.open;
		XMLHttpRequest.prototype.open = function (m, u) { if (/upload/.test(String(u))) window.__uploads++; return open.apply(this, arguments) };
		const img = document.querySelector("#gallery > [data-image-id]:nth-child(2) img");
		const blob = await (await fetch(img.currentSrc || img.src)).blob();
		const dt = new DataTransfer();
		dt.items.add(new File([blob], "240.jpg", {type: blob.type || "image/jpeg"}));
		img.dispatchEvent(new DragEvent("dragstart", {bubbles: true, cancelable: true, dataTransfer: dt}));
		const target = document.querySelector("#gallery > [data-image-id]:nth-child(3)");
		for (const type of ["dragenter", "dragover", "drop"]) {
			target.dispatchEvent(new DragEvent(type, {bubbles: true, cancelable: true, dataTransfer: dt}));
		}
		img.dispatchEvent(new DragEvent("dragend", {bubbles: true, cancelable: true, dataTransfer: dt}));
	})()`)
	time.Sleep(500 * time.Millisecond)
	if n := evalJS[int](t, b, `window.__uploads + document.querySelectorAll("[data-upload-tile]").length`); n != 0 {
		t.Fatalf("an in-page image drag started %d uploads", n)
	}
	if n := b.mediaTotal(t); n != media {
		t.Fatalf("an in-page image drag created media: %d items, want %d", n, media)
	}
	if got := b.galleryMediaOrder(t, p.ID); !slices.Equal(got, ids) {
		t.Fatalf("gallery changed: %v, want %v", got, ids)
	}
	// A file dragged in from outside the page still uploads.
	file := filepath.Join(t.TempDir(), "outside.png")
	if err := os.WriteFile(file, testPNG(t, 300, 200, tileColors[3]), 0o644); err != nil {
		t.Fatal(err)
	}
	b.dropFiles(t, file)
	b.waitJS(t, "the dropped file to upload", `document.querySelectorAll("#gallery > [data-image-id]").length === 4`)
	if n := b.mediaTotal(t); n != media+1 {
		t.Fatalf("a dropped file: %d items, want %d", n, media+1)
	}
}
