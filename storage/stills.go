package storage

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"gallerist/data"
)

// Stills makes the still image that stands for a video (its first keyframe,
// by ffmpeg) or a PDF (its first page, by pdftoppm), as a PNG that then goes
// through the same rendition pipeline as an uploaded image. Each tool is
// optional: a nil *Stills, or one whose tool path is empty, makes nothing
// for those types (the merchant picks a poster from the library instead).
//
// The tools run on bytes from strangers, so each run is bounded: the
// argument list is passed without a shell, the input is a private temporary
// copy of the blob (never a path or URL from the file), stdin is closed, the
// input format and protocol are forced, only one frame is decoded and
// scaled to fit MaxSide, the output is cut off at MaxBytes, and the process
// is killed at Timeout.
type Stills struct {
	FFmpeg   string // path of ffmpeg ("": no video posters)
	Pdftoppm string // path of pdftoppm ("": no PDF thumbnails)
	// Timeout bounds one run (default 20 s).
	Timeout time.Duration
	// MaxBytes bounds the PNG a run may write (default 16 MiB).
	MaxBytes int64
	// MaxSide is the longest side of the still (default: the largest rendition width).
	MaxSide int
	// TempDir holds the input copies ("": the system's).
	TempDir string
}

// DetectStills looks ffmpeg and pdftoppm up in path (a PATH list).
func DetectStills(path string) *Stills {
	return &Stills{FFmpeg: lookPath("ffmpeg", path), Pdftoppm: lookPath("pdftoppm", path)}
}

// lookPath finds an executable file name in the directories of path.
func lookPath(name, path string) string {
	for _, dir := range filepath.SplitList(path) {
		if dir == "" {
			continue
		}
		p := filepath.Join(dir, name)
		if fi, err := os.Stat(p); err == nil && fi.Mode().IsRegular() && fi.Mode()&0o111 != 0 {
			return p
		}
	}
	return ""
}

// stillArgs are the tool and arguments that turn the file at in, of type
// mime, into one PNG on stdout, or "" when nothing can.
func (s *Stills) stillArgs(mime, in string) (string, []string) {
	if s == nil {
		return "", nil
	}
	side := strconv.Itoa(s.maxSide())
	switch mime {
	case "video/mp4", "video/quicktime", "video/webm":
		if s.FFmpeg == "" {
			return "", nil
		}
		format := "mov" // ffmpeg's demuxer for MP4 and QuickTime
		if mime == "video/webm" {
			format = "matroska"
		}
		return s.FFmpeg, []string{"-nostdin", "-hide_banner", "-loglevel", "error", "-threads", "1",
			"-protocol_whitelist", "file", "-f", format, "-skip_frame", "nokey", "-i", in,
			"-map", "0:v:0", "-an", "-sn", "-dn", "-frames:v", "1",
			"-vf", "scale=w='min(" + side + ",iw)':h='min(" + side + ",ih)':force_original_aspect_ratio=decrease",
			"-fs", strconv.FormatInt(s.maxBytes(), 10), "-f", "image2pipe", "-c:v", "png", "pipe:1"}
	case "application/pdf":
		if s.Pdftoppm == "" {
			return "", nil
		}
		return s.Pdftoppm, []string{"-f", "1", "-l", "1", "-singlefile", "-png", "-scale-to", side, in}
	}
	return "", nil
}

// Makes reports whether a still is made for files of type mime.
func (s *Stills) Makes(mime string) bool {
	tool, _ := s.stillArgs(mime, "")
	return tool != ""
}

func (s *Stills) timeout() time.Duration {
	if s.Timeout > 0 {
		return s.Timeout
	}
	return 20 * time.Second
}

func (s *Stills) maxBytes() int64 {
	if s.MaxBytes > 0 {
		return s.MaxBytes
	}
	return 16 << 20
}

