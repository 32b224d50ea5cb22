package main

import (
	"archive/zip"
	"bytes"
	"image"
	"image/color"
	"image/jpeg"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"

	"gallerist/data"
)

var importHandles = []string{"red-mug", "blue-bowl", "tall-vase", "oak-board", "linen-towel",
	"clay-pot", "tea-cup", "wine-glass", "salad-plate", "butter-dish"}

// importJPEG is a distinct small JPEG for (product i, image j).
func importJPEG(t testing.TB, i, j int) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 40+i, 30+j))
	for y := range img.Rect.Dy() {
		for x := range img.Rect.Dx() {
			img.SetRGBA(x, y, color.RGBA{uint8(20 * i), uint8(40 * j), uint8(x + y), 255})
		}
	}
	var b bytes.Buffer
	if err := jpeg.Encode(&b, img, nil); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// importFolder writes 50 images for 10 products named as merchants name
// them (red-mug.jpg, red-mug-2.jpg, red-mug_3.png, …, red-mug-10.jpg, so
// 10 sorts after 4), plus files that are not product images. It returns the
// folder and, per handle, the file names in their intended order.
func importFolder(t testing.TB) (string, map[string][]string) {
	t.Helper()
	dir := t.TempDir()
	want := map[string][]string{}
	write := func(name string, body []byte) {
		t.Helper()
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, body, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for i, h := range importHandles {
		names := []string{h + ".jpg", h + "-2.jpg", h + "_3.png", h + "-4.jpg", "more/" + h + "-10.jpg"}
		for j, n := range names {
			body := importJPEG(t, i, j)
			if strings.HasSuffix(n, ".png") {
				body = testPNG(t, 30+i, 20+j, color.RGBA{uint8(25 * i), 99, uint8(50 * j), 255})
			}
			write(n, body)
			want[h] = append(want[h], filepath.Base(n))
		}
	}
	write("notes.txt", []byte("shoot again in daylight\n"))
	write(".DS_Store", []byte{0, 0, 0, 1})
	return dir, want
}

func runCLI(t testing.TB, dir string, args ...string) (string, error) {
	t.Helper()
	var out bytes.Buffer
	err := run(t.Context(), append(args[:1:1], append([]string{"--data", dir}, args[1:]...)...), func(string) string { return "" }, nil, &out, io.Discard)
	return out.String(), err
}

// productID is the default organization's product with the handle.
func (e *testEnv) productID(t testing.TB, handle string) int64 {
	t.Helper()
	ctx := data.WithPrincipal(t.Context(), data.Principal{OrgID: e.app.defOrg.ID, Actor: "test", Scopes: data.RoleOwner.Scopes()})
	ps, _, err := e.app.catalog.FindProducts(ctx, data.ProductFilter{Handle: handle, Limit: 1})
	if err != nil || len(ps) == 0 {
		t.Fatalf("product %s: %v", handle, err)
	}
	return ps[0].ID
}

func (e *testEnv) galleryNames(t testing.TB, handle string) []string {
	t.Helper()
	ctx := data.WithPrincipal(t.Context(), data.Principal{OrgID: e.app.defOrg.ID, Actor: "test", Scopes: data.RoleOwner.Scopes()})
	g, err := e.app.catalog.FindGallery(ctx, e.productID(t, handle), data.GalleryFilter{})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, gi := range g.Images {
		names = append(names, gi.Media.Filename)
	}
	return names
}

// Issue 16, item 5: a folder of 50 images across 10 products lands in the
// right order; a dry run first changes nothing; files already in the
// library are reused, not copied; running it again adds nothing; a zip of
// the same folder does the same.
func TestImportFolder(t *testing.T) {
	folder, want := importFolder(t)
	e := newTestEnv(t)
	tok := e.token(t, 0)
	e.uploadOK(t, tok, "old-photo.jpg", importJPEG(t, 2, 1)) // tall-vase-2.jpg's bytes
	before := e.snapshot(t)

	out, err := runCLI(t, e.dir, "import", "--dry-run", "--create-products", folder)
	if err != nil {
		t.Fatalf("dry run: %v\n%s", err, out)
	}
	for _, s := range []string{"Would import 50 files into galleries: 49 new, 1 already in the library.", "Would create 10 products", "notes.txt", "Dry run: nothing was changed."} {
		if !strings.Contains(out, s) {
			t.Errorf("the dry run does not say %q:\n%s", s, out)
		}
	}
	if after := e.snapshot(t); after != before {
		t.Fatalf("the dry run changed something:\n%s\nwas\n%s", after, before)
	}

	out, err = runCLI(t, e.dir, "import", "--create-products", folder)
	if err != nil {
		t.Fatalf("import: %v\n%s", err, out)
	}
	if !strings.Contains(out, "Imported 50 files into galleries: 49 new, 1 already in the library.") || !strings.Contains(out, "Created 10 products") {
		t.Errorf("import said:\n%s", out)
	}
	for _, h := range importHandles {
		got := e.galleryNames(t, h)
		w := slices.Clone(want[h])
		if h == "tall-vase" {
			w[1] = "old-photo.jpg" // the item already in the library, reused as it was
		}
		if !slices.Equal(got, w) {
			t.Errorf("%s: gallery %v, want %v", h, got, w)
		}
	}
	if n := e.mediaCount(t); n != 50 {
		t.Errorf("%d media items, want 50 (49 new + the one that was there)", n)
	}

	out, err = runCLI(t, e.dir, "import", folder)
	if err != nil || !strings.Contains(out, "50 files were already in their product's gallery") {
		t.Errorf("a second import: %v\n%s", err, out)
	}
	if n := e.mediaCount(t); n != 50 {
		t.Errorf("a second import made %d media items, want 50", n)
	}

	t.Run("zip", func(t *testing.T) {
		z := zipFolder(t, folder)
		e := newTestEnv(t)
		out, err := runCLI(t, e.dir, "import", "--create-products", z)
		if err != nil || !strings.Contains(out, "Imported 50 files into galleries: 50 new, 0 already") {
			t.Fatalf("zip import: %v\n%s", err, out)
		}
		for _, h := range importHandles {
			if got := e.galleryNames(t, h); !slices.Equal(got, want[h]) {
				t.Errorf("%s: gallery %v, want %v", h, got, want[h])
			}
		}
	})
}

func (e *testEnv) mediaCount(t testing.TB) int {
	t.Helper()
	var n int
	if err := e.app.db.QueryRowForTest(`SELECT COUNT(*) FROM media`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func zipFolder(t testing.TB, dir string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "photos.zip")
	f, err := os.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	zw := zip.NewWriter(f)
	err = filepath.Walk(dir, func(path string, info os.FileInfo, err error) error {
		if err != nil || info.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(dir, path)
		w, err := zw.Create(filepath.ToSlash(rel))
		if err != nil {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		_, err = w.Write(b)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	f.Close()
	return p
}

// A CSV names the handle, the position and the alt text of each file; a
// missing product without --create-products, a file the CSV lists that is
// not there, and a file that is not what its name says all fail with the
// reason, and the good files still land.
func TestImportCSVAndFailures(t *testing.T) {
	dir := t.TempDir()
	e := newTestEnv(t)
	tok := e.token(t, 0)
	e.createProduct(t, tok, "Red mug") // handle red-mug
	files := map[string][]byte{
		"side.jpg":  importJPEG(t, 1, 1),
		"front.jpg": importJPEG(t, 1, 2),
		"fake.jpg":  []byte("this is not a photo"),
		"bowl.jpg":  importJPEG(t, 3, 3),
		"import.csv": []byte("handle,position,file,alt\n" +
			"red-mug,2,side.jpg,Red mug from the side\n" +
			"red-mug,1,front.jpg,\"Red mug, front\"\n" +
			"red-mug,3,fake.jpg,\n" +
			"red-mug,4,gone.jpg,\n" +
			"blue-bowl,1,bowl.jpg,Blue bowl\n"),
	}
	for n, b := range files {
		if err := os.WriteFile(filepath.Join(dir, n), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	out, err := runCLI(t, e.dir, "import", dir)
	if err == nil || !strings.Contains(err.Error(), "3 files failed") {
		t.Fatalf("want 3 failures, got %v\n%s", err, out)
	}
	for _, s := range []string{"gone.jpg: listed on line 5 of import.csv, but not in the folder", "fake.jpg: ",
		`bowl.jpg: there is no product "blue-bowl" (pass --create-products to create it)`, "Imported 2 files"} {
		if !strings.Contains(out, s) {
			t.Errorf("the report does not say %q:\n%s", s, out)
		}
	}
	if got := e.galleryNames(t, "red-mug"); !slices.Equal(got, []string{"front.jpg", "side.jpg"}) {
		t.Errorf("red-mug gallery %v, want front then side", got)
	}
	m := e.getJSON(t, "/api/media?q=front", tok).json(t)["data"].([]any)[0].(map[string]any)
	if m["alt"] != "Red mug, front" {
		t.Errorf("front.jpg's alt: %v", m["alt"])
	}
	if _, err := runCLI(t, e.dir, "import", filepath.Join(dir, "nothing-here")); err == nil {
		t.Errorf("a missing folder was accepted")
	}
	if _, err := runCLI(t, e.dir, "import", filepath.Join(dir, "side.jpg")); err == nil || !strings.Contains(err.Error(), "not a zip file") {
		t.Errorf("a lone JPEG as the source: %v", err)
	}
}

// Security review, import 2: a folder's links (to a file outside it, to
// /etc, to a file inside it) and special files (a FIFO) are never followed
// or read; the dry run and the import list each as skipped with the reason
// a zip's get, and import only the real file. Hidden ones are left out as
// any hidden file is; a link named as the folder itself is the folder.
func TestImportFolderSkipsLinks(t *testing.T) {
	dir := t.TempDir()
	outside := filepath.Join(t.TempDir(), "file.jpg")
	for p, b := range map[string][]byte{filepath.Join(dir, "cup.jpg"): importJPEG(t, 1, 1), outside: importJPEG(t, 2, 2)} {
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Mkdir(filepath.Join(dir, "more"), 0o755); err != nil {
		t.Fatal(err)
	}
	for link, target := range map[string]string{"ext-cup.jpg": outside, "etcdir": "/etc", "more/link-cup-2.jpg": "../cup.jpg", ".hidden-cup.jpg": outside} {
		if err := os.Symlink(target, filepath.Join(dir, filepath.FromSlash(link))); err != nil {
			t.Fatal(err)
		}
	}
	if err := syscall.Mkfifo(filepath.Join(dir, "pipe-cup.jpg"), 0o644); err != nil {
		t.Fatal(err)
	}
	linked := filepath.Join(t.TempDir(), "photos")
	if err := os.Symlink(dir, linked); err != nil {
		t.Fatal(err)
	}
	const skipped = "Skipped 4 files:\n" +
		"  etcdir: a link or special file, not a file\n" +
		"  ext-cup.jpg: a link or special file, not a file\n" +
		"  more/link-cup-2.jpg: a link or special file, not a file\n" +
		"  pipe-cup.jpg: a link or special file, not a file\n"
	check := func(t *testing.T, out, imported string) {
		t.Helper()
		if !strings.Contains(out, imported) || !strings.Contains(out, skipped) || strings.Contains(out, "hidden") || strings.Contains(out, "etcdir/") {
			t.Fatalf("want %q and\n%s\nin:\n%s", imported, skipped, out)
		}
	}
	e := newTestEnv(t)
	before := e.snapshot(t)
	for _, folder := range []string{dir, linked} {
		out, err := runCLI(t, e.dir, "import", "--dry-run", "--create-products", folder)
		if err != nil {
			t.Fatalf("dry run of %s: %v\n%s", folder, err, out)
		}
		check(t, out, "Would import 1 file into galleries: 1 new, 0 already in the library.\nWould create 1 product: cup.\n")
	}
	if after := e.snapshot(t); after != before {
		t.Fatalf("the dry run changed something:\n%s\nwas\n%s", after, before)
	}
	out, err := runCLI(t, e.dir, "import", "--create-products", dir)
	if err != nil {
		t.Fatalf("import: %v\n%s", err, out)
	}
	check(t, out, "Imported 1 file into galleries: 1 new, 0 already in the library.\nCreated 1 product: cup.\n")
	if n, g := e.mediaCount(t), e.galleryNames(t, "cup"); n != 1 || !slices.Equal(g, []string{"cup.jpg"}) {
		t.Fatalf("%d media items, cup's gallery %v; want only cup.jpg", n, g)
	}
}
