package storage

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"
)

// BlobRedirect says how file requests are answered by an S3 store: the
// zero value streams the bytes through the server; Presign answers 302 to a
// presigned URL of the object, valid for TTL; CDN answers 302 to the
// object's name under a CDN that serves the bucket.
type BlobRedirect struct {
	Presign bool
	TTL     time.Duration // the presigned URLs' lifetime (0: DefaultPresignTTL)
	// CDN is the base URL under which the CDN serves the bucket's objects:
	// the object PREFIX/originals/<sha> is at CDN/PREFIX/originals/<sha>.
	CDN *url.URL
}

// On reports whether file requests are redirected.
func (r BlobRedirect) On() bool { return r.Presign || r.CDN != nil }

// DefaultPresignTTL is how long a presigned URL is valid by default.
const DefaultPresignTTL = 15 * time.Minute

// MaxPresignTTL is S3's longest presigned URL lifetime (SigV4: a week).
const MaxPresignTTL = 7 * 24 * time.Hour

// cdnRedirectCache is how long a 302 to a CDN may be cached: the URL does
// not expire, but a deleted file must soon stop being sent there.
const cdnRedirectCache = 5 * time.Minute

// ParseBlobRedirect reads a --blobs-redirect value: "" or "off" (stream),
// "presign", or a CDN base URL such as https://cdn.example.com/media.
func ParseBlobRedirect(v string) (BlobRedirect, error) {
	switch strings.ToLower(v) {
	case "", "off":
		return BlobRedirect{}, nil
	case "presign":
		return BlobRedirect{Presign: true}, nil
	}
	u, err := url.Parse(v)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil || u.RawQuery != "" || u.Fragment != "" || u.Opaque != "" {
		return BlobRedirect{}, errors.New("must be off, presign, or a CDN's base URL such as https://cdn.example.com/media (http or https, no query)")
	}
	u.Path = strings.TrimSuffix(u.Path, "/")
	u.RawPath = ""
	return BlobRedirect{CDN: u}, nil
}

// String says what the setting does, for logs.
func (r BlobRedirect) String() string {
	switch {
	case r.Presign:
		return fmt.Sprintf("302 to presigned URLs valid for %s", r.ttl())
	case r.CDN != nil:
		return "302 to the CDN at " + r.CDN.String()
	}
	return "streamed"
}

func (r BlobRedirect) ttl() time.Duration {
	if r.TTL <= 0 {
		return DefaultPresignTTL
	}
	return r.TTL
}

// Redirect is data.Redirector: where the client can get the object itself,
// with the headers the server would have sent overriding the object's
// (S3's response-content-type and response-content-disposition, which a
// presigned URL signs, and a CDN forwards to a signed origin request).
func (b *s3Blob) Redirect(head bool, contentType, disposition string) (string, time.Duration, error) {
	r := b.s.cfg.Redirect
	if !r.On() {
		return "", 0, nil
	}
	q := url.Values{}
	q.Set("response-content-type", contentType)
	if disposition != "" {
		q.Set("response-content-disposition", disposition)
	}
	if r.CDN != nil {
		u := *r.CDN
		u.Path += "/" + b.name
		u.RawQuery = q.Encode()
		return u.String(), cdnRedirectCache, nil
	}
	ttl := r.ttl()
	presign := b.s.core.Client.PresignedGetObject
	if head {
		presign = b.s.core.Client.PresignedHeadObject
	}
	u, err := presign(b.ctx, b.s.cfg.Bucket, b.name, ttl, q)
	if err != nil {
		return "", 0, b.s.explain("presign "+b.info.Key, err)
	}
	return u.String(), ttl / 2, nil
}
