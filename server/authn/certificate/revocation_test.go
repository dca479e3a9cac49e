package certificate

import (
	"context"
	"crypto/x509"
	"crypto/x509/pkix"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/dinhdanh/dinhdanh/test/pki"
)

// chained returns the state of the leaf after the chain validator.
func (f *fixture) chained(t *testing.T, l *pki.Leaf) *state {
	t.Helper()
	s := f.chainState(l)
	if r := checkChain(s); r != nil {
		t.Fatalf("chain: %v", r)
	}
	return s
}

// TestCheckRevocation is the table test of validator 6.
func TestCheckRevocation(t *testing.T) {
	tests := []struct {
		name    string
		options func(*RevocationOptions)
		setup   func(p *pki.PKI) *pki.Leaf
		check   Check
		reason  Reason
		status  RevocationStatus
		sources []string
		which   func(p *pki.PKI) *x509.Certificate
	}{
		{name: "good by CRL and OCSP (delegated responder)", setup: func(p *pki.PKI) *pki.Leaf { return p.Official },
			status: RevocationGood, sources: []string{"crl", "ocsp"}},
		{name: "good by CRL and OCSP (CA signs its answers)", setup: func(p *pki.PKI) *pki.Leaf { return p.Citizen },
			status: RevocationGood, sources: []string{"crl", "ocsp"}},
		{name: "revoked by CRL", setup: func(p *pki.PKI) *pki.Leaf { return p.RevokedCRL },
			check: CheckCRL, reason: ReasonRevoked, which: func(p *pki.PKI) *x509.Certificate { return p.RevokedCRL.Cert }},
		{name: "revoked by OCSP", setup: func(p *pki.PKI) *pki.Leaf { return p.RevokedOCSP },
			check: CheckOCSP, reason: ReasonRevoked, which: func(p *pki.PKI) *x509.Certificate { return p.RevokedOCSP.Cert }},
		{name: "subordinate CA revoked by its root's CRL", setup: func(p *pki.PKI) *pki.Leaf {
			p.GovRoot.RevokeInCRL(p.GovSub.Cert, p.Now().Add(-time.Minute))
			return p.Official
		}, check: CheckCRL, reason: ReasonRevoked, which: func(p *pki.PKI) *x509.Certificate { return p.GovSub.Cert }},
		{name: "CRL down, OCSP answers", setup: func(p *pki.PKI) *pki.Leaf {
			p.GovSub.SetCRLMode(pki.CRLDown)
			return p.Official
		}, status: RevocationGood, sources: []string{"ocsp"}},
		{name: "OCSP down, CRL answers", setup: func(p *pki.PKI) *pki.Leaf {
			p.GovSub.SetOCSPMode(pki.OCSPDown)
			return p.Official
		}, status: RevocationGood, sources: []string{"crl"}},
		{name: "both down, fail closed", setup: func(p *pki.PKI) *pki.Leaf {
			p.GovSub.SetCRLMode(pki.CRLDown)
			p.GovSub.SetOCSPMode(pki.OCSPDown)
			return p.Official
		}, check: CheckRevocation, reason: ReasonRevocationUnavailable},
		{name: "both down, fail open", options: func(o *RevocationOptions) { o.FailOpen = true }, setup: func(p *pki.PKI) *pki.Leaf {
			p.GovSub.SetCRLMode(pki.CRLDown)
			p.GovSub.SetOCSPMode(pki.OCSPDown)
			return p.Official
		}, status: RevocationUnchecked},
		{name: "OCSP down, fail open, revoked by CRL", options: func(o *RevocationOptions) { o.FailOpen = true },
			setup: func(p *pki.PKI) *pki.Leaf {
				p.GovSub.SetOCSPMode(pki.OCSPDown)
				return p.RevokedCRL
			}, check: CheckCRL, reason: ReasonRevoked},
		{name: "root's CRL down: the subordinate CA cannot be checked", setup: func(p *pki.PKI) *pki.Leaf {
			p.GovRoot.SetCRLMode(pki.CRLDown)
			return p.Official
		}, check: CheckRevocation, reason: ReasonRevocationUnavailable, which: func(p *pki.PKI) *x509.Certificate { return p.GovSub.Cert }},
		{name: "OCSP signed by a certificate without OCSP signing", options: ocspOnly, setup: func(p *pki.PKI) *pki.Leaf {
			p.GovSub.SetOCSPMode(pki.OCSPUnauthorized)
			return p.Official
		}, check: CheckRevocation, reason: ReasonRevocationUnavailable, which: official},
		{name: "OCSP signed by another CA", options: ocspOnly, setup: func(p *pki.PKI) *pki.Leaf {
			p.GovSub.SetOCSPMode(pki.OCSPForeign)
			return p.Official
		}, check: CheckRevocation, reason: ReasonRevocationUnavailable, which: official},
		{name: "OCSP answer about another CA's certificate", options: ocspOnly, setup: func(p *pki.PKI) *pki.Leaf {
			p.GovSub.SetOCSPMode(pki.OCSPOtherIssuer)
			return p.Official
		}, check: CheckRevocation, reason: ReasonRevocationUnavailable, which: official},
		{name: "OCSP status unknown", options: ocspOnly, setup: func(p *pki.PKI) *pki.Leaf {
			p.GovSub.SetOCSPMode(pki.OCSPUnknown)
			return p.Official
		}, check: CheckRevocation, reason: ReasonRevocationUnavailable, which: official},
		{name: "OCSP answer stale", options: ocspOnly, setup: func(p *pki.PKI) *pki.Leaf {
			p.GovSub.SetOCSPMode(pki.OCSPStale)
			return p.Official
		}, check: CheckRevocation, reason: ReasonRevocationUnavailable, which: official},
		{name: "OCSP only: the subordinate CA, which names only a CRL, is skipped", options: ocspOnly,
			setup: func(p *pki.PKI) *pki.Leaf {
				p.GovRoot.SetCRLMode(pki.CRLDown) // not consulted
				return p.Official
			}, status: RevocationGood, sources: []string{"ocsp"}},
		{name: "CRL stale", options: crlOnly, setup: func(p *pki.PKI) *pki.Leaf {
			p.GovSub.SetCRLMode(pki.CRLStale)
			return p.Official
		}, check: CheckRevocation, reason: ReasonRevocationUnavailable},
		{name: "CRL forged", options: crlOnly, setup: func(p *pki.PKI) *pki.Leaf {
			p.GovSub.SetCRLMode(pki.CRLForged)
			return p.Official
		}, check: CheckRevocation, reason: ReasonRevocationUnavailable},
		{name: "CRL only, good", options: crlOnly, setup: func(p *pki.PKI) *pki.Leaf { return p.Official },
			status: RevocationGood, sources: []string{"crl"}},
		{name: "certificate names no source", setup: func(p *pki.PKI) *pki.Leaf {
			return p.Issue(p.GovSub, "no-urls", pki.LeafSpec{Subject: pkix.Name{CommonName: "Không có URL"}, NoRevocationURLs: true})
		}, check: CheckRevocation, reason: ReasonRevocationUnavailable},
		{name: "revocation turned off", options: func(o *RevocationOptions) { o.CRL, o.OCSP = false, false },
			setup: func(p *pki.PKI) *pki.Leaf { return p.RevokedCRL }, status: RevocationDisabled},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, func(o *Options) {
				if tt.options != nil {
					tt.options(&o.Revocation)
				}
			})
			s := f.chained(t, tt.setup(f.pki))
			r := checkRevocation(s)
			if s.err != nil {
				t.Fatal(s.err)
			}
			wantRefusal(t, r, tt.check, tt.reason)
			if tt.which != nil && !r.Certificate.Equal(tt.which(f.pki)) {
				t.Fatalf("refused certificate %s", r.Certificate.Subject)
			}
			if tt.reason == "" {
				if s.revocation.Status != tt.status {
					t.Fatalf("status %q, want %q (%s)", s.revocation.Status, tt.status, s.revocation)
				}
				if tt.sources != nil && !slices.Equal(s.revocation.Sources, tt.sources) {
					t.Fatalf("sources %v, want %v", s.revocation.Sources, tt.sources)
				}
			}
		})
	}
}

