package storage

import (
	"archive/zip"
	"bytes"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"gallerist/data"
)

// The entry count comes from the end record, zip64's too (more than 65535
// entries), before the directory is read.
func TestZipEntryCount(t *testing.T) {
	for _, n := range []int{0, 3, 70000} {
		var buf bytes.Buffer
		zw := zip.NewWriter(&buf)
		for i := range n {
			if _, err := zw.CreateHeader(&zip.FileHeader{Name: strconv.Itoa(i), Method: zip.Store}); err != nil {
				t.Fatal(err)
			}
		}
		zw.Close()
		got, ok := zipEntryCount(bytes.NewReader(buf.Bytes()), int64(buf.Len()))
		if !ok || got != uint64(n) {
			t.Errorf("%d entries: read %d, %v", n, got, ok)
		}
		if n > data.MaxImportFiles {
			p := filepath.Join(t.TempDir(), "many.zip")
			os.WriteFile(p, buf.Bytes(), 0o644)
			if _, err := OpenImportZip(p, "many.zip", 1<<30, 1<<20); data.ErrorCode(err) != data.ECTooManyFiles {
				t.Errorf("%d entries: %v", n, err)
			}
		}
	}
	if _, ok := zipEntryCount(bytes.NewReader([]byte("not a zip at all")), 16); ok {
		t.Errorf("a count from something that is not a zip")
	}
}
