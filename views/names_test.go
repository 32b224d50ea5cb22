package views

import (
	"testing"
	"unicode/utf8"
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
