// Package officials tests officials' logins end to end: the real dinhdanh
// (assembled in process by app.New, served over HTTP) against a real
// OpenLDAP server, driven through the HTML login form and the token
// endpoint as a browser and an application do.
package officials

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"github.com/go-ldap/ldap/v3"

	"github.com/dinhdanh/dinhdanh/config"
	"github.com/dinhdanh/dinhdanh/server/admin"
	"github.com/dinhdanh/dinhdanh/server/app"
	"github.com/dinhdanh/dinhdanh/server/directory"
	"github.com/dinhdanh/dinhdanh/test/harness"
	"github.com/dinhdanh/dinhdanh/test/ldaptest"
)

const redirectURI = "http://127.0.0.1:9/callback"

type node struct {
	issuer string
	app    *app.App
	client string
	secret string
}

// start assembles dinhdanh with one directory over ou=officials and serves it.
func start(t *testing.T, srv *ldaptest.Server) *node {
	t.Helper()
	return startWith(t, srv, nil)
}

// startWith is start with the configuration changed by change (when not
// nil) before it is validated.
func startWith(t *testing.T, srv *ldaptest.Server, change func(cfg *config.Config)) *node {
	t.Helper()
	ctx := t.Context()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	issuer := "http://" + ln.Addr().String()
	cfg := config.Default()
	cfg.Issuer, cfg.DataDir = issuer, t.TempDir()
	cfg.BruteForce.BaseDelay = 0
	// The directory login itself is under test here, not the second factor
	// officials need by default.
	cfg.MFA.OfficialMinimum, cfg.MFA.AdminMinimum = "LoA1", "LoA1"
	d := config.DefaultDirectory()
	d.Name, d.Agency, d.Domains = "so-tttt", "Sở Thông tin và Truyền thông", []string{"STTTT"}
	d.URLs, d.StartTLS, d.CAFile, d.ServerName = []string{srv.URL}, true, srv.CAFile, "127.0.0.1"
	d.BindDN, d.BindPassword = ldaptest.ServiceDN, ldaptest.ServicePassword
	d.Users.BaseDN = "ou=people,ou=officials," + ldaptest.Suffix
	d.Groups.BaseDN = "ou=groups,ou=officials," + ldaptest.Suffix
	d.Groups.Roles = map[string][]string{"lanh-dao-phong": {"qlvb.lanh_dao"}, "chuyen-doi-so": {"cds.quan_tri"}}
	d.Sync.Interval = 0
	cfg.Directories = []config.Directory{d}
	if change != nil {
		change(cfg)
	}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	db, err := app.OpenStore(ctx, cfg, true)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	a, err := app.New(ctx, cfg, db, log)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	if a.Directories == nil {
		t.Fatal("app.New did not open the configured directory")
	}
	t.Cleanup(a.Directories.Close)
	ts := httptest.NewUnstartedServer(a.Handler)
	ts.Listener.Close()
	ts.Listener = ln
	ts.Start()
	t.Cleanup(ts.Close)

	svc := admin.NewService(admin.Service{Store: a.Store, Eph: a.Eph, Sessions: a.Sessions, Logout: a.Logout, Guard: a.Guard, Hasher: a.Hasher, Actor: "test"}, a.Audit)
	c, secret, err := svc.CreateClient(ctx, admin.ClientSpec{ID: "qlvb", Name: "Quản lý văn bản", FirstParty: true,
		RedirectURIs: []string{redirectURI}, Scopes: []string{"openid", "profile", "email", "roles", "offline_access"}})
	if err != nil {
		t.Fatal(err)
	}
	return &node{issuer: issuer, app: a, client: c.ID, secret: secret}
}

// login goes through the authorization endpoint and the login form and
// returns the tokens the application receives.
func (n *node) login(t *testing.T, b *harness.Browser, identifier, password string) map[string]any {
	t.Helper()
	pkce := harness.NewPKCE()
	q := url.Values{"client_id": {n.client}, "response_type": {"code"}, "redirect_uri": {redirectURI},
		"scope": {"openid profile email roles"}, "state": {harness.Random(16)}, "nonce": {"n-" + harness.Random(8)},
		"code_challenge": {pkce.Challenge}, "code_challenge_method": {"S256"}}
	resp := b.Get(t, n.issuer+"/oauth2/auth?"+q.Encode())
	page := resp.MustPage(t, http.StatusOK, "/login")
	resp = b.Submit(t, page.Form(t, "/login"), map[string]string{"identifier": identifier, "password": password})
	code := resp.MustRedirect(t, redirectURI).Query().Get("code")
	if code == "" {
		t.Fatalf("no code: %s", resp)
	}
	return n.token(t, url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {redirectURI},
		"code_verifier": {pkce.Verifier}}, http.StatusOK)
}

