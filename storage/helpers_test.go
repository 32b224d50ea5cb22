package storage

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"gallerist/data"

	"golang.org/x/crypto/bcrypt"
)

// Every helper here takes the caller's t and calls t.Helper(); none keeps a t
// for later. A helper that kept the parent test's t would, when it failed
// inside a subtest, stop the parent (and so every later subtest) instead of
// failing the one subtest that went wrong.

// testClock is a clock the test moves; the database reads it.
type testClock struct{ ns atomic.Int64 }

func (c *testClock) Now() time.Time          { return time.Unix(0, c.ns.Load()).UTC() }
func (c *testClock) Set(t time.Time)         { c.ns.Store(t.UnixNano()) }
func (c *testClock) Advance(d time.Duration) { c.ns.Add(int64(d)) }

// testEnv is one fresh database with a blob store and every service over it.
type testEnv struct {
	dir     string
	db      *DB
	blobs   *LocalBlobs
	staging *Staging
	clock   *testClock
	orgs    *OrgService
	media   *MediaService
	catalog *CatalogService
	users   *UserService
	auth    *AuthService
	// org is the default organization; ctx acts in it.
	org *data.Org
	ctx context.Context
}

// newTestDB opens a new SQLite file in a temporary folder through OpenDB, the
// same function the server uses (so every migration runs), and closes it
// when the test ends.
func newTestDB(t testing.TB) *DB {
	t.Helper()
	db, err := OpenDB(context.Background(), filepath.Join(t.TempDir(), "gallerist.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := db.Close(); err != nil {
			t.Errorf("close database: %v", err)
		}
	})
	return db
}

// newTestEnv opens a fresh database and blob store and returns the services
// over them, with a clock the test moves (starting now, to the millisecond,
// so blob files written by the test count as young) and a context acting in
// the default organization.
func newTestEnv(t testing.TB) *testEnv {
	t.Helper()
	return newTestEnvLimits(t, data.DefaultLimits())
}

