// Package ldaptest runs a real OpenLDAP server (Debian's slapd) for tests.
//
// Flow: [Start] writes a slapd.conf into a temporary directory (mdb backend
// under the suffix dc=tinh,dc=gov,dc=vn, the ppolicy overlay with a default
// policy, the schemas core, cosine, inetorgperson and nis, plus the extra
// schema files a test names), generates a test CA and a server certificate
// in Go, loads the base entries and the test's LDIF fixtures offline with
// slapadd (so that fixtures may set operational attributes such as
// pwdChangedTime), then starts slapd on free loopback ports, ldap:// (with
// StartTLS) and ldaps://, and waits until it answers. The server is stopped
// when the test (or, for [Shared], the test binary) ends.
//
// Active Directory attribute and class names (sAMAccountName,
// userPrincipalName, userAccountControl, memberOf, department, whenChanged,
// employeeID; classes adUser and adGroup) come from the schema ad.schema,
// always loaded, so that AD-style configurations run against OpenLDAP.
//
// Fixtures follow one organisational unit per test: each LDIF file in a
// package's testdata/ creates its own ou=… under the suffix, and a test
// points its directory configuration at that unit only.
//
// When /usr/sbin/slapd is missing the test is skipped with a message, unless
// the environment variable CI is set: then it fails, so that a CI run never
// passes by skipping the LDAP tests silently. test/services/install-ldap.sh
// (run by make test) installs slapd and ldap-utils.
package ldaptest
