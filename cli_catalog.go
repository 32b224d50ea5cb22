package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"syscall"
	"time"

	"gallerist/data"
	"gallerist/storage"
)

// collectGarbageEvery runs the garbage collector once now and then every
// interval until ctx ends, logging what it removed.
func collectGarbageEvery(ctx context.Context, a *app, grace, interval time.Duration, log *slog.Logger) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		var rep storage.GCReport
		err := data.Safely(func() (err error) {
			rep, err = a.media.CollectGarbage(ctx, false, grace)
			return err
		})
		if ctx.Err() == nil {
			storage.Stats.GCRun(rep, err)
		}
		if pe, ok := err.(*data.PanicError); ok {
			log.Error("garbage collection panicked", "panic", pe.Value, "stack", string(pe.Stack))
		}
		switch {
		case err != nil && ctx.Err() == nil:
			log.Error("garbage collection", "err", err)
		case err == nil && len(rep.Purged)+len(rep.Versions)+len(rep.Blobs)+len(rep.Orphans)+len(rep.Crops) > 0:
			log.Info("garbage collection", "purged_media", len(rep.Purged), "dropped_versions", len(rep.Versions),
				"deleted_blobs", len(rep.Blobs), "orphan_blobs", len(rep.Orphans), "stale_crops", len(rep.Crops))
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

func runGC(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer) error {
	var cfg config
	cfg.limits = data.DefaultLimits()
	fs := newFlags("gc", getenv, &cfg, append([]setting{dataSetting, trashSetting}, blobSettings...)...)
	dryRun := fs.Bool("dry-run", false, "report what would be removed, remove nothing")
	if err := fs.Parse(args); err != nil {
		return err
	}
	grace := cfg.trashGrace
	a, err := openApp(ctx, cfg)
	if err != nil {
		return err
	}
	defer a.db.Close()
	if _, err := a.checkStore(ctx, cfg.blobs, "gc"); err != nil {
		return err
	}
	rep, err := a.media.CollectGarbage(ctx, *dryRun, grace)
	if err != nil {
		return err
	}
	verb := "Removed"
	if *dryRun {
		verb = "Would remove"
	}
	for _, it := range rep.Purged {
		fmt.Fprintf(stdout, "media %d (org %d) %q, trashed %s\n", it.ID, it.OrgID, it.Filename, it.DeletedAt.Format(time.RFC3339))
	}
	for _, v := range rep.Versions {
		fmt.Fprintf(stdout, "version %d of media %d (org %d), replaced %s\n", v.ID, v.MediaID, v.OrgID, v.CreatedAt.Format(time.RFC3339))
	}
	for _, k := range rep.Blobs {
		fmt.Fprintf(stdout, "blob %s\n", k)
	}
	for _, k := range rep.Orphans {
		fmt.Fprintf(stdout, "orphan blob %s\n", k)
	}
	for _, k := range rep.Renditions {
		fmt.Fprintf(stdout, "renditions of %s\n", k)
	}
	for _, k := range rep.Crops {
		fmt.Fprintf(stdout, "crop %s\n", k)
	}
	fmt.Fprintf(stdout, "%s %s older than %s, %s no row needs, %s and the renditions of %s.\n", verb, plural(len(rep.Purged), "trashed media item"),
		humanDays(grace), plural(len(rep.Blobs), "blob"), plural(len(rep.Orphans), "orphan blob file"), plural(len(rep.Renditions), "gone original"))
	if len(rep.Versions) > 0 {
		fmt.Fprintf(stdout, "%s %s replaced more than %s ago.\n", verb, plural(len(rep.Versions), "previous file"), humanDays(grace))
	}
	if len(rep.Crops) > 0 {
		fmt.Fprintf(stdout, "%s %s of focal points changed more than %s ago.\n", verb, plural(len(rep.Crops), "crop"), humanDays(grace))
	}
	return nil
}

// plural counts: plural(2, "file") is "2 files"; an irregular plural is
// given after the singular: plural(2, "file was", "files were").
func plural(n int, one string, many ...string) string {
	if n == 1 {
		return "1 " + one
	}
	if len(many) > 0 {
		return fmt.Sprintf("%d %s", n, many[0])
	}
	return fmt.Sprintf("%d %ss", n, one)
}

func humanDays(d time.Duration) string {
	days := d.Hours() / 24
	if days == float64(int64(days)) {
		if days == 1 {
			return "1 day"
		}
		return fmt.Sprintf("%d days", int64(days))
	}
	return d.String()
}

func runProductCreate(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer) error {
	var cfg config
	cfg.limits = data.DefaultLimits()
	fs := commonFlags("product create", getenv, &cfg)
	title := fs.String("title", "", "product title")
	handle := fs.String("handle", "", "handle (default: made from the title)")
	status := fs.String("status", "", "draft, active or archived (default draft)")
	orgSlug := fs.String("org", data.DefaultOrgSlug, "organization slug")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *title == "" {
		return errors.New("product create needs --title")
	}
	a, err := openApp(ctx, cfg)
	if err != nil {
		return err
	}
	defer a.db.Close()
	org, err := a.orgs.FindOrgBySlug(ctx, *orgSlug)
	if err != nil {
		return cliError(err)
	}
	pctx := data.WithPrincipal(ctx, data.Principal{OrgID: org.ID, Actor: "cli"})
	p, err := a.catalog.CreateProduct(pctx, data.ProductCreate{Title: *title, Handle: *handle, Status: data.ProductStatus(*status)})
	if err != nil {
		return cliError(err)
	}
	fmt.Fprintf(stdout, "Created product %q (handle %s, %s) in %s\n%d\n", p.Title, p.Handle, p.Status, org.Slug, p.ID)
	return nil
}

// lockDataDir takes the data dir's server lock (an exclusive flock on
// serve.lock), so one server process at a time writes a data dir; the
// lock goes with the process, however it ends.
func lockDataDir(dir string) (unlock func(), err error) {
	unlock, err = lockFile(filepath.Join(dir, "serve.lock"))
	if errors.Is(err, syscall.EWOULDBLOCK) {
		return nil, fmt.Errorf("another gallerist serve is running on %s (one server per data dir): %w", dir, err)
	}
	return unlock, err
}

// lockFile takes an exclusive lock on the file at p (created if needed),
// held until unlock or the process ends; syscall.EWOULDBLOCK if another
// process holds it.
func lockFile(p string) (unlock func(), err error) {
	f, err := os.OpenFile(p, os.O_CREATE|os.O_RDWR, 0o640)
	if err != nil {
		return nil, err
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		return nil, err
	}
	return func() { f.Close() }, nil
}
