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

	// redirect and redirectTTL are serve's --blobs-redirect settings:
	// answer file requests with a 302 to the bucket or a CDN.
	redirect    storage.BlobRedirect
	redirectTTL time.Duration
}

// blobSettings are taken by every command that reads or writes blobs
// (serve, gc, import, backup, verify, blobs migrate). The credentials'
// variables are the standard ones every S3 tool reads; the flags exist for
// completeness, but a secret given as a flag shows in process lists.
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

// blobRedirectSettings are serve's: how file requests are answered when
// the files are in a bucket.
var blobRedirectSettings = []setting{
	{flag: "blobs-redirect", env: "GALLERIST_BLOBS_REDIRECT", arg: "MODE", def: "off",
		help: "with an S3 store, answer file requests with a 302 instead of streaming them: off, presign (a presigned URL of the object), or a CDN's base URL serving the bucket, e.g. https://cdn.example.com",
		parse: func(c *config, v string) (err error) {
			c.blobs.redirect, err = storage.ParseBlobRedirect(v)
			return err
		}},
	{flag: "blobs-redirect-ttl", env: "GALLERIST_BLOBS_REDIRECT_TTL", arg: "DUR", def: storage.DefaultPresignTTL.String(),
		help: "how long a presigned URL of --blobs-redirect presign is valid (at most 168h); its 302 is cached for half of it",
		parse: func(c *config, v string) error {
			d, err := time.ParseDuration(v)
			if err != nil || d < time.Second || d > storage.MaxPresignTTL {
				return errors.New("must be a duration from 1s to 168h, such as 15m")
			}
			c.blobs.redirectTTL = d
			return nil
		}},
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
		if bc.redirect.On() {
			return nil, errors.New("--blobs-redirect needs an S3 store (--blobs s3://...): the local store has no URL of its own to send clients to; to put a CDN in front of local files, point it at Gallerist's /files (their URLs never change) and leave --blobs-redirect off")
		}
		return storage.NewLocalBlobs(dataDir, staging)
	}
	s3cfg := *bc.s3
	s3cfg.AccessKey, s3cfg.SecretKey = bc.accessKey, bc.secretKey
	s3cfg.Redirect, s3cfg.Redirect.TTL = bc.redirect, bc.redirectTTL
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
