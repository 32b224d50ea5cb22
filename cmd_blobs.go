package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"syscall"

	"gallerist/storage"
)

// migrateSpoolDir is where `blobs migrate` reads renditions to hash them
// and stages what it puts into a local target: its own folder, since a
// server starting or stopping clears tmp/ whatever is in it.
const migrateSpoolDir = "tmp-migrate"

// runBlobsMigrate copies the configured store (--blobs) into --to. It
// never writes the database or the source, so it is safe while the server
// runs; run once more after stopping the server, then switch.
func runBlobsMigrate(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	var cfg config
	fs := newFlags("blobs migrate", getenv, &cfg, append([]setting{dataSetting}, blobSettings...)...)
	to := fs.String("to", "", "the store to copy into: local (the data dir) or an s3:// URL")
	if err := fs.Parse(args); err != nil {
		return err
	}
	target, err := parseMigrateTarget(*to, cfg.blobs)
	if err != nil {
		return err
	}
	rec, err := storage.ReadStoreOwner(ctx, cfg.dataDir)
	if err != nil {
		return err
	}
	if err := wrongStore(rec, cfg.blobs, "blobs migrate"); err != nil {
		return err
	}
	spool, err := storage.NewStaging(filepath.Join(cfg.dataDir, migrateSpoolDir))
	if err != nil {
		return err
	}
	// One migrate at a time: what is in the spool then is a killed run's.
	unlock, err := lockFile(filepath.Join(cfg.dataDir, "migrate.lock"))
	if errors.Is(err, syscall.EWOULDBLOCK) {
		return fmt.Errorf("another gallerist blobs migrate is running on %s; wait for it to end", cfg.dataDir)
	}
	if err != nil {
		return err
	}
	defer unlock()
	if err := spool.Clear(); err != nil {
		return fmt.Errorf("clear what an interrupted migrate left in %s: %w", spool.Dir(), err)
	}
	defer os.Remove(spool.Dir()) // only when empty
	// The source is only read: no start-up probe object is written to it.
	src, err := openStore(ctx, cfg.blobs, cfg.dataDir, spool, false)
	if err != nil {
		return err
	}
	dst, err := openStore(ctx, target, cfg.dataDir, spool, true)
	if err != nil {
		return err
	}
	if fmt.Sprint(src) == fmt.Sprint(dst) {
		return fmt.Errorf("--to names the store the files are in already (%v); give the other one", src)
	}
	if err := storage.CheckOwner(ctx, dst, rec.Lineage); err != nil {
		return fmt.Errorf("--to: %w; give a prefix of its own (nothing was copied)", err)
	}
	res, err := storage.MigrateBlobs(ctx, cfg.dataDir, src, dst, storage.MigrateOptions{
		Spool: spool, Progress: newProgressLine(stderr, "migrate").update})
	if errors.Is(err, context.Canceled) {
		return errors.New("interrupted: nothing half-written is left in the target; run the same command again to continue")
	}
	if err != nil {
		return err
	}
	for _, k := range res.Replaced {
		fmt.Fprintf(stderr, "warning: the target had %s with the wrong size; it was copied again\n", k)
	}
	if n := len(res.Missing); n > 0 {
		fmt.Fprintf(stderr, "warning: %s the database refers to %s in neither store (purged while this ran, or lost before: `gallerist verify` tells), e.g. %s\n",
			plural(n, "key"), map[bool]string{true: "is", false: "are"}[n == 1], res.Missing[0])
	}
	for _, p := range res.Problems {
		fmt.Fprintln(stdout, "PROBLEM:", p)
	}
	fmt.Fprintf(stdout, "Copied %s (%.1f MB) and %s (%.1f MB) from %v to %v in %s (%s); %s (%.1f MB) already there %s skipped.\n",
		plural(int(res.Originals.Count), "original"), megabytes(res.Originals.Bytes),
		plural(int(res.Renditions.Count), "rendition"), megabytes(res.Renditions.Bytes), src, dst,
		roundDur(res.Elapsed), mbPerSec(res.Bytes(), res.Elapsed),
		plural(int(res.Skipped.Count), "file"), megabytes(res.Skipped.Bytes), map[bool]string{true: "was", false: "were"}[res.Skipped.Count == 1])
	if len(res.Problems) > 0 {
		return fmt.Errorf("%s could not be copied (none of them was written to the target); the source's copies are damaged (gallerist verify tells more)", plural(len(res.Problems), "file"))
	}
	// The target is this database's now, and the one store its server may switch to.
	if err := recordMigrated(ctx, cfg.dataDir, rec.Lineage, dst, storeName(target)); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "To switch: stop the server, run this command once more (it copies only what changed), then start the server with --blobs %s.\n", migrateBlobsFlag(*to))
	return nil
}

// parseMigrateTarget reads --to: local, or an S3 URL whose credentials are
// the same settings the source's are.
func parseMigrateTarget(to string, source blobsConfig) (blobsConfig, error) {
	switch {
	case to == "":
		return blobsConfig{}, errors.New("blobs migrate needs --to local or --to s3://BUCKET/PREFIX?endpoint=URL")
	case to == "local":
		if source.s3 == nil {
			return blobsConfig{}, errors.New("--to local: the files are in the local store already; give --blobs s3://... to copy from a bucket")
		}
		return blobsConfig{}, nil
	case !storage.IsS3URL(to):
		return blobsConfig{}, fmt.Errorf("--to %q: must be local or an s3:// URL", to)
	}
	s3, err := storage.ParseS3URL(to)
	if err != nil {
		return blobsConfig{}, fmt.Errorf("--to: %w", err)
	}
	s3.Setting = "--to"
	return blobsConfig{s3: &s3, accessKey: source.accessKey, secretKey: source.secretKey}, nil
}

// migrateBlobsFlag quotes an S3 URL for a shell (it has & and ?).
func migrateBlobsFlag(to string) string {
	if to == "local" {
		return "local"
	}
	return "'" + to + "'"
}

// recordMigrated marks the target of a complete migrate as this database's
// (its owner object) and records it as the store a server may switch to.
func recordMigrated(ctx context.Context, dataDir, lineage string, dst storage.BlobStore, name string) error {
	if lineage == "" {
		return nil // a database from before owners were recorded: nothing to mark
	}
	if err := storage.ClaimStore(ctx, dst, lineage); err != nil {
		return err
	}
	db, err := storage.OpenDB(ctx, filepath.Join(dataDir, storage.DBFileName))
	if err != nil {
		return err
	}
	defer db.Close()
	return db.RecordNextStore(ctx, name)
}
