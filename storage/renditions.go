package storage

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"gallerist/data"
	"gallerist/data/render"

	"golang.org/x/sync/semaphore"
	"golang.org/x/sync/singleflight"
)

// Renderer makes renditions: eagerly after upload, by a bounded pool of
// workers driven by the persisted rendition_jobs queue, and on demand for a
// rendition requested before it exists, through the same code, once
// (singleflight), with a semaphore bounding how many images are decoded at
// once (the memory budget).
type Renderer struct {
	db    *DB
	blobs BlobStore

	// Workers is the size of the eager pool (0: no eager work, on demand only).
	Workers int
	// WebP also makes a WebP beside each JPEG/PNG rendition.
	WebP bool
	// Quality is the JPEG quality (default 80).
	Quality int
	// MaxAttempts is how many times one original is tried (default 3). An
	// attempt is counted when it starts, so a job that takes the process down
	// with it is not retried forever on restart.
	MaxAttempts int

	sem *semaphore.Weighted
	sf  singleflight.Group

	// found caches rendition lookups for one database version, so serving a
	// made rendition costs a PRAGMA, not a query (any commit clears it).
	foundMu      sync.Mutex
	foundVersion int64
	found        map[string]*data.Rendition
	kick         chan struct{}
	mu           sync.Mutex
	busy         map[string]bool
	made         atomic.Int64
	wg           sync.WaitGroup
	start        sync.Once
}

// NewRenderer returns a renderer that decodes at most maxDecodes images at once.
func NewRenderer(db *DB, blobs BlobStore, workers, maxDecodes int) *Renderer {
	if maxDecodes < 1 {
		maxDecodes = 1
	}
	return &Renderer{db: db, blobs: blobs, Workers: workers, Quality: 80, MaxAttempts: 3,
		sem: semaphore.NewWeighted(int64(maxDecodes)), kick: make(chan struct{}, 1), busy: map[string]bool{}}
}

// Made counts renditions made by this process (for tests and metrics).
func (r *Renderer) Made() int64 { return r.made.Load() }

// Kick wakes the workers after new jobs were queued.
func (r *Renderer) Kick() {
	select {
	case r.kick <- struct{}{}:
	default:
	}
}

// Start runs the worker pool until ctx ends; Wait waits for it to stop.
func (r *Renderer) Start(ctx context.Context) {
	r.start.Do(func() {
		for i := 0; i < r.Workers; i++ {
			r.wg.Add(1)
			go func() {
				defer r.wg.Done()
				r.work(ctx)
			}()
		}
	})
}

// Wait waits for the workers to stop after their context ended.
func (r *Renderer) Wait() { r.wg.Wait() }

func (r *Renderer) work(ctx context.Context) {
	for ctx.Err() == nil {
		job, ok, err := r.claim(ctx)
		if err != nil && ctx.Err() == nil {
			r.db.Log.Error("rendition queue", "err", err)
		}
		if !ok {
			select {
			case <-ctx.Done():
				return
			case <-r.kick:
			case <-time.After(10 * time.Second):
			}
			continue
		}
		r.process(ctx, job)
		r.mu.Lock()
		delete(r.busy, job.sha)
		r.mu.Unlock()
		r.Kick() // let a sleeping worker look for more
	}
}

// job is one queued original; attempts counts this one.
type job struct {
	sha, mime string
	attempts  int
}

// claim picks the oldest queued job no worker of this process is on, and
// counts the attempt before any work starts.
func (r *Renderer) claim(ctx context.Context) (job, bool, error) {
	j, ok, err := r.pick(ctx)
	if !ok || err != nil {
		return j, ok, err
	}
	err = r.db.update(ctx, func(tx *sql.Tx) error {
		return tx.QueryRowContext(ctx, `UPDATE rendition_jobs SET attempts = attempts + 1 WHERE sha256 = ? RETURNING attempts`, j.sha).Scan(&j.attempts)
	})
	if err != nil {
		r.mu.Lock()
		delete(r.busy, j.sha)
		r.mu.Unlock()
		if errors.Is(err, sql.ErrNoRows) {
			err = nil // purged meanwhile
		}
		return j, false, err
	}
	return j, true, nil
}

