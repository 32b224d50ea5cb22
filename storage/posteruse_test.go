package storage

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"gallerist/data"
)

// TestPosterUse: an image chosen as a live document's or video's poster is
// in use like a gallery image: it counts, the used filter sees it, a delete
// without force is refused naming the place, a forced delete makes the
// document show its own still, and restoring makes it the poster again,
// unless the document has another poster now or is gone.
func TestPosterUse(t *testing.T) {
	e := newTestEnv(t)
	ctx := e.ctx
	p := e.createMedia(t, ctx, "cover.jpg", jpegA)
	q := e.createMedia(t, ctx, "other.jpg", jpegB)
	newDoc := func(t *testing.T, name string) *data.Media {
		t.Helper()
		ms, err := e.media.CreateMedia(ctx, data.MediaCreate{Files: []*data.Staged{e.stage(t, ctx, name, []byte("%PDF-1.4\n% "+name+"\n%%EOF\n"))}})
		if err != nil {
			t.Fatal(err)
		}
		return ms[0]
	}
	setPoster := func(t *testing.T, doc, poster int64) {
		t.Helper()
		if _, err := e.media.UpdateMedia(ctx, doc, data.MediaUpdate{PosterID: &poster}); err != nil {
			t.Fatalf("poster of %d: %v", doc, err)
		}
	}
	posterOf := func(t *testing.T, doc int64) int64 {
		t.Helper()
		return e.findMedia(t, ctx, doc).PosterID
	}
	usedIDs := func(t *testing.T, used bool) []int64 {
		t.Helper()
		ms, _, err := e.media.FindMedia(ctx, data.MediaFilter{Kind: data.KindImage, Used: &used, Sort: "id"})
		if err != nil {
			t.Fatal(err)
		}
		var ids []int64
		for _, m := range ms {
			ids = append(ids, m.ID)
		}
		return ids
	}
	doc := newDoc(t, "manual.pdf")
	setPoster(t, doc.ID, p.ID)

	used, err := e.media.Usage(ctx, p.ID)
	want := []data.Usage{{Type: "document", ID: doc.ID, Title: "manual.pdf", Role: "poster"}}
	if err != nil || !reflect.DeepEqual(used, want) {
		t.Fatalf("usage %+v %v, want %+v", used, err, want)
	}
	if n := e.findMedia(t, ctx, p.ID).UsageCount; n != 1 {
		t.Fatalf("usage count %d, want 1", n)
	}
	if got := usedIDs(t, true); !reflect.DeepEqual(got, []int64{p.ID}) {
		t.Fatalf("used images %v, want [%d]", got, p.ID)
	}
	if got := usedIDs(t, false); !reflect.DeepEqual(got, []int64{q.ID}) {
		t.Fatalf("unused images %v, want [%d]", got, q.ID)
	}

	t.Run("delete without force is refused", func(t *testing.T) {
		err := e.media.TrashMedia(ctx, p.ID, false)
		var de *data.Error
		if !errors.As(err, &de) || de.Code != data.ECInUse || !strings.Contains(de.Message, "cover.jpg is still used in 1 document") {
			t.Fatalf("trash: %v", err)
		}
		if _, err := e.media.TrashMediaBulk(ctx, []int64{q.ID, p.ID}, false); !errors.As(err, &de) || de.Code != data.ECInUse {
			t.Fatalf("bulk trash: %v", err)
		}
		if e.findMedia(t, ctx, p.ID).DeletedAt != nil || e.findMedia(t, ctx, q.ID).DeletedAt != nil || posterOf(t, doc.ID) != p.ID {
			t.Fatal("a refused delete changed something")
		}
	})

	t.Run("a trashed document does not use it", func(t *testing.T) {
		e.trash(t, ctx, doc.ID, false)
		if used, err := e.media.Usage(ctx, p.ID); err != nil || len(used) != 0 {
			t.Fatalf("usage with the document in the trash: %+v %v", used, err)
		}
		if got := usedIDs(t, false); !reflect.DeepEqual(got, []int64{p.ID, q.ID}) {
			t.Fatalf("unused images %v", got)
		}
		if _, err := e.media.RestoreMedia(ctx, doc.ID); err != nil {
			t.Fatal(err)
		}
		if n := e.findMedia(t, ctx, p.ID).UsageCount; n != 1 {
			t.Fatalf("usage count after the document's restore %d", n)
		}
	})

	t.Run("forced delete and restore", func(t *testing.T) {
		e.trash(t, ctx, p.ID, true)
		if got := posterOf(t, doc.ID); got != 0 {
			t.Fatalf("poster after a forced delete of it: %d, want none", got)
		}
		m, err := e.media.RestoreMedia(ctx, p.ID)
		if err != nil || len(m.NotRestored) != 0 {
			t.Fatalf("restore: %+v %v", m, err)
		}
		if got := posterOf(t, doc.ID); got != p.ID {
			t.Fatalf("poster after restore: %d, want %d", got, p.ID)
		}
	})

	t.Run("restore finds another poster", func(t *testing.T) {
		e.trash(t, ctx, p.ID, true)
		setPoster(t, doc.ID, q.ID)
		m, err := e.media.RestoreMedia(ctx, p.ID)
		want := []data.Unrestored{{Usage: data.Usage{Type: "document", ID: doc.ID, Title: "manual.pdf", Role: "poster"}, Reason: data.UnrestoredTaken}}
		if err != nil || !reflect.DeepEqual(m.NotRestored, want) {
			t.Fatalf("restore: %+v %v, want %+v", m.NotRestored, err, want)
		}
		if got := posterOf(t, doc.ID); got != q.ID {
			t.Fatalf("poster %d, want the new one %d", got, q.ID)
		}
		// The event says so in the API's words.
		evs, err := NewEventService(e.db).FindEvents(ctx, data.EventFilter{Types: []string{data.EventMediaRestored}, Limit: 100})
		if err != nil || len(evs) == 0 {
			t.Fatalf("restored events: %v", err)
		}
		wantEv := fmt.Sprintf(`{"filename":"cover.jpg","not_restored":[{"id":%d,"reason":"taken","role":"poster","title":"manual.pdf","type":"document"}]}`, doc.ID)
		if got := string(evs[len(evs)-1].Payload); got != wantEv {
			t.Fatalf("media.restored payload %s, want %s", got, wantEv)
		}
	})

	t.Run("purging the poster says so", func(t *testing.T) {
		// The document in the trash: the image is used nowhere, goes to the
		// trash and is purged; the document, restored, lost its poster, and
		// an event says it.
		img := e.createMedia(t, ctx, "gone.jpg", jpegC)
		doc3 := newDoc(t, "flyer.pdf")
		setPoster(t, doc3.ID, img.ID)
		e.trash(t, ctx, doc3.ID, false)
		e.trash(t, ctx, img.ID, false)
		if _, err := e.media.RestoreMedia(ctx, doc3.ID); err != nil {
			t.Fatal(err)
		}
		if err := e.media.PurgeMedia(ctx, img.ID); err != nil {
			t.Fatal(err)
		}
		if got := posterOf(t, doc3.ID); got != 0 {
			t.Fatalf("poster after its purge: %d", got)
		}
		evs, err := NewEventService(e.db).FindEvents(ctx, data.EventFilter{Limit: 100})
		if err != nil || len(evs) < 2 {
			t.Fatalf("events: %v", err)
		}
		upd, purged := evs[len(evs)-2], evs[len(evs)-1]
		if upd.Type != data.EventMediaUpdated || upd.SubjectID != doc3.ID || string(upd.Payload) != `{"poster_filename":"gone.jpg","poster_id":null,"poster_purged":true}` ||
			purged.Type != data.EventMediaPurged || purged.SubjectID != img.ID {
			t.Fatalf("events %s %d %s, then %s %d", upd.Type, upd.SubjectID, upd.Payload, purged.Type, purged.SubjectID)
		}
	})

	t.Run("bulk: forced delete, a document gone, restore", func(t *testing.T) {
		doc2 := newDoc(t, "spec.pdf")
		setPoster(t, doc2.ID, q.ID)
		if used, _ := e.media.Usage(ctx, q.ID); len(used) != 2 || data.DescribeUsage(used) != "2 documents" {
			t.Fatalf("usage %+v (%q)", used, data.DescribeUsage(used))
		}
		if _, err := e.media.TrashMediaBulk(ctx, []int64{q.ID}, true); err != nil {
			t.Fatal(err)
		}
		if posterOf(t, doc.ID) != 0 || posterOf(t, doc2.ID) != 0 {
			t.Fatal("a bulk forced delete left the posters set")
		}
		e.trash(t, ctx, doc2.ID, false)
		if err := e.media.PurgeMedia(ctx, doc2.ID); err != nil {
			t.Fatal(err)
		}
		ms, err := e.media.RestoreMediaBulk(ctx, []int64{q.ID})
		if err != nil || len(ms) != 1 {
			t.Fatalf("restore: %v", err)
		}
		if len(ms[0].NotRestored) != 0 { // the purged document is no place
			t.Fatalf("not restored %+v", ms[0].NotRestored)
		}
		if got := posterOf(t, doc.ID); got != q.ID {
			t.Fatalf("poster of the document still there: %d, want %d", got, q.ID)
		}
	})
}