func (s *Stills) maxSide() int {
	if s.MaxSide > 0 {
		return s.MaxSide
	}
	return data.RenditionWidths[len(data.RenditionWidths)-1]
}

// StillError is why a still could not be made: Reason as a person reads
// it (no addresses, paths or tool internals), Detail what the tool said
// (for the server log).
type StillError struct {
	Tool   string // "ffmpeg" or "pdftoppm"
	Reason string
	Detail string
}

func (e *StillError) Error() string {
	if e.Detail != "" {
		return e.Tool + ": " + e.Reason + " (" + e.Detail + ")"
	}
	return e.Tool + ": " + e.Reason
}

// Make copies src (a file of type mime) to a private temporary file and
// runs the tool for mime on it, returning the PNG it wrote.
func (s *Stills) Make(ctx context.Context, src io.Reader, mime string) ([]byte, error) {
	f, err := os.CreateTemp(s.TempDir, "still-*")
	if err != nil {
		return nil, err
	}
	defer os.Remove(f.Name())
	_, err = io.Copy(f, src)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return nil, err
	}
	tool, args := s.stillArgs(mime, f.Name())
	if tool == "" {
		return nil, fmt.Errorf("no still is made for %s", mime)
	}
	name := filepath.Base(tool)
	ctx, cancel := context.WithTimeout(ctx, s.timeout())
	defer cancel()
	cmd := exec.CommandContext(ctx, tool, args...)
	cmd.Dir = os.TempDir()
	cmd.Env = []string{"PATH=/usr/bin:/bin", "LC_ALL=C"}
	cmd.WaitDelay = 2 * time.Second
	out := &capped{max: s.maxBytes()}
	stderr := &capped{max: 4 << 10, discard: true}
	cmd.Stdout, cmd.Stderr = out, stderr
	err = cmd.Run()
	switch {
	case ctx.Err() == context.DeadlineExceeded:
		return nil, &StillError{Tool: name, Reason: fmt.Sprintf("it took longer than the %s allowed", s.timeout())}
	case parentDone(ctx):
		return nil, context.Cause(ctx)
	case out.over:
		return nil, &StillError{Tool: name, Reason: fmt.Sprintf("the image it made is over the %d MB allowed", mb(s.maxBytes()))}
	case err != nil:
		detail := toolDetail(err, stderr.buf.String())
		return nil, &StillError{Tool: name, Reason: toolReason(detail, f.Name()), Detail: detail}
	case out.buf.Len() == 0:
		return nil, &StillError{Tool: name, Reason: "it found no picture in the file"}
	}
	return out.buf.Bytes(), nil
}

// parentDone reports whether ctx ended for a reason other than its own timeout.
func parentDone(ctx context.Context) bool {
	return ctx.Err() != nil && !errors.Is(ctx.Err(), context.DeadlineExceeded)
}

// toolDetail is what a tool wrote to stderr (its last lines), or its exit status.
func toolDetail(err error, stderr string) string {
	var lines []string
	for _, l := range strings.Split(stderr, "\n") {
		if l = strings.Join(strings.Fields(l), " "); l != "" {
			lines = append(lines, l)
		}
	}
	if len(lines) == 0 {
		return err.Error()
	}
	return strings.Join(lines, "; ")
}

// maxReason is the longest tool reason shown to a person, in bytes.
const maxReason = 120

var (
	// toolContext is ffmpeg's "[mov,mp4 @ 0x55d5…]" prefix on a message.
	toolContext = regexp.MustCompile(`\[[^\]]*@ *0x[0-9a-fA-F]+\]`)
	// addresses are hexadecimal pointers (0x55d5…, 0xc000…).
	addresses = regexp.MustCompile(`\b0x[0-9a-fA-F]{4,}\b`)
	// filePaths are absolute paths, the input copy's among them.
	filePaths = regexp.MustCompile(`(^|[\s'"(])/[^\s'"():]*:?`)
)

