package pki

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"math/big"
	"time"
)

var (
	oidData              = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 7, 1}
	oidSignedData        = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 7, 2}
	oidAttrContentType   = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 3}
	oidAttrMessageDigest = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 4}
	oidAttrSigningTime   = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 5}
	oidRSAEncryption     = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 1}
	oidECDSAWithSHA1     = asn1.ObjectIdentifier{1, 2, 840, 10045, 4, 1}
	oidECDSAWithSHA256   = asn1.ObjectIdentifier{1, 2, 840, 10045, 4, 3, 2}
	oidECDSAWithSHA384   = asn1.ObjectIdentifier{1, 2, 840, 10045, 4, 3, 3}
	oidECDSAWithSHA512   = asn1.ObjectIdentifier{1, 2, 840, 10045, 4, 3, 4}
)

var hashOIDs = map[crypto.Hash]asn1.ObjectIdentifier{
	crypto.SHA1:   {1, 3, 14, 3, 2, 26},
	crypto.SHA256: {2, 16, 840, 1, 101, 3, 4, 2, 1},
	crypto.SHA384: {2, 16, 840, 1, 101, 3, 4, 2, 2},
	crypto.SHA512: {2, 16, 840, 1, 101, 3, 4, 2, 3},
}

// CMSOptions shape a CMS signature. The zero value is what signing software
// usually makes: SHA-256, content attached, signed attributes, the signer's
// certificate and intermediates included, DER.
type CMSOptions struct {
	// Detached leaves the content out.
	Detached bool
	// NoSignedAttributes signs the content directly.
	NoSignedAttributes bool
	// Hash is the digest algorithm; zero means SHA-256.
	Hash crypto.Hash
	// Certificates replaces the certificates carried (nil: the leaf's chain;
	// use an empty, non-nil slice for none).
	Certificates []*x509.Certificate
	// SubjectKeyID names the signer by subject key identifier instead of
	// issuer and serial number.
	SubjectKeyID bool
	// BER writes indefinite lengths and the content in chunks, as some
	// Windows signing software does.
	BER bool
	// SignedContent, when not nil, is what the signature covers, while
	// content is what the structure carries: a signature over another value.
	SignedContent []byte
	// Signer, when not nil, is the certificate the signer identifier names
	// (a certificate swapped after signing).
	Signer *x509.Certificate
	// Digest, when not nil, is the message digest to sign, as signing
	// software that is handed a hash does: the signature is detached, with
	// signed attributes, and content is ignored.
	Digest []byte
}

type cmsAttribute struct {
	Type   asn1.ObjectIdentifier
	Values []asn1.RawValue `asn1:"set"`
}

type cmsIssuerAndSerial struct {
	Issuer       asn1.RawValue
	SerialNumber *big.Int
}

// SignCMS signs content as CMS SignedData and returns the DER (or BER) of
// the ContentInfo.
func (l *Leaf) SignCMS(content []byte, o CMSOptions) []byte {
	return SignCMS(l.Cert, l.Chain(), l.Key, content, o)
}

