package main

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"strings"
	"testing"

	"gallerist/data"
)

// pngWithSize builds a structurally valid PNG whose IHDR claims w×h (the pixel
// data is a stub: nothing may decode it before rejecting it by its header).
func pngWithSize(w, h uint32) []byte {
	var b bytes.Buffer
	b.WriteString("\x89PNG\r\n\x1a\n")
	chunk := func(typ string, body []byte) {
		binary.Write(&b, binary.BigEndian, uint32(len(body)))
		b.WriteString(typ)
		b.Write(body)
		c := crc32.NewIEEE()
		c.Write([]byte(typ))
		c.Write(body)
		binary.Write(&b, binary.BigEndian, c.Sum32())
	}
	ihdr := make([]byte, 13)
	binary.BigEndian.PutUint32(ihdr[0:], w)
	binary.BigEndian.PutUint32(ihdr[4:], h)
	ihdr[8], ihdr[9] = 8, 2
	chunk("IHDR", ihdr)
	chunk("IDAT", []byte{0x78, 0x9c, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01})
	chunk("IEND", nil)
	return b.Bytes()
}

// TestHostileUploads sends inputs that must be refused. Each gets its documented
// status and code, and afterwards the database, the blob folder and the temp
// folder are exactly as before.
func TestHostileUploads(t *testing.T) {
	e := newTestEnv(t, func(c *config) { c.limits.KindBytes[data.KindImage] = 256 << 10 })
	tok := e.token(t, 0)
	jpg := readFile(t, goImageTestdata("video-001.jpeg"))
	e.uploadOK(t, tok, "seed.jpg", readFile(t, goImageTestdata("video-001.png"))) // a non-empty library to compare against

	overLimit := append(pngWithSize(100, 100)[:33], bytes.Repeat([]byte{0}, 256<<10)...)
	html := []byte("<!DOCTYPE html><html><body><script>alert(1)</script></body></html>")
	svg := []byte(`<svg xmlns="http://www.w3.org/2000/svg"><script>alert(document.domain)</script></svg>`)
	svgProlog := []byte("\xef\xbb\xbf<?xml version=\"1.0\"?>\n<!-- logo -->\n<svg xmlns=\"http://www.w3.org/2000/svg\" onload=\"alert(1)\"/>")
	elf := append([]byte("\x7fELF\x02\x01\x01\x00"), make([]byte, 200)...)
	pe := append([]byte("MZ\x90\x00\x03\x00\x00\x00"), make([]byte, 200)...)
	zipFile := []byte("PK\x05\x06" + strings.Repeat("\x00", 18))
	gz := []byte("\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03\x03\x00\x00\x00\x00\x00\x00\x00\x00\x00")
	heic := append([]byte("\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic"), make([]byte, 100)...)
	tiff := append([]byte("II*\x00\x08\x00\x00\x00"), make([]byte, 100)...)
	bmp := append([]byte("BM"), make([]byte, 100)...)
	wav := append([]byte("RIFF\x24\x00\x00\x00WAVEfmt "), make([]byte, 100)...)
	fakeMP3 := append([]byte{0xFF, 0xFB, 0x90, 0x00}, bytes.Repeat([]byte{0x11}, 3000)...)
	eleven := make([]upFile, 11)
	for i := range eleven {
		eleven[i] = upFile{name: fmt.Sprintf("f%d.png", i), body: realPNG(t, 4+i, 4)}
	}
	truncatedGIF := readFile(t, goImageTestdata("video-001.gif"))
	truncatedGIF = truncatedGIF[:len(truncatedGIF)/2]

	multi := func(files []upFile, fields map[string]string) func() *resp {
		return func() *resp {
			body, ct := multipartBody(t, files, fields)
			return e.do(t, "POST", "/api/media", tok, body, ct)
		}
	}
	one := func(name string, b []byte) func() *resp { return multi([]upFile{{name: name, body: b}}, nil) }
	jsonBody := func(s string) func() *resp {
		return func() *resp { return e.do(t, "POST", "/api/media", tok, strings.NewReader(s), "application/json") }
	}
	b64 := base64.StdEncoding.EncodeToString

	cases := []struct {
		name   string
		send   func() *resp
		status int
		code   string
	}{
		{"HTML named .jpg", one("photo.jpg", html), 415, data.ECUnsupportedType},
		{"SVG with script", one("logo.svg", svg), 415, data.ECUnsupportedType},
		{"SVG with BOM, prolog and comment named .png", one("logo.png", svgProlog), 415, data.ECUnsupportedType},
		{"zero bytes", one("empty.jpg", nil), 422, data.ECEmptyFile},
		{"image limit+1 bytes", one("big.png", overLimit), 413, data.ECTooLarge},
		{"PNG claiming 65535x65535", one("huge.png", pngWithSize(65535, 65535)), 422, data.ECTooManyPixels},
		{"PNG with a side over 16384", one("wide.png", pngWithSize(20000, 10)), 422, data.ECTooManyPixels},
		{"PNG over 50 megapixels", one("mp.png", pngWithSize(8000, 7000)), 422, data.ECTooManyPixels},
		{"truncated progressive JPEG", one("t.jpg", readFile(t, goImageTestdata("video-001.progressive.truncated.jpeg"))), 422, data.ECCorruptFile},
		{"PNG cut in half", one("t.png", realPNG(t, 64, 64)[:150]), 422, data.ECCorruptFile},
		{"truncated GIF", one("t.gif", truncatedGIF), 422, data.ECCorruptFile},
		{"JPEG cut in half", one("half.jpg", jpg[:len(jpg)/2]), 422, data.ECCorruptFile},
		{"ELF executable named .pdf", one("manual.pdf", elf), 415, data.ECUnsupportedType},
		{"Windows executable", one("setup.exe", pe), 415, data.ECUnsupportedType},
		{"plain ZIP named .docx", one("doc.docx", zipFile), 415, data.ECUnsupportedType},
		{"gzip", one("a.gz", gz), 415, data.ECUnsupportedType},
		{"HEIC photo", one("front.heic", heic), 415, data.ECUnsupportedType},
		{"TIFF", one("scan.tif", tiff), 415, data.ECUnsupportedType},
		{"BMP", one("x.bmp", bmp), 415, data.ECUnsupportedType},
		{"WAV", one("a.wav", wav), 415, data.ECUnsupportedType},
		{"plain text named .pdf", one("notes.pdf", []byte("just some notes\nnothing else\n")), 415, data.ECUnsupportedType},
		{"JSON named .png", one("data.png", []byte(`{"a": [1, 2, 3]}`)), 415, data.ECUnsupportedType},
		{"shell script named .mp3", one("run.mp3", []byte("#!/bin/sh\nrm -rf /\n")), 415, data.ECUnsupportedType},
		{"random bytes with an MP3 sync word", one("song.mp3", fakeMP3), 415, data.ECUnsupportedType},
		{"11 files", multi(eleven, nil), 400, data.ECTooManyFiles},
		{"good file then a bad one (all or nothing)", multi([]upFile{{name: "ok.jpg", body: jpg}, {name: "bad.jpg", body: html}}, nil), 415, data.ECUnsupportedType},
		{"good file then an empty one", multi([]upFile{{name: "ok.jpg", body: jpg}, {name: "e.jpg"}}, nil), 422, data.ECEmptyFile},
		{"alt too long", multi([]upFile{{name: "ok.jpg", body: jpg}}, map[string]string{"alt": strings.Repeat("a", 1001)}), 422, data.ECInvalidField},
		{"unknown multipart field", multi([]upFile{{name: "ok.jpg", body: jpg}}, map[string]string{"colour": "red"}), 422, data.ECUnknownField},
		{"no file part", multi(nil, map[string]string{"alt": "x"}), 400, data.ECMissingFile},
		{"multipart without boundary", func() *resp {
			return e.do(t, "POST", "/api/media", tok, strings.NewReader("--x\r\n"), "multipart/form-data")
		}, 400, data.ECBadRequest},
		{"multipart cut off mid-file", func() *resp {
			body, ct := multipartBody(t, []upFile{{name: "ok.jpg", body: jpg}}, nil)
			b, _ := io.ReadAll(body)
			return e.do(t, "POST", "/api/media", tok, bytes.NewReader(b[:len(b)-200]), ct)
		}, 400, data.ECBadRequest},
		{"text/plain body", func() *resp {
			return e.do(t, "POST", "/api/media", tok, bytes.NewReader(jpg), "text/plain")
		}, 415, data.ECUnsupportedContent},
		{"bad base64", jsonBody(`{"filename": "a.png", "attachment": "!!!not base64!!!"}`), 400, data.ECInvalidBase64},
		{"base64 of HTML", jsonBody(fmt.Sprintf(`{"filename": "a.png", "attachment": %q}`, b64(html))), 415, data.ECUnsupportedType},
		{"unknown JSON field", jsonBody(fmt.Sprintf(`{"filename": "a.png", "attachment": %q, "owner": "me"}`, b64(jpg))), 422, data.ECUnknownField},
		{"malformed JSON", jsonBody(`{"filename": "a.png", "attachment": `), 400, data.ECInvalidJSON},
		{"JSON array", jsonBody(`["a"]`), 400, data.ECInvalidJSON},
		{"duplicate JSON key", jsonBody(fmt.Sprintf(`{"attachment": %q, "attachment": %q}`, b64(jpg), b64(jpg))), 400, data.ECInvalidJSON},
		{"trailing garbage after JSON", jsonBody(fmt.Sprintf(`{"filename": "a.jpg", "attachment": %q} {}`, b64(jpg))), 400, data.ECInvalidJSON},
		{"JSON without attachment", jsonBody(`{"filename": "a.png"}`), 400, data.ECMissingFile},
		{"attachment of the wrong type", jsonBody(`{"filename": "a.png", "attachment": 12}`), 400, data.ECMissingFile},
		{"no token", func() *resp {
			body, ct := multipartBody(t, []upFile{{name: "ok.jpg", body: jpg}}, nil)
			return e.do(t, "POST", "/api/media", "", body, ct)
		}, 401, data.ECUnauthorized},
		{"token without media:create", func() *resp {
			body, ct := multipartBody(t, []upFile{{name: "ok.jpg", body: jpg}}, nil)
			return e.do(t, "POST", "/api/media", e.token(t, 0, data.ScopeMediaRead), body, ct)
		}, 403, data.ECMissingScope},
	}
	if len(cases) < 30 {
		t.Fatalf("only %d hostile cases", len(cases))
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			before := e.snapshot(t)
			r := tc.send()
			if r.Status != tc.status || r.errCode(t) != tc.code {
				t.Fatalf("got %d %s, want %d %s", r.Status, r.Body, tc.status, tc.code)
			}
			if msg := r.json(t)["error"].(map[string]any)["message"].(string); len(msg) < 10 {
				t.Errorf("message too terse: %q", msg)
			}
			if after := e.snapshot(t); after != before {
				t.Fatalf("state changed:\nbefore:\n%s\nafter:\n%s", before, after)
			}
			if left, _ := os.ReadDir(e.app.staging.Dir()); len(left) != 0 {
				t.Fatalf("temp files left behind: %v", left)
			}
		})
	}
}

