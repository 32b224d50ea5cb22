package main

import (
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"gallerist/data"

	"github.com/chromedp/chromedp"
)

// Issue 16 item 5 in the browser: a merchant logs in, goes to Products,
// "Import from a zip", uploads a zip of 50 photos for 10 products (with
// the upload's progress bar), sees the plan, imports, sees the summary and
// opens a product whose gallery is in the zip's order.
func TestBrowserImportZip(t *testing.T) {
	body, want := importZipBytes(t)
	zipPath := filepath.Join(t.TempDir(), "old-shop-photos.zip")
	if err := os.WriteFile(zipPath, body, 0o644); err != nil {
		t.Fatal(err)
	}
	b := newBrowserEnv(t)
	b.createUser(t, "editor@example.com", data.RoleEditor)
	b.login(t, "editor@example.com", testOwnerPassword)
	b.waitJS(t, "the library after login", `location.pathname === "/media"`)
	b.click(t, `aside nav a[href="/products"]`)
	b.waitJS(t, "the products page", `location.pathname === "/products"`)
	b.click(t, `a[href="/products/import"]`)
	b.waitJS(t, "the import page", `location.pathname === "/products/import" && !!document.querySelector("#import-zip")`)
	b.axe(t, "the import page")
	evalJS[chromedp.Void](t, b, `sessionStorage.removeItem("bars"); new MutationObserver(() => {
			const t = document.querySelector("[data-zip-progress] [role=progressbar]"); if (t) sessionStorage.setItem("bars", (sessionStorage.getItem("bars") || "") + t.getAttribute("aria-valuenow") + ",")
		}).observe(document.querySelector("[data-zip-progress]"), {childList: true, subtree: true, attributes: true}); undefined`)
	b.do(t, chromedp.SetUploadFiles(chromedp.CSS("#import-zip"), []string{zipPath}))
	b.click(t, `form[data-zip-upload] button[type=submit]`)
	b.waitJS(t, "the plan", `!!document.querySelector('[data-import-state="planned"]')`)
	if bars := evalJS[string](t, b, `sessionStorage.getItem("bars") || ""`); !strings.Contains(bars, "100,") {
		t.Errorf("the upload's progress bar read %q, want it to reach 100", bars)
	}
	if n := len(b.app.importer.JobIDs()); n != 1 {
		t.Errorf("%d import jobs, want the one upload", n)
	}
	if n := evalJS[int](t, b, `document.querySelectorAll("[data-import-product]").length`); n != 10 {
		t.Errorf("the plan shows %d products, want 10", n)
	}
	planned := evalJS[[]string](t, b, `[...document.querySelectorAll('[data-import-product="red-mug"] [data-import-file]')].map(li => li.dataset.importFile.split("/").pop())`)
	if !slices.Equal(planned, want["red-mug"]) {
		t.Errorf("red-mug's plan %v, want %v", planned, want["red-mug"])
	}
	if txt := evalJS[string](t, b, `document.querySelector("[data-import-skipped]").textContent`); !strings.Contains(txt, "a zip inside the zip") || !strings.Contains(txt, "notes.txt") {
		t.Errorf("the plan does not list the skipped files with reasons")
	}
	if !evalJS[bool](t, b, `document.querySelector("input[name=create_products]").checked`) {
		t.Errorf("Create missing products is not ticked")
	}
	// On a phone each file's badge stays on its name's line (one line a
	// row), and nothing sticks out sideways.
	b.do(t, chromedp.EmulateViewport(390, 844))
	b.waitJS(t, "one-line plan rows at 390 px", `(() => { const rows = [...document.querySelectorAll("[data-import-file]")];
		return rows.length > 0 && rows.every(li => { const n = li.querySelector("[data-import-name]").getBoundingClientRect(), b = li.querySelector("[data-import-badge]").getBoundingClientRect();
			return b.height > 0 && b.top < n.bottom && n.top < b.bottom && b.right <= window.innerWidth }) &&
			document.documentElement.scrollWidth <= window.innerWidth + 2 })()`)
	b.do(t, chromedp.EmulateViewport(1280, 900))
	b.axe(t, "the import plan")
	b.click(t, `[data-import-state="planned"] form button.btn-primary`)
	b.waitJS(t, "the summary", `!!document.querySelector('[data-import-state="done"]')`)
	counts := evalJS[string](t, b, `document.querySelector("[data-import-counts]").textContent.replace(/\s+/g, " ")`)
	for _, s := range []string{"Imported 50 files into 10 products: 50 new", "Created 10 products", "Skipped 2 files"} {
		if !strings.Contains(counts, s) {
			t.Errorf("the summary %q does not say %q", counts, s)
		}
	}
	b.axe(t, "the import summary")
	b.click(t, `[data-import-product="red-mug"] a`)
	b.waitJS(t, "red-mug's gallery", `location.pathname.startsWith("/products/") && document.querySelectorAll("#gallery > [data-image-id]").length === 5`)
	pid := b.productID(t, "red-mug")
	server := b.galleryImageIDs(t, pid)
	ids := make([]string, len(server))
	for i, id := range server {
		ids[i] = strconv.FormatInt(id, 10)
	}
	b.waitJS(t, "the page's gallery in the server's order "+strings.Join(ids, ","),
		`[...document.querySelectorAll("#gallery > [data-image-id]")].map(t => t.dataset.imageId).join(",") === "`+strings.Join(ids, ",")+`"`)
	if got := b.galleryNames(t, "red-mug"); !slices.Equal(got, want["red-mug"]) {
		t.Errorf("red-mug's gallery %v, want %v", got, want["red-mug"])
	}
	// Renditions pass through the staging folder too: wait for them.
	b.waitJS(t, "the thumbnails", `[...document.querySelectorAll("#gallery img")].every(i => i.complete && i.naturalWidth > 0)`)
	deadline := time.Now().Add(10 * time.Second)
	for left, _ := os.ReadDir(b.app.staging.Dir()); len(left) > 0 && time.Now().Before(deadline); left, _ = os.ReadDir(b.app.staging.Dir()) {
		time.Sleep(20 * time.Millisecond)
	}
	b.stagingEmpty(t)
}

