package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"gallerist/data"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// loggedIn is a browser env with the owner set up and logged in, on the library.
func loggedIn(t *testing.T, mutate ...func(*config)) *browserEnv {
	b := newBrowserEnv(t, mutate...)
	b.setupOwner(t)
	return b
}

func TestBrowserLibraryUploadSearchAlt(t *testing.T) {
	b := loggedIn(t, func(cfg *config) { cfg.limits.KindBytes[data.KindImage] = 200 << 10 })
	dir := t.TempDir()
	var files []string
	for i, name := range []string{"red-mug.png", "blue-bowl.png", "green-vase.png"} {
		p := filepath.Join(dir, name)
		os.WriteFile(p, testPNG(t, 480, 360, tileColors[i]), 0o644)
		files = append(files, p)
	}
	noise := make([]byte, 300<<10)
	for i := range noise {
		noise[i] = byte(i*7919 + i/13)
	}
	big := filepath.Join(dir, "huge-photo.png")
	os.WriteFile(big, append(testPNG(t, 8, 8, tileColors[0]), noise...), 0o644)
	txt := filepath.Join(dir, "notes.txt")
	os.WriteFile(txt, []byte("Shipping notes: wrap the mugs twice.\n"), 0o644)

	evalJS[chromedp.Void](t, b, `window.__progress = []; document.addEventListener("gallerist:upload-progress", e => window.__progress.push(e.detail)); undefined`)
	b.dropFiles(t, files...)
	b.waitJS(t, "three thumbnails", `document.querySelectorAll("#media-grid .media-card img").length === 3 &&
		[...document.querySelectorAll("#media-grid .media-card img")].every(i => i.complete && i.naturalWidth > 0)`)
	if n := evalJS[int](t, b, `window.__progress.filter(p => p.percent > 0).length`); n < 3 {
		t.Fatalf("saw %d progress events for 3 uploads", n)
	}
	if n := evalJS[int](t, b, `document.querySelectorAll("[data-upload-tile]").length`); n != 0 {
		t.Fatalf("%d upload tiles left after success", n)
	}

	// An oversize and an unsupported file each say why, in plain words.
	b.dropFiles(t, big, txt)
	b.waitJS(t, "two failed tiles", `document.querySelectorAll("[data-upload-state=error]").length === 2`)
	msgs := evalJS[string](t, b, `[...document.querySelectorAll("[data-upload-state=error] [data-status]")].map(e => e.textContent).join("\n")`)
	if !strings.Contains(msgs, "huge-photo.png is") || !strings.Contains(msgs, "limit for images") {
		t.Fatalf("oversize message: %q", msgs)
	}
	if !strings.Contains(msgs, "notes.txt is") || !strings.Contains(msgs, "which Gallerist does not accept") {
		t.Fatalf("unsupported message: %q", msgs)
	}
	b.waitJS(t, "the partial failure toast", `document.querySelector("#toasts").innerText.includes("2 of 2 uploads failed")`)
	b.screenshots(t, "library-upload-errors")

	// Uploading bytes that are already there links to the existing item.
	b.dropFiles(t, files[0])
	b.waitJS(t, "the duplicate notice", `document.querySelector("[data-upload-state=duplicate]") &&
		document.querySelector("[data-upload-state=duplicate]").innerText.includes("Already in your library")`)
	_, total, _ := b.app.media.FindMedia(b.ownerCtx(), data.MediaFilter{})
	if total.N != 3 {
		t.Fatalf("%d items after uploading a duplicate", total.N)
	}

	b.navigate(t, "/media")
	b.screenshots(t, "library")
	b.axe(t, "library")

	// Search filters as you type and puts the query in the URL.
	b.do(t, chromedp.Click(chromedp.CSS("#q")), chromedp.SendKeys(chromedp.CSS("#q"), "bowl"))
	b.waitJS(t, "search results", `location.search.includes("q=bowl") && document.querySelectorAll("#media-grid .media-card").length === 1`)
	if got := evalJS[string](t, b, `document.querySelector("#media-grid .media-card").innerText`); !strings.Contains(got, "blue-bowl.png") {
		t.Fatalf("search found %q", got)
	}
	b.navigate(t, "/media?q=bowl")
	b.waitJS(t, "the bookmarked search", `document.querySelectorAll("#media-grid .media-card").length === 1 && document.querySelector("#q").value === "bowl"`)

	// Alt text: open the panel, type, Enter saves, a reload shows it.
	b.click(t, "#media-grid .media-card a")
	b.waitJS(t, "the detail panel", `document.querySelector("#media-panel") && /\/media\/\d+/.test(location.pathname)`)
	panelURL := b.path(t)
	b.fill(t, "#alt", "Blue stoneware bowl, seen from above")
	if c := evalJS[string](t, b, `document.querySelector("#alt-count").textContent`); c != "36 / 125" {
		t.Fatalf("alt counter: %q", c)
	}
	b.do(t, chromedp.KeyEvent(kb.Enter))
	b.waitJS(t, "Saved", `document.querySelector("#alt-form [data-saved]") !== null`)
	b.screenshots(t, "media-detail")
	b.axe(t, "media detail panel")
	b.navigate(t, panelURL)
	b.waitJS(t, "the panel after reload", `document.querySelector("#alt") !== null`)
	if v := evalJS[string](t, b, `document.querySelector("#alt").value`); v != "Blue stoneware bowl, seen from above" {
		t.Fatalf("alt after reload: %q", v)
	}
	// Blur saves too.
	b.fill(t, "#alt", "Blue bowl")
	b.do(t, chromedp.Focus(chromedp.CSS("#filename")))
	b.waitJS(t, "Saved after blur", `document.querySelector("#alt-form [data-saved]") !== null`)
	items, _, _ := b.app.media.FindMedia(b.ownerCtx(), data.MediaFilter{Q: "bowl"})
	if len(items) != 1 || items[0].Alt != "Blue bowl" {
		t.Fatalf("server-side alt: %+v", items)
	}
	// Esc closes the panel and goes back to the list.
	b.do(t, chromedp.KeyEvent(kb.Escape))
	b.waitJS(t, "the panel closed", `document.querySelector("#media-panel") === null && location.pathname === "/media"`)
}

