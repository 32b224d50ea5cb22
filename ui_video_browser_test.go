package main

import (
	"fmt"
	"os"
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

	b.openGalleryFromProducts(t, p, 3)
	tile := tileSel(2)
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
