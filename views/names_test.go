package views

import (
	"testing"
	"unicode/utf8"

	"gallerist/data"
)

func TestSplitName(t *testing.T) {
	for _, c := range []struct{ in, head, tail string }{
		{"ceramic-mug-ocean-blue-front.jpg", "ceramic-mug-ocean-blue", "-front.jpg"},
		{"ceramic-mug-ocean-blue-back.jpg", "ceramic-mug-ocean-blue", "-back.jpg"},
		{"IMG_20240101_123456.HEIC", "IMG_20240101", "_123456.HEIC"},
		{"productphotographyfinal.png", "productphotograph", "yfinal.png"},
		{"mug.jpg", "mug", ".jpg"},
		{"README", "README", ""},
		{".env", ".env", ""},
		{"a very long name with spaces.tar gz", "a very long name with spaces.tar", " gz"},
		{"öäüöäüöäüöäüöäüöäü-ende.webp", "öäüöäüöäüöäüöäüöäü", "-ende.webp"},
	} {
		h, tl := SplitName(c.in)
		if h != c.head || tl != c.tail {
			t.Errorf("SplitName(%q) = %q, %q; want %q, %q", c.in, h, tl, c.head, c.tail)
		}
		if h+tl != c.in {
			t.Errorf("SplitName(%q) loses characters: %q + %q", c.in, h, tl)
		}
	}
}

func TestTruncateMiddle(t *testing.T) {
	names := []string{"ceramic-mug-ocean-blue-front.jpg", "ceramic-mug-ocean-blue-back.jpg", "ceramic-mug-ocean-blue-side.jpg"}
	seen := map[string]bool{}
	for _, n := range names {
		got := TruncateMiddle(n, 24)
		if utf8.RuneCountInString(got) > 24 {
			t.Errorf("TruncateMiddle(%q, 24) = %q, longer than 24", n, got)
		}
		if seen[got] {
			t.Errorf("TruncateMiddle made two names look the same: %q", got)
		}
		seen[got] = true
	}
	if got := TruncateMiddle(names[0], 24); got != "ceramic-mug-o…-front.jpg" {
		t.Errorf("TruncateMiddle = %q, want ceramic-mug-o…-front.jpg", got)
	}
	if got := TruncateMiddle("mug.jpg", 24); got != "mug.jpg" {
		t.Errorf("short names stay whole: %q", got)
	}
	if got := TruncateMiddle("ĉeramika-taso-oceano-blua-fronto.jpg", 20); utf8.RuneCountInString(got) != 20 {
		t.Errorf("TruncateMiddle counts runes: %q", got)
	}
}

func TestNotRestoredText(t *testing.T) {
	for _, c := range []struct {
		missed []data.Unrestored
		want   string
	}{
		{nil, ""},
		{[]data.Unrestored{{Usage: data.Usage{Type: "product", Title: "Red mug", Role: "gallery"}, Reason: data.UnrestoredGalleryFull}},
			", but not back in the gallery of Red mug (it is full)"},
		{[]data.Unrestored{
			{Usage: data.Usage{Type: "video", Title: "demo.mp4", Role: "poster"}, Reason: data.UnrestoredTaken},
			{Usage: data.Usage{Type: "collection", Title: "Winter", Role: "collection_image"}, Reason: data.UnrestoredTaken},
			{Usage: data.Usage{Type: "variant", Title: "Mug / Blue", Role: "variant_image"}, Reason: data.UnrestoredNotInGallery},
			{Usage: data.Usage{Type: "product", Role: "gallery"}, Reason: data.UnrestoredGone},
		}, ", but not back in demo.mp4 (it has another poster now), collection Winter (it has another image now), variant Mug / Blue (the image is not in its product's gallery) and 1 more place"},
	} {
		if got := NotRestoredText(c.missed); got != c.want {
			t.Errorf("NotRestoredText(%+v)\n = %q\nwant %q", c.missed, got, c.want)
		}
	}
}
