package certificate

import (
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"os"

	"github.com/dinhdanh/dinhdanh/config"
)

// OptionsFromConfig returns the Verifier options of the certificates
// section, reading the trust anchors' PEM files with readFile (nil means
// os.ReadFile). It fails when a file cannot be read, holds no certificate,
// or names a root that is not a CA certificate.
func OptionsFromConfig(c config.Certificates, readFile func(string) ([]byte, error)) (Options, error) {
	if readFile == nil {
		readFile = os.ReadFile
	}
	opts := Options{
		KeyUsage:  KeyUsagePolicy(c.KeyUsage),
		AllowSHA1: c.AllowSHA1,
		Revocation: RevocationOptions{
			CRL:                c.Revocation.CRL,
			OCSP:               c.Revocation.OCSP,
			FailOpen:           c.Revocation.OnUnavailable == "fail-open",
			Budget:             c.Revocation.Budget.D(),
			FailureCache:       c.Revocation.FailureCache.D(),
			CRLTimeout:         c.Revocation.CRLTimeout.D(),
			OCSPTimeout:        c.Revocation.OCSPTimeout.D(),
			CRLRefreshInterval: c.Revocation.CRLRefreshInterval.D(),
			CRLMaxAge:          c.Revocation.CRLMaxAge.D(),
			OCSPCacheMax:       c.Revocation.OCSPCacheMax.D(),
		},
	}
	for i, a := range c.TrustAnchors {
		roots, err := readCertificates(readFile, a.File)
		if err != nil {
			return opts, fmt.Errorf("certificates.trust_anchors[%d] (%s): %w", i, a.Name, err)
		}
		for _, r := range roots {
			if !r.IsCA {
				return opts, fmt.Errorf("certificates.trust_anchors[%d] (%s): %s holds a certificate that is not a CA's (%s)",
					i, a.Name, a.File, r.Subject)
			}
		}
		anchor := Anchor{Name: a.Name, Roots: roots, MapEmail: a.MapEmail}
		if a.IntermediatesFile != "" {
			if anchor.Intermediates, err = readCertificates(readFile, a.IntermediatesFile); err != nil {
				return opts, fmt.Errorf("certificates.trust_anchors[%d] (%s): %w", i, a.Name, err)
			}
		}
		opts.Anchors = append(opts.Anchors, anchor)
	}
	return opts, nil
}

// readCertificates reads every CERTIFICATE block of a PEM file.
func readCertificates(readFile func(string) ([]byte, error), path string) ([]*x509.Certificate, error) {
	data, err := readFile(path)
	if err != nil {
		return nil, err
	}
	var out []*x509.Certificate
	for {
		var block *pem.Block
		block, data = pem.Decode(data)
		if block == nil {
			break
		}
		if block.Type != "CERTIFICATE" {
			continue
		}
		c, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("%s: %v", path, err)
		}
		out = append(out, c)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s holds no PEM certificate", path)
	}
	return out, nil
}
