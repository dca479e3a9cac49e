package directory

import (
	"context"
	"errors"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-ldap/ldap/v3"

	"github.com/dinhdanh/dinhdanh/config"
	"github.com/dinhdanh/dinhdanh/server/admin"
	"github.com/dinhdanh/dinhdanh/server/authn"
	"github.com/dinhdanh/dinhdanh/server/identity"
	"github.com/dinhdanh/dinhdanh/store"
	"github.com/dinhdanh/dinhdanh/store/sqlstore"
	"github.com/dinhdanh/dinhdanh/test/ldaptest"
)

func TestMain(m *testing.M) { os.Exit(ldaptest.RunShared(m)) }

// slapd returns the package's OpenLDAP server, loaded with testdata/*.ldif
// (one organisational unit per test).
func slapd(t *testing.T) *ldaptest.Server {
	t.Helper()
	return ldaptest.Shared(t, ldaptest.Options{LDIF: ldaptest.Fixtures(t, "testdata")})
}

// openLDAP returns the configuration of a directory over one organisational
// unit of the test server, laid out as OpenLDAP directories are.
func openLDAP(srv *ldaptest.Server, unit string) config.Directory {
	d := config.DefaultDirectory()
	d.Name, d.Agency = "so-noi-vu", "Sở Nội vụ"
	d.URLs = []string{srv.URL}
	d.BindDN, d.BindPassword = ldaptest.ServiceDN, ldaptest.ServicePassword
	d.ConnectTimeout, d.Timeout = config.Duration(2*time.Second), config.Duration(5*time.Second)
	d.Users.BaseDN = "ou=people,ou=" + unit + "," + ldaptest.Suffix
	d.Users.LoginAttributes = []string{"uid", "mail"}
	d.Groups.BaseDN = "ou=groups,ou=" + unit + "," + ldaptest.Suffix
	return d
}

// openStore returns a fresh, migrated SQLite store.
func openStore(t testing.TB) *sqlstore.DB {
	t.Helper()
	db, err := sqlstore.OpenSQLite(t.Context(), filepath.Join(t.TempDir(), "dinhdanh.db"), 4)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if _, err := db.Migrate(t.Context()); err != nil {
		t.Fatal(err)
	}
	return db
}

// recordingLocker disables accounts as admin.Service does (without the
// session machinery, which the application test covers) and remembers which.
type recordingLocker struct {
	st     Store
	mu     sync.Mutex
	locked []string
}

func (l *recordingLocker) Lock(ctx context.Context, a *identity.Account, reason string) error {
	a.Disabled, a.DisabledReason = true, reason
	if err := l.st.UpdateAccount(ctx, a); err != nil {
		return err
	}
	l.mu.Lock()
	l.locked = append(l.locked, a.Official.Username)
	l.mu.Unlock()
	return nil
}

// ProveFromDirectory records the proof in the store as admin.Service does
// (the squatter's sessions and tokens are admin's tests' concern).
func (l *recordingLocker) ProveFromDirectory(ctx context.Context, accountID string, pid identity.PersonalID, source string) (string, error) {
	proof := identity.Verify(identity.ProofAuthoritativeSource, identity.Proofing{Provider: source}, time.Now())
	displaced, err := l.st.(interface {
		ProvePersonalID(ctx context.Context, id string, pid identity.PersonalID, p identity.Proofing) (string, error)
	}).ProvePersonalID(ctx, accountID, pid, proof)
	if f, ok := store.IsConflict(err); ok && f == "personal_id" {
		return "", admin.Problems{{Field: "personal_id", Message: "is proven by another account"}}
	}
	return displaced, err
}

type fixture struct {
	db     *sqlstore.DB
	set    *Set
	locker *recordingLocker
	// filters lists the filters of the user and group searches sent.
	filters *[]string
}

// newFixture prepares the directories over a fresh store, recording the
// filter of every search sent through the directories' search seam.
func newFixture(t *testing.T, o Options, cfgs ...config.Directory) *fixture {
	t.Helper()
	db := openStore(t)
	locker := &recordingLocker{st: db}
	set, err := NewSet(cfgs, o, db, locker)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(set.Close)
	var mu sync.Mutex
	filters := &[]string{}
	for _, d := range set.Directories() {
		d.search = func(c *conn, req *ldap.SearchRequest, pageSize uint32) (*ldap.SearchResult, error) {
			mu.Lock()
			*filters = append(*filters, req.Filter)
			mu.Unlock()
			return sendSearch(c, req, pageSize)
		}
	}
	return &fixture{db: db, set: set, locker: locker, filters: filters}
}

func (f *fixture) login(t *testing.T, input, password string) (*identity.Account, bool, bool, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	return f.set.Authenticate(ctx, input, password)
}

