package storage

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"gallerist/data"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
	"github.com/minio/minio-go/v7/pkg/s3utils"
)

// S3Config says where an S3-compatible blob store is and how to sign in.
// String never shows the secret.
type S3Config struct {
	Bucket string
	Prefix string // "" or ending in "/": every object lives under it
	// Endpoint is the server's base URL (scheme and host only).
	Endpoint  *url.URL
	Region    string
	PathStyle bool // bucket in the path (MinIO, versitygw, Ceph) instead of the host name

	AccessKey, SecretKey string

	// PartSize is the size of a multipart upload's parts; blobs up to it
	// go in one PUT (0: DefaultS3PartSize).
	PartSize int64
	// MaxRetries is how often one request is tried on network errors, 5xx
	// and throttling answers, with exponential backoff and full jitter
	// (200 ms doubling, capped at 1 s between tries). 0: DefaultS3Retries.
	MaxRetries int

	// Redirect, when on, lets file requests be answered with a 302 to the
	// object (serve's --blobs-redirect) instead of streaming it.
	Redirect BlobRedirect
	// Transport carries the client's requests (nil: minio-go's own);
	// tests count the requests a file request makes through it.
	Transport http.RoundTripper

	// Setting names the flag the URL came from, for messages ("":
	// --blobs); ReadOnly says the store is only read (restore's --from),
	// so a refusal asks for read and list rights only.
	Setting  string
	ReadOnly bool
}

// DefaultS3PartSize is the multipart part size: one part is buffered in
// memory per upload in flight, so that a failed part can be sent again.
const DefaultS3PartSize = 16 << 20

// minS3PartSize is S3's smallest part but the last.
const minS3PartSize = 5 << 20

// DefaultS3Retries is how often a request is tried before an error is
// returned (minio-go's backoff between tries).
const DefaultS3Retries = 5

// IsS3URL reports whether a --blobs value names an S3 store.
func IsS3URL(s string) bool { return strings.HasPrefix(strings.ToLower(s), "s3://") }

// ParseS3URL reads a store URL:
// s3://BUCKET/PREFIX?endpoint=http://127.0.0.1:7070&region=us-east-1&path_style=true.
// Without endpoint it is AWS's (of region, if given). Credentials are never
// taken from the URL: they would end up in process lists and logs.
func ParseS3URL(raw string) (S3Config, error) {
	const example = "s3://BUCKET/PREFIX?endpoint=https://HOST&region=REGION&path_style=true"
	u, err := url.Parse(raw)
	if err != nil || !strings.EqualFold(u.Scheme, "s3") || u.Opaque != "" {
		return S3Config{}, fmt.Errorf("%q is not an S3 URL such as %s", raw, example)
	}
	if u.User != nil {
		return S3Config{}, errors.New("an S3 URL must not carry credentials: give them as AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or --s3-access-key and --s3-secret-key")
	}
	if u.Host == "" {
		return S3Config{}, fmt.Errorf("the S3 URL names no bucket: write it as %s", example)
	}
	if err := s3utils.CheckValidBucketNameStrict(u.Host); err != nil {
		return S3Config{}, fmt.Errorf("%q is not a valid bucket name (3 to 63 lowercase letters, digits, dots and hyphens)", u.Host)
	}
	if u.Fragment != "" {
		return S3Config{}, errors.New("an S3 URL has no #fragment")
	}
	cfg := S3Config{Bucket: u.Host, Region: "us-east-1"}
	if p := strings.Trim(u.Path, "/"); p != "" {
		if strings.Contains(p, "//") || strings.Contains("/"+p+"/", "/../") || strings.Contains("/"+p+"/", "/./") {
			return S3Config{}, fmt.Errorf("the prefix %q has empty, . or .. segments", p)
		}
		cfg.Prefix = p + "/"
	}
	q, err := url.ParseQuery(u.RawQuery)
	if err != nil {
		return S3Config{}, fmt.Errorf("the S3 URL's query is malformed: %v", err)
	}
	endpoint := ""
	for name, vs := range q {
		if len(vs) != 1 {
			return S3Config{}, fmt.Errorf("the S3 URL gives %s %d times", name, len(vs))
		}
		v := vs[0]
		switch name {
		case "endpoint":
			endpoint = v
		case "region":
			if v == "" {
				return S3Config{}, errors.New("region is empty")
			}
			cfg.Region = v
		case "path_style":
			b, err := strconv.ParseBool(v)
			if err != nil {
				return S3Config{}, fmt.Errorf("path_style must be true or false, not %q", v)
			}
			cfg.PathStyle = b
		default:
			return S3Config{}, fmt.Errorf("the S3 URL has an unknown parameter %q (known: endpoint, region, path_style)", name)
		}
	}
	if endpoint == "" {
		endpoint = "https://s3." + cfg.Region + ".amazonaws.com"
		if _, given := q["region"]; !given {
			endpoint = "https://s3.amazonaws.com"
		}
	}
	e, err := url.Parse(endpoint)
	if err != nil || (e.Scheme != "http" && e.Scheme != "https") || e.Host == "" || strings.Trim(e.Path, "/") != "" || e.RawQuery != "" || e.User != nil {
		return S3Config{}, fmt.Errorf("endpoint %q must be a bare http or https URL such as https://s3.example.com or http://127.0.0.1:7070", endpoint)
	}
	e.Path = ""
	cfg.Endpoint = e
	return cfg, nil
}

