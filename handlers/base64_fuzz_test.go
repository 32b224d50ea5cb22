package handlers

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"strings"
	"testing"
	"unicode/utf8"

	"gallerist/data/probe"
)

// FuzzBase64Attachment checks the decoding of a JSON upload's base64
// "attachment": base64.NewDecoder(base64.StdEncoding, &base64Clean{…}), as
// readUpload builds it, read the way MediaService.Stage reads (a short head,
// then large reads), over a source that returns arbitrary chunks.
//
// Invariants, for any attachment string:
//   - it never panics;
//   - with white space (space, tab, CR, LF) removed, the input is valid
//     padded standard base64 exactly when the stream decodes without error,
//     and then the bytes equal base64.StdEncoding's;
//   - otherwise the error is a base64.CorruptInputError (what readUpload
//     reports as invalid_base64), never io.ErrUnexpectedEOF (which Stage
//     takes for a short file) and never a partial success; its offset is
//     into the attachment string: the input up to it is a valid beginning of
//     base64, the byte at it is not white space and cannot continue it (or
//     the offset is the end, for a truncated input);
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
		"QUJDRA",  // truncated
		"QUJDREU", // truncated
		"Q",
		"Q===",
		"QQ=A",
		"=",
		"====",
		"QUJD!",
		"QUJD-_",       // URL alphabet
		"QUJD\x00REVG", // NUL
		"QUJD\u00e9",   // non-ASCII
		"QUJ\v",
	} {
		f.Add(s, []byte{0})
		f.Add(s, []byte{1, 3, 200})
	}

	f.Fuzz(func(t *testing.T, in string, chunks []byte) {
		if len(in) > 64<<10 {
			return
		}
		clean := strings.Map(func(r rune) rune {
			if r == ' ' || r == '\t' || r == '\r' || r == '\n' {
				return -1
			}
			return r
		}, in)
		want, werr := base64.StdEncoding.DecodeString(clean)

		check := func(how string, got []byte, err error, offsets bool) {
			t.Helper()
			if werr == nil {
				if err != nil {
					t.Fatalf("%s: valid base64 %q: %v", how, short(in), err)
				}
				if !bytes.Equal(got, want) {
					t.Fatalf("%s: %q decodes to %q, base64.StdEncoding to %q", how, short(in), short(string(got)), short(string(want)))
				}
				return
			}
			if err == nil {
				t.Fatalf("%s: invalid base64 %q (%v) accepted as %q", how, short(in), werr, short(string(got)))
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

		got, err := readLikeStage(base64.NewDecoder(base64.StdEncoding, &base64Clean{r: &chunkReader{s: in, sizes: chunks}}))
		check("direct", got, err, true)

		body, _ := json.Marshal(map[string]string{"attachment": in, "filename": "x.png"})
		var streamed []byte
		_, err = streamJSONObject(bytes.NewReader(body), "attachment", func(r io.Reader) error {
			var err error
			streamed, err = readLikeStage(base64.NewDecoder(base64.StdEncoding, &base64Clean{r: &bodyReader{r: r}}))
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

// base64Prefix reports whether s, without white space, can be continued into
// valid padded standard base64.
func base64Prefix(s string) bool {
	s = strings.Map(func(r rune) rune {
		if r == ' ' || r == '\t' || r == '\r' || r == '\n' {
			return -1
		}
		return r
	}, s)
	for _, tail := range []string{"", "=", "==", "A==", "AA=", "AAA", "A=", "AA", "A"} {
		if _, err := base64.StdEncoding.DecodeString(s + tail); err == nil {
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
