package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"gallerist/storage/s3test"

	"github.com/minio/minio-go/v7"
)

// bkTarget is where an interrupted backup goes: a directory or a bucket
// prefix, with what the binary needs to reach it.
type bkTarget struct {
	// next is a new --to for each backup; files counts what one holds
	// (up to enough), hasManifest says whether its manifest is there.
	next        func(t *testing.T) string
	files       func(t *testing.T, to string, enough int) int
	hasManifest func(t *testing.T, to string) bool
	args        []string // credentials
}

func bkDirTarget(t *testing.T) bkTarget {
	root := t.TempDir()
	n := 0
	return bkTarget{
		next: func(t *testing.T) string { n++; return filepath.Join(root, fmt.Sprint("backup-", n)) },
		files: func(t *testing.T, to string, enough int) int {
			found := 0
			filepath.WalkDir(filepath.Join(to, "blobs"), func(p string, d fs.DirEntry, err error) error {
				if err == nil && d.Type().IsRegular() {
					found++
				}
				if found >= enough {
					return filepath.SkipAll
				}
				return nil
			})
			return found
		},
		hasManifest: func(t *testing.T, to string) bool {
			_, err := os.Stat(filepath.Join(to, "manifest.json"))
			return err == nil
		},
	}
}

func bkBucketTarget(t *testing.T) bkTarget {
	srv := s3test.Shared(t)
	bucket := srv.NewBucket(t)
	c := srv.Client()
	n := 0
	prefixOf := func(to string) string { // the prefix of an s3:// --to this made
		return strings.TrimPrefix(strings.SplitN(to, "?", 2)[0], "s3://"+bucket+"/") + "/"
	}
	return bkTarget{
		next: func(t *testing.T) string { n++; return srv.URL(bucket, fmt.Sprint("backups/", n)) },
		files: func(t *testing.T, to string, enough int) int {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			found := 0
			for obj := range c.ListObjects(ctx, bucket, minio.ListObjectsOptions{Prefix: prefixOf(to), Recursive: true}) {
				if obj.Err != nil {
					t.Fatal(obj.Err)
				}
				if found++; found >= enough {
					break
				}
			}
			return found
		},
		hasManifest: func(t *testing.T, to string) bool {
			_, err := c.StatObject(context.Background(), bucket, prefixOf(to)+"manifest.json", minio.StatObjectOptions{})
			if err != nil && minio.ToErrorResponse(err).StatusCode != 404 {
				t.Fatal(err)
			}
			return err == nil
		},
		args: []string{"--s3-access-key", srv.AccessKey, "--s3-secret-key", srv.SecretKey},
	}
}

// bkInterrupt starts `gallerist backup --data dir --to to`, waits until
// some of its files are in the target (it must still be running then),
// sends sig and returns the exit status and stderr.
func bkInterrupt(t *testing.T, bin, dir, to string, tg bkTarget, sig os.Signal) (int, string) {
	t.Helper()
	var errOut bytes.Buffer
	cmd := exec.Command(bin, append([]string{"backup", "--data", dir, "--to", to}, tg.args...)...)
	cmd.Stderr = &errOut
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	deadline := time.Now().Add(2 * time.Minute)
	for tg.files(t, to, 20) < 20 {
		select {
		case err := <-exited:
			t.Fatalf("the backup ended (%v) before 20 of its files were seen: too little data to interrupt it\n%s", err, errOut.String())
		default:
		}
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			t.Fatalf("no 20 files in %s after 2 minutes\n%s", to, errOut.String())
		}
		time.Sleep(2 * time.Millisecond)
	}
	if err := cmd.Process.Signal(sig); err != nil {
		t.Fatal(err)
	}
	err := <-exited
	var ee *exec.ExitError
	if !errors.As(err, &ee) {
		t.Fatalf("the backup was sent %v but exited with %v\n%s", sig, err, errOut.String())
	}
	return ee.ExitCode(), errOut.String()
}

