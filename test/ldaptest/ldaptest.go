package ldaptest

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	_ "embed"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/go-ldap/ldap/v3"
)

// The directory tree every server holds.
const (
	// Suffix is the naming context of the test server.
	Suffix = "dc=tinh,dc=gov,dc=vn"
	// AdminDN is the root DN, allowed everything.
	AdminDN = "cn=admin," + Suffix
	// AdminPassword is the root DN's password.
	AdminPassword = "admin-secret"
	// ServiceDN is the service account dinhdanh binds as to search.
	ServiceDN = "cn=dinhdanh,ou=services," + Suffix
	// ServicePassword is the service account's password.
	ServicePassword = "dịch-vụ-secret"
	// DefaultPolicyDN is the ppolicy default policy: no expiry, lockout reported.
	DefaultPolicyDN = "cn=default,ou=policies," + Suffix
	// ExpiringPolicyDN is a ppolicy policy whose passwords expire after one day with no grace logins:
	// an entry that names it in pwdPolicySubentry and has an old pwdChangedTime has an expired password.
	ExpiringPolicyDN = "cn=expiring,ou=policies," + Suffix
)

// SlapdPath is where Debian installs the OpenLDAP server.
const SlapdPath = "/usr/sbin/slapd"

// SlapaddPath is Debian's offline loader, a link to slapd.
const SlapaddPath = "/usr/sbin/slapadd"

// adSchema gives OpenLDAP the Active Directory names (sAMAccountName,
// userPrincipalName, userAccountControl, memberOf, department, whenChanged,
// employeeID) through the auxiliary classes adUser and adGroup.
//
//go:embed ad.schema
var adSchema []byte

// Options choose what a server holds.
type Options struct {
	// LDIF lists fixture files loaded after the base entries, in order.
	LDIF []string
	// Schemas lists extra schema files (slapd.conf syntax) included after the standard ones.
	Schemas []string
}

// Server is a running slapd.
type Server struct {
	// URL is the plain ldap:// URL (StartTLS is offered).
	URL string
	// LDAPSURL is the ldaps:// URL.
	LDAPSURL string
	// CAFile is a PEM file holding the CA that issued the server certificate.
	CAFile string
	// CAPool trusts that CA.
	CAPool *x509.CertPool
	// Dir is the server's temporary directory (configuration, database, certificates).
	Dir string

	cmd  *exec.Cmd
	done chan struct{}
	log  *bytes.Buffer
	mu   sync.Mutex
}

// Available reports whether slapd is installed.
func Available() bool {
	_, err := os.Stat(SlapdPath)
	return err == nil
}

// Require skips the test when slapd is missing, or fails it when the
// environment variable CI is set.
func Require(t testing.TB) {
	t.Helper()
	if Available() {
		return
	}
	msg := SlapdPath + " is not installed: run test/services/install-ldap.sh (make test does) to run the LDAP tests"
	if os.Getenv("CI") != "" {
		t.Fatal(msg)
	}
	t.Skip(msg)
}

// Start starts a server holding the base entries and the fixtures of opts,
// stopped when t ends.
func Start(t testing.TB, opts Options) *Server {
	t.Helper()
	Require(t)
	dir, err := os.MkdirTemp("", "dinhdanh-slapd-")
	if err != nil {
		t.Fatal(err)
	}
	s, err := start(dir, opts)
	if err != nil {
		os.RemoveAll(dir)
		t.Fatalf("starting slapd: %v", err)
	}
	t.Cleanup(func() { s.Stop(); os.RemoveAll(dir) })
	return s
}

var shared struct {
	mu   sync.Mutex
	srv  *Server
	err  error
	dir  string
	opts string
}

// Shared returns the server of the test binary, started on first use with
// the fixtures of opts (later calls must pass the same options). Call
// [RunShared] from TestMain to stop it when the tests end.
func Shared(t testing.TB, opts Options) *Server {
	t.Helper()
	Require(t)
	shared.mu.Lock()
	defer shared.mu.Unlock()
	key := fmt.Sprint(opts)
	if shared.srv == nil && shared.err == nil {
		shared.opts = key
		shared.dir, shared.err = os.MkdirTemp("", "dinhdanh-slapd-")
		if shared.err == nil {
			shared.srv, shared.err = start(shared.dir, opts)
		}
	}
	if shared.err != nil {
		t.Fatalf("starting slapd: %v", shared.err)
	}
	if key != shared.opts {
		t.Fatalf("ldaptest.Shared called with other options: %s, first %s", key, shared.opts)
	}
	return shared.srv
}