// String names the store for logs and messages, without credentials.
func (c S3Config) String() string {
	host := ""
	if c.Endpoint != nil {
		host = c.Endpoint.String()
	}
	return fmt.Sprintf("S3 bucket %q (prefix %q) at %s", c.Bucket, c.Prefix, host)
}

// S3Blobs is a BlobStore in an S3-compatible bucket: originals under
// PREFIX/originals/<sha>, renditions under PREFIX/renditions/<sha>/<name>.
type S3Blobs struct {
	cfg  S3Config
	core minio.Core
	// wrote is when Check last wrote and removed its test object: a
	// public /readyz may come every second, and writes are billed.
	wrote atomic.Int64
}

// checkWriteEvery is how often Check writes a test object; in between it
// only lists the bucket (which tells bad keys and missing buckets apart).
const checkWriteEvery = time.Minute

// NewS3Blobs makes a client for the store; it contacts nothing (Check does).
func NewS3Blobs(cfg S3Config) (*S3Blobs, error) {
	if cfg.Endpoint == nil {
		return nil, errors.New("S3 store without an endpoint")
	}
	if cfg.AccessKey == "" || cfg.SecretKey == "" {
		return nil, fmt.Errorf("%s: no credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (or --s3-access-key and --s3-secret-key)", cfg)
	}
	if cfg.PartSize == 0 {
		cfg.PartSize = DefaultS3PartSize
	}
	if cfg.PartSize < minS3PartSize {
		return nil, fmt.Errorf("S3 part size %d is under S3's least (5 MiB)", cfg.PartSize)
	}
	if cfg.MaxRetries <= 0 {
		cfg.MaxRetries = DefaultS3Retries
	}
	if t := cfg.Redirect.TTL; t < 0 || t > MaxPresignTTL {
		return nil, fmt.Errorf("a presigned URL's lifetime must be more than 0 and at most %s (S3's limit), not %s", MaxPresignTTL, t)
	}
	lookup := minio.BucketLookupDNS
	if cfg.PathStyle {
		lookup = minio.BucketLookupPath
	}
	c, err := minio.NewCore(cfg.Endpoint.Host, &minio.Options{
		Creds:        credentials.NewStaticV4(cfg.AccessKey, cfg.SecretKey, ""),
		Secure:       cfg.Endpoint.Scheme == "https",
		Region:       cfg.Region,
		BucketLookup: lookup,
		MaxRetries:   cfg.MaxRetries,
		Transport:    cfg.Transport,
	})
	if err != nil {
		return nil, fmt.Errorf("%s: %v", cfg, err)
	}
	return &S3Blobs{cfg: cfg, core: *c}, nil
}

