package handlers

import (
	"context"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"gallerist/data"
	"gallerist/views"
	"gallerist/web"

	"github.com/gofiber/fiber/v2"
)

// bulkIDs are the selected ids, in selection order: "ids" (comma-separated,
// what library.js sends: the whole selection, across pages, in the order it
// was made), else the ticked "id" checkboxes of a form posted without
// JavaScript (the page's order).
func bulkIDs(c *fiber.Ctx) ([]int64, error) {
	var parts []string
	if s := strings.TrimSpace(c.FormValue("ids", c.Query("ids"))); s != "" {
		parts = strings.Split(s, ",")
	} else {
		for _, args := range [][][]byte{c.Context().PostArgs().PeekMulti("id"), c.Context().QueryArgs().PeekMulti("id")} {
			for _, v := range args {
				parts = append(parts, string(v))
			}
		}
	}
	var ids []int64
	seen := map[int64]bool{}
	for _, s := range parts {
		s = strings.TrimSpace(s)
		if s == "" {
			continue
		}
		id, err := strconv.ParseInt(s, 10, 64)
		if err != nil || id <= 0 {
			return nil, data.FieldError("ids", "ids must be media ids separated by commas.")
		}
		if !seen[id] {
			seen[id] = true
			ids = append(ids, id)
		}
	}
	if len(ids) == 0 {
		return nil, data.FieldError("ids", "Select at least one item first.")
	}
	return ids, nil
}

func joinIDs(items []*data.Media) string {
	s := make([]string, len(items))
	for i, m := range items {
		s[i] = itoa(m.ID)
	}
	return strings.Join(s, ",")
}

func idsOf(items []*data.Media) []int64 {
	out := make([]int64, len(items))
	for i, m := range items {
		out[i] = m.ID
	}
	return out
}

// selected loads the selected items that keep (live ones, trashed ones).
func (h *Handlers) selected(c *fiber.Ctx, keep func(*data.Media) bool) ([]*data.Media, error) {
	ids, err := bulkIDs(c)
	if err != nil {
		return nil, err
	}
	items, err := h.Media.FindMediaByIDs(c.UserContext(), ids)
	if err != nil {
		return nil, err
	}
	var out []*data.Media
	for _, m := range items {
		if keep(m) {
			out = append(out, m)
		}
	}
	return out, nil
}

func isLive(m *data.Media) bool    { return m.DeletedAt == nil }
func isTrashed(m *data.Media) bool { return m.DeletedAt != nil }

// handleBulkForm is the selection bar's form: the button pressed names the
// action. Questions (delete, purge, add to product) and the alt editor are
// pages of their own, so it redirects there; restore happens at once. With
// JavaScript the dialogs are fetched directly and this form only carries
// "Edit alt text" and "Restore".
func (h *Handlers) handleBulkForm(c *fiber.Ctx) error {
	ids, err := bulkIDs(c)
	if err != nil {
		return err
	}
	ctx := c.UserContext()
	action := c.FormValue("action")
	ret := returnTo(c, "/media")
	if action == "restore" || action == "purge" {
		ret = returnTo(c, "/trash")
	}
	q := url.Values{"ids": {joinIDList(ids)}, "return": {ret}}
	next := map[string]struct {
		path  string
		scope data.Scope
		what  string
	}{
		"alt":    {"/media/alt", data.ScopeMediaUpdate, "editing alt text"},
		"add":    {"/media/bulk/add", data.ScopeProductsWrite, "adding images to a product"},
		"delete": {"/media/bulk/delete", data.ScopeMediaDelete, "deleting media"},
		"purge":  {"/media/bulk/purge", data.ScopeMediaDelete, "deleting media forever"},
	}
	if action == "restore" {
		if err := data.RequireScope(ctx, data.ScopeMediaDelete, "restoring media"); err != nil {
			return err
		}
		return h.bulkRestore(c, ids, ret)
	}
	to, ok := next[action]
	if !ok {
		return data.FieldError("action", "Choose what to do with the selected items.")
	}
	if err := data.RequireScope(ctx, to.scope, to.what); err != nil {
		return err
	}
	return web.RedirectAfterPost(c, to.path+"?"+q.Encode())
}

