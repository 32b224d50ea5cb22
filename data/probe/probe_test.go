package probe

import (
	"bytes"
	"encoding/binary"
	"errors"
	"image"
	_ "image/gif"
	_ "image/jpeg"
	"image/png"
	"io"
	"math"
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"golang.org/x/image/webp"
)

// probeBytes runs the upload pipeline on b: Sniff the head, then Inspect.
func probeBytes(b []byte) (Type, Info, error) {
	t := Sniff(b[:min(len(b), HeadSize)])
	info, err := Inspect(bytes.NewReader(b), int64(len(b)), t)
	return t, info, err
}

func goEnv(t *testing.T, key string) string {
	t.Helper()
	out, err := exec.Command("go", "env", key).Output()
	if err == nil && strings.TrimSpace(string(out)) != "" {
		return strings.TrimSpace(string(out))
	}
	return ""
}

// TestGoImageTestdata checks every file of $GOROOT/src/image/testdata: the
// sizes must equal image.DecodeConfig's, and the one file whose scans are
// cut short must be rejected.
func TestGoImageTestdata(t *testing.T) {
	dir := filepath.Join(goEnv(t, "GOROOT"), "src", "image", "testdata")
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Skipf("no image testdata: %v", err)
	}
	// video-001.progressive.truncated.jpeg ends with EOI, but its progressive
	// scan script stops early (DC never refined, most AC bands missing).
	// video-001.progressive.truncated.png despite its name is a complete PNG
	// (the rendering of that truncated JPEG), so it is accepted.
	rejected := map[string]string{
		"video-001.progressive.truncated.jpeg": "truncated",
	}
	var accepted, rejectedSeen []string
	for _, e := range entries {
		name := e.Name()
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		typ, info, err := probeBytes(b)
		if !typ.Accepted || typ.Kind != "image" {
			t.Errorf("%s: sniffed %+v", name, typ)
			continue
		}
		wantExt := strings.TrimPrefix(filepath.Ext(name), ".")
		if wantExt == "jpeg" {
			wantExt = "jpg"
		}
		if typ.Ext != wantExt {
			t.Errorf("%s: Ext %q", name, typ.Ext)
		}
		if why, ok := rejected[name]; ok {
			var pe *Error
			if !errors.As(err, &pe) || !strings.Contains(pe.Reason, why) {
				t.Errorf("%s: want *Error containing %q, got %v", name, why, err)
			}
			rejectedSeen = append(rejectedSeen, name)
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		cfg, _, err := image.DecodeConfig(bytes.NewReader(b))
		if err != nil {
			t.Fatalf("%s: DecodeConfig: %v", name, err)
		}
		if info.Width != cfg.Width || info.Height != cfg.Height || info.Orientation != 1 {
			t.Errorf("%s: got %dx%d orientation %d, DecodeConfig says %dx%d", name, info.Width, info.Height, info.Orientation, cfg.Width, cfg.Height)
		}
		if typ.Ext == "gif" && info.Frames < 1 {
			t.Errorf("%s: frames %d", name, info.Frames)
		}
		// Cutting the file anywhere must be noticed.
		for _, n := range []int{len(b) - 1, len(b) - 2, len(b) * 3 / 4, len(b) / 2, 100} {
			if _, _, err := probeBytes(b[:n]); !isContentErr(err) {
				t.Errorf("%s cut to %d bytes: want *Error, got %v", name, n, err)
			}
		}
		accepted = append(accepted, name)
	}
	t.Logf("accepted %d: %s", len(accepted), strings.Join(accepted, " "))
	t.Logf("rejected %d: %s", len(rejectedSeen), strings.Join(rejectedSeen, " "))
	if len(rejectedSeen) != len(rejected) {
		t.Errorf("expected rejections not all seen: %v", rejectedSeen)
	}
}

// TestWebPTestdata checks x/image's WebP files against webp.DecodeConfig.
func TestWebPTestdata(t *testing.T) {
	// The version go.mod requires, wherever the module cache is.
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", "golang.org/x/image").Output()
	if err != nil {
		t.Fatalf("go list -m golang.org/x/image: %v", err)
	}
	files, _ := filepath.Glob(filepath.Join(strings.TrimSpace(string(out)), "testdata", "*.webp"))
	if len(files) == 0 {
		t.Fatal("x/image has no WebP testdata: the module download is incomplete")
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		typ, info, err := probeBytes(b)
		if typ != typeWebP || err != nil {
			t.Errorf("%s: %+v %v", filepath.Base(f), typ, err)
			continue
		}
		cfg, err := webp.DecodeConfig(bytes.NewReader(b))
		if err != nil {
			t.Fatalf("%s: DecodeConfig: %v", f, err)
		}
		if info.Width != cfg.Width || info.Height != cfg.Height || info.Frames != 1 {
			t.Errorf("%s: got %dx%d (%d frames), DecodeConfig says %dx%d", filepath.Base(f), info.Width, info.Height, info.Frames, cfg.Width, cfg.Height)
		}
		// Every truncation must be noticed.
		for _, cut := range []int{1, len(b) / 2} {
			if _, _, err := probeBytes(b[:len(b)-cut]); !isContentErr(err) {
				t.Errorf("%s cut by %d: want *Error, got %v", filepath.Base(f), cut, err)
			}
		}
	}
	t.Logf("checked %d WebP files", len(files))
}

// TestPDFs checks the PDFs installed under /usr/share/doc and a minimal one.
func TestPDFs(t *testing.T) {
	files, _ := filepath.Glob("/usr/share/doc/*/*.pdf")
	more, _ := filepath.Glob("/usr/share/doc/*/*/*.pdf")
	files = append(files, more...)
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		typ, _, err := probeBytes(b)
		if typ != typePDF || err != nil {
			t.Errorf("%s: %+v %v", f, typ, err)
		}
		if _, _, err := probeBytes(b[:len(b)/2]); !isContentErr(err) {
			t.Errorf("%s cut in half: want *Error, got %v", f, err)
		}
	}
	t.Logf("checked %d installed PDFs", len(files))
	typ, _, err := probeBytes(minimalPDF())
	if typ != typePDF || err != nil {
		t.Errorf("minimal PDF: %+v %v", typ, err)
	}
}

func isContentErr(err error) bool {
	var pe *Error
	return errors.As(err, &pe)
}

