package views

import (
	"testing"

	"gallerist/data"
)

func TestAltCoverage(t *testing.T) {
	for _, c := range []struct {
		images, alt int
		want        string
	}{
		{0, 0, "No images yet"},
		{1, 0, "The image has no alt text"},
		{1, 1, "The image has alt text"},
		{6, 1, "1 of 6 images has alt text"},
		{6, 0, "0 of 6 images have alt text"},
		{9, 7, "7 of 9 images have alt text"},
		{9, 9, "All 9 images have alt text"},
	} {
		if got := AltCoverage(&data.Product{ImageCount: c.images, AltCount: c.alt}); got != c.want {
			t.Errorf("AltCoverage(%d of %d) = %q, want %q", c.alt, c.images, got, c.want)
		}
	}
}
