package storage

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"gallerist/data"
)

// DefaultTrashGrace is how long trashed media stay restorable before the
// garbage collector purges them.
const DefaultTrashGrace = 7 * 24 * time.Hour

// OrphanBlobAge is how old a blob file that no row references must be before
// the garbage collector removes it.
const OrphanBlobAge = time.Hour

// gcBatch bounds the rows one garbage-collection transaction purges, so the
// write lock is never held for long.
const gcBatch = 200

// GCReport is what a garbage collection removed (or, on a dry run, would remove).
type GCReport struct {
	DryRun bool
	// Purged are the trashed media rows past the grace period, in every organization.
	Purged []GCItem
	// Blobs are the keys of blobs deleted because no row needs them any more.
	Blobs []string
	// Orphans are the keys of blob files no row referenced (left by a crash
	// between storing a blob and committing its row).
	Orphans []string
	// Versions are the previous files of replaced items dropped because
	// they stopped being current longer than the grace period ago.
	Versions []GCVersion
	// Renditions are the originals (content hashes) whose renditions were
	// removed because no media row has those bytes any more.
	Renditions []string
	// Crops are the blob keys ({sha256}/{slot}.{ext}) of crops made for a
	// focal point that no item with those bytes has had for the grace
	// period: only the current focal point's crops are served.
	Crops []string
}

// GCItem is one purged media row.
type GCItem struct {
	ID        int64
	OrgID     int64
	Filename  string
	SHA256    string
	DeletedAt time.Time
}

// CollectGarbage purges media trashed longer than grace ago (in every
// organization) and the versions replaced longer than grace ago, and deletes
// the blobs no remaining row needs, then removes
// blob files that no row references and that are older than OrphanBlobAge.
// Files are deleted only after the transaction that forgets their rows has
// committed, by a second write transaction that checks again that no row and
// no upload's lease needs them (see freeBlobs and the invariant in
// leases.go), so an upload of the same bytes running at the same time, in
// this process or another, either keeps the blob or stores it anew after.
// dryRun reports what would go and deletes nothing.
func (s *MediaService) CollectGarbage(ctx context.Context, dryRun bool, grace time.Duration) (GCReport, error) {
	rep := GCReport{DryRun: dryRun}
	// Never delete in a store another database owns (a restored copy
	// pointed at production's bucket would delete production's newer files).
	owner, err := s.db.StoreOwner(ctx)
	if err != nil {
		return rep, err
	}
	if err := CheckOwner(ctx, s.blobs, owner.Lineage); err != nil {
		return rep, fmt.Errorf("garbage collection deletes nothing here: %w", err)
	}
	if grace < 0 {
		grace = 0
	}
	cutoff := ms(s.db.Now().Add(-grace))
	if dryRun {
		err := s.db.view(ctx, func(tx *sql.Tx) error {
			var err error
			if rep.Purged, err = findExpiredTrash(ctx, tx, cutoff, -1); err != nil {
				return err
			}
			rows, err := tx.QueryContext(ctx, `SELECT DISTINCT m.sha256 FROM media m WHERE m.deleted_at <= ?
				AND NOT EXISTS (SELECT 1 FROM media o WHERE o.sha256 = m.sha256 AND (o.deleted_at IS NULL OR o.deleted_at > ?))
				ORDER BY 1`, cutoff, cutoff)
			return eachString(rows, err, func(k string) { rep.Blobs = append(rep.Blobs, k) })
		})
		if err != nil {
			return rep, err
		}
	} else {
		for {
			var items []GCItem
			var freed []string
			err := s.db.update(ctx, func(tx *sql.Tx) error {
				var err error
				if items, err = findExpiredTrash(ctx, tx, cutoff, gcBatch); err != nil {
					return err
				}
				batch := make([]*data.Media, len(items))
				for i, it := range items {
					batch[i] = &data.Media{ID: it.ID, OrgID: it.OrgID, Filename: it.Filename, SHA256: it.SHA256}
				}
				freed, err = s.purgeRows(ctx, tx, batch)
				return err
			})
			if err != nil {
				return rep, err
			}
			rep.Purged = append(rep.Purged, items...)
			rep.Blobs = append(rep.Blobs, s.freeBlobs(ctx, freed)...)
			if len(items) < gcBatch {
				break
			}
		}
	}
	if err := s.collectVersions(ctx, dryRun, cutoff, &rep); err != nil {
		return rep, err
	}
	orphans, err := s.collectOrphans(ctx, dryRun)
	rep.Orphans = orphans
	if err != nil {
		return rep, err
	}
	if rep.Renditions, err = s.collectOrphanRenditions(ctx, dryRun); err != nil {
		return rep, err
	}
	rep.Crops, err = s.collectStaleCrops(ctx, dryRun, cutoff)
	return rep, err
}