func official(p *pki.PKI) *x509.Certificate { return p.Official.Cert }

func crlOnly(o *RevocationOptions)  { o.OCSP = false }
func ocspOnly(o *RevocationOptions) { o.CRL = false }

func TestCRLCache(t *testing.T) {
	f := newFixture(t, func(o *Options) {
		o.Revocation.OCSP = false
		o.Revocation.CRLRefreshInterval = 15 * time.Minute
	})
	p := f.pki
	check := func(l *pki.Leaf) *Refusal {
		t.Helper()
		s := f.chained(t, l)
		return checkRevocation(s)
	}
	wantRefusal(t, check(p.Official), "", "")
	wantRefusal(t, check(p.OfficialNoID), "", "")
	wantRefusal(t, check(p.RevokedCRL), CheckCRL, ReasonRevoked)
	if n := p.GovSub.CRLRequests.Load(); n != 1 {
		t.Fatalf("the government CA's CRL was downloaded %d times for three checks, want once", n)
	}
	if n := p.GovRoot.CRLRequests.Load(); n != 1 {
		t.Fatalf("the root's CRL was downloaded %d times, want once", n)
	}

	// Far from its nextUpdate, the background refresh leaves the CRL alone.
	f.v.RefreshCRLs(t.Context())
	if n := p.GovSub.CRLRequests.Load(); n != 1 {
		t.Fatalf("refresh far from nextUpdate downloaded again (%d)", n)
	}

	// Within twice the interval of its nextUpdate, the refresh downloads it;
	// a revocation published meanwhile is then seen without a download at login.
	f.now = f.now.Add(pki.CRLValidity - 20*time.Minute)
	p.SetNow(f.now)
	p.GovSub.RevokeInCRL(p.OfficialNoID.Cert, f.now)
	f.v.RefreshCRLs(t.Context())
	if n := p.GovSub.CRLRequests.Load(); n != 2 {
		t.Fatalf("refresh near nextUpdate: %d downloads, want 2", n)
	}
	wantRefusal(t, check(p.OfficialNoID), CheckCRL, ReasonRevoked)
	if n := p.GovSub.CRLRequests.Load(); n != 2 {
		t.Fatalf("a login after the refresh downloaded again (%d)", n)
	}

	// A failed refresh keeps the CRL held until it is due.
	f.now = f.now.Add(pki.CRLValidity - 20*time.Minute)
	p.SetNow(f.now)
	p.GovSub.SetCRLMode(pki.CRLDown)
	f.v.RefreshCRLs(t.Context())
	wantRefusal(t, check(p.Official), "", "")
	// Once due, a CRL that cannot be downloaded again answers no more.
	f.now = f.now.Add(time.Hour)
	wantRefusal(t, check(p.Official), CheckRevocation, ReasonRevocationUnavailable)
	p.GovSub.SetCRLMode(pki.CRLNormal)
	p.SetNow(f.now)
	wantRefusal(t, check(p.Official), "", "")
}

