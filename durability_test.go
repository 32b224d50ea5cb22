package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
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

// smallDisk mounts a tmpfs of size bytes and returns its path; it skips the
// test where mounting is not possible (not root), except under CI.
func smallDisk(t *testing.T, size int) string {
	t.Helper()
	dir := t.TempDir()
	out, err := exec.Command("mount", "-t", "tmpfs", "-o", fmt.Sprintf("size=%d", size), "tmpfs", dir).CombinedOutput()
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("mount tmpfs (CI runs as root): %v %s", err, out)
		}
		t.Skipf("SKIP: cannot mount a small tmpfs here (needs root): %v %s", err, out)
	}
	t.Cleanup(func() { exec.Command("umount", "-l", dir).Run() })
	return dir
}

// fill writes a file that leaves about free bytes on the disk at dir.
func fill(t *testing.T, dir string, free int64) string {
	t.Helper()
	var st syscall.Statfs_t
	if err := syscall.Statfs(dir, &st); err != nil {
		t.Fatal(err)
	}
	avail := int64(st.Bavail) * st.Bsize
	p := filepath.Join(dir, "filler")
	f, err := os.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	buf := make([]byte, 1<<20)
	for left := avail - free; left > 0; left -= int64(len(buf)) {
		if _, err := f.Write(buf[:min(int64(len(buf)), left)]); err != nil {
			break
		}
	}
	return p
}

// TestDiskFull: on a full disk an upload answers 507 insufficient_storage
// (wave 1: 422 corrupt_file for JPEGs, 500 for others), leaves nothing
// half-written, the server keeps serving reads, and uploads work again as
// soon as space is freed, without a restart.
func TestDiskFull(t *testing.T) {
	disk := smallDisk(t, 24<<20)
	e := newTestEnv(t, func(c *config) { c.dataDir = filepath.Join(disk, "data") })
	tok := e.token(t, 0)
	jpg := readFile(t, goImageTestdata("video-001.jpeg"))
	kept := e.uploadOK(t, tok, "kept.jpg", jpg)
	big := make([]byte, 400<<10) // a PNG header and zeros: sniffed, then too big to fit
	copy(big, testPNG(t, 8, 8, tileColors[0]))
	filler := fill(t, disk, 64<<10)
	before := e.snapshot(t)
	for _, f := range []upFile{{name: "photo.jpg", body: append(slices.Clone(jpg), make([]byte, 300<<10)...)}, {name: "big.png", body: big}} {
		r := e.upload(t, tok, f)
		if r.Status != 507 || r.errCode(t) != "insufficient_storage" {
			t.Fatalf("%s on a full disk: %d %s", f.name, r.Status, r.Body)
		}
	}
	if after := e.snapshot(t); after != before {
		t.Fatalf("a failed upload left something behind:\n%s\n--- after:\n%s", before, after)
	}
	if r := e.do(t, "GET", pathOf(kept["url"].(string)), "", nil, ""); r.Status != 200 {
		t.Fatalf("reads while the disk is full: %d", r.Status)
	}
	os.Remove(filler)
	if r := e.upload(t, tok, upFile{name: "again.jpg", body: append(slices.Clone(jpg), 1)}); r.Status != 201 {
		t.Fatalf("after freeing space: %d %s", r.Status, r.Body)
	}
}

// TestShutdownLeavesNothingBehind: an upload still running when the shutdown
// grace period ends is answered 503 (not cut), its staging file is removed,
// and staging files a crash left are removed at the next start, whatever
// their age. Only one server may hold a data dir.
func TestShutdownLeavesNothingBehind(t *testing.T) {
	bin := buildBinary(t)
	s := startBinary(t, bin, "--shutdown-grace", "1s")
	tmp := filepath.Join(s.dir, "tmp")

	// A second server on the same data dir is refused.
	out, err := exec.Command(bin, "serve", "--data", s.dir, "--addr", "127.0.0.1:0").CombinedOutput()
	if err == nil || !strings.Contains(string(out), "one server per data dir") {
		t.Fatalf("a second server on the same data dir: %v %s", err, out)
	}

	conn, err := net.Dial("tcp", strings.TrimPrefix(s.base, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprintf(conn, "POST /api/media HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\nContent-Type: multipart/form-data; boundary=b\r\nContent-Length: 10000000\r\n\r\n", s.token)
	fmt.Fprint(conn, "--b\r\nContent-Disposition: form-data; name=\"file\"; filename=\"slow.png\"\r\nContent-Type: image/png\r\n\r\n")
	conn.Write(testPNG(t, 64, 64, tileColors[1])[:100])
	conn.Write(make([]byte, 16<<10))
	go func() { // keeps sending, slowly, until the server answers
		for i := 0; i < 200; i++ {
			if _, err := conn.Write(make([]byte, 1024)); err != nil {
				return
			}
			time.Sleep(100 * time.Millisecond)
		}
	}()
	for i := 0; i < 100; i++ { // the upload is being staged
		if entries, _ := os.ReadDir(tmp); len(entries) > 0 {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	s.cmd.Process.Signal(syscall.SIGTERM)
	conn.SetReadDeadline(time.Now().Add(20 * time.Second))
	res, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("the upload was cut at shutdown instead of answered: %v\n%s", err, s.log.String())
	}
	body, _ := io.ReadAll(res.Body)
	if res.StatusCode != 503 || !strings.Contains(string(body), `"unavailable"`) || res.Header.Get("Retry-After") == "" {
		t.Fatalf("upload at shutdown: %d %v %s", res.StatusCode, res.Header, body)
	}
	<-s.exited
	if entries, _ := os.ReadDir(tmp); len(entries) != 0 {
		t.Fatalf("staging files left after shutdown: %v", entries)
	}

	// A crash's leftovers go at the next start, however young.
	os.WriteFile(filepath.Join(tmp, "upload-123"), []byte("half an upload"), 0o600)
	s.start(t)
	if entries, _ := os.ReadDir(tmp); len(entries) != 0 {
		t.Fatalf("staging files left at start: %v", entries)
	}
}
