package storage

import (
	"bytes"
	"os"
	"testing"
	"time"

	"gallerist/data"
)

// waitPlanned polls a job until its dry run is over.
func waitPlanned(t *testing.T, im *Importer, e *testEnv, id string) *data.ImportJob {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		j, err := im.FindImport(e.ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if j.State != data.ImportChecking || time.Now().After(deadline) {
			return j
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// An organization keeps at most maxImportJobsPerOrg zips waiting (others
// are not counted against it); a job left waiting for ImportJobTTL goes,
// with its zip.
func TestImportJobsBoundedAndExpire(t *testing.T) {
	e := newTestEnv(t)
	im := NewImporter(e.media, e.catalog, e.staging, data.DefaultLimits())
	defer im.Close()
	now := time.Now()
	im.jobs.Now = func() time.Time { return now }
	png := imageTestdata(t, "video-001.png")
	var ids []string
	for i := range maxImportJobsPerOrg {
		j, err := im.StartImport(e.ctx, bytes.NewReader(zipOfFiles(map[string]string{"red-mug.png": string(png)})), "photos.zip")
		if err != nil {
			t.Fatalf("job %d: %v", i, err)
		}
		if j := waitPlanned(t, im, e, j.ID); j.State != data.ImportPlanned || len(j.Plan.Products) != 1 {
			t.Fatalf("job %d: %+v", i, j)
		}
		ids = append(ids, j.ID)
	}
	if _, err := im.StartImport(e.ctx, bytes.NewReader(zipOfFiles(map[string]string{"red-mug.png": string(png)})), "more.zip"); data.ErrorCode(err) != data.ECConflict {
		t.Errorf("one zip too many: %v", err)
	}
	_, other := e.otherOrg(t, "other")
	if j, err := im.StartImport(other, bytes.NewReader(zipOfFiles(map[string]string{"red-mug.png": string(png)})), "theirs.zip"); err != nil {
		t.Errorf("another organization's first zip: %v", err)
	} else if _, err := im.FindImport(e.ctx, j.ID); data.ErrorCode(err) != data.ECNotFound {
		t.Errorf("one organization finds another's job: %v", err)
	} else {
		waitPlanned(t, im, &testEnv{ctx: other}, j.ID)
	}

	now = now.Add(ImportJobTTL + time.Minute)
	im.sweep()
	for _, id := range ids {
		if _, err := im.FindImport(e.ctx, id); data.ErrorCode(err) != data.ECNotFound {
			t.Errorf("job %s is still there after %v: %v", id, ImportJobTTL, err)
		}
	}
	if left, _ := os.ReadDir(e.staging.Dir()); len(left) != 0 {
		t.Errorf("%d files left in staging after the jobs expired", len(left))
	}
}
