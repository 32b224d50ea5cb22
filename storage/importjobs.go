package storage

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"slices"
	"strings"
	"sync"
	"time"

	"gallerist/data"
)

// The admin UI's zip imports are jobs held in the server's memory: the
// uploaded zip waits in the staging folder from its dry run to its real
// run, and goes when the run ends, the job is cancelled, or it has waited
// ImportJobTTL. A restart forgets the jobs (the server clears the staging
// folder as it starts): what was imported stays, the merchant uploads the
// zip again for the rest (files already in their gallery are skipped).

// ImportJobTTL is how long a job shows its summary (or why it failed)
// before it is forgotten.
const ImportJobTTL = time.Hour

// ImportPlanTTL is how long a checked plan waits for its import, counted
// from when it was last looked at, before it is forgotten, zip and all (a
// tab closed on the plan should not hold one of the organization's
// places for long).
const ImportPlanTTL = 15 * time.Minute

// maxImportJobsPerOrg bounds the zips one organization may keep waiting;
// maxFinishedImportJobsPerOrg the summaries it keeps (the oldest go first).
const (
	maxImportJobsPerOrg         = 3
	maxFinishedImportJobsPerOrg = 10
)

type importJob struct {
	job     data.ImportJob
	org     int64
	who     data.Principal
	zip     string // the staged zip's path
	src     ImportSource
	touched time.Time
	busy    bool
	cancel  context.CancelFunc // stops its run
	dropped bool               // discarded while checking: the run forgets it as it stops
}

// expires is when j is forgotten if left as it is (zero while it runs).
func (j *importJob) expires() time.Time {
	switch {
	case j.busy:
		return time.Time{}
	case j.job.State == data.ImportPlanned:
		return j.touched.Add(ImportPlanTTL)
	}
	return j.touched.Add(ImportJobTTL)
}

func (j *importJob) snapshot() *data.ImportJob {
	snap := j.job
	snap.Expires = j.expires()
	return &snap
}

type importJobs struct {
	mu     sync.Mutex
	jobs   map[string]*importJob
	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup
	timer  *time.Timer // the next sweep
	// Now is the clock of job expiry (nil: time.Now).
	Now func() time.Time
}

func (j *importJobs) init() {
	j.jobs = map[string]*importJob{}
	j.ctx, j.cancel = context.WithCancel(context.Background())
}

func (j *importJobs) now() time.Time {
	if j.Now != nil {
		return j.Now()
	}
	return time.Now()
}

// Close stops the running jobs, waits for them, and removes every job's zip.
func (im *Importer) Close() {
	im.jobs.cancel()
	im.jobs.wg.Wait()
	im.jobs.mu.Lock()
	defer im.jobs.mu.Unlock()
	if im.jobs.timer != nil {
		im.jobs.timer.Stop()
	}
	for id, j := range im.jobs.jobs {
		j.forget()
		delete(im.jobs.jobs, id)
	}
}

func (j *importJob) forget() {
	if j.src != nil {
		j.src.Close()
		j.src = nil
	}
	if j.zip != "" {
		os.Remove(j.zip)
		j.zip = ""
	}
}

// StageZip copies a zip from r into the staging folder, at most
// Limits.MaxImportBytes, and opens it (OpenImportZip's checks). On any
// error nothing is left behind.
func (im *Importer) StageZip(ctx context.Context, r io.Reader, filename string) (src ImportSource, zipPath string, err error) {
	if err := mayImport(ctx); err != nil {
		return nil, "", err
	}
	display := data.SanitizeFilename(filename)
	if display == "" {
		display = "The zip"
	}
	limit := im.Limits.MaxImportBytes
	if limit <= 0 {
		limit = data.MaxImportBytes
	}
	f, err := im.Staging.CreateTemp()
	if err != nil {
		return nil, "", diskFull(err)
	}
	defer func() {
		if err != nil {
			os.Remove(f.Name())
		}
	}()
	n, err := io.Copy(f, io.LimitReader(r, limit+1))
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		var de *data.Error
		if errors.As(err, &de) {
			return nil, "", err
		}
		return nil, "", diskFull(err)
	}
	if n == 0 {
		return nil, "", data.Errorf(data.ECEmptyFile, "%s is empty (0 bytes).", display)
	}
	if n > limit {
		return nil, "", data.Errorf(data.ECTooLarge, "%s is larger than %s, the most a zip import may be. Split it into smaller zips.",
			display, data.HumanBytes(limit)).With("limit_bytes", limit)
	}
	if err := ctx.Err(); err != nil {
		return nil, "", err
	}
	src, err = OpenImportZip(f.Name(), display, limit, im.Limits.MaxAnyBytes())
	if err != nil {
		return nil, "", err
	}
	return src, f.Name(), nil
}

