package main

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"testing"
	"time"

	"gallerist/data"

	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// tileSel is the i-th (1-based) image tile of the gallery editor.
func tileSel(i int) string { return fmt.Sprintf("#gallery > [data-image-id]:nth-child(%d)", i) }

// domGalleryIDs is the gallery's order on the page, as gallery image ids.
func (b *browserEnv) domGalleryIDs(t testing.TB) []int64 {
	t.Helper()
	var ids []int64
	for _, s := range evalJS[[]string](t, b, `[...document.querySelectorAll("#gallery > [data-image-id]")].map(t => t.dataset.imageId)`) {
		id, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	return ids
}

// waitServerOrder waits until the server's gallery order (gallery image ids) is want.
func (b *browserEnv) waitServerOrder(t testing.TB, pid int64, want []int64, what string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !slices.Equal(b.galleryImageIDs(t, pid), want) && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	if got := b.galleryImageIDs(t, pid); !slices.Equal(got, want) {
		t.Fatalf("%s: the server's order is %v, want %v", what, got, want)
	}
}

// openPicker opens "Choose from library" with the link sel and waits for the dialog.
func (b *browserEnv) openPicker(t testing.TB, sel string) {
	t.Helper()
	b.click(t, sel)
	b.waitJS(t, "the picker", `document.querySelector("dialog[open] #picker-results [data-pick]") !== null`)
	b.settled(t)
}

// pickerSearch types a search into the picker and waits until every result's name starts with prefix.
func (b *browserEnv) pickerSearch(t testing.TB, q, prefix string, n int) {
	t.Helper()
	b.fill(t, "#picker-q", q)
	b.waitJS(t, "picker results for "+q, fmt.Sprintf(`(() => { const cs = [...document.querySelectorAll("#picker-results [data-pick]")];
		const r = document.querySelector("#picker-results [data-results-for]");
		return r && r.dataset.resultsFor === %s && cs.length === %d && cs.every(c => c.dataset.filename.startsWith(%s)) })()`, jsString(q), n, jsString(prefix)))
	b.settled(t)
}

// pickerTick ticks the picker's image with the filename.
func (b *browserEnv) pickerTick(t testing.TB, name string) {
	t.Helper()
	b.click(t, fmt.Sprintf(`#picker-results [data-pick][data-filename=%q]`, name))
}

// pickerNumbers is the number shown on each ticked result, by filename.
func (b *browserEnv) pickerNumbers(t testing.TB) map[string]string {
	t.Helper()
	return evalJS[map[string]string](t, b, `Object.fromEntries([...document.querySelectorAll("#picker-results [data-pick]")]
		.filter(c => c.checked).map(c => [c.dataset.filename, (() => { const n = c.parentNode.querySelector("[data-pick-number]"); return n.hidden ? "" : n.textContent })()]))`)
}

// Issue 11, defect 4: ticks survive a new search, are numbered in the order
// they were made, and the images are added in that order.
func TestBrowserPickerKeepsTicksInOrder(t *testing.T) {
	b := loggedIn(t)
	first := b.seedImages(t, "green", 1)
	blue := b.seedImages(t, "blue", 3)
	red := b.seedImages(t, "red", 3)
	p := b.seedProduct(t, "Picnic set", first...)
	b.openGalleryFromProducts(t, p, 1)

	b.openPicker(t, `section a[href$="/picker"]:not([data-add-choose])`)
	b.axe(t, "the library picker")
	b.pickerSearch(t, "blue", "blue-", 3)
	b.pickerTick(t, "blue-3.png")
	b.pickerTick(t, "blue-1.png")
	if got := b.pickerNumbers(t); got["blue-3.png"] != "1" || got["blue-1.png"] != "2" || len(got) != 2 {
		t.Fatalf("tick numbers after two ticks: %v", got)
	}
	b.waitJS(t, "the count", `document.querySelector("dialog[open] [data-picker-count]").textContent === "2 selected"`)

	// A second search: the blue ticks stay selected though not shown.
	b.pickerSearch(t, "red", "red-", 3)
	if got := b.pickerNumbers(t); len(got) != 0 {
		t.Fatalf("red results ticked before any red tick: %v", got)
	}
	b.pickerTick(t, "red-2.png")
	if got := b.pickerNumbers(t); got["red-2.png"] != "3" {
		t.Fatalf("the third tick is numbered %v", got)
	}
	b.waitJS(t, "the count of three", `document.querySelector("dialog[open] [data-picker-count]").textContent === "3 selected"`)
	chosen := evalJS[string](t, b, `document.querySelector("dialog[open] [data-picker-chosen]").innerText.replace(/\s+/g, " ")`)
	t.Logf("selected list: %s", chosen)
	b.axe(t, "the library picker with a selection")

	// Back to the first search: its ticks show, with their numbers.
	b.pickerSearch(t, "blue", "blue-", 3)
	if got := b.pickerNumbers(t); got["blue-3.png"] != "1" || got["blue-1.png"] != "2" || len(got) != 2 {
		t.Fatalf("blue ticks after searching again: %v", got)
	}
	b.screenshots(t, "gallery-picker-ordered")
	b.click(t, `dialog[open] button[type=submit]`)
	b.waitJS(t, "the added images", `document.querySelectorAll("#gallery > [data-image-id]").length === 4 && document.querySelector("dialog[open]") === null`)
	want := []int64{first[0], blue[2], blue[0], red[1]}
	if got := b.galleryMediaOrder(t, p.ID); !slices.Equal(got, want) {
		t.Fatalf("gallery after picking: %v, want the tick order %v", got, want)
	}

	// Ticks survive the picker's pages too (60 images a page).
	b.testEnv.seedImages(t, 61)
	b.openPicker(t, `section a[href$="/picker"]:not([data-add-choose])`)
	b.pickerSearch(t, "seed", "seed-", 60)
	firstOfPage := `document.querySelector("#picker-results [data-pick]").dataset.filename`
	a := evalJS[string](t, b, firstOfPage)
	b.pickerTick(t, a)
	b.click(t, `#picker-results [data-picker-page]`)
	b.waitJS(t, "page 2", `document.querySelectorAll("#picker-results [data-pick]").length === 1`)
	b.settled(t)
	if !evalJS[bool](t, b, `document.querySelector("dialog[open]").contains(document.activeElement)`) {
		t.Fatal("focus left the dialog when the page changed")
	}
	z := evalJS[string](t, b, firstOfPage)
	b.pickerTick(t, z)
	b.click(t, `#picker-results [data-picker-page]`)
	b.waitJS(t, "page 1 again", `document.querySelectorAll("#picker-results [data-pick]").length === 60`)
	b.settled(t)
	if got := b.pickerNumbers(t); got[a] != "1" || len(got) != 1 {
		t.Fatalf("ticks on page 1 after coming back: %v", got)
	}
	b.waitJS(t, "the count of two", `document.querySelector("dialog[open] [data-picker-count]").textContent === "2 selected"`)
	b.click(t, `dialog[open] button[type=submit]`)
	b.waitJS(t, "the images from two pages", `document.querySelectorAll("#gallery > [data-image-id]").length === 6 && document.querySelector("dialog[open]") === null`)
	if got := b.galleryImageNames(t, p.ID); got[4] != a || got[5] != z {
		t.Fatalf("gallery after picking on two pages: %v, want %s then %s at the end", got, a, z)
	}
}

// Issue 11, defect 5: a 250-image gallery can be rearranged: a drag from
// position 3 to near the end (the page autoscrolls), the keyboard and "Move
// to position…", each saved on the server; the editor's load time and the
// worst long task during the drag are reported.
func TestBrowserLargeGalleryRearrange(t *testing.T) {
	b := loggedIn(t)
	const n = 250
	b.testEnv.startRenderer(t)
	media := b.testEnv.seedImages(t, n)
	p := b.seedProduct(t, "Sample wall", media...)
	b.waitThumbnails(t, media)

	b.click(t, `aside nav a[href="/products"]`)
	b.waitJS(t, "the product list", `location.pathname === "/products" && document.querySelector("#product-list") !== null`)
	b.settled(t)
	loadMS := evalJS[float64](t, b, fmt.Sprintf(`new Promise(done => {
		const t0 = performance.now();
		document.querySelector('#product-list a[href="/products/%d"]').click();
		const check = () => {
			const g = document.querySelector("#gallery");
			if (g && g._sortable && g.querySelectorAll(":scope > [data-image-id]").length === %d)
				requestAnimationFrame(() => requestAnimationFrame(() => done(performance.now() - t0)));
			else requestAnimationFrame(check);
		};
		requestAnimationFrame(check);
	})`, p.ID, n))
	t.Logf("gallery editor load at %d images (click to painted, SortableJS ready): %.0f ms", n, loadMS)
	b.settled(t)
	if d := evalJS[string](t, b, `document.querySelector("#gallery-editor").dataset.density`); d != "comfortable" {
		t.Fatalf("density %q, want large tiles by default", d)
	}

	// Long tasks from here on.
	evalJS[chromedp.Void](t, b, `window.__long = []; window.__pageMark = 1;
		new PerformanceObserver(l => l.getEntries().forEach(e => window.__long.push(e.duration))).observe({type: "longtask"}); undefined`)
	ids := b.galleryImageIDs(t, p.ID)
	dragged := ids[2]
	height := evalJS[float64](t, b, `document.documentElement.scrollHeight`)
	b.dragWithAutoscroll(t, tileSel(3), tileSel(n-2))
	long := evalJS[[]float64](t, b, `window.__long`)
	worst := 0.0
	for _, d := range long {
		worst = max(worst, d)
	}
	t.Logf("worst long task during the drag across a %.0f px page: %.0f ms (%d long tasks)", height, worst, len(long))

	got := b.domGalleryIDs(t)
	at := slices.Index(got, dragged)
	if at < n-12 {
		t.Fatalf("the dragged image landed at position %d of %d, want near the end", at+1, n)
	}
	rest := slices.DeleteFunc(slices.Clone(got), func(id int64) bool { return id == dragged })
	if want := slices.DeleteFunc(slices.Clone(ids), func(id int64) bool { return id == dragged }); !slices.Equal(rest, want) {
		t.Fatal("the drag reordered other images")
	}
	b.waitServerOrder(t, p.ID, got, "after the drag")
	t.Logf("dragged image 3 to position %d", at+1)
	if lbl := evalJS[string](t, b, `document.querySelector("#image-`+strconv.FormatInt(dragged, 10)+`").getAttribute("aria-label")`); lbl != fmt.Sprintf("Image %d of %d: seed-2.jpg", at+1, n) {
		t.Fatalf("the dragged tile's label after the drop: %q", lbl)
	}

	// Keyboard: the first image to the end with Space, End, Space.
	ids = b.galleryImageIDs(t, p.ID)
	evalJS[chromedp.Void](t, b, `window.scrollTo(0, 0); document.querySelector("`+tileSel(1)+`").focus()`)
	b.do(t, chromedp.KeyEvent(" "), chromedp.KeyEvent(kb.End), chromedp.KeyEvent(" "))
	b.waitJS(t, "the keyboard move", fmt.Sprintf(`document.querySelector("#live").textContent.includes("moved from position 1 to %d of %d.")`, n, n))
	want := append(slices.Clone(ids[1:]), ids[0])
	b.waitServerOrder(t, p.ID, want, "after Space, End, Space")

	// "Move to position…" in the last tile's menu: to position 10, no page load.
	ids = want
	b.click(t, tileSel(n)+" [data-tile-menu] summary")
	b.waitJS(t, "the menu with the position", fmt.Sprintf(`document.querySelector("%s [data-move-to] input[name=position]").value === "%d"`, tileSel(n), n))
	b.fill(t, tileSel(n)+" [data-move-to] input[name=position]", "10")
	b.do(t, chromedp.KeyEvent(kb.Enter))
	b.waitJS(t, "the move to 10", fmt.Sprintf(`document.querySelector("#live").textContent.includes("moved from position %d to 10 of %d.")`, n, n))
	want = slices.Insert(slices.Clone(ids[:n-1]), 9, ids[n-1])
	b.waitServerOrder(t, p.ID, want, "after Move to position 10")
	if !evalJS[bool](t, b, `window.__pageMark === 1 && document.activeElement.id === "image-`+strconv.FormatInt(ids[n-1], 10)+`"`) {
		t.Fatal("Move to position loaded a page or lost the focus")
	}
	if !slices.Equal(b.domGalleryIDs(t), want) {
		t.Fatal("the page's order is not the saved one")
	}
}

// waitThumbnails waits until the media items' renditions are made, as they
// are by the time a merchant arranges a gallery.
func (b *browserEnv) waitThumbnails(t testing.TB, ids []int64) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for _, id := range ids {
		for {
			m, err := b.app.media.FindMediaByID(b.ownerCtx(), id)
			if err != nil {
				t.Fatal(err)
			}
			if m.Processing != data.ProcessingPending {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("media %d has no thumbnails after a minute", id)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
}

// dragWithAutoscroll drags the tile from down to the bottom edge of the
// window, holds it there while the page autoscrolls to the end, then drops it
// just past the target, and waits for the order to save.
func (b *browserEnv) dragWithAutoscroll(t testing.TB, from, to string) {
	t.Helper()
	version := evalJS[string](t, b, `document.querySelector("#gallery").dataset.version`)
	x0, y0 := b.center(t, from)
	h := evalJS[float64](t, b, `window.innerHeight`)
	move := func(x, y float64) chromedp.Action[chromedp.Void] {
		return chromedp.MouseEvent(input.DispatchMouseEventTypeMouseMoved, x, y, chromedp.ButtonLeft)
	}
	steps := []chromedp.Action[chromedp.Void]{
		chromedp.MouseEvent(input.DispatchMouseEventTypeMouseMoved, x0, y0),
		chromedp.MouseEvent(input.DispatchMouseEventTypeMousePressed, x0, y0, chromedp.ButtonLeft, chromedp.ClickCount(1)),
		chromedp.Sleep(60 * time.Millisecond),
	}
	for i := 1; i <= 10; i++ {
		steps = append(steps, move(x0, y0+(h-6-y0)*float64(i)/10), chromedp.Sleep(30*time.Millisecond))
	}
	b.do(t, steps...)
	start := time.Now()
	for i := 0; ; i++ {
		if evalJS[bool](t, b, `window.scrollY + window.innerHeight >= document.documentElement.scrollHeight - 2`) {
			break
		}
		if time.Since(start) > 25*time.Second {
			t.Fatalf("the page did not autoscroll to the end in 25 s (at %.0f of %.0f px)",
				evalJS[float64](t, b, `window.scrollY`), evalJS[float64](t, b, `document.documentElement.scrollHeight`))
		}
		// A hand holding still moves a pixel now and then.
		b.do(t, move(x0+float64(i%2), h-6), chromedp.Sleep(40*time.Millisecond))
	}
	t.Logf("autoscroll reached the end of the page in %.1f s", time.Since(start).Seconds())
	xy := evalJS[[]float64](t, b, `(() => { const r = document.querySelector(`+jsString(to)+`).getBoundingClientRect(); return [r.left + r.width / 2, r.top + r.height / 2] })()`)
	x1, y1 := xy[0]+12, xy[1]
	steps = nil
	for i := 1; i <= 8; i++ {
		f := float64(i) / 8
		steps = append(steps, move(x0+(x1-x0)*f, h-6+(y1-(h-6))*f), chromedp.Sleep(30*time.Millisecond))
	}
	steps = append(steps, move(x1, y1), chromedp.Sleep(80*time.Millisecond),
		chromedp.MouseEvent(input.DispatchMouseEventTypeMouseReleased, x1, y1, chromedp.ButtonLeft, chromedp.ClickCount(1)))
	b.do(t, steps...)
	b.waitJS(t, "the dragged order to save", `document.querySelector("#gallery").getAttribute("aria-busy") === null &&
		document.querySelector("#gallery").dataset.version !== "`+version+`"`)
}

// Issue 11, defect 5: compact tiles, chosen once, stay chosen in this
// browser after leaving the editor and coming back, and after a reload.
func TestBrowserGalleryCompactDensityPersists(t *testing.T) {
	b := loggedIn(t)
	ids := b.seedImages(t, "cup", 12)
	p := b.seedProduct(t, "Espresso cups", ids...)
	b.openGalleryFromProducts(t, p, 12)

	columns := `getComputedStyle(document.querySelector("#gallery")).gridTemplateColumns.split(" ").length`
	if n := evalJS[int](t, b, columns); n != 4 {
		t.Fatalf("%d columns of large tiles at 1280 px, want 4", n)
	}
	b.axe(t, "gallery editor (large tiles)")
	b.click(t, `[data-density-toggle] [data-density-set="compact"]`)
	b.waitJS(t, "compact tiles", `document.querySelector("#gallery-editor").dataset.density === "compact"`)
	if n := evalJS[int](t, b, columns); n < 8 {
		t.Fatalf("%d columns of compact tiles at 1280 px, want at least 8", n)
	}
	if !evalJS[bool](t, b, `document.querySelector("[data-density-set=compact]").getAttribute("aria-pressed") === "true" &&
		document.querySelector("`+tileSel(1)+` textarea").offsetParent === null`) {
		t.Fatal("compact tiles: the toggle is not pressed, or the alt text fields still show")
	}
	b.screenshots(t, "gallery-compact")
	b.axe(t, "gallery editor (compact tiles)")

	// The tile menu works in compact tiles too (it stays on screen).
	b.click(t, tileSel(8)+" [data-tile-menu] summary")
	if !evalJS[bool](t, b, `(() => { const r = document.querySelector("`+tileSel(8)+` [data-menu-panel]").getBoundingClientRect();
		return r.width > 0 && r.left >= 0 && r.right <= document.documentElement.clientWidth })()`) {
		t.Fatal("the compact tile's menu is off screen")
	}
	b.shot("gallery-compact-menu")
	b.do(t, chromedp.KeyEvent(kb.Escape))

	// Away with the sidebar, back through the product list: still compact.
	b.click(t, `aside nav a[href="/media"]`)
	b.waitJS(t, "the library", `location.pathname === "/media" && document.querySelector("#gallery") === null`)
	b.openGalleryFromProducts(t, p, 12)
	if d := evalJS[string](t, b, `document.querySelector("#gallery-editor").dataset.density`); d != "compact" {
		t.Fatalf("density after coming back: %q, want compact", d)
	}
	// And after a full reload.
	b.do(t, chromedp.Reload())
	b.waitJS(t, "the reloaded editor in compact tiles", `document.querySelector("#gallery-editor") && document.querySelector("#gallery-editor").dataset.density === "compact" &&
		document.querySelector("[data-density-set=compact]").getAttribute("aria-pressed") === "true"`)

	b.click(t, `[data-density-toggle] [data-density-set="comfortable"]`)
	b.waitJS(t, "large tiles", `document.querySelector("#gallery-editor").dataset.density === "comfortable"`)
	if s := evalJS[string](t, b, `localStorage.getItem("gallerist:gallery-density")`); s != "comfortable" {
		t.Fatalf("saved density %q", s)
	}
}

// dropFilesAt drops files from disk on the element sel (before it, in a gallery).
func (b *browserEnv) dropFilesAt(t testing.TB, sel string, paths ...string) {
	t.Helper()
	b.dropOn(t, sel, paths...)
}

// Capability of issue 11: the gallery ends with an "Add images" tile (upload,
// or choose from the library, added at the end), and files dropped on the
// gallery go where they were dropped.
func TestBrowserGalleryAddTileAndDropAtPosition(t *testing.T) {
	b := loggedIn(t)
	ids := b.seedImages(t, "plate", 3)
	extra := b.seedImages(t, "bowl", 2)
	p := b.seedProduct(t, "Dinner set", ids...)
	b.openGalleryFromProducts(t, p, 3)
	if !evalJS[bool](t, b, `document.querySelector("#gallery > :last-child").matches("[data-add-tile]") &&
		document.querySelector("#gallery-add input[type=file]") !== null && document.querySelector("#gallery-add [data-add-choose]") !== null`) {
		t.Fatal("the gallery does not end with an Add images tile holding Upload and Choose from library")
	}

	// Choose from library, from the tile: added at the end, in tick order.
	b.openPicker(t, `#gallery-add [data-add-choose]`)
	b.pickerTick(t, "bowl-2.png")
	b.pickerTick(t, "bowl-1.png")
	b.click(t, `dialog[open] button[type=submit]`)
	b.waitJS(t, "the chosen images", `document.querySelectorAll("#gallery > [data-image-id]").length === 5 && document.querySelector("dialog[open]") === null`)
	want := []int64{ids[0], ids[1], ids[2], extra[1], extra[0]}
	if got := b.galleryMediaOrder(t, p.ID); !slices.Equal(got, want) {
		t.Fatalf("after choosing from the tile: %v, want %v", got, want)
	}
	b.settled(t)
	if !evalJS[bool](t, b, `document.querySelector("#gallery > :last-child").matches("[data-add-tile]")`) {
		t.Fatal("the Add images tile is no longer last")
	}
	b.axe(t, "gallery editor with the Add images tile")

	// Files dragged over the left of image 2: a bar in the gap before it shows where they will go.
	b.center(t, tileSel(2))
	marker := evalJS[[]float64](t, b, `(() => {
		const tile = document.querySelector("`+tileSel(2)+`"), r = tile.getBoundingClientRect();
		const x = r.left + r.width / 4, y = r.top + r.height / 3;
		const dt = new DataTransfer(); dt.items.add(new File(["x"], "x.png", {type: "image/png"}));
		const at = document.elementFromPoint(x, y);
		for (const type of ["dragenter", "dragover"]) at.dispatchEvent(new DragEvent(type, {bubbles: true, cancelable: true, dataTransfer: dt, clientX: x, clientY: y}));
		const m = document.querySelector("#gallery-drop-marker"), mr = m.getBoundingClientRect();
		return [m.hidden ? 0 : 1, mr.left, mr.right, r.left, mr.top, r.top, mr.height, r.height];
	})()`)
	if marker[0] != 1 || marker[2] > marker[3]+1 || marker[1] < marker[3]-20 || marker[4] != marker[5] || marker[6] != marker[7] {
		t.Fatalf("the drop marker is not in the gap before image 2: %v", marker)
	}
	b.screenshots(t, "gallery-drop-files")

	// Two files dropped on the left of image 2 go before it, in the order picked.
	dir := t.TempDir()
	var paths []string
	for i, name := range []string{"drop-a.png", "drop-b.png"} {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, testPNG(t, 300+20*i, 200, tileColors[(i+3)%len(tileColors)]), 0o644); err != nil {
			t.Fatal(err)
		}
		paths = append(paths, path)
	}
	evalJS[chromedp.Void](t, b, `window.__done = null; document.addEventListener("gallerist:uploads-done", e => { window.__done = e.detail }, {once: true}); undefined`)
	b.dropFilesAt(t, tileSel(2), paths...)
	b.waitJS(t, "the dropped files to upload and the order to save", `window.__done !== null &&
		document.querySelector("#gallery").getAttribute("aria-busy") === null &&
		document.querySelectorAll("#gallery > [data-image-id]").length === 7`)
	names := []string{"plate-1.png", "drop-a.png", "drop-b.png", "plate-2.png", "plate-3.png", "bowl-2.png", "bowl-1.png"}
	deadline := time.Now().Add(5 * time.Second)
	for !slices.Equal(b.galleryImageNames(t, p.ID), names) && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	if got := b.galleryImageNames(t, p.ID); !slices.Equal(got, names) {
		t.Fatalf("after dropping on image 2: %v, want %v", got, names)
	}
	if !slices.Equal(b.domGalleryIDs(t), b.galleryImageIDs(t, p.ID)) {
		t.Fatal("the page's order is not the saved one")
	}
	if evalJS[int](t, b, `document.querySelectorAll("[data-drop-before]").length`) != 0 || !evalJS[bool](t, b, `document.querySelector("#gallery-drop-marker").hidden`) {
		t.Fatal("the drop marker stayed after the drop")
	}

	// Upload in the Add images tile adds at the end.
	one := filepath.Join(dir, "drop-c.png")
	if err := os.WriteFile(one, testPNG(t, 280, 210, tileColors[0]), 0o644); err != nil {
		t.Fatal(err)
	}
	evalJS[chromedp.Void](t, b, `window.__done = null; document.addEventListener("gallerist:uploads-done", e => { window.__done = e.detail }, {once: true}); undefined`)
	b.do(t, chromedp.SetUploadFiles(chromedp.CSS("#gallery-add input[type=file]"), []string{one}))
	b.waitJS(t, "the tile's upload", `window.__done !== null && document.querySelectorAll("#gallery > [data-image-id]").length === 8`)
	names = append(names, "drop-c.png")
	deadline = time.Now().Add(5 * time.Second)
	for !slices.Equal(b.galleryImageNames(t, p.ID), names) && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	if got := b.galleryImageNames(t, p.ID); !slices.Equal(got, names) {
		t.Fatalf("after Upload in the Add images tile: %v, want %v", got, names)
	}
	if _, total, _ := b.app.media.FindMedia(b.ownerCtx(), data.MediaFilter{}); total.N != 8 {
		t.Fatalf("%d media items, want 8", total.N)
	}
}
