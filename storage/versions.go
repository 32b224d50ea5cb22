package storage

import (
	"cmp"
	"context"
	"crypto/hmac"
	"database/sql"
	"errors"
	"slices"
	"strconv"
	"time"

	"gallerist/data"
)

// Replacing a file keeps the media row (its id, so every gallery entry,
// variant and collection that points at it shows the new file at once) and
// moves the row's previous file into media_versions. The blob rules are
// the upload's: the new blob is stored under a lease before the
// transaction that makes the row refer to it; version rows count as
// references for the collector (blobNeeded), until GC drops them after the
// trash grace period.

// blobRefSQL is true when some media row or version row has the bytes ?.
// It takes the hash twice.
const blobRefSQL = `(EXISTS (SELECT 1 FROM media WHERE sha256 = ?) OR EXISTS (SELECT 1 FROM media_versions WHERE sha256 = ?))`

// ReplaceMedia gives a live item a new file of the same kind. The staged
// file's kind is checked before anything is stored: a mismatch answers
// kind_mismatch and changes nothing. Bytes equal to the current file's
// change only the filename and alt text asked for.
func (s *MediaService) ReplaceMedia(ctx context.Context, id int64, r data.MediaReplace) (*data.Media, error) {
	org, err := orgID(ctx)
	if err != nil {
		return nil, err
	}
	if err := data.RequireScope(ctx, data.ScopeMediaUpdate, "replacing the file of a media item"); err != nil {
		return nil, err
	}
	st := r.File
	if st == nil {
		return nil, data.Errorf(data.ECMissingFile, "Send the new file.")
	}
	if tmp, _ := st.Handle.(string); tmp == "" {
		return nil, errors.New("staged file was discarded")
	}
	upd, err := validMediaUpdate(data.MediaUpdate{Filename: r.Filename, Alt: r.Alt})
	if err != nil {
		return nil, err
	}
	err = s.db.view(ctx, func(tx *sql.Tx) error {
		_, err := replaceable(ctx, tx, org, id, st)
		return err
	})
	if err != nil {
		return nil, err
	}
	var m *data.Media
	var created []string
	lease, err := s.db.takeLeases(ctx, []string{st.SHA256})
	if err == nil {
		created, err = s.putAll(ctx, []*data.Staged{st})
	}
	if err == nil {
		err = s.db.update(ctx, func(tx *sql.Tx) error {
			cur, err := replaceable(ctx, tx, org, id, st)
			if err != nil {
				return err
			}
			if cur.SHA256 != st.SHA256 {
				if err := s.swapCurrentFile(ctx, tx, org, cur, st, upd.Filename == nil); err != nil {
					return err
				}
			}
			if err := s.writeMediaUpdate(ctx, tx, cur, upd); err != nil {
				return err
			}
			if err := releaseLease(ctx, tx, lease); err != nil {
				return err
			}
			m, err = findMediaByID(ctx, tx, org, id)
			return err
		})
	}
	if err != nil {
		s.Discard(st)
		s.dropUploaded(ctx, lease, created)
		return nil, err
	}
	if s.Created != nil {
		s.Created([]int64{id})
	}
	return m, nil
}

// replaceable finds a live item whose file st may replace.
func replaceable(ctx context.Context, tx *sql.Tx, org, id int64, st *data.Staged) (*data.Media, error) {
	cur, err := findLiveMedia(ctx, tx, org, id, "to replace its file")
	if err != nil {
		return nil, err
	}
	if cur.Kind != st.Kind {
		name := st.Filename
		if name == "" {
			name = "The file"
		}
		return nil, data.Errorf(data.ECKindMismatch, "%s is %s %s, but %s is %s %s; replace it with a file of the same kind, or upload it as a new item.",
			name, article(string(st.Kind)), st.Kind, cur.Filename, article(string(cur.Kind)), cur.Kind).
			With("kind", cur.Kind).With("detected_kind", st.Kind)
	}
	return cur, nil
}

