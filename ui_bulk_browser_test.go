package main

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"gallerist/data"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// Bulk selection and actions in the library and the trash (issue 11), in
// Chromium, reached as people do: log in, then the sidebar, links, Back and
// Forward.

func tickSel(id int64) string { return fmt.Sprintf(`#media-%d input[data-select]`, id) }

// openLibrary goes to the library through the sidebar and waits for n tiles.
func (b *browserEnv) openLibrary(t testing.TB, n int) {
	t.Helper()
	b.click(t, `aside nav a[href="/media"]`)
	b.waitJS(t, "the library", fmt.Sprintf(`location.pathname === "/media" && document.querySelectorAll("#media-grid .media-card").length === %d`, n))
	b.settled(t)
}

// shiftClick clicks the element's centre with Shift held.
func (b *browserEnv) shiftClick(t testing.TB, sel string) {
	t.Helper()
	b.settled(t)
	x, y := b.center(t, sel)
	b.do(t, chromedp.MouseClickXY(x, y, chromedp.ButtonModifiers(chromedp.ModifierShift)))
}

// ticked are the ids of the checked tiles on the page, in page order.
func (b *browserEnv) ticked(t testing.TB) []int64 {
	t.Helper()
	var out []int64
	for _, v := range evalJS[[]float64](t, b, `[...document.querySelectorAll("input[data-select]:checked")].map(i => +i.value)`) {
		out = append(out, int64(v))
	}
	return out
}

func (b *browserEnv) waitSelected(t testing.TB, text string) {
	t.Helper()
	b.waitJS(t, "the selection bar to say "+text, `document.querySelector("[data-bulk-count]").textContent === `+jsString(text))
}

// orderBadges maps each selected tile's id to the number on its tick.
func (b *browserEnv) orderBadges(t testing.TB) map[int64]string {
	t.Helper()
	raw := evalJS[map[string]string](t, b, `Object.fromEntries([...document.querySelectorAll("[data-select-order]:not([hidden])")].map(s => [s.closest("li").dataset.mediaId, s.textContent]))`)
	out := map[int64]string{}
	for k, v := range raw {
		var id int64
		fmt.Sscan(k, &id)
		out[id] = v
	}
	return out
}

func (b *browserEnv) trashed(t testing.TB, id int64) bool {
	t.Helper()
	m, err := b.app.media.FindMediaByID(b.ownerCtx(), id)
	if err != nil {
		t.Fatal(err)
	}
	return m.DeletedAt != nil
}

func (b *browserEnv) variantImage(t testing.TB, pid, vid int64) int64 {
	t.Helper()
	v, err := b.app.catalog.FindVariantByID(b.ownerCtx(), pid, vid)
	if err != nil {
		t.Fatal(err)
	}
	if v.Media == nil {
		return 0
	}
	return v.Media.ID
}

