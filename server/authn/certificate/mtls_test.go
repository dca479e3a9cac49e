package certificate

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"strings"
	"testing"

	"github.com/dinhdanh/dinhdanh/test/pki"
)

func TestClientCertificates(t *testing.T) {
	f := newFixture(t, nil)
	p := f.pki
	leaf := p.Official.Cert
	pemText := string(pki.CertPEM(leaf))
	c := &ClientCertificates{Header: "X-SSL-Client-Cert", TrustedProxies: []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"),
		netip.MustParsePrefix("::1/128")}}
	tests := []struct {
		name   string
		remote string
		header string
		tls    []*x509.Certificate
		want   *x509.Certificate
		err    bool
	}{
		{"TLS connection", "203.0.113.9:4431", "", p.Official.Chain(), leaf, false},
		{"TLS certificate wins over a header", "10.1.2.3:4431", string(pki.CertPEM(p.OfficialNoID.Cert)), p.Official.Chain(), leaf, false},
		{"URL-escaped PEM from a trusted proxy", "10.1.2.3:5000", url.PathEscape(pemText), nil, leaf, false},
		{"query-escaped PEM from a trusted proxy", "10.1.2.3:5000", url.QueryEscape(pemText), nil, leaf, false},
		{"PEM on one line from a trusted proxy", "[::1]:5000", strings.ReplaceAll(pemText, "\n", " "), nil, leaf, false},
		{"PEM with tabs from a trusted proxy", "10.1.2.3:5000", strings.ReplaceAll(pemText, "\n", "\t"), nil, leaf, false},
		{"base64 DER from a trusted proxy", "10.1.2.3:5000", base64.StdEncoding.EncodeToString(leaf.Raw), nil, leaf, false},
		{"header from an untrusted address", "192.0.2.7:5000", pemText, nil, nil, false},
		{"no header", "10.1.2.3:5000", "", nil, nil, false},
		{"garbage from a trusted proxy", "10.1.2.3:5000", "not a certificate", nil, nil, true},
		{"truncated PEM", "10.1.2.3:5000", pemText[:60], nil, nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest("GET", "/login/certificate", nil)
			r.RemoteAddr = tt.remote
			if tt.header != "" {
				r.Header.Set("X-SSL-Client-Cert", tt.header)
			}
			if tt.tls != nil {
				r.TLS = &tls.ConnectionState{PeerCertificates: tt.tls}
			}
			got, err := c.FromRequest(r)
			if tt.err {
				if !errors.Is(err, ErrBadForwardedCertificate) {
					t.Fatalf("err = %v, want ErrBadForwardedCertificate", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if tt.want == nil {
				if got != nil {
					t.Fatalf("got %d certificates, want none", len(got))
				}
				return
			}
			if len(got) == 0 || !got[0].Equal(tt.want) {
				t.Fatalf("got %v", got)
			}
		})
	}
	// Without a header name nothing is read from headers, whatever the address.
	r := httptest.NewRequest("GET", "/", nil)
	r.RemoteAddr = "10.1.2.3:1"
	r.Header.Set("X-SSL-Client-Cert", pemText)
	if got, err := (&ClientCertificates{}).FromRequest(r); got != nil || err != nil {
		t.Fatalf("no header configured: %v, %v", got, err)
	}
	// A PEM block of another type is not a certificate.
	key := string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: leaf.RawSubjectPublicKeyInfo}))
	if _, err := ParseForwardedCertificate(key); err == nil {
		t.Fatal("a public key parsed as a certificate")
	}
}
