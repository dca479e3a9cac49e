package certificate

import (
	"crypto"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"testing"

	"github.com/dinhdanh/dinhdanh/test/pki"
)

// TestCheckSignature is the table test of validator 2.
func TestCheckSignature(t *testing.T) {
	f := newFixture(t, nil)
	p := f.pki
	ch := f.challenge()
	value := []byte(ch.Value)
	other := []byte("dinhdanh:login:some-other-value")
	withExtra := func(s Submission, certs ...*x509.Certificate) Submission {
		for _, c := range certs {
			s.Certificates = append(s.Certificates, c.Raw)
		}
		return s
	}
	swapped := raw(p.Official, value, "RS256")
	swapped.Certificates = p.OfficialNoID.ChainDER()
	rawOther := raw(p.Official, other, "RS256")
	rawSHA1 := raw(p.Official, value, "RS1")
	unknownAlg := raw(p.Official, value, "RS256")
	unknownAlg.Algorithm = "HS256"
	pssAsPKCS1 := raw(p.Official, value, "PS256")
	pssAsPKCS1.Algorithm = "RS256"
	ecAsRSA := raw(p.Citizen, value, "ES256")
	ecAsRSA.Algorithm = "RS256"
	tests := []struct {
		name      string
		sub       Submission
		allowSHA1 bool
		reason    Reason
		signer    *pki.Leaf
	}{
		{"CMS attached, signed attributes", cms(p.Official, value, pki.CMSOptions{}), false, "", p.Official},
		{"CMS detached", cms(p.Official, value, pki.CMSOptions{Detached: true}), false, "", p.Official},
		{"CMS without signed attributes", cms(p.Official, value, pki.CMSOptions{NoSignedAttributes: true}), false, "", p.Official},
		{"CMS detached without signed attributes", cms(p.Official, value, pki.CMSOptions{Detached: true, NoSignedAttributes: true}), false, "", p.Official},
		{"CMS in BER", cms(p.Official, value, pki.CMSOptions{BER: true}), false, "", p.Official},
		{"CMS naming the signer by key id", cms(p.Official, value, pki.CMSOptions{SubjectKeyID: true}), false, "", p.Official},
		{"CMS SHA-384", cms(p.Official, value, pki.CMSOptions{Hash: crypto.SHA384}), false, "", p.Official},
		{"CMS ECDSA", cms(p.Citizen, value, pki.CMSOptions{}), false, "", p.Citizen},
		{"CMS without certificates, signer sent beside",
			withExtra(cms(p.Official, value, pki.CMSOptions{Certificates: []*x509.Certificate{}}), p.Official.Cert), false, "", p.Official},
		{"bare RS256", raw(p.Official, value, "RS256"), false, "", p.Official},
		{"bare RS512", raw(p.Official, value, "RS512"), false, "", p.Official},
		{"bare PS256", raw(p.Official, value, "PS256"), false, "", p.Official},
		{"bare ES256 ASN.1", raw(p.Citizen, value, "ES256"), false, "", p.Citizen},
		{"bare ES256 r||s", func() Submission {
			s := raw(p.Citizen, value, "ES256-P1363")
			s.Algorithm = "ES256"
			return s
		}(), false, "", p.Citizen},

		{"CMS SHA-1 refused", cms(p.Official, value, pki.CMSOptions{Hash: crypto.SHA1}), false, ReasonAlgorithm, nil},
		{"CMS SHA-1 allowed", cms(p.Official, value, pki.CMSOptions{Hash: crypto.SHA1}), true, "", p.Official},
		{"bare SHA-1 refused", rawSHA1, false, ReasonAlgorithm, nil},
		{"bare SHA-1 allowed", rawSHA1, true, "", p.Official},
		{"bare unknown algorithm", unknownAlg, false, ReasonAlgorithm, nil},
		{"bare PSS claimed as PKCS #1", pssAsPKCS1, false, ReasonSignatureInvalid, nil},
		{"bare ECDSA claimed as RSA", ecAsRSA, false, ReasonAlgorithm, nil},

		{"CMS detached over another value", cms(p.Official, value, pki.CMSOptions{Detached: true, SignedContent: other}), false, ReasonSignatureInvalid, nil},
		{"CMS carrying the challenge, signed over another value", cms(p.Official, value, pki.CMSOptions{SignedContent: other}), false, ReasonSignatureInvalid, nil},
		{"CMS without attributes, signed over another value",
			cms(p.Official, value, pki.CMSOptions{NoSignedAttributes: true, SignedContent: other}), false, ReasonSignatureInvalid, nil},
		{"bare signature over another value", rawOther, false, ReasonSignatureInvalid, nil},
		{"CMS certificate swapped after signing",
			cms(p.Official, value, pki.CMSOptions{Signer: p.OfficialNoID.Cert, Certificates: p.OfficialNoID.Chain()}), false, ReasonSignatureInvalid, nil},
		{"CMS signer's certificate left out, another sent",
			cms(p.Official, value, pki.CMSOptions{Certificates: p.OfficialNoID.Chain()}), false, ReasonSignatureInvalid, nil},
		{"bare signature, certificate swapped", swapped, false, ReasonSignatureInvalid, nil},
		{"CMS garbage", Submission{Format: FormatCMS, Signature: []byte{0x30, 0x03, 0x02, 0x01, 0x01}}, false, ReasonMalformed, nil},
		{"CMS truncated", Submission{Format: FormatCMS, Signature: cms(p.Official, value, pki.CMSOptions{}).Signature[:200]}, false, ReasonMalformed, nil},
		{"a certificate that does not parse", Submission{Format: FormatRaw, Algorithm: "RS256", Signature: []byte{1}, Certificates: [][]byte{{0x30, 0}}}, false, ReasonMalformed, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f.v.opts.AllowSHA1 = tt.allowSHA1
			defer func() { f.v.opts.AllowSHA1 = false }()
			s := f.state(ch, tt.sub)
			r := checkSignature(s)
			check := CheckSignature
			if tt.reason == "" {
				check = ""
			}
			wantRefusal(t, r, check, tt.reason)
			if tt.signer != nil && !s.leaf.Equal(tt.signer.Cert) {
				t.Fatalf("signer = %s, want %s", s.leaf.Subject, tt.signer.Cert.Subject)
			}
		})
	}
}

