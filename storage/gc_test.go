package storage

import (
	"io/fs"
	"path/filepath"
	"reflect"
	"slices"
	"testing"
	"time"
)

func (e *testEnv) gc(t testing.TB, dryRun bool, grace time.Duration) GCReport {
	t.Helper()
	rep, err := e.media.CollectGarbage(e.ctx, dryRun, grace)
	if err != nil {
		t.Fatalf("collect garbage (dry run %v): %v", dryRun, err)
	}
	if rep.DryRun != dryRun {
		t.Fatalf("report says dry run %v", rep.DryRun)
	}
	return rep
}

func purgedIDs(rep GCReport) []int64 {
	ids := []int64{}
	for _, it := range rep.Purged {
		ids = append(ids, it.ID)
	}
	return ids
}

// files lists every file and folder under the env's data folder.
func (e *testEnv) files(t testing.TB) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(e.dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		out = append(out, p)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

const grace = DefaultTrashGrace

func TestCollectGarbage(t *testing.T) {
	t.Run("GracePeriod", func(t *testing.T) {
		e := newTestEnv(t)
		t0 := e.clock.Now()
		old := e.createMedia(t, e.ctx, "old.jpg", jpegA)
		recent := e.createMedia(t, e.ctx, "recent.jpg", jpegB)
		live := e.createMedia(t, e.ctx, "live.jpg", jpegC)
		e.trash(t, e.ctx, old.ID, false)
		e.clock.Advance(time.Hour)
		e.trash(t, e.ctx, recent.ID, false)

		e.clock.Set(t0.Add(grace - time.Millisecond))
		if rep := e.gc(t, false, grace); len(rep.Purged) != 0 || len(rep.Blobs) != 0 || len(rep.Orphans) != 0 {
			t.Fatalf("inside the grace period: %+v", rep)
		}
		e.clock.Set(t0.Add(grace))
		rep := e.gc(t, false, grace)
		want := []GCItem{{ID: old.ID, OrgID: e.org.ID, Filename: "old.jpg", SHA256: old.SHA256, DeletedAt: t0}}
		if !reflect.DeepEqual(rep.Purged, want) || !slices.Equal(rep.Blobs, []string{old.SHA256}) || len(rep.Orphans) != 0 {
			t.Fatalf("at the end of the grace period:\n got %+v\nwant purged %+v, blobs [%s]", rep, want, old.SHA256)
		}
		if _, err := e.media.FindMediaByID(e.ctx, old.ID); err == nil {
			t.Fatal("purged row still there")
		}
		if exists(t, e.blobPath(old.SHA256)) {
			t.Fatal("purged blob still there")
		}
		for _, m := range []int64{recent.ID, live.ID} {
			got := e.findMedia(t, e.ctx, m)
			if !exists(t, e.blobPath(got.SHA256)) {
				t.Fatalf("blob of %s went (its file is older than the orphan age, but a row needs it)", got.Filename)
			}
		}
		e.clock.Advance(time.Hour)
		if rep := e.gc(t, false, grace); !slices.Equal(purgedIDs(rep), []int64{recent.ID}) {
			t.Fatalf("an hour later: %+v", rep)
		}
		if e.findMedia(t, e.ctx, live.ID).DeletedAt != nil || !exists(t, e.blobPath(live.SHA256)) {
			t.Fatal("the live item was touched")
		}
		if live, trashed := e.totals(t, e.ctx); live != 1 || trashed != 0 {
			t.Fatalf("totals %d live, %d trashed", live, trashed)
		}
	})
	t.Run("RestoredInTimeSurvives", func(t *testing.T) {
		e := newTestEnv(t)
		f := e.usedEverywhere(t)
		t0 := e.clock.Now()
		e.trash(t, e.ctx, f.m.ID, true)
		e.clock.Set(t0.Add(grace - time.Minute))
		if _, err := e.media.RestoreMedia(e.ctx, f.m.ID); err != nil {
			t.Fatal(err)
		}
		e.clock.Set(t0.Add(2 * grace))
		if rep := e.gc(t, false, grace); len(rep.Purged) != 0 {
			t.Fatalf("restored item purged: %+v", rep)
		}
		if ids, _ := e.gallery(t, e.ctx, f.p.ID); !slices.Equal(ids, []int64{f.a.ID, f.m.ID}) {
			t.Fatalf("gallery %v", ids)
		}
	})
	t.Run("SharedBlobs", func(t *testing.T) {
		e := newTestEnv(t)
		_, theirCtx := e.otherOrg(t, "theirs")
		t0 := e.clock.Now()
		mine := e.createMedia(t, e.ctx, "mine.jpg", jpegA)
		theirs := e.createMedia(t, theirCtx, "theirs.jpg", jpegA) // same bytes, live, another org
		first := e.createMedia(t, e.ctx, "first.jpg", jpegB)
		second := e.createMedia(t, e.ctx, "second.jpg", jpegB) // same bytes, trashed later
		e.trash(t, e.ctx, mine.ID, false)
		e.trash(t, e.ctx, first.ID, false)
		e.clock.Advance(time.Hour)
		e.trash(t, e.ctx, second.ID, false)

		e.clock.Set(t0.Add(grace))
		rep := e.gc(t, false, grace)
		if got := purgedIDs(rep); !slices.Equal(got, []int64{mine.ID, first.ID}) || len(rep.Blobs) != 0 {
			t.Fatalf("purged %v, blobs %v; want rows %d and %d, no blob", got, rep.Blobs, mine.ID, first.ID)
		}
		if !exists(t, e.blobPath(mine.SHA256)) {
			t.Fatal("the blob another organization's live row needs went")
		}
		if !exists(t, e.blobPath(first.SHA256)) {
			t.Fatal("the blob a restorable row needs went")
		}
		_, blob, err := e.media.OpenOriginal(theirCtx, theirs.ID)
		if err != nil {
			t.Fatal(err)
		}
		blob.Close()

		e.clock.Set(t0.Add(grace + time.Hour))
		rep = e.gc(t, false, grace)
		if !slices.Equal(purgedIDs(rep), []int64{second.ID}) || !slices.Equal(rep.Blobs, []string{second.SHA256}) {
			t.Fatalf("%+v", rep)
		}
		if exists(t, e.blobPath(second.SHA256)) || !exists(t, e.blobPath(mine.SHA256)) {
			t.Fatal("wrong blobs after the last row of one went")
		}
	})
	t.Run("EveryOrganization", func(t *testing.T) {
		e := newTestEnv(t)
		other, theirCtx := e.otherOrg(t, "theirs")
		t0 := e.clock.Now()
		theirs := e.createMedia(t, theirCtx, "theirs.jpg", jpegA)
		e.trash(t, theirCtx, theirs.ID, false)
		e.clock.Set(t0.Add(grace))
		rep := e.gc(t, false, grace)
		if len(rep.Purged) != 1 || rep.Purged[0].ID != theirs.ID || rep.Purged[0].OrgID != other.ID {
			t.Fatalf("%+v", rep)
		}
	})
	t.Run("ManyBatches", func(t *testing.T) {
		e := newTestEnv(t)
		t0 := e.clock.Now()
		m := e.createMedia(t, e.ctx, "m.jpg", jpegA)
		e.trash(t, e.ctx, m.ID, false)
		// More expired rows with the same bytes than one transaction purges.
		n := 2*gcBatch + 50
		if err := e.db.ExecForTest(`WITH RECURSIVE i(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM i WHERE x < ?)
			INSERT INTO media (org_id, kind, filename, original_filename, mime_type, size, sha256, alt, source_url, created_by, created_at, updated_at, deleted_at)
			SELECT org_id, kind, 'copy-' || x || '.jpg', original_filename, mime_type, size, sha256, '', '', created_by, created_at, updated_at, deleted_at
			FROM media, i WHERE id = ?`, n, m.ID); err != nil {
			t.Fatal(err)
		}
		e.clock.Set(t0.Add(grace))
		rep := e.gc(t, false, grace)
		if len(rep.Purged) != n+1 || !slices.Equal(rep.Blobs, []string{m.SHA256}) {
			t.Fatalf("purged %d rows, blobs %v; want %d rows and the blob", len(rep.Purged), rep.Blobs, n+1)
		}
		if left := e.count(t, `SELECT COUNT(*) FROM media`); left != 0 {
			t.Fatalf("%d rows left", left)
		}
		if exists(t, e.blobPath(m.SHA256)) {
			t.Fatal("blob left")
		}
		if live, trashed := e.totals(t, e.ctx); live != 0 || trashed != 0 {
			t.Fatalf("totals %d live, %d trashed", live, trashed)
		}
	})
	t.Run("OrphanBlobs", func(t *testing.T) {
		e := newTestEnv(t)
		now := e.clock.Now()
		oldOrphan := imageTestdata(t, pngA)
		youngOrphan := imageTestdata(t, pngB)
		e.putBlob(t, shaOf(oldOrphan), oldOrphan)
		e.putBlob(t, shaOf(youngOrphan), youngOrphan)
		setModTime(t, e.blobPath(shaOf(oldOrphan)), now.Add(-OrphanBlobAge-time.Minute))
		setModTime(t, e.blobPath(shaOf(youngOrphan)), now.Add(-OrphanBlobAge+time.Minute))
		// Old files that rows need: a live item's, a recently trashed item's.
		live := e.createMedia(t, e.ctx, "live.jpg", jpegA)
		trashed := e.createMedia(t, e.ctx, "trashed.jpg", jpegB)
		e.trash(t, e.ctx, trashed.ID, false)
		for _, m := range []string{live.SHA256, trashed.SHA256} {
			setModTime(t, e.blobPath(m), now.Add(-30*24*time.Hour))
		}

		rep := e.gc(t, false, grace)
		if !slices.Equal(rep.Orphans, []string{shaOf(oldOrphan)}) || len(rep.Purged) != 0 || len(rep.Blobs) != 0 {
			t.Fatalf("%+v; want orphan %s only", rep, shaOf(oldOrphan))
		}
		if exists(t, e.blobPath(shaOf(oldOrphan))) {
			t.Fatal("old orphan still there")
		}
		if !exists(t, e.blobPath(shaOf(youngOrphan))) {
			t.Fatal("young orphan removed (it may be an upload about to commit)")
		}
		for _, m := range []string{live.SHA256, trashed.SHA256} {
			if !exists(t, e.blobPath(m)) {
				t.Fatalf("referenced blob %s removed", m)
			}
		}
		// Once old enough, the young orphan goes too.
		e.clock.Advance(2 * time.Minute)
		if rep := e.gc(t, false, grace); !slices.Equal(rep.Orphans, []string{shaOf(youngOrphan)}) {
			t.Fatalf("%+v", rep)
		}
	})
	t.Run("OrphanRenditions", func(t *testing.T) {
		e := newTestEnv(t)
		now := e.clock.Now()
		withRow := shaOf([]byte("rendition row, no media"))
		oldDir := shaOf([]byte("old rendition folder, no media"))
		youngDir := shaOf([]byte("young rendition folder, no media"))
		for _, sha := range []string{withRow, oldDir, youngDir} {
			e.putBlob(t, sha+"/50.jpg", imageTestdata(t, jpegA))
		}
		if err := e.db.ExecForTest(`INSERT INTO renditions (sha256, slot, ext, mime_type, width, height, size, created_at)
			VALUES (?, 50, 'jpg', 'image/jpeg', 50, 34, 1000, ?)`, withRow, ms(now)); err != nil {
			t.Fatal(err)
		}
		// Stores date files, not folders (S3 has none).
		setModTime(t, filepath.Join(e.renditionDir(oldDir), "50.jpg"), now.Add(-OrphanBlobAge-time.Minute))
		// A live item's renditions, old, stay.
		r := NewRenderer(e.db, e.blobs, 0, 0)
		live := e.createMedia(t, e.ctx, "live.jpg", jpegA)
		_, blob, err := r.OpenRendition(e.ctx, live.SHA256, 50, "jpg")
		if err != nil {
			t.Fatal(err)
		}
		blob.Close()
		setModTime(t, filepath.Join(e.renditionDir(live.SHA256), "50.jpg"), now.Add(-30*24*time.Hour))

		rep := e.gc(t, false, grace)
		want := []string{withRow, oldDir}
		slices.Sort(want)
		if !slices.Equal(rep.Renditions, want) {
			t.Fatalf("renditions %v, want %v", rep.Renditions, want)
		}
		if exists(t, e.renditionDir(withRow)) || exists(t, e.renditionDir(oldDir)) {
			t.Fatal("orphan renditions left")
		}
		if n := e.count(t, `SELECT COUNT(*) FROM renditions WHERE sha256 = ?`, withRow); n != 0 {
			t.Fatalf("%d orphan rendition rows left", n)
		}
		if !exists(t, e.renditionDir(youngDir)) {
			t.Fatal("young rendition folder removed")
		}
		if !exists(t, e.renditionDir(live.SHA256)) || e.count(t, `SELECT COUNT(*) FROM renditions WHERE sha256 = ?`, live.SHA256) != 1 {
			t.Fatal("a live item's renditions were removed")
		}
	})
	t.Run("OrphanRenditionsHeld", func(t *testing.T) {
		// While a backup holds file deletion, the renditions stay and the
		// report does not say they were removed; the next run removes them.
		e := newTestEnv(t)
		now := e.clock.Now()
		sha := shaOf([]byte("old rendition folder, no media, held"))
		e.putBlob(t, sha+"/50.jpg", imageTestdata(t, jpegA))
		setModTime(t, filepath.Join(e.renditionDir(sha), "50.jpg"), now.Add(-OrphanBlobAge-time.Minute))
		id, err := e.db.HoldFiles(e.ctx, "backup", time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		if rep := e.gc(t, false, grace); len(rep.Renditions) != 0 {
			t.Fatalf("held: the report says %v were removed", rep.Renditions)
		}
		if !exists(t, e.renditionDir(sha)) {
			t.Fatal("held renditions removed")
		}
		if err := e.db.ReleaseHold(e.ctx, id); err != nil {
			t.Fatal(err)
		}
		if rep := e.gc(t, false, grace); !slices.Equal(rep.Renditions, []string{sha}) || exists(t, e.renditionDir(sha)) {
			t.Fatalf("after the hold: %v", rep.Renditions)
		}
	})
	t.Run("DryRunChangesNothing", func(t *testing.T) {
		e := newTestEnv(t)
		_, theirCtx := e.otherOrg(t, "theirs")
		t0 := e.clock.Now()
		f := e.usedEverywhere(t)
		e.trash(t, e.ctx, f.m.ID, true)
		e.trash(t, e.ctx, f.a.ID, true)
		e.createMedia(t, theirCtx, "theirs.jpg", jpegA) // keeps a's blob
		orphan := imageTestdata(t, pngA)
		e.putBlob(t, shaOf(orphan), orphan)
		setModTime(t, e.blobPath(shaOf(orphan)), t0.Add(-OrphanBlobAge-time.Minute))
		orphanRendition := shaOf([]byte("no media"))
		e.putBlob(t, orphanRendition+"/50.jpg", imageTestdata(t, jpegA))
		setModTime(t, e.renditionDir(orphanRendition), t0.Add(-OrphanBlobAge-time.Minute))

		e.clock.Set(t0.Add(grace + time.Hour))
		before := e.files(t)
		rowsBefore := e.count(t, `SELECT COUNT(*) FROM media`)
		detachmentsBefore := e.count(t, `SELECT COUNT(*) FROM detachments`)
		dry := e.gc(t, true, grace)
		if !slices.Equal(e.files(t), before) || e.count(t, `SELECT COUNT(*) FROM media`) != rowsBefore ||
			e.count(t, `SELECT COUNT(*) FROM detachments`) != detachmentsBefore {
			t.Fatal("the dry run changed files or rows")
		}
		if got := purgedIDs(dry); !slices.Equal(got, []int64{f.a.ID, f.m.ID}) {
			t.Fatalf("dry run would purge %v", got)
		}
		// A second dry run says the same, and the real run does what it said.
		if again := e.gc(t, true, grace); !reflect.DeepEqual(again, dry) {
			t.Fatalf("second dry run\n got %+v\nwant %+v", again, dry)
		}
		real := e.gc(t, false, grace)
		slices.Sort(real.Blobs)
		slices.Sort(dry.Blobs)
		real.DryRun = true
		if !reflect.DeepEqual(real, dry) {
			t.Fatalf("the run did something else than its dry run said:\n run %+v\n dry %+v", real, dry)
		}
		if !slices.Equal(dry.Blobs, []string{f.m.SHA256}) || !slices.Equal(dry.Orphans, []string{shaOf(orphan)}) ||
			!slices.Equal(dry.Renditions, []string{orphanRendition}) {
			t.Fatalf("%+v", dry)
		}
	})
	t.Run("NegativeGraceIsZero", func(t *testing.T) {
		e := newTestEnv(t)
		m := e.createMedia(t, e.ctx, "m.jpg", jpegA)
		e.trash(t, e.ctx, m.ID, false)
		if rep := e.gc(t, false, -time.Hour); !slices.Equal(purgedIDs(rep), []int64{m.ID}) {
			t.Fatalf("%+v", rep)
		}
	})
}
