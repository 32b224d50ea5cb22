package fetch

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"
)

// specialRange is one entry of the table of address ranges that are never
// fetched from unless the operator lists them in Config.Allow.
type specialRange struct {
	prefix netip.Prefix
	name   string
}

func mustRange(cidr, name string) specialRange {
	return specialRange{prefix: netip.MustParsePrefix(cidr), name: name}
}

// specialRanges is built from the IANA IPv4 and IPv6 Special-Purpose Address
// Registries (RFC 6890 and successors) plus the cloud metadata endpoints.
// Anything listed here is refused. IPv6 is additionally restricted to global
// unicast (2000::/3), so the IPv6 entries outside 2000::/3 are documentation
// of intent as much as enforcement.
var specialRanges = []specialRange{
	// IPv4.
	mustRange("0.0.0.0/8", "this network / unspecified"),
	mustRange("10.0.0.0/8", "private (RFC 1918)"),
	mustRange("100.64.0.0/10", "shared address space / CGNAT (RFC 6598)"),
	mustRange("127.0.0.0/8", "loopback"),
	mustRange("169.254.0.0/16", "link-local, incl. cloud metadata 169.254.169.254"),
	mustRange("172.16.0.0/12", "private (RFC 1918)"),
	mustRange("192.0.0.0/24", "IETF protocol assignments"),
	mustRange("192.0.2.0/24", "documentation TEST-NET-1"),
	mustRange("192.88.99.0/24", "6to4 relay anycast (deprecated)"),
	mustRange("192.168.0.0/16", "private (RFC 1918)"),
	mustRange("198.18.0.0/15", "benchmarking"),
	mustRange("198.51.100.0/24", "documentation TEST-NET-2"),
	mustRange("203.0.113.0/24", "documentation TEST-NET-3"),
	mustRange("224.0.0.0/4", "multicast"),
	mustRange("240.0.0.0/4", "reserved"),
	mustRange("255.255.255.255/32", "limited broadcast"),

	// IPv6.
	mustRange("::/128", "unspecified"),
	mustRange("::1/128", "loopback"),
	mustRange("::/96", "IPv4-compatible (deprecated)"),
	mustRange("::ffff:0:0/96", "IPv4-mapped"),
	mustRange("::ffff:0:0:0/96", "IPv4-translated (SIIT)"),
	mustRange("64:ff9b::/96", "NAT64 well-known prefix"),
	mustRange("64:ff9b:1::/48", "NAT64 local-use"),
	mustRange("100::/64", "discard-only"),
	mustRange("2001::/23", "IETF protocol assignments (Teredo, ORCHID, benchmarking…)"),
	mustRange("2001::/32", "Teredo"),
	mustRange("2001:2::/48", "benchmarking"),
	mustRange("2001:10::/28", "ORCHID (deprecated)"),
	mustRange("2001:20::/28", "ORCHIDv2"),
	mustRange("2001:db8::/32", "documentation"),
	mustRange("2002::/16", "6to4"),
	mustRange("3fff::/20", "documentation"),
	mustRange("5f00::/16", "SRv6 SIDs"),
	mustRange("fc00::/7", "unique-local"),
	mustRange("fd00:ec2::254/128", "AWS metadata (IPv6)"),
	mustRange("fe80::/10", "link-local"),
	mustRange("fec0::/10", "site-local (deprecated)"),
	mustRange("ff00::/8", "multicast"),
}

// globalUnicast6 is the only IPv6 block IANA allocates for global unicast.
var globalUnicast6 = netip.MustParsePrefix("2000::/3")

// specialRangeOf names the special-purpose range a holds, or "" if it is in
// none. An IPv4-mapped address is judged by its embedded IPv4 address.
func specialRangeOf(a netip.Addr) string {
	a = a.Unmap()
	for _, r := range specialRanges {
		if r.prefix.Contains(a) {
			return r.name
		}
	}
	if a.Is6() && !globalUnicast6.Contains(a) {
		return "outside IPv6 global unicast"
	}
	return ""
}

// isPublic reports whether a is a globally routable unicast address that a
// fetch may connect to without operator permission.
func isPublic(a netip.Addr) bool {
	if !a.IsValid() || a.Zone() != "" {
		return false
	}
	a = a.Unmap()
	// Belt and braces: netip's own classification, then the explicit table.
	if a.IsUnspecified() || a.IsLoopback() || a.IsPrivate() || a.IsMulticast() ||
		a.IsLinkLocalUnicast() || a.IsLinkLocalMulticast() || a.IsInterfaceLocalMulticast() {
		return false
	}
	return specialRangeOf(a) == ""
}

// normalizePrefix unmaps IPv4-mapped prefixes (so "::ffff:10.0.0.0/104"
// means 10.0.0.0/8, matching how addresses are unmapped before checks) and
// masks host bits.
func normalizePrefix(p netip.Prefix) netip.Prefix {
	if p.Addr().Is4In6() && p.Bits() >= 96 {
		p = netip.PrefixFrom(p.Addr().Unmap(), p.Bits()-96)
	}
	return p.Masked()
}

