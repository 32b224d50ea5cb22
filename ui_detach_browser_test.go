package main

import (
	"slices"
	"strings"
	"testing"

	"gallerist/data"
)

// productWithVariantImage seeds a product of three images whose variant
// "Small" shows the second; it returns the product, the media ids and the
// variant.
func (b *browserEnv) productWithVariantImage(t testing.TB) (*data.Product, []int64, *data.Variant) {
	t.Helper()
	ids := b.seedImages(t, "teapot", 3)
	p := b.seedProduct(t, "Teapot", ids...)
	ctx := b.ownerCtx()
	g, err := b.app.catalog.FindGallery(ctx, p.ID, data.GalleryFilter{})
	if err != nil {
		t.Fatal(err)
	}
	v, err := b.app.catalog.CreateVariant(ctx, p.ID, data.VariantCreate{Title: "Small"})
	if err != nil {
		t.Fatal(err)
	}
	if v, err = b.app.catalog.SetVariantImage(ctx, p.ID, v.ID, g.Images[1].ID); err != nil {
		t.Fatal(err)
	}
	return p, ids, v
}

// Issue 11, defect 7: removing an image a variant shows asks first, naming
// the variant; Undo puts it back in the gallery, at its place, and on the
// variant (it was lost before).
func TestBrowserDetachVariantImageAndUndo(t *testing.T) {
	b := loggedIn(t)
	p, ids, v := b.productWithVariantImage(t)
	b.openGalleryFromProducts(t, p, 3)
	tile := `#gallery > [data-image-id]:nth-child(2)`
	b.click(t, tile+` [data-tile-menu] > summary`)
	b.click(t, tile+` a[href$="/detach"]`)
	b.waitJS(t, "the confirm dialog naming the variant", `document.querySelector("dialog[open]") !== null &&
		document.querySelector("dialog[open]").textContent.includes("Small")`)
	b.axe(t, "remove-from-product dialog")
	b.click(t, `dialog[open] button[type=submit]`)
	b.waitJS(t, "the gallery of two and the Undo toast", `document.querySelectorAll("#gallery > [data-image-id]").length === 2 &&
		[...document.querySelectorAll("[data-toast] button")].some(b => b.textContent.trim() === "Undo")`)
	if got, _ := b.app.catalog.FindVariantByID(b.ownerCtx(), p.ID, v.ID); got.ImageID != 0 {
		t.Fatalf("the variant still has image %d after the removal", got.ImageID)
	}
	b.click(t, `[data-toast] form button[type=submit]`)
	b.waitJS(t, "the image back", `document.querySelectorAll("#gallery > [data-image-id]").length === 3`)
	if got := b.galleryMediaOrder(t, p.ID); !slices.Equal(got, ids) {
		t.Errorf("gallery after Undo: %v, want %v", got, ids)
	}
	g, _ := b.app.catalog.FindGallery(b.ownerCtx(), p.ID, data.GalleryFilter{})
	got, err := b.app.catalog.FindVariantByID(b.ownerCtx(), p.ID, v.ID)
	if err != nil || got.ImageID != g.Images[1].ID {
		t.Errorf("the variant's image after Undo: %v %v, want gallery image %d", got.ImageID, err, g.Images[1].ID)
	}
	// The toasts, not the page's first 1,500 characters: the product page
	// has grown (history, posters) past where its toast is.
	toasts := `[...document.querySelectorAll("[data-toast]")].map(e => e.textContent).join(" ")`
	b.waitJS(t, "the Undo toast", toasts+`.trim() !== ""`)
	if msg := evalJS[string](t, b, toasts); !strings.Contains(msg, "on 1 variant") {
		t.Errorf("the Undo toast does not say the variant has it back: %q", msg)
	}
}
