package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"
)

// crashItem is what a client was told about one media item: its last
// acknowledged state, and the state an operation still in flight when the
// server died may have left instead.
type crashItem struct {
	id          int64
	sha         string
	state, alt  string // state: live, trashed or purged
	maybeState  string // set while an operation is unacknowledged
	maybeAlt    string
	trashedAcks int // a GC that started after a trash may have purged it
}

// crashClient drives one store's worth of operations against the server and
// records what was acknowledged.
type crashClient struct {
	n         int
	items     []*crashItem
	product   int64
	images    []int64 // gallery image ids in the last acknowledged order
	maybe     []int64 // an order sent but not acknowledged
	ops, acks int
}

// TestCrashConsistency runs the real binary, drives uploads, alt edits,
// reorders, trash/force, restore, purge and gallerist gc from several
// clients, kills the server with SIGKILL at random moments, runs gallerist
// verify on what it left, restarts it, and checks every acknowledged
// operation item by item. GALLERIST_CRASH_ITERATIONS sets the number of kills (default 20).
func TestCrashConsistency(t *testing.T) {
	iterations := 20
	if v, err := strconv.Atoi(os.Getenv("GALLERIST_CRASH_ITERATIONS")); err == nil && v > 0 {
		iterations = v
	}
	if testing.Short() {
		iterations = 3
	}
	bin := buildBinary(t)
	s := startBinary(t, bin, "--render-workers", "1")
	jpg := readFile(t, goImageTestdata("video-001.jpeg"))
	clients := make([]*crashClient, 3)
	for i := range clients {
		c := &crashClient{n: i}
		st, body := s.request(t, "POST", "/api/products", bytes.NewReader([]byte(fmt.Sprintf(`{"title": "Crash %d"}`, i))), "application/json")
		if st != 201 {
			t.Fatalf("product: %d %s", st, body)
		}
		c.product = jsonID(t, body)
		for k := 0; k < 4; k++ {
			mid := int64(s.upload(t, fmt.Sprintf("g%d-%d.jpg", i, k), append(slices.Clone(jpg), byte(i), byte(k), 0xd9)))
			st, body := s.request(t, "POST", fmt.Sprintf("/api/products/%d/images", c.product), bytes.NewReader([]byte(fmt.Sprintf(`{"media_id": %d}`, mid))), "application/json")
			if st != 201 {
				t.Fatalf("attach: %d %s", st, body)
			}
			c.images = append(c.images, jsonID(t, body))
		}
		clients[i] = c
	}
	var gcs int
	totalOps, totalAcks := 0, 0
	for it := 0; it < iterations; it++ {
		stop := make(chan struct{})
		var gc *exec.Cmd
		if it%3 == 2 { // a gallerist gc alongside, killed with the server
			for _, c := range clients {
				for _, m := range c.items {
					if m.state == "trashed" {
						m.trashedAcks++
					}
				}
			}
			gc = exec.Command(bin, "gc", "--data", s.dir, "--trash-days", "0")
			if err := gc.Start(); err != nil {
				t.Fatal(err)
			}
			gcs++
		}
		var wg sync.WaitGroup
		for _, c := range clients {
			wg.Add(1)
			go func() {
				defer wg.Done()
				c.run(s, jpg, it, gc != nil, stop)
			}()
		}
		time.Sleep(time.Duration(200+rand.IntN(600)) * time.Millisecond)
		s.kill()
		if gc != nil {
			gc.Process.Kill()
			gc.Wait()
		}
		close(stop)
		wg.Wait()
		// The killed instance passes gallerist verify: integrity, foreign
		// keys, gallery positions, every blob's sha256, every rendition file
		// (orphans a kill leaves are warnings).
		if out, err := exec.Command(bin, "verify", "--data", s.dir).CombinedOutput(); err != nil {
			t.Fatalf("verify after kill %d: %v\n%s", it, err, out)
		}
		s.start(t)
		for _, c := range clients {
			c.check(t, s)
		}
	}
	for _, c := range clients {
		totalOps += c.ops
		totalAcks += c.acks
	}
	t.Logf("%d kills, %d gallerist gc runs alongside, %d operations sent, %d acknowledged, 0 acknowledged lost (checked item by item)",
		iterations, gcs, totalOps, totalAcks)
}

func jsonID(t testing.TB, body []byte) int64 {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(body, &m); err != nil {
		t.Fatalf("%v: %s", err, body)
	}
	if ms, ok := m["media"].([]any); ok {
		m = ms[0].(map[string]any)
	}
	return int64(m["id"].(float64))
}

// send does one request; ok is false when the server did not answer.
func send(s *server, method, path, body string) (int, []byte, bool) {
	var r *bytes.Reader
	if body != "" {
		r = bytes.NewReader([]byte(body))
	}
	req, _ := http.NewRequest(method, s.base+path, nil)
	if r != nil {
		req, _ = http.NewRequest(method, s.base+path, r)
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Authorization", "Bearer "+s.token)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, nil, false
	}
	defer res.Body.Close()
	var b bytes.Buffer
	if _, err := b.ReadFrom(res.Body); err != nil {
		return 0, nil, false
	}
	return res.StatusCode, b.Bytes(), true
}

