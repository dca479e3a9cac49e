package certificate

import (
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"strings"
)

// Format is the form of a signed challenge.
type Format string

// The formats of a submission.
const (
	// FormatCMS is CMS (PKCS#7) SignedData with one signer, the challenge
	// attached as its content or detached; the signer's certificate and
	// intermediates travel inside it or in Submission.Certificates.
	FormatCMS Format = "cms"
	// FormatRaw is a bare signature over the challenge, named by
	// Submission.Algorithm, with the signer's certificate first in
	// Submission.Certificates.
	FormatRaw Format = "raw"
)

// Limits of a submission.
const (
	maxSignatureBytes = 32 << 10
	maxCertificates   = 10
)

// Submission is a signed challenge as the page posts it back.
type Submission struct {
	Format Format
	// Signature is the DER of the CMS ContentInfo (FormatCMS) or the signature value (FormatRaw).
	Signature []byte
	// Algorithm names the signature algorithm of FormatRaw in JOSE terms: RS256, RS384, RS512 (RSA
	// PKCS #1 v1.5), PS256, PS384, PS512 (RSA-PSS), ES256, ES384, ES512 (ECDSA, ASN.1 or r‖s), and RS1
	// and ES1 for SHA-1 where allowed. Empty for FormatCMS.
	Algorithm string
	// Certificates are DER certificates sent along: for FormatRaw the signer first, then intermediates;
	// for FormatCMS optional intermediates (or the signer) missing from the SignedData.
	Certificates [][]byte
}

// DecodeSubmission decodes the fields the signing adapter posts: format ("cms", "pkcs7" or "raw"),
// signature (base64, standard or URL alphabet, padded or not, or PEM), algorithm (FormatRaw only), and
// certificates (each base64 DER or PEM; a PEM value may hold several). A field that cannot be decoded is
// a refusal with ReasonMalformed.
func DecodeSubmission(format, signature, algorithm string, certificates []string) (Submission, *Refusal) {
	var s Submission
	switch strings.ToLower(strings.TrimSpace(format)) {
	case "cms", "pkcs7", "p7s":
		s.Format = FormatCMS
	case "raw":
		s.Format = FormatRaw
		s.Algorithm = strings.ToUpper(strings.TrimSpace(algorithm))
	default:
		return s, refuse(CheckSignature, ReasonMalformed, nil, "unknown format %q", format)
	}
	sig, ok := decodeBinary(signature)
	if !ok || len(sig) == 0 {
		return s, refuse(CheckSignature, ReasonMalformed, nil, "the signature is not base64 or PEM")
	}
	if len(sig) > maxSignatureBytes {
		return s, refuse(CheckSignature, ReasonMalformed, nil, "the signature is %d bytes, more than %d", len(sig), maxSignatureBytes)
	}
	s.Signature = sig
	for _, c := range certificates {
		if strings.TrimSpace(c) == "" {
			continue
		}
		if strings.Contains(c, "-----BEGIN") {
			rest := []byte(c)
			for {
				var block *pem.Block
				block, rest = pem.Decode(rest)
				if block == nil {
					break
				}
				if block.Type == "CERTIFICATE" {
					s.Certificates = append(s.Certificates, block.Bytes)
				}
			}
			continue
		}
		der, ok := decodeBinary(c)
		if !ok || len(der) == 0 {
			return s, refuse(CheckSignature, ReasonMalformed, nil, "a certificate is not base64 or PEM")
		}
		s.Certificates = append(s.Certificates, der)
	}
	if len(s.Certificates) > maxCertificates {
		return s, refuse(CheckSignature, ReasonMalformed, nil, "%d certificates sent, more than %d", len(s.Certificates), maxCertificates)
	}
	if s.Format == FormatRaw && len(s.Certificates) == 0 {
		return s, refuse(CheckSignature, ReasonMalformed, nil, "a bare signature needs the signer's certificate")
	}
	return s, nil
}

// decodeBinary decodes base64 in any of its usual spellings, or the first PEM block.
func decodeBinary(s string) ([]byte, bool) {
	if strings.Contains(s, "-----BEGIN") {
		block, _ := pem.Decode([]byte(strings.TrimSpace(s)))
		if block == nil {
			return nil, false
		}
		return block.Bytes, true
	}
	clean := strings.Map(func(r rune) rune {
		switch r {
		case ' ', '\t', '\r', '\n':
			return -1
		case '-':
			return '+'
		case '_':
			return '/'
		}
		return r
	}, s)
	clean = strings.TrimRight(clean, "=")
	b, err := base64.RawStdEncoding.DecodeString(clean)
	return b, err == nil
}

// signedMessage is a decoded submission.
type signedMessage struct {
	// content is the signed content carried by the submission (an attached CMS), or nil.
	content []byte
	// certs are every certificate that came with the submission, parsed.
	certs []*x509.Certificate
	// signer returns the signer's certificate among certs, or a refusal.
	signer func() (*x509.Certificate, *Refusal)
	// verify verifies the signature over content with the signer's certificate.
	verify func(content []byte, signer *x509.Certificate, allowSHA1 bool) *Refusal
}

// decode parses the submission. It checks the form only; nothing is
// verified yet.
func (s Submission) decode() (*signedMessage, *Refusal) {
	var extra []*x509.Certificate
	for _, der := range s.Certificates {
		c, err := x509.ParseCertificate(der)
		if err != nil {
			return nil, refuse(CheckSignature, ReasonMalformed, nil, "a certificate does not parse: %v", err)
		}
		extra = append(extra, c)
	}
	switch s.Format {
	case FormatCMS:
		return decodeCMS(s.Signature, extra)
	case FormatRaw:
		return decodeRaw(s.Signature, s.Algorithm, extra)
	}
	return nil, refuse(CheckSignature, ReasonMalformed, nil, "unknown format %q", s.Format)
}

// decodeRaw prepares a bare signature: the signer is the first certificate.
func decodeRaw(sig []byte, alg string, certs []*x509.Certificate) (*signedMessage, *Refusal) {
	if len(certs) == 0 {
		return nil, refuse(CheckSignature, ReasonMalformed, nil, "a bare signature needs the signer's certificate")
	}
	if _, ok := rawAlgorithms[alg]; !ok {
		return nil, refuse(CheckSignature, ReasonAlgorithm, certs[0], "unknown algorithm %q", alg)
	}
	return &signedMessage{
		certs:  certs,
		signer: func() (*x509.Certificate, *Refusal) { return certs[0], nil },
		verify: func(content []byte, signer *x509.Certificate, allowSHA1 bool) *Refusal {
			return verifyRaw(signer, alg, content, sig, allowSHA1)
		},
	}, nil
}
