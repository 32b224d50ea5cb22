package main

import (
	"bytes"
	"context"
	"io"
	neturl "net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"gallerist/storage"
	"gallerist/storage/s3test"

	"github.com/minio/minio-go/v7"
)

// ownerSetup is what the store tests share: the S3 server, a new bucket,
// the binary and the credential flags.
func ownerSetup(t testing.TB) (*s3test.Server, string, string, []string) {
	t.Helper()
	srv := s3test.Shared(t)
	return srv, srv.NewBucket(t), buildBinary(t), []string{"--s3-access-key", srv.AccessKey, "--s3-secret-key", srv.SecretKey}
}

// s3Objects lists the object names of bucket under prefix.
func s3Objects(t testing.TB, srv *s3test.Server, bucket, prefix string) map[string]bool {
	t.Helper()
	names := map[string]bool{}
	for obj := range srv.Client().ListObjects(context.Background(), bucket, minio.ListObjectsOptions{Prefix: prefix, Recursive: true}) {
		if obj.Err != nil {
			t.Fatal(obj.Err)
		}
		names[obj.Key] = true
	}
	return names
}

// s3Owner reads the lineage an owner object names ("" if none).
func s3Owner(t testing.TB, srv *s3test.Server, bucket, prefix string) string {
	t.Helper()
	obj, err := srv.Client().GetObject(context.Background(), bucket, prefix+storage.OwnerObject, minio.GetObjectOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer obj.Close()
	b, err := io.ReadAll(obj)
	if err != nil {
		if minio.ToErrorResponse(err).Code == "NoSuchKey" {
			return ""
		}
		t.Fatal(err)
	}
	_, after, _ := strings.Cut(string(b), "lineage: ")
	return strings.TrimSpace(after)
}

// lineageOf reads the store record of the database in dir.
func lineageOf(t testing.TB, dir string) storage.StoreOwner {
	t.Helper()
	rec, err := storage.ReadStoreOwner(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	return rec
}

// execDB runs one statement on the database in dir (no server running on it).
func execDB(t testing.TB, dir, stmt string) {
	t.Helper()
	db, err := storage.OpenDB(context.Background(), filepath.Join(dir, storage.DBFileName))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.ExecForTest(stmt); err != nil {
		t.Fatal(err)
	}
}

// serveRefused runs serve in-process and returns its error (it must not
// start: a server that does is ended after a minute and the test fails).
func serveRefused(t testing.TB, args ...string) error {
	t.Helper()
	var out, errOut bytes.Buffer
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	err := run(ctx, append([]string{"serve", "--addr", "127.0.0.1:0"}, args...), envOf(), nil, &out, &errOut)
	if strings.Contains(out.String(), "running") {
		t.Fatalf("the server started: %s", out.String())
	}
	if err == nil {
		t.Fatal("serve returned no error")
	}
	return err
}

// TestRestoredCopyLeavesProductionBucket is the review's B2: production on
// s3://BUCKET/shop4 uploads A, is backed up, uploads B; the backup is
// restored into a new data dir whose gc (and serve) is then pointed at
// production's bucket, with every object hours old and the backup's hold
// gone. The restored copy has a lineage of its own and records its files as
// local: gc and serve refuse, naming the fix, and production keeps B. A
// restored copy from before the store was recorded is still stopped by the
// owner object. With --blobs local it runs; with --take-over-store (the
// production instance gone) it takes the bucket over, after which the old
// production database is refused there.
func TestRestoredCopyLeavesProductionBucket(t *testing.T) {
	srv, bucket, bin, keys := ownerSetup(t)
	prod := srv.URL(bucket, "shop4")
	blobs := append([]string{"--blobs", prod}, keys...)
	s := startBinary(t, bin, append([]string{"--render-workers", "1"}, blobs...)...)
	a := s.upload(t, "a.png", bkPNG(1, 120, 80))
	s.waitReady(t, a)
	if got, want := s3Owner(t, srv, bucket, "shop4/"), lineageOf(t, s.dir).Lineage; got == "" || got != want {
		t.Fatalf("owner object names %q, production's lineage is %q", got, want)
	}
	bk := filepath.Join(t.TempDir(), "bk")
	bkMustRun(t, bin, append([]string{"backup", "--data", s.dir, "--to", bk}, blobs...)...)
	b := s.upload(t, "b.png", bkPNG(2, 120, 80))
	mb := s.waitReady(t, b)
	shaB := mb["sha256"].(string)
	restored := filepath.Join(t.TempDir(), "d4r")
	bkMustRun(t, bin, "restore", "--from", bk, "--data", restored)
	rec := lineageOf(t, restored)
	if rec.Lineage == "" || rec.Lineage == lineageOf(t, s.dir).Lineage || rec.Store != "local" {
		t.Fatalf("restored record %+v; production's lineage %s", rec, lineageOf(t, s.dir).Lineage)
	}
	srv.Backdate(t, bucket, "shop4/", 3*time.Hour)
	execDB(t, restored, `DELETE FROM gc_holds`)
	before := s3Objects(t, srv, bucket, "shop4/")
	if !before["shop4/originals/"+shaB] || !before["shop4/renditions/"+shaB+"/100.jpg"] {
		t.Fatalf("B's files are not in the bucket: %v", before)
	}
	bKept := func(t *testing.T, when string) {
		t.Helper()
		if now := s3Objects(t, srv, bucket, "shop4/"); len(now) != len(before) {
			t.Fatalf("%s: the bucket holds %d objects, %d before: %v", when, len(now), len(before), now)
		}
		if st, _ := s.request(t, "GET", urlPath(t, mb["url"].(string)), nil, ""); st != 200 {
			t.Fatalf("%s: production answers %d for B", when, st)
		}
	}

	_, errOut, code := bkRun(t, bin, append([]string{"gc", "--data", restored}, blobs...)...)
	bKept(t, "after the restored copy's gc")
	if code == 0 || !strings.Contains(errOut, "this instance keeps its files in the data directory (local), not in s3://"+bucket+"/shop4/") ||
		!strings.Contains(errOut, "give gc --blobs local") || !strings.Contains(errOut, "blobs migrate --to s3://BUCKET/NEW-PREFIX") {
		t.Fatalf("gc of the restored copy on production's bucket: exit %d\n%s", code, errOut)
	}
	err := serveRefused(t, append([]string{"--data", restored}, blobs...)...)
	if !strings.Contains(err.Error(), "give serve --blobs local") || !strings.Contains(err.Error(), "--take-over-store") {
		t.Fatalf("serve of the restored copy on production's bucket: %v", err)
	}

	// A copy restored from a backup taken before stores were recorded.
	execDB(t, restored, `UPDATE store_owner SET store = ''`)
	_, errOut, code = bkRun(t, bin, append([]string{"gc", "--data", restored}, blobs...)...)
	if code == 0 || !strings.Contains(errOut, "garbage collection deletes nothing here: the store belongs to another Gallerist database") {
		t.Fatalf("gc of an unrecorded restored copy on production's bucket: exit %d\n%s", code, errOut)
	}
	bKept(t, "after the unrecorded copy's gc")
	if err := serveRefused(t, append([]string{"--data", restored}, blobs...)...); !strings.Contains(err.Error(), "belongs to another Gallerist database") ||
		!strings.Contains(err.Error(), "start it with --blobs local") {
		t.Fatalf("serve of an unrecorded restored copy on production's bucket: %v", err)
	}
	execDB(t, restored, `UPDATE store_owner SET store = 'local'`)
	bkMustRun(t, bin, "gc", "--data", restored, "--blobs", "local")

	// Disaster recovery: production is gone, the copy takes its bucket over.
	s.stop()
	r := &server{bin: bin, dir: restored, token: s.token, args: append([]string{"--take-over-store"}, blobs...), log: &syncBuffer{}}
	r.start(t)
	if st, _ := r.request(t, "GET", urlPath(t, mb["url"].(string)), nil, ""); st != 404 {
		t.Fatalf("the restored copy serves B, which its database never had: %d", st)
	}
	r.stop()
	if got := s3Owner(t, srv, bucket, "shop4/"); got != rec.Lineage {
		t.Fatalf("after the take-over the owner object names %q, want the copy's %q", got, rec.Lineage)
	}
	if rec := lineageOf(t, restored); !sameStore(rec.Store, prod) {
		t.Fatalf("the copy records %q after the take-over", rec.Store)
	}
	r.args = blobs // taken over for good: no flag needed any more
	r.start(t)
	r.stop()
	if err := serveRefused(t, append([]string{"--data", s.dir}, blobs...)...); !strings.Contains(err.Error(), "belongs to another Gallerist database") {
		t.Fatalf("the old production database on the bucket taken over: %v", err)
	}
}

// TestCommandsRefuseWrongStore is the review's B3: on an instance whose
// server keeps its files in a bucket, import, gc, backup and verify without
// --blobs (or with another bucket) refuse, saying which --blobs to give, and
// write nothing: no blob in the data dir, no row, no backup.
func TestCommandsRefuseWrongStore(t *testing.T) {
	srv, bucket, bin, keys := ownerSetup(t)
	url := srv.URL(bucket, "shop3")
	s, _ := bkSeeded(t, bin, 1, append([]string{"--blobs", url}, keys...)...)
	s.stop()
	folder := t.TempDir()
	if err := os.WriteFile(filepath.Join(folder, "red-mug.png"), bkPNG(5, 120, 80), 0o644); err != nil {
		t.Fatal(err)
	}
	bk := filepath.Join(t.TempDir(), "bk")
	other := srv.URL(bucket, "elsewhere")
	want := "this instance keeps its files in s3://" + bucket + "/shop3/ at " + srv.Endpoint
	for name, args := range map[string][]string{
		"Import":              {"import", "--create-products", "--data", s.dir, folder},
		"GC":                  {"gc", "--data", s.dir},
		"Backup":              {"backup", "--data", s.dir, "--to", bk},
		"Verify":              {"verify", "--data", s.dir},
		"ImportOtherPrefix":   append(append([]string{"import", "--create-products", "--data", s.dir, "--blobs", other}, keys...), folder),
		"MigrateFromWrongOne": append([]string{"blobs", "migrate", "--data", s.dir, "--to", other}, keys...),
	} {
		t.Run(name, func(t *testing.T) {
			_, errOut, code := bkRun(t, bin, args...)
			if code == 0 || !strings.Contains(errOut, want) || !strings.Contains(errOut, "--blobs '"+storeName(mustBlobs(t, url))+"'") {
				t.Fatalf("exit %d\n%s", code, errOut)
			}
		})
	}
	if left, _ := filepath.Glob(filepath.Join(s.dir, "blobs", "*")); len(left) != 0 {
		t.Fatalf("blobs written to the data dir: %v", left)
	}
	if _, err := os.Stat(bk); !os.IsNotExist(err) {
		t.Fatalf("a backup was written: %v", err)
	}
	out := bkMustRun(t, bin, append([]string{"verify", "--data", s.dir, "--blobs", url}, keys...)...)
	if !strings.Contains(out, "1 media item (1 blobs,") {
		t.Fatalf("the import added an item:\n%s", out)
	}
	// With the right --blobs, import works (and its file is in the bucket).
	bkMustRun(t, bin, append(append([]string{"import", "--create-products", "--data", s.dir, "--blobs", url}, keys...), folder)...)
	if !s3Objects(t, srv, bucket, "shop3/originals/")["shop3/originals/"+bkSHA(bkPNG(5, 120, 80))] {
		t.Fatal("the imported file is not in the bucket")
	}
	bkMustRun(t, bin, append([]string{"backup", "--data", s.dir, "--to", bk, "--blobs", url}, keys...)...)

	// A database from before the store was recorded: backup still hints (R6).
	execDB(t, s.dir, `UPDATE store_owner SET store = ''`)
	if _, errOut, code := bkRun(t, bin, "backup", "--data", s.dir, "--to", filepath.Join(t.TempDir(), "bk2")); code == 0 ||
		!strings.Contains(errOut, "is missing") || !strings.Contains(errOut, "give backup the same --blobs (or GALLERIST_BLOBS)") {
		t.Fatalf("backup of an unrecorded S3 instance without --blobs: exit %d\n%s", code, errOut)
	}
}

func mustBlobs(t testing.TB, url string) blobsConfig {
	t.Helper()
	s3, err := storage.ParseS3URL(url)
	if err != nil {
		t.Fatal(err)
	}
	return blobsConfig{s3: &s3}
}

// TestMigrateThenSwitchStore: a local instance with media is refused on a
// bucket it never migrated to; after `blobs migrate --to` that bucket (which
// marks the target as this database's) it starts there and serves every
// file, and from then on the bucket is its store (local is refused; gc,
// backup and verify with it run as before). A restored copy migrates to a
// prefix of its own and serves there, but may not migrate into the
// production prefix another database owns.
func TestMigrateThenSwitchStore(t *testing.T) {
	srv, bucket, bin, keys := ownerSetup(t)
	s, ids := bkSeeded(t, bin, 2)
	m := s.get(t, "/api/media/"+strconvID(ids[1]))
	s.stop()
	target := srv.URL(bucket, "shop")
	blobs := append([]string{"--blobs", target}, keys...)
	if err := serveRefused(t, append([]string{"--data", s.dir}, blobs...)...); !strings.Contains(err.Error(), "keeps its files in the data directory (local)") {
		t.Fatalf("serve on a bucket never migrated to: %v", err)
	}
	bkMustRun(t, bin, append([]string{"blobs", "migrate", "--data", s.dir, "--to", target}, keys...)...)
	lineage := lineageOf(t, s.dir)
	if got := s3Owner(t, srv, bucket, "shop/"); got != lineage.Lineage || !sameStore(lineage.Next, target) {
		t.Fatalf("after migrate: owner object %q, record %+v", got, lineage)
	}
	bkMustRun(t, bin, append([]string{"verify", "--data", s.dir}, blobs...)...) // the target, before the switch
	for _, d := range []string{"blobs", "renditions"} {
		if err := os.RemoveAll(filepath.Join(s.dir, d)); err != nil {
			t.Fatal(err)
		}
	}
	s.args = blobs
	s.start(t)
	if st, b := s.request(t, "GET", urlPath(t, m["url"].(string)), nil, ""); st != 200 || !bytes.Equal(b, bkPNG(1, 120, 80)) {
		t.Fatalf("after the switch: %d, %d bytes", st, len(b))
	}
	s.stop()
	if rec := lineageOf(t, s.dir); !sameStore(rec.Store, target) || rec.Next != "" {
		t.Fatalf("after the switch the record is %+v", rec)
	}
	if err := serveRefused(t, "--data", s.dir); !strings.Contains(err.Error(), "give serve --blobs '") {
		t.Fatalf("serve without --blobs after the switch: %v", err)
	}
	bkMustRun(t, bin, append([]string{"gc", "--data", s.dir}, blobs...)...)
	bk := filepath.Join(t.TempDir(), "bk")
	bkMustRun(t, bin, append([]string{"backup", "--data", s.dir, "--to", bk}, blobs...)...)
	bkMustRun(t, bin, append([]string{"verify", "--data", s.dir}, blobs...)...)

	// A restored copy: not into the prefix production owns, but into its own.
	restored := filepath.Join(t.TempDir(), "restored")
	bkMustRun(t, bin, "restore", "--from", bk, "--data", restored)
	if _, errOut, code := bkRun(t, bin, append([]string{"blobs", "migrate", "--data", restored, "--to", target}, keys...)...); code == 0 ||
		!strings.Contains(errOut, "--to: the store belongs to another Gallerist database") || !strings.Contains(errOut, "give a prefix of its own") {
		t.Fatalf("migrate of a restored copy into production's prefix: exit %d\n%s", code, errOut)
	}
	own := srv.URL(bucket, "copy")
	bkMustRun(t, bin, append([]string{"blobs", "migrate", "--data", restored, "--to", own}, keys...)...)
	r := &server{bin: bin, dir: restored, token: s.token, args: append([]string{"--blobs", own}, keys...), log: &syncBuffer{}}
	r.start(t)
	r.stop()
	if got := s3Owner(t, srv, bucket, "copy/"); got != lineageOf(t, restored).Lineage || got == lineage.Lineage {
		t.Fatalf("the copy's prefix is owned by %q", got)
	}
}

func strconvID(id float64) string { return strconv.FormatInt(int64(id), 10) }

// urlPath is the path of an absolute URL (a server's, which changes port on restart).
func urlPath(t testing.TB, u string) string {
	t.Helper()
	p, err := neturl.Parse(u)
	if err != nil {
		t.Fatal(err)
	}
	return p.Path
}