// String names the store for logs and messages.
func (s *S3Blobs) String() string { return s.cfg.String() }

// objectName maps a store key to its object's name.
func (s *S3Blobs) objectName(key string) (string, error) {
	if err := checkKey(key); err != nil {
		return "", err
	}
	if strings.Contains(key, "/") {
		return s.cfg.Prefix + "renditions/" + key, nil
	}
	return s.cfg.Prefix + "originals/" + key, nil
}

// Location names key's object: s3://BUCKET/NAME.
func (s *S3Blobs) Location(key string) string {
	name, err := s.objectName(key)
	if err != nil {
		return key
	}
	return "s3://" + s.cfg.Bucket + "/" + name
}

// keyOf maps an object's name back to its store key, if it is one.
func (s *S3Blobs) keyOf(name string) (string, bool) {
	rest, ok := strings.CutPrefix(name, s.cfg.Prefix)
	if !ok {
		return "", false
	}
	if k, ok := strings.CutPrefix(rest, "originals/"); ok && IsOriginalKey(k) {
		return k, true
	}
	if k, ok := strings.CutPrefix(rest, "renditions/"); ok && ValidBlobKey(k) && !IsOriginalKey(k) {
		return k, true
	}
	return "", false
}

func isNotFound(err error) bool {
	r := minio.ToErrorResponse(err)
	return r.StatusCode == http.StatusNotFound || r.Code == "NoSuchKey" || r.Code == "NotFound"
}

// Put streams r into the bucket: one PUT up to PartSize, a multipart upload
// above. Bytes that do not have size and SHA-256 sum never land:
//   - one PUT: the bytes are checked as they pass, and the last of them is
//     handed to the HTTP client only once they match, so a bad body never
//     completes a request (which is signed with sum: the server checks too);
//   - multipart from a file (an io.ReaderAt, as staged uploads are): the
//     file is hashed first, whole and per part, then each part is sent
//     from the file (nothing buffered, retried from the file) signed with
//     its hash, and the upload is completed only after every part went;
//   - multipart from a plain reader: parts are buffered (one at a time) as
//     the stream is verified; the last part fails to read if it is wrong.
//
// On any error a multipart upload is aborted.
func (s *S3Blobs) Put(ctx context.Context, key string, r io.Reader, size int64, sum string) (bool, error) {
	name, err := s.objectName(key)
	if err != nil {
		return false, err
	}
	if _, err := s.Stat(ctx, key); err == nil {
		return false, nil
	} else if !errors.Is(err, ErrBlobNotFound) {
		return false, err
	}
	if size < 0 {
		return false, fmt.Errorf("blob size %d", size)
	}
	partSize := max(s.cfg.PartSize, (size+9999)/10000) // S3 allows 10,000 parts
	var vr *verifyingReader
	switch ra, isFile := r.(io.ReaderAt); {
	case size <= s.cfg.PartSize:
		vr = newVerifyingReader(r, size, sum)
		err = s.putOne(ctx, name, vr, size, sum)
	case isFile:
		var start int64
		if sk, ok := r.(io.Seeker); ok {
			if start, err = sk.Seek(0, io.SeekCurrent); err != nil {
				return false, err
			}
		}
		sums, verr := hashParts(ra, start, size, partSize, sum)
		if verr != nil {
			return false, verr
		}
		err = s.putMultipart(ctx, name, size, partSize, func(n int, off, length int64) (io.Reader, string, error) {
			return io.NewSectionReader(ra, start+off, length), sums[n-1], nil
		})
	default:
		vr = newVerifyingReader(r, size, sum)
		buf := make([]byte, partSize)
		err = s.putMultipart(ctx, name, size, partSize, func(_ int, _, length int64) (io.Reader, string, error) {
			chunk := buf[:length]
			if _, err := io.ReadFull(vr, chunk); err != nil {
				return nil, "", err
			}
			h := sha256.Sum256(chunk)
			return bytes.NewReader(chunk), hex.EncodeToString(h[:]), nil
		})
	}
	if vr != nil && vr.bad != nil {
		return false, vr.bad
	}
	if err != nil {
		return false, s.explain("put "+key, err)
	}
	return true, nil
}

