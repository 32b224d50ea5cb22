// Package s3test runs a real S3-compatible server (versitygw, pinned as a
// tool in go.mod) for tests: built once per test process, started on a free
// loopback port over a temporary folder. Only tests import it.
//
// When the server cannot be built or started, tests skip with a message
// that says so, except under CI=true, where they fail: CI must run them.
package s3test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
)

// Server is one running versitygw.
type Server struct {
	Endpoint             string // http://127.0.0.1:PORT
	AccessKey, SecretKey string
	cmd                  *exec.Cmd
	dir                  string
	exited               chan struct{}
	log                  *lockedWriter
	client               *minio.Client
}

var (
	buildOnce sync.Once
	binPath   string
	buildErr  error
)

// binary builds versitygw once per process with `go tool -n`, which links
// it into the build cache and prints its path: a cold build takes minutes,
// later ones (in this process or another) about a second.
func binary() (string, error) {
	buildOnce.Do(func() {
		out, err := exec.Command("go", "tool", "-n", "github.com/versity/versitygw/cmd/versitygw").Output()
		if err != nil {
			var ee *exec.ExitError
			if errors.As(err, &ee) {
				err = fmt.Errorf("%v\n%s", err, ee.Stderr)
			}
			buildErr = fmt.Errorf("build versitygw (go tool -n): %v", err)
			return
		}
		binPath = strings.TrimSpace(string(out))
	})
	return binPath, buildErr
}

// unavailable fails the test under CI and skips it elsewhere.
func unavailable(tb testing.TB, err error) {
	tb.Helper()
	if os.Getenv("CI") == "true" {
		tb.Fatalf("S3 tests need versitygw (CI=true, so this is a failure): %v", err)
	}
	tb.Skipf("skipping: no S3-compatible server for this test (%v); CI=true makes this a failure", err)
}

// Start starts a server for tb, stopped when tb ends.
func Start(tb testing.TB) *Server {
	tb.Helper()
	s, err := start()
	if err != nil {
		unavailable(tb, err)
	}
	tb.Cleanup(s.Stop)
	return s
}

var (
	sharedMu  sync.Mutex
	shared    *Server
	sharedErr error
)

// Shared returns the process's one server, starting it on first use; the
// test binary's TestMain stops it with StopShared.
func Shared(tb testing.TB) *Server {
	tb.Helper()
	sharedMu.Lock()
	defer sharedMu.Unlock()
	if shared == nil && sharedErr == nil {
		shared, sharedErr = start()
	}
	if sharedErr != nil {
		unavailable(tb, sharedErr)
	}
	return shared
}

// StopShared stops the shared server, if one was started.
func StopShared() {
	sharedMu.Lock()
	defer sharedMu.Unlock()
	if shared != nil {
		shared.Stop()
		shared = nil
	}
}

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}

func start() (*Server, error) {
	bin, err := binary()
	if err != nil {
		return nil, err
	}
	var last error
	for range 3 { // a free port can be taken between choosing and binding it
		s, err := startOnce(bin)
		if err == nil {
			return s, nil
		}
		last = err
	}
	return nil, last
}

func startOnce(bin string) (*Server, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	addr := ln.Addr().String()
	ln.Close()
	dir, err := os.MkdirTemp("", "gallerist-s3-")
	if err != nil {
		return nil, err
	}
	s := &Server{Endpoint: "http://" + addr, AccessKey: "gallerist" + randomHex(4), SecretKey: randomHex(16),
		dir: dir, exited: make(chan struct{}), log: &lockedWriter{}}
	s.cmd = exec.Command(bin, "--access", s.AccessKey, "--secret", s.SecretKey, "--port", addr, "--quiet", "posix", dir)
	out := s.log
	s.cmd.Stdout, s.cmd.Stderr = out, out
	// The server dies with the test process even if it is killed.
	s.cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := s.cmd.Start(); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	go func() { s.cmd.Wait(); close(s.exited) }()
	deadline := time.Now().Add(15 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			c.Close()
			break
		}
		select {
		case <-s.exited:
			os.RemoveAll(dir)
			return nil, fmt.Errorf("versitygw exited at start: %s", out.String())
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			s.Stop()
			return nil, errors.New("versitygw did not listen within 15 s")
		}
	}
	s.client, err = minio.New(addr, &minio.Options{Creds: credentials.NewStaticV4(s.AccessKey, s.SecretKey, ""), BucketLookup: minio.BucketLookupPath, Region: "us-east-1"})
	if err != nil {
		s.Stop()
		return nil, err
	}
	return s, nil
}

// Stop kills the server and removes its files.
func (s *Server) Stop() {
	if s.cmd.Process != nil {
		s.cmd.Process.Kill()
		<-s.exited
	}
	os.RemoveAll(s.dir)
}

