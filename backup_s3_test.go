package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"gallerist/storage/s3test"

	"github.com/minio/minio-go/v7"
)

// TestBackupToS3: `backup --to s3://...` writes the snapshot, files and
// manifest under a bucket prefix; `restore --from s3://...` brings back
// every media row and every blob (each hashed against its name); a
// backup without its manifest (interrupted) is refused, as is a non-empty
// prefix.
func TestBackupToS3(t *testing.T) {
	srv := s3test.Shared(t)
	bucket := srv.NewBucket(t)
	bin := buildBinary(t)
	s, _ := bkSeeded(t, bin, 4)
	keys := []string{"--s3-access-key", srv.AccessKey, "--s3-secret-key", srv.SecretKey}
	to := srv.URL(bucket, "backups/one")
	bkMustRun(t, bin, append([]string{"backup", "--data", s.dir, "--to", to}, keys...)...)
	if _, errOut, code := bkRun(t, bin, append([]string{"backup", "--data", s.dir, "--to", to}, keys...)...); code == 0 || !strings.Contains(errOut, "not empty") {
		t.Fatalf("backup into a used prefix: exit %d, %s", code, errOut)
	}

	dir := filepath.Join(t.TempDir(), "restored")
	bkMustRun(t, bin, append([]string{"restore", "--from", to, "--data", dir}, keys...)...)
	want, got := bkRows(t, s.dir), bkRows(t, dir)
	if len(want) != 4 || len(got) != len(want) {
		t.Fatalf("media rows: %d restored, %d backed up", len(got), len(want))
	}
	for id, r := range want {
		if got[id] != r {
			t.Fatalf("media %d: restored %+v, backed up %+v", id, got[id], r)
		}
		b, err := os.ReadFile(bkBlobPath(dir, r.sha))
		if err != nil {
			t.Fatal(err)
		}
		if sum := sha256.Sum256(b); hex.EncodeToString(sum[:]) != r.sha {
			t.Fatalf("media %d: restored blob does not hash to %s", id, r.sha)
		}
	}
	bkMustRun(t, bin, "verify", "--data", dir)

	// An interrupted backup never wrote its manifest.
	if err := srv.Client().RemoveObject(context.Background(), bucket, "backups/one/manifest.json", minio.RemoveObjectOptions{}); err != nil {
		t.Fatal(err)
	}
	_, errOut, code := bkRun(t, bin, append([]string{"restore", "--from", to, "--data", filepath.Join(t.TempDir(), "again")}, keys...)...)
	if code == 0 || !strings.Contains(errOut, "not a complete Gallerist backup") {
		t.Fatalf("restore without a manifest: exit %d, %s", code, errOut)
	}
}
