package main

import (
	"slices"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// Issue 11, defect 8: a tile lifted with the keyboard looks picked up (not
// like plain focus), and Escape's announcement names the image by where it
// started, which is where it is again.
func TestBrowserKeyboardLiftAndCancel(t *testing.T) {
	b := loggedIn(t)
	ids := b.seedImages(t, "jar", 4)
	p := b.seedProduct(t, "Jam jar", ids...)
	b.openGalleryFromProducts(t, p, 4)
	first := `document.querySelector("#gallery > [data-image-id]")`
	evalJS[chromedp.Void](t, b, first+`.focus(); undefined`)
	look := func() string {
		return evalJS[string](t, b, `(() => { const t = `+first+`; const box = t.querySelector(".tile-box");
			return [getComputedStyle(t).transform, getComputedStyle(box, "::after").content].join("|") })()`)
	}
	focused := look()
	b.do(t, chromedp.KeyEvent(" "))
	lifted := look()
	if lifted == focused || !strings.Contains(lifted, `"Moving"`) || strings.HasPrefix(lifted, "none") {
		t.Errorf("a lifted tile looks like a focused one: focused %q, lifted %q", focused, lifted)
	}
	b.do(t, chromedp.KeyEvent(kb.ArrowRight), chromedp.KeyEvent(kb.ArrowRight))
	b.waitJS(t, "the moved announcement", `document.querySelector("#live").textContent.includes("Position 3")`)
	b.do(t, chromedp.KeyEvent(kb.Escape))
	b.waitJS(t, "the cancel announcement", `document.querySelector("#live").textContent.includes("cancelled")`)
	if msg := evalJS[string](t, b, `document.querySelector("#live").textContent`); !strings.Contains(msg, "Image 1 is back at position 1") {
		t.Errorf("Escape announced %q, want image 1 back at position 1", msg)
	}
	if got := b.galleryMediaOrder(t, p.ID); !slices.Equal(got, ids) {
		t.Errorf("the order changed on the server after Escape: %v", got)
	}
	if look() != focused {
		t.Errorf("the tile still looks lifted after Escape: %q", look())
	}
}

// Review finding: after a change that reloads the page (remove an image
// from the gallery) focus fell to <body>, and the Undo toast left after 6 s
// at the end of the Tab order. Now Undo has the focus and stays; Enter on
// it undoes, and focus then goes to the page's heading, not <body>.
func TestBrowserUndoTakesFocus(t *testing.T) {
	b := loggedIn(t)
	ids := b.seedImages(t, "dish", 3)
	p := b.seedProduct(t, "Dish", ids...)
	b.openGalleryFromProducts(t, p, 3)
	tile := `#gallery > [data-image-id]:nth-child(3)`
	b.click(t, tile+` [data-tile-menu] > summary`)
	b.click(t, tile+` form[action$="/detach"] button`)
	b.waitJS(t, "the Undo toast with the focus", `document.querySelectorAll("#gallery > [data-image-id]").length === 2 &&
		document.activeElement.closest("[data-toast]") !== null && document.activeElement.textContent.trim() === "Undo"`)
	if !evalJS[bool](t, b, `document.activeElement.closest("[data-toast]").hasAttribute("data-persistent")`) {
		t.Errorf("the Undo toast will vanish on its own")
	}
	b.do(t, chromedp.KeyEvent(kb.Enter))
	b.waitJS(t, "the image back and focus on the heading", `document.querySelectorAll("#gallery > [data-image-id]").length === 3 &&
		document.activeElement !== document.body`)
	if got := b.galleryMediaOrder(t, p.ID); !slices.Equal(got, ids) {
		t.Errorf("after Undo by keyboard: %v, want %v", got, ids)
	}
}

// Review finding: after a reorder the variants' image menus still listed
// the old positions until a reload; a ticked library tile's ring was drawn
// inside the picture and hidden by square photos.
func TestBrowserReorderKeepsVariantMenusAndSelectionVisible(t *testing.T) {
	b := loggedIn(t)
	p, _, _ := b.productWithVariantImage(t)
	b.openGalleryFromProducts(t, p, 3)
	menu := `[...document.querySelectorAll("select[name=image_id] option")].slice(1).map(o => o.textContent.trim()).join("|")`
	names := evalJS[[]string](t, b, `[...document.querySelectorAll("#gallery > [data-image-id]")].map(t => t.dataset.filename)`)
	evalJS[chromedp.Void](t, b, `document.querySelector("#gallery > [data-image-id]:nth-child(3)").focus(); undefined`)
	b.do(t, chromedp.KeyEvent(" "), chromedp.KeyEvent(kb.Home), chromedp.KeyEvent(" "))
	b.waitJS(t, "the reorder saved", `document.querySelector("#live").textContent.includes("It is now the featured image.")`)
	want := "1 · " + names[2] + "|2 · " + names[0] + "|3 · " + names[1]
	if got := evalJS[string](t, b, menu); got != want {
		t.Errorf("variant menu after the reorder: %q, want %q", got, want)
	}

	b.click(t, `aside nav a[href="/media"]`)
	b.waitJS(t, "the library", `location.pathname === "/media" && document.querySelector("[data-select]") !== null`)
	b.click(t, `#media-grid > li:first-child [data-select]`)
	outline := evalJS[string](t, b, `getComputedStyle(document.querySelector("#media-grid > li:first-child .tile-box")).outlineStyle`)
	if outline != "solid" {
		t.Errorf("a ticked tile shows no outline outside its picture (outline-style %q)", outline)
	}
}
