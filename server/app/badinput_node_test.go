package app_test

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"fmt"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/dinhdanh/dinhdanh/config"
	"github.com/dinhdanh/dinhdanh/server/admin"
	"github.com/dinhdanh/dinhdanh/server/app"
	"github.com/dinhdanh/dinhdanh/server/authn"
	"github.com/dinhdanh/dinhdanh/server/identity"
	"github.com/dinhdanh/dinhdanh/store"
	"github.com/dinhdanh/dinhdanh/test/harness"
)

// The requirement under test: bad input of any kind — malformed identifiers,
// unknown clients, redirect URIs that are not registered exactly, PKCE
// mistakes, replayed codes and refresh tokens, missing CSRF tokens, oversized
// fields and bodies, invalid UTF-8 — gets a clear error (a page in the user's
// language, or RFC 6749 JSON), never a redirect to an unregistered URI, and
// changes nothing.

// Fixtures shared by the tests below.
const (
	portalCallback   = "https://portal.example.vn/callback"
	loopbackCallback = "http://127.0.0.1:8765/cb"
	partnerCallback  = "https://partner.example.vn/cb"

	anPID      = "001090012345" // Hà Nội, male, born 1990
	anEmail    = "an@example.vn"
	anPassword = "mật khẩu của An 2024"

	binhPID      = "079195001234" // Hồ Chí Minh, female, born 1995
	binhEmail    = "binh@example.vn"
	binhPassword = "mật khẩu của Bình 2024"

	representedTaxCode = "0100109106"
	otherTaxCode       = "0100233488" // valid, but nobody represents it
)

// node is one dinhdanh node started in the test process through the
// harness, administered through the same service as the command line.
type node struct {
	srv   *harness.Server
	cfg   *config.Config
	app   *app.App
	admin *admin.Service
	raw   *sql.DB // a second connection to the SQLite file, for snapshots
	url   string

	portalSecret  string
	partnerSecret string
	serviceSecret string
	an, binh      *identity.Account
}

// newNode starts a node with the product's default policy (fast brute-force
// delays, the minimum argon2id cost) and the fixtures of setUp. Bad input
// must never make the server log an error: one fails the test.
func newNode(t *testing.T) *node {
	t.Helper()
	var srv *harness.Server
	// Registered first, so that it runs after the node has stopped.
	t.Cleanup(func() {
		if srv == nil {
			return
		}
		for _, line := range strings.Split(srv.Log(), "\n") {
			if strings.Contains(line, "level=ERROR") {
				t.Errorf("the server logged an error: %s", line)
			}
		}
	})
	srv = harness.StartInProcess(t, harness.WithDefaultAssurance(),
		harness.WithEnv("DINHDANH_LOG_LEVEL", "warn"),
		harness.WithEnv("DINHDANH_PASSWORD_MEMORY_KIB", "19456"),
		harness.WithEnv("DINHDANH_PASSWORD_ITERATIONS", "2"),
		harness.WithEnv("DINHDANH_BRUTE_FORCE_BASE_DELAY", "1ms"),
		harness.WithEnv("DINHDANH_BRUTE_FORCE_MAX_DELAY", "4ms"),
		// Strict rotation: a replayed refresh token is reuse at once (the
		// reuse window has its own tests, test/e2e TestRefreshReuseWindow).
		harness.WithEnv("DINHDANH_TOKENS_REFRESH_REUSE_WINDOW", "0"))
	cfg := srv.Config
	raw, err := sql.Open("sqlite", "file:"+cfg.DatabasePath()+"?_pragma=busy_timeout(10000)")
	if err != nil {
		t.Fatalf("opening the database for snapshots: %v", err)
	}
	t.Cleanup(func() { raw.Close() })
	n := &node{srv: srv, cfg: cfg, app: srv.App, raw: raw, url: srv.URL(""), admin: srv.Admin(t)}
	if n.url != cfg.Issuer {
		t.Fatalf("server URL %s differs from the issuer %s", n.url, cfg.Issuer)
	}
	n.setUp(t)
	return n
}

