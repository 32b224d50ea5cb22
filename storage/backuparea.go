package storage

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/minio/minio-go/v7"
)

// backupArea is where a backup is written and read back: a directory or a
// bucket prefix. Files are named by their slash-separated path inside the
// backup (gallerist.db, blobs/ab/cd/<sha>, manifest.json). A backup is
// complete only once its manifest is written, which happens last.
type backupArea interface {
	String() string
	// create prepares an empty area for a new backup, or refuses one that
	// holds anything; cleanup removes what was written into it.
	create(ctx context.Context) (cleanup func(), err error)
	// localDB is where the database snapshot may be written directly
	// (a directory backup), or "" (a bucket: it is staged and uploaded).
	localDB() string
	// write stores r at rel, hashing it; the result must hash to want if
	// want is set (nothing is left at rel otherwise).
	write(ctx context.Context, rel string, r io.Reader, size int64, want string, buf []byte) copyResult
	// open reads rel; a missing file is fs.ErrNotExist.
	open(ctx context.Context, rel string) (io.ReadCloser, error)
	// seal makes what was written durable, then writes the manifest.
	seal(ctx context.Context, manifest []byte) error
}

// openBackupArea names the area of a --to or --from value (flag): an s3://
// URL (signed in with accessKey and secretKey; only read for --from) or a
// directory.
func openBackupArea(where, flag, accessKey, secretKey string) (backupArea, error) {
	if !IsS3URL(where) {
		return &dirArea{dir: where, dirs: &sync.Map{}}, nil
	}
	cfg, err := ParseS3URL(where)
	if err != nil {
		return nil, err
	}
	if cfg.Prefix == "" {
		return nil, errors.New("a backup in a bucket needs a prefix of its own, as in s3://BUCKET/PREFIX")
	}
	cfg.AccessKey, cfg.SecretKey = accessKey, secretKey
	cfg.Setting, cfg.ReadOnly = flag, flag == "--from"
	s, err := NewS3Blobs(cfg)
	if err != nil {
		return nil, err
	}
	return &bucketArea{s: s}, nil
}

// dirArea is a backup in a local directory.
type dirArea struct {
	dir  string
	dirs *sync.Map // folders made so far
}

func (d *dirArea) String() string  { return d.dir }
func (d *dirArea) localDB() string { return filepath.Join(d.dir, DBFileName) }
func (d *dirArea) path(rel string) string {
	return filepath.Join(d.dir, filepath.FromSlash(rel))
}

func (d *dirArea) create(context.Context) (func(), error) { return makeEmptyDir(d.dir, "--to") }

func (d *dirArea) write(_ context.Context, rel string, r io.Reader, _ int64, want string, buf []byte) copyResult {
	return copyVerifiedFrom(r, d.path(rel), want, buf, d.dirs)
}

func (d *dirArea) open(_ context.Context, rel string) (io.ReadCloser, error) {
	return os.Open(d.path(rel))
}

func (d *dirArea) seal(_ context.Context, manifest []byte) error {
	if err := syncTree(d.dir); err != nil {
		return err
	}
	return writeManifest(d.dir, manifest)
}

// bucketArea is a backup under a bucket prefix: the object PREFIX/rel for
// each file. Objects become visible whole (a PUT or a completed multipart
// upload), so the manifest, put last, marks the backup complete.
type bucketArea struct{ s *S3Blobs }

func (b *bucketArea) String() string  { return b.s.String() }
func (b *bucketArea) localDB() string { return "" }
func (b *bucketArea) name(rel string) string {
	return b.s.cfg.Prefix + rel
}

func (b *bucketArea) create(ctx context.Context) (func(), error) {
	lctx, cancel := context.WithCancel(ctx)
	defer cancel()
	objs := b.s.core.Client.ListObjects(lctx, b.s.cfg.Bucket, minio.ListObjectsOptions{Prefix: b.s.cfg.Prefix, Recursive: true, MaxKeys: 1})
	if obj, ok := <-objs; ok {
		if obj.Err != nil {
			return nil, b.s.explain("list the backup prefix", obj.Err)
		}
		return nil, fmt.Errorf("--to %s is not empty (it holds %s); give a new prefix (nothing was changed)", b, obj.Key)
	}
	return func() { b.removeAll(context.WithoutCancel(ctx)) }, nil
}

