package data

import (
	"path"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

// FuzzSanitizeFilename checks SanitizeFilename, which cleans every
// client-supplied filename (multipart parts, JSON "filename", URL imports)
// before it is stored, shown or sent back in Content-Disposition.
//
// Invariants, for any input:
//   - it never panics;
//   - the result is valid UTF-8, at most MaxFilenameBytes bytes, with no
//     path separator, control, format (Cf: bidi overrides, zero-width…) or
//     line/paragraph separator character, is not "." or "..", and is trimmed
//     (no leading or trailing white space or dot);
//   - it is idempotent, and ValidateFilename accepts it unchanged;
//   - it is "" only when the last path element has no letter or digit;
//   - a name within the limit that is already clean comes back unchanged,
//     and a shortened name keeps a short extension;
//   - the download name built from it (Media.DownloadName) keeps those
//     properties and ends in the type's extension.
func FuzzSanitizeFilename(f *testing.F) {
	for _, s := range []string{
		"IMG_0001.JPG",
		"Tasse rouge.png",
		"café crème.jpeg",
		"C:\\Users\\ann\\Pictures\\mug.png",
		"/etc/passwd",
		"../../../etc/passwd",
		"..",
		".",
		"...",
		".htaccess",
		"photo.",
		"photo. .",
		". . photo",
		"a/b/",
		"a/..",
		"dir\\..\\x.jpg",
		"\x00evil.png",
		"line\nbreak.png",
		"tab\there.png",
		"bidi\u202egnp.exe",
		"zero\u200bwidth.png",
		"bom\ufeff.png",
		"para\u2029sep.png",
		"nbsp\u00a0name.png",
		"ideographic\u3000space.png",
		"emoji 😀.png",
		"\xff\xfe.png",
		"\xe2\x80.png",
		"  spaced  .png  ",
		strings.Repeat("a", 300) + ".png",
		strings.Repeat("é", 200) + ".jpeg",
		strings.Repeat("a", 250) + " b.c",
		strings.Repeat("a", 254) + ". x",
		strings.Repeat("a", 254) + " " + strings.Repeat("b", 20),
		strings.Repeat("a", 250) + " " + strings.Repeat("b", 10) + ".png",
		strings.Repeat("a", 249) + ".." + strings.Repeat("b", 10) + ".png",
		strings.Repeat("x", 240) + "." + strings.Repeat("y", 20),
		strings.Repeat("😀", 70) + ".webp",
		"",
		"\u0085",
	} {
		f.Add(s)
	}
	mimes := []string{"image/jpeg", "image/png", "application/pdf", "video/quicktime", "audio/mp4", "application/x-unknown"}

	f.Fuzz(func(t *testing.T, in string) {
		out := SanitizeFilename(in)
		if !utf8.ValidString(out) {
			t.Fatalf("SanitizeFilename(%q) = %q: invalid UTF-8", in, out)
		}
		if len(out) > MaxFilenameBytes {
			t.Fatalf("SanitizeFilename(%q): %d bytes, over %d", in, len(out), MaxFilenameBytes)
		}
		checkSafeName(t, "SanitizeFilename", in, out)
		if again := SanitizeFilename(out); again != out {
			t.Fatalf("not idempotent: SanitizeFilename(%q) = %q, then %q", in, out, again)
		}
		if out != "" {
			if v, err := ValidateFilename(out); err != nil || v != out {
				t.Fatalf("ValidateFilename(SanitizeFilename(%q) = %q) = %q, %v", in, out, v, err)
			}
		}

		// Empty only when nothing usable is left.
		last := strings.ReplaceAll(strings.ToValidUTF8(in, ""), "\\", "/")
		last = path.Base("/" + last)
		if out == "" && strings.IndexFunc(last, func(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) }) >= 0 {
			t.Fatalf("SanitizeFilename(%q) = \"\", but %q has letters or digits", in, last)
		}

		// A clean name within the limit is kept.
		if cleanName(in) && out != in {
			t.Fatalf("SanitizeFilename(%q) = %q, but it was clean", in, out)
		}
		// Shortening keeps a short extension of the cleaned name.
		if full := sanitizedUncut(in); len(full) > MaxFilenameBytes {
			if ext := path.Ext(full); len(ext) > 1 && len(ext) <= 16 && strings.Trim(ext, ". ") == ext[1:] && !strings.HasSuffix(out, ext) {
				t.Fatalf("SanitizeFilename(%q) = %q lost the extension %q", in, out, ext)
			}
		}

		for _, mime := range mimes {
			m := &Media{Filename: out, MIMEType: mime}
			dn := m.DownloadName()
			if !utf8.ValidString(dn) || len(dn) > MaxFilenameBytes {
				t.Fatalf("DownloadName of %q (%s) = %q: %d bytes or invalid UTF-8", out, mime, dn, len(dn))
			}
			checkSafeName(t, "DownloadName("+mime+")", out, dn)
			if dn == "" {
				t.Fatalf("DownloadName of %q (%s) is empty", out, mime)
			}
			cur := path.Ext(dn)
			if cur == "" || !extMatches(strings.ToLower(cur[1:]), m.Ext()) {
				t.Fatalf("DownloadName of %q (%s) = %q does not end in .%s", out, mime, dn, m.Ext())
			}
		}
	})
}

// checkSafeName fails unless name has no separator, control, format or
// line/paragraph separator character, is not "." or "..", and has no
// leading or trailing white space or dot.
func checkSafeName(t *testing.T, fn, in, name string) {
	t.Helper()
	for _, r := range name {
		if r == '/' || r == '\\' || r == 0 || unicode.IsControl(r) || unicode.Is(unicode.Cf, r) ||
			unicode.Is(unicode.Zl, r) || unicode.Is(unicode.Zp, r) {
			t.Fatalf("%s(%q) = %q contains %U", fn, in, name, r)
		}
	}
	if name == "." || name == ".." {
		t.Fatalf("%s(%q) = %q", fn, in, name)
	}
	if name != "" {
		first, _ := utf8.DecodeRuneInString(name)
		lastR, _ := utf8.DecodeLastRuneInString(name)
		if first == '.' || lastR == '.' || unicode.IsSpace(first) || unicode.IsSpace(lastR) {
			t.Fatalf("%s(%q) = %q is not trimmed", fn, in, name)
		}
	}
}

// sanitizedUncut is SanitizeFilename without the length limit: the name the
// limit is applied to.
func sanitizedUncut(name string) string {
	name = strings.ReplaceAll(strings.ToValidUTF8(name, ""), "\\", "/")
	name = path.Base("/" + name)
	var b strings.Builder
	for _, r := range name {
		switch {
		case r == '/' || unicode.IsControl(r) || unicode.Is(unicode.Cf, r) || unicode.Is(unicode.Zl, r) || unicode.Is(unicode.Zp, r):
		case unicode.IsSpace(r):
			b.WriteByte(' ')
		default:
			b.WriteRune(r)
		}
	}
	return strings.Trim(b.String(), ". ")
}

// cleanName reports whether name needs no cleaning: valid UTF-8 within the
// limit, trimmed, with no character SanitizeFilename drops or replaces.
func cleanName(name string) bool {
	if name == "" || len(name) > MaxFilenameBytes || !utf8.ValidString(name) || strings.Trim(name, ". ") != name {
		return false
	}
	for _, r := range name {
		if r == '/' || r == '\\' || unicode.IsControl(r) || unicode.Is(unicode.Cf, r) || unicode.Is(unicode.Zl, r) ||
			unicode.Is(unicode.Zp, r) || unicode.IsSpace(r) && r != ' ' {
			return false
		}
	}
	return true
}
