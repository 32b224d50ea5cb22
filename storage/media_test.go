package storage

import (
	"bytes"
	"context"
	"os"
	"reflect"
	"slices"
	"testing"
	"time"

	"gallerist/data"
)

// usedFixture is a media item m used in every way there is: second in the
// gallery of product p (after a), the image of p's variant v, and the image
// of collection c. Beside them, p's variant blue shows a, and collection
// winter shows a: what happens to m must not touch them.
type usedFixture struct {
	a, m    *data.Media
	p       *data.Product
	img     *data.GalleryImage // m's gallery image
	v, blue *data.Variant
	c       *data.Collection
	winter  *data.Collection
}

func (e *testEnv) usedEverywhere(t testing.TB) usedFixture {
	t.Helper()
	var f usedFixture
	f.a = e.createMedia(t, e.ctx, "a.jpg", jpegA)
	f.m = e.createMedia(t, e.ctx, "front.jpg", jpegB)
	f.p = e.createProduct(t, e.ctx, "Mug")
	imgs := e.attach(t, e.ctx, f.p.ID, f.a.ID, f.m.ID)
	f.img = imgs[1]
	f.v = e.createVariant(t, e.ctx, f.p.ID, "Red", f.img.ID)
	f.blue = e.createVariant(t, e.ctx, f.p.ID, "Blue", imgs[0].ID)
	f.c = e.createCollection(t, e.ctx, "Summer", f.m.ID)
	f.winter = e.createCollection(t, e.ctx, "Winter", f.a.ID)
	return f
}

// wantBystandersUntouched checks the variant and collection showing a still do.
func (f usedFixture) wantBystandersUntouched(t testing.TB, e *testEnv) {
	t.Helper()
	blue, err := e.catalog.FindVariantByID(e.ctx, f.p.ID, f.blue.ID)
	if err != nil || blue.ImageID != f.blue.ImageID || blue.Media == nil || blue.Media.ID != f.a.ID {
		t.Fatalf("variant Blue %+v %v, want it showing a (image %d)", blue, err, f.blue.ImageID)
	}
	winter, err := e.catalog.FindCollectionByID(e.ctx, f.winter.ID)
	if err != nil || winter.MediaID != f.a.ID {
		t.Fatalf("collection Winter %+v %v, want it showing a", winter, err)
	}
}

func (e *testEnv) findMedia(t testing.TB, ctx context.Context, id int64) *data.Media {
	t.Helper()
	m, err := e.media.FindMediaByID(ctx, id)
	if err != nil {
		t.Fatalf("find media %d: %v", id, err)
	}
	return m
}

// totals are the library and trash totals FindMedia reports (kept by triggers).
func (e *testEnv) totals(t testing.TB, ctx context.Context) (live, trashed int) {
	t.Helper()
	_, l, err := e.media.FindMedia(ctx, data.MediaFilter{})
	if err != nil {
		t.Fatal(err)
	}
	_, tr, err := e.media.FindMedia(ctx, data.MediaFilter{Deleted: data.DeletedOnly})
	if err != nil {
		t.Fatal(err)
	}
	if !l.Exact || !tr.Exact {
		t.Fatalf("the library's totals are not exact: %+v %+v", l, tr)
	}
	return l.N, tr.N
}

