package storage

import (
	"context"
	"fmt"
	"reflect"
	"slices"
	"testing"

	"gallerist/data"
)

// galleryFixture is a fresh database whose galleries hold at most 5 images,
// with six images m[0..5] in the library and product p's gallery holding
// m0, m2, m3, m1 (m2 and m3 with alt text "Front").
type galleryFixture struct {
	e *testEnv
	m []int64
	p *data.Product
}

func newGalleryFixture(t testing.TB) galleryFixture {
	t.Helper()
	limits := data.DefaultLimits()
	limits.MaxGalleryImages = 5
	e := newTestEnvLimits(t, limits)
	f := galleryFixture{e: e}
	files := []string{jpegA, jpegB, jpegC, pngA, pngB, jpegA}
	for i, file := range files {
		f.m = append(f.m, e.createMedia(t, e.ctx, fmt.Sprintf("p%d.jpg", i), file).ID)
	}
	f.p = e.createProduct(t, e.ctx, "Mug")
	e.attach(t, e.ctx, f.p.ID, f.m[0], f.m[1])
	alt := "Front"
	if _, err := e.catalog.AttachMedia(e.ctx, f.p.ID, data.GalleryAttach{MediaIDs: []int64{f.m[2], f.m[3]}, Position: 2, Alt: &alt}); err != nil {
		t.Fatal(err)
	}
	return f
}

// images returns the gallery's image ids in position order.
func (f galleryFixture) images(t testing.TB) ([]int64, int64) {
	t.Helper()
	g, err := f.e.catalog.FindGallery(f.e.ctx, f.p.ID, data.GalleryFilter{})
	if err != nil {
		t.Fatal(err)
	}
	var ids []int64
	for _, gi := range g.Images {
		ids = append(ids, gi.ID)
	}
	return ids, g.Version
}

func (f galleryFixture) wantOrder(t testing.TB, want ...int64) int64 {
	t.Helper()
	got, version := f.e.gallery(t, f.e.ctx, f.p.ID)
	if !slices.Equal(got, want) {
		t.Fatalf("gallery %v, want %v", got, want)
	}
	return version
}

