package main

import (
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// Issue 11, defect 9: on a slow connection the merchant sees that something
// is happening: the results being replaced by a search are dimmed and
// aria-busy (and the search box spins) until the answer is in; a page change
// shows a bar along the top.
func TestBrowserLoadingStates(t *testing.T) {
	b := loggedIn(t)
	b.seedImages(t, "plate", 3)
	b.click(t, `aside nav a[href="/products"]`)
	b.waitJS(t, "the products page", `location.pathname === "/products"`)
	b.click(t, `aside nav a[href="/media"]`)
	b.waitJS(t, "the library", `location.pathname === "/media" && document.querySelectorAll("#media-grid > li").length === 3`)
	b.setNetwork(t, false, 800)
	evalJS[chromedp.Void](t, b, `window.__busy = []; window.__bar = false;
		new MutationObserver(() => {
			const r = document.querySelector("#library-results");
			if (r) window.__busy.push([r.getAttribute("aria-busy"), r.classList.contains("is-loading"), document.querySelector("[data-library-filters]").classList.contains("htmx-request")].join());
			const bar = document.querySelector(".nav-progress.is-running"); if (bar && !bar.hidden) window.__bar = true;
		}).observe(document.body, {attributes: true, subtree: true, childList: true}); undefined`)
	b.fill(t, "#q", "plate-1")
	b.waitJS(t, "the search answer", `document.querySelectorAll("#media-grid > li").length === 1 && document.querySelector("#library-results").getAttribute("aria-busy") === null`)
	busy := evalJS[[]string](t, b, `window.__busy`)
	seen := false
	for _, s := range busy {
		if s == "true,true,true" {
			seen = true
		}
	}
	if !seen {
		t.Errorf("the results were never dimmed, aria-busy and spinning while the search ran: %v", busy)
	}
	if evalJS[bool](t, b, `document.querySelector("#library-results").classList.contains("is-loading")`) {
		t.Errorf("the results stay dimmed after the answer")
	}
	b.click(t, `aside nav a[href="/products"]`)
	b.waitJS(t, "the products page", `location.pathname === "/products"`)
	if !evalJS[bool](t, b, `window.__bar`) {
		t.Errorf("no progress bar during a page change on a slow connection")
	}
	if evalJS[bool](t, b, `!!document.querySelector(".nav-progress.is-running")`) {
		t.Errorf("the progress bar keeps running after the page arrived")
	}
	b.setNetwork(t, false, 0)
}

// Issue 11, defect 8: at 375 px the kind tabs row scrolls, and says so (its
// hidden edge fades); a focused tab's ring is not clipped by the row.
func TestBrowserKindTabsAtPhoneWidth(t *testing.T) {
	b := loggedIn(t)
	b.seedImages(t, "cup", 1)
	b.do(t, chromedp.EmulateViewport(375, 740))
	b.navigate(t, "/products")
	// Under 768 px the sidebar is a Menu: open it and go to the library.
	b.click(t, `details[data-menu] > summary`)
	b.click(t, `details[data-menu] a[href="/media"]`)
	// The row's hint is set by app.js once the page has loaded (or htmx has
	// swapped it in): wait for it, not only for the row.
	row := `document.querySelector("[data-scroll-hint]")`
	b.waitJS(t, "the library's kinds row, hinted", `location.pathname === "/media" && `+row+` !== null && `+row+`.dataset.more !== undefined`)
	overflows := evalJS[bool](t, b, row+`.scrollWidth > `+row+`.clientWidth`)
	hint := evalJS[string](t, b, row+`.dataset.more`)
	if overflows && hint != "right" {
		t.Errorf("the tabs overflow at 375 px but the row says more=%q", hint)
	}
	if !overflows && hint != "none" {
		t.Errorf("the tabs fit at 375 px but the row says more=%q", hint)
	}
	// The ring of a focused tab is drawn inside the tab (not clipped).
	evalJS[chromedp.Void](t, b, `document.querySelector("#q").focus(); undefined`)
	for i := 0; i < 10 && !evalJS[bool](t, b, `!!document.activeElement.closest("[data-scroll-hint]")`); i++ {
		b.do(t, chromedp.KeyEvent(kb.Tab))
	}
	shadow := evalJS[string](t, b, `getComputedStyle(document.activeElement).boxShadow`)
	if shadow == "none" || shadow == "" {
		t.Fatalf("a focused tab has no ring")
	}
	if !containsInset(shadow) {
		t.Errorf("the focused tab's ring is drawn outside it, where the scrolling row clips it: %s", shadow)
	}
	b.axe(t, "library at 375 px")
}

func containsInset(s string) bool {
	for i := 0; i+5 <= len(s); i++ {
		if s[i:i+5] == "inset" {
			return true
		}
	}
	return false
}