func (r *Renderer) pick(ctx context.Context) (job, bool, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	rows, err := r.db.read.QueryContext(ctx, `SELECT sha256, mime_type FROM rendition_jobs WHERE created_at <= ? ORDER BY created_at, sha256 LIMIT 64`, ms(r.db.Now()))
	if err != nil {
		return job{}, false, err
	}
	defer rows.Close()
	for rows.Next() {
		var j job
		if err := rows.Scan(&j.sha, &j.mime); err != nil {
			return job{}, false, err
		}
		if !r.busy[j.sha] {
			r.busy[j.sha] = true
			return j, true, nil
		}
	}
	return job{}, false, rows.Err()
}

// errGaveUp is the failure recorded for a job that was started MaxAttempts
// times without finishing (each start took the process down, or it kept failing).
var errGaveUp = errors.New("gave up after repeated attempts")

// process makes every rendition of one original and records the outcome on
// the media rows with those bytes that wait for it. A panic while decoding is
// caught, logged with the media ids, and recorded as a failure.
func (r *Renderer) process(ctx context.Context, j job) {
	var err error
	if j.attempts > r.MaxAttempts {
		err = errGaveUp
	} else {
		err = data.Safely(func() error { return r.makeAll(ctx, j.sha, j.mime) })
	}
	if ctx.Err() != nil && err != nil && !isPanic(err) {
		// Shutting down: the job stays queued and resumes on restart, and
		// this interrupted attempt does not count.
		if uerr := r.db.update(context.WithoutCancel(ctx), func(tx *sql.Tx) error {
			_, err := tx.Exec(`UPDATE rendition_jobs SET attempts = max(0, attempts - 1) WHERE sha256 = ?`, j.sha)
			return err
		}); uerr != nil {
			r.db.Log.Error("requeue rendition job", "sha256", j.sha, "err", uerr)
		}
		return
	}
	if err == nil {
		err = r.db.update(context.WithoutCancel(ctx), func(tx *sql.Tx) error {
			if _, err := tx.ExecContext(ctx, `UPDATE media SET processing = 'ready', processing_error = '' WHERE sha256 = ? AND processing = 'pending'`, j.sha); err != nil {
				return err
			}
			_, err := tx.ExecContext(ctx, `DELETE FROM rendition_jobs WHERE sha256 = ?`, j.sha)
			return err
		})
		if err == nil {
			return
		}
	}
	ids := r.mediaIDs(j.sha)
	if pe, ok := err.(*data.PanicError); ok {
		r.db.Log.Error("renditions panicked", "media_ids", ids, "sha256", j.sha, "attempt", j.attempts, "panic", pe.Value, "stack", string(pe.Stack))
	} else {
		r.db.Log.Warn("renditions failed", "media_ids", ids, "sha256", j.sha, "attempt", j.attempts, "err", err)
	}
	retry := j.attempts < r.MaxAttempts && !permanent(err)
	if uerr := r.db.update(context.WithoutCancel(ctx), func(tx *sql.Tx) error {
		if retry {
			_, err := tx.ExecContext(ctx, `UPDATE rendition_jobs SET created_at = ? WHERE sha256 = ?`, ms(r.db.Now())+int64(j.attempts)*60_000, j.sha)
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE media SET processing = 'failed', processing_error = ? WHERE sha256 = ? AND processing = 'pending'`,
			renderFailure(err), j.sha); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `DELETE FROM rendition_jobs WHERE sha256 = ?`, j.sha)
		return err
	}); uerr != nil {
		r.db.Log.Error("record rendition failure", "media_ids", ids, "err", uerr)
	}
}

// mediaIDs lists the rows with these bytes, for logs.
func (r *Renderer) mediaIDs(sha string) []int64 {
	rows, err := r.db.read.Query(`SELECT id FROM media WHERE sha256 = ? ORDER BY id LIMIT 20`, sha)
	if err != nil {
		return nil
	}
	defer rows.Close()
	var ids []int64
	for rows.Next() {
		var id int64
		if rows.Scan(&id) == nil {
			ids = append(ids, id)
		}
	}
	return ids
}

func isPanic(err error) bool {
	var pe *data.PanicError
	return errors.As(err, &pe)
}

func permanent(err error) bool {
	if isPanic(err) || errors.Is(err, errGaveUp) {
		return true
	}
	return !errors.Is(err, context.DeadlineExceeded) && !errors.Is(err, ErrBlobNotFound) && !strings.Contains(err.Error(), "no space")
}

// renderFailure is the processing_error a person sees.
func renderFailure(err error) string {
	switch {
	case errors.Is(err, render.ErrTooLarge):
		return "The image is too large to make thumbnails from."
	case errors.Is(err, render.ErrUnsupported):
		return "This kind of image cannot be resized."
	case isPanic(err), errors.Is(err, errGaveUp):
		return "Making thumbnails of this image failed (its data is malformed); the original is kept as uploaded."
	}
	return "The image could not be decoded (" + strings.TrimPrefix(err.Error(), "render: ") + "); the original is kept as uploaded."
}

func (r *Renderer) opts(webp bool) render.Options {
	return render.Options{JPEGQuality: r.Quality, WebP: webp}
}

func (r *Renderer) makeAll(ctx context.Context, sha, mime string) error {
	// Another organization's upload of the same bytes made them already.
	var made int
	if err := r.db.read.QueryRowContext(ctx, `SELECT COUNT(*) FROM renditions WHERE sha256 = ?`, sha).Scan(&made); err != nil {
		return err
	}
	if made > 0 {
		return nil
	}
	if err := r.sem.Acquire(ctx, 1); err != nil {
		return err
	}
	defer r.sem.Release(1)
	blob, err := r.blobs.Open(ctx, sha)
	if err != nil {
		return err
	}
	defer blob.Close()
	rends, err := render.Make(blob, mime, data.RenditionWidths, r.opts(r.WebP))
	if err != nil {
		return err
	}
	for _, rd := range rends {
		if err := r.store(ctx, sha, slotFor(rd.Width), rd); err != nil {
			return err
		}
	}
	return nil
}

// slotFor maps a made width to its slot: itself, or the smallest slot for a
// rendition of a narrow original made at its own size.
func slotFor(width int) int {
	if data.IsRenditionWidth(width) {
		return width
	}
	return data.RenditionWidths[0]
}

var extByFormat = map[string]string{"jpeg": "jpg", "png": "png", "webp": "webp"}

// store writes one rendition's bytes and records it.
func (r *Renderer) store(ctx context.Context, sha string, slot int, rd render.Rendition) error {
	ext := extByFormat[rd.Format]
	if ext == "" {
		return fmt.Errorf("unknown rendition format %q", rd.Format)
	}
	f, err := r.blobs.CreateTemp()
	if err != nil {
		return err
	}
	if _, err := io.Copy(f, bytes.NewReader(rd.Data)); err != nil {
		f.Close()
		return errors.Join(err, removeFile(f.Name()))
	}
	if err := errors.Join(f.Sync(), f.Close()); err != nil {
		return errors.Join(err, removeFile(f.Name()))
	}
	key := sha + "/" + strconv.Itoa(slot) + "." + ext
	if _, err := r.blobs.Put(ctx, key, f.Name()); err != nil {
		return errors.Join(err, removeFile(f.Name()))
	}
	r.made.Add(1)
	return r.db.update(context.WithoutCancel(ctx), func(tx *sql.Tx) error {
		// Recorded only while some row has the original: a purge that
		// committed while this was being made must not be left with a
		// rendition row, and its file goes now, under the write lock.
		res, err := tx.ExecContext(ctx, `INSERT OR REPLACE INTO renditions (sha256, slot, ext, mime_type, width, height, size, created_at)
			SELECT ?, ?, ?, ?, ?, ?, ?, ? WHERE EXISTS (SELECT 1 FROM media WHERE sha256 = ?)`,
			sha, slot, ext, "image/"+rd.Format, rd.Width, rd.Height, len(rd.Data), ms(r.db.Now()), sha)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			if err := r.blobs.DeleteRenditions(ctx, sha); err != nil {
				r.db.Log.Warn("delete rendition of purged bytes (GC retries)", "sha256", sha, "err", err)
			}
		}
		return nil
	})
}

// ErrNoRendition is returned by OpenRendition for a size this image does not have.
var ErrNoRendition = data.Errorf(data.ECNotFound, "No such rendition.")

// OpenRendition opens the rendition of a live image at slot in the format of
// ext, making it first if it does not exist yet (once, however many ask).
func (r *Renderer) OpenRendition(ctx context.Context, sha string, slot int, ext string) (*data.Rendition, data.Blob, error) {
	if !data.IsRenditionWidth(slot) {
		return nil, nil, ErrNoRendition
	}
	rd, err := r.lookup(ctx, sha, slot, ext)
	if errors.Is(err, sql.ErrNoRows) {
		if err := r.makeOnDemand(ctx, sha, slot, ext); err != nil {
			return nil, nil, err
		}
		rd, err = r.findRendition(ctx, sha, slot, ext)
		if errors.Is(err, sql.ErrNoRows) {
			return nil, nil, ErrNoRendition
		}
	}
	if err != nil {
		return nil, nil, err
	}
	b, err := r.blobs.Open(ctx, sha+"/"+strconv.Itoa(slot)+"."+ext)
	if errors.Is(err, ErrBlobNotFound) {
		return nil, nil, ErrNoRendition
	}
	return rd, b, err
}

// lookup is findRendition through the per-version cache.
func (r *Renderer) lookup(ctx context.Context, sha string, slot int, ext string) (*data.Rendition, error) {
	version, err := r.db.Version(ctx)
	if err != nil {
		return nil, err
	}
	key := sha + "/" + strconv.Itoa(slot) + "." + ext
	r.foundMu.Lock()
	if r.foundVersion != version || r.found == nil || len(r.found) > 4096 {
		r.foundVersion, r.found = version, map[string]*data.Rendition{}
	}
	rd, ok := r.found[key]
	r.foundMu.Unlock()
	if ok {
		return rd, nil
	}
	rd, err = r.findRendition(ctx, sha, slot, ext)
	if err != nil {
		return nil, err
	}
	r.foundMu.Lock()
	if r.foundVersion == version {
		r.found[key] = rd
	}
	r.foundMu.Unlock()
	return rd, nil
}

func (r *Renderer) findRendition(ctx context.Context, sha string, slot int, ext string) (*data.Rendition, error) {
	var rd data.Rendition
	err := r.db.read.QueryRowContext(ctx, `SELECT slot, ext, mime_type, width, height FROM renditions
		WHERE sha256 = ? AND slot = ? AND ext = ?
		AND EXISTS (SELECT 1 FROM media WHERE sha256 = ? AND deleted_at IS NULL)`, sha, slot, ext, sha).
		Scan(&rd.Slot, &rd.Ext, &rd.MIMEType, &rd.Width, &rd.Height)
	return &rd, err
}

// makeOnDemand makes a rendition asked for before the worker got to it: only
// for a JPEG original whose job is still queued, at a width its job will make
// and in a format it will make (JPEG, or WebP when enabled), so a request can
// never make the server decode an image whose renditions are done, nor store
// a file the worker would not have made. (Other originals' format depends on
// their transparency, known only after decoding; their URLs are announced
// once made.)
func (r *Renderer) makeOnDemand(ctx context.Context, sha string, slot int, ext string) error {
	if ext != "jpg" && (ext != "webp" || !r.WebP) {
		return ErrNoRendition
	}
	var width int
	err := r.db.read.QueryRowContext(ctx, `SELECT COALESCE(m.width, 0) FROM media m JOIN rendition_jobs j ON j.sha256 = m.sha256
		WHERE m.sha256 = ? AND m.deleted_at IS NULL AND m.kind = 'image' AND m.mime_type = 'image/jpeg' AND m.processing = 'pending'
		AND j.attempts < ? LIMIT 1`, sha, r.MaxAttempts).Scan(&width)
	if errors.Is(err, sql.ErrNoRows) {
		return ErrNoRendition
	}
	if err != nil {
		return err
	}
	if !slices.Contains(data.RenditionSlots(width), slot) {
		return ErrNoRendition
	}
	// Detached from the request: the first caller's hang-up must not fail the others.
	_, err, _ = r.sf.Do(sha+"/"+strconv.Itoa(slot)+"/"+ext, func() (any, error) {
		if _, err := r.findRendition(ctx, sha, slot, ext); err == nil {
			return nil, nil
		}
		wctx := context.WithoutCancel(ctx)
		if err := r.sem.Acquire(ctx, 1); err != nil {
			return nil, err
		}
		defer r.sem.Release(1)
		blob, err := r.blobs.Open(wctx, sha)
		if err != nil {
			return nil, err
		}
		defer blob.Close()
		var rd render.Rendition
		if err := data.Safely(func() (err error) {
			rd, err = render.MakeOne(blob, "image/jpeg", slot, r.opts(ext == "webp"))
			return err
		}); err != nil {
			if isPanic(err) {
				r.db.Log.Error("on-demand rendition panicked", "media_ids", r.mediaIDs(sha), "sha256", sha, "err", err)
			}
			return nil, ErrNoRendition
		}
		return nil, r.store(wctx, sha, slot, rd)
	})
	return err
}

// loadRenditions fills Renditions on image items: those made so far, or, for
// a JPEG still being processed, the URLs it will have (each is made on
// demand if asked for first).
func loadRenditions(ctx context.Context, tx *sql.Tx, items []*data.Media) error {
	bySHA := map[string][]*data.Media{}
	var args []any
	for _, m := range items {
		// Renditions are shared by every row with the same bytes, but an item
		// shows them only once its own processing is done: another
		// organization's copy must not show through.
		if m.Kind != data.KindImage || m.Processing != data.ProcessingReady {
			continue
		}
		if _, seen := bySHA[m.SHA256]; !seen {
			args = append(args, m.SHA256)
		}
		bySHA[m.SHA256] = append(bySHA[m.SHA256], m)
	}
	if len(args) > 0 {
		if err := loadMadeRenditions(ctx, tx, args, bySHA); err != nil {
			return err
		}
	}
	for _, m := range items {
		if m.Kind == data.KindImage && m.MIMEType == "image/jpeg" && m.Processing == data.ProcessingPending && m.Width > 0 {
			for _, slot := range data.RenditionSlots(m.Width) {
				w := min(slot, m.Width)
				m.Renditions = append(m.Renditions, data.Rendition{Slot: slot, Width: w, Height: max(1, (m.Height*w+m.Width/2)/m.Width), Ext: "jpg", MIMEType: "image/jpeg"})
			}
		}
	}
	return nil
}

func loadMadeRenditions(ctx context.Context, tx *sql.Tx, args []any, bySHA map[string][]*data.Media) error {
	rows, err := tx.QueryContext(ctx, `SELECT sha256, slot, ext, mime_type, width, height FROM renditions
		WHERE sha256 IN (?`+strings.Repeat(", ?", len(args)-1)+`) ORDER BY sha256, slot, ext`, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var sha string
		var rd data.Rendition
		if err := rows.Scan(&sha, &rd.Slot, &rd.Ext, &rd.MIMEType, &rd.Width, &rd.Height); err != nil {
			return err
		}
		for _, m := range bySHA[sha] {
			m.Renditions = append(m.Renditions, rd)
		}
	}
	return rows.Err()
}

func removeFile(p string) error {
	if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	return nil
}