func TestAttachMedia(t *testing.T) {
	t.Run("OK", func(t *testing.T) {
		e := newTestEnv(t)
		a := e.createMedia(t, e.ctx, "a.jpg", jpegA)
		b := e.createMedia(t, e.ctx, "b.jpg", jpegB)
		p := e.createProduct(t, e.ctx, "Mug")
		v0 := p.GalleryVersion
		imgs := e.attach(t, e.ctx, p.ID, a.ID, b.ID)
		if len(imgs) != 2 || imgs[0].Position != 1 || imgs[1].Position != 2 || imgs[0].MediaID != a.ID || imgs[0].GalleryVersion <= v0 {
			t.Fatalf("%+v", imgs)
		}
		if got, v := e.gallery(t, e.ctx, p.ID); !slices.Equal(got, []int64{a.ID, b.ID}) || v != imgs[0].GalleryVersion {
			t.Fatalf("gallery %v v%d", got, v)
		}
	})
	t.Run("AtPositionWithAlt", func(t *testing.T) {
		f := newGalleryFixture(t)
		f.wantOrder(t, f.m[0], f.m[2], f.m[3], f.m[1])
		for _, id := range []int64{f.m[2], f.m[3]} {
			if m := f.e.findMedia(t, f.e.ctx, id); m.Alt != "Front" {
				t.Fatalf("alt of %d: %q", id, m.Alt)
			}
		}
		if m := f.e.findMedia(t, f.e.ctx, f.m[0]); m.Alt != "" {
			t.Fatalf("alt of an item attached without alt: %q", m.Alt)
		}
	})
	t.Run("ErrConflict", func(t *testing.T) {
		f := newGalleryFixture(t)
		ids, version := f.images(t)
		_, err := f.e.catalog.AttachMedia(f.e.ctx, f.p.ID, data.GalleryAttach{MediaIDs: []int64{f.m[4], f.m[0]}})
		de := wantError(t, err, data.ECConflict, fmt.Sprintf("p0.jpg is already in this product's gallery (at image %d); a gallery holds each item once.", ids[0]))
		if de.Details["image_id"] != ids[0] || de.Details["field"] != "media_id" {
			t.Fatalf("details %v", de.Details)
		}
		if v := f.wantOrder(t, f.m[0], f.m[2], f.m[3], f.m[1]); v != version { // all or nothing
			t.Fatalf("version %d, was %d", v, version)
		}
	})
	t.Run("ErrGalleryFull", func(t *testing.T) {
		f := newGalleryFixture(t)
		_, err := f.e.catalog.AttachMedia(f.e.ctx, f.p.ID, data.GalleryAttach{MediaIDs: []int64{f.m[4], f.m[5]}})
		de := wantError(t, err, data.ECGalleryFull, "This product's gallery has 4 images and holds at most 5; remove some before adding more.")
		if de.Details["max_images"] != 5 {
			t.Fatalf("details %v", de.Details)
		}
		f.wantOrder(t, f.m[0], f.m[2], f.m[3], f.m[1])
		f.e.attach(t, f.e.ctx, f.p.ID, f.m[4]) // exactly full is fine
	})
	t.Run("ErrNamedTwice", func(t *testing.T) {
		f := newGalleryFixture(t)
		_, err := f.e.catalog.AttachMedia(f.e.ctx, f.p.ID, data.GalleryAttach{MediaIDs: []int64{f.m[4], f.m[4]}})
		wantError(t, err, data.ECInvalidField, fmt.Sprintf("Media item %d is named twice; a gallery holds each item once.", f.m[4]))
	})
	t.Run("ErrPosition", func(t *testing.T) {
		f := newGalleryFixture(t)
		for _, pos := range []int{-1, 6} {
			_, err := f.e.catalog.AttachMedia(f.e.ctx, f.p.ID, data.GalleryAttach{MediaIDs: []int64{f.m[4]}, Position: pos})
			wantError(t, err, data.ECInvalidField, "Position must be from 1 to 5 (the end of the gallery).")
		}
	})
	t.Run("ErrTrashed", func(t *testing.T) {
		f := newGalleryFixture(t)
		f.e.trash(t, f.e.ctx, f.m[4], false)
		_, err := f.e.catalog.AttachMedia(f.e.ctx, f.p.ID, data.GalleryAttach{MediaIDs: []int64{f.m[4]}})
		wantError(t, err, data.ECInvalidField, "p4.jpg is in the trash; restore it before using it.")
	})
	t.Run("OtherOrgMediaIsNotFound", func(t *testing.T) {
		f := newGalleryFixture(t)
		_, theirCtx := f.e.otherOrg(t, "theirs")
		theirs := f.e.createMedia(t, theirCtx, "theirs.jpg", jpegA)
		_, err := f.e.catalog.AttachMedia(f.e.ctx, f.p.ID, data.GalleryAttach{MediaIDs: []int64{theirs.ID}})
		de := wantError(t, err, data.ECNotFound, fmt.Sprintf("Media item %d not found.", theirs.ID))
		_, missing := f.e.catalog.AttachMedia(f.e.ctx, f.p.ID, data.GalleryAttach{MediaIDs: []int64{theirs.ID + 1000}})
		if dm := wantError(t, missing, data.ECNotFound, fmt.Sprintf("Media item %d not found.", theirs.ID+1000)); !reflect.DeepEqual(de.Details, dm.Details) {
			t.Fatalf("details %v, a missing item's %v", de.Details, dm.Details)
		}
	})
	t.Run("OtherOrgProductIsNotFound", func(t *testing.T) {
		f := newGalleryFixture(t)
		_, theirCtx := f.e.otherOrg(t, "theirs")
		mine := f.e.createMedia(t, theirCtx, "x.jpg", jpegA)
		_, err := f.e.catalog.AttachMedia(theirCtx, f.p.ID, data.GalleryAttach{MediaIDs: []int64{mine.ID}})
		_, missing := f.e.catalog.AttachMedia(theirCtx, f.p.ID+1000, data.GalleryAttach{MediaIDs: []int64{mine.ID}})
		wantSameError(t, err, missing)
		wantError(t, err, data.ECNotFound, "Product not found.")
		_, err = f.e.catalog.FindGallery(theirCtx, f.p.ID, data.GalleryFilter{})
		wantError(t, err, data.ECNotFound, "Product not found.")
	})
}

func TestFindProducts(t *testing.T) {
	t.Run("Counts", func(t *testing.T) {
		f := newGalleryFixture(t)
		ps, total, err := f.e.catalog.FindProducts(f.e.ctx, data.ProductFilter{})
		if err != nil || total != 1 || len(ps) != 1 {
			t.Fatalf("%v %d %v", ps, total, err)
		}
		if p := ps[0]; p.ImageCount != 4 || p.AltCount != 2 || p.VariantCount != 0 || p.Featured == nil || p.Featured.ID != f.m[0] {
			t.Fatalf("%+v", p)
		}
	})
	t.Run("OtherOrgSeesNothing", func(t *testing.T) {
		f := newGalleryFixture(t)
		_, theirCtx := f.e.otherOrg(t, "theirs")
		ps, total, err := f.e.catalog.FindProducts(theirCtx, data.ProductFilter{})
		if err != nil || total != 0 || len(ps) != 0 {
			t.Fatalf("%v %d %v", ps, total, err)
		}
		_, err = f.e.catalog.FindProductByID(theirCtx, f.p.ID)
		wantError(t, err, data.ECNotFound, "Product not found.")
	})
	t.Run("ErrNoPrincipal", func(t *testing.T) {
		f := newGalleryFixture(t)
		if _, _, err := f.e.catalog.FindProducts(context.Background(), data.ProductFilter{}); err == nil {
			t.Fatal("a context without a principal listed products")
		}
		// A principal without an organization is no principal.
		ctx := data.WithPrincipal(context.Background(), data.Principal{Actor: "nobody"})
		if _, _, err := f.e.catalog.FindProducts(ctx, data.ProductFilter{}); err == nil {
			t.Fatal("a principal without an organization listed products")
		}
	})
}