func (s *S3Blobs) putOne(ctx context.Context, name string, vr *verifyingReader, size int64, sum string) error {
	var body io.Reader = vr
	if vr.seeker == nil {
		body = struct{ io.Reader }{vr} // not seekable: one try only
	}
	_, err := s.core.PutObject(ctx, s.cfg.Bucket, name, body, size, "", sum, blobPutOptions)
	return err
}

// blobPutOptions are every blob object's: a key names its bytes for good,
// so whoever is sent to the object (--blobs-redirect: browsers, a CDN)
// may keep it as long as /files/ lets them.
var blobPutOptions = minio.PutObjectOptions{ContentType: "application/octet-stream", CacheControl: "public, max-age=31536000, immutable"}

// hashParts reads size bytes of ra from start and returns each part's
// SHA-256, or ErrBlobCorrupt unless they are exactly the bytes with sum.
func hashParts(ra io.ReaderAt, start, size, partSize int64, sum string) ([]string, error) {
	all := sha256.New()
	var sums []string
	for off := int64(0); off < size; off += partSize {
		part := sha256.New()
		n, err := io.Copy(io.MultiWriter(all, part), io.NewSectionReader(ra, start+off, min(partSize, size-off)))
		if err != nil {
			return nil, err
		}
		if n < min(partSize, size-off) {
			return nil, fmt.Errorf("%w: %d bytes read, %d expected", ErrBlobCorrupt, off+n, size)
		}
		sums = append(sums, hex.EncodeToString(part.Sum(nil)))
	}
	if n, _ := ra.ReadAt(make([]byte, 1), start+size); n > 0 {
		return nil, fmt.Errorf("%w: more than the %d bytes expected", ErrBlobCorrupt, size)
	}
	if hex.EncodeToString(all.Sum(nil)) != sum {
		return nil, fmt.Errorf("%w: the SHA-256 differs", ErrBlobCorrupt)
	}
	return sums, nil
}

// putMultipart uploads size bytes in parts that part yields (part n, 1-based,
// at off, length long, with its SHA-256) and completes the upload after the
// last; on any error it aborts the upload.
func (s *S3Blobs) putMultipart(ctx context.Context, name string, size, partSize int64,
	part func(n int, off, length int64) (io.Reader, string, error)) (err error) {
	id, err := s.core.NewMultipartUpload(ctx, s.cfg.Bucket, name, blobPutOptions)
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			s.core.AbortMultipartUpload(context.WithoutCancel(ctx), s.cfg.Bucket, name, id)
		}
	}()
	var parts []minio.CompletePart
	for off, n := int64(0), 1; off < size; n++ {
		length := min(partSize, size-off)
		body, sum, err := part(n, off, length)
		if err != nil {
			return err
		}
		p, err := s.core.PutObjectPart(ctx, s.cfg.Bucket, name, id, n, body, length, minio.PutObjectPartOptions{Sha256Hex: sum})
		if err != nil {
			return err
		}
		parts = append(parts, minio.CompletePart{PartNumber: n, ETag: p.ETag})
		off += length
	}
	_, err = s.core.CompleteMultipartUpload(ctx, s.cfg.Bucket, name, id, parts, minio.PutObjectOptions{})
	return err
}

// verifyingReader yields exactly size bytes of src and fails, before
// handing over the last of them, unless they hash to sum and src ends there.
// It can be rewound (for a retried PUT) when src is a Seeker.
type verifyingReader struct {
	src    io.Reader
	seeker io.Seeker
	start  int64
	size   int64
	sum    string
	hc     *hashCounter
	bad    error // ErrBlobCorrupt once found
}

func newVerifyingReader(src io.Reader, size int64, sum string) *verifyingReader {
	v := &verifyingReader{src: src, size: size, sum: sum, hc: newHashCounter()}
	if sk, ok := src.(io.Seeker); ok {
		if off, err := sk.Seek(0, io.SeekCurrent); err == nil {
			v.seeker, v.start = sk, off
		}
	}
	return v
}

