package web

import "testing"

func TestSafeReturn(t *testing.T) {
	const def = "/media"
	for _, tc := range []struct {
		name, in, want string
	}{
		{"Root", "/", "/"},
		{"Path", "/media/12", "/media/12"},
		{"PathWithQuery", "/media?kind=image&q=red%20mug", "/media?kind=image&q=red%20mug"},
		{"PathWithFragment", "/products/3#image-7", "/products/3#image-7"},
		{"EncodedSlashLaterInPath", "/media/a%2Fb", "/media/a%2Fb"},
		{"QueryHoldsURL", "/media?next=https://evil.example", "/media?next=https://evil.example"},
		{"NonASCIIPath", "/produkte/tassé", "/produkte/tassé"},

		{"Empty", "", def},
		{"Relative", "media", def},
		{"DotRelative", "./media", def},
		{"SchemeRelative", "//evil.example", def},
		{"SchemeRelativeTriple", "///evil.example", def},
		{"Absolute", "https://evil.example/", def},
		{"AbsoluteUpperScheme", "HTTPS://evil.example/", def},
		{"JavaScript", "javascript:alert(1)", def},
		{"Data", "data:text/html,<script>alert(1)</script>", def},
		{"SlashBackslash", "/\\evil.example", def},
		{"BackslashSlash", "\\/evil.example", def},
		{"Backslashes", "\\\\evil.example", def},
		{"BackslashLater", "/media\\..\\..\\evil", def},
		{"Tab", "/\t/evil.example", def},
		{"Newline", "/\n/evil.example", def},
		{"CarriageReturn", "/\r/evil.example", def},
		{"CRLFHeaderInjection", "/media\r\nSet-Cookie: x=y", def},
		{"NUL", "/media\x00", def},
		{"DEL", "/media\x7f", def},
		{"C1Control", "/media\u0085", def},
		{"TabLater", "/media/\t/x", def},
		{"LeadingSpace", " //evil.example", def},
		{"LeadingSpaceLocal", " /media", def},
		{"LeadingTab", "\t/media", def},
		{"EncodedSlash", "/%2F/evil.example", def},
		{"EncodedSlashLower", "/%2f/evil.example", def},
		{"EncodedBackslash", "/%5Cevil.example", def},
		{"EncodedTab", "/%09/evil.example", def},
		{"EncodedNewline", "/%0A/evil.example", def},
		{"BadEscape", "/media%zz", def},
		{"InvalidUTF8", "/media\xff", def},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := SafeReturn(tc.in, def); got != tc.want {
				t.Fatalf("SafeReturn(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}
