package pki

import (
	"bytes"
	"crypto/x509"
	"io"
	"net/http"
	"testing"
	"time"

	"golang.org/x/crypto/ocsp"
)

func TestPKI(t *testing.T) {
	p := New(t)
	if got := p.GovRoot.Cert.Subject.CommonName; got != "RootCA chuyên dùng Chính phủ G2" {
		t.Errorf("government root %q", got)
	}
	if got := p.GovSub.Cert.Subject.CommonName; got != "CA phục vụ các cơ quan Nhà nước G2" {
		t.Errorf("government subordinate %q", got)
	}
	if !bytes.Equal(p.RogueRoot.Cert.RawSubject, p.GovRoot.Cert.RawSubject) || p.RogueRoot.Cert.Equal(p.GovRoot.Cert) {
		t.Error("the rogue root must carry the government root's name and another key")
	}
	roots := x509.NewCertPool()
	roots.AddCert(p.GovRoot.Cert)
	roots.AddCert(p.PublicRoot.Cert)
	for _, l := range []*Leaf{p.Official, p.OfficialNoID, p.Citizen, p.Business, p.BusinessBranch, p.WrongKeyUsage, p.RevokedCRL, p.RevokedOCSP} {
		inter := x509.NewCertPool()
		for _, c := range l.Chain()[1:] {
			inter.AddCert(c)
		}
		if _, err := l.Cert.Verify(x509.VerifyOptions{Roots: roots, Intermediates: inter, CurrentTime: p.Now(),
			KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageAny}}); err != nil {
			t.Errorf("%s: %v", l.Name, err)
		}
	}
	if !p.Expired.Cert.NotAfter.Before(p.Now()) || !p.NotYetValid.Cert.NotBefore.After(p.Now()) {
		t.Error("expired and not-yet-valid certificates are not so")
	}

	// The CRL lists the revoked certificate.
	resp, err := http.Get(p.Official.Cert.CRLDistributionPoints[0])
	if err != nil {
		t.Fatal(err)
	}
	der, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	crl, err := x509.ParseRevocationList(der)
	if err != nil || crl.CheckSignatureFrom(p.GovSub.Cert) != nil {
		t.Fatalf("CRL: %v", err)
	}
	if len(crl.RevokedCertificateEntries) != 1 || crl.RevokedCertificateEntries[0].SerialNumber.Cmp(p.RevokedCRL.Cert.SerialNumber) != 0 {
		t.Fatalf("CRL lists %d certificates", len(crl.RevokedCertificateEntries))
	}
	if !crl.NextUpdate.Equal(p.Now().Add(CRLValidity)) {
		t.Fatalf("CRL nextUpdate %s", crl.NextUpdate)
	}

	// The OCSP responder reports the revoked certificate, signed by its delegated responder.
	ask := func(l *Leaf) *ocsp.Response {
		req, _ := ocsp.CreateRequest(l.Cert, l.Issuer.Cert, nil)
		resp, err := http.Post(l.Cert.OCSPServer[0], "application/ocsp-request", bytes.NewReader(req))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		r, err := ocsp.ParseResponseForCert(body, l.Cert, l.Issuer.Cert)
		if err != nil {
			t.Fatalf("%s: %v", l.Name, err)
		}
		return r
	}
	if r := ask(p.RevokedOCSP); r.Status != ocsp.Revoked || r.Certificate == nil {
		t.Fatalf("revoked-ocsp: status %d", r.Status)
	}
	if r := ask(p.Official); r.Status != ocsp.Good {
		t.Fatalf("official: status %d", r.Status)
	}
	if r := ask(p.Citizen); r.Status != ocsp.Good || r.Certificate != nil {
		t.Fatal("the public CA must sign its answers itself")
	}
	if n := p.GovSub.OCSPRequests.Load(); n != 2 {
		t.Fatalf("%d OCSP requests counted", n)
	}
	p.SetNow(p.Now().Add(time.Hour))
	if r := ask(p.Official); !r.ThisUpdate.Equal(p.Now().Add(-time.Minute)) {
		t.Fatalf("an answer made after SetNow is dated %s", r.ThisUpdate)
	}
}
