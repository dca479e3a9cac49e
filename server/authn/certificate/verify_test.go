package certificate

import (
	"context"
	"crypto/x509"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/dinhdanh/dinhdanh/test/pki"
)

// TestVerify runs the whole pipeline over every certificate of the test PKI:
// each refusal comes from its own validator with its own reason.
func TestVerify(t *testing.T) {
	f := newFixture(t, nil)
	p := f.pki
	tests := []struct {
		name   string
		leaf   *pki.Leaf
		check  Check
		reason Reason
	}{
		{"official (government CA)", p.Official, "", ""},
		{"official without ID number", p.OfficialNoID, "", ""},
		{"citizen (public CA)", p.Citizen, "", ""},
		{"business", p.Business, "", ""},
		{"expired", p.Expired, CheckValidity, ReasonExpired},
		{"not yet valid", p.NotYetValid, CheckValidity, ReasonNotYetValid},
		{"wrong key usage", p.WrongKeyUsage, CheckKeyUsage, ReasonKeyUsage},
		{"revoked by CRL", p.RevokedCRL, CheckCRL, ReasonRevoked},
		{"revoked by OCSP", p.RevokedOCSP, CheckOCSP, ReasonRevoked},
		{"untrusted", p.Untrusted, CheckChain, ReasonUntrusted},
	}
	for _, tt := range tests {
		for _, form := range []struct {
			name string
			sub  func(l *pki.Leaf, ch *Challenge) Submission
		}{
			{"CMS", func(l *pki.Leaf, ch *Challenge) Submission { return cms(l, []byte(ch.Value), pki.CMSOptions{}) }},
			{"bare", func(l *pki.Leaf, ch *Challenge) Submission {
				alg := "RS256"
				if l.Issuer == p.PublicSub {
					alg = "ES256"
				}
				return raw(l, []byte(ch.Value), alg)
			}},
		} {
			t.Run(tt.name+"/"+form.name, func(t *testing.T) {
				ch := f.challenge()
				v, r, err := f.v.Verify(t.Context(), ch, form.sub(tt.leaf, ch))
				if err != nil {
					t.Fatal(err)
				}
				wantRefusal(t, r, tt.check, tt.reason)
				if r != nil {
					if r.Certificate == nil || !r.Certificate.Equal(tt.leaf.Cert) {
						t.Fatalf("the refusal names %v, want the signer's certificate", r.Certificate)
					}
					if !errors.Is(r, &Refusal{Reason: tt.reason}) || r.MessageKey() != "error."+string(tt.reason) {
						t.Fatalf("errors.Is / MessageKey do not name %s", tt.reason)
					}
					if d := r.AuditDetails(); d["reason"] != string(tt.reason) || d["certificate_check"] != string(tt.check) ||
						d["certificate_serial"] != SerialKey(tt.leaf.Cert) || d["certificate_subject"] == "" || d["certificate_issuer"] == "" {
						t.Fatalf("refusal audit details %v", d)
					}
					return
				}
				if acr, amr := v.Assurance(); acr != "LoA3" || !slices.Contains(amr, "sc") || !slices.Contains(amr, "hwk") {
					t.Fatalf("assurance %s %v", acr, amr)
				}
				if !v.Certificate.Equal(tt.leaf.Cert) || len(v.Chain) != 3 || v.Revocation.Status != RevocationGood {
					t.Fatalf("verified %+v", v)
				}
				d := v.AuditDetails()
				if d["certificate_subject"] != tt.leaf.Cert.Subject.String() || d["certificate_issuer"] != tt.leaf.Cert.Issuer.String() ||
					d["certificate_serial"] != SerialKey(tt.leaf.Cert) || d["certificate_fingerprint"] != Fingerprint(tt.leaf.Cert) ||
					d["certificate_anchor"] == "" || !strings.HasPrefix(d["certificate_revocation"], "good (") {
					t.Fatalf("audit details %v", d)
				}
			})
		}
	}
}

