package storage

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
)

// copyBlob copies key from src to dst through the BlobStore interface and
// returns its size and SHA-256; size is what the caller expects (-1: what
// src has). An original is put with its key as the hash, so dst refuses
// (ErrBlobCorrupt) bytes that are not it; a rendition's key does not name
// its bytes, so it is read into a spool file while hashed, synced, and put
// from there with that hash (a local dst on the spool's file system takes
// the file by renaming it). Nothing of a failed copy is left in dst.
func copyBlob(ctx context.Context, src, dst BlobStore, spool *Staging, key string, size int64, buf []byte) copyResult {
	in, err := src.Open(ctx, key)
	if err != nil {
		return copyResult{err: err}
	}
	defer in.Close()
	if size < 0 {
		size = in.Size()
	}
	if in.Size() != size {
		return copyResult{err: fmt.Errorf("%w: the source has %d bytes, %d expected", ErrBlobCorrupt, in.Size(), size)}
	}
	if IsOriginalKey(key) {
		if _, err := dst.Put(ctx, key, in, size, key); err != nil {
			return copyResult{err: err}
		}
		return copyResult{size: size, sum: key}
	}
	f, err := spool.CreateTemp()
	if err != nil {
		return copyResult{err: err}
	}
	defer func() { f.Close(); os.Remove(f.Name()) }()
	h := sha256.New()
	n, err := io.CopyBuffer(io.MultiWriter(f, h), io.LimitReader(in, size+1), buf)
	if err == nil && n != size {
		err = fmt.Errorf("%w: the source gave %d bytes, %d expected", ErrBlobCorrupt, n, size)
	}
	if err == nil {
		err = errors.Join(f.Sync(), f.Close())
	}
	if err != nil {
		return copyResult{err: err}
	}
	sum := hex.EncodeToString(h.Sum(nil))
	if _, err := putStaged(ctx, dst, key, f.Name(), n, sum); err != nil {
		return copyResult{err: err}
	}
	return copyResult{size: n, sum: sum}
}
