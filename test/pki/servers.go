package pki

import (
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"io"
	"math/big"
	"net/http"
	"strings"
	"time"

	"golang.org/x/crypto/cryptobyte"
	cbasn1 "golang.org/x/crypto/cryptobyte/asn1"
	"golang.org/x/crypto/ocsp"
)

// CRLMode makes a CA's CRL distribution point misbehave.
type CRLMode int

// The CRL modes.
const (
	CRLNormal CRLMode = iota // a CRL valid for a day from the PKI's clock
	CRLDown                  // HTTP 503
	CRLStale                 // a CRL whose nextUpdate has passed
	CRLForged                // a CRL with the CA's name signed by another key
)

// OCSPMode makes a CA's OCSP responder misbehave.
type OCSPMode int

// The OCSP modes.
const (
	OCSPNormal       OCSPMode = iota // answers signed by the delegated responder, or the CA itself
	OCSPDown                         // HTTP 503
	OCSPUnauthorized                 // signed by a certificate of the CA without id-kp-OCSPSigning
	OCSPForeign                      // signed by another CA's key, that CA's certificate attached
	OCSPUnknown                      // status unknown
	OCSPStale                        // nextUpdate has passed
	OCSPOtherIssuer                  // properly signed, but about the same serial under another CA
	OCSPGoodForAll                   // says good even for certificates it has revoked
)

// SetCRLMode changes how the CA's CRL distribution point answers.
func (ca *CA) SetCRLMode(m CRLMode) {
	ca.mu.Lock()
	defer ca.mu.Unlock()
	ca.crlMode = m
}

// SetOCSPMode changes how the CA's OCSP responder answers.
func (ca *CA) SetOCSPMode(m OCSPMode) {
	ca.mu.Lock()
	defer ca.mu.Unlock()
	ca.ocspMode = m
}

// SetCRLExtensions adds exts to the CA's CRLs from now on (none: back to plain CRLs).
func (ca *CA) SetCRLExtensions(exts ...pkix.Extension) {
	ca.mu.Lock()
	defer ca.mu.Unlock()
	ca.crlExts = exts
}

// SetCRLEntryExtensions adds exts to every entry of the CA's CRLs from now on.
func (ca *CA) SetCRLEntryExtensions(exts ...pkix.Extension) {
	ca.mu.Lock()
	defer ca.mu.Unlock()
	ca.crlEntryExt = exts
}

// CRLURL returns the URL of the CA's CRL, the distribution point its certificates name.
func (ca *CA) CRLURL() string { return ca.pki.crlURL(ca) }

// IDP is an Issuing Distribution Point (RFC 5280 §5.2.5), the scope of a
// partitioned CRL, for SetCRLExtensions.
type IDP struct {
	URLs               []string // the distribution point's full name; none leaves the distribution point out
	Relative           bool     // name the distribution point relative to the CA (a RelativeDistinguishedName) instead
	OnlyUserCerts      bool
	OnlyCACerts        bool
	OnlySomeReasons    bool // key compromise only
	IndirectCRL        bool
	OnlyAttributeCerts bool
}

// Extension returns the critical extension, as RFC 5280 requires it.
func (i IDP) Extension() pkix.Extension {
	var b cryptobyte.Builder
	b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
		switch {
		case i.Relative:
			b.AddASN1(cbasn1.Tag(0).Constructed().ContextSpecific(), func(b *cryptobyte.Builder) {
				b.AddASN1(cbasn1.Tag(1).Constructed().ContextSpecific(), func(b *cryptobyte.Builder) {
					b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
						b.AddASN1ObjectIdentifier(oidCommonName)
						b.AddASN1(cbasn1.UTF8String, func(b *cryptobyte.Builder) { b.AddBytes([]byte("CRL1")) })
					})
				})
			})
		case len(i.URLs) > 0:
			b.AddASN1(cbasn1.Tag(0).Constructed().ContextSpecific(), func(b *cryptobyte.Builder) {
				b.AddASN1(cbasn1.Tag(0).Constructed().ContextSpecific(), func(b *cryptobyte.Builder) {
					for _, u := range i.URLs {
						b.AddASN1(cbasn1.Tag(6).ContextSpecific(), func(b *cryptobyte.Builder) { b.AddBytes([]byte(u)) })
					}
				})
			})
		}
		flag := func(n int, v bool) {
			if v {
				b.AddASN1(cbasn1.Tag(n).ContextSpecific(), func(b *cryptobyte.Builder) { b.AddUint8(0xff) })
			}
		}
		flag(1, i.OnlyUserCerts)
		flag(2, i.OnlyCACerts)
		if i.OnlySomeReasons {
			// ReasonFlags with keyCompromise (bit 1) set: 6 unused bits, 0b01000000.
			b.AddASN1(cbasn1.Tag(3).ContextSpecific(), func(b *cryptobyte.Builder) { b.AddBytes([]byte{6, 0x40}) })
		}
		flag(4, i.IndirectCRL)
		flag(5, i.OnlyAttributeCerts)
	})
	return pkix.Extension{Id: asn1.ObjectIdentifier{2, 5, 29, 28}, Critical: true, Value: b.BytesOrPanic()}
}

var oidCommonName = asn1.ObjectIdentifier{2, 5, 4, 3}

// CRLValidity is how long a CRL is valid after it is made.
const CRLValidity = 24 * time.Hour

// OCSPValidity is how long an OCSP answer is valid after it is made.
const OCSPValidity = time.Hour

