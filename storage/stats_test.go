package storage

import (
	"errors"
	"fmt"
	"testing"
	"time"
)

// The hook blob stores call: a failure is counted by operation, a missing
// blob (an answer, not a failure) and success are not, and the error is
// handed back unchanged.
func TestStatsBlobError(t *testing.T) {
	c := newCounters()
	failed := errors.New("connection reset")
	if err := c.BlobError(BlobPut, failed); err != failed {
		t.Errorf("BlobError returned %v", err)
	}
	c.BlobError(BlobGet, fmt.Errorf("open: %w", ErrBlobNotFound))
	c.BlobError(BlobDelete, nil)
	for op, want := range map[BlobOp]uint64{BlobPut: 1, BlobGet: 0, BlobDelete: 0, BlobStat: 0, BlobList: 0} {
		if got := c.BlobErrors(op); got != want {
			t.Errorf("%s: %d errors counted, want %d", BlobOps[op], got, want)
		}
	}
}

// Histogram buckets are cumulative, a value on a bound falls in it, and
// values past the last bound count only in the total.
func TestHistogramSnapshot(t *testing.T) {
	h := NewHistogram(time.Millisecond, 10*time.Millisecond)
	for _, d := range []time.Duration{time.Microsecond, time.Millisecond, 5 * time.Millisecond, time.Second} {
		h.Observe(d)
	}
	buckets, count, sum := h.Snapshot()
	if buckets[0.001] != 2 || buckets[0.01] != 3 || count != 4 || sum < 1.006 || sum > 1.0061 {
		t.Errorf("buckets %v, count %d, sum %v", buckets, count, sum)
	}
}
