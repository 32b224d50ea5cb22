package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"gallerist/data"
)

// Helpers shared by the benchmarks: the loopback load generator, the real
// binary under load, and figures.

type loadResult struct {
	Requests int     `json:"requests"`
	Errors   int     `json:"errors"`
	RPS      float64 `json:"rps"`
	P50MS    float64 `json:"p50_ms"`
	P99MS    float64 `json:"p99_ms"`
}

// buildLoadgen compiles scripts/loadgen once per benchmark run.
func buildLoadgen(tb testing.TB) string {
	tb.Helper()
	bin := filepath.Join(tb.TempDir(), "loadgen")
	if out, err := exec.Command("go", "build", "-o", bin, "./scripts/loadgen").CombinedOutput(); err != nil {
		tb.Fatalf("build loadgen: %v\n%s", err, out)
	}
	return bin
}

// loadDuration is how long each load runs: 5 s, or GALLERIST_LOAD_SECONDS.
func loadDuration() time.Duration {
	if s, err := time.ParseDuration(os.Getenv("GALLERIST_LOAD_SECONDS") + "s"); err == nil && s > 0 {
		return s
	}
	return 5 * time.Second
}

// load runs the load generator as a second process against url.
func load(tb testing.TB, bin, url, token string, d time.Duration) loadResult {
	tb.Helper()
	args := []string{"-url", url, "-c", "8", "-d", d.String()}
	if token != "" {
		args = append(args, "-H", "Authorization: Bearer "+token)
	}
	return loadArgs(tb, bin, args...)
}

// loadArgs runs the load generator with args (-url and the rest).
func loadArgs(tb testing.TB, bin string, args ...string) loadResult {
	tb.Helper()
	out, err := exec.CommandContext(context.Background(), bin, args...).Output()
	if err != nil {
		tb.Fatalf("loadgen %v: %v", args, err)
	}
	var r loadResult
	if err := json.Unmarshal(out, &r); err != nil {
		tb.Fatalf("loadgen output %q: %v", out, err)
	}
	if r.Errors > 0 {
		tb.Fatalf("loadgen %v: %d errors", args, r.Errors)
	}
	return r
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

// galleryOf250 makes a product whose gallery holds 250 images and returns its
// id and image ids in order.
func galleryOf250(tb testing.TB, e *testEnv) (int64, []int64) {
	tb.Helper()
	ctx := data.WithPrincipal(context.Background(), data.Principal{OrgID: e.app.defOrg.ID, Actor: "bench"})
	media := e.seedImages(tb, 250)
	p, err := e.app.catalog.CreateProduct(ctx, data.ProductCreate{Title: "Big gallery"})
	if err != nil {
		tb.Fatal(err)
	}
	imgs, err := e.app.catalog.AttachMedia(ctx, p.ID, data.GalleryAttach{MediaIDs: media})
	if err != nil {
		tb.Fatal(err)
	}
	ids := make([]int64, len(imgs))
	for i, gi := range imgs {
		ids[i] = gi.ID
	}
	return p.ID, ids
}

func timedRequest(tb testing.TB, client *http.Client, method, url, tok, body string) time.Duration {
	req, _ := http.NewRequest(method, url, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+tok)
	req.Header.Set("Content-Type", "application/json")
	t0 := time.Now()
	res, err := client.Do(req)
	if err != nil {
		tb.Fatal(err)
	}
	io.Copy(io.Discard, res.Body)
	res.Body.Close()
	d := time.Since(t0)
	if res.StatusCode != 200 {
		tb.Fatalf("%s %s: %d", method, url, res.StatusCode)
	}
	return d
}

func p50(ds []time.Duration) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[len(s)/2]
}

func ms64(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

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
