package certificate

import (
	"context"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"net/url"
	"strings"
	"sync"
	"time"
)

// RevocationOptions configure the revocation check.
type RevocationOptions struct {
	// CRL looks certificates up in the CRLs they name.
	CRL bool
	// OCSP asks the OCSP responders certificates name.
	OCSP bool
	// FailOpen accepts a certificate whose revocation no enabled source could
	// establish (recording it as unchecked); false refuses it. With both CRL
	// and OCSP off, revocation is not checked and nothing is refused for it.
	FailOpen bool
	// Budget bounds the whole revocation check of one login: the CRLs and
	// OCSP responders of every certificate of the chain are asked at once,
	// and what has not answered when the budget runs out counts as
	// unavailable (FailOpen then decides). A download a login starts never
	// runs longer than the budget either. Zero means 8s.
	Budget time.Duration
	// FailureCache is how long a failed CRL download (per URL and issuer)
	// or OCSP request (per certificate) is remembered: logins meanwhile take
	// the failure at once instead of waiting for a dead source again. Zero
	// (or less) remembers nothing.
	FailureCache time.Duration
	// CRLTimeout bounds one CRL download (at login, also by Budget); zero
	// means 10s.
	CRLTimeout time.Duration
	// OCSPTimeout bounds one OCSP request (also by Budget); zero means 5s.
	OCSPTimeout time.Duration
	// CRLRefreshInterval is the period of the background refresh, which
	// downloads again the CRLs due within twice the interval; zero means 15m.
	CRLRefreshInterval time.Duration
	// CRLMaxAge is how long a CRL without nextUpdate is kept, and the longest
	// any CRL is kept; zero means 24h.
	CRLMaxAge time.Duration
	// CRLMaxBytes caps the size of a CRL download; zero means 64 MiB.
	CRLMaxBytes int64
	// OCSPCacheMax is the longest a good or revoked OCSP answer is reused,
	// never past its nextUpdate; zero asks the responder every time. The
	// cache holds at most 10,000 answers; those due are pruned by the
	// background refresh and whenever the cache is full.
	OCSPCacheMax time.Duration
}

func (o *RevocationOptions) defaults() {
	if o.Budget <= 0 {
		o.Budget = 8 * time.Second
	}
	if o.FailureCache < 0 {
		o.FailureCache = 0
	}
	if o.CRLTimeout <= 0 {
		o.CRLTimeout = 10 * time.Second
	}
	if o.OCSPTimeout <= 0 {
		o.OCSPTimeout = 5 * time.Second
	}
	if o.CRLRefreshInterval <= 0 {
		o.CRLRefreshInterval = 15 * time.Minute
	}
	if o.CRLMaxAge <= 0 {
		o.CRLMaxAge = 24 * time.Hour
	}
	if o.CRLMaxBytes <= 0 {
		o.CRLMaxBytes = 64 << 20
	}
	if o.OCSPCacheMax < 0 {
		o.OCSPCacheMax = 0
	}
}

// clockSkew is the tolerance on the times of CRLs and OCSP answers.
const clockSkew = 5 * time.Minute

// RevocationStatus says how the revocation of a verified certificate was
// established.
type RevocationStatus string

// The revocation statuses of a verified certificate.
const (
	// RevocationGood: for every certificate of the chain below the anchor, a
	// CRL or an OCSP responder said it is not revoked.
	RevocationGood RevocationStatus = "good"
	// RevocationUnchecked: for some certificate no source answered, and the
	// policy fails open.
	RevocationUnchecked RevocationStatus = "unchecked"
	// RevocationDisabled: CRL and OCSP are both turned off.
	RevocationDisabled RevocationStatus = "disabled"
)

// RevocationResult is how the revocation of a verified certificate was
// established.
type RevocationResult struct {
	Status RevocationStatus
	// Sources are the sources that answered for the signer's certificate:
	// "crl", "ocsp", or both.
	Sources []string
	// Unavailable says, when Status is RevocationUnchecked, why no source
	// answered, for logs.
	Unavailable string
}

// String returns "good (crl, ocsp)", "unchecked: …" or "disabled", for the audit log.
func (r RevocationResult) String() string {
	switch r.Status {
	case RevocationGood:
		return "good (" + strings.Join(r.Sources, ", ") + ")"
	case RevocationUnchecked:
		return "unchecked: " + r.Unavailable
	}
	return string(r.Status)
}

// revStatus is one source's answer about one certificate.
type revStatus int

const (
	revUnavailable revStatus = iota // no answer: unreachable, stale, unauthorized, unknown, none named
	revGood
	revRevoked
)

// revAnswer is one source's answer with its explanation.
type revAnswer struct {
	status revStatus
	detail string // why unavailable, or when and why revoked
}

