package main

import (
	"flag"
	"io"
	"strings"
	"testing"

	"gallerist/data/render/rendertest"
)

// TestDecodeMemoryBudget: an original whose estimated decoding memory is more
// than the whole decode budget fails with a reason that says so, without
// being decoded, and images within the budget are still made.
func TestDecodeMemoryBudget(t *testing.T) {
	e := newTestEnv(t, func(c *config) { c.render.decodeMemoryMB = 64 })
	tok := e.token(t, 0)
	big := e.uploadOK(t, tok, "deep.png", rendertest.PNG(4000, 4000, 16, 6)) // about 100 MB to decode
	small := e.uploadOK(t, tok, "photo.jpg", readFile(t, goImageTestdata("video-001.jpeg")))
	e.startRenderer(t)
	m := e.waitProcessed(t, tok, big["id"].(float64))
	if reason, _ := m["processing_error"].(string); m["processing"] != "failed" || !strings.Contains(reason, "more than the 64 MB the server allows") {
		t.Errorf("over the budget: processing %v (%v)", m["processing"], m["processing_error"])
	}
	if m := e.waitProcessed(t, tok, small["id"].(float64)); m["processing"] != "ready" {
		t.Errorf("within the budget: processing %v (%v)", m["processing"], m["processing_error"])
	}
}

// TestDecodeMemoryFlag: --decode-memory-mb and GALLERIST_DECODE_MEMORY_MB set
// the budget (the flag wins); the default is 512 MB.
func TestDecodeMemoryFlag(t *testing.T) {
	for _, c := range []struct {
		env  string
		args []string
		want int
	}{
		{"", nil, 512},
		{"300", nil, 300},
		{"300", []string{"--decode-memory-mb", "1024"}, 1024},
		{"junk", nil, 512},
	} {
		fs := flag.NewFlagSet("serve", flag.ContinueOnError)
		fs.SetOutput(io.Discard)
		rc := defaultRender()
		renderFlags(fs, func(k string) string {
			if k == "GALLERIST_DECODE_MEMORY_MB" {
				return c.env
			}
			return ""
		}, &rc)
		if err := fs.Parse(c.args); err != nil {
			t.Fatal(err)
		}
		if rc.decodeMemoryMB != c.want {
			t.Errorf("env %q, args %v: %d MB, want %d", c.env, c.args, rc.decodeMemoryMB, c.want)
		}
	}
}
