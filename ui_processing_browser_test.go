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
