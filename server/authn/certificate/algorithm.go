package certificate

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"math/big"

	_ "crypto/sha1" // SHA-1, for signing software that still uses it where allowed
	_ "crypto/sha256"
	_ "crypto/sha512"
)

var (
	oidSHA1   = asn1.ObjectIdentifier{1, 3, 14, 3, 2, 26}
	oidSHA256 = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 2, 1}
	oidSHA384 = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 2, 2}
	oidSHA512 = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 2, 3}

	oidRSAEncryption = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 1}
	oidSHA1WithRSA   = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 5}
	oidRSAPSS        = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 10}
	oidSHA256WithRSA = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 11}
	oidSHA384WithRSA = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 12}
	oidSHA512WithRSA = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 13}

	oidECPublicKey     = asn1.ObjectIdentifier{1, 2, 840, 10045, 2, 1}
	oidECDSAWithSHA1   = asn1.ObjectIdentifier{1, 2, 840, 10045, 4, 1}
	oidECDSAWithSHA256 = asn1.ObjectIdentifier{1, 2, 840, 10045, 4, 3, 2}
	oidECDSAWithSHA384 = asn1.ObjectIdentifier{1, 2, 840, 10045, 4, 3, 3}
	oidECDSAWithSHA512 = asn1.ObjectIdentifier{1, 2, 840, 10045, 4, 3, 4}

	oidMGF1 = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 8}
)

// digestHash returns the hash named by a digest algorithm identifier.
func digestHash(oid asn1.ObjectIdentifier, allowSHA1 bool) (crypto.Hash, *Refusal) {
	switch {
	case oid.Equal(oidSHA256):
		return crypto.SHA256, nil
	case oid.Equal(oidSHA384):
		return crypto.SHA384, nil
	case oid.Equal(oidSHA512):
		return crypto.SHA512, nil
	case oid.Equal(oidSHA1):
		if allowSHA1 {
			return crypto.SHA1, nil
		}
		return 0, refuse(CheckSignature, ReasonAlgorithm, nil, "SHA-1 digests are not accepted")
	}
	return 0, refuse(CheckSignature, ReasonAlgorithm, nil, "unknown digest algorithm %v", oid)
}

// signatureKinds says, for each CMS signature algorithm, the key type and
// the hash it implies (0: the signer info's digest algorithm).
var signatureKinds = []struct {
	oid  asn1.ObjectIdentifier
	kind string // "rsa", "ecdsa"
	hash crypto.Hash
}{
	{oidRSAEncryption, "rsa", 0},
	{oidSHA1WithRSA, "rsa", crypto.SHA1},
	{oidSHA256WithRSA, "rsa", crypto.SHA256},
	{oidSHA384WithRSA, "rsa", crypto.SHA384},
	{oidSHA512WithRSA, "rsa", crypto.SHA512},
	{oidECPublicKey, "ecdsa", 0},
	{oidECDSAWithSHA1, "ecdsa", crypto.SHA1},
	{oidECDSAWithSHA256, "ecdsa", crypto.SHA256},
	{oidECDSAWithSHA384, "ecdsa", crypto.SHA384},
	{oidECDSAWithSHA512, "ecdsa", crypto.SHA512},
}

// verifyWithAlgorithm verifies sig over message by the signer's key with the
// CMS signature algorithm alg; digest is the signer info's digest algorithm,
// which the signature algorithm must agree with when it names a hash.
func verifyWithAlgorithm(signer *x509.Certificate, alg pkix.AlgorithmIdentifier, digest crypto.Hash, message, sig []byte, allowSHA1 bool) *Refusal {
	if alg.Algorithm.Equal(oidRSAPSS) {
		h, salt, r := pssParameters(alg.Parameters)
		if r != nil {
			r.Certificate = signer
			return r
		}
		if h != digest {
			return refuse(CheckSignature, ReasonAlgorithm, signer, "RSA-PSS hash %v differs from the digest algorithm %v", h, digest)
		}
		return verifyDigest(signer, "pss", h, salt, hashOf(h, message), sig)
	}
	for _, k := range signatureKinds {
		if !alg.Algorithm.Equal(k.oid) {
			continue
		}
		if k.hash != 0 && k.hash != digest {
			return refuse(CheckSignature, ReasonAlgorithm, signer, "signature algorithm %v does not match the digest algorithm %v", alg.Algorithm, digest)
		}
		if digest == crypto.SHA1 && !allowSHA1 {
			return refuse(CheckSignature, ReasonAlgorithm, signer, "SHA-1 signatures are not accepted")
		}
		kind := k.kind
		if kind == "rsa" {
			kind = "pkcs1"
		}
		return verifyDigest(signer, kind, digest, 0, hashOf(digest, message), sig)
	}
	return refuse(CheckSignature, ReasonAlgorithm, signer, "unknown signature algorithm %v", alg.Algorithm)
}

type pssParams struct {
	Hash         pkix.AlgorithmIdentifier `asn1:"explicit,tag:0,optional"`
	MGF          pkix.AlgorithmIdentifier `asn1:"explicit,tag:1,optional"`
	SaltLength   int                      `asn1:"explicit,tag:2,optional,default:20"`
	TrailerField int                      `asn1:"explicit,tag:3,optional,default:1"`
}

