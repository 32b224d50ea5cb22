package main

import (
	"fmt"
	"math"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// waitFocal waits until the form says Saved and the server has the item's
// focal point near (x, y) (or none, with x < 0).
func (b *browserEnv) waitFocal(t testing.TB, id int64, x, y float64, what string) {
	t.Helper()
	near := func() (string, bool) {
		m, err := b.app.media.FindMediaByID(b.ownerCtx(), id)
		if err != nil {
			t.Fatal(err)
		}
		got := fmt.Sprint(m.Focal)
		if m.Focal != nil {
			got = fmt.Sprint(*m.Focal)
		}
		if x < 0 {
			return got, m.Focal == nil
		}
		return got, m.Focal != nil && math.Abs(m.Focal.X-x) <= 0.02 && math.Abs(m.Focal.Y-y) <= 0.02
	}
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		got, ok := near()
		if ok {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: focal %s on the server, want about (%.2f, %.2f)", what, got, x, y)
		}
	}
	b.waitJS(t, what+" (Saved)", `document.querySelector("#focal-form [data-saved]") !== null`)
}

// The merchant opens an image from the library, clicks the product in the
// picture: the marker moves there and the focal point is saved; after a
// reload the marker is still there; arrow keys nudge it (saved once they
// rest); Clear removes it. The gallery editor then shows tiles as square
// crops on request.
func TestBrowserFocalPoint(t *testing.T) {
	b := loggedIn(t)
	ids := b.seedImages(t, "vase", 2)
	b.openPanelFromLibrary(t, ids[0])
	b.waitJS(t, "the focal point preview", `document.querySelector("#focal-area img") !== null &&
		document.querySelector("#focal-area img").getBoundingClientRect().width > 0 && document.querySelector("[data-focal-marker]").hidden`)

	// Click at 80% across, 30% down of the picture (once htmx has taken the
	// panel in: a click before that posts the form as a plain page, which
	// saves too, but shows no "Saved").
	b.settled(t)
	xy := evalJS[[]float64](t, b, `(() => { const r = document.querySelector("#focal-area img").getBoundingClientRect();
		return [r.left + 0.8 * r.width, r.top + 0.3 * r.height] })()`)
	b.do(t, chromedp.MouseClickXY(xy[0], xy[1]))
	b.waitFocal(t, ids[0], 0.8, 0.3, "the clicked focal point")
	markerAt := `(() => { const m = document.querySelector("[data-focal-marker]"), r = document.querySelector("#focal-area img").getBoundingClientRect(),
		c = m.getBoundingClientRect(); return m.hidden ? [-1, -1] : [(c.left + c.width / 2 - r.left) / r.width, (c.top + c.height / 2 - r.top) / r.height] })()`
	wantNear := func(what string, x, y float64) {
		t.Helper()
		got := evalJS[[]float64](t, b, markerAt)
		if math.Abs(got[0]-x) > 0.02 || math.Abs(got[1]-y) > 0.02 {
			t.Fatalf("%s: marker at %v, want about (%.2f, %.2f)", what, got, x, y)
		}
	}
	wantNear("after the click", 0.8, 0.3)

	// Reload: the marker is where it was saved.
	b.do(t, chromedp.Reload())
	b.waitJS(t, "the panel after reload", `document.querySelector("#focal-area img") !== null && document.querySelector("#focal-area img").getBoundingClientRect().width > 0`)
	wantNear("after reload", 0.8, 0.3)
	b.shot("focal-panel")
	if txt := evalJS[string](t, b, `document.querySelector("[data-focal-text]").textContent`); txt != "80.0% across, 30.0% down" {
		t.Errorf("focal text %q", txt)
	}

	// Keyboard: focus the picture, nudge left three times and down once with Shift.
	b.settled(t)
	b.do(t, chromedp.Focus("#focal-area"))
	for i := 0; i < 3; i++ {
		b.do(t, chromedp.KeyEvent(kb.ArrowLeft))
	}
	b.do(t, chromedp.KeyEvent(kb.ArrowDown, chromedp.KeyModifiers(1<<3)))
	b.waitJS(t, "the nudged point saved", `document.querySelector("[data-focal-text]").textContent === "77.0% across, 40.0% down" &&
		document.querySelector("#focal-form [data-saved]") !== null`)
	b.waitFocal(t, ids[0], 0.77, 0.4, "the nudged focal point")
	wantNear("after the nudge", 0.77, 0.4)
	if !evalJS[bool](t, b, `document.activeElement && document.activeElement.id === "focal-area"`) {
		t.Errorf("focus left the picture after saving: %s", evalJS[string](t, b, `document.activeElement.outerHTML.slice(0, 80)`))
	}
	// A press while a save is on its way (a slow connection) is not lost:
	// it is sent again once that answer has replaced the form.
	b.setNetwork(t, false, 400)
	b.do(t, chromedp.KeyEvent(kb.ArrowUp))
	b.waitJS(t, "the first save in flight", `document.querySelector("#focal-form").classList.contains("htmx-request")`)
	b.do(t, chromedp.KeyEvent(kb.ArrowUp))
	b.waitFocal(t, ids[0], 0.77, 0.38, "the press made during a save")
	b.waitJS(t, "the form showing the last press", `document.querySelector("[data-focal-text]").textContent === "77.0% across, 38.0% down" &&
		document.querySelector("[data-focal-y]").value === "0.38" && !document.querySelector("#focal-form").classList.contains("htmx-request")`)
	b.setNetwork(t, false, 0)
	b.axe(t, "detail panel with a focal point")

	// Clear.
	b.click(t, "[data-focal-clear]")
	b.waitFocal(t, ids[0], -1, -1, "the cleared focal point")
	// The server has it; the answer replaces the form a moment later.
	b.waitJS(t, "the marker and Clear gone after clearing", `document.querySelector("[data-focal-marker]").hidden && document.querySelector("[data-focal-clear]") === null`)
	// Review 16, B3: focus stays in the (modal) panel, on the picture.
	b.waitJS(t, "focus on the picture after Clear", `document.activeElement && document.activeElement.id === "focal-area"`)

	// The gallery editor: "Show as square crops" cuts each tile around its focal point.
	b.do(t, chromedp.Focus("#focal-area"), chromedp.KeyEvent(kb.ArrowRight))
	b.waitFocal(t, ids[0], 0.51, 0.5, "a point again")
	p := b.seedProduct(t, "Vase", ids...)
	b.click(t, "[data-panel-close]")
	b.waitJS(t, "the panel closed", `document.querySelector("#media-panel") === null`)
	b.openGalleryFromProducts(t, p, 2)
	tileImg := `document.querySelector("#gallery [data-image-id] img")`
	if fit := evalJS[string](t, b, `getComputedStyle(`+tileImg+`).objectFit`); fit != "contain" {
		t.Fatalf("tiles before the toggle: object-fit %s", fit)
	}
	// Review 16, U5: the crops toggle is not a third option of the tile-size switch.
	if !evalJS[bool](t, b, `document.querySelector("[data-crops-toggle]").closest("[role=group]") === null &&
		document.querySelectorAll("[data-density-toggle] [role=group] button").length === 2`) {
		t.Errorf("Square crops sits inside the tile-size switch")
	}
	b.click(t, "[data-crops-toggle]")
	b.waitJS(t, "square crops", `getComputedStyle(`+tileImg+`).objectFit === "cover" &&
		document.querySelector("[data-crops-toggle]").getAttribute("aria-pressed") === "true"`)
	// 320×240 with the point at 51%: the square window (240) starts at 43 of
	// the 80 it can move, so the picture is shown from 53.8%.
	if pos := evalJS[string](t, b, `getComputedStyle(`+tileImg+`).objectPosition`); pos != "53.8% 50%" {
		t.Errorf("object-position %q, want the 1:1 crop's window", pos)
	}
	b.shot("focal-gallery-crops")
	b.do(t, chromedp.Reload())
	b.waitJS(t, "square crops kept after reload", `getComputedStyle(`+tileImg+`).objectFit === "cover"`)
}
