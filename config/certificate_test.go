package config

import (
	"errors"
	"net/netip"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"
)

func TestLoadCertificates(t *testing.T) {
	path := writeFile(t, `
certificates:
  trust_anchors:
    - name: bcy-g2
      file: /etc/dinhdanh/ca/bcy-root.pem
      intermediates_file: /etc/dinhdanh/ca/bcy-sub.pem
      map_email: true
    - name: neac
      file: /etc/dinhdanh/ca/neac.pem
  key_usage: non_repudiation
  challenge_lifetime: 90s
  revocation:
    ocsp: false
    on_unavailable: fail-open
  mutual_tls:
    header: X-SSL-Client-Cert
    trusted_proxies: [10.0.0.0/8, 192.0.2.10, "2001:db8::/32"]
`)
	c := mustLoad(t, path, nil)
	want := []CertificateTrustAnchor{
		{Name: "bcy-g2", File: "/etc/dinhdanh/ca/bcy-root.pem", IntermediatesFile: "/etc/dinhdanh/ca/bcy-sub.pem", MapEmail: true},
		{Name: "neac", File: "/etc/dinhdanh/ca/neac.pem"},
	}
	cs := c.Certificates
	if !reflect.DeepEqual(cs.TrustAnchors, want) {
		t.Errorf("trust_anchors = %+v, want %+v", cs.TrustAnchors, want)
	}
	if !cs.Enabled() {
		t.Error("Enabled() = false with trust anchors")
	}
	if cs.KeyUsage != "non_repudiation" || cs.ChallengeLifetime.D() != 90*time.Second {
		t.Errorf("key_usage %q, challenge_lifetime %s", cs.KeyUsage, cs.ChallengeLifetime)
	}
	if !cs.Revocation.CRL || cs.Revocation.OCSP || cs.Revocation.OnUnavailable != "fail-open" {
		t.Errorf("revocation = %+v", cs.Revocation)
	}
	if cs.Revocation.CRLTimeout.D() != 10*time.Second {
		t.Errorf("crl_timeout = %s; an absent key must keep its default", cs.Revocation.CRLTimeout)
	}
	nets := cs.MutualTLS.TrustedProxies
	if !slices.Equal(nets, ProxyNetworks{"10.0.0.0/8", "192.0.2.10", "2001:db8::/32"}) {
		t.Fatalf("trusted_proxies = %v", nets)
	}
	for addr, in := range map[string]bool{"10.1.2.3": true, "192.0.2.10": true, "::ffff:192.0.2.10": true,
		"192.0.2.11": false, "2001:db8::7": true, "2001:db9::7": false} {
		if got := nets.Contains(netip.MustParseAddr(addr)); got != in {
			t.Errorf("Contains(%s) = %v, want %v", addr, got, in)
		}
	}
	if err := c.Validate(); err != nil {
		t.Errorf("Validate: %v", err)
	}
	if Default().Certificates.Enabled() {
		t.Error("certificate login is on by default")
	}
}

func TestCertificatesEnvironment(t *testing.T) {
	c := mustLoad(t, "", []string{
		"DINHDANH_CERTIFICATES_KEY_USAGE=both",
		"DINHDANH_CERTIFICATES_REVOCATION_ON_UNAVAILABLE=fail-open",
		"DINHDANH_CERTIFICATES_MUTUAL_TLS_TRUSTED_PROXIES=127.0.0.1, 172.16.0.0/12",
	})
	if c.Certificates.KeyUsage != "both" || c.Certificates.Revocation.OnUnavailable != "fail-open" {
		t.Errorf("certificates = %+v", c.Certificates)
	}
	want := ProxyNetworks{"127.0.0.1", "172.16.0.0/12"}
	if !slices.Equal(c.Certificates.MutualTLS.TrustedProxies, want) {
		t.Errorf("trusted_proxies = %v, want %v", c.Certificates.MutualTLS.TrustedProxies, want)
	}

	_, err := Load("", []string{"DINHDANH_CERTIFICATES_TRUST_ANCHORS=x", "DINHDANH_CERTIFICATES_MUTUAL_TLS_TRUSTED_PROXIES=not-an-address"})
	var envErr *EnvError
	if !errors.As(err, &envErr) {
		t.Fatalf("Load = %v, want an *EnvError", err)
	}
	if got := problemKeys(envErr.Problems); !slices.Equal(got, []string{"DINHDANH_CERTIFICATES_TRUST_ANCHORS",
		"DINHDANH_CERTIFICATES_MUTUAL_TLS_TRUSTED_PROXIES"}) {
		t.Errorf("problems name %v", got)
	}
}

