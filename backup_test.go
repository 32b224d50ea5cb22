package main

import (
	"bytes"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"
	"io/fs"
	"math/rand/v2"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// bkRun runs the real binary and returns its stdout, stderr and exit code.
func bkRun(t testing.TB, bin string, args ...string) (string, string, int) {
	t.Helper()
	var out, errb bytes.Buffer
	cmd := exec.Command(bin, args...)
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	var ee *exec.ExitError
	switch {
	case err == nil:
		return out.String(), errb.String(), 0
	case errors.As(err, &ee):
		return out.String(), errb.String(), ee.ExitCode()
	}
	t.Fatalf("%s %v: %v", bin, args, err)
	return "", "", -1
}

// bkMustRun runs the binary and fails the test unless it exits 0.
func bkMustRun(t testing.TB, bin string, args ...string) string {
	t.Helper()
	out, errOut, code := bkRun(t, bin, args...)
	if code != 0 {
		t.Fatalf("gallerist %s: exit %d\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), code, out, errOut)
	}
	return out
}

// bkPNG is a small real PNG whose bytes are distinct for every i (safe to
// call from client goroutines).
func bkPNG(i, w, h int) []byte {
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			img.Set(x, y, color.NRGBA{uint8(x*5 + i), uint8(y*3 + i>>8), uint8(i >> 16), 255})
		}
	}
	img.Set(0, 0, color.NRGBA{byte(i), byte(i >> 8), byte(i >> 16), 255})
	var b bytes.Buffer
	png.Encode(&b, img)
	return b.Bytes()
}

func bkSHA(b []byte) string { s := sha256.Sum256(b); return hex.EncodeToString(s[:]) }

// bkClient sends API requests from any goroutine (no t).
type bkClient struct {
	base, token string
	c           *http.Client
}

func (c *bkClient) do(method, path string, body io.Reader, ct string) (int, []byte, error) {
	req, err := http.NewRequest(method, c.base+path, body)
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("Authorization", "Bearer "+c.token)
	if ct != "" {
		req.Header.Set("Content-Type", ct)
	}
	res, err := c.c.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	return res.StatusCode, b, err
}

// upload uploads one file and returns the created item's id and sha256.
func (c *bkClient) upload(name string, body []byte) (int64, string, error) {
	mb, ct := buildMultipart([]upFile{{name: name, body: body}}, nil)
	st, b, err := c.do("POST", "/api/media", mb, ct)
	if err != nil {
		return 0, "", err
	}
	if st != 201 {
		return 0, "", fmt.Errorf("upload %s: %d %s", name, st, b)
	}
	var out struct {
		Media []struct {
			ID     int64  `json:"id"`
			SHA256 string `json:"sha256"`
		} `json:"media"`
	}
	if err := json.Unmarshal(b, &out); err != nil || len(out.Media) != 1 {
		return 0, "", fmt.Errorf("upload %s: %s", name, b)
	}
	return out.Media[0].ID, out.Media[0].SHA256, nil
}

type bkRow struct {
	sha     string
	trashed bool
}

