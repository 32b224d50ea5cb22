package storage

import (
	"context"
	"os"
	"strconv"
	"sync"
	"testing"

	"gallerist/data"
)

// openHook is a real store that runs fn before each Open, to change the
// instance while Verify reads it.
type openHook struct {
	BlobStore
	fn func(key string)
}

func (h openHook) Open(ctx context.Context, key string) (data.Blob, error) {
	h.fn(key)
	return h.BlobStore.Open(ctx, key)
}

// TestVerifyConcurrentPurge: Verify reads files through the store it is
// given. A trashed item purged while Verify runs (after its snapshot, just
// before its blob is read) is not damage; a blob removed behind the
// store's back while its row stays is, named with its place in the store.
func TestVerifyConcurrentPurge(t *testing.T) {
	e := newDataDirEnv(t)
	a := e.createMedia(t, e.ctx, "a.jpg", jpegA)
	b := e.createMedia(t, e.ctx, "b.jpg", jpegB)
	c := e.createMedia(t, e.ctx, "c.png", pngA)
	e.fakeRendition(t, b.SHA256, 320)
	e.trash(t, e.ctx, b.ID, true)
	if err := os.Remove(e.blobPath(c.SHA256)); err != nil {
		t.Fatal(err)
	}
	var once sync.Once
	var purgeErr error
	store := openHook{BlobStore: e.blobs, fn: func(key string) {
		if key == b.SHA256 {
			once.Do(func() { purgeErr = e.media.PurgeMedia(e.ctx, b.ID) })
		}
	}}
	rep, err := Verify(e.ctx, e.dir, VerifyOptions{Blobs: store})
	if err != nil || purgeErr != nil {
		t.Fatalf("verify: %v; purge: %v", err, purgeErr)
	}
	if exists(t, e.blobPath(b.SHA256)) {
		t.Fatal("the purge during verify left b's blob")
	}
	want := "media " + strconv.FormatInt(c.ID, 10) + " (c.png): blob " + c.SHA256 + " is missing (blobs/" + c.SHA256[:2] + "/" + c.SHA256[2:4] + "/" + c.SHA256 + ")"
	if len(rep.Problems) != 1 || rep.Problems[0] != want {
		t.Fatalf("problems %q, want only %q", rep.Problems, want)
	}
	if rep.Media != 3 || rep.Blobs != 1 || rep.BlobBytes != a.Size || len(rep.Warnings) != 0 {
		t.Fatalf("report %+v", rep)
	}
}