// swapCurrentFile records cur's file as a version and makes next the
// item's file, queueing renditions for it (processing starts again). With
// rename, a display name that ends in the old file's extension takes the
// new file's ("mug.jpg" replaced by a PNG becomes "mug.png"); a name
// without the old type's extension was chosen by a person and stays.
func (s *MediaService) swapCurrentFile(ctx context.Context, tx *sql.Tx, org int64, cur *data.Media, next *data.Staged, rename bool) error {
	p, _ := data.PrincipalFrom(ctx)
	now := ms(s.db.Now())
	since, by := ms(cur.CreatedAt), cur.CreatedBy
	err := tx.QueryRowContext(ctx, `SELECT created_at, created_by FROM media_versions WHERE media_id = ? ORDER BY id DESC LIMIT 1`, cur.ID).Scan(&since, &by)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return err
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO media_versions (org_id, media_id, original_filename, mime_type, size, sha256,
		width, height, duration_ms, uploaded_at, uploaded_by, created_at, created_by)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		org, cur.ID, cmp.Or(cur.OriginalFilename, cur.Filename), cur.MIMEType, cur.Size, cur.SHA256,
		nullInt(int64(cur.Width)), nullInt(int64(cur.Height)), nullInt(cur.DurationMS), since, by, now, p.Actor); err != nil {
		return err
	}
	secret, err := orgFileSecret(ctx, tx, org)
	if err != nil {
		return err
	}
	processing, err := queueRenditions(ctx, tx, org, next, now, s.Stills)
	if err != nil {
		return err
	}
	_, err = tx.ExecContext(ctx, `UPDATE media SET original_filename = ?, mime_type = ?, size = ?, sha256 = ?, width = ?, height = ?,
		duration_ms = ?, file_key = ?, processing = ?, processing_error = '', updated_at = ? WHERE id = ? AND org_id = ?`,
		cmp.Or(next.OriginalFilename, next.Filename, cur.Filename), next.MIMEType, next.Size, next.SHA256, nullInt(int64(next.Width)), nullInt(int64(next.Height)),
		nullInt(next.DurationMS), fileKey(secret, next.SHA256), processing, now, cur.ID, org)
	if err != nil {
		return err
	}
	if err := recordEvent(ctx, tx, now, mediaEvent(org, data.EventMediaReplaced, cur.ID, map[string]any{
		"original_filename": next.OriginalFilename, "mime_type": next.MIMEType, "size": next.Size,
		"sha256": next.SHA256, "previous_sha256": cur.SHA256})); err != nil {
		return err
	}
	if name := renamedForType(cur, next.MIMEType); rename && name != cur.Filename {
		return s.writeMediaUpdate(ctx, tx, cur, data.MediaUpdate{Filename: &name})
	}
	return nil
}

// renamedForType is cur's display name for a file of type mime: the same
// name when the type keeps the extension or the name does not carry the
// current type's extension, otherwise the stem with the new extension.
func renamedForType(cur *data.Media, mime string) string {
	if data.ExtForMIME(cur.MIMEType) == data.ExtForMIME(mime) || cur.DownloadName() != cur.Filename {
		return cur.Filename
	}
	return (&data.Media{Filename: cur.Filename, MIMEType: mime}).DownloadName()
}

const versionColumns = `id, media_id, original_filename, mime_type, size, sha256, width, height, duration_ms,
	uploaded_at, uploaded_by, created_at, created_by, pinned`

func scanVersion(row scanner) (*data.MediaVersion, error) {
	var v data.MediaVersion
	var w, h, dur sql.NullInt64
	var uploaded, created int64
	if err := row.Scan(&v.ID, &v.MediaID, &v.OriginalFilename, &v.MIMEType, &v.Size, &v.SHA256, &w, &h, &dur,
		&uploaded, &v.UploadedBy, &created, &v.CreatedBy, &v.Pinned); err != nil {
		return nil, err
	}
	v.Width, v.Height, v.DurationMS = int(w.Int64), int(h.Int64), dur.Int64
	v.UploadedAt, v.CreatedAt = fromMS(uploaded), fromMS(created)
	return &v, nil
}