// TestSniff checks the verdict on the first bytes alone.
func TestSniff(t *testing.T) {
	svgDoc := `<?xml version="1.0" encoding="UTF-8" standalone="no"?>
<!-- Created with Inkscape -->
<!DOCTYPE svg PUBLIC "-//W3C//DTD SVG 1.1//EN" "http://www.w3.org/Graphics/SVG/1.1/DTD/svg11.dtd" [
  <!ENTITY ns "http://www.w3.org/2000/svg">
]>
<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><script>alert(1)</script></svg>`
	utf16le := func(s string) []byte {
		b := []byte{0xff, 0xfe}
		for _, r := range s {
			b = append(b, byte(r), 0)
		}
		return b
	}
	longComment := "<!--" + strings.Repeat("x", 5000) + "--><svg/>"
	hugeComment := "<!--" + strings.Repeat("x", 9000) + "--><svg/>"
	pe := make([]byte, 256)
	copy(pe, "MZ")
	binary.LittleEndian.PutUint32(pe[0x3c:], 0x80)
	copy(pe[0x80:], "PE\x00\x00")
	random := make([]byte, 4096)
	rand.New(rand.NewSource(1)).Read(random)
	random[0] = 0x42 // not a signature

	tests := []struct {
		name     string
		head     []byte
		mime     string
		label    string
		accepted bool
	}{
		{"empty", nil, "application/x-empty", "empty file", false},
		{"jpeg", []byte("\xff\xd8\xff\xe0\x00\x10JFIF"), "image/jpeg", "JPEG image", true},
		{"png", []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\x0dIHDR"), "image/png", "PNG image", true},
		{"gif87", []byte("GIF87a\x01\x00\x01\x00"), "image/gif", "GIF image", true},
		{"gif89", []byte("GIF89a\x01\x00\x01\x00"), "image/gif", "GIF image", true},
		{"webp", []byte("RIFF\x00\x01\x00\x00WEBPVP8L"), "image/webp", "WebP image", true},
		{"pdf", []byte("%PDF-1.7\n"), "application/pdf", "PDF document", true},
		{"zip provisional", []byte("PK\x03\x04\x14\x00"), "application/zip", "ZIP archive", true},
		{"empty zip", []byte("PK\x05\x06" + strings.Repeat("\x00", 18)), "application/zip", "ZIP archive", false},
		{"cfb provisional", []byte(cfbMagic + "\x00\x00"), "application/x-ole-storage", "Office document", true},
		{"mp4", ftyp("isom", "isom", "avc1", "mp41"), "video/mp4", "MP4 video", true},
		{"mp4 mp42", ftyp("mp42", "mp42", "isom"), "video/mp4", "MP4 video", true},
		{"mov", ftyp("qt  ", "qt  "), "video/quicktime", "QuickTime video", true},
		{"mov no ftyp", cat(mbox("wide"), []byte("\x00\x00\x10\x00mdat")), "video/quicktime", "QuickTime video", true},
		{"m4a", ftyp("M4A ", "M4A ", "mp42", "isom"), "audio/mp4", "MP4 audio", true},
		{"3gp with isom", ftyp("3gp5", "3gp5", "isom"), "video/mp4", "MP4 video", true},
		{"3gp only", ftyp("3gp4", "3gp4"), "video/3gpp", "3GPP video", false},
		{"heic", ftyp("heic", "mif1", "heic"), "image/heic", "HEIC photo", false},
		{"heif mif1", ftyp("mif1", "mif1", "heic"), "image/heic", "HEIC photo", false},
		{"heif msf1", ftyp("msf1", "msf1", "hevc"), "image/heic", "HEIC photo", false},
		{"heix", ftyp("heix", "mif1"), "image/heic", "HEIC photo", false},
		{"hevc", ftyp("hevc", "msf1"), "image/heic", "HEIC photo", false},
		{"avif", ftyp("avif", "avif", "mif1", "miaf"), "image/avif", "AVIF image", false},
		{"avif via mif1", ftyp("mif1", "avif", "mif1", "miaf"), "image/avif", "AVIF image", false},
		{"avis", ftyp("avis", "avis", "msf1"), "image/avif", "AVIF image", false},
		{"cr3", ftyp("crx ", "crx "), "image/x-canon-cr3", "camera RAW photo", false},
		{"webm", ebmlHeaderEl("webm"), "video/webm", "WebM video", true},
		{"matroska", ebmlHeaderEl("matroska"), "video/x-matroska", "Matroska video", false},
		{"mp3 id3", id3Tag(100), "audio/mpeg", "MP3 audio", true},
		{"mp3 frames", mp3Frames(5), "audio/mpeg", "MP3 audio", true},
		{"mp3 after zero padding", cat(make([]byte, 100), mp3Frames(5)), "audio/mpeg", "MP3 audio", true},
		{"one mp3 frame header in junk", cat(mp3Header, random[:1000]), "application/octet-stream", "unknown binary data", false},

		{"svg", []byte(`<svg xmlns="http://www.w3.org/2000/svg"/>`), "image/svg+xml", "SVG image", false},
		{"svg prolog", []byte(svgDoc), "image/svg+xml", "SVG image", false},
		{"svg bom whitespace", []byte("\xef\xbb\xbf \r\n\t<svg>"), "image/svg+xml", "SVG image", false},
		{"svg utf16", utf16le(svgDoc), "image/svg+xml", "SVG image", false},
		{"svg prefixed", []byte(`<?xml version="1.0"?><svg:svg xmlns:svg="http://www.w3.org/2000/svg"/>`), "image/svg+xml", "SVG image", false},
		{"svg upper", []byte(`<SVG>`), "image/svg+xml", "SVG image", false},
		{"svg after long comment", []byte(longComment), "image/svg+xml", "SVG image", false},
		{"comment longer than the head", []byte(hugeComment), "text/html", "HTML document", false},
		{"html doctype", []byte("<!DOCTYPE html><p>x"), "text/html", "HTML document", false},
		{"html lower doctype", []byte("\n\n  <!doctype HTML>"), "text/html", "HTML document", false},
		{"html tag", []byte("  <HTML><body>"), "text/html", "HTML document", false},
		{"head", []byte("<head><title>x"), "text/html", "HTML document", false},
		{"body", []byte("<BODY onload=x()>"), "text/html", "HTML document", false},
		{"script", []byte("<script>alert(1)</script>"), "text/html", "HTML document", false},
		{"iframe", []byte("<iframe src=x>"), "text/html", "HTML document", false},
		{"comment then p", []byte("<!-- hi --><p>x"), "text/html", "HTML document", false},
		{"bare comment", []byte("<!-- hi -->"), "text/html", "HTML document", false},
		{"html bom", []byte("\xef\xbb\xbf<html>"), "text/html", "HTML document", false},
		{"xhtml", []byte(`<?xml version="1.0"?><!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Strict//EN" "x"><html xmlns="http://www.w3.org/1999/xhtml">`), "text/html", "HTML document", false},
		{"xhtml no doctype", []byte(`<?xml version="1.0"?><html xmlns="http://www.w3.org/1999/xhtml">`), "text/html", "HTML document", false},
		{"xml", []byte(`<?xml version="1.0"?><rss version="2.0"><channel/></rss>`), "application/xml", "XML document", false},
		{"json object", []byte(`  {"a": 1}`), "application/json", "JSON data", false},
		{"json array", []byte(`[1, 2, 3]`), "application/json", "JSON data", false},
		{"text", []byte("Hello, world.\nSecond line.\n"), "text/plain", "plain text", false},
		{"text latin1", []byte("caf\xe9 cr\xe8me\n"), "text/plain", "plain text", false},
		{"text mentioning svg", []byte("Use an <svg> element"), "text/plain", "plain text", false},
		{"csv", []byte("a,b,c\n1,2,3\n"), "text/plain", "plain text", false},
		{"shell", []byte("#!/bin/sh\nrm -rf /\n"), "text/x-shellscript", "shell script", false},
		{"rtf", []byte(`{\rtf1\ansi hello}`), "application/rtf", "RTF document", false},
		{"postscript", []byte("%!PS-Adobe-3.0\n"), "application/postscript", "PostScript document", false},

		{"tiff le", []byte("II*\x00\x08\x00\x00\x00"), "image/tiff", "TIFF image", false},
		{"tiff be", []byte("MM\x00*\x00\x00\x00\x08"), "image/tiff", "TIFF image", false},
		{"bmp", cat([]byte("BM"), le32(1000), le32(0), le32(54), le32(40), le32(10), le32(10)), "image/bmp", "BMP image", false},
		{"text starting BM", []byte("BMW is a car maker\n"), "text/plain", "plain text", false},
		{"ico", cat([]byte{0, 0, 1, 0, 1, 0, 16, 16, 0, 0, 1, 0, 32, 0}, le32(100), le32(22)), "image/vnd.microsoft.icon", "ICO icon", false},
		{"psd", []byte("8BPS\x00\x01\x00\x00"), "image/vnd.adobe.photoshop", "Photoshop document", false},
		{"jpeg 2000", []byte("\x00\x00\x00\x0cjP  \r\n\x87\n"), "image/jp2", "JPEG 2000 image", false},
		{"gzip", []byte("\x1f\x8b\x08\x00\x00\x00\x00\x00"), "application/gzip", "gzip archive", false},
		{"7z", []byte("7z\xbc\xaf\x27\x1c\x00\x04"), "application/x-7z-compressed", "7z archive", false},
		{"rar", []byte("Rar!\x1a\x07\x01\x00"), "application/vnd.rar", "RAR archive", false},
		{"rar4", []byte("Rar!\x1a\x07\x00"), "application/vnd.rar", "RAR archive", false},
		{"xz", []byte("\xfd7zXZ\x00\x00"), "application/x-xz", "xz archive", false},
		{"bzip2", []byte("BZh91AY&SY"), "application/x-bzip2", "bzip2 archive", false},
		{"tar", cat(make([]byte, 257), []byte("ustar\x0000")), "application/x-tar", "tar archive", false},
		{"elf", []byte("\x7fELF\x02\x01\x01\x00"), "application/x-elf", "Linux executable", false},
		{"pe", pe, "application/vnd.microsoft.portable-executable", "Windows executable", false},
		{"macho", []byte("\xcf\xfa\xed\xfe\x07\x00\x00\x01"), "application/x-mach-binary", "macOS executable", false},
		{"macho fat", []byte("\xca\xfe\xba\xbe\x00\x00\x00\x02"), "application/x-mach-binary", "macOS executable", false},
		{"java class", []byte("\xca\xfe\xba\xbe\x00\x00\x00\x34"), "application/java-vm", "Java class file", false},
		{"wasm", []byte("\x00asm\x01\x00\x00\x00"), "application/wasm", "WebAssembly module", false},
		{"swf", []byte("FWS\x0a\x00\x00\x00\x00"), "application/x-shockwave-flash", "Flash file", false},
		{"swf compressed", []byte("CWS\x0a\x00\x00\x00\x00"), "application/x-shockwave-flash", "Flash file", false},
		{"wav", riff("WAVE", riffChunk("fmt ", make([]byte, 16))), "audio/wav", "WAV audio", false},
		{"avi", riff("AVI ", riffChunk("LIST", make([]byte, 4))), "video/x-msvideo", "AVI video", false},
		{"flac", []byte("fLaC\x00\x00\x00\x22"), "audio/flac", "FLAC audio", false},
		{"ogg", []byte("OggS\x00\x02\x00\x00"), "audio/ogg", "Ogg audio", false},
		{"aiff", []byte("FORM\x00\x00\x00\x00AIFF"), "audio/aiff", "AIFF audio", false},
		{"midi", []byte("MThd\x00\x00\x00\x06"), "audio/midi", "MIDI audio", false},
		{"asf", []byte("\x30\x26\xb2\x75\x8e\x66\xcf\x11\xa6\xd9"), "video/x-ms-asf", "Windows Media file", false},
		{"flv", []byte("FLV\x01\x05"), "video/x-flv", "Flash video", false},
		{"mpeg ps", []byte("\x00\x00\x01\xba\x44"), "video/mpeg", "MPEG video", false},
		{"sqlite", []byte("SQLite format 3\x00"), "application/vnd.sqlite3", "SQLite database", false},
		{"woff2", []byte("wOF2\x00\x01"), "font/woff2", "font file", false},
		{"random", random, "application/octet-stream", "unknown binary data", false},
		{"zeros", make([]byte, 100), "application/octet-stream", "unknown binary data", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Sniff(tt.head)
			if got.MIME != tt.mime || got.Label != tt.label || got.Accepted != tt.accepted {
				t.Errorf("Sniff = %+v, want %s %q accepted=%v", got, tt.mime, tt.label, tt.accepted)
			}
			if !got.Accepted && (got.Kind != "" || got.Ext != "") {
				t.Errorf("rejected type has Kind/Ext: %+v", got)
			}
			if got.Accepted && (got.Kind == "" || got.Ext == "") {
				t.Errorf("accepted type lacks Kind/Ext: %+v", got)
			}
			if !got.Accepted && len(tt.head) > 0 {
				// Inspect refuses what Sniff rejected.
				if _, err := Inspect(bytes.NewReader(tt.head), int64(len(tt.head)), got); !isContentErr(err) {
					t.Errorf("Inspect of a rejected type: %v", err)
				}
			}
		})
	}
}