func TestLoadCertificatesBadValues(t *testing.T) {
	for name, text := range map[string]string{
		"unknown anchor key":  "certificates:\n  trust_anchors:\n    - name: a\n      file: f\n      roots: g\n",
		"bad proxy":           "certificates:\n  mutual_tls:\n    trusted_proxies: [10.0.0.0/33]\n",
		"proxy mapping":       "certificates:\n  mutual_tls:\n    trusted_proxies: {a: b}\n",
		"proxy list of lists": "certificates:\n  mutual_tls:\n    trusted_proxies: [[10.0.0.1]]\n",
	} {
		if _, err := Load(writeFile(t, text), nil); err == nil {
			t.Errorf("%s: Load succeeded", name)
		}
	}
}

func TestProxyNetworksRoundTrip(t *testing.T) {
	var n ProxyNetworks
	if err := n.UnmarshalText([]byte("192.0.2.1, 10.0.0.1/8,,2001:db8::1,::ffff:10.1.1.1")); err != nil {
		t.Fatal(err)
	}
	data, err := yaml.Marshal(struct {
		P ProxyNetworks `yaml:"p"`
	}{n})
	if err != nil {
		t.Fatal(err)
	}
	if got := string(data); !strings.Contains(got, "- 192.0.2.1\n") || !strings.Contains(got, "- 10.0.0.0/8\n") ||
		!strings.Contains(got, "- 2001:db8::1\n") || !strings.Contains(got, "- 10.1.1.1\n") {
		t.Errorf("marshalled as %q", got)
	}
	var back struct {
		P ProxyNetworks `yaml:"p"`
	}
	if err := yaml.Unmarshal(data, &back); err != nil || !slices.Equal(back.P, n) {
		t.Errorf("loaded back %v, %v; want %v", back.P, err, n)
	}
}

