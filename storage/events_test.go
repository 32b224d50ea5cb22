package storage

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"

	"gallerist/data"
)

// eventsSince lists the default organization's events after id as
// "type subject:id" lines, and the last id.
func (e *testEnv) eventsSince(t testing.TB, since int64) ([]string, int64) {
	t.Helper()
	evs, err := NewEventService(e.db).FindEvents(e.ctx, data.EventFilter{SinceID: since, Limit: data.MaxPage})
	if err != nil {
		t.Fatal(err)
	}
	out := []string{}
	for _, ev := range evs {
		out = append(out, fmt.Sprintf("%s %s:%d", ev.Type, ev.SubjectType, ev.SubjectID))
		since = ev.ID
	}
	return out, since
}

// TestEventsEveryChange makes every kind of change the services offer and
// checks each wrote exactly its events, in the order of the changes.
func TestEventsEveryChange(t *testing.T) {
	e := newTestEnv(t)
	ctx := e.ctx
	var last int64
	step := func(t *testing.T, want ...string) {
		t.Helper()
		got, l := e.eventsSince(t, last)
		last = l
		if !slices.Equal(got, want) {
			t.Fatalf("events = %q, want %q", got, want)
		}
	}
	a := e.createMedia(t, ctx, "a.jpg", jpegA)
	b := e.createMedia(t, ctx, "b.jpg", jpegB)
	step(t, fmt.Sprintf("media.created media:%d", a.ID), fmt.Sprintf("media.created media:%d", b.ID))

	// A duplicate offered instead of a new item changes nothing.
	st := e.stage(t, ctx, "again.jpg", imageTestdata(t, jpegA))
	if _, err := e.media.CreateMedia(ctx, data.MediaCreate{Files: []*data.Staged{st}, ReuseExisting: true}); err != nil {
		t.Fatal(err)
	}
	step(t)

	alt := "A red mug"
	if _, err := e.media.UpdateMedia(ctx, a.ID, data.MediaUpdate{Alt: &alt}); err != nil {
		t.Fatal(err)
	}
	step(t, fmt.Sprintf("media.updated media:%d", a.ID))
	evs, _ := NewEventService(e.db).FindEvents(ctx, data.EventFilter{SinceID: last - 1})
	var payload map[string]any
	if err := json.Unmarshal(evs[0].Payload, &payload); err != nil || payload["alt"] != alt || len(payload) != 1 || evs[0].Actor != "editor@example.com" {
		t.Fatalf("update event: actor %q payload %s (%v)", evs[0].Actor, evs[0].Payload, err)
	}

	if _, err := e.media.UpdateMedia(ctx, a.ID, data.MediaUpdate{SetFocal: true, Focal: &data.FocalPoint{X: 0.25, Y: 0.75}}); err != nil {
		t.Fatal(err)
	}
	step(t, fmt.Sprintf("media.updated media:%d", a.ID))
	if evs, _ := NewEventService(e.db).FindEvents(ctx, data.EventFilter{SinceID: last - 1}); string(evs[0].Payload) != `{"focal":{"x":0.25,"y":0.75}}` {
		t.Fatalf("focal event payload %s", evs[0].Payload)
	}

	// Choosing a document's poster is a change of the document.
	doc, err := e.media.CreateMedia(ctx, data.MediaCreate{Files: []*data.Staged{e.stage(t, ctx, "manual.pdf", []byte("%PDF-1.4\n%%EOF\n"))}})
	if err != nil {
		t.Fatal(err)
	}
	step(t, fmt.Sprintf("media.created media:%d", doc[0].ID))
	if _, err := e.media.UpdateMedia(ctx, doc[0].ID, data.MediaUpdate{PosterID: &a.ID}); err != nil {
		t.Fatal(err)
	}
	step(t, fmt.Sprintf("media.updated media:%d", doc[0].ID))
	if evs, _ := NewEventService(e.db).FindEvents(ctx, data.EventFilter{SinceID: last - 1}); string(evs[0].Payload) != fmt.Sprintf(`{"poster_filename":"a.jpg","poster_id":%d}`, a.ID) {
		t.Fatalf("poster event payload %s", evs[0].Payload)
	}

	p := e.createProduct(t, ctx, "Mug")
	step(t, fmt.Sprintf("product.created product:%d", p.ID))
	title := "Red mug"
	if _, err := e.catalog.UpdateProduct(ctx, p.ID, data.ProductUpdate{Title: &title}); err != nil {
		t.Fatal(err)
	}
	step(t, fmt.Sprintf("product.updated product:%d", p.ID))

	imgs := e.attach(t, ctx, p.ID, a.ID, b.ID)
	step(t, fmt.Sprintf("gallery.changed product:%d", p.ID))
	evs, _ = NewEventService(e.db).FindEvents(ctx, data.EventFilter{SinceID: last - 1})
	if want := fmt.Sprintf(`"media_ids":[%d,%d]`, a.ID, b.ID); !json.Valid(evs[0].Payload) || !containsJSON(evs[0].Payload, want) {
		t.Fatalf("gallery event payload %s, want %s", evs[0].Payload, want)
	}
	_, version := e.gallery(t, ctx, p.ID)
	if _, _, err := e.catalog.ReorderGallery(ctx, p.ID, []int64{imgs[1].ID, imgs[0].ID}, version); err != nil {
		t.Fatal(err)
	}
	step(t, fmt.Sprintf("gallery.changed product:%d", p.ID))
	// Alt text set through a gallery image is the item's change.
	galleryAlt := "Mug, front"
	if _, err := e.catalog.UpdateGalleryImage(ctx, p.ID, imgs[0].ID, data.GalleryImageUpdate{Alt: &galleryAlt}); err != nil {
		t.Fatal(err)
	}
	step(t, fmt.Sprintf("media.updated media:%d", a.ID))

	v := e.createVariant(t, ctx, p.ID, "Large", imgs[0].ID)
	step(t, fmt.Sprintf("product.updated product:%d", p.ID), fmt.Sprintf("product.updated product:%d", p.ID))
	large := "Large mug"
	if _, err := e.catalog.UpdateVariant(ctx, p.ID, v.ID, data.VariantUpdate{Title: &large}); err != nil {
		t.Fatal(err)
	}
	step(t, fmt.Sprintf("product.updated product:%d", p.ID))
	if err := e.catalog.DeleteVariant(ctx, p.ID, v.ID); err != nil {
		t.Fatal(err)
	}
	step(t, fmt.Sprintf("product.updated product:%d", p.ID))

	// A forced delete detaches: the document it is the poster of loses its
	// poster, the gallery changes, then the item is trashed; restoring puts
	// it back in both.
	e.trash(t, ctx, a.ID, true)
	step(t, fmt.Sprintf("media.updated media:%d", doc[0].ID), fmt.Sprintf("gallery.changed product:%d", p.ID), fmt.Sprintf("media.trashed media:%d", a.ID))
	if evs, _ := NewEventService(e.db).FindEvents(ctx, data.EventFilter{SinceID: last - 3}); string(evs[0].Payload) != `{"poster_filename":"a.jpg","poster_id":null,"poster_trashed":true}` {
		t.Fatalf("poster cleared: event payload %s", evs[0].Payload)
	}
	if _, err := e.media.RestoreMedia(ctx, a.ID); err != nil {
		t.Fatal(err)
	}
	step(t, fmt.Sprintf("gallery.changed product:%d", p.ID), fmt.Sprintf("media.updated media:%d", doc[0].ID), fmt.Sprintf("media.restored media:%d", a.ID))
	if evs, _ := NewEventService(e.db).FindEvents(ctx, data.EventFilter{SinceID: last - 3}); string(evs[1].Payload) != fmt.Sprintf(`{"poster_filename":"a.jpg","poster_id":%d,"poster_restored":true}`, a.ID) {
		t.Fatalf("poster put back: event payload %s", evs[1].Payload)
	}

	rs := e.stage(t, ctx, "c.jpg", imageTestdata(t, jpegC))
	if _, err := e.media.ReplaceMedia(ctx, b.ID, data.MediaReplace{File: rs}); err != nil {
		t.Fatal(err)
	}
	step(t, fmt.Sprintf("media.replaced media:%d", b.ID))
	vs, _, err := e.media.FindMediaVersions(ctx, b.ID, 10, 0)
	if err != nil || len(vs) != 1 {
		t.Fatalf("versions: %v %v", vs, err)
	}
	if _, err := e.media.RestoreMediaVersion(ctx, b.ID, vs[0].ID); err != nil {
		t.Fatal(err)
	}
	step(t, fmt.Sprintf("media.replaced media:%d", b.ID))

	// Bulk operations write one event per item.
	c := e.createMedia(t, ctx, "c.png", pngA)
	step(t, fmt.Sprintf("media.created media:%d", c.ID))
	if _, err := e.media.TrashMediaBulk(ctx, []int64{b.ID, c.ID}, true); err != nil {
		t.Fatal(err)
	}
	step(t, fmt.Sprintf("gallery.changed product:%d", p.ID), fmt.Sprintf("media.trashed media:%d", b.ID), fmt.Sprintf("media.trashed media:%d", c.ID))
	if _, err := e.media.RestoreMediaBulk(ctx, []int64{c.ID}); err != nil {
		t.Fatal(err)
	}
	step(t, fmt.Sprintf("media.restored media:%d", c.ID))
	if _, err := e.media.PurgeMediaBulk(ctx, []int64{b.ID}); err != nil {
		t.Fatal(err)
	}
	step(t, fmt.Sprintf("media.purged media:%d", b.ID))
	e.trash(t, ctx, c.ID, false)
	if err := e.media.PurgeMedia(ctx, c.ID); err != nil {
		t.Fatal(err)
	}
	step(t, fmt.Sprintf("media.trashed media:%d", c.ID), fmt.Sprintf("media.purged media:%d", c.ID))

	g, err := e.catalog.FindGallery(ctx, p.ID, data.GalleryFilter{})
	if err != nil || len(g.Images) == 0 {
		t.Fatalf("gallery: %v", err)
	}
	if _, err := e.catalog.DetachImage(ctx, p.ID, g.Images[0].ID, 0); err != nil {
		t.Fatal(err)
	}
	step(t, fmt.Sprintf("gallery.changed product:%d", p.ID))

	if err := e.catalog.DeleteProduct(ctx, p.ID); err != nil {
		t.Fatal(err)
	}
	step(t, fmt.Sprintf("product.deleted product:%d", p.ID))

	// GC purges in the background, as "system", in the item's organization.
	e.trash(t, ctx, a.ID, true) // it is the document's poster again
	step(t, fmt.Sprintf("media.updated media:%d", doc[0].ID), fmt.Sprintf("media.trashed media:%d", a.ID))
	if _, err := e.media.CollectGarbage(context.Background(), false, 0); err != nil {
		t.Fatal(err)
	}
	step(t, fmt.Sprintf("media.purged media:%d", a.ID))
	if evs, _ := NewEventService(e.db).FindEvents(ctx, data.EventFilter{SinceID: last - 1}); evs[0].Actor != "system" {
		t.Fatalf("GC purge actor = %q, want system", evs[0].Actor)
	}

	// A refused change writes nothing.
	if err := e.media.TrashMedia(ctx, a.ID+1000, false); err == nil {
		t.Fatal("trash of a missing item succeeded")
	}
	step(t)
}

