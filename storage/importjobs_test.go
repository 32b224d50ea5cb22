package storage

import (
	"bytes"
	"os"
	"slices"
	"strings"
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

// Reviewer's finding 3: zips left waiting by a closed tab are listed, can
// be discarded, and a plan never started goes after ImportPlanTTL (much
// sooner than a summary's ImportJobTTL), zip and all.
func TestImportJobsListedAndDiscarded(t *testing.T) {
	if ImportPlanTTL >= ImportJobTTL/2 {
		t.Fatalf("ImportPlanTTL %v is not much shorter than ImportJobTTL %v", ImportPlanTTL, ImportJobTTL)
	}
	e := newTestEnv(t)
	im := NewImporter(e.media, e.catalog, e.staging, data.DefaultLimits())
	defer im.Close()
	now := time.Now()
	im.jobs.Now = func() time.Time { return now }
	png := imageTestdata(t, "video-001.png")
	start := func(name string) (*data.ImportJob, error) {
		t.Helper()
		return im.StartImport(e.ctx, bytes.NewReader(zipOfFiles(map[string]string{"red-mug.png": string(png)})), name)
	}
	var ids []string
	for _, name := range []string{"a.zip", "b.zip", "c.zip"} {
		j, err := start(name)
		if err != nil {
			t.Fatal(err)
		}
		waitPlanned(t, im, e, j.ID)
		ids = append(ids, j.ID)
		now = now.Add(time.Minute)
	}
	list, err := im.ListImports(e.ctx)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, j := range list {
		names = append(names, j.Filename+":"+j.State)
		if j.Expires.IsZero() || !j.Expires.After(now) || j.Expires.After(now.Add(ImportPlanTTL)) {
			t.Errorf("%s expires %v (now %v)", j.Filename, j.Expires, now)
		}
	}
	if want := []string{"c.zip:planned", "b.zip:planned", "a.zip:planned"}; !slices.Equal(names, want) {
		t.Errorf("waiting imports %v, want %v (newest first)", names, want)
	}
	_, other := e.otherOrg(t, "other")
	if theirs, err := im.ListImports(other); err != nil || len(theirs) != 0 {
		t.Errorf("another organization lists %d imports: %v", len(theirs), err)
	}
	_, err = start("d.zip")
	if data.ErrorCode(err) != data.ECConflict {
		t.Fatalf("a fourth zip: %v", err)
	}
	for _, s := range []string{"a.zip", "b.zip", "c.zip", "discard"} {
		if !strings.Contains(data.ErrorMessage(err), s) {
			t.Errorf("the refusal %q does not say %q", data.ErrorMessage(err), s)
		}
	}
	if err := im.CancelImport(e.ctx, ids[0]); err != nil {
		t.Fatal(err)
	}
	j, err := start("d.zip")
	if err != nil {
		t.Fatalf("a zip after discarding one: %v", err)
	}
	waitPlanned(t, im, e, j.ID)

	now = now.Add(ImportPlanTTL + time.Second)
	if list, _ := im.ListImports(e.ctx); len(list) != 0 {
		t.Errorf("%d plans are still waiting %v after they were made", len(list), ImportPlanTTL)
	}
	if left, _ := os.ReadDir(e.staging.Dir()); len(left) != 0 {
		t.Errorf("%d files left in staging after the plans expired", len(left))
	}
	for _, name := range []string{"e.zip", "f.zip", "g.zip"} {
		j, err := start(name)
		if err != nil {
			t.Fatalf("%s after the plans expired: %v", name, err)
		}
		waitPlanned(t, im, e, j.ID)
	}
}
