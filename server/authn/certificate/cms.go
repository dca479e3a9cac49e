package certificate

import (
	"bytes"
	"crypto/subtle"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"math/big"
)

// CMS (RFC 5652) SignedData, as much of it as a login needs: one signer,
// content of type id-data attached or detached, signed attributes or none.

var (
	oidData              = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 7, 1}
	oidSignedData        = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 7, 2}
	oidAttrContentType   = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 3}
	oidAttrMessageDigest = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 4}
)

type cmsContentInfo struct {
	ContentType asn1.ObjectIdentifier
	Content     asn1.RawValue `asn1:"explicit,tag:0,optional"`
}

type cmsSignedData struct {
	Version          int
	DigestAlgorithms []pkix.AlgorithmIdentifier `asn1:"set"`
	EncapContentInfo cmsEncapsulatedContentInfo
	Certificates     asn1.RawValue   `asn1:"optional,tag:0"`
	CRLs             asn1.RawValue   `asn1:"optional,tag:1"`
	SignerInfos      []cmsSignerInfo `asn1:"set"`
}

type cmsEncapsulatedContentInfo struct {
	EContentType asn1.ObjectIdentifier
	EContent     asn1.RawValue `asn1:"explicit,tag:0,optional"`
}

type cmsSignerInfo struct {
	Version            int
	SID                asn1.RawValue
	DigestAlgorithm    pkix.AlgorithmIdentifier
	SignedAttrs        asn1.RawValue `asn1:"optional,tag:0"`
	SignatureAlgorithm pkix.AlgorithmIdentifier
	Signature          []byte
	UnsignedAttrs      asn1.RawValue `asn1:"optional,tag:1"`
}

type cmsIssuerAndSerial struct {
	Issuer       asn1.RawValue
	SerialNumber *big.Int
}

type cmsAttribute struct {
	Type   asn1.ObjectIdentifier
	Values asn1.RawValue `asn1:"set"`
}

// decodeCMS parses a ContentInfo holding SignedData with exactly one signer.
// extra are certificates sent beside it.
func decodeCMS(der []byte, extra []*x509.Certificate) (*signedMessage, *Refusal) {
	malformed := func(format string, args ...any) (*signedMessage, *Refusal) {
		return nil, refuse(CheckSignature, ReasonMalformed, nil, "CMS: "+format, args...)
	}
	norm, err := normalizeBER(der)
	if err != nil {
		return malformed("%v", err)
	}
	var ci cmsContentInfo
	if rest, err := asn1.Unmarshal(norm, &ci); err != nil || len(rest) != 0 {
		return malformed("not a ContentInfo")
	}
	if !ci.ContentType.Equal(oidSignedData) {
		return malformed("content type %v is not signedData", ci.ContentType)
	}
	// An explicitly tagged RawValue keeps its [0]: the SignedData is inside.
	var sd cmsSignedData
	if rest, err := asn1.Unmarshal(ci.Content.Bytes, &sd); err != nil || len(rest) != 0 {
		return malformed("not a SignedData: %v", err)
	}
	if len(sd.SignerInfos) != 1 {
		return malformed("%d signers; a login takes exactly one", len(sd.SignerInfos))
	}
	eci := sd.EncapContentInfo
	if !eci.EContentType.Equal(oidData) {
		return malformed("encapsulated content type %v is not id-data", eci.EContentType)
	}
	var content []byte
	if len(eci.EContent.FullBytes) > 0 {
		var octets asn1.RawValue
		if rest, err := asn1.Unmarshal(eci.EContent.Bytes, &octets); err != nil || len(rest) != 0 ||
			octets.Class != asn1.ClassUniversal || octets.Tag != asn1.TagOctetString || octets.IsCompound {
			return malformed("the content is not an OCTET STRING")
		}
		content = octets.Bytes
		if content == nil {
			content = []byte{}
		}
	}
	certs := append([]*x509.Certificate(nil), extra...)
	if len(sd.Certificates.Bytes) > 0 {
		rest := sd.Certificates.Bytes
		for len(rest) > 0 {
			var v asn1.RawValue
			var err error
			if rest, err = asn1.Unmarshal(rest, &v); err != nil {
				return malformed("the certificate set does not parse")
			}
			if v.Class != asn1.ClassUniversal || v.Tag != asn1.TagSequence {
				continue // an attribute or other certificate format
			}
			c, err := x509.ParseCertificate(v.FullBytes)
			if err != nil {
				return malformed("a certificate does not parse: %v", err)
			}
			certs = append(certs, c)
		}
	}
	if len(certs) > maxCertificates {
		return malformed("%d certificates, more than %d", len(certs), maxCertificates)
	}
	si := sd.SignerInfos[0]
	var attrs []cmsAttribute
	if len(si.SignedAttrs.FullBytes) > 0 {
		rest := si.SignedAttrs.Bytes
		for len(rest) > 0 {
			var a cmsAttribute
			var err error
			if rest, err = asn1.Unmarshal(rest, &a); err != nil {
				return malformed("the signed attributes do not parse")
			}
			attrs = append(attrs, a)
		}
	}
	m := &signedMessage{content: content, certs: certs}
	m.signer = func() (*x509.Certificate, *Refusal) { return cmsSigner(si.SID, certs) }
	m.verify = func(content []byte, signer *x509.Certificate, allowSHA1 bool) *Refusal {
		return verifyCMSSignature(si, attrs, eci.EContentType, content, signer, allowSHA1)
	}
	return m, nil
}