func containsJSON(raw json.RawMessage, part string) bool {
	return json.Valid(raw) && strings.Contains(string(raw), part)
}

// TestEventsRollBack checks the outbox and the change commit together: a
// change that fails after its event was written leaves no event, and an
// event that cannot be written fails the change.
func TestEventsRollBack(t *testing.T) {
	e := newTestEnv(t)
	a := e.createMedia(t, e.ctx, "a.jpg", jpegA)
	_, last := e.eventsSince(t, 0)

	t.Run("ChangeFailsAfterEvent", func(t *testing.T) {
		// insertMedia releases its lease after recording media.created.
		if err := e.db.ExecForTest(`CREATE TRIGGER fail_release BEFORE DELETE ON blob_leases BEGIN SELECT RAISE(ABORT, 'injected'); END`); err != nil {
			t.Fatal(err)
		}
		defer e.db.ExecForTest(`DROP TRIGGER fail_release`)
		st := e.stage(t, e.ctx, "b.jpg", imageTestdata(t, jpegB))
		if _, err := e.media.CreateMedia(e.ctx, data.MediaCreate{Files: []*data.Staged{st}}); err == nil {
			t.Fatal("create succeeded")
		}
		if got, _ := e.eventsSince(t, last); len(got) != 0 {
			t.Fatalf("events after a failed create: %q", got)
		}
		if n := e.count(t, `SELECT COUNT(*) FROM media`); n != 1 {
			t.Fatalf("%d media rows, want 1", n)
		}
	})
	t.Run("EventFails", func(t *testing.T) {
		if err := e.db.ExecForTest(`CREATE TRIGGER fail_event BEFORE INSERT ON events BEGIN SELECT RAISE(ABORT, 'injected'); END`); err != nil {
			t.Fatal(err)
		}
		defer e.db.ExecForTest(`DROP TRIGGER fail_event`)
		alt := "never stored"
		if _, err := e.media.UpdateMedia(e.ctx, a.ID, data.MediaUpdate{Alt: &alt}); err == nil {
			t.Fatal("update succeeded without its event")
		}
		m, err := e.media.FindMediaByID(e.ctx, a.ID)
		if err != nil || m.Alt != "" {
			t.Fatalf("alt = %q (%v), want unchanged", m.Alt, err)
		}
	})
}

// TestEventsTenancy checks one organization never sees another's events, in
// the feed or by subject.
func TestEventsTenancy(t *testing.T) {
	e := newTestEnv(t)
	a := e.createMedia(t, e.ctx, "a.jpg", jpegA)
	_, bctx := e.otherOrg(t, "b")
	e.createMedia(t, bctx, "b.jpg", jpegB)
	svc := NewEventService(e.db)
	for _, f := range []data.EventFilter{{}, {SubjectType: "media", SubjectID: a.ID}, {Types: []string{data.EventMediaCreated}}} {
		evs, err := svc.FindEvents(bctx, f)
		if err != nil {
			t.Fatal(err)
		}
		for _, ev := range evs {
			if ev.OrgID == e.org.ID {
				t.Fatalf("org b sees org a's event %+v", ev)
			}
		}
		if f.SubjectID != 0 && len(evs) != 0 {
			t.Fatalf("org b sees %d events of org a's item", len(evs))
		}
	}
	if _, err := svc.FindEvents(context.Background(), data.EventFilter{}); err == nil {
		t.Fatal("events without a principal")
	}
}
