package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"time"

	"gallerist/storage"
)

// runReindex is `gallerist reindex --data DIR`: it rebuilds the search index
// from the media rows (for rows written by other tools, or a database
// restored from a backup older than the index), with progress on stderr.
func runReindex(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	var cfg config
	fs := commonFlags("reindex", getenv, &cfg)
	if err := fs.Parse(args); err != nil {
		return err
	}
	a, err := openApp(ctx, cfg)
	if err != nil {
		return err
	}
	defer a.db.Close()
	start := time.Now()
	p := newProgressLine(stderr, "reindex")
	n, err := a.media.Reindex(ctx, func(done, total int) {
		p.update(storage.Progress{Phase: "media", Files: int64(done), TotalFiles: int64(total), Elapsed: time.Since(start), Done: done == total})
	})
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "Indexed the search text of %s media items in %s.\n", thousands(int64(n)), roundDur(time.Since(start)))
	return nil
}

// indexPendingSearch indexes, in the background, rows whose search text is
// not indexed (written by another tool, by a version before the index, or
// whose postings were lost): searches are right meanwhile, only slower.
func indexPendingSearch(ctx context.Context, a *app, log *slog.Logger) {
	if lost, err := a.media.MarkUnindexed(ctx); err != nil {
		log.Warn("check the search index", "err", err)
	} else if lost > 0 {
		log.Warn("search index: rows without postings, indexing them again", "items", lost)
	}
	pending, err := a.media.PendingIndex(ctx)
	if err != nil {
		log.Warn("check the search index (retried at next start)", "err", err)
		return
	}
	stale, err := a.media.StaleNext(ctx)
	if err != nil {
		log.Warn("check the search index (retried at next start)", "err", err)
		return
	}
	if pending+stale == 0 {
		return
	}
	log.Info("indexing search text", "pending", pending, "rows_to_refresh", stale)
	start := time.Now()
	n, err := a.media.IndexPending(ctx, nil)
	if err != nil && ctx.Err() == nil {
		log.Warn("index search text (retried at next start)", "indexed", n, "err", err)
		return
	}
	log.Info("indexed search text", "items", n, "rows_refreshed", stale, "duration", time.Since(start).Round(time.Millisecond))
}
