package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"gallerist/storage"
)

func runBackup(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	var cfg config
	fs := newFlags("backup", getenv, &cfg, append([]setting{dataSetting}, blobSettings...)...)
	to := fs.String("to", "", "new directory, or new s3://BUCKET/PREFIX?endpoint=...&region=...&path_style=true, for the backup")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *to == "" {
		return errors.New("backup needs --to DIR (a new or empty directory)")
	}
	// The files are copied from wherever the server keeps them.
	opt := storage.BackupOptions{Progress: newProgressLine(stderr, "backup").update,
		AccessKey: cfg.blobs.accessKey, SecretKey: cfg.blobs.secretKey}
	var err error
	if opt.Blobs, err = readStore(ctx, cfg); err != nil {
		return err
	}
	res, err := storage.Backup(ctx, cfg.dataDir, *to, opt)
	if err != nil && ctx.Err() != nil {
		// SIGINT or SIGTERM: Backup removed what it wrote before returning.
		return fmt.Errorf("backup interrupted; what it wrote to %s was removed", *to)
	}
	if err != nil {
		return err
	}
	for _, w := range res.Warnings {
		fmt.Fprintln(stderr, "warning:", w)
	}
	m := res.Manifest
	fmt.Fprintf(stdout, "Backed up %s to %s in %s (%s): %s, %s.\n", cfg.dataDir, *to, roundDur(res.Elapsed), mbPerSec(res.Bytes, res.Elapsed),
		countsLine(m.Counts), filesLine(m))
	return nil
}

func runRestore(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	var cfg config
	fs := newFlags("restore", getenv, &cfg, append([]setting{dataSetting}, blobSettings[1:]...)...)
	from := fs.String("from", "", "backup directory, or s3://BUCKET/PREFIX?... of a backup")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *from == "" {
		return errors.New("restore needs --from DIR (a directory written by gallerist backup)")
	}
	explicit := getenv("GALLERIST_DATA") != ""
	fs.Visit(func(f *flag.Flag) { explicit = explicit || f.Name == "data" })
	if !explicit {
		return errors.New("restore needs --data NEWDIR (a new or empty directory for the restored instance)")
	}
	res, err := storage.Restore(ctx, *from, cfg.dataDir, storage.RestoreOptions{Progress: newProgressLine(stderr, "restore").update,
		AccessKey: cfg.blobs.accessKey, SecretKey: cfg.blobs.secretKey})
	if err != nil {
		return err
	}
	m := res.Manifest
	fmt.Fprintf(stdout, "Restored the backup of %s taken %s into %s in %s (%s): %s, %s.\nEvery file matched the manifest. Start the server with --data %s.\n",
		m.Source, m.CreatedAt, cfg.dataDir, roundDur(res.Elapsed), mbPerSec(res.Bytes, res.Elapsed), countsLine(m.Counts), filesLine(m), cfg.dataDir)
	return nil
}

func runVerify(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	var cfg config
	fs := newFlags("verify", getenv, &cfg, append([]setting{dataSetting}, blobSettings...)...)
	if err := fs.Parse(args); err != nil {
		return err
	}
	opt := storage.VerifyOptions{Progress: newProgressLine(stderr, "verify").update}
	var err error
	if opt.Blobs, err = readStore(ctx, cfg); err != nil {
		return err
	}
	rep, err := storage.Verify(ctx, cfg.dataDir, opt)
	if err != nil {
		return err
	}
	for _, w := range rep.Warnings {
		fmt.Fprintln(stdout, "warning:", w)
	}
	for _, p := range rep.Problems {
		fmt.Fprintln(stdout, "PROBLEM:", p)
	}
	what := cfg.dataDir
	if opt.Blobs != nil {
		what += " (files in " + fmt.Sprint(opt.Blobs) + ")"
	}
	fmt.Fprintf(stdout, "Checked %s in %s: database integrity and foreign keys, galleries of %s, %s (%s blobs, %.1f MB hashed), %s; %s, %s.\n",
		what, roundDur(rep.Elapsed), plural(int(rep.Products), "product"), plural(int(rep.Media), "media item"),
		thousands(rep.Blobs), megabytes(rep.BlobBytes), plural(int(rep.Renditions), "rendition"),
		plural(int(rep.OrphanBlobs), "orphan blob"), plural(int(rep.OrphanRenditions), "orphan rendition"))
	if !rep.Clean() {
		if opt.Blobs == nil && rep.Media > 0 && rep.Blobs == 0 {
			// Not one blob in the data dir: most likely the files are elsewhere.
			return fmt.Errorf("verify found %s in %s, and not one blob in its folders: if the server keeps its files in a bucket, give verify the same --blobs (or GALLERIST_BLOBS)",
				plural(len(rep.Problems), "problem"), cfg.dataDir)
		}
		return fmt.Errorf("verify found %s in %s", plural(len(rep.Problems), "problem"), cfg.dataDir)
	}
	fmt.Fprintln(stdout, "OK: no problems.")
	return nil
}

