package ldaptest

import (
	"testing"

	"github.com/go-ldap/ldap/v3"
)

// TestStart checks the server itself: the base entries, StartTLS, LDAPS,
// the service account's bind and the ppolicy states.
func TestStart(t *testing.T) {
	s := Start(t, Options{})
	c, err := ldap.DialURL(s.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.StartTLS(s.TLSConfig()); err != nil {
		t.Fatalf("StartTLS: %v", err)
	}
	if err := c.Bind(ServiceDN, ServicePassword); err != nil {
		t.Fatalf("service bind: %v", err)
	}
	res, err := c.Search(ldap.NewSearchRequest(Suffix, ldap.ScopeWholeSubtree, ldap.NeverDerefAliases, 0, 0, false,
		"(objectClass=pwdPolicy)", []string{"cn", "modifyTimestamp"}, nil))
	if err != nil || len(res.Entries) != 2 {
		t.Fatalf("policies: %v, %v", res, err)
	}
	if res.Entries[0].GetAttributeValue("modifyTimestamp") == "" {
		t.Errorf("slapadd left no modifyTimestamp")
	}
	tc, err := ldap.DialURL(s.LDAPSURL, ldap.DialWithTLSConfig(s.TLSConfig()))
	if err != nil {
		t.Fatalf("ldaps: %v", err)
	}
	defer tc.Close()
	if err := tc.Bind(ServiceDN, ServicePassword); err != nil {
		t.Fatalf("service bind over ldaps: %v", err)
	}
	if err := tc.Bind(ServiceDN, "wrong"); !ldap.IsErrorWithCode(err, ldap.LDAPResultInvalidCredentials) {
		t.Fatalf("wrong password: %v", err)
	}
}