// RunShared runs the tests and then stops the shared server; call it from
// TestMain: os.Exit(ldaptest.RunShared(m)).
func RunShared(m *testing.M) int {
	code := m.Run()
	shared.mu.Lock()
	defer shared.mu.Unlock()
	if shared.srv != nil {
		shared.srv.Stop()
	}
	if shared.dir != "" {
		os.RemoveAll(shared.dir)
	}
	return code
}

// Fixtures returns the LDIF files of dir (a package's testdata), sorted by name.
func Fixtures(t testing.TB, dir string) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "*.ldif"))
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(files)
	return files
}

func start(dir string, opts Options) (*Server, error) {
	caPEM, certPEM, keyPEM, pool, err := makeCertificates()
	if err != nil {
		return nil, err
	}
	s := &Server{Dir: dir, CAFile: filepath.Join(dir, "ca.pem"), CAPool: pool, log: &bytes.Buffer{}}
	for name, data := range map[string][]byte{"ad.schema": adSchema, "ca.pem": caPEM, "server.pem": certPEM, "server.key": keyPEM} {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o600); err != nil {
			return nil, err
		}
	}
	if err := os.MkdirAll(filepath.Join(dir, "db"), 0o700); err != nil {
		return nil, err
	}
	conf := filepath.Join(dir, "slapd.conf")
	if err := os.WriteFile(conf, []byte(slapdConf(dir, opts.Schemas)), 0o600); err != nil {
		return nil, err
	}
	// Everything is loaded offline, base entries first.
	var ldif bytes.Buffer
	ldif.WriteString(baseLDIF)
	for _, f := range opts.LDIF {
		data, err := os.ReadFile(f)
		if err != nil {
			return nil, err
		}
		ldif.WriteString("\n")
		ldif.Write(data)
		ldif.WriteString("\n")
	}
	all := filepath.Join(dir, "all.ldif")
	if err := os.WriteFile(all, ldif.Bytes(), 0o600); err != nil {
		return nil, err
	}
	add := exec.Command(SlapaddPath, "-q", "-f", conf, "-l", all)
	if out, err := add.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("slapadd: %v\n%s", err, out)
	}

	var lastErr error
	for range 5 {
		ports, err := freePorts(2)
		if err != nil {
			return nil, err
		}
		s.URL = "ldap://127.0.0.1:" + strconv.Itoa(ports[0])
		s.LDAPSURL = "ldaps://127.0.0.1:" + strconv.Itoa(ports[1])
		if lastErr = s.run(conf); lastErr == nil {
			return s, nil
		}
	}
	return nil, lastErr
}

func (s *Server) run(conf string) error {
	s.log.Reset()
	cmd := exec.Command(SlapdPath, "-f", conf, "-h", s.URL+"/ "+s.LDAPSURL+"/", "-d", "0")
	cmd.Stdout, cmd.Stderr = &lockedWriter{mu: &s.mu, w: s.log}, &lockedWriter{mu: &s.mu, w: s.log}
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		return err
	}
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case <-done:
			return fmt.Errorf("slapd exited: %s", s.Log())
		default:
		}
		if c, err := ldap.DialURL(s.URL); err == nil {
			_, err := c.Search(ldap.NewSearchRequest("", ldap.ScopeBaseObject, ldap.NeverDerefAliases, 0, 5, false,
				"(objectClass=*)", []string{"namingContexts"}, nil))
			c.Close()
			if err == nil {
				s.cmd, s.done = cmd, done
				return nil
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	cmd.Process.Kill()
	<-done
	return errors.New("slapd did not answer within 15s: " + s.Log())
}

// Log returns what slapd wrote.
func (s *Server) Log() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.log.String()
}

// Stop ends slapd.
func (s *Server) Stop() {
	if s.cmd == nil {
		return
	}
	s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.done:
	case <-time.After(10 * time.Second):
		s.cmd.Process.Kill()
		<-s.done
	}
	s.cmd = nil
}

// TLSConfig returns a client TLS configuration that trusts the server.
func (s *Server) TLSConfig() *tls.Config {
	return &tls.Config{RootCAs: s.CAPool, ServerName: "127.0.0.1", MinVersion: tls.VersionTLS12}
}

// Admin returns a connection bound as the root DN, closed when t ends.
func (s *Server) Admin(t testing.TB) *ldap.Conn {
	t.Helper()
	c, err := ldap.DialURL(s.URL)
	if err != nil {
		t.Fatalf("dialing slapd: %v", err)
	}
	t.Cleanup(func() { c.Close() })
	if err := c.Bind(AdminDN, AdminPassword); err != nil {
		t.Fatalf("binding as %s: %v", AdminDN, err)
	}
	return c
}

