package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"gallerist/storage"
)

func shaHex(b []byte) string { s := sha256.Sum256(b); return hex.EncodeToString(s[:]) }

// pngOf encodes a small real PNG whose bytes depend on i.
func pngOf(t testing.TB, i int) []byte {
	img := image.NewNRGBA(image.Rect(0, 0, 8, 8))
	for p := range img.Pix {
		img.Pix[p] = byte(i >> (8 * (p % 3)))
	}
	img.Set(0, 0, color.NRGBA{byte(i), byte(i >> 8), byte(i >> 16), 255})
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func gcItemIDs(rep storage.GCReport) []int64 {
	var ids []int64
	for _, it := range rep.Purged {
		ids = append(ids, it.ID)
	}
	return ids
}

// TestGCGracePeriod moves the clock around the grace period: a restore just
// before it ends keeps everything (and puts the item back in its gallery); a
// collection just after it removes the row and exactly the blobs nobody else
// needs, a blob shared with another organization's row living while that row does.
func TestGCGracePeriod(t *testing.T) {
	e := newTestEnv(t)
	t0 := time.Now().Add(-30 * 24 * time.Hour).Truncate(time.Millisecond)
	clock := e.useClock(t0)
	ctx := context.Background()
	tok := e.token(t, 0)
	other, _ := e.app.orgs.CreateOrg(ctx, "other", "Other")
	theirs := e.token(t, other.ID)
	x := readFile(t, goImageTestdata("video-001.jpeg"))
	y := readFile(t, goImageTestdata("video-001.png"))
	a := idOf(e.uploadOK(t, tok, "a.jpg", x))
	b := idOf(e.uploadOK(t, theirs, "b.jpg", x)) // the same bytes in another organization
	c := idOf(e.uploadOK(t, tok, "c.png", y))
	pid := e.createProduct(t, tok, "Mug")
	e.attachOK(t, tok, pid, c)
	e.attachOK(t, tok, pid, a)
	for _, id := range []int64{a, c} {
		if r := e.do(t, "DELETE", fmt.Sprintf("/api/media/%d?force=true", id), tok, nil, ""); r.Status != 204 {
			t.Fatalf("delete %d: %d %s", id, r.Status, r.Body)
		}
	}
	grace := storage.DefaultTrashGrace
	gc := func(dry bool) storage.GCReport {
		t.Helper()
		rep, err := e.app.media.CollectGarbage(ctx, dry, grace)
		if err != nil {
			t.Fatal(err)
		}
		return rep
	}

	clock.Set(t0.Add(grace - time.Minute))
	before := e.snapshot(t)
	if rep := gc(false); len(rep.Purged)+len(rep.Blobs)+len(rep.Orphans) != 0 {
		t.Fatalf("GC inside the grace period removed %+v", rep)
	}
	if e.snapshot(t) != before {
		t.Fatal("GC inside the grace period changed state")
	}
	if r := e.sendJSON(t, "POST", fmt.Sprintf("/api/media/%d/restore", c), tok, nil); r.Status != 200 {
		t.Fatalf("restore just before the end: %d %s", r.Status, r.Body)
	}

	clock.Set(t0.Add(grace + time.Minute))
	dry := gc(true)
	if !slices.Equal(gcItemIDs(dry), []int64{a}) || len(dry.Blobs) != 0 || !dry.DryRun {
		t.Fatalf("dry run: %+v", dry)
	}
	rep := gc(false)
	if !slices.Equal(gcItemIDs(rep), []int64{a}) || len(rep.Blobs) != 0 {
		t.Fatalf("GC after the grace period: %+v", rep)
	}
	if r := e.getJSON(t, fmt.Sprintf("/api/media/%d", a), tok); r.Status != 404 {
		t.Fatalf("purged row still there: %d", r.Status)
	}
	if !e.hasBlob(t, shaHex(x)) || !e.hasBlob(t, shaHex(y)) {
		t.Fatal("GC removed a blob another row needs")
	}
	if r := e.getJSON(t, fmt.Sprintf("/api/media/%d/download", b), theirs); r.Status != 200 || !bytes.Equal(r.Body, x) {
		t.Fatalf("the other organization's copy: %d", r.Status)
	}
	if _, m, _ := e.gallery(t, tok, pid); !slices.Equal(m, []int64{c}) {
		t.Fatalf("restored item not back in its gallery: %v", m)
	}

	// Now the last row with x's bytes goes: x's blob goes with it, y's stays.
	xURL := pathOf(e.getJSON(t, fmt.Sprintf("/api/media/%d", b), theirs).json(t)["url"].(string))
	yURL := pathOf(e.getJSON(t, fmt.Sprintf("/api/media/%d", c), tok).json(t)["url"].(string))
	if r := e.do(t, "DELETE", fmt.Sprintf("/api/media/%d", b), theirs, nil, ""); r.Status != 204 {
		t.Fatalf("delete b: %d", r.Status)
	}
	clock.Advance(grace - time.Second)
	if rep := gc(false); len(rep.Purged) != 0 {
		t.Fatalf("purged too early: %+v", rep)
	}
	clock.Advance(2 * time.Second)
	dry = gc(true)
	if !slices.Equal(gcItemIDs(dry), []int64{b}) || !slices.Equal(dry.Blobs, []string{shaHex(x)}) || !e.hasBlob(t, shaHex(x)) {
		t.Fatalf("dry run: %+v", dry)
	}
	rep = gc(false)
	if !slices.Equal(gcItemIDs(rep), []int64{b}) || !slices.Equal(rep.Blobs, []string{shaHex(x)}) {
		t.Fatalf("GC of the last copy: %+v", rep)
	}
	if got := e.storeKeys(t, ""); !slices.Equal(got, []string{shaHex(y)}) {
		t.Fatalf("blobs left: %v, want only %s", got, shaHex(y))
	}
	if r := e.do(t, "GET", xURL, "", nil, ""); r.Status != 404 {
		t.Fatalf("public URL of purged bytes: %d", r.Status)
	}
	if r := e.do(t, "GET", yURL, "", nil, ""); r.Status != 200 {
		t.Fatalf("public URL of kept bytes: %d", r.Status)
	}
}

// TestGCOrphanBlobs: blob files no row references are removed once they are
// older than an hour; fresh ones (an upload between rename and commit) and
// referenced ones stay.
func TestGCOrphanBlobs(t *testing.T) {
	e := newTestEnv(t)
	e.skipOnS3(t, "it sets blob files' times on disk (storage's lease and GC tests cover orphans for every store)")
	clock := e.useClock(time.Now())
	tok := e.token(t, 0)
	x := readFile(t, goImageTestdata("video-001.jpeg"))
	e.uploadOK(t, tok, "x.jpg", x)
	old := clock.Now().Add(-2 * time.Hour)
	os.Chtimes(e.blobPath(shaHex(x)), old, old) // referenced: stays however old
	orphan, fresh := shaHex([]byte("orphan")), shaHex([]byte("fresh"))
	for _, k := range []string{orphan, fresh} {
		os.MkdirAll(filepath.Dir(e.blobPath(k)), 0o750)
		if err := os.WriteFile(e.blobPath(k), []byte(k), 0o640); err != nil {
			t.Fatal(err)
		}
	}
	os.Chtimes(e.blobPath(orphan), old, old)
	os.WriteFile(filepath.Join(e.dir, "blobs", "README"), []byte("not a blob"), 0o640)

	rep, err := e.app.media.CollectGarbage(context.Background(), true, storage.DefaultTrashGrace)
	if err != nil || !slices.Equal(rep.Orphans, []string{orphan}) || !fileExists(e.blobPath(orphan)) {
		t.Fatalf("dry run: %+v %v", rep, err)
	}
	rep, err = e.app.media.CollectGarbage(context.Background(), false, storage.DefaultTrashGrace)
	if err != nil || !slices.Equal(rep.Orphans, []string{orphan}) {
		t.Fatalf("GC: %+v %v", rep, err)
	}
	if fileExists(e.blobPath(orphan)) || !fileExists(e.blobPath(fresh)) || !fileExists(e.blobPath(shaHex(x))) {
		t.Fatalf("after GC: orphan %v fresh %v referenced %v", fileExists(e.blobPath(orphan)), fileExists(e.blobPath(fresh)), fileExists(e.blobPath(shaHex(x))))
	}
	// An hour later the fresh one is an orphan too.
	clock.Advance(2 * time.Hour)
	if rep, _ := e.app.media.CollectGarbage(context.Background(), false, storage.DefaultTrashGrace); !slices.Equal(rep.Orphans, []string{fresh}) {
		t.Fatalf("later GC: %+v", rep)
	}
}

// TestGCReuploadDuringGC: the bytes of an expired trashed item are uploaded
// again while the collector purges it. Whatever the interleaving, the new
// item's blob is there afterwards. Once with the collector in this process,
// once as `gallerist gc` with its own database connections (another process
// in all but name: the same file locks decide).
func TestGCReuploadDuringGC(t *testing.T) {
	for _, mode := range []string{"in-process", "command"} {
		t.Run(mode, func(t *testing.T) {
			e := newTestEnv(t)
			clock := e.useClock(time.Now())
			tok := e.token(t, 0)
			outcomes := map[string]int{}
			rounds := 40
			if mode == "command" {
				rounds = 15
			}
			for i := 0; i < rounds; i++ {
				body := pngOf(t, 1000*len(mode)+i)
				sha := shaHex(body)
				old := idOf(e.uploadOK(t, tok, "old.png", body))
				if r := e.do(t, "DELETE", fmt.Sprintf("/api/media/%d", old), tok, nil, ""); r.Status != 204 {
					t.Fatalf("trash: %d", r.Status)
				}
				var grace time.Duration
				if mode == "in-process" {
					clock.Advance(storage.DefaultTrashGrace + time.Minute)
					grace = storage.DefaultTrashGrace
				}
				var wg sync.WaitGroup
				var up *resp
				var gcOut bytes.Buffer
				var gcErr error
				start := make(chan struct{})
				wg.Add(2)
				// Staggered starts, so both orders happen.
				gcDelay := time.Duration(i%8) * 300 * time.Microsecond
				upDelay := time.Duration(0)
				if mode == "command" {
					gcDelay = 0
					if i%2 == 0 {
						upDelay = time.Duration(i%4) * time.Millisecond
					} else {
						gcDelay = time.Duration(i%4) * time.Millisecond
					}
				}
				go func() {
					defer wg.Done()
					<-start
					time.Sleep(upDelay)
					b, ct := multipartBody(t, []upFile{{name: "new.png", body: body}}, nil)
					up = e.do(t, "POST", "/api/media", tok, b, ct)
				}()
				go func() {
					defer wg.Done()
					<-start
					time.Sleep(gcDelay)
					if mode == "in-process" {
						var rep storage.GCReport
						rep, gcErr = e.app.media.CollectGarbage(context.Background(), false, grace)
						fmt.Fprint(&gcOut, rep.Blobs)
					} else {
						gcErr = run(context.Background(), []string{"gc", "--data", e.dir, "--trash-days", "0"},
							func(string) string { return "" }, strings.NewReader(""), &gcOut, io.Discard)
					}
				}()
				close(start)
				wg.Wait()
				if gcErr != nil {
					t.Fatalf("round %d: gc: %v", i, gcErr)
				}
				if up.Status != 201 {
					t.Fatalf("round %d: upload during GC: %d %s", i, up.Status, up.Body)
				}
				id := idOf(up.json(t)["media"].([]any)[0].(map[string]any))
				if r := e.getJSON(t, fmt.Sprintf("/api/media/%d/download", id), tok); r.Status != 200 || !bytes.Equal(r.Body, body) {
					t.Fatalf("round %d: the new item's blob is gone: %d (gc removed %s)", i, r.Status, gcOut.String())
				}
				if r := e.do(t, "GET", pathOf(up.json(t)["media"].([]any)[0].(map[string]any)["url"].(string)), "", nil, ""); r.Status != 200 {
					t.Fatalf("round %d: public URL: %d", i, r.Status)
				}
				if strings.Contains(gcOut.String(), sha) {
					outcomes["gc first, blob stored again"]++
				} else {
					outcomes["upload first, blob kept"]++
				}
			}
			t.Logf("%s: %v", mode, outcomes)
		})
	}
}

// TestGCCommand: `gallerist gc --dry-run` lists what would go and removes
// nothing; `gallerist gc` removes it and says so.
func TestGCCommand(t *testing.T) {
	e := newTestEnv(t)
	tok := e.token(t, 0)
	x := readFile(t, goImageTestdata("video-001.jpeg"))
	id := idOf(e.uploadOK(t, tok, "gone.jpg", x))
	e.do(t, "DELETE", fmt.Sprintf("/api/media/%d", id), tok, nil, "")
	time.Sleep(5 * time.Millisecond)
	env := e.getenv("GALLERIST_TRASH_DAYS", "0")
	var out bytes.Buffer
	if err := run(context.Background(), []string{"gc", "--dry-run", "--data", e.dir}, env, nil, &out, io.Discard); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), fmt.Sprintf("media %d", id)) || !strings.Contains(out.String(), "blob "+shaHex(x)) ||
		!strings.Contains(out.String(), "Would remove 1 trashed media item") {
		t.Fatalf("dry run output:\n%s", out.String())
	}
	if !e.hasBlob(t, shaHex(x)) || e.getJSON(t, fmt.Sprintf("/api/media/%d", id), tok).Status != 200 {
		t.Fatal("dry run removed something")
	}
	out.Reset()
	if err := run(context.Background(), []string{"gc", "--data", e.dir, "--trash-days", "7"}, env, nil, &out, io.Discard); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "Removed 0 trashed media items older than 7 days") {
		t.Fatalf("flag over env: %s", out.String())
	}
	out.Reset()
	if err := run(context.Background(), []string{"gc", "--data", e.dir}, env, nil, &out, io.Discard); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "Removed 1 trashed media item") || e.hasBlob(t, shaHex(x)) {
		t.Fatalf("gc output:\n%s", out.String())
	}
	if r := e.getJSON(t, fmt.Sprintf("/api/media/%d", id), tok); r.Status != 404 {
		t.Fatalf("after gc: %d", r.Status)
	}
	if err := run(context.Background(), []string{"gc", "--data", e.dir, "--trash-days", "-1"}, env, nil, &out, io.Discard); err == nil {
		t.Fatal("negative --trash-days accepted")
	}
	if err := run(context.Background(), []string{"gc", "--data", e.dir}, func(k string) string {
		if k == "GALLERIST_TRASH_DAYS" {
			return "a week"
		}
		return ""
	}, nil, &out, io.Discard); err == nil {
		t.Fatal("malformed GALLERIST_TRASH_DAYS accepted")
	}
}

