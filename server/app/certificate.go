package app

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"time"

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

// openCertificates prepares login with a digital-signature certificate when
// trust anchors are configured: the verifier (its CRLs refreshed by
// Background), the single-use challenges in the ephemeral store, the
// mapping to accounts, the login flow's pages (signed challenge, and mutual
// TLS behind a proxy) and the console's bound certificates. Nothing is
// prepared when no trust anchor is configured.
func (a *App) openCertificates(lh *login.Handler, ah *account.Handler) error {
	cs := a.Config.Certificates
	if !cs.Enabled() {
		return nil
	}
	opts, err := certificate.OptionsFromConfig(cs, nil)
	if err != nil {
		return err
	}
	opts.Log = a.Log
	ver, err := certificate.NewVerifier(opts)
	if err != nil {
		return err
	}
	chs := &certificate.Challenges{Store: a.Eph, Lifetime: cs.ChallengeLifetime.D()}
	mapper := &certificate.Mapper{Bindings: a.Store, Accounts: a.Store}
	lc := &login.Certificates{Verifier: ver, Challenges: chs, Mapper: mapper, Issuer: a.Config.Issuer,
		VGCAEndpoint: cs.Signing.VGCAEndpoint}
	m := cs.MutualTLS
	if m.Header != "" {
		lc.Forwarded = &certificate.ClientCertificates{Header: m.Header, TrustedProxies: m.TrustedProxies.Prefixes()}
		lc.MutualTLSLogin = "/login/certificate/mtls"
	}
	if m.Listen != "" {
		base, err := mutualTLSBase(a.Config.Issuer, m.Listen)
		if err != nil {
			return err
		}
		lc.MutualTLSLogin = base + "/login/certificate/mtls"
	}
	lh.Certificates = lc
	ah.Certificates = &account.Certificates{Verifier: ver, Challenges: chs, Mapper: mapper,
		VGCAEndpoint: cs.Signing.VGCAEndpoint}
	a.certificates = &certificateLogin{verifier: ver, login: lh, anchors: opts.Anchors}
	return nil
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
// ServeTLS(listener, "", "").
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
	return &http.Server{
		Handler: a.certificates.login.MutualTLSHandler(),
		TLSConfig: &tls.Config{MinVersion: tls.VersionTLS12, Certificates: []tls.Certificate{cert},
			ClientAuth: tls.RequestClientCert, ClientCAs: hints},
		ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 30 * time.Second, WriteTimeout: 30 * time.Second,
		IdleTimeout: 120 * time.Second, MaxHeaderBytes: 32 << 10, ErrorLog: slog.NewLogLogger(a.Log.Handler(), slog.LevelDebug),
	}, nil
}