// staleCropSQL is true for the crop rendition r when no item with its
// bytes has its focal point (in thousandths, centred when unset, as
// data.CropOf spells it; the slot holds fx·10⁴ + fy, see
// data.Crop.StorageSlot) or was changed after the cutoff (the first
// parameter, also the oldest the crop may be made), while some item still
// has the bytes (else collectOrphanRenditions takes every rendition).
const staleCropSQL = `r.created_at <= ?1
	AND EXISTS (SELECT 1 FROM media m WHERE m.sha256 = r.sha256)
	AND NOT EXISTS (SELECT 1 FROM media m WHERE m.sha256 = r.sha256 AND (m.updated_at > ?1
		OR (COALESCE(CAST(round(m.focal_x * 1000) AS INTEGER), 500) = (r.slot / 10000) % 10000
			AND COALESCE(CAST(round(m.focal_y * 1000) AS INTEGER), 500) = r.slot % 10000)))`

// collectStaleCrops removes the crops of focal points no item has any more
// (each change of the focal point makes new ones), once the change is older
// than the grace period: rows and files, under the write lock, a batch per
// transaction; nothing while a backup holds the files.
func (s *MediaService) collectStaleCrops(ctx context.Context, dryRun bool, cutoff int64) ([]string, error) {
	rows, err := s.db.read.QueryContext(ctx, `SELECT r.sha256 || '/' || r.slot || '.' || r.ext FROM renditions r
		WHERE r.slot >= ?2 AND `+staleCropSQL+` ORDER BY r.sha256, r.slot, r.ext`, cutoff, data.CropSlotBase)
	var keys []string
	if err := eachString(rows, err, func(k string) { keys = append(keys, k) }); err != nil || len(keys) == 0 {
		return nil, err
	}
	var gone []string
	err = s.db.inBatches(ctx, keys, dryRun, func(tx *sql.Tx, batch []string) (bool, error) {
		held, err := s.db.filesHeld(ctx, tx)
		if err != nil || held {
			return false, err
		}
		for _, k := range batch {
			sha, file, _ := strings.Cut(k, "/")
			n, ext, _ := strings.Cut(file, ".")
			slot, err := strconv.Atoi(n)
			if err != nil {
				return false, err
			}
			var stale bool
			if err := tx.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM renditions r WHERE r.sha256 = ?3 AND r.slot = ?4 AND r.ext = ?5
				AND r.slot >= ?2 AND `+staleCropSQL+`)`, cutoff, data.CropSlotBase, sha, slot, ext).Scan(&stale); err != nil {
				return false, err
			}
			if !stale {
				continue
			}
			if !dryRun {
				if _, err := tx.ExecContext(ctx, `DELETE FROM renditions WHERE sha256 = ? AND slot = ? AND ext = ?`, sha, slot, ext); err != nil {
					return false, err
				}
				if err := s.blobs.Delete(ctx, k); err != nil && !errors.Is(err, ErrBlobNotFound) {
					return false, err
				}
			}
			gone = append(gone, k)
		}
		return true, nil
	})
	return gone, err
}

// collectOrphanRenditions removes renditions whose original is gone: rows
// of the renditions table, and stored renditions older than OrphanBlobAge
// that no media row's bytes account for. Candidates are narrowed on a
// reader; each is checked again and deleted under the write lock, a batch
// per transaction, like blobs.
func (s *MediaService) collectOrphanRenditions(ctx context.Context, dryRun bool) ([]string, error) {
	candidates := map[string]bool{}
	rows, err := s.db.read.QueryContext(ctx, `SELECT DISTINCT sha256 FROM renditions r
		WHERE NOT EXISTS (SELECT 1 FROM media m WHERE m.sha256 = r.sha256)`)
	if err := eachString(rows, err, func(k string) { candidates[k] = true }); err != nil {
		return nil, err
	}
	stale := s.db.Now().Add(-OrphanBlobAge)
	err = s.blobs.List(ctx, "", func(b BlobInfo) error {
		if !IsOriginalKey(b.Key) && b.ModTime.Before(stale) {
			candidates[b.Key[:64]] = true
		}
		return nil
	})
	if err != nil || len(candidates) == 0 {
		return nil, err
	}
	keys := make([]string, 0, len(candidates))
	for k := range candidates {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	keys, err = s.db.keysWhere(ctx, keys, `NOT EXISTS (SELECT 1 FROM media WHERE sha256 = k.value)`)
	if err != nil {
		return nil, err
	}
	var gone []string
	err = s.db.inBatches(ctx, keys, dryRun, func(tx *sql.Tx, batch []string) (bool, error) {
		held, err := s.db.filesHeld(ctx, tx)
		if err != nil {
			return false, err
		}
		for _, k := range batch {
			var n int
			if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM media WHERE sha256 = ?`, k).Scan(&n); err != nil {
				return false, err
			}
			if n > 0 {
				continue
			}
			if !dryRun {
				if _, err := tx.ExecContext(ctx, `DELETE FROM renditions WHERE sha256 = ?`, k); err != nil {
					return false, err
				}
				if !held {
					if err := deleteRenditions(ctx, s.blobs, k); err != nil {
						return false, err
					}
				}
			}
			if !held || dryRun { // held: the files stay, and the next run removes them
				gone = append(gone, k)
			}
		}
		return true, nil
	})
	return gone, err
}