type lockedWriter struct {
	mu *sync.Mutex
	w  *bytes.Buffer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.w.Len() > 1<<20 {
		return len(p), nil
	}
	return l.w.Write(p)
}

func freePorts(n int) ([]int, error) {
	var lns []net.Listener
	defer func() {
		for _, ln := range lns {
			ln.Close()
		}
	}()
	var ports []int
	for range n {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		lns = append(lns, ln)
		ports = append(ports, ln.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}

// FreeAddress returns a loopback address where nothing listens: a
// directory server that is down.
func FreeAddress(t testing.TB) string {
	t.Helper()
	ports, err := freePorts(1)
	if err != nil {
		t.Fatal(err)
	}
	return "127.0.0.1:" + strconv.Itoa(ports[0])
}

func slapdConf(dir string, schemas []string) string {
	var b strings.Builder
	for _, s := range []string{"core", "cosine", "inetorgperson", "nis"} {
		fmt.Fprintf(&b, "include /etc/ldap/schema/%s.schema\n", s)
	}
	fmt.Fprintf(&b, "include %s/ad.schema\n", dir)
	for _, s := range schemas {
		abs, _ := filepath.Abs(s)
		fmt.Fprintf(&b, "include %s\n", abs)
	}
	fmt.Fprintf(&b, `pidfile %[1]s/slapd.pid
argsfile %[1]s/slapd.args
modulepath /usr/lib/ldap
moduleload back_mdb
moduleload ppolicy
loglevel none
sizelimit unlimited
timelimit unlimited
TLSCACertificateFile %[1]s/ca.pem
TLSCertificateFile %[1]s/server.pem
TLSCertificateKeyFile %[1]s/server.key

database mdb
maxsize 1073741824
suffix "%[2]s"
rootdn "%[3]s"
rootpw %[4]s
directory %[1]s/db
index objectClass eq
index uid,mail,cn,sAMAccountName,userPrincipalName eq
index member,uniqueMember,memberUid,memberOf eq
index modifyTimestamp eq,pres
access to attrs=userPassword by self write by anonymous auth by * none
access to * by * read

overlay ppolicy
ppolicy_default "%[5]s"
ppolicy_use_lockout
`, dir, Suffix, AdminDN, AdminPassword, DefaultPolicyDN)
	return b.String()
}

var baseLDIF = `dn: ` + Suffix + `
objectClass: top
objectClass: dcObject
objectClass: organization
o: Tỉnh
dc: tinh

dn: ou=services,` + Suffix + `
objectClass: organizationalUnit
ou: services

dn: ` + ServiceDN + `
objectClass: organizationalRole
objectClass: simpleSecurityObject
cn: dinhdanh
userPassword: ` + ServicePassword + `

dn: ou=policies,` + Suffix + `
objectClass: organizationalUnit
ou: policies

dn: ` + DefaultPolicyDN + `
objectClass: top
objectClass: person
objectClass: pwdPolicy
cn: default
sn: default
pwdAttribute: userPassword
pwdMaxAge: 0
pwdLockout: FALSE

dn: ` + ExpiringPolicyDN + `
objectClass: top
objectClass: person
objectClass: pwdPolicy
cn: expiring
sn: expiring
pwdAttribute: userPassword
pwdMaxAge: 86400
pwdGraceAuthNLimit: 0
`

// makeCertificates returns a CA certificate, a server certificate for
// 127.0.0.1 and localhost issued by it, the server's key, and a pool
// trusting the CA.
func makeCertificates() (caPEM, certPEM, keyPEM []byte, pool *x509.CertPool, err error) {
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, nil, nil, err
	}
	now := time.Now()
	caTmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "dinhdanh test CA"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(24 * time.Hour),
		KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageCRLSign, BasicConstraintsValid: true, IsCA: true,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		return nil, nil, nil, nil, err
	}
	ca, err := x509.ParseCertificate(caDER)
	if err != nil {
		return nil, nil, nil, nil, err
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, nil, nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "127.0.0.1"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(24 * time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, DNSNames: []string{"localhost"},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &key.PublicKey, caKey)
	if err != nil {
		return nil, nil, nil, nil, err
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, nil, nil, nil, err
	}
	pool = x509.NewCertPool()
	pool.AddCert(ca)
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER}),
		pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}), pool, nil
}