func TestCreateMedia(t *testing.T) {
	t.Run("OK", func(t *testing.T) {
		e := newTestEnv(t)
		jpg := imageTestdata(t, jpegA)
		m := e.createMedia(t, e.ctx, "Front View.jpg", jpegA)
		if m.Kind != data.KindImage || m.MIMEType != "image/jpeg" || m.Filename != "Front View.jpg" || m.OriginalFilename != "Front View.jpg" ||
			m.Size != int64(len(jpg)) || m.SHA256 != shaOf(jpg) || m.Width != 150 || m.Height != 103 || m.OrgID != e.org.ID ||
			m.CreatedBy != "editor@example.com" || !m.CreatedAt.Equal(e.clock.Now()) || m.DeletedAt != nil || m.DuplicateOf != 0 {
			t.Fatalf("%+v", m)
		}
		b, err := os.ReadFile(e.blobPath(m.SHA256))
		if err != nil || string(b) != string(jpg) {
			t.Fatalf("blob: %d bytes, %v", len(b), err)
		}
		if left, _ := os.ReadDir(e.staging.Dir()); len(left) != 0 {
			t.Fatalf("staging folder not empty: %v", left)
		}
		if live, trashed := e.totals(t, e.ctx); live != 1 || trashed != 0 {
			t.Fatalf("totals %d live, %d trashed", live, trashed)
		}
	})
	t.Run("DuplicateSharesTheBlob", func(t *testing.T) {
		e := newTestEnv(t)
		first := e.createMedia(t, e.ctx, "a.jpg", jpegA)
		second := e.createMedia(t, e.ctx, "b.jpg", jpegA)
		if second.DuplicateOf != first.ID || second.SHA256 != first.SHA256 || second.ID == first.ID {
			t.Fatalf("first %+v\nsecond %+v", first, second)
		}
		if !exists(t, e.blobPath(first.SHA256)) {
			t.Fatal("blob missing")
		}
		if left, _ := os.ReadDir(e.staging.Dir()); len(left) != 0 {
			t.Fatalf("staging folder not empty: %v", left)
		}
	})
	t.Run("ReuseExisting", func(t *testing.T) {
		e := newTestEnv(t)
		first := e.createMedia(t, e.ctx, "a.jpg", jpegA)
		other, octx := e.otherOrg(t, "other")
		theirs := e.stage(t, octx, "a.jpg", imageTestdata(t, jpegA))
		new1 := e.stage(t, e.ctx, "new.png", imageTestdata(t, "video-001.png"))
		again := e.stage(t, e.ctx, "again.jpg", imageTestdata(t, jpegA))
		got, err := e.media.CreateMedia(e.ctx, data.MediaCreate{Files: []*data.Staged{new1, again}, ReuseExisting: true})
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 2 || got[0].DuplicateOf != 0 || got[1].ID != first.ID || got[1].DuplicateOf != first.ID || got[1].Filename != "a.jpg" {
			t.Fatalf("got %+v", got)
		}
		if n := e.count(t, `SELECT COUNT(*) FROM media WHERE org_id = ?`, e.org.ID); n != 2 {
			t.Fatalf("%d rows, want 2: the same bytes were added again", n)
		}
		if left, _ := os.ReadDir(e.staging.Dir()); len(left) != 1 { // theirs is still staged
			t.Fatalf("staging folder: %v, want only the other store's file", left)
		}
		// Another store's copy of the same bytes is not "already in the library".
		ms, err := e.media.CreateMedia(octx, data.MediaCreate{Files: []*data.Staged{theirs}, ReuseExisting: true})
		if err != nil || len(ms) != 1 || ms[0].DuplicateOf != 0 || ms[0].OrgID != other.ID {
			t.Fatalf("the other store's upload: %+v %v", ms, err)
		}
		// A trashed copy does not count either: the upload makes a new item.
		e.trash(t, e.ctx, first.ID, false)
		st := e.stage(t, e.ctx, "third.jpg", imageTestdata(t, jpegA))
		ms, err = e.media.CreateMedia(e.ctx, data.MediaCreate{Files: []*data.Staged{st}, ReuseExisting: true})
		if err != nil || ms[0].ID == first.ID || ms[0].DuplicateOf != 0 {
			t.Fatalf("after trashing the original: %+v %v", ms[0], err)
		}
	})
	t.Run("ErrEmptyFile", func(t *testing.T) {
		e := newTestEnv(t)
		st, err := e.media.Stage(e.ctx, bytes.NewReader(nil), "nothing.jpg")
		wantError(t, err, data.ECEmptyFile, "nothing.jpg is empty (0 bytes).")
		if st != nil {
			t.Fatalf("staged %+v", st)
		}
	})
	t.Run("ErrMissingFile", func(t *testing.T) {
		e := newTestEnv(t)
		_, err := e.media.CreateMedia(e.ctx, data.MediaCreate{})
		wantError(t, err, data.ECMissingFile, "Send at least one file.")
	})
	t.Run("ErrNoPrincipal", func(t *testing.T) {
		e := newTestEnv(t)
		st := e.stage(t, e.ctx, "a.jpg", imageTestdata(t, jpegA))
		if _, err := e.media.CreateMedia(context.Background(), data.MediaCreate{Files: []*data.Staged{st}}); err == nil {
			t.Fatal("created media without a principal")
		}
		if n := e.count(t, `SELECT COUNT(*) FROM media`); n != 0 {
			t.Fatalf("%d rows", n)
		}
	})
}