func TestBrowserGalleryReorder(t *testing.T) {
	b := loggedIn(t)
	ids := b.seedImages(t, "mug", 5)
	p := b.seedProduct(t, "Speckled mug", ids...)
	b.seedProduct(t, "Empty product")
	b.navigate(t, "/products")
	b.waitJS(t, "the product list", `document.querySelector("#product-list") !== null`)
	if txt := b.pageText(); !strings.Contains(txt, "0 of 5 images have alt text") {
		t.Fatalf("alt coverage not shown: %s", txt)
	}
	b.screenshots(t, "products")
	b.axe(t, "products")

	b.navigate(t, fmt.Sprintf("/products/%d", p.ID))
	b.waitJS(t, "the gallery", `document.querySelectorAll("#gallery [data-image-id]").length === 5 && window.Sortable !== undefined`)
	b.screenshots(t, "gallery-editor")
	b.axe(t, "gallery editor")
	tile := func(i int) string { return fmt.Sprintf("#gallery > [data-image-id]:nth-child(%d)", i) }
	if !evalJS[bool](t, b, `!document.querySelector("#gallery > :first-child [data-featured-badge]").hidden`) {
		t.Fatal("the first image has no Featured badge")
	}

	// Drag the 4th image onto the 1st. The version is read before the drag:
	// read after it, a fast save could already have changed it.
	before := evalJS[string](t, b, `document.querySelector("#gallery").dataset.version`)
	b.dragTo(t, tile(4), tile(1))
	want := []int64{ids[3], ids[0], ids[1], ids[2], ids[4]}
	b.waitJS(t, "the order to save", `document.querySelector("#gallery").getAttribute("aria-busy") === null &&
		document.querySelector("#gallery").dataset.version !== "`+before+`"`)
	if got := b.galleryMediaOrder(t, p.ID); !slices.Equal(got, want) {
		t.Fatalf("order after drag and drop: %v, want %v", got, want)
	}
	b.navigate(t, fmt.Sprintf("/products/%d", p.ID))
	b.waitJS(t, "the gallery after reload", `document.querySelectorAll("#gallery [data-image-id]").length === 5`)
	if got := evalJS[string](t, b, `document.querySelector("#gallery > :first-child").dataset.filename`); got != "mug-4.png" {
		t.Fatalf("first image after reload: %s", got)
	}

	// Keyboard: focus the 3rd image, Space lifts, ← ← moves, Space drops.
	evalJS[chromedp.Void](t, b, `document.querySelector("`+tile(3)+`").focus()`)
	b.do(t, chromedp.KeyEvent(" "), chromedp.KeyEvent(kb.ArrowLeft), chromedp.KeyEvent(kb.ArrowLeft), chromedp.KeyEvent(" "))
	b.waitJS(t, "the announcement", `document.querySelector("#live").textContent.includes("moved from position 3 to 1 of 5. It is now the featured image.")`)
	want = []int64{ids[1], ids[3], ids[0], ids[2], ids[4]}
	b.waitJS(t, "the keyboard order to save", `document.querySelector("#gallery").getAttribute("aria-busy") === null`)
	deadline := time.Now().Add(5 * time.Second)
	for !slices.Equal(b.galleryMediaOrder(t, p.ID), want) && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	if got := b.galleryMediaOrder(t, p.ID); !slices.Equal(got, want) {
		t.Fatalf("order after keyboard reorder: %v, want %v", got, want)
	}
	if !evalJS[bool](t, b, `document.activeElement.dataset.filename === "mug-2.png" && !document.querySelector("#gallery > :first-child [data-featured-badge]").hidden`) {
		t.Fatal("focus or the Featured badge did not follow the move")
	}
	// Esc cancels a lift.
	b.do(t, chromedp.KeyEvent(" "), chromedp.KeyEvent(kb.ArrowRight), chromedp.KeyEvent(kb.Escape))
	b.waitJS(t, "the cancel announcement", `document.querySelector("#live").textContent.startsWith("Reorder cancelled")`)
	if got := b.galleryMediaOrder(t, p.ID); !slices.Equal(got, want) {
		t.Fatalf("Esc changed the order: %v", got)
	}

	// A tab with a stale version gets a clear conflict instead of overwriting.
	if _, _, err := b.app.catalog.ReorderGallery(b.ownerCtx(), p.ID, reverse(b.galleryImageIDs(t, p.ID)), 0); err != nil {
		t.Fatal(err)
	}
	evalJS[chromedp.Void](t, b, `document.querySelector("`+tile(2)+`").focus()`)
	b.do(t, chromedp.KeyEvent(" "), chromedp.KeyEvent(kb.ArrowLeft), chromedp.KeyEvent(" "))
	b.waitJS(t, "the conflict banner", `!document.querySelector("#gallery-conflict").hidden`)
	b.screenshots(t, "gallery-conflict")

	// The tile menu's Move buttons do the same as the keys.
	b.navigate(t, fmt.Sprintf("/products/%d", p.ID))
	first := b.galleryMediaOrder(t, p.ID)[0]
	b.click(t, tile(1)+" [data-tile-menu] summary")
	b.click(t, tile(1)+` [data-tile-menu] button[value="end"]`)
	b.waitJS(t, "the move", `document.querySelector("#live").textContent.includes("moved from position 1 to 5 of 5.")`)
	deadline = time.Now().Add(5 * time.Second)
	for b.galleryMediaOrder(t, p.ID)[4] != first && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	if got := b.galleryMediaOrder(t, p.ID); got[4] != first {
		t.Fatalf("Move to end: %v", got)
	}

	// Alt text per image, saved inline.
	b.navigate(t, fmt.Sprintf("/products/%d", p.ID))
	b.fill(t, tile(1)+" textarea", "Speckled mug, handle to the right")
	b.do(t, chromedp.KeyEvent(kb.Enter))
	b.waitJS(t, "Saved", `document.querySelector("`+tile(1)+`").innerText.includes("Saved")`)

	// Choose from library: the picker adds images to the gallery.
	extra := b.seedImages(t, "saucer", 2)
	b.click(t, `a[href$="/picker"]`)
	b.waitJS(t, "the picker", `document.querySelector("dialog[open] #picker-results") !== null`)
	b.screenshots(t, "gallery-picker")
	b.axe(t, "library picker")
	b.do(t, chromedp.SendKeys(chromedp.CSS("#picker-q"), "saucer"))
	b.waitJS(t, "picker search", `document.querySelectorAll("#picker-results input[type=checkbox]").length === 2`)
	evalJS[chromedp.Void](t, b, `document.querySelectorAll("#picker-results input[type=checkbox]").forEach(c => c.click())`)
	b.click(t, `dialog[open] button[type=submit]`)
	b.waitJS(t, "the added images", `document.querySelectorAll("#gallery [data-image-id]").length === 7`)
	if got := b.galleryMediaOrder(t, p.ID); len(got) != 7 || !slices.Contains(got, extra[0]) || !slices.Contains(got, extra[1]) {
		t.Fatalf("gallery after picking: %v", got)
	}

	// Each variant's image is one of the gallery's.
	b.fill(t, "#variant-title", "Large")
	b.click(t, `form[action$="/variants"] button`)
	b.waitJS(t, "the variant", `document.querySelector("[id^=variant-image-]") !== null`)
	evalJS[chromedp.Void](t, b, `(() => { const s = document.querySelector("[id^=variant-image-]"); s.selectedIndex = 2; s.dispatchEvent(new Event("change", {bubbles: true})) })()`)
	b.waitJS(t, "the variant image", `document.querySelector("#toasts").innerText.includes("Image set for Large")`)
	vs, _, _ := b.app.catalog.FindVariants(b.ownerCtx(), data.VariantFilter{ProductID: p.ID})
	if len(vs) != 1 || vs[0].ImageID == 0 {
		t.Fatalf("variant image not set: %+v", vs)
	}
	b.screenshots(t, "gallery-variants")
}

