package main

import (
	"context"
	"fmt"
	"log/slog"
	"strconv"

	"gallerist/storage"
)

// Which store a database owns. The database records the store its server
// last started with (serve records it) and its own lineage id (a restore
// gives the copy a new one); a bucket prefix holds an owner object naming
// the lineage that owns it (serve writes it). Every command that reads or
// writes files checks its --blobs against the record, so that a command
// given the wrong store (or none, on an instance whose files are in a
// bucket) refuses instead of writing files where the server never looks;
// serve and garbage collection check the owner object, so that a restored
// copy started on production's bucket neither serves from it nor deletes
// production's newer files. The switch after `blobs migrate` is allowed:
// migrate records its target as the one store a server may switch to.

// storeName is how the record names bc's store: "local", or the s3:// URL
// without credentials (which a URL never carries).
func storeName(bc blobsConfig) string {
	if bc.s3 == nil {
		return "local"
	}
	c := bc.s3
	return "s3://" + c.Bucket + "/" + c.Prefix + "?endpoint=" + c.Endpoint.String() + "&region=" + c.Region + "&path_style=" + strconv.FormatBool(c.PathStyle)
}

// sameStore reports whether two recorded names are the same store: the
// same bucket, prefix and endpoint (region and path style only say how to
// reach it).
func sameStore(a, b string) bool {
	if a == b {
		return true
	}
	if !storage.IsS3URL(a) || !storage.IsS3URL(b) {
		return false
	}
	x, errX := storage.ParseS3URL(a)
	y, errY := storage.ParseS3URL(b)
	return errX == nil && errY == nil && x.Bucket == y.Bucket && x.Prefix == y.Prefix && x.Endpoint.String() == y.Endpoint.String()
}

// describeStore names a recorded store for a message.
func describeStore(name string) string {
	if name == "local" {
		return "the data directory (local)"
	}
	if c, err := storage.ParseS3URL(name); err == nil {
		return "s3://" + c.Bucket + "/" + c.Prefix + " at " + c.Endpoint.String()
	}
	return name
}

// wrongStore is nil when bc names the store rec records (or rec records
// none yet), else the error cmd refuses with, saying which --blobs to give.
func wrongStore(rec storage.StoreOwner, bc blobsConfig, cmd string) error {
	given := storeName(bc)
	if rec.Store == "" || sameStore(rec.Store, given) {
		return nil
	}
	msg := fmt.Sprintf("this instance keeps its files in %s, not in %s: give %s --blobs %s (or set GALLERIST_BLOBS to it); nothing was changed",
		describeStore(rec.Store), describeStore(given), cmd, migrateBlobsFlag(rec.Store))
	if rec.Store == "local" && given != "local" {
		msg += ". A restored copy keeps its files in its data directory: to move them into a bucket, give it a prefix of its own with `gallerist blobs migrate --to s3://BUCKET/NEW-PREFIX?...`"
		if cmd == "serve" {
			msg += "; to have it take over the store of an instance that is gone for good (disaster recovery), start it once with --take-over-store"
		}
	}
	return fmt.Errorf("%s", msg)
}

// checkStoreOf checks that bc names the store of the database in dataDir,
// reading it without writing (for backup and verify). With orNext, the
// target of the last migrate passes too (verify checks it before a switch).
func checkStoreOf(ctx context.Context, dataDir string, bc blobsConfig, cmd string, orNext bool) error {
	rec, err := storage.ReadStoreOwner(ctx, dataDir)
	if err != nil {
		return nil // no database: the command says so itself
	}
	if orNext && rec.Next != "" && sameStore(rec.Next, storeName(bc)) {
		return nil
	}
	return wrongStore(rec, bc, cmd)
}

// checkStore checks that bc names the store of a's database (import, gc,
// blobs migrate's source).
func (a *app) checkStore(ctx context.Context, bc blobsConfig, cmd string) (storage.StoreOwner, error) {
	rec, err := a.db.StoreOwner(ctx)
	if err != nil {
		return rec, err
	}
	return rec, wrongStore(rec, bc, cmd)
}

// claimStore is serve's check at start: the store it was given must be the
// recorded one, the target of the last `blobs migrate` (the switch), any
// store for an instance without media, or any with takeOver; and a bucket's
// owner object must name this database (or none: then it is written), or
// takeOver must be given. The store is then recorded.
func (a *app) claimStore(ctx context.Context, bc blobsConfig, takeOver bool, log *slog.Logger) error {
	rec, err := a.db.StoreOwner(ctx)
	if err != nil {
		return err
	}
	given := storeName(bc)
	switch {
	case rec.Store == "" || sameStore(rec.Store, given) || rec.Empty:
	case rec.Next != "" && sameStore(rec.Next, given):
		log.Info("blob store switched (the target of blobs migrate)", "from", describeStore(rec.Store), "to", describeStore(given))
	case takeOver:
		log.Warn("blob store taken over (--take-over-store)", "from", describeStore(rec.Store), "to", describeStore(given))
	default:
		return wrongStore(rec, bc, "serve")
	}
	owner, marked, err := storage.OwnerOf(ctx, a.blobs)
	if err != nil {
		return err
	}
	if marked && owner != rec.Lineage {
		if owner != "" && !takeOver {
			return fmt.Errorf("%s belongs to another Gallerist database: its %s object names %s, and this database is %s (a restored copy, or another instance pointed at the same prefix). Serving from it would let this database delete that one's files. If this is a restored copy, start it with --blobs local, or copy its files to a prefix of its own with `gallerist blobs migrate --to s3://BUCKET/NEW-PREFIX?...`; if the instance that owns the store is gone for good and this copy is to take its place, start once with --take-over-store",
				a.blobs, storage.OwnerObject, owner, rec.Lineage)
		}
		if owner != "" {
			log.Warn("owner object taken over (--take-over-store): the database that owned this store must not be started on it again", "store", fmt.Sprint(a.blobs), "previous_owner", owner)
		}
		if err := storage.ClaimStore(ctx, a.blobs, rec.Lineage); err != nil {
			return err
		}
	}
	if rec.Store != given || rec.Next != "" {
		return a.db.RecordStore(ctx, given)
	}
	return nil
}
