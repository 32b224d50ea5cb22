package main

import (
	"bytes"
	"mime/multipart"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"gallerist/data"
)

// uploadZipForm posts the no-JavaScript import form: _csrf first, then the zip.
func (c *uiClient) uploadZipForm(t testing.TB, name string, body []byte) (int, string) {
	t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	mw.WriteField("_csrf", c.csrf)
	w, _ := mw.CreateFormFile("file", name)
	w.Write(body)
	mw.Close()
	return c.req(t, "POST", "/products/import", &buf, mw.FormDataContentType())
}

// waitImportState reloads the job's page (as the no-JavaScript page asks
// to) until it shows state.
func (c *uiClient) waitImportState(t testing.TB, jobURL, state string) string {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		st, page := c.get(t, jobURL)
		if st != 200 {
			t.Fatalf("GET %s: %d %.300s", jobURL, st, page)
		}
		if strings.Contains(page, `data-import-state="`+state+`"`) {
			return page
		}
		if strings.Contains(page, `data-import-state="failed"`) || time.Now().After(deadline) {
			t.Fatalf("the import did not reach %s: %.2000s", state, page)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

var importJobURLRE = regexp.MustCompile(`^/products/import/[0-9a-f]{24}$`)

// The admin UI's import as plain forms, without JavaScript: upload, the
// dry run's plan (changing nothing), Import with "create missing
// products", the summary; a refused zip re-shows the form with the reason
// and leaves nothing; another organization cannot see the job.
func TestImportZipForms(t *testing.T) {
	body, want := importZipBytes(t)
	e := newTestEnv(t)
	e.createUser(t, "editor@example.com", data.RoleEditor)
	c := e.client()
	c.login(t, "editor@example.com", testOwnerPassword)
	if _, page := c.get(t, "/products"); !strings.Contains(page, `href="/products/import"`) {
		t.Fatalf("the products page has no import link")
	}
	c.get(t, "/products/import")
	before := e.snapshot(t)

	st, page := c.uploadZipForm(t, "bomb.zip", rawZip(t, "red-mug.jpg", make([]byte, 8<<20), 100))
	if st != 422 || !strings.Contains(page, "expands beyond the 100 bytes its header declares") || !strings.Contains(page, `data-zip-upload`) {
		t.Errorf("a zip bomb: %d %q", st, alertText(page))
	}
	if after := e.snapshot(t); after != before {
		t.Fatalf("a refused zip left something:\n%s\nwas\n%s", after, before)
	}

	st, _ = c.uploadZipForm(t, "photos.zip", body)
	job := c.location()
	if st != 303 || !importJobURLRE.MatchString(job) {
		t.Fatalf("upload: %d to %q", st, job)
	}
	page = c.waitImportState(t, job, data.ImportPlanned)
	for _, s := range []string{"Would import", "50 files", "10 products do not exist yet", "Create missing products", "old-shop.zip", "a zip inside the zip", "notes.txt"} {
		if !strings.Contains(page, s) {
			t.Errorf("the plan does not say %q", s)
		}
	}
	if strings.Index(page, "red-mug.jpg") > strings.Index(page, "red-mug-2.jpg") || strings.Index(page, "red-mug-4.jpg") > strings.Index(page, "more/red-mug-10.jpg") {
		t.Errorf("the plan lists red-mug's files out of order")
	}
	if after := e.snapshot(t); strings.Split(after, "--")[1] != strings.Split(before, "--")[1] {
		t.Fatalf("the dry run changed rows:\n%s\nwas\n%s", after, before)
	}

	t.Run("OtherOrgCannotSeeIt", func(t *testing.T) {
		org, err := e.app.orgs.CreateOrg(t.Context(), "other", "Other shop")
		if err != nil {
			t.Fatal(err)
		}
		ctx := data.WithPrincipal(t.Context(), data.Principal{OrgID: org.ID, Actor: "test", Scopes: data.RoleOwner.Scopes()})
		id := strings.TrimPrefix(job, "/products/import/")
		if _, err := e.app.importer.FindImport(ctx, id); data.ErrorCode(err) != data.ECNotFound {
			t.Errorf("another organization finds the job: %v", err)
		}
		if _, err := e.app.importer.RunImport(ctx, id, data.ImportOptions{CreateProducts: true}); data.ErrorCode(err) != data.ECNotFound {
			t.Errorf("another organization runs the job: %v", err)
		}
	})

	if st, _ := c.post(t, job+"/run", url.Values{"create_products": {"true"}}); st != 303 || c.location() != job {
		t.Fatalf("Import: %d to %s", st, c.location())
	}
	page = c.waitImportState(t, job, data.ImportDone)
	for _, s := range []string{"Import finished", "Imported", "50 files", "Created 10 products", "Skipped 2 files"} {
		if !strings.Contains(page, s) {
			t.Errorf("the summary does not say %q", s)
		}
	}
	for _, h := range importHandles {
		if got := e.galleryNames(t, h); !slices.Equal(got, want[h]) {
			t.Errorf("%s: gallery %v, want %v", h, got, want[h])
		}
	}
	if !strings.Contains(page, `href="/products/`) {
		t.Errorf("the summary does not link the products")
	}
	e.stagingEmpty(t)
	if st, _ := c.post(t, job+"/run", url.Values{}); st != 409 {
		t.Errorf("running a finished import again: %d", st)
	}

	t.Run("Cancel", func(t *testing.T) {
		before := e.snapshot(t)
		c.get(t, "/products/import")
		c.uploadZipForm(t, "one.zip", zipOf(t, map[string][]byte{"blue-jug.jpg": importJPEG(t, 7, 7)}))
		job := c.location()
		c.waitImportState(t, job, data.ImportPlanned)
		if st, _ := c.post(t, job+"/cancel", nil); st != 303 || c.location() != "/products" {
			t.Fatalf("Cancel: %d to %s", st, c.location())
		}
		if st, _ := c.get(t, job); st != 404 {
			t.Errorf("a cancelled job's page: %d", st)
		}
		if after := e.snapshot(t); after != before {
			t.Errorf("a cancelled import changed something:\n%s\nwas\n%s", after, before)
		}
		e.stagingEmpty(t)
	})
}

var alertRE = regexp.MustCompile(`(?s)role="alert">(.*?)</div>`)

// alertText is the page's first alert, tags removed.
func alertText(page string) string {
	m := alertRE.FindStringSubmatch(page)
	if m == nil {
		return "(no alert)"
	}
	return regexp.MustCompile(`<[^>]*>`).ReplaceAllString(m[1], "")
}

// Without JavaScript, a fourth zip while three wait is refused on the form
// page itself, naming the three and keeping nothing; each waiting zip's
// Discard on that page removes it (back to the import page), and then the
// zip is taken.
func TestImportZipFourthRefusedThenDiscard(t *testing.T) {
	e := newTestEnv(t)
	e.createUser(t, "editor@example.com", data.RoleEditor)
	c := e.client()
	c.login(t, "editor@example.com", testOwnerPassword)
	c.get(t, "/products/import")
	var jobs []string
	for i, name := range []string{"spring.zip", "summer.zip", "autumn.zip"} {
		c.uploadZipForm(t, name, zipOf(t, map[string][]byte{"red-mug.jpg": importJPEG(t, i, 1)}))
		jobs = append(jobs, c.location())
		c.waitImportState(t, jobs[i], data.ImportPlanned)
	}
	before := e.snapshot(t)
	st, page := c.uploadZipForm(t, "winter.zip", zipOf(t, map[string][]byte{"blue-vase.jpg": importJPEG(t, 9, 9)}))
	msg := alertText(page)
	if st != 409 || !strings.Contains(page, "data-zip-upload") {
		t.Fatalf("a fourth zip: %d, the form is not shown again: %q", st, msg)
	}
	for _, s := range []string{"spring.zip", "summer.zip", "autumn.zip", "iscard"} {
		if !strings.Contains(msg, s) {
			t.Errorf("the refusal %q does not name %q", msg, s)
		}
	}
	if after := e.snapshot(t); after != before {
		t.Fatalf("a refused zip left something:\n%s\nwas\n%s", after, before)
	}
	// The refusal page lists the waiting zips with a Discard each.
	for _, j := range jobs {
		if !strings.Contains(page, `action="`+j+`/cancel"`) {
			t.Fatalf("the refusal page has no Discard for %s", j)
		}
	}
	if st, _ := c.post(t, jobs[1]+"/cancel", url.Values{"from": {"list"}}); st != 303 || c.location() != "/products/import" {
		t.Fatalf("Discard: %d to %s", st, c.location())
	}
	if st, _ := c.get(t, jobs[1]); st != 404 {
		t.Errorf("a discarded zip's page: %d", st)
	}
	_, page = c.get(t, "/products/import")
	if strings.Contains(page, "summer.zip") || !strings.Contains(page, "spring.zip") || !strings.Contains(page, "autumn.zip") {
		t.Errorf("after Discard the waiting list is wrong: %.1500s", page)
	}
	if st, _ := c.uploadZipForm(t, "winter.zip", zipOf(t, map[string][]byte{"blue-vase.jpg": importJPEG(t, 9, 9)})); st != 303 || !importJobURLRE.MatchString(c.location()) {
		t.Fatalf("after a Discard the fourth zip: %d to %s", st, c.location())
	}
	c.waitImportState(t, c.location(), data.ImportPlanned)
}
