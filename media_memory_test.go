package main

import (
	"bytes"
	"fmt"
	"io"
	"mime/multipart"
	"net"
	"net/http"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

type zeroReader struct{}

func (zeroReader) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}

// TestUploadMemoryBounded: four concurrent 100 MB video uploads over a real
// socket raise the heap by far less than one upload's size.
func TestUploadMemoryBounded(t *testing.T) {
	if testing.Short() {
		t.Skip("streams 400 MB")
	}
	e := newTestEnv(t)
	tok := e.token(t, 0)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go e.srv.App.Listener(ln)
	t.Cleanup(func() { e.srv.App.Shutdown() })

	const size = 100<<20 - 4096
	runtime.GC()
	var base runtime.MemStats
	runtime.ReadMemStats(&base)
	var peak atomic.Uint64
	stop := make(chan struct{})
	sampled := make(chan struct{})
	go func() {
		defer close(sampled)
		var ms runtime.MemStats
		for {
			select {
			case <-stop:
				return
			case <-time.After(20 * time.Millisecond):
			}
			runtime.ReadMemStats(&ms)
			if ms.HeapAlloc > peak.Load() {
				peak.Store(ms.HeapAlloc)
			}
		}
	}()

	var wg sync.WaitGroup
	errs := make(chan error, 4)
	for i := 0; i < 4; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			pr, pw := io.Pipe()
			mw := multipart.NewWriter(pw)
			go func() {
				fw, _ := mw.CreateFormFile("file", fmt.Sprintf("clip-%d.mp4", i))
				head := mp4Header(1920, 1080, uint32(5000+i), 0)
				payload := size - len(head)
				head = mp4Header(1920, 1080, uint32(5000+i), uint32(payload))
				fw.Write(head)
				io.CopyN(fw, io.MultiReader(bytes.NewReader([]byte{byte(i)}), zeroReader{}), int64(payload))
				mw.Close()
				pw.Close()
			}()
			req, _ := http.NewRequest("POST", "http://"+ln.Addr().String()+"/api/media", pr)
			req.Header.Set("Authorization", "Bearer "+tok)
			req.Header.Set("Content-Type", mw.FormDataContentType())
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				errs <- err
				return
			}
			b, _ := io.ReadAll(res.Body)
			res.Body.Close()
			if res.StatusCode != 201 {
				errs <- fmt.Errorf("upload %d: %d %s", i, res.StatusCode, b)
			}
		}(i)
	}
	wg.Wait()
	close(stop)
	<-sampled
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	grew := int64(peak.Load()) - int64(base.HeapAlloc)
	t.Logf("heap grew by %.1f MB during 4 concurrent 100 MB uploads", float64(grew)/(1<<20))
	if grew > 64<<20 {
		t.Fatalf("heap grew by %d MB, want < 64 MB", grew>>20)
	}
	var n int
	e.app.db.QueryRowForTest("SELECT COUNT(*) FROM media WHERE kind = 'video' AND width = 1920 AND duration_ms >= 5000").Scan(&n)
	if n != 4 {
		t.Fatalf("%d videos stored with their dimensions, want 4", n)
	}
}