func TestTrashMedia(t *testing.T) {
	t.Run("OK", func(t *testing.T) {
		e := newTestEnv(t)
		m := e.createMedia(t, e.ctx, "a.jpg", jpegA)
		e.clock.Advance(time.Minute)
		e.trash(t, e.ctx, m.ID, false)
		got := e.findMedia(t, e.ctx, m.ID)
		if got.DeletedAt == nil || !got.DeletedAt.Equal(e.clock.Now()) {
			t.Fatalf("deleted_at %v, want %v", got.DeletedAt, e.clock.Now())
		}
		if live, trashed := e.totals(t, e.ctx); live != 0 || trashed != 1 {
			t.Fatalf("totals %d live, %d trashed", live, trashed)
		}
		list, _, err := e.media.FindMedia(e.ctx, data.MediaFilter{Deleted: data.DeletedOnly})
		if err != nil || len(list) != 1 || list[0].ID != m.ID {
			t.Fatalf("trash %v %v", list, err)
		}
		if !exists(t, e.blobPath(m.SHA256)) {
			t.Fatal("trashing removed the blob; it must stay until purged")
		}
	})
	t.Run("ErrInUse", func(t *testing.T) {
		e := newTestEnv(t)
		f := e.usedEverywhere(t)
		_, versionBefore := e.gallery(t, e.ctx, f.p.ID)
		err := e.media.TrashMedia(e.ctx, f.m.ID, false)
		de := wantError(t, err, data.ECInUse,
			"front.jpg is still used in 1 product, 1 variant and 1 collection. Remove it from there first, or delete with force=true to remove it everywhere.")
		want := []data.Usage{
			{Type: "variant", ID: f.v.ID, Title: "Mug / Red", Role: "variant_image", ProductID: f.p.ID, PictureID: f.a.ID},
			{Type: "product", ID: f.p.ID, Title: "Mug", Role: "gallery", Position: 2, PictureID: f.a.ID},
			{Type: "collection", ID: f.c.ID, Title: "Summer", Role: "collection_image", PictureID: f.m.ID},
		}
		if got := de.Details["used_by"]; !reflect.DeepEqual(got, want) {
			t.Fatalf("used_by\n got %+v\nwant %+v", got, want)
		}
		// Nothing changed.
		if got := e.findMedia(t, e.ctx, f.m.ID); got.DeletedAt != nil || got.UsageCount != 3 {
			t.Fatalf("after refusal: %+v", got)
		}
		if ids, v := e.gallery(t, e.ctx, f.p.ID); !slices.Equal(ids, []int64{f.a.ID, f.m.ID}) || v != versionBefore {
			t.Fatalf("gallery %v v%d", ids, v)
		}
		if n := e.count(t, `SELECT COUNT(*) FROM detachments`); n != 0 {
			t.Fatalf("%d detachments recorded by a refused delete", n)
		}
	})
	t.Run("ErrInUseCountsEachPlace", func(t *testing.T) {
		e := newTestEnv(t)
		m := e.createMedia(t, e.ctx, "m.jpg", jpegA)
		for _, title := range []string{"Mug", "Cup"} {
			e.attach(t, e.ctx, e.createProduct(t, e.ctx, title).ID, m.ID)
		}
		err := e.media.TrashMedia(e.ctx, m.ID, false)
		wantError(t, err, data.ECInUse, "m.jpg is still used in 2 products. Remove it from there first, or delete with force=true to remove it everywhere.")
	})
	t.Run("ForceDetachesEverywhere", func(t *testing.T) {
		e := newTestEnv(t)
		f := e.usedEverywhere(t)
		other := e.createProduct(t, e.ctx, "Cup")
		e.attach(t, e.ctx, other.ID, f.m.ID, f.a.ID) // m first here: a must move up to 1
		_, v1 := e.gallery(t, e.ctx, f.p.ID)
		_, v2 := e.gallery(t, e.ctx, other.ID)
		e.trash(t, e.ctx, f.m.ID, true)

		if got := e.findMedia(t, e.ctx, f.m.ID); got.DeletedAt == nil || got.UsageCount != 0 {
			t.Fatalf("after force: %+v", got)
		}
		if ids, v := e.gallery(t, e.ctx, f.p.ID); !slices.Equal(ids, []int64{f.a.ID}) || v <= v1 {
			t.Fatalf("gallery of %d: %v v%d (was v%d)", f.p.ID, ids, v, v1)
		}
		if ids, v := e.gallery(t, e.ctx, other.ID); !slices.Equal(ids, []int64{f.a.ID}) || v <= v2 {
			t.Fatalf("gallery of %d: %v v%d (was v%d)", other.ID, ids, v, v2)
		}
		v, err := e.catalog.FindVariantByID(e.ctx, f.p.ID, f.v.ID)
		if err != nil || v.ImageID != 0 || v.Media != nil {
			t.Fatalf("variant %+v %v", v, err)
		}
		c, err := e.catalog.FindCollectionByID(e.ctx, f.c.ID)
		if err != nil || c.MediaID != 0 || c.Media != nil {
			t.Fatalf("collection %+v %v", c, err)
		}
		used, err := e.media.Usage(e.ctx, f.m.ID)
		if err != nil || len(used) != 0 {
			t.Fatalf("usage %v %v", used, err)
		}
		// Where it was is recorded for restore: 2 galleries, 1 variant, 1 collection.
		if n := e.count(t, `SELECT COUNT(*) FROM detachments WHERE media_id = ?`, f.m.ID); n != 4 {
			t.Fatalf("%d detachments, want 4", n)
		}
		f.wantBystandersUntouched(t, e)
	})
	t.Run("ForceOnUnusedItem", func(t *testing.T) {
		e := newTestEnv(t)
		m := e.createMedia(t, e.ctx, "a.jpg", jpegA)
		e.trash(t, e.ctx, m.ID, true)
		if got := e.findMedia(t, e.ctx, m.ID); got.DeletedAt == nil {
			t.Fatal("not trashed")
		}
	})
	t.Run("ErrNotFound", func(t *testing.T) {
		e := newTestEnv(t)
		err := e.media.TrashMedia(e.ctx, 12345, false)
		wantError(t, err, data.ECNotFound, "Media item not found.")
	})
	t.Run("ErrAlreadyTrashed", func(t *testing.T) {
		e := newTestEnv(t)
		m := e.createMedia(t, e.ctx, "a.jpg", jpegA)
		e.trash(t, e.ctx, m.ID, false)
		deleted := e.findMedia(t, e.ctx, m.ID).DeletedAt
		e.clock.Advance(time.Hour)
		err := e.media.TrashMedia(e.ctx, m.ID, true)
		wantError(t, err, data.ECNotFound, "Media item not found (it is already in the trash).")
		if got := e.findMedia(t, e.ctx, m.ID).DeletedAt; !got.Equal(*deleted) {
			t.Fatalf("a second delete moved deleted_at from %v to %v (it would restart the grace period)", deleted, got)
		}
	})
	t.Run("OtherOrgIsNotFound", func(t *testing.T) {
		e := newTestEnv(t)
		_, theirCtx := e.otherOrg(t, "theirs")
		theirs := e.createMedia(t, theirCtx, "theirs.jpg", jpegA)
		missing := e.media.TrashMedia(e.ctx, theirs.ID+1000, false)
		for _, force := range []bool{false, true} {
			wantSameError(t, e.media.TrashMedia(e.ctx, theirs.ID, force), missing)
		}
		if got := e.findMedia(t, theirCtx, theirs.ID); got.DeletedAt != nil {
			t.Fatal("another organization trashed the item")
		}
	})
	t.Run("ErrNoPrincipal", func(t *testing.T) {
		e := newTestEnv(t)
		m := e.createMedia(t, e.ctx, "a.jpg", jpegA)
		if err := e.media.TrashMedia(context.Background(), m.ID, true); err == nil {
			t.Fatal("trashed without a principal")
		}
	})
}

