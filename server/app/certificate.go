package app

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net"
	"net/http"
	"net/url"

	"github.com/dinhdanh/dinhdanh/server/account"
	"github.com/dinhdanh/dinhdanh/server/authn/certificate"
	"github.com/dinhdanh/dinhdanh/server/login"
)

// certificateLogin is the assembled certificate login of a node.
type certificateLogin struct {
	verifier *certificate.Verifier
	login    *login.Handler
	anchors  []certificate.Anchor
}

// certificateParts are the pieces of certificate login made before the
// login handler: the verifier, the trust anchors, and what the login flow
// and the account console are given. A nil *certificateParts means that no
// trust anchor is configured.
type certificateParts struct {
	verifier *certificate.Verifier
	anchors  []certificate.Anchor
	login    *login.Certificates
	console  *account.Certificates
}

// forLogin returns what the login flow is given (nil when off).
func (c *certificateParts) forLogin() *login.Certificates {
	if c == nil {
		return nil
	}
	return c.login
}

// forConsole returns what the account console is given (nil when off).
func (c *certificateParts) forConsole() *account.Certificates {
	if c == nil {
		return nil
	}
	return c.console
}

// withLogin returns the certificate login served by the login handler lh
// (nil when off).
func (c *certificateParts) withLogin(lh *login.Handler) *certificateLogin {
	if c == nil {
		return nil
	}
	return &certificateLogin{verifier: c.verifier, login: lh, anchors: c.anchors}
}

// openCertificates prepares login with a digital-signature certificate when
// trust anchors are configured: the verifier (its CRLs refreshed by
// Background), the single-use challenges in the ephemeral store, the
// mapping to accounts, the login flow's part (signed challenge, and mutual
// TLS behind a proxy) and the console's bound certificates. It returns nil
// when no trust anchor is configured.
func openCertificates(s *Services) (*certificateParts, error) {
	cs := s.Config.Certificates
	if !cs.Enabled() {
		return nil, nil
	}
	opts, err := certificate.OptionsFromConfig(cs, nil)
	if err != nil {
		return nil, err
	}
	opts.Log = s.Log
	ver, err := certificate.NewVerifier(opts)
	if err != nil {
		return nil, err
	}
	chs := &certificate.Challenges{Store: s.Eph, Lifetime: cs.ChallengeLifetime.D()}
	mapper := &certificate.Mapper{Bindings: s.Store, Accounts: s.Store}
	lc := &login.Certificates{Verifier: ver, Challenges: chs, Mapper: mapper, Issuer: s.Config.Issuer,
		VGCAEndpoint: cs.Signing.VGCAEndpoint, Prove: s.Admin("certificate").ProveAtLogin}
	m := cs.MutualTLS
	if m.Header != "" {
		// The header is believed only from a trusted proxy: the ones named
		// for it, or else the node's trusted proxies.
		proxies := m.TrustedProxies
		if len(proxies) == 0 {
			proxies = s.Config.TrustedProxies
		}
		lc.Forwarded = &certificate.ClientCertificates{Header: m.Header, TrustedProxies: proxies.Prefixes()}
		lc.MutualTLSLogin = "/login/certificate/mtls"
	}
	if m.Listen != "" {
		base, err := mutualTLSBase(s.Config.Issuer, m.Listen)
		if err != nil {
			return nil, err
		}
		lc.MutualTLSLogin = base + "/login/certificate/mtls"
	}
	return &certificateParts{verifier: ver, anchors: opts.Anchors, login: lc,
		console: &account.Certificates{Verifier: ver, Challenges: chs, Mapper: mapper,
			VGCAEndpoint: cs.Signing.VGCAEndpoint}}, nil
}

// mutualTLSBase is the base URL of the mutual-TLS listener as browsers
// reach it: https, the issuer's host name (so that the session cookie set
// there is the issuer's too) and the listener's port.
func mutualTLSBase(issuer, listen string) (string, error) {
	u, err := url.Parse(issuer)
	if err != nil {
		return "", err
	}
	_, port, err := net.SplitHostPort(listen)
	if err != nil {
		return "", fmt.Errorf("certificates.mutual_tls.listen: %w", err)
	}
	return "https://" + net.JoinHostPort(u.Hostname(), port), nil
}

// runCertificates keeps the certificate revocation lists fresh until ctx ends.
func (a *App) runCertificates(ctx context.Context) {
	if a.certificates != nil {
		go a.certificates.verifier.Run(ctx)
	}
}

// MutualTLSServer returns the server of the mutual-TLS listener
// (certificates.mutual_tls.listen), or nil when none is configured. It asks
// every browser for a client certificate (naming the trust anchors' CAs, so
// that browsers offer the right one) without verifying it in the handshake:
// the certificate login verifies it, with the same checks as a signed
// challenge, and a browser without one still gets a page. Serve it with
// ServeTLS(a.Connections.Listener(listener), "", "").
func (a *App) MutualTLSServer() (*http.Server, error) {
	m := a.Config.Certificates.MutualTLS
	if a.certificates == nil || m.Listen == "" {
		return nil, nil
	}
	cert, err := tls.LoadX509KeyPair(m.CertFile, m.KeyFile)
	if err != nil {
		return nil, fmt.Errorf("certificates.mutual_tls: %w", err)
	}
	hints := x509.NewCertPool()
	for _, an := range a.certificates.anchors {
		for _, c := range an.Roots {
			hints.AddCert(c)
		}
		for _, c := range an.Intermediates {
			hints.AddCert(c)
		}
	}
	srv := NewHTTPServer(a.Config.Server, a.certificates.login.MutualTLSHandler(), a.Log)
	srv.TLSConfig = &tls.Config{MinVersion: tls.VersionTLS12, Certificates: []tls.Certificate{cert},
		ClientAuth: tls.RequestClientCert, ClientCAs: hints}
	return srv, nil
}
