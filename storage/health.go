package storage

import (
	"context"
	"errors"
	"fmt"
	"os"
)

// Ping checks that the database answers a query and that its file is still
// the one the server opened: a file deleted, moved or replaced under a
// running server (a restore copied over it, a volume swapped) leaves the
// open connections on the old file, answering queries that no longer reach
// what an operator sees on disk.
func (db *DB) Ping(ctx context.Context) error {
	st, err := os.Stat(db.path)
	if err != nil {
		return fmt.Errorf("the database file is gone: %w", err)
	}
	if db.file != nil && !os.SameFile(st, db.file) {
		return errors.New("the database file was replaced while the server runs; restart the server")
	}
	var n int
	if err := db.read.QueryRowContext(ctx, `SELECT COUNT(*) FROM migrations`).Scan(&n); err != nil {
		return fmt.Errorf("the database does not answer: %w", err)
	}
	return nil
}

// Pinger is a blob store that can tell whether it is reachable.
type Pinger interface {
	Ping(ctx context.Context) error
}

// PingBlobs checks that the blob store is reachable (stores that cannot
// tell are taken as reachable).
func PingBlobs(ctx context.Context, b BlobStore) error {
	if p, ok := b.(Pinger); ok {
		return p.Ping(ctx)
	}
	return nil
}

// Ping checks that the blob and staging folders exist and that a file can
// be created in the staging folder (a full or read-only disk cannot take
// uploads).
func (b *LocalBlobs) Ping(context.Context) error {
	for _, d := range []string{b.BlobDir(), b.TempDir()} {
		st, err := os.Stat(d)
		if err != nil {
			return fmt.Errorf("the blob folder is missing: %w", err)
		}
		if !st.IsDir() {
			return fmt.Errorf("%s is not a folder", d)
		}
	}
	f, err := os.CreateTemp(b.TempDir(), "ready-*")
	if err != nil {
		return fmt.Errorf("the staging folder cannot be written: %w", err)
	}
	f.Close()
	return os.Remove(f.Name())
}
