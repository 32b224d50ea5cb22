package storage

import (
	"archive/zip"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strings"

	"gallerist/data"
)

// ImportSource is a folder or a zip file of media to import.
type ImportSource interface {
	// Files lists the regular files ("/"-separated paths, sorted), hidden
	// ones and folders (.git, __MACOSX) left out.
	Files() []ImportEntry
	// Skipped lists what the source itself left out (links, nested zips,
	// files over the size limit), with the reason.
	Skipped() []data.ImportIssue
	Open(p string) (io.ReadCloser, error)
	Close() error
}

// ImportEntry is one file of an import source.
type ImportEntry struct {
	Path string
	Size int64
}

func hiddenPath(p string) bool {
	for _, part := range strings.Split(p, "/") {
		if strings.HasPrefix(part, ".") || part == "__MACOSX" {
			return true
		}
	}
	return false
}

type dirSource struct {
	root    string
	files   []ImportEntry
	skipped []data.ImportIssue
}

// OpenImportDir lists a folder to import. Links in it (to files or
// folders, inside it or not) and special files are never followed or
// read: they are skipped with the reason, as a zip's are. root itself may
// be a link to the folder (the person named it).
func OpenImportDir(root string) (ImportSource, error) {
	name := root
	if st, err := os.Lstat(root); err == nil && st.Mode()&fs.ModeSymlink != 0 {
		if root, err = filepath.EvalSymlinks(root); err != nil {
			return nil, err
		}
	}
	d := &dirSource{root: root}
	err := filepath.WalkDir(root, func(p string, e fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		rel = filepath.ToSlash(rel)
		if rel != "." && hiddenPath(rel) {
			if e.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		if e.IsDir() {
			return nil
		}
		if len(d.files)+len(d.skipped) == data.MaxImportFiles { // a zip's limit counts its links too
			return fmt.Errorf("%s holds more than %d files; import it in parts", name, data.MaxImportFiles)
		}
		if !e.Type().IsRegular() { // a link could point anywhere; a FIFO would block the read
			d.skipped = append(d.skipped, data.ImportIssue{Path: rel, Reason: linkOrSpecial})
			return nil
		}
		info, err := e.Info()
		if err != nil {
			return err
		}
		d.files = append(d.files, ImportEntry{Path: rel, Size: info.Size()})
		return nil
	})
	return d, err
}

func (d *dirSource) Files() []ImportEntry        { return d.files }
func (d *dirSource) Skipped() []data.ImportIssue { return d.skipped }

// Open opens a listed file within the folder only: a file swapped for a
// link to elsewhere after the listing is refused.
func (d *dirSource) Open(p string) (io.ReadCloser, error) {
	return os.OpenInRoot(d.root, filepath.FromSlash(p))
}
func (d *dirSource) Close() error { return nil }

// zipSource is a zip that passed checkZip: every entry it lists was read
// once in full, within its declared size, with a good checksum.
type zipSource struct {
	f       *os.File
	r       *zip.Reader
	files   []ImportEntry
	skipped []data.ImportIssue
	byKey   map[string]*zip.File
}

// linkOrSpecial is why a folder's or a zip's link or special file is skipped.
const linkOrSpecial = "a link or special file, not a file"

var drivePathRE = regexp.MustCompile(`^[A-Za-z]:`)

// OpenImportZip opens the zip at name (display is its name in messages) to import and checks it before any work, so
// that a hostile one costs little and does nothing: its size and the total
// its entries declare (maxBytes each), the number of entries (counted from
// the end record, before the directory is read), names that would point
// outside the zip (../, absolute, drive letters, backslashes); then it
// reads every entry it will use once, each bounded by the size its header
// declares (a zip bomb's lying header stops there) and checked against its
// checksum. Entries over maxEntry bytes, links and nested zips are skipped
// with the reason. Errors are data.Errors whose message a person can act on.
func OpenImportZip(name, display string, maxBytes, maxEntry int64) (src ImportSource, err error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	defer func() {
		if err != nil {
			f.Close()
		}
	}()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if st.Size() > maxBytes {
		return nil, data.Errorf(data.ECTooLarge, "%s is %s; a zip import may be at most %s. Split it into smaller zips.",
			display, data.HumanBytes(st.Size()), data.HumanBytes(maxBytes)).With("limit_bytes", maxBytes)
	}
	notZip := func(why string) error {
		return data.Errorf(data.ECCorruptFile, "%s is not a zip file we can read (%s). Make the zip again and retry.", display, why)
	}
	if n, ok := zipEntryCount(f, st.Size()); ok && n > data.MaxImportFiles {
		return nil, data.Errorf(data.ECTooManyFiles, "%s holds %d entries; an import takes at most %d. Split it into smaller zips.",
			display, n, data.MaxImportFiles).With("max_files", data.MaxImportFiles)
	}
	r, err := zip.NewReader(f, st.Size())
	if err != nil {
		return nil, notZip(strings.TrimPrefix(err.Error(), "zip: "))
	}
	if len(r.File) > data.MaxImportFiles {
		return nil, data.Errorf(data.ECTooManyFiles, "%s holds %d entries; an import takes at most %d. Split it into smaller zips.",
			display, len(r.File), data.MaxImportFiles).With("max_files", data.MaxImportFiles)
	}
	z := &zipSource{f: f, r: r, byKey: map[string]*zip.File{}}
	var total uint64
	for _, e := range r.File {
		n := e.Name
		if strings.Contains(n, "\\") || strings.HasPrefix(n, "/") || drivePathRE.MatchString(n) ||
			slices.Contains(strings.Split(n, "/"), "..") {
			return nil, data.Errorf(data.ECCorruptFile, "%s holds an entry named %q, which points outside the zip; nothing was imported. Make the zip again from a folder.",
				display, n).With("entry", n)
		}
		if total += e.UncompressedSize64; total > uint64(maxBytes) || e.UncompressedSize64 > uint64(maxBytes) {
			return nil, data.Errorf(data.ECTooLarge, "%s expands to more than %s, the most a zip import may hold. Split it into smaller zips.",
				display, data.HumanBytes(maxBytes)).With("limit_bytes", maxBytes)
		}
		p := path.Clean(n)
		switch {
		case e.FileInfo().IsDir() || p == "." || hiddenPath(p):
			continue
		case !e.Mode().IsRegular():
			z.skipped = append(z.skipped, data.ImportIssue{Path: p, Reason: linkOrSpecial})
			continue
		case strings.EqualFold(path.Ext(p), ".zip"):
			z.skipped = append(z.skipped, data.ImportIssue{Path: p, Reason: "a zip inside the zip is not opened; unpack it first"})
			continue
		case e.UncompressedSize64 > uint64(maxEntry):
			z.skipped = append(z.skipped, data.ImportIssue{Path: p, Reason: fmt.Sprintf("%s, over the %s limit for one file",
				data.HumanBytes(int64(e.UncompressedSize64)), data.HumanBytes(maxEntry))})
			continue
		}
		if _, dup := z.byKey[p]; dup {
			return nil, data.Errorf(data.ECCorruptFile, "%s holds two entries named %q; nothing was imported. Make the zip again from a folder.", display, p).With("entry", p)
		}
		if err := checkZipEntry(e); err != nil {
			return nil, data.Errorf(data.ECCorruptFile, "%s is damaged or hostile: %s %s. Nothing was imported.", display, p, err.Error()).With("entry", p)
		}
		z.byKey[p] = e
		z.files = append(z.files, ImportEntry{Path: p, Size: int64(e.UncompressedSize64)})
	}
	slices.SortFunc(z.files, func(a, b ImportEntry) int { return strings.Compare(a.Path, b.Path) })
	return z, nil
}

// checkZipEntry reads an entry in full, never more than one byte past the
// size its header declares.
func checkZipEntry(e *zip.File) error {
	rc, err := e.Open()
	if err != nil {
		return errors.New("cannot be opened (" + strings.TrimPrefix(err.Error(), "zip: ") + ")")
	}
	defer rc.Close()
	n, err := io.Copy(io.Discard, io.LimitReader(rc, int64(e.UncompressedSize64)+1))
	switch {
	case n > int64(e.UncompressedSize64):
		return fmt.Errorf("expands beyond the %s its header declares", data.HumanBytes(int64(e.UncompressedSize64)))
	case errors.Is(err, zip.ErrFormat): // archive/zip's own check of the declared size
		return fmt.Errorf("expands beyond the %s its header declares", data.HumanBytes(int64(e.UncompressedSize64)))
	case err != nil:
		return errors.New("cannot be read (" + strings.TrimPrefix(err.Error(), "zip: ") + ")")
	case n < int64(e.UncompressedSize64):
		return errors.New("is shorter than its header declares")
	}
	return nil
}

// zipEntryCount reads the number of entries from a zip's end record (and
// its zip64 record), without reading the directory. ok is false when there
// is no readable end record (zip.NewReader then says what is wrong).
func zipEntryCount(r io.ReaderAt, size int64) (uint64, bool) {
	const eocdLen, maxComment = 22, 1<<16 - 1
	n := min(size, eocdLen+maxComment)
	buf := make([]byte, n)
	if _, err := r.ReadAt(buf, size-n); err != nil {
		return 0, false
	}
	i := bytes.LastIndex(buf, []byte("PK\x05\x06"))
	if i < 0 || len(buf)-i < eocdLen {
		return 0, false
	}
	count := uint64(binary.LittleEndian.Uint16(buf[i+10:]))
	if i >= 20 && string(buf[i-20:i-16]) == "PK\x06\x07" { // zip64 locator
		off := int64(binary.LittleEndian.Uint64(buf[i-20+8:]))
		rec := make([]byte, 56)
		if off < 0 || off > size-56 {
			return 0, false
		}
		if _, err := r.ReadAt(rec, off); err != nil || string(rec[:4]) != "PK\x06\x06" {
			return 0, false
		}
		count = binary.LittleEndian.Uint64(rec[32:])
	}
	return count, true
}

func (z *zipSource) Files() []ImportEntry        { return z.files }
func (z *zipSource) Skipped() []data.ImportIssue { return z.skipped }
func (z *zipSource) Open(p string) (io.ReadCloser, error) {
	e, ok := z.byKey[p]
	if !ok {
		return nil, fs.ErrNotExist
	}
	rc, err := e.Open()
	if err != nil {
		return nil, err
	}
	// Checked once already; bounded again, whatever the file became since.
	return struct {
		io.Reader
		io.Closer
	}{io.LimitReader(rc, int64(e.UncompressedSize64)), rc}, nil
}
func (z *zipSource) Close() error { return z.f.Close() }