func TestCreateProduct(t *testing.T) {
	t.Run("HandleFromTitle", func(t *testing.T) {
		e := newTestEnv(t)
		a := e.createProduct(t, e.ctx, "Red Mug, 12 oz")
		b := e.createProduct(t, e.ctx, "Red Mug, 12 oz")
		if a.Handle != "red-mug-12-oz" || b.Handle != "red-mug-12-oz-2" || a.Status != data.StatusDraft {
			t.Fatalf("%q %q %q", a.Handle, b.Handle, a.Status)
		}
	})
	t.Run("ErrHandleTaken", func(t *testing.T) {
		e := newTestEnv(t)
		e.createProduct(t, e.ctx, "Mug")
		_, err := e.catalog.CreateProduct(e.ctx, data.ProductCreate{Title: "Other", Handle: "mug"})
		wantError(t, err, data.ECConflict, `Another product already has the handle "mug"; choose another.`)
		// Handles are unique per organization only.
		_, theirCtx := e.otherOrg(t, "theirs")
		if _, err := e.catalog.CreateProduct(theirCtx, data.ProductCreate{Title: "Mug", Handle: "mug"}); err != nil {
			t.Fatal(err)
		}
	})
}

func TestReorderGallery(t *testing.T) {
	t.Run("OK", func(t *testing.T) {
		f := newGalleryFixture(t)
		g, version := f.images(t)
		ids := []int64{g[3], g[2], g[1], g[0]}
		v, n, err := f.e.catalog.ReorderGallery(f.e.ctx, f.p.ID, ids, version)
		if err != nil || n != 4 || v != version+1 {
			t.Fatalf("%d %d %v", v, n, err)
		}
		if got := f.wantOrder(t, f.m[1], f.m[3], f.m[2], f.m[0]); got != v {
			t.Fatalf("version %d, reorder said %d", got, v)
		}
		// The same order again moves nothing and keeps the version.
		v2, n, err := f.e.catalog.ReorderGallery(f.e.ctx, f.p.ID, ids, v)
		if err != nil || n != 0 || v2 != v {
			t.Fatalf("%d %d %v", v2, n, err)
		}
	})
	t.Run("ErrPreconditionFailed", func(t *testing.T) {
		f := newGalleryFixture(t)
		g, version := f.images(t)
		if _, _, err := f.e.catalog.ReorderGallery(f.e.ctx, f.p.ID, []int64{g[1], g[0], g[2], g[3]}, version); err != nil {
			t.Fatal(err)
		}
		_, _, err := f.e.catalog.ReorderGallery(f.e.ctx, f.p.ID, []int64{g[3], g[2], g[1], g[0]}, version)
		de := wantError(t, err, data.ECPreconditionFailed,
			"This gallery changed since it was loaded (someone else, or another tab, changed it). Reload it and try again.")
		if de.Details["gallery_version"] != version+1 {
			t.Fatalf("details %v", de.Details)
		}
		f.wantOrder(t, f.m[2], f.m[0], f.m[3], f.m[1])
	})
	t.Run("ErrNotAPermutation", func(t *testing.T) {
		f := newGalleryFixture(t)
		g, version := f.images(t)
		_, _, err := f.e.catalog.ReorderGallery(f.e.ctx, f.p.ID, g[:3], 0)
		de := wantError(t, err, data.ECInvalidField,
			"Give every image of the gallery exactly once (4 images; got 3 ids, 0 unknown, 0 repeated, 1 missing). Nothing was changed.")
		if !reflect.DeepEqual(de.Details["missing_ids"], []int64{g[3]}) {
			t.Fatalf("details %v", de.Details)
		}
		_, _, err = f.e.catalog.ReorderGallery(f.e.ctx, f.p.ID, []int64{g[0], g[0], g[1], g[2], 999}, 0)
		wantError(t, err, data.ECInvalidField,
			"Give every image of the gallery exactly once (4 images; got 5 ids, 1 unknown, 1 repeated, 1 missing). Nothing was changed.")
		if v := f.wantOrder(t, f.m[0], f.m[2], f.m[3], f.m[1]); v != version {
			t.Fatalf("version moved to %d from %d", v, version)
		}
	})
}

