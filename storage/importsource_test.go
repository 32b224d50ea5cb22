package storage

import (
	"archive/zip"
	"bytes"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
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

// FuzzOpenImportZip: whatever the bytes, opening a zip to import never
// panics, and every file it lets through reads within the size it listed.
func FuzzOpenImportZip(f *testing.F) {
	seed := zipOfFiles
	f.Add(seed(map[string]string{"red-mug.jpg": "\xff\xd8\xff", "import.csv": "handle,file\nred-mug,red-mug.jpg\n"}))
	f.Add(seed(map[string]string{"../up.jpg": "x"}))
	f.Add(seed(map[string]string{"a/b/c.png": strings.Repeat("a", 5000), "nested.zip": "PK"}))
	f.Add([]byte("PK\x05\x06" + strings.Repeat("\x00", 18)))
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, b []byte) {
		p := filepath.Join(dir, "f.zip")
		if err := os.WriteFile(p, b, 0o600); err != nil {
			t.Fatal(err)
		}
		src, err := OpenImportZip(p, "f.zip", 1<<20, 1<<16)
		if err != nil {
			if data.ErrorCode(err) == data.ECInternal {
				t.Fatalf("not a data.Error: %v", err)
			}
			return
		}
		defer src.Close()
		for _, e := range src.Files() {
			if strings.HasPrefix(e.Path, "/") || slices.Contains(strings.Split(e.Path, "/"), "..") {
				t.Fatalf("a path outside the zip got through: %q", e.Path)
			}
			rc, err := src.Open(e.Path)
			if err != nil {
				continue
			}
			n, _ := io.Copy(io.Discard, rc)
			rc.Close()
			if n > e.Size {
				t.Fatalf("%s read %d bytes, listed as %d", e.Path, n, e.Size)
			}
		}
	})
}

// zipOfFiles is a zip of the files (name → content).
func zipOfFiles(files map[string]string) []byte {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for n, b := range files {
		w, _ := zw.Create(n)
		w.Write([]byte(b))
	}
	zw.Close()
	return buf.Bytes()
}

// A folder's file swapped for a link to a file outside it after the
// listing (between the dry run's plan and the read) is not read; one
// still a file inside is.
func TestImportDirOpenStaysInside(t *testing.T) {
	dir, outside := t.TempDir(), filepath.Join(t.TempDir(), "secret.jpg")
	for _, p := range []string{filepath.Join(dir, "cup.jpg"), filepath.Join(dir, "mug.jpg"), outside} {
		if err := os.WriteFile(p, []byte(filepath.Base(p)), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	src, err := OpenImportDir(dir)
	if err != nil || len(src.Files()) != 2 || len(src.Skipped()) != 0 {
		t.Fatalf("listing: %v %v %v", src.Files(), src.Skipped(), err)
	}
	if err := os.Remove(filepath.Join(dir, "cup.jpg")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(outside, filepath.Join(dir, "cup.jpg")); err != nil {
		t.Fatal(err)
	}
	if f, err := src.Open("cup.jpg"); err == nil {
		b, _ := io.ReadAll(f)
		f.Close()
		t.Fatalf("read %q through a link out of the folder", b)
	}
	f, err := src.Open("mug.jpg")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if b, _ := io.ReadAll(f); string(b) != "mug.jpg" {
		t.Fatalf("mug.jpg read %q", b)
	}
}