// ImportZip reads a zip from r and imports it (or dry-runs it) at once,
// the API's import; the zip is gone when it returns.
func (im *Importer) ImportZip(ctx context.Context, r io.Reader, filename string, opt data.ImportOptions) (*data.ImportReport, error) {
	src, zipPath, err := im.StageZip(ctx, r, filename)
	if err != nil {
		return nil, err
	}
	defer os.Remove(zipPath)
	defer src.Close()
	return im.Import(ctx, src, opt, nil)
}

// StartImport stages and checks a zip, then starts its dry run (as if
// missing products were to be created, so the plan shows them).
func (im *Importer) StartImport(ctx context.Context, r io.Reader, filename string) (*data.ImportJob, error) {
	p, _ := data.PrincipalFrom(ctx)
	if err := mayImport(ctx); err != nil {
		return nil, err
	}
	im.jobs.mu.Lock()
	im.sweepLocked()
	var waiting []string
	for _, j := range im.waitingLocked(p.OrgID) {
		waiting = append(waiting, j.job.Filename)
	}
	im.jobs.mu.Unlock()
	if len(waiting) >= maxImportJobsPerOrg {
		return nil, data.Errorf(data.ECConflict, "%d imports are waiting already (%s); import or discard one of them first (Products › Import from a zip lists them).",
			len(waiting), strings.Join(waiting, ", "))
	}
	src, zipPath, err := im.StageZip(ctx, r, filename)
	if err != nil {
		return nil, err
	}
	var b [12]byte
	rand.Read(b[:])
	now := im.jobs.now()
	j := &importJob{org: p.OrgID, who: p, zip: zipPath, src: src, touched: now,
		job: data.ImportJob{ID: hex.EncodeToString(b[:]), Filename: data.SanitizeFilename(filename), State: data.ImportChecking,
			Total: len(src.Files()), Created: now}}
	if j.job.Filename == "" {
		j.job.Filename = "untitled.zip"
	}
	im.jobs.mu.Lock()
	im.jobs.jobs[j.job.ID] = j
	im.jobs.mu.Unlock()
	im.run(j, data.ImportOptions{DryRun: true, CreateProducts: true})
	return im.FindImport(ctx, j.job.ID)
}

// RunImport starts the real run of a planned job.
func (im *Importer) RunImport(ctx context.Context, id string, opt data.ImportOptions) (*data.ImportJob, error) {
	if err := mayImport(ctx); err != nil {
		return nil, err
	}
	im.jobs.mu.Lock()
	j, err := im.findLocked(ctx, id)
	if err == nil && j.job.State != data.ImportPlanned {
		err = data.Errorf(data.ECConflict, "This import has %s already.", map[string]string{data.ImportChecking: "not been checked yet",
			data.ImportRunning: "started", data.ImportDone: "finished", data.ImportFailed: "failed"}[j.job.State])
	}
	im.jobs.mu.Unlock()
	if err != nil {
		return nil, err
	}
	opt.DryRun = false
	im.run(j, opt)
	return im.FindImport(ctx, id)
}

// run runs j in the background with opt, as the principal who started it.
func (im *Importer) run(j *importJob, opt data.ImportOptions) {
	im.jobs.mu.Lock()
	j.busy = true
	j.job.Options = opt
	j.job.Done = 0
	if opt.DryRun {
		j.job.State = data.ImportChecking
	} else {
		j.job.State = data.ImportRunning
	}
	src := j.src
	runCtx, cancel := context.WithCancel(im.jobs.ctx)
	j.cancel = cancel
	im.jobs.mu.Unlock()
	im.jobs.wg.Add(1)
	go func() {
		defer im.jobs.wg.Done()
		defer cancel()
		ctx := data.WithPrincipal(runCtx, j.who)
		rep, err := func() (rep *data.ImportReport, err error) {
			defer func() {
				if v := recover(); v != nil {
					err = fmt.Errorf("import panicked: %v", v)
				}
			}()
			return im.Import(ctx, src, opt, func(done, total int) {
				im.jobs.mu.Lock()
				j.job.Done, j.job.Total = done, total
				im.jobs.mu.Unlock()
			})
		}()
		im.jobs.mu.Lock()
		defer im.jobs.mu.Unlock()
		j.busy, j.touched = false, im.jobs.now()
		defer im.sweepLocked() // and the next sweep set: a job left waiting goes, zip and all
		switch {
		case j.dropped:
			j.forget()
		case err != nil:
			j.job.State = data.ImportFailed
			j.job.Error = data.ErrorMessage(err)
			if im.jobs.ctx.Err() != nil {
				j.job.Error = "The server stopped during the import. Upload the zip again: files already in their gallery are skipped."
			}
			j.forget()
		case opt.DryRun:
			j.job.State, j.job.Plan = data.ImportPlanned, rep
		default:
			j.job.State, j.job.Report = data.ImportDone, rep
			j.forget()
		}
	}()
}

