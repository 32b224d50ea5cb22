package main

import (
	"fmt"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"gallerist/data"
)

// galleryFixture is a product whose gallery holds n images (media ids in order).
func galleryFixture(t *testing.T, e *testEnv, n int) (pid int64, media []int64) {
	t.Helper()
	tok := e.token(t, 0)
	media = e.seedImages(t, n)
	pid = e.createProduct(t, tok, "Stoneware set")
	for _, id := range media {
		e.attachOK(t, tok, pid, id)
	}
	return pid, media
}

// Issue 11, defect 5 without JavaScript: each tile's menu has "Move to
// position…", a form the server answers; numbers past either end mean that end.
func TestUIGalleryMoveToPositionForm(t *testing.T) {
	e := newTestEnv(t)
	c := loggedInClient(t, e)
	pid, media := galleryFixture(t, e, 5)

	st, body := c.get(t, fmt.Sprintf("/products/%d", pid))
	if st != http.StatusOK {
		t.Fatalf("GET the editor: %d", st)
	}
	forms := regexp.MustCompile(`(?s)<form method="post" action="(/products/\d+/images/(\d+)/move)"[^>]*data-move-to>(.*?)</form>`).FindAllStringSubmatch(body, -1)
	if len(forms) != 5 {
		t.Fatalf("%d Move to position forms, want one per image (5)", len(forms))
	}
	last := forms[4]
	for _, want := range []string{"Move to position…", `name="position" type="number" min="1" max="5" value="5"`, `name="move" value="position"`, `name="version"`} {
		if !strings.Contains(last[3], want) {
			t.Fatalf("the form lacks %q:\n%s", want, last[3])
		}
	}
	version := regexp.MustCompile(`name="version" value="(\d+)"`).FindStringSubmatch(last[3])[1]

	// The last image to position 2.
	st, _ = c.post(t, last[1], url.Values{"version": {version}, "move": {"position"}, "position": {"2"}})
	if st != http.StatusSeeOther {
		t.Fatalf("move to 2: %d", st)
	}
	want := []int64{media[0], media[4], media[1], media[2], media[3]}
	if got := e.galleryMediaOrder(t, pid); !slices.Equal(got, want) {
		t.Fatalf("after moving image 5 to position 2: %v, want %v", got, want)
	}
	_, page := c.get(t, c.location())
	if !strings.Contains(page, "moved to position 2") {
		t.Fatalf("no toast saying where it went")
	}

	// 99 means the end; 0 means the start.
	st, _ = c.post(t, last[1], url.Values{"move": {"position"}, "position": {"99"}})
	if got := e.galleryMediaOrder(t, pid); st != http.StatusSeeOther || got[4] != media[4] {
		t.Fatalf("move to 99: %d %v", st, got)
	}
	c.post(t, last[1], url.Values{"move": {"position"}, "position": {"0"}})
	if got := e.galleryMediaOrder(t, pid); got[0] != media[4] {
		t.Fatalf("move to 0: %v", got)
	}

	// Not a number: a message that says what to type, nothing moved.
	before := e.galleryMediaOrder(t, pid)
	st, body = c.post(t, last[1], url.Values{"move": {"position"}, "position": {"second"}})
	if st != http.StatusUnprocessableEntity && st != http.StatusBadRequest {
		t.Fatalf("move to \"second\": %d", st)
	}
	if !strings.Contains(body, "a number from 1 to 5") {
		t.Fatalf("the refusal does not say what to type: %.400s", body)
	}
	if got := e.galleryMediaOrder(t, pid); !slices.Equal(got, before) {
		t.Fatalf("a refused move changed the order: %v", got)
	}

	// A stale version is refused in plain words.
	st, _ = c.post(t, last[1], url.Values{"version": {version}, "move": {"position"}, "position": {"3"}})
	if st != http.StatusPreconditionFailed {
		t.Fatalf("move with a stale version: %d", st)
	}
}

// Issue 11, defect 4: the picker's form adds images in the order posted (the
// order they were ticked); an id posted twice counts once, where it came first.
func TestUIGalleryAttachKeepsPostedOrder(t *testing.T) {
	e := newTestEnv(t)
	c := loggedInClient(t, e)
	pid, media := galleryFixture(t, e, 1)
	extra := e.seedImages(t, 3)
	c.get(t, fmt.Sprintf("/products/%d", pid))

	form := url.Values{"media_id": {
		strconv.FormatInt(extra[2], 10), strconv.FormatInt(extra[0], 10),
		strconv.FormatInt(extra[2], 10), strconv.FormatInt(extra[1], 10)}}
	st, body := c.post(t, fmt.Sprintf("/products/%d/images", pid), form)
	if st != http.StatusSeeOther {
		t.Fatalf("attach: %d %.300s", st, body)
	}
	want := []int64{media[0], extra[2], extra[0], extra[1]}
	if got := e.galleryMediaOrder(t, pid); !slices.Equal(got, want) {
		t.Fatalf("gallery after attaching in tick order: %v, want %v", got, want)
	}
}

