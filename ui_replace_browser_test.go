package main

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// Issue 16, item 1, in the browser as a merchant does it: log in, the
// library, open the item, Replace (a PDF first: a readable refusal, nothing
// changed), then a corrected photo: progress, the new preview, the tile
// behind and the product's gallery show it; Versions lists the old file,
// and Restore brings it back.
func TestBrowserReplaceAndRestore(t *testing.T) {
	b := loggedIn(t)
	ids := b.seedImages(t, "mug", 2)
	id := ids[0]
	p := b.seedProduct(t, "Mug", id)
	dir := t.TempDir()
	fixed := filepath.Join(dir, "mug-corrected.png")
	pdf := filepath.Join(dir, "price-list.pdf")
	if err := os.WriteFile(fixed, testPNG(t, 320, 240, tileColors[3]), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(pdf, realPDF(t), 0o644); err != nil {
		t.Fatal(err)
	}
	tok := b.token(t, 0)
	before := b.getJSON(t, fmt.Sprintf("/api/media/%d", id), tok).json(t)

	b.openPanelFromLibrary(t, id)
	stable := pathOf(before["stable_url"].(string))
	if link := evalJS[string](t, b, `document.querySelector("#media-panel [data-copy]").getAttribute("data-copy")`); !strings.HasPrefix(link, "http") || !strings.HasSuffix(link, stable) {
		t.Errorf("Copy link copies %s, want the stable link %s", link, stable)
	}
	preview := `document.querySelector("#media-panel img").getAttribute("src")`
	oldPreview := evalJS[string](t, b, preview)
	oldTile := evalJS[string](t, b, fmt.Sprintf(`document.querySelector("#media-%d img").getAttribute("src")`, id))
	if !evalJS[bool](t, b, `document.querySelector("#versions").textContent.includes("No earlier files")`) {
		t.Fatal("the panel has no empty Versions list")
	}

	b.do(t, chromedp.SetUploadFiles(chromedp.CSS("#replace-file"), []string{pdf}))
	b.waitJS(t, "the refusal", `document.querySelector("[data-replace-status] [data-upload-state=error]") !== null`)
	msg := evalJS[string](t, b, `document.querySelector("[data-replace-status] [role=alert]").textContent`)
	if !strings.Contains(msg, "price-list.pdf is a document, but mug-1.png is an image") {
		t.Fatalf("refusal: %q", msg)
	}
	if now := b.getJSON(t, fmt.Sprintf("/api/media/%d", id), tok).json(t); now["sha256"] != before["sha256"] {
		t.Fatal("the refused file changed the item")
	}

	evalJS[chromedp.Void](t, b, `window.__progress = 0; document.addEventListener("gallerist:upload-progress", e => { window.__progress = Math.max(window.__progress, e.detail.percent) }); undefined`)
	// Review 16, U4: the new preview's box is there before its picture loads.
	evalJS[chromedp.Void](t, b, `window.__boxes = []; new MutationObserver(() => { const i = document.querySelector("#focal-area img");
		if (i && !i.complete) window.__boxes.push(i.getBoundingClientRect().height) }).observe(document.querySelector("#panel"), {childList: true, subtree: true}); undefined`)
	b.do(t, chromedp.SetUploadFiles(chromedp.CSS("#replace-file"), []string{fixed}))
	b.waitJS(t, "the new preview", fmt.Sprintf(`document.querySelector("[data-panel-notice]") !== null && %s !== %q`, preview, oldPreview))
	if boxes := evalJS[[]float64](t, b, `window.__boxes`); len(boxes) == 0 || slices.Contains(boxes, 0) {
		t.Errorf("the preview's height while its picture loads: %v (want its box reserved)", boxes)
	}
	if n := evalJS[int](t, b, `window.__progress`); n != 100 {
		t.Errorf("upload progress reached %d%%", n)
	}
	after := b.getJSON(t, fmt.Sprintf("/api/media/%d", id), tok).json(t)
	if after["sha256"] != shaHex(testPNG(t, 320, 240, tileColors[3])) || after["filename"] != "mug-1.png" {
		t.Fatalf("after replace: %v", after)
	}
	if tile := evalJS[string](t, b, fmt.Sprintf(`document.querySelector("#media-%d img").getAttribute("src")`, id)); tile == oldTile {
		t.Error("the tile behind the panel still shows the old file")
	}
	if !evalJS[bool](t, b, `document.querySelector("#media-panel").contains(document.activeElement)`) {
		t.Error("focus left the panel after the replace")
	}
	// The facts say when the current file came, not only the first upload.
	if txt := evalJS[string](t, b, `(document.querySelector("#media-panel [data-file-replaced]") || {textContent: ""}).textContent`); !strings.Contains(txt, testOwnerEmail) {
		t.Errorf("the panel's File replaced fact: %q", txt)
	}
	b.waitJS(t, "one version", `document.querySelectorAll("[data-versions] [data-version-id]").length === 1 &&
		document.querySelector("[data-versions]").textContent.includes("mug-1.png")`)
	b.axe(t, "the detail panel with a version")
	// Review 16, U1: each version has a thumbnail and a download, served to
	// the logged-in user only (never a public URL).
	b.waitJS(t, "the version's thumbnail", `(() => { const i = document.querySelector("[data-versions] [data-version-thumb]"); return i && i.complete && i.naturalWidth > 0 })()`)
	dl := evalJS[string](t, b, `document.querySelector("[data-versions] [data-version-download]").getAttribute("href")`)
	got := evalJS[string](t, b, `fetch(`+fmt.Sprintf("%q", dl)+`).then(r => r.status + " " + r.headers.get("Content-Disposition"))`)
	if !strings.HasPrefix(got, "200 attachment") {
		t.Errorf("version download in the browser: %s", got)
	}
	if r := b.testEnv.do(t, "GET", dl, "", nil, ""); r.Status == 200 {
		t.Errorf("version download without a login: %d", r.Status)
	}

	// The product's gallery shows the new file (it names the media id).
	b.click(t, "[data-panel-close]")
	b.waitJS(t, "the panel to close", `document.querySelector("#media-panel") === null`)
	b.click(t, `aside nav a[href="/products"]`)
	b.waitJS(t, "the products page", `location.pathname === "/products"`)
	b.click(t, fmt.Sprintf(`a[href="/products/%d"]`, p.ID))
	b.waitJS(t, "the gallery", `document.querySelector("#gallery [data-image-id] img") !== null`)
	src := evalJS[string](t, b, `document.querySelector("#gallery [data-image-id] img").getAttribute("src")`)
	if !strings.Contains(src, after["url"].(string)[strings.LastIndex(after["url"].(string), "/")+1:][:32]) {
		t.Errorf("gallery image %s, want the new file %s", src, after["url"])
	}

	// Pin, then Restore from Versions.
	// Review 16, U3: the panel stays where it was scrolled to, focus on the row.
	b.openPanelFromLibrary(t, id)
	panelScroll := `document.querySelector("[data-panel] .overflow-y-auto").scrollTop`
	scrolled := evalJS[float64](t, b, `(() => { const s = document.querySelector("[data-panel] .overflow-y-auto"); s.scrollTop = s.scrollHeight; return s.scrollTop })()`)
	if scrolled < 50 {
		t.Fatalf("the panel does not scroll (%v): the test needs a row below the fold", scrolled)
	}
	b.click(t, "[data-versions] [data-pin]")
	b.waitJS(t, "the pinned version", `document.querySelector("[data-versions] [data-pinned]") !== null &&
		document.querySelector("[data-versions] [data-pin]").textContent.trim() === "Unpin"`)
	if got := evalJS[float64](t, b, panelScroll); got < scrolled-2 {
		t.Errorf("Pin scrolled the panel from %v to %v", scrolled, got)
	}
	// Focus is put back after the swap settles (as after Restore below): a
	// check made as the button's text changes can land between (seen under
	// -race in CI, on the panel's title).
	b.waitJS(t, "focus back on the Pin button after Pin", `document.activeElement === document.querySelector("[data-versions] [data-pin]")`)
	b.click(t, "[data-versions] button[aria-label^=Restore]")
	b.waitJS(t, "the restored file", `document.querySelector("[data-panel-notice]") !== null &&
		document.querySelector("[data-panel-notice]").textContent.includes("Restored")`)
	if got := evalJS[float64](t, b, panelScroll); got < 50 {
		t.Errorf("Restore scrolled the panel back to %v", got)
	}
	// The panel is swapped in first and focus put back after it settles: under
	// load (CI, -race) a check made as the notice appears can land between.
	b.waitJS(t, "focus back in the versions after Restore", `document.querySelector("#versions").contains(document.activeElement)`)
	if now := b.getJSON(t, fmt.Sprintf("/api/media/%d", id), tok).json(t); now["sha256"] != before["sha256"] {
		t.Fatalf("after restore: %v", now["sha256"])
	}
	if evalJS[string](t, b, preview) != oldPreview {
		t.Error("the preview does not show the restored file")
	}
	if n := evalJS[int](t, b, `document.querySelectorAll("[data-versions] [data-version-id]").length`); n != 1 {
		t.Errorf("%d versions after restore, want 1 (the corrected file)", n)
	}

	// Review 16, U2: beyond the first 10, "Show all" lists every version;
	// a Pin there keeps the whole list.
	for i := 0; i < 11; i++ {
		b.replaceOK(t, tok, id, fmt.Sprintf("mug-%d.png", i), testPNG(t, 40+i, 30, tileColors[i%len(tileColors)]))
	}
	b.click(t, "[data-panel-close]")
	b.waitJS(t, "the panel to close", `document.querySelector("#media-panel") === null`)
	b.openPanelFromLibrary(t, id)
	rows := `document.querySelectorAll("[data-versions] [data-version-id]").length`
	if n := evalJS[int](t, b, rows); n != 10 || !evalJS[bool](t, b, `document.querySelector("#versions").textContent.includes("2 older versions are not shown")`) {
		t.Fatalf("%d rows before Show all: %s", n, evalJS[string](t, b, `document.querySelector("#versions").textContent`))
	}
	b.click(t, "[data-all-versions]")
	b.waitJS(t, "every version", rows+` === 12 && document.querySelector("[data-all-versions]") === null`)
	b.click(t, "[data-versions] li:last-child [data-pin]")
	b.waitJS(t, "the last version pinned, the list still whole", rows+` === 12 &&
		document.querySelector("[data-versions] li:last-child [data-pinned]") !== null`)
}