// prefilterBatch bounds the keys one reader query looks up.
const prefilterBatch = 500

// keysWhere returns those of keys (in their order) for which cond holds,
// read on a reader connection, prefilterBatch keys a query: GC narrows its
// candidates without the write lock this way, then checks the few left
// again under it. cond names the key k.value.
func (db *DB) keysWhere(ctx context.Context, keys []string, cond string, args ...any) ([]string, error) {
	var out []string
	for start := 0; start < len(keys); start += prefilterBatch {
		list, err := json.Marshal(keys[start:min(start+prefilterBatch, len(keys))])
		if err != nil {
			return nil, err
		}
		rows, err := db.read.QueryContext(ctx, `SELECT k.value FROM json_each(?) k WHERE `+cond+` ORDER BY k.key`,
			append([]any{string(list)}, args...)...)
		if err := eachString(rows, err, func(k string) { out = append(out, k) }); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// eachString calls fn with each row's one text column, and closes rows;
// err is the query's.
func eachString(rows *sql.Rows, err error, fn func(string)) error {
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var k string
		if err := rows.Scan(&k); err != nil {
			return err
		}
		fn(k)
	}
	return rows.Err()
}

// inBatches runs fn on keys, gcBatch of them a transaction (a write
// transaction, or a read one on a dry run), so that GC gives the write lock
// up between batches and uploads and edits wait for one batch at most. fn
// returns false to stop.
func (db *DB) inBatches(ctx context.Context, keys []string, dryRun bool, fn func(tx *sql.Tx, batch []string) (bool, error)) error {
	for start := 0; start < len(keys); start += gcBatch {
		batch := keys[start:min(start+gcBatch, len(keys))]
		more := false
		run := func(tx *sql.Tx) error {
			var err error
			more, err = fn(tx, batch)
			return err
		}
		var err error
		if dryRun {
			err = db.view(ctx, run)
		} else {
			err = db.update(ctx, run)
		}
		if err != nil || !more {
			return err
		}
	}
	return nil
}

func findExpiredTrash(ctx context.Context, tx *sql.Tx, cutoff int64, limit int) ([]GCItem, error) {
	rows, err := tx.QueryContext(ctx, `SELECT id, org_id, filename, sha256, deleted_at FROM media
		WHERE deleted_at IS NOT NULL AND deleted_at <= ? ORDER BY deleted_at, id LIMIT ?`, cutoff, limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []GCItem
	for rows.Next() {
		var it GCItem
		var deleted int64
		if err := rows.Scan(&it.ID, &it.OrgID, &it.Filename, &it.SHA256, &deleted); err != nil {
			return nil, err
		}
		it.DeletedAt = fromMS(deleted)
		out = append(out, it)
	}
	return out, rows.Err()
}

// collectOrphans removes blobs older than OrphanBlobAge that no media row
// and no live lease needs (expired leases are forgotten first). Candidates
// are listed and narrowed without the write lock (in a mature store nearly
// every blob is old and referenced); each left is checked again and deleted
// under it, a batch per transaction.
func (s *MediaService) collectOrphans(ctx context.Context, dryRun bool) ([]string, error) {
	old := s.db.Now().Add(-OrphanBlobAge)
	var candidates []string
	err := s.blobs.List(ctx, "", func(b BlobInfo) error {
		if IsOriginalKey(b.Key) && b.ModTime.Before(old) {
			candidates = append(candidates, b.Key)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if !dryRun {
		if err := s.db.update(ctx, func(tx *sql.Tx) error { return s.db.dropExpiredLeases(ctx, tx) }); err != nil {
			return nil, err
		}
	}
	candidates, err = s.db.keysWhere(ctx, candidates, `NOT EXISTS (SELECT 1 FROM media WHERE sha256 = k.value)
		AND NOT EXISTS (SELECT 1 FROM media_versions WHERE sha256 = k.value)
		AND NOT EXISTS (SELECT 1 FROM blob_leases WHERE sha256 = k.value AND expires_at > ?)`, ms(s.db.Now()))
	if err != nil {
		return nil, err
	}
	var orphans []string
	err = s.db.inBatches(ctx, candidates, dryRun, func(tx *sql.Tx, batch []string) (bool, error) {
		if held, err := s.db.filesHeld(ctx, tx); err != nil || (held && !dryRun) {
			return false, err // a backup holds file deletion: the orphans wait for the next run
		}
		for _, key := range batch {
			needed, err := s.db.blobNeeded(ctx, tx, key)
			if err != nil {
				return false, err
			}
			if needed {
				continue
			}
			if !dryRun {
				if err := s.deleteFreed(ctx, key); err != nil {
					return false, err
				}
			}
			orphans = append(orphans, key)
		}
		return true, nil
	})
	return orphans, err
}
