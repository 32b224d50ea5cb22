package main

import (
	"encoding/json"
	"fmt"
	"image/color"
	"slices"
	"strings"
	"sync"
	"testing"

	"gallerist/data"
)

// importReportOf decodes an import's JSON answer.
func importReportOf(t testing.TB, r *resp) *data.ImportReport {
	t.Helper()
	if r.Status != 200 {
		t.Fatalf("import: %d %s", r.Status, r.Body)
	}
	var rep data.ImportReport
	if err := json.Unmarshal(r.Body, &rep); err != nil {
		t.Fatalf("import answer: %v: %s", err, r.Body)
	}
	return &rep
}

// importedFile is a product's file in a report as "path status position reason".
type importedFile struct {
	Path, Status string
	Position     int
	Reason       string
	Warning      string
}

func reportFiles(rep *data.ImportReport, handle string) []importedFile {
	for _, p := range rep.Products {
		if p.Handle == handle {
			var out []importedFile
			for _, f := range p.Files {
				out = append(out, importedFile{f.Path, f.Status, f.Position, f.Reason, f.Warning})
			}
			return out
		}
	}
	return nil
}

func skippedOf(rep *data.ImportReport) map[string]string {
	m := map[string]string{}
	for _, s := range rep.Skipped {
		m[s.Path] = s.Reason
	}
	return m
}

func handlesOf(rep *data.ImportReport) []string {
	var hs []string
	for _, p := range rep.Products {
		hs = append(hs, p.Handle)
	}
	return hs
}

// mixedZip is what a merchant moving shops exports: photos, a PDF size
// chart named after its product, a PDF saved as .jpg, a product with only a
// manual.
func mixedZip(t *testing.T) []byte {
	t.Helper()
	pdf := realPDF(t)
	return zipOf(t, map[string][]byte{
		"tshirt.jpg":   importJPEG(t, 1, 1),
		"tshirt-2.pdf": pdf,
		"tshirt-3.png": testPNG(t, 31, 21, color.RGBA{9, 99, 199, 255}),
		"tshirt-4.jpg": pdf, // a PDF whatever its name says
		"tshirt-5.jpg": importJPEG(t, 1, 5),
		"lamp.pdf":     pdf,
		"mug.jpg":      importJPEG(t, 2, 1),
	})
}

// Reviewer's finding 1 (issue 16 item 5): a document in the zip is decided
// per file. The dry run shows it skipped with the reason; the import
// leaves it out (not uploaded) and lands the product's other files in
// order; a product with only documents is not created.
func TestImportZipDocumentsSkippedPerFile(t *testing.T) {
	body := mixedZip(t)
	e := newTestEnv(t)
	tok := e.token(t, 0)
	before := e.snapshot(t)
	const why = "documents cannot go in a gallery"

	wantTshirt := []importedFile{
		{"tshirt.jpg", data.ImportFileNew, 1, "", ""},
		{"tshirt-2.pdf", data.ImportFileSkipped, 0, why, ""},
		{"tshirt-3.png", data.ImportFileNew, 2, "", ""},
		{"tshirt-4.jpg", data.ImportFileSkipped, 0, why, ""},
		{"tshirt-5.jpg", data.ImportFileNew, 3, "", ""},
	}
	check := func(t *testing.T, rep *data.ImportReport, created []string) {
		t.Helper()
		got := reportFiles(rep, "tshirt")
		for i := range got {
			if i < len(wantTshirt) && wantTshirt[i].Reason != "" && strings.Contains(got[i].Reason, wantTshirt[i].Reason) {
				got[i].Reason = wantTshirt[i].Reason
			}
		}
		if !slices.Equal(got, wantTshirt) {
			t.Errorf("tshirt's files:\n%v\nwant\n%v", got, wantTshirt)
		}
		if hs := handlesOf(rep); !slices.Equal(hs, []string{"mug", "tshirt"}) {
			t.Errorf("products %v, want mug and tshirt (lamp has only a PDF)", hs)
		}
		if !slices.Equal(rep.CreatedProducts, created) {
			t.Errorf("created %v, want %v", rep.CreatedProducts, created)
		}
		sk := skippedOf(rep)
		for _, p := range []string{"tshirt-2.pdf", "tshirt-4.jpg", "lamp.pdf"} {
			if !strings.Contains(sk[p], why) {
				t.Errorf("%s skipped as %q, want %q", p, sk[p], why)
			}
		}
		if len(rep.Failed) != 0 || rep.Attached != 4 || rep.Imported != 4 {
			t.Errorf("failed %v, attached %d, imported %d; want none failed, 4 and 4", rep.Failed, rep.Attached, rep.Imported)
		}
	}

	t.Run("DryRun", func(t *testing.T) {
		check(t, importReportOf(t, e.importZipAPI(t, tok, "?dry_run=true&create_products=true", body)), []string{"mug", "tshirt"})
		if after := e.snapshot(t); after != before {
			t.Errorf("the dry run changed something:\n%s\nwas\n%s", after, before)
		}
		e.stagingEmpty(t)
	})
	t.Run("Import", func(t *testing.T) {
		check(t, importReportOf(t, e.importZipAPI(t, tok, "?create_products=true", body)), []string{"mug", "tshirt"})
		if got := e.galleryNames(t, "tshirt"); !slices.Equal(got, []string{"tshirt.jpg", "tshirt-3.png", "tshirt-5.jpg"}) {
			t.Errorf("tshirt's gallery %v", got)
		}
		if got := e.galleryNames(t, "mug"); !slices.Equal(got, []string{"mug.jpg"}) {
			t.Errorf("mug's gallery %v", got)
		}
		if n := e.mediaCount(t); n != 4 {
			t.Errorf("%d media items, want the 4 photos (no PDF left in the library)", n)
		}
		var lamps int
		e.app.db.QueryRowForTest(`SELECT COUNT(*) FROM products WHERE handle = 'lamp'`).Scan(&lamps)
		if lamps != 0 {
			t.Errorf("a product lamp was created for a PDF alone")
		}
		e.stagingEmpty(t)
	})
}

