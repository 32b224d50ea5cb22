package storage

import (
	"slices"
	"testing"

	"gallerist/data"
)

func mediaIDs(items []*data.Media) []int64 {
	out := []int64{}
	for _, m := range items {
		out = append(out, m.ID)
	}
	return out
}

func TestFindMediaByIDs(t *testing.T) {
	t.Run("OK", func(t *testing.T) {
		e := newTestEnv(t)
		a := e.createMedia(t, e.ctx, "a.jpg", jpegA)
		b := e.createMedia(t, e.ctx, "b.jpg", jpegB)
		c := e.createMedia(t, e.ctx, "c.jpg", jpegC)
		got, err := e.media.FindMediaByIDs(e.ctx, []int64{c.ID, a.ID, 999, c.ID, b.ID})
		if err != nil {
			t.Fatal(err)
		}
		if ids := mediaIDs(got); !slices.Equal(ids, []int64{c.ID, a.ID, b.ID}) {
			t.Fatalf("got %v, want the given order without the unknown id and the repeat", ids)
		}
	})
	t.Run("OtherOrganizationLeftOut", func(t *testing.T) {
		e := newTestEnv(t)
		_, theirCtx := e.otherOrg(t, "rival")
		theirs := e.createMedia(t, theirCtx, "theirs.jpg", jpegA)
		mine := e.createMedia(t, e.ctx, "mine.jpg", jpegB)
		got, err := e.media.FindMediaByIDs(e.ctx, []int64{theirs.ID, mine.ID})
		if err != nil || !slices.Equal(mediaIDs(got), []int64{mine.ID}) {
			t.Fatalf("got %v %v", mediaIDs(got), err)
		}
	})
	t.Run("ErrNoIDs", func(t *testing.T) {
		e := newTestEnv(t)
		_, err := e.media.FindMediaByIDs(e.ctx, nil)
		wantError(t, err, data.ECInvalidField, "Select at least one item first.")
	})
	t.Run("ErrTooMany", func(t *testing.T) {
		e := newTestEnv(t)
		_, err := e.media.FindMediaByIDs(e.ctx, make([]int64, MaxBulkItems+1))
		wantError(t, err, data.ECInvalidField, "501 items are selected; one action takes at most 500.")
	})
}

func TestTrashMediaBulk(t *testing.T) {
	t.Run("OK", func(t *testing.T) {
		e := newTestEnv(t)
		a := e.createMedia(t, e.ctx, "a.jpg", jpegA)
		b := e.createMedia(t, e.ctx, "b.jpg", jpegB)
		got, err := e.media.TrashMediaBulk(e.ctx, []int64{b.ID, a.ID}, false)
		if err != nil || !slices.Equal(mediaIDs(got), []int64{b.ID, a.ID}) {
			t.Fatalf("trashed %v %v", mediaIDs(got), err)
		}
		if live, trashed := e.totals(t, e.ctx); live != 0 || trashed != 2 {
			t.Fatalf("totals %d live, %d trashed", live, trashed)
		}
	})
	t.Run("SkipsTrashed", func(t *testing.T) {
		e := newTestEnv(t)
		a := e.createMedia(t, e.ctx, "a.jpg", jpegA)
		b := e.createMedia(t, e.ctx, "b.jpg", jpegB)
		e.trash(t, e.ctx, a.ID, false)
		got, err := e.media.TrashMediaBulk(e.ctx, []int64{a.ID, b.ID}, false)
		if err != nil || !slices.Equal(mediaIDs(got), []int64{b.ID}) {
			t.Fatalf("trashed %v %v", mediaIDs(got), err)
		}
	})
	t.Run("ErrInUseChangesNothing", func(t *testing.T) {
		e := newTestEnv(t)
		f := e.usedEverywhere(t)
		spare := e.createMedia(t, e.ctx, "spare.jpg", jpegC)
		_, err := e.media.TrashMediaBulk(e.ctx, []int64{spare.ID, f.m.ID, f.a.ID}, false)
		de := wantError(t, err, data.ECInUse, "front.jpg and a.jpg are still in use; delete with force to remove them everywhere.")
		usedBy, ok := de.Details["used_by"].(map[int64][]data.Usage)
		if !ok || len(usedBy) != 2 || len(usedBy[f.m.ID]) != 3 || len(usedBy[f.a.ID]) != 3 || usedBy[spare.ID] != nil {
			t.Fatalf("used_by %+v", de.Details["used_by"])
		}
		if live, trashed := e.totals(t, e.ctx); live != 3 || trashed != 0 {
			t.Fatalf("a refused bulk delete trashed something: %d live, %d trashed", live, trashed)
		}
		if n := e.count(t, `SELECT COUNT(*) FROM detachments`); n != 0 {
			t.Fatalf("%d detachments recorded by a refused delete", n)
		}
	})
	t.Run("ErrInUseNamesThreeAndMore", func(t *testing.T) {
		e := newTestEnv(t)
		p := e.createProduct(t, e.ctx, "Mug")
		var ids []int64
		for i, file := range []string{jpegA, jpegB, jpegC, pngA} {
			ids = append(ids, e.createMedia(t, e.ctx, string(rune('a'+i))+".jpg", file).ID)
		}
		e.attach(t, e.ctx, p.ID, ids...)
		_, err := e.media.TrashMediaBulk(e.ctx, ids, false)
		wantError(t, err, data.ECInUse, "a.jpg, b.jpg and 2 more are still in use; delete with force to remove them everywhere.")
	})
}

