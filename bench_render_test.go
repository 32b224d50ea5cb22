package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"image/jpeg"
	"io"
	"mime/multipart"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// benchPhoto is the 20 MP reference photo (scripts/bench-renditions.sh fetches it).
func benchPhoto(b *testing.B) []byte {
	p := os.Getenv("GALLERIST_BENCH_PHOTO")
	if p == "" {
		b.Skip("set GALLERIST_BENCH_PHOTO (scripts/bench-renditions.sh downloads the reference photo)")
	}
	return readFile(b, p)
}

// withComment makes distinct bytes of the same photo: a COM segment after SOI.
func withComment(jpg []byte, s string) []byte {
	seg := []byte{0xFF, 0xFE, 0, byte(len(s) + 2)}
	return append(append(append([]byte{}, jpg[:2]...), append(seg, s...)...), jpg[2:]...)
}

func cpuSelf() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// procStat reads a process's CPU time and peak resident memory.
func procStat(pid int) (cpu time.Duration, peakRSS int64) {
	if b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid)); err == nil {
		f := strings.Fields(string(b[bytes.LastIndexByte(b, ')')+2:]))
		ut, _ := strconv.ParseInt(f[11], 10, 64)
		st, _ := strconv.ParseInt(f[12], 10, 64)
		cpu = time.Duration(ut+st) * 10 * time.Millisecond // USER_HZ = 100
	}
	if f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid)); err == nil {
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			if strings.HasPrefix(sc.Text(), "VmHWM:") {
				kb, _ := strconv.ParseInt(strings.Fields(sc.Text())[1], 10, 64)
				peakRSS = kb << 10
			}
		}
		f.Close()
	}
	return cpu, peakRSS
}

// server is the real gallerist binary running in its own process.
type server struct {
	cmd   *exec.Cmd
	base  string
	token string
}

func startBinary(b *testing.B, bin string, extra ...string) *server {
	dir := b.TempDir()
	out, err := exec.Command(bin, "token", "create", "--data", dir, "--name", "bench",
		"--scopes", "media:read,media:create,media:update,media:delete,products:read,products:write").Output()
	if err != nil {
		b.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	addr := ln.Addr().String()
	ln.Close()
	cmd := exec.Command(bin, append([]string{"serve", "--data", dir, "--addr", addr}, extra...)...)
	cmd.Stderr = io.Discard
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { cmd.Process.Signal(os.Interrupt); cmd.Wait() })
	s := &server{cmd: cmd, base: "http://" + addr, token: lines[len(lines)-1]}
	for i := 0; i < 200; i++ {
		if res, err := http.Get(s.base + "/api/ping"); err == nil {
			res.Body.Close()
			return s
		}
		time.Sleep(25 * time.Millisecond)
	}
	b.Fatal("server did not start")
	return nil
}

func (s *server) upload(b *testing.B, name string, body []byte) float64 {
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	fw, _ := mw.CreateFormFile("file", name)
	fw.Write(body)
	mw.Close()
	req, _ := http.NewRequest("POST", s.base+"/api/media", &buf)
	req.Header.Set("Authorization", "Bearer "+s.token)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		b.Fatal(err)
	}
	defer res.Body.Close()
	var out struct {
		Media []map[string]any `json:"media"`
	}
	if err := json.NewDecoder(res.Body).Decode(&out); err != nil || res.StatusCode != 201 {
		b.Fatalf("upload: %d %v", res.StatusCode, err)
	}
	return out.Media[0]["id"].(float64)
}

func (s *server) get(b *testing.B, path string) map[string]any {
	req, _ := http.NewRequest("GET", s.base+path, nil)
	req.Header.Set("Authorization", "Bearer "+s.token)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		b.Fatal(err)
	}
	defer res.Body.Close()
	var m map[string]any
	json.NewDecoder(res.Body).Decode(&m)
	return m
}

func (s *server) waitReady(b *testing.B, ids ...float64) map[string]any {
	var m map[string]any
	for _, id := range ids {
		for {
			m = s.get(b, fmt.Sprintf("/api/media/%d", int64(id)))
			if m["processing"] != "pending" {
				break
			}
			time.Sleep(20 * time.Millisecond)
		}
		if m["processing"] != "ready" {
			b.Fatalf("processing %v: %v", m["processing"], m["processing_error"])
		}
	}
	return m
}