// probe lists the prefix of a backup to be read, so that a missing bucket,
// refused credentials or an empty prefix are said as such (rather than as
// a missing manifest).
func (b *bucketArea) probe(ctx context.Context) error {
	lctx, cancel := context.WithCancel(ctx)
	defer cancel()
	objs := b.s.core.Client.ListObjects(lctx, b.s.cfg.Bucket, minio.ListObjectsOptions{Prefix: b.s.cfg.Prefix, Recursive: true, MaxKeys: 1})
	obj, ok := <-objs
	if ok && obj.Err != nil {
		return b.s.explain("list the backup", obj.Err)
	}
	if !ok {
		return fmt.Errorf("--from %s: nothing is stored under that prefix: no backup there (check the bucket and prefix)", b)
	}
	return nil
}

// removeAll deletes what a failed backup wrote under the prefix.
func (b *bucketArea) removeAll(ctx context.Context) {
	objs := b.s.core.Client.ListObjects(ctx, b.s.cfg.Bucket, minio.ListObjectsOptions{Prefix: b.s.cfg.Prefix, Recursive: true})
	for r := range b.s.core.Client.RemoveObjects(ctx, b.s.cfg.Bucket, objs, minio.RemoveObjectsOptions{}) {
		_ = r // best effort: without a manifest the rest is never taken for a backup
	}
}

func (b *bucketArea) write(ctx context.Context, rel string, r io.Reader, size int64, want string, _ []byte) copyResult {
	h := sha256.New()
	info, err := b.s.core.Client.PutObject(ctx, b.s.cfg.Bucket, b.name(rel), io.TeeReader(r, h), size,
		minio.PutObjectOptions{ContentType: "application/octet-stream"})
	if err != nil {
		if isNotFound(err) {
			err = errors.Join(fs.ErrNotExist, err)
		}
		return copyResult{err: b.s.explain("put "+rel, err)}
	}
	sum := hex.EncodeToString(h.Sum(nil))
	if want != "" && sum != want {
		b.s.core.RemoveObject(context.WithoutCancel(ctx), b.s.cfg.Bucket, b.name(rel), minio.RemoveObjectOptions{})
		return copyResult{err: fmt.Errorf("%w: it hashes to %s", errHashMismatch, sum)}
	}
	return copyResult{size: info.Size, sum: sum}
}

func (b *bucketArea) open(ctx context.Context, rel string) (io.ReadCloser, error) {
	obj, err := b.s.core.Client.GetObject(ctx, b.s.cfg.Bucket, b.name(rel), minio.GetObjectOptions{})
	if err == nil {
		_, err = obj.Stat()
	}
	if err != nil {
		if obj != nil {
			obj.Close()
		}
		if isNotFound(err) {
			return nil, fmt.Errorf("%s: %w", rel, fs.ErrNotExist)
		}
		return nil, b.s.explain("get "+rel, err)
	}
	return obj, nil
}

func (b *bucketArea) seal(ctx context.Context, manifest []byte) error {
	r := b.write(ctx, ManifestName, strings.NewReader(string(manifest)), int64(len(manifest)), "", nil)
	return r.err
}

// readArea reads the whole of a small file of an area (the manifest).
func readArea(ctx context.Context, a backupArea, rel string) ([]byte, error) {
	r, err := a.open(ctx, rel)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	return io.ReadAll(io.LimitReader(r, 256<<20))
}

// uploadFile writes the local file p into the area as its base name.
func uploadFile(ctx context.Context, a backupArea, p, want string) error {
	f, err := os.Open(p)
	if err != nil {
		return err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return err
	}
	return a.write(ctx, filepath.Base(p), f, st.Size(), want, make([]byte, 256<<10)).err
}

// copyFromArea copies rel of an area to the new local file dst (see
// copyVerifiedFrom).
func copyFromArea(ctx context.Context, a backupArea, rel, dst, want string, buf []byte, dirs *sync.Map) copyResult {
	in, err := a.open(ctx, rel)
	if err != nil {
		return copyResult{err: err}
	}
	defer in.Close()
	return copyVerifiedFrom(in, dst, want, buf, dirs)
}