// ParseAllow parses a comma-separated list of CIDR prefixes or bare IP
// addresses (a bare address means just that address: /32 or /128), for
// Config.Allow. Blank entries and surrounding spaces are ignored, so "" gives
// an empty list.
func ParseAllow(s string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, field := range strings.Split(s, ",") {
		field = strings.TrimSpace(field)
		if field == "" {
			continue
		}
		var p netip.Prefix
		if strings.Contains(field, "/") {
			var err error
			p, err = netip.ParsePrefix(field)
			if err != nil {
				return nil, fmt.Errorf("fetch: allow list entry %q is not an address range such as 10.1.2.0/24", field)
			}
		} else {
			a, err := netip.ParseAddr(field)
			if err != nil || a.Zone() != "" {
				return nil, fmt.Errorf("fetch: allow list entry %q is not an IP address or an address range", field)
			}
			p = netip.PrefixFrom(a, a.BitLen())
		}
		out = append(out, normalizePrefix(p))
	}
	return out, nil
}

// parseIPHost decides whether host (as found in a URL, lower-cased, without
// brackets) is an IP address literal in any spelling a resolver might accept.
// literal reports that host must be treated as an address rather than looked
// up as a name; ok reports that it parsed. A host that is literal but not ok
// is refused: it would be ambiguous to hand it to a resolver.
//
// IPv4 follows the WHATWG URL / inet_aton rules: a host whose last label is
// numeric (decimal, 0x-hex or 0-octal) is an address of one to four parts,
// so 127.1, 2130706433, 0x7f000001, 0177.0.0.1 and 0x7f.1 all mean 127.0.0.1.
func parseIPHost(host string) (addr netip.Addr, literal, ok bool) {
	if strings.Contains(host, ":") {
		// A zone (fe80::1%eth0) parses; permitted refuses it.
		a, err := netip.ParseAddr(host)
		if err != nil {
			return netip.Addr{}, true, false
		}
		return a, true, true
	}
	h := strings.TrimSuffix(host, ".")
	labels := strings.Split(h, ".")
	if !numericLabel(labels[len(labels)-1]) {
		return netip.Addr{}, false, false
	}
	a, ok := parseLooseIPv4(labels)
	return a, true, ok
}

// numericLabel reports whether a label looks like a number to an IPv4 parser.
func numericLabel(s string) bool {
	if s == "" {
		return false
	}
	if len(s) >= 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X') {
		for i := 2; i < len(s); i++ {
			if !isHex(s[i]) {
				return false
			}
		}
		return true
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

// parseLooseIPv4 parses one to four numeric parts the way inet_aton does.
func parseLooseIPv4(parts []string) (netip.Addr, bool) {
	if len(parts) == 0 || len(parts) > 4 {
		return netip.Addr{}, false
	}
	vals := make([]uint64, len(parts))
	for i, p := range parts {
		v, ok := parseLoosePart(p)
		if !ok {
			return netip.Addr{}, false
		}
		vals[i] = v
	}
	n := len(vals)
	var ip uint64
	for i := 0; i < n-1; i++ {
		if vals[i] > 255 {
			return netip.Addr{}, false
		}
		ip |= vals[i] << (8 * (3 - i))
	}
	last := vals[n-1]
	if last >= 1<<(8*(5-n)) {
		return netip.Addr{}, false
	}
	ip |= last
	return netip.AddrFrom4([4]byte{byte(ip >> 24), byte(ip >> 16), byte(ip >> 8), byte(ip)}), true
}

func parseLoosePart(s string) (uint64, bool) {
	base, digits := 10, s
	switch {
	case len(s) >= 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X'):
		base, digits = 16, s[2:]
	case len(s) >= 2 && s[0] == '0':
		base, digits = 8, s[1:]
	}
	if digits == "" {
		return 0, false
	}
	v, err := strconv.ParseUint(digits, base, 64)
	if err != nil || v > 0xffffffff {
		return 0, false
	}
	return v, true
}

// lowerASCII lower-cases the ASCII letters of a host and nothing else:
// strings.ToLower maps the Kelvin sign (U+212A) to "k", which would let a
// non-ASCII host pass validHostname as a plain name.
func lowerASCII(host string) string {
	return strings.Map(func(r rune) rune {
		if 'A' <= r && r <= 'Z' {
			return r + 'a' - 'A'
		}
		return r
	}, host)
}

// validHostname reports whether name (lower-cased, optionally with one
// trailing dot) is a plain ASCII DNS name. Non-ASCII (IDN) hosts must be
// given in punycode; they are refused rather than mapped, because mapping
// (e.g. full-width digits) is a classic way to smuggle an address past checks.
func validHostname(name string) bool {
	name = strings.TrimSuffix(name, ".")
	if name == "" || len(name) > 253 {
		return false
	}
	for _, label := range strings.Split(name, ".") {
		if label == "" || len(label) > 63 {
			return false
		}
		for i := 0; i < len(label); i++ {
			c := label[i]
			if !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '_') {
				return false
			}
		}
	}
	return true
}
