package certificate

import (
	"crypto/x509"
	"encoding/pem"
	"errors"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
)

// ClientCertificates reads the certificate of a mutual-TLS client: from the
// TLS connection when dinhdanh terminates TLS itself, or from a header set by
// a reverse proxy that terminates TLS, accepted only when the request comes
// from one of TrustedProxies.
type ClientCertificates struct {
	// Header is the header the proxy sets; "" reads no header.
	Header string
	// TrustedProxies are the proxies allowed to set Header.
	TrustedProxies []netip.Prefix
}

// ErrBadForwardedCertificate is returned for a proxy header that holds no
// certificate.
var ErrBadForwardedCertificate = errors.New("certificate: the forwarded client certificate does not parse")

// FromRequest returns the client's certificate and the intermediates it
// sent, leaf first, or nil when the request carries none. The header of a
// request that does not come from a trusted proxy is ignored, as is the
// header of a request that came over a TLS connection with a certificate.
func (c *ClientCertificates) FromRequest(r *http.Request) ([]*x509.Certificate, error) {
	if r.TLS != nil && len(r.TLS.PeerCertificates) > 0 {
		return r.TLS.PeerCertificates, nil
	}
	if c.Header == "" || !c.trusted(r.RemoteAddr) {
		return nil, nil
	}
	v := r.Header.Get(c.Header)
	if v == "" {
		return nil, nil
	}
	cert, err := ParseForwardedCertificate(v)
	if err != nil {
		return nil, err
	}
	return []*x509.Certificate{cert}, nil
}

// trusted reports whether the peer address is one of the trusted proxies.
func (c *ClientCertificates) trusted(remote string) bool {
	host, _, err := net.SplitHostPort(remote)
	if err != nil {
		host = remote
	}
	addr, err := netip.ParseAddr(host)
	if err != nil {
		return false
	}
	addr = addr.Unmap()
	for _, p := range c.TrustedProxies {
		if p.Contains(addr) {
			return true
		}
	}
	return false
}

// ParseForwardedCertificate parses a client certificate as reverse proxies
// forward it: PEM, URL-escaped PEM (nginx $ssl_client_escaped_cert), PEM with
// its line breaks turned into spaces or tabs (Apache, some load balancers),
// or base64 DER.
func ParseForwardedCertificate(v string) (*x509.Certificate, error) {
	v = strings.TrimSpace(v)
	if strings.Contains(v, "%") {
		// Percent-escaped; '+' is a space only in query escaping, which
		// shows in the PEM armour.
		unescape := url.PathUnescape
		if strings.Contains(v, "BEGIN+CERTIFICATE") {
			unescape = url.QueryUnescape
		}
		if u, err := unescape(v); err == nil {
			v = u
		}
	}
	var der []byte
	if i := strings.Index(v, "-----BEGIN CERTIFICATE-----"); i >= 0 {
		body := v[i+len("-----BEGIN CERTIFICATE-----"):]
		end := strings.Index(body, "-----END CERTIFICATE-----")
		if end < 0 {
			return nil, ErrBadForwardedCertificate
		}
		block, _ := pem.Decode([]byte("-----BEGIN CERTIFICATE-----\n" +
			strings.Join(strings.Fields(body[:end]), "\n") + "\n-----END CERTIFICATE-----\n"))
		if block == nil {
			return nil, ErrBadForwardedCertificate
		}
		der = block.Bytes
	} else {
		b, ok := decodeBinary(v)
		if !ok {
			return nil, ErrBadForwardedCertificate
		}
		der = b
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, ErrBadForwardedCertificate
	}
	return cert, nil
}