// newTestEnvLimits is newTestEnv with other upload and gallery limits.
func newTestEnvLimits(t testing.TB, limits data.Limits) *testEnv {
	t.Helper()
	db := newTestDB(t)
	clock := &testClock{}
	clock.Set(time.Now().Truncate(time.Millisecond))
	db.Now = clock.Now
	dir := t.TempDir()
	blobs, staging := openLocalBlobs(t, dir)
	e := &testEnv{dir: dir, db: db, blobs: blobs, staging: staging, clock: clock, orgs: NewOrgService(db), users: NewUserService(db), auth: NewAuthService(db)}
	e.users.Cost = bcrypt.MinCost
	e.media = NewMediaService(db, blobs, staging, limits)
	e.catalog = NewCatalogService(db, e.media, limits)
	org, err := e.orgs.EnsureDefaultOrg(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	e.org, e.ctx = org, actingIn(org.ID)
	return e
}

// openLocalBlobs opens the local blob store of a data dir the way the
// server does: staging in tmp/, blobs and renditions beside it.
func openLocalBlobs(t testing.TB, dir string) (*LocalBlobs, *Staging) {
	t.Helper()
	staging, err := NewStaging(filepath.Join(dir, "tmp"))
	if err != nil {
		t.Fatal(err)
	}
	blobs, err := NewLocalBlobs(dir, staging)
	if err != nil {
		t.Fatal(err)
	}
	return blobs, staging
}

// actingIn is a context whose principal is an editor of the organization.
func actingIn(orgID int64) context.Context {
	return data.WithPrincipal(context.Background(), data.Principal{OrgID: orgID, Actor: "editor@example.com", Role: data.RoleEditor, Scopes: data.RoleEditor.Scopes()})
}

// otherOrg creates another organization and returns it with a context acting in it.
func (e *testEnv) otherOrg(t testing.TB, slug string) (*data.Org, context.Context) {
	t.Helper()
	o, err := e.orgs.CreateOrg(context.Background(), slug, "Store "+slug)
	if err != nil {
		t.Fatal(err)
	}
	return o, actingIn(o.ID)
}

var goroot struct {
	once sync.Once
	dir  string
	err  error
}

// imageTestdata reads a real image from Go's own image testdata
// ($GOROOT/src/image/testdata), e.g. "video-001.jpeg".
func imageTestdata(t testing.TB, name string) []byte {
	t.Helper()
	goroot.once.Do(func() {
		out, err := exec.Command("go", "env", "GOROOT").Output()
		goroot.dir, goroot.err = strings.TrimSpace(string(out)), err
	})
	if goroot.err != nil {
		t.Fatalf("go env GOROOT: %v", goroot.err)
	}
	b, err := os.ReadFile(filepath.Join(goroot.dir, "src", "image", "testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// Distinct real images (distinct bytes, so distinct blobs).
const (
	jpegA = "video-001.jpeg"
	jpegB = "video-001.q50.420.jpeg"
	jpegC = "video-001.progressive.jpeg"
	pngA  = "video-001.png"
	pngB  = "video-005.gray.png"
)

func shaOf(b []byte) string { s := sha256.Sum256(b); return hex.EncodeToString(s[:]) }

// stage stages content as an upload named filename.
func (e *testEnv) stage(t testing.TB, ctx context.Context, filename string, content []byte) *data.Staged {
	t.Helper()
	st, err := e.media.Stage(ctx, bytes.NewReader(content), filename)
	if err != nil {
		t.Fatalf("stage %s: %v", filename, err)
	}
	return st
}

// createMedia uploads the Go testdata image named file as filename.
func (e *testEnv) createMedia(t testing.TB, ctx context.Context, filename, file string) *data.Media {
	t.Helper()
	st := e.stage(t, ctx, filename, imageTestdata(t, file))
	ms, err := e.media.CreateMedia(ctx, data.MediaCreate{Files: []*data.Staged{st}})
	if err != nil {
		t.Fatalf("create %s: %v", filename, err)
	}
	if len(ms) != 1 {
		t.Fatalf("create %s: %d items", filename, len(ms))
	}
	return ms[0]
}

func (e *testEnv) createProduct(t testing.TB, ctx context.Context, title string) *data.Product {
	t.Helper()
	p, err := e.catalog.CreateProduct(ctx, data.ProductCreate{Title: title})
	if err != nil {
		t.Fatalf("create product %q: %v", title, err)
	}
	return p
}

// attach appends media items to a product's gallery.
func (e *testEnv) attach(t testing.TB, ctx context.Context, productID int64, mediaIDs ...int64) []*data.GalleryImage {
	t.Helper()
	imgs, err := e.catalog.AttachMedia(ctx, productID, data.GalleryAttach{MediaIDs: mediaIDs})
	if err != nil {
		t.Fatalf("attach %v to product %d: %v", mediaIDs, productID, err)
	}
	return imgs
}

// createVariant adds a variant showing the gallery image imageID (0: none).
func (e *testEnv) createVariant(t testing.TB, ctx context.Context, productID int64, title string, imageID int64) *data.Variant {
	t.Helper()
	v, err := e.catalog.CreateVariant(ctx, productID, data.VariantCreate{Title: title})
	if err != nil {
		t.Fatalf("create variant %q: %v", title, err)
	}
	if imageID != 0 {
		if v, err = e.catalog.SetVariantImage(ctx, productID, v.ID, imageID); err != nil {
			t.Fatalf("set variant image: %v", err)
		}
	}
	return v
}

func (e *testEnv) createCollection(t testing.TB, ctx context.Context, title string, mediaID int64) *data.Collection {
	t.Helper()
	c, err := e.catalog.CreateCollection(ctx, data.CollectionCreate{Title: title, MediaID: mediaID})
	if err != nil {
		t.Fatalf("create collection %q: %v", title, err)
	}
	return c
}

// gallery returns a product's media ids in position order and the gallery
// version, checking positions are 1..n and every image carries its item.
func (e *testEnv) gallery(t testing.TB, ctx context.Context, productID int64) ([]int64, int64) {
	t.Helper()
	g, err := e.catalog.FindGallery(ctx, productID, data.GalleryFilter{})
	if err != nil {
		t.Fatalf("gallery of %d: %v", productID, err)
	}
	ids := []int64{}
	for i, gi := range g.Images {
		if gi.Position != i+1 || gi.Media == nil || gi.Media.ID != gi.MediaID || gi.GalleryVersion != g.Version {
			t.Fatalf("gallery of %d, image %d: %+v", productID, i, gi)
		}
		ids = append(ids, gi.MediaID)
	}
	return ids, g.Version
}

// trash moves an item to the trash (force detaches it everywhere).
func (e *testEnv) trash(t testing.TB, ctx context.Context, id int64, force bool) {
	t.Helper()
	if err := e.media.TrashMedia(ctx, id, force); err != nil {
		t.Fatalf("trash %d: %v", id, err)
	}
}

// ids runs a query of one integer column on the read pool.
func (e *testEnv) ids(t testing.TB, query string, args ...any) []int64 {
	t.Helper()
	rows, err := e.db.read.Query(query, args...)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return ids
}

// count runs a COUNT query.
func (e *testEnv) count(t testing.TB, query string, args ...any) int {
	t.Helper()
	var n int
	if err := e.db.QueryRowForTest(query, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return n
}

func (e *testEnv) blobPath(sha string) string {
	return filepath.Join(e.dir, "blobs", sha[:2], sha[2:4], sha)
}

func (e *testEnv) renditionDir(sha string) string {
	return filepath.Join(e.dir, "renditions", sha[:2], sha[2:4], sha)
}

// putBlob stores content in the blob store without any row (what a crash
// between storing a blob and committing its row leaves) and returns its key.
func (e *testEnv) putBlob(t testing.TB, key string, content []byte) {
	t.Helper()
	f, err := e.staging.CreateTemp()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Write(content); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	// Moved, not Put: tests store bytes under keys that are not their hash.
	if _, err := e.blobs.moveFile(key, f.Name()); err != nil {
		t.Fatal(err)
	}
}

// setModTime dates a file or folder.
func setModTime(t testing.TB, path string, at time.Time) {
	t.Helper()
	if err := os.Chtimes(path, at, at); err != nil {
		t.Fatal(err)
	}
}

func exists(t testing.TB, path string) bool {
	t.Helper()
	_, err := os.Stat(path)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		t.Fatal(err)
	}
	return err == nil
}

// wantError checks err is a *data.Error with the code and the exact message,
// and returns it for its details.
func wantError(t testing.TB, err error, code, message string) *data.Error {
	t.Helper()
	var de *data.Error
	if !errors.As(err, &de) {
		t.Fatalf("got error %v (%T), want %s: %q", err, err, code, message)
	}
	if de.Code != code || de.Message != message {
		t.Fatalf("got %s: %q\nwant %s: %q", de.Code, de.Message, code, message)
	}
	return de
}

// wantSameError checks two errors are the same *data.Error (code, message
// and details): what another organization's row must look like next to a
// missing one.
func wantSameError(t testing.TB, got, want error) {
	t.Helper()
	var g, w *data.Error
	if !errors.As(got, &g) || !errors.As(want, &w) {
		t.Fatalf("got %v, want %v (both *data.Error)", got, want)
	}
	if g.Code != w.Code || g.Message != w.Message || !reflect.DeepEqual(g.Details, w.Details) {
		t.Fatalf("got %s: %q %v\nwant %s: %q %v", g.Code, g.Message, g.Details, w.Code, w.Message, w.Details)
	}
}

// listDir names what a folder holds.
func listDir(dir string) ([]string, error) {
	entries, err := os.ReadDir(dir)
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names, err
}