func TestCRLMaxAge(t *testing.T) {
	f := newFixture(t, func(o *Options) {
		o.Revocation.OCSP = false
		o.Revocation.CRLMaxAge = time.Hour
	})
	p := f.pki
	s := f.chained(t, p.Official)
	wantRefusal(t, checkRevocation(s), "", "")
	f.now = f.now.Add(59 * time.Minute)
	wantRefusal(t, checkRevocation(f.chained(t, p.Official)), "", "")
	if n := p.GovSub.CRLRequests.Load(); n != 1 {
		t.Fatalf("%d downloads within max age, want 1", n)
	}
	f.now = f.now.Add(2 * time.Minute)
	wantRefusal(t, checkRevocation(f.chained(t, p.Official)), "", "")
	if n := p.GovSub.CRLRequests.Load(); n != 2 {
		t.Fatalf("%d downloads past max age, want 2", n)
	}
}

func TestOCSPCache(t *testing.T) {
	for _, tt := range []struct {
		name     string
		cacheMax time.Duration
		requests int64
	}{
		{"cached", 5 * time.Minute, 1},
		{"not cached", 0, 3},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, func(o *Options) {
				o.Revocation.CRL = false
				o.Revocation.OCSPCacheMax = tt.cacheMax
			})
			p := f.pki
			for range 3 {
				wantRefusal(t, checkRevocation(f.chained(t, p.Official)), "", "")
			}
			if n := p.GovSub.OCSPRequests.Load(); n != tt.requests {
				t.Fatalf("%d OCSP requests, want %d", n, tt.requests)
			}
		})
	}

	f := newFixture(t, func(o *Options) {
		o.Revocation.CRL = false
		o.Revocation.OCSPCacheMax = 5 * time.Minute
	})
	p := f.pki
	wantRefusal(t, checkRevocation(f.chained(t, p.Official)), "", "")
	p.GovSub.RevokeInOCSP(p.Official.Cert, f.now)
	wantRefusal(t, checkRevocation(f.chained(t, p.Official)), "", "") // the cached good answer
	f.now = f.now.Add(5*time.Minute + time.Second)
	p.SetNow(f.now)
	wantRefusal(t, checkRevocation(f.chained(t, p.Official)), CheckOCSP, ReasonRevoked)
}

