package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"path"
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
	bkCheckRestored(t, s.dir, dir, 4)
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

// TestVerifyS3: verify reads an instance's files through its store, so with
// them in a bucket a clean instance verifies clean (while its server runs);
// then, each in turn (and put back after), an original deleted behind the
// server's back, an original overwritten with other bytes and a deleted
// rendition are each reported naming the item and the object, with exit
// status 1, and an object no row refers to is a warning with exit 0.
func TestVerifyS3(t *testing.T) {
	srv := s3test.Shared(t)
	bucket := srv.NewBucket(t)
	bin := buildBinary(t)
	blobs := []string{"--blobs", srv.URL(bucket, "shop"), "--s3-access-key", srv.AccessKey, "--s3-secret-key", srv.SecretKey}
	s, ids := bkSeeded(t, bin, 3, blobs...)
	verify := func(t *testing.T) (string, string, int) {
		t.Helper()
		return bkRun(t, bin, append([]string{"verify", "--data", s.dir}, blobs...)...)
	}
	clean := func(t *testing.T, when string) {
		t.Helper()
		out, errOut, code := verify(t)
		if code != 0 || !strings.Contains(out, "OK: no problems") || !strings.Contains(out, "3 media items (3 blobs,") ||
			strings.Contains(out, " 0 renditions") || strings.Contains(out, "warning") || !strings.Contains(out, `(files in S3 bucket "`+bucket+`"`) {
			t.Fatalf("verify %s: exit %d\n%s\n%s", when, code, out, errOut)
		}
	}
	clean(t, "of a clean running instance on S3")
	s.stop()
	if _, errOut, code := bkRun(t, bin, "verify", "--data", s.dir); code == 0 ||
		!strings.Contains(errOut, "this instance keeps its files in s3://"+bucket+"/shop/ at "+srv.Endpoint+", not in the data directory (local): give verify --blobs '") {
		t.Fatalf("verify of an instance on S3 without --blobs: exit %d\n%s", code, errOut)
	}

	ctx := context.Background()
	c := srv.Client()
	var rendition string
	for obj := range c.ListObjects(ctx, bucket, minio.ListObjectsOptions{Prefix: "shop/renditions/", Recursive: true}) {
		if obj.Err != nil {
			t.Fatal(obj.Err)
		}
		if rendition == "" {
			rendition = obj.Key
		}
	}
	if rendition == "" {
		t.Fatal("no rendition was made")
	}
	get := func(t *testing.T, name string) []byte {
		t.Helper()
		obj, err := c.GetObject(ctx, bucket, name, minio.GetObjectOptions{})
		if err != nil {
			t.Fatal(err)
		}
		defer obj.Close()
		b, err := io.ReadAll(obj)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	put := func(t *testing.T, name string, b []byte) {
		t.Helper()
		if _, err := c.PutObject(ctx, bucket, name, bytes.NewReader(b), int64(len(b)), minio.PutObjectOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	remove := func(t *testing.T, name string) {
		t.Helper()
		if err := c.RemoveObject(ctx, bucket, name, minio.RemoveObjectOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	item := func(i int) (string, string) {
		sha := bkSHA(bkPNG(i, 120, 80))
		return fmt.Sprintf("media %d (item-%d.png)", int64(ids[i]), i), sha
	}
	media0, sha0 := item(0)
	media1, sha1 := item(1)
	for _, tc := range []struct {
		name      string
		brk, mend func(t *testing.T)
		wants     []string
	}{
		{"DeletedBlob", func(t *testing.T) { remove(t, "shop/originals/"+sha0) }, func(t *testing.T) { put(t, "shop/originals/"+sha0, bkPNG(0, 120, 80)) },
			[]string{"PROBLEM: " + media0 + ": blob " + sha0 + " is missing (s3://" + bucket + "/shop/originals/" + sha0 + ")"}},
		{"OverwrittenBlob", func(t *testing.T) { put(t, "shop/originals/"+sha1, bkPNG(7, 120, 80)[:100]) }, func(t *testing.T) { put(t, "shop/originals/"+sha1, bkPNG(1, 120, 80)) },
			[]string{"PROBLEM: " + media1 + ": blob " + sha1 + " is 100 bytes, the database says ", ": it was truncated or replaced (s3://" + bucket + "/shop/originals/" + sha1 + ")"}},
		{"CorruptBlob", func(t *testing.T) {
			b := bkPNG(1, 120, 80)
			b[len(b)/2] ^= 0xff
			put(t, "shop/originals/"+sha1, b)
		}, func(t *testing.T) { put(t, "shop/originals/"+sha1, bkPNG(1, 120, 80)) },
			[]string{"PROBLEM: " + media1 + ": blob " + sha1 + " is corrupt: its content hashes to ", " (s3://" + bucket + "/shop/originals/" + sha1 + ")"}},
		{"DeletedRendition", nil, nil,
			[]string{"PROBLEM: rendition " + path.Base(rendition) + " of media ", "is missing (s3://" + bucket + "/" + rendition + ")"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.brk == nil { // the rendition
				b := get(t, rendition)
				tc.brk = func(t *testing.T) { remove(t, rendition) }
				tc.mend = func(t *testing.T) { put(t, rendition, b) }
			}
			tc.brk(t)
			out, errOut, code := verify(t)
			if code == 0 {
				t.Fatalf("verify exited 0 on a broken instance:\n%s", out)
			}
			for _, w := range tc.wants {
				if !strings.Contains(out, w) {
					t.Errorf("verify output lacks %q:\n%s\n%s", w, out, errOut)
				}
			}
			if !strings.Contains(errOut, "verify found 1 problem in "+s.dir) {
				t.Errorf("stderr: %s", errOut)
			}
			tc.mend(t)
			clean(t, "once the object is put back")
		})
	}
	t.Run("OrphanIsAWarning", func(t *testing.T) {
		body := []byte("bytes no row has")
		name := "shop/originals/" + bkSHA(body)
		put(t, name, body)
		defer remove(t, name)
		out, errOut, code := verify(t)
		if code != 0 || !strings.Contains(out, "warning: orphan blob s3://"+bucket+"/"+name+": no media row has these bytes") ||
			!strings.Contains(out, "1 orphan blob, 0 orphan renditions") || strings.Contains(out, "PROBLEM") {
			t.Fatalf("verify with an orphan object: exit %d\n%s\n%s", code, out, errOut)
		}
	})
}

// TestS3BackupMessagesNameTheSetting is the review's R3: a missing bucket in
// backup's --to, migrate's --to or restore's --from is named as that flag's;
// restore lists its prefix first, so a missing bucket, an unknown key id or
// an empty prefix are said as such, not as "no manifest.json".
func TestS3BackupMessagesNameTheSetting(t *testing.T) {
	srv, bucket, bin, keys := ownerSetup(t)
	s, _ := bkSeeded(t, bin, 1)
	s.stop()
	missing := srv.URL("no-such-bucket", "bk")
	fresh := func() string { return filepath.Join(t.TempDir(), "restored") }
	for name, c := range map[string]struct {
		args []string
		want string
	}{
		"BackupTo":       {append([]string{"backup", "--data", s.dir, "--to", missing}, keys...), "the bucket does not exist; create it, or correct the bucket in --to"},
		"MigrateTo":      {append([]string{"blobs", "migrate", "--data", s.dir, "--to", missing}, keys...), "the bucket does not exist; create it, or correct the bucket in --to"},
		"RestoreFrom":    {append([]string{"restore", "--from", missing, "--data", fresh()}, keys...), "the bucket does not exist; create it, or correct the bucket in --from"},
		"RestoreEmpty":   {append([]string{"restore", "--from", srv.URL(bucket, "nothing-here"), "--data", fresh()}, keys...), "nothing is stored under that prefix: no backup there"},
		"RestoreUnknown": {[]string{"restore", "--from", srv.URL(bucket, "bk"), "--data", fresh(), "--s3-access-key", "nobody", "--s3-secret-key", srv.SecretKey}, "refused the credentials (access key id \"nobody\")"},
	} {
		t.Run(name, func(t *testing.T) {
			_, errOut, code := bkRun(t, bin, c.args...)
			if code == 0 || !strings.Contains(errOut, c.want) || strings.Contains(errOut, "manifest") {
				t.Fatalf("exit %d, want %q:\n%s", code, c.want, errOut)
			}
		})
	}
}
