package web

import (
	"context"
	"net"
	"net/http"
	"net/netip"
	"strings"
)

// ForwardedHeader names the header a trusted proxy records the client in.
type ForwardedHeader string

// The headers ClientAddresses reads.
const (
	// XForwardedFor is "X-Forwarded-For: client, proxy1, proxy2" (nginx,
	// Caddy, HAProxy, most load balancers).
	XForwardedFor ForwardedHeader = "X-Forwarded-For"
	// Forwarded is RFC 7239's "Forwarded: for=client, for=proxy1".
	Forwarded ForwardedHeader = "Forwarded"
)

// ClientAddresses finds the client address of a request: the direct peer,
// unless that peer is a trusted proxy, in which case the hops the proxies
// recorded in one header are walked from the right and the right-most
// address that is not itself a trusted proxy is the client. A header that
// does not parse gives the peer. The zero value (and nil) trusts no proxy:
// every request's client is its peer, and no header is read.
//
// It is built once from the configuration and never changed; Kit.Middleware
// resolves each request's address with it and ClientAddress returns it.
type ClientAddresses struct {
	trusted []netip.Prefix
	header  ForwardedHeader
}

// NewClientAddresses returns the resolver that believes header (XForwardedFor
// or Forwarded; "" is XForwardedFor) from the proxies in trusted.
func NewClientAddresses(trusted []netip.Prefix, header ForwardedHeader) *ClientAddresses {
	if header == "" {
		header = XForwardedFor
	}
	return &ClientAddresses{trusted: append([]netip.Prefix(nil), trusted...), header: header}
}

// Of returns the client address of r (no port), as described on
// ClientAddresses.
func (c *ClientAddresses) Of(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	peer, err := netip.ParseAddr(host)
	if err != nil || peer.Zone() != "" {
		return host
	}
	peer = peer.Unmap()
	if !c.Trusts(peer) {
		return peer.String()
	}
	values := r.Header.Values(string(c.header))
	if len(values) == 0 {
		return peer.String()
	}
	var hops []hop
	var ok bool
	if c.header == Forwarded {
		hops, ok = parseForwarded(values)
	} else {
		hops, ok = parseXForwardedFor(values)
	}
	if !ok {
		return peer.String()
	}
	client := peer
	for i := len(hops) - 1; i >= 0; i-- {
		if !hops[i].known {
			// An obfuscated or unknown node: the client is hidden
			// behind it, and the last address known is the best one.
			break
		}
		client = hops[i].addr
		if !c.Trusts(client) {
			break
		}
	}
	return client.String()
}

// TrustsPeer reports whether the direct peer of r (its RemoteAddr) is a
// trusted proxy.
func (c *ClientAddresses) TrustsPeer(r *http.Request) bool {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	a, err := netip.ParseAddr(host)
	return err == nil && a.Zone() == "" && c.Trusts(a)
}

// Trusts reports whether addr is in one of the trusted proxies' networks.
func (c *ClientAddresses) Trusts(addr netip.Addr) bool {
	if c == nil {
		return false
	}
	addr = addr.Unmap()
	for _, p := range c.trusted {
		if p.Contains(addr) {
			return true
		}
	}
	return false
}

// hop is one node a proxy recorded: an address, or a node it did not
// reveal (RFC 7239 "unknown" and obfuscated identifiers).
type hop struct {
	addr  netip.Addr
	known bool
}

// parseXForwardedFor parses every X-Forwarded-For line, in order: each
// comma-separated item an IPv4 or IPv6 address, optionally with a port
// ("192.0.2.1:4711", "[2001:db8::1]:4711"). Any other item makes the
// whole header malformed.
func parseXForwardedFor(values []string) ([]hop, bool) {
	var hops []hop
	for _, v := range values {
		for _, item := range strings.Split(v, ",") {
			a, ok := parseNode(strings.TrimSpace(item))
			if !ok {
				return nil, false
			}
			hops = append(hops, hop{addr: a, known: true})
		}
	}
	return hops, len(hops) > 0
}

// parseNode parses an address with an optional port; an IPv6 address with
// a port is in brackets. Zones are refused.
func parseNode(s string) (netip.Addr, bool) {
	if a, err := netip.ParseAddr(s); err == nil {
		return a.Unmap(), a.Zone() == ""
	}
	if strings.HasPrefix(s, "[") && strings.HasSuffix(s, "]") {
		if a, err := netip.ParseAddr(s[1 : len(s)-1]); err == nil && a.Is6() {
			return a.Unmap(), a.Zone() == ""
		}
		return netip.Addr{}, false
	}
	if ap, err := netip.ParseAddrPort(s); err == nil {
		return ap.Addr().Unmap(), ap.Addr().Zone() == ""
	}
	return netip.Addr{}, false
}