func (f *fixture) mustLogin(t *testing.T, input, password string) *identity.Account {
	t.Helper()
	acct, handled, ok, err := f.login(t, input, password)
	if err != nil || !handled || !ok || acct == nil {
		t.Fatalf("Authenticate(%q) = %v, handled %v, ok %v, err %v; want a login", input, acct, handled, ok, err)
	}
	return acct
}

func TestUserFilterEscapesOnce(t *testing.T) {
	d, err := New(func() config.Directory {
		c := config.DefaultDirectory()
		c.Name, c.URLs = "x", []string{"ldap://127.0.0.1:1"}
		c.Users.LoginAttributes = []string{"uid", "mail"}
		return c
	}(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ input, want string }{
		{"nva", `(&(objectClass=inetOrgPerson)(|(uid=nva)(mail=nva)))`},
		{"*)(uid=*", `(&(objectClass=inetOrgPerson)(|(uid=\2a\29\28uid=\2a)(mail=\2a\29\28uid=\2a)))`},
		{`ng(v)*a\b,c`, `(&(objectClass=inetOrgPerson)(|(uid=ng\28v\29\2aa\5cb,c)(mail=ng\28v\29\2aa\5cb,c)))`},
		{"ánh.nguyễn", `(&(objectClass=inetOrgPerson)(|(uid=\c3\a1nh.nguy\e1\bb\85n)(mail=\c3\a1nh.nguy\e1\bb\85n)))`},
		{`\2a`, `(&(objectClass=inetOrgPerson)(|(uid=\5c2a)(mail=\5c2a)))`},
		{"a\x00b", `(&(objectClass=inetOrgPerson)(|(uid=a\00b)(mail=a\00b)))`},
	} {
		if got := d.UserFilter(tc.input); got != tc.want {
			t.Errorf("UserFilter(%q)\n got %s\nwant %s", tc.input, got, tc.want)
		}
		if _, err := ldap.CompileFilter(d.UserFilter(tc.input)); err != nil {
			t.Errorf("UserFilter(%q) does not compile: %v", tc.input, err)
		}
	}
	if got, want := d.ModifiedFilter("20250102030405Z"), `(&(objectClass=inetOrgPerson)(modifyTimestamp>=20250102030405Z))`; got != want {
		t.Errorf("ModifiedFilter = %s, want %s", got, want)
	}
	// Decomposed input (some keyboards) is composed before it is escaped.
	if got, want := NormalizeInput(" a\u0301nh "), "ánh"; got != want {
		t.Errorf("NormalizeInput = %q, want %q", got, want)
	}
}

func TestLogin(t *testing.T) {
	srv := slapd(t)
	cfg := openLDAP(srv, "login")
	cfg.Groups.Roles = map[string][]string{"van-thu": {"qlvb.van_thu"}, "so-noi-vu": {"qlvb.xem"}, "lanh-dao": {"qlvb.lanh_dao"}}
	cfg.Groups.Required = "can-bo"
	f := newFixture(t, Options{}, cfg)

	t.Run("VietnameseName", func(t *testing.T) {
		*f.filters = nil
		acct := f.mustLogin(t, "ánh.nguyễn", "Mật khẩu đúng 1")
		want := `(&(objectClass=inetOrgPerson)(|(uid=\c3\a1nh.nguy\e1\bb\85n)(mail=\c3\a1nh.nguy\e1\bb\85n)))`
		if len(*f.filters) != 2 || (*f.filters)[1] != "(objectClass=groupOfNames)" {
			t.Fatalf("filters sent %q, want the person's, then the groups'", *f.filters)
		}
		if len(*f.filters) == 0 || (*f.filters)[0] != want {
			t.Fatalf("filters sent %q, want first %s", *f.filters, want)
		}
		o := acct.Official
		if acct.FullName != "Nguyễn Thị Ánh" || acct.Email != "anh.nt@snv.tinh.gov.vn" || acct.Phone != "+84912345678" ||
			o == nil || o.Username != "ánh.nguyễn" || o.Directory != "so-noi-vu" || o.Agency != "Sở Nội vụ" ||
			o.Title != "Chuyên viên" || o.Department != "Phòng Tổ chức cán bộ" {
			t.Fatalf("account %+v official %+v", acct, o)
		}
		// Nested through a cycle: van-thu → phong-to-chuc → so-noi-vu → van-thu, and so-noi-vu ∈ can-bo.
		if want := []string{"can-bo", "phong-to-chuc", "so-noi-vu", "van-thu"}; !slices.Equal(o.Groups, want) {
			t.Errorf("groups %v, want %v", o.Groups, want)
		}
		if want := []string{"qlvb.van_thu", "qlvb.xem"}; !slices.Equal(o.Roles, want) {
			t.Errorf("roles %v, want %v", o.Roles, want)
		}
		// The same person again, typed decomposed and in upper case: the same account.
		again := f.mustLogin(t, "  A\u0301NH.NGUYỄN ", "Mật khẩu đúng 1")
		if again.ID != acct.ID {
			t.Fatalf("second login made account %s, first %s", again.ID, acct.ID)
		}
		entries, err := f.db.ListDirectoryEntries(t.Context(), "so-noi-vu")
		if err != nil || len(entries) != 1 || entries[0].EmployeeNumber != "NV-0001" || entries[0].AccountID != acct.ID {
			t.Fatalf("entries %+v, %v", entries, err)
		}
		// Login with the mail attribute finds the same entry.
		byMail := f.mustLogin(t, "anh.nt@snv.tinh.gov.vn", "Mật khẩu đúng 1")
		if byMail.ID != acct.ID {
			t.Fatalf("login by mail made account %s, want %s", byMail.ID, acct.ID)
		}
	})

	t.Run("SpecialCharacters", func(t *testing.T) {
		*f.filters = nil
		acct := f.mustLogin(t, `ng(v)*a\b,c`, "ngoặc-sao-gạch")
		if acct.Official.Username != `ng(v)*a\b,c` {
			t.Fatalf("username %q", acct.Official.Username)
		}
		want := `(&(objectClass=inetOrgPerson)(|(uid=ng\28v\29\2aa\5cb,c)(mail=ng\28v\29\2aa\5cb,c)))`
		if (*f.filters)[0] != want {
			t.Fatalf("filter sent %s, want %s", (*f.filters)[0], want)
		}
	})

	t.Run("Injection", func(t *testing.T) {
		for _, input := range []string{"*)(uid=*", "*", "admin.tinh)(|(uid=*", "*)(|(objectClass=*", `admin.tin\68`, "admin*"} {
			*f.filters = nil
			acct, handled, ok, err := f.login(t, input, "quản-trị-bí-mật")
			if ok || acct != nil || err != nil || handled {
				t.Errorf("Authenticate(%q) = %v, handled %v, ok %v, err %v; want not found", input, acct, handled, ok, err)
			}
			if len(*f.filters) != 1 || strings.Contains((*f.filters)[0], "=*") {
				t.Errorf("Authenticate(%q) sent %q", input, *f.filters)
			}
		}
		want := `(&(objectClass=inetOrgPerson)(|(uid=\2a\29\28uid=\2a)(mail=\2a\29\28uid=\2a)))`
		*f.filters = nil
		f.login(t, "*)(uid=*", "x")
		if (*f.filters)[0] != want {
			t.Errorf("filter sent %s, want %s", (*f.filters)[0], want)
		}
	})

	t.Run("WrongPassword", func(t *testing.T) {
		acct, handled, ok, err := f.login(t, "admin.tinh", "sai mật khẩu")
		if !handled || ok || err != nil {
			t.Fatalf("wrong password = %v, handled %v, ok %v, err %v; want handled, not ok, no error", acct, handled, ok, err)
		}
	})

	t.Run("EmptyPassword", func(t *testing.T) {
		*f.filters = nil
		acct, handled, ok, err := f.login(t, "admin.tinh", "")
		if ok || err != nil || acct != nil || !handled {
			t.Fatalf("empty password = %v, handled %v, ok %v, err %v", acct, handled, ok, err)
		}
		if len(*f.filters) != 0 {
			t.Fatalf("an empty password sent %q", *f.filters)
		}
		// Below the authenticator too: bind refuses an empty password without a request.
		d := f.set.Directory("so-noi-vu")
		ok, err = d.bind(t.Context(), "uid=admin.tinh,ou=people,ou=login,"+ldaptest.Suffix, "")
		if ok || err != nil {
			t.Fatalf("bind with an empty password = %v, %v", ok, err)
		}
		// What the server would have done: accept it as an unauthenticated bind.
		c := srv.Admin(t)
		if _, err := c.SimpleBind(&ldap.SimpleBindRequest{Username: "uid=admin.tinh,ou=people,ou=login," + ldaptest.Suffix,
			AllowEmptyPassword: true}); err != nil {
			t.Logf("this slapd refuses unauthenticated binds too: %v", err)
		}
	})

	t.Run("UnknownUser", func(t *testing.T) {
		acct, handled, ok, err := f.login(t, "khong.ton.tai", "x")
		if handled || ok || err != nil || acct != nil {
			t.Fatalf("unknown user = %v, handled %v, ok %v, err %v; want not handled", acct, handled, ok, err)
		}
		// A personal ID is a citizen's: no directory is asked.
		*f.filters = nil
		if _, handled, _, _ := f.login(t, "001085012345", "x"); handled || len(*f.filters) != 0 {
			t.Fatalf("a personal ID was looked up in a directory: %q", *f.filters)
		}
	})

	t.Run("Ambiguous", func(t *testing.T) {
		acct, handled, ok, err := f.login(t, "chung@snv.tinh.gov.vn", "chung-1")
		if !handled || ok || err != nil || acct != nil {
			t.Fatalf("ambiguous = %v, handled %v, ok %v, err %v; want refused", acct, handled, ok, err)
		}
	})

	t.Run("PpolicyLocked", func(t *testing.T) {
		_, handled, ok, err := f.login(t, "khoa.lt", "khóa-rồi")
		if !handled || ok || !errors.Is(err, authn.ErrAccountDisabled) {
			t.Fatalf("locked = handled %v, ok %v, err %v; want ErrAccountDisabled", handled, ok, err)
		}
	})

	t.Run("PpolicyExpired", func(t *testing.T) {
		_, handled, ok, err := f.login(t, "hethan.pv", "hết-hạn-rồi")
		if !handled || ok || !errors.Is(err, authn.ErrPasswordExpired) {
			t.Fatalf("expired = handled %v, ok %v, err %v; want ErrPasswordExpired", handled, ok, err)
		}
		// A wrong password of an expired account is a wrong password.
		_, _, ok, err = f.login(t, "hethan.pv", "sai")
		if ok || err != nil {
			t.Fatalf("expired with a wrong password = %v, %v", ok, err)
		}
	})

	t.Run("RequiredGroup", func(t *testing.T) {
		acct, handled, ok, err := f.login(t, "ngoai.bien", "ngoài-biên-chế")
		if !handled || ok || !errors.Is(err, authn.ErrAccountDisabled) {
			t.Fatalf("outside the required group = handled %v, ok %v, err %v; want ErrAccountDisabled", handled, ok, err)
		}
		if acct == nil || !acct.Disabled || !strings.HasPrefix(acct.DisabledReason, DisabledReasonPrefix) {
			t.Fatalf("account %+v, want disabled by the directory", acct)
		}
	})

	t.Run("PooledConnections", func(t *testing.T) {
		d := f.set.Directory("so-noi-vu")
		before := d.IdleConnections()
		for range 5 {
			f.mustLogin(t, "admin.tinh", "quản-trị-bí-mật")
		}
		if after := d.IdleConnections(); after != before || after == 0 {
			t.Fatalf("idle connections %d after logins, %d before: connections are not reused", after, before)
		}
	})
}

// countingDialer counts and keeps the connections it opens.
type countingDialer struct {
	mu    sync.Mutex
	conns []*trackedConn
}

type trackedConn struct {
	net.Conn
	mu     sync.Mutex
	closed bool
}

func (c *trackedConn) Close() error {
	c.mu.Lock()
	c.closed = true
	c.mu.Unlock()
	return c.Conn.Close()
}

func (c *trackedConn) isClosed() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.closed
}