// TestProductCreateCommand: `gallerist product create` prints the new id on its last line.
func TestProductCreateCommand(t *testing.T) {
	e := newTestEnv(t)
	ctx := context.Background()
	noenv := func(string) string { return "" }
	var out bytes.Buffer
	if err := run(ctx, []string{"product", "create", "--title", "Red Mug", "--data", e.dir}, noenv, nil, &out, io.Discard); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	var id int64
	if _, err := fmt.Sscan(lines[len(lines)-1], &id); err != nil || id == 0 {
		t.Fatalf("output: %q", out.String())
	}
	tok := e.token(t, 0)
	if p := e.getJSON(t, fmt.Sprintf("/api/products/%d", id), tok).json(t); p["handle"] != "red-mug" || p["status"] != "draft" {
		t.Fatalf("product: %v", p)
	}
	other, _ := e.app.orgs.CreateOrg(ctx, "shop2", "Shop 2")
	out.Reset()
	if err := run(ctx, []string{"product", "create", "--title", "Lamp", "--handle", "lamp-1", "--org", "shop2", "--data", e.dir}, noenv, nil, &out, io.Discard); err != nil {
		t.Fatal(err)
	}
	lines = strings.Split(strings.TrimSpace(out.String()), "\n")
	fmt.Sscan(lines[len(lines)-1], &id)
	if p := e.getJSON(t, fmt.Sprintf("/api/products/%d", id), e.token(t, other.ID)).json(t); p["handle"] != "lamp-1" {
		t.Fatalf("product in shop2: %v", p)
	}
	for _, args := range [][]string{
		{"product", "create", "--data", e.dir},
		{"product", "create", "--title", "X", "--org", "nope", "--data", e.dir},
		{"product", "create", "--title", "X", "--handle", "lamp-1", "--org", "shop2", "--data", e.dir},
		{"product", "create", "--title", "X", "--handle", "Bad Handle", "--data", e.dir},
	} {
		if err := run(ctx, args, noenv, nil, io.Discard, io.Discard); err == nil {
			t.Errorf("%v: no error", args)
		}
	}
}

