package storage

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"
)

// Stats counts what the storage layer does, for the metrics endpoint. It is
// process-wide, like the process it describes: the database, the blob store
// and the rendition workers record into it without being handed anything,
// and main turns it into Prometheus collectors (storage knows nothing of
// Prometheus). Every field is safe for concurrent use.
var Stats = newCounters()

// Counters are the storage layer's counters and histograms (see Stats).
type Counters struct {
	// WriteWait is the time from asking for the write transaction to
	// holding it: the queue on the one writer connection plus SQLite's lock.
	WriteWait *Histogram
	// Rendition job durations, by outcome (see RenditionOutcomes).
	renditionJobs [len(RenditionOutcomes)]*Histogram
	blobErrors    [len(BlobOps)]atomic.Uint64

	freedBytes, freedBlobs atomic.Uint64
	gcRuns, gcFailures     atomic.Uint64
	gcPurged, gcOrphans    atomic.Uint64
	blobMissing            atomic.Uint64
	missingSeen            sync.Map // blob keys already logged as missing
	missingSeenN           atomic.Int64
}

func newCounters() *Counters {
	c := &Counters{WriteWait: NewHistogram(25*time.Microsecond, 100*time.Microsecond, 500*time.Microsecond,
		time.Millisecond, 5*time.Millisecond, 10*time.Millisecond, 50*time.Millisecond, 100*time.Millisecond,
		500*time.Millisecond, time.Second, 5*time.Second, 10*time.Second)}
	for i := range c.renditionJobs {
		c.renditionJobs[i] = NewHistogram(10*time.Millisecond, 50*time.Millisecond, 100*time.Millisecond,
			250*time.Millisecond, 500*time.Millisecond, time.Second, 2500*time.Millisecond, 5*time.Second,
			10*time.Second, 30*time.Second, time.Minute)
	}
	return c
}

// BlobOp is a blob-store operation, for error counts.
type BlobOp int

// The blob-store operations errors are counted by.
const (
	BlobPut BlobOp = iota
	BlobGet
	BlobStat
	BlobDelete
	BlobList
)

// BlobOps names the operations, indexed by BlobOp (metric label values).
var BlobOps = [...]string{BlobPut: "put", BlobGet: "get", BlobStat: "stat", BlobDelete: "delete", BlobList: "list"}

// BlobError counts a failed blob-store operation and returns err, so a store
// can end a method with `return Stats.BlobError(BlobPut, err)`. Nil and
// ErrBlobNotFound (an answer, not a failure of the store) are not counted.
func (c *Counters) BlobError(op BlobOp, err error) error {
	if err != nil && !errors.Is(err, ErrBlobNotFound) && op >= 0 && int(op) < len(BlobOps) {
		c.blobErrors[op].Add(1)
	}
	return err
}

// BlobMissing counts a request for a live row's blob that the store does
// not have (a file lost, or a store that is not this database's) and logs
// it as a warning once per key (the first 10,000 keys), with where it
// should be: the client gets a plain 404, and the operator must hear of it.
func (c *Counters) BlobMissing(log *slog.Logger, store BlobStore, key string) {
	c.blobMissing.Add(1)
	if c.missingSeenN.Load() >= 10_000 {
		return
	}
	if _, seen := c.missingSeen.LoadOrStore(key, true); !seen {
		c.missingSeenN.Add(1)
		log.Warn("a live item's file is missing from the blob store", "key", key, "location", store.Location(key))
	}
}

// BlobsMissing is the number of requests that found a live row's blob missing.
func (c *Counters) BlobsMissing() uint64 { return c.blobMissing.Load() }

// BlobErrors is the count of failed operations of one kind.
func (c *Counters) BlobErrors(op BlobOp) uint64 { return c.blobErrors[op].Load() }

// The outcomes of a rendition job, indexed like RenditionOutcomes.
const (
	renditionReady = iota
	renditionRetry
	renditionFailed
	renditionInterrupted
	renditionWaiting
)

// RenditionOutcomes names how a rendition job ended: its renditions were
// made, it failed and is queued again, it failed for good, shutdown
// interrupted it (it resumes on restart), or the blob store was
// unavailable (it waits for the store, its attempt not counted).
var RenditionOutcomes = [...]string{renditionReady: "ready", renditionRetry: "retry", renditionFailed: "failed", renditionInterrupted: "interrupted",
	renditionWaiting: "store_unavailable"}

// RenditionJobs is the duration histogram of jobs with one outcome (an
// index into RenditionOutcomes).
func (c *Counters) RenditionJobs(outcome int) *Histogram { return c.renditionJobs[outcome] }

// Freed is the number and bytes of blobs deleted because no row needs them
// any more (purges, GC of expired trash, orphans).
func (c *Counters) Freed() (blobs, bytes uint64) { return c.freedBlobs.Load(), c.freedBytes.Load() }

// GCRun records one garbage collection of the server.
func (c *Counters) GCRun(rep GCReport, err error) {
	c.gcRuns.Add(1)
	if err != nil {
		c.gcFailures.Add(1)
	}
	c.gcPurged.Add(uint64(len(rep.Purged)))
	c.gcOrphans.Add(uint64(len(rep.Orphans)))
}

// GCRuns is the number of garbage collections, how many failed, the media
// rows they purged and the orphan blobs they removed.
func (c *Counters) GCRuns() (runs, failures, purged, orphans uint64) {
	return c.gcRuns.Load(), c.gcFailures.Load(), c.gcPurged.Load(), c.gcOrphans.Load()
}

// deleteFreed deletes a blob no row needs and counts its bytes as freed
// (the size from a Stat first: blobs are freed rarely).
func (s *MediaService) deleteFreed(ctx context.Context, key string) error {
	var size int64
	if info, err := s.blobs.Stat(ctx, key); err == nil {
		size = info.Size
	}
	if err := s.blobs.Delete(ctx, key); err != nil {
		return err
	}
	if size > 0 {
		Stats.freedBlobs.Add(1)
		Stats.freedBytes.Add(uint64(size))
	}
	return nil
}

// Histogram counts durations into fixed buckets without locks.
type Histogram struct {
	bounds []time.Duration // upper bounds, ascending
	counts []atomic.Uint64 // one per bound, then one for larger values
	sumNS  atomic.Int64
}

// NewHistogram returns a histogram with these ascending upper bounds.
func NewHistogram(bounds ...time.Duration) *Histogram {
	return &Histogram{bounds: bounds, counts: make([]atomic.Uint64, len(bounds)+1)}
}

// Observe records one duration.
func (h *Histogram) Observe(d time.Duration) {
	i := 0
	for i < len(h.bounds) && d > h.bounds[i] {
		i++
	}
	h.counts[i].Add(1)
	h.sumNS.Add(int64(d))
}

// Snapshot returns the cumulative count at each upper bound (in seconds),
// the total count and the sum of all durations in seconds.
func (h *Histogram) Snapshot() (buckets map[float64]uint64, count uint64, sum float64) {
	buckets = make(map[float64]uint64, len(h.bounds))
	for i, b := range h.bounds {
		count += h.counts[i].Load()
		buckets[b.Seconds()] = count
	}
	count += h.counts[len(h.bounds)].Load()
	return buckets, count, time.Duration(h.sumNS.Load()).Seconds()
}