func (v *verifyingReader) Read(p []byte) (int, error) {
	if v.bad != nil {
		return 0, v.bad
	}
	left := v.size - v.hc.n
	if left == 0 {
		return 0, io.EOF
	}
	if int64(len(p)) > left {
		p = p[:left]
	}
	n, err := v.src.Read(p)
	v.hc.Write(p[:n])
	if v.hc.n < v.size {
		if err == io.EOF {
			return 0, v.fail(fmt.Sprintf("%d bytes read, %d expected", v.hc.n, v.size))
		}
		return n, err
	}
	// The last byte: check before handing any of this read over.
	var one [1]byte
	for {
		m, err := v.src.Read(one[:])
		if m > 0 {
			return 0, v.fail(fmt.Sprintf("more than the %d bytes expected", v.size))
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			return 0, err
		}
	}
	if hex.EncodeToString(v.hc.h.Sum(nil)) != v.sum {
		return 0, v.fail("the SHA-256 differs")
	}
	return n, io.EOF
}

func (v *verifyingReader) fail(why string) error {
	v.bad = fmt.Errorf("%w: %s", ErrBlobCorrupt, why)
	return v.bad
}

// Seek rewinds to the start, for a retry; nothing else is needed.
func (v *verifyingReader) Seek(off int64, whence int) (int64, error) {
	if v.bad != nil {
		return 0, v.bad // do not send known-bad bytes again
	}
	if v.seeker == nil || off != 0 || whence != io.SeekStart {
		return 0, errors.New("verifyingReader only rewinds")
	}
	if _, err := v.seeker.Seek(v.start, io.SeekStart); err != nil {
		return 0, err
	}
	v.hc = newHashCounter()
	return 0, nil
}

// Stat asks the server for the object's size and time (HEAD).
func (s *S3Blobs) Stat(ctx context.Context, key string) (BlobInfo, error) {
	name, err := s.objectName(key)
	if err != nil {
		return BlobInfo{}, err
	}
	info, err := s.core.StatObject(ctx, s.cfg.Bucket, name, minio.StatObjectOptions{})
	if err != nil {
		if isNotFound(err) {
			return BlobInfo{}, ErrBlobNotFound
		}
		return BlobInfo{}, s.explain("stat "+key, err)
	}
	return BlobInfo{Key: key, Size: info.Size, ModTime: info.LastModified}, nil
}

// Open stats the object once; reads then fetch ranges lazily (s3Blob).
func (s *S3Blobs) Open(ctx context.Context, key string) (data.Blob, error) {
	info, err := s.Stat(ctx, key)
	if err != nil {
		return nil, err
	}
	name, _ := s.objectName(key)
	return &s3Blob{s: s, ctx: ctx, name: name, info: info}, nil
}

// s3Blob reads an object lazily: Seek only moves the offset; the first Read
// after it issues one GET for the bytes from there to the end (or to the
// limit LimitRange set), streamed as they are read (never buffered whole);
// Close drops the response.
type s3Blob struct {
	s    *S3Blobs
	ctx  context.Context
	name string
	info BlobInfo
	off  int64
	end  int64 // reads stop here (0: the object's end)
	body io.ReadCloser
}

// LimitRange makes the next GET ask for the bytes up to end only.
func (b *s3Blob) LimitRange(end int64) {
	if b.body != nil {
		b.body.Close()
		b.body = nil
	}
	b.end = min(max(end, b.off), b.info.Size)
}

func (b *s3Blob) stop() int64 {
	if b.end > 0 {
		return b.end
	}
	return b.info.Size
}

func (b *s3Blob) Size() int64        { return b.info.Size }
func (b *s3Blob) ModTime() time.Time { return b.info.ModTime }