// TestGCInBackground: the collector `serve` starts runs once at start and then
// on its interval, until the server stops.
func TestGCInBackground(t *testing.T) {
	e := newTestEnv(t)
	tok := e.token(t, 0)
	purged := func() bool {
		var n int
		e.app.db.QueryRowForTest(`SELECT COUNT(*) FROM media`).Scan(&n)
		return n == 0
	}
	id := idOf(e.uploadOK(t, tok, "a.png", pngOf(t, 1)))
	e.do(t, "DELETE", fmt.Sprintf("/api/media/%d", id), tok, nil, "")
	clock := e.useClock(time.Now().Add(storage.DefaultTrashGrace + time.Minute))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		collectGarbageEvery(ctx, e.app, storage.DefaultTrashGrace, 20*time.Millisecond, slog.New(slog.NewTextHandler(io.Discard, nil)))
	}()
	waitFor := func(what string, cond func() bool) {
		t.Helper()
		for deadline := time.Now().Add(5 * time.Second); !cond(); time.Sleep(5 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("timed out waiting for %s", what)
			}
		}
	}
	waitFor("the first collection", purged)
	id = idOf(e.uploadOK(t, tok, "b.png", pngOf(t, 2)))
	e.do(t, "DELETE", fmt.Sprintf("/api/media/%d", id), tok, nil, "")
	clock.Advance(storage.DefaultTrashGrace + time.Minute)
	waitFor("a later collection", purged)
	cancel()
	<-done
}
