// Command loadgen is Gallerist's load generator: it sends GET requests to one
// URL from C concurrent keep-alive connections for a duration, and prints
// requests/s and latency percentiles as JSON. A "{n}" in the URL becomes a
// number that changes with every request (a search term no cache has seen). Benchmarks run it as a second
// process so the server under test does not share its Go runtime.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Result is what loadgen prints.
type Result struct {
	URL      string  `json:"url"`
	Requests int     `json:"requests"`
	Errors   int     `json:"errors"`
	Seconds  float64 `json:"seconds"`
	RPS      float64 `json:"rps"`
	P50MS    float64 `json:"p50_ms"`
	P90MS    float64 `json:"p90_ms"`
	P99MS    float64 `json:"p99_ms"`
}

func main() {
	url := flag.String("url", "", "URL to GET")
	conc := flag.Int("c", 8, "concurrent connections")
	dur := flag.Duration("d", 5*time.Second, "duration")
	hdr := flag.String("H", "", "one extra header, \"Name: value\"")
	noFollow := flag.Bool("no-follow", false, "count a redirect as the answer instead of following it")
	flag.Parse()
	if *url == "" || !strings.HasPrefix(*url, "http://127.") {
		fmt.Fprintln(os.Stderr, "loadgen: -url must be a loopback http URL")
		os.Exit(2)
	}
	tr := &http.Transport{MaxIdleConnsPerHost: *conc, MaxConnsPerHost: *conc, DisableCompression: true}
	client := &http.Client{Transport: tr, Timeout: 30 * time.Second}
	if *noFollow {
		client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	}
	name, value, _ := strings.Cut(*hdr, ":")
	deadline := time.Now().Add(*dur)
	var seq atomic.Int64
	var mu sync.Mutex
	var lat []time.Duration
	errs := 0
	var wg sync.WaitGroup
	start := time.Now()
	for i := 0; i < *conc; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			local := make([]time.Duration, 0, 4096)
			e := 0
			for time.Now().Before(deadline) {
				u := *url
				if strings.Contains(u, "{n}") {
					u = strings.ReplaceAll(u, "{n}", strconv.FormatInt(seq.Add(1), 10))
				}
				req, _ := http.NewRequest("GET", u, nil)
				if name != "" {
					req.Header.Set(strings.TrimSpace(name), strings.TrimSpace(value))
				}
				t0 := time.Now()
				res, err := client.Do(req)
				if err != nil {
					e++
					continue
				}
				io.Copy(io.Discard, res.Body)
				res.Body.Close()
				if res.StatusCode >= 400 {
					e++
					continue
				}
				local = append(local, time.Since(t0))
			}
			mu.Lock()
			lat = append(lat, local...)
			errs += e
			mu.Unlock()
		}()
	}
	wg.Wait()
	secs := time.Since(start).Seconds()
	slices.Sort(lat)
	pct := func(p float64) float64 {
		if len(lat) == 0 {
			return 0
		}
		return float64(lat[int(p*float64(len(lat)-1))].Microseconds()) / 1000
	}
	r := Result{URL: *url, Requests: len(lat), Errors: errs, Seconds: secs, RPS: float64(len(lat)) / secs,
		P50MS: pct(0.5), P90MS: pct(0.9), P99MS: pct(0.99)}
	json.NewEncoder(os.Stdout).Encode(r)
}