// TestVerifyWithStoredChallenge drives the flow as the login handler does:
// issue, sign, consume, verify; then the replay, a signature over another
// value and a certificate swapped after signing.
func TestVerifyWithStoredChallenge(t *testing.T) {
	f := newFixture(t, nil)
	p := f.pki
	db := openStore(t)
	challenges := &Challenges{Store: db}
	ctx := t.Context()
	login := func(flow string, sign func(ch *Challenge) Submission) (*Verified, *Refusal) {
		t.Helper()
		issued, err := challenges.Issue(ctx, flow, PurposeLogin)
		if err != nil {
			t.Fatal(err)
		}
		sub := sign(issued)
		ch, err := challenges.Consume(ctx, flow, PurposeLogin)
		if err != nil && !errors.Is(err, ErrNoChallenge) {
			t.Fatal(err)
		}
		v, r, err := f.v.Verify(ctx, ch, sub)
		if err != nil {
			t.Fatal(err)
		}
		return v, r
	}

	// The person signs and posts once: verified. Posting the same again is a replay.
	issued, _ := challenges.Issue(ctx, "flow-1", PurposeLogin)
	sub := cms(p.Official, []byte(issued.Value), pki.CMSOptions{})
	ch, err := challenges.Consume(ctx, "flow-1", PurposeLogin)
	if err != nil {
		t.Fatal(err)
	}
	if _, r, err := f.v.Verify(ctx, ch, sub); r != nil || err != nil {
		t.Fatalf("first post: %v, %v", r, err)
	}
	ch, err = challenges.Consume(ctx, "flow-1", PurposeLogin)
	if !errors.Is(err, ErrNoChallenge) {
		t.Fatalf("second Consume = %v", err)
	}
	_, r, _ := f.v.Verify(ctx, ch, sub)
	wantRefusal(t, r, CheckChallenge, ReasonChallengeUnknown)

	// A signature made for another flow's challenge.
	otherFlow, _ := challenges.Issue(ctx, "flow-other", PurposeLogin)
	_, r = login("flow-2", func(*Challenge) Submission { return cms(p.Official, []byte(otherFlow.Value), pki.CMSOptions{}) })
	wantRefusal(t, r, CheckChallenge, ReasonChallengeMismatch)
	_, r = login("flow-3", func(*Challenge) Submission {
		return cms(p.Official, []byte(otherFlow.Value), pki.CMSOptions{Detached: true})
	})
	wantRefusal(t, r, CheckSignature, ReasonSignatureInvalid)
	_, r = login("flow-4", func(*Challenge) Submission { return raw(p.Official, []byte(otherFlow.Value), "RS256") })
	wantRefusal(t, r, CheckSignature, ReasonSignatureInvalid)

	// A binding challenge does not log in.
	_, r = login("flow-5", func(*Challenge) Submission {
		bind, _ := challenges.Issue(ctx, "flow-5", PurposeBind)
		return cms(p.Official, []byte(bind.Value), pki.CMSOptions{})
	})
	wantRefusal(t, r, CheckChallenge, ReasonChallengeMismatch)

	// The certificate swapped after signing: a valid, trusted certificate of
	// someone else replaces the signer's.
	_, r = login("flow-6", func(ch *Challenge) Submission {
		return cms(p.Official, []byte(ch.Value), pki.CMSOptions{Signer: p.OfficialNoID.Cert, Certificates: p.OfficialNoID.Chain()})
	})
	wantRefusal(t, r, CheckSignature, ReasonSignatureInvalid)
	_, r = login("flow-7", func(ch *Challenge) Submission {
		s := raw(p.Official, []byte(ch.Value), "RS256")
		s.Certificates = p.OfficialNoID.ChainDER()
		return s
	})
	wantRefusal(t, r, CheckSignature, ReasonSignatureInvalid)

	// The right signature, in every form, logs in.
	for i, sign := range []func(ch *Challenge) Submission{
		func(ch *Challenge) Submission {
			return cms(p.Official, []byte(ch.Value), pki.CMSOptions{Detached: true})
		},
		func(ch *Challenge) Submission { return cms(p.Official, []byte(ch.Value), pki.CMSOptions{BER: true}) },
		func(ch *Challenge) Submission { return raw(p.Official, []byte(ch.Value), "PS256") },
	} {
		if v, r := login("flow-ok-"+string(rune('a'+i)), sign); r != nil || v == nil {
			t.Fatalf("form %d: %v", i, r)
		}
	}
}

func TestVerifyCertificate(t *testing.T) {
	f := newFixture(t, nil)
	p := f.pki
	if _, r, err := f.v.VerifyCertificate(t.Context(), nil); err != nil || r == nil {
		t.Fatalf("no certificate: %v, %v", r, err)
	}
	v, r, err := f.v.VerifyCertificate(t.Context(), p.Business.Chain())
	if err != nil || r != nil {
		t.Fatalf("business: %v, %v", r, err)
	}
	if v.Anchor != "neac" || v.Identifiers.TaxCode != pki.BusinessTaxCode {
		t.Fatalf("verified %+v", v)
	}
	_, r, _ = f.v.VerifyCertificate(t.Context(), p.RevokedOCSP.Chain())
	wantRefusal(t, r, CheckOCSP, ReasonRevoked)

	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, r, err := f.v.VerifyCertificate(ctx, p.Official.Chain()); err == nil || r != nil {
		t.Fatalf("cancelled: %v, %v; want an error", r, err)
	}
}

func TestNewVerifier(t *testing.T) {
	if _, err := NewVerifier(Options{}); err == nil {
		t.Fatal("a verifier without anchors")
	}
	p := pki.New(t)
	if _, err := NewVerifier(Options{Anchors: []Anchor{{Name: "x"}}}); err == nil {
		t.Fatal("an anchor without roots")
	}
	if _, err := NewVerifier(Options{Anchors: []Anchor{{Name: "x", Roots: []*x509.Certificate{p.GovRoot.Cert}}}, KeyUsage: "any"}); err == nil {
		t.Fatal("an unknown key-usage policy")
	}
}

// TestRefusalDetailCarriesNoSubject checks that the detail of a refusal,
// which goes to the process log, names the certificate without its subject:
// no personal ID, no e-mail address.
func TestRefusalDetailCarriesNoSubject(t *testing.T) {
	f := newFixture(t, nil)
	p := f.pki
	for _, l := range []*pki.Leaf{p.RevokedCRL, p.RevokedOCSP, p.Expired, p.WrongKeyUsage, p.Untrusted} {
		_, r, err := f.v.VerifyCertificate(t.Context(), l.Chain())
		if err != nil || r == nil {
			t.Fatalf("%s: refusal %v, err %v; want a refusal", l.Name, r, err)
		}
		for _, private := range []string{"001085000111", "001185000222", pki.OfficialPersonalID, pki.OfficialEmail,
			l.Cert.Subject.CommonName} {
			if strings.Contains(r.Error(), private) {
				t.Errorf("%s: the refusal shows %q: %s", l.Name, private, r.Error())
			}
		}
	}
}