func (b *s3Blob) Read(p []byte) (int, error) {
	stop := b.stop()
	if b.off >= stop {
		return 0, io.EOF
	}
	if b.body == nil {
		opts := minio.GetObjectOptions{}
		switch {
		case stop < b.info.Size:
			opts.SetRange(b.off, stop-1) // inclusive: exactly the range asked for
		case b.off > 0:
			opts.SetRange(b.off, 0)
		}
		body, _, _, err := b.s.core.GetObject(b.ctx, b.s.cfg.Bucket, b.name, opts)
		if err != nil {
			if isNotFound(err) {
				return 0, ErrBlobNotFound
			}
			return 0, b.s.explain("read "+b.info.Key, err)
		}
		b.body = body
	}
	if int64(len(p)) > stop-b.off {
		p = p[:stop-b.off]
	}
	n, err := b.body.Read(p)
	b.off += int64(n)
	if err == io.EOF && b.off < stop {
		err = io.ErrUnexpectedEOF
	}
	if err == nil && b.off >= stop {
		err = io.EOF
	}
	return n, err
}

func (b *s3Blob) Seek(offset int64, whence int) (int64, error) {
	var abs int64
	switch whence {
	case io.SeekStart:
		abs = offset
	case io.SeekCurrent:
		abs = b.off + offset
	case io.SeekEnd:
		abs = b.info.Size + offset
	default:
		return 0, errors.New("s3Blob.Seek: bad whence")
	}
	if abs < 0 {
		return 0, errors.New("s3Blob.Seek: negative position")
	}
	if abs != b.off && b.body != nil {
		b.body.Close()
		b.body = nil
	}
	b.off, b.end = abs, 0 // a limit is set after the seek it goes with
	return abs, nil
}

func (b *s3Blob) Close() error {
	if b.body != nil {
		err := b.body.Close()
		b.body = nil
		return err
	}
	return nil
}

// Delete removes an object; S3 answers success for a missing one.
func (s *S3Blobs) Delete(ctx context.Context, key string) error {
	name, err := s.objectName(key)
	if err != nil {
		return err
	}
	if err := s.core.RemoveObject(ctx, s.cfg.Bucket, name, minio.RemoveObjectOptions{}); err != nil && !isNotFound(err) {
		return s.explain("delete "+key, err)
	}
	return nil
}

// List lists the objects whose keys start with prefix: a rendition prefix
// under renditions/ only, any other under both folders.
func (s *S3Blobs) List(ctx context.Context, prefix string, fn func(BlobInfo) error) error {
	roots := []string{"originals/", "renditions/"}
	if strings.Contains(prefix, "/") {
		roots = []string{"renditions/"}
	}
	for _, root := range roots {
		if err := s.list(ctx, s.cfg.Prefix+root+prefix, prefix, fn); err != nil {
			return err
		}
	}
	return nil
}

func (s *S3Blobs) list(ctx context.Context, objPrefix, keyPrefix string, fn func(BlobInfo) error) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel() // stops the lister's goroutine when fn stops early
	for obj := range s.core.Client.ListObjects(ctx, s.cfg.Bucket, minio.ListObjectsOptions{Prefix: objPrefix, Recursive: true}) {
		if obj.Err != nil {
			return s.explain("list", obj.Err)
		}
		key, ok := s.keyOf(obj.Key)
		if !ok || !strings.HasPrefix(key, keyPrefix) {
			continue
		}
		if err := fn(BlobInfo{Key: key, Size: obj.Size, ModTime: obj.LastModified}); err != nil {
			return err
		}
	}
	return nil
}

