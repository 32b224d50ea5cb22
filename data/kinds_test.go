package data

import (
	"slices"
	"testing"
)

// Issue 13, item 4: a kind is one row of KindTable plus its FileTypes; a row
// left half filled in fails here rather than as a blank tab or a 0-byte limit.
func TestKindTable(t *testing.T) {
	seen := map[Kind]bool{}
	for _, k := range KindTable {
		if k.Kind == "" || k.Label == "" || k.Tab == "" || k.Plural == "" || k.Icon == "" || len(k.Accept) == 0 || k.MaxBytes <= 0 {
			t.Errorf("KindTable row %+v is not filled in", k)
		}
		if seen[k.Kind] {
			t.Errorf("%s is in KindTable twice", k.Kind)
		}
		seen[k.Kind] = true
		if len(k.Kind.Types()) == 0 {
			t.Errorf("%s has no FileTypes", k.Kind)
		}
		if got := DefaultLimits().MaxBytes(k.Kind); got != k.MaxBytes {
			t.Errorf("DefaultLimits().MaxBytes(%s) = %d, the table says %d", k.Kind, got, k.MaxBytes)
		}
		if got, ok := ParseKind(string(k.Kind)); !ok || got != k.Kind || k.Kind.Info().Kind != k.Kind {
			t.Errorf("ParseKind(%q) = %q, %v", k.Kind, got, ok)
		}
	}
	if !slices.Equal(Kinds[:4], []Kind{KindImage, KindVideo, KindAudio, KindDocument}) {
		t.Errorf("Kinds = %v, not in the UI's order", Kinds)
	}
	for _, ft := range FileTypes {
		if !seen[ft.Kind] {
			t.Errorf("%s is of kind %q, which KindTable does not have", ft.MIME, ft.Kind)
		}
		if ExtForMIME(ft.MIME) != ft.Ext || !IsMIMEType(ft.MIME) {
			t.Errorf("%s: ExtForMIME %q, IsMIMEType %v", ft.MIME, ExtForMIME(ft.MIME), IsMIMEType(ft.MIME))
		}
	}
	if _, ok := ParseKind("hologram"); ok {
		t.Error(`ParseKind("hologram") is ok`)
	}
	if KindAudio.Plural() != "audios" || KindImage.Plural() != "images" {
		t.Errorf("plurals changed: %q, %q", KindAudio.Plural(), KindImage.Plural())
	}
}
