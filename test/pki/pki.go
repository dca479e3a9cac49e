package pki

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/pem"
	"math/big"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// KeyType is the kind of key of a CA or leaf.
type KeyType string

// The key types.
const (
	RSA   KeyType = "rsa"
	ECDSA KeyType = "ecdsa"
)

// keys holds the keys generated so far in this test binary, by name.
var keys sync.Map

// keyFor returns the key named name, generating it on first use.
func keyFor(name string, kt KeyType) crypto.Signer {
	if k, ok := keys.Load(name); ok {
		return k.(crypto.Signer)
	}
	var k crypto.Signer
	var err error
	switch kt {
	case ECDSA:
		k, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	default:
		k, err = rsa.GenerateKey(rand.Reader, 2048)
	}
	if err != nil {
		panic("pki: generating a key: " + err.Error())
	}
	actual, _ := keys.LoadOrStore(name, k)
	return actual.(crypto.Signer)
}

// CA is a certificate authority of the test PKI.
type CA struct {
	// Name is the CA's short name, used in URLs.
	Name string
	Cert *x509.Certificate
	Key  crypto.Signer
	// Parent is the CA that issued this one; nil for a root.
	Parent *CA

	// responder is the delegated OCSP responder; nil means the CA signs its answers itself.
	responder    *x509.Certificate
	responderKey crypto.Signer
	// unauthorized is a responder certificate without id-kp-OCSPSigning.
	unauthorized    *x509.Certificate
	unauthorizedKey crypto.Signer

	pki         *PKI
	mu          sync.Mutex
	crlRevoked  map[string]time.Time
	ocspRevoked map[string]time.Time
	crlMode     CRLMode
	ocspMode    OCSPMode
	crlNumber   int64
	crlExts     []pkix.Extension // added to every CRL
	crlEntryExt []pkix.Extension // added to every entry of the CRL
	// CRLRequests and OCSPRequests count the requests the server answered for this CA.
	CRLRequests  atomic.Int64
	OCSPRequests atomic.Int64
}

// Leaf is an end-entity certificate with its key.
type Leaf struct {
	Name   string
	Cert   *x509.Certificate
	Key    crypto.Signer
	Issuer *CA
}

// Chain returns the leaf and the subordinate CAs above it, without the root.
func (l *Leaf) Chain() []*x509.Certificate {
	out := []*x509.Certificate{l.Cert}
	for ca := l.Issuer; ca != nil && ca.Parent != nil; ca = ca.Parent {
		out = append(out, ca.Cert)
	}
	return out
}

// ChainDER returns Chain as DER.
func (l *Leaf) ChainDER() [][]byte {
	var out [][]byte
	for _, c := range l.Chain() {
		out = append(out, c.Raw)
	}
	return out
}

// PKI is one test's public-key infrastructure.
type PKI struct {
	// Server publishes CRLs at /crl/<ca>.crl and answers OCSP at /ocsp/<ca>.
	Server *httptest.Server

	GovRoot, GovSub       *CA // Ban Cơ yếu Chính phủ (RSA)
	PublicRoot, PublicSub *CA // Vietnam National Root CA and a public CA (ECDSA)
	RogueRoot, RogueSub   *CA // the government root's name with another key

	Official       *Leaf // an official with "CCCD:001089012345" (government CA)
	OfficialNoID   *Leaf // an official with only an e-mail address (government CA)
	Citizen        *Leaf // a citizen with "CMND:" carrying twelve digits (public CA)
	Business       *Leaf // a business, "MST:0301519977" (public CA)
	BusinessBranch *Leaf // a branch, "MST:0301519977-029" (public CA)
	Expired        *Leaf
	NotYetValid    *Leaf
	WrongKeyUsage  *Leaf // key encipherment only
	RevokedCRL     *Leaf // listed in the government CA's CRL
	RevokedOCSP    *Leaf // reported revoked by OCSP, not in the CRL
	Untrusted      *Leaf // under the rogue root

	mu     sync.Mutex
	now    time.Time
	serial atomic.Int64
	cas    map[string]*CA
}

// Identities of the leaves, for assertions.
const (
	OfficialPersonalID = "001089012345"
	OfficialEmail      = "an.nv@sotttt.example.gov.vn"
	OfficialNoIDEmail  = "binh.tt@sotttt.example.gov.vn"
	CitizenPersonalID  = "079190004567"
	BusinessTaxCode    = "0301519977"
	BranchTaxCode      = "0301519977-029"
	BusinessName       = "Công ty Cổ phần Sen Vàng"
)

