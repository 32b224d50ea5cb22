package main

import (
	"context"
	"encoding/json"
	"fmt"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"

	"gallerist/data"
)

// Bulk actions without JavaScript: the tiles' checkboxes are a plain form
// posting ids; every question is a page; every action redirects with a toast.

func joinInts(ids ...int64) string {
	s := make([]string, len(ids))
	for i, id := range ids {
		s[i] = fmt.Sprint(id)
	}
	return strings.Join(s, ",")
}

// bulkForm posts the selection bar's form as a browser without JavaScript
// does: the ticked checkboxes' ids and the button pressed.
func (c *uiClient) bulkForm(t testing.TB, action, ret string, ids ...int64) (int, string) {
	t.Helper()
	form := url.Values{"action": {action}, "return": {ret}, "ids": {""}}
	for _, id := range ids {
		form.Add("id", fmt.Sprint(id))
	}
	return c.post(t, "/media/bulk", form)
}

func (e *testEnv) isTrashed(t testing.TB, id int64) bool {
	t.Helper()
	m, err := e.app.media.FindMediaByID(e.ownerCtx(), id)
	if err != nil {
		t.Fatal(err)
	}
	return m.DeletedAt != nil
}

func (e *testEnv) ownerCtx() context.Context {
	return data.WithPrincipal(context.Background(), data.Principal{OrgID: e.app.defOrg.ID, Actor: testOwnerEmail,
		Role: data.RoleOwner, Scopes: data.RoleOwner.Scopes()})
}

var toastActionRE = regexp.MustCompile(`<form method="post" action="(/media/bulk/restore\?ids=[0-9%C,]+)"`)

func TestUIBulkDeleteWithoutJavaScript(t *testing.T) {
	e := newTestEnv(t)
	c := loggedInClient(t, e)
	tok := e.token(t, 0)
	ids := e.images(t, tok, 4)
	pid := e.createProduct(t, tok, "Stoneware mug")
	for _, id := range ids[:3] {
		e.attachOK(t, tok, pid, id)
	}
	// ids[1] and ids[3] are deleted; ids[1] is at position 2 of the gallery.

	st, body := c.get(t, "/media")
	if st != 200 {
		t.Fatalf("library: %d", st)
	}
	for _, id := range ids {
		box := fmt.Sprintf(`<input type="checkbox" name="id" value="%d" form="bulk-form"`, id)
		if !strings.Contains(body, box) {
			t.Fatalf("the tile of %d has no checkbox in the bulk form", id)
		}
	}
	if !strings.Contains(body, `<form id="bulk-form" method="post" action="/media/bulk"`) {
		t.Fatal("the library has no bulk form")
	}

	st, _ = c.bulkForm(t, "delete", "/media", ids[3], ids[1])
	if st != http.StatusSeeOther || !strings.HasPrefix(c.location(), "/media/bulk/delete?") {
		t.Fatalf("bulk form: %d → %q", st, c.location())
	}
	st, body = c.get(t, c.location())
	if st != 200 {
		t.Fatalf("bulk delete question: %d %.300s", st, body)
	}
	for _, want := range []string{"1 of 2 items are in use", "Stoneware mug", "Product gallery · position 2", "Delete them anyway?", "Remove from 1 place and delete all 2",
		`name="force" value="true"`, fmt.Sprintf(`name="ids" value="%s"`, joinInts(ids[3], ids[1]))} {
		if !strings.Contains(html.UnescapeString(body), want) {
			t.Fatalf("the question lacks %q:\n%s", want, body)
		}
	}

	// Without force, an item in use stops the whole delete: the question again, 409.
	st, body = c.post(t, "/media/bulk/delete", url.Values{"ids": {joinInts(ids[3], ids[1])}, "return": {"/media"}})
	if st != http.StatusConflict || !strings.Contains(body, "Stoneware mug") || e.isTrashed(t, ids[3]) {
		t.Fatalf("delete without force: %d, trashed %v", st, e.isTrashed(t, ids[3]))
	}

	st, _ = c.post(t, "/media/bulk/delete", url.Values{"ids": {joinInts(ids[3], ids[1])}, "force": {"true"}, "return": {"/media"}})
	if st != http.StatusSeeOther || c.location() != "/media" {
		t.Fatalf("forced bulk delete: %d → %q", st, c.location())
	}
	if !e.isTrashed(t, ids[1]) || !e.isTrashed(t, ids[3]) || e.isTrashed(t, ids[0]) {
		t.Fatal("the bulk delete trashed the wrong items")
	}
	if _, media, _ := e.gallery(t, tok, pid); !slices.Equal(media, []int64{ids[0], ids[2]}) {
		t.Fatalf("gallery after the delete: %v", media)
	}

	_, body = c.get(t, "/media")
	if !strings.Contains(body, "2 items deleted") {
		t.Fatal("no toast after the bulk delete")
	}
	m := toastActionRE.FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("the toast has no Undo form: %s", body)
	}
	st, _ = c.post(t, html.UnescapeString(m[1]), url.Values{"return": {"/media"}})
	if st != http.StatusSeeOther || c.location() != "/media" {
		t.Fatalf("Undo: %d → %q", st, c.location())
	}
	if e.isTrashed(t, ids[1]) || e.isTrashed(t, ids[3]) {
		t.Fatal("Undo left items in the trash")
	}
	if _, media, _ := e.gallery(t, tok, pid); !slices.Equal(media, ids[:3]) {
		t.Fatalf("gallery after Undo: %v, want %v", media, ids[:3])
	}
	if _, body = c.get(t, "/media"); !strings.Contains(body, "2 items restored") {
		t.Fatal("no toast after Undo")
	}

	// Nothing ticked: a readable refusal, nothing changes.
	st, body = c.bulkForm(t, "delete", "/media")
	if st != http.StatusUnprocessableEntity || !strings.Contains(body, "Select at least one item first.") {
		t.Fatalf("empty selection: %d %.200s", st, body)
	}
}