// TestUploadFilenames checks names are sanitised, never trusted.
func TestUploadFilenames(t *testing.T) {
	e := newTestEnv(t)
	tok := e.token(t, 0)
	png := realPNG(t, 8, 8)
	cases := map[string]string{
		"../../etc/passwd":                "passwd",
		`..\..\windows\win.ini`:           "win.ini",
		"evil\x00name\x1b[31m.png":        "evilname[31m.png",
		"invoice\u202egnp.exe":            "invoicegnp.exe",
		"  spaced out .png  ":             "spaced out .png",
		strings.Repeat("é", 200) + ".png": strings.Repeat("é", 125) + ".png",
		"":                                "untitled.png",
		"...":                             "untitled.png",
	}
	for in, want := range cases {
		// JSON carries any character (multipart headers refuse control bytes outright).
		body, _ := json.Marshal(map[string]string{"filename": in, "attachment": base64.StdEncoding.EncodeToString(png)})
		r := e.sendJSON(t, "POST", "/api/media", tok, body)
		if r.Status != 201 {
			t.Fatalf("upload %q: %d %s", in, r.Status, r.Body)
		}
		got := r.json(t)["media"].([]any)[0].(map[string]any)["filename"].(string)
		if got != want {
			t.Errorf("filename %q stored as %q, want %q", in, got, want)
		}
		if len(got) > 255 {
			t.Errorf("filename longer than 255 bytes: %d", len(got))
		}
	}
	if got := e.uploadOK(t, tok, "../../etc/passwd", png)["filename"]; got != "passwd" {
		t.Errorf("multipart path traversal stored as %q", got)
	}
	// The bytes decide the type, not the name.
	m := e.uploadOK(t, tok, "photo.jpg", png)
	if m["mime_type"] != "image/png" || !strings.HasSuffix(m["url"].(string), ".png") {
		t.Fatalf("type from name, not bytes: %v", m)
	}
}