func (n *node) token(t *testing.T, form url.Values, status int) map[string]any {
	t.Helper()
	req, _ := http.NewRequestWithContext(t.Context(), http.MethodPost, n.issuer+"/oauth2/token", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(n.client, n.secret)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var body map[string]any
	if err := json.NewDecoder(res.Body).Decode(&body); err != nil {
		t.Fatal(err)
	}
	if res.StatusCode != status {
		t.Fatalf("token endpoint: status %d, want %d: %v", res.StatusCode, status, body)
	}
	return body
}

func TestOfficialLogsInWithDirectoryPassword(t *testing.T) {
	srv := ldaptest.Start(t, ldaptest.Options{LDIF: ldaptest.Fixtures(t, "testdata")})
	n := start(t, srv)
	ctx := t.Context()
	b := (&harness.Server{Issuer: n.issuer}).NewBrowser(t)

	// A wrong password is a wrong password, in the person's language.
	pkce := harness.NewPKCE()
	q := url.Values{"client_id": {n.client}, "response_type": {"code"}, "redirect_uri": {redirectURI},
		"scope": {"openid"}, "state": {harness.Random(16)}, "code_challenge": {pkce.Challenge}, "code_challenge_method": {"S256"}}
	page := b.Get(t, n.issuer+"/oauth2/auth?"+q.Encode()).MustPage(t, http.StatusOK, "/login")
	wrong := b.Submit(t, page.Form(t, "/login"), map[string]string{"identifier": "thảo.đt", "password": "sai"})
	wrong.MustPage(t, http.StatusUnauthorized, "/login")

	tokens := n.login(t, b, `STTTT\thảo.đt`, "Thảo-mật-khẩu-2025")
	provider, err := oidc.NewProvider(ctx, n.issuer)
	if err != nil {
		t.Fatal(err)
	}
	idToken, err := provider.Verifier(&oidc.Config{ClientID: n.client}).Verify(ctx, tokens["id_token"].(string))
	if err != nil {
		t.Fatalf("ID token: %v", err)
	}
	var claims map[string]any
	if err := idToken.Claims(&claims); err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]string{"account_kind": "official", "organization": "Sở Thông tin và Truyền thông",
		"department": "Phòng Chuyển đổi số", "title": "Trưởng phòng", "name": "Đặng Thu Thảo",
		"email": "thao.dt@stttt.tinh.gov.vn"} {
		if claims[name] != want {
			t.Errorf("claim %s = %v, want %q", name, claims[name], want)
		}
	}
	for name, want := range map[string][]string{"roles": {"cds.quan_tri", "qlvb.lanh_dao"}, "groups": {"chuyen-doi-so", "lanh-dao-phong"}} {
		var got []string
		for _, v := range asList(claims[name]) {
			got = append(got, v.(string))
		}
		if !slices.Equal(got, want) {
			t.Errorf("claim %s = %v, want %v", name, claims[name], want)
		}
	}
	sub := idToken.Subject
	refresh, _ := tokens["refresh_token"].(string)

	// The person leaves the directory; the next full synchronisation
	// disables the account, ends the session and revokes the refresh token.
	adm := srv.Admin(t)
	dn := "uid=thảo.đt,ou=people,ou=officials," + ldaptest.Suffix
	if err := adm.Del(ldap.NewDelRequest(dn, nil)); err != nil {
		t.Fatal(err)
	}
	sctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	// The only official leaves, so the search returns nobody: a full run
	// refuses to believe an empty directory unless forced.
	if _, err := n.app.Directories.Sync(sctx, "so-tttt", true, nil); !errors.As(err, new(*directory.TooManyGoneError)) {
		t.Fatalf("sync over an empty directory: %v, want a refusal", err)
	}
	if acct, err := n.app.Store.GetAccount(ctx, sub); err != nil || acct.Disabled {
		t.Fatalf("account after the refused sync: %+v, %v", acct, err)
	}
	res, err := n.app.Directories.SyncWith(sctx, "so-tttt", directory.SyncOptions{Full: true, Force: true})
	if err != nil {
		t.Fatal(err)
	}
	if res.Disabled != 1 {
		t.Fatalf("sync after removal: %+v", res)
	}
	acct, err := n.app.Store.GetAccount(ctx, sub)
	if err != nil || !acct.Disabled {
		t.Fatalf("account after removal: %+v, %v", acct, err)
	}
	live, err := n.app.Sessions.OfSubject(ctx, sub)
	if err != nil || len(live) != 0 {
		t.Fatalf("sessions after removal: %d, %v", len(live), err)
	}
	if refresh != "" {
		n.token(t, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {refresh}}, http.StatusBadRequest)
	}
	// The browser's single sign-on session is gone: the login page again.
	q.Set("state", harness.Random(16))
	b.Get(t, n.issuer+"/oauth2/auth?"+q.Encode()).MustPage(t, http.StatusOK, "/login")
}