// setUp registers the clients and accounts every test uses, as an operator
// would with the command line.
func (n *node) setUp(t *testing.T) {
	t.Helper()
	ctx := context.Background()
	var err error
	_, n.portalSecret, err = n.admin.CreateClient(ctx, admin.ClientSpec{ID: "portal", Name: "Cổng dịch vụ công tỉnh",
		FirstParty: true, RedirectURIs: []string{portalCallback, loopbackCallback},
		Scopes: []string{"openid", "profile", "email", "phone", "personal_id", "business", "offline_access"}})
	if err != nil {
		t.Fatalf("creating client portal: %v", err)
	}
	if _, _, err = n.admin.CreateClient(ctx, admin.ClientSpec{ID: "native", Name: "Ứng dụng di động", Public: true,
		FirstParty: true, RedirectURIs: []string{loopbackCallback}, Scopes: []string{"openid", "profile", "offline_access"}}); err != nil {
		t.Fatalf("creating client native: %v", err)
	}
	_, n.partnerSecret, err = n.admin.CreateClient(ctx, admin.ClientSpec{ID: "partner", Name: "Ứng dụng đối tác",
		RedirectURIs: []string{partnerCallback}, Scopes: []string{"openid", "profile", "email"}})
	if err != nil {
		t.Fatalf("creating client partner: %v", err)
	}
	_, n.serviceSecret, err = n.admin.CreateClient(ctx, admin.ClientSpec{ID: "service", Name: "Trục liên thông LGSP",
		GrantTypes: []string{"client_credentials"}, Scopes: []string{"reports.read"}})
	if err != nil {
		t.Fatalf("creating client service: %v", err)
	}
	now := time.Now()
	n.an, _, err = n.admin.CreateAccount(ctx, admin.AccountSpec{Kind: identity.CapacityCitizen, PersonalID: anPID,
		FullName: "Nguyễn Văn An", Birthdate: "1990-05-17", Gender: "male", Email: anEmail, Password: anPassword,
		Evidence: admin.Evidence{Method: "authoritative-source", Source: "test fixtures"}}, now)
	if err != nil {
		t.Fatalf("creating account An: %v", err)
	}
	n.binh, _, err = n.admin.CreateAccount(ctx, admin.AccountSpec{Kind: identity.CapacityCitizen, PersonalID: binhPID,
		FullName: "Trần Thị Bình", Birthdate: "1995-03-08", Gender: "female", Email: binhEmail, Password: binhPassword,
		Evidence: admin.Evidence{Method: "authoritative-source", Source: "test fixtures"}}, now)
	if err != nil {
		t.Fatalf("creating account Bình: %v", err)
	}
	if _, err := n.admin.LinkRepresentative(ctx, n.an, representedTaxCode, "Công ty TNHH Sao Mai", "legal_representative"); err != nil {
		t.Fatalf("linking An to a business: %v", err)
	}
}

// ---------------------------------------------------------------------------
// State snapshots.

// snapshot is what a bad request must leave untouched: counts read through
// the store's interfaces, and digests of the durable tables and of the live
// ephemeral records, read from the same database file.
type snapshot map[string]string