// The picker pages through the library (60 a page) with links that work
// without JavaScript, and says which part of the library it shows.
func TestUIPickerPages(t *testing.T) {
	e := newTestEnv(t)
	c := loggedInClient(t, e)
	pid := e.createProduct(t, e.token(t, 0), "Mug wall")
	seedMedia(t, e, 70)

	st, body := c.get(t, fmt.Sprintf("/products/%d/picker", pid))
	if st != http.StatusOK {
		t.Fatalf("GET picker: %d", st)
	}
	if n := strings.Count(body, `type="checkbox" name="media_id"`); n != 60 {
		t.Fatalf("first page: %d checkboxes, want 60", n)
	}
	next := fmt.Sprintf(`href="/products/%d/picker?offset=60"`, pid)
	if !strings.Contains(body, "1–60 of 70") || !strings.Contains(body, next) || strings.Contains(body, ">Previous<") {
		t.Fatalf("first page: no \"1–60 of 70\" with a Next link (%s) only", next)
	}
	if !strings.Contains(body, "data-picker-selection") || !strings.Contains(body, "data-pick-number") {
		t.Fatal("the picker has no place for the ordered selection or the tick numbers")
	}
	st, body = c.get(t, fmt.Sprintf("/products/%d/picker?offset=60", pid))
	if st != http.StatusOK || strings.Count(body, `type="checkbox" name="media_id"`) != 10 {
		t.Fatalf("second page: %d, %d checkboxes", st, strings.Count(body, `type="checkbox" name="media_id"`))
	}
	if !strings.Contains(body, "61–70 of 70") || !strings.Contains(body, fmt.Sprintf(`href="/products/%d/picker"`, pid)) || strings.Contains(body, ">Next<") {
		t.Fatal("second page: no \"61–70 of 70\" with only a Previous link")
	}
	// A search keeps its words across pages.
	_, body = c.get(t, fmt.Sprintf("/products/%d/picker?q=product", pid))
	if !strings.Contains(body, fmt.Sprintf(`href="/products/%d/picker?offset=60&amp;q=product"`, pid)) {
		t.Fatal("the Next link of a search forgets the search")
	}
}

// The gallery ends with an "Add images" tile (upload, or choose from the
// library) that works without JavaScript too.
func TestUIGalleryAddImagesTile(t *testing.T) {
	e := newTestEnv(t)
	c := loggedInClient(t, e)
	pid, _ := galleryFixture(t, e, 2)
	_, body := c.get(t, fmt.Sprintf("/products/%d", pid))
	i := strings.Index(body, `id="gallery-add"`)
	if i < 0 {
		t.Fatal("no Add images tile")
	}
	tile := body[i:]
	tile = tile[:strings.Index(tile, "</li>")]
	for _, want := range []string{"Add images", fmt.Sprintf(`action="/products/%d/images/upload`, pid), `type="file" name="file" multiple`,
		fmt.Sprintf(`href="/products/%d/picker"`, pid), "Choose from library", "data-upload-before"} {
		if !strings.Contains(tile, want) {
			t.Errorf("the Add images tile lacks %q", want)
		}
	}
	if j := strings.LastIndex(body[:i], `data-image-id=`); j < 0 || strings.Contains(body[i:], `data-image-id=`) {
		t.Error("the Add images tile is not after every image")
	}
}

// Issue 11, defect 7 without JavaScript: the remove link of an image a
// variant shows is a confirm page naming the variant; the toast's Undo
// gives the image back to the gallery, at its place, and to the variant.
func TestUIGalleryDetachVariantImageUndo(t *testing.T) {
	e := newTestEnv(t)
	c := loggedInClient(t, e)
	pid, media := galleryFixture(t, e, 3)
	ctx := data.WithPrincipal(t.Context(), data.Principal{OrgID: e.app.defOrg.ID, Actor: "test", Scopes: data.RoleOwner.Scopes()})
	g, err := e.app.catalog.FindGallery(ctx, pid, data.GalleryFilter{})
	if err != nil {
		t.Fatal(err)
	}
	v, err := e.app.catalog.CreateVariant(ctx, pid, data.VariantCreate{Title: "Large"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.app.catalog.SetVariantImage(ctx, pid, v.ID, g.Images[2].ID); err != nil {
		t.Fatal(err)
	}
	path := fmt.Sprintf("/products/%d/images/%d/detach", pid, g.Images[2].ID)
	_, editor := c.get(t, fmt.Sprintf("/products/%d", pid))
	if !strings.Contains(editor, `href="`+path+`" data-dialog`) {
		t.Errorf("the editor's remove action for a variant's image is not a confirm link")
	}
	if st, body := c.get(t, path); st != 200 || !strings.Contains(body, "Large") || !strings.Contains(body, "will have no image") {
		t.Fatalf("confirm page: %d, names the variant: %v", st, strings.Contains(body, "Large"))
	}
	if st, _ := c.post(t, path, url.Values{"_csrf": {c.csrf}}); st != http.StatusSeeOther {
		t.Fatalf("remove: %d", st)
	}
	_, page := c.get(t, c.location())
	undo := regexp.MustCompile(`<form method="post" action="(/products/\d+/images\?[^"]+)"`).FindStringSubmatch(page)
	if undo == nil {
		t.Fatalf("no Undo after the removal")
	}
	if st, _ := c.post(t, html.UnescapeString(undo[1]), url.Values{"_csrf": {c.csrf}}); st != http.StatusSeeOther {
		t.Fatalf("undo: %d", st)
	}
	if got := e.galleryMediaOrder(t, pid); !slices.Equal(got, media) {
		t.Errorf("gallery after Undo: %v, want %v", got, media)
	}
	g, _ = e.app.catalog.FindGallery(ctx, pid, data.GalleryFilter{})
	if got, _ := e.app.catalog.FindVariantByID(ctx, pid, v.ID); got.ImageID != g.Images[2].ID {
		t.Errorf("variant image after Undo: %d, want %d", got.ImageID, g.Images[2].ID)
	}
}