// Check makes sure the bucket exists and an object can be written and
// removed with these credentials, and says what to fix when not.
func (s *S3Blobs) Check(ctx context.Context) error {
	// A listing (not HEAD, whose answers have no body) tells bad keys,
	// bad secrets and missing buckets apart by their error codes. It runs
	// under ctx (minio's Core.ListObjectsV2 does not take one, so a probe
	// of a silent endpoint would hang through every retry).
	lctx, cancel := context.WithCancel(ctx) // ends the lister when we stop reading
	defer cancel()
	objects := s.core.Client.ListObjects(lctx, s.cfg.Bucket, minio.ListObjectsOptions{Prefix: s.cfg.Prefix, MaxKeys: 1})
	if obj, ok := <-objects; ok && obj.Err != nil {
		return s.explain("check", obj.Err)
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	if last := s.wrote.Load(); last != 0 && time.Since(time.Unix(0, last)) < checkWriteEvery {
		return nil
	}
	var rnd [8]byte
	rand.Read(rnd[:])
	name := s.cfg.Prefix + ".gallerist-check-" + hex.EncodeToString(rnd[:])
	body := []byte("gallerist can write here\n")
	sum := sha256.Sum256(body)
	if _, err := s.core.PutObject(ctx, s.cfg.Bucket, name, bytes.NewReader(body), int64(len(body)), "", hex.EncodeToString(sum[:]), minio.PutObjectOptions{}); err != nil {
		return s.explain("write a test object", err)
	}
	if err := s.core.RemoveObject(ctx, s.cfg.Bucket, name, minio.RemoveObjectOptions{}); err != nil {
		return s.explain("remove the test object", err)
	}
	s.wrote.Store(time.Now().UnixNano())
	return nil
}

// setting is the flag the store's URL came from, for messages.
func (s *S3Blobs) setting() string {
	if s.cfg.Setting == "" {
		return "--blobs"
	}
	return s.cfg.Setting
}

// temporaryS3Codes are S3 error codes that say "try again later" (the
// client retried them already): throttling, and the server's own trouble.
var temporaryS3Codes = map[string]bool{
	"SlowDown": true, "SlowDownRead": true, "SlowDownWrite": true, "Throttling": true, "ThrottlingException": true,
	"RequestLimitExceeded": true, "RequestThrottled": true, "ServiceUnavailable": true, "InternalError": true,
	"RequestTimeout": true, "RequestError": true,
}

// explain turns a client error into a message that says what to fix. It
// names the access key's id, never the secret.
func (s *S3Blobs) explain(op string, err error) error {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	r := minio.ToErrorResponse(err)
	switch r.Code {
	case "InvalidAccessKeyId", "SignatureDoesNotMatch", "InvalidToken", "ExpiredToken",
		"XAdminUserNotFound": // versitygw's answer to an unknown access key
		return fmt.Errorf("%s: %s: the server refused the credentials (access key id %q): check AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY or --s3-access-key and --s3-secret-key (%s)", s, op, s.cfg.AccessKey, r.Code)
	case "AccessDenied":
		need := "read, write, list and delete"
		if s.cfg.ReadOnly {
			need = "read and list"
		}
		return fmt.Errorf("%s: %s: access denied for access key id %q: the key needs to %s in the bucket", s, op, s.cfg.AccessKey, need)
	case "NoSuchBucket":
		if r.RequestID == "" && r.HostID == "" {
			// minio-go's reading of a bare 404: no S3 error body, no request id.
			return fmt.Errorf("%s: %s: the endpoint answered %d without an S3 error or an x-amz-request-id: it does not look like an S3 server; check the endpoint in %s", s, op, r.StatusCode, s.setting())
		}
		return fmt.Errorf("%s: %s: the bucket does not exist; create it, or correct the bucket in %s", s, op, s.setting())
	}
	var ne net.Error
	var ue *url.Error
	if errors.As(err, &ne) || errors.As(err, &ue) {
		return &StoreUnavailableError{fmt.Errorf("%s: %s: cannot reach the server (after %d tries): %w", s, op, s.cfg.MaxRetries, err)}
	}
	if temporaryS3Codes[r.Code] || r.StatusCode >= 500 || r.StatusCode == http.StatusTooManyRequests || r.StatusCode == http.StatusRequestTimeout {
		return &StoreUnavailableError{fmt.Errorf("%s: %s: the server is unavailable or busy (after %d tries): %w", s, op, s.cfg.MaxRetries, err)}
	}
	if r.StatusCode == http.StatusForbidden {
		return fmt.Errorf("%s: %s: access denied (403) for access key id %q", s, op, s.cfg.AccessKey)
	}
	return fmt.Errorf("%s: %s: %w", s, op, err)
}