func TestUpdateGalleryImage(t *testing.T) {
	t.Run("Move", func(t *testing.T) {
		f := newGalleryFixture(t)
		g, _ := f.images(t)
		to := 4
		gi, err := f.e.catalog.UpdateGalleryImage(f.e.ctx, f.p.ID, g[0], data.GalleryImageUpdate{Position: &to})
		if err != nil || gi.Position != 4 || gi.MediaID != f.m[0] {
			t.Fatalf("%+v %v", gi, err)
		}
		f.wantOrder(t, f.m[2], f.m[3], f.m[1], f.m[0])
		to = 1
		if _, err := f.e.catalog.UpdateGalleryImage(f.e.ctx, f.p.ID, g[0], data.GalleryImageUpdate{Position: &to}); err != nil {
			t.Fatal(err)
		}
		f.wantOrder(t, f.m[0], f.m[2], f.m[3], f.m[1])
	})
	t.Run("ErrPosition", func(t *testing.T) {
		f := newGalleryFixture(t)
		g, _ := f.images(t)
		to := 5
		_, err := f.e.catalog.UpdateGalleryImage(f.e.ctx, f.p.ID, g[0], data.GalleryImageUpdate{Position: &to})
		wantError(t, err, data.ECInvalidField, "Position must be from 1 to 4.")
	})
	t.Run("ErrEmptyUpdate", func(t *testing.T) {
		f := newGalleryFixture(t)
		g, _ := f.images(t)
		_, err := f.e.catalog.UpdateGalleryImage(f.e.ctx, f.p.ID, g[0], data.GalleryImageUpdate{})
		wantError(t, err, data.ECEmptyUpdate, "Send at least one of position or alt.")
	})
}

func TestDetachImage(t *testing.T) {
	t.Run("OK", func(t *testing.T) {
		f := newGalleryFixture(t)
		g, version := f.images(t)
		v, err := f.e.catalog.DetachImage(f.e.ctx, f.p.ID, g[1], version) // m2
		if err != nil || v <= version {
			t.Fatalf("%d %v", v, err)
		}
		if got := f.wantOrder(t, f.m[0], f.m[3], f.m[1]); got != v {
			t.Fatalf("version %d, detach said %d", got, v)
		}
		if m := f.e.findMedia(t, f.e.ctx, f.m[2]); m.DeletedAt != nil {
			t.Fatal("detaching trashed the item")
		}
	})
	t.Run("VariantLosesItsImage", func(t *testing.T) {
		f := newGalleryFixture(t)
		g, _ := f.images(t)
		v := f.e.createVariant(t, f.e.ctx, f.p.ID, "Red", g[1])
		if _, err := f.e.catalog.DetachImage(f.e.ctx, f.p.ID, g[1], 0); err != nil {
			t.Fatal(err)
		}
		if got, err := f.e.catalog.FindVariantByID(f.e.ctx, f.p.ID, v.ID); err != nil || got.ImageID != 0 {
			t.Fatalf("%+v %v", got, err)
		}
	})
	t.Run("ErrPreconditionFailed", func(t *testing.T) {
		f := newGalleryFixture(t)
		g, version := f.images(t)
		_, err := f.e.catalog.DetachImage(f.e.ctx, f.p.ID, g[1], version-1)
		wantError(t, err, data.ECPreconditionFailed,
			"This gallery changed since it was loaded (someone else, or another tab, changed it). Reload it and try again.")
		f.wantOrder(t, f.m[0], f.m[2], f.m[3], f.m[1])
	})
	t.Run("ErrNotFound", func(t *testing.T) {
		f := newGalleryFixture(t)
		other := f.e.createProduct(t, f.e.ctx, "Cup")
		g, _ := f.images(t)
		for _, args := range [][2]int64{{f.p.ID, 9999}, {other.ID, g[0]}} { // no such image; another product's image
			_, err := f.e.catalog.DetachImage(f.e.ctx, args[0], args[1], 0)
			wantError(t, err, data.ECNotFound, "Gallery image not found.")
		}
		f.wantOrder(t, f.m[0], f.m[2], f.m[3], f.m[1])
	})
}

func TestGalleryImageIDsAreNeverReused(t *testing.T) {
	// A client holding a detached image's id must not reach (and so
	// detach or move) another image through it.
	f := newGalleryFixture(t)
	g, _ := f.images(t)
	last := slices.Max(g)
	if _, err := f.e.catalog.DetachImage(f.e.ctx, f.p.ID, last, 0); err != nil {
		t.Fatal(err)
	}
	imgs := f.e.attach(t, f.e.ctx, f.p.ID, f.m[4])
	if imgs[0].ID <= last {
		t.Fatalf("gallery image ids are reused: detached image %d's id went to the newly attached image %d (no AUTOINCREMENT)", last, imgs[0].ID)
	}
}
