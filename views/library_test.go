package views

import (
	"testing"

	"gallerist/data"
)

// TestLibraryHasNextStopsAtOffsetCap: the library never links to a page a
// media list refuses (offset past data.MaxMediaOffset).
func TestLibraryHasNextStopsAtOffsetCap(t *testing.T) {
	items := make([]*data.Media, 50)
	for _, c := range []struct {
		offset int
		exact  bool
		want   bool
	}{
		{0, false, true},
		{data.MaxMediaOffset - 100, false, true},
		{data.MaxMediaOffset - 50, false, true},
		{data.MaxMediaOffset - 49, false, false},
		{data.MaxMediaOffset - 49, true, false},
	} {
		l := &Library{MediaFilter: data.MediaFilter{Offset: c.offset}, Items: items, PageSize: 50, Total: 1_000_000, TotalExact: c.exact}
		if got := l.HasNext(); got != c.want {
			t.Errorf("offset %d (exact %v): HasNext %v, want %v", c.offset, c.exact, got, c.want)
		}
	}
}

// TestPickerHasNextStopsAtOffsetCap: nor does the gallery's media picker.
func TestPickerHasNextStopsAtOffsetCap(t *testing.T) {
	items := make([]*data.Media, 24)
	for offset, want := range map[int]bool{0: true, data.MaxMediaOffset - 24: true, data.MaxMediaOffset - 23: false} {
		pk := &Picker{Items: items, Limit: 24, Offset: offset, Total: data.MaxCountedTotal}
		if got := pk.HasNext(); got != want {
			t.Errorf("offset %d: HasNext %v, want %v", offset, got, want)
		}
	}
}
