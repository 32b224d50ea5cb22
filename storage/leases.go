package storage

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/binary"
	"time"
)

// BlobLeaseTTL is how long an upload's lease keeps its blobs from the
// garbage collector if the process dies before the lease is released
// (after that the blobs are orphans like any other).
const BlobLeaseTTL = 24 * time.Hour

// The garbage collector's invariant, for every store: a blob is deleted
// only when no media row refers to its bytes and no live lease holds them,
// checked under the write lock in the transaction that decides, and never
// while a backup holds file deletion. Uploads commit a lease before they
// put a blob, and release it in the transaction that inserts the rows, so
// whatever the interleaving either the collector sees the lease (and keeps
// the blob) or it deleted the blob before the lease existed (and the upload
// puts it anew). Orphans (no row, no lease) must also be older than
// OrphanBlobAge, for blobs written by a process that predates leases.

// takeLeases commits a lease on each of shas and returns its id.
func (db *DB) takeLeases(ctx context.Context, shas []string) (int64, error) {
	var b [8]byte
	rand.Read(b[:]) // crypto/rand never fails (Go 1.24+)
	lease := int64(binary.BigEndian.Uint64(b[:]) >> 1)
	expires := ms(db.Now().Add(BlobLeaseTTL))
	err := db.update(ctx, func(tx *sql.Tx) error {
		for _, sha := range shas {
			if _, err := tx.ExecContext(ctx, `INSERT INTO blob_leases (lease, sha256, expires_at) VALUES (?, ?, ?)`, lease, sha, expires); err != nil {
				return err
			}
		}
		return nil
	})
	return lease, err
}

// releaseLease forgets a lease, inside the transaction that makes its
// blobs referenced (or gives up on them).
func releaseLease(ctx context.Context, tx *sql.Tx, lease int64) error {
	_, err := tx.ExecContext(ctx, `DELETE FROM blob_leases WHERE lease = ?`, lease)
	return err
}

// blobNeeded reports whether some media or version row has the bytes sha,
// or a live lease holds them.
func (db *DB) blobNeeded(ctx context.Context, tx *sql.Tx, sha string) (bool, error) {
	var needed bool
	err := tx.QueryRowContext(ctx, `SELECT `+blobRefSQL+`
		OR EXISTS (SELECT 1 FROM blob_leases WHERE sha256 = ? AND expires_at > ?)`, sha, sha, sha, ms(db.Now())).Scan(&needed)
	return needed, err
}

// dropExpiredLeases forgets leases whose upload died.
func (db *DB) dropExpiredLeases(ctx context.Context, tx *sql.Tx) error {
	_, err := tx.ExecContext(ctx, `DELETE FROM blob_leases WHERE expires_at <= ?`, ms(db.Now()))
	return err
}

// dropUploaded undoes a failed CreateMedia: it releases the lease and
// removes the blobs the call stored that nothing else needs, under the
// write lock. It runs to the end even when ctx is cancelled (the client may
// be gone); what it cannot remove, GC removes as an orphan later.
func (s *MediaService) dropUploaded(ctx context.Context, lease int64, created []string) {
	ctx = context.WithoutCancel(ctx)
	err := s.db.update(ctx, func(tx *sql.Tx) error {
		if err := releaseLease(ctx, tx, lease); err != nil {
			return err
		}
		held, err := s.db.filesHeld(ctx, tx)
		if err != nil || held {
			return err
		}
		for _, sha := range created {
			needed, err := s.db.blobNeeded(ctx, tx, sha)
			if err != nil {
				return err
			}
			if !needed {
				if err := s.blobs.Delete(ctx, sha); err != nil {
					s.db.Log.Warn("delete blob of a failed upload (GC retries)", "sha256", sha, "err", err)
				}
			}
		}
		return nil
	})
	if err != nil {
		s.db.Log.Warn("release the lease of a failed upload (it expires)", "err", err)
	}
}
