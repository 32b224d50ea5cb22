package storage

import (
	"testing"

	"gallerist/data"
)

// TestUpdateMediaFocal: a focal point is set, kept by other edits, cleared,
// refused out of range with nothing changed, and invisible to another
// organization; the database itself refuses half a pair.
func TestUpdateMediaFocal(t *testing.T) {
	e := newTestEnv(t)
	m := e.createMedia(t, e.ctx, "mug.png", "video-001.png")
	if m.Focal != nil {
		t.Fatalf("new item has focal %v", m.Focal)
	}
	t.Run("OK", func(t *testing.T) {
		got, err := e.media.UpdateMedia(e.ctx, m.ID, data.MediaUpdate{SetFocal: true, Focal: &data.FocalPoint{X: 0.8, Y: 0.3}})
		if err != nil || got.Focal == nil || *got.Focal != (data.FocalPoint{X: 0.8, Y: 0.3}) {
			t.Fatalf("set: %v %v", got, err)
		}
		alt := "A red mug"
		got, err = e.media.UpdateMedia(e.ctx, m.ID, data.MediaUpdate{Alt: &alt})
		if err != nil || got.Focal == nil || got.Focal.X != 0.8 {
			t.Fatalf("alt edit lost the focal point: %v %v", got.Focal, err)
		}
	})
	t.Run("ErrOutOfRange", func(t *testing.T) {
		_, err := e.media.UpdateMedia(e.ctx, m.ID, data.MediaUpdate{SetFocal: true, Focal: &data.FocalPoint{X: 1.5, Y: 0.3}})
		de := wantError(t, err, data.ECInvalidField, "focal_x must be a number from 0 (left or top edge) to 1 (right or bottom edge).")
		if de.Details["field"] != "focal_x" {
			t.Fatalf("field %v", de.Details)
		}
		got, err := e.media.FindMediaByID(e.ctx, m.ID)
		if err != nil || got.Focal == nil || got.Focal.X != 0.8 {
			t.Fatalf("refused update changed the item: %v %v", got.Focal, err)
		}
	})
	t.Run("ErrHalfPairInDatabase", func(t *testing.T) {
		if err := e.db.ExecForTest(`UPDATE media SET focal_y = NULL WHERE id = ?`, m.ID); err == nil {
			t.Fatal("the database took focal_x without focal_y")
		}
		if err := e.db.ExecForTest(`UPDATE media SET focal_x = 2, focal_y = 0 WHERE id = ?`, m.ID); err == nil {
			t.Fatal("the database took focal_x = 2")
		}
	})
	t.Run("OtherOrg", func(t *testing.T) {
		_, other := e.otherOrg(t, "other")
		_, err := e.media.UpdateMedia(other, m.ID, data.MediaUpdate{SetFocal: true})
		if data.ErrorCode(err) != data.ECNotFound {
			t.Fatalf("other organization: %v", err)
		}
	})
	t.Run("Clear", func(t *testing.T) {
		got, err := e.media.UpdateMedia(e.ctx, m.ID, data.MediaUpdate{SetFocal: true})
		if err != nil || got.Focal != nil {
			t.Fatalf("clear: %v %v", got.Focal, err)
		}
	})
}
