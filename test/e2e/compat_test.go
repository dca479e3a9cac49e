package e2e

import (
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/dinhdanh/dinhdanh/test/harness"
)

// The national public-service portal's claim names (the dvcqg profile).
var dvcqgClaims = []string{"SoDinhDanh", "HoVaTen", "NgayThangNamSinh", "GioiTinh", "LoaiTaiKhoan", "MaSoThue"}

// newWSO2RP is a relying party written for the national portal's SSO, a
// WSO2 server: it does not use discovery but the portal's fixed paths
// /oauth2/authorize, /oauth2/token and /oauth2/userinfo under the issuer, so
// that switching to dinhdanh changes only the host.
func newWSO2RP(t *testing.T, srv *harness.Server, c *harness.Client) *relyingParty {
	t.Helper()
	ctx := oidc.ClientContext(t.Context(), &http.Client{Timeout: harness.RequestTimeout})
	pc := &oidc.ProviderConfig{IssuerURL: srv.Issuer, AuthURL: srv.Issuer + "/oauth2/authorize",
		TokenURL: srv.Issuer + "/oauth2/token", UserInfoURL: srv.Issuer + "/oauth2/userinfo",
		JWKSURL: srv.Issuer + "/.well-known/jwks.json"}
	provider := pc.NewProvider(ctx)
	return &relyingParty{
		srv: srv, client: c, provider: provider, ctx: ctx,
		verifier: provider.Verifier(&oidc.Config{ClientID: c.ID, SupportedSigningAlgs: []string{c.IDTokenAlg}}),
		config: oauth2.Config{ClientID: c.ID, ClientSecret: c.Secret, Endpoint: provider.Endpoint(),
			RedirectURL: c.RedirectURI()},
	}
}

// throughPages answers the business choice (with taxCode) and the consent
// page (allow) until the navigation leaves the identity provider.
func throughPages(t *testing.T, b *harness.Browser, resp *harness.Response, taxCode string) *harness.Response {
	t.Helper()
	for i := 0; resp.Page != nil; i++ {
		if i == 4 {
			t.Fatalf("too many pages:%s", resp)
		}
		switch resp.Page.Path() {
		case "/login/business":
			resp = b.Submit(t, resp.MustPage(t, http.StatusOK, "/login/business").Form(t, "/login/business"),
				map[string]string{"tax_code": taxCode})
		case "/consent":
			resp = allow(t, b, resp.MustPage(t, http.StatusOK, "/consent"))
		default:
			t.Fatalf("unexpected page %s (%d):%s\n%s", resp.Page.Path(), resp.Page.Status, resp, resp.Page.Body)
		}
	}
	return resp
}

