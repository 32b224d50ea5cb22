package storage

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"gallerist/data"
)

// BlobStore keeps content-addressed files. Keys are lowercase hex SHA-256
// digests (optionally followed by a suffix such as "/320.jpg" for renditions).
// Staging happens in local temporary files; Put moves one into the store.
type BlobStore interface {
	// CreateTemp creates an empty temporary file for staging.
	CreateTemp() (*os.File, error)
	// Put moves the temporary file at tempPath to key. If key exists already
	// the temporary file is removed and created is false.
	Put(ctx context.Context, key, tempPath string) (created bool, err error)
	Open(ctx context.Context, key string) (data.Blob, error)
	Delete(ctx context.Context, key string) error
	// DeleteRenditions removes every rendition ("<sha>/<name>" keys) of an original.
	DeleteRenditions(ctx context.Context, sha string) error
}

// LocalBlobs is a BlobStore on the local disk: blobs/ab/cd/<key>, tmp/ for staging.
type LocalBlobs struct {
	root string
}

var keyRE = regexp.MustCompile(`^[0-9a-f]{64}(/[0-9a-z]+\.[a-z0-9]+)?$`)

// NewLocalBlobs opens (creating) a local blob store under dir and empties its
// temporary folder of anything a crash left behind: files older than
// OrphanBlobAge, since another process (a server while `gallerist gc` starts)
// may be staging an upload there right now.
func NewLocalBlobs(dir string) (*LocalBlobs, error) {
	b := &LocalBlobs{root: dir}
	for _, d := range []string{b.tmpDir(), filepath.Join(dir, "blobs")} {
		if err := os.MkdirAll(d, 0o750); err != nil {
			return nil, err
		}
	}
	entries, err := os.ReadDir(b.tmpDir())
	if err != nil {
		return nil, err
	}
	stale := time.Now().Add(-OrphanBlobAge)
	for _, e := range entries {
		if info, err := e.Info(); err == nil && info.ModTime().Before(stale) {
			os.Remove(filepath.Join(b.tmpDir(), e.Name()))
		}
	}
	return b, nil
}

// ClearTemp removes every staging file, whatever its age: for the one
// server process of a data dir, at start and after shutdown, when no
// upload of its own can be running.
func (b *LocalBlobs) ClearTemp() error {
	entries, err := os.ReadDir(b.tmpDir())
	if err != nil {
		return err
	}
	var errs []error
	for _, e := range entries {
		if err := os.Remove(filepath.Join(b.tmpDir(), e.Name())); err != nil && !errors.Is(err, fs.ErrNotExist) {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// TempDir is where staging files live (tests check it is left empty).
func (b *LocalBlobs) TempDir() string { return b.tmpDir() }

// BlobDir is where blobs live.
func (b *LocalBlobs) BlobDir() string { return filepath.Join(b.root, "blobs") }

func (b *LocalBlobs) tmpDir() string { return filepath.Join(b.root, "tmp") }

func (b *LocalBlobs) path(key string) (string, error) {
	if !keyRE.MatchString(key) {
		return "", fmt.Errorf("blob key %q is malformed", key)
	}
	if strings.Contains(key, "/") {
		// Renditions live in their own tree: renditions/ab/cd/<sha>/<w>.<ext>.
		return filepath.Join(b.root, "renditions", key[0:2], key[2:4], filepath.FromSlash(key)), nil
	}
	return filepath.Join(b.root, "blobs", key[0:2], key[2:4], filepath.FromSlash(key)), nil
}

// RenditionDir is where renditions live.
func (b *LocalBlobs) RenditionDir() string { return filepath.Join(b.root, "renditions") }

// DeleteRenditions removes an original's rendition folder.
func (b *LocalBlobs) DeleteRenditions(_ context.Context, sha string) error {
	if !keyRE.MatchString(sha) || strings.Contains(sha, "/") {
		return fmt.Errorf("blob key %q is malformed", sha)
	}
	return os.RemoveAll(filepath.Join(b.root, "renditions", sha[0:2], sha[2:4], sha))
}

// CreateTemp creates a staging file.
func (b *LocalBlobs) CreateTemp() (*os.File, error) {
	return os.CreateTemp(b.tmpDir(), "upload-*")
}

// Put renames the (already fsynced) temporary file into place and syncs the directory.
func (b *LocalBlobs) Put(_ context.Context, key, tempPath string) (bool, error) {
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

type localBlob struct {
	*os.File
	size int64
	mod  time.Time
}

func (l *localBlob) Size() int64        { return l.size }
func (l *localBlob) ModTime() time.Time { return l.mod }

// ErrBlobNotFound is returned by Open for a missing key.
var ErrBlobNotFound = errors.New("blob not found")

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

// Delete removes a blob; a missing one is not an error.
func (b *LocalBlobs) Delete(_ context.Context, key string) error {
	p, err := b.path(key)
	if err != nil {
		return err
	}
	if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	return nil
}