func TestRestoreMedia(t *testing.T) {
	t.Run("OK", func(t *testing.T) {
		e := newTestEnv(t)
		m := e.createMedia(t, e.ctx, "a.jpg", jpegA)
		e.trash(t, e.ctx, m.ID, false)
		got, err := e.media.RestoreMedia(e.ctx, m.ID)
		if err != nil || got.ID != m.ID || got.DeletedAt != nil {
			t.Fatalf("%+v %v", got, err)
		}
		if live, trashed := e.totals(t, e.ctx); live != 1 || trashed != 0 {
			t.Fatalf("totals %d live, %d trashed", live, trashed)
		}
	})
	t.Run("PutsBackWhereForceTookIt", func(t *testing.T) {
		e := newTestEnv(t)
		f := e.usedEverywhere(t)
		first := e.createProduct(t, e.ctx, "Cup") // m first in this gallery, before a and b
		b := e.createMedia(t, e.ctx, "b.jpg", jpegC)
		e.attach(t, e.ctx, first.ID, f.m.ID, f.a.ID, b.ID)
		e.trash(t, e.ctx, f.m.ID, true)
		_, v := e.gallery(t, e.ctx, f.p.ID)
		got, err := e.media.RestoreMedia(e.ctx, f.m.ID)
		if err != nil || got.DeletedAt != nil || got.UsageCount != 4 {
			t.Fatalf("%+v %v", got, err)
		}
		ids, v2 := e.gallery(t, e.ctx, f.p.ID)
		if !slices.Equal(ids, []int64{f.a.ID, f.m.ID}) || v2 <= v {
			t.Fatalf("gallery %v v%d (was v%d)", ids, v2, v)
		}
		if ids, _ := e.gallery(t, e.ctx, first.ID); !slices.Equal(ids, []int64{f.m.ID, f.a.ID, b.ID}) {
			t.Fatalf("gallery of the product it led: %v", ids)
		}
		g, err := e.catalog.FindGallery(e.ctx, f.p.ID, data.GalleryFilter{Position: 2})
		if err != nil || len(g.Images) != 1 {
			t.Fatalf("%+v %v", g, err)
		}
		variant, err := e.catalog.FindVariantByID(e.ctx, f.p.ID, f.v.ID)
		if err != nil || variant.ImageID != g.Images[0].ID || variant.Media == nil || variant.Media.ID != f.m.ID {
			t.Fatalf("variant %+v %v, want image %d", variant, err, g.Images[0].ID)
		}
		c, err := e.catalog.FindCollectionByID(e.ctx, f.c.ID)
		if err != nil || c.MediaID != f.m.ID {
			t.Fatalf("collection %+v %v", c, err)
		}
		if n := e.count(t, `SELECT COUNT(*) FROM detachments`); n != 0 {
			t.Fatalf("%d detachments left after restore", n)
		}
		f.wantBystandersUntouched(t, e)
		// A second trash and restore starts from the new state, not the old records.
		e.trash(t, e.ctx, f.m.ID, true)
		if _, err := e.media.RestoreMedia(e.ctx, f.m.ID); err != nil {
			t.Fatal(err)
		}
		if ids, _ := e.gallery(t, e.ctx, f.p.ID); !slices.Equal(ids, []int64{f.a.ID, f.m.ID}) {
			t.Fatalf("gallery after the second restore %v", ids)
		}
	})
	t.Run("PositionClampedToTheGallery", func(t *testing.T) {
		e := newTestEnv(t)
		f := e.usedEverywhere(t)
		e.trash(t, e.ctx, f.m.ID, true)
		g, _ := e.catalog.FindGallery(e.ctx, f.p.ID, data.GalleryFilter{})
		if _, err := e.catalog.DetachImage(e.ctx, f.p.ID, g.Images[0].ID, 0); err != nil {
			t.Fatal(err)
		}
		if _, err := e.media.RestoreMedia(e.ctx, f.m.ID); err != nil {
			t.Fatal(err)
		}
		if ids, _ := e.gallery(t, e.ctx, f.p.ID); !slices.Equal(ids, []int64{f.m.ID}) {
			t.Fatalf("gallery %v", ids)
		}
	})
	t.Run("PlacesTakenMeanwhileStayTaken", func(t *testing.T) {
		e := newTestEnv(t)
		f := e.usedEverywhere(t)
		e.trash(t, e.ctx, f.m.ID, true)
		g, _ := e.catalog.FindGallery(e.ctx, f.p.ID, data.GalleryFilter{})
		if _, err := e.catalog.SetVariantImage(e.ctx, f.p.ID, f.v.ID, g.Images[0].ID); err != nil { // a's image
			t.Fatal(err)
		}
		if _, err := e.catalog.SetCollectionImage(e.ctx, f.c.ID, f.a.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := e.media.RestoreMedia(e.ctx, f.m.ID); err != nil {
			t.Fatal(err)
		}
		v, _ := e.catalog.FindVariantByID(e.ctx, f.p.ID, f.v.ID)
		c, _ := e.catalog.FindCollectionByID(e.ctx, f.c.ID)
		if v.ImageID != g.Images[0].ID || c.MediaID != f.a.ID {
			t.Fatalf("restore replaced what was chosen meanwhile: variant image %d, collection media %d", v.ImageID, c.MediaID)
		}
		if ids, _ := e.gallery(t, e.ctx, f.p.ID); !slices.Equal(ids, []int64{f.a.ID, f.m.ID}) {
			t.Fatalf("gallery %v", ids)
		}
	})
	t.Run("FullGalleryIsLeftAlone", func(t *testing.T) {
		limits := data.DefaultLimits()
		limits.MaxGalleryImages = 2
		e := newTestEnvLimits(t, limits)
		f := e.usedEverywhere(t)
		e.trash(t, e.ctx, f.m.ID, true)
		b := e.createMedia(t, e.ctx, "b.jpg", jpegC)
		e.attach(t, e.ctx, f.p.ID, b.ID)
		got, err := e.media.RestoreMedia(e.ctx, f.m.ID)
		if err != nil || got.DeletedAt != nil {
			t.Fatalf("%+v %v", got, err)
		}
		if ids, _ := e.gallery(t, e.ctx, f.p.ID); !slices.Equal(ids, []int64{f.a.ID, b.ID}) {
			t.Fatalf("gallery over its limit: %v", ids)
		}
		if v, _ := e.catalog.FindVariantByID(e.ctx, f.p.ID, f.v.ID); v.ImageID != 0 {
			t.Fatalf("variant shows image %d, which is not in the gallery", v.ImageID)
		}
		if c, _ := e.catalog.FindCollectionByID(e.ctx, f.c.ID); c.MediaID != f.m.ID {
			t.Fatalf("collection %d", c.MediaID)
		}
	})
	t.Run("DeletedProductIsSkipped", func(t *testing.T) {
		e := newTestEnv(t)
		f := e.usedEverywhere(t)
		e.trash(t, e.ctx, f.m.ID, true)
		if err := e.catalog.DeleteProduct(e.ctx, f.p.ID); err != nil {
			t.Fatal(err)
		}
		got, err := e.media.RestoreMedia(e.ctx, f.m.ID)
		if err != nil || got.UsageCount != 1 { // the collection only
			t.Fatalf("%+v %v", got, err)
		}
	})
	t.Run("ErrNotTrashed", func(t *testing.T) {
		e := newTestEnv(t)
		m := e.createMedia(t, e.ctx, "a.jpg", jpegA)
		_, err := e.media.RestoreMedia(e.ctx, m.ID)
		wantError(t, err, data.ECNotTrashed, "a.jpg is not in the trash.")
	})
	t.Run("ErrNotFound", func(t *testing.T) {
		e := newTestEnv(t)
		_, err := e.media.RestoreMedia(e.ctx, 12345)
		wantError(t, err, data.ECNotFound, "Media item not found.")
	})
	t.Run("OtherOrgIsNotFound", func(t *testing.T) {
		e := newTestEnv(t)
		_, theirCtx := e.otherOrg(t, "theirs")
		theirs := e.createMedia(t, theirCtx, "theirs.jpg", jpegA)
		e.trash(t, theirCtx, theirs.ID, false)
		_, err := e.media.RestoreMedia(e.ctx, theirs.ID)
		_, missing := e.media.RestoreMedia(e.ctx, theirs.ID+1000)
		wantSameError(t, err, missing)
		if got := e.findMedia(t, theirCtx, theirs.ID); got.DeletedAt == nil {
			t.Fatal("another organization restored the item")
		}
	})
}

func TestPurgeMedia(t *testing.T) {
	t.Run("OK", func(t *testing.T) {
		e := newTestEnv(t)
		m := e.createMedia(t, e.ctx, "a.jpg", jpegA)
		e.trash(t, e.ctx, m.ID, false)
		if err := e.media.PurgeMedia(e.ctx, m.ID); err != nil {
			t.Fatal(err)
		}
		_, err := e.media.FindMediaByID(e.ctx, m.ID)
		wantError(t, err, data.ECNotFound, "Media item not found.")
		if exists(t, e.blobPath(m.SHA256)) {
			t.Fatal("the blob of the only row with those bytes is still there")
		}
		if n := e.count(t, `SELECT COUNT(*) FROM rendition_jobs WHERE sha256 = ?`, m.SHA256); n != 0 {
			t.Fatalf("%d rendition jobs left for a purged original", n)
		}
		if live, trashed := e.totals(t, e.ctx); live != 0 || trashed != 0 {
			t.Fatalf("totals %d live, %d trashed", live, trashed)
		}
	})
	t.Run("ErrNotTrashed", func(t *testing.T) {
		e := newTestEnv(t)
		m := e.createMedia(t, e.ctx, "a.jpg", jpegA)
		err := e.media.PurgeMedia(e.ctx, m.ID)
		wantError(t, err, data.ECNotTrashed, "a.jpg is not in the trash; delete it first, then purge it.")
		if e.findMedia(t, e.ctx, m.ID) == nil || !exists(t, e.blobPath(m.SHA256)) {
			t.Fatal("a refused purge removed something")
		}
	})
	t.Run("SharedBlobStays", func(t *testing.T) {
		e := newTestEnv(t)
		_, theirCtx := e.otherOrg(t, "theirs")
		a := e.createMedia(t, e.ctx, "a.jpg", jpegA)
		b := e.createMedia(t, e.ctx, "b.jpg", jpegA)         // same bytes, same org
		c := e.createMedia(t, theirCtx, "theirs.jpg", jpegA) // same bytes, another org
		d := e.createMedia(t, e.ctx, "d.jpg", jpegB)         // other bytes
		for _, id := range []int64{a.ID, b.ID, d.ID} {
			e.trash(t, e.ctx, id, false)
		}
		for _, id := range []int64{a.ID, b.ID} {
			if err := e.media.PurgeMedia(e.ctx, id); err != nil {
				t.Fatal(err)
			}
			if !exists(t, e.blobPath(a.SHA256)) {
				t.Fatalf("after purging %d: the blob went while another organization's live row needs it", id)
			}
		}
		if err := e.media.PurgeMedia(e.ctx, d.ID); err != nil {
			t.Fatal(err)
		}
		if exists(t, e.blobPath(d.SHA256)) {
			t.Fatal("unshared blob still there")
		}
		// The other organization's copy still opens.
		_, blob, err := e.media.OpenOriginal(theirCtx, c.ID)
		if err != nil {
			t.Fatal(err)
		}
		blob.Close()
		// The last row goes: so does the blob.
		e.trash(t, theirCtx, c.ID, false)
		if err := e.media.PurgeMedia(theirCtx, c.ID); err != nil {
			t.Fatal(err)
		}
		if exists(t, e.blobPath(a.SHA256)) {
			t.Fatal("the blob outlived every row")
		}
	})
	t.Run("TrashedTwinKeepsTheBlob", func(t *testing.T) {
		e := newTestEnv(t)
		a := e.createMedia(t, e.ctx, "a.jpg", jpegA)
		b := e.createMedia(t, e.ctx, "b.jpg", jpegA)
		e.trash(t, e.ctx, a.ID, false)
		e.trash(t, e.ctx, b.ID, false)
		if err := e.media.PurgeMedia(e.ctx, a.ID); err != nil {
			t.Fatal(err)
		}
		if !exists(t, e.blobPath(a.SHA256)) {
			t.Fatal("purging one row removed the blob a trashed (restorable) twin needs")
		}
		if _, err := e.media.RestoreMedia(e.ctx, b.ID); err != nil {
			t.Fatal(err)
		}
		_, blob, err := e.media.OpenOriginal(e.ctx, b.ID)
		if err != nil {
			t.Fatal(err)
		}
		blob.Close()
	})
	t.Run("Renditions", func(t *testing.T) {
		e := newTestEnv(t)
		r := NewRenderer(e.db, e.blobs, 0, 0)
		_, theirCtx := e.otherOrg(t, "theirs")
		a := e.createMedia(t, e.ctx, "a.jpg", jpegA)
		twin := e.createMedia(t, theirCtx, "twin.jpg", jpegA)
		for _, slot := range []int{50, 100} {
			_, blob, err := r.OpenRendition(e.ctx, a.SHA256, slot, "jpg")
			if err != nil {
				t.Fatalf("rendition %d: %v", slot, err)
			}
			blob.Close()
		}
		if n := e.count(t, `SELECT COUNT(*) FROM renditions WHERE sha256 = ?`, a.SHA256); n != 2 {
			t.Fatalf("%d rendition rows", n)
		}
		rendition := e.renditionDir(a.SHA256)
		if !exists(t, rendition) {
			t.Fatal("no rendition files")
		}
		e.trash(t, e.ctx, a.ID, false)
		if err := e.media.PurgeMedia(e.ctx, a.ID); err != nil {
			t.Fatal(err)
		}
		if n := e.count(t, `SELECT COUNT(*) FROM renditions WHERE sha256 = ?`, a.SHA256); n != 2 || !exists(t, rendition) {
			t.Fatalf("renditions the twin still needs went: %d rows, files %v", n, exists(t, rendition))
		}
		e.trash(t, theirCtx, twin.ID, false)
		if err := e.media.PurgeMedia(theirCtx, twin.ID); err != nil {
			t.Fatal(err)
		}
		if n := e.count(t, `SELECT COUNT(*) FROM renditions WHERE sha256 = ?`, a.SHA256); n != 0 || exists(t, rendition) {
			t.Fatalf("renditions outlived their original: %d rows, files %v", n, exists(t, rendition))
		}
	})
	t.Run("DetachmentsGo", func(t *testing.T) {
		e := newTestEnv(t)
		f := e.usedEverywhere(t)
		e.trash(t, e.ctx, f.m.ID, true)
		if err := e.media.PurgeMedia(e.ctx, f.m.ID); err != nil {
			t.Fatal(err)
		}
		if n := e.count(t, `SELECT COUNT(*) FROM detachments`); n != 0 {
			t.Fatalf("%d detachments of a purged item", n)
		}
	})
	t.Run("ErrNotFound", func(t *testing.T) {
		e := newTestEnv(t)
		err := e.media.PurgeMedia(e.ctx, 12345)
		wantError(t, err, data.ECNotFound, "Media item not found.")
	})
	t.Run("OtherOrgIsNotFound", func(t *testing.T) {
		e := newTestEnv(t)
		_, theirCtx := e.otherOrg(t, "theirs")
		theirs := e.createMedia(t, theirCtx, "theirs.jpg", jpegA)
		e.trash(t, theirCtx, theirs.ID, false)
		wantSameError(t, e.media.PurgeMedia(e.ctx, theirs.ID), e.media.PurgeMedia(e.ctx, theirs.ID+1000))
		if e.findMedia(t, theirCtx, theirs.ID) == nil || !exists(t, e.blobPath(theirs.SHA256)) {
			t.Fatal("another organization purged the item")
		}
	})
	t.Run("InterruptedPurgeKeepsTheFile", func(t *testing.T) {
		// Durability rule: files are deleted only after the transaction that
		// forgets them commits, so an interruption leaves orphans, never rows
		// without files. Here the caller's context ends while the purge runs
		// (a client hanging up, ^C on `gallerist gc`), just after the blob
		// store deleted the file.
		e := newTestEnv(t)
		m := e.createMedia(t, e.ctx, "a.jpg", jpegA)
		e.trash(t, e.ctx, m.ID, false)
		ctx, cancel := context.WithCancel(e.ctx)
		defer cancel()
		interrupted := NewMediaService(e.db, cancelOnDelete{LocalBlobs: e.blobs, cancel: cancel}, e.staging, data.DefaultLimits())
		err := interrupted.PurgeMedia(ctx, m.ID)
		_, rowErr := e.media.FindMediaByID(e.ctx, m.ID)
		rowKept, fileKept := rowErr == nil, exists(t, e.blobPath(m.SHA256))
		if rowKept && !fileKept {
			t.Fatalf("the purge failed (%v), the row stayed, its file is gone: files must go only after the commit", err)
		}
		if err == nil && rowKept {
			t.Fatal("the purge reported success but the row is still there")
		}
	})
}

// cancelOnDelete is the real blob store, with the caller's context ending
// right after a blob is deleted.
type cancelOnDelete struct {
	*LocalBlobs
	cancel context.CancelFunc
}

func (c cancelOnDelete) Delete(ctx context.Context, key string) error {
	err := c.LocalBlobs.Delete(ctx, key)
	c.cancel()
	return err
}

func TestUsage(t *testing.T) {
	t.Run("OK", func(t *testing.T) {
		e := newTestEnv(t)
		f := e.usedEverywhere(t)
		used, err := e.media.Usage(e.ctx, f.m.ID)
		if err != nil || len(used) != 3 {
			t.Fatalf("%+v %v", used, err)
		}
		used, err = e.media.Usage(e.ctx, f.a.ID)
		want := []data.Usage{
			{Type: "variant", ID: f.blue.ID, Title: "Mug / Blue", Role: "variant_image", ProductID: f.p.ID, PictureID: f.a.ID},
			{Type: "product", ID: f.p.ID, Title: "Mug", Role: "gallery", Position: 1, PictureID: f.a.ID},
			{Type: "collection", ID: f.winter.ID, Title: "Winter", Role: "collection_image", PictureID: f.a.ID},
		}
		if err != nil || !reflect.DeepEqual(used, want) {
			t.Fatalf("%+v %v\nwant %+v", used, err, want)
		}
		if m := e.findMedia(t, e.ctx, f.a.ID); m.UsageCount != 3 {
			t.Fatalf("usage count %d", m.UsageCount)
		}
	})
	t.Run("OtherOrgIsNotFound", func(t *testing.T) {
		e := newTestEnv(t)
		_, theirCtx := e.otherOrg(t, "theirs")
		theirs := e.createMedia(t, theirCtx, "theirs.jpg", jpegA)
		_, err := e.media.Usage(e.ctx, theirs.ID)
		_, missing := e.media.Usage(e.ctx, theirs.ID+1000)
		wantSameError(t, err, missing)
	})
}

// TestIDsAreNeverReused checks the durability rule that ids are never reused:
// an API client holding the id of a purged item must never reach another item
// through it.
func TestIDsAreNeverReused(t *testing.T) {
	t.Run("Media", func(t *testing.T) {
		e := newTestEnv(t)
		e.createMedia(t, e.ctx, "a.jpg", jpegA)
		last := e.createMedia(t, e.ctx, "b.jpg", jpegB)
		e.trash(t, e.ctx, last.ID, false)
		if err := e.media.PurgeMedia(e.ctx, last.ID); err != nil {
			t.Fatal(err)
		}
		next := e.createMedia(t, e.ctx, "c.jpg", jpegC)
		if next.ID <= last.ID {
			t.Fatalf("media ids are reused: the purged item %d's id went to a new item %d (tables use INTEGER PRIMARY KEY without AUTOINCREMENT)", last.ID, next.ID)
		}
	})
	t.Run("Products", func(t *testing.T) {
		e := newTestEnv(t)
		e.createProduct(t, e.ctx, "Mug")
		last := e.createProduct(t, e.ctx, "Cup")
		if err := e.catalog.DeleteProduct(e.ctx, last.ID); err != nil {
			t.Fatal(err)
		}
		next := e.createProduct(t, e.ctx, "Bowl")
		if next.ID <= last.ID {
			t.Fatalf("product ids are reused: deleted product %d's id went to new product %d (no AUTOINCREMENT)", last.ID, next.ID)
		}
	})
}