// FindMediaVersions lists one of the organization's items' previous files,
// newest first.
func (s *MediaService) FindMediaVersions(ctx context.Context, id int64, limit, offset int) ([]*data.MediaVersion, int, error) {
	org, err := orgID(ctx)
	if err != nil {
		return nil, 0, err
	}
	if limit <= 0 {
		limit = data.DefaultPage
	}
	out := []*data.MediaVersion{}
	var total int
	err = s.db.view(ctx, func(tx *sql.Tx) error {
		if _, err := findMediaByID(ctx, tx, org, id); err != nil {
			return err
		}
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM media_versions WHERE media_id = ? AND org_id = ?`, id, org).Scan(&total); err != nil {
			return err
		}
		rows, err := tx.QueryContext(ctx, `SELECT `+versionColumns+` FROM media_versions WHERE media_id = ? AND org_id = ?
			ORDER BY id DESC LIMIT ? OFFSET ?`, id, org, limit, offset)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			v, err := scanVersion(rows)
			if err != nil {
				return err
			}
			out = append(out, v)
		}
		return rows.Err()
	})
	return out, total, err
}

// RestoreMediaVersion makes a version the item's current file again, in one
// transaction: the current file becomes a version, the chosen version row
// goes (its blob is the row's now).
func (s *MediaService) RestoreMediaVersion(ctx context.Context, id, versionID int64) (*data.Media, error) {
	org, err := orgID(ctx)
	if err != nil {
		return nil, err
	}
	if err := data.RequireScope(ctx, data.ScopeMediaUpdate, "restoring a previous file of a media item"); err != nil {
		return nil, err
	}
	var m *data.Media
	err = s.db.update(ctx, func(tx *sql.Tx) error {
		cur, err := findLiveMedia(ctx, tx, org, id, "first")
		if err != nil {
			return err
		}
		v, err := scanVersion(tx.QueryRowContext(ctx, `SELECT `+versionColumns+` FROM media_versions WHERE id = ? AND media_id = ? AND org_id = ?`,
			versionID, id, org))
		if errors.Is(err, sql.ErrNoRows) {
			return data.NotFound("Version")
		}
		if err != nil {
			return err
		}
		st := &data.Staged{OriginalFilename: v.OriginalFilename, Kind: cur.Kind, MIMEType: v.MIMEType, Size: v.Size,
			SHA256: v.SHA256, Width: v.Width, Height: v.Height, DurationMS: v.DurationMS}
		// The swap first: it reads when the current file was uploaded from
		// the newest version row, which may be v.
		if cur.SHA256 != v.SHA256 {
			if err := s.swapCurrentFile(ctx, tx, org, cur, st, true); err != nil {
				return err
			}
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM media_versions WHERE id = ?`, v.ID); err != nil {
			return err
		}
		m, err = findMediaByID(ctx, tx, org, id)
		return err
	})
	if err != nil {
		return nil, err
	}
	if s.Created != nil {
		s.Created([]int64{id})
	}
	return m, nil
}

// PinMediaVersion pins a version (GC keeps it past the grace period) or
// unpins it (it expires a grace period after it was replaced, as before).
func (s *MediaService) PinMediaVersion(ctx context.Context, id, versionID int64, pinned bool) (*data.MediaVersion, error) {
	org, err := orgID(ctx)
	if err != nil {
		return nil, err
	}
	if err := data.RequireScope(ctx, data.ScopeMediaUpdate, "pinning a previous file of a media item"); err != nil {
		return nil, err
	}
	var v *data.MediaVersion
	err = s.db.update(ctx, func(tx *sql.Tx) error {
		if _, err := findMediaByID(ctx, tx, org, id); err != nil {
			return err
		}
		var err error
		v, err = scanVersion(tx.QueryRowContext(ctx, `UPDATE media_versions SET pinned = ? WHERE id = ? AND media_id = ? AND org_id = ?
			RETURNING `+versionColumns, pinned, versionID, id, org))
		if errors.Is(err, sql.ErrNoRows) {
			return data.NotFound("Version")
		}
		return err
	})
	return v, err
}

// OpenMediaVersion opens the bytes of one of the organization's items'
// versions.
func (s *MediaService) OpenMediaVersion(ctx context.Context, id, versionID int64) (*data.MediaVersion, data.Blob, error) {
	org, err := orgID(ctx)
	if err != nil {
		return nil, nil, err
	}
	var v *data.MediaVersion
	err = s.db.view(ctx, func(tx *sql.Tx) error {
		if _, err := findMediaByID(ctx, tx, org, id); err != nil {
			return err
		}
		var err error
		v, err = scanVersion(tx.QueryRowContext(ctx, `SELECT `+versionColumns+` FROM media_versions WHERE id = ? AND media_id = ? AND org_id = ?`,
			versionID, id, org))
		if errors.Is(err, sql.ErrNoRows) {
			return data.NotFound("Version")
		}
		return err
	})
	if err != nil {
		return nil, nil, err
	}
	b, err := s.blobs.Open(ctx, v.SHA256)
	if errors.Is(err, ErrBlobNotFound) {
		return nil, nil, data.Errorf(data.ECNotFound, "The file of version %d is missing from storage.", v.ID)
	}
	return v, b, err
}

// stableKey is the key of an item's stable URL: the file-key HMAC, under
// the organization's secret, of a name no content hash can have.
func stableKey(secret []byte, id int64) string {
	return fileKey(secret, "media:"+strconv.FormatInt(id, 10))
}

// StableKey is the key of one of the organization's items' stable URL.
func (s *MediaService) StableKey(ctx context.Context, id int64) (string, error) {
	org, err := orgID(ctx)
	if err != nil {
		return "", err
	}
	var key string
	err = s.db.view(ctx, func(tx *sql.Tx) error {
		if _, err := findMediaByID(ctx, tx, org, id); err != nil {
			return err
		}
		secret, err := orgFileSecret(ctx, tx, org)
		key = stableKey(secret, id)
		return err
	})
	return key, err
}