// run sends operations one at a time until the server dies or stop closes.
func (c *crashClient) run(s *server, jpg []byte, it int, gcRunning bool, stop chan struct{}) {
	for k := 0; ; k++ {
		select {
		case <-stop:
			return
		default:
		}
		switch op := rand.IntN(10); {
		case op < 4 || len(c.items) == 0: // upload
			body := append(slices.Clone(jpg), []byte(fmt.Sprintf("c%d-i%d-k%d", c.n, it, k))...)
			sum := sha256.Sum256(body)
			mb, ct := buildMultipart([]upFile{{name: fmt.Sprintf("c%d-%d-%d.jpg", c.n, it, k), body: body}}, nil)
			req, _ := http.NewRequest("POST", s.base+"/api/media", mb)
			req.Header.Set("Authorization", "Bearer "+s.token)
			req.Header.Set("Content-Type", ct)
			c.ops++
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				return // an upload that got no answer may or may not exist: it has no id to check
			}
			var out struct {
				Media []struct {
					ID int64 `json:"id"`
				} `json:"media"`
			}
			err = json.NewDecoder(res.Body).Decode(&out)
			res.Body.Close()
			if err != nil || res.StatusCode != 201 {
				return
			}
			c.acks++
			c.items = append(c.items, &crashItem{id: out.Media[0].ID, sha: hex.EncodeToString(sum[:]), state: "live"})
		case op < 6: // alt edit on a live item
			m := c.items[rand.IntN(len(c.items))]
			if m.state != "live" || m.maybeState != "" {
				continue
			}
			alt := fmt.Sprintf("alt %d-%d", it, k)
			m.maybeAlt = alt
			c.ops++
			st, _, ok := send(s, "PATCH", fmt.Sprintf("/api/media/%d", m.id), fmt.Sprintf(`{"alt": %q}`, alt))
			if !ok {
				return
			}
			if st == 200 {
				c.acks++
				m.alt, m.maybeAlt = alt, ""
			}
		case op < 7: // reorder
			o := slices.Clone(c.images)
			rand.Shuffle(len(o), func(i, j int) { o[i], o[j] = o[j], o[i] })
			c.maybe = o
			c.ops++
			st, _, ok := send(s, "POST", fmt.Sprintf("/api/products/%d/images/reorder", c.product), jsonIDs(o))
			if !ok {
				return
			}
			if st == 200 {
				c.acks++
				c.images, c.maybe = o, nil
			}
		default: // trash, restore or purge, depending on the state
			m := c.items[rand.IntN(len(c.items))]
			if m.maybeState != "" || m.state == "purged" {
				continue
			}
			method, path, next, want := "DELETE", fmt.Sprintf("/api/media/%d?force=true", m.id), "trashed", 204
			if m.state == "trashed" {
				if rand.IntN(2) == 0 {
					method, path, next, want = "POST", fmt.Sprintf("/api/media/%d/restore", m.id), "live", 200
				} else {
					method, path, next, want = "DELETE", fmt.Sprintf("/api/media/%d?purge=true", m.id), "purged", 204
				}
			}
			m.maybeState = next
			if next == "trashed" && gcRunning {
				m.trashedAcks++ // the gc running now may purge it
			}
			c.ops++
			st, _, ok := send(s, method, path, "")
			if !ok {
				return
			}
			if st == want {
				c.acks++
				m.state = next
			} else if st == 404 && m.trashedAcks > 0 {
				m.state = "purged" // a gc purged it
			}
			m.maybeState = ""
		}
	}
}

// check compares the restarted server's answers with what was acknowledged.
func (c *crashClient) check(t *testing.T, s *server) {
	t.Helper()
	for _, m := range c.items {
		st, body, ok := send(s, "GET", fmt.Sprintf("/api/media/%d", m.id), "")
		if !ok {
			t.Fatalf("server down after restart:\n%s", s.log)
		}
		got := "purged"
		var obj map[string]any
		if st == 200 {
			json.Unmarshal(body, &obj)
			got = "live"
			if obj["deleted_at"] != nil {
				got = "trashed"
			}
		} else if st != 404 {
			t.Fatalf("item %d: %d %s", m.id, st, body)
		}
		allowed := []string{m.state}
		if m.maybeState != "" {
			allowed = append(allowed, m.maybeState)
		}
		if (m.state == "trashed" || m.maybeState == "trashed") && m.trashedAcks > 0 {
			allowed = append(allowed, "purged") // a gc ran after it was trashed
		}
		if !slices.Contains(allowed, got) {
			t.Fatalf("client %d item %d: acknowledged %s (in flight: %q), after the crash %s", c.n, m.id, m.state, m.maybeState, got)
		}
		m.state, m.maybeState = got, ""
		if got == "purged" {
			continue
		}
		alt, _ := obj["alt"].(string)
		if alt != m.alt && (m.maybeAlt == "" || alt != m.maybeAlt) {
			t.Fatalf("item %d: alt %q, acknowledged %q (in flight %q)", m.id, alt, m.alt, m.maybeAlt)
		}
		m.alt, m.maybeAlt = alt, ""
		st, file, _ := send(s, "GET", fmt.Sprintf("/api/media/%d/download", m.id), "")
		sum := sha256.Sum256(file)
		if st != 200 || hex.EncodeToString(sum[:]) != m.sha {
			t.Fatalf("item %d (%s): download %d, sha256 %x, want %s", m.id, got, st, sum, m.sha)
		}
	}
	st, body, _ := send(s, "GET", fmt.Sprintf("/api/products/%d/images?limit=100", c.product), "")
	var g struct {
		Data []struct {
			ID int64 `json:"id"`
		} `json:"data"`
	}
	if err := json.Unmarshal(body, &g); err != nil || st != 200 {
		t.Fatalf("gallery: %d %s", st, body)
	}
	var order []int64
	for _, im := range g.Data {
		order = append(order, im.ID)
	}
	if !slices.Equal(order, c.images) && (c.maybe == nil || !slices.Equal(order, c.maybe)) {
		t.Fatalf("client %d gallery %v, acknowledged %v (in flight %v)", c.n, order, c.images, c.maybe)
	}
	c.images, c.maybe = order, nil
}
