package storage

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"gallerist/data"
)

// BlobStore keeps content-addressed files. Keys are lowercase hex SHA-256
// digests of originals ("<sha>"), or an original's digest followed by a
// rendition's name ("<sha>/320.jpg"). Every store (the local folder, S3)
// speaks streams: nothing outside a store knows where its bytes live.
// Staging is not the store's business: uploads are staged in local
// temporary files (see Staging) and put from there.
type BlobStore interface {
	// Put stores the size bytes r yields under key, unless key exists
	// already (then created is false and r may be left unread). sum is
	// the lowercase hex SHA-256 of those bytes; a store refuses bytes that
	// do not match it (with ErrBlobCorrupt), so a torn read never lands.
	Put(ctx context.Context, key string, r io.Reader, size int64, sum string) (created bool, err error)
	// Open opens key for reading; ErrBlobNotFound if it is missing. Seek
	// then Read reads a range: remote stores request only that range and
	// never buffer a whole file.
	Open(ctx context.Context, key string) (data.Blob, error)
	// Stat reports key's size and modification time; ErrBlobNotFound if missing.
	Stat(ctx context.Context, key string) (BlobInfo, error)
	// Delete removes key; a missing key is not an error.
	Delete(ctx context.Context, key string) error
	// List calls fn for every key that starts with prefix, in no
	// particular order; an error from fn stops the listing and is returned.
	List(ctx context.Context, prefix string, fn func(BlobInfo) error) error
	// Check reports whether the store can be reached and written (at start
	// and for /readyz), as an error that says what to fix.
	Check(ctx context.Context) error
	// Location names where key lives, for messages: its path in the data
	// dir, or s3://BUCKET/NAME.
	Location(key string) string
}

// BlobInfo describes one stored key.
type BlobInfo struct {
	Key     string
	Size    int64
	ModTime time.Time
}

// ErrBlobNotFound is returned by Open and Stat for a missing key.
var ErrBlobNotFound = errors.New("blob not found")

// ErrBlobCorrupt is returned by Put when the bytes read do not have the
// size and SHA-256 the caller gave.
var ErrBlobCorrupt = errors.New("blob bytes do not match their size and SHA-256")

// StoreUnavailableError marks a blob store failure as temporary: the store
// could not be reached, or it answered with a server error or asked to
// slow down, after the client's own retries. Clients are told
// data.ECUnavailable (503, with Retry-After) and the detail goes to the
// log; rendition jobs wait for the store instead of failing.
type StoreUnavailableError struct{ Err error }

func (e *StoreUnavailableError) Error() string { return e.Err.Error() }
func (e *StoreUnavailableError) Unwrap() error { return e.Err }

// As makes the error read as errStoreUnavailable to errors.As(err, &*data.Error).
func (e *StoreUnavailableError) As(target any) bool {
	if p, ok := target.(**data.Error); ok {
		*p = errStoreUnavailable
		return true
	}
	return false
}

// errStoreUnavailable is what a client is told while the store is away.
var errStoreUnavailable = data.Errorf(data.ECUnavailable,
	"The server cannot reach its file storage right now, so this could not be done; nothing was changed. Try again in a minute.")

// IsStoreUnavailable reports whether err is (or wraps) a temporary failure
// of the blob store (StoreUnavailableError).
func IsStoreUnavailable(err error) bool {
	var su *StoreUnavailableError
	return errors.As(err, &su)
}

var keyRE = regexp.MustCompile(`^[0-9a-f]{64}(/[0-9a-z]+\.[a-z0-9]+)?$`)

// ValidBlobKey reports whether key is a well-formed blob key.
func ValidBlobKey(key string) bool { return keyRE.MatchString(key) }

// IsOriginalKey reports whether key names an original (not a rendition).
func IsOriginalKey(key string) bool { return len(key) == 64 && keyRE.MatchString(key) }

func checkKey(key string) error {
	if !keyRE.MatchString(key) {
		return fmt.Errorf("blob key %q is malformed", key)
	}
	return nil
}

// Staging is the local folder uploads are staged in before they are put
// into the blob store (whatever store that is): tmp/ in the data dir.
type Staging struct {
	dir string
}

