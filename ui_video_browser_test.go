package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// Issue 16, item 2: a merchant sees a product's video in its gallery by its
// poster (made by ffmpeg), and it plays inline, muted, on hover and with its
// Play button; the library shows the poster too.
func TestBrowserGalleryVideoPoster(t *testing.T) {
	needTool(t, "ffmpeg", "ffmpeg")
	b := loggedIn(t, func(c *config) { c.render.toolPath = os.Getenv("PATH") })
	b.startRenderer(t)
	tok := b.token(t, 0)
	ids := b.seedImages(t, "vase", 2)
	video := b.uploadOK(t, tok, "vase-turntable.webm", makeVideo(t, "webm"))
	if m := b.waitProcessed(t, tok, video["id"].(float64)); poster(t, m) == nil {
		t.Fatalf("no poster: %v", m["processing_error"])
	}
	p := b.seedProduct(t, "Tall vase", ids[0], idOf(video), ids[1])

	// The library: the video's card shows its poster, loaded.
	b.click(t, `aside nav a[href="/media"]`)
	card := fmt.Sprintf(`#media-%d`, idOf(video))
	b.waitJS(t, "the video's poster in the library", `(() => { const i = document.querySelector("`+card+` img[data-poster]");
		return i && i.complete && i.naturalWidth > 0 })()`)

	// The products list counts it as a video too, as the product page does.
	b.click(t, `aside nav a[href="/products"]`)
	b.waitJS(t, "the product list", `location.pathname === "/products" && document.querySelector("#product-list") !== null`)
	if txt := evalJS[string](t, b, `document.querySelector("#product-list").innerText`); !strings.Contains(txt, "2 images, 1 video") {
		t.Errorf("the products list says %q, want 2 images, 1 video", txt)
	}
	b.openGalleryFromProducts(t, p, 3)
	tile := tileSel(2)
	// The header counts the video as a video, and so does the script that
	// recounts after a change (here: what it does after an upload).
	b.waitJS(t, "the gallery's count", `document.querySelector("[data-gallery-count]").textContent.trim() === "2 images, 1 video"`)
	evalJS[bool](t, b, `(() => { document.querySelector("[data-gallery-count]").textContent = "";
		document.querySelector("`+tile+`").dispatchEvent(new CustomEvent("gallerist:uploaded", {bubbles: true})); return true })()`)
	b.waitJS(t, "the count after a change", `document.querySelector("[data-gallery-count]").textContent.trim() === "2 images, 1 video"`)
	b.waitJS(t, "the video tile's poster", `(() => { const i = document.querySelector("`+tile+` img[data-poster]");
		return i && i.complete && i.naturalWidth > 0 && i.currentSrc.includes("/files/") })()`)
	if !evalJS[bool](t, b, `document.querySelector("`+tile+` video[data-tile-video]").hidden`) {
		t.Fatal("the video shows before it is asked for")
	}

	// Hover plays it, muted; leaving stops it.
	x, y := b.center(t, tile+" .tile-box")
	b.do(t, chromedp.MouseEvent("mouseMoved", x, y))
	b.waitJS(t, "the video playing on hover", `(() => { const v = document.querySelector("`+tile+` video[data-tile-video]");
		return !v.hidden && v.muted && !v.paused && v.getAttribute("src").includes("/files/") })()`)
	b.do(t, chromedp.MouseEvent("mouseMoved", 2, 2))
	b.waitJS(t, "the video stopped", `document.querySelector("`+tile+` video[data-tile-video]").paused`)

	// The Play button toggles it (keyboard and touch).
	b.click(t, tile+" [data-play-video]")
	b.waitJS(t, "the video playing from its button", `(() => { const v = document.querySelector("`+tile+` video[data-tile-video]");
		const btn = document.querySelector("`+tile+` [data-play-video]");
		return !v.hidden && !v.paused && btn.getAttribute("aria-pressed") === "true" && btn.textContent.trim().startsWith("Pause") })()`)
	b.axe(t, "gallery editor with a video")
}

