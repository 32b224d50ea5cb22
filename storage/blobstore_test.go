package storage

import (
	"bytes"
	"context"
	"errors"
	"io"
	"slices"
	"strings"
	"testing"
	"time"
)

// blobStoreSuite checks what every BlobStore promises. The local store
// runs it here; the S3 store runs it against a real S3-compatible server.
func blobStoreSuite(t *testing.T, open func(t *testing.T) BlobStore) {
	ctx := context.Background()
	content := bytes.Repeat([]byte("gallerist blob "), 5000) // 75 KB
	sha := shaOf(content)
	put := func(t *testing.T, s BlobStore, key string, b []byte) bool {
		t.Helper()
		created, err := s.Put(ctx, key, bytes.NewReader(b), int64(len(b)), shaOf(b))
		if err != nil {
			t.Fatalf("put %s: %v", key, err)
		}
		return created
	}
	readAll := func(t *testing.T, s BlobStore, key string) []byte {
		t.Helper()
		b, err := s.Open(ctx, key)
		if err != nil {
			t.Fatalf("open %s: %v", key, err)
		}
		defer b.Close()
		got, err := io.ReadAll(b)
		if err != nil {
			t.Fatalf("read %s: %v", key, err)
		}
		return got
	}

	t.Run("PutThenOpen", func(t *testing.T) {
		s := open(t)
		before := time.Now().Add(-time.Minute)
		if !put(t, s, sha, content) {
			t.Fatal("a new key was not reported created")
		}
		if got := readAll(t, s, sha); !bytes.Equal(got, content) {
			t.Fatalf("read back %d bytes, want the %d put", len(got), len(content))
		}
		b, err := s.Open(ctx, sha)
		if err != nil {
			t.Fatal(err)
		}
		defer b.Close()
		if b.Size() != int64(len(content)) || b.ModTime().Before(before) || b.ModTime().After(time.Now().Add(time.Minute)) {
			t.Fatalf("size %d, modified %v", b.Size(), b.ModTime())
		}
		info, err := s.Stat(ctx, sha)
		if err != nil || info.Key != sha || info.Size != int64(len(content)) {
			t.Fatalf("stat: %+v, %v", info, err)
		}
	})
	t.Run("PutExistingKeepsIt", func(t *testing.T) {
		s := open(t)
		put(t, s, sha, content)
		created, err := s.Put(ctx, sha, strings.NewReader("never read"), 10, shaOf([]byte("never read")))
		if err != nil || created {
			t.Fatalf("second put: created %v, %v", created, err)
		}
		if got := readAll(t, s, sha); !bytes.Equal(got, content) {
			t.Fatal("a second put changed the bytes")
		}
	})
	t.Run("PutRefusesBytesThatDoNotMatch", func(t *testing.T) {
		s := open(t)
		for name, c := range map[string]struct {
			body []byte
			size int64
		}{
			"wrong hash": {append(slices.Clone(content[:len(content)-1]), 'X'), int64(len(content))},
			"short":      {content[:1000], int64(len(content))},
			"long":       {append(slices.Clone(content), 'X'), int64(len(content))},
		} {
			_, err := s.Put(ctx, sha, bytes.NewReader(c.body), c.size, sha)
			if !errors.Is(err, ErrBlobCorrupt) {
				t.Fatalf("%s: put gave %v, want ErrBlobCorrupt", name, err)
			}
			if _, err := s.Stat(ctx, sha); !errors.Is(err, ErrBlobNotFound) {
				t.Fatalf("%s: after a refused put, stat gave %v, want ErrBlobNotFound", name, err)
			}
		}
	})
	t.Run("RangedRead", func(t *testing.T) {
		s := open(t)
		put(t, s, sha, content)
		b, err := s.Open(ctx, sha)
		if err != nil {
			t.Fatal(err)
		}
		defer b.Close()
		for _, r := range []struct{ off, n int64 }{{0, 10}, {70000, 500}, {int64(len(content)) - 7, 7}, {12345, 1}} {
			if _, err := b.Seek(r.off, io.SeekStart); err != nil {
				t.Fatal(err)
			}
			got := make([]byte, r.n)
			if _, err := io.ReadFull(b, got); err != nil {
				t.Fatalf("range %d+%d: %v", r.off, r.n, err)
			}
			if !bytes.Equal(got, content[r.off:r.off+r.n]) {
				t.Fatalf("range %d+%d: wrong bytes", r.off, r.n)
			}
		}
		if end, err := b.Seek(0, io.SeekEnd); err != nil || end != int64(len(content)) {
			t.Fatalf("seek end: %d, %v", end, err)
		}
		if n, err := b.Read(make([]byte, 10)); n != 0 || err != io.EOF {
			t.Fatalf("read at end: %d, %v", n, err)
		}
	})
	t.Run("Missing", func(t *testing.T) {
		s := open(t)
		if _, err := s.Open(ctx, sha); !errors.Is(err, ErrBlobNotFound) {
			t.Fatalf("open: %v", err)
		}
		if _, err := s.Stat(ctx, sha); !errors.Is(err, ErrBlobNotFound) {
			t.Fatalf("stat: %v", err)
		}
		if err := s.Delete(ctx, sha); err != nil {
			t.Fatalf("deleting a missing key: %v", err)
		}
	})
	t.Run("MalformedKeys", func(t *testing.T) {
		s := open(t)
		for _, key := range []string{"", "../../etc/passwd", sha + "/../x", strings.ToUpper(sha), sha[:63]} {
			if _, err := s.Put(ctx, key, bytes.NewReader(content), int64(len(content)), sha); err == nil {
				t.Fatalf("put %q was accepted", key)
			}
			if _, err := s.Open(ctx, key); err == nil || errors.Is(err, ErrBlobNotFound) {
				t.Fatalf("open %q: %v, want a malformed-key error", key, err)
			}
		}
	})
	t.Run("ListAndDelete", func(t *testing.T) {
		s := open(t)
		other := shaOf([]byte("other"))
		put(t, s, sha, content)
		put(t, s, other, []byte("other"))
		for _, name := range []string{"320.jpg", "640.webp"} {
			put(t, s, sha+"/"+name, []byte(name))
		}
		put(t, s, other+"/320.jpg", []byte("other 320"))
		list := func(prefix string) []string {
			var keys []string
			if err := s.List(ctx, prefix, func(b BlobInfo) error {
				if b.ModTime.IsZero() || b.Size <= 0 {
					t.Errorf("listed %s without size or time: %+v", b.Key, b)
				}
				keys = append(keys, b.Key)
				return nil
			}); err != nil {
				t.Fatalf("list %q: %v", prefix, err)
			}
			slices.Sort(keys)
			return keys
		}
		all := []string{sha, sha + "/320.jpg", sha + "/640.webp", other, other + "/320.jpg"}
		slices.Sort(all)
		if got := list(""); !slices.Equal(got, all) {
			t.Fatalf("list all: %v, want %v", got, all)
		}
		if got, want := list(sha+"/"), []string{sha + "/320.jpg", sha + "/640.webp"}; !slices.Equal(got, want) {
			t.Fatalf("list renditions: %v, want %v", got, want)
		}
		if err := deleteRenditions(ctx, s, sha); err != nil {
			t.Fatal(err)
		}
		if got := list(sha + "/"); len(got) != 0 {
			t.Fatalf("renditions left: %v", got)
		}
		if err := s.Delete(ctx, other); err != nil {
			t.Fatal(err)
		}
		if got, want := list(""), []string{sha, other + "/320.jpg"}; !slices.Equal(got, want) {
			t.Fatalf("after deletes: %v, want %v", got, want)
		}
		stop := errors.New("stop")
		if err := s.List(ctx, "", func(BlobInfo) error { return stop }); !errors.Is(err, stop) {
			t.Fatalf("an error from fn gave %v", err)
		}
	})
	t.Run("Check", func(t *testing.T) {
		if err := open(t).Check(ctx); err != nil {
			t.Fatal(err)
		}
	})
}

func TestLocalBlobStore(t *testing.T) {
	blobStoreSuite(t, func(t *testing.T) BlobStore {
		blobs, _ := openLocalBlobs(t, t.TempDir())
		return blobs
	})
	t.Run("RefusedPutLeavesNoTempFile", func(t *testing.T) {
		blobs, staging := openLocalBlobs(t, t.TempDir())
		body := []byte("some bytes")
		if _, err := blobs.Put(context.Background(), shaOf(body), bytes.NewReader(body[:4]), int64(len(body)), shaOf(body)); !errors.Is(err, ErrBlobCorrupt) {
			t.Fatalf("put: %v", err)
		}
		if left, _ := listDir(staging.Dir()); len(left) != 0 {
			t.Fatalf("left in staging: %v", left)
		}
	})
}