var oidUID = asn1.ObjectIdentifier{0, 9, 2342, 19200300, 100, 1, 1}

// New builds the PKI and starts its server, closed when the test ends.
func New(t testing.TB) *PKI {
	t.Helper()
	p := &PKI{now: time.Now().UTC().Truncate(time.Second), cas: map[string]*CA{}}
	p.serial.Store(0x1000)
	p.Server = httptest.NewServer(p.handler())
	t.Cleanup(p.Server.Close)

	p.GovRoot = p.NewRootCA("gov-root", RSA, pkix.Name{Country: []string{"VN"}, Organization: []string{"Ban Cơ yếu Chính phủ"},
		CommonName: "RootCA chuyên dùng Chính phủ G2"})
	p.GovSub = p.NewSubCA(p.GovRoot, "gov-sub", RSA, pkix.Name{Country: []string{"VN"}, Organization: []string{"Ban Cơ yếu Chính phủ"},
		CommonName: "CA phục vụ các cơ quan Nhà nước G2"}, true)
	p.PublicRoot = p.NewRootCA("public-root", ECDSA, pkix.Name{Country: []string{"VN"},
		Organization: []string{"Trung tâm Chứng thực điện tử quốc gia"}, CommonName: "Vietnam National Root CA"})
	p.PublicSub = p.NewSubCA(p.PublicRoot, "public-sub", ECDSA, pkix.Name{Country: []string{"VN"},
		Organization: []string{"Tổng công ty Dịch vụ Viễn thông"}, CommonName: "Dịch vụ chứng thực chữ ký số công cộng VNPT-CA"}, false)
	p.RogueRoot = p.NewRootCA("rogue-root", RSA, p.GovRoot.Cert.Subject)
	p.RogueSub = p.NewSubCA(p.RogueRoot, "rogue-sub", RSA, p.GovSub.Cert.Subject, false)

	official := func(cn, email string, uids ...string) LeafSpec {
		return LeafSpec{Subject: subject(cn, "Sở Thông tin và Truyền thông tỉnh", uids...), Emails: []string{email}}
	}
	p.Official = p.Issue(p.GovSub, "official", official("Nguyễn Văn An", OfficialEmail, "CCCD:"+OfficialPersonalID))
	p.OfficialNoID = p.Issue(p.GovSub, "official-noid", official("Trần Thị Bình", OfficialNoIDEmail))
	p.Citizen = p.Issue(p.PublicSub, "citizen", LeafSpec{Subject: subject("Lê Thị Cúc", "", "CMND:"+CitizenPersonalID)})
	p.Business = p.Issue(p.PublicSub, "business", LeafSpec{Subject: subject(BusinessName, BusinessName, "MST:"+BusinessTaxCode)})
	p.BusinessBranch = p.Issue(p.PublicSub, "business-branch", LeafSpec{Subject: subject("Chi nhánh Đà Nẵng - "+BusinessName,
		BusinessName, "MST:"+BranchTaxCode)})
	p.Expired = p.Issue(p.GovSub, "expired", LeafSpec{Subject: subject("Phạm Văn Đức", "Sở Nội vụ"),
		NotBefore: p.now.AddDate(-2, 0, 0), NotAfter: p.now.AddDate(0, 0, -1)})
	p.NotYetValid = p.Issue(p.GovSub, "not-yet-valid", LeafSpec{Subject: subject("Hoàng Thị Én", "Sở Nội vụ"),
		NotBefore: p.now.AddDate(0, 0, 1), NotAfter: p.now.AddDate(2, 0, 0)})
	p.WrongKeyUsage = p.Issue(p.GovSub, "wrong-key-usage", LeafSpec{Subject: subject("Vũ Văn Giang", "Sở Tài chính"),
		KeyUsage: x509.KeyUsageKeyEncipherment})
	p.RevokedCRL = p.Issue(p.GovSub, "revoked-crl", LeafSpec{Subject: subject("Đỗ Văn Hùng", "Sở Tài chính", "CCCD:001085000111")})
	p.GovSub.RevokeInCRL(p.RevokedCRL.Cert, p.now.Add(-time.Hour))
	p.RevokedOCSP = p.Issue(p.GovSub, "revoked-ocsp", LeafSpec{Subject: subject("Bùi Thị Lan", "Sở Y tế", "CCCD:001185000222")})
	p.GovSub.RevokeInOCSP(p.RevokedOCSP.Cert, p.now.Add(-time.Hour))
	p.Untrusted = p.Issue(p.RogueSub, "untrusted", official("Nguyễn Văn An", OfficialEmail, "CCCD:"+OfficialPersonalID))
	return p
}

