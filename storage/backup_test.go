package storage

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"gallerist/data"
)

// newDataDirEnv is a testEnv laid out as a data directory (the database and
// the blobs in one folder), as backup, restore and verify expect.
func newDataDirEnv(t testing.TB) *testEnv {
	t.Helper()
	dir := t.TempDir()
	db, err := OpenDB(context.Background(), filepath.Join(dir, DBFileName))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	clock := &testClock{}
	clock.Set(time.Now().Truncate(time.Millisecond))
	db.Now = clock.Now
	blobs, staging := openLocalBlobs(t, dir)
	e := &testEnv{dir: dir, db: db, blobs: blobs, staging: staging, clock: clock, orgs: NewOrgService(db), users: NewUserService(db), auth: NewAuthService(db)}
	e.media = NewMediaService(db, blobs, staging, data.DefaultLimits())
	e.catalog = NewCatalogService(db, e.media, data.DefaultLimits())
	org, err := e.orgs.EnsureDefaultOrg(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	e.org, e.ctx = org, actingIn(org.ID)
	return e
}

// fakeRendition records a rendition row and writes its file, as the renderer does.
func (e *testEnv) fakeRendition(t testing.TB, sha string, slot int) string {
	t.Helper()
	p := filepath.Join(e.renditionDir(sha), strconv.Itoa(slot)+".jpg")
	if err := os.MkdirAll(filepath.Dir(p), 0o750); err != nil {
		t.Fatal(err)
	}
	body := []byte("rendition " + sha + " " + strconv.Itoa(slot))
	if err := os.WriteFile(p, body, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := e.db.ExecForTest(`INSERT INTO renditions (sha256, slot, ext, mime_type, width, height, size, created_at)
		VALUES (?, ?, 'jpg', 'image/jpeg', ?, ?, ?, 0)`, sha, slot, slot, slot, len(body)); err != nil {
		t.Fatal(err)
	}
	return p
}

func (e *testEnv) purge(t testing.TB, id int64) {
	t.Helper()
	e.trash(t, e.ctx, id, true)
	if err := e.media.PurgeMedia(e.ctx, id); err != nil {
		t.Fatalf("purge %d: %v", id, err)
	}
}

// TestBackupHold: while a hold on file deletion is unexpired, purges and GC
// delete rows but no files; once it is released or expires, GC removes the
// files left behind.
func TestBackupHold(t *testing.T) {
	t.Run("GCAndPurgeKeepFilesUntilExpiry", func(t *testing.T) {
		e := newDataDirEnv(t)
		a := e.createMedia(t, e.ctx, "a.jpg", jpegA)
		b := e.createMedia(t, e.ctx, "b.jpg", jpegB)
		c := e.createMedia(t, e.ctx, "c.jpg", jpegC)
		rendA := e.fakeRendition(t, a.SHA256, 320)
		e.putBlob(t, shaOf([]byte("orphan")), []byte("orphan"))
		orphan := e.blobPath(shaOf([]byte("orphan")))
		setModTime(t, orphan, e.clock.Now().Add(-2*OrphanBlobAge))
		e.trash(t, e.ctx, a.ID, true)

		hold, err := e.db.HoldFiles(e.ctx, "test", time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		rep := e.gc(t, false, 0)
		if len(rep.Purged) != 1 || rep.Purged[0].ID != a.ID {
			t.Fatalf("GC under a hold purged %+v, want the trashed row %d", rep.Purged, a.ID)
		}
		if len(rep.Orphans) != 0 {
			t.Fatalf("GC under a hold reported orphans deleted: %v", rep.Orphans)
		}
		e.purge(t, b.ID)
		if n := e.count(t, `SELECT COUNT(*) FROM media WHERE id IN (?, ?)`, a.ID, b.ID); n != 0 {
			t.Fatalf("%d purged rows remain: rows must go under a hold", n)
		}
		if n := e.count(t, `SELECT COUNT(*) FROM renditions WHERE sha256 = ?`, a.SHA256); n != 0 {
			t.Fatalf("rendition rows of purged bytes remain")
		}
		for _, p := range []string{e.blobPath(a.SHA256), e.blobPath(b.SHA256), rendA, orphan} {
			if !exists(t, p) {
				t.Fatalf("%s was deleted while a hold was in force", p)
			}
		}

		// One millisecond before expiry it still holds; at expiry it does not.
		e.clock.Advance(time.Hour - time.Millisecond)
		e.gc(t, false, 0)
		if !exists(t, orphan) {
			t.Fatal("the orphan went before the hold expired")
		}
		e.clock.Advance(time.Millisecond)
		if rep = e.gc(t, false, 0); exists(t, orphan) {
			t.Fatalf("the old orphan is still there at the hold's expiry (report %+v)", rep)
		}
		// The files the held purges left are orphans, removed once an hour old.
		e.clock.Advance(OrphanBlobAge)
		rep = e.gc(t, false, 0)
		for _, p := range []string{e.blobPath(a.SHA256), e.blobPath(b.SHA256), filepath.Dir(rendA), orphan} {
			if exists(t, p) {
				t.Errorf("%s is still there after the hold expired (report %+v)", p, rep)
			}
		}
		if !exists(t, e.blobPath(c.SHA256)) {
			t.Fatal("a live item's blob went")
		}
		if err := e.db.RenewHold(e.ctx, hold, time.Hour); err == nil {
			t.Fatal("renewing an expired hold succeeded; files may have been deleted meanwhile")
		}
	})

	t.Run("Released", func(t *testing.T) {
		e := newDataDirEnv(t)
		a := e.createMedia(t, e.ctx, "a.jpg", jpegA)
		b := e.createMedia(t, e.ctx, "b.jpg", jpegB)
		hold, err := e.db.HoldFiles(e.ctx, "test", time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		e.clock.Advance(30 * time.Minute)
		if err := e.db.RenewHold(e.ctx, hold, time.Hour); err != nil {
			t.Fatal(err)
		}
		e.clock.Advance(45 * time.Minute) // past the first expiry, within the renewed one
		e.purge(t, a.ID)
		if !exists(t, e.blobPath(a.SHA256)) {
			t.Fatal("a purge under a renewed hold deleted the blob")
		}
		if err := e.db.ReleaseHold(e.ctx, hold); err != nil {
			t.Fatal(err)
		}
		e.purge(t, b.ID)
		if exists(t, e.blobPath(b.SHA256)) {
			t.Fatal("a purge after the hold was released kept the blob")
		}
		e.clock.Advance(2 * OrphanBlobAge)
		if rep := e.gc(t, false, 0); len(rep.Orphans) != 1 || rep.Orphans[0] != a.SHA256 || exists(t, e.blobPath(a.SHA256)) {
			t.Fatalf("GC after release: %+v; want the blob left by the held purge removed", rep)
		}
	})
}

// TestBackupRestoreVerify backs up an instance with trashed items, a
// gallery and renditions, purges (and collects garbage) between the
// snapshot and the copying of files, restores, and checks the restored
// instance holds exactly the snapshot and verifies clean.
func TestBackupRestoreVerify(t *testing.T) {
	e := newDataDirEnv(t)
	a := e.createMedia(t, e.ctx, "a.jpg", jpegA)
	b := e.createMedia(t, e.ctx, "b.jpg", jpegB)
	c := e.createMedia(t, e.ctx, "c.png", pngA)
	d := e.createMedia(t, e.ctx, "d.png", pngB)
	e.fakeRendition(t, a.SHA256, 320)
	e.fakeRendition(t, b.SHA256, 320)
	e.fakeRendition(t, b.SHA256, 640)
	p := e.createProduct(t, e.ctx, "Mug")
	e.attach(t, e.ctx, p.ID, a.ID, b.ID, c.ID)
	e.trash(t, e.ctx, d.ID, false)

	dest := filepath.Join(t.TempDir(), "backup")
	res, err := Backup(e.ctx, e.dir, dest, BackupOptions{afterSnapshot: func() {
		// b is purged and d collected after the snapshot, which has both.
		e.purge(t, b.ID)
		if rep := e.gc(t, false, 0); len(rep.Purged) != 1 {
			t.Errorf("GC during the backup purged %+v, want d", rep.Purged)
		}
	}})
	if err != nil {
		t.Fatal(err)
	}
	m := res.Manifest
	if m.Counts["media"] != 4 || m.Counts["media_trashed"] != 1 || m.Counts["gallery_images"] != 3 || m.Counts["renditions"] != 3 {
		t.Fatalf("manifest counts %v", m.Counts)
	}
	if m.Blobs.Count != 4 || m.Renditions.Count != 3 || len(m.DroppedRenditions) != 0 {
		t.Fatalf("manifest blobs %+v renditions %+v dropped %v", m.Blobs, m.Renditions, m.DroppedRenditions)
	}
	// The hold is gone: GC deletes again.
	if n := e.count(t, `SELECT COUNT(*) FROM gc_holds`); n != 0 {
		t.Fatalf("%d holds left after the backup", n)
	}
	e.clock.Advance(2 * OrphanBlobAge)
	e.gc(t, false, 0)
	if exists(t, e.blobPath(b.SHA256)) {
		t.Fatal("after the backup, GC did not remove the purged blob")
	}

	restored := filepath.Join(t.TempDir(), "restored")
	if _, err := Restore(e.ctx, dest, restored, RestoreOptions{}); err != nil {
		t.Fatal(err)
	}
	rep, err := Verify(e.ctx, restored, VerifyOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if !rep.Clean() || len(rep.Warnings) != 0 || rep.Media != 4 || rep.Blobs != 4 || rep.Renditions != 3 || rep.Products != 1 {
		t.Fatalf("verify of the restored instance: %+v", rep)
	}
	db, err := OpenDB(e.ctx, filepath.Join(restored, DBFileName))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, want := range []*data.Media{a, b, c, d} {
		var sha string
		var deleted *int64
		if err := db.QueryRowForTest(`SELECT sha256, deleted_at FROM media WHERE id = ?`, want.ID).Scan(&sha, &deleted); err != nil || sha != want.SHA256 {
			t.Fatalf("restored media %d: sha %s, %v; want %s", want.ID, sha, err, want.SHA256)
		}
		if (deleted != nil) != (want.ID == d.ID) {
			t.Fatalf("restored media %d: deleted_at %v", want.ID, deleted)
		}
	}
}

// TestBackupDropsVanishedRenditions: a rendition whose file is gone when it
// is copied (the renderer removes the folder of bytes purged while it
// worked) is left out of the snapshot, so the restored instance verifies.
func TestBackupDropsVanishedRenditions(t *testing.T) {
	e := newDataDirEnv(t)
	a := e.createMedia(t, e.ctx, "a.jpg", jpegA)
	r := e.fakeRendition(t, a.SHA256, 320)
	e.fakeRendition(t, a.SHA256, 640)
	dest := filepath.Join(t.TempDir(), "backup")
	res, err := Backup(e.ctx, e.dir, dest, BackupOptions{afterSnapshot: func() { os.Remove(r) }})
	if err != nil {
		t.Fatal(err)
	}
	if res.Manifest.Counts["renditions"] != 1 || len(res.Manifest.DroppedRenditions) != 1 || len(res.Warnings) != 1 {
		t.Fatalf("manifest %+v, warnings %v", res.Manifest, res.Warnings)
	}
	restored := filepath.Join(t.TempDir(), "restored")
	if _, err := Restore(e.ctx, dest, restored, RestoreOptions{}); err != nil {
		t.Fatal(err)
	}
	if rep, err := Verify(e.ctx, restored, VerifyOptions{}); err != nil || !rep.Clean() {
		t.Fatalf("verify: %+v %v", rep, err)
	}
}

// TestBackupRefuses: a corrupt or missing blob fails the backup and leaves
// nothing behind; a non-empty destination is refused untouched.
func TestBackupRefuses(t *testing.T) {
	t.Run("CorruptBlob", func(t *testing.T) {
		e := newDataDirEnv(t)
		a := e.createMedia(t, e.ctx, "a.jpg", jpegA)
		if err := os.WriteFile(e.blobPath(a.SHA256), []byte("not the bytes"), 0o600); err != nil {
			t.Fatal(err)
		}
		dest := filepath.Join(t.TempDir(), "backup")
		_, err := Backup(e.ctx, e.dir, dest, BackupOptions{})
		if err == nil || !strings.Contains(err.Error(), "blob "+a.SHA256+" is corrupt") || !strings.Contains(err.Error(), "a.jpg") {
			t.Fatalf("got %v, want the corrupt blob named", err)
		}
		if _, err := os.Stat(dest); !os.IsNotExist(err) {
			t.Fatalf("a failed backup left %s", dest)
		}
	})
	t.Run("MissingBlob", func(t *testing.T) {
		e := newDataDirEnv(t)
		a := e.createMedia(t, e.ctx, "a.jpg", jpegA)
		os.Remove(e.blobPath(a.SHA256))
		_, err := Backup(e.ctx, e.dir, filepath.Join(t.TempDir(), "backup"), BackupOptions{})
		if err == nil || !strings.Contains(err.Error(), "blob "+a.SHA256+" is missing") {
			t.Fatalf("got %v, want the missing blob named", err)
		}
	})
	t.Run("NonEmptyDestination", func(t *testing.T) {
		e := newDataDirEnv(t)
		e.createMedia(t, e.ctx, "a.jpg", jpegA)
		dest := t.TempDir()
		os.WriteFile(filepath.Join(dest, "keep"), []byte("x"), 0o600)
		if _, err := Backup(e.ctx, e.dir, dest, BackupOptions{}); err == nil || !strings.Contains(err.Error(), "not empty") {
			t.Fatalf("got %v", err)
		}
		entries, _ := os.ReadDir(dest)
		if len(entries) != 1 {
			t.Fatalf("the refused destination was changed: %v", entries)
		}
	})
	t.Run("TamperedManifestPath", func(t *testing.T) {
		e := newDataDirEnv(t)
		e.createMedia(t, e.ctx, "a.jpg", jpegA)
		dest := filepath.Join(t.TempDir(), "backup")
		if _, err := Backup(e.ctx, e.dir, dest, BackupOptions{}); err != nil {
			t.Fatal(err)
		}
		m, err := ReadManifest(dest)
		if err != nil {
			t.Fatal(err)
		}
		m.Files = append(m.Files, ManifestFile{Path: "../escape", Size: 1, SHA256: strings.Repeat("0", 64)})
		b, _ := json.Marshal(m)
		os.WriteFile(filepath.Join(dest, ManifestName), b, 0o600)
		restored := filepath.Join(t.TempDir(), "restored")
		if _, err := Restore(e.ctx, dest, restored, RestoreOptions{}); err == nil || !strings.Contains(err.Error(), "unexpected file") {
			t.Fatalf("got %v", err)
		}
		if _, err := os.Stat(restored); !os.IsNotExist(err) {
			t.Fatal("a refused restore created the data directory")
		}
	})
}