func (n *node) snapshot(t *testing.T) snapshot {
	t.Helper()
	ctx := context.Background()
	st := n.app.Store
	s := snapshot{}
	accts, err := st.ListAccounts(ctx, store.AccountFilter{Limit: 1000})
	if err != nil {
		t.Fatalf("listing accounts: %v", err)
	}
	consents, reps, sessions := 0, 0, 0
	for _, a := range accts {
		cs, err := st.ListConsents(ctx, a.ID)
		if err != nil {
			t.Fatalf("listing consents: %v", err)
		}
		rs, err := st.Representations(ctx, a.ID)
		if err != nil {
			t.Fatalf("listing representations: %v", err)
		}
		ss, err := n.app.Eph.RecordsBySubject(ctx, store.KindSSOSession, a.ID)
		if err != nil {
			t.Fatalf("listing sessions: %v", err)
		}
		consents, reps, sessions = consents+len(cs), reps+len(rs), sessions+len(ss)
	}
	clients, err := st.ListClients(ctx)
	if err != nil {
		t.Fatalf("listing clients: %v", err)
	}
	s["accounts (ListAccounts)"] = fmt.Sprint(len(accts))
	s["consents (ListConsents)"] = fmt.Sprint(consents)
	s["representations"] = fmt.Sprint(reps)
	s["clients (ListClients)"] = fmt.Sprint(len(clients))
	s["SSO sessions"] = fmt.Sprint(sessions)
	for _, table := range []string{"accounts", "businesses", "representations", "clients", "consents", "refresh_tokens"} {
		s["table "+table] = n.digest(t, "SELECT * FROM "+table+" ORDER BY 1, 2")
	}
	s["active refresh tokens"] = n.digest(t, "SELECT signature FROM refresh_tokens WHERE active=1 ORDER BY 1")
	now := time.Now().UnixMilli()
	for _, kind := range []store.RecordKind{store.KindAuthorizeCode, store.KindPKCE, store.KindOIDC, store.KindAccessToken,
		store.KindLoginFlow, store.KindSSOSession} {
		s["records "+string(kind)] = n.digest(t, "SELECT key, request_id, subject, data, used FROM records WHERE kind=$1 AND expires_at>$2 ORDER BY key",
			string(kind), now)
	}
	return s
}

// digest returns the number of rows of the query and a hash of their values.
func (n *node) digest(t *testing.T, query string, args ...any) string {
	t.Helper()
	rows, err := n.raw.Query(query, args...)
	if err != nil {
		t.Fatalf("snapshot query %q: %v", query, err)
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		t.Fatal(err)
	}
	h := sha256.New()
	count := 0
	vals := make([]any, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		for _, v := range vals {
			fmt.Fprintf(h, "%v\x00", v)
		}
		h.Write([]byte{'\n'})
		count++
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return fmt.Sprintf("%d rows %x", count, h.Sum(nil)[:6])
}

// unchanged fails t when the state differs from before, apart from the
// entries named in except.
func (n *node) unchanged(t *testing.T, before snapshot, except ...string) {
	t.Helper()
	after := n.snapshot(t)
	keys := make([]string, 0, len(before))
	for k := range before {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if slices.Contains(except, k) {
			continue
		}
		if before[k] != after[k] {
			t.Errorf("bad input changed the state: %s: before %s, after %s", k, before[k], after[k])
		}
	}
}

// failures returns the recent failed logins the administrators see for the account.
func (n *node) failures(t *testing.T, a *identity.Account) admin.LockStatus {
	t.Helper()
	st, err := n.admin.Status(context.Background(), a)
	if err != nil {
		t.Fatalf("status: %v", err)
	}
	return st
}

// addressFailures returns the failed-login counter of the loopback address.
func (n *node) addressFailures(t *testing.T) int64 {
	t.Helper()
	c, err := n.app.Eph.Count(context.Background(), authn.AddressKey("127.0.0.1"))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// familyOf returns the request id shared by the refresh tokens of the
// token's family.
func (n *node) familyOf(t *testing.T, refreshToken string) string {
	t.Helper()
	sig := refreshToken[strings.LastIndexByte(refreshToken, '.')+1:]
	rt, err := n.app.Store.GetRefreshToken(context.Background(), sig)
	if err != nil {
		t.Fatalf("refresh token: %v", err)
	}
	return rt.RequestID
}

// activeInFamily counts the active refresh tokens of a family.
func (n *node) activeInFamily(t *testing.T, requestID string) int {
	t.Helper()
	var count int
	if err := n.raw.QueryRow(`SELECT count(*) FROM refresh_tokens WHERE request_id=$1 AND active=1`, requestID).Scan(&count); err != nil {
		t.Fatal(err)
	}
	return count
}
