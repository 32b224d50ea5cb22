package handlers

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"unicode/utf16"
	"unicode/utf8"

	"gallerist/data"
)

// streamJSONObject reads one JSON object from r without holding the value of
// streamKey in memory: when that key's string value starts, onStream is called
// with a reader of the string's (unescaped) contents, which it must consume.
// Every other value is returned raw, bounded in total by maxOther bytes, and
// an object may have at most maxJSONFields keys: the work per request is
// bounded however the body is shaped.
func streamJSONObject(r io.Reader, streamKey string, onStream func(io.Reader) error, maxOther int64) (map[string]json.RawMessage, error) {
	br := bufio.NewReaderSize(r, 32<<10)
	fields := map[string]json.RawMessage{}
	if err := expectByte(br, '{'); err != nil {
		return nil, err
	}
	var other int64
	first := true
	for {
		c, err := peekNonSpace(br)
		if err != nil {
			return nil, badJSON()
		}
		if c == '}' && first {
			br.ReadByte()
			break
		}
		first = false
		if len(fields) == maxJSONFields {
			return nil, data.Errorf(data.ECInvalidJSON, "The JSON object has more than %d fields.", maxJSONFields)
		}
		key, err := readShortString(br, 200)
		if err != nil {
			return nil, err
		}
		if err := expectByte(br, ':'); err != nil {
			return nil, err
		}
		if _, dup := fields[key]; dup {
			return nil, data.Errorf(data.ECInvalidJSON, "The field %q appears twice.", key)
		}
		c, err = peekNonSpace(br)
		if err != nil {
			return nil, badJSON()
		}
		if key == streamKey && c == '"' {
			br.ReadByte()
			sr := &jsonStringReader{br: br}
			if err := onStream(sr); err != nil {
				return nil, err
			}
			if _, err := io.Copy(io.Discard, sr); err != nil {
				return nil, err
			}
			fields[key] = json.RawMessage(`"<streamed>"`)
		} else {
			raw, err := readRawValue(br, maxOther-other)
			if err != nil {
				return nil, err
			}
			other += int64(len(raw))
			fields[key] = raw
		}
		c, err = peekNonSpace(br)
		if err != nil {
			return nil, badJSON()
		}
		br.ReadByte()
		if c == '}' {
			break
		}
		if c != ',' {
			return nil, badJSON()
		}
	}
	if _, err := peekNonSpace(br); !errors.Is(err, io.EOF) {
		return nil, data.Errorf(data.ECInvalidJSON, "Unexpected data after the JSON object.")
	}
	return fields, nil
}

// maxJSONFields bounds the keys of a JSON upload body (it has a handful).
const maxJSONFields = 64

// readRawValue reads one JSON value (after optional white space) from br,
// at most limit bytes, and checks that it is valid JSON. It reads byte by
// byte from the one buffered reader: no decoder or buffer per value.
func readRawValue(br *bufio.Reader, limit int64) (json.RawMessage, error) {
	if _, err := peekNonSpace(br); err != nil {
		return nil, badJSON()
	}
	var raw []byte
	depth, inString, escaped := 0, false, false
	for {
		c, err := br.ReadByte()
		if err != nil {
			return nil, badJSON()
		}
		if inString {
			switch {
			case escaped:
				escaped = false
			case c == '\\':
				escaped = true
			case c == '"':
				inString = false
			}
		} else {
			switch c {
			case '"':
				inString = true
			case '{', '[':
				depth++
			case '}', ']':
				if depth == 0 { // the end of the enclosing object: a bare value ended
					br.UnreadByte()
					return validRaw(raw)
				}
				depth--
			case ',', ' ', '\t', '\n', '\r':
				if depth == 0 {
					br.UnreadByte()
					return validRaw(raw)
				}
			}
		}
		raw = append(raw, c)
		if int64(len(raw)) > limit {
			return nil, data.Errorf(data.ECTooLarge, "The JSON body is too large.")
		}
		if depth == 0 && !inString && (c == '"' || c == '}' || c == ']') {
			return validRaw(raw)
		}
	}
}

