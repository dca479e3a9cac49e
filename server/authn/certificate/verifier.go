package certificate

import (
	"context"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/dinhdanh/dinhdanh/server/authn"
	"github.com/dinhdanh/dinhdanh/store"
)

// Anchor is one trust anchor: certificate authorities whose certificates may
// log in.
type Anchor struct {
	// Name identifies the anchor in logs and the audit log.
	Name string
	// Roots are the anchor's root certificates.
	Roots []*x509.Certificate
	// Intermediates are subordinate CA certificates used to build chains
	// when the submission does not carry them.
	Intermediates []*x509.Certificate
	// MapEmail lets certificates of this anchor map to officials by e-mail
	// address (see Mapper.Map).
	MapEmail bool
}

// KeyUsagePolicy is the key usage a certificate must carry to log in.
type KeyUsagePolicy string

// The key-usage policies.
const (
	KeyUsageEither           KeyUsagePolicy = "either" // digital signature or non-repudiation
	KeyUsageDigitalSignature KeyUsagePolicy = "digital_signature"
	KeyUsageNonRepudiation   KeyUsagePolicy = "non_repudiation"
	KeyUsageBoth             KeyUsagePolicy = "both"
)

// Options configure a Verifier. Zero values are documented per field.
type Options struct {
	// Anchors are the trust anchors; at least one.
	Anchors []Anchor
	// KeyUsage is the key-usage policy; "" means KeyUsageEither.
	KeyUsage KeyUsagePolicy
	// AllowSHA1 accepts signatures over the challenge made with SHA-1.
	AllowSHA1 bool
	// Revocation configures the revocation check.
	Revocation RevocationOptions
	// HTTPClient fetches CRLs and asks OCSP responders; nil means a client
	// that follows at most three redirects, to http and https URLs only.
	HTTPClient *http.Client
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Log receives what the background CRL refresh finds; nil discards it.
	Log *slog.Logger
}

// maxRedirects bounds the redirects of a CRL download or OCSP request.
const maxRedirects = 3

// Verifier checks signed challenges and certificates. It is safe for
// concurrent use.
type Verifier struct {
	opts    Options
	roots   *x509.CertPool
	inter   []*x509.Certificate
	anchors map[string]string // root certificate's raw bytes → anchor name
	email   map[string]bool   // anchor names whose certificates may map by e-mail
	crls    *crlCache
	ocsp    *ocspClient
}