func TestRevocationCancelled(t *testing.T) {
	f := newFixture(t, nil)
	s := f.chained(t, f.pki.Official)
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	s.ctx = ctx
	if r := checkRevocation(s); r != nil || s.err == nil {
		t.Fatalf("cancelled check = %v, err %v; want an outage", r, s.err)
	}
}

func TestCRLDownloadedOnceUnderLoad(t *testing.T) {
	f := newFixture(t, func(o *Options) { o.Revocation.OCSP = false })
	p := f.pki
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			v, r, err := f.v.VerifyCertificate(context.Background(), p.Official.Chain())
			if err != nil || r != nil || v == nil {
				t.Errorf("VerifyCertificate: %v, %v", r, err)
			}
		})
	}
	wg.Wait()
	if n := p.GovSub.CRLRequests.Load(); n != 1 {
		t.Fatalf("%d concurrent logins downloaded the CRL %d times, want once", 8, n)
	}
}

// TestCRLScope is the table test of what a CRL may vouch for: its issuing
// distribution point (a partitioned CRL answers only for its partition) and
// its critical extensions (a CRL with one the check does not understand is
// not used).
func TestCRLScope(t *testing.T) {
	unknown := pkix.Extension{Id: []int{1, 3, 6, 1, 4, 1, 99999, 1}, Critical: true, Value: []byte{5, 0}}
	tests := []struct {
		name   string
		setup  func(p *pki.PKI) *pki.Leaf
		check  Check
		reason Reason
		which  func(p *pki.PKI) *x509.Certificate
	}{
		{name: "partition naming the certificate's distribution point", setup: func(p *pki.PKI) *pki.Leaf {
			p.GovSub.SetCRLExtensions(pki.IDP{URLs: []string{"ldap://ldap.example.vn/cn=CRL1", p.GovSub.CRLURL()}}.Extension())
			return p.Official
		}},
		{name: "partition of another distribution point", setup: func(p *pki.PKI) *pki.Leaf {
			p.GovSub.SetCRLExtensions(pki.IDP{URLs: []string{p.GovSub.CRLURL() + "?partition=2"}}.Extension())
			return p.Official
		}, check: CheckRevocation, reason: ReasonRevocationUnavailable, which: official},
		{name: "partition of another distribution point does not revoke either", setup: func(p *pki.PKI) *pki.Leaf {
			p.GovSub.SetCRLExtensions(pki.IDP{URLs: []string{p.GovSub.CRLURL() + "?partition=2"}}.Extension())
			return p.RevokedCRL
		}, check: CheckRevocation, reason: ReasonRevocationUnavailable},
		{name: "distribution point named relative to the CA", setup: func(p *pki.PKI) *pki.Leaf {
			p.GovSub.SetCRLExtensions(pki.IDP{Relative: true}.Extension())
			return p.Official
		}, check: CheckRevocation, reason: ReasonRevocationUnavailable, which: official},
		{name: "CA certificates only, for an end-entity certificate", setup: func(p *pki.PKI) *pki.Leaf {
			p.GovSub.SetCRLExtensions(pki.IDP{OnlyCACerts: true}.Extension())
			return p.Official
		}, check: CheckRevocation, reason: ReasonRevocationUnavailable, which: official},
		{name: "end-entity certificates only, for an end-entity certificate", setup: func(p *pki.PKI) *pki.Leaf {
			p.GovSub.SetCRLExtensions(pki.IDP{URLs: []string{p.GovSub.CRLURL()}, OnlyUserCerts: true}.Extension())
			return p.Official
		}},
		{name: "end-entity certificates only, for a subordinate CA", setup: func(p *pki.PKI) *pki.Leaf {
			p.GovRoot.SetCRLExtensions(pki.IDP{OnlyUserCerts: true}.Extension())
			return p.Official
		}, check: CheckRevocation, reason: ReasonRevocationUnavailable, which: func(p *pki.PKI) *x509.Certificate { return p.GovSub.Cert }},
		{name: "CA certificates only, for a subordinate CA", setup: func(p *pki.PKI) *pki.Leaf {
			p.GovRoot.SetCRLExtensions(pki.IDP{OnlyCACerts: true}.Extension())
			return p.Official
		}},
		{name: "attribute certificates only", setup: func(p *pki.PKI) *pki.Leaf {
			p.GovSub.SetCRLExtensions(pki.IDP{OnlyAttributeCerts: true}.Extension())
			return p.Official
		}, check: CheckRevocation, reason: ReasonRevocationUnavailable, which: official},
		{name: "some reasons only, certificate absent", setup: func(p *pki.PKI) *pki.Leaf {
			p.GovSub.SetCRLExtensions(pki.IDP{OnlySomeReasons: true}.Extension())
			return p.Official
		}, check: CheckRevocation, reason: ReasonRevocationUnavailable, which: official},
		{name: "some reasons only, certificate listed", setup: func(p *pki.PKI) *pki.Leaf {
			p.GovSub.SetCRLExtensions(pki.IDP{OnlySomeReasons: true}.Extension())
			return p.RevokedCRL
		}, check: CheckCRL, reason: ReasonRevoked},
		{name: "indirect CRL", setup: func(p *pki.PKI) *pki.Leaf {
			p.GovSub.SetCRLExtensions(pki.IDP{IndirectCRL: true}.Extension())
			return p.Official
		}, check: CheckRevocation, reason: ReasonRevocationUnavailable, which: official},
		{name: "unknown critical extension", setup: func(p *pki.PKI) *pki.Leaf {
			p.GovSub.SetCRLExtensions(unknown)
			return p.Official
		}, check: CheckRevocation, reason: ReasonRevocationUnavailable, which: official},
		{name: "unknown critical extension does not revoke either", setup: func(p *pki.PKI) *pki.Leaf {
			p.GovSub.SetCRLExtensions(unknown)
			return p.RevokedCRL
		}, check: CheckRevocation, reason: ReasonRevocationUnavailable},
		{name: "unknown non-critical extension", setup: func(p *pki.PKI) *pki.Leaf {
			p.GovSub.SetCRLExtensions(pkix.Extension{Id: unknown.Id, Value: unknown.Value})
			return p.Official
		}},
		{name: "entry with an unknown critical extension", setup: func(p *pki.PKI) *pki.Leaf {
			p.GovSub.SetCRLEntryExtensions(unknown)
			return p.Official
		}, check: CheckRevocation, reason: ReasonRevocationUnavailable, which: official},
		{name: "entry naming its certificate's issuer (indirect)", setup: func(p *pki.PKI) *pki.Leaf {
			p.GovSub.SetCRLEntryExtensions(pkix.Extension{Id: []int{2, 5, 29, 29}, Critical: true, Value: []byte{0x30, 0}})
			return p.Official
		}, check: CheckRevocation, reason: ReasonRevocationUnavailable, which: official},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, func(o *Options) { crlOnly(&o.Revocation) })
			s := f.chained(t, tt.setup(f.pki))
			r := checkRevocation(s)
			if s.err != nil {
				t.Fatal(s.err)
			}
			wantRefusal(t, r, tt.check, tt.reason)
			if tt.which != nil && !r.Certificate.Equal(tt.which(f.pki)) {
				t.Fatalf("refused certificate %s (%s)", r.Certificate.Subject, r.Detail)
			}
			if tt.reason == "" && s.revocation.Status != RevocationGood {
				t.Fatalf("status %s, want good", s.revocation)
			}
		})
	}
}

