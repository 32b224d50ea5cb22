package main

import (
	"fmt"
	"testing"
)

// Issue 11, defect 11, in a real layout: three names that differ only at
// the end look different in the library grid and in the gallery editor, the
// start is cut with an ellipsis, and screen readers hear the whole name.
func TestBrowserLongNamesDiffer(t *testing.T) {
	b := loggedIn(t)
	tok := b.token(t, 0)
	names := []string{"ceramic-mug-ocean-blue-glazed-front.png", "ceramic-mug-ocean-blue-glazed-back.png", "ceramic-mug-ocean-blue-glazed-side.png"}
	var ids []int64
	for i, n := range names {
		ids = append(ids, idOf(b.uploadOK(t, tok, n, testPNG(t, 320, 240, tileColors[i]))))
	}
	p := b.seedProduct(t, "Ocean mug", ids...)
	check := func(where, row string) {
		t.Helper()
		got := evalJS[[]map[string]any](t, b, `[...document.querySelectorAll(`+jsString(row)+`)].map(r => {
			const vis = r.querySelector("[aria-hidden=true]"), head = vis.firstElementChild, tail = vis.lastElementChild;
			const box = r.getBoundingClientRect(), tb = tail.getBoundingClientRect();
			return {title: r.title, tail: tail.textContent, cut: head.scrollWidth > head.clientWidth,
				tailShown: tb.left >= box.left && tb.right <= box.right + 0.5 && tb.width > 0,
				spoken: r.querySelector(".sr-only").textContent};
		})`)
		if len(got) != len(names) {
			t.Fatalf("%s: %d names, want %d", where, len(got), len(names))
		}
		tails := map[string]bool{}
		for _, g := range got {
			if !g["tailShown"].(bool) || !g["cut"].(bool) || g["spoken"] != g["title"] {
				t.Errorf("%s: %v", where, g)
			}
			tails[g["tail"].(string)] = true
		}
		if len(tails) != len(names) {
			t.Errorf("%s: the names look alike: %v", where, got)
		}
	}
	b.click(t, `aside nav a[href="/media"]`)
	b.waitJS(t, "the library", `location.pathname === "/media" && document.querySelectorAll("#media-grid .media-card").length === 3`)
	b.shot("long-names-library")
	check("library", `#media-grid .media-card [title]:has(> .sr-only)`)
	b.openGalleryFromProducts(t, p, 3)
	b.shot("long-names-gallery")
	check("gallery", `#gallery > [data-image-id] p[title]`)
	b.axe(t, fmt.Sprintf("gallery %d with long names", p.ID))
}
