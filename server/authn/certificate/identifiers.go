package certificate

import (
	"crypto/x509"
	"encoding/asn1"
	"slices"
	"strings"
	"unicode"

	"github.com/dinhdanh/dinhdanh/server/identity"
)

var (
	// oidUID is the userid attribute (RFC 4519) where Vietnamese CAs write
	// "CCCD:…", "CMND:…", "MST:…" or "HC:…".
	oidUID = asn1.ObjectIdentifier{0, 9, 2342, 19200300, 100, 1, 1}
	// oidEmailAddress is the PKCS #9 emailAddress attribute of older subjects.
	oidEmailAddress = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 1}
)

// Identifiers are what a certificate says about its holder. Values that do
// not pass the identity parsers are left out (and kept in Raw).
type Identifiers struct {
	// PersonalID is the 12-digit personal identification number, from
	// "CCCD:…", or from "CMND:…" when it has twelve digits.
	PersonalID identity.PersonalID
	// OldID is a nine-digit identity-card number (chứng minh nhân dân) from
	// "CMND:…"; it identifies no account by itself.
	OldID string
	// TaxCode is the tax code from "MST:…": the certificate names a business
	// (or a branch, "MST:0301519977-029").
	TaxCode identity.TaxCode
	// Passport is the passport number from "HC:…".
	Passport string
	// Emails are the certificate's e-mail addresses (subject alternative
	// names and the subject's emailAddress), normalised, without duplicates.
	Emails []string
	// CommonName and Organization are the subject's CN and first O.
	CommonName   string
	Organization string
	// Raw are the prefixed values found (UID and serialNumber attributes),
	// as written, for logs.
	Raw []string
}

// ExtractIdentifiers reads the identifiers of a certificate's subject: every
// UID attribute (0.9.2342.19200300.100.1.1, whatever its string type) and
// the serialNumber attribute, when they carry a known prefix ("CCCD:",
// "CMND:", "MST:", "HC:", in any case, spaces allowed around the colon); and
// its e-mail addresses. A bare serialNumber without a prefix is not taken as
// a personal ID: CAs write other numbers there too. The first value of each
// kind wins.
func ExtractIdentifiers(c *x509.Certificate) Identifiers {
	var ids Identifiers
	ids.CommonName = c.Subject.CommonName
	if len(c.Subject.Organization) > 0 {
		ids.Organization = c.Subject.Organization[0]
	}
	var values []string
	for _, atv := range c.Subject.Names {
		if s, ok := atv.Value.(string); ok && atv.Type.Equal(oidUID) {
			values = append(values, s)
		}
	}
	if c.Subject.SerialNumber != "" {
		values = append(values, c.Subject.SerialNumber)
	}
	for _, v := range values {
		prefix, value, ok := splitPrefixed(v)
		if !ok {
			continue
		}
		ids.Raw = append(ids.Raw, v)
		switch prefix {
		case "CCCD":
			if p, err := identity.ParsePersonalID(value); err == nil && ids.PersonalID == "" {
				ids.PersonalID = p
			}
		case "CMND":
			if p, err := identity.ParsePersonalID(value); err == nil && ids.PersonalID == "" {
				ids.PersonalID = p
			} else if len(value) == 9 && allDigits(value) && ids.OldID == "" {
				ids.OldID = value
			}
		case "MST":
			if t, err := identity.ParseTaxCode(value); err == nil && ids.TaxCode == "" {
				ids.TaxCode = t
			}
		case "HC":
			if value != "" && ids.Passport == "" {
				ids.Passport = strings.ToUpper(value)
			}
		}
	}
	emails := append([]string(nil), c.EmailAddresses...)
	for _, atv := range c.Subject.Names {
		if s, ok := atv.Value.(string); ok && atv.Type.Equal(oidEmailAddress) {
			emails = append(emails, s)
		}
	}
	for _, e := range emails {
		if n, err := identity.NormalizeEmail(e); err == nil && !slices.Contains(ids.Emails, n) {
			ids.Emails = append(ids.Emails, n)
		}
	}
	return ids
}

// splitPrefixed splits "CCCD:001089012345" (or "cccd : 001089012345") into
// its upper-case prefix and its value without spaces.
func splitPrefixed(s string) (prefix, value string, ok bool) {
	p, v, found := strings.Cut(s, ":")
	if !found {
		return "", "", false
	}
	prefix = strings.ToUpper(strings.TrimSpace(p))
	switch prefix {
	case "CCCD", "CMND", "MST", "HC":
	default:
		return "", "", false
	}
	value = strings.Map(func(r rune) rune {
		if unicode.IsSpace(r) {
			return -1
		}
		return r
	}, v)
	return prefix, value, true
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}