// TestSniffLongHead checks that bytes beyond HeadSize are ignored.
func TestSniffLongHead(t *testing.T) {
	b := append(bytes.Repeat([]byte("a"), HeadSize), 0)
	if got := Sniff(b); got != typeText {
		t.Errorf("got %+v", got)
	}
}

type inspectCase struct {
	name   string
	data   []byte
	typ    Type   // expected Info.Type
	err    string // substring of the *Error's reason; "" for success
	w, h   int
	dur    int64
	orient int
	frames int
}

func runInspectCases(t *testing.T, cases []inspectCase) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, info, err := probeBytes(c.data)
			if c.err != "" {
				var pe *Error
				if !errors.As(err, &pe) {
					t.Fatalf("want *Error %q, got %v (info %+v)", c.err, err, info)
				}
				if !strings.Contains(pe.Reason, c.err) {
					t.Errorf("reason %q, want it to contain %q", pe.Reason, c.err)
				}
				if c.typ != (Type{}) && info.Type != c.typ {
					t.Errorf("type %+v, want %+v", info.Type, c.typ)
				}
				return
			}
			if err != nil {
				t.Fatalf("unexpected error: %v", err)
			}
			orient := c.orient
			if orient == 0 {
				orient = 1
			}
			if info.Type != c.typ || info.Width != c.w || info.Height != c.h || info.DurationMS != c.dur ||
				info.Orientation != orient || info.Frames != c.frames {
				t.Errorf("got %+v\nwant type %+v %dx%d dur %d orient %d frames %d", info, c.typ, c.w, c.h, c.dur, orient, c.frames)
			}
		})
	}
}