// Reviewer's finding 2: with an import.csv, the files it does not list
// are in the plan and the summary as skipped, with the reason.
func TestImportZipCSVUnlistedSkipped(t *testing.T) {
	body := zipOf(t, map[string][]byte{
		"import.csv":       []byte("handle,position,file,alt\ntshirt,2,front.jpg,Front\ntshirt,1,back.png,Back\n"),
		"front.jpg":        importJPEG(t, 3, 1),
		"back.png":         testPNG(t, 33, 22, color.RGBA{1, 2, 3, 255}),
		"extra.jpg":        importJPEG(t, 3, 3),
		"old/tshirt-9.jpg": importJPEG(t, 3, 4),
	})
	e := newTestEnv(t)
	tok := e.token(t, 0)
	for _, q := range []string{"?dry_run=true&create_products=true", "?create_products=true"} {
		rep := importReportOf(t, e.importZipAPI(t, tok, q, body))
		sk := skippedOf(rep)
		for _, p := range []string{"extra.jpg", "old/tshirt-9.jpg"} {
			if sk[p] != "not listed in import.csv" {
				t.Errorf("%s: %s skipped as %q, want \"not listed in import.csv\"", q, p, sk[p])
			}
		}
		if _, ok := sk["import.csv"]; ok || len(sk) != 2 {
			t.Errorf("%s: skipped %v, want the two unlisted files", q, sk)
		}
		if got := reportFiles(rep, "tshirt"); len(got) != 2 || got[0].Path != "back.png" || got[1].Path != "front.jpg" {
			t.Errorf("%s: tshirt's files %v", q, got)
		}
	}
	if got := e.galleryNames(t, "tshirt"); !slices.Equal(got, []string{"back.png", "front.jpg"}) {
		t.Errorf("tshirt's gallery %v", got)
	}
}

