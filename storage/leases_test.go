package storage

import (
	"context"
	"database/sql"
	"errors"
	"io"
	"os"
	"testing"
	"time"

	"gallerist/data"
)

// gatedStore is the real local store whose puts wait at a gate the test
// opens, so a test can act while an upload is between staging and commit.
type gatedStore struct {
	*LocalBlobs
	entered chan string   // receives the key when a put reaches the gate
	open    chan struct{} // closed to let puts through
	fail    map[string]error
}

func newGatedStore(blobs *LocalBlobs) *gatedStore {
	return &gatedStore{LocalBlobs: blobs, entered: make(chan string, 16), open: make(chan struct{}), fail: map[string]error{}}
}

func (g *gatedStore) gate(key string) error {
	g.entered <- key
	<-g.open
	return g.fail[key]
}

func (g *gatedStore) moveFile(key, path string) (bool, error) {
	if err := g.gate(key); err != nil {
		os.Remove(path)
		return false, err
	}
	return g.LocalBlobs.moveFile(key, path)
}

func (g *gatedStore) Put(ctx context.Context, key string, r io.Reader, size int64, sum string) (bool, error) {
	if err := g.gate(key); err != nil {
		return false, err
	}
	return g.LocalBlobs.Put(ctx, key, r, size, sum)
}

// gated makes e's media service put blobs through a gated store.
func (e *testEnv) gated() *gatedStore {
	g := newGatedStore(e.blobs)
	e.media = NewMediaService(e.db, g, e.staging, data.DefaultLimits())
	return g
}

// uploadFailingSecondPut uploads two files (the first JPEG and PNG of the
// test data) through a store that refuses the second put, checks the
// upload failed, and returns the two staged files.
func (e *testEnv) uploadFailingSecondPut(t testing.TB) (a, b *data.Staged) {
	t.Helper()
	g := e.gated()
	a = e.stage(t, e.ctx, "a.jpg", imageTestdata(t, jpegA))
	b = e.stage(t, e.ctx, "b.png", imageTestdata(t, pngA))
	g.fail[b.SHA256] = errors.New("the store refused")
	close(g.open)
	go func() {
		for range g.entered {
		}
	}()
	_, err := e.media.CreateMedia(e.ctx, data.MediaCreate{Files: []*data.Staged{a, b}})
	close(g.entered)
	if err == nil {
		t.Fatal("an upload whose second put failed succeeded")
	}
	return a, b
}

func TestUploadLeases(t *testing.T) {
	t.Run("PutHoldsNoWriteLock", func(t *testing.T) {
		e := newTestEnv(t)
		g := e.gated()
		st := e.stage(t, e.ctx, "a.jpg", imageTestdata(t, jpegA))
		done := make(chan error, 1)
		go func() {
			_, err := e.media.CreateMedia(e.ctx, data.MediaCreate{Files: []*data.Staged{st}})
			done <- err
		}()
		<-g.entered
		// While the blob is being put, other writers go ahead (before,
		// the put ran inside the write transaction and this waited).
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := e.db.update(ctx, func(tx *sql.Tx) error {
			_, err := tx.ExecContext(ctx, `UPDATE orgs SET name = name`)
			return err
		}); err != nil {
			t.Fatalf("a write during an upload's put: %v", err)
		}
		if n := e.count(t, `SELECT COUNT(*) FROM blob_leases WHERE sha256 = ?`, st.SHA256); n != 1 {
			t.Fatalf("%d leases on the bytes being put, want 1", n)
		}
		close(g.open)
		if err := <-done; err != nil {
			t.Fatal(err)
		}
		if n := e.count(t, `SELECT COUNT(*) FROM blob_leases`); n != 0 {
			t.Fatalf("%d leases left after the commit", n)
		}
	})
	t.Run("CollectorKeepsLeasedBytes", func(t *testing.T) {
		// The bytes of an expired trashed item are uploaded again; the
		// collector runs while the new blob is being put, after the old
		// item's row is gone and before the new row exists.
		e := newTestEnv(t)
		old := e.createMedia(t, e.ctx, "old.jpg", jpegA)
		e.trash(t, e.ctx, old.ID, true)
		e.clock.Advance(DefaultTrashGrace + time.Minute)
		setModTime(t, e.blobPath(old.SHA256), e.clock.Now().Add(-30*24*time.Hour))
		g := e.gated()
		st := e.stage(t, e.ctx, "again.jpg", imageTestdata(t, jpegA))
		done := make(chan error, 1)
		var created []*data.Media
		go func() {
			var err error
			created, err = e.media.CreateMedia(e.ctx, data.MediaCreate{Files: []*data.Staged{st}})
			done <- err
		}()
		<-g.entered
		rep := e.gc(t, false, DefaultTrashGrace)
		if len(rep.Purged) != 1 || len(rep.Blobs) != 0 || len(rep.Orphans) != 0 {
			t.Fatalf("the collector purged %d rows and deleted blobs %v and orphans %v; the leased bytes must stay", len(rep.Purged), rep.Blobs, rep.Orphans)
		}
		close(g.open)
		if err := <-done; err != nil {
			t.Fatal(err)
		}
		_, b, err := e.media.OpenOriginal(e.ctx, created[0].ID)
		if err != nil {
			t.Fatalf("the new item's bytes: %v", err)
		}
		b.Close()
	})
	t.Run("FailedPutRemovesWhatItStored", func(t *testing.T) {
		e := newTestEnv(t)
		a, b := e.uploadFailingSecondPut(t)
		if exists(t, e.blobPath(a.SHA256)) || exists(t, e.blobPath(b.SHA256)) {
			t.Fatal("a failed upload left a blob")
		}
		if n := e.count(t, `SELECT COUNT(*) FROM blob_leases`) + e.count(t, `SELECT COUNT(*) FROM media`); n != 0 {
			t.Fatalf("a failed upload left %d rows", n)
		}
		if left, _ := listDir(e.staging.Dir()); len(left) != 0 {
			t.Fatalf("a failed upload left staged files: %v", left)
		}
	})
	t.Run("FailedUploadKeepsBytesOthersNeed", func(t *testing.T) {
		e := newTestEnv(t)
		keep := e.createMedia(t, e.ctx, "keep.jpg", jpegA)
		e.uploadFailingSecondPut(t)
		if !exists(t, e.blobPath(keep.SHA256)) {
			t.Fatal("a failed upload removed bytes another item has")
		}
	})
	t.Run("DeadUploadsLeaseExpires", func(t *testing.T) {
		e := newTestEnv(t)
		body := []byte("bytes of an upload whose process died")
		sha := shaOf(body)
		if _, err := e.db.takeLeases(e.ctx, []string{sha}); err != nil {
			t.Fatal(err)
		}
		e.putBlob(t, sha, body)
		setModTime(t, e.blobPath(sha), e.clock.Now().Add(-2*OrphanBlobAge))
		if rep := e.gc(t, false, DefaultTrashGrace); len(rep.Orphans) != 0 {
			t.Fatalf("orphans %v removed under a live lease", rep.Orphans)
		}
		e.clock.Advance(BlobLeaseTTL + time.Minute)
		if rep := e.gc(t, false, DefaultTrashGrace); len(rep.Orphans) != 1 || rep.Orphans[0] != sha {
			t.Fatalf("orphans %v, want the dead upload's blob", rep.Orphans)
		}
		if n := e.count(t, `SELECT COUNT(*) FROM blob_leases`); n != 0 {
			t.Fatalf("%d expired leases left", n)
		}
	})
}