func TestInspectImages(t *testing.T) {
	j := makeJPEG(t, 40, 20)
	sof := bytes.Index(j, []byte{0xff, 0xc0})
	zeroWidth := bytes.Clone(j)
	zeroWidth[sof+7], zeroWidth[sof+8] = 0, 0
	arith := bytes.Clone(j)
	arith[sof+1] = 0xc9
	twelveBit := bytes.Clone(j)
	twelveBit[sof+4] = 12
	badScan := bytes.Clone(j)
	sos := bytes.Index(badScan, []byte{0xff, 0xda})
	badScan[sos+5] = 99 // component selector that the frame does not have

	p := makePNG(t, 33, 17)
	badCRC := bytes.Clone(p)
	badCRC[len(badCRC)-20] ^= 0xff // inside IDAT

	g1 := makeGIF(t, 16, 8, 1)
	g3 := makeGIF(t, 16, 8, 3)

	animWebP := riff("WEBP", vp8xChunk(0x02, 300, 200), riffChunk("ANIM", make([]byte, 6)),
		riffChunk("ANMF", cat(make([]byte, 16), vp8lChunk(300, 200))),
		riffChunk("ANMF", cat(make([]byte, 16), vp8lChunk(300, 200))),
		riffChunk("ANMF", cat(make([]byte, 16), vp8lChunk(300, 200))),
		riffChunk("ANMF", cat(make([]byte, 16), vp8lChunk(300, 200))))
	exifWebP := riff("WEBP", vp8xChunk(0x08, 300, 200), vp8lChunk(300, 200), riffChunk("EXIF", exifTIFF(6, false)))
	vp8 := riff("WEBP", riffChunk("VP8 ", cat([]byte{0x10, 0x02, 0x00, 0x9d, 0x01, 0x2a}, le16(123), le16(45), make([]byte, 20))))
	lyingWebP := riff("WEBP", vp8lChunk(10, 10))
	binary.LittleEndian.PutUint32(lyingWebP[4:], 100000)

	runInspectCases(t, []inspectCase{
		{name: "jpeg", data: j, typ: typeJPEG, w: 40, h: 20},
		{name: "jpeg exif 6 little-endian", data: withExif(j, 6, false), typ: typeJPEG, w: 20, h: 40, orient: 6},
		{name: "jpeg exif 8 big-endian", data: withExif(j, 8, true), typ: typeJPEG, w: 20, h: 40, orient: 8},
		{name: "jpeg exif 3 big-endian", data: withExif(j, 3, true), typ: typeJPEG, w: 40, h: 20, orient: 3},
		{name: "jpeg exif 5", data: withExif(j, 5, false), typ: typeJPEG, w: 20, h: 40, orient: 5},
		{name: "jpeg exif invalid 9", data: withExif(j, 9, false), typ: typeJPEG, w: 40, h: 20},
		{name: "jpeg trailing bytes", data: cat(j, []byte("\x00\x00trailer data after EOI")), typ: typeJPEG, w: 40, h: 20},
		{name: "jpeg truncated", data: j[:len(j)/2], err: "the JPEG file is truncated"},
		{name: "jpeg without EOI", data: j[:len(j)-2], err: "no end-of-image marker"},
		{name: "jpeg only SOI EOI", data: []byte{0xff, 0xd8, 0xff, 0xd9}, err: "no image data"},
		{name: "jpeg zero width", data: zeroWidth, err: "zero width"},
		{name: "jpeg arithmetic", data: arith, err: "arithmetic"},
		{name: "jpeg 12-bit", data: twelveBit, err: "12-bit"},
		{name: "jpeg unknown component", data: badScan, err: "unknown component"},
		{name: "jpeg bad segment length", data: []byte{0xff, 0xd8, 0xff, 0xe0, 0x00, 0x01, 0xff, 0xd9}, err: "invalid segment length"},

		{name: "png", data: p, typ: typePNG, w: 33, h: 17, frames: 1},
		{name: "png huge declared size", data: rawPNG(65535, 65535), typ: typePNG, w: 65535, h: 65535, frames: 1},
		{name: "apng", data: rawPNG(10, 12, pngChunk("acTL", cat(be32(5), be32(0)))), typ: typePNG, w: 10, h: 12, frames: 5},
		{name: "png exif 6", data: rawPNG(30, 10, pngChunk("eXIf", exifTIFF(6, true))), typ: typePNG, w: 10, h: 30, orient: 6, frames: 1},
		{name: "png trailing bytes", data: cat(p, []byte("junk")), typ: typePNG, w: 33, h: 17, frames: 1},
		{name: "png truncated", data: p[:len(p)-12], err: "the PNG file is truncated"},
		{name: "png truncated mid-IDAT", data: p[:len(p)/2], err: "truncated"},
		{name: "png bad crc", data: badCRC, err: "checksum mismatch"},
		{name: "png zero size", data: rawPNG(0, 5), err: "zero width"},
		{name: "png no IHDR", data: cat([]byte("\x89PNG\r\n\x1a\n"), pngChunk("IEND", nil)), err: "not IHDR"},
		{name: "png chunk length overflow", data: cat([]byte("\x89PNG\r\n\x1a\n"), be32(0xffffffff), []byte("IHDR"), make([]byte, 20)), err: "invalid chunk length"},

		{name: "gif", data: g1, typ: typeGIF, w: 16, h: 8, frames: 1},
		{name: "gif animated", data: g3, typ: typeGIF, w: 16, h: 8, frames: 3},
		{name: "gif trailing bytes", data: cat(g1, []byte{0, 0, 0}), typ: typeGIF, w: 16, h: 8, frames: 1},
		{name: "gif without trailer", data: g3[:len(g3)-1], err: "the GIF file is truncated (no trailer)"},
		{name: "gif truncated", data: g3[:len(g3)/2], err: "truncated"},
		{name: "gif header only", data: []byte("GIF89a\x10\x00\x08\x00\x00\x00\x00;"), err: "no image"},

		{name: "webp lossless", data: riff("WEBP", vp8lChunk(100, 50)), typ: typeWebP, w: 100, h: 50, frames: 1},
		{name: "webp lossy", data: vp8, typ: typeWebP, w: 123, h: 45, frames: 1},
		{name: "webp animated", data: animWebP, typ: typeWebP, w: 300, h: 200, frames: 4},
		{name: "webp exif 6", data: exifWebP, typ: typeWebP, w: 200, h: 300, orient: 6, frames: 1},
		{name: "webp riff size beyond file", data: lyingWebP, err: "truncated"},
		{name: "webp vp8x without image", data: riff("WEBP", vp8xChunk(0, 10, 10)), err: "no image"},
		{name: "webp chunk beyond riff", data: riff("WEBP", cat([]byte("VP8L"), le32(1000), []byte{0x2f, 0, 0, 0, 0})), err: "truncated"},
		{name: "webp bad first chunk", data: riff("WEBP", riffChunk("ICCP", make([]byte, 10))), err: "first chunk"},
	})
}