// parseForwarded parses every Forwarded line (RFC 7239 §4), in order, into
// the nodes of their for= parameters. An element without for= is an
// unknown node. A syntax error, a for= given twice in one element, or a
// node that is neither an address, "unknown" nor an obfuscated identifier
// ("_" followed by letters, digits, ".", "_", "-") makes the whole header
// malformed.
func parseForwarded(values []string) ([]hop, bool) {
	var hops []hop
	for _, v := range values {
		elements, ok := splitForwarded(v)
		if !ok {
			return nil, false
		}
		for _, pairs := range elements {
			var node string
			seen := false
			for _, p := range pairs {
				if strings.EqualFold(p[0], "for") {
					if seen {
						return nil, false
					}
					node, seen = p[1], true
				}
			}
			h, ok := forwardedNode(node, seen)
			if !ok {
				return nil, false
			}
			hops = append(hops, h)
		}
	}
	return hops, len(hops) > 0
}

// forwardedNode parses the value of for= (RFC 7239 §6).
func forwardedNode(node string, present bool) (hop, bool) {
	if !present || strings.EqualFold(node, "unknown") {
		return hop{}, true
	}
	name, port := node, ""
	if strings.HasPrefix(node, "[") {
		end := strings.IndexByte(node, ']')
		if end < 0 {
			return hop{}, false
		}
		name, port = node[1:end], node[end+1:]
		a, err := netip.ParseAddr(name)
		if err != nil || !a.Is6() || a.Zone() != "" || !validNodePort(port) {
			return hop{}, false
		}
		return hop{addr: a, known: true}, true
	}
	if i := strings.IndexByte(node, ':'); i >= 0 {
		name, port = node[:i], node[i:]
	}
	if !validNodePort(port) {
		return hop{}, false
	}
	if strings.EqualFold(name, "unknown") {
		return hop{}, true
	}
	if strings.HasPrefix(name, "_") {
		return hop{}, obfuscated(name[1:])
	}
	a, err := netip.ParseAddr(name)
	if err != nil || !a.Is4() {
		return hop{}, false
	}
	return hop{addr: a, known: true}, true
}

// validNodePort reports whether p is "" or ":" followed by a port number or
// an obfuscated port.
func validNodePort(p string) bool {
	if p == "" {
		return true
	}
	if p[0] != ':' || len(p) < 2 {
		return false
	}
	p = p[1:]
	if p[0] == '_' {
		return obfuscated(p[1:])
	}
	if len(p) > 5 {
		return false
	}
	for _, r := range p {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

// obfuscated reports whether s is the tail of an obfuscated identifier.
func obfuscated(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.' || r == '_' || r == '-') {
			return false
		}
	}
	return true
}

// splitForwarded splits one Forwarded line into elements (",") of pairs
// (";") of a token and a token or quoted-string value.
func splitForwarded(v string) ([][][2]string, bool) {
	var elements [][][2]string
	var pairs [][2]string
	i := 0
	skipSpace := func() {
		for i < len(v) && (v[i] == ' ' || v[i] == '\t') {
			i++
		}
	}
	for {
		skipSpace()
		start := i
		for i < len(v) && isTokenChar(v[i]) {
			i++
		}
		name := v[start:i]
		if name == "" || i >= len(v) || v[i] != '=' {
			return nil, false
		}
		i++
		var value string
		if i < len(v) && v[i] == '"' {
			i++
			var b strings.Builder
			closed := false
			for i < len(v) {
				ch := v[i]
				i++
				if ch == '\\' && i < len(v) {
					b.WriteByte(v[i])
					i++
					continue
				}
				if ch == '"' {
					closed = true
					break
				}
				b.WriteByte(ch)
			}
			if !closed {
				return nil, false
			}
			value = b.String()
		} else {
			start = i
			for i < len(v) && isTokenChar(v[i]) {
				i++
			}
			value = v[start:i]
			if value == "" {
				return nil, false
			}
		}
		pairs = append(pairs, [2]string{name, value})
		skipSpace()
		if i == len(v) {
			return append(elements, pairs), true
		}
		switch v[i] {
		case ';':
		case ',':
			elements, pairs = append(elements, pairs), nil
		default:
			return nil, false
		}
		i++
	}
}

// isTokenChar reports whether c may appear in an HTTP token (RFC 9110 §5.6.2).
func isTokenChar(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0
}

const clientAddressKey ctxKey = 2

// withClientAddress returns ctx carrying the request's client address.
func withClientAddress(ctx context.Context, addr string) context.Context {
	return context.WithValue(ctx, clientAddressKey, addr)
}

// ClientAddress returns the request's client address (no port): the one
// Kit.Middleware found with its ClientAddresses (a trusted proxy's record of
// the client), or, for a request that did not pass through the middleware,
// its direct peer.
func ClientAddress(r *http.Request) string {
	if a, ok := r.Context().Value(clientAddressKey).(string); ok {
		return a
	}
	return (*ClientAddresses)(nil).Of(r)
}