// subject returns a Vietnamese subject name; each uid becomes a UID attribute (UTF8String).
func subject(cn, org string, uids ...string) pkix.Name {
	n := pkix.Name{Country: []string{"VN"}, Province: []string{"Thừa Thiên Huế"}, CommonName: cn}
	if org != "" {
		n.Organization = []string{org}
	}
	for _, u := range uids {
		n.ExtraNames = append(n.ExtraNames, pkix.AttributeTypeAndValue{Type: oidUID, Value: u})
	}
	return n
}

// Now returns the PKI's clock.
func (p *PKI) Now() time.Time {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.now
}

// SetNow moves the PKI's clock: CRLs and OCSP answers made afterwards are
// dated from t.
func (p *PKI) SetNow(t time.Time) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.now = t
}

func (p *PKI) nextSerial() *big.Int {
	return big.NewInt(p.serial.Add(1) * 7919)
}

func (p *PKI) crlURL(ca *CA) string  { return p.Server.URL + "/crl/" + ca.Name + ".crl" }
func (p *PKI) ocspURL(ca *CA) string { return p.Server.URL + "/ocsp/" + ca.Name }

func (p *PKI) newCA(name string, kt KeyType, parent *CA, sub pkix.Name) *CA {
	ca := &CA{Name: name, Parent: parent, pki: p, crlRevoked: map[string]time.Time{}, ocspRevoked: map[string]time.Time{}}
	ca.Key = keyFor(name, kt)
	p.cas[name] = ca
	return ca
}

// NewRootCA creates a self-signed root CA.
func (p *PKI) NewRootCA(name string, kt KeyType, sub pkix.Name) *CA {
	ca := p.newCA(name, kt, nil, sub)
	tmpl := &x509.Certificate{SerialNumber: p.nextSerial(), Subject: sub, NotBefore: p.now.AddDate(-5, 0, 0),
		NotAfter: p.now.AddDate(15, 0, 0), IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageCRLSign, SubjectKeyId: keyID(ca.Key.Public())}
	ca.Cert = mustCreate(tmpl, tmpl, ca.Key.Public(), ca.Key)
	return ca
}

// NewSubCA creates a subordinate CA under parent, with a CRL distribution
// point at the parent's CRL. With delegated, its OCSP answers are signed by
// a responder certificate it issues; otherwise by the CA itself.
func (p *PKI) NewSubCA(parent *CA, name string, kt KeyType, sub pkix.Name, delegated bool) *CA {
	ca := p.newCA(name, kt, parent, sub)
	tmpl := &x509.Certificate{SerialNumber: p.nextSerial(), Subject: sub, NotBefore: p.now.AddDate(-3, 0, 0),
		NotAfter: p.now.AddDate(10, 0, 0), IsCA: true, BasicConstraintsValid: true, MaxPathLenZero: true,
		KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageCRLSign, SubjectKeyId: keyID(ca.Key.Public()),
		CRLDistributionPoints: []string{p.crlURL(parent)}}
	ca.Cert = mustCreate(tmpl, parent.Cert, ca.Key.Public(), parent.Key)
	responder := func(keyName string, eku []x509.ExtKeyUsage) (*x509.Certificate, crypto.Signer) {
		k := keyFor(keyName, kt)
		t := &x509.Certificate{SerialNumber: p.nextSerial(), Subject: pkix.Name{Country: []string{"VN"},
			Organization: sub.Organization, CommonName: "OCSP " + sub.CommonName}, NotBefore: p.now.AddDate(0, -1, 0),
			NotAfter: p.now.AddDate(1, 0, 0), KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: eku}
		return mustCreate(t, ca.Cert, k.Public(), ca.Key), k
	}
	if delegated {
		ca.responder, ca.responderKey = responder(name+"-ocsp", []x509.ExtKeyUsage{x509.ExtKeyUsageOCSPSigning})
	}
	ca.unauthorized, ca.unauthorizedKey = responder(name+"-not-ocsp", []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth})
	return ca
}