// NewBucket creates a bucket with a fresh name and returns the name.
func (s *Server) NewBucket(tb testing.TB) string {
	tb.Helper()
	name := "t-" + randomHex(8)
	if err := s.client.MakeBucket(context.Background(), name, minio.MakeBucketOptions{Region: "us-east-1"}); err != nil {
		tb.Fatalf("create bucket %s: %v", name, err)
	}
	return name
}

// URL is the --blobs value of bucket (with prefix, "" for none) on s.
func (s *Server) URL(bucket, prefix string) string {
	return "s3://" + bucket + "/" + prefix + "?endpoint=" + url.QueryEscape(s.Endpoint) + "&region=us-east-1&path_style=true"
}

// Client is a plain client of the server, for tests that look at objects.
func (s *Server) Client() *minio.Client { return s.client }

type lockedWriter struct {
	mu sync.Mutex
	b  strings.Builder
}

func (w *lockedWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.Write(p)
}

func (w *lockedWriter) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.String()
}

// Backdate makes every object of bucket under prefix d older, as time
// passing would: versitygw's posix backend reports a file's modification
// time as its object's LastModified. (Garbage collection leaves objects
// younger than an hour alone.)
func (s *Server) Backdate(tb testing.TB, bucket, prefix string, d time.Duration) {
	tb.Helper()
	root := filepath.Join(s.dir, bucket)
	err := filepath.WalkDir(root, func(p string, e fs.DirEntry, err error) error {
		if err != nil || e.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		if !strings.HasPrefix(filepath.ToSlash(rel), prefix) {
			return nil
		}
		info, err := e.Info()
		if err != nil {
			return err
		}
		old := info.ModTime().Add(-d)
		return os.Chtimes(p, old, old)
	})
	if err != nil {
		tb.Fatal(err)
	}
}

// Proxy is a TCP proxy in front of a Server that a test can take down
// (the port then refuses connections, and open ones are cut) and bring
// back on the same port: a store that goes away, without stopping the
// server other tests share.
type Proxy struct {
	Endpoint string // http://127.0.0.1:PORT, to use instead of the server's
	target   string
	mu       sync.Mutex
	ln       net.Listener
	conns    map[net.Conn]bool
}

// NewProxy starts a proxy to s for tb, stopped when tb ends.
func NewProxy(tb testing.TB, s *Server) *Proxy {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	p := &Proxy{Endpoint: "http://" + ln.Addr().String(), target: strings.TrimPrefix(s.Endpoint, "http://"), conns: map[net.Conn]bool{}}
	p.serve(ln)
	tb.Cleanup(p.Down)
	return p
}

// URL is the --blobs value of bucket (with prefix) through the proxy.
func (p *Proxy) URL(bucket, prefix string) string {
	return "s3://" + bucket + "/" + prefix + "?endpoint=" + url.QueryEscape(p.Endpoint) + "&region=us-east-1&path_style=true"
}

func (p *Proxy) serve(ln net.Listener) {
	p.mu.Lock()
	p.ln = ln
	p.mu.Unlock()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go p.pipe(c)
		}
	}()
}

func (p *Proxy) pipe(c net.Conn) {
	u, err := net.Dial("tcp", p.target)
	if err != nil {
		c.Close()
		return
	}
	p.mu.Lock()
	if p.ln == nil { // taken down meanwhile
		p.mu.Unlock()
		c.Close()
		u.Close()
		return
	}
	p.conns[c], p.conns[u] = true, true
	p.mu.Unlock()
	done := make(chan struct{}, 2)
	cp := func(dst, src net.Conn) {
		buf := make([]byte, 32<<10)
		for {
			n, err := src.Read(buf)
			if n > 0 {
				if _, werr := dst.Write(buf[:n]); werr != nil {
					break
				}
			}
			if err != nil {
				break
			}
		}
		done <- struct{}{}
	}
	go cp(u, c)
	go cp(c, u)
	<-done
	c.Close()
	u.Close()
	p.mu.Lock()
	delete(p.conns, c)
	delete(p.conns, u)
	p.mu.Unlock()
}

// Down closes the port (new connections are refused) and cuts every open
// connection.
func (p *Proxy) Down() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.ln != nil {
		p.ln.Close()
		p.ln = nil
	}
	for c := range p.conns {
		c.Close()
	}
}

// Up listens on the port again.
func (p *Proxy) Up(tb testing.TB) {
	tb.Helper()
	ln, err := net.Listen("tcp", strings.TrimPrefix(p.Endpoint, "http://"))
	if err != nil {
		tb.Fatalf("the proxy cannot listen on its port again: %v", err)
	}
	p.serve(ln)
}
