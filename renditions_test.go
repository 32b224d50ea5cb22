package main

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"image"
	"image/color"
	"image/gif"
	"image/jpeg"
	"image/png"
	"io"
	"strings"
	"sync"
	"testing"
)

func pathOf(u string) string { return strings.TrimPrefix(u, "http://example.com") }

func photoJPEG(t testing.TB, w, h int) []byte {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			img.Set(x, y, color.RGBA{uint8(x), uint8(y), uint8(x + y), 255})
		}
	}
	var b bytes.Buffer
	if err := jpeg.Encode(&b, img, &jpeg.Options{Quality: 90}); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestRenditionsEager(t *testing.T) {
	e := newTestEnv(t)
	e.startRenderer(t)
	tok := e.token(t, 0)

	alpha := image.NewNRGBA(image.Rect(0, 0, 300, 200))
	for i := range alpha.Pix {
		alpha.Pix[i] = uint8(i % 251)
	}
	var alphaPNG bytes.Buffer
	png.Encode(&alphaPNG, alpha)
	anim := &gif.GIF{}
	for i := 0; i < 3; i++ {
		fr := image.NewPaletted(image.Rect(0, 0, 120, 80), []color.Color{color.Black, color.White, color.RGBA{255, 0, 0, 255}})
		for j := range fr.Pix {
			fr.Pix[j] = uint8(i)
		}
		anim.Image, anim.Delay = append(anim.Image, fr), append(anim.Delay, 10)
	}
	var animGIF bytes.Buffer
	gif.EncodeAll(&animGIF, anim)

	cases := []struct {
		name      string
		body      []byte
		slots     []string
		ext, mime string
	}{
		{"photo.jpg", photoJPEG(t, 1200, 800), []string{"50", "100", "240", "320", "480", "640", "1024"}, "jpg", "image/jpeg"},
		{"alpha.png", alphaPNG.Bytes(), []string{"50", "100", "240"}, "png", "image/png"},
		{"tiny.gif", animGIF.Bytes(), []string{"50", "100"}, "jpg", "image/jpeg"}, // opaque: JPEG
		{"cmyk.jpg", readFile(t, goImageTestdata("video-001.cmyk.jpeg")), []string{"50", "100"}, "jpg", "image/jpeg"},
		{"gray.jpg", readFile(t, goImageTestdata("video-005.gray.jpeg")), []string{"50", "100"}, "jpg", "image/jpeg"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			up := e.uploadOK(t, tok, tc.name, tc.body)
			m := e.waitProcessed(t, tok, up["id"].(float64))
			if m["processing"] != "ready" || m["processing_error"] != nil {
				t.Fatalf("processing: %v %v", m["processing"], m["processing_error"])
			}
			rends := m["renditions"].(map[string]any)
			if len(rends) != len(tc.slots) {
				t.Fatalf("renditions %v, want slots %v", rends, tc.slots)
			}
			if !strings.Contains(m["srcset"].(string), " 50w") {
				t.Fatalf("srcset: %q", m["srcset"])
			}
			ow, oh := m["width"].(float64), m["height"].(float64)
			for _, slot := range tc.slots {
				u, ok := rends[slot].(string)
				if !ok || !strings.HasSuffix(u, "/"+slot+"."+tc.ext) {
					t.Fatalf("slot %s: %v", slot, rends[slot])
				}
				r := e.do(t, "GET", pathOf(u), "", nil, "")
				if r.Status != 200 || r.Header.Get("Content-Type") != tc.mime || r.Header.Get("Cache-Control") != "public, max-age=31536000, immutable" {
					t.Fatalf("GET %s: %d %v", u, r.Status, r.Header)
				}
				cfg, _, err := image.DecodeConfig(bytes.NewReader(r.Body))
				if err != nil {
					t.Fatal(err)
				}
				var want int
				fmt.Sscan(slot, &want)
				want = min(want, int(ow))
				if cfg.Width != want || abs(cfg.Height-int(oh*float64(want)/ow+0.5)) > 1 {
					t.Fatalf("slot %s is %dx%d, want %d wide keeping %vx%v", slot, cfg.Width, cfg.Height, want, ow, oh)
				}
				if bytes.Contains(r.Body, []byte("Exif")) {
					t.Fatalf("rendition carries metadata")
				}
			}
			// The original stays as uploaded (an animated GIF stays animated).
			if orig := e.do(t, "GET", pathOf(m["url"].(string)), "", nil, ""); !bytes.Equal(orig.Body, tc.body) && !strings.HasSuffix(tc.name, ".jpg") {
				t.Fatal("original changed")
			}
		})
	}
	t.Run("delivery headers", func(t *testing.T) {
		m := e.getJSON(t, "/api/media?kind=image&limit=1&sort=created_at", tok).json(t)["data"].([]any)[0].(map[string]any)
		u := pathOf(m["renditions"].(map[string]any)["320"].(string))
		r := e.do(t, "GET", u, "", nil, "")
		if r.Header.Get("X-Content-Type-Options") != "nosniff" || !strings.Contains(r.Header.Get("Content-Security-Policy"), "sandbox") {
			t.Fatalf("headers: %v", r.Header)
		}
		if r2 := e.do(t, "GET", u, "", nil, "", "If-None-Match", r.Header.Get("ETag")); r2.Status != 304 {
			t.Fatalf("304: %d", r2.Status)
		}
		if r2 := e.do(t, "GET", u, "", nil, "", "Range", "bytes=0-9"); r2.Status != 206 || len(r2.Body) != 10 {
			t.Fatalf("range: %d %d", r2.Status, len(r2.Body))
		}
		if r2 := e.do(t, "HEAD", u, "", nil, ""); r2.Status != 200 || len(r2.Body) != 0 {
			t.Fatalf("head: %d", r2.Status)
		}
		bad := strings.Replace(u, "/320.", "/321.", 1)
		if r2 := e.do(t, "GET", bad, "", nil, ""); r2.Status != 404 || r2.errCode(t) != "not_found" {
			t.Fatalf("width not ours: %d %s", r2.Status, r2.Body)
		}
		if r2 := e.do(t, "GET", strings.Replace(u, "/320.", "/2000.", 1), "", nil, ""); r2.Status != 404 {
			t.Fatalf("width 2000: %d", r2.Status)
		}
	})
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

