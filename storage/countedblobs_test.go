package storage

import (
	"bytes"
	"context"
	"os"
	"testing"
)

// TestCountErrors: failures of the wrapped store are counted by operation;
// a missing blob is an answer, not a failure; staged files still move by
// rename through the wrapper.
func TestCountErrors(t *testing.T) {
	dir := t.TempDir()
	local, staging := openLocalBlobs(t, dir)
	store := CountErrors(local)
	ctx := context.Background()
	if _, ok := store.(fileMover); !ok {
		t.Fatal("the wrapped local store lost its rename")
	}
	before := Stats.BlobErrors(BlobPut)
	body := []byte("counted")
	if _, err := store.Put(ctx, shaOf(body), bytes.NewReader(body[:3]), int64(len(body)), shaOf(body)); err == nil {
		t.Fatal("a short put succeeded")
	}
	if got := Stats.BlobErrors(BlobPut) - before; got != 1 {
		t.Fatalf("%d put errors counted, want 1", got)
	}
	getBefore := Stats.BlobErrors(BlobGet)
	if _, err := store.Open(ctx, shaOf(body)); err == nil {
		t.Fatal("opened a missing blob")
	}
	if got := Stats.BlobErrors(BlobGet) - getBefore; got != 0 {
		t.Fatalf("a missing blob counted as %d errors", got)
	}
	f, _ := staging.CreateTemp()
	f.Write(body)
	f.Close()
	if created, err := putStaged(ctx, store, shaOf(body), f.Name(), int64(len(body)), shaOf(body)); err != nil || !created {
		t.Fatalf("put staged: %v %v", created, err)
	}
	if _, err := os.Stat(f.Name()); !os.IsNotExist(err) {
		t.Fatal("the staged file was copied, not moved")
	}
}
