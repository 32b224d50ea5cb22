package main

import (
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
// the budget (the flag wins); the default is 512 MB; junk is an error.
func TestDecodeMemoryFlag(t *testing.T) {
	for _, c := range []struct {
		env  string
		args []string
		want int // 0: an error
	}{
		{"", nil, 512},
		{"300", nil, 300},
		{"300", []string{"--decode-memory-mb", "1024"}, 1024},
		{"junk", nil, 0},
	} {
		var cfg config
		fs := newFlags("serve", func(k string) string {
			if k == "GALLERIST_DECODE_MEMORY_MB" {
				return c.env
			}
			return ""
		}, &cfg, serveSettings...)
		err := fs.Parse(c.args)
		switch {
		case c.want == 0 && (err == nil || !strings.Contains(err.Error(), "GALLERIST_DECODE_MEMORY_MB")):
			t.Errorf("env %q: %v, want an error naming the variable", c.env, err)
		case c.want != 0 && (err != nil || cfg.render.decodeMemoryMB != c.want):
			t.Errorf("env %q, args %v: %d MB (%v), want %d", c.env, c.args, cfg.render.decodeMemoryMB, err, c.want)
		}
	}
}