// TestRenditionOnDemandOnce: 50 concurrent first requests for the same
// rendition make it exactly once.
func TestRenditionOnDemandOnce(t *testing.T) {
	e := newTestEnv(t) // no eager workers: everything is made on demand
	tok := e.token(t, 0)
	m := e.uploadOK(t, tok, "photo.jpg", photoJPEG(t, 2000, 1500))
	if m["processing"] != "pending" {
		t.Fatalf("processing %v", m["processing"])
	}
	u := pathOf(m["renditions"].(map[string]any)["640"].(string))
	var wg sync.WaitGroup
	bodies := make([][]byte, 50)
	for i := range bodies {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := e.do(t, "GET", u, "", nil, "")
			if r.Status != 200 {
				t.Errorf("request %d: %d %s", i, r.Status, r.Body)
			}
			bodies[i] = r.Body
		}()
	}
	wg.Wait()
	if n := e.app.renderer.Made(); n != 1 {
		t.Fatalf("made %d renditions for 50 requests, want 1", n)
	}
	for i := range bodies {
		if !bytes.Equal(bodies[i], bodies[0]) {
			t.Fatalf("response %d differs", i)
		}
	}
}

// TestRenditionQueueSurvivesRestart: work queued before a restart is done after it.
func TestRenditionQueueSurvivesRestart(t *testing.T) {
	dir := t.TempDir()
	e := newTestEnv(t, func(c *config) { c.dataDir = dir })
	tok := e.token(t, 0)
	id := e.uploadOK(t, tok, "photo.jpg", photoJPEG(t, 700, 500))["id"].(float64)
	e.app.db.Close()

	e2 := newTestEnv(t, func(c *config) { c.dataDir = dir })
	e2.startRenderer(t)
	tok2 := e2.token(t, 0)
	if m := e2.waitProcessed(t, tok2, id); m["processing"] != "ready" || len(m["renditions"].(map[string]any)) != 6 {
		t.Fatalf("after restart: %v %v", m["processing"], m["renditions"])
	}
}

// jpegWithGPS splices an Exif segment with an orientation tag and a GPS IFD
// into a real JPEG.
func jpegWithGPS(t testing.TB, orientation uint16) []byte {
	le := binary.LittleEndian
	var tiff bytes.Buffer
	tiff.WriteString("II*\x00")
	binary.Write(&tiff, le, uint32(8))
	// IFD0 at 8: 2 entries.
	binary.Write(&tiff, le, uint16(2))
	entry := func(tag, typ uint16, count, value uint32) {
		binary.Write(&tiff, le, tag)
		binary.Write(&tiff, le, typ)
		binary.Write(&tiff, le, count)
		binary.Write(&tiff, le, value)
	}
	entry(0x0112, 3, 1, uint32(orientation))
	entry(0x8825, 4, 1, 8+2+2*12+4) // GPS IFD right after IFD0
	binary.Write(&tiff, le, uint32(0))
	// GPS IFD: latitude ref "N" and version.
	binary.Write(&tiff, le, uint16(2))
	entry(0x0000, 1, 4, 0x00000202)
	entry(0x0001, 2, 2, uint32('N'))
	binary.Write(&tiff, le, uint32(0))
	app1 := append([]byte("Exif\x00\x00"), tiff.Bytes()...)
	seg := []byte{0xFF, 0xE1, 0, 0}
	binary.BigEndian.PutUint16(seg[2:], uint16(len(app1)+2))
	seg = append(seg, app1...)
	j := photoJPEG(t, 64, 32)
	return append(append(append([]byte{}, j[:2]...), seg...), j[2:]...)
}

