package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// Issue 11, defect 12: while files upload the count says so (not "No
// items"), the new tiles appear where the merchant is looking, in the order
// picked, and a file refused for what it is offers no Retry (trying again
// cannot help), while the good ones upload.
func TestBrowserUploadFeedback(t *testing.T) {
	b := loggedIn(t)
	b.seedImages(t, "old", 40)
	b.click(t, `aside nav a[href="/products"]`)
	b.waitJS(t, "the products page", `location.pathname === "/products"`)
	b.click(t, `aside nav a[href="/media"]`)
	b.waitJS(t, "the library with 40 items", `document.querySelectorAll("#media-grid > li").length >= 24`)
	dir := t.TempDir()
	var paths []string
	for i, name := range []string{"1-first.png", "2-notes.txt", "3-third.png"} {
		body := testPNG(t, 300+i*10, 200, tileColors[i])
		if strings.HasSuffix(name, ".txt") {
			body = []byte("just some notes, not a product photo\n")
		}
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, body, 0o644); err != nil {
			t.Fatal(err)
		}
		paths = append(paths, p)
	}
	evalJS[chromedp.Void](t, b, `window.scrollTo(0, document.body.scrollHeight);
		window.__counts = []; window.__done = null;
		new MutationObserver(() => window.__counts.push(document.querySelector("#result-count").textContent))
			.observe(document.querySelector("#result-count"), {childList: true, characterData: true, subtree: true});
		document.addEventListener("gallerist:uploads-done", e => { window.__done = e.detail });
		// The tiles' order as they appear (a fast upload replaces its tile at once).
		window.__order = null;
		new MutationObserver((_, obs) => {
			const ts = [...document.querySelectorAll("#media-grid > [data-upload-tile]")];
			if (ts.length >= 3) { window.__order = ts.map(t => t.dataset.filename); obs.disconnect() }
		}).observe(document.querySelector("#media-grid"), {childList: true}); undefined`)
	b.dropFiles(t, paths...)
	order := evalJS[[]string](t, b, `window.__order || []`)
	if strings.Join(order, ",") != "1-first.png,2-notes.txt,3-third.png" {
		t.Errorf("upload tiles in order %v, want the order picked", order)
	}
	b.waitJS(t, "the first upload tile scrolled into view", `(() => {
		const t = document.querySelector("#media-grid > li"); const r = t.getBoundingClientRect();
		return r.top >= 0 && r.bottom <= innerHeight })()`)
	b.waitJS(t, "the uploads to finish", `window.__done !== null`)
	counts := evalJS[[]string](t, b, `window.__counts`)
	if len(counts) == 0 || !strings.Contains(counts[0], "uploading 3 files") {
		t.Errorf("the count while uploading read %q, want it to say 3 files are uploading", counts)
	}
	if last := evalJS[string](t, b, `document.querySelector("#result-count").textContent`); last != "42 items" {
		t.Errorf("the count after two of three uploads: %q, want 42 items", last)
	}
	failed := evalJS[string](t, b, `(() => { const t = document.querySelector('[data-upload-state="error"]'); return t ? t.textContent : "" })()`)
	if !strings.Contains(failed, "2-notes.txt") && !strings.Contains(strings.ToLower(failed), "not") {
		t.Errorf("the failed tile says %q", failed)
	}
	if evalJS[bool](t, b, `[...document.querySelectorAll('[data-upload-state="error"] button')].some(b => b.textContent.trim() === "Retry")`) {
		t.Errorf("a file refused as unsupported offers Retry: %q", failed)
	}
}

// Review finding: after the first upload into an empty library the tiles
// had checkboxes but no selection bar until a reload.
func TestBrowserFirstUploadBringsTheSelectionBar(t *testing.T) {
	b := loggedIn(t)
	if !evalJS[bool](t, b, `document.querySelector("#bulk-form") !== null && document.querySelector("#bulk-form").hidden`) {
		t.Fatalf("an empty library has no hidden selection bar ready")
	}
	p := filepath.Join(t.TempDir(), "first.png")
	if err := os.WriteFile(p, testPNG(t, 320, 240, tileColors[0]), 0o644); err != nil {
		t.Fatal(err)
	}
	b.dropFiles(t, p)
	b.waitJS(t, "the selection bar after the first upload", `!document.querySelector("#bulk-form").hidden &&
		document.querySelector("#media-grid [data-select]") !== null`)
	b.click(t, "#media-grid [data-select]")
	b.waitJS(t, "1 selected", `document.querySelector("[data-bulk-count]").textContent.includes("1 selected")`)
}
