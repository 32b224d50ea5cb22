package storage

import (
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"image"
	"io"
	"runtime/debug"
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
// (singleflight). Decoding memory is bounded by a byte budget shared by all
// of them: before decoding, each job waits for as many bytes of the budget
// as render estimates, from the original's header, the job will allocate
// (render.Cost.Bytes), and an original whose estimate is over the whole
// budget is never decoded (its job fails with render.ErrTooLarge). Each job
// also has render's CPU budget (render.DefaultCPUBudget).
type Renderer struct {
	db    *DB
	blobs BlobStore

	// Workers is the size of the eager pool (0: no eager work, on demand only).
	Workers int
	// WebP also makes a WebP beside each JPEG/PNG rendition.
	WebP bool
	// Quality is the JPEG quality (default 80).
	Quality int
	// Stills makes the poster of a video and the thumbnail of a PDF (nil:
	// none are made); their renditions are made from it like an image's.
	Stills *Stills
	// MaxAttempts is how many times one original is tried (default 3). An
	// attempt is counted when it starts, so a job that takes the process down
	// with it is not retried forever on restart.
	MaxAttempts int
	// StoreBackoff is the first wait after the blob store could not be
	// reached (it doubles, up to 60 times this; default 1 s). Such a job is
	// not failed and its attempt not counted: it waits for the store.
	StoreBackoff time.Duration

	// decodeMemory is the byte budget; sem holds its bytes.
	decodeMemory int64
	sem          *semaphore.Weighted
	sf           singleflight.Group

	// found caches rendition lookups for one database version, so serving a
	// made rendition costs a PRAGMA, not a query (any commit clears it).
	foundMu      sync.Mutex
	foundVersion int64
	found        map[string]*data.Rendition
	kick         chan struct{}
	mu           sync.Mutex
	busy         map[string]bool
	made         atomic.Int64
	degraded     atomic.Bool // the queue's database could not be written
	storeDown    atomic.Bool // the last job found the blob store unavailable
	storeWaits   atomic.Int64
	waits        map[string]int // per original: store failures in a row (under mu)
	wg           sync.WaitGroup
	start        sync.Once
}

// DefaultDecodeMemory is the decode memory budget when none is set: 512 MiB
// for all the images being decoded and resized at once.
const DefaultDecodeMemory = 512 << 20

// NewRenderer returns a renderer with workers eager workers whose decoding
// (with the on-demand path's) holds at most decodeMemory bytes at once, by
// render's estimate (0 or less: DefaultDecodeMemory).
func NewRenderer(db *DB, blobs BlobStore, workers int, decodeMemory int64) *Renderer {
	if decodeMemory <= 0 {
		decodeMemory = DefaultDecodeMemory
	}
	return &Renderer{db: db, blobs: blobs, Workers: workers, Quality: 80, MaxAttempts: 3,
		decodeMemory: decodeMemory, sem: semaphore.NewWeighted(decodeMemory), kick: make(chan struct{}, 1), busy: map[string]bool{}, waits: map[string]int{},
		StoreBackoff: time.Second}
}

// DecodeMemory is the decode memory budget in bytes.
func (r *Renderer) DecodeMemory() int64 { return r.decodeMemory }

// admission holds one job's share of the decode memory budget.
type admission struct {
	r    *Renderer
	ctx  context.Context
	held int64
}

// admit is render's Options.Admit: it refuses an original whose estimate is
// over the whole budget, else waits for that many bytes of it.
func (a *admission) admit(c render.Cost) error {
	if c.Bytes > a.r.decodeMemory {
		return &overBudgetError{w: c.Width, h: c.Height, need: c.Bytes, budget: a.r.decodeMemory}
	}
	if err := a.r.sem.Acquire(a.ctx, c.Bytes); err != nil {
		return err
	}
	a.held = c.Bytes
	return nil
}

// overBudgetError is render.ErrTooLarge for an original whose decoding
// would need more than the whole decode memory budget.
type overBudgetError struct {
	w, h         int
	need, budget int64
}

func (e *overBudgetError) Error() string {
	return fmt.Sprintf("%v: decoding and resizing this %d×%d image needs about %d MB, more than the %d MB allowed for decoding",
		render.ErrTooLarge, e.w, e.h, mb(e.need), mb(e.budget))
}

func (e *overBudgetError) Unwrap() error { return render.ErrTooLarge }

// mb is n bytes in MiB, rounded up.
func mb(n int64) int64 { return (n + 1<<20 - 1) >> 20 }

// release gives the bytes back once the job's renditions are made (or not).
// After a large job it also has the garbage collector return the job's
// memory to the system, so that the next job does not stack its
// allocations on the last one's garbage (left alone, the collector lets
// the heap grow to about twice what is live).
func (a *admission) release() {
	if a.held > 0 {
		a.r.sem.Release(a.held)
		if a.held >= 64<<20 {
			debug.FreeOSMemory()
		}
		a.held = 0
	}
}

// WaitingForStore reports whether rendition jobs are waiting for the blob
// store to come back (the last job could not reach it).
func (r *Renderer) WaitingForStore() bool { return r.storeDown.Load() }

// StoreWaits counts the jobs put back because the blob store was unavailable.
func (r *Renderer) StoreWaits() int64 { return r.storeWaits.Load() }

// Made counts renditions made by this process (for tests and metrics).
func (r *Renderer) Made() int64 { return r.made.Load() }

// QueueDepth is the number of originals waiting for renditions (the
// persisted queue, whichever process queued them).
func (r *Renderer) QueueDepth(ctx context.Context) (int, error) {
	var n int
	err := r.db.read.QueryRowContext(ctx, `SELECT COUNT(*) FROM rendition_jobs`).Scan(&n)
	return n, err
}

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
	backoff, storeBackoff := time.Duration(0), time.Duration(0)
	for ctx.Err() == nil {
		job, ok, err := r.claim(ctx)
		if err != nil && ctx.Err() == nil {
			// The database cannot take the attempt (a read-only or failing
			// disk): wait, doubling up to a minute, and say so once per change.
			if r.degraded.CompareAndSwap(false, true) {
				r.db.Log.Error("rendition queue unavailable; retrying with backoff", "err", err)
			}
			backoff = min(max(2*backoff, time.Second), time.Minute)
			select {
			case <-ctx.Done():
				return
			case <-time.After(backoff):
			}
			continue
		}
		if err == nil && r.degraded.CompareAndSwap(true, false) {
			r.db.Log.Info("rendition queue available again")
		}
		backoff = 0
		if !ok {
			select {
			case <-ctx.Done():
				return
			case <-r.kick:
			case <-time.After(10 * time.Second):
			}
			continue
		}
		storeDown := r.process(ctx, job)
		r.mu.Lock()
		delete(r.busy, job.sha)
		r.mu.Unlock()
		if storeDown {
			// The store is away: every job would fail the same way, so this
			// worker waits too (doubling, up to 60 times the first wait).
			storeBackoff = min(max(2*storeBackoff, r.StoreBackoff), 60*r.StoreBackoff)
			select {
			case <-ctx.Done():
				return
			case <-time.After(storeBackoff):
			}
			continue
		}
		storeBackoff = 0
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
// caught, logged with the media ids, and recorded as a failure. When the
// blob store is unavailable the job is put back, its attempt not counted,
// and process reports storeDown.
func (r *Renderer) process(ctx context.Context, j job) (storeDown bool) {
	start, outcome := time.Now(), renditionReady
	defer func() { Stats.renditionJobs[outcome].Observe(time.Since(start)) }()
	var err error
	if j.attempts > r.MaxAttempts {
		err = errGaveUp
	} else {
		err = data.Safely(func() error { return r.makeAll(ctx, j.sha, j.mime) })
	}
	if ctx.Err() != nil && err != nil && !isPanic(err) {
		// Shutting down: the job stays queued and resumes on restart, and
		// this interrupted attempt does not count.
		outcome = renditionInterrupted
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
			r.mu.Lock()
			delete(r.waits, j.sha)
			r.mu.Unlock()
			if r.storeDown.CompareAndSwap(true, false) {
				r.db.Log.Info("blob store reachable again; renditions resume")
			}
			return false
		}
	}
	if IsStoreUnavailable(err) {
		outcome = renditionWaiting
		r.waitForStore(ctx, j, err)
		return true
	}
	r.mu.Lock()
	delete(r.waits, j.sha)
	r.mu.Unlock()
	ids := r.mediaIDs(j.sha)
	if pe, ok := err.(*data.PanicError); ok {
		r.db.Log.Error("renditions panicked", "media_ids", ids, "sha256", j.sha, "attempt", j.attempts, "panic", pe.Value, "stack", string(pe.Stack))
	} else {
		r.db.Log.Warn("renditions failed", "media_ids", ids, "sha256", j.sha, "attempt", j.attempts, "err", err)
	}
	retry := j.attempts < r.MaxAttempts && !permanent(err)
	outcome = renditionFailed
	if retry {
		outcome = renditionRetry
	}
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
	return false
}

// waitForStore puts back a job that found the blob store unavailable: its
// attempt does not count (those are for files that cannot be rendered),
// and it comes up again after a wait that doubles with each failure of
// this original in a row (up to 60 times StoreBackoff), so that one object
// the store keeps failing does not hold up the queue. The first failure
// after a success is logged as a warning with the store's error; the item
// stays pending, with no error for its owner to see.
func (r *Renderer) waitForStore(ctx context.Context, j job, err error) {
	r.storeWaits.Add(1)
	r.mu.Lock()
	n := r.waits[j.sha]
	r.waits[j.sha] = n + 1
	r.mu.Unlock()
	delay := min(r.StoreBackoff<<min(n, 6), 60*r.StoreBackoff)
	if r.storeDown.CompareAndSwap(false, true) {
		r.db.Log.Warn("blob store unavailable; rendition jobs wait for it and retry", "media_ids", r.mediaIDs(j.sha), "sha256", j.sha, "err", err)
	} else {
		r.db.Log.Debug("rendition job waits for the blob store", "sha256", j.sha, "err", err)
	}
	if uerr := r.db.update(context.WithoutCancel(ctx), func(tx *sql.Tx) error {
		_, err := tx.Exec(`UPDATE rendition_jobs SET attempts = max(0, attempts - 1), created_at = ? WHERE sha256 = ?`,
			ms(r.db.Now())+delay.Milliseconds(), j.sha)
		return err
	}); uerr != nil {
		r.db.Log.Error("requeue rendition job", "sha256", j.sha, "err", uerr)
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
	var se *StillError
	if isPanic(err) || errors.Is(err, errGaveUp) || errors.As(err, &se) {
		return true
	}
	return !errors.Is(err, context.DeadlineExceeded) && !errors.Is(err, ErrBlobNotFound) && !strings.Contains(err.Error(), "no space")
}

// renderFailure is the processing_error a person sees: what went wrong
// with the file, never a store's or the database's error (those are logged).
func renderFailure(err error) string {
	var ob *overBudgetError
	var se *StillError
	switch {
	case errors.As(err, &se):
		what := "No poster could be made from this video"
		if se.Tool == "pdftoppm" {
			what = "No thumbnail could be made of this PDF's first page"
		}
		return fmt.Sprintf("%s (%s: %s); choose a poster image from the library instead. The original is kept as uploaded.",
			what, se.Tool, se.Reason)
	case errors.As(err, &ob):
		return fmt.Sprintf("The image is too large to make thumbnails from: decoding it needs about %d MB, more than the %d MB the server allows. The original is kept as uploaded.",
			mb(ob.need), mb(ob.budget))
	case errors.Is(err, render.ErrTooLarge):
		return "The image is too large to make thumbnails from; the original is kept as uploaded."
	case errors.Is(err, render.ErrTooMuchWork):
		return "Making thumbnails of this image would take too long (more than the CPU time the server allows per image); the original is kept as uploaded."
	case errors.Is(err, render.ErrUnsupported):
		return "This kind of image cannot be resized."
	case isPanic(err), errors.Is(err, errGaveUp):
		return "Making thumbnails of this image failed (its data is malformed); the original is kept as uploaded."
	case errors.Is(err, ErrBlobNotFound):
		return "The original file is missing from the server's file storage, so no thumbnails could be made. Upload the file again."
	case !strings.HasPrefix(err.Error(), "render: "):
		return "Making thumbnails of this image failed on the server (the administrator finds the reason in the server log); the original is kept as uploaded."
	}
	return "The image could not be decoded (" + strings.TrimPrefix(err.Error(), "render: ") + "); the original is kept as uploaded."
}

func (r *Renderer) opts(webp bool, a *admission) render.Options {
	return render.Options{JPEGQuality: r.Quality, WebP: webp, Admit: a.admit}
}

func (r *Renderer) makeAll(ctx context.Context, sha, mime string) error {
	// Another organization's upload of the same bytes made them already:
	// some row with them is ready, so the set is complete (a job that stored
	// only some widths before failing left no row ready, and is redone).
	// (A video or PDF may be ready without any, from before a tool was installed.)
	var made bool
	if err := r.db.read.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM media WHERE sha256 = ? AND processing = 'ready')
		AND (? OR EXISTS (SELECT 1 FROM renditions WHERE sha256 = ?))`, sha, strings.HasPrefix(mime, "image/"), sha).Scan(&made); err != nil {
		return err
	}
	if made {
		return nil
	}
	blob, err := r.blobs.Open(ctx, sha)
	if err != nil {
		return err
	}
	defer blob.Close()
	var src io.Reader = blob
	widths, slot := data.RenditionWidths, slotFor
	if !strings.HasPrefix(mime, "image/") {
		still, err := r.Stills.Make(ctx, blob, mime)
		if err != nil {
			return err
		}
		w, err := pngWidth(still)
		if err != nil {
			return err
		}
		src, mime = bytes.NewReader(still), "image/png"
		widths, slot = stillWidths(w), stillSlotFor
	}
	a := &admission{r: r, ctx: ctx}
	defer a.release() // also if render panics
	rends, err := render.Make(src, mime, widths, r.opts(r.WebP, a))
	a.release()
	if err != nil {
		return err
	}
	for _, rd := range rends {
		if err := r.store(ctx, sha, slot(rd.Width), rd); err != nil {
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

// stillWidths are the widths a still w pixels wide is made at: every
// rendition width up to it, and its own width, so its largest rendition is
// the whole frame (a still is all there is to show of a video or a PDF; an
// image has its original for that). Nothing is upscaled.
func stillWidths(w int) []int {
	out := slices.DeleteFunc(slices.Clone(data.RenditionWidths), func(rw int) bool { return rw > w })
	if !slices.Contains(out, w) {
		out = append(out, w)
	}
	return out
}

// stillSlotFor maps a still's made width to its slot: itself, or the
// smallest slot above it (the still's own size, between two slots, goes in
// the next one up: it stands for that size class).
func stillSlotFor(width int) int {
	for _, rw := range data.RenditionWidths {
		if rw >= width {
			return rw
		}
	}
	return data.RenditionWidths[len(data.RenditionWidths)-1]
}

// pngWidth reads a PNG's width from its header (the IHDR chunk comes first).
func pngWidth(b []byte) (int, error) {
	if len(b) < 24 || string(b[1:4]) != "PNG" || string(b[12:16]) != "IHDR" {
		return 0, errors.New("render: the still is not a PNG")
	}
	return int(binary.BigEndian.Uint32(b[16:20])), nil
}

var extByFormat = map[string]string{"jpeg": "jpg", "png": "png", "webp": "webp"}

// store writes one rendition's bytes and records it.
func (r *Renderer) store(ctx context.Context, sha string, slot int, rd render.Rendition) error {
	ext := extByFormat[rd.Format]
	if ext == "" {
		return fmt.Errorf("unknown rendition format %q", rd.Format)
	}
	key := sha + "/" + strconv.Itoa(slot) + "." + ext
	sum := sha256.Sum256(rd.Data)
	if _, err := r.blobs.Put(ctx, key, bytes.NewReader(rd.Data), int64(len(rd.Data)), hex.EncodeToString(sum[:])); err != nil {
		return err
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
			if held, err := r.db.filesHeld(ctx, tx); err != nil || held {
				return err // a backup is copying: the folder stays, GC removes it later
			}
			if err := deleteRenditions(ctx, r.blobs, sha); err != nil {
				r.db.Log.Warn("delete rendition of purged bytes (GC retries)", "sha256", sha, "err", err)
			}
		}
		return nil
	})
}

// ErrNoRendition is returned by OpenRendition for a size this image does not have.
// It reads like any other missing file, so a public URL does not tell an
// image that exists from one that does not.
var ErrNoRendition = data.NotFound("File")

// OpenRendition opens the rendition of a live image at slot in the format of
// ext, making it first if it does not exist yet (once, however many ask).
func (r *Renderer) OpenRendition(ctx context.Context, sha string, slot int, ext string) (*data.Rendition, data.Blob, error) {
	if !data.IsRenditionWidth(slot) {
		return nil, nil, ErrNoRendition
	}
	return r.open(ctx, sha, slot, ext, func() error { return r.makeOnDemand(ctx, sha, slot, ext) })
}

// open opens the stored rendition (or crop) at slot in the format of ext,
// calling create first when there is none yet.
func (r *Renderer) open(ctx context.Context, sha string, slot int, ext string, create func() error) (*data.Rendition, data.Blob, error) {
	rd, err := r.lookup(ctx, sha, slot, ext)
	if errors.Is(err, sql.ErrNoRows) {
		if err := create(); err != nil {
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
	key := sha + "/" + strconv.Itoa(slot) + "." + ext
	b, err := r.blobs.Open(ctx, key)
	if errors.Is(err, ErrBlobNotFound) {
		Stats.BlobMissing(r.db.Log, r.blobs, key) // its row says it was made
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
	_, err, _ = r.sf.Do(sha+"/"+strconv.Itoa(slot)+"/"+ext, func() (any, error) {
		if _, err := r.findRendition(ctx, sha, slot, ext); err == nil {
			return nil, nil
		}
		return nil, r.makeStored(ctx, sha, slot, "on-demand rendition", func(blob io.Reader, a *admission) (render.Rendition, error) {
			return render.MakeOne(blob, "image/jpeg", slot, r.opts(ext == "webp", a))
		})
	})
	return err
}

// makeStored makes one rendition or crop of the original on request, through
// mk under the decode budget, and stores it at slot. It is detached from
// the request: the first caller's hang-up must not fail the others waiting
// on it. A failure to make it reads as not found (and is logged).
func (r *Renderer) makeStored(ctx context.Context, sha string, slot int, what string, mk func(io.Reader, *admission) (render.Rendition, error)) error {
	wctx := context.WithoutCancel(ctx)
	blob, err := r.blobs.Open(wctx, sha)
	if err != nil {
		return err
	}
	defer blob.Close()
	var rd render.Rendition
	a := &admission{r: r, ctx: ctx}
	defer a.release()
	if err := data.Safely(func() (err error) {
		rd, err = mk(blob, a)
		return err
	}); err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if IsStoreUnavailable(err) {
			return err // not the file's fault: 503, and the job makes it later
		}
		if isPanic(err) {
			r.db.Log.Error(what+" panicked", "media_ids", r.mediaIDs(sha), "sha256", sha, "err", err)
		} else {
			r.db.Log.Warn(what+" failed", "media_ids", r.mediaIDs(sha), "sha256", sha, "slot", slot, "err", err)
		}
		return ErrNoRendition
	}
	a.release()
	return r.store(wctx, sha, slot, rd)
}

// renditionsOfSQL reads the renditions of the blobs a JSON array of sha256
// names: one statement text whatever the number, so it can be prepared
// once. Crops (slots from data.CropSlotBase, the second parameter) depend
// on each row's focal point: they are listed from it (handlers), not here.
const renditionsOfSQL = `SELECT sha256, slot, ext, mime_type, width, height FROM renditions
	WHERE sha256 IN (SELECT value FROM json_each(?)) AND slot < ? ORDER BY sha256, slot, ext`

// loadRenditions fills Renditions on image items: those made so far, or, for
// a JPEG still being processed, the URLs it will have (each is made on
// demand if asked for first).
func loadRenditions(ctx context.Context, tx *sql.Tx, items []*data.Media) error {
	return loadRenditionsWith(ctx, tx, nil, items)
}

// loadRenditionsWith is loadRenditions reading through prepared, a
// statement of renditionsOfSQL prepared on tx's pool (nil: prepared now).
func loadRenditionsWith(ctx context.Context, tx *sql.Tx, prepared *sql.Stmt, items []*data.Media) error {
	bySHA := map[string][]*data.Media{}
	var shas []string
	for _, m := range items {
		// Renditions are shared by every row with the same bytes, but an item
		// shows them only once its own processing is done: another
		// organization's copy must not show through.
		if m.Processing != data.ProcessingReady {
			continue
		}
		if _, seen := bySHA[m.SHA256]; !seen {
			shas = append(shas, m.SHA256)
		}
		bySHA[m.SHA256] = append(bySHA[m.SHA256], m)
	}
	if len(shas) > 0 {
		if err := loadMadeRenditions(ctx, tx, prepared, shas, bySHA); err != nil {
			return err
		}
	}
	if err := loadPosters(ctx, tx, items); err != nil {
		return err
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

func loadMadeRenditions(ctx context.Context, tx *sql.Tx, prepared *sql.Stmt, shas []string, bySHA map[string][]*data.Media) error {
	list, err := json.Marshal(shas)
	if err != nil {
		return err
	}
	var rows *sql.Rows
	if prepared != nil {
		rows, err = tx.StmtContext(ctx, prepared).QueryContext(ctx, string(list), data.CropSlotBase)
	} else {
		rows, err = tx.QueryContext(ctx, renditionsOfSQL, string(list), data.CropSlotBase)
	}
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

// loadPosters fills Poster on videos and documents (after their renditions,
// which are a made still's, are loaded): the chosen image of the same
// organization while it is live, else the made still.
func loadPosters(ctx context.Context, tx *sql.Tx, items []*data.Media) error {
	var ids []int64
	for _, m := range items {
		if !slices.Contains(data.PosterKinds, m.Kind) {
			continue
		}
		if len(m.Renditions) > 0 {
			m.Poster = &data.Poster{Item: &data.Media{ID: m.ID, OrgID: m.OrgID, Kind: data.KindImage, FileKey: m.FileKey,
				Processing: data.ProcessingReady, Renditions: m.Renditions, CreatedAt: m.CreatedAt}}
			last := m.Renditions[len(m.Renditions)-1]
			m.Poster.Item.Width, m.Poster.Item.Height = last.Width, last.Height
			m.Renditions = nil
		}
		if m.PosterID != 0 {
			ids = append(ids, m.PosterID)
		}
	}
	if len(ids) == 0 {
		return nil
	}
	list, _ := json.Marshal(ids)
	rows, err := tx.QueryContext(ctx, `SELECT `+mediaColumns+` FROM media m
		WHERE m.id IN (SELECT value FROM json_each(?)) AND m.kind = 'image' AND m.deleted_at IS NULL`, string(list))
	if err != nil {
		return err
	}
	defer rows.Close()
	byID := map[int64]*data.Media{}
	var posters []*data.Media
	for rows.Next() {
		p, err := scanMedia(rows)
		if err != nil {
			return err
		}
		byID[p.ID] = p
		posters = append(posters, p)
	}
	if err := rows.Err(); err != nil {
		return err
	}
	rows.Close()
	if err := loadRenditions(ctx, tx, posters); err != nil {
		return err
	}
	for _, m := range items {
		if p := byID[m.PosterID]; p != nil && p.OrgID == m.OrgID {
			m.Poster = &data.Poster{MediaID: p.ID, Item: p}
		}
	}
	return nil
}

// OpenCrop opens a crop of a live image whose renditions are made, making
// it first if it does not exist yet (once, however many ask), in the
// format its renditions have (JPEG, or PNG for a transparent original: a
// request for the other extension is not found). Crops are stored beside
// the renditions under their data.Crop.StorageSlot, so backups, GC,
// verify and blob migration treat them as renditions, and shared, like
// them, by every row with the same bytes and focal point. The caller
// checks the crop is one the item has (its focal point, a slot it fits).
func (r *Renderer) OpenCrop(ctx context.Context, sha, mime string, c data.Crop, ext string) (*data.Rendition, data.Blob, error) {
	if ext != "jpg" && ext != "png" {
		return nil, nil, ErrNoRendition
	}
	return r.open(ctx, sha, c.StorageSlot(), ext, func() error { return r.makeCrop(ctx, sha, mime, c) })
}

// makeCrop makes and stores one crop, unless it is made already (in either
// format) or the original is no longer live and processed.
func (r *Renderer) makeCrop(ctx context.Context, sha, mime string, c data.Crop) error {
	slot := c.StorageSlot()
	_, err, _ := r.sf.Do(sha+"/"+strconv.Itoa(slot), func() (any, error) {
		var made, live bool
		if err := r.db.read.QueryRowContext(ctx, `SELECT
			EXISTS (SELECT 1 FROM renditions WHERE sha256 = ? AND slot = ?),
			EXISTS (SELECT 1 FROM media WHERE sha256 = ? AND deleted_at IS NULL AND kind = 'image' AND processing = 'ready')`,
			sha, slot, sha).Scan(&made, &live); err != nil {
			return nil, err
		}
		if made || !live {
			return nil, nil
		}
		return nil, r.makeStored(ctx, sha, slot, "crop "+c.Name(), func(blob io.Reader, a *admission) (render.Rendition, error) {
			return render.MakeCrop(blob, mime, cropFunc(c), r.opts(false, a))
		})
	})
	return err
}

// cropFunc is the crop's window and size for the decoded original.
func cropFunc(c data.Crop) render.CropFunc {
	return func(ow, oh int) (image.Rectangle, int, int) {
		w, h := data.CropSize(ow, oh, c.Ratio, c.Slot)
		return data.CropWindow(ow, oh, c.Ratio, c.Focal()), w, h
	}
}