func buildBinary(b *testing.B) string {
	bin := filepath.Join(b.TempDir(), "gallerist")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		b.Fatalf("build: %v\n%s", err, out)
	}
	return bin
}

// BenchmarkRenditions measures, on the 20 MP reference photo, against one
// image/jpeg decode of it in the same run: the server's CPU time for one
// upload and every eager rendition (all seven widths, JPEG and WebP); its peak
// RSS for one upload and for four at once; cached rendition requests/s (200
// and 304); and the /api/media list p50 while renditions are being made.
// Run with -benchtime=1x (scripts/bench-renditions.sh).
func BenchmarkRenditions(b *testing.B) {
	photo := benchPhoto(b)
	bin := buildBinary(b)
	loadgen := buildLoadgen(b)

	t0 := cpuSelf()
	const decodes = 3
	for i := 0; i < decodes; i++ {
		if _, err := jpeg.Decode(bytes.NewReader(photo)); err != nil {
			b.Fatal(err)
		}
	}
	decode := (cpuSelf() - t0) / decodes

	for i := 0; i < b.N; i++ {
		// One upload, one worker.
		s := startBinary(b, bin, "--render-workers", "1")
		cpu0, _ := procStat(s.cmd.Process.Pid)
		m := s.waitReady(b, s.upload(b, "kleiber.jpg", photo))
		cpu1, rss1 := procStat(s.cmd.Process.Pid)
		b.ReportMetric(float64(decode.Milliseconds()), "stdlib-decode-ms")
		b.ReportMetric(float64((cpu1 - cpu0).Milliseconds()), "upload+renditions-cpu-ms")
		b.ReportMetric(float64(cpu1-cpu0)/float64(decode), "x-decode")
		b.ReportMetric(float64(rss1)/(1<<20), "peak-rss-MB-1-upload")

		// Cached rendition requests.
		u := strings.TrimPrefix(m["renditions"].(map[string]any)["320"].(string), "http://127.0.0.1")
		u = s.base + u[strings.Index(u, "/files/"):]
		res, _ := http.Get(u)
		etag := res.Header.Get("ETag")
		res.Body.Close()
		r200 := load(b, loadgen, u, "", 3*time.Second)
		r304 := loadWithHeader(b, loadgen, u, "If-None-Match: "+etag, 3*time.Second)
		ping := load(b, loadgen, s.base+"/api/ping", "", 3*time.Second)
		b.ReportMetric(r200.RPS, "rendition-200-req/s")
		b.ReportMetric(r304.RPS, "rendition-304-req/s")
		b.ReportMetric(ping.RPS, "ping-req/s")

		// Four uploads at once, with the default pool (one worker per spare core).
		s4 := startBinary(b, bin)
		var wg sync.WaitGroup
		ids := make([]float64, 4)
		for k := range ids {
			wg.Add(1)
			go func() {
				defer wg.Done()
				ids[k] = s4.upload(b, fmt.Sprintf("k%d.jpg", k), withComment(photo, fmt.Sprintf("copy %d", k)))
			}()
		}
		wg.Wait()
		// The list stays responsive while they are processed.
		busy := load(b, loadgen, s4.base+"/api/media?limit=24", s4.token, 2*time.Second)
		s4.waitReady(b, ids...)
		_, rss4 := procStat(s4.cmd.Process.Pid)
		idle := load(b, loadgen, s4.base+"/api/media?limit=24", s4.token, 2*time.Second)
		b.ReportMetric(float64(rss4)/(1<<20), "peak-rss-MB-4-uploads")
		b.ReportMetric(busy.P50MS, "list-p50-ms-while-rendering")
		b.ReportMetric(idle.P50MS, "list-p50-ms-idle")
	}
}

func loadWithHeader(tb testing.TB, bin, url, header string, d time.Duration) loadResult {
	tb.Helper()
	out, err := exec.Command(bin, "-url", url, "-c", "8", "-d", d.String(), "-H", header).Output()
	if err != nil {
		tb.Fatalf("loadgen: %v", err)
	}
	var r loadResult
	if err := json.Unmarshal(out, &r); err != nil {
		tb.Fatal(err)
	}
	return r
}
