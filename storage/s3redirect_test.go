package storage

import (
	"strings"
	"testing"
	"time"
)

func TestParseBlobRedirect(t *testing.T) {
	for in, want := range map[string]string{
		"": "streamed", "off": "streamed", "OFF": "streamed", "presign": "302 to presigned URLs valid for 15m0s",
		"https://cdn.example.com":        "302 to the CDN at https://cdn.example.com",
		"https://cdn.example.com/media/": "302 to the CDN at https://cdn.example.com/media",
		"http://127.0.0.1:9000/b":        "302 to the CDN at http://127.0.0.1:9000/b",
	} {
		r, err := ParseBlobRedirect(in)
		if err != nil || r.String() != want {
			t.Errorf("%q: %v %q, want %q", in, err, r, want)
		}
	}
	for _, bad := range []string{"on", "cdn.example.com", "ftp://cdn.example.com", "https://", "https://u:p@cdn.example.com",
		"https://cdn.example.com/?sig=1", "https://cdn.example.com/#x", "presigned"} {
		if _, err := ParseBlobRedirect(bad); err == nil || !strings.Contains(err.Error(), "must be off, presign, or a CDN") {
			t.Errorf("%q: %v, want a refusal", bad, err)
		}
	}
}

func TestNewS3BlobsRefusesPresignTTLBeyondS3s(t *testing.T) {
	cfg, err := ParseS3URL("s3://bucket?endpoint=http://127.0.0.1:1")
	if err != nil {
		t.Fatal(err)
	}
	cfg.AccessKey, cfg.SecretKey = "k", "s"
	cfg.Redirect = BlobRedirect{Presign: true, TTL: 8 * 24 * time.Hour}
	if _, err := NewS3Blobs(cfg); err == nil || !strings.Contains(err.Error(), "at most 168h") {
		t.Fatalf("8 days: %v", err)
	}
}
