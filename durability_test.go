package main

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// TestInterruptedGC: `gallerist gc` killed with SIGKILL at a random moment
// while it purges leaves every trashed item either gone entirely or, once
// restored, working: download, public URL and every rendition answer 200
// (wave 1 deleted files before the purge committed, so a restored item could
// have no file).
func TestInterruptedGC(t *testing.T) {
	bin := buildBinary(t)
	s := startBinary(t, bin, "--render-workers", "1")
	var ids []float64
	for i := 0; i < 120; i++ {
		c := tileColors[i%len(tileColors)]
		c.R = byte(i) // distinct bytes: one blob each
		ids = append(ids, s.upload(t, fmt.Sprintf("item-%d.png", i), testPNG(t, 64, 48, c)))
	}
	s.waitReady(t, ids...)
	rounds := 4
	for round := 0; round < rounds; round++ {
		for _, id := range ids {
			s.request(t, "DELETE", fmt.Sprintf("/api/media/%d?force=true", int64(id)), nil, "")
		}
		gc := exec.Command(bin, "gc", "--data", s.dir, "--trash-days", "0")
		if err := gc.Start(); err != nil {
			t.Fatal(err)
		}
		time.Sleep(time.Duration(5+rand.IntN(40)) * time.Millisecond)
		gc.Process.Kill()
		gc.Wait()

		var live []float64
		gone := 0
		for _, id := range ids {
			st, body := s.request(t, "POST", fmt.Sprintf("/api/media/%d/restore", int64(id)), nil, "")
			switch st {
			case 404:
				gone++
				continue
			case 200:
			default:
				t.Fatalf("round %d: restore %v: %d %s", round, id, st, body)
			}
			var m map[string]any
			json.Unmarshal(body, &m)
			checkWorking(t, s, m)
			live = append(live, id)
		}
		t.Logf("round %d: gc killed with %d of %d items purged", round, gone, len(ids))
		ids = live
		if len(ids) == 0 {
			break
		}
	}
}

// checkWorking asserts a media item's download, public URL and renditions answer 200.
func checkWorking(t *testing.T, s *server, m map[string]any) {
	t.Helper()
	paths := []string{fmt.Sprintf("/api/media/%d/download", int64(m["id"].(float64))), m["url"].(string)}
	for _, u := range m["renditions"].(map[string]any) {
		paths = append(paths, u.(string))
	}
	for _, p := range paths {
		if i := strings.Index(p, "/files/"); i > 0 {
			p = p[i:]
		}
		if st, body := s.request(t, "GET", p, nil, ""); st != 200 {
			t.Fatalf("item %v restored, but %s answers %d %.200s", m["id"], p, st, body)
		}
	}
}