func TestUIBulkTrashRestoreAndPurgeWithoutJavaScript(t *testing.T) {
	e := newTestEnv(t)
	c := loggedInClient(t, e)
	tok := e.token(t, 0)
	ids := e.images(t, tok, 3)
	for _, id := range ids {
		if r := e.do(t, "DELETE", fmt.Sprintf("/api/media/%d", id), tok, nil, ""); r.Status != 204 {
			t.Fatalf("delete %d: %d", id, r.Status)
		}
	}
	st, body := c.get(t, "/trash")
	if st != 200 || !strings.Contains(body, `<form id="bulk-form" method="post" action="/media/bulk"`) ||
		!strings.Contains(body, fmt.Sprintf(`name="id" value="%d" form="bulk-form"`, ids[0])) {
		t.Fatalf("the trash has no bulk form: %d", st)
	}

	st, _ = c.bulkForm(t, "restore", "/trash", ids[0], ids[1])
	if st != http.StatusSeeOther || c.location() != "/trash" {
		t.Fatalf("bulk restore: %d → %q", st, c.location())
	}
	if e.isTrashed(t, ids[0]) || e.isTrashed(t, ids[1]) || !e.isTrashed(t, ids[2]) {
		t.Fatal("bulk restore restored the wrong items")
	}
	if _, body = c.get(t, "/trash"); !strings.Contains(body, "2 items restored") {
		t.Fatal("no toast after the bulk restore")
	}

	// Purge asks first; a live item named with it is never purged.
	st, _ = c.bulkForm(t, "purge", "/trash", ids[2], ids[0])
	if st != http.StatusSeeOther || !strings.HasPrefix(c.location(), "/media/bulk/purge?") {
		t.Fatalf("bulk purge: %d → %q", st, c.location())
	}
	st, body = c.get(t, c.location())
	if st != 200 || !strings.Contains(body, "Delete photo-2.jpg forever?") || !strings.Contains(body, "cannot be undone") {
		t.Fatalf("purge question: %d %s", st, body)
	}
	st, _ = c.post(t, "/media/bulk/purge", url.Values{"ids": {joinInts(ids[2], ids[0])}})
	if st != http.StatusSeeOther || c.location() != "/trash" {
		t.Fatalf("purge: %d → %q", st, c.location())
	}
	if r := e.getJSON(t, fmt.Sprintf("/api/media/%d", ids[2]), tok); r.Status != 404 {
		t.Fatalf("purged item: %d", r.Status)
	}
	if e.isTrashed(t, ids[0]) {
		t.Fatal("the live item was touched")
	}
	if _, body = c.get(t, "/trash"); !strings.Contains(body, "photo-2.jpg deleted forever") {
		t.Fatal("no toast after the purge")
	}
}

