package config

import (
	"net/netip"
	"slices"
	"testing"
)

func TestTrustedProxiesLoad(t *testing.T) {
	c := mustLoad(t, "", []string{"DINHDANH_TRUSTED_PROXIES=10.0.0.0/8, 2001:db8::1", "DINHDANH_FORWARDED_HEADER=Forwarded"})
	if !slices.Equal(c.TrustedProxies, ProxyNetworks{"10.0.0.0/8", "2001:db8::1"}) || c.ForwardedHeader != "Forwarded" {
		t.Fatalf("trusted_proxies %v, forwarded_header %q", c.TrustedProxies, c.ForwardedHeader)
	}
	if !c.TrustedProxies.Contains(netip.MustParseAddr("10.9.8.7")) || c.TrustedProxies.Contains(netip.MustParseAddr("192.0.2.1")) {
		t.Fatal("Contains does not follow the list")
	}
	if _, err := Load("", []string{"DINHDANH_TRUSTED_PROXIES=10.0.0.0/33"}); err == nil {
		t.Fatal("a bad network was loaded")
	}
}

func TestTrustedProxiesValidate(t *testing.T) {
	tests := []struct {
		name string
		edit func(c *Config)
		keys []string
	}{
		{"default", func(c *Config) {}, nil},
		{"Forwarded", func(c *Config) { c.ForwardedHeader = "Forwarded" }, nil},
		{"unknown header", func(c *Config) { c.ForwardedHeader = "X-Real-IP" }, []string{"forwarded_header"}},
		{"empty header", func(c *Config) { c.ForwardedHeader = "" }, []string{"forwarded_header"}},
		{"certificate header believed from the trusted proxies", func(c *Config) {
			c.Certificates.TrustAnchors = []CertificateTrustAnchor{{Name: "bcy-g2", File: "/etc/dinhdanh/bcy.pem"}}
			c.Certificates.MutualTLS.Header = "X-SSL-Client-Cert"
			c.TrustedProxies = ProxyNetworks{"10.0.0.1"}
		}, nil},
		{"certificate header with no proxy at all", func(c *Config) {
			c.Certificates.TrustAnchors = []CertificateTrustAnchor{{Name: "bcy-g2", File: "/etc/dinhdanh/bcy.pem"}}
			c.Certificates.MutualTLS.Header = "X-SSL-Client-Cert"
		}, []string{"certificates.mutual_tls.trusted_proxies"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := Default()
			tt.edit(c)
			if got := problemKeys(validationProblems(t, c)); !slices.Equal(got, tt.keys) {
				t.Errorf("problems %v, want %v", got, tt.keys)
			}
		})
	}
}