func joinIDList(ids []int64) string {
	s := make([]string, len(ids))
	for i, id := range ids {
		s[i] = itoa(id)
	}
	return strings.Join(s, ",")
}

// bulkDelete is the delete question for the live items selected.
func (h *Handlers) bulkDelete(c *fiber.Ctx) (*views.BulkDelete, error) {
	items, err := h.selected(c, isLive)
	if err != nil {
		return nil, err
	}
	if len(items) == 0 {
		return nil, data.Errorf(data.ECNotFound, "None of the selected items is in the library any more.")
	}
	usage, err := h.Media.UsageOf(c.UserContext(), idsOf(items))
	if err != nil {
		return nil, err
	}
	return &views.BulkDelete{Selection: views.Selection{Items: items, Return: returnTo(c, "/media")}, Usage: usage}, nil
}

func (h *Handlers) handleBulkDeleteConfirm(c *fiber.Ctx) error {
	d, err := h.bulkDelete(c)
	if err != nil {
		return err
	}
	p := h.page(c, "Delete "+d.Count(), "library")
	return h.confirmWith(c, fiber.StatusOK, p, views.BulkDeleteConfirm(p, d))
}

// handleBulkDeleteForm moves the selection to the trash; force (the in-use
// question was answered) detaches each item everywhere first. The toast's
// Undo restores them all, in every place.
func (h *Handlers) handleBulkDeleteForm(c *fiber.Ctx) error {
	ids, err := bulkIDs(c)
	if err != nil {
		return err
	}
	ret := returnTo(c, "/media")
	trashed, err := h.Media.TrashMediaBulk(c.UserContext(), ids, c.FormValue("force") == "true")
	if data.ErrorCode(err) == data.ECInUse {
		// Some became used since the question was asked: ask again, naming the places.
		d, derr := h.bulkDelete(c)
		if derr != nil {
			return derr
		}
		p := h.page(c, "Delete "+d.Count(), "library")
		return h.confirmWith(c, fiber.StatusConflict, p, views.BulkDeleteConfirm(p, d))
	}
	if err != nil {
		return err
	}
	if len(trashed) == 0 {
		toast(c, web.Toast{Message: "Nothing was deleted: the selected items were already in the trash."})
		return web.RedirectAfterPost(c, ret)
	}
	sel := views.Selection{Items: trashed}
	toast(c, web.Toast{Message: sel.Count() + " deleted", Action: "Undo", ActionURL: "/media/bulk/restore?ids=" + joinIDs(trashed)})
	return web.RedirectAfterPost(c, ret)
}

func (h *Handlers) handleBulkRestoreForm(c *fiber.Ctx) error {
	ids, err := bulkIDs(c)
	if err != nil {
		return err
	}
	return h.bulkRestore(c, ids, returnTo(c, "/trash"))
}

// bulkRestore takes the items out of the trash, back into every place a
// forced delete took them from.
func (h *Handlers) bulkRestore(c *fiber.Ctx, ids []int64, ret string) error {
	restored, err := h.Media.RestoreMediaBulk(c.UserContext(), ids)
	if err != nil {
		return err
	}
	t := web.Toast{Message: "Nothing was restored: the selected items are no longer in the trash."}
	if len(restored) > 0 {
		t.Message = (&views.Selection{Items: restored}).Count() + " restored"
		var missed []data.Unrestored
		for _, m := range restored {
			missed = append(missed, m.NotRestored...)
		}
		t.Message += views.NotRestoredText(missed)
		if n := len(ids) - len(restored); n > 0 {
			t.Message += "; " + views.Plural(n, "item was", "items were") + " no longer in the trash"
		}
		if len(restored) == 1 {
			t.Link, t.LinkURL = "View", "/media/"+itoa(restored[0].ID)
		} else if strings.HasPrefix(ret, "/trash") {
			t.Link, t.LinkURL = "View in library", "/media"
		}
	}
	toast(c, t)
	return web.RedirectAfterPost(c, ret)
}