// checkRevocation is validator 6: no certificate of the chain below the
// anchor is revoked, as far as its CRLs and OCSP responder say; when neither
// answers for a certificate, the failure mode decides. The signer's
// certificate must name an enabled source; a subordinate CA that names none
// is skipped. Every source of every certificate is asked at once, within
// one budget (RevocationOptions.Budget): a source that has not answered
// when it runs out is unavailable. Only the end of the request's own
// context is an outage.
func checkRevocation(s *state) *Refusal {
	o := s.v.opts.Revocation
	if !o.CRL && !o.OCSP {
		s.revocation = RevocationResult{Status: RevocationDisabled}
		return nil
	}
	ctx, cancel := context.WithTimeout(s.ctx, o.Budget)
	defer cancel()
	// answers[i] holds the CRL's and the OCSP responder's answers about s.chain[i].
	type answers struct {
		checked   bool
		crl, ocsp revAnswer
	}
	all := make([]answers, len(s.chain))
	var wg sync.WaitGroup
	for i := 0; i+1 < len(s.chain); i++ {
		cert, issuer := s.chain[i], s.chain[i+1]
		if i > 0 && !(o.CRL && len(httpURLs(cert.CRLDistributionPoints)) > 0) && !(o.OCSP && len(httpURLs(cert.OCSPServer)) > 0) {
			// A subordinate CA that names none of the enabled sources (an
			// OCSP-only setup, CAs published by CRL alone) is not checked.
			continue
		}
		a := &all[i]
		a.checked = true
		if o.CRL {
			wg.Go(func() { a.crl = s.v.crls.status(ctx, cert, issuer) })
		}
		if o.OCSP {
			wg.Go(func() { a.ocsp = s.v.ocsp.status(ctx, cert, issuer) })
		}
	}
	wg.Wait()
	if err := s.ctx.Err(); err != nil {
		s.err = err
		return nil
	}
	res := RevocationResult{Status: RevocationGood}
	var unavailable []string
	for i, a := range all {
		if !a.checked {
			continue
		}
		cert := s.chain[i]
		var answered, why []string
		if o.CRL {
			switch a.crl.status {
			case revRevoked:
				return refuse(CheckCRL, ReasonRevoked, cert, "%s is revoked by CRL: %s", describe(cert), a.crl.detail)
			case revGood:
				answered = append(answered, "crl")
			default:
				why = append(why, "crl: "+a.crl.detail)
			}
		}
		if o.OCSP {
			switch a.ocsp.status {
			case revRevoked:
				return refuse(CheckOCSP, ReasonRevoked, cert, "%s is revoked by OCSP: %s", describe(cert), a.ocsp.detail)
			case revGood:
				answered = append(answered, "ocsp")
			default:
				why = append(why, "ocsp: "+a.ocsp.detail)
			}
		}
		if i == 0 {
			res.Sources = answered
		}
		if len(answered) == 0 {
			detail := describe(cert) + ": " + strings.Join(why, "; ")
			if !o.FailOpen {
				return refuse(CheckRevocation, ReasonRevocationUnavailable, cert, "%s", detail)
			}
			unavailable = append(unavailable, detail)
		}
	}
	if len(unavailable) > 0 {
		res.Status, res.Unavailable = RevocationUnchecked, strings.Join(unavailable, "; ")
	}
	s.revocation = res
	return nil
}

// waitErr explains why a caller stopped waiting for a source: the budget
// ran out, or the request ended.
func waitErr(ctx context.Context) string {
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return "no answer within the revocation budget"
	}
	return "no answer: " + ctx.Err().Error()
}

// failureKey keys a remembered failure of url for issuer.
func failureKey(url string, issuer *x509.Certificate) string {
	sum := sha256.Sum256(issuer.RawSubjectPublicKeyInfo)
	return hex.EncodeToString(sum[:]) + " " + url
}

// httpURLs returns the http and https URLs among urls (LDAP distribution
// points are skipped).
func httpURLs(urls []string) []string {
	var out []string
	for _, s := range urls {
		u, err := url.Parse(s)
		if err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != "" {
			out = append(out, s)
		}
	}
	return out
}

// RefreshCRLs downloads again every cached CRL whose nextUpdate comes within
// twice the refresh interval. A failed download keeps the CRL held, which
// stays usable until its nextUpdate. It also drops the cached OCSP answers
// that are due.
func (v *Verifier) RefreshCRLs(ctx context.Context) {
	v.ocsp.prune(v.crls.now())
	v.crls.refresh(ctx, v.opts.Log)
}

// Run refreshes cached CRLs in the background every
// RevocationOptions.CRLRefreshInterval until ctx is done.
func (v *Verifier) Run(ctx context.Context) {
	t := time.NewTicker(v.opts.Revocation.CRLRefreshInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			v.RefreshCRLs(ctx)
		}
	}
}

// sameKey reports whether two certificates carry the same public key.
func sameKey(a, b *x509.Certificate) bool {
	return string(a.RawSubjectPublicKeyInfo) == string(b.RawSubjectPublicKeyInfo)
}