func (p *PKI) handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /crl/{name}", func(w http.ResponseWriter, r *http.Request) {
		ca := p.cas[strings.TrimSuffix(r.PathValue("name"), ".crl")]
		if ca == nil {
			http.NotFound(w, r)
			return
		}
		ca.CRLRequests.Add(1)
		der, ok := ca.crl()
		if !ok {
			http.Error(w, "unavailable", http.StatusServiceUnavailable)
			return
		}
		w.Header().Set("Content-Type", "application/pkix-crl")
		w.Write(der)
	})
	mux.HandleFunc("POST /ocsp/{name}", func(w http.ResponseWriter, r *http.Request) {
		ca := p.cas[r.PathValue("name")]
		if ca == nil {
			http.NotFound(w, r)
			return
		}
		ca.OCSPRequests.Add(1)
		body, err := io.ReadAll(io.LimitReader(r.Body, 1<<16))
		if err != nil {
			http.Error(w, "bad request", http.StatusBadRequest)
			return
		}
		req, err := ocsp.ParseRequest(body)
		if err != nil {
			w.Header().Set("Content-Type", "application/ocsp-response")
			w.Write(ocsp.MalformedRequestErrorResponse)
			return
		}
		der, ok := ca.ocspAnswer(req)
		if !ok {
			http.Error(w, "unavailable", http.StatusServiceUnavailable)
			return
		}
		w.Header().Set("Content-Type", "application/ocsp-response")
		w.Write(der)
	})
	return mux
}

// crl makes the CA's CRL as its mode says; false means unavailable.
func (ca *CA) crl() ([]byte, bool) {
	now := ca.pki.Now()
	ca.mu.Lock()
	defer ca.mu.Unlock()
	if ca.crlMode == CRLDown {
		return nil, false
	}
	ca.crlNumber++
	list := &x509.RevocationList{Number: big.NewInt(ca.crlNumber), ThisUpdate: now.Add(-time.Hour),
		NextUpdate: now.Add(CRLValidity), ExtraExtensions: ca.crlExts}
	if ca.crlMode == CRLStale {
		list.ThisUpdate, list.NextUpdate = now.Add(-3*CRLValidity), now.Add(-CRLValidity)
	}
	for serial, at := range ca.crlRevoked {
		n, _ := new(big.Int).SetString(serial, 10)
		list.RevokedCertificateEntries = append(list.RevokedCertificateEntries,
			x509.RevocationListEntry{SerialNumber: n, RevocationTime: at, ReasonCode: 1, ExtraExtensions: ca.crlEntryExt})
	}
	issuer, key := ca.Cert, ca.Key
	if ca.crlMode == CRLForged {
		// The CA's name, another key: a certificate that claims to be the CA.
		forger := keyFor(ca.Name+"-forger", keyTypeOf(ca.Key))
		tmpl := *ca.Cert
		tmpl.PublicKey = forger.Public()
		issuer = mustCreate(&tmpl, &tmpl, forger.Public(), forger)
		key = forger
	}
	der, err := x509.CreateRevocationList(rand.Reader, list, issuer, key)
	if err != nil {
		panic("pki: creating a CRL: " + err.Error())
	}
	return der, true
}

// ocspAnswer makes the CA's answer to req as its mode says; false means unavailable.
func (ca *CA) ocspAnswer(req *ocsp.Request) ([]byte, bool) {
	now := ca.pki.Now()
	ca.mu.Lock()
	mode := ca.ocspMode
	revokedAt, revoked := ca.ocspRevoked[req.SerialNumber.String()]
	ca.mu.Unlock()
	if mode == OCSPDown {
		return nil, false
	}
	tmpl := ocsp.Response{Status: ocsp.Good, SerialNumber: req.SerialNumber, ThisUpdate: now.Add(-time.Minute),
		NextUpdate: now.Add(OCSPValidity)}
	if revoked && mode != OCSPGoodForAll {
		tmpl.Status, tmpl.RevokedAt, tmpl.RevocationReason = ocsp.Revoked, revokedAt, ocsp.KeyCompromise
	}
	issuer, responder, key := ca.Cert, ca.Cert, ca.Key
	if ca.responder != nil {
		responder, key = ca.responder, ca.responderKey
		tmpl.Certificate = ca.responder
	}
	switch mode {
	case OCSPUnauthorized:
		responder, key = ca.unauthorized, ca.unauthorizedKey
		tmpl.Certificate = ca.unauthorized
	case OCSPForeign:
		other := ca.pki.RogueSub
		if other == ca {
			other = ca.pki.GovSub
		}
		responder, key = other.Cert, other.Key
		tmpl.Certificate = other.Cert
	case OCSPUnknown:
		tmpl.Status = ocsp.Unknown
	case OCSPStale:
		tmpl.ThisUpdate, tmpl.NextUpdate = now.Add(-3*OCSPValidity), now.Add(-OCSPValidity)
	case OCSPOtherIssuer:
		issuer = ca.pki.RogueSub.Cert
		if ca == ca.pki.RogueSub {
			issuer = ca.pki.GovSub.Cert
		}
	}
	der, err := ocsp.CreateResponse(issuer, responder, tmpl, key)
	if err != nil {
		panic("pki: creating an OCSP response: " + err.Error())
	}
	return der, true
}

func keyTypeOf(k any) KeyType {
	if _, ok := k.(*ecdsa.PrivateKey); ok {
		return ECDSA
	}
	return RSA
}