// TestNationalPortalCompatibility signs in with an application written for
// the national public-service portal: through /oauth2/authorize, reading
// /oauth2/userinfo and logging out through /oidc/logout. With the dvcqg
// claim profile the ID token and userinfo carry the portal's claim names
// besides the standard ones; without it they do not. The person acts for
// their household business, whose tax code is their personal ID.
func TestNationalPortalCompatibility(t *testing.T) {
	t.Parallel()
	srv := harness.Start(t)
	sub := srv.CreateCitizen(t, dat)
	const household = "Hộ kinh doanh Nguyễn Hữu Đạt"
	srv.LinkBusiness(t, dat.PersonalID, dat.PersonalID, household, "legal_representative")

	scopes := []string{"openid", "profile", "personal_id", "business"}
	const dvcqgRedirect = "https://motcua.example.gov.vn/sso/callback"
	const dvcqgLoggedOut = "https://motcua.example.gov.vn/sso/logged-out"
	withProfile := srv.CreateClient(t, harness.ClientSpec{Name: "Một cửa điện tử (viết cho Cổng DVCQG)",
		RedirectURIs: []string{dvcqgRedirect}, PostLogoutRedirectURIs: []string{dvcqgLoggedOut}, Scopes: scopes,
		ClaimProfile: "dvcqg"})
	if withProfile.ClaimProfile != "dvcqg" {
		t.Fatalf("client create --claim-profile dvcqg printed claim_profile %q", withProfile.ClaimProfile)
	}
	plain := srv.CreateClient(t, booking(scopes...))
	if plain.ClaimProfile != "" {
		t.Fatalf("a client created without --claim-profile has claim_profile %q", plain.ClaimProfile)
	}

	// Discovery keeps the canonical paths and mentions no alias.
	disc := fetch(t, srv.URL("/.well-known/openid-configuration"), nil)
	for _, alias := range []string{"/oauth2/authorize", "/oauth2/userinfo", "/oidc/logout"} {
		if strings.Contains(disc.body, alias) {
			t.Errorf("discovery advertises the alias %s:\n%s", alias, disc.body)
		}
	}

	b := srv.NewBrowser(t)
	rp := newWSO2RP(t, srv, withProfile)
	ar, resp := rp.authorize(t, b, scopes, oauth2.SetAuthURLParam("acr_values", "LoA1"))
	if h := resp.Hops[0]; !strings.HasPrefix(h.URL, srv.URL("/oauth2/authorize?")) || h.Status != http.StatusSeeOther ||
		!strings.HasPrefix(h.Location, srv.URL("/login?flow=")) {
		t.Fatalf("/oauth2/authorize without a session should send the browser to /login?flow=…:%s", resp)
	}
	resp = throughPages(t, b, login(t, b, resp, dat.PersonalID, dat.Password), dat.PersonalID)
	toks := rp.exchange(t, ar, rp.code(t, ar, resp))
	standard := map[string]any{"sub": sub, "account_kind": "citizen", "name": dat.Name, "birthdate": dat.Birthdate,
		"gender": "male", "personal_id": dat.PersonalID, "tax_code": dat.PersonalID,
		"business": map[string]any{"tax_code": dat.PersonalID, "name": household, "role": "legal_representative"}}
	portalNames := map[string]any{"SoDinhDanh": dat.PersonalID, "HoVaTen": dat.Name, "NgayThangNamSinh": "19990314",
		"GioiTinh": "1", "LoaiTaiKhoan": "2", "MaSoThue": dat.PersonalID}
	wantClaims(t, "ID token (dvcqg)", toks.Claims, standard)
	wantClaims(t, "ID token (dvcqg)", toks.Claims, portalNames)
	_, claims := rp.userinfo(t, toks.AccessToken)
	wantClaims(t, "/oauth2/userinfo (dvcqg)", claims, standard)
	wantClaims(t, "/oauth2/userinfo (dvcqg)", claims, portalNames)
	noClaims(t, "access token (dvcqg)", jwtPayload(t, toks.AccessToken), dvcqgClaims...)
	// The canonical userinfo path answers the same.
	canonical := fetch(t, srv.URL("/userinfo"), http.Header{"Authorization": {"Bearer " + toks.AccessToken}})
	alias := fetch(t, srv.URL("/oauth2/userinfo"), http.Header{"Authorization": {"Bearer " + toks.AccessToken}})
	if canonical.status != http.StatusOK || alias.body != canonical.body {
		t.Errorf("/oauth2/userinfo answered %d %s, /userinfo %d %s", alias.status, alias.body, canonical.status, canonical.body)
	}

	// A refresh keeps the profile.
	next, err := rp.refresh(toks.RefreshToken)
	if err != nil {
		t.Fatalf("refresh: %v", err)
	}
	wantClaims(t, "refreshed ID token (dvcqg)", rp.verify(t, next).Claims, portalNames)

	// SoDinhDanh is released exactly when personal_id is, MaSoThue only for a
	// business, and the account type follows.
	ar, resp = rp.authorize(t, b, []string{"openid", "profile"})
	toks = rp.exchange(t, ar, rp.code(t, ar, throughPages(t, b, resp, "")))
	wantClaims(t, "ID token (dvcqg, profile only)", toks.Claims, map[string]any{"HoVaTen": dat.Name,
		"NgayThangNamSinh": "19990314", "GioiTinh": "1", "LoaiTaiKhoan": "1"})
	noClaims(t, "ID token (dvcqg, profile only)", toks.Claims, "personal_id", "SoDinhDanh", "tax_code", "MaSoThue")
	_, claims = rp.userinfo(t, toks.AccessToken)
	noClaims(t, "/oauth2/userinfo (dvcqg, profile only)", claims, "personal_id", "SoDinhDanh", "tax_code", "MaSoThue")
	wantClaims(t, "/oauth2/userinfo (dvcqg, profile only)", claims, map[string]any{"LoaiTaiKhoan": "1"})

	// The same person at an application without the profile: the standard
	// claims only, through the aliases too.
	other := newWSO2RP(t, srv, plain)
	ar, resp = other.authorize(t, b, scopes)
	toks = other.exchange(t, ar, other.code(t, ar, throughPages(t, b, resp, dat.PersonalID)))
	wantClaims(t, "ID token (standard)", toks.Claims, standard)
	noClaims(t, "ID token (standard)", toks.Claims, dvcqgClaims...)
	_, claims = other.userinfo(t, toks.AccessToken)
	wantClaims(t, "/oauth2/userinfo (standard)", claims, standard)
	noClaims(t, "/oauth2/userinfo (standard)", claims, dvcqgClaims...)

	// Logout through /oidc/logout. Without a hint it asks, with the same page,
	// CSRF token and security headers as the canonical endpoint.
	ask := b.Get(t, srv.URL("/oidc/logout")).MustPage(t, http.StatusOK, "/oidc/logout")
	askCanonical := b.Get(t, srv.URL("/oauth2/logout")).MustPage(t, http.StatusOK, "/oauth2/logout")
	if ask.Form(t, "/oauth2/logout").Value("csrf_token") == "" {
		t.Errorf("the confirmation page of /oidc/logout has no CSRF token")
	}
	for _, h := range []string{"Content-Security-Policy", "X-Frame-Options", "X-Content-Type-Options", "Referrer-Policy", "Cache-Control"} {
		if got, want := ask.Header.Get(h), askCanonical.Header.Get(h); got != want || want == "" {
			t.Errorf("%s of /oidc/logout is %q, of /oauth2/logout %q", h, got, want)
		}
	}
	resp = b.Get(t, srv.URL("/oidc/logout?"+url.Values{"id_token_hint": {toks.RawIDToken}}.Encode()))
	lo := checkLoggedOut(t, resp)
	if lo.Page.Path() != "/oidc/logout" {
		t.Errorf("the logged-out page is at %s", lo.Page.Path())
	}
	loggedOut(t, b)
	if _, err := rp.refresh(next.RefreshToken); err == nil {
		t.Errorf("a refresh token of the ended session still works after /oidc/logout")
	}

	// RP-initiated logout with the registered return page, as the portal's
	// applications send it.
	b = srv.NewBrowser(t)
	ar, resp = rp.authorize(t, b, []string{"openid", "profile"})
	toks = rp.exchange(t, ar, rp.code(t, ar, throughPages(t, b, login(t, b, resp, dat.PersonalID, dat.Password), "")))
	resp = b.Get(t, srv.URL("/oidc/logout?"+url.Values{"id_token_hint": {toks.RawIDToken},
		"post_logout_redirect_uri": {dvcqgLoggedOut}, "state": {"s-42"}}.Encode()))
	if lo := checkLoggedOut(t, resp); lo.Continue != dvcqgLoggedOut+"?state=s-42" {
		t.Errorf("the logged-out page continues to %q, want %s?state=s-42", lo.Continue, dvcqgLoggedOut)
	}
	loggedOut(t, b)
}

