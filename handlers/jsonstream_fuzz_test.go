package handlers

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"strings"
	"testing"
	"testing/iotest"
	"unicode/utf8"

	"gallerist/data"
)

// FuzzStreamJSONObject checks the streaming JSON reader of JSON uploads
// (streamJSONObject, readRawValue, jsonStringReader) against encoding/json.
//
// Invariants, for every body (up to 64 KB):
//   - it never panics, and fails only with a *data.Error (a 4xx, never a 500);
//   - on success every returned value is valid JSON, keys are unique and
//     there are at most maxJSONFields of them;
//   - a body without raw control characters that it accepts is valid JSON;
//   - when encoding/json accepts the body as an object without duplicate
//     keys (within our limits), so does streamJSONObject, with the same keys
//     and the same raw values, and the bytes onStream reads for a string
//     "attachment" are exactly the string encoding/json decodes.
//
// chunk is the size of the reads onStream makes (0: one io.ReadAll), to
// exercise the reader's buffering of multi-byte escapes.
func FuzzStreamJSONObject(f *testing.F) {
	for _, s := range []string{
		`{}`,
		` { } `,
		`{"attachment":"iVBORw0KGgo=","filename":"mug.png","alt":"A red mug"}`,
		`{"filename":"a.jpg","attachment":"/9j/4AAQ\nSkZJRgABAQ==\r\n"}`,
		`{"attachment":"QUJD\\nREVG","filename":"caf\u00e9.png"}`,
		`{"urls":["https://example.com/a.jpg","http://cdn.example.org/b.png?x=1&y=2"]}`,
		`{"alt":null,"attachment":null,"position":3,"media_id":"m_123"}`,
		`{"a":{"b":[1,2,{"c":"}"}]},"d":-1.5e+10,"e":true,"f":false}`,
		`{"k":"\u00e9\ud83d\ude00\/\\\"\b\f\n\r\t"}`,
		`{"attachment":"\ud83d\ude00\u0041"}`,
		`{"attachment":"\ud800"}`,
		`{"attachment":"\ud800x","k":1}`,
		`{"attachment":"\ud800\u0041"}`,
		`{"attachment":"\udc00\ud800\udc00"}`,
		`{"attachment":"\ud800\"","k":1}`,
		`{"\ud800":1}`,
		`{"a":1,"a":2}`,
		`{"a":1,"\u0061":2}`,
		`{"attachment":"x","attachment":"y"}`,
		`{"a":1,}`,
		`{"a":1 2}`,
		`{"a":[1]]}`,
		`{"a":tru}`,
		`{"a":"x"y}`,
		`{"a":1}x`,
		`{"a":"\x"}`,
		`{"a":"\u12"}`,
		`{"a":"\u00zz"}`,
		`[1,2]`,
		`null`,
		`"str"`,
		`{"a"`,
		`{"attachment":"QUJD`,
		`{"` + strings.Repeat("k", 201) + `":1}`,
		`{"a":"line\nbreak"}`,
		"{\"attachment\":\"QUJD\nREVG\"}",
		"{\"a\":\"\xff\xfe\",\"\xc3\":1}",
	} {
		f.Add([]byte(s), uint8(0))
	}
	f.Add([]byte(`{"attachment":"\u00e9\u00e9\ud83d\ude00","x":"\u00e9"}`), uint8(1))
	f.Add([]byte(`{"attachment":"`+strings.Repeat("QUJD", 100)+`"}`), uint8(7))
	many := []string{}
	for i := 0; i < maxJSONFields+1; i++ {
		many = append(many, `"f`+strings.Repeat("x", i)+`":0`)
	}
	f.Add([]byte("{"+strings.Join(many[:maxJSONFields], ",")+"}"), uint8(0))
	f.Add([]byte("{"+strings.Join(many, ",")+"}"), uint8(0))

	f.Fuzz(func(t *testing.T, body []byte, chunk uint8) {
		if len(body) > 64<<10 {
			return
		}
		var streamed []byte
		calls := 0
		fields, err := streamJSONObject(bytes.NewReader(body), "attachment", func(r io.Reader) error {
			calls++
			if chunk > 0 {
				buf := make([]byte, chunk)
				for {
					n, err := r.Read(buf)
					streamed = append(streamed, buf[:n]...)
					if errors.Is(err, io.EOF) {
						return nil
					}
					if err != nil {
						return err
					}
				}
			}
			b, err := io.ReadAll(iotest.OneByteReader(io.LimitReader(r, 1<<20)))
			streamed = b
			return err
		}, 1<<20)
		if calls > 1 {
			t.Fatalf("onStream called %d times", calls)
		}
		if err != nil {
			var de *data.Error
			if !errors.As(err, &de) {
				t.Fatalf("error %v (%T) is not a *data.Error", err, err)
			}
			if fields != nil {
				t.Fatalf("fields %v returned with error %v", fields, err)
			}
		} else {
			if len(fields) > maxJSONFields {
				t.Fatalf("%d fields, over %d", len(fields), maxJSONFields)
			}
			for k, v := range fields {
				if !json.Valid(v) {
					t.Fatalf("field %q: raw value %q is not valid JSON", k, v)
				}
			}
			if calls == 1 && string(fields["attachment"]) != `"<streamed>"` {
				t.Fatalf("attachment streamed but recorded as %q", fields["attachment"])
			}
			if !bytes.ContainsFunc(body, func(r rune) bool { return r < 0x20 && r != ' ' }) && !json.Valid(body) {
				t.Fatalf("accepted a body without control characters that is not valid JSON: %q", body)
			}
		}

		// Differential against encoding/json.
		keys, ok := encodingJSONObject(body)
		if !ok || len(keys) > maxJSONFields {
			return
		}
		want := map[string]json.RawMessage{}
		for _, kv := range keys {
			if len(kv.key) > 200 {
				return
			}
			if _, dup := want[kv.key]; dup {
				return // encoding/json takes the last; we refuse duplicates
			}
			want[kv.key] = kv.raw
		}
		if err != nil {
			t.Fatalf("encoding/json accepts %q, streamJSONObject: %v", body, err)
		}
		if len(fields) != len(want) {
			t.Fatalf("keys %v, encoding/json has %v", mapKeys(fields), mapKeys(want))
		}
		for k, w := range want {
			k2, g := k, json.RawMessage(nil)
			// Our keys keep invalid UTF-8 as sent; encoding/json replaces
			// each bad byte with U+FFFD.
			for gk, gv := range fields {
				if jsonUTF8(gk) == k {
					k2, g = gk, gv
				}
			}
			if g == nil {
				t.Fatalf("key %q missing; have %v", k, mapKeys(fields))
			}
			if k2 == "attachment" && calls == 1 {
				var s string
				if err := json.Unmarshal(w, &s); err != nil {
					t.Fatalf("attachment streamed but encoding/json sees %s", w)
				}
				if got := jsonUTF8(string(streamed)); got != s {
					t.Fatalf("attachment streamed as %q, encoding/json decodes %q", got, s)
				}
				continue
			}
			if !bytes.Equal(g, w) {
				t.Fatalf("field %q = %s, encoding/json has %s", k, g, w)
			}
		}
		if _, isString := want["attachment"]; isString && bytes.HasPrefix(want["attachment"], []byte(`"`)) && calls != 1 {
			t.Fatalf("string attachment not streamed")
		}
	})
}

type jsonKV struct {
	key string
	raw json.RawMessage
}

// encodingJSONObject parses body as encoding/json.Unmarshal into a
// map[string]json.RawMessage would, but keeps every key in order
// (duplicates included). ok is false if encoding/json refuses it or it is
// not an object.
func encodingJSONObject(body []byte) (kvs []jsonKV, ok bool) {
	var m map[string]json.RawMessage
	if json.Unmarshal(body, &m) != nil || m == nil {
		return nil, false
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return nil, false
	}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, false
		}
		key, isKey := tok.(string)
		if !isKey {
			return nil, false
		}
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return nil, false
		}
		kvs = append(kvs, jsonKV{key, raw})
	}
	return kvs, true
}

// jsonUTF8 replaces each byte of invalid UTF-8 with U+FFFD, as encoding/json
// does when it decodes a string.
func jsonUTF8(s string) string {
	if utf8.ValidString(s) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		b.WriteRune(r) // RuneError for a bad byte
		i += n
	}
	return b.String()
}

func mapKeys(m map[string]json.RawMessage) []string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	return ks
}