func (h *Handlers) handleBulkPurgeConfirm(c *fiber.Ctx) error {
	items, err := h.selected(c, isTrashed)
	if err != nil {
		return err
	}
	if len(items) == 0 {
		return data.Errorf(data.ECNotTrashed, "None of the selected items is in the trash.")
	}
	s := &views.Selection{Items: items, Return: "/trash"}
	p := h.page(c, "Delete "+s.Count()+" forever", "trash")
	return h.confirmWith(c, fiber.StatusOK, p, views.BulkPurgeConfirm(p, s))
}

func (h *Handlers) handleBulkPurgeForm(c *fiber.Ctx) error {
	ids, err := bulkIDs(c)
	if err != nil {
		return err
	}
	purged, err := h.Media.PurgeMediaBulk(c.UserContext(), ids)
	if err != nil {
		return err
	}
	msg := "Nothing was deleted: the selected items are no longer in the trash."
	if len(purged) > 0 {
		msg = (&views.Selection{Items: purged}).Count() + " deleted forever"
	}
	toast(c, web.Toast{Message: msg})
	return web.RedirectAfterPost(c, "/trash")
}

// bulkAddProducts is how many products the "Add to product" dialog lists.
const bulkAddProducts = 50

// bulkAdd is the "Add to product" question: the live images and videos selected (others
// cannot go in a gallery) and the products matching the search.
func (h *Handlers) bulkAdd(c *fiber.Ctx) (*views.BulkAdd, error) {
	items, err := h.selected(c, isLive)
	if err != nil {
		return nil, err
	}
	a := &views.BulkAdd{Selection: views.Selection{Return: returnTo(c, "/media")}, Q: strings.TrimSpace(c.Query("q"))}
	for _, m := range items {
		if slices.Contains(data.GalleryKinds, m.Kind) {
			a.Items = append(a.Items, m)
		} else {
			a.Skipped++
		}
	}
	if len(a.Items) == 0 {
		return nil, data.FieldError("ids", "None of the selected items is an image or a video in your library; only images and videos go in product galleries.")
	}
	a.Products, a.Total, err = h.Catalog.FindProducts(c.UserContext(), data.ProductFilter{Q: a.Q, Limit: bulkAddProducts})
	return a, err
}

func (h *Handlers) handleBulkAddDialog(c *fiber.Ctx) error {
	a, err := h.bulkAdd(c)
	if err != nil {
		return err
	}
	p := h.page(c, "Add to a product", "library")
	if web.WantsFragment(c) && c.Get("HX-Target") == "bulk-products" {
		return render(c, views.BulkProductList(p, a))
	}
	return h.confirmWith(c, fiber.StatusOK, p, views.BulkAddDialog(p, a))
}