// Reviewer's finding 5: a name ending in a number that reads as a place in
// a new product's gallery but hardly is one (a year, the only file) gets a
// warning with the name that keeps the number in the handle. The naming
// rules do not change: tshirt-2024.jpg still goes to tshirt.
func TestImportZipNumberInNameWarned(t *testing.T) {
	body := zipOf(t, map[string][]byte{
		"tshirt-2024.jpg":     importJPEG(t, 4, 1),
		"poster_7.png":        testPNG(t, 34, 24, color.RGBA{4, 5, 6, 255}),
		"red-mug.jpg":         importJPEG(t, 4, 2),
		"red-mug-2.jpg":       importJPEG(t, 4, 3),
		"more/red-mug-10.jpg": importJPEG(t, 4, 4),
		"vase-2023.jpg":       importJPEG(t, 4, 5), // vase-2023 exists: its handle, no warning
	})
	e := newTestEnv(t)
	tok := e.token(t, 0)
	r := e.sendJSON(t, "POST", "/api/products", tok, map[string]any{"title": "Vase 2023", "handle": "vase-2023"})
	if r.Status != 201 {
		t.Fatalf("create vase-2023: %d %s", r.Status, r.Body)
	}
	rep := importReportOf(t, e.importZipAPI(t, tok, "?dry_run=true&create_products=true", body))
	want := map[string]string{
		"tshirt-2024.jpg": "2024 read as a position; name it tshirt-2024-1.jpg to keep 2024 in the handle",
		"poster_7.png":    "7 read as a position; name it poster_7-1.png to keep 7 in the handle",
	}
	for _, p := range rep.Products {
		for _, f := range p.Files {
			if f.Warning != want[f.Path] {
				t.Errorf("%s (%s): warning %q, want %q", f.Path, p.Handle, f.Warning, want[f.Path])
			}
		}
	}
	if hs := handlesOf(rep); !slices.Equal(hs, []string{"poster", "red-mug", "tshirt", "vase-2023"}) {
		t.Errorf("handles %v: the naming rules changed", hs)
	}
}

// Reviewer's finding 4: two imports of one zip at once both succeed; each
// file lands once, in order; the later one finds the files in the gallery.
func TestImportZipTwiceAtOnce(t *testing.T) {
	body, want := importZipBytes(t)
	e := newTestEnv(t)
	tok := e.token(t, 0)
	var wg sync.WaitGroup
	reps := make([]*resp, 2)
	for i := range reps {
		wg.Add(1)
		go func() {
			defer wg.Done()
			reps[i] = e.importZipAPI(t, tok, "?create_products=true", body)
		}()
	}
	wg.Wait()
	attached, inGallery := 0, 0
	for i, r := range reps {
		if r.Status != 200 {
			t.Fatalf("import %d: %d %s", i, r.Status, r.Body)
		}
		rep := importReportOf(t, r)
		if len(rep.Failed) != 0 {
			t.Errorf("import %d failed files: %v", i, rep.Failed)
		}
		attached += rep.Attached
		inGallery += rep.AlreadyInGallery
	}
	if attached != 50 || inGallery != 50 {
		t.Errorf("attached %d and already in the gallery %d in all, want 50 and 50", attached, inGallery)
	}
	for _, h := range importHandles {
		if got := e.galleryNames(t, h); !slices.Equal(got, want[h]) {
			t.Errorf("%s: gallery %v, want %v", h, got, want[h])
		}
	}
	e.stagingEmpty(t)
}

