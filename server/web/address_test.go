package web

import (
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"testing"
)

func TestClientAddressesOf(t *testing.T) {
	trusted := []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("2001:db8:ffff::/48"),
		netip.MustParsePrefix("127.0.0.1/32")}
	xff := NewClientAddresses(trusted, XForwardedFor)
	fwd := NewClientAddresses(trusted, Forwarded)
	none := NewClientAddresses(nil, XForwardedFor)
	cases := []struct {
		name    string
		c       *ClientAddresses
		peer    string
		headers map[string][]string
		want    string
	}{
		{"no proxy trusted: the peer", none, "10.0.0.1:5000", map[string][]string{"X-Forwarded-For": {"198.51.100.7"}}, "10.0.0.1"},
		{"nil resolver: the peer", nil, "10.0.0.1:5000", map[string][]string{"X-Forwarded-For": {"198.51.100.7"}}, "10.0.0.1"},
		{"spoofed header from an untrusted peer", xff, "203.0.113.5:5000", map[string][]string{"X-Forwarded-For": {"198.51.100.7"}}, "203.0.113.5"},
		{"spoofed Forwarded from an untrusted peer", fwd, "203.0.113.5:5000", map[string][]string{"Forwarded": {"for=198.51.100.7"}}, "203.0.113.5"},
		{"trusted peer without header", xff, "10.0.0.1:5000", nil, "10.0.0.1"},
		{"one proxy", xff, "10.0.0.1:5000", map[string][]string{"X-Forwarded-For": {"198.51.100.7"}}, "198.51.100.7"},
		{"client's own spoofed entry is left of the real one", xff, "10.0.0.1:5000",
			map[string][]string{"X-Forwarded-For": {"1.2.3.4, 198.51.100.7"}}, "198.51.100.7"},
		{"several proxies", xff, "10.0.0.1:5000", map[string][]string{"X-Forwarded-For": {"1.2.3.4, 198.51.100.7, 10.1.1.1, 10.2.2.2"}}, "198.51.100.7"},
		{"several header lines", xff, "10.0.0.1:5000", map[string][]string{"X-Forwarded-For": {"1.2.3.4, 198.51.100.7", "10.1.1.1"}}, "198.51.100.7"},
		{"all hops trusted: the left-most", xff, "10.0.0.1:5000", map[string][]string{"X-Forwarded-For": {"10.3.3.3, 10.1.1.1"}}, "10.3.3.3"},
		{"IPv6 client and proxy", xff, "[2001:db8:ffff::1]:443", map[string][]string{"X-Forwarded-For": {"2001:db8:1::7"}}, "2001:db8:1::7"},
		{"IPv6 with port in brackets", xff, "[2001:db8:ffff::1]:443", map[string][]string{"X-Forwarded-For": {"[2001:db8:1::7]:4711"}}, "2001:db8:1::7"},
		{"IPv4 with port", xff, "10.0.0.1:5000", map[string][]string{"X-Forwarded-For": {"198.51.100.7:4711"}}, "198.51.100.7"},
		{"IPv4-mapped IPv6 peer", xff, "[::ffff:10.0.0.1]:5000", map[string][]string{"X-Forwarded-For": {"::ffff:198.51.100.7"}}, "198.51.100.7"},
		{"garbage", xff, "10.0.0.1:5000", map[string][]string{"X-Forwarded-For": {"hello"}}, "10.0.0.1"},
		{"garbage among addresses", xff, "10.0.0.1:5000", map[string][]string{"X-Forwarded-For": {"198.51.100.7, , 10.1.1.1"}}, "10.0.0.1"},
		{"zone", xff, "10.0.0.1:5000", map[string][]string{"X-Forwarded-For": {"fe80::1%eth0"}}, "10.0.0.1"},
		{"Forwarded ignored when X-Forwarded-For is believed", xff, "10.0.0.1:5000", map[string][]string{"Forwarded": {"for=198.51.100.7"}}, "10.0.0.1"},
		{"X-Forwarded-For ignored when Forwarded is believed", fwd, "10.0.0.1:5000", map[string][]string{"X-Forwarded-For": {"198.51.100.7"}}, "10.0.0.1"},
		{"Forwarded one proxy", fwd, "10.0.0.1:5000", map[string][]string{"Forwarded": {"for=198.51.100.7;proto=https;by=10.0.0.1"}}, "198.51.100.7"},
		{"Forwarded several proxies", fwd, "10.0.0.1:5000",
			map[string][]string{"Forwarded": {`for=1.2.3.4, for=198.51.100.7;proto=https, for="10.1.1.1:80"`}}, "198.51.100.7"},
		{"Forwarded case and spaces", fwd, "10.0.0.1:5000", map[string][]string{"Forwarded": {`For="198.51.100.7:4711" ; Proto=http`}}, "198.51.100.7"},
		{"Forwarded IPv6", fwd, "10.0.0.1:5000", map[string][]string{"Forwarded": {`for="[2001:db8:1::7]:4711"`}}, "2001:db8:1::7"},
		{"Forwarded unquoted IPv6 is malformed", fwd, "10.0.0.1:5000", map[string][]string{"Forwarded": {`for=[2001:db8:1::7]`}}, "10.0.0.1"},
		{"Forwarded obfuscated client: the last known hop", fwd, "10.0.0.1:5000",
			map[string][]string{"Forwarded": {`for=_hidden, for=10.1.1.1`}}, "10.1.1.1"},
		{"Forwarded unknown client", fwd, "10.0.0.1:5000", map[string][]string{"Forwarded": {`for=unknown`}}, "10.0.0.1"},
		{"Forwarded obfuscated port", fwd, "10.0.0.1:5000", map[string][]string{"Forwarded": {`for="198.51.100.7:_p1"`}}, "198.51.100.7"},
		{"Forwarded untrusted hop left of an obfuscated one is not reached", fwd, "10.0.0.1:5000",
			map[string][]string{"Forwarded": {`for=198.51.100.7, for=_x`}}, "10.0.0.1"},
		{"Forwarded element without for", fwd, "10.0.0.1:5000", map[string][]string{"Forwarded": {`proto=https`}}, "10.0.0.1"},
		{"Forwarded for twice", fwd, "10.0.0.1:5000", map[string][]string{"Forwarded": {`for=1.2.3.4;for=198.51.100.7`}}, "10.0.0.1"},
		{"Forwarded unterminated quote", fwd, "10.0.0.1:5000", map[string][]string{"Forwarded": {`for="198.51.100.7`}}, "10.0.0.1"},
		{"Forwarded garbage", fwd, "10.0.0.1:5000", map[string][]string{"Forwarded": {`198.51.100.7`}}, "10.0.0.1"},
		{"Forwarded bad obfuscated node", fwd, "10.0.0.1:5000", map[string][]string{"Forwarded": {`for="_a b"`}}, "10.0.0.1"},
		{"Forwarded hostname", fwd, "10.0.0.1:5000", map[string][]string{"Forwarded": {`for=example.com`}}, "10.0.0.1"},
		{"Forwarded quoted comma stays in its value", fwd, "10.0.0.1:5000", map[string][]string{"Forwarded": {`for=198.51.100.7;x="a,for=1.2.3.4"`}}, "198.51.100.7"},
		{"peer with no port", xff, "10.0.0.1", map[string][]string{"X-Forwarded-For": {"198.51.100.7"}}, "198.51.100.7"},
		{"peer that is no address", xff, "@", map[string][]string{"X-Forwarded-For": {"198.51.100.7"}}, "@"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodGet, "/", nil)
			r.RemoteAddr = tc.peer
			for k, vs := range tc.headers {
				for _, v := range vs {
					r.Header.Add(k, v)
				}
			}
			if got := tc.c.Of(r); got != tc.want {
				t.Errorf("Of = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestMiddlewareSetsClientAddress(t *testing.T) {
	k := &Kit{Log: slog.New(slog.DiscardHandler), Addresses: NewClientAddresses([]netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}, XForwardedFor)}
	var got string
	h := k.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { got = ClientAddress(r) }))
	r := httptest.NewRequest(http.MethodGet, "/", nil)
	r.RemoteAddr = "127.0.0.1:1234"
	r.Header.Set("X-Forwarded-For", "198.51.100.7")
	h.ServeHTTP(httptest.NewRecorder(), r)
	if got != "198.51.100.7" {
		t.Fatalf("ClientAddress behind the trusted proxy = %q", got)
	}
	// Without the middleware, the peer.
	if a := ClientAddress(r); a != "127.0.0.1" {
		t.Fatalf("ClientAddress without the middleware = %q", a)
	}
	// With no proxy trusted, the header is ignored.
	k.Addresses = nil
	h.ServeHTTP(httptest.NewRecorder(), r)
	if got != "127.0.0.1" {
		t.Fatalf("ClientAddress with no trusted proxy = %q", got)
	}
}
