package main

import (
	"archive/zip"
	"bytes"
	"image"
	_ "image/gif"
	_ "image/jpeg"
	_ "image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"gallerist/data"

	_ "golang.org/x/image/webp"
)

// TestUploadGoImageTestdata sends every file of Go's image/testdata through the
// API: valid images are stored with the right kind, type and dimensions (as
// image.DecodeConfig reads them); what we reject, we reject with a clear error.
func TestUploadGoImageTestdata(t *testing.T) {
	e := newTestEnv(t)
	tok := e.token(t, 0)
	dir := filepath.Join(goroot(), "src", "image", "testdata")
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	accepted, rejected := 0, 0
	for _, ent := range entries {
		b := readFile(t, filepath.Join(dir, ent.Name()))
		t.Run(ent.Name(), func(t *testing.T) {
			r := e.upload(t, tok, upFile{name: ent.Name(), body: b})
			if r.Status != 201 {
				rejected++
				code := r.errCode(t)
				msg := r.json(t)["error"].(map[string]any)["message"].(string)
				if (code != data.ECCorruptFile && code != data.ECUnsupportedType) || !strings.Contains(msg, ent.Name()) {
					t.Fatalf("rejected without a clear error: %d %s", r.Status, r.Body)
				}
				t.Logf("rejected: %s", msg)
				if !strings.Contains(ent.Name(), "truncated") {
					t.Errorf("a valid test image was rejected")
				}
				return
			}
			accepted++
			m := r.json(t)["media"].([]any)[0].(map[string]any)
			cfg, format, err := image.DecodeConfig(bytes.NewReader(b))
			if err != nil {
				t.Fatalf("accepted a file the standard library cannot read: %v", err)
			}
			if m["kind"] != "image" || m["mime_type"] != "image/"+format || m["width"] != float64(cfg.Width) || m["height"] != float64(cfg.Height) {
				t.Fatalf("stored as %v %v %vx%v, want image/%s %dx%d", m["kind"], m["mime_type"], m["width"], m["height"], format, cfg.Width, cfg.Height)
			}
		})
	}
	t.Logf("%d accepted, %d rejected", accepted, rejected)
}

// TestUploadEveryKind: real files of each accepted type get the right kind,
// type and facts.
func TestUploadEveryKind(t *testing.T) {
	e := newTestEnv(t)
	tok := e.token(t, 0)
	docx := officeZip(t, "word/document.xml", "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml")
	xlsx := officeZip(t, "xl/workbook.xml", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml")
	cases := []struct {
		name, kind, mime string
		body             []byte
		width            float64
		duration         float64
	}{
		{"blue.webp", "image", "image/webp", xImageTestdata(t, "blue-purple-pink.lossless.webp"), 0, 0},
		{"manual.pdf", "document", "application/pdf", minimalPDF(), 0, 0},
		{"spec.docx", "document", "application/vnd.openxmlformats-officedocument.wordprocessingml.document", docx, 0, 0},
		{"prices.xlsx", "document", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", xlsx, 0, 0},
		{"clip.mp4", "video", "video/mp4", append(mp4Header(640, 360, 2500, 16), make([]byte, 16)...), 640, 2500},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			m := e.uploadOK(t, tok, tc.name, tc.body)
			if m["kind"] != tc.kind || m["mime_type"] != tc.mime {
				t.Fatalf("got %v %v", m["kind"], m["mime_type"])
			}
			if tc.width != 0 && m["width"] != tc.width {
				t.Fatalf("width %v", m["width"])
			}
			if tc.duration != 0 && m["duration_ms"] != tc.duration {
				t.Fatalf("duration %v", m["duration_ms"])
			}
			if tc.kind != "image" {
				url := strings.TrimPrefix(m["url"].(string), "http://example.com")
				r := e.do(t, "GET", url, "", nil, "")
				if !strings.HasPrefix(r.Header.Get("Content-Disposition"), "attachment") {
					t.Fatalf("non-image served inline: %v", r.Header)
				}
			}
		})
	}
	// Kind filter sees each kind.
	for kind, want := range map[string]float64{"image": 1, "document": 3, "video": 1, "audio": 0} {
		if got := e.getJSON(t, "/api/media?kind="+kind, tok).json(t)["total"]; got != want {
			t.Errorf("kind=%s total %v, want %v", kind, got, want)
		}
	}
}

// officeZip builds a minimal Office Open XML package.
func officeZip(t *testing.T, main, ctype string) []byte {
	t.Helper()
	var b bytes.Buffer
	z := zip.NewWriter(&b)
	w, _ := z.Create("[Content_Types].xml")
	w.Write([]byte(`<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">` +
		`<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>` +
		`<Default Extension="xml" ContentType="application/xml"/>` +
		`<Override PartName="/` + main + `" ContentType="` + ctype + `"/></Types>`))
	w, _ = z.Create("_rels/.rels")
	w.Write([]byte(`<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"/>`))
	w, _ = z.Create(main)
	w.Write([]byte(`<?xml version="1.0"?><root/>`))
	z.Close()
	return b.Bytes()
}
