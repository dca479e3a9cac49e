package certificate

import (
	"crypto/x509"
	"errors"
	"strings"

	"golang.org/x/crypto/cryptobyte"
	cbasn1 "golang.org/x/crypto/cryptobyte/asn1"
)

// crlScope is what a CRL covers, as its Issuing Distribution Point extension
// (RFC 5280 §5.2.5) says. The zero value, a CRL without the extension, covers
// every certificate of its issuer for every reason.
type crlScope struct {
	present     bool     // the CRL has the extension
	names       []string // the URIs of the distribution point's full name
	relative    bool     // the distribution point is named relative to the CRL issuer
	onlyUser    bool     // onlyContainsUserCerts
	onlyCA      bool     // onlyContainsCACerts
	onlyAttr    bool     // onlyContainsAttributeCerts
	someReasons bool     // onlySomeReasons: absence does not prove a certificate good
	indirect    bool     // indirectCRL
}

// covers returns "" when the CRL is in scope for cert (RFC 5280 §6.3.3 b.2),
// else why not: the CRL names a distribution point that cert does not name,
// or holds only CA, end-entity or attribute certificates and cert is not one.
func (sc crlScope) covers(cert *x509.Certificate) string {
	if !sc.present {
		return ""
	}
	switch {
	case sc.relative:
		return "names its distribution point relative to the CA, which cannot be matched"
	case len(sc.names) > 0 && !anyEqual(sc.names, cert.CRLDistributionPoints):
		return "is the partition of another distribution point (" + strings.Join(sc.names, " ") + ")"
	case sc.onlyAttr:
		return "covers attribute certificates only"
	case sc.onlyUser && cert.IsCA:
		return "covers end-entity certificates only"
	case sc.onlyCA && !cert.IsCA:
		return "covers CA certificates only"
	}
	return ""
}

// anyEqual reports whether a and b share an element.
func anyEqual(a, b []string) bool {
	for _, x := range a {
		for _, y := range b {
			if x == y {
				return true
			}
		}
	}
	return false
}

// parseIssuingDistributionPoint reads the extension's value:
//
//	IssuingDistributionPoint ::= SEQUENCE {
//	     distributionPoint          [0] DistributionPointName OPTIONAL,
//	     onlyContainsUserCerts      [1] BOOLEAN DEFAULT FALSE,
//	     onlyContainsCACerts        [2] BOOLEAN DEFAULT FALSE,
//	     onlySomeReasons            [3] ReasonFlags OPTIONAL,
//	     indirectCRL                [4] BOOLEAN DEFAULT FALSE,
//	     onlyContainsAttributeCerts [5] BOOLEAN DEFAULT FALSE }
//
//	DistributionPointName ::= CHOICE {
//	     fullName                [0] GeneralNames,
//	     nameRelativeToCRLIssuer [1] RelativeDistinguishedName }
func parseIssuingDistributionPoint(der []byte) (crlScope, error) {
	bad := errors.New("malformed issuing distribution point")
	sc := crlScope{present: true}
	in := cryptobyte.String(der)
	var seq cryptobyte.String
	if !in.ReadASN1(&seq, cbasn1.SEQUENCE) || !in.Empty() {
		return sc, bad
	}
	var dpn cryptobyte.String
	var has bool
	if !seq.ReadOptionalASN1(&dpn, &has, cbasn1.Tag(0).Constructed().ContextSpecific()) {
		return sc, bad
	}
	if has {
		var full cryptobyte.String
		var hasFull bool
		if !dpn.ReadOptionalASN1(&full, &hasFull, cbasn1.Tag(0).Constructed().ContextSpecific()) {
			return sc, bad
		}
		if hasFull {
			for !full.Empty() {
				var name cryptobyte.String
				var tag cbasn1.Tag
				if !full.ReadAnyASN1(&name, &tag) {
					return sc, bad
				}
				if tag == cbasn1.Tag(6).ContextSpecific() { // uniformResourceIdentifier
					sc.names = append(sc.names, string(name))
				}
			}
			if len(sc.names) == 0 {
				// Names of other forms (a directory name, say) cannot match an HTTP URL.
				sc.names = []string{"(no URI)"}
			}
		} else {
			sc.relative = true
		}
	}
	flag := func(n int, out *bool) bool {
		var v cryptobyte.String
		var present bool
		if !seq.ReadOptionalASN1(&v, &present, cbasn1.Tag(n).ContextSpecific()) {
			return false
		}
		if present {
			if len(v) != 1 {
				return false
			}
			*out = v[0] != 0
		}
		return true
	}
	if !flag(1, &sc.onlyUser) || !flag(2, &sc.onlyCA) {
		return sc, bad
	}
	var reasons cryptobyte.String
	if !seq.ReadOptionalASN1(&reasons, &sc.someReasons, cbasn1.Tag(3).ContextSpecific()) {
		return sc, bad
	}
	if !flag(4, &sc.indirect) || !flag(5, &sc.onlyAttr) || !seq.Empty() {
		return sc, bad
	}
	return sc, nil
}
