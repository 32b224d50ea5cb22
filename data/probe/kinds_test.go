package probe

import (
	"testing"

	"gallerist/data"
)

// The types Inspect ends with are the library's types: the same MIME type,
// extension and kind as data.FileTypes, and no type data does not list.
func TestAcceptedTypesAreDataFileTypes(t *testing.T) {
	final := []Type{typeJPEG, typePNG, typeGIF, typeWebP, typePDF, typeDOC, typeXLS, typeDOCX, typeXLSX,
		typeMP4, typeMOV, typeWebM, typeM4A, typeMP3}
	if len(final) != len(data.FileTypes) {
		t.Errorf("probe accepts %d types, data.FileTypes lists %d", len(final), len(data.FileTypes))
	}
	for _, pt := range final {
		found := false
		for _, ft := range data.FileTypes {
			if ft.MIME == pt.MIME {
				found = true
				if ft.Ext != pt.Ext || string(ft.Kind) != pt.Kind {
					t.Errorf("%s: probe says .%s %s, data says .%s %s", pt.MIME, pt.Ext, pt.Kind, ft.Ext, ft.Kind)
				}
			}
		}
		if !found {
			t.Errorf("probe accepts %s, which data.FileTypes does not list", pt.MIME)
		}
	}
}
