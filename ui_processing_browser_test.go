package main

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/chromedp/chromedp"
)

// Issue 11, defect 6: "Making thumbnails…" clears by itself once the
// renditions are ready, in the gallery editor, the library grid and the
// detail panel, without a reload (a marker set on the page survives).
func TestBrowserProcessingClearsWithoutReload(t *testing.T) {
	waiting := `document.querySelectorAll("[data-processing]").length`
	t.Run("gallery", func(t *testing.T) {
		b := loggedIn(t)
		ids := b.seedImages(t, "pot", 2)
		p := b.seedProduct(t, "Clay pot", ids...)
		b.openGalleryFromProducts(t, p, 2)
		if n := evalJS[int](t, b, waiting); n != 2 {
			t.Fatalf("%d gallery images wait for thumbnails before the renderer runs, want 2", n)
		}
		evalJS[chromedp.Void](t, b, `window.__stay = "gallery"; undefined`)
		b.startRenderer(t)
		b.waitJS(t, "the gallery's thumbnails to appear without a reload", waiting+` === 0 &&
			[...document.querySelectorAll("#gallery img")].every(i => i.srcset.includes("w")) && window.__stay === "gallery"`)
	})
	t.Run("library and panel", func(t *testing.T) {
		b := loggedIn(t)
		b.seedImages(t, "old", 1)
		b.click(t, `aside nav a[href="/products"]`)
		b.waitJS(t, "the products page", `location.pathname === "/products"`)
		b.click(t, `aside nav a[href="/media"]`)
		b.waitJS(t, "the library", `location.pathname === "/media" && document.querySelector("#media-grid") !== null`)
		path := filepath.Join(t.TempDir(), "fresh-bowl.png")
		if err := os.WriteFile(path, testPNG(t, 900, 700, tileColors[2]), 0o644); err != nil {
			t.Fatal(err)
		}
		b.dropFiles(t, path)
		b.waitJS(t, "the uploaded tile waiting for thumbnails", `document.querySelector("#media-grid > li [data-processing]") !== null`)
		id := evalJS[string](t, b, `document.querySelector("#media-grid > li [data-processing]").dataset.processing`)
		b.click(t, fmt.Sprintf(`#media-%s a`, id))
		b.waitJS(t, "the detail panel saying thumbnails are being made", `document.querySelector("#media-panel [data-processing-text]") !== null`)
		evalJS[chromedp.Void](t, b, `window.__stay = "library"; undefined`)
		b.startRenderer(t)
		b.waitJS(t, "the tile and the panel to update without a reload", waiting+` === 0 &&
			document.querySelector("#media-`+id+` img").srcset.includes("w") &&
			/ready/.test(document.querySelector("#media-panel [data-processing-text]").textContent) && window.__stay === "library"`)
	})
}

// Review 14, B1: an image whose thumbnails failed shows why in its detail
// panel, with a "Try again" button that queues it again; the thumbnails
// are then made and the panel says so without a reload.
func TestBrowserRetryFailedThumbnails(t *testing.T) {
	b := loggedIn(t)
	id := b.seedImages(t, "cup", 1)[0]
	if err := b.app.db.ExecForTest(`UPDATE media SET processing = 'failed', processing_error = 'Making thumbnails of this image failed on the server.' WHERE id = ?`, id); err != nil {
		t.Fatal(err)
	}
	if err := b.app.db.ExecForTest(`DELETE FROM rendition_jobs`); err != nil {
		t.Fatal(err)
	}
	b.click(t, `aside nav a[href="/products"]`)
	b.waitJS(t, "the products page", `location.pathname === "/products"`)
	b.click(t, `aside nav a[href="/media"]`)
	b.waitJS(t, "the library", `location.pathname === "/media" && document.querySelector("#media-grid") !== null`)
	b.waitJS(t, "the tile saying it has no thumbnails", fmt.Sprintf(`document.querySelector("#media-%d [data-processing-failed]") !== null`, id))
	b.click(t, fmt.Sprintf(`#media-%d a`, id))
	b.waitJS(t, "the panel with the reason and a Try again button", `document.querySelector("[data-reprocess]") !== null &&
		document.body.textContent.includes("failed on the server")`)
	b.click(t, `[data-reprocess]`)
	b.waitJS(t, "the item being made again", `document.querySelector("[data-processing-text]") !== null && document.querySelector("[data-reprocess]") === null`)
	b.startRenderer(t)
	b.waitJS(t, "the thumbnails ready without a reload", `/ready/.test(document.querySelector("[data-processing-text]").textContent)`)
	if m := b.getJSON(t, fmt.Sprintf("/api/media/%d", id), b.token(t, 0)).json(t); m["processing"] != "ready" {
		t.Fatalf("processing %v", m["processing"])
	}
}
