package probe

import (
	"errors"
	"strings"
	"testing"

	"gallerist/data/render/rendertest"
)

// TestJPEGScanLimit: a JPEG with more than MaxJPEGScans scans is refused at
// upload with a plain reason; one with exactly that many is accepted (the
// decoder's CPU budget takes it from there).
func TestJPEGScanLimit(t *testing.T) {
	if _, info, err := probeBytes(rendertest.ProgressiveJPEG(640, 480, 3, MaxJPEGScans)); err != nil || info.Width != 640 {
		t.Fatalf("%d scans: %+v, %v", MaxJPEGScans, info, err)
	}
	for _, n := range []int{MaxJPEGScans + 1, 5000} {
		_, _, err := probeBytes(rendertest.ProgressiveJPEG(640, 480, 1, n))
		var pe *Error
		if !errors.As(err, &pe) || !strings.Contains(pe.Reason, "more than 100 scans") {
			t.Fatalf("%d scans: %v", n, err)
		}
	}
}
