package config

import (
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// Certificates configures login with a digital-signature certificate on a USB token (LoA3): the signed
// challenge of the login page and, when configured, mutual TLS. Every certificate is checked in the same
// order: chain to one of TrustAnchors, validity period, key usage, revocation; then it is mapped to an
// account. Certificate login is offered when at least one trust anchor is configured.
//
// The government chain (Ban Cơ yếu Chính phủ) and a public CA chained to the Vietnam National Root CA:
//
//	certificates:
//	  trust_anchors:
//	    - name: bcy-g2
//	      file: /etc/dinhdanh/ca/rootca-chuyen-dung-chinh-phu-g2.pem
//	      intermediates_file: /etc/dinhdanh/ca/ca-phuc-vu-cac-co-quan-nha-nuoc-g2.pem
//	      map_email: true
//	    - name: neac
//	      file: /etc/dinhdanh/ca/vietnam-national-root-ca.pem
//	      intermediates_file: /etc/dinhdanh/ca/public-cas.pem
//	  revocation:
//	    on_unavailable: fail-closed
type Certificates struct {
	// TrustAnchors lists the certificate authorities whose certificates may log in. Configured in the file
	// only: there is no DINHDANH_* variable for a list of sections. See CertificateTrustAnchor.
	// Default: none ([]), which turns certificate login off.
	TrustAnchors []CertificateTrustAnchor `yaml:"trust_anchors"`

	// KeyUsage is the key usage a certificate must carry to log in: "either" (digital signature or
	// non-repudiation, the default), "digital_signature", "non_repudiation", or "both". A certificate
	// without a key usage extension, or a CA certificate, never logs in.
	KeyUsage string `yaml:"key_usage"`

	// AllowSHA1 accepts signatures of the challenge made with SHA-1, which older signing software still
	// uses; certificates signed with SHA-1 are refused whatever this says. Default false.
	AllowSHA1 bool `yaml:"allow_sha1"`

	// ChallengeLifetime is how long a challenge handed to the login page may be signed and posted back;
	// each challenge is used once. From 10s to 10m. Default "2m".
	ChallengeLifetime Duration `yaml:"challenge_lifetime"`

	// Revocation says how revocation is checked. See CertificateRevocation.
	// Default: CRL and OCSP, refusing the login when neither can answer.
	Revocation CertificateRevocation `yaml:"revocation"`

	// MutualTLS configures login with the certificate of a TLS client. See CertificateMutualTLS.
	// Default: off.
	MutualTLS CertificateMutualTLS `yaml:"mutual_tls"`

	// Signing configures the signing software the login page talks to on the person's own computer. See
	// CertificateSigning. Default: the VGCA Sign Service at its usual address.
	Signing CertificateSigning `yaml:"signing"`
}

// CertificateSigning configures the browser-side adapters that ask the signing software installed next to a
// USB token to sign the login challenge. The pages that sign allow these addresses in their Content
// Security Policy (connect-src), and nothing else.
type CertificateSigning struct {
	// VGCAEndpoint is the local WebSocket of the VGCA Sign Service of the Government Cipher Committee, as
	// the person's browser reaches it: a ws:// or wss:// URL on a loopback host (127.0.0.1, [::1] or
	// localhost), without path, query or fragment. Default "wss://127.0.0.1:8987".
	VGCAEndpoint string `yaml:"vgca_endpoint"`
}

// CertificateTrustAnchor is one certificate authority whose certificates may log in.
type CertificateTrustAnchor struct {
	// Name identifies the anchor in logs and the audit log: 1 to 32 lower-case letters, digits, '.', '_' or
	// '-', unique among anchors. Required; no default.
	Name string `yaml:"name"`

	// File is a PEM file of the anchor's root certificate (or several roots, such as the generations of one
	// authority). Required; no default.
	File string `yaml:"file"`

	// IntermediatesFile is a PEM file of subordinate CA certificates used to build chains to this anchor
	// when the signature does not carry them. Default "": only the certificates sent with the signature.
	IntermediatesFile string `yaml:"intermediates_file"`

	// MapEmail lets a certificate of this anchor that names no personal ID find an official's account by
	// its e-mail address. Turn it on only for authorities that verify the addresses they certify, such as
	// the government CA for officials' addresses. Default false.
	MapEmail bool `yaml:"map_email"`
}

// CertificateRevocation says how the revocation of a certificate (and of the subordinate CAs above it) is
// checked. A certificate listed in a CRL, or reported revoked by OCSP, is refused. When neither a CRL nor an
// OCSP responder gives an answer, OnUnavailable decides.
type CertificateRevocation struct {
	// CRL downloads the certificate revocation lists named in certificates (HTTP distribution points),
	// keeps each until its nextUpdate and refreshes it in the background. Default true.
	CRL bool `yaml:"crl"`

	// OCSP asks the OCSP responder named in the certificate, and checks that the answer is signed by the
	// issuing CA or by a responder it delegated (id-kp-OCSPSigning). Default true.
	OCSP bool `yaml:"ocsp"`

	// OnUnavailable decides when no revocation source answers (unreachable, stale or none named):
	// "fail-closed" (the default) refuses the login, "fail-open" accepts it and records that revocation was
	// not checked.
	OnUnavailable string `yaml:"on_unavailable"`

	// Budget bounds the whole revocation check of one login: the CRLs and OCSP responders of every
	// certificate of the chain are asked at once, a download shared by concurrent logins, and a source that
	// has not answered when the budget runs out counts as unavailable (OnUnavailable decides). It must leave
	// the rest of the login time within the server's 30s write timeout: from 500ms to 20s. Default "8s".
	Budget Duration `yaml:"budget"`

	// FailureCache is how long a failed CRL download or OCSP request is remembered, so that the logins
	// meanwhile take the failure at once instead of waiting for a dead source; "0" turns it off. From 0 to
	// 10m. Default "30s".
	FailureCache Duration `yaml:"failure_cache"`

	// CRLTimeout bounds one CRL download (at a login, never longer than Budget); greater than zero.
	// Default "10s".
	CRLTimeout Duration `yaml:"crl_timeout"`

	// OCSPTimeout bounds one OCSP request (never longer than Budget); greater than zero. Default "5s".
	OCSPTimeout Duration `yaml:"ocsp_timeout"`

	// CRLRefreshInterval is how often the background refresh looks for cached CRLs whose nextUpdate comes
	// within twice this interval, and downloads them again; greater than zero. Default "15m".
	CRLRefreshInterval Duration `yaml:"crl_refresh_interval"`

	// CRLMaxAge is how long a CRL without nextUpdate is kept, and the longest any CRL is kept; greater than
	// zero. Default "24h".
	CRLMaxAge Duration `yaml:"crl_max_age"`

	// OCSPCacheMax is the longest a good OCSP answer is reused, never past its nextUpdate; zero asks the
	// responder at every login. It must not be negative. Default "5m".
	OCSPCacheMax Duration `yaml:"ocsp_cache_max"`
}

// CertificateMutualTLS configures login with the certificate of a TLS client, for deployments where
// dinhdanh terminates TLS itself (Listen) or where a reverse proxy that terminates TLS passes the client
// certificate on in a header (Header, accepted only from TrustedProxies). The certificate then goes
// through the same checks as a signed challenge.
type CertificateMutualTLS struct {
	// Listen is the TCP address (host:port) of a TLS listener that asks browsers for a client certificate,
	// serving the certificate login endpoint. The login page links to it at https://<the issuer's host>:<port>,
	// so that the session cookie it sets is the issuer's: publish it under the issuer's host name. Default "":
	// no such listener.
	Listen string `yaml:"listen"`

	// CertFile is the PEM file of the Listen server's certificate chain; required with Listen. Default "".
	CertFile string `yaml:"cert_file"`

	// KeyFile is the PEM file of the Listen server's private key; required with Listen. Default "".
	KeyFile string `yaml:"key_file"`

	// Header is the request header in which the reverse proxy passes the client certificate: PEM, URL-escaped
	// PEM (nginx $ssl_client_escaped_cert) or base64 DER. Default "": client certificates are not read
	// from headers.
	Header string `yaml:"header"`

	// TrustedProxies lists the addresses or networks (CIDR) of the reverse proxies allowed to set Header; a
	// request whose direct peer is any other address has the header ignored. In the file a list, in
	// DINHDANH_* a comma-separated text. With Header, it or the top-level trusted_proxies is required.
	// Default: none ([]), meaning the top-level trusted_proxies.
	TrustedProxies ProxyNetworks `yaml:"trusted_proxies"`
}

// Enabled reports whether certificate login is offered: at least one trust anchor is configured.
func (c *Certificates) Enabled() bool { return len(c.TrustAnchors) > 0 }

// defaultCertificates returns the defaults of the certificates section.
func defaultCertificates() Certificates {
	return Certificates{
		TrustAnchors:      []CertificateTrustAnchor{},
		KeyUsage:          "either",
		AllowSHA1:         false,
		ChallengeLifetime: Duration(2 * time.Minute),
		Revocation: CertificateRevocation{
			CRL:                true,
			OCSP:               true,
			OnUnavailable:      "fail-closed",
			Budget:             Duration(8 * time.Second),
			FailureCache:       Duration(30 * time.Second),
			CRLTimeout:         Duration(10 * time.Second),
			OCSPTimeout:        Duration(5 * time.Second),
			CRLRefreshInterval: Duration(15 * time.Minute),
			CRLMaxAge:          Duration(24 * time.Hour),
			OCSPCacheMax:       Duration(5 * time.Minute),
		},
		MutualTLS: CertificateMutualTLS{},
		Signing:   CertificateSigning{VGCAEndpoint: "wss://127.0.0.1:8987"},
	}
}

// ProxyNetworks is a list of networks, each an address ("192.0.2.10", "2001:db8::1") meaning that address
// alone or a CIDR prefix ("10.0.0.0/8"), kept in canonical text form. In YAML it is a list of such strings
// (or one comma-separated string); in an environment variable a comma-separated string. Load rejects any
// other text.
type ProxyNetworks []string

// Prefixes returns the networks as prefixes; an entry that does not parse (only possible when the list was
// not made by Load) is left out.
func (n ProxyNetworks) Prefixes() []netip.Prefix {
	out := make([]netip.Prefix, 0, len(n))
	for _, s := range n {
		if p, err := parseNetwork(s); err == nil {
			out = append(out, p)
		}
	}
	return out
}

// Contains reports whether addr is in one of the networks.
func (n ProxyNetworks) Contains(addr netip.Addr) bool {
	addr = addr.Unmap()
	for _, p := range n.Prefixes() {
		if p.Contains(addr) {
			return true
		}
	}
	return false
}

// parseNetwork parses an address or a CIDR prefix.
func parseNetwork(w string) (netip.Prefix, error) {
	w = strings.TrimSpace(w)
	if strings.Contains(w, "/") {
		p, err := netip.ParsePrefix(w)
		if err != nil {
			return netip.Prefix{}, fmt.Errorf("%q is not an address or a network such as \"10.0.0.0/8\"", w)
		}
		return p.Masked(), nil
	}
	a, err := netip.ParseAddr(w)
	if err != nil || a.Zone() != "" {
		return netip.Prefix{}, fmt.Errorf("%q is not an address or a network such as \"10.0.0.0/8\"", w)
	}
	a = a.Unmap()
	return netip.PrefixFrom(a, a.BitLen()), nil
}

// parseNetworks parses addresses and prefixes into their canonical text, skipping blank words.
func parseNetworks(words []string) (ProxyNetworks, error) {
	var out ProxyNetworks
	for _, w := range words {
		if strings.TrimSpace(w) == "" {
			continue
		}
		p, err := parseNetwork(w)
		if err != nil {
			return nil, err
		}
		if p.IsSingleIP() {
			out = append(out, p.Addr().String())
		} else {
			out = append(out, p.String())
		}
	}
	return out, nil
}

// UnmarshalText parses a comma-separated list; environment variables are read through it.
func (n *ProxyNetworks) UnmarshalText(text []byte) error {
	v, err := parseNetworks(strings.Split(string(text), ","))
	if err != nil {
		return err
	}
	*n = v
	return nil
}

// UnmarshalYAML parses a YAML list of addresses and networks, or one comma-separated string; null and an
// empty list mean none.
func (n *ProxyNetworks) UnmarshalYAML(value *yaml.Node) error {
	words, err := wordList(value, "an address or network such as \"10.0.0.0/8\"", "addresses or networks")
	if err != nil {
		return err
	}
	v, err := parseNetworks(words)
	if err != nil {
		return &yaml.TypeError{Errors: []string{fmt.Sprintf("line %d: %v", value.Line, err)}}
	}
	*n = v
	return nil
}

// MarshalYAML returns the list of networks as a YAML list of strings.
func (n ProxyNetworks) MarshalYAML() (any, error) {
	return []string(append(ProxyNetworks{}, n...)), nil
}

// Allowed values of the certificate settings that take one of a few words.
var (
	certificateKeyUsages    = []string{"either", "digital_signature", "non_repudiation", "both"}
	certificateFailureModes = []string{"fail-closed", "fail-open"}
)

// Bounds of certificates.challenge_lifetime.
const (
	minChallengeLifetime = 10 * time.Second
	maxChallengeLifetime = 10 * time.Minute
)

// Bounds of certificates.revocation.budget and failure_cache.
const (
	minRevocationBudget       = 500 * time.Millisecond
	maxRevocationBudget       = 20 * time.Second
	maxRevocationFailureCache = 10 * time.Minute
)

func (c *Config) validateCertificates(v *validator) {
	cs := &c.Certificates
	names := map[string]bool{}
	for i, a := range cs.TrustAnchors {
		key := func(field string) string { return fmt.Sprintf("certificates.trust_anchors[%d].%s", i, field) }
		switch {
		case a.Name == "":
			v.add(key("name"), "must not be empty")
		case !validAnchorName(a.Name):
			v.add(key("name"), "%q must be 1 to 32 lower-case letters, digits, '.', '_' or '-'", a.Name)
		case names[a.Name]:
			v.add(key("name"), "%q names another trust anchor too; names must be unique", a.Name)
		}
		names[a.Name] = true
		if strings.TrimSpace(a.File) == "" {
			v.add(key("file"), "must name the PEM file of the anchor's root certificate")
		}
	}
	v.oneOf("certificates.key_usage", cs.KeyUsage, certificateKeyUsages)
	if d := cs.ChallengeLifetime.D(); d < minChallengeLifetime || d > maxChallengeLifetime {
		v.add("certificates.challenge_lifetime", "is %s; it must be from %s to %s", cs.ChallengeLifetime,
			Duration(minChallengeLifetime), Duration(maxChallengeLifetime))
	}

	r := &cs.Revocation
	v.oneOf("certificates.revocation.on_unavailable", r.OnUnavailable, certificateFailureModes)
	if d := r.Budget.D(); d < minRevocationBudget || d > maxRevocationBudget {
		v.add("certificates.revocation.budget", "is %s; it must be from %s to %s (the server's write timeout is 30s)",
			r.Budget, Duration(minRevocationBudget), Duration(maxRevocationBudget))
	}
	if d := r.FailureCache.D(); d < 0 || d > maxRevocationFailureCache {
		v.add("certificates.revocation.failure_cache", "is %s; it must be from 0 (off) to %s", r.FailureCache,
			Duration(maxRevocationFailureCache))
	}
	v.positive("certificates.revocation.crl_timeout", r.CRLTimeout)
	v.positive("certificates.revocation.ocsp_timeout", r.OCSPTimeout)
	v.positive("certificates.revocation.crl_refresh_interval", r.CRLRefreshInterval)
	v.positive("certificates.revocation.crl_max_age", r.CRLMaxAge)
	if r.OCSPCacheMax < 0 {
		v.add("certificates.revocation.ocsp_cache_max", "is %s; it must not be negative (0 turns the cache off)", r.OCSPCacheMax)
	}

	m := &cs.MutualTLS
	if m.Listen != "" {
		if _, port, err := net.SplitHostPort(m.Listen); err != nil {
			v.add("certificates.mutual_tls.listen", "%q is not host:port, such as \":8443\"", m.Listen)
		} else if n, err := strconv.ParseUint(port, 10, 16); err != nil || port != strconv.FormatUint(n, 10) {
			v.add("certificates.mutual_tls.listen", "%q has port %q; the port must be a number from 0 to 65535", m.Listen, port)
		}
		if m.CertFile == "" {
			v.add("certificates.mutual_tls.cert_file", "must name the listener's certificate file when mutual_tls.listen is set")
		}
		if m.KeyFile == "" {
			v.add("certificates.mutual_tls.key_file", "must name the listener's key file when mutual_tls.listen is set")
		}
	} else if m.CertFile != "" || m.KeyFile != "" {
		v.add("certificates.mutual_tls.listen", "is empty, but cert_file or key_file is set; set listen or remove them")
	}
	if m.Header != "" {
		for _, r := range m.Header {
			if !isTokenChar(r) {
				v.add("certificates.mutual_tls.header", "%q contains %q; a header name may hold only letters, digits and !#$%%&'*+-.^_`|~", m.Header, r)
				break
			}
		}
		if len(m.TrustedProxies) == 0 && len(c.TrustedProxies) == 0 {
			v.add("certificates.mutual_tls.trusted_proxies", "must list the reverse proxies allowed to set %s (or trusted_proxies must)", m.Header)
		}
	} else if len(m.TrustedProxies) > 0 {
		v.add("certificates.mutual_tls.header", "is empty, but trusted_proxies is set; name the header the proxies set")
	}
	if (m.Listen != "" || m.Header != "") && !cs.Enabled() {
		v.add("certificates.trust_anchors", "must list at least one trust anchor when mutual TLS is configured")
	}
	if msg := checkSigningEndpoint(cs.Signing.VGCAEndpoint); msg != "" {
		v.add("certificates.signing.vgca_endpoint", "%s", msg)
	}
}

// checkSigningEndpoint returns what is wrong with the address of local signing software, or "".
func checkSigningEndpoint(s string) string {
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "ws" && u.Scheme != "wss") || u.Host == "" || u.Opaque != "" {
		return fmt.Sprintf("%q is not a ws:// or wss:// URL such as \"wss://127.0.0.1:8987\"", s)
	}
	if u.User != nil || (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" {
		return fmt.Sprintf("%q must be scheme, host and port only", s)
	}
	host := u.Hostname()
	if a, err := netip.ParseAddr(host); (err != nil || !a.IsLoopback()) && host != "localhost" {
		return fmt.Sprintf("%q is not on this computer: the signing software listens on a loopback address (127.0.0.1, [::1] or localhost)", s)
	}
	return ""
}

// validAnchorName reports whether s is 1 to 32 lower-case letters, digits, '.', '_' or '-'.
func validAnchorName(s string) bool {
	if len(s) == 0 || len(s) > 32 {
		return false
	}
	for _, r := range s {
		if !('a' <= r && r <= 'z' || '0' <= r && r <= '9' || r == '.' || r == '_' || r == '-') {
			return false
		}
	}
	return true
}