func TestInspectDocuments(t *testing.T) {
	pdf := minimalPDF()
	docx := makeDOCX(t, "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml")
	xlsx := makeXLSX(t, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml")
	docm := makeDOCX(t, "application/vnd.ms-word.document.macroEnabled.main+xml")
	xlsm := makeXLSX(t, "application/vnd.ms-excel.sheet.macroEnabled.main+xml")
	wrongCT := makeDOCX(t, "application/xml")
	plainZIP := makeZIP(t, zipEntry{"hello.txt", "hello"}, zipEntry{"dir/x.bin", "\x00\x01"})
	pptx := makeZIP(t, zipEntry{"[Content_Types].xml", contentTypes("/ppt/presentation.xml", "x")}, zipEntry{"ppt/presentation.xml", "<p/>"})
	epub := makeZIP(t, zipEntry{"mimetype", "application/epub+zip"}, zipEntry{"META-INF/container.xml", "<c/>"})
	odt := makeZIP(t, zipEntry{"mimetype", "application/vnd.oasis.opendocument.text"}, zipEntry{"content.xml", "<c/>"})
	jar := makeZIP(t, zipEntry{"META-INF/MANIFEST.MF", "Manifest-Version: 1.0\n"})
	onlyCT := makeZIP(t, zipEntry{"[Content_Types].xml", contentTypes("/word/document.xml", "x")})
	bombCT := makeZIP(t,
		zipEntry{"[Content_Types].xml", strings.Repeat(" ", 10<<20)},
		zipEntry{"word/document.xml", "<w/>"})
	var many []zipEntry
	for i := range zipMaxEntries + 1 {
		many = append(many, zipEntry{name: "f" + string(rune('a'+i%26)) + strings.Repeat("x", i%7)})
	}
	manyZIP := makeZIP(t, many...)

	bigDoc := makeCFB([]cfbStream{{name: "\x01CompObj", data: make([]byte, 100)}, {name: "WordDocument", data: wordStream(5000)}, {name: "1Table", data: make([]byte, 300)}}, nil)
	smallDoc := makeCFB([]cfbStream{{name: "WordDocument", data: wordStream(700)}, {name: "\x05SummaryInformation", data: make([]byte, 200)}}, nil)
	xls := makeCFB([]cfbStream{{name: "Workbook", data: workbookStream(6000)}}, nil)
	xls95 := makeCFB([]cfbStream{{name: "Book", data: workbookStream(1000)}}, nil)
	ppt := makeCFB([]cfbStream{{name: "PowerPoint Document", data: make([]byte, 5000)}, {name: "Current User", data: make([]byte, 50)}}, nil)
	msg := makeCFB([]cfbStream{{name: "__substg1.0_0037001F", data: make([]byte, 50)}, {name: "__properties_version1.0", data: make([]byte, 50)}}, nil)
	other := makeCFB([]cfbStream{{name: "Contents", data: make([]byte, 50)}}, nil)
	encrypted := makeCFB([]cfbStream{{name: "EncryptionInfo", data: make([]byte, 50)}, {name: "EncryptedPackage", data: make([]byte, 5000)}}, nil)
	msi := makeCFB([]cfbStream{{name: "\u4840\u3b3f", data: make([]byte, 50)}}, []byte("\x84\x10\x0c\x00\x00\x00\x00\x00\xc0\x00\x00\x00\x00\x00\x00\x46"))
	badWord := makeCFB([]cfbStream{{name: "WordDocument", data: make([]byte, 5000)}}, nil)
	loopDir := makeCFB([]cfbStream{{name: "A", data: make([]byte, 10)}, {name: "WordDocument", data: wordStream(100), rightTo: 1}}, nil)
	wordStorage := makeCFB([]cfbStream{{name: "WordDocument", typ: 1}}, nil)
	v4Doc := buildCFB([]cfbStream{{name: "WordDocument", data: wordStream(9000)}, {name: "1Table", data: make([]byte, 100)}}, cfbOptions{shift: 12})
	v4XLS := buildCFB([]cfbStream{{name: "Workbook", data: workbookStream(1000)}}, cfbOptions{shift: 12})
	difatDoc := buildCFB([]cfbStream{{name: "WordDocument", data: wordStream(5000)}, {name: "Data", data: make([]byte, 3000)}}, cfbOptions{fatSectors: 300})
	loopChain := bytes.Clone(bigDoc)
	binary.LittleEndian.PutUint32(loopChain[512+4:], 1) // directory sector 1 points to itself

	runInspectCases(t, []inspectCase{
		{name: "pdf", data: pdf, typ: typePDF},
		{name: "pdf trailing newlines", data: cat(pdf, []byte("\r\n\r\n")), typ: typePDF},
		{name: "pdf truncated", data: pdf[:len(pdf)-10], err: "the PDF file is truncated"},
		{name: "pdf bad version", data: []byte("%PDF-x.y\n%%EOF"), err: "invalid version"},

		{name: "docx", data: docx, typ: typeDOCX},
		{name: "xlsx", data: xlsx, typ: typeXLSX},
		{name: "docx template", data: makeDOCX(t, "application/vnd.openxmlformats-officedocument.wordprocessingml.template.main+xml"), typ: typeDOCX},
		{name: "docm", data: docm, err: "macro-enabled Word document", typ: reject("application/vnd.ms-word.document.macroEnabled.12", "macro-enabled Word document")},
		{name: "xlsm", data: xlsm, err: "macro-enabled Excel workbook"},
		{name: "docx wrong content type", data: wrongCT, err: "content type"},
		{name: "plain zip", data: plainZIP, err: "a ZIP archive", typ: reject("application/zip", "ZIP archive")},
		{name: "pptx", data: pptx, err: "PowerPoint presentation"},
		{name: "epub", data: epub, err: "EPUB book"},
		{name: "odt", data: odt, err: "OpenDocument text"},
		{name: "jar", data: jar, err: "Java archive"},
		{name: "content types only", data: onlyCT, err: "ZIP archive"},
		{name: "content types bomb", data: bombCT, err: "oversized"},
		{name: "too many entries", data: manyZIP, err: "too many entries"},
		{name: "docx truncated", data: docx[:len(docx)-30], err: "ZIP file is"},
		{name: "docx cut in half", data: docx[:len(docx)/2], err: "truncated"},

		{name: "doc", data: bigDoc, typ: typeDOC},
		{name: "doc mini stream", data: smallDoc, typ: typeDOC},
		{name: "xls", data: xls, typ: typeXLS},
		{name: "xls Book", data: xls95, typ: typeXLS},
		{name: "ppt", data: ppt, err: "PowerPoint presentation", typ: reject("application/vnd.ms-powerpoint", "PowerPoint presentation")},
		{name: "msg", data: msg, err: "Outlook message"},
		{name: "other cfb", data: other, err: "Office file that is not a Word or Excel document"},
		{name: "encrypted", data: encrypted, err: "password-protected"},
		{name: "msi", data: msi, err: "Windows Installer package"},
		{name: "doc bad FIB", data: badWord, err: "unexpected header"},
		{name: "doc truncated", data: bigDoc[:len(bigDoc)-1024], err: "truncated"},
		{name: "doc header only", data: bigDoc[:512], err: "truncated"},
		{name: "doc directory loop", data: loopDir, err: "directory tree"},
		{name: "doc directory chain loop", data: loopChain, err: "corrupt"},
		{name: "WordDocument storage", data: wordStorage, err: "not a Word or Excel"},
		{name: "doc version 4", data: v4Doc, typ: typeDOC},
		{name: "xls version 4 mini stream", data: v4XLS, typ: typeXLS},
		{name: "doc with DIFAT sectors", data: difatDoc, typ: typeDOC},
		{name: "doc with DIFAT sectors truncated", data: difatDoc[:len(difatDoc)-3000], err: "truncated"},
	})
}

func TestInspectVideo(t *testing.T) {
	mdat := mbox("mdat", make([]byte, 1000))
	mp4 := cat(ftyp("isom", "isom", "avc1", "mp41"), mbox("moov", mvhd(0, 1000, 10000), videoTrak(1920, 1080, 0), audioTrak()), mdat)
	movEnd := cat(ftyp("qt  ", "qt  "), mbox("wide"), mdat, mbox("moov", mvhd(0, 600, 6000), videoTrak(1920, 1080, 90), audioTrak()))
	v1 := cat(ftyp("mp42", "mp42", "isom"), mbox64("mdat", make([]byte, 100)),
		mbox("moov", mvhd(1, 90000, 90000*65+45000), trak(tkhd(1, 640<<16, 480<<16, rotationMatrix(270)), "vide")))
	toEnd := cat(ftyp("isom", "isom"), mbox("moov", mvhd(0, 1000, 1500), videoTrak(320, 240, 180)), be32(0), []byte("mdat"), make([]byte, 300))
	stsd := cat(ftyp("isom"), mbox("moov", mvhd(0, 1000, 2000), trak(tkhd(0, 0, 0, identityMatrix()), "vide", stsdVisual(352, 288))), mdat)
	negWidth := cat(ftyp("isom"), mbox("moov", mvhd(0, 1000, 2000), trak(tkhd(0, uint32(-(640<<16)&0xffffffff), 360<<16, identityMatrix()), "vide")), mdat)
	audioOnly := cat(ftyp("isom", "isom"), mbox("moov", mvhd(0, 44100, 44100*3), audioTrak()), mdat)
	m4a := cat(ftyp("M4A ", "M4A ", "mp42", "isom"), mbox("moov", mvhd(0, 44100, 44100*200), audioTrak()), mdat)
	qtNoFtyp := cat(mbox("wide"), mdat, mbox("moov", mvhd(0, 600, 1200), videoTrak(640, 480, 0)))
	fragmented := cat(ftyp("iso6", "iso6", "dash"), mbox("moov", mvhd(0, 1000, 0), mbox("mvex", mbox("mehd", be32(0), be32(7000))), videoTrak(1280, 720, 0)),
		mbox("moof", mbox("mfhd", be32(0), be32(1))), mdat)
	noMoov := cat(ftyp("isom", "isom"), mdat)
	noMdat := cat(ftyp("isom", "isom"), mbox("moov", mvhd(0, 1000, 1000), videoTrak(10, 10, 0)))
	zeroScale := cat(ftyp("isom"), mbox("moov", mvhd(0, 0, 1000), videoTrak(10, 10, 0)), mdat)
	movAudio := cat(ftyp("qt  ", "qt  "), mbox("moov", mvhd(0, 600, 600), audioTrak()), mdat)
	noSize := cat(ftyp("isom"), mbox("moov", mvhd(0, 1000, 1000), trak(tkhd(0, 0, 0, identityMatrix()), "vide")), mdat)
	hugeBox := cat(ftyp("isom", "isom"), mbox("moov", mvhd(0, 1000, 1000), videoTrak(10, 10, 0)), be32(1), []byte("mdat"), be64(math.MaxUint64), make([]byte, 64))
	tinyBox := cat(ftyp("isom", "isom"), be32(4), []byte("free"), make([]byte, 64))
	var frees []byte
	for range bmffMaxChildBoxes + 1 {
		frees = append(frees, mbox("free")...)
	}
	manyBoxes := cat(ftyp("isom"), mbox("moov", mvhd(0, 1000, 1000), frees), mdat)
	overrun := cat(ftyp("isom"), mbox("moov", mvhd(0, 1000, 1000), cat(be32(5000), []byte("trak"))), mdat)
	nested := mbox("moov", mvhd(0, 1000, 1000))
	for range 5000 { // deep nesting of unknown boxes is never descended into
		nested = mbox("udta", nested)
	}
	deep := cat(ftyp("isom"), mbox("moov", mvhd(0, 1000, 1000), videoTrak(16, 16, 0), nested), mdat)

	webm := makeWebM(5000, 640, 360)
	liveInfo := el(mkvInfo, elUint(mkvTimecodeScale, 1000000), el(0x4d80, []byte("Chrome")))
	live := cat(ebmlHeaderEl("webm"), elUnknown(mkvSegment, liveInfo, el(mkvTracks, webmTrack(1, 1280, 720)), elUnknown(mkvCluster, elUint(0xe7, 0), el(0xa3, make([]byte, 500)))))
	f32Info := el(mkvInfo, elUint(mkvTimecodeScale, 1000), el(mkvDuration, be32(math.Float32bits(2.5e6))))
	f32 := cat(ebmlHeaderEl("webm"), el(mkvSegment, f32Info, el(mkvTracks, webmTrack(1, 320, 240))))
	audioWebM := cat(ebmlHeaderEl("webm"), el(mkvSegment, el(mkvTracks, webmTrack(2, 0, 0))))
	noTracks := cat(ebmlHeaderEl("webm"), el(mkvSegment, liveInfo))
	badVint := cat(ebmlHeaderEl("webm"), el(mkvSegment, []byte{0x00, 0x00, 0x00}))

	runInspectCases(t, []inspectCase{
		{name: "mp4 moov first", data: mp4, typ: typeMP4, w: 1920, h: 1080, dur: 10000},
		{name: "mov moov at end rotated 90", data: movEnd, typ: typeMOV, w: 1080, h: 1920, dur: 10000},
		{name: "mp4 version 1 boxes, 64-bit mdat, rotated 270", data: v1, typ: typeMP4, w: 480, h: 640, dur: 65500},
		{name: "mp4 mdat to end of file, rotated 180", data: toEnd, typ: typeMP4, w: 320, h: 240, dur: 1500},
		{name: "mp4 size from sample entry", data: stsd, typ: typeMP4, w: 352, h: 288, dur: 2000},
		{name: "mp4 negative width", data: negWidth, typ: typeMP4, w: 640, h: 360, dur: 2000},
		{name: "mp4 audio only becomes m4a", data: audioOnly, typ: typeM4A, dur: 3000},
		{name: "m4a", data: m4a, typ: typeM4A, dur: 200000},
		{name: "quicktime without ftyp", data: qtNoFtyp, typ: typeMOV, w: 640, h: 480, dur: 2000},
		{name: "fragmented mp4", data: fragmented, typ: typeMP4, w: 1280, h: 720, dur: 7000},
		{name: "deeply nested unknown boxes", data: deep, typ: typeMP4, w: 16, h: 16, dur: 1000},
		{name: "mp4 without moov", data: noMoov, err: "no index"},
		{name: "mp4 without mdat", data: noMdat, err: "no media data"},
		{name: "mp4 truncated mdat", data: mp4[:len(mp4)-100], err: "the video file is truncated"},
		{name: "mov truncated moov", data: movEnd[:len(movEnd)-50], err: "truncated"},
		{name: "mp4 zero timescale", data: zeroScale, err: "movie header"},
		{name: "mov audio only", data: movAudio, err: "no video track"},
		{name: "mp4 no frame size", data: noSize, err: "frame size"},
		{name: "mp4 64-bit size overflow", data: hugeBox, err: "truncated"},
		{name: "mp4 box smaller than header", data: tinyBox, err: "invalid box size"},
		{name: "mp4 too many boxes", data: manyBoxes, err: "too many boxes"},
		{name: "mp4 child overruns parent", data: overrun, err: "overruns"},

		{name: "webm", data: webm, typ: typeWebM, w: 640, h: 360, dur: 5000},
		{name: "webm live recording", data: live, typ: typeWebM, w: 1280, h: 720},
		{name: "webm float32 duration", data: f32, typ: typeWebM, w: 320, h: 240, dur: 2500},
		{name: "webm truncated", data: webm[:len(webm)-50], err: "truncated"},
		{name: "webm audio only", data: audioWebM, err: "no video track"},
		{name: "webm no tracks", data: noTracks, err: "no track list"},
		{name: "webm bad vint", data: badVint, err: "invalid element ID"},
	})
}

func TestInspectAudio(t *testing.T) {
	cbr := mp3Frames(100)
	tagged := cat(id3Tag(20000), mp3Frames(100))
	v1 := cat(mp3Frames(100), []byte("TAG"), make([]byte, 125))
	xing := cat(xingFrame(1000), mp3Frames(5))
	xingOnly := xingFrame(1000)
	padded := cat(id3Tag(50), make([]byte, 3000), mp3Frames(10))
	random := make([]byte, 70000)
	rand.New(rand.NewSource(7)).Read(random)
	for i := 0; i < len(random)-1; i++ { // no accidental frame syncs
		if random[i] == 0xff {
			random[i] = 0xfe
		}
	}
	copy(random[1000:], mp3Header) // one isolated frame header
	copy(random[1000+mp3FrameLen:], mp3Header)
	fakeAfterTag := cat(id3Tag(100), random)
	flac := cat(id3Tag(100), []byte("fLaC\x00\x00\x00\x22"), make([]byte, 100))
	aac := cat(id3Tag(100), []byte{0xff, 0xf1, 0x50, 0x80}, make([]byte, 100))
	lyingTag := id3Tag(10)
	lyingTag[9] = 0x7f // says 127 bytes
	late := cat(id3Tag(10), make([]byte, mp3SearchWindow+100), mp3Frames(5))

	cbrMS := int64(100*mp3FrameLen) * 8 * 1000 / 128000
	runInspectCases(t, []inspectCase{
		{name: "mp3 cbr", data: cbr, typ: typeMP3, dur: cbrMS},
		{name: "mp3 id3v2 larger than head", data: tagged, typ: typeMP3, dur: cbrMS},
		{name: "mp3 id3v1", data: v1, typ: typeMP3, dur: cbrMS},
		{name: "mp3 xing", data: xing, typ: typeMP3, dur: 1000 * 1152 * 1000 / 44100},
		{name: "mp3 xing only", data: xingOnly, typ: typeMP3, dur: 1000 * 1152 * 1000 / 44100},
		{name: "mp3 padding after tag", data: padded, typ: typeMP3, dur: int64(10*mp3FrameLen) * 8 * 1000 / 128000},
		{name: "random data after id3 tag", data: fakeAfterTag, err: "no valid MPEG audio frames"},
		{name: "flac behind id3", data: flac, err: "FLAC audio", typ: typeFLAC},
		{name: "aac behind id3", data: aac, err: "AAC audio", typ: typeAAC},
		{name: "id3 tag beyond file", data: lyingTag, err: "truncated"},
		{name: "id3 tag only", data: id3Tag(10), err: "only an ID3 tag"},
		{name: "frames beyond the search window", data: late, err: "no valid MPEG audio frames"},
	})
}

// TestInspectMismatch checks that Inspect refuses a Type that is not what
// the bytes are, and types that are not accepted.
func TestInspectMismatch(t *testing.T) {
	p := makePNG(t, 4, 4)
	if _, err := Inspect(bytes.NewReader(p), int64(len(p)), typeJPEG); !isContentErr(err) {
		t.Errorf("PNG as JPEG: %v", err)
	}
	if _, err := Inspect(bytes.NewReader(p), int64(len(p)), Type{}); !isContentErr(err) {
		t.Errorf("zero Type: %v", err)
	}
	svg := []byte("<svg/>")
	if _, err := Inspect(bytes.NewReader(svg), int64(len(svg)), typeSVG); !isContentErr(err) {
		t.Errorf("SVG: %v", err)
	}
	info, err := Inspect(bytes.NewReader(nil), 0, Sniff(nil))
	if !isContentErr(err) || info.Type.Label != "empty file" {
		t.Errorf("empty: %+v %v", info, err)
	}
	// size larger than the reader: truncation, not a panic.
	if _, err := Inspect(bytes.NewReader(p), int64(len(p))+1000, typePNG); !isContentErr(err) {
		t.Errorf("short reader: %v", err)
	}
	if _, err := Inspect(nil, 10, typePNG); err == nil || isContentErr(err) {
		t.Errorf("nil reader: %v", err)
	}
}

type failingReader struct {
	data  []byte
	after int64
}

func (f failingReader) ReadAt(b []byte, off int64) (int, error) {
	if off+int64(len(b)) > f.after {
		return 0, errors.New("disk on fire")
	}
	return copy(b, f.data[off:]), nil
}

// TestReadError checks that I/O failures are not reported as *Error.
func TestReadError(t *testing.T) {
	files := map[string][]byte{
		"jpeg": makeJPEG(t, 400, 400),
		"png":  noisyPNG(t, 200, 200),
		"mp4":  cat(ftyp("isom"), mbox("mdat", make([]byte, 20000)), mbox("moov", mvhd(0, 1000, 1000), videoTrak(1, 1, 0))),
	}
	for name, b := range files {
		_, err := Inspect(failingReader{b, HeadSize + 100}, int64(len(b)), Sniff(b))
		if err == nil || isContentErr(err) || !strings.Contains(err.Error(), "disk on fire") {
			t.Errorf("%s: got %v", name, err)
		}
	}
}

// TestHostile feeds random data, alone and behind every signature, through
// Sniff and Inspect: nothing may panic, and random data is never accepted
// without a content error.
func TestHostile(t *testing.T) {
	r := rand.New(rand.NewSource(42))
	prefixes := [][]byte{
		nil,
		[]byte("\xff\xd8\xff"), []byte("\x89PNG\r\n\x1a\n"), []byte("GIF89a"), []byte("RIFF\xff\xff\xff\xffWEBP"),
		[]byte("RIFF\x20\x00\x00\x00WEBPVP8X"), []byte("%PDF-1.4"), []byte(cfbMagic), []byte("PK\x03\x04"),
		ebmlHeaderEl("webm"), cat(ebmlHeaderEl("webm"), ebmlID(mkvSegment)), ftyp("isom"), ftyp("qt  "),
		cat(ftyp("isom"), be32(0), []byte("moov")), id3Tag(10), mp3Frames(3),
		makeCFB([]cfbStream{{name: "WordDocument", data: wordStream(5000)}}, nil)[:1024],
		makePNG(t, 8, 8)[:33],
	}
	for _, p := range prefixes {
		for range 300 {
			n := r.Intn(3000)
			b := make([]byte, len(p)+n)
			copy(b, p)
			r.Read(b[len(p):])
			typ, info, err := probeBytes(b)
			if err == nil && typ.Accepted && typ != typeMP3 && len(p) > 0 && typ.Kind != "" {
				// Random bytes after a signature should hardly ever pass.
				t.Logf("random data accepted after %q: %+v %+v", p[:min(len(p), 8)], typ, info)
			}
			if err != nil {
				var pe *Error
				if !errors.As(err, &pe) {
					t.Fatalf("non-content error for in-memory data: %v", err)
				}
			}
		}
	}
	// Mutations of valid files.
	valid := [][]byte{
		makeJPEG(t, 16, 16), makePNG(t, 16, 16), makeGIF(t, 8, 8, 2), makeWebM(1000, 16, 16),
		cat(ftyp("isom"), mbox("moov", mvhd(0, 1000, 1000), videoTrak(16, 16, 90)), mbox("mdat", make([]byte, 100))),
		makeDOCX(t, "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"),
		makeCFB([]cfbStream{{name: "WordDocument", data: wordStream(5000)}}, nil), cat(xingFrame(10), mp3Frames(3)),
		riff("WEBP", vp8xChunk(0x0a, 30, 20), vp8lChunk(30, 20), riffChunk("EXIF", exifTIFF(6, true))),
	}
	for _, v := range valid {
		for range 500 {
			b := bytes.Clone(v)
			for range 1 + r.Intn(8) {
				i := r.Intn(len(b))
				switch r.Intn(3) {
				case 0:
					b[i] = byte(r.Intn(256))
				case 1:
					b[i] = 0xff
				default:
					b = b[:i+1]
				}
			}
			_, _, err := probeBytes(b)
			if err != nil && !isContentErr(err) {
				t.Fatalf("non-content error: %v", err)
			}
		}
	}
}

// TestHugeDeclaredSizes checks that declared lengths far beyond the data
// cause neither big allocations nor panics.
func TestHugeDeclaredSizes(t *testing.T) {
	cases := map[string][]byte{
		"png chunk":   cat(rawPNG(1, 1)[:33], be32(0x7fffffff), []byte("tEXt"), make([]byte, 100)),
		"webp chunk":  riff("WEBP", cat([]byte("VP8X"), le32(0xfffffff0), make([]byte, 20))),
		"ebml size":   cat(ebmlHeaderEl("webm"), ebmlID(mkvSegment), []byte{0x01, 0x00, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}),
		"ebml tracks": cat(ebmlHeaderEl("webm"), el(mkvSegment, ebmlID(mkvTracks), []byte{0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x10, 0x00})),
		"id3":         cat([]byte("ID3\x04\x00\x00\x7f\x7f\x7f\x7f"), make([]byte, 100)),
		"cfb":         cat([]byte(cfbMagic), make([]byte, 0x24), le32(0xffffffff), make([]byte, 512)),
		"zip eocd":    cat([]byte("PK\x03\x04"), make([]byte, 100), []byte("PK\x05\x06"), make([]byte, 4), []byte{0xff, 0xff, 0xff, 0xff}, make([]byte, 10)),
		"mp4 moov":    cat(ftyp("isom"), be32(1), []byte("moov"), be64(1<<62)),
	}
	for name, b := range cases {
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		before := ms.TotalAlloc
		_, _, err := probeBytes(b)
		runtime.ReadMemStats(&ms)
		if grew := ms.TotalAlloc - before; grew > 8<<20 {
			t.Errorf("%s: allocated %d bytes", name, grew)
		}
		if err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

// TestInspectReadsLittle checks that Inspect of a large DOCX does not read
// (decompress) its big entries.
func TestInspectReadsLittle(t *testing.T) {
	docx := makeZIP(t,
		zipEntry{"[Content_Types].xml", contentTypes("/word/document.xml", "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml")},
		zipEntry{"word/media/big.bin", strings.Repeat("\x00", 50<<20)},
		zipEntry{"word/document.xml", "<w/>"})
	cr := &countingReader{r: bytes.NewReader(docx)}
	_, err := Inspect(cr, int64(len(docx)), Sniff(docx[:HeadSize]))
	if err != nil {
		t.Fatal(err)
	}
	if cr.n > 1<<20 {
		t.Errorf("read %d bytes of a %d-byte file", cr.n, len(docx))
	}
}

type countingReader struct {
	r io.ReaderAt
	n int64
}

func (c *countingReader) ReadAt(b []byte, off int64) (int, error) {
	n, err := c.r.ReadAt(b, off)
	c.n += int64(n)
	return n, err
}

func noisyPNG(t *testing.T, w, h int) []byte {
	t.Helper()
	m := image.NewGray(image.Rect(0, 0, w, h))
	rand.New(rand.NewSource(3)).Read(m.Pix)
	var b bytes.Buffer
	if err := png.Encode(&b, m); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// TestRealFiles checks real files that may be present on the machine (in
// the module cache or installed packages); missing ones are skipped.
func TestRealFiles(t *testing.T) {
	modcache := goEnv(t, "GOMODCACHE")
	// disintegration/imaging's orientation_N.jpg all display as 50×70: the
	// stored image is transposed for orientations 5..8.
	dir := filepath.Join(modcache, "github.com", "disintegration", "imaging@v1.6.2", "testdata")
	for n := 0; n <= 8; n++ {
		b, err := os.ReadFile(filepath.Join(dir, "orientation_"+string(rune('0'+n))+".jpg"))
		if err != nil {
			t.Logf("skipping imaging testdata: %v", err)
			break
		}
		_, info, err := probeBytes(b)
		want := max(n, 1)
		if err != nil || info.Width != 50 || info.Height != 70 || info.Orientation != want {
			t.Errorf("orientation_%d.jpg: %+v %v", n, info, err)
		}
	}
	others := []struct {
		path  string
		typ   Type
		w, h  int
		durMS int64
	}{
		{filepath.Join(modcache, "github.com", "a-h", "templ@v0.3.977", "docs", "static", "img", "shadowdom.webm"), typeWebM, 582, 396, 3919},
		{"/usr/lib/google-cloud-sdk/platform/gsutil/gslib/tests/test_data/test.mp3", typeMP3, 0, 0, 1175},
	}
	for _, o := range others {
		b, err := os.ReadFile(o.path)
		if err != nil {
			t.Logf("skipping %s", o.path)
			continue
		}
		_, info, err := probeBytes(b)
		if err != nil || info.Type != o.typ || info.Width != o.w || info.Height != o.h || info.DurationMS != o.durMS {
			t.Errorf("%s: %+v %v", filepath.Base(o.path), info, err)
		}
	}
}
