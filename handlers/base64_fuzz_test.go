package handlers

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"

	"gallerist/data/probe"
)

// FuzzBase64Attachment checks the decoding of a JSON upload's base64
// "attachment": attachmentDecoder, as readUpload builds it, read the way
// MediaService.Stage reads (a short head, then large reads), over a source
// that returns arbitrary chunks.
//
// The accepted language: an optional data: URL prefix ("data:" and at most
// 200 bytes of media type and parameters ending ";base64,", the "data:" and
// ";base64" in any case), then base64 in one alphabet, standard (+ /) or
// URL-safe (- _), padded or not, with white space (space, tab, CR, LF)
// anywhere in it.
//
// Invariants, for any attachment string:
//   - it never panics;
//   - the input is in the language exactly when the stream decodes without
//     error, and then the bytes equal what referenceDecode makes of it (the
//     prefix dropped, white space removed, the alphabet translated, padding
//     added, then base64.StdEncoding);
//   - otherwise the error is a base64.CorruptInputError (what readUpload
//     reports as invalid_base64), never io.ErrUnexpectedEOF (which Stage
//     takes for a short file) and never a partial success; its offset is
//     into the attachment string: in the base64 after any prefix, the input
//     up to it is a valid beginning, the byte at it is not white space and
//     cannot continue it (or the offset is the end, for a truncated input);
//   - the same holds when the attachment arrives inside a JSON body through
//     streamJSONObject.
//
// chunks drives the sizes of the source's reads (cycled; 0 means 1).
func FuzzBase64Attachment(f *testing.F) {
	png := base64.StdEncoding.EncodeToString([]byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01"))
	for _, s := range []string{
		"",
		"QQ==",
		"QUI=",
		"QUJD",
		png,
		wrap(base64.StdEncoding.EncodeToString(bytes.Repeat([]byte("gallerist "), 40)), 76, "\r\n"),
		wrap(base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{0xff, 0xd8, 0xff, 0xe0}, 30)), 64, "\n"),
		"QU JD\tRE VG",
		"QQ=\n=",
		"QQ==QUJD",   // data after padding
		"QQ==\nQUJD", // … across a line break
		"QQ==" + strings.Repeat("\n", 1100) + "QUJD",
		"QQ==" + strings.Repeat(" ", 2000) + "QUJD",
		strings.Repeat("QUJD", 170) + "QQ==" + strings.Repeat("QUJD", 170),
		"QUJDRA",  // unpadded
		"QUJDREU", // unpadded
		"QUJDR",   // truncated: one character of a group
		"Q",
		"Q===",
		"QQ=A",
		"QQ=",
		"=",
		"====",
		"QUJD!",
		"QUJD-_",       // URL alphabet
		"QUJD+_",       // mixed alphabets
		"-_-_",         // URL alphabet
		"__8",          // URL alphabet, unpadded
		"QUJD\x00REVG", // NUL
		"QUJD\u00e9",   // non-ASCII
		"QUJ\v",
		"data:image/png;base64," + png,
		"DATA:image/gif;BASE64,R0lGODlh",
		"data:image/jpeg;name=a.jpg;base64,\n/9j/4A",
		"data:;base64,QUJD",
		"data:image/png," + png, // not base64
		"data:image/png;base64", // no comma
		"data:image/png;base64;" + strings.Repeat("x", 300) + "," + png,
		"data",
		"datx",
		"dat:",
		" data:image/png;base64,QUJD",
	} {
		f.Add(s, []byte{0})
		f.Add(s, []byte{1, 3, 200})
	}

	f.Fuzz(func(t *testing.T, in string, chunks []byte) {
		if len(in) > 64<<10 {
			return
		}
		want, valid := referenceDecode(in)
		b64, prefixed := in, hasDataPrefix(in) // b64: the input after a valid data: prefix
		if prefixed {
			if m := dataPrefixRE.FindStringIndex(in); m != nil {
				b64 = in[m[1]:]
			}
		}

		check := func(how string, got []byte, err error, offsets bool) {
			t.Helper()
			if valid {
				if err != nil {
					t.Fatalf("%s: valid base64 %q: %v", how, short(in), err)
				}
				if !bytes.Equal(got, want) {
					t.Fatalf("%s: %q decodes to %q, base64.StdEncoding to %q", how, short(in), short(string(got)), short(string(want)))
				}
				return
			}
			if err == nil {
				t.Fatalf("%s: invalid base64 %q accepted as %q", how, short(in), short(string(got)))
			}
			var ce base64.CorruptInputError
			if !errors.As(err, &ce) {
				t.Fatalf("%s: invalid base64 %q: error %v (%T), want a base64.CorruptInputError", how, short(in), err, err)
			}
			if !offsets {
				return
			}
			off := int(ce)
			if off < 0 || off > len(in) {
				t.Fatalf("%q: offset %d out of range", short(in), off)
			}
			if prefixed && len(b64) == len(in) { // a malformed data: prefix
				return
			}
			if skip := len(in) - len(b64); off < skip {
				t.Fatalf("%q: offset %d is inside the data: prefix, which is valid", short(in), off)
			}
			if !base64Prefix(in[:off]) {
				t.Fatalf("%q: offset %d, but %q is already not base64", short(in), off, short(in[:off]))
			}
			if off < len(in) {
				if c := in[off]; c == ' ' || c == '\t' || c == '\r' || c == '\n' {
					t.Fatalf("%q: offset %d is white space", short(in), off)
				}
				if base64Prefix(in[:off+1]) {
					t.Fatalf("%q: offset %d, but %q can still be base64", short(in), off, short(in[:off+1]))
				}
			}
		}

		got, err := readLikeStage(attachmentDecoder(&chunkReader{s: in, sizes: chunks}))
		check("direct", got, err, true)

		body, _ := json.Marshal(map[string]string{"attachment": in, "filename": "x.png"})
		var streamed []byte
		_, err = streamJSONObject(bytes.NewReader(body), "attachment", func(r io.Reader) error {
			var err error
			streamed, err = readLikeStage(attachmentDecoder(&bodyReader{r: r}))
			return err
		}, 1<<20)
		// json.Marshal replaces invalid UTF-8 (never valid base64 anyway), so
		// then only the failing is checked, not the offset.
		check("json", streamed, err, utf8.ValidString(in))
	})
}