// FindImport returns a snapshot of one of the organization's jobs.
func (im *Importer) FindImport(ctx context.Context, id string) (*data.ImportJob, error) {
	im.jobs.mu.Lock()
	defer im.jobs.mu.Unlock()
	im.sweepLocked()
	j, err := im.findLocked(ctx, id)
	if err != nil {
		return nil, err
	}
	if j.job.State == data.ImportPlanned {
		j.touched = im.jobs.now() // someone is looking at the plan
	}
	return j.snapshot(), nil
}

// ListImports lists the organization's jobs that hold a zip (checking,
// planned or importing), newest first.
func (im *Importer) ListImports(ctx context.Context) ([]data.ImportJob, error) {
	p, ok := data.PrincipalFrom(ctx)
	if !ok {
		return nil, data.NotFound("Import")
	}
	im.jobs.mu.Lock()
	defer im.jobs.mu.Unlock()
	im.sweepLocked()
	out := []data.ImportJob{}
	for _, j := range im.waitingLocked(p.OrgID) {
		out = append(out, *j.snapshot())
	}
	return out, nil
}

// waitingLocked is the organization's jobs that hold a zip, newest first.
func (im *Importer) waitingLocked(org int64) []*importJob {
	var out []*importJob
	for _, j := range im.jobs.jobs {
		if j.org == org && j.zip != "" {
			out = append(out, j)
		}
	}
	slices.SortFunc(out, func(a, b *importJob) int {
		if c := b.job.Created.Compare(a.job.Created); c != 0 {
			return c
		}
		return strings.Compare(a.job.ID, b.job.ID)
	})
	return out
}

// CancelImport forgets a job that is not importing, and its zip; a dry run
// still checking stops (the zip goes as it does).
func (im *Importer) CancelImport(ctx context.Context, id string) error {
	im.jobs.mu.Lock()
	defer im.jobs.mu.Unlock()
	j, err := im.findLocked(ctx, id)
	if err != nil {
		return err
	}
	if j.busy && j.job.State != data.ImportChecking {
		return data.Errorf(data.ECConflict, "This import is running; wait for it to finish.")
	}
	delete(im.jobs.jobs, id)
	if j.busy {
		j.dropped = true
		j.cancel()
		return nil
	}
	j.forget()
	return nil
}

// findLocked finds a job of ctx's organization (others' are not found).
func (im *Importer) findLocked(ctx context.Context, id string) (*importJob, error) {
	p, ok := data.PrincipalFrom(ctx)
	j := im.jobs.jobs[id]
	if !ok || j == nil || j.org != p.OrgID {
		return nil, data.NotFound("Import")
	}
	return j, nil
}

func (im *Importer) sweep() {
	im.jobs.mu.Lock()
	defer im.jobs.mu.Unlock()
	im.sweepLocked()
}

// sweepLocked forgets the jobs past their expiry and, per organization,
// the summaries beyond maxFinishedImportJobsPerOrg (the oldest), then sets
// the timer of the next sweep.
func (im *Importer) sweepLocked() {
	now := im.jobs.now()
	finished := map[int64][]*importJob{}
	for id, j := range im.jobs.jobs {
		if e := j.expires(); !e.IsZero() && !now.Before(e) {
			j.forget()
			delete(im.jobs.jobs, id)
		} else if !j.busy && j.zip == "" {
			finished[j.org] = append(finished[j.org], j)
		}
	}
	for _, js := range finished {
		if len(js) <= maxFinishedImportJobsPerOrg {
			continue
		}
		slices.SortFunc(js, func(a, b *importJob) int { return b.touched.Compare(a.touched) })
		for _, j := range js[maxFinishedImportJobsPerOrg:] {
			delete(im.jobs.jobs, j.job.ID)
		}
	}
	var next time.Time
	for _, j := range im.jobs.jobs {
		if e := j.expires(); !e.IsZero() && (next.IsZero() || e.Before(next)) {
			next = e
		}
	}
	if next.IsZero() || im.jobs.ctx.Err() != nil {
		return
	}
	d := next.Sub(now) + time.Second
	if im.jobs.timer == nil {
		im.jobs.timer = time.AfterFunc(d, im.sweep)
	} else {
		im.jobs.timer.Reset(d)
	}
}

// JobIDs lists the jobs held, of every organization (for tests and ops).
func (im *Importer) JobIDs() []string {
	im.jobs.mu.Lock()
	defer im.jobs.mu.Unlock()
	return slices.Collect(maps.Keys(im.jobs.jobs))
}
