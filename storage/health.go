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

// Check makes sure the staging folder exists and takes a file (a full or
// read-only disk cannot take uploads).
func (s *Staging) Check() error {
	f, err := s.CreateTemp()
	if err != nil {
		return fmt.Errorf("the staging folder %s cannot be written", s.dir)
	}
	f.Close()
	return os.Remove(f.Name())
}