// handleBulkAddForm adds the selected images to the end of a product's
// gallery, in selection order, in one transaction (AttachMedia). Images the
// gallery already holds are left where they are.
func (h *Handlers) handleBulkAddForm(c *fiber.Ctx) error {
	a, err := h.bulkAdd(c)
	if err != nil {
		return err
	}
	ctx := c.UserContext()
	fail := func(msg string) error {
		a.Error = msg
		p := h.page(c, "Add to a product", "library")
		return h.confirmWith(c, fiber.StatusUnprocessableEntity, p, views.BulkAddDialog(p, a))
	}
	pid, _ := strconv.ParseInt(c.FormValue("product_id"), 10, 64)
	if pid <= 0 {
		return fail("Choose the product to add them to.")
	}
	prod, err := h.Catalog.FindProductByID(ctx, pid)
	if err != nil {
		return err
	}
	g, err := h.Catalog.FindGallery(ctx, pid, data.GalleryFilter{})
	if err != nil {
		return err
	}
	present := map[int64]bool{}
	for _, gi := range g.Images {
		present[gi.MediaID] = true
	}
	var add []int64
	var adding []*data.Media
	for _, m := range a.Items {
		if !present[m.ID] {
			add, adding = append(add, m.ID), append(adding, m)
		}
	}
	view := web.Toast{Link: "View product", LinkURL: "/products/" + itoa(pid)}
	if len(add) == 0 {
		view.Message = "Nothing to add: " + prod.Title + " already has " + views.Plural(len(a.Items), "this item", "these items") + "."
		toast(c, view)
		return web.RedirectAfterPost(c, a.Return)
	}
	if _, err := h.Catalog.AttachMedia(ctx, pid, data.GalleryAttach{MediaIDs: add}); err != nil {
		if web.StatusFor(data.ErrorCode(err)) < 500 {
			return fail(data.ErrorMessage(err))
		}
		return err
	}
	view.Message = "Added " + views.MediaCount(adding) + " to " + prod.Title + "."
	if n := len(a.Items) - len(add); n > 0 {
		view.Message += " " + views.Plural(n, "was", "were") + " already there."
	}
	toast(c, view)
	return web.RedirectAfterPost(c, a.Return)
}

// altEditorPageSize is how many images without alt text the editor lists at once.
const altEditorPageSize = 50

// altEditor is the bulk alt text editor's list: the selected images, or
// (missing_alt=true) the images of the library without alt text.
func (h *Handlers) altEditor(c *fiber.Ctx) (*views.AltEditor, error) {
	a := &views.AltEditor{Missing: c.FormValue("missing_alt", c.Query("missing_alt")) == "true"}
	a.Return = returnTo(c, "/media")
	if a.Missing {
		a.Q = strings.TrimSpace(c.FormValue("q", c.Query("q")))
		items, total, err := h.Media.FindMedia(c.UserContext(), data.MediaFilter{MissingAlt: true, Q: a.Q, Kind: data.KindImage,
			Deleted: data.DeletedExclude, Limit: altEditorPageSize})
		if err != nil {
			return nil, err
		}
		a.Items, a.Remaining, a.RemainingExact, a.More = items, total.N, total.Exact, total.N-len(items)
		return a, nil
	}
	items, err := h.selected(c, isLive)
	if err != nil {
		return nil, err
	}
	for _, m := range items {
		if m.Kind != data.KindImage {
			a.Skipped++
			continue
		}
		a.Items = append(a.Items, m)
		if strings.TrimSpace(m.Alt) == "" {
			a.Remaining++
		}
	}
	return a, nil
}

func (h *Handlers) handleAltEditor(c *fiber.Ctx) error {
	a, err := h.altEditor(c)
	if err != nil {
		return err
	}
	p := h.page(c, "Alt text", "library")
	return render(c, views.AltEditorPage(p, a))
}

// altFields are the form's alt-<id> fields, in form order.
func altFields(c *fiber.Ctx) []altField {
	var out []altField
	args := c.Context().PostArgs()
	for k, v := range args.All() {
		name := string(k)
		if !strings.HasPrefix(name, "alt-") {
			continue
		}
		if id, err := strconv.ParseInt(strings.TrimPrefix(name, "alt-"), 10, 64); err == nil && id > 0 {
			f := altField{ID: id, Alt: string(v)}
			if key := "was-" + strconv.FormatInt(id, 10); args.Has(key) {
				w := string(args.Peek(key))
				f.Was = &w
			}
			out = append(out, f)
		}
	}
	return out
}

// altField is one posted alt text, with (from the page without JavaScript)
// the text the page showed when it was loaded.
type altField struct {
	ID  int64
	Alt string
	Was *string
}

