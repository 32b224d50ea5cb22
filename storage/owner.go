package storage

import (
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strings"

	"github.com/minio/minio-go/v7"
)

// StoreOwner is what a database records about the blob store it owns
// (the store_owner row, migration 019).
type StoreOwner struct {
	// Lineage is the database's own id; a restored copy gets a new one.
	Lineage string
	// Store is the store the server last started with: "local" or an
	// s3:// URL without credentials ("" until a server starts).
	Store string
	// Next is where `blobs migrate` last copied every file to: the one
	// other store a server may switch to.
	Next string
	// Empty is set when the database has no media at all: a new instance
	// may start on any store.
	Empty bool
}

// StoreOwner reads the database's store record.
func (db *DB) StoreOwner(ctx context.Context) (StoreOwner, error) {
	return readStoreOwner(ctx, db.read)
}

func readStoreOwner(ctx context.Context, q queryer) (StoreOwner, error) {
	var o StoreOwner
	err := q.QueryRowContext(ctx, `SELECT lineage, store, next_store, NOT EXISTS (SELECT 1 FROM media) FROM store_owner WHERE id = 1`).
		Scan(&o.Lineage, &o.Store, &o.Next, &o.Empty)
	if errors.Is(err, sql.ErrNoRows) {
		return StoreOwner{}, nil
	}
	return o, err
}

// ReadStoreOwner reads the store record of the database in dataDir without
// writing it (for verify and backup, which may run beside a server). A
// database from before the record existed has none: all fields empty.
func ReadStoreOwner(ctx context.Context, dataDir string) (StoreOwner, error) {
	db, err := openReadOnly(filepath.Join(dataDir, DBFileName), false)
	if err != nil {
		return StoreOwner{}, err
	}
	defer db.Close()
	o, err := readStoreOwner(ctx, db)
	if err != nil && strings.Contains(err.Error(), "no such table") {
		return StoreOwner{}, nil
	}
	return o, err
}

// RecordStore records store as the one the server serves from; a pending
// switch (Next) is done with.
func (db *DB) RecordStore(ctx context.Context, store string) error {
	return db.update(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE store_owner SET store = ?, next_store = '' WHERE id = 1`, store)
		return err
	})
}

// RecordNextStore records store as the target of a complete `blobs
// migrate`: the store a server may switch to.
func (db *DB) RecordNextStore(ctx context.Context, store string) error {
	return db.update(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE store_owner SET next_store = ? WHERE id = 1`, store)
		return err
	})
}

// newLineage gives the database at p (a restored copy, not yet in place) a
// lineage of its own and records its files as local (where restore put
// them). A backup from before the record existed has no table: the
// migration gives it a new lineage when it is first opened.
func newLineage(ctx context.Context, p string) error {
	db, err := sql.Open("sqlite3", "file:"+p)
	if err != nil {
		return err
	}
	defer db.Close()
	_, err = db.ExecContext(ctx, `UPDATE store_owner SET lineage = lower(hex(randomblob(16))), store = 'local', next_store = '' WHERE id = 1`)
	if err != nil && strings.Contains(err.Error(), "no such table") {
		return nil
	}
	return err
}

// OwnerObject is the name, under a bucket prefix, of the object that names
// the lineage of the database owning the files there.
const OwnerObject = ".gallerist-owner"

// ErrOwnedByOther is returned when a store's owner object names another
// database's lineage.
var ErrOwnedByOther = errors.New("the store belongs to another Gallerist database")

// OwnerMarked is a store that keeps an owner object (a bucket prefix). The
// local store needs none: its folders are in the data dir beside the
// database that owns them.
type OwnerMarked interface {
	// Owner reads the lineage the owner object names ("" when there is none).
	Owner(ctx context.Context) (string, error)
	// SetOwner writes the owner object.
	SetOwner(ctx context.Context, lineage string) error
}

// ownerMarked finds the OwnerMarked store under wrappers.
func ownerMarked(b BlobStore) (OwnerMarked, bool) {
	for {
		switch s := b.(type) {
		case OwnerMarked:
			return s, true
		case countedMover:
			b = s.BlobStore
		case countedBlobs:
			b = s.BlobStore
		default:
			return nil, false
		}
	}
}

// OwnerOf reads the owner object of store: ok is false for a store that
// keeps none (local).
func OwnerOf(ctx context.Context, store BlobStore) (lineage string, ok bool, err error) {
	m, ok := ownerMarked(store)
	if !ok {
		return "", false, nil
	}
	lineage, err = m.Owner(ctx)
	return lineage, true, err
}

// ClaimStore writes lineage into store's owner object (nothing for the
// local store).
func ClaimStore(ctx context.Context, store BlobStore, lineage string) error {
	if m, ok := ownerMarked(store); ok {
		return m.SetOwner(ctx, lineage)
	}
	return nil
}

// CheckOwner fails with ErrOwnedByOther when store's owner object names a
// lineage other than lineage. A store without an owner object (local, or a
// bucket no server has started on since owners were recorded) passes.
func CheckOwner(ctx context.Context, store BlobStore, lineage string) error {
	owner, _, err := OwnerOf(ctx, store)
	if err != nil {
		return err
	}
	if owner != "" && lineage != "" && owner != lineage {
		return fmt.Errorf("%w: %s names database %s as its owner, and this database is %s (a restored copy or another instance)",
			ErrOwnedByOther, store, owner, lineage)
	}
	return nil
}

// Owner reads PREFIX/.gallerist-owner: the lineage it names, "" if missing.
func (s *S3Blobs) Owner(ctx context.Context) (string, error) {
	obj, _, _, err := s.core.GetObject(ctx, s.cfg.Bucket, s.cfg.Prefix+OwnerObject, minio.GetObjectOptions{})
	if err != nil {
		if isNotFound(err) {
			return "", nil
		}
		return "", s.explain("read the owner object", err)
	}
	defer obj.Close()
	b, err := io.ReadAll(io.LimitReader(obj, 4096))
	if err != nil {
		if isNotFound(err) {
			return "", nil
		}
		return "", s.explain("read the owner object", err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), "lineage:"); ok {
			return strings.TrimSpace(v), nil
		}
	}
	return "", nil
}

// SetOwner writes PREFIX/.gallerist-owner naming lineage.
func (s *S3Blobs) SetOwner(ctx context.Context, lineage string) error {
	body := []byte("This prefix holds the files of one Gallerist database; only it may delete them.\nlineage: " + lineage + "\n")
	sum := sha256.Sum256(body)
	if _, err := s.core.PutObject(ctx, s.cfg.Bucket, s.cfg.Prefix+OwnerObject, bytes.NewReader(body), int64(len(body)), "",
		hex.EncodeToString(sum[:]), minio.PutObjectOptions{ContentType: "text/plain"}); err != nil {
		return s.explain("write the owner object", err)
	}
	return nil
}