// pssParameters reads RSASSA-PSS-params. The hash and the MGF1 hash must
// agree (the only form crypto/rsa verifies); SHA-1, the default, is refused.
func pssParameters(raw asn1.RawValue) (crypto.Hash, int, *Refusal) {
	var p pssParams
	if rest, err := asn1.Unmarshal(raw.FullBytes, &p); err != nil || len(rest) != 0 {
		return 0, 0, refuse(CheckSignature, ReasonMalformed, nil, "RSA-PSS parameters do not parse")
	}
	h, r := digestHash(p.Hash.Algorithm, false)
	if p.Hash.Algorithm == nil {
		return 0, 0, refuse(CheckSignature, ReasonAlgorithm, nil, "RSA-PSS with the default SHA-1 is not accepted")
	}
	if r != nil {
		return 0, 0, r
	}
	if !p.MGF.Algorithm.Equal(oidMGF1) {
		return 0, 0, refuse(CheckSignature, ReasonAlgorithm, nil, "RSA-PSS mask generation %v is not MGF1", p.MGF.Algorithm)
	}
	var mgfHash pkix.AlgorithmIdentifier
	if _, err := asn1.Unmarshal(p.MGF.Parameters.FullBytes, &mgfHash); err != nil || !mgfHash.Algorithm.Equal(p.Hash.Algorithm) {
		return 0, 0, refuse(CheckSignature, ReasonAlgorithm, nil, "RSA-PSS MGF1 hash differs from the message hash")
	}
	if p.TrailerField != 1 || p.SaltLength < 0 {
		return 0, 0, refuse(CheckSignature, ReasonMalformed, nil, "RSA-PSS parameters are not valid")
	}
	return h, p.SaltLength, nil
}

// rawAlgorithms are the algorithms of a bare signature, in JOSE names.
var rawAlgorithms = map[string]struct {
	kind string // "pkcs1", "pss", "ecdsa"
	hash crypto.Hash
}{
	"RS1":   {"pkcs1", crypto.SHA1},
	"RS256": {"pkcs1", crypto.SHA256},
	"RS384": {"pkcs1", crypto.SHA384},
	"RS512": {"pkcs1", crypto.SHA512},
	"PS256": {"pss", crypto.SHA256},
	"PS384": {"pss", crypto.SHA384},
	"PS512": {"pss", crypto.SHA512},
	"ES1":   {"ecdsa", crypto.SHA1},
	"ES256": {"ecdsa", crypto.SHA256},
	"ES384": {"ecdsa", crypto.SHA384},
	"ES512": {"ecdsa", crypto.SHA512},
}

// verifyRaw verifies a bare signature over content.
func verifyRaw(signer *x509.Certificate, alg string, content, sig []byte, allowSHA1 bool) *Refusal {
	a, ok := rawAlgorithms[alg]
	if !ok {
		return refuse(CheckSignature, ReasonAlgorithm, signer, "unknown algorithm %q", alg)
	}
	if a.hash == crypto.SHA1 && !allowSHA1 {
		return refuse(CheckSignature, ReasonAlgorithm, signer, "SHA-1 signatures are not accepted")
	}
	salt := rsa.PSSSaltLengthAuto
	return verifyDigest(signer, a.kind, a.hash, salt, hashOf(a.hash, content), sig)
}

func hashOf(h crypto.Hash, message []byte) []byte {
	d := h.New()
	d.Write(message)
	return d.Sum(nil)
}

// verifyDigest verifies sig over a digest with the signer's public key.
// kind is "pkcs1" or "pss" (RSA) or "ecdsa"; an ECDSA signature may be ASN.1
// or the fixed-size r‖s of JOSE and of PKCS #11 tokens.
func verifyDigest(signer *x509.Certificate, kind string, h crypto.Hash, salt int, digest, sig []byte) *Refusal {
	switch pub := signer.PublicKey.(type) {
	case *rsa.PublicKey:
		var err error
		switch kind {
		case "pkcs1":
			err = rsa.VerifyPKCS1v15(pub, h, digest, sig)
		case "pss":
			err = rsa.VerifyPSS(pub, h, digest, sig, &rsa.PSSOptions{SaltLength: salt, Hash: h})
		default:
			return refuse(CheckSignature, ReasonAlgorithm, signer, "an %s signature from an RSA key", kind)
		}
		if err != nil {
			return refuse(CheckSignature, ReasonSignatureInvalid, signer, "the RSA signature does not verify with the signer's key")
		}
		return nil
	case *ecdsa.PublicKey:
		if kind != "ecdsa" {
			return refuse(CheckSignature, ReasonAlgorithm, signer, "an %s signature from an ECDSA key", kind)
		}
		size := (pub.Curve.Params().BitSize + 7) / 8
		ok := false
		if len(sig) == 2*size {
			r, s := new(big.Int).SetBytes(sig[:size]), new(big.Int).SetBytes(sig[size:])
			ok = ecdsa.Verify(pub, digest, r, s)
		} else {
			ok = ecdsa.VerifyASN1(pub, digest, sig)
		}
		if !ok {
			return refuse(CheckSignature, ReasonSignatureInvalid, signer, "the ECDSA signature does not verify with the signer's key")
		}
		return nil
	}
	return refuse(CheckSignature, ReasonAlgorithm, signer, "unsupported public key type %T", signer.PublicKey)
}