func asList(v any) []any {
	l, _ := v.([]any)
	return l
}

// TestRefreshCarriesRolesOfLastSync changes an official's groups and title
// in the directory: after the next synchronisation, a refresh of the tokens
// issued before it carries the roles, groups and title the directory gives
// now, not those of the login.
func TestRefreshCarriesRolesOfLastSync(t *testing.T) {
	srv := ldaptest.Start(t, ldaptest.Options{LDIF: ldaptest.Fixtures(t, "testdata")})
	n := start(t, srv)
	ctx := t.Context()
	b := (&harness.Server{Issuer: n.issuer}).NewBrowser(t)
	provider, err := oidc.NewProvider(ctx, n.issuer)
	if err != nil {
		t.Fatal(err)
	}
	verifier := provider.Verifier(&oidc.Config{ClientID: n.client})
	claimsOf := func(tokens map[string]any, what string) map[string]any {
		t.Helper()
		raw, _ := tokens["id_token"].(string)
		idToken, err := verifier.Verify(ctx, raw)
		if err != nil {
			t.Fatalf("%s: ID token: %v", what, err)
		}
		var claims map[string]any
		if err := idToken.Claims(&claims); err != nil {
			t.Fatal(err)
		}
		return claims
	}
	wantList := func(claims map[string]any, name string, want []string, what string) {
		t.Helper()
		var got []string
		for _, v := range asList(claims[name]) {
			got = append(got, v.(string))
		}
		if !slices.Equal(got, want) {
			t.Errorf("%s: claim %s = %v, want %v", what, name, claims[name], want)
		}
	}

	tokens := n.login(t, b, `STTTT\thảo.đt`, "Thảo-mật-khẩu-2025")
	claims := claimsOf(tokens, "login")
	wantList(claims, "roles", []string{"cds.quan_tri", "qlvb.lanh_dao"}, "login")
	refresh, _ := tokens["refresh_token"].(string)
	if refresh == "" {
		t.Fatalf("no refresh token: %v", tokens)
	}

	// The department's group no longer belongs to the leaders' group, and
	// the person is now deputy head; the directory is synchronised.
	adm := srv.Admin(t)
	groups := "ou=groups,ou=officials," + ldaptest.Suffix
	leaders := ldap.NewModifyRequest("cn=lanh-dao-phong,"+groups, nil)
	leaders.Replace("member", []string{"uid=nobody,ou=people,ou=officials," + ldaptest.Suffix})
	if err := adm.Modify(leaders); err != nil {
		t.Fatal(err)
	}
	person := ldap.NewModifyRequest("uid=thảo.đt,ou=people,ou=officials,"+ldaptest.Suffix, nil)
	person.Replace("title", []string{"Phó trưởng phòng"})
	if err := adm.Modify(person); err != nil {
		t.Fatal(err)
	}
	sctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if _, err := n.app.Directories.Sync(sctx, "so-tttt", true, nil); err != nil {
		t.Fatal(err)
	}

	tokens = n.token(t, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {refresh}}, http.StatusOK)
	claims = claimsOf(tokens, "refresh after the synchronisation")
	wantList(claims, "roles", []string{"cds.quan_tri"}, "refresh after the synchronisation")
	wantList(claims, "groups", []string{"chuyen-doi-so"}, "refresh after the synchronisation")
	if claims["title"] != "Phó trưởng phòng" || claims["account_kind"] != "official" {
		t.Errorf("refresh after the synchronisation: title %v, account_kind %v; want the new title, official",
			claims["title"], claims["account_kind"])
	}
}
