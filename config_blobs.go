package main

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"time"

	"gallerist/storage"
)

// blobsConfig says where blobs live: the data dir (s3 nil) or a bucket.
type blobsConfig struct {
	s3                   *storage.S3Config
	accessKey, secretKey string
}

// blobSettings are taken by every command that reads or writes blobs
// (serve, gc, import). The credentials' variables are the standard ones
// every S3 tool reads; the flags exist for completeness, but a secret
// given as a flag shows in process lists.
var blobSettings = []setting{
	{flag: "blobs", env: "GALLERIST_BLOBS", arg: "STORE", def: "local",
		help: "where files live: local (the data dir) or an S3 URL, s3://BUCKET/PREFIX?endpoint=https://HOST&region=REGION&path_style=true",
		parse: func(c *config, v string) error {
			if v == "local" {
				c.blobs.s3 = nil
				return nil
			}
			if !storage.IsS3URL(v) {
				return errors.New("must be local or an s3:// URL")
			}
			s3, err := storage.ParseS3URL(v)
			if err != nil {
				return err
			}
			c.blobs.s3 = &s3
			return nil
		}},
	{flag: "s3-access-key", env: "AWS_ACCESS_KEY_ID", arg: "ID", help: "access key id of the S3 store",
		parse: func(c *config, v string) error { return credentialInto(&c.blobs.accessKey, v) }},
	{flag: "s3-secret-key", env: "AWS_SECRET_ACCESS_KEY", arg: "SECRET", secret: true,
		help:  "secret key of the S3 store (prefer the variable: flags show in process lists)",
		parse: func(c *config, v string) error { return credentialInto(&c.blobs.secretKey, v) }},
}

// credentialInto takes a key id or secret: printable ASCII without spaces
// (a stray space or newline from a copied value would only fail later, as
// "signature does not match").
func credentialInto(field *string, v string) error {
	for _, r := range v {
		if r <= ' ' || r > '~' {
			return errors.New("must be printable ASCII without spaces")
		}
	}
	*field = v
	return nil
}

// blobCheckTimeout bounds the start-up check of a remote store.
const blobCheckTimeout = 30 * time.Second

// openBlobs opens the configured store. A bucket is checked before
// anything else starts: a server that cannot read or write its files
// should not start at all, and the message says what to fix.
func openBlobs(ctx context.Context, cfg config, staging *storage.Staging) (storage.BlobStore, error) {
	return openStore(ctx, cfg.blobs, cfg.dataDir, staging, true)
}

// openStore opens the store bc names (the local folder of dataDir when it
// names no bucket), checking a bucket first when check is set.
func openStore(ctx context.Context, bc blobsConfig, dataDir string, staging *storage.Staging, check bool) (storage.BlobStore, error) {
	if bc.s3 == nil {
		return storage.NewLocalBlobs(dataDir, staging)
	}
	s3cfg := *bc.s3
	s3cfg.AccessKey, s3cfg.SecretKey = bc.accessKey, bc.secretKey
	s, err := storage.NewS3Blobs(s3cfg)
	if err != nil {
		return nil, err
	}
	if !check {
		return s, nil
	}
	ctx, cancel := context.WithTimeout(ctx, blobCheckTimeout)
	defer cancel()
	if err := s.Check(ctx); err != nil {
		return nil, fmt.Errorf("the blob store cannot be used: %w", err)
	}
	return s, nil
}

// stagingDir is where uploads are staged, whatever the store: local.
func stagingDir(cfg config) string { return filepath.Join(cfg.dataDir, "tmp") }