func (d *countingDialer) DialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	var nd net.Dialer
	c, err := nd.DialContext(ctx, network, addr)
	if err != nil {
		return nil, err
	}
	tc := &trackedConn{Conn: c}
	d.mu.Lock()
	d.conns = append(d.conns, tc)
	d.mu.Unlock()
	return tc, nil
}

func TestTLS(t *testing.T) {
	srv := slapd(t)
	t.Run("StartTLS", func(t *testing.T) {
		cfg := openLDAP(srv, "login")
		cfg.StartTLS, cfg.CAFile, cfg.ServerName = true, srv.CAFile, "127.0.0.1"
		dialer := &countingDialer{}
		f := newFixture(t, Options{Dialer: dialer}, cfg)
		f.mustLogin(t, "admin.tinh", "quản-trị-bí-mật")
		c, err := f.set.Directory("so-noi-vu").servers[0].search.get(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		if _, ok := c.TLSConnectionState(); !ok {
			t.Fatal("a StartTLS connection is not encrypted")
		}
	})
	t.Run("LDAPS", func(t *testing.T) {
		cfg := openLDAP(srv, "login")
		cfg.URLs, cfg.CAFile = []string{srv.LDAPSURL}, srv.CAFile
		f := newFixture(t, Options{}, cfg)
		f.mustLogin(t, "admin.tinh", "quản-trị-bí-mật")
	})
	t.Run("StartTLSFailureClosesTheConnection", func(t *testing.T) {
		cfg := openLDAP(srv, "login")
		cfg.StartTLS = true // with the system roots, which do not trust the test CA
		dialer := &countingDialer{}
		f := newFixture(t, Options{Dialer: dialer}, cfg)
		_, handled, ok, err := f.login(t, "admin.tinh", "quản-trị-bí-mật")
		if !handled || ok || !errors.Is(err, authn.ErrUnavailable) {
			t.Fatalf("login over a failing StartTLS = handled %v, ok %v, err %v; want ErrUnavailable", handled, ok, err)
		}
		if len(dialer.conns) == 0 {
			t.Fatal("no connection was dialed")
		}
		for i, c := range dialer.conns {
			if !c.isClosed() {
				t.Errorf("connection %d whose StartTLS failed is still open", i)
			}
		}
		if n := f.set.Directory("so-noi-vu").IdleConnections(); n != 0 {
			t.Errorf("%d connections pooled after StartTLS failed", n)
		}
	})
}

func TestFailover(t *testing.T) {
	srv := slapd(t)
	down := "ldap://" + ldaptest.FreeAddress(t)

	t.Run("NextURL", func(t *testing.T) {
		cfg := openLDAP(srv, "login")
		cfg.URLs = []string{down, srv.URL}
		now := time.Date(2025, 3, 1, 8, 0, 0, 0, time.UTC)
		f := newFixture(t, Options{Now: func() time.Time { return now }}, cfg)
		f.mustLogin(t, "admin.tinh", "quản-trị-bí-mật")
		d := f.set.Directory("so-noi-vu")
		if !d.servers[0].isDown() || d.servers[1].isDown() {
			t.Fatal("the server that is down is not marked down")
		}
		now = now.Add(downFor + time.Second)
		if d.servers[0].isDown() {
			t.Fatal("the down mark does not expire")
		}
	})

	t.Run("TwoDirectoriesOneDown", func(t *testing.T) {
		broken := openLDAP(srv, "login")
		broken.Name, broken.URLs = "so-xay-dung", []string{down}
		live := openLDAP(srv, "login")
		f := newFixture(t, Options{}, broken, live)
		acct := f.mustLogin(t, "admin.tinh", "quản-trị-bí-mật")
		if acct.Official.Directory != "so-noi-vu" {
			t.Fatalf("logged in through %s", acct.Official.Directory)
		}
		// Someone in no reachable directory, who is no local account: the outage is reported.
		_, handled, ok, err := f.login(t, "nguoi.la", "x")
		if !handled || ok || !errors.Is(err, authn.ErrUnavailable) {
			t.Fatalf("unknown user with a directory down = handled %v, ok %v, err %v; want ErrUnavailable", handled, ok, err)
		}
		// A local account's identifier is left to the local password check.
		local := &identity.Account{ID: identity.NewSubject(), FullName: "Lê Văn Cục Bộ", Locale: "vi",
			Official: &identity.Official{Username: "cucbo.lv", Agency: "UBND"}}
		if err := f.db.CreateAccount(t.Context(), local, ""); err != nil {
			t.Fatal(err)
		}
		if _, handled, _, err := f.login(t, "cucbo.lv", "x"); handled || err != nil {
			t.Fatalf("local official with a directory down = handled %v, err %v", handled, err)
		}
		// The account linked to the directory that is down: its outage, not another directory.
		linked := &identity.Account{ID: identity.NewSubject(), FullName: "Trần Liên Kết", Locale: "vi",
			Official: &identity.Official{Username: "admin.tinh", Agency: "Sở Xây dựng", Directory: "so-xay-dung"}}
		if err := f.db.CreateAccount(t.Context(), linked, ""); err != nil {
			t.Fatal(err)
		}
		if _, _, ok, err := f.login(t, "admin.tinh", "quản-trị-bí-mật"); ok || !errors.Is(err, authn.ErrUnavailable) {
			t.Fatalf("login of an account linked to a directory that is down = ok %v, err %v; want ErrUnavailable", ok, err)
		}
		// DOMAIN\user picks the directory.
		f.set.Directory("so-noi-vu").cfg.Domains = []string{"SNV"}
		if acct := f.mustLogin(t, `snv\admin.tinh`, "quản-trị-bí-mật"); acct.Official.Directory != "so-noi-vu" {
			t.Fatalf(`SNV\admin.tinh logged in through %s`, acct.Official.Directory)
		}
	})
}

func TestActiveDirectoryNames(t *testing.T) {
	srv := slapd(t)
	cfg := openLDAP(srv, "ad")
	cfg.Name, cfg.Agency, cfg.Domains = "ad-tinh", "Văn phòng UBND tỉnh", []string{"TINH", "tinh.gov.vn"}
	cfg.Users.BaseDN = "ou=staff,ou=ad," + ldaptest.Suffix
	cfg.Users.Filter = "(objectClass=adUser)"
	cfg.Users.LoginAttributes = []string{"sAMAccountName", "userPrincipalName"}
	cfg.Users.Attributes.FullName, cfg.Users.Attributes.Phone = "displayName", "mobile"
	cfg.Users.Attributes.Department, cfg.Users.Attributes.PersonalID = "department", "employeeID"
	cfg.Groups.Filter, cfg.Groups.Membership = "(objectClass=adGroup)", "memberOf"
	cfg.Groups.Roles = map[string][]string{"gg-ubnd": {"mcdt.xem"}}
	cfg.Sync.ModifiedAttribute = "whenChanged"
	f := newFixture(t, Options{}, cfg)

	// A citizen who registered with the personal ID the directory holds, and
	// proved it: the directory official is still not merged into that
	// account (a matching number is no proof that the same person holds both
	// passwords; an asserted ID: TestUnprovenCitizenNotLinked).
	citizen := &identity.Account{ID: identity.NewSubject(), FullName: "Hoàng Minh Đức", Locale: "vi",
		PersonalID: "001085012345", Email: "duc.citizen@gmail.com",
		Proofing: identity.Verify(identity.ProofInPerson, identity.Proofing{Document: "cccd", By: "tn.hoa"}, time.Now())}
	if err := f.db.CreateAccount(t.Context(), citizen, ""); err != nil {
		t.Fatal(err)
	}
	var official string
	for _, input := range []string{`TINH\duc.hm`, "duc.hm@tinh.gov.vn", "Duc.HM"} {
		acct := f.mustLogin(t, input, "Đức-AD-2025")
		if acct.ID == citizen.ID || acct.PersonalID != "" || (official != "" && acct.ID != official) {
			t.Fatalf("%s: account %s (personal ID %q), want one account of the official's own, apart from the citizen %s and without the ID",
				input, acct.ID, acct.PersonalID, citizen.ID)
		}
		official = acct.ID
		o := acct.Official
		if o.Username != "duc.hm" || o.Department != "Văn phòng" || o.Title != "Phó Chánh Văn phòng" || acct.FullName != "Hoàng Minh Đức" {
			t.Fatalf("%s: account %+v official %+v", input, acct, o)
		}
		if want := []string{"GG-UBND", "GG-VanPhong"}; !slices.Equal(o.Groups, want) {
			t.Fatalf("groups %v, want %v (memberOf, nested, with a cycle)", o.Groups, want)
		}
		if !slices.Equal(o.Roles, []string{"mcdt.xem"}) {
			t.Fatalf("roles %v", o.Roles)
		}
	}
	// userAccountControl 514: disabled, whatever the password.
	if _, _, ok, err := f.login(t, "khoa.vt", "khóa-AD"); ok || !errors.Is(err, authn.ErrAccountDisabled) {
		t.Fatalf("AD-disabled account = ok %v, err %v; want ErrAccountDisabled", ok, err)
	}
	if _, _, ok, err := f.login(t, "khoa.vt", "sai"); ok || err != nil {
		t.Fatalf("AD-disabled account with a wrong password = ok %v, err %v; want a wrong password", ok, err)
	}
	// Sync: the disabled entry's account is disabled; the cursor follows whenChanged.
	res, err := f.set.Sync(t.Context(), "ad-tinh", true, nil)
	if err != nil {
		t.Fatal(err)
	}
	if res.Seen != 2 || res.HighWater != "20250101000000.0Z" {
		t.Fatalf("sync %+v", res)
	}
	if acct, err := f.db.FindDirectoryAccount(t.Context(), "ad-tinh", "duc.hm"); err != nil || acct.Disabled {
		t.Fatalf("duc.hm after sync: %+v, %v", acct, err)
	}
	if acct, err := f.db.FindDirectoryAccount(t.Context(), "ad-tinh", "duc.hm"); err != nil || acct.ID != official {
		t.Fatalf("FindDirectoryAccount = %v, %v", acct, err)
	}
	if got, err := f.db.GetAccount(t.Context(), citizen.ID); err != nil || got.Official != nil || got.PersonalID != citizen.PersonalID || !got.PersonalIDVerified() {
		t.Fatalf("the citizen after the directory's logins and sync: %+v, %v", got, err)
	}
}

func TestADBindStates(t *testing.T) {
	for code, want := range map[string]error{
		"532": errPasswordExpired, "773": errPasswordExpired, "533": errAccountDisabled, "775": errAccountDisabled,
		"701": errAccountDisabled, "52e": nil,
	} {
		err := ldap.NewError(ldap.LDAPResultInvalidCredentials,
			errors.New("80090308: LdapErr: DSID-0C09044E, comment: AcceptSecurityContext error, data "+code+", v4563"))
		if got := bindState(nil, err); got != want {
			t.Errorf("data %s: %v, want %v", code, got, want)
		}
	}
}

func TestGroupMemberships(t *testing.T) {
	srv := slapd(t)
	for _, tc := range []struct {
		membership string
		want       string
	}{{"memberUid", "ke-toan"}, {"uniqueMember", "thu-quy"}} {
		t.Run(tc.membership, func(t *testing.T) {
			cfg := openLDAP(srv, "posix")
			cfg.Groups.Membership = tc.membership
			f := newFixture(t, Options{}, cfg)
			acct := f.mustLogin(t, "em.dt", "em-1")
			if !slices.Equal(acct.Official.Groups, []string{tc.want}) {
				t.Fatalf("groups %v, want [%s]", acct.Official.Groups, tc.want)
			}
		})
	}
	t.Run("NotNested", func(t *testing.T) {
		cfg := openLDAP(srv, "login")
		cfg.Groups.Nested = false
		f := newFixture(t, Options{}, cfg)
		acct := f.mustLogin(t, "ánh.nguyễn", "Mật khẩu đúng 1")
		if !slices.Equal(acct.Official.Groups, []string{"van-thu"}) {
			t.Fatalf("groups %v, want [van-thu]", acct.Official.Groups)
		}
	})
}

func TestSync(t *testing.T) {
	srv := slapd(t)
	cfg := openLDAP(srv, "sync")
	cfg.Name, cfg.Agency = "so-xay-dung", "Sở Xây dựng"
	cfg.Groups.Roles = map[string][]string{"truong-phong": {"qlvb.duyet"}}
	cfg.Sync.PageSize = 2 // three people: two pages
	f := newFixture(t, Options{}, cfg)
	ctx := t.Context()

	var progress []int
	res, err := f.set.Sync(ctx, "so-xay-dung", false, func(done, total int) { progress = append(progress, done) })
	if err != nil {
		t.Fatal(err)
	}
	if !res.Full || res.Seen != 3 || res.Created != 3 || res.HighWater == "" || !slices.Equal(progress, []int{1, 2, 3}) {
		t.Fatalf("first sync %+v, progress %v", res, progress)
	}
	an, err := f.db.FindDirectoryAccount(ctx, "so-xay-dung", "an.tv")
	if err != nil || an.Official.Title != "Trưởng phòng" || !slices.Equal(an.Official.Roles, []string{"qlvb.duyet"}) ||
		an.Official.Agency != "Sở Xây dựng" {
		t.Fatalf("an.tv = %+v, %v", an, err)
	}
	cur, err := f.db.GetDirectoryCursor(ctx, "so-xay-dung")
	if err != nil || cur.HighWater != res.HighWater || cur.Entries != 3 || cur.FullSyncAt.IsZero() {
		t.Fatalf("cursor %+v, %v", cur, err)
	}
	// Nothing changed: an incremental run updates nothing.
	res, err = f.set.Sync(ctx, "so-xay-dung", false, nil)
	if err != nil || res.Full || res.Created+res.Updated+res.Disabled != 0 {
		t.Fatalf("second sync %+v, %v", res, err)
	}

	admin := srv.Admin(t)
	people := "ou=people,ou=sync," + ldaptest.Suffix
	// A title changes: the incremental run (modifyTimestamp ≥ cursor) updates it.
	mod := ldap.NewModifyRequest("uid=binh.lt,"+people, nil)
	mod.Replace("title", []string{"Phó Trưởng phòng"})
	if err := admin.Modify(mod); err != nil {
		t.Fatal(err)
	}
	*f.filters = nil
	res, err = f.set.Sync(ctx, "so-xay-dung", false, nil)
	if err != nil || res.Full || res.Updated != 1 {
		t.Fatalf("incremental sync %+v, %v", res, err)
	}
	if !slices.ContainsFunc(*f.filters, func(s string) bool { return strings.Contains(s, "(modifyTimestamp>=") }) {
		t.Fatalf("incremental sync sent %q", *f.filters)
	}
	binh, _ := f.db.FindDirectoryAccount(ctx, "so-xay-dung", "binh.lt")
	if binh.Official.Title != "Phó Trưởng phòng" {
		t.Fatalf("binh.lt title %q", binh.Official.Title)
	}

	// A person is removed: the full run disables the account.
	if err := admin.Del(ldap.NewDelRequest("uid=cuong.nv,"+people, nil)); err != nil {
		t.Fatal(err)
	}
	mod = ldap.NewModifyRequest("cn=nhan-vien,ou=groups,ou=sync,"+ldaptest.Suffix, nil)
	mod.Delete("member", []string{"uid=cuong.nv," + people})
	if err := admin.Modify(mod); err != nil {
		t.Fatal(err)
	}
	res, err = f.set.Sync(ctx, "so-xay-dung", false, nil)
	if err != nil || !res.Full || res.Disabled != 1 {
		t.Fatalf("sync after removal %+v, %v (a group changed: the run must be full)", res, err)
	}
	cuong, _ := f.db.FindDirectoryAccount(ctx, "so-xay-dung", "cuong.nv")
	if !cuong.Disabled || !strings.HasPrefix(cuong.DisabledReason, DisabledReasonPrefix) || !slices.Contains(f.locker.locked, "cuong.nv") {
		t.Fatalf("cuong.nv after removal: %+v (locked %v)", cuong, f.locker.locked)
	}
	// Lists of officials read the database.
	list, err := f.db.ListAccounts(ctx, store.AccountFilter{Capacity: identity.CapacityOfficial, Query: "Bình"})
	if err != nil || len(list) != 1 || list[0].ID != binh.ID {
		t.Fatalf("ListAccounts = %v, %v", list, err)
	}
}

// A citizen who only asserted the personal ID the directory holds (typed it
// at registration) is not the official: the directory login makes the
// official's own account, without that ID, and the citizen's account gets
// no official capacity, roles or groups.
func TestUnprovenCitizenNotLinked(t *testing.T) {
	srv := slapd(t)
	cfg := openLDAP(srv, "ad")
	cfg.Name, cfg.Agency, cfg.Domains = "ad-tinh", "Văn phòng UBND tỉnh", []string{"TINH", "tinh.gov.vn"}
	cfg.Users.BaseDN = "ou=staff,ou=ad," + ldaptest.Suffix
	cfg.Users.Filter = "(objectClass=adUser)"
	cfg.Users.LoginAttributes = []string{"sAMAccountName", "userPrincipalName"}
	cfg.Users.Attributes.FullName, cfg.Users.Attributes.Phone = "displayName", "mobile"
	cfg.Users.Attributes.Department, cfg.Users.Attributes.PersonalID = "department", "employeeID"
	cfg.Groups.Filter, cfg.Groups.Membership = "(objectClass=adGroup)", "memberOf"
	cfg.Groups.Roles = map[string][]string{"gg-ubnd": {"mcdt.xem"}}
	cfg.Sync.ModifiedAttribute = "whenChanged"
	f := newFixture(t, Options{}, cfg)

	squatter := &identity.Account{ID: identity.NewSubject(), FullName: "Kẻ Mạo Danh", Locale: "vi",
		PersonalID: "001085012345", Email: "mao.danh@gmail.com"}
	if err := f.db.CreateAccount(t.Context(), squatter, ""); err != nil {
		t.Fatal(err)
	}
	acct := f.mustLogin(t, `TINH\duc.hm`, "Đức-AD-2025")
	if acct.ID == squatter.ID || acct.Official == nil || acct.PersonalID != "" {
		t.Fatalf("the directory official: %+v, want an account of its own without the asserted ID", acct)
	}
	got, err := f.db.GetAccount(t.Context(), squatter.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Official != nil || got.Admin || got.PersonalID != "001085012345" {
		t.Fatalf("the squatter after the directory login: %+v official %+v", got, got.Official)
	}
}

// A directory the operator marks authoritative proves the personal IDs it
// provides: the full sync records duc.hm's ID as verified by the directory,
// and the citizen who had only asserted it loses it. Unmarked, the ID is not
// proven and the squatter keeps it.
func TestAuthoritativeDirectoryProvesPersonalID(t *testing.T) {
	for _, authoritative := range []bool{true, false} {
		srv := slapd(t)
		cfg := openLDAP(srv, "ad")
		cfg.Name, cfg.Agency, cfg.Domains = "ad-tinh", "Văn phòng UBND tỉnh", []string{"TINH", "tinh.gov.vn"}
		cfg.Users.BaseDN = "ou=staff,ou=ad," + ldaptest.Suffix
		cfg.Users.Filter = "(objectClass=adUser)"
		cfg.Users.LoginAttributes = []string{"sAMAccountName", "userPrincipalName"}
		cfg.Users.Attributes.FullName, cfg.Users.Attributes.Phone = "displayName", "mobile"
		cfg.Users.Attributes.Department, cfg.Users.Attributes.PersonalID = "department", "employeeID"
		cfg.Sync.ModifiedAttribute = "whenChanged"
		cfg.PersonalIDAuthoritative = authoritative
		f := newFixture(t, Options{}, cfg)
		ctx := t.Context()
		squatter := &identity.Account{ID: identity.NewSubject(), FullName: "Kẻ Mạo Danh", Locale: "vi",
			PersonalID: "001085012345", Email: "mao.danh@gmail.com"}
		if err := f.db.CreateAccount(ctx, squatter, ""); err != nil {
			t.Fatal(err)
		}
		if _, err := f.set.Sync(ctx, cfg.Name, true, nil); err != nil {
			t.Fatal(err)
		}
		duc, err := f.db.FindDirectoryAccount(ctx, cfg.Name, "duc.hm")
		if err != nil {
			t.Fatal(err)
		}
		got, err := f.db.GetAccount(ctx, squatter.ID)
		if err != nil {
			t.Fatal(err)
		}
		if authoritative {
			if duc.PersonalID != "001085012345" || !duc.PersonalIDVerified() ||
				duc.Proofing.Method != identity.ProofAuthoritativeSource || duc.Proofing.Provider != cfg.Name {
				t.Fatalf("authoritative: duc.hm = %+v proofing %+v", duc, duc.Proofing)
			}
			if got.PersonalID != "" {
				t.Fatalf("authoritative: the squatter kept %q", got.PersonalID)
			}
		} else {
			if duc.PersonalIDVerified() || duc.PersonalID == "001085012345" || got.PersonalID != "001085012345" {
				t.Fatalf("not authoritative: duc.hm %+v, squatter %+v", duc, got)
			}
		}
	}
}