// TestOCSPCachePruned checks that the OCSP answer cache is bounded and that
// answers past their time are dropped, not kept forever.
func TestOCSPCachePruned(t *testing.T) {
	f := newFixture(t, func(o *Options) {
		o.Revocation.CRL = false
		o.Revocation.OCSPCacheMax = 5 * time.Minute
	})
	f.v.ocsp.maxEntries = 2
	p := f.pki
	for _, l := range []*pki.Leaf{p.Official, p.OfficialNoID, p.Citizen} {
		wantRefusal(t, checkRevocation(f.chained(t, l)), "", "")
		f.now = f.now.Add(time.Second)
	}
	if n := f.v.ocsp.size(); n != 2 {
		t.Fatalf("the cache holds %d answers, bound 2", n)
	}
	// The most recent answer stayed: asking again sends no request.
	before := p.PublicSub.OCSPRequests.Load()
	wantRefusal(t, checkRevocation(f.chained(t, p.Citizen)), "", "")
	if n := p.PublicSub.OCSPRequests.Load(); n != before {
		t.Fatalf("the newest answer was evicted (%d requests, want %d)", n, before)
	}
	// Past their time, the background refresh drops every answer.
	f.now = f.now.Add(6 * time.Minute)
	f.v.RefreshCRLs(t.Context())
	if n := f.v.ocsp.size(); n != 0 {
		t.Fatalf("%d expired answers kept after the refresh", n)
	}
}
