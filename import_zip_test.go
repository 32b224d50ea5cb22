package main

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"hash/crc32"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"gallerist/data"
)

// importZipBytes is the 50 images of importFolder (10 products), plus a
// text file and a nested zip, as the bytes of one zip.
func importZipBytes(t testing.TB) ([]byte, map[string][]string) {
	t.Helper()
	folder, want := importFolder(t)
	if err := os.WriteFile(filepath.Join(folder, "old-shop.zip"), zipOf(t, map[string][]byte{"x.jpg": importJPEG(t, 9, 9)}), 0o644); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(zipFolder(t, folder))
	if err != nil {
		t.Fatal(err)
	}
	return b, want
}

// zipOf is a zip of the given entries, in name order.
func zipOf(t testing.TB, files map[string][]byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	names := make([]string, 0, len(files))
	for n := range files {
		names = append(names, n)
	}
	slices.Sort(names)
	for _, n := range names {
		w, err := zw.Create(n)
		if err != nil {
			t.Fatal(err)
		}
		w.Write(files[n])
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// rawZip is a zip of one entry whose header declares declared bytes but
// whose deflated data expands to body: what a zip bomb sends.
func rawZip(t testing.TB, name string, body []byte, declared uint64) []byte {
	t.Helper()
	var comp bytes.Buffer
	fw, _ := flate.NewWriter(&comp, flate.BestCompression)
	fw.Write(body)
	fw.Close()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	w, err := zw.CreateRaw(&zip.FileHeader{Name: name, Method: zip.Deflate, CRC32: crc32.ChecksumIEEE(body),
		CompressedSize64: uint64(comp.Len()), UncompressedSize64: declared})
	if err != nil {
		t.Fatal(err)
	}
	w.Write(comp.Bytes())
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func (e *testEnv) importZipAPI(t testing.TB, tok, query string, body []byte) *resp {
	t.Helper()
	return e.do(t, "POST", "/api/imports"+query, tok, bytes.NewReader(body), "application/zip")
}

// stagingEmpty fails the test if anything is left in the staging folder.
func (e *testEnv) stagingEmpty(t testing.TB) {
	t.Helper()
	left, _ := os.ReadDir(e.app.staging.Dir())
	if len(left) > 0 {
		head, _ := os.ReadFile(filepath.Join(e.app.staging.Dir(), left[0].Name()))
		t.Errorf("%d files left in the staging folder, e.g. %s (%d bytes: %q)", len(left), left[0].Name(), len(head), head[:min(len(head), 8)])
	}
}

// Issue 16 item 5 through the API: a zip of 50 real images across 10
// products; the dry run answers the plan and changes nothing; the import
// lands every product's files in order; the nested zip and the text file
// are skipped with their reasons.
func TestImportZipAPI(t *testing.T) {
	body, want := importZipBytes(t)
	e := newTestEnv(t)
	tok := e.token(t, 0)
	before := e.snapshot(t)

	r := e.importZipAPI(t, tok, "?dry_run=true&create_products=true", body)
	if r.Status != 200 {
		t.Fatalf("dry run: %d %s", r.Status, r.Body)
	}
	plan := r.json(t)
	if plan["attached"].(float64) != 50 || plan["imported"].(float64) != 50 || len(plan["products"].([]any)) != 10 {
		t.Errorf("dry run plan: attached %v imported %v products %d", plan["attached"], plan["imported"], len(plan["products"].([]any)))
	}
	for _, p := range plan["products"].([]any) {
		p := p.(map[string]any)
		var names []string
		for _, f := range p["files"].([]any) {
			f := f.(map[string]any)
			names = append(names, filepath.Base(f["path"].(string)))
			if f["status"] != data.ImportFileNew {
				t.Errorf("%s: status %v in the plan", f["path"], f["status"])
			}
		}
		if h := p["handle"].(string); !slices.Equal(names, want[h]) || p["exists"] != false || p["created"] != true {
			t.Errorf("plan of %s: %v exists=%v created=%v, want %v", h, names, p["exists"], p["created"], want[h])
		}
	}
	skipped := map[string]string{}
	for _, s := range plan["skipped"].([]any) {
		s := s.(map[string]any)
		skipped[s["path"].(string)] = s["reason"].(string)
	}
	if !strings.Contains(skipped["old-shop.zip"], "zip inside the zip") || !strings.Contains(skipped["notes.txt"], "not a media file") {
		t.Errorf("skipped: %v", skipped)
	}
	if after := e.snapshot(t); after != before {
		t.Fatalf("the dry run changed something:\n%s\nwas\n%s", after, before)
	}

	r = e.importZipAPI(t, tok, "?create_products=true", body)
	if r.Status != 200 {
		t.Fatalf("import: %d %s", r.Status, r.Body)
	}
	if rep := r.json(t); rep["imported"].(float64) != 50 || len(rep["created_products"].([]any)) != 10 || len(rep["failed"].([]any)) != 0 {
		t.Errorf("import report: %s", r.Body)
	}
	for _, h := range importHandles {
		if got := e.galleryNames(t, h); !slices.Equal(got, want[h]) {
			t.Errorf("%s: gallery %v, want %v", h, got, want[h])
		}
	}
	e.stagingEmpty(t)

	// Again: every file is in its gallery already; nothing new.
	r = e.importZipAPI(t, tok, "", body)
	if rep := r.json(t); r.Status != 200 || rep["already_in_gallery"].(float64) != 50 || rep["imported"].(float64) != 0 {
		t.Errorf("second import: %d %s", r.Status, r.Body)
	}

	t.Run("ScopesBeforeTheBody", func(t *testing.T) {
		for _, s := range []data.Scope{data.ScopeMediaCreate, data.ScopeProductsWrite} {
			r := e.importZipAPI(t, e.tokenWithout(t, s), "", body)
			if r.Status != 403 || r.errCode(t) != data.ECMissingScope {
				t.Errorf("without %s: %d %s", s, r.Status, r.Body)
			}
		}
		e.stagingEmpty(t)
	})
	t.Run("OnlyIntoTheTokensOrganization", func(t *testing.T) {
		org, err := e.app.orgs.CreateOrg(t.Context(), "other", "Other shop")
		if err != nil {
			t.Fatal(err)
		}
		mine := e.galleryNames(t, "red-mug")
		r := e.importZipAPI(t, e.token(t, org.ID), "?create_products=true", zipOf(t, map[string][]byte{"red-mug.jpg": importJPEG(t, 8, 8)}))
		if rep := r.json(t); r.Status != 200 || len(rep["created_products"].([]any)) != 1 {
			t.Fatalf("the other organization's import: %d %s", r.Status, r.Body)
		}
		if got := e.galleryNames(t, "red-mug"); !slices.Equal(got, mine) {
			t.Errorf("another organization's import changed this one's red-mug: %v, was %v", got, mine)
		}
	})
	t.Run("MissingProductsWithoutCreate", func(t *testing.T) {
		e := newTestEnv(t)
		r := e.importZipAPI(t, e.token(t, 0), "", zipOf(t, map[string][]byte{"red-mug.jpg": importJPEG(t, 1, 1)}))
		rep := r.json(t)
		if r.Status != 200 || len(rep["failed"].([]any)) != 1 ||
			!strings.Contains(rep["failed"].([]any)[0].(map[string]any)["reason"].(string), "create_products=true") {
			t.Errorf("%d %s", r.Status, r.Body)
		}
	})
}

// A refused zip says why in words and leaves nothing behind: no row, no
// blob, no staging file.
func TestImportZipRefused(t *testing.T) {
	jpg := importJPEG(t, 1, 1)
	many := map[string][]byte{}
	for i := range data.MaxImportFiles + 1 {
		many[strings.Repeat("d/", i%3)+"f"+string(rune('a'+i%26))+"-"+strconv.Itoa(i)+".txt"] = nil
	}
	cases := []struct {
		name, code, msg string
		status          int
		body            []byte
	}{
		{"BombHeaderSaysSmall", data.ECCorruptFile, "expands beyond the 2 KB its header declares", 422,
			rawZip(t, "red-mug.jpg", append(slices.Clone(jpg), make([]byte, 64<<20)...), 2048)},
		{"HugeDeclaredSize", data.ECTooLarge, "expands to more than 2 MB", 413, rawZip(t, "red-mug.jpg", jpg, 1<<40)},
		{"DotDot", data.ECCorruptFile, `"../red-mug.jpg", which points outside the zip`, 422, zipOf(t, map[string][]byte{"ok.jpg": jpg, "../red-mug.jpg": jpg})},
		{"Absolute", data.ECCorruptFile, `"/etc/red-mug.jpg", which points outside`, 422, zipOf(t, map[string][]byte{"/etc/red-mug.jpg": jpg})},
		{"Backslash", data.ECCorruptFile, `which points outside`, 422, zipOf(t, map[string][]byte{`..\red-mug.jpg`: jpg})},
		{"DriveLetter", data.ECCorruptFile, `which points outside`, 422, zipOf(t, map[string][]byte{`C:/red-mug.jpg`: jpg})},
		{"NotAZip", data.ECCorruptFile, "is not a zip file we can read", 422, jpg},
		{"Truncated", data.ECCorruptFile, "is not a zip file we can read", 422, zipOf(t, map[string][]byte{"red-mug.jpg": jpg})[:200]},
		{"TooLarge", data.ECTooLarge, "larger than 2 MB, the most a zip import may be", 413, append(zipOf(t, nil), make([]byte, 3<<20)...)},
		{"TooManyEntries", data.ECTooManyFiles, "an import takes at most 10000", 400, zipOf(t, many)},
		{"Empty", data.ECEmptyFile, "is empty", 422, nil},
	}
	e := newTestEnv(t, func(c *config) { c.limits.MaxImportBytes = 2 << 20 })
	tok := e.token(t, 0)
	e.createProduct(t, tok, "Red mug")
	before := e.snapshot(t)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := e.importZipAPI(t, tok, "?create_products=true", c.body)
			if r.Status != c.status || r.errCode(t) != c.code {
				t.Fatalf("%d %s, want %d %s", r.Status, r.Body, c.status, c.code)
			}
			if msg := r.json(t)["error"].(map[string]any)["message"].(string); !strings.Contains(msg, c.msg) {
				t.Errorf("message %q does not say %q", msg, c.msg)
			}
			if after := e.snapshot(t); after != before {
				t.Errorf("a refused zip left something:\n%s\nwas\n%s", after, before)
			}
			e.stagingEmpty(t)
		})
	}
}