// A merchant who leaves a checked plan finds it again under "Waiting
// imports" on the import page, and Discard removes it there.
func TestBrowserImportDiscardWaiting(t *testing.T) {
	zipPath := filepath.Join(t.TempDir(), "spring-shoot.zip")
	if err := os.WriteFile(zipPath, zipOf(t, map[string][]byte{"red-mug.jpg": importJPEG(t, 1, 2)}), 0o644); err != nil {
		t.Fatal(err)
	}
	b := loggedIn(t)
	toImport := func() {
		b.click(t, `aside nav a[href="/products"]`)
		b.waitJS(t, "the products page", `location.pathname === "/products"`)
		b.click(t, `a[href="/products/import"]`)
		b.waitJS(t, "the import page", `location.pathname === "/products/import" && !!document.querySelector("#import-zip")`)
	}
	toImport()
	b.do(t, chromedp.SetUploadFiles(chromedp.CSS("#import-zip"), []string{zipPath}))
	b.click(t, `form[data-zip-upload] button[type=submit]`)
	b.waitJS(t, "the plan", `!!document.querySelector('[data-import-state="planned"]')`)
	toImport() // the merchant walks away from the plan, then comes back
	b.waitJS(t, "the waiting import", `(document.querySelector("[data-import-waiting]") || {innerText: ""}).innerText.includes("spring-shoot.zip")`)
	b.axe(t, "the import page with a waiting import")
	b.click(t, `[data-import-waiting] button[aria-label="Discard spring-shoot.zip"]`)
	b.waitJS(t, "the waiting list gone", `location.pathname === "/products/import" && document.querySelector("[data-import-waiting]") === null && !!document.querySelector("#import-zip")`)
	if ids := b.app.importer.JobIDs(); len(ids) != 0 {
		t.Fatalf("after Discard %d import jobs are left", len(ids))
	}
	b.stagingEmpty(t)
}
