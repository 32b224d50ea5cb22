package web

import (
	"fmt"
	"net/netip"
	"strings"

	"github.com/gofiber/fiber/v2"
)

// ParseTrustedProxies parses a comma-separated list of address ranges
// ("10.0.0.0/8, 2001:db8::/48") or single addresses ("127.0.0.1").
func ParseTrustedProxies(s string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		if p, err := netip.ParsePrefix(part); err == nil {
			if p.Addr().Is4In6() {
				p = netip.PrefixFrom(p.Addr().Unmap(), max(0, p.Bits()-96))
			}
			out = append(out, p.Masked())
			continue
		}
		a, err := netip.ParseAddr(part)
		if err != nil || a.Zone() != "" {
			return nil, fmt.Errorf("%q is not an address range (like 10.0.0.0/8 or 2001:db8::/32) or an address", part)
		}
		a = a.Unmap()
		out = append(out, netip.PrefixFrom(a, a.BitLen()))
	}
	return out, nil
}

// forwardedHeaders are the headers through which a proxy tells the client's
// address, the scheme and the host it was asked for. Fiber's Protocol,
// Hostname and BaseURL read several of them.
var forwardedHeaders = []string{
	"Forwarded", fiber.HeaderXForwardedFor, fiber.HeaderXForwardedHost, fiber.HeaderXForwardedProto,
	fiber.HeaderXForwardedProtocol, fiber.HeaderXForwardedSsl, fiber.HeaderXUrlScheme, "X-Forwarded-Port", "X-Real-Ip",
}

const clientIPLocal = "gallerist.client_ip"

// forwarded runs first on every request. A request whose peer is not a
// trusted proxy (with no --trusted-proxies: every request) has its forwarded
// headers removed, so nothing after it (absolute URLs from c.BaseURL, the
// client address) can be told another host, scheme or client by the client
// itself. Behind trusted proxies the headers stay, and the client is the
// nearest address in X-Forwarded-For that is not one of them.
func (s *Server) forwarded(c *fiber.Ctx) error {
	peer, _ := netip.AddrFromSlice(c.Context().RemoteIP())
	peer = peer.Unmap()
	if !s.trustedProxy(peer) {
		h := &c.Request().Header
		for _, k := range forwardedHeaders {
			h.Del(k)
		}
		c.Locals(clientIPLocal, peer.String())
		return c.Next()
	}
	var hops []string
	for _, v := range c.Request().Header.PeekAll(fiber.HeaderXForwardedFor) {
		hops = append(hops, strings.Split(string(v), ",")...)
	}
	client := peer
	for i := len(hops) - 1; i >= 0 && s.trustedProxy(client); i-- {
		a, ok := parseHop(hops[i])
		if !ok {
			break // a malformed entry: the last proxy we trust is as far as we can tell
		}
		client = a
	}
	c.Locals(clientIPLocal, client.String())
	return c.Next()
}

func (s *Server) trustedProxy(a netip.Addr) bool {
	if !a.IsValid() {
		return false
	}
	for _, p := range s.trustedProxies {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// parseHop reads one X-Forwarded-For entry: an address, optionally with a port.
func parseHop(s string) (netip.Addr, bool) {
	s = strings.TrimSpace(s)
	if a, err := netip.ParseAddr(s); err == nil && a.Zone() == "" {
		return a.Unmap(), true
	}
	if ap, err := netip.ParseAddrPort(s); err == nil && ap.Addr().Zone() == "" {
		return ap.Addr().Unmap(), true
	}
	return netip.Addr{}, false
}

// ClientIP is the address of the client that sent the request: the peer's,
// or behind trusted proxies the one they forwarded (see Config.TrustedProxies).
func ClientIP(c *fiber.Ctx) string {
	if ip, ok := c.Locals(clientIPLocal).(string); ok {
		return ip
	}
	return c.Context().RemoteIP().String()
}