// readStore opens the bucket cfg names for a command that only reads it
// (backup, verify): no start-up probe object is written. It is nil for the
// local store, which those commands read in the data dir themselves.
func readStore(ctx context.Context, cfg config) (storage.BlobStore, error) {
	if cfg.blobs.s3 == nil {
		return nil, nil
	}
	return openStore(ctx, cfg.blobs, cfg.dataDir, nil, false)
}

func countsLine(c map[string]int64) string {
	return fmt.Sprintf("%s (%s trashed), %s, %s, %s, %s", plural(int(c["media"]), "media item"), thousands(c["media_trashed"]),
		plural(int(c["products"]), "product"), plural(int(c["gallery_images"]), "gallery image"),
		plural(int(c["collections"]), "collection"), plural(int(c["users"]), "user"))
}

func filesLine(m *storage.Manifest) string {
	return fmt.Sprintf("database %.1f MB, %s blobs %.1f MB, %s renditions %.1f MB", megabytes(m.Database.Size),
		thousands(m.Blobs.Count), megabytes(m.Blobs.Bytes), thousands(m.Renditions.Count), megabytes(m.Renditions.Bytes))
}

func megabytes(n int64) float64 { return float64(n) / 1e6 }

func mbPerSec(n int64, d time.Duration) string {
	if d <= 0 {
		return "-"
	}
	return fmt.Sprintf("%.1f MB/s", megabytes(n)/d.Seconds())
}

func roundDur(d time.Duration) time.Duration {
	if d > time.Second {
		return d.Round(10 * time.Millisecond)
	}
	return d.Round(time.Millisecond)
}

func thousands(n int64) string {
	s := fmt.Sprint(n)
	if n < 0 {
		return s
	}
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}

// progressLine shows storage.Progress on stderr: on a terminal one line
// redrawn with \r a few times a second; otherwise (a log, cron mail) a line
// per 10% for stores of 100 files or more, and one when a phase ends.
type progressLine struct {
	w       io.Writer
	op      string
	tty     bool
	last    time.Time
	lastPct int64
}

func newProgressLine(w io.Writer, op string) *progressLine {
	p := &progressLine{w: w, op: op, lastPct: -1}
	if f, ok := w.(*os.File); ok {
		if st, err := f.Stat(); err == nil && st.Mode()&os.ModeCharDevice != 0 {
			p.tty = true
		}
	}
	return p
}

func (p *progressLine) update(pr storage.Progress) {
	line := fmt.Sprintf("%s: %s %s/%s files, %.1f/%.1f MB, %s", p.op, pr.Phase, thousands(pr.Files), thousands(pr.TotalFiles),
		megabytes(pr.Bytes), megabytes(pr.TotalBytes), mbPerSec(pr.Bytes, pr.Elapsed))
	if pr.Phase == "database" {
		line = fmt.Sprintf("%s: database %.1f MB in %s", p.op, megabytes(pr.Bytes), roundDur(pr.Elapsed))
	}
	if p.tty {
		if !pr.Done && time.Since(p.last) < 200*time.Millisecond {
			return
		}
		p.last = time.Now()
		fmt.Fprintf(p.w, "\r%-90s", line)
		if pr.Done {
			fmt.Fprintln(p.w)
		}
		return
	}
	if pr.Done {
		fmt.Fprintln(p.w, line)
		p.lastPct = -1
		return
	}
	if pr.TotalFiles < 100 {
		return
	}
	pct := pr.Files * 10 / pr.TotalFiles * 10
	if pct > p.lastPct && pct < 100 {
		p.lastPct = pct
		if pct > 0 {
			fmt.Fprintf(p.w, "%s (%d%%)\n", line, pct)
		}
	}
}
