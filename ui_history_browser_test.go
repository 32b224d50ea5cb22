package main

import (
	"fmt"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// TestBrowserHistory: the detail panel and the product page show who changed
// what and when, from the event log, newest first, with "Show more".
func TestBrowserHistory(t *testing.T) {
	b := loggedIn(t)
	id := b.seedImages(t, "mug", 1)[0]
	p := b.seedProduct(t, "Mug", id)
	tok := b.token(t, 0)
	for i := 1; i <= 5; i++ {
		if r := b.sendJSON(t, "PATCH", fmt.Sprintf("/api/media/%d", id), tok, map[string]any{"alt": fmt.Sprintf("Mug, view %d", i)}); r.Status != 200 {
			t.Fatalf("patch: %d", r.Status)
		}
	}

	// Alt text typed in the panel by the owner is the newest entry.
	b.openPanelFromLibrary(t, id)
	b.fill(t, "#alt", "Red mug, front")
	b.do(t, chromedp.KeyEvent(kb.Enter))
	b.waitJS(t, "Saved", `document.querySelector("#alt-form [data-saved]") !== null`)
	// The history shows the change at once, without reopening the panel.
	b.waitJS(t, "the history", `document.querySelector("#media-panel [data-history]") !== null &&
		document.querySelector("#media-panel [data-history] [data-event-id]").textContent.includes("Red mug, front")`)
	entries := `[...document.querySelectorAll("[data-history] [data-event-id]")].map(li => li.textContent.replace(/\s+/g, " ").trim())`
	got := evalJS[[]string](t, b, entries)
	if len(got) != 5 || !strings.HasPrefix(got[0], "Alt text set to “Red mug, front” "+testOwnerEmail+" · ") ||
		!strings.HasPrefix(got[1], "Alt text set to “Mug, view 5” API token test · ") {
		t.Fatalf("history: %q", got)
	}
	b.axe(t, "the detail panel with its history")
	b.click(t, "[data-history-more]")
	b.waitJS(t, "the older entries", `document.querySelectorAll("[data-history] [data-event-id]").length === 7`)
	got = evalJS[[]string](t, b, entries)
	if !strings.HasPrefix(got[6], "Uploaded as mug-1.png API token test") || evalJS[bool](t, b, `document.querySelector("[data-history-more]") !== null`) {
		t.Fatalf("after Show more: %q", got)
	}

	// The product page: created by the owner, its gallery changed.
	b.click(t, "[data-panel-close]")
	b.click(t, `aside nav a[href="/products"]`)
	b.waitJS(t, "the products page", `location.pathname === "/products"`)
	b.click(t, fmt.Sprintf(`a[href="/products/%d"]`, p.ID))
	b.waitJS(t, "the product's history", `document.querySelector("#history [data-history]") !== null`)
	got = evalJS[[]string](t, b, entries)
	if len(got) != 2 || !strings.HasPrefix(got[0], "Gallery changed: 1 item "+testOwnerEmail) || !strings.HasPrefix(got[1], "Created as “Mug” "+testOwnerEmail) {
		t.Fatalf("product history: %q", got)
	}
}

// TestHistoryShowMoreWithoutJS: "Show more" is a real page for browsers
// without JavaScript, and it refuses what is not this store's.
func TestHistoryShowMoreWithoutJS(t *testing.T) {
	e := newTestEnv(t)
	c := loggedInClient(t, e)
	tok := e.token(t, 0)
	id := idOf(e.uploadOK(t, tok, "a.jpg", readFile(t, goImageTestdata("video-001.q50.420.jpeg"))))
	for i := 1; i <= 6; i++ {
		e.sendJSON(t, "PATCH", fmt.Sprintf("/api/media/%d", id), tok, map[string]any{"alt": fmt.Sprintf("v%d", i)})
	}
	st, body := c.get(t, fmt.Sprintf("/media/%d", id))
	if st != 200 || !strings.Contains(body, "Alt text set to “v6”") || !strings.Contains(body, "data-history-more") {
		t.Fatalf("panel page: %d", st)
	}
	i := strings.Index(body, `href="/history?`)
	more := strings.ReplaceAll(body[i+6:i+6+strings.Index(body[i+6:], `"`)], "&amp;", "&")
	st, page := c.get(t, more)
	if st != 200 || !strings.Contains(page, "History of a.jpg") || !strings.Contains(page, "Alt text set to “v1”") || !strings.Contains(page, "Uploaded as a.jpg") ||
		strings.Contains(page, "“v6”") {
		t.Fatalf("show more page %s: %d %.500s", more, st, page)
	}
	for _, bad := range []string{"/history", "/history?subject=media:999", "/history?subject=user:1", fmt.Sprintf("/history?subject=media:%d&before=x", id)} {
		if st, _ := c.get(t, bad); st != 400 && st != 404 {
			t.Errorf("%s: %d", bad, st)
		}
	}
}