func validRaw(raw []byte) (json.RawMessage, error) {
	if !json.Valid(raw) {
		return nil, badJSON()
	}
	return raw, nil
}

func badJSON() *data.Error {
	return data.Errorf(data.ECInvalidJSON, "The request body is not a valid JSON object.")
}

func peekNonSpace(br *bufio.Reader) (byte, error) {
	for {
		c, err := br.ReadByte()
		if err != nil {
			return 0, err
		}
		switch c {
		case ' ', '\t', '\n', '\r':
			continue
		}
		br.UnreadByte()
		return c, nil
	}
}

func expectByte(br *bufio.Reader, want byte) error {
	c, err := peekNonSpace(br)
	if err != nil || c != want {
		return badJSON()
	}
	br.ReadByte()
	return nil
}

func readShortString(br *bufio.Reader, maxLen int) (string, error) {
	if err := expectByte(br, '"'); err != nil {
		return "", err
	}
	var buf bytes.Buffer
	sr := &jsonStringReader{br: br}
	if _, err := io.Copy(&buf, io.LimitReader(sr, int64(maxLen)+1)); err != nil {
		return "", err
	}
	if buf.Len() > maxLen {
		return "", data.Errorf(data.ECInvalidJSON, "A field name is too long.")
	}
	return buf.String(), nil
}

// jsonStringReader yields the unescaped contents of a JSON string whose
// opening quote was consumed, stopping at the closing quote. Raw line breaks
// are tolerated (clients wrap base64).
type jsonStringReader struct {
	br   *bufio.Reader
	done bool
	pend []byte
}

func (s *jsonStringReader) Read(p []byte) (int, error) {
	n := 0
	for n < len(p) {
		if len(s.pend) > 0 {
			k := copy(p[n:], s.pend)
			s.pend = s.pend[k:]
			n += k
			continue
		}
		if s.done {
			break
		}
		c, err := s.br.ReadByte()
		if err != nil {
			return n, badJSON()
		}
		switch {
		case c == '"':
			s.done = true
		case c == '\\':
			e, err := s.br.ReadByte()
			if err != nil {
				return n, badJSON()
			}
			switch e {
			case '"', '\\', '/':
				p[n] = e
				n++
			case 'b':
				p[n] = '\b'
				n++
			case 'f':
				p[n] = '\f'
				n++
			case 'n':
				p[n] = '\n'
				n++
			case 'r':
				p[n] = '\r'
				n++
			case 't':
				p[n] = '\t'
				n++
			case 'u':
				r, err := s.readU()
				if err != nil {
					return n, err
				}
				if utf16.IsSurrogate(r) {
					// As encoding/json: a valid pair is one rune; otherwise
					// U+FFFD, and what follows is read as usual (peeked, not
					// consumed, so a closing quote is never swallowed).
					pair := utf8.RuneError
					if b, _ := s.br.Peek(6); len(b) == 6 && b[0] == '\\' && b[1] == 'u' {
						if r2, ok := hex4(b[2:]); ok {
							if pair = utf16.DecodeRune(r, r2); pair != utf8.RuneError {
								s.br.Discard(6)
							}
						}
					}
					r = pair
				}
				s.pend = utf8.AppendRune(nil, r)
			default:
				return n, badJSON()
			}
		default:
			p[n] = c
			n++
		}
	}
	if n == 0 && s.done {
		return 0, io.EOF
	}
	return n, nil
}

func (s *jsonStringReader) readU() (rune, error) {
	var b [4]byte
	if _, err := io.ReadFull(s.br, b[:]); err != nil {
		return 0, badJSON()
	}
	r, ok := hex4(b[:])
	if !ok {
		return 0, badJSON()
	}
	return r, nil
}

// hex4 decodes the four hex digits of a \u escape.
func hex4(b []byte) (rune, bool) {
	var r rune
	for _, c := range b[:4] {
		switch {
		case c >= '0' && c <= '9':
			r = r*16 + rune(c-'0')
		case c >= 'a' && c <= 'f':
			r = r*16 + rune(c-'a'+10)
		case c >= 'A' && c <= 'F':
			r = r*16 + rune(c-'A'+10)
		default:
			return 0, false
		}
	}
	return r, true
}