// readLikeStage reads r as MediaService.Stage does: io.ReadFull of a head,
// then io.Copy of the rest.
func readLikeStage(r io.Reader) ([]byte, error) {
	head := make([]byte, probe.HeadSize)
	n, err := io.ReadFull(r, head)
	out := head[:n]
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		if errors.Is(err, io.ErrUnexpectedEOF) && n == 0 {
			return out, err
		}
		return out, nil
	}
	if err != nil {
		return out, err
	}
	var buf bytes.Buffer
	buf.Write(out)
	_, err = io.Copy(struct{ io.Writer }{&buf}, r)
	return buf.Bytes(), err
}

// dataPrefixRE is a valid data: URL prefix of an attachment.
var dataPrefixRE = regexp.MustCompile(`^(?i:data:)[A-Za-z0-9!#$&^_.+\-/=;]{0,200}(?i:;base64),`)

func hasDataPrefix(s string) bool { return len(s) >= 5 && strings.EqualFold(s[:5], "data:") }

// referenceDecode decodes an attachment the simple way: drop a data:
// prefix, white space, translate the URL-safe alphabet, add padding, then
// base64.StdEncoding.
func referenceDecode(in string) ([]byte, bool) {
	s := in
	if hasDataPrefix(s) {
		m := dataPrefixRE.FindStringIndex(s)
		if m == nil {
			return nil, false
		}
		s = s[m[1]:]
	}
	s = strings.Map(func(r rune) rune {
		if r == ' ' || r == '\t' || r == '\r' || r == '\n' {
			return -1
		}
		return r
	}, s)
	if strings.ContainsAny(s, "+/") && strings.ContainsAny(s, "-_") {
		return nil, false
	}
	s = strings.NewReplacer("-", "+", "_", "/").Replace(s)
	if !strings.Contains(s, "=") {
		switch len(s) % 4 {
		case 1:
			return nil, false
		case 2:
			s += "=="
		case 3:
			s += "="
		}
	}
	b, err := base64.StdEncoding.DecodeString(s)
	return b, err == nil
}

// base64Prefix reports whether s (a data: prefix and base64, or base64)
// can be continued into an accepted attachment.
func base64Prefix(s string) bool {
	for _, tail := range []string{"", "=", "==", "A==", "AA=", "AAA", "A=", "AA", "A"} {
		if _, ok := referenceDecode(s + tail); ok {
			return true
		}
	}
	return false
}

// chunkReader returns s in reads whose sizes cycle through sizes.
type chunkReader struct {
	s     string
	sizes []byte
	i     int
}

func (c *chunkReader) Read(p []byte) (int, error) {
	if c.s == "" {
		return 0, io.EOF
	}
	n := len(p)
	if len(c.sizes) > 0 {
		n = max(int(c.sizes[c.i%len(c.sizes)]), 1)
		c.i++
	}
	n = copy(p[:min(n, len(p))], c.s)
	c.s = c.s[n:]
	return n, nil
}

func wrap(s string, width int, nl string) string {
	var b strings.Builder
	for len(s) > width {
		b.WriteString(s[:width] + nl)
		s = s[width:]
	}
	b.WriteString(s)
	return b.String()
}

// short keeps failure messages readable.
func short(s string) string {
	if len(s) > 120 {
		return s[:60] + "…" + s[len(s)-60:]
	}
	return s
}