// toolReason is the last thing a tool said, cleaned for a person: no
// addresses, no file paths (the input is a temporary copy, named in), no
// "[demuxer @ address]" prefixes, cut at a word boundary; "" when nothing
// readable is left.
func toolReason(detail, in string) string {
	last := detail
	if in != "" {
		last = strings.ReplaceAll(last, in, "")
	}
	last = toolContext.ReplaceAllString(last, " ")
	last = addresses.ReplaceAllString(last, "")
	last = filePaths.ReplaceAllString(last, "$1")
	var parts []string
	for _, p := range strings.Split(last, ";") {
		if p = strings.Trim(strings.Join(strings.Fields(p), " "), ":,. "); p != "" {
			parts = append(parts, p)
		}
	}
	last = strings.Join(parts, "; ")
	if last == "" || !strings.ContainsFunc(last, unicode.IsLetter) {
		return "it could not read the file"
	}
	return cutAtWord(last, maxReason)
}

// cutAtWord shortens s to at most n bytes at a word boundary, marking the cut.
func cutAtWord(s string, n int) string {
	if len(s) <= n {
		return s
	}
	cut := strings.LastIndexByte(s[:n+1], ' ')
	if cut <= 0 {
		cut = n
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
	}
	return strings.TrimRight(s[:cut], " ,;:.") + "…"
}

// capped keeps at most max bytes and notes that more came: then it fails
// the write (the tool is stopped), or with discard drops the rest.
type capped struct {
	buf     bytes.Buffer
	max     int64
	over    bool
	discard bool
}

func (c *capped) Write(p []byte) (int, error) {
	if room := c.max - int64(c.buf.Len()); int64(len(p)) > room {
		c.buf.Write(p[:max(room, 0)])
		c.over = true
		if c.discard {
			return len(p), nil
		}
		return 0, errors.New("output over the limit")
	}
	return c.buf.Write(p)
}

// QueueMissingStills queues the poster (or first page) of every live video
// and document that has none because no tool could make it when it was
// uploaded (ffmpeg or pdftoppm installed since), and says how many items
// it queued. serve runs it at start, before any job: each item's poster
// then comes from its own job, as an upload's does, so a still made for
// another organization's later copy of the same bytes never shows on it
// (renditions are shared by bytes, and show only on items whose own
// processing is done).
func (s *MediaService) QueueMissingStills(ctx context.Context) (int, error) {
	var mimes []string
	for _, ft := range data.FileTypes {
		if ft.Kind != data.KindImage && s.Stills.Makes(ft.MIME) {
			mimes = append(mimes, ft.MIME)
		}
	}
	if len(mimes) == 0 {
		return 0, nil
	}
	list, err := json.Marshal(mimes)
	if err != nil {
		return 0, err
	}
	n := 0
	err = s.db.update(ctx, func(tx *sql.Tx) error {
		n = 0
		now := ms(s.db.Now())
		if _, err := tx.ExecContext(ctx, `INSERT OR IGNORE INTO rendition_jobs (sha256, mime_type, created_at)
			SELECT sha256, MIN(mime_type), ? FROM media m WHERE deleted_at IS NULL AND processing = 'ready' AND kind != 'image'
				AND mime_type IN (SELECT value FROM json_each(?))
				AND NOT EXISTS (SELECT 1 FROM renditions r WHERE r.sha256 = m.sha256 AND r.slot < ?)
			GROUP BY sha256`, now, string(list), data.CropSlotBase); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, `UPDATE media SET processing = 'pending', processing_error = ''
			WHERE deleted_at IS NULL AND processing = 'ready' AND kind != 'image'
				AND sha256 IN (SELECT sha256 FROM rendition_jobs)
				AND NOT EXISTS (SELECT 1 FROM renditions r WHERE r.sha256 = media.sha256 AND r.slot < ?)`, data.CropSlotBase)
		if err != nil {
			return err
		}
		items, _ := res.RowsAffected()
		n = int(items)
		return nil
	})
	return n, err
}