// The security review's finding: an import.csv's alt text on a file whose
// bytes are an item already in the library changes that item's alt text
// only with media:update, as every other door asks; without it, or when the
// item has alt text of its own, the file is attached with its alt text
// left alone and a warning saying why (in the dry run and the import).
func TestImportZipCSVAltNeedsMediaUpdate(t *testing.T) {
	e := newTestEnv(t)
	owner := e.token(t, 0)
	bare := e.uploadOK(t, owner, "cup.jpg", importJPEG(t, 5, 1))
	described := e.uploadOK(t, owner, "jug.jpg", importJPEG(t, 5, 2))
	if r := e.sendJSON(t, "PATCH", fmt.Sprintf("/api/media/%d", idOf(described)), owner, map[string]any{"alt": "A jug"}); r.Status != 200 {
		t.Fatalf("alt: %d %s", r.Status, r.Body)
	}
	body := zipOf(t, map[string][]byte{
		"import.csv": []byte("handle,position,file,alt\nalt-cup,1,cup.jpg,SET BY IMPORT\nalt-cup,2,jug.jpg,OVERWRITTEN BY IMPORT\nalt-cup,3,new.jpg,A new cup\n"),
		"cup.jpg":    importJPEG(t, 5, 1),
		"jug.jpg":    importJPEG(t, 5, 2),
		"new.jpg":    importJPEG(t, 5, 3),
	})
	tok := e.token(t, 0, data.ScopeMediaCreate, data.ScopeProductsWrite, data.ScopeProductsRead, data.ScopeMediaRead)
	for _, q := range []string{"?dry_run=true&create_products=true", "?create_products=true"} {
		files := reportFiles(importReportOf(t, e.importZipAPI(t, tok, q, body)), "alt-cup")
		if len(files) != 3 {
			t.Fatalf("%s: files %+v", q, files)
		}
		if !strings.Contains(files[0].Warning, "needs the media:update scope") {
			t.Errorf("%s: cup.jpg warning %q", q, files[0].Warning)
		}
		if !strings.Contains(files[1].Warning, "has its own") {
			t.Errorf("%s: jug.jpg warning %q", q, files[1].Warning)
		}
		if files[2].Warning != "" {
			t.Errorf("%s: new.jpg warning %q", q, files[2].Warning)
		}
	}
	for id, want := range map[int64]string{idOf(bare): "", idOf(described): "A jug"} {
		if m, _ := e.app.media.FindMediaByID(e.ownerCtx(), id); m.Alt != want {
			t.Errorf("item %d's alt text is %q after the import, want %q", id, m.Alt, want)
		}
	}
	g, err := e.app.catalog.FindGallery(e.ownerCtx(), e.productID(t, "alt-cup"), data.GalleryFilter{})
	if err != nil {
		t.Fatal(err)
	}
	var alts []string
	for _, gi := range g.Images {
		alts = append(alts, gi.Media.Alt)
	}
	if !slices.Equal(alts, []string{"", "A jug", "A new cup"}) {
		t.Errorf("alt-cup's gallery alt texts %q", alts)
	}

	// With media:update the CSV fills in the alt text the item lacks.
	e2 := newTestEnv(t)
	tok2 := e2.token(t, 0)
	cup := e2.uploadOK(t, tok2, "cup.jpg", importJPEG(t, 5, 1))
	files := reportFiles(importReportOf(t, e2.importZipAPI(t, tok2, "?create_products=true", body)), "alt-cup")
	if len(files) != 3 || files[0].Warning != "" {
		t.Errorf("with media:update: %+v", files)
	}
	if m, _ := e2.app.media.FindMediaByID(e2.ownerCtx(), idOf(cup)); m.Alt != "SET BY IMPORT" {
		t.Errorf("with media:update the alt text is %q", m.Alt)
	}
}

// Each file is counted once: imported (new), reused (already in the
// library) or already in its gallery, so the parts add up to the files.
// The reviews found a file already in its gallery counted as reused too
// ("1 file: 1 new, 1 already in the library").
func TestImportCountsEachFileOnce(t *testing.T) {
	e := newTestEnv(t)
	tok := e.token(t, 0)
	first := zipOf(t, map[string][]byte{"red-mug.jpg": importJPEG(t, 6, 1), "red-mug-2.jpg": importJPEG(t, 6, 2)})
	importReportOf(t, e.importZipAPI(t, tok, "?create_products=true", first))
	e.uploadOK(t, tok, "loose.jpg", importJPEG(t, 6, 4)) // in the library, in no gallery
	again := zipOf(t, map[string][]byte{
		"red-mug.jpg":   importJPEG(t, 6, 1), // in the gallery already
		"red-mug-2.jpg": importJPEG(t, 6, 2), // in the gallery already
		"red-mug-3.jpg": importJPEG(t, 6, 3), // new
		"red-mug-4.jpg": importJPEG(t, 6, 4), // in the library
	})
	for _, q := range []string{"?dry_run=true", ""} {
		rep := importReportOf(t, e.importZipAPI(t, tok, q, again))
		if rep.Imported != 1 || rep.Reused != 1 || rep.AlreadyInGallery != 2 || rep.Attached != 2 {
			t.Errorf("%q: imported %d, reused %d, already in the gallery %d, attached %d; want 1, 1, 2, 2",
				q, rep.Imported, rep.Reused, rep.AlreadyInGallery, rep.Attached)
		}
	}
}