func TestBrowserBulkDeleteInUseAndUndo(t *testing.T) {
	b := loggedIn(t)
	ids := b.seedImages(t, "jug", 5) // the grid shows them newest first: 5 4 3 2 1
	p := b.seedProduct(t, "Water jug", ids[0], ids[2], ids[3])
	ctx := b.ownerCtx()
	g, err := b.app.catalog.FindGallery(ctx, p.ID, data.GalleryFilter{})
	if err != nil {
		t.Fatal(err)
	}
	v, err := b.app.catalog.CreateVariant(ctx, p.ID, data.VariantCreate{Title: "Large"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.app.catalog.SetVariantImage(ctx, p.ID, v.ID, g.Images[2].ID); err != nil { // jug-4
		t.Fatal(err)
	}
	b.openLibrary(t, 5)

	// Tick the first tile, Shift+click the third: the range is selected.
	b.click(t, tickSel(ids[4]))
	b.waitSelected(t, "1 selected")
	b.shiftClick(t, tickSel(ids[2]))
	b.waitSelected(t, "3 selected")
	if got := b.ticked(t); !slices.Equal(got, []int64{ids[4], ids[3], ids[2]}) {
		t.Fatalf("ticked %v, want the range %v", got, []int64{ids[4], ids[3], ids[2]})
	}
	if got := b.orderBadges(t); got[ids[4]] != "1" || got[ids[3]] != "2" || got[ids[2]] != "3" || len(got) != 3 {
		t.Fatalf("order on the ticks: %v", got)
	}
	b.screenshots(t, "bulk-library-selection")
	b.axe(t, "the library with a selection")

	b.click(t, `[data-bulk-form] button[value="delete"]`)
	b.waitJS(t, "the bulk delete dialog", `document.querySelector("dialog[open] [data-usage-list]") !== null`)
	txt := evalJS[string](t, b, `document.querySelector("dialog[open]").innerText`)
	for _, want := range []string{"2 of 3 items are in use", "jug-3.png", "jug-4.png", "Water jug · Product gallery · position 2", "Water jug / Large · Variant image",
		"The other item is not used anywhere.", "Delete them anyway?", "Remove from 3 places and delete all 3"} {
		if !strings.Contains(txt, want) {
			t.Fatalf("the dialog lacks %q:\n%s", want, txt)
		}
	}
	if !evalJS[bool](t, b, `document.activeElement.matches("dialog[open] [data-dialog-cancel]")`) {
		t.Fatal("Cancel is not focused in the in-use dialog")
	}
	b.screenshots(t, "bulk-delete-in-use")
	b.axe(t, "the bulk delete dialog")

	b.click(t, `dialog[open] button.btn-danger`)
	b.waitJS(t, "the undo toast", `document.querySelector("#toasts").innerText.includes("3 items deleted")`)
	for _, id := range ids[2:] {
		if !b.trashed(t, id) {
			t.Fatalf("%d is not in the trash", id)
		}
	}
	if got := b.galleryMediaOrder(t, p.ID); !slices.Equal(got, []int64{ids[0]}) {
		t.Fatalf("gallery after the delete: %v", got)
	}
	if got := b.variantImage(t, p.ID, v.ID); got != 0 {
		t.Fatalf("the variant still shows %d", got)
	}
	b.waitJS(t, "the tiles gone", `document.querySelectorAll("#media-grid .media-card").length === 2`)
	b.waitSelected(t, "Select items to act on several at once.") // the selection ended with the delete

	b.click(t, `#toasts form[action^="/media/bulk/restore"] button`)
	b.waitJS(t, "the restore toast", `document.querySelector("#toasts").innerText.includes("3 items restored")`)
	for _, id := range ids[2:] {
		if b.trashed(t, id) {
			t.Fatalf("Undo left %d in the trash", id)
		}
	}
	if got := b.galleryMediaOrder(t, p.ID); !slices.Equal(got, []int64{ids[0], ids[2], ids[3]}) {
		t.Fatalf("gallery after Undo: %v, want %v", got, []int64{ids[0], ids[2], ids[3]})
	}
	if got := b.variantImage(t, p.ID, v.ID); got != ids[3] {
		t.Fatalf("after Undo the variant shows %d, want %d", got, ids[3])
	}
	b.waitJS(t, "the tiles back", `document.querySelectorAll("#media-grid .media-card").length === 5`)
}

func TestBrowserBulkAltEditorFromMissingAlt(t *testing.T) {
	b := loggedIn(t)
	ids := b.seedImages(t, "vase", 4)
	alt := "A white vase"
	if _, err := b.app.media.UpdateMedia(b.ownerCtx(), ids[0], data.MediaUpdate{Alt: &alt}); err != nil {
		t.Fatal(err)
	}
	b.openLibrary(t, 4)
	b.click(t, `a.chip[href*="missing_alt=true"]`)
	b.waitJS(t, "the Missing alt text filter", `location.search.includes("missing_alt=true") && document.querySelectorAll("#media-grid .media-card").length === 3`)
	b.click(t, `[data-alt-editor-link]`)
	b.waitJS(t, "the alt editor", `location.pathname === "/media/alt" && document.querySelectorAll("[data-alt-field]").length === 3`)
	if txt := b.pageText(); !strings.Contains(txt, "3 images still need alt text.") {
		t.Fatalf("the editor does not count what is missing: %s", txt)
	}
	if evalJS[bool](t, b, `[...document.querySelectorAll("form[data-alt-editor] button[type=submit]")].some(b => b.offsetParent !== null)`) {
		t.Fatal("a save button shows: fields should save by themselves")
	}
	b.axe(t, "the bulk alt editor")

	// Newest first: vase-4, vase-3, vase-2. Type each, Tab to the next.
	order := []int64{ids[3], ids[2], ids[1]}
	alts := []string{"Tall blue vase, front view", "Short green vase on a wooden table", "Red vase with two handles"}
	b.click(t, `[data-alt-field]`)
	for i, text := range alts {
		if !evalJS[bool](t, b, fmt.Sprintf(`document.activeElement === document.getElementById("alt-%d")`, order[i])) {
			t.Fatalf("field %d is not focused (Tab order): %s", i+1, evalJS[string](t, b, `document.activeElement.outerHTML.slice(0, 200)`))
		}
		b.do(t, chromedp.KeyEvent(text), chromedp.KeyEvent(kb.Tab))
	}
	b.waitJS(t, "every row saved", `[...document.querySelectorAll("[data-alt-row]")].every(r => r.dataset.state === "saved" && r.querySelector("[data-saved]"))`)
	for i, id := range order {
		m, err := b.app.media.FindMediaByID(b.ownerCtx(), id)
		if err != nil || m.Alt != alts[i] {
			t.Fatalf("alt text of %d on the server: %q %v, want %q", id, m.Alt, err, alts[i])
		}
	}
	b.waitJS(t, "the count", `document.querySelector("[data-alt-remaining]").innerText.includes("Every image here has alt text.")`)
	b.waitJS(t, "the announcement", `document.querySelector("#live").textContent.startsWith("Saved alt text for vase-2.png")`)
	b.screenshots(t, "bulk-alt-editor")

	// Offline, an edit says "Not saved" and saves itself when the connection returns.
	b.setOffline(t, true)
	evalJS[chromedp.Void](t, b, fmt.Sprintf(`(() => { const f = document.getElementById("alt-%d"); f.focus(); f.setSelectionRange(f.value.length, f.value.length) })()`, order[0]))
	b.do(t, chromedp.KeyEvent(", in a gift box"), chromedp.KeyEvent(kb.Tab))
	row := fmt.Sprintf(`document.getElementById("alt-row-%d")`, order[0])
	b.waitJS(t, "Not saved", row+`.dataset.state === "failed" && `+row+`.innerText.includes("Not saved")`)
	if m, _ := b.app.media.FindMediaByID(b.ownerCtx(), order[0]); m.Alt != alts[0] {
		t.Fatalf("saved while offline: %q", m.Alt)
	}
	b.setOffline(t, false)
	b.waitJS(t, "saved once online", row+`.dataset.state === "saved"`)
	if m, _ := b.app.media.FindMediaByID(b.ownerCtx(), order[0]); m.Alt != alts[0]+", in a gift box" {
		t.Fatalf("after the connection returned the alt text is %q", m.Alt)
	}

	// Back in the library, the filter has nothing left.
	b.click(t, `main a[href^="/media?missing_alt=true"]`)
	b.waitJS(t, "the filtered library", `location.pathname === "/media" && document.querySelector("#library-empty") !== null`)
}

func TestBrowserBulkSelectionAcrossPages(t *testing.T) {
	b := loggedIn(t)
	ids := b.testEnv.seedImages(t, 50) // newest first: page 1 is ids[49]..ids[2], page 2 ids[1], ids[0]
	b.openLibrary(t, 48)
	b.click(t, tickSel(ids[48]))
	b.click(t, tickSel(ids[49]))
	b.waitSelected(t, "2 selected")

	b.click(t, `nav[aria-label="Pages"] a[rel="next"]`)
	b.waitJS(t, "page 2", `location.search.includes("offset=48") && document.querySelectorAll("#media-grid .media-card").length === 2`)
	b.waitSelected(t, "2 selected (2 on other pages)")
	b.click(t, tickSel(ids[0]))
	b.waitSelected(t, "3 selected (2 on other pages)")
	if got := evalJS[string](t, b, `document.querySelector("[data-bulk-ids]").value`); got != joinInts(ids[48], ids[49], ids[0]) {
		t.Fatalf("the form carries %q, want the selection in order", got)
	}

	b.do(t, chromedp.NavigateBack())
	b.waitJS(t, "page 1 again", `!location.search.includes("offset") && document.querySelectorAll("#media-grid .media-card").length === 48`)
	b.waitSelected(t, "3 selected (1 on other pages)")
	if got := b.ticked(t); !slices.Equal(got, []int64{ids[49], ids[48]}) {
		t.Fatalf("after Back the ticks are %v", got)
	}
	if got := b.orderBadges(t); got[ids[48]] != "1" || got[ids[49]] != "2" {
		t.Fatalf("order on the ticks after Back: %v", got)
	}
	b.do(t, chromedp.NavigateForward())
	b.waitJS(t, "page 2 again", `location.search.includes("offset=48") && document.querySelectorAll("#media-grid .media-card").length === 2`)
	b.waitSelected(t, "3 selected (2 on other pages)")
	b.do(t, chromedp.Reload())
	b.waitSelected(t, "3 selected (2 on other pages)")
	if got := b.ticked(t); !slices.Equal(got, []int64{ids[0]}) {
		t.Fatalf("after a reload the ticks are %v", got)
	}

	// The whole selection goes to the alt editor, in the order it was made.
	b.click(t, `[data-bulk-form] button[value="alt"]`)
	b.waitJS(t, "the alt editor", `location.pathname === "/media/alt" && document.querySelectorAll("[data-alt-row]").length === 3`)
	got := evalJS[[]string](t, b, `[...document.querySelectorAll("[data-alt-row]")].map(r => r.dataset.mediaId)`)
	if want := []string{fmt.Sprint(ids[48]), fmt.Sprint(ids[49]), fmt.Sprint(ids[0])}; !slices.Equal(got, want) {
		t.Fatalf("the editor lists %v, want %v", got, want)
	}
}

func TestBrowserBulkAddToProductInSelectionOrder(t *testing.T) {
	b := loggedIn(t)
	ids := b.seedImages(t, "plate", 4) // the grid: plate-4, plate-3, plate-2, plate-1
	p := b.seedProduct(t, "Dinner plate", ids[0])
	b.seedProduct(t, "Side bowl")
	b.openLibrary(t, 4)
	for _, id := range []int64{ids[1], ids[3], ids[2]} {
		b.click(t, tickSel(id))
	}
	b.waitSelected(t, "3 selected")
	if got := b.orderBadges(t); got[ids[1]] != "1" || got[ids[3]] != "2" || got[ids[2]] != "3" {
		t.Fatalf("order on the ticks: %v", got)
	}

	b.click(t, `[data-bulk-form] button[value="add"]`)
	b.waitJS(t, "the add dialog", `document.querySelectorAll("dialog[open] #bulk-products input[type=radio]").length === 2`)
	if !evalJS[bool](t, b, `document.activeElement.id === "bulk-product-q"`) {
		t.Fatal("the product search is not focused")
	}
	if txt := evalJS[string](t, b, `document.querySelector("dialog[open]").innerText`); !strings.Contains(txt, "Add 3 images to a product") || !strings.Contains(txt, "in the order you selected them") {
		t.Fatalf("add dialog: %s", txt)
	}
	b.axe(t, "the add to product dialog")
	b.fill(t, "#bulk-product-q", "dinner")
	b.waitJS(t, "the search", `document.querySelectorAll("dialog[open] #bulk-products input[type=radio]").length === 1 && document.querySelector("dialog[open] #bulk-products").innerText.includes("Dinner plate")`)
	b.click(t, `dialog[open] input[name="product_id"]`)
	b.screenshots(t, "bulk-add-to-product")
	b.click(t, `dialog[open] button.btn-primary`)
	b.waitJS(t, "the toast", `document.querySelector("#toasts").innerText.includes("Added 3 images to Dinner plate.")`)
	if got, want := b.galleryMediaOrder(t, p.ID), []int64{ids[0], ids[1], ids[3], ids[2]}; !slices.Equal(got, want) {
		t.Fatalf("gallery %v, want %v (selection order after what was there)", got, want)
	}
	// The selection ended with the action: nothing stays ticked for the next one.
	if n := evalJS[int](t, b, `document.querySelectorAll("[data-bulk-form] input[type=checkbox][name=ids]:checked").length`); n != 0 {
		t.Errorf("%d tiles still ticked after Add to product", n)
	}
	if s := evalJS[string](t, b, `sessionStorage.getItem("gallerist.selection.library") || ""`); s != "" {
		t.Errorf("the stored selection after Add to product: %s", s)
	}
	// The toast leads to the product.
	b.click(t, `#toasts a[href="/products/`+fmt.Sprint(p.ID)+`"]`)
	b.waitJS(t, "the gallery editor", fmt.Sprintf(`location.pathname === "/products/%d"`, p.ID))
	b.click(t, `aside nav a[href="/media"]`)
	b.waitJS(t, "the library", `location.pathname === "/media" && document.querySelector("#media-grid") !== null`)
	if n := evalJS[int](t, b, `document.querySelectorAll("input[type=checkbox][name=ids]:checked").length`); n != 0 {
		t.Errorf("back in the library, %d tiles are still ticked", n)
	}
}

func TestBrowserBulkTrashRestoreAndPurge(t *testing.T) {
	b := loggedIn(t)
	ids := b.seedImages(t, "cup", 4)
	for _, id := range ids {
		if err := b.app.media.TrashMedia(b.ownerCtx(), id, false); err != nil {
			t.Fatal(err)
		}
	}
	b.click(t, `aside nav a[href="/trash"]`)
	b.waitJS(t, "the trash", `location.pathname === "/trash" && document.querySelectorAll("#trash-grid > li").length === 4`)
	b.settled(t)

	// Keyboard only: Space ticks a checkbox; Tab passes the tile's own
	// buttons to the next tile's checkbox.
	evalJS[chromedp.Void](t, b, `document.querySelector("#trash-grid > li:nth-child(1) input[data-select]").focus()`)
	b.do(t, chromedp.KeyEvent(" "))
	b.waitSelected(t, "1 selected")
	b.do(t, chromedp.KeyEvent(kb.Tab), chromedp.KeyEvent(kb.Tab), chromedp.KeyEvent(kb.Tab))
	if !evalJS[bool](t, b, `document.activeElement === document.querySelector("#trash-grid > li:nth-child(2) input[data-select]")`) {
		t.Fatalf("three Tabs lead to %s", evalJS[string](t, b, `document.activeElement.outerHTML.slice(0, 200)`))
	}
	b.do(t, chromedp.KeyEvent(" "))
	b.waitSelected(t, "2 selected")
	restored := b.ticked(t)
	b.screenshots(t, "bulk-trash-selection")
	b.axe(t, "the trash with a selection")

	b.click(t, `[data-bulk-form] button[value="restore"]`)
	b.waitJS(t, "the restore toast", `document.querySelector("#toasts").innerText.includes("2 items restored") && document.querySelectorAll("#trash-grid > li").length === 2`)
	for _, id := range ids {
		if b.trashed(t, id) == slices.Contains(restored, id) {
			t.Fatalf("after the bulk restore %d trashed: %v (restored %v)", id, b.trashed(t, id), restored)
		}
	}
	b.waitSelected(t, "Select items to act on several at once.")

	b.click(t, `[data-bulk-all]`)
	b.waitSelected(t, "2 selected")
	b.click(t, `[data-bulk-form] button[value="purge"]`)
	b.waitJS(t, "the purge dialog", `document.querySelector("dialog[open]") !== null && document.querySelector("dialog[open]").innerText.includes("Delete 2 items forever?")`)
	if !evalJS[bool](t, b, `document.activeElement.matches("dialog[open] [data-dialog-cancel]")`) {
		t.Fatal("Cancel is not focused in the purge dialog")
	}
	b.axe(t, "the bulk purge dialog")
	b.click(t, `dialog[open] button.btn-danger`)
	b.waitJS(t, "the purge toast", `document.querySelector("#toasts").innerText.includes("2 items deleted forever") && document.querySelector("#trash-grid") === null`)
	for _, id := range ids {
		_, err := b.app.media.FindMediaByID(b.ownerCtx(), id)
		if gone := data.ErrorCode(err) == data.ECNotFound; gone == slices.Contains(restored, id) {
			t.Fatalf("after the purge %d: %v (restored %v)", id, err, restored)
		}
	}
}
