package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"time"

	"gallerist/storage"
	"gallerist/web"

	"github.com/prometheus/client_golang/prometheus"
)

// newLogger is the server's logger in the configured format.
func newLogger(format string, w io.Writer) *slog.Logger {
	if format == "json" {
		return slog.New(slog.NewJSONHandler(w, nil))
	}
	return slog.New(slog.NewTextHandler(w, nil))
}

// logWriter logs each line written to it: with --log-format json, what
// serve prints for people (where it listens) becomes log lines, so that the
// journal holds one JSON object per line.
type logWriter struct{ log *slog.Logger }

func (w logWriter) Write(p []byte) (int, error) {
	for _, line := range strings.Split(strings.TrimRight(string(p), "\n"), "\n") {
		w.log.Info(line)
	}
	return len(p), nil
}

// readinessChecks are what /readyz checks: the database and the blob store.
func readinessChecks(a *app) []web.Check {
	return []web.Check{
		{Name: "database", Run: a.db.Ping},
		{Name: "blobs", Run: func(ctx context.Context) error { return errors.Join(a.blobs.Check(ctx), a.staging.Check()) }},
	}
}

// newMetrics makes the server's metrics with storage's counters beside them.
func newMetrics(a *app) *web.Metrics {
	m := web.NewMetrics()
	m.Registry.MustRegister(storageCollector{a.renderer})
	return m
}

// serveMetrics serves the metrics listener on addr until ctx ends (nothing
// when addr is empty). It listens before the main listener does, so a
// taken address stops the start.
func serveMetrics(ctx context.Context, srv *web.Server, addr string, stdout io.Writer, log *slog.Logger) (stop func(), err error) {
	h := srv.MetricsHandler()
	if addr == "" || h == nil {
		return func() {}, nil
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("--metrics-addr: %w", err)
	}
	hs := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 30 * time.Second, WriteTimeout: time.Minute}
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := hs.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Error("metrics listener", "err", err)
		}
	}()
	go func() {
		<-ctx.Done()
		hs.Close()
	}()
	fmt.Fprintf(stdout, "Metrics on http://%s/metrics\n", ln.Addr())
	return func() { hs.Close(); <-done }, nil
}

// storageCollector turns storage.Stats and the rendition queue into
// Prometheus metrics at each scrape.
type storageCollector struct{ renderer *storage.Renderer }

var (
	descQueue = prometheus.NewDesc("gallerist_rendition_queue_depth",
		"Originals waiting for renditions (rows of the persisted queue).", nil, nil)
	descJobs = prometheus.NewDesc("gallerist_rendition_job_duration_seconds",
		"Time a rendition job took, by outcome: ready, retry (failed, queued again), failed (for good), interrupted (by shutdown), store_unavailable (waits for the blob store, attempt not counted).", []string{"outcome"}, nil)
	descWriteWait = prometheus.NewDesc("gallerist_sqlite_write_lock_wait_seconds",
		"Time from asking for SQLite's write transaction to holding it.", nil, nil)
	descBlobErrors = prometheus.NewDesc("gallerist_blob_errors_total",
		"Failed blob-store operations (a missing blob is not a failure), by operation.", []string{"op"}, nil)
	descFreedBlobs = prometheus.NewDesc("gallerist_blobs_freed_total",
		"Blobs deleted because no row needs them (purges, GC of expired trash, orphans).", nil, nil)
	descFreedBytes = prometheus.NewDesc("gallerist_blobs_freed_bytes_total",
		"Bytes of the blobs deleted because no row needs them.", nil, nil)
	descGCRuns = prometheus.NewDesc("gallerist_gc_runs_total",
		"Garbage collections the server ran, by outcome.", []string{"outcome"}, nil)
	descGCPurged = prometheus.NewDesc("gallerist_gc_purged_media_total",
		"Trashed media rows the garbage collector purged after the grace period.", nil, nil)
	descGCOrphans = prometheus.NewDesc("gallerist_gc_orphan_blobs_total",
		"Blob files no row referred to that the garbage collector removed.", nil, nil)
	descBlobMissing = prometheus.NewDesc("gallerist_blob_missing_total",
		"Requests for a live item's original or rendition whose file the blob store does not have (each key is also logged once).", nil, nil)
)

func (storageCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descQueue, descJobs, descWriteWait, descBlobErrors, descFreedBlobs, descFreedBytes, descGCRuns, descGCPurged, descGCOrphans, descBlobMissing} {
		ch <- d
	}
}

func (c storageCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if n, err := c.renderer.QueueDepth(ctx); err == nil {
		ch <- prometheus.MustNewConstMetric(descQueue, prometheus.GaugeValue, float64(n))
	} else {
		ch <- prometheus.NewInvalidMetric(descQueue, err)
	}
	st := storage.Stats
	for i, outcome := range storage.RenditionOutcomes {
		ch <- constHistogram(descJobs, st.RenditionJobs(i), outcome)
	}
	ch <- constHistogram(descWriteWait, st.WriteWait)
	for op, name := range storage.BlobOps {
		ch <- prometheus.MustNewConstMetric(descBlobErrors, prometheus.CounterValue, float64(st.BlobErrors(storage.BlobOp(op))), name)
	}
	blobs, bytes := st.Freed()
	ch <- prometheus.MustNewConstMetric(descFreedBlobs, prometheus.CounterValue, float64(blobs))
	ch <- prometheus.MustNewConstMetric(descFreedBytes, prometheus.CounterValue, float64(bytes))
	runs, failures, purged, orphans := st.GCRuns()
	ch <- prometheus.MustNewConstMetric(descGCRuns, prometheus.CounterValue, float64(runs-failures), "ok")
	ch <- prometheus.MustNewConstMetric(descGCRuns, prometheus.CounterValue, float64(failures), "error")
	ch <- prometheus.MustNewConstMetric(descGCPurged, prometheus.CounterValue, float64(purged))
	ch <- prometheus.MustNewConstMetric(descGCOrphans, prometheus.CounterValue, float64(orphans))
	ch <- prometheus.MustNewConstMetric(descBlobMissing, prometheus.CounterValue, float64(st.BlobsMissing()))
}

func constHistogram(d *prometheus.Desc, h *storage.Histogram, labels ...string) prometheus.Metric {
	buckets, count, sum := h.Snapshot()
	return prometheus.MustNewConstHistogram(d, count, sum, buckets, labels...)
}
