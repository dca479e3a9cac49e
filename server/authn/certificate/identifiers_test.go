package certificate

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/asn1"
	"math/big"
	"reflect"
	"testing"
	"time"
	"unicode/utf16"

	"github.com/dinhdanh/dinhdanh/server/identity"
)

// attr is one attribute of a subject, with the ASN.1 string type it is written in.
type attr struct {
	oid   asn1.ObjectIdentifier
	tag   int
	value string
}

var (
	oidCN     = asn1.ObjectIdentifier{2, 5, 4, 3}
	oidO      = asn1.ObjectIdentifier{2, 5, 4, 10}
	oidSerial = asn1.ObjectIdentifier{2, 5, 4, 5}
)

// certWithSubject returns a self-signed certificate whose subject holds the
// attributes exactly as given (string types included) and the e-mail SANs.
func certWithSubject(t *testing.T, attrs []attr, emails ...string) *x509.Certificate {
	t.Helper()
	type atv struct {
		Type  asn1.ObjectIdentifier
		Value asn1.RawValue
	}
	var rdns []byte
	for _, a := range attrs {
		b := []byte(a.value)
		if a.tag == asn1.TagBMPString {
			b = nil
			for _, u := range utf16.Encode([]rune(a.value)) {
				b = append(b, byte(u>>8), byte(u))
			}
		}
		set, err := asn1.MarshalWithParams([]atv{{a.oid, asn1.RawValue{Tag: a.tag, Bytes: b}}}, "set")
		if err != nil {
			t.Fatal(err)
		}
		rdns = append(rdns, set...)
	}
	subject, err := asn1.Marshal(asn1.RawValue{Tag: asn1.TagSequence, IsCompound: true, Bytes: rdns})
	if err != nil {
		t.Fatal(err)
	}
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), RawSubject: subject, EmailAddresses: emails,
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		t.Fatal(err)
	}
	c, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestExtractIdentifiers(t *testing.T) {
	uid := func(tag int, v string) attr { return attr{oidUID, tag, v} }
	tests := []struct {
		name   string
		attrs  []attr
		emails []string
		want   Identifiers
	}{
		{"CCCD in UTF8String", []attr{{oidCN, asn1.TagUTF8String, "Nguyễn Văn An"}, uid(asn1.TagUTF8String, "CCCD:001089012345")}, nil,
			Identifiers{PersonalID: "001089012345", CommonName: "Nguyễn Văn An", Raw: []string{"CCCD:001089012345"}}},
		{"lower case prefix and spaces", []attr{uid(asn1.TagUTF8String, "cccd : 001 089 012345")}, nil,
			Identifiers{PersonalID: "001089012345", Raw: []string{"cccd : 001 089 012345"}}},
		{"CMND of nine digits in PrintableString", []attr{uid(asn1.TagPrintableString, "CMND:012345678")}, nil,
			Identifiers{OldID: "012345678", Raw: []string{"CMND:012345678"}}},
		{"CMND of twelve digits is a personal ID", []attr{uid(asn1.TagPrintableString, "CMND:079190004567")}, nil,
			Identifiers{PersonalID: "079190004567", Raw: []string{"CMND:079190004567"}}},
		{"MST in IA5String", []attr{{oidO, asn1.TagUTF8String, "Công ty Cổ phần Sen Vàng"}, uid(asn1.TagIA5String, "MST:0301519977")}, nil,
			Identifiers{TaxCode: "0301519977", Organization: "Công ty Cổ phần Sen Vàng", Raw: []string{"MST:0301519977"}}},
		{"branch MST", []attr{uid(asn1.TagUTF8String, "MST:0301519977-029")}, nil,
			Identifiers{TaxCode: "0301519977-029", Raw: []string{"MST:0301519977-029"}}},
		{"passport in BMPString", []attr{uid(asn1.TagBMPString, "HC:b1234567")}, nil,
			Identifiers{Passport: "B1234567", Raw: []string{"HC:b1234567"}}},
		{"serialNumber with a prefix", []attr{{oidSerial, asn1.TagPrintableString, "CCCD:001089012345"}}, nil,
			Identifiers{PersonalID: "001089012345", Raw: []string{"CCCD:001089012345"}}},
		{"bare serialNumber is not an ID", []attr{{oidSerial, asn1.TagPrintableString, "001089012345"}}, nil, Identifiers{}},
		{"UID wins over serialNumber", []attr{{oidSerial, asn1.TagPrintableString, "CCCD:001185000777"},
			uid(asn1.TagUTF8String, "CCCD:001089012345")}, nil,
			Identifiers{PersonalID: "001089012345", Raw: []string{"CCCD:001089012345", "CCCD:001185000777"}}},
		{"business and person together", []attr{uid(asn1.TagUTF8String, "MST:0301519977"), uid(asn1.TagUTF8String, "CCCD:001089012345")}, nil,
			Identifiers{PersonalID: "001089012345", TaxCode: "0301519977", Raw: []string{"MST:0301519977", "CCCD:001089012345"}}},
		{"values that break the rules are left out", []attr{uid(asn1.TagUTF8String, "CCCD:12345"), uid(asn1.TagUTF8String, "MST:0301519976"),
			uid(asn1.TagUTF8String, "CCCD:999089012345x"), uid(asn1.TagUTF8String, "MNS:1234567")}, nil,
			Identifiers{Raw: []string{"CCCD:12345", "MST:0301519976", "CCCD:999089012345x"}}},
		{"e-mail addresses", []attr{{oidEmailAddress, asn1.TagIA5String, "An.NV@SoTTTT.example.gov.vn"}},
			[]string{"an.nv@sotttt.example.gov.vn", "an@example.vn"},
			Identifiers{Emails: []string{"an.nv@sotttt.example.gov.vn", "an@example.vn"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := ExtractIdentifiers(certWithSubject(t, tt.attrs, tt.emails...))
			if !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("ExtractIdentifiers =\n %+v\nwant\n %+v", got, tt.want)
			}
		})
	}
}

func TestExtractIdentifiersOfTestPKI(t *testing.T) {
	f := newFixture(t, nil)
	p := f.pki
	if got := ExtractIdentifiers(p.Official.Cert); got.PersonalID != identity.PersonalID("001089012345") ||
		got.CommonName != "Nguyễn Văn An" || len(got.Emails) != 1 {
		t.Fatalf("official: %+v", got)
	}
	if got := ExtractIdentifiers(p.Business.Cert); got.TaxCode != "0301519977" || got.PersonalID != "" {
		t.Fatalf("business: %+v", got)
	}
}
