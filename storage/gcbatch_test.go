package storage

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// seedOldBlobs stores n blob files under made-up keys (from first on), gives
// the first referenced of them a media row, and moves the clock past
// OrphanBlobAge so that every one is a GC candidate.
func (e *testEnv) seedOldBlobs(t testing.TB, first, n, referenced int) []string {
	t.Helper()
	keys := make([]string, n)
	for i := range keys {
		keys[i] = fmt.Sprintf("%064x", first+i)
		e.putBlob(t, keys[i], []byte(keys[i]))
	}
	err := e.db.update(context.Background(), func(tx *sql.Tx) error {
		for _, k := range keys[:referenced] {
			if _, err := tx.Exec(`INSERT INTO media (org_id, kind, filename, original_filename, mime_type, size, sha256,
				created_by, created_at, updated_at) VALUES (?, 'image', 'a.jpg', 'a.jpg', 'image/jpeg', 64, ?, 'seed', 1, 1)`,
				e.org.ID, k); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	e.clock.Advance(OrphanBlobAge + time.Minute)
	return keys
}

// deleteHook is the real blob store with a function called before each
// delete (under GC's write transaction).
type deleteHook struct {
	BlobStore
	before func(key string)
}

func (h deleteHook) Delete(ctx context.Context, key string) error {
	h.before(key)
	return h.BlobStore.Delete(ctx, key)
}

// updateDuringDeletes runs run (which deletes blobs under the write lock)
// while, from its first delete on, an update of the row id waits for the
// lock, and returns the deletes done when the update had committed and the
// deletes in all. An update that commits only after the last delete means
// run held the write lock for all of them.
func (e *testEnv) updateDuringDeletes(t testing.TB, id int64, run func()) (at, total int64) {
	t.Helper()
	var (
		deletes   atomic.Int64
		updatedAt atomic.Int64
		once      sync.Once
		done      = make(chan error, 1)
	)
	store := e.media.blobs
	defer func() { e.media.blobs = store }()
	e.media.blobs = deleteHook{BlobStore: store, before: func(string) {
		deletes.Add(1)
		once.Do(func() {
			waits := e.db.write.Stats().WaitCount
			go func() {
				_, err := e.db.write.Exec(`UPDATE media SET alt = 'edited meanwhile' WHERE id = ?`, id)
				updatedAt.Store(deletes.Load())
				done <- err
			}()
			// On only once the update queues for the writer connection.
			for e.db.write.Stats().WaitCount == waits {
				time.Sleep(time.Millisecond)
			}
		})
	}}
	run()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	return updatedAt.Load(), deletes.Load()
}

// TestGCReleasesWriteLockBetweenBatches: with 1,000 orphan blobs, an update
// asked for while GC deletes the first of them commits before GC deletes
// the last: GC gives the write lock up between batches instead of holding it
// for the whole store. Likewise when a bulk purge frees 500 blobs.
func TestGCReleasesWriteLockBetweenBatches(t *testing.T) {
	t.Run("Orphans", func(t *testing.T) {
		e := newTestEnv(t)
		m := e.createMedia(t, e.ctx, "a.jpg", jpegA)
		keys := e.seedOldBlobs(t, 1, 1000, 0)
		at, total := e.updateDuringDeletes(t, m.ID, func() {
			if rep := e.gc(t, false, grace); len(rep.Orphans) != len(keys) {
				t.Errorf("%d orphans removed, want %d", len(rep.Orphans), len(keys))
			}
		})
		if at >= total {
			t.Fatalf("the update committed only after GC's %d deletes: GC held the write lock throughout", at)
		}
	})
	t.Run("BulkPurge", func(t *testing.T) {
		e := newTestEnv(t)
		m := e.createMedia(t, e.ctx, "a.jpg", jpegA)
		e.seedOldBlobs(t, 1, MaxBulkItems, MaxBulkItems)
		var ids []int64
		for id := m.ID + 1; id <= m.ID+MaxBulkItems; id++ {
			ids = append(ids, id)
		}
		if _, err := e.media.TrashMediaBulk(e.ctx, ids, true); err != nil {
			t.Fatal(err)
		}
		at, total := e.updateDuringDeletes(t, m.ID, func() {
			if got, err := e.media.PurgeMediaBulk(e.ctx, ids); err != nil || len(got) != len(ids) {
				t.Errorf("purged %d of %d: %v", len(got), len(ids), err)
			}
		})
		if at >= total {
			t.Fatalf("the update committed only after the purge's %d deletes: it held the write lock throughout", at)
		}
	})
}

// TestGCWriteLockMeasure is a measurement, not a check (GALLERIST_MEASURE=1):
// the longest a one-row update waits for the write lock while GC looks at
// 20,000 old blobs, all referenced (a mature store) or all orphans.
func TestGCWriteLockMeasure(t *testing.T) {
	if os.Getenv("GALLERIST_MEASURE") == "" {
		t.Skip("set GALLERIST_MEASURE=1 to measure")
	}
	for _, referenced := range []int{20000, 0} {
		e := newTestEnv(t)
		m := e.createMedia(t, e.ctx, "a.jpg", jpegA)
		e.seedOldBlobs(t, 1, 20000, referenced)
		stop := make(chan struct{})
		var longest time.Duration
		var wg sync.WaitGroup
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				start := time.Now()
				if _, err := e.db.write.Exec(`UPDATE media SET alt = 'x' WHERE id = ?`, m.ID); err != nil {
					t.Error(err)
					return
				}
				longest = max(longest, time.Since(start))
				time.Sleep(time.Millisecond)
			}
		}()
		start := time.Now()
		rep := e.gc(t, false, grace)
		took := time.Since(start)
		close(stop)
		wg.Wait()
		t.Logf("20000 old blobs, %d referenced: GC %v, %d orphans removed; longest concurrent update %v", referenced, took, len(rep.Orphans), longest)
	}
}