func (b *browserEnv) galleryImageIDs(t testing.TB, productID int64) []int64 {
	g, err := b.app.catalog.FindGallery(b.ownerCtx(), productID, data.GalleryFilter{})
	if err != nil {
		t.Fatal(err)
	}
	var ids []int64
	for _, gi := range g.Images {
		ids = append(ids, gi.ID)
	}
	return ids
}

func reverse(s []int64) []int64 {
	out := slices.Clone(s)
	slices.Reverse(out)
	return out
}

func TestBrowserDeleteUsedImageUndoAndTrash(t *testing.T) {
	b := loggedIn(t)
	ids := b.seedImages(t, "plate", 3)
	p1 := b.seedProduct(t, "Dinner plate", ids...)
	p2 := b.seedProduct(t, "Plate set", ids[1], ids[0])
	ctx := b.ownerCtx()
	col, err := b.app.catalog.CreateCollection(ctx, data.CollectionCreate{Title: "Tableware", MediaID: ids[0]})
	if err != nil {
		t.Fatal(err)
	}
	used := ids[0]

	b.navigate(t, fmt.Sprintf("/media/%d", used))
	b.waitJS(t, "the panel", `document.querySelector("#media-panel") !== null`)
	if txt := evalJS[string](t, b, `document.querySelector("#media-panel").innerText`); !strings.Contains(txt, "Used by 2 products and 1 collection") {
		t.Fatalf("used-by list: %s", txt)
	}
	b.click(t, `#media-panel a[href*="/delete"]`)
	b.waitJS(t, "the delete dialog", `document.querySelector("dialog[open] [data-usage-list]") !== null`)
	list := evalJS[string](t, b, `document.querySelector("dialog[open]").innerText`)
	for _, want := range []string{"Dinner plate", "Plate set", "Tableware", "Remove from 3 places and delete"} {
		if !strings.Contains(list, want) {
			t.Fatalf("the dialog does not name %q: %s", want, list)
		}
	}
	if !evalJS[bool](t, b, `document.activeElement.matches("dialog[open] [data-dialog-cancel]")`) {
		t.Fatalf("Cancel is not focused; focus is on %s", evalJS[string](t, b, `document.activeElement.outerHTML.slice(0, 120)`))
	}
	b.screenshots(t, "delete-in-use")
	b.axe(t, "delete dialog")

	// Cancel keeps it.
	b.do(t, chromedp.KeyEvent(kb.Enter))
	b.waitJS(t, "the dialog closed", `document.querySelector("dialog[open]") === null`)
	if got := b.galleryMediaOrder(t, p1.ID); !slices.Contains(got, used) {
		t.Fatal("Cancel deleted the image")
	}

	// Force removes it everywhere; Undo puts it back in the same places.
	b.click(t, `#media-panel a[href*="/delete"]`)
	b.waitJS(t, "the delete dialog", `document.querySelector("dialog[open] [data-usage-list]") !== null`)
	b.click(t, `dialog[open] button.btn-danger`)
	b.waitJS(t, "the undo toast", `document.querySelector("#toasts").innerText.includes("plate-1.png deleted")`)
	if got := b.galleryMediaOrder(t, p1.ID); slices.Contains(got, used) {
		t.Fatalf("force delete left it in the gallery: %v", got)
	}
	if p := b.path(t); p != "/media" {
		t.Fatalf("after deleting from the panel the page is %s", p)
	}
	b.screenshots(t, "delete-undo-toast")
	b.click(t, `#toasts form[action$="/restore"] button`)
	b.waitJS(t, "the restore toast", `document.querySelector("#toasts").innerText.includes("plate-1.png restored")`)
	if got := b.galleryMediaOrder(t, p1.ID); !slices.Equal(got, ids) {
		t.Fatalf("after Undo the gallery is %v, want %v", got, ids)
	}
	if got := b.galleryMediaOrder(t, p2.ID); !slices.Equal(got, []int64{ids[1], ids[0]}) {
		t.Fatalf("after Undo the second gallery is %v", got)
	}
	if c, _ := b.app.catalog.FindCollectionByID(ctx, col.ID); c.MediaID != used {
		t.Fatalf("after Undo the collection image is %d", c.MediaID)
	}

	// An unused item gets the simple question, then goes to the trash.
	unused := b.seedImages(t, "spare", 1)[0]
	b.navigate(t, fmt.Sprintf("/media/%d", unused))
	b.click(t, `#media-panel a[href*="/delete"]`)
	b.waitJS(t, "the simple dialog", `document.querySelector("dialog[open]") !== null`)
	if txt := evalJS[string](t, b, `document.querySelector("dialog[open]").innerText`); !strings.Contains(txt, "Delete spare-1.png?") || !strings.Contains(txt, "restore it from Trash for 7 days") {
		t.Fatalf("simple delete dialog: %s", txt)
	}
	b.screenshots(t, "delete-unused")
	b.click(t, `dialog[open] button[type=submit]`)
	b.waitJS(t, "the toast", `document.querySelector("#toasts").innerText.includes("spare-1.png deleted")`)

	// Trash: days left, Restore.
	b.navigate(t, "/trash")
	b.waitJS(t, "the trash", `document.querySelector("#trash-grid") !== null`)
	if txt := b.pageText(); !strings.Contains(txt, "Deleted today · purged in 7 days") {
		t.Fatalf("trash page: %s", txt)
	}
	b.screenshots(t, "trash")
	b.axe(t, "trash")
	b.click(t, `#trash-grid form[action$="/restore"] button`)
	b.waitJS(t, "restored", `document.querySelector("#toasts").innerText.includes("spare-1.png restored") && document.querySelector("#trash-grid") === null`)
	if m, _ := b.app.media.FindMediaByID(ctx, unused); m.DeletedAt != nil {
		t.Fatal("restore did not restore")
	}
	b.screenshots(t, "trash-empty")

	// Delete forever asks first.
	if err := b.app.media.TrashMedia(ctx, unused, false); err != nil {
		t.Fatal(err)
	}
	b.navigate(t, "/trash")
	b.click(t, `#trash-grid a[href$="/purge"]`)
	b.waitJS(t, "the purge dialog", `document.querySelector("dialog[open]") && document.querySelector("dialog[open]").innerText.includes("cannot be undone")`)
	b.click(t, `dialog[open] button.btn-danger`)
	b.waitJS(t, "purged", `document.querySelector("#toasts").innerText.includes("deleted forever")`)
	if _, err := b.app.media.FindMediaByID(ctx, unused); data.ErrorCode(err) != data.ECNotFound {
		t.Fatalf("purge: %v", err)
	}
}

