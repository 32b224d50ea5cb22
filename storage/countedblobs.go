package storage

import (
	"context"
	"fmt"
	"io"

	"gallerist/data"
)

// CountErrors wraps a blob store so that every failed operation is counted
// in Stats (the blob_store_errors metric), whatever the store.
func CountErrors(b BlobStore) BlobStore {
	if _, ok := b.(fileMover); ok {
		return countedMover{countedBlobs{b}}
	}
	return countedBlobs{b}
}

type countedBlobs struct{ BlobStore }

// String names the wrapped store (for logs).
func (c countedBlobs) String() string { return fmt.Sprint(c.BlobStore) }

// countedMover is countedBlobs of a store that takes staged files by rename.
type countedMover struct{ countedBlobs }

func (c countedBlobs) Put(ctx context.Context, key string, r io.Reader, size int64, sum string) (bool, error) {
	created, err := c.BlobStore.Put(ctx, key, r, size, sum)
	return created, Stats.BlobError(BlobPut, err)
}

// moveFile keeps the local store's rename through the wrapper.
func (c countedMover) moveFile(key, path string) (bool, error) {
	created, err := c.BlobStore.(fileMover).moveFile(key, path)
	return created, Stats.BlobError(BlobPut, err)
}

func (c countedBlobs) Open(ctx context.Context, key string) (data.Blob, error) {
	b, err := c.BlobStore.Open(ctx, key)
	return b, Stats.BlobError(BlobGet, err)
}

func (c countedBlobs) Stat(ctx context.Context, key string) (BlobInfo, error) {
	info, err := c.BlobStore.Stat(ctx, key)
	return info, Stats.BlobError(BlobStat, err)
}

func (c countedBlobs) Delete(ctx context.Context, key string) error {
	return Stats.BlobError(BlobDelete, c.BlobStore.Delete(ctx, key))
}

func (c countedBlobs) List(ctx context.Context, prefix string, fn func(BlobInfo) error) error {
	return Stats.BlobError(BlobList, c.BlobStore.List(ctx, prefix, fn))
}
