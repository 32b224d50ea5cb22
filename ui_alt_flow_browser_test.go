package main

import (
	"fmt"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// Friction found measuring the merchant's task (issue 11's figures): from a
// product, the images without alt text are one link away in the bulk
// editor, whose first field has focus and whose back link returns to the
// product; in the gallery itself Enter saves a tile's alt text and goes on
// to the next tile's (it took three Tabs).
func TestBrowserAltTextFromTheGallery(t *testing.T) {
	b := loggedIn(t)
	ids := b.seedImages(t, "bowl", 3)
	p := b.seedProduct(t, "Bowl set", ids...)
	b.openGalleryFromProducts(t, p, 3)

	// Enter in the first tile's field saves it and moves to the second's.
	first := `#gallery > [data-image-id]:nth-child(1) form[data-gallery-alt] textarea`
	b.click(t, first)
	b.do(t, chromedp.SendKeys(first, "Small bowl, glazed blue"), chromedp.KeyEvent(kb.Enter))
	b.waitJS(t, "focus on the second tile's alt field", `document.activeElement.matches("#gallery > [data-image-id]:nth-child(2) form[data-gallery-alt] textarea")`)
	b.waitJS(t, "the first alt saved", `document.querySelector("#gallery > [data-image-id]:nth-child(1) [role=status]") &&
		document.querySelector("#gallery > [data-image-id]:nth-child(1) [role=status]").textContent.includes("Saved")`)
	if m, _ := b.app.media.FindMediaByID(b.ownerCtx(), ids[0]); m.Alt != "Small bowl, glazed blue" {
		t.Fatalf("first image's alt on the server: %q", m.Alt)
	}

	// The other two, in the bulk editor reached from the gallery.
	b.navigate(t, fmt.Sprintf("/products/%d", p.ID)) // a fresh editor: the link counts what is missing now
	b.click(t, `[data-gallery-alt-link]`)
	b.waitJS(t, "the bulk alt editor with the two images", `location.pathname === "/media/alt" && document.querySelectorAll("[data-alt-row]").length === 2`)
	if !evalJS[bool](t, b, `document.activeElement.matches("[data-alt-row]:first-child textarea")`) {
		t.Errorf("the editor's first field has no focus: %s", evalJS[string](t, b, `document.activeElement.outerHTML.slice(0, 80)`))
	}
	b.do(t, chromedp.KeyEvent("Medium bowl"), chromedp.KeyEvent(kb.Tab), chromedp.KeyEvent("Large bowl"), chromedp.KeyEvent(kb.Tab))
	b.waitJS(t, "both saved", `[...document.querySelectorAll("[data-alt-row]")].every(r => r.dataset.saved !== "")`)
	back := evalJS[string](t, b, `document.querySelector("main a[href^='/products/']") ? document.querySelector("main a[href^='/products/']").textContent.trim() : ""`)
	if !strings.Contains(back, "Back to the product") {
		t.Errorf("the back link says %q", back)
	}
	b.click(t, `main a[href^='/products/']`)
	b.waitJS(t, "back on the gallery", fmt.Sprintf(`location.pathname === "/products/%d" && document.querySelector("[data-gallery-alt-link]") === null`, p.ID))
	for i, want := range []string{"Small bowl, glazed blue", "Medium bowl", "Large bowl"} {
		if m, _ := b.app.media.FindMediaByID(b.ownerCtx(), ids[i]); m.Alt != want {
			t.Errorf("image %d alt: %q, want %q", i+1, m.Alt, want)
		}
	}
}
