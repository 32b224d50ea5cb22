package storage

import (
	"cmp"
	"context"
	"database/sql"
	"slices"
	"strconv"

	"gallerist/data"
)

// MaxBulkItems bounds how many media items one bulk action names.
const MaxBulkItems = 500

func checkBulkIDs(ids []int64) error {
	if len(ids) == 0 {
		return data.FieldError("ids", "Select at least one item first.")
	}
	if len(ids) > MaxBulkItems {
		return data.FieldError("ids", "%d items are selected; one action takes at most %d.", len(ids), MaxBulkItems)
	}
	return nil
}

// FindMediaByIDs returns the organization's media items (live or trashed)
// with the given ids, in the order of ids, each once; ids of items that do not
// exist (or belong to another organization) are left out.
func (s *MediaService) FindMediaByIDs(ctx context.Context, ids []int64) ([]*data.Media, error) {
	org, err := orgID(ctx)
	if err != nil {
		return nil, err
	}
	if err := checkBulkIDs(ids); err != nil {
		return nil, err
	}
	var out []*data.Media
	err = s.db.view(ctx, func(tx *sql.Tx) error {
		byID, err := findMediaByIDs(ctx, tx, org, ids)
		if err != nil {
			return err
		}
		out = inOrder(ids, byID)
		return nil
	})
	return out, err
}

func inOrder(ids []int64, byID map[int64]*data.Media) []*data.Media {
	out := make([]*data.Media, 0, len(ids))
	seen := make(map[int64]bool, len(ids))
	for _, id := range ids {
		if m := byID[id]; m != nil && !seen[id] {
			seen[id] = true
			out = append(out, m)
		}
	}
	return out
}

// UsageOf lists every place each of the items is used, by item id (items
// used nowhere have no entry), in one read transaction.
func (s *MediaService) UsageOf(ctx context.Context, ids []int64) (map[int64][]data.Usage, error) {
	org, err := orgID(ctx)
	if err != nil {
		return nil, err
	}
	if err := checkBulkIDs(ids); err != nil {
		return nil, err
	}
	out := map[int64][]data.Usage{}
	err = s.db.view(ctx, func(tx *sql.Tx) error {
		for _, id := range ids {
			used, err := findUsage(ctx, tx, org, id)
			if err != nil {
				return err
			}
			if len(used) > 0 {
				out[id] = used
			}
		}
		return nil
	})
	return out, err
}

// TrashMediaBulk moves live items to the trash, all in one transaction, and
// returns those it trashed, in the order of ids (items already in the trash
// are skipped). Without force, if any item is in use nothing changes and the
// answer is in_use with "used_by" (item id → places). With force each item is
// detached everywhere first, recording where it was, as TrashMedia does;
// RestoreMediaBulk with the ids in reverse order puts every item back at its
// old position.
func (s *MediaService) TrashMediaBulk(ctx context.Context, ids []int64, force bool) ([]*data.Media, error) {
	org, err := orgID(ctx)
	if err != nil {
		return nil, err
	}
	if err := checkBulkIDs(ids); err != nil {
		return nil, err
	}
	var trashed []*data.Media
	err = s.db.update(ctx, func(tx *sql.Tx) error {
		byID, err := findMediaByIDs(ctx, tx, org, ids)
		if err != nil {
			return err
		}
		var live []*data.Media
		for _, m := range inOrder(ids, byID) {
			if m.DeletedAt == nil {
				live = append(live, m)
			}
		}
		usedBy := map[int64][]data.Usage{}
		var names []string
		for _, m := range live {
			used, err := findUsage(ctx, tx, org, m.ID)
			if err != nil {
				return err
			}
			if len(used) > 0 {
				usedBy[m.ID] = used
				names = append(names, m.Filename)
			}
		}
		if len(usedBy) > 0 && !force {
			return data.Errorf(data.ECInUse, "%s still in use; delete with force to remove %s everywhere.",
				inUseSubject(names), pronoun(len(names))).With("used_by", usedBy)
		}
		now := ms(s.db.Now())
		for _, m := range live {
			if usedBy[m.ID] != nil {
				if err := detachEverywhere(ctx, tx, m, now); err != nil {
					return err
				}
			}
			if err := trashRow(ctx, tx, m, now, usedBy[m.ID] != nil); err != nil {
				return err
			}
		}
		trashed = live
		return nil
	})
	return trashed, err
}