// bkRows reads every media row of a data dir's database, read-only.
func bkRows(t testing.TB, dir string) map[int64]bkRow {
	t.Helper()
	db, err := sql.Open("sqlite3", "file:"+filepath.Join(dir, "gallerist.db")+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rows, err := db.Query(`SELECT id, sha256, deleted_at IS NOT NULL FROM media`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[int64]bkRow{}
	for rows.Next() {
		var id int64
		var r bkRow
		if err := rows.Scan(&id, &r.sha, &r.trashed); err != nil {
			t.Fatal(err)
		}
		out[id] = r
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// bkCheckRestored checks, item by item, that the data dir restored holds
// the n media rows of the data dir src and that each row's blob hashes to
// its sha256.
func bkCheckRestored(t testing.TB, src, restored string, n int) {
	t.Helper()
	want, got := bkRows(t, src), bkRows(t, restored)
	if len(want) != n || len(got) != len(want) {
		t.Fatalf("media rows: %d restored, %d backed up, want %d", len(got), len(want), n)
	}
	for id, r := range want {
		if got[id] != r {
			t.Fatalf("media %d: restored %+v, backed up %+v", id, got[id], r)
		}
		b, err := os.ReadFile(bkBlobPath(restored, r.sha))
		if err != nil {
			t.Fatal(err)
		}
		if bkSHA(b) != r.sha {
			t.Fatalf("media %d: restored blob does not hash to %s", id, r.sha)
		}
	}
}

// bkCopyDir copies a (stopped) data or backup dir.
func bkCopyDir(t testing.TB, src, dst string) {
	t.Helper()
	err := filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		to := filepath.Join(dst, rel)
		if d.IsDir() {
			return os.MkdirAll(to, 0o750)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(to, b, 0o600)
	})
	if err != nil {
		t.Fatal(err)
	}
}

// bkExec runs SQL on a (stopped) data dir's database.
func bkExec(t testing.TB, dir, query string, args ...any) {
	t.Helper()
	db, err := sql.Open("sqlite3", "file:"+filepath.Join(dir, "gallerist.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec(query, args...); err != nil {
		t.Fatal(err)
	}
}

// bkCount runs a COUNT query on a data dir's database, read-only (beside
// a process that may be writing it).
func bkCount(t testing.TB, dir, query string, args ...any) int {
	t.Helper()
	db, err := sql.Open("sqlite3", "file:"+filepath.Join(dir, "gallerist.db")+"?mode=ro&_busy_timeout=10000")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var n int
	if err := db.QueryRow(query, args...).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func bkBlobPath(dir, sha string) string { return filepath.Join(dir, "blobs", sha[:2], sha[2:4], sha) }

// TestBackupUnderLoad takes a backup with the real binary while clients
// upload, force-trash and purge and `gallerist gc --trash-days 0` runs in a
// loop, restores it, and checks that verify passes on the restored instance
// (and on the live one under load) and that every upload acknowledged
// before the backup started is in the restored database, item by item by id
// and sha256, in the state acknowledged, unless a purge of it (by a client,
// or by a GC run that started after it was trashed) may have committed
// before the snapshot.
func TestBackupUnderLoad(t *testing.T) {
	bin := buildBinary(t)
	s := startBinary(t, bin, "--render-workers", "1")
	cl := &bkClient{base: s.base, token: s.token, c: &http.Client{Timeout: time.Minute}}

	type item struct {
		sha                      string
		acked                    time.Time
		trashSent, trashAcked    time.Time
		purgeSent, purgeAcked    time.Time
		trashFailed, purgeFailed bool
	}
	var mu sync.Mutex
	items := map[int64]*item{}
	var order []int64
	// Each gc run, start to end: a run purges what was trashed before any of
	// its batches looked, so a trash sent while a run is under way may be
	// purged by it even though the run started earlier.
	var gcRuns [][2]time.Time
	var n int
	next := func() int { mu.Lock(); defer mu.Unlock(); n++; return n }

	// A library before the load, some of it in a gallery.
	for i := 0; i < 150; i++ {
		k := next()
		id, sha, err := cl.upload(fmt.Sprintf("seed-%d.png", k), bkPNG(k, 24, 16))
		if err != nil {
			t.Fatal(err)
		}
		items[id] = &item{sha: sha, acked: time.Now()}
		order = append(order, id)
	}
	st, b, err := cl.do("POST", "/api/products", strings.NewReader(`{"title": "Mug"}`), "application/json")
	if err != nil || st != 201 {
		t.Fatalf("create product: %d %s %v", st, b, err)
	}
	var prod struct{ ID int64 }
	json.Unmarshal(b, &prod)
	for _, id := range order[:30] {
		if st, b, err := cl.do("POST", fmt.Sprintf("/api/products/%d/images", prod.ID), strings.NewReader(fmt.Sprintf(`{"media_id": %d}`, id)), "application/json"); err != nil || st != 201 {
			t.Fatalf("attach: %d %s %v", st, b, err)
		}
	}

	stop := make(chan struct{})
	var wg sync.WaitGroup
	errs := make(chan error, 100)
	for c := 0; c < 3; c++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				k := next()
				id, sha, err := cl.upload(fmt.Sprintf("load-%d.png", k), bkPNG(k, 24, 16))
				if err != nil {
					errs <- err
					return
				}
				mu.Lock()
				items[id] = &item{sha: sha, acked: time.Now()}
				order = append(order, id)
				mu.Unlock()
			}
		}()
	}
	wg.Add(1)
	go func() { // trash (force) and purge, old items and new
		defer wg.Done()
		for {
			select {
			case <-stop:
				return
			case <-time.After(5 * time.Millisecond):
			}
			mu.Lock()
			id := order[rand.IntN(len(order))]
			it := items[id]
			mu.Unlock()
			if !it.trashSent.IsZero() {
				continue
			}
			mu.Lock()
			it.trashSent = time.Now()
			mu.Unlock()
			st, _, err := cl.do("DELETE", fmt.Sprintf("/api/media/%d?force=true", id), nil, "")
			mu.Lock()
			if err == nil && st == 204 {
				it.trashAcked = time.Now()
			} else {
				it.trashFailed = true
			}
			mu.Unlock()
			if rand.IntN(2) == 0 {
				continue
			}
			mu.Lock()
			it.purgeSent = time.Now()
			mu.Unlock()
			st, _, err = cl.do("DELETE", fmt.Sprintf("/api/media/%d?purge=true", id), nil, "")
			mu.Lock()
			if err == nil && st == 204 {
				it.purgeAcked = time.Now()
			} else {
				it.purgeFailed = true // 404: GC purged it first
			}
			mu.Unlock()
		}
	}()
	wg.Add(1)
	go func() { // gallerist gc --trash-days 0, again and again
		defer wg.Done()
		for {
			select {
			case <-stop:
				return
			default:
			}
			start := time.Now()
			out, err := exec.Command(bin, "gc", "--data", s.dir, "--trash-days", "0").CombinedOutput()
			mu.Lock()
			gcRuns = append(gcRuns, [2]time.Time{start, time.Now()})
			mu.Unlock()
			if err != nil {
				errs <- fmt.Errorf("gc: %v\n%s", err, out)
				return
			}
			time.Sleep(20 * time.Millisecond)
		}
	}()

	time.Sleep(time.Second)
	// verify works on the live instance under load.
	liveOut, liveErr, liveCode := bkRun(t, bin, "verify", "--data", s.dir)
	backupDir := filepath.Join(t.TempDir(), "backup")
	backupStart := time.Now()
	bout, berr, bcode := bkRun(t, bin, "backup", "--data", s.dir, "--to", backupDir)
	backupEnd := time.Now()
	time.Sleep(300 * time.Millisecond)
	close(stop)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if liveCode != 0 {
		t.Fatalf("verify of the live instance under load: exit %d\n%s\n%s", liveCode, liveOut, liveErr)
	}
	if bcode != 0 {
		t.Fatalf("backup: exit %d\n%s\n%s\nserver log:\n%s", bcode, bout, berr, s.log)
	}
	t.Logf("backup: %s\n%s", strings.TrimSpace(bout), berr)
	restored := filepath.Join(t.TempDir(), "restored")
	t.Logf("restore: %s", strings.TrimSpace(bkMustRun(t, bin, "restore", "--from", backupDir, "--data", restored)))
	if out, errOut, code := bkRun(t, bin, "verify", "--data", restored); code != 0 || !strings.Contains(out, "OK: no problems") {
		t.Fatalf("verify of the restored instance: exit %d\n%s\n%s", code, out, errOut)
	}

	rows := bkRows(t, restored)
	mayBePurged := func(it *item) bool {
		if !it.purgeSent.IsZero() && it.purgeSent.Before(backupEnd) {
			return true
		}
		if it.trashSent.IsZero() || !it.trashSent.Before(backupEnd) {
			return false
		}
		for _, g := range gcRuns {
			if g[1].After(it.trashSent) && g[0].Before(backupEnd) {
				return true
			}
		}
		return false
	}
	var checked, trashed, goneOK, maybe int
	var present []int64
	for id, it := range items {
		if !it.acked.Before(backupStart) {
			continue
		}
		r, ok := rows[id]
		switch {
		case !it.purgeAcked.IsZero() && it.purgeAcked.Before(backupStart):
			if ok {
				t.Errorf("media %d was purged (acknowledged before the backup started) but is in the backup", id)
			}
			goneOK++
			continue
		case !ok && mayBePurged(it):
			maybe++
			continue
		case !ok:
			t.Errorf("media %d (acknowledged %s before the backup started, never purged) is missing from the restored instance",
				id, backupStart.Sub(it.acked))
			continue
		}
		if r.sha != it.sha {
			t.Errorf("media %d: restored sha256 %s, uploaded %s", id, r.sha, it.sha)
		}
		if !it.trashAcked.IsZero() && it.trashAcked.Before(backupStart) && !r.trashed {
			t.Errorf("media %d was trashed before the backup started but is live in the backup", id)
		}
		if (it.trashSent.IsZero() || !it.trashSent.Before(backupEnd)) && r.trashed {
			t.Errorf("media %d is trashed in the backup but was never trashed before it ended", id)
		}
		if r.trashed {
			trashed++
		} else {
			present = append(present, id)
		}
		checked++
	}
	t.Logf("%d uploads acknowledged before the backup started: %d in the backup as acknowledged (%d trashed), %d purged before it and absent, %d trashed and possibly purged by GC before the snapshot",
		checked+goneOK+maybe, checked, trashed, goneOK, maybe)
	if checked < 100 || len(present) == 0 {
		t.Fatalf("too few items checked (%d) for the test to mean anything", checked)
	}

	// The restored instance serves the files.
	s2 := &server{bin: bin, dir: restored, token: s.token, log: &syncBuffer{}}
	s2.start(t)
	defer s2.stop()
	for _, id := range present[:min(20, len(present))] {
		st, body := s2.request(t, "GET", fmt.Sprintf("/api/media/%d/download", id), nil, "")
		if st != 200 || bkSHA(body) != items[id].sha {
			t.Fatalf("restored media %d download: %d, sha256 %s, want %s", id, st, bkSHA(body), items[id].sha)
		}
	}
}

// TestVerify: a clean instance verifies (while its server runs); then, each
// on a copy, a deleted blob, a corrupt blob, a deleted rendition and broken
// gallery positions make verify exit non-zero naming the problem, and an
// orphan file alone is a warning with exit 0.
func TestVerify(t *testing.T) {
	bin := buildBinary(t)
	s, ids := bkSeeded(t, bin, 6)
	sha := s.get(t, fmt.Sprintf("/api/media/%d", int64(ids[0])))["sha256"].(string)
	st, b := s.request(t, "POST", "/api/products", strings.NewReader(`{"title": "Mug"}`), "application/json")
	if st != 201 {
		t.Fatalf("create product: %d %s", st, b)
	}
	var prod struct{ ID int64 }
	json.Unmarshal(b, &prod)
	for _, id := range ids[:3] {
		if st, b := s.request(t, "POST", fmt.Sprintf("/api/products/%d/images", prod.ID), strings.NewReader(fmt.Sprintf(`{"media_id": %d}`, int64(id))), "application/json"); st != 201 {
			t.Fatalf("attach: %d %s", st, b)
		}
	}
	if st, b := s.request(t, "DELETE", fmt.Sprintf("/api/media/%d?force=true", int64(ids[5])), nil, ""); st != 204 {
		t.Fatalf("trash: %d %s", st, b)
	}

	out, errOut, code := bkRun(t, bin, "verify", "--data", s.dir)
	if code != 0 || !strings.Contains(out, "OK: no problems") || !strings.Contains(out, "6 media items") || strings.Contains(out, "warning") {
		t.Fatalf("verify of a clean running instance: exit %d\n%s\n%s", code, out, errOut)
	}
	s.stop()

	copyOf := func(t *testing.T) string {
		dir := filepath.Join(t.TempDir(), "data")
		bkCopyDir(t, s.dir, dir)
		return dir
	}
	var rendition string
	filepath.WalkDir(filepath.Join(s.dir, "renditions"), func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && rendition == "" {
			rendition, _ = filepath.Rel(s.dir, p)
		}
		return nil
	})
	if rendition == "" {
		t.Fatal("no rendition was made")
	}
	for _, tc := range []struct {
		name  string
		brk   func(t *testing.T, dir string)
		wants []string
	}{
		{"MissingBlob", func(t *testing.T, dir string) { os.Remove(bkBlobPath(dir, sha)) },
			[]string{"PROBLEM: media " + fmt.Sprint(int64(ids[0])) + " (item-0.png): blob " + sha + " is missing"}},
		{"CorruptBlob", func(t *testing.T, dir string) {
			p := bkBlobPath(dir, sha)
			b, _ := os.ReadFile(p)
			b[len(b)/2] ^= 0xff
			os.WriteFile(p, b, 0o600)
		}, []string{"PROBLEM: media " + fmt.Sprint(int64(ids[0])) + " (item-0.png): blob " + sha + " is corrupt: its content hashes to",
			"(blobs/" + sha[:2] + "/" + sha[2:4] + "/" + sha + ")"}},
		{"TruncatedBlob", func(t *testing.T, dir string) {
			p := bkBlobPath(dir, sha)
			b, _ := os.ReadFile(p)
			os.WriteFile(p, b[:len(b)-10], 0o600)
		}, []string{"PROBLEM: media " + fmt.Sprint(int64(ids[0])) + " (item-0.png): blob " + sha + " is ", " bytes, the database says ",
			": it was truncated or replaced (blobs/" + sha[:2] + "/" + sha[2:4] + "/" + sha + ")"}},
		{"ReplacedRendition", func(t *testing.T, dir string) { os.WriteFile(filepath.Join(dir, rendition), []byte("7 bytes"), 0o600) },
			[]string{"PROBLEM: rendition " + filepath.Base(rendition), "is 7 bytes, the database says ", "truncated or replaced (" + filepath.ToSlash(rendition) + ")"}},
		{"MissingRendition", func(t *testing.T, dir string) { os.Remove(filepath.Join(dir, rendition)) },
			[]string{"PROBLEM: rendition " + filepath.Base(rendition), "is missing (" + filepath.ToSlash(rendition) + ")"}},
		{"GalleryPositions", func(t *testing.T, dir string) {
			bkExec(t, dir, `UPDATE gallery_images SET position = 7 WHERE product_id = ? AND position = 2`, prod.ID)
		}, []string{fmt.Sprintf("PROBLEM: product %d: gallery positions are 1, 3, 7; they must be 1 to 3", prod.ID)}},
		{"ForeignKey", func(t *testing.T, dir string) {
			bkExec(t, dir, `PRAGMA foreign_keys = OFF; UPDATE gallery_images SET media_id = 9999 WHERE product_id = ? AND position = 1`, prod.ID)
		}, []string{"PROBLEM: foreign key: gallery_images row", "refers to a missing media row"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := copyOf(t)
			tc.brk(t, dir)
			out, errOut, code := bkRun(t, bin, "verify", "--data", dir)
			if code == 0 {
				t.Fatalf("verify exited 0 on a broken instance:\n%s", out)
			}
			for _, w := range tc.wants {
				if !strings.Contains(out, w) {
					t.Errorf("verify output lacks %q:\n%s\n%s", w, out, errOut)
				}
			}
			if !strings.Contains(errOut, "verify found 1 problem") {
				t.Errorf("stderr: %s", errOut)
			}
		})
	}
	t.Run("OrphansAreWarnings", func(t *testing.T) {
		dir := copyOf(t)
		body := []byte("bytes no row has")
		o := bkBlobPath(dir, bkSHA(body))
		os.MkdirAll(filepath.Dir(o), 0o750)
		os.WriteFile(o, body, 0o600)
		r := filepath.Join(dir, "renditions", sha[:2], sha[2:4], sha, "9999.jpg")
		os.WriteFile(r, body, 0o600)
		out, errOut, code := bkRun(t, bin, "verify", "--data", dir)
		if code != 0 || !strings.Contains(out, "warning: orphan blob blobs/") || !strings.Contains(out, "warning: orphan rendition renditions/") ||
			!strings.Contains(out, "1 orphan blob, 1 orphan rendition") || strings.Contains(out, "PROBLEM") {
			t.Fatalf("verify with orphans: exit %d\n%s\n%s", code, out, errOut)
		}
	})
}

// bkSeeded starts the binary (with extra serve flags) with n small images
// uploaded and rendered; item i's bytes are bkPNG(i, 120, 80).
func bkSeeded(t testing.TB, bin string, n int, extra ...string) (*server, []float64) {
	t.Helper()
	s := startBinary(t, bin, append([]string{"--render-workers", "1"}, extra...)...)
	var ids []float64
	for i := 0; i < n; i++ {
		ids = append(ids, s.upload(t, fmt.Sprintf("item-%d.png", i), bkPNG(i, 120, 80)))
	}
	s.waitReady(t, ids...)
	return s, ids
}

// bkBackup starts a server with a few items and returns a backup of it.
func bkBackup(t *testing.T, bin string) (*server, string) {
	t.Helper()
	s, _ := bkSeeded(t, bin, 4)
	dir := filepath.Join(t.TempDir(), "backup")
	bkMustRun(t, bin, "backup", "--data", s.dir, "--to", dir)
	return s, dir
}

// TestRestoreRefusesExistingDir: restore never writes into a data dir that
// has anything in it (and backup never into a non-empty --to); an empty
// existing dir is fine.
func TestRestoreRefusesExistingDir(t *testing.T) {
	bin := buildBinary(t)
	s, backup := bkBackup(t, bin)
	_, errOut, code := bkRun(t, bin, "restore", "--from", backup, "--data", s.dir)
	if code == 0 || !strings.Contains(errOut, "exists and is not empty") {
		t.Fatalf("restore over the live data dir: exit %d, %s", code, errOut)
	}
	target := t.TempDir()
	os.WriteFile(filepath.Join(target, "notes.txt"), []byte("mine"), 0o600)
	if _, errOut, code := bkRun(t, bin, "restore", "--from", backup, "--data", target); code == 0 || !strings.Contains(errOut, "exists and is not empty") {
		t.Fatalf("restore into a non-empty dir: exit %d, %s", code, errOut)
	}
	if entries, _ := os.ReadDir(target); len(entries) != 1 {
		t.Fatalf("the refused dir was changed: %v", entries)
	}
	if _, errOut, code := bkRun(t, bin, "backup", "--data", s.dir, "--to", target); code == 0 || !strings.Contains(errOut, "exists and is not empty") {
		t.Fatalf("backup into a non-empty dir: exit %d, %s", code, errOut)
	}
	empty := t.TempDir()
	bkMustRun(t, bin, "restore", "--from", backup, "--data", empty)
	bkMustRun(t, bin, "verify", "--data", empty)
}

// TestRestoreRefusesTamperedBackup: restore checks every file against the
// manifest and the manifest against the database, and writes nothing when
// anything does not match.
func TestRestoreRefusesTamperedBackup(t *testing.T) {
	bin := buildBinary(t)
	_, backup := bkBackup(t, bin)
	var m struct {
		Counts map[string]int64 `json:"counts"`
		Files  []struct {
			Path   string `json:"path"`
			SHA256 string `json:"sha256"`
		} `json:"files"`
	}
	raw, err := os.ReadFile(filepath.Join(backup, "manifest.json"))
	if err != nil {
		t.Fatal(err)
	}
	json.Unmarshal(raw, &m)
	blob := m.Files[0].Path
	if !strings.HasPrefix(blob, "blobs/") {
		t.Fatalf("first file %s", blob)
	}
	var rendition string
	for _, f := range m.Files {
		if strings.HasPrefix(f.Path, "renditions/") {
			rendition = f.Path
			break
		}
	}
	editManifest := func(t *testing.T, dir, old, repl string) {
		p := filepath.Join(dir, "manifest.json")
		b, _ := os.ReadFile(p)
		if !bytes.Contains(b, []byte(old)) {
			t.Fatalf("manifest lacks %q", old)
		}
		os.WriteFile(p, bytes.Replace(b, []byte(old), []byte(repl), 1), 0o600)
	}
	for _, tc := range []struct {
		name   string
		tamper func(t *testing.T, dir string)
		want   string
	}{
		{"BlobBytes", func(t *testing.T, dir string) {
			p := filepath.Join(dir, filepath.FromSlash(blob))
			b, _ := os.ReadFile(p)
			b[10] ^= 1
			os.WriteFile(p, b, 0o600)
		}, blob + " does not match the manifest"},
		{"RenditionBytes", func(t *testing.T, dir string) {
			os.WriteFile(filepath.Join(dir, filepath.FromSlash(rendition)), []byte("other"), 0o600)
		}, rendition + " does not match the manifest"},
		{"HashInManifest", func(t *testing.T, dir string) {
			editManifest(t, dir, m.Files[len(m.Files)-1].SHA256, strings.Repeat("0", 64))
		}, "does not match the manifest"},
		{"MissingFile", func(t *testing.T, dir string) { os.Remove(filepath.Join(dir, filepath.FromSlash(blob))) }, blob + " is missing from the backup"},
		{"UnlistedBlob", func(t *testing.T, dir string) {
			editManifest(t, dir, `"path": "`+blob+`"`, `"path": "blobs/00/00/0000`+strings.Repeat("0", 60)+`"`)
		}, "unexpected file"},
		{"Counts", func(t *testing.T, dir string) {
			editManifest(t, dir, fmt.Sprintf(`"media": %d`, m.Counts["media"]), fmt.Sprintf(`"media": %d`, m.Counts["media"]+1))
		}, fmt.Sprintf("the backup's database has %d media; the manifest says %d", m.Counts["media"], m.Counts["media"]+1)},
		{"Database", func(t *testing.T, dir string) { bkExec(t, dir, `DELETE FROM media WHERE id = 1`) }, "the backup's database does not match the manifest"},
		{"NoManifest", func(t *testing.T, dir string) { os.Remove(filepath.Join(dir, "manifest.json")) }, "not a complete Gallerist backup"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "backup")
			bkCopyDir(t, backup, dir)
			tc.tamper(t, dir)
			target := filepath.Join(t.TempDir(), "restored")
			_, errOut, code := bkRun(t, bin, "restore", "--from", dir, "--data", target)
			if code == 0 || !strings.Contains(errOut, tc.want) {
				t.Fatalf("restore of a tampered backup: exit %d, stderr:\n%s\nwant %q", code, errOut, tc.want)
			}
			if _, err := os.Stat(target); !errors.Is(err, fs.ErrNotExist) {
				t.Fatalf("a refused restore left %s", target)
			}
		})
	}
}