// saveAlt saves one item's alt text: a refusal (too long, not found) is in
// the answer's Error; skipSame leaves an unchanged text alone (changed false).
// A field posted with the text its page showed (f.Was, the whole page posted
// without JavaScript) is saved only if the merchant changed it, so the
// untouched fields of a page loaded earlier never overwrite what was saved
// since; if both changed, the merchant is told rather than the other lost.
func (h *Handlers) saveAlt(ctx context.Context, f altField, skipSame bool) (r altSaved, changed bool, err error) {
	id, value := f.ID, f.Alt
	r = altSaved{ID: id, Alt: value}
	if f.Was != nil && strings.TrimSpace(*f.Was) == strings.TrimSpace(value) {
		return r, false, nil
	}
	if skipSame || f.Was != nil {
		cur, ferr := h.Media.FindMediaByID(ctx, id)
		if ferr == nil && cur.Alt == strings.TrimSpace(value) {
			return r, false, nil
		}
		if ferr == nil && f.Was != nil && cur.Alt != strings.TrimSpace(*f.Was) {
			r.Error = "This alt text was changed elsewhere after this page was loaded; it is now: \"" + cur.Alt + "\". Check it and save again."
			r.Alt = cur.Alt
			return r, true, nil
		}
	}
	m, err := h.Media.UpdateMedia(ctx, id, data.MediaUpdate{Alt: &value})
	switch {
	case err == nil:
		r.Alt, r.Saved = m.Alt, true
	case web.StatusFor(data.ErrorCode(err)) < 500:
		r.Error = data.ErrorMessage(err)
	default:
		return r, false, err
	}
	return r, true, nil
}

// handleAltEditorForm saves alt text fields named alt-<id>, each through
// UpdateMedia (the API's validation path). library.js posts one field at a
// time as the merchant leaves it and reads JSON; without JavaScript the
// whole page posts at once ("Save alt text") and comes back with a toast, or
// with the fields that did not save and why.
func (h *Handlers) handleAltEditorForm(c *fiber.Ctx) error {
	var out []altSaved
	failed := false
	for _, f := range altFields(c) {
		r, changed, err := h.saveAlt(c.UserContext(), f, !wantsJSON(c))
		if err != nil {
			return err
		}
		if changed {
			out = append(out, r)
			failed = failed || r.Error != ""
		}
	}
	if wantsJSON(c) {
		status := fiber.StatusOK
		if failed {
			status = fiber.StatusUnprocessableEntity
		}
		return c.Status(status).JSON(altSaveAnswer{Items: out})
	}
	if failed {
		a, aerr := h.altEditor(c)
		if aerr != nil {
			return aerr
		}
		a.Values, a.Errors = map[int64]string{}, map[int64]string{}
		for _, r := range out {
			if r.Error == "" {
				continue
			}
			a.Values[r.ID], a.Errors[r.ID] = r.Alt, r.Error
			// One given alt text elsewhere meanwhile is no longer "missing":
			// list it anyway, so its message is seen.
			if !slices.ContainsFunc(a.Items, func(m *data.Media) bool { return m.ID == r.ID }) {
				if m, err := h.Media.FindMediaByID(c.UserContext(), r.ID); err == nil {
					a.Items = append(a.Items, m)
				}
			}
		}
		p := h.page(c, "Alt text", "library")
		return web.Render(c, fiber.StatusUnprocessableEntity, views.AltEditorPage(p, a))
	}
	msg := "No alt text changed."
	if len(out) > 0 {
		msg = "Saved the alt text of " + views.Plural(len(out), "image", "images") + "."
	}
	toast(c, web.Toast{Message: msg})
	a := &views.AltEditor{Missing: c.FormValue("missing_alt") == "true", Q: c.FormValue("q")}
	a.Return = returnTo(c, "/media")
	if !a.Missing {
		ids, err := bulkIDs(c)
		if err != nil {
			return err
		}
		for _, id := range ids {
			a.Items = append(a.Items, &data.Media{ID: id})
		}
	}
	return web.RedirectAfterPost(c, a.URL())
}