func TestBrowserTokens(t *testing.T) {
	b := loggedIn(t)
	b.navigate(t, "/settings/tokens")
	b.screenshots(t, "tokens-empty")
	b.axe(t, "API tokens")
	b.fill(t, "#token-name", "Storefront sync")
	evalJS[chromedp.Void](t, b, `document.querySelector("#scope-media-create").click()`)
	b.click(t, `form[action="/settings/tokens"] button[type=submit]`)
	b.waitJS(t, "the secret", `document.querySelector("#token-secret") !== null`)
	secret := evalJS[string](t, b, `document.querySelector("#token-secret").value`)
	if !strings.HasPrefix(secret, "gal_") {
		t.Fatalf("secret %q", secret)
	}
	b.screenshots(t, "tokens-created")
	b.axe(t, "API tokens (secret shown)")
	p, err := b.app.auth.AuthenticateToken(context.Background(), secret)
	if err != nil || !slices.Contains(p.Scopes, data.ScopeMediaCreate) || !slices.Contains(p.Scopes, data.ScopeMediaRead) {
		t.Fatalf("the token does not work: %v %v", err, p.Scopes)
	}
	// Shown once: a reload does not show it again.
	b.navigate(t, "/settings/tokens")
	if strings.Contains(b.pageText(), secret) || evalJS[bool](t, b, `document.documentElement.innerHTML.includes(`+jsString(secret)+`)`) {
		t.Fatal("the secret is shown again")
	}
	b.click(t, `#token-list a[href$="/revoke"]`)
	b.waitJS(t, "the revoke dialog", `document.querySelector("dialog[open]") !== null`)
	b.click(t, `dialog[open] button.btn-danger`)
	b.waitJS(t, "revoked", `document.querySelector("#toasts").innerText.includes("revoked") && document.querySelector("#token-list").innerText.includes("Revoked")`)
	if _, err := b.app.auth.AuthenticateToken(context.Background(), secret); err == nil {
		t.Fatal("the revoked token still works")
	}
	b.screenshots(t, "tokens-revoked")
}