// NewVerifier returns a Verifier for opts.
func NewVerifier(opts Options) (*Verifier, error) {
	if len(opts.Anchors) == 0 {
		return nil, errors.New("certificate: no trust anchor")
	}
	switch opts.KeyUsage {
	case "":
		opts.KeyUsage = KeyUsageEither
	case KeyUsageEither, KeyUsageDigitalSignature, KeyUsageNonRepudiation, KeyUsageBoth:
	default:
		return nil, fmt.Errorf("certificate: unknown key-usage policy %q", opts.KeyUsage)
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.HTTPClient == nil {
		opts.HTTPClient = &http.Client{CheckRedirect: func(r *http.Request, via []*http.Request) error {
			if len(via) >= maxRedirects || (r.URL.Scheme != "http" && r.URL.Scheme != "https") {
				return http.ErrUseLastResponse
			}
			return nil
		}}
	}
	if opts.Log == nil {
		opts.Log = slog.New(slog.DiscardHandler)
	}
	opts.Revocation.defaults()
	v := &Verifier{opts: opts, roots: x509.NewCertPool(), anchors: map[string]string{}, email: map[string]bool{}}
	for _, a := range opts.Anchors {
		if a.Name == "" || len(a.Roots) == 0 {
			return nil, fmt.Errorf("certificate: trust anchor %q needs a name and a root certificate", a.Name)
		}
		for _, r := range a.Roots {
			v.roots.AddCert(r)
			v.anchors[string(r.Raw)] = a.Name
		}
		v.inter = append(v.inter, a.Intermediates...)
		v.email[a.Name] = a.MapEmail
	}
	v.crls = newCRLCache(opts.HTTPClient, opts.Now, opts.Revocation)
	v.ocsp = newOCSPClient(opts.HTTPClient, opts.Now, opts.Revocation)
	return v, nil
}

// Verified is a certificate that passed every check.
type Verified struct {
	// Certificate is the signer's (or TLS client's) certificate.
	Certificate *x509.Certificate
	// Chain runs from Certificate to the trust anchor's root.
	Chain []*x509.Certificate
	// Anchor is the name of the trust anchor the chain ends at.
	Anchor string
	// MapEmail says whether the anchor lets the certificate map to an
	// official by e-mail address.
	MapEmail bool
	// Fingerprint is the lower-case hex SHA-256 of the certificate's DER.
	Fingerprint string
	// Identifiers are what the certificate's subject says about its holder.
	Identifiers Identifiers
	// Revocation says how revocation was established.
	Revocation RevocationResult
}

// AuditDetails returns what the audit log records of the certificate: its
// subject, issuer, serial number, fingerprint, trust anchor and how its
// revocation was checked.
func (v *Verified) AuditDetails() map[string]string {
	c := v.Certificate
	return map[string]string{
		"certificate_subject":     c.Subject.String(),
		"certificate_issuer":      IssuerKey(c),
		"certificate_serial":      SerialKey(c),
		"certificate_fingerprint": v.Fingerprint,
		"certificate_anchor":      v.Anchor,
		"certificate_revocation":  v.Revocation.String(),
	}
}

// Assurance returns the acr and amr of a login with a verified certificate:
// LoA3, and sc (a smart card or USB token), hwk (a key held in hardware) and
// mfa (the token and its PIN).
func (v *Verified) Assurance() (acr string, amr []string) {
	return authn.LoA3, []string{authn.AMRSmart, authn.AMRHardware, authn.AMRMFA}
}

// Binding returns the binding of the verified certificate to the account,
// for store.CertificateBindings.BindCertificate.
func (v *Verified) Binding(accountID string) *store.CertificateBinding {
	c := v.Certificate
	return &store.CertificateBinding{AccountID: accountID, Fingerprint: v.Fingerprint, Issuer: IssuerKey(c),
		Serial: SerialKey(c), Subject: c.Subject.String(), NotAfter: c.NotAfter, Certificate: c.Raw}
}

// Fingerprint returns the lower-case hex SHA-256 of the certificate's DER:
// the key of a certificate binding.
func Fingerprint(c *x509.Certificate) string {
	sum := sha256.Sum256(c.Raw)
	return hex.EncodeToString(sum[:])
}

// IssuerKey returns the issuer's distinguished name in the canonical text
// form that certificate bindings store.
func IssuerKey(c *x509.Certificate) string { return c.Issuer.String() }

// SerialKey returns the serial number in lower-case hex without leading
// zeros (a negative serial keeps its sign), as certificate bindings store it.
func SerialKey(c *x509.Certificate) string { return strings.ToLower(c.SerialNumber.Text(16)) }

// state is what the validators of one run share.
type state struct {
	ctx       context.Context
	v         *Verifier
	now       time.Time
	challenge *Challenge
	sub       Submission

	msg     *signedMessage
	decoded bool
	decErr  *Refusal

	leaf       *x509.Certificate
	extra      []*x509.Certificate // certificates sent with the signature or the TLS handshake
	chain      []*x509.Certificate
	anchor     string
	revocation RevocationResult
	err        error // an outage that stopped a validator
}

// signed decodes the submission once.
func (s *state) signed() (*signedMessage, *Refusal) {
	if !s.decoded {
		s.decoded = true
		s.msg, s.decErr = s.sub.decode()
	}
	return s.msg, s.decErr
}

// step is one named validator.
type step struct {
	check Check
	run   func(*state) *Refusal
}

// signatureSteps are the validators of a signed challenge, in order.
var signatureSteps = []step{
	{CheckChallenge, checkChallenge},
	{CheckSignature, checkSignature},
}

// certificateSteps are the validators of a certificate, in order.
var certificateSteps = []step{
	{CheckChain, checkChain},
	{CheckValidity, checkValidity},
	{CheckKeyUsage, checkKeyUsage},
	{CheckRevocation, checkRevocation},
}

// Verify checks a signed challenge: the challenge the flow consumed (nil
// when Challenges.Consume found none) and the submission posted back. It
// returns the verified certificate, or the refusal of the first validator
// that refused, or an error for an outage (a cancelled context) that let
// nothing be decided.
func (v *Verifier) Verify(ctx context.Context, ch *Challenge, sub Submission) (*Verified, *Refusal, error) {
	s := &state{ctx: ctx, v: v, now: v.opts.Now(), challenge: ch, sub: sub}
	for _, st := range signatureSteps {
		if r := st.run(s); r != nil {
			return nil, r, nil
		}
	}
	return v.finish(s)
}

// VerifyCertificate checks a certificate whose holder proved possession of
// its key otherwise (a TLS handshake): chain, validity, key usage and
// revocation. chain[0] is the certificate; the rest are intermediates sent
// with it.
func (v *Verifier) VerifyCertificate(ctx context.Context, chain []*x509.Certificate) (*Verified, *Refusal, error) {
	if len(chain) == 0 {
		return nil, refuse(CheckChain, ReasonMalformed, nil, "no certificate"), nil
	}
	s := &state{ctx: ctx, v: v, now: v.opts.Now(), leaf: chain[0], extra: chain[1:]}
	return v.finish(s)
}

func (v *Verifier) finish(s *state) (*Verified, *Refusal, error) {
	for _, st := range certificateSteps {
		r := st.run(s)
		if s.err != nil {
			return nil, nil, s.err
		}
		if r != nil {
			return nil, r, nil
		}
	}
	return &Verified{Certificate: s.leaf, Chain: s.chain, Anchor: s.anchor, MapEmail: v.email[s.anchor], Fingerprint: Fingerprint(s.leaf),
		Identifiers: ExtractIdentifiers(s.leaf), Revocation: s.revocation}, nil, nil
}

// checkSignature is validator 2: the signature over the server's copy of the
// challenge verifies with the signer's certificate.
func checkSignature(s *state) *Refusal {
	msg, r := s.signed()
	if r != nil {
		return r
	}
	signer, r := msg.signer()
	if r != nil {
		return r
	}
	if r := msg.verify([]byte(s.challenge.Value), signer, s.v.opts.AllowSHA1); r != nil {
		return r
	}
	s.leaf = signer
	for _, c := range msg.certs {
		if !c.Equal(signer) {
			s.extra = append(s.extra, c)
		}
	}
	return nil
}