// NewStaging opens (creating) the staging folder dir and removes what a
// crash left there: files older than OrphanBlobAge, since another process
// (a server while `gallerist gc` starts) may be staging an upload now.
func NewStaging(dir string) (*Staging, error) {
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, err
	}
	s := &Staging{dir: dir}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	stale := time.Now().Add(-OrphanBlobAge)
	for _, e := range entries {
		if info, err := e.Info(); err == nil && info.ModTime().Before(stale) {
			os.Remove(filepath.Join(dir, e.Name()))
		}
	}
	return s, nil
}

// Dir is the staging folder (tests check it is left empty).
func (s *Staging) Dir() string { return s.dir }

// CreateTemp creates an empty staging file.
func (s *Staging) CreateTemp() (*os.File, error) {
	return os.CreateTemp(s.dir, "upload-*")
}

// Clear removes every staging file, whatever its age: for the one server
// process of a data dir, at start and after shutdown, when no upload of
// its own can be running. A backup's snapshot folder is left alone (a
// backup may be running; see RemoveDeadBackups).
func (s *Staging) Clear() error {
	entries, err := os.ReadDir(s.dir)
	if err != nil {
		return err
	}
	var errs []error
	for _, e := range entries {
		if e.IsDir() && strings.HasPrefix(e.Name(), backupStagingPrefix) {
			continue
		}
		if err := os.Remove(filepath.Join(s.dir, e.Name())); err != nil && !errors.Is(err, fs.ErrNotExist) {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// backupStagingPrefix begins the names of the folders in the staging
// folder where a backup into a bucket keeps its database snapshot while it
// runs (a full copy of the database: password and token hashes too).
const backupStagingPrefix = "backup-"

// RemoveDeadBackups removes the snapshot folders of backups that were
// killed (SIGKILL, power loss): every backup-* folder, when no hold on file
// deletion is live. A running backup takes its hold before it makes its
// folder and renews it while it runs, so a folder seen while no hold is live
// is a dead backup's; while any hold is live every folder is kept (a dead
// one goes at the first start after that hold expires, within HoldTTL).
// It returns the folders removed.
func (s *Staging) RemoveDeadBackups(ctx context.Context, db *DB) ([]string, error) {
	entries, err := os.ReadDir(s.dir)
	if err != nil {
		return nil, err
	}
	var dirs []string
	for _, e := range entries {
		if e.IsDir() && strings.HasPrefix(e.Name(), backupStagingPrefix) {
			dirs = append(dirs, filepath.Join(s.dir, e.Name()))
		}
	}
	if len(dirs) == 0 {
		return nil, nil
	}
	// Listed before the holds are read: a folder listed was made after its
	// backup's hold committed, so that hold is seen unless it expired.
	var held bool
	if err := db.view(ctx, func(tx *sql.Tx) (err error) {
		held, err = db.filesHeld(ctx, tx)
		return err
	}); err != nil || held {
		return nil, err
	}
	var errs []error
	for _, d := range dirs {
		errs = append(errs, os.RemoveAll(d))
	}
	return dirs, errors.Join(errs...)
}

// fileMover is a store that can take a staged file by renaming it, on the
// same file system (the local store), instead of copying its bytes.
type fileMover interface {
	moveFile(key, path string) (created bool, err error)
}

// putStaged puts the staged file at path (size bytes with SHA-256 sum)
// under key and removes the staged file, whatever happens.
func putStaged(ctx context.Context, store BlobStore, key, path string, size int64, sum string) (bool, error) {
	if m, ok := store.(fileMover); ok {
		created, err := m.moveFile(key, path)
		if err != nil {
			os.Remove(path)
		}
		return created, err
	}
	defer os.Remove(path)
	f, err := os.Open(path)
	if err != nil {
		return false, err
	}
	defer f.Close()
	return store.Put(ctx, key, f, size, sum)
}

// deleteRenditions removes every rendition of the original sha.
func deleteRenditions(ctx context.Context, store BlobStore, sha string) error {
	if !IsOriginalKey(sha) {
		return fmt.Errorf("blob key %q is malformed", sha)
	}
	var keys []string
	if err := store.List(ctx, sha+"/", func(b BlobInfo) error {
		keys = append(keys, b.Key)
		return nil
	}); err != nil {
		return err
	}
	var errs []error
	for _, k := range keys {
		errs = append(errs, store.Delete(ctx, k))
	}
	return errors.Join(errs...)
}

// hashCounter hashes and counts what is written to it, for Put's check.
type hashCounter struct {
	h hash.Hash
	n int64
}

func newHashCounter() *hashCounter { return &hashCounter{h: sha256.New()} }

func (c *hashCounter) Write(p []byte) (int, error) {
	c.h.Write(p)
	c.n += int64(len(p))
	return len(p), nil
}

// copyVerifiedTo copies r to w (reading at most one byte more than size)
// and reports ErrBlobCorrupt unless exactly size bytes with SHA-256 sum came.
func copyVerifiedTo(w io.Writer, r io.Reader, size int64, sum string) error {
	c := newHashCounter()
	if _, err := io.Copy(io.MultiWriter(w, c), io.LimitReader(r, size+1)); err != nil {
		return err
	}
	if c.n != size {
		return fmt.Errorf("%w: %d bytes read, %d expected", ErrBlobCorrupt, c.n, size)
	}
	if hex.EncodeToString(c.h.Sum(nil)) != sum {
		return fmt.Errorf("%w: the size is right but the SHA-256 differs", ErrBlobCorrupt)
	}
	return nil
}

// LocalBlobs is a BlobStore on the local disk: originals in
// blobs/ab/cd/<sha>, renditions in renditions/ab/cd/<sha>/<name>.
type LocalBlobs struct {
	root    string
	staging *Staging
}

// NewLocalBlobs opens (creating) a local blob store under dir; it writes
// through the staging folder given (same file system, so a put is a rename).
func NewLocalBlobs(dir string, staging *Staging) (*LocalBlobs, error) {
	for _, d := range []string{filepath.Join(dir, "blobs"), filepath.Join(dir, "renditions")} {
		if err := os.MkdirAll(d, 0o750); err != nil {
			return nil, err
		}
	}
	return &LocalBlobs{root: dir, staging: staging}, nil
}

// BlobDir is where originals live.
func (b *LocalBlobs) BlobDir() string { return filepath.Join(b.root, "blobs") }

// RenditionDir is where renditions live.
func (b *LocalBlobs) RenditionDir() string { return filepath.Join(b.root, "renditions") }

// String names the store for logs and messages.
func (b *LocalBlobs) String() string { return "local folder " + b.root }

func (b *LocalBlobs) path(key string) (string, error) {
	if err := checkKey(key); err != nil {
		return "", err
	}
	if strings.Contains(key, "/") {
		return filepath.Join(b.RenditionDir(), key[0:2], key[2:4], filepath.FromSlash(key)), nil
	}
	return filepath.Join(b.BlobDir(), key[0:2], key[2:4], key), nil
}

// Location names where key lives: its path in the data dir.
func (b *LocalBlobs) Location(key string) string {
	p, err := b.path(key)
	if err != nil {
		return key
	}
	if rel, err := filepath.Rel(b.root, p); err == nil {
		return filepath.ToSlash(rel)
	}
	return p
}

// moveFile renames the (already fsynced) staged file into place and syncs the directory.
func (b *LocalBlobs) moveFile(key, tempPath string) (bool, error) {
	p, err := b.path(key)
	if err != nil {
		return false, err
	}
	if _, err := os.Stat(p); err == nil {
		return false, os.Remove(tempPath)
	}
	dir := filepath.Dir(p)
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return false, err
	}
	if err := os.Rename(tempPath, p); err != nil {
		return false, err
	}
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
	return true, nil
}

// Put copies r into a staging file, checks its size and hash, syncs it and
// renames it into place.
func (b *LocalBlobs) Put(ctx context.Context, key string, r io.Reader, size int64, sum string) (bool, error) {
	p, err := b.path(key)
	if err != nil {
		return false, err
	}
	if _, err := os.Stat(p); err == nil {
		return false, nil
	}
	if b.staging == nil {
		return false, errors.New("local blob store opened without a staging folder")
	}
	f, err := b.staging.CreateTemp()
	if err != nil {
		return false, err
	}
	err = copyVerifiedTo(f, r, size, sum)
	if err == nil {
		err = ctx.Err()
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(f.Name())
		return false, err
	}
	return b.moveFile(key, f.Name())
}

type localBlob struct {
	*os.File
	size int64
	mod  time.Time
}

func (l *localBlob) Size() int64        { return l.size }
func (l *localBlob) ModTime() time.Time { return l.mod }

// Open opens a blob for reading.
func (b *LocalBlobs) Open(_ context.Context, key string) (data.Blob, error) {
	p, err := b.path(key)
	if err != nil {
		return nil, err
	}
	f, err := os.Open(p)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, ErrBlobNotFound
	}
	if err != nil {
		return nil, err
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	return &localBlob{File: f, size: st.Size(), mod: st.ModTime()}, nil
}

// Stat reports a blob's size and modification time.
func (b *LocalBlobs) Stat(_ context.Context, key string) (BlobInfo, error) {
	p, err := b.path(key)
	if err != nil {
		return BlobInfo{}, err
	}
	st, err := os.Stat(p)
	if errors.Is(err, fs.ErrNotExist) {
		return BlobInfo{}, ErrBlobNotFound
	}
	if err != nil {
		return BlobInfo{}, err
	}
	return BlobInfo{Key: key, Size: st.Size(), ModTime: st.ModTime()}, nil
}

// Delete removes a blob; a missing one is not an error. A rendition's
// folder goes with its last file.
func (b *LocalBlobs) Delete(_ context.Context, key string) error {
	p, err := b.path(key)
	if err != nil {
		return err
	}
	if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	if strings.Contains(key, "/") {
		os.Remove(filepath.Dir(p)) // fails, harmlessly, while other renditions remain
	}
	return nil
}

// List walks the folders and reports every well-formed key under prefix.
func (b *LocalBlobs) List(ctx context.Context, prefix string, fn func(BlobInfo) error) error {
	var roots []string
	switch {
	case len(prefix) > 64 && IsOriginalKey(prefix[:64]) && prefix[64] == '/':
		// One original's renditions: its folder only.
		roots = []string{filepath.Join(b.RenditionDir(), prefix[0:2], prefix[2:4], prefix[:64])}
	case len(prefix) == 64 && IsOriginalKey(prefix):
		p, _ := b.path(prefix)
		roots = []string{p, filepath.Join(b.RenditionDir(), prefix[0:2], prefix[2:4], prefix)}
	default:
		roots = []string{b.BlobDir(), b.RenditionDir()}
	}
	for _, root := range roots {
		if err := b.walk(ctx, root, prefix, fn); err != nil {
			return err
		}
	}
	return nil
}

func (b *LocalBlobs) walk(ctx context.Context, root, prefix string, fn func(BlobInfo) error) error {
	return filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil
			}
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		if !d.Type().IsRegular() {
			return nil
		}
		key, ok := b.keyOf(p)
		if !ok || !strings.HasPrefix(key, prefix) {
			return nil
		}
		info, err := d.Info()
		if err != nil {
			return nil // gone meanwhile
		}
		return fn(BlobInfo{Key: key, Size: info.Size(), ModTime: info.ModTime()})
	})
}

// keyOf maps a file's path back to its key, if it is where that key lives.
func (b *LocalBlobs) keyOf(p string) (string, bool) {
	for _, root := range []string{b.BlobDir(), b.RenditionDir()} {
		rel, err := filepath.Rel(root, p)
		if err != nil || strings.HasPrefix(rel, "..") {
			continue
		}
		parts := strings.SplitN(filepath.ToSlash(rel), "/", 3)
		if len(parts) != 3 || len(parts[2]) < 4 {
			return "", false
		}
		key := parts[2]
		if want, err := b.path(key); err != nil || want != p {
			return "", false
		}
		return key, true
	}
	return "", false
}

// Check makes sure both folders exist and can be written.
func (b *LocalBlobs) Check(context.Context) error {
	for _, d := range []string{b.BlobDir(), b.RenditionDir()} {
		if st, err := os.Stat(d); err != nil || !st.IsDir() {
			return fmt.Errorf("the blob folder is missing (%s)", d)
		}
		f, err := os.CreateTemp(d, ".check-*")
		if err != nil {
			return fmt.Errorf("the blob folder cannot be written (%s)", d)
		}
		f.Close()
		os.Remove(f.Name())
	}
	return nil
}