func TestUIBulkAddToProductWithoutJavaScript(t *testing.T) {
	e := newTestEnv(t)
	c := loggedInClient(t, e)
	tok := e.token(t, 0)
	ids := e.images(t, tok, 4)
	pid := e.createProduct(t, tok, "Serving bowl")
	e.createProduct(t, tok, "Tea cup")
	e.attachOK(t, tok, pid, ids[0])
	c.get(t, "/media") // the page the form is on (and its CSRF token)

	st, _ := c.bulkForm(t, "add", "/media", ids[2], ids[0], ids[3])
	if st != http.StatusSeeOther || !strings.HasPrefix(c.location(), "/media/bulk/add?") {
		t.Fatalf("bulk form: %d → %q", st, c.location())
	}
	st, body := c.get(t, c.location())
	if st != 200 || !strings.Contains(body, "Add 3 images to a product") || !strings.Contains(body, "Serving bowl") || !strings.Contains(body, "Tea cup") {
		t.Fatalf("add question: %d %s", st, body)
	}
	// The search narrows the products (a plain GET form).
	if _, body = c.get(t, "/media/bulk/add?ids="+joinInts(ids[2], ids[0])+"&q=bowl"); strings.Contains(body, "Tea cup") || !strings.Contains(body, "Serving bowl") {
		t.Fatal("the product search does not narrow the list")
	}

	// The selection order, not the page's order: ids[0] is there already and stays.
	// (The ids field wins over the checkboxes, as library.js sends it.)
	st, body = c.post(t, "/media/bulk/add", url.Values{"ids": {joinInts(ids[3], ids[0], ids[2])}, "product_id": {fmt.Sprint(pid)}, "return": {"/media"}})
	if st != http.StatusSeeOther || c.location() != "/media" {
		t.Fatalf("add: %d → %q %.300s", st, c.location(), body)
	}
	if _, media, _ := e.gallery(t, tok, pid); !slices.Equal(media, []int64{ids[0], ids[3], ids[2]}) {
		t.Fatalf("gallery %v, want %v", media, []int64{ids[0], ids[3], ids[2]})
	}
	if _, body = c.get(t, "/media"); !strings.Contains(body, "Added 2 images to Serving bowl. 1 was already there.") {
		t.Fatalf("no toast after adding: %s", body)
	}

	// No product chosen: the question again with the reason.
	st, body = c.post(t, "/media/bulk/add", url.Values{"ids": {joinInts(ids[1])}, "return": {"/media"}})
	if st != http.StatusUnprocessableEntity || !strings.Contains(body, "Choose the product to add them to.") {
		t.Fatalf("add without a product: %d %.300s", st, body)
	}
}

func TestUIBulkAltEditorWithoutJavaScript(t *testing.T) {
	e := newTestEnv(t)
	c := loggedInClient(t, e)
	tok := e.token(t, 0)
	ids := e.images(t, tok, 3)
	if r := e.sendJSON(t, "PATCH", fmt.Sprintf("/api/media/%d", ids[1]), tok, map[string]any{"alt": "A mug"}); r.Status != 200 {
		t.Fatalf("patch: %d", r.Status)
	}

	// From the Missing alt text filter: a link to the editor with the images lacking alt.
	_, body := c.get(t, "/media?missing_alt=true")
	link := regexp.MustCompile(`href="(/media/alt\?[^"]+)"[^>]*data-alt-editor-link`).FindStringSubmatch(body)
	if link == nil || !strings.Contains(body, "2 images have no alt text.") {
		t.Fatalf("no link to the alt editor under the filter: %s", body)
	}
	st, body := c.get(t, html.UnescapeString(link[1]))
	if st != 200 || !strings.Contains(body, "2 images still need alt text.") ||
		!strings.Contains(body, fmt.Sprintf(`name="alt-%d"`, ids[0])) || strings.Contains(body, fmt.Sprintf(`name="alt-%d"`, ids[1])) {
		t.Fatalf("alt editor (missing): %d %s", st, body)
	}

	// The whole page posts at once; an invalid field comes back with its reason and what was typed.
	long := strings.Repeat("x", data.MaxAltRunes+1)
	st, body = c.post(t, "/media/alt", url.Values{"missing_alt": {"true"}, "return": {"/media?missing_alt=true"},
		fmt.Sprintf("alt-%d", ids[0]): {"A blue bowl, from above"}, fmt.Sprintf("alt-%d", ids[2]): {long}})
	if st != http.StatusUnprocessableEntity || !strings.Contains(body, "keep it under") || !strings.Contains(body, long) {
		t.Fatalf("post with an invalid field: %d %.500s", st, body)
	}
	if m := e.getJSON(t, fmt.Sprintf("/api/media/%d", ids[0]), tok).json(t); m["alt"] != "A blue bowl, from above" {
		t.Fatalf("the valid field did not save: %v", m["alt"])
	}
	st, _ = c.post(t, "/media/alt", url.Values{"missing_alt": {"true"}, "return": {"/media?missing_alt=true"},
		fmt.Sprintf("alt-%d", ids[2]): {"A green vase"}})
	if st != http.StatusSeeOther || !strings.HasPrefix(c.location(), "/media/alt?missing_alt=true") {
		t.Fatalf("save: %d → %q", st, c.location())
	}
	_, body = c.get(t, c.location())
	if !strings.Contains(body, "Saved the alt text of 1 image.") || !strings.Contains(body, "Every image has alt text.") {
		t.Fatalf("after saving: %s", body)
	}

	// The selection mode lists the selected images, in order, and counts those without alt.
	st, _ = c.bulkForm(t, "alt", "/media", ids[2], ids[1])
	if st != http.StatusSeeOther || !strings.HasPrefix(c.location(), "/media/alt?ids=") {
		t.Fatalf("bulk form: %d → %q", st, c.location())
	}
	_, body = c.get(t, c.location())
	if i, j := strings.Index(body, fmt.Sprintf(`name="alt-%d"`, ids[2])), strings.Index(body, fmt.Sprintf(`name="alt-%d"`, ids[1])); i < 0 || j < i {
		t.Fatal("the editor does not list the selection in order")
	}

	// What library.js sends: one field, JSON back.
	st, body = c.req(t, "POST", "/media/alt", strings.NewReader(url.Values{fmt.Sprintf("alt-%d", ids[1]): {"  A mug, side view "}}.Encode()),
		"application/x-www-form-urlencoded", "X-CSRF-Token", c.csrf, "Accept", "application/json")
	var res struct {
		Items []struct {
			ID    int64  `json:"id"`
			Alt   string `json:"alt"`
			Saved bool   `json:"saved"`
			Error string `json:"error"`
		} `json:"items"`
	}
	if err := json.Unmarshal([]byte(body), &res); err != nil || st != 200 || len(res.Items) != 1 || !res.Items[0].Saved || res.Items[0].Alt != "A mug, side view" {
		t.Fatalf("JSON save: %d %s", st, body)
	}
	st, body = c.req(t, "POST", "/media/alt", strings.NewReader(url.Values{fmt.Sprintf("alt-%d", ids[1]): {long}}.Encode()),
		"application/x-www-form-urlencoded", "X-CSRF-Token", c.csrf, "Accept", "application/json")
	if st != http.StatusUnprocessableEntity || !strings.Contains(body, `"saved":false`) || !strings.Contains(body, "keep it under") {
		t.Fatalf("JSON save of an invalid text: %d %s", st, body)
	}
}