func TestDecodeSubmission(t *testing.T) {
	f := newFixture(t, nil)
	p := f.pki
	der := p.Official.SignCMS([]byte("x"), pki.CMSOptions{})
	certPEM := string(pki.CertPEM(p.Official.Cert, p.GovSub.Cert))
	tests := []struct {
		name              string
		format, signature string
		algorithm         string
		certs             []string
		wantCerts         int
		reason            Reason
	}{
		{"cms standard base64", "cms", base64.StdEncoding.EncodeToString(der), "", nil, 0, ""},
		{"pkcs7 url base64 unpadded with line breaks", "PKCS7",
			insertBreaks(base64.RawURLEncoding.EncodeToString(der)), "", nil, 0, ""},
		{"cms PEM", "cms", string(pem.EncodeToMemory(&pem.Block{Type: "PKCS7", Bytes: der})), "", nil, 0, ""},
		{"raw with base64 and PEM certificates", "raw", base64.StdEncoding.EncodeToString([]byte{1, 2, 3}), "rs256",
			[]string{base64.StdEncoding.EncodeToString(p.Official.Cert.Raw), certPEM}, 3, ""},
		{"raw without a certificate", "raw", "AQID", "RS256", nil, 0, ReasonMalformed},
		{"unknown format", "xml", "AQID", "", nil, 0, ReasonMalformed},
		{"signature not base64", "cms", "***", "", nil, 0, ReasonMalformed},
		{"empty signature", "cms", "", "", nil, 0, ReasonMalformed},
		{"certificate not base64", "cms", "AQID", "", []string{"%%%"}, 0, ReasonMalformed},
		{"signature too large", "cms", base64.StdEncoding.EncodeToString(make([]byte, maxSignatureBytes+1)), "", nil, 0, ReasonMalformed},
		{"too many certificates", "cms", "AQID", "", func() []string {
			var s []string
			for range maxCertificates + 1 {
				s = append(s, "AQID")
			}
			return s
		}(), 0, ReasonMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, r := DecodeSubmission(tt.format, tt.signature, tt.algorithm, tt.certs)
			check := CheckSignature
			if tt.reason == "" {
				check = ""
			}
			wantRefusal(t, r, check, tt.reason)
			if r == nil && len(s.Certificates) != tt.wantCerts {
				t.Fatalf("%d certificates, want %d", len(s.Certificates), tt.wantCerts)
			}
			if r == nil && s.Format == FormatRaw && s.Algorithm != "RS256" {
				t.Fatalf("algorithm %q", s.Algorithm)
			}
		})
	}
}

func insertBreaks(s string) string {
	var out []byte
	for i := 0; i < len(s); i += 64 {
		out = append(out, s[i:min(i+64, len(s))]...)
		out = append(out, "\r\n"...)
	}
	return string(out)
}

func TestNormalizeBER(t *testing.T) {
	tests := []struct {
		name    string
		in, out []byte
		bad     bool
	}{
		{"DER unchanged", []byte{0x30, 0x03, 0x02, 0x01, 0x05}, []byte{0x30, 0x03, 0x02, 0x01, 0x05}, false},
		{"indefinite length", []byte{0x30, 0x80, 0x02, 0x01, 0x05, 0, 0}, []byte{0x30, 0x03, 0x02, 0x01, 0x05}, false},
		{"chunked OCTET STRING", []byte{0x24, 0x80, 0x04, 0x01, 'a', 0x04, 0x02, 'b', 'c', 0, 0}, []byte{0x04, 0x03, 'a', 'b', 'c'}, false},
		{"non-minimal length", []byte{0x04, 0x81, 0x01, 'a'}, []byte{0x04, 0x01, 'a'}, false},
		{"missing end of contents", []byte{0x30, 0x80, 0x02, 0x01, 0x05}, nil, true},
		{"length past the end", []byte{0x04, 0x05, 'a'}, nil, true},
		{"indefinite primitive", []byte{0x04, 0x80, 'a', 0, 0}, nil, true},
		{"trailing data", []byte{0x04, 0x01, 'a', 0x00}, nil, true},
		{"chunk of another type", []byte{0x24, 0x80, 0x02, 0x01, 0x05, 0, 0}, nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := normalizeBER(tt.in)
			if tt.bad {
				if err == nil {
					t.Fatalf("normalizeBER(% x) = % x, want an error", tt.in, got)
				}
				return
			}
			if err != nil || string(got) != string(tt.out) {
				t.Fatalf("normalizeBER(% x) = % x, %v; want % x", tt.in, got, err, tt.out)
			}
		})
	}
	deep := make([]byte, 0, 2*(maxBERDepth+2))
	for range maxBERDepth + 2 {
		deep = append(deep, 0x30, 0x80)
	}
	if _, err := normalizeBER(deep); err == nil {
		t.Fatal("deep nesting accepted")
	}
}