// A forced bulk delete and a bulk restore put every item back in every
// place, at its old position, whatever order the restore names them in.
func TestBulkDeleteRestoreEverywhere(t *testing.T) {
	e := newTestEnv(t)
	var ids []int64
	for i, file := range []string{jpegA, jpegB, jpegC, pngA, pngB} {
		ids = append(ids, e.createMedia(t, e.ctx, string(rune('a'+i))+".jpg", file).ID)
	}
	p := e.createProduct(t, e.ctx, "Mug")
	imgs := e.attach(t, e.ctx, p.ID, ids...)
	other := e.createProduct(t, e.ctx, "Cup")
	e.attach(t, e.ctx, other.ID, ids[3], ids[1])
	v := e.createVariant(t, e.ctx, p.ID, "Red", imgs[3].ID)
	col := e.createCollection(t, e.ctx, "Summer", ids[1])

	gone := []int64{ids[1], ids[3], ids[4]}
	trashed, err := e.media.TrashMediaBulk(e.ctx, gone, true)
	if err != nil || len(trashed) != 3 {
		t.Fatalf("trashed %v %v", mediaIDs(trashed), err)
	}
	if got, _ := e.gallery(t, e.ctx, p.ID); !slices.Equal(got, []int64{ids[0], ids[2]}) {
		t.Fatalf("gallery after the delete: %v", got)
	}
	if got, _ := e.gallery(t, e.ctx, other.ID); len(got) != 0 {
		t.Fatalf("second gallery after the delete: %v", got)
	}

	restored, err := e.media.RestoreMediaBulk(e.ctx, gone) // the order of the delete, not its reverse
	if err != nil || len(restored) != 3 {
		t.Fatalf("restored %v %v", mediaIDs(restored), err)
	}
	if got, _ := e.gallery(t, e.ctx, p.ID); !slices.Equal(got, ids) {
		t.Fatalf("gallery after the restore: %v, want %v", got, ids)
	}
	if got, _ := e.gallery(t, e.ctx, other.ID); !slices.Equal(got, []int64{ids[3], ids[1]}) {
		t.Fatalf("second gallery after the restore: %v", got)
	}
	if got, err := e.catalog.FindVariantByID(e.ctx, p.ID, v.ID); err != nil || got.Media == nil || got.Media.ID != ids[3] {
		t.Fatalf("variant after the restore: %+v %v", got, err)
	}
	if got, err := e.catalog.FindCollectionByID(e.ctx, col.ID); err != nil || got.MediaID != ids[1] {
		t.Fatalf("collection after the restore: %+v %v", got, err)
	}
	if n := e.count(t, `SELECT COUNT(*) FROM detachments`); n != 0 {
		t.Fatalf("%d detachments left after the restore", n)
	}

	// Undo twice (a second click) restores nothing more and fails nothing.
	again, err := e.media.RestoreMediaBulk(e.ctx, gone)
	if err != nil || len(again) != 0 {
		t.Fatalf("second restore %v %v", mediaIDs(again), err)
	}
}

func TestPurgeMediaBulk(t *testing.T) {
	t.Run("OK", func(t *testing.T) {
		e := newTestEnv(t)
		a := e.createMedia(t, e.ctx, "a.jpg", jpegA)
		b := e.createMedia(t, e.ctx, "b.jpg", jpegB)
		e.trash(t, e.ctx, a.ID, false)
		e.trash(t, e.ctx, b.ID, false)
		got, err := e.media.PurgeMediaBulk(e.ctx, []int64{a.ID, b.ID})
		if err != nil || !slices.Equal(mediaIDs(got), []int64{a.ID, b.ID}) {
			t.Fatalf("purged %v %v", mediaIDs(got), err)
		}
		for _, m := range []*data.Media{a, b} {
			if _, err := e.media.FindMediaByID(e.ctx, m.ID); data.ErrorCode(err) != data.ECNotFound {
				t.Fatalf("%s after purge: %v", m.Filename, err)
			}
			if exists(t, e.blobPath(m.SHA256)) {
				t.Fatalf("the blob of %s is still there", m.Filename)
			}
		}
	})
	t.Run("LiveItemsAreNeverPurged", func(t *testing.T) {
		e := newTestEnv(t)
		live := e.createMedia(t, e.ctx, "live.jpg", jpegA)
		gone := e.createMedia(t, e.ctx, "gone.jpg", jpegB)
		e.trash(t, e.ctx, gone.ID, false)
		got, err := e.media.PurgeMediaBulk(e.ctx, []int64{live.ID, gone.ID})
		if err != nil || !slices.Equal(mediaIDs(got), []int64{gone.ID}) {
			t.Fatalf("purged %v %v", mediaIDs(got), err)
		}
		if m := e.findMedia(t, e.ctx, live.ID); m.DeletedAt != nil || !exists(t, e.blobPath(m.SHA256)) {
			t.Fatalf("the live item was touched: %+v", m)
		}
	})
}

func TestUsageOf(t *testing.T) {
	e := newTestEnv(t)
	f := e.usedEverywhere(t)
	spare := e.createMedia(t, e.ctx, "spare.jpg", jpegC)
	got, err := e.media.UsageOf(e.ctx, []int64{f.m.ID, spare.ID})
	if err != nil || len(got) != 1 || len(got[f.m.ID]) != 3 {
		t.Fatalf("usage %+v %v", got, err)
	}
}