// A page past the end (its items were just deleted) shows the last page.
func TestUILibraryPastTheEndShowsLastPage(t *testing.T) {
	e := newTestEnv(t)
	c := loggedInClient(t, e)
	e.seedImages(t, 50)
	st, body := c.get(t, "/media?offset=96")
	if st != 200 || !strings.Contains(body, "49–50 of 50 items") {
		t.Fatalf("past the end: %d %s", st, regexp.MustCompile(`id="result-count"[^>]*>[^<]*`).FindString(body))
	}
}

// Review finding: the editor's page posted without JavaScript carries every
// field, the untouched empty ones too, and erased alt text saved elsewhere
// after the page was loaded. Only fields the merchant changed are saved
// now; one changed on both sides is refused with what it now says.
func TestUIBulkAltEditorKeepsLaterSaves(t *testing.T) {
	e := newTestEnv(t)
	c := loggedInClient(t, e)
	tok := e.token(t, 0)
	ids := e.images(t, tok, 3)
	_, page := c.get(t, "/media/alt?missing_alt=true")
	for _, id := range ids {
		if !strings.Contains(page, fmt.Sprintf(`name="was-%d" value=""`, id)) {
			t.Fatalf("the page does not say what image %d's field showed", id)
		}
	}
	// Meanwhile someone else writes alt text for images 2 and 3.
	for _, id := range ids[1:] {
		if r := e.sendJSON(t, "PATCH", fmt.Sprintf("/api/media/%d", id), tok, map[string]any{"alt": "Saved elsewhere"}); r.Status != 200 {
			t.Fatalf("patch: %d", r.Status)
		}
	}
	form := url.Values{"missing_alt": {"true"}}
	for i, id := range ids {
		form.Set(fmt.Sprintf("was-%d", id), "")
		form.Set(fmt.Sprintf("alt-%d", id), []string{"Typed here", "", "Typed over it"}[i])
	}
	st, body := c.post(t, "/media/alt", form)
	if st != http.StatusUnprocessableEntity || !strings.Contains(body, "changed elsewhere after this page was loaded") {
		t.Fatalf("a field changed on both sides: %d %.300s", st, body)
	}
	for i, want := range []string{"Typed here", "Saved elsewhere", "Saved elsewhere"} {
		if m := e.getJSON(t, fmt.Sprintf("/api/media/%d", ids[i]), tok).json(t); m["alt"] != want {
			t.Errorf("image %d: alt %q, want %q", i+1, m["alt"], want)
		}
	}
}