func TestValidateCertificates(t *testing.T) {
	tests := []struct {
		name string
		edit func(c *Certificates)
		keys []string
	}{
		{"defaults", func(*Certificates) {}, nil},
		{"anchors", func(c *Certificates) {
			c.TrustAnchors = []CertificateTrustAnchor{
				{Name: "bcy", File: "/a.pem"},
				{Name: "", File: "/b.pem"},
				{Name: "Bad Name", File: "/c.pem"},
				{Name: "bcy", File: ""},
			}
		}, []string{"certificates.trust_anchors[1].name", "certificates.trust_anchors[2].name",
			"certificates.trust_anchors[3].name", "certificates.trust_anchors[3].file"}},
		{"words and lifetimes", func(c *Certificates) {
			c.KeyUsage = "signature"
			c.ChallengeLifetime = Duration(time.Hour)
			c.Revocation.OnUnavailable = "fail_open"
			c.Revocation.CRLTimeout = 0
			c.Revocation.OCSPTimeout = -1
			c.Revocation.CRLRefreshInterval = 0
			c.Revocation.CRLMaxAge = 0
			c.Revocation.OCSPCacheMax = -1
		}, []string{"certificates.key_usage", "certificates.challenge_lifetime",
			"certificates.revocation.on_unavailable", "certificates.revocation.crl_timeout",
			"certificates.revocation.ocsp_timeout", "certificates.revocation.crl_refresh_interval",
			"certificates.revocation.crl_max_age", "certificates.revocation.ocsp_cache_max"}},
		{"zero cache is allowed", func(c *Certificates) { c.Revocation.OCSPCacheMax = 0 }, nil},
		{"budget and failure cache out of range", func(c *Certificates) {
			c.Revocation.Budget = Duration(30 * time.Second)
			c.Revocation.FailureCache = -1
		}, []string{"certificates.revocation.budget", "certificates.revocation.failure_cache"}},
		{"budget too short", func(c *Certificates) { c.Revocation.Budget = Duration(100 * time.Millisecond) },
			[]string{"certificates.revocation.budget"}},
		{"zero budget", func(c *Certificates) { c.Revocation.Budget = 0 }, []string{"certificates.revocation.budget"}},
		{"no failure cache is allowed", func(c *Certificates) { c.Revocation.FailureCache = 0 }, nil},
		{"listener without files or anchors", func(c *Certificates) {
			c.TrustAnchors = nil
			c.MutualTLS.Listen = ":8443"
		}, []string{"certificates.mutual_tls.cert_file", "certificates.mutual_tls.key_file", "certificates.trust_anchors"}},
		{"bad listener", func(c *Certificates) {
			c.MutualTLS.Listen = "localhost"
			c.MutualTLS.CertFile, c.MutualTLS.KeyFile = "/c.pem", "/k.pem"
		}, []string{"certificates.mutual_tls.listen"}},
		{"files without listener", func(c *Certificates) { c.MutualTLS.CertFile = "/c.pem" },
			[]string{"certificates.mutual_tls.listen"}},
		{"header without proxies", func(c *Certificates) { c.MutualTLS.Header = "X-SSL-Client-Cert" },
			[]string{"certificates.mutual_tls.trusted_proxies"}},
		{"bad header", func(c *Certificates) {
			c.MutualTLS.Header = "X SSL"
			c.MutualTLS.TrustedProxies = ProxyNetworks{"10.0.0.0/8"}
		}, []string{"certificates.mutual_tls.header"}},
		{"proxies without header", func(c *Certificates) {
			c.MutualTLS.TrustedProxies = ProxyNetworks{"10.0.0.0/8"}
		}, []string{"certificates.mutual_tls.header"}},
		{"proxy setup", func(c *Certificates) {
			c.MutualTLS.Header = "X-SSL-Client-Cert"
			c.MutualTLS.TrustedProxies = ProxyNetworks{"10.0.0.0/8"}
		}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := Default()
			c.Certificates.TrustAnchors = []CertificateTrustAnchor{{Name: "bcy-g2", File: "/etc/dinhdanh/bcy.pem"}}
			tt.edit(&c.Certificates)
			if got := problemKeys(validationProblems(t, c)); !slices.Equal(got, tt.keys) {
				t.Errorf("problems %v, want %v", got, tt.keys)
			}
		})
	}
}

func TestCertificateSigningEndpoint(t *testing.T) {
	for endpoint, ok := range map[string]bool{
		"wss://127.0.0.1:8987":   true,
		"ws://127.0.0.1:41234/":  true,
		"wss://localhost:8987":   true,
		"wss://[::1]:8987":       true,
		"https://127.0.0.1:8987": false,
		"wss://example.vn:8987":  false,
		"wss://10.0.0.5:8987":    false,
		"wss://127.0.0.1:8987/x": false,
		"wss://127.0.0.1?a=1":    false,
		"":                       false,
		"127.0.0.1:8987":         false,
	} {
		c := Default()
		c.Certificates.Signing.VGCAEndpoint = endpoint
		err := c.Validate()
		var ve *ValidationError
		bad := errors.As(err, &ve) && slices.ContainsFunc(ve.Problems, func(p Problem) bool {
			return p.Key == "certificates.signing.vgca_endpoint"
		})
		if bad == ok {
			t.Errorf("vgca_endpoint %q: Validate() = %v, want ok %v", endpoint, err, ok)
		}
	}
	c := mustLoad(t, "", []string{"DINHDANH_CERTIFICATES_SIGNING_VGCA_ENDPOINT=ws://127.0.0.1:41234"})
	if c.Certificates.Signing.VGCAEndpoint != "ws://127.0.0.1:41234" {
		t.Errorf("vgca_endpoint from the environment = %q", c.Certificates.Signing.VGCAEndpoint)
	}
}