func TestBrowserCSRFRefused(t *testing.T) {
	b := loggedIn(t)
	b.navigate(t, "/collections")
	b.screenshots(t, "collections-empty")
	b.axe(t, "collections")
	// A form posted without the token (as another site's form would be) is refused with a readable page.
	evalJS[chromedp.Void](t, b, `(() => {
		document.body.removeAttribute("hx-headers");
		document.body.setAttribute("hx-boost", "false");
		const f = document.querySelector("form[action='/collections']");
		f.querySelector("input[name=_csrf]").remove();
		f.querySelector("#collection-title").value = "Forged";
		f.submit();
	})()`)
	b.waitJS(t, "the refusal", `document.body && document.body.innerText.includes("Reload the page and try again")`)
	b.screenshots(t, "csrf-refused")
	if cs, _, _ := b.app.catalog.FindCollections(b.ownerCtx(), data.CollectionFilter{}); len(cs) != 0 {
		t.Fatalf("the forged form created %d collections", len(cs))
	}
	// The real form works, and the collection page takes an image from the library.
	b.seedImages(t, "banner", 1)
	b.navigate(t, "/collections")
	b.fill(t, "#collection-title", "Summer mugs")
	b.click(t, `form[action='/collections'] button[type=submit]`)
	b.waitJS(t, "the collection page", `/^\/collections\/\d+$/.test(location.pathname)`)
	b.click(t, `a[href$="/picker"]`)
	b.waitJS(t, "the picker", `document.querySelector("dialog[open] input[type=radio]") !== null`)
	evalJS[chromedp.Void](t, b, `document.querySelector("dialog[open] input[type=radio]").click()`)
	b.click(t, `dialog[open] button[type=submit]`)
	b.waitJS(t, "the image", `document.querySelector("#toasts").innerText.includes("Image of Summer mugs set")`)
	b.screenshots(t, "collection")
	b.axe(t, "collection")
	b.navigate(t, "/collections")
	b.screenshots(t, "collections")
	b.navigate(t, "/products/new")
	b.screenshots(t, "product-new")
	b.axe(t, "add product")
}