// FindStable finds the live item a stable URL names: not found, the same
// answer whatever is wrong, unless key is the item's stable key.
func (s *MediaService) FindStable(ctx context.Context, id int64, key string) (*data.Media, error) {
	var m *data.Media
	err := s.db.view(ctx, func(tx *sql.Tx) error {
		var org int64
		var secret []byte
		err := tx.QueryRowContext(ctx, `SELECT m.org_id, o.file_secret FROM media m JOIN orgs o ON o.id = m.org_id
			WHERE m.id = ? AND m.deleted_at IS NULL`, id).Scan(&org, &secret)
		if errors.Is(err, sql.ErrNoRows) || (err == nil && (len(secret) == 0 || !hmac.Equal([]byte(stableKey(secret, id)), []byte(key)))) {
			return data.NotFound("File")
		}
		if err != nil {
			return err
		}
		if m, err = findMediaByID(ctx, tx, org, id); err != nil {
			return err
		}
		return loadPosters(ctx, tx, []*data.Media{m})
	})
	return m, err
}

// dropVersionRows deletes an item's versions (its purge) and returns their
// hashes.
func dropVersionRows(ctx context.Context, tx *sql.Tx, mediaID int64) ([]string, error) {
	rows, err := tx.QueryContext(ctx, `DELETE FROM media_versions WHERE media_id = ? RETURNING sha256`, mediaID)
	var shas []string
	if err := eachString(rows, err, func(k string) { shas = append(shas, k) }); err != nil {
		return nil, err
	}
	return shas, nil
}

// GCVersion is one version row dropped by garbage collection.
type GCVersion struct {
	ID        int64
	OrgID     int64
	MediaID   int64
	SHA256    string
	CreatedAt time.Time // when it stopped being current
}

// findExpiredVersions lists the versions not pinned that stopped being
// current at or before cutoff, oldest first, at most limit (-1: all).
func findExpiredVersions(ctx context.Context, tx *sql.Tx, cutoff int64, limit int) ([]GCVersion, error) {
	rows, err := tx.QueryContext(ctx, `SELECT id, org_id, media_id, sha256, created_at FROM media_versions
		WHERE created_at <= ? AND pinned = 0 ORDER BY created_at, id LIMIT ?`, cutoff, limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []GCVersion
	for rows.Next() {
		var v GCVersion
		var created int64
		if err := rows.Scan(&v.ID, &v.OrgID, &v.MediaID, &v.SHA256, &created); err != nil {
			return nil, err
		}
		v.CreatedAt = fromMS(created)
		out = append(out, v)
	}
	return out, rows.Err()
}

// collectVersions drops versions past the grace period, a batch per
// transaction, then deletes the blobs nothing needs any more (freeBlobs
// checks again under the lock). A dry run reports what would go.
func (s *MediaService) collectVersions(ctx context.Context, dryRun bool, cutoff int64, rep *GCReport) error {
	if dryRun {
		return s.db.view(ctx, func(tx *sql.Tx) error {
			var err error
			if rep.Versions, err = findExpiredVersions(ctx, tx, cutoff, -1); err != nil {
				return err
			}
			rows, err := tx.QueryContext(ctx, `SELECT DISTINCT v.sha256 FROM media_versions v WHERE v.created_at <= ? AND v.pinned = 0
				AND NOT EXISTS (SELECT 1 FROM media m WHERE m.sha256 = v.sha256 AND (m.deleted_at IS NULL OR m.deleted_at > ?))
				AND NOT EXISTS (SELECT 1 FROM media_versions o WHERE o.sha256 = v.sha256 AND (o.created_at > ? OR o.pinned = 1))
				ORDER BY 1`, cutoff, cutoff, cutoff)
			return eachString(rows, err, func(k string) {
				if !slices.Contains(rep.Blobs, k) {
					rep.Blobs = append(rep.Blobs, k)
				}
			})
		})
	}
	for {
		var batch []GCVersion
		err := s.db.update(ctx, func(tx *sql.Tx) error {
			var err error
			if batch, err = findExpiredVersions(ctx, tx, cutoff, gcBatch); err != nil {
				return err
			}
			for _, v := range batch {
				if _, err := tx.ExecContext(ctx, `DELETE FROM media_versions WHERE id = ?`, v.ID); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return err
		}
		var shas []string
		for _, v := range batch {
			if !slices.Contains(shas, v.SHA256) {
				shas = append(shas, v.SHA256)
			}
		}
		rep.Versions = append(rep.Versions, batch...)
		rep.Blobs = append(rep.Blobs, s.freeBlobs(ctx, shas)...)
		if len(batch) < gcBatch {
			return nil
		}
	}
}
