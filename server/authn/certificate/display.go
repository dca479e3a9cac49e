package certificate

import (
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"fmt"
	"strings"
)

// displayNames are the short names of the attributes a Vietnamese
// certificate's names carry.
var displayNames = map[string]string{
	"2.5.4.3":                    "CN",
	"2.5.4.5":                    "SERIALNUMBER",
	"2.5.4.6":                    "C",
	"2.5.4.7":                    "L",
	"2.5.4.8":                    "ST",
	"2.5.4.9":                    "STREET",
	"2.5.4.10":                   "O",
	"2.5.4.11":                   "OU",
	"2.5.4.12":                   "T",
	"2.5.4.17":                   "POSTALCODE",
	"0.9.2342.19200300.100.1.1":  "UID",
	"1.2.840.113549.1.9.1":       "E",
	"0.9.2342.19200300.100.1.25": "DC",
}

// DisplayName returns a distinguished name (the DER of a certificate's
// subject or issuer) as people read it: the attributes most specific first,
// like pkix.Name.String, but with the user id ("UID=CCCD:…", "UID=MST:…")
// and the e-mail address as text rather than hexadecimal. It is for pages
// only; bindings and the audit log keep the canonical form.
func DisplayName(raw []byte) string {
	var seq pkix.RDNSequence
	if rest, err := asn1.Unmarshal(raw, &seq); err != nil || len(rest) > 0 {
		return ""
	}
	var parts []string
	for i := len(seq) - 1; i >= 0; i-- {
		var atvs []string
		for _, atv := range seq[i] {
			name, ok := displayNames[atv.Type.String()]
			if !ok {
				name = atv.Type.String()
			}
			value, ok := atv.Value.(string)
			if !ok {
				value = fmt.Sprint(atv.Value)
			}
			atvs = append(atvs, name+"="+value)
		}
		parts = append(parts, strings.Join(atvs, "+"))
	}
	return strings.Join(parts, ", ")
}

// SubjectText returns DisplayName of the certificate's subject.
func SubjectText(c *x509.Certificate) string { return DisplayName(c.RawSubject) }

// IssuerText returns DisplayName of the certificate's issuer.
func IssuerText(c *x509.Certificate) string { return DisplayName(c.RawIssuer) }
