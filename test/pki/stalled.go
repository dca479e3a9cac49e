package pki

import (
	"crypto/x509"
	"net"
	"sync"
	"sync/atomic"
	"testing"
)

// Stalled is a TCP listener on a loopback port that accepts every
// connection and never answers: a CRL distribution point or an OCSP
// responder that hangs. Connections are closed when the test ends.
type Stalled struct {
	// URL is http://127.0.0.1:<port>, the base of the URLs certificates name.
	URL string
	// Accepted counts the connections accepted so far.
	Accepted atomic.Int64

	ln    net.Listener
	mu    sync.Mutex
	conns []net.Conn
}

// NewStalled starts a stalled listener, closed when the test ends.
func NewStalled(t testing.TB) *Stalled {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &Stalled{URL: "http://" + ln.Addr().String(), ln: ln}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			s.Accepted.Add(1)
			s.mu.Lock()
			s.conns = append(s.conns, c) // held open, never read or written
			s.mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		s.mu.Lock()
		defer s.mu.Unlock()
		for _, c := range s.conns {
			c.Close()
		}
	})
	return s
}

// StalledChain issues a two-level chain under the government root whose
// every revocation source is at stalled: a subordinate CA named name (its
// CRL distribution point <stalled>/crl/gov-root.crl) and, from it, a leaf
// for the official of OfficialPersonalID (CRL <stalled>/crl/<name>.crl,
// OCSP <stalled>/ocsp/<name>). The leaf's Chain carries the subordinate CA,
// as the signing software sends it.
func (p *PKI) StalledChain(name string, stalled *Stalled) *Leaf {
	sub := p.GovSub.Cert.Subject
	sub.CommonName += " (" + name + ")"
	ca := p.newCA(name, ECDSA, p.GovRoot, sub) // ECDSA: no slow RSA key generation
	tmpl := &x509.Certificate{SerialNumber: p.nextSerial(), Subject: sub, NotBefore: p.now.AddDate(-3, 0, 0),
		NotAfter: p.now.AddDate(10, 0, 0), IsCA: true, BasicConstraintsValid: true, MaxPathLenZero: true,
		KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageCRLSign, SubjectKeyId: keyID(ca.Key.Public()),
		CRLDistributionPoints: []string{stalled.URL + "/crl/gov-root.crl"}}
	ca.Cert = mustCreate(tmpl, p.GovRoot.Cert, ca.Key.Public(), p.GovRoot.Key)
	return p.Issue(ca, name+"-official", LeafSpec{Subject: subject("Nguyễn Văn An", "Sở Thông tin và Truyền thông tỉnh",
		"CCCD:"+OfficialPersonalID), Emails: []string{OfficialEmail},
		CRLURL: stalled.URL + "/crl/" + name + ".crl", OCSPURL: stalled.URL + "/ocsp/" + name})
}
