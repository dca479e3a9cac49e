package certificate

import (
	"crypto/x509"
	"crypto/x509/pkix"
	"testing"
	"time"

	"github.com/dinhdanh/dinhdanh/test/pki"
)

// TestCheckChain is the table test of validator 3.
func TestCheckChain(t *testing.T) {
	f := newFixture(t, nil)
	p := f.pki
	bare := func(l *pki.Leaf) *state {
		s := f.chainState(l)
		s.extra = nil
		return s
	}
	tests := []struct {
		name   string
		state  *state
		reason Reason
		anchor string
		length int
	}{
		{"government official", f.chainState(p.Official), "", "bcy-g2", 3},
		{"public CA citizen", f.chainState(p.Citizen), "", "neac", 3},
		{"business", f.chainState(p.Business), "", "neac", 3},
		{"expired certificate still chains", f.chainState(p.Expired), "", "bcy-g2", 3},
		{"not yet valid certificate still chains", f.chainState(p.NotYetValid), "", "bcy-g2", 3},
		{"rogue root with the government root's name", f.chainState(p.Untrusted), ReasonUntrusted, "", 0},
		{"intermediate missing", bare(p.Official), ReasonUntrusted, "", 0},
		{"self-signed leaf", func() *state {
			s := f.chainState(p.Official)
			s.leaf, s.extra = p.GovRoot.Cert, nil
			return s
		}(), "", "bcy-g2", 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			check := CheckChain
			if tt.reason == "" {
				check = ""
			}
			wantRefusal(t, checkChain(tt.state), check, tt.reason)
			if tt.reason == "" && (tt.state.anchor != tt.anchor || len(tt.state.chain) != tt.length) {
				t.Fatalf("anchor %q, chain of %d; want %q, %d", tt.state.anchor, len(tt.state.chain), tt.anchor, tt.length)
			}
		})
	}

	// Configured intermediates complete a chain the submission left short.
	v, err := NewVerifier(Options{Anchors: []Anchor{{Name: "bcy-g2", Roots: []*x509.Certificate{p.GovRoot.Cert},
		Intermediates: []*x509.Certificate{p.GovSub.Cert}}}, Now: func() time.Time { return f.now }})
	if err != nil {
		t.Fatal(err)
	}
	s := bare(p.Official)
	s.v = v
	wantRefusal(t, checkChain(s), "", "")
	if s.anchor != "bcy-g2" || len(s.chain) != 3 {
		t.Fatalf("anchor %q, chain of %d", s.anchor, len(s.chain))
	}
}

// TestCheckValidity is the table test of validator 4.
func TestCheckValidity(t *testing.T) {
	f := newFixture(t, nil)
	p := f.pki
	chained := func(l *pki.Leaf) *state {
		s := f.chainState(l)
		if r := checkChain(s); r != nil {
			t.Fatalf("chain: %v", r)
		}
		return s
	}
	tests := []struct {
		name   string
		state  *state
		at     time.Time
		reason Reason
		which  *x509.Certificate
	}{
		{"valid", chained(p.Official), f.now, "", nil},
		{"expired", chained(p.Expired), f.now, ReasonExpired, p.Expired.Cert},
		{"not yet valid", chained(p.NotYetValid), f.now, ReasonNotYetValid, p.NotYetValid.Cert},
		{"at its first second", chained(p.Official), p.Official.Cert.NotBefore, "", nil},
		{"at its last second", chained(p.Official), p.Official.Cert.NotAfter, "", nil},
		{"a second after", chained(p.Official), p.Official.Cert.NotAfter.Add(time.Second), ReasonExpired, p.Official.Cert},
		{"before the sub CA", chained(p.Official), p.GovSub.Cert.NotBefore.Add(-time.Second), ReasonNotYetValid, p.Official.Cert},
		{"after the sub CA, leaf still valid", func() *state {
			s := chained(p.Official)
			sub := *s.chain[1]
			sub.NotAfter = f.now.Add(-time.Hour)
			s.chain = []*x509.Certificate{s.chain[0], &sub, s.chain[2]}
			return s
		}(), f.now, ReasonExpired, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.state.now = tt.at
			r := checkValidity(tt.state)
			check := CheckValidity
			if tt.reason == "" {
				check = ""
			}
			wantRefusal(t, r, check, tt.reason)
			if tt.which != nil && !r.Certificate.Equal(tt.which) {
				t.Fatalf("refused certificate %s, want %s", r.Certificate.Subject, tt.which.Subject)
			}
		})
	}
}

// TestCheckKeyUsage is the table test of validator 5.
func TestCheckKeyUsage(t *testing.T) {
	f := newFixture(t, nil)
	p := f.pki
	issue := func(name string, ku x509.KeyUsage, isCA bool) *pki.Leaf {
		return p.Issue(p.GovSub, name, pki.LeafSpec{Subject: pkix.Name{CommonName: name}, KeyUsage: ku, IsCA: isCA})
	}
	ds := issue("ds-only", x509.KeyUsageDigitalSignature, false)
	nr := issue("nr-only", x509.KeyUsageContentCommitment, false)
	both := p.Official
	tests := []struct {
		name   string
		leaf   *pki.Leaf
		policy KeyUsagePolicy
		ok     bool
	}{
		{"both, policy either", both, KeyUsageEither, true},
		{"digital signature, policy either", ds, KeyUsageEither, true},
		{"non-repudiation, policy either", nr, KeyUsageEither, true},
		{"key encipherment, policy either", p.WrongKeyUsage, KeyUsageEither, false},
		{"digital signature, policy digital_signature", ds, KeyUsageDigitalSignature, true},
		{"non-repudiation, policy digital_signature", nr, KeyUsageDigitalSignature, false},
		{"non-repudiation, policy non_repudiation", nr, KeyUsageNonRepudiation, true},
		{"digital signature, policy non_repudiation", ds, KeyUsageNonRepudiation, false},
		{"both, policy both", both, KeyUsageBoth, true},
		{"digital signature, policy both", ds, KeyUsageBoth, false},
		{"a CA certificate", issue("a-ca", x509.KeyUsageDigitalSignature|x509.KeyUsageCertSign, true), KeyUsageEither, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f.v.opts.KeyUsage = tt.policy
			s := f.chainState(tt.leaf)
			if tt.ok {
				wantRefusal(t, checkKeyUsage(s), "", "")
			} else {
				wantRefusal(t, checkKeyUsage(s), CheckKeyUsage, ReasonKeyUsage)
			}
		})
	}
}