// Without ffmpeg on the server, a merchant chooses a video's poster from the
// library in its detail panel, and the library then shows it.
func TestBrowserChooseVideoPoster(t *testing.T) {
	video := makeVideo(t, "webm")
	b := loggedIn(t, func(c *config) { c.render.toolPath = t.TempDir() })
	b.startRenderer(t)
	tok := b.token(t, 0)
	ids := b.seedImages(t, "cover", 2)
	v := b.uploadOK(t, tok, "unboxing.webm", video)
	if poster(t, v) != nil {
		t.Fatal("a poster without ffmpeg")
	}
	b.openPanelFromLibrary(t, idOf(v))
	b.waitJS(t, "the poster field", `document.querySelector("[data-poster-state]").textContent.includes("No poster yet")`)
	b.click(t, fmt.Sprintf(`[data-poster-field] label:has(input[value="%d"])`, ids[1]))
	b.click(t, `[data-poster-save]`)
	b.waitJS(t, "the chosen poster", `document.querySelector("[data-poster-state]").textContent.includes("Chosen from the library: cover-2.png")`)
	b.waitJS(t, "the panel's video with its poster", `(document.querySelector("#media-panel video") || {}).poster !== undefined && document.querySelector("#media-panel video").poster.includes("/files/")`)
	if m, _ := b.app.media.FindMediaByID(b.ownerCtx(), idOf(v)); m.PosterID != ids[1] {
		t.Fatalf("poster_id on the server: %d, want %d", m.PosterID, ids[1])
	}
	b.axe(t, "media panel with a poster choice")
	b.navigate(t, "/media")
	b.waitJS(t, "the chosen poster in the library", fmt.Sprintf(`(() => { const i = document.querySelector("#media-%d img[data-poster]");
		return i && i.complete && i.naturalWidth > 0 })()`, idOf(v)))

	// The image is now in use: its panel says where, and links there.
	b.openPanelFromLibrary(t, ids[1])
	b.waitJS(t, "the image's Used by", `document.querySelector("#media-panel").innerText.includes("Used by 1 video.") &&
		document.querySelector("#media-panel").innerText.includes("Poster of this video")`)
	b.click(t, fmt.Sprintf(`#media-panel section[aria-labelledby="used-by-title"] a[href="/media/%d"]`, idOf(v)))
	b.waitJS(t, "the video's panel", fmt.Sprintf(`document.querySelector("#media-panel[data-media-id='%d']") !== null`, idOf(v)))
	b.do(t, chromedp.NavigateBack())
	b.waitJS(t, "the image's panel again", fmt.Sprintf(`document.querySelector("#media-panel[data-media-id='%d']") !== null`, ids[1]))

	// Deleting it asks first, then the video shows no poster; Undo puts it back.
	b.click(t, `#media-panel a[href*="/delete"]`)
	b.waitJS(t, "the in-use dialog", `document.querySelector("dialog[open] [data-usage-list]") !== null`)
	if txt := evalJS[string](t, b, `document.querySelector("dialog[open]").innerText`); !strings.Contains(txt, "cover-2.png is in use") ||
		!strings.Contains(txt, "used by 1 video") || !strings.Contains(txt, "unboxing.webm") || !strings.Contains(txt, "Poster of this video") {
		t.Fatalf("delete dialog: %s", txt)
	}
	b.click(t, `dialog[open] button.btn-danger`)
	b.waitJS(t, "the delete toast", `document.querySelector("#toasts").innerText.includes("cover-2.png deleted")`)
	if m, _ := b.app.media.FindMediaByID(b.ownerCtx(), idOf(v)); m.PosterID != 0 {
		t.Fatalf("after deleting its poster the video has poster_id %d", m.PosterID)
	}
	b.click(t, `#toasts form[action$="/restore"] button`)
	b.waitJS(t, "the restore toast", `document.querySelector("#toasts").innerText.includes("cover-2.png restored")`)
	if m, _ := b.app.media.FindMediaByID(b.ownerCtx(), idOf(v)); m.PosterID != ids[1] {
		t.Fatalf("after Undo the video has poster_id %d, want %d", m.PosterID, ids[1])
	}
	// The video's History says each poster change in words.
	b.openPanelFromLibrary(t, idOf(v))
	b.waitJS(t, "the video's history", `!!document.querySelector("#media-panel [data-history]")`)
	history := evalJS[string](t, b, `document.querySelector("#media-panel [data-history]").innerText`)
	for _, s := range []string{"Poster set to cover-2.png", "Poster cover-2.png moved to the trash", "Poster cover-2.png restored", "Uploaded as unboxing.webm"} {
		if !strings.Contains(history, s) {
			t.Errorf("the video's history does not say %q:\n%s", s, history)
		}
	}
}

// A video dropped on the library gets its poster on its tile without a
// reload, once ffmpeg has made it.
func TestBrowserDroppedVideoGetsPoster(t *testing.T) {
	video := makeVideo(t, "mp4")
	b := loggedIn(t, func(c *config) { c.render.toolPath = os.Getenv("PATH") })
	b.startRenderer(t)
	path := filepath.Join(t.TempDir(), "spinning-jug.mp4")
	if err := os.WriteFile(path, video, 0o644); err != nil {
		t.Fatal(err)
	}
	b.dropFiles(t, path)
	b.waitJS(t, "the dropped video's poster on its tile", `(() => { const i = document.querySelector("#media-grid [data-media-id] img[data-poster]:not([hidden])");
		return i && i.complete && i.naturalWidth > 0 && document.querySelector("#media-grid [data-processing]") === null })()`)
}

// A video whose poster failed shows its badge whole: the Play button, the
// position number and the badge never overlap, on a desktop and on a phone.
func TestBrowserFailedPosterBadgeReadable(t *testing.T) {
	b := loggedIn(t, func(c *config) { c.render.toolPath = t.TempDir() })
	tok := b.token(t, 0)
	ids := b.seedImages(t, "lamp", 1)
	video := b.uploadOK(t, tok, "lamp-demo.webm", makeVideo(t, "webm"))
	// What a merchant sees when ffmpeg could not read the file.
	if err := b.app.db.ExecForTest(`UPDATE media SET processing = 'failed', processing_error = 'ffmpeg: Invalid data found when processing input' WHERE id = ?`, idOf(video)); err != nil {
		t.Fatal(err)
	}
	p := b.seedProduct(t, "Desk lamp", ids[0], idOf(video))
	b.openGalleryFromProducts(t, p, 2)
	tile := tileSel(2)
	apart := `(() => { const q = s => document.querySelector("` + tile + ` " + s).getBoundingClientRect();
		const badge = q("[data-processing-failed]"), play = q("[data-play-video]"), num = q("[data-position]"), box = q(".tile-box");
		const apart = (a, b) => a.right <= b.left || b.right <= a.left || a.bottom <= b.top || b.bottom <= a.top;
		const inside = a => a.left >= box.left - 1 && a.right <= box.right + 1 && a.top >= box.top - 1 && a.bottom <= box.bottom + 1;
		return badge.width > 0 && apart(badge, play) && apart(badge, num) && apart(play, num) && inside(badge) && inside(play) })()`
	b.waitJS(t, "the failed badge apart from Play and the number (desktop)", apart)
	b.do(t, chromedp.EmulateViewport(390, 844))
	defer b.do(t, chromedp.EmulateViewport(1280, 900))
	b.waitJS(t, "the failed badge apart from Play and the number (390 px)", apart)
}