// SignCMS signs content with key as CMS SignedData, naming cert as the
// signer and carrying chain (unless o.Certificates says otherwise).
func SignCMS(cert *x509.Certificate, chain []*x509.Certificate, key crypto.Signer, content []byte, o CMSOptions) []byte {
	h := o.Hash
	if h == 0 {
		h = crypto.SHA256
	}
	signed := content
	if o.SignedContent != nil {
		signed = o.SignedContent
	}
	named := cert
	if o.Signer != nil {
		named = o.Signer
	}
	digestAlg := pkix.AlgorithmIdentifier{Algorithm: hashOIDs[h], Parameters: asn1.NullRawValue}

	var signedAttrs []byte // the [0] IMPLICIT encoding inside SignerInfo
	message := signed
	if o.Digest != nil {
		o.Detached, o.NoSignedAttributes = true, false
	}
	if !o.NoSignedAttributes {
		digest := o.Digest
		if digest == nil {
			d := h.New()
			d.Write(signed)
			digest = d.Sum(nil)
		}
		attrs := []cmsAttribute{
			{Type: oidAttrContentType, Values: []asn1.RawValue{{FullBytes: must(asn1.Marshal(oidData))}}},
			{Type: oidAttrSigningTime, Values: []asn1.RawValue{{FullBytes: must(asn1.Marshal(time.Now().UTC()))}}},
			{Type: oidAttrMessageDigest, Values: []asn1.RawValue{{FullBytes: must(asn1.Marshal(digest))}}},
		}
		set := must(asn1.MarshalWithParams(attrs, "set"))
		message = set
		signedAttrs = append([]byte{0xa0}, set[1:]...)
	}
	d := h.New()
	d.Write(message)
	digest := d.Sum(nil)
	var sigAlg pkix.AlgorithmIdentifier
	var sig []byte
	var err error
	switch k := key.(type) {
	case *ecdsa.PrivateKey:
		sigAlg.Algorithm = map[crypto.Hash]asn1.ObjectIdentifier{crypto.SHA1: oidECDSAWithSHA1, crypto.SHA256: oidECDSAWithSHA256,
			crypto.SHA384: oidECDSAWithSHA384, crypto.SHA512: oidECDSAWithSHA512}[h]
		sig, err = ecdsa.SignASN1(rand.Reader, k, digest)
	default:
		sigAlg = pkix.AlgorithmIdentifier{Algorithm: oidRSAEncryption, Parameters: asn1.NullRawValue}
		sig, err = key.Sign(rand.Reader, digest, h)
	}
	if err != nil {
		panic("pki: signing: " + err.Error())
	}

	var sid []byte
	version := 1
	if o.SubjectKeyID {
		sid = tlv(0x80, named.SubjectKeyId)
		version = 3
	} else {
		sid = must(asn1.Marshal(cmsIssuerAndSerial{Issuer: asn1.RawValue{FullBytes: named.RawIssuer}, SerialNumber: named.SerialNumber}))
	}
	signerInfo := tlv(0x30, concat(
		must(asn1.Marshal(version)),
		sid,
		must(asn1.Marshal(digestAlg)),
		signedAttrs,
		must(asn1.Marshal(sigAlg)),
		must(asn1.Marshal(sig)),
	))

	certs := o.Certificates
	if certs == nil {
		certs = chain
	}
	var certBytes []byte
	for _, c := range certs {
		certBytes = append(certBytes, c.Raw...)
	}
	var certField []byte
	if len(certs) > 0 {
		certField = tlv(0xa0, certBytes)
	}

	build := func(wrap func(tag byte, body []byte) []byte, eContent []byte) []byte {
		encap := must(asn1.Marshal(oidData))
		if !o.Detached {
			encap = append(encap, wrap(0xa0, eContent)...)
		}
		signedData := wrap(0x30, concat(
			must(asn1.Marshal(version)),
			tlv(0x31, must(asn1.Marshal(digestAlg))),
			wrap(0x30, encap),
			certField,
			tlv(0x31, signerInfo),
		))
		return wrap(0x30, concat(must(asn1.Marshal(oidSignedData)), wrap(0xa0, signedData)))
	}
	if !o.BER {
		return build(tlv, tlv(0x04, content))
	}
	// BER: indefinite lengths, and the content as a constructed OCTET STRING of small chunks.
	var chunks []byte
	for rest := content; len(rest) > 0; {
		n := min(len(rest), 16)
		chunks = append(chunks, tlv(0x04, rest[:n])...)
		rest = rest[n:]
	}
	return build(indefinite, indefinite(0x24, chunks))
}

// SignRaw signs content with the leaf's key and returns a bare signature of
// the JOSE algorithm alg (RS256, PS256, ES256, RS1, …); ECDSA signatures are
// ASN.1 unless the algorithm is followed by "-P1363" (r‖s).
func (l *Leaf) SignRaw(content []byte, alg string) []byte {
	return SignRaw(l.Key, content, alg)
}

// SignRaw signs content with key; see Leaf.SignRaw.
func SignRaw(key crypto.Signer, content []byte, alg string) []byte {
	fixed := false
	if len(alg) > 6 && alg[len(alg)-6:] == "-P1363" {
		alg, fixed = alg[:len(alg)-6], true
	}
	h := map[string]crypto.Hash{"1": crypto.SHA1, "256": crypto.SHA256, "384": crypto.SHA384, "512": crypto.SHA512}[alg[2:]]
	d := h.New()
	d.Write(content)
	digest := d.Sum(nil)
	var sig []byte
	var err error
	switch alg[:2] {
	case "PS":
		sig, err = rsa.SignPSS(rand.Reader, key.(*rsa.PrivateKey), h, digest, &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthEqualsHash})
	case "ES":
		k := key.(*ecdsa.PrivateKey)
		if fixed {
			r, s, e := ecdsa.Sign(rand.Reader, k, digest)
			size := (k.Curve.Params().BitSize + 7) / 8
			sig = make([]byte, 2*size)
			r.FillBytes(sig[:size])
			s.FillBytes(sig[size:])
			err = e
		} else {
			sig, err = ecdsa.SignASN1(rand.Reader, k, digest)
		}
	default:
		sig, err = key.Sign(rand.Reader, digest, h)
	}
	if err != nil {
		panic("pki: signing: " + err.Error())
	}
	return sig
}

func must[T any](v T, err error) T {
	if err != nil {
		panic("pki: " + err.Error())
	}
	return v
}

func concat(parts ...[]byte) []byte {
	var out []byte
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}

// tlv encodes a DER value with a one-byte tag.
func tlv(tag byte, body []byte) []byte {
	n := len(body)
	var l []byte
	switch {
	case n < 0x80:
		l = []byte{byte(n)}
	case n <= 0xff:
		l = []byte{0x81, byte(n)}
	case n <= 0xffff:
		l = []byte{0x82, byte(n >> 8), byte(n)}
	default:
		l = []byte{0x83, byte(n >> 16), byte(n >> 8), byte(n)}
	}
	return concat([]byte{tag}, l, body)
}

// indefinite encodes a constructed BER value with an indefinite length.
func indefinite(tag byte, body []byte) []byte {
	return concat([]byte{tag, 0x80}, body, []byte{0, 0})
}