// TestBackupInterrupted interrupts `gallerist backup` halfway, with the real
// binary, into a directory and into a bucket prefix (versitygw), on an
// instance of 3,000 items:
//   - SIGKILL: what was copied stays, but without manifest.json, so
//     `restore --from` it refuses, saying why, and writes nothing; the
//     killed backup's hold on file deletion is left to expire;
//   - SIGINT and SIGTERM: the backup stops, says so, removes everything it
//     wrote and releases its hold;
//
// and a backup to a new target afterwards succeeds and restores item by
// item (every blob hashing to its row's sha256).
func TestBackupInterrupted(t *testing.T) {
	const items = 3000
	bin := buildBinary(t)
	dir := t.TempDir()
	bkMustRun(t, bin, "token", "create", "--data", dir, "--name", "seed", "--scopes", "media:read")
	bkSeedDirect(t, dir, items)
	holds := func(t *testing.T, to string) int {
		t.Helper()
		return bkCount(t, dir, `SELECT COUNT(*) FROM gc_holds WHERE reason = ?`, "backup to "+to)
	}
	for _, tc := range []struct {
		name   string
		target func(*testing.T) bkTarget
	}{{"Dir", bkDirTarget}, {"S3", bkBucketTarget}} {
		t.Run(tc.name, func(t *testing.T) {
			tg := tc.target(t)
			t.Run("SIGKILL", func(t *testing.T) {
				to := tg.next(t)
				if code, errOut := bkInterrupt(t, bin, dir, to, tg, os.Kill); code != -1 {
					t.Fatalf("killed backup: exit %d, want killed by a signal\n%s", code, errOut)
				}
				if tg.files(t, to, 1) == 0 || tg.hasManifest(t, to) {
					t.Fatalf("after the kill: files %d, manifest %v; want files and no manifest", tg.files(t, to, 1), tg.hasManifest(t, to))
				}
				restored := filepath.Join(t.TempDir(), "restored")
				_, errOut, code := bkRun(t, bin, append([]string{"restore", "--from", to, "--data", restored}, tg.args...)...)
				if code == 0 || !strings.Contains(errOut, "has no manifest.json: it is not a complete Gallerist backup (an interrupted backup writes none)") {
					t.Fatalf("restore from a killed backup: exit %d\n%s", code, errOut)
				}
				if _, err := os.Stat(restored); !errors.Is(err, fs.ErrNotExist) {
					t.Fatalf("a refused restore left %s (%v)", restored, err)
				}
				if n := holds(t, to); n != 1 {
					t.Fatalf("%d holds of the killed backup, want 1 (it expires by itself)", n)
				}
			})
			for _, sig := range []os.Signal{os.Interrupt, syscall.SIGTERM} {
				t.Run(sig.String(), func(t *testing.T) {
					to := tg.next(t)
					code, errOut := bkInterrupt(t, bin, dir, to, tg, sig)
					if code != 1 || !strings.Contains(errOut, "gallerist: backup interrupted; what it wrote to "+to+" was removed") {
						t.Fatalf("backup sent %v: exit %d\n%s", sig, code, errOut)
					}
					if n := tg.files(t, to, 1); n != 0 {
						t.Fatalf("an interrupted backup left files in %s", to)
					}
					if tc.name == "Dir" {
						if _, err := os.Stat(to); !errors.Is(err, fs.ErrNotExist) {
							t.Fatalf("the interrupted backup left its directory %s (%v)", to, err)
						}
					}
					if n := holds(t, to); n != 0 {
						t.Fatalf("the interrupted backup left %d holds on file deletion", n)
					}
				})
			}
			t.Run("BackupAfter", func(t *testing.T) {
				to := tg.next(t)
				bkMustRun(t, bin, append([]string{"backup", "--data", dir, "--to", to}, tg.args...)...)
				restored := filepath.Join(t.TempDir(), "restored")
				bkMustRun(t, bin, append([]string{"restore", "--from", to, "--data", restored}, tg.args...)...)
				bkCheckRestored(t, dir, restored, items)
				bkMustRun(t, bin, "verify", "--data", restored)
			})
		})
	}
}