// LeafSpec describes a leaf certificate. Zero fields take the defaults of
// a signing certificate on a USB token: valid from 30 days ago for two years,
// digital signature and non-repudiation, client authentication and e-mail
// protection, the issuer's CRL and OCSP URLs.
type LeafSpec struct {
	Subject   pkix.Name
	Emails    []string
	NotBefore time.Time
	NotAfter  time.Time
	KeyUsage  x509.KeyUsage
	KeyType   KeyType // "" means the issuer's key type
	IsCA      bool
	// NoRevocationURLs leaves the CRL distribution point and OCSP server out.
	NoRevocationURLs bool
	// CRLURL and OCSPURL, when set, replace the issuer's CRL and OCSP URLs.
	CRLURL, OCSPURL string
}

// Issue issues a leaf certificate named name (the key name too) from ca.
func (p *PKI) Issue(ca *CA, name string, spec LeafSpec) *Leaf {
	kt := spec.KeyType
	if kt == "" {
		kt = RSA
		if _, ok := ca.Key.(*ecdsa.PrivateKey); ok {
			kt = ECDSA
		}
	}
	k := keyFor(name, kt)
	if spec.NotBefore.IsZero() {
		spec.NotBefore = p.now.AddDate(0, 0, -30)
	}
	if spec.NotAfter.IsZero() {
		spec.NotAfter = p.now.AddDate(2, 0, 0)
	}
	if spec.KeyUsage == 0 {
		spec.KeyUsage = x509.KeyUsageDigitalSignature | x509.KeyUsageContentCommitment
	}
	tmpl := &x509.Certificate{SerialNumber: p.nextSerial(), Subject: spec.Subject, EmailAddresses: spec.Emails,
		NotBefore: spec.NotBefore, NotAfter: spec.NotAfter, KeyUsage: spec.KeyUsage,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth, x509.ExtKeyUsageEmailProtection},
		SubjectKeyId: keyID(k.Public()), BasicConstraintsValid: true, IsCA: spec.IsCA}
	if !spec.NoRevocationURLs {
		tmpl.CRLDistributionPoints = []string{p.crlURL(ca)}
		tmpl.OCSPServer = []string{p.ocspURL(ca)}
		if spec.CRLURL != "" {
			tmpl.CRLDistributionPoints = []string{spec.CRLURL}
		}
		if spec.OCSPURL != "" {
			tmpl.OCSPServer = []string{spec.OCSPURL}
		}
	}
	return &Leaf{Name: name, Cert: mustCreate(tmpl, ca.Cert, k.Public(), ca.Key), Key: k, Issuer: ca}
}

// RevokeInCRL lists the certificate in the CA's CRL from now on.
func (ca *CA) RevokeInCRL(c *x509.Certificate, at time.Time) {
	ca.mu.Lock()
	defer ca.mu.Unlock()
	ca.crlRevoked[c.SerialNumber.String()] = at
}

// RevokeInOCSP makes the CA's OCSP responder report the certificate revoked.
func (ca *CA) RevokeInOCSP(c *x509.Certificate, at time.Time) {
	ca.mu.Lock()
	defer ca.mu.Unlock()
	ca.ocspRevoked[c.SerialNumber.String()] = at
}

// CertPEM returns the certificates in PEM.
func CertPEM(certs ...*x509.Certificate) []byte {
	var out []byte
	for _, c := range certs {
		out = append(out, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Raw})...)
	}
	return out
}

func mustCreate(tmpl, parent *x509.Certificate, pub crypto.PublicKey, priv crypto.Signer) *x509.Certificate {
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, pub, priv)
	if err != nil {
		panic("pki: creating a certificate: " + err.Error())
	}
	c, err := x509.ParseCertificate(der)
	if err != nil {
		panic("pki: parsing a certificate: " + err.Error())
	}
	return c
}

// keyID is the SHA-1 of the public key's DER, the usual subject key identifier.
func keyID(pub crypto.PublicKey) []byte {
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		panic(err)
	}
	sum := sha1.Sum(der)
	return sum[:]
}