func hasGPSTag(b []byte) bool { return bytes.Contains(b, []byte{0x25, 0x88, 0x04, 0x00}) }

func TestUploadStripsLocation(t *testing.T) {
	orig := jpegWithGPS(t, 6)
	if !hasGPSTag(orig) {
		t.Fatal("test JPEG has no GPS tag")
	}
	e := newTestEnv(t)
	tok := e.token(t, 0)
	m := e.uploadOK(t, tok, "gps.jpg", orig)
	stored := e.do(t, "GET", pathOf(m["url"].(string)), "", nil, "").Body
	if hasGPSTag(stored) {
		t.Fatal("GPS tag kept")
	}
	if !bytes.Contains(stored, []byte{0x12, 0x01, 0x03, 0x00, 0x01, 0x00, 0x00, 0x00, 0x06, 0x00}) {
		t.Fatal("orientation tag lost")
	}
	if m["width"] != 32.0 || m["height"] != 64.0 {
		t.Fatalf("dimensions ignore orientation: %vx%v", m["width"], m["height"])
	}
	// Compressed image data is untouched.
	sos := bytes.Index(orig, []byte{0xFF, 0xDA})
	if !bytes.HasSuffix(stored, orig[sos:]) {
		t.Fatal("image data re-encoded")
	}
	if _, err := jpeg.Decode(bytes.NewReader(stored)); err != nil {
		t.Fatal(err)
	}

	keep := newTestEnv(t, func(c *config) { c.render.keepLocation = true })
	ktok := keep.token(t, 0)
	km := keep.uploadOK(t, ktok, "gps.jpg", orig)
	if !bytes.Equal(keep.do(t, "GET", pathOf(km["url"].(string)), "", nil, "").Body, orig) {
		t.Fatal("keep-location changed the original")
	}
}

// TestRenditionsGoWithTheOriginal: purging the last item with some bytes
// removes its renditions (rows and files).
func TestRenditionsGoWithTheOriginal(t *testing.T) {
	e := newTestEnv(t)
	e.startRenderer(t)
	tok := e.token(t, 0)
	m := e.waitProcessed(t, tok, e.uploadOK(t, tok, "photo.jpg", photoJPEG(t, 500, 300))["id"].(float64))
	sha := m["sha256"].(string)
	if len(e.storeKeys(t, sha+"/")) == 0 {
		t.Fatal("no renditions stored")
	}
	id := int64(m["id"].(float64))
	e.do(t, "DELETE", fmt.Sprintf("/api/media/%d", id), tok, nil, "")
	if r := e.do(t, "GET", pathOf(m["renditions"].(map[string]any)["100"].(string)), "", nil, ""); r.Status != 404 {
		t.Fatalf("trashed item's rendition served: %d", r.Status)
	}
	if r := e.do(t, "DELETE", fmt.Sprintf("/api/media/%d?purge=true", id), tok, nil, ""); r.Status != 204 {
		t.Fatal(r.Status)
	}
	if left := e.storeKeys(t, sha+"/"); len(left) != 0 {
		t.Fatalf("renditions left: %v", left)
	}
	var n int
	e.app.db.QueryRowForTest("SELECT COUNT(*) FROM renditions WHERE sha256 = ?", sha).Scan(&n)
	if n != 0 {
		t.Fatalf("%d rendition rows left", n)
	}
	_ = io.Discard
}

// TestGCRemovesRenditionsOfGoneOriginals: `gallerist gc` removes renditions
// whose original no row has any more (rows and files), and keeps the others.
func TestGCRemovesRenditionsOfGoneOriginals(t *testing.T) {
	e := newTestEnv(t)
	e.startRenderer(t)
	tok := e.token(t, 0)
	keep := e.waitProcessed(t, tok, e.uploadOK(t, tok, "keep.jpg", photoJPEG(t, 300, 200))["id"].(float64))
	gone := e.waitProcessed(t, tok, e.uploadOK(t, tok, "gone.jpg", photoJPEG(t, 310, 200))["id"].(float64))
	sha := gone["sha256"].(string)
	// The original disappears without the purge path (as after a crash or a manual fix).
	if err := e.app.db.ExecForTest(`DELETE FROM media WHERE sha256 = ?`, sha); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if err := run(context.Background(), []string{"gc", "--data", e.dir}, e.getenv(), nil, &out, io.Discard); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "renditions of "+sha) {
		t.Fatalf("gc output:\n%s", out.String())
	}
	if left := e.storeKeys(t, sha+"/"); len(left) != 0 {
		t.Fatalf("renditions of the gone original remain: %v", left)
	}
	if len(e.storeKeys(t, keep["sha256"].(string)+"/")) == 0 {
		t.Fatal("renditions of a live original removed")
	}
	if r := e.do(t, "GET", pathOf(keep["renditions"].(map[string]any)["240"].(string)), "", nil, ""); r.Status != 200 {
		t.Fatalf("live rendition: %d", r.Status)
	}
}