// TestAliasesAnswerAsCanonical sends the same bad requests to each alias and
// its canonical path: the answers agree (status, content type, the bearer
// challenge, the JSON error of the API).
func TestAliasesAnswerAsCanonical(t *testing.T) {
	t.Parallel()
	srv := harness.Start(t)
	for _, tc := range []struct {
		alias, canonical, method, query string
		header                          http.Header
	}{
		{"/oauth2/userinfo", "/userinfo", http.MethodGet, "", nil},
		{"/oauth2/userinfo", "/userinfo", http.MethodGet, "", http.Header{"Authorization": {"Bearer not-a-token"}}},
		{"/oauth2/userinfo", "/userinfo", http.MethodGet, "access_token=x", nil},
		{"/oauth2/userinfo", "/userinfo", http.MethodPut, "", nil},
		{"/oauth2/authorize", "/oauth2/auth", http.MethodGet, "client_id=unknown&response_type=code&scope=openid", nil},
		{"/oauth2/authorize", "/oauth2/auth", http.MethodPut, "", nil},
		{"/oidc/logout", "/oauth2/logout", http.MethodGet, "id_token_hint=forged", nil},
		{"/oidc/logout", "/oauth2/logout", http.MethodDelete, "", nil},
	} {
		a := do(t, tc.method, srv.URL(tc.alias+"?"+tc.query), tc.header)
		c := do(t, tc.method, srv.URL(tc.canonical+"?"+tc.query), tc.header)
		what := tc.method + " " + tc.alias + "?" + tc.query
		if a.status != c.status || a.header.Get("Content-Type") != c.header.Get("Content-Type") ||
			a.header.Get("WWW-Authenticate") != c.header.Get("WWW-Authenticate") ||
			a.header.Get("Allow") != c.header.Get("Allow") ||
			a.header.Get("Content-Security-Policy") != c.header.Get("Content-Security-Policy") {
			t.Errorf("%s: %d %v, canonical %d %v", what, a.status, a.header, c.status, c.header)
		}
		if a.status < 400 {
			t.Errorf("%s answered %d, want an error", what, a.status)
		}
		if strings.HasPrefix(c.header.Get("Content-Type"), "application/json") && a.body != c.body {
			t.Errorf("%s: %s, canonical %s", what, a.body, c.body)
		}
	}
}

type answer struct {
	status int
	header http.Header
	body   string
}

func fetch(t *testing.T, rawURL string, header http.Header) answer {
	t.Helper()
	return do(t, http.MethodGet, rawURL, header)
}

// do sends one request without following redirects.
func do(t *testing.T, method, rawURL string, header http.Header) answer {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), method, rawURL, nil)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		req.Header[k] = v
	}
	c := &http.Client{Timeout: harness.RequestTimeout,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, rawURL, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return answer{status: resp.StatusCode, header: resp.Header, body: string(body)}
}