func inUseSubject(names []string) string {
	switch len(names) {
	case 1:
		return names[0] + " is"
	case 2:
		return names[0] + " and " + names[1] + " are"
	}
	return names[0] + ", " + names[1] + " and " + strconv.Itoa(len(names)-2) + " more are"
}

func pronoun(n int) string {
	if n == 1 {
		return "it"
	}
	return "them"
}

// RestoreMediaBulk takes items out of the trash, all in one transaction,
// putting each back where a forced delete took it from (as RestoreMedia
// does), and returns those it restored. It restores the most recently deleted
// first, whatever the order of ids: each item's recorded gallery positions
// are those it had when it was deleted, after the ones deleted before it had
// left, so undoing in reverse puts every item back at its old position. Items
// not in the trash (restored already, or purged meanwhile) are skipped.
func (s *MediaService) RestoreMediaBulk(ctx context.Context, ids []int64) ([]*data.Media, error) {
	org, err := orgID(ctx)
	if err != nil {
		return nil, err
	}
	if err := checkBulkIDs(ids); err != nil {
		return nil, err
	}
	var restored []*data.Media
	err = s.db.update(ctx, func(tx *sql.Tx) error {
		byID, err := findMediaByIDs(ctx, tx, org, ids)
		if err != nil {
			return err
		}
		trashed, err := lastDeletedFirst(ctx, tx, inOrder(ids, byID))
		if err != nil {
			return err
		}
		now := ms(s.db.Now())
		for _, m := range trashed {
			missed, err := restoreRow(ctx, tx, m, now, s.limits.MaxGalleryImages)
			if err != nil {
				return err
			}
			m.DeletedAt, m.NotRestored = nil, missed
			restored = append(restored, m)
		}
		return nil
	})
	return restored, err
}

// PurgeMediaBulk deletes trashed items for good in one transaction, then the
// blobs no other row needs, and returns the items it purged. Live items are
// never purged through it: they are skipped, like ids that do not exist.
func (s *MediaService) PurgeMediaBulk(ctx context.Context, ids []int64) ([]*data.Media, error) {
	org, err := orgID(ctx)
	if err != nil {
		return nil, err
	}
	if err := checkBulkIDs(ids); err != nil {
		return nil, err
	}
	var purged []*data.Media
	var freed []string
	err = s.db.update(ctx, func(tx *sql.Tx) error {
		byID, err := findMediaByIDs(ctx, tx, org, ids)
		if err != nil {
			return err
		}
		for _, m := range inOrder(ids, byID) {
			if m.DeletedAt != nil {
				purged = append(purged, m)
			}
		}
		freed, err = s.purgeRows(ctx, tx, purged)
		return err
	})
	if err != nil {
		return nil, err
	}
	s.freeBlobs(ctx, freed)
	return purged, nil
}

// lastDeletedFirst is the trashed items among items, the most recently
// deleted first: by deletion time, then (items of one bulk delete share it)
// by their last recorded detachment.
func lastDeletedFirst(ctx context.Context, tx *sql.Tx, items []*data.Media) ([]*data.Media, error) {
	type keyed struct {
		m       *data.Media
		lastDet int64
	}
	var ks []keyed
	for _, m := range items {
		if m.DeletedAt == nil {
			continue
		}
		var last int64
		if err := tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(id), 0) FROM detachments WHERE media_id = ?`, m.ID).Scan(&last); err != nil {
			return nil, err
		}
		ks = append(ks, keyed{m, last})
	}
	slices.SortStableFunc(ks, func(a, b keyed) int {
		if c := b.m.DeletedAt.Compare(*a.m.DeletedAt); c != 0 {
			return c
		}
		return cmp.Compare(b.lastDet, a.lastDet)
	})
	out := make([]*data.Media, len(ks))
	for i, k := range ks {
		out[i] = k.m
	}
	return out, nil
}