// cmsSigner finds the certificate named by the signer identifier: issuer
// and serial number, or subject key identifier.
func cmsSigner(sid asn1.RawValue, certs []*x509.Certificate) (*x509.Certificate, *Refusal) {
	switch {
	case sid.Class == asn1.ClassUniversal && sid.Tag == asn1.TagSequence:
		var ias cmsIssuerAndSerial
		if rest, err := asn1.Unmarshal(sid.FullBytes, &ias); err != nil || len(rest) != 0 || ias.SerialNumber == nil {
			return nil, refuse(CheckSignature, ReasonMalformed, nil, "CMS: the signer identifier does not parse")
		}
		for _, c := range certs {
			if c.SerialNumber.Cmp(ias.SerialNumber) == 0 && bytes.Equal(c.RawIssuer, ias.Issuer.FullBytes) {
				return c, nil
			}
		}
		return nil, refuse(CheckSignature, ReasonSignatureInvalid, nil,
			"CMS: no certificate sent matches the signer (serial %x)", ias.SerialNumber)
	case sid.Class == asn1.ClassContextSpecific && sid.Tag == 0:
		for _, c := range certs {
			if len(c.SubjectKeyId) > 0 && bytes.Equal(c.SubjectKeyId, sid.Bytes) {
				return c, nil
			}
		}
		return nil, refuse(CheckSignature, ReasonSignatureInvalid, nil,
			"CMS: no certificate sent matches the signer (key id %x)", sid.Bytes)
	}
	return nil, refuse(CheckSignature, ReasonMalformed, nil, "CMS: unknown signer identifier")
}

// verifyCMSSignature verifies a signer's signature over content: over the
// content itself without signed attributes, or over the DER of the signed
// attributes, which must then hold the content type and the content's digest.
func verifyCMSSignature(si cmsSignerInfo, attrs []cmsAttribute, contentType asn1.ObjectIdentifier, content []byte,
	signer *x509.Certificate, allowSHA1 bool) *Refusal {
	h, r := digestHash(si.DigestAlgorithm.Algorithm, allowSHA1)
	if r != nil {
		r.Certificate = signer
		return r
	}
	message := content
	if len(si.SignedAttrs.FullBytes) > 0 {
		var gotType, gotDigest bool
		d := h.New()
		d.Write(content)
		digest := d.Sum(nil)
		for _, a := range attrs {
			switch {
			case a.Type.Equal(oidAttrContentType):
				var oid asn1.ObjectIdentifier
				if rest, err := asn1.Unmarshal(a.Values.Bytes, &oid); err != nil || len(rest) != 0 || gotType {
					return refuse(CheckSignature, ReasonMalformed, signer, "CMS: the content-type attribute is not one OID")
				}
				if !oid.Equal(contentType) {
					return refuse(CheckSignature, ReasonSignatureInvalid, signer, "CMS: the content-type attribute names %v", oid)
				}
				gotType = true
			case a.Type.Equal(oidAttrMessageDigest):
				var md []byte
				if rest, err := asn1.Unmarshal(a.Values.Bytes, &md); err != nil || len(rest) != 0 || gotDigest {
					return refuse(CheckSignature, ReasonMalformed, signer, "CMS: the message-digest attribute is not one OCTET STRING")
				}
				if subtle.ConstantTimeCompare(md, digest) != 1 {
					return refuse(CheckSignature, ReasonSignatureInvalid, signer, "CMS: the message digest is not the digest of the challenge")
				}
				gotDigest = true
			}
		}
		if !gotType || !gotDigest {
			return refuse(CheckSignature, ReasonMalformed, signer, "CMS: signed attributes without content type and message digest")
		}
		// The signature covers the attributes as a SET OF, not as the [0] of SignerInfo.
		message = append([]byte{0x31}, si.SignedAttrs.FullBytes[1:]...)
	}
	return verifyWithAlgorithm(signer, si.SignatureAlgorithm, h, message, si.Signature, allowSHA1)
}
