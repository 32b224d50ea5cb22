package storage

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"gallerist/data"
)

// catalogEnv opens a real database and blob store in a temporary folder and
// returns the services with a context for one organization.
func catalogEnv(t *testing.T, limits data.Limits) (context.Context, *MediaService, *CatalogService) {
	t.Helper()
	dir := t.TempDir()
	ctx := context.Background()
	db, err := OpenDB(ctx, filepath.Join(dir, "gallerist.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	blobs, err := NewLocalBlobs(dir)
	if err != nil {
		t.Fatal(err)
	}
	org, err := NewOrgService(db).EnsureDefaultOrg(ctx)
	if err != nil {
		t.Fatal(err)
	}
	media := NewMediaService(db, blobs, limits)
	return data.WithPrincipal(ctx, data.Principal{OrgID: org.ID, Actor: "test"}), media, NewCatalogService(db, media, limits)
}

func createImages(t *testing.T, ctx context.Context, ms *MediaService, n int) []int64 {
	t.Helper()
	goroot, err := exec.Command("go", "env", "GOROOT").Output()
	if err != nil {
		t.Fatal(err)
	}
	jpg, err := os.ReadFile(filepath.Join(strings.TrimSpace(string(goroot)), "src", "image", "testdata", "video-001.jpeg"))
	if err != nil {
		t.Fatal(err)
	}
	var ids []int64
	for i := 0; i < n; i++ {
		st, err := ms.Stage(ctx, bytes.NewReader(jpg), fmt.Sprintf("p%d.jpg", i))
		if err != nil {
			t.Fatal(err)
		}
		m, err := ms.CreateMedia(ctx, data.MediaCreate{Files: []*data.Staged{st}})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, m[0].ID)
	}
	return ids
}

func galleryMedia(t *testing.T, ctx context.Context, cs *CatalogService, pid int64) ([]int64, int64) {
	t.Helper()
	g, err := cs.FindGallery(ctx, pid, data.GalleryFilter{})
	if err != nil {
		t.Fatal(err)
	}
	var ids []int64
	for i, gi := range g.Images {
		if gi.Position != i+1 || gi.Media == nil || gi.Media.ID != gi.MediaID || gi.GalleryVersion != g.Version {
			t.Fatalf("image %d: %+v", i, gi)
		}
		ids = append(ids, gi.MediaID)
	}
	return ids, g.Version
}

func TestCatalogService(t *testing.T) {
	limits := data.DefaultLimits()
	limits.MaxGalleryImages = 5
	ctx, ms, cs := catalogEnv(t, limits)
	m := createImages(t, ctx, ms, 6)
	p, err := cs.CreateProduct(ctx, data.ProductCreate{Title: "Mug"})
	if err != nil {
		t.Fatal(err)
	}

	t.Run("OK attach several at a position", func(t *testing.T) {
		if _, err := cs.AttachMedia(ctx, p.ID, data.GalleryAttach{MediaIDs: []int64{m[0], m[1]}}); err != nil {
			t.Fatal(err)
		}
		alt := "Front"
		imgs, err := cs.AttachMedia(ctx, p.ID, data.GalleryAttach{MediaIDs: []int64{m[2], m[3]}, Position: 2, Alt: &alt})
		if err != nil || len(imgs) != 2 || imgs[0].Position != 2 || imgs[1].Position != 3 || imgs[0].Media.Alt != "Front" {
			t.Fatalf("%+v %v", imgs, err)
		}
		if got, _ := galleryMedia(t, ctx, cs, p.ID); !slices.Equal(got, []int64{m[0], m[2], m[3], m[1]}) {
			t.Fatalf("order %v", got)
		}
	})
	t.Run("OK products list counts", func(t *testing.T) {
		ps, total, err := cs.FindProducts(ctx, data.ProductFilter{})
		if err != nil || total != 1 || ps[0].ImageCount != 4 || ps[0].AltCount != 2 || ps[0].Featured == nil || ps[0].Featured.ID != m[0] {
			t.Fatalf("%+v %d %v", ps[0], total, err)
		}
	})
	t.Run("ErrConflict", func(t *testing.T) {
		_, err := cs.AttachMedia(ctx, p.ID, data.GalleryAttach{MediaIDs: []int64{m[4], m[0]}})
		if data.ErrorCode(err) != data.ECConflict {
			t.Fatalf("%v", err)
		}
		if got, _ := galleryMedia(t, ctx, cs, p.ID); len(got) != 4 {
			t.Fatalf("all or nothing: %v", got)
		}
	})
	t.Run("ErrGalleryFull", func(t *testing.T) {
		_, err := cs.AttachMedia(ctx, p.ID, data.GalleryAttach{MediaIDs: []int64{m[4], m[5]}})
		if data.ErrorCode(err) != data.ECGalleryFull {
			t.Fatalf("%v", err)
		}
	})
	t.Run("ErrNamedTwice", func(t *testing.T) {
		_, err := cs.AttachMedia(ctx, p.ID, data.GalleryAttach{MediaIDs: []int64{m[4], m[4]}})
		if data.ErrorCode(err) != data.ECInvalidField {
			t.Fatalf("%v", err)
		}
	})
	t.Run("OK reorder and stale version", func(t *testing.T) {
		g, _ := cs.FindGallery(ctx, p.ID, data.GalleryFilter{})
		ids := []int64{g.Images[3].ID, g.Images[2].ID, g.Images[1].ID, g.Images[0].ID}
		v, n, err := cs.ReorderGallery(ctx, p.ID, ids, g.Version)
		if err != nil || n != 4 || v != g.Version+1 {
			t.Fatalf("%d %d %v", v, n, err)
		}
		if _, _, err := cs.ReorderGallery(ctx, p.ID, ids, g.Version); data.ErrorCode(err) != data.ECPreconditionFailed {
			t.Fatalf("stale: %v", err)
		}
		if _, _, err := cs.ReorderGallery(ctx, p.ID, ids[:3], 0); data.ErrorCode(err) != data.ECInvalidField {
			t.Fatalf("not a permutation: %v", err)
		}
		if got, version := galleryMedia(t, ctx, cs, p.ID); !slices.Equal(got, []int64{m[1], m[3], m[2], m[0]}) || version != v {
			t.Fatalf("after reorder: %v v%d", got, version)
		}
	})
	t.Run("OK move and detach", func(t *testing.T) {
		g, _ := cs.FindGallery(ctx, p.ID, data.GalleryFilter{})
		to := 4
		gi, err := cs.UpdateGalleryImage(ctx, p.ID, g.Images[0].ID, data.GalleryImageUpdate{Position: &to})
		if err != nil || gi.Position != 4 {
			t.Fatalf("%+v %v", gi, err)
		}
		if got, _ := galleryMedia(t, ctx, cs, p.ID); !slices.Equal(got, []int64{m[3], m[2], m[0], m[1]}) {
			t.Fatalf("after move: %v", got)
		}
		v, err := cs.DetachImage(ctx, p.ID, g.Images[2].ID, 0) // m[2]
		if err != nil {
			t.Fatal(err)
		}
		if got, version := galleryMedia(t, ctx, cs, p.ID); !slices.Equal(got, []int64{m[3], m[0], m[1]}) || version != v {
			t.Fatalf("after detach: %v", got)
		}
	})
	t.Run("ErrNoPrincipal", func(t *testing.T) {
		if _, _, err := cs.FindProducts(context.Background(), data.ProductFilter{}); err == nil {
			t.Fatal("a context without a principal listed products")
		}
	})
}
