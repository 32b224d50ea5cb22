package main

import (
	"fmt"
	"mime"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"gallerist/data"
)

// dispositionName returns the filename a browser saves a response under
// (filename*, else filename) and the disposition type.
func dispositionName(t *testing.T, h http.Header) (kind, name string) {
	t.Helper()
	cd := h.Get("Content-Disposition")
	kind, params, err := mime.ParseMediaType(cd)
	if err != nil {
		t.Fatalf("Content-Disposition %q: %v", cd, err)
	}
	// The ASCII fallback must agree with the UTF-8 name for ASCII names.
	if i := strings.Index(cd, `filename="`); i >= 0 {
		ascii := cd[i+len(`filename="`):]
		ascii = ascii[:strings.IndexByte(ascii, '"')]
		if !strings.HasSuffix(ascii, params["filename"][strings.LastIndexByte(params["filename"], '.'):]) {
			t.Fatalf("ASCII filename %q and UTF-8 filename %q differ in extension", ascii, params["filename"])
		}
	}
	return kind, params["filename"]
}

// TestDownloadNameFollowsSniffedType: whatever name a file was uploaded
// under, every download of it (the API's, the public file URL's, the admin
// UI's) is named with the extension of the type its bytes are.
func TestDownloadNameFollowsSniffedType(t *testing.T) {
	e := newTestEnv(t)
	e.createUser(t, testOwnerEmail, data.RoleOwner)
	tok := e.token(t, 0)
	owner := e.client()
	owner.login(t, testOwnerEmail, testOwnerPassword)

	for _, tc := range []struct {
		upload, want string
		body         []byte
		inlineFile   bool // the public URL shows it inline (images)
	}{
		{"x.html", "x.jpg", readFile(t, goImageTestdata("video-001.jpeg")), true},
		{"logo.svg", "logo.png", readFile(t, goImageTestdata("video-001.png")), true},
		{"Summer.2024", "Summer.2024.gif", readFile(t, goImageTestdata("video-001.gif")), true},
		{"report.html", "report.pdf", minimalPDF(), false},
		{"IMG_0001.JPEG", "IMG_0001.JPEG", readFile(t, goImageTestdata("video-001.q50.420.jpeg")), true},
	} {
		t.Run(tc.upload, func(t *testing.T) {
			m := e.uploadOK(t, tok, tc.upload, tc.body)
			if m["filename"] != tc.upload {
				t.Fatalf("display name %v, want it kept as %q", m["filename"], tc.upload)
			}
			id := idOf(m)

			r := e.do(t, "GET", fmt.Sprintf("/api/media/%d/download", id), tok, nil, "")
			if kind, name := dispositionName(t, r.Header); r.Status != 200 || kind != "attachment" || name != tc.want {
				t.Fatalf("API download: %d %s %q, want attachment %q", r.Status, kind, name, tc.want)
			}

			u, err := url.Parse(m["url"].(string))
			if err != nil {
				t.Fatal(err)
			}
			r = e.do(t, "GET", u.Path, "", nil, "")
			kind, name := dispositionName(t, r.Header)
			wantKind := "attachment"
			if tc.inlineFile {
				wantKind = "inline"
			}
			if r.Status != 200 || kind != wantKind || name != tc.want {
				t.Fatalf("public file %s: %d %s %q, want %s %q", u.Path, r.Status, kind, name, wantKind, tc.want)
			}

			st, _ := owner.get(t, fmt.Sprintf("/media/%d/download", id))
			if kind, name := dispositionName(t, owner.header); st != 200 || kind != "attachment" || name != tc.want {
				t.Fatalf("UI download: %d %s %q, want attachment %q", st, kind, name, tc.want)
			}
		})
	}
}
