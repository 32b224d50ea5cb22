package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"gallerist/storage/s3test"
)

// TestKilledBackupSnapshotRemoved is the review's B5: a backup into a
// bucket stages its database snapshot in tmp/backup-*; one that was killed
// leaves it behind. While a hold on file deletion is live (a backup may be
// running) the folder is kept; once no hold is live the next server start
// removes it, and no start or stop warns that tmp/ could not be cleared.
func TestKilledBackupSnapshotRemoved(t *testing.T) {
	bin := buildBinary(t)
	s, _ := bkSeeded(t, bin, 1)
	s.stop()
	snap := filepath.Join(s.dir, "tmp", "backup-1234567")
	if err := os.MkdirAll(snap, 0o750); err != nil {
		t.Fatal(err)
	}
	db, err := os.ReadFile(filepath.Join(s.dir, "gallerist.db"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(snap, "gallerist.db"), db, 0o640); err != nil {
		t.Fatal(err)
	}
	now := time.Now().UnixMilli()
	execDB(t, s.dir, fmt.Sprintf(`INSERT INTO gc_holds (reason, created_at, expires_at) VALUES ('backup to s3://b/x', %d, %d)`, now, now+time.Hour.Milliseconds()))

	s.start(t) // a backup may be running: its snapshot stays
	s.stop()
	if _, err := os.Stat(filepath.Join(snap, "gallerist.db")); err != nil {
		t.Fatalf("the snapshot of a backup whose hold is live was removed: %v", err)
	}

	execDB(t, s.dir, `UPDATE gc_holds SET expires_at = 1`) // its hold expired: the backup is dead
	s.start(t)
	s.stop()
	if _, err := os.Stat(snap); !os.IsNotExist(err) {
		t.Fatalf("a killed backup's snapshot is still there: %v", err)
	}
	if log := s.log.String(); strings.Contains(log, "clear staging files") || !strings.Contains(log, "removed the database snapshots of killed backups") {
		t.Fatalf("server log:\n%s", log)
	}
}

// TestMigrateClearsKilledRunsSpool is the review's R7: a killed `blobs
// migrate` leaves spool files in tmp-migrate/; the next run (one at a time,
// so they cannot be another run's) removes them, however new.
func TestMigrateClearsKilledRunsSpool(t *testing.T) {
	srv := s3test.Shared(t)
	bin := buildBinary(t)
	s, _ := bkSeeded(t, bin, 1)
	s.stop()
	left := filepath.Join(s.dir, migrateSpoolDir, "upload-999")
	if err := os.MkdirAll(filepath.Dir(left), 0o750); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(left, []byte("half a rendition"), 0o640); err != nil {
		t.Fatal(err)
	}
	bkMustRun(t, bin, "blobs", "migrate", "--data", s.dir, "--to", srv.URL(srv.NewBucket(t), "shop"),
		"--s3-access-key", srv.AccessKey, "--s3-secret-key", srv.SecretKey)
	if _, err := os.Stat(filepath.Dir(left)); !os.IsNotExist(err) {
		entries, _ := os.ReadDir(filepath.Dir(left))
		t.Fatalf("spool left after a successful migrate: %v %v", err, entries)
	}
}
