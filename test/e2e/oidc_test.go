package e2e

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"

	"github.com/dinhdanh/dinhdanh/test/harness"
)

// People of the province. Personal IDs agree with birth year and gender:
// 001 Hà Nội, 0 = man born in the 1900s, 99 = 1999; 079 Hồ Chí Minh, 3 =
// woman born in the 2000s, 03 = 2003; 027 Bắc Ninh, 0 = man, 88 = 1988.
var (
	dat = harness.Citizen{PersonalID: "001099012345", Name: "Nguyễn Hữu Đạt", Birthdate: "1999-03-14", Gender: "male",
		Email: "dat.nguyen@example.vn", Phone: "0912345678", Password: "Hà-Nội-mùa-thu-1999"}
	hang = harness.Citizen{PersonalID: "079303001234", Name: "Lê Thị Thu Hằng", Birthdate: "2003-08-21", Gender: "female",
		Email: "hang.le@example.vn", Phone: "0987654321", Password: "Sài-Gòn-đẹp-lắm-2003"}
	tuan = harness.Citizen{PersonalID: "027088004567", Name: "Phạm Minh Tuấn", Birthdate: "1988-11-02", Gender: "male",
		Email: "tuan.pham@example.vn", Password: "Kinh-Bắc-quan-họ-88"}
	binh = harness.Official{Username: "tt.binh", Name: "Trần Thanh Bình", Agency: "Sở Tư pháp",
		Department: "Phòng Hành chính tư pháp", Title: "Chuyên viên", Email: "tt.binh@stp.example.gov.vn",
		Password: "Công-vụ-minh-bạch-2024"}
)

// Applications of the province and their redirect URIs.
const (
	portalRedirect  = "https://dichvucong.example.gov.vn/oidc/callback"
	bookingRedirect = "https://datlich.benhvien.example.vn/auth/callback"
)

// portal is the province's public-service portal: first-party, no consent page.
func portal(scopes ...string) harness.ClientSpec {
	return harness.ClientSpec{Name: "Cổng dịch vụ công tỉnh", FirstParty: true, RedirectURIs: []string{portalRedirect},
		Scopes: scopes}
}

// booking is a hospital's appointment service: a third party that needs consent.
func booking(scopes ...string) harness.ClientSpec {
	return harness.ClientSpec{Name: "Đặt lịch khám – Bệnh viện Đa khoa tỉnh", RedirectURIs: []string{bookingRedirect},
		Scopes: scopes}
}

var (
	openidProfile      = []string{"openid", "profile"}
	openidProfileEmail = []string{"openid", "profile", "email"}
)

// profileClaimsOfCitizen are the claims the consent page lists under
// "profile" for a citizen (an official's agency, department and title are not).
var profileClaimsOfCitizen = []string{"name", "family_name", "given_name", "middle_name", "birthdate", "gender", "locale", "updated_at"}

func TestDiscovery(t *testing.T) {
	t.Parallel()
	srv := harness.Start(t)
	ctx := oidc.ClientContext(t.Context(), &http.Client{Timeout: harness.RequestTimeout})
	// NewProvider checks that the document's issuer is the URL it was fetched for.
	p, err := oidc.NewProvider(ctx, srv.Issuer)
	if err != nil {
		t.Fatalf("discovery: %v", err)
	}
	var doc struct {
		Issuer                string   `json:"issuer"`
		Authorization         string   `json:"authorization_endpoint"`
		Token                 string   `json:"token_endpoint"`
		Userinfo              string   `json:"userinfo_endpoint"`
		JWKS                  string   `json:"jwks_uri"`
		Introspection         string   `json:"introspection_endpoint"`
		Revocation            string   `json:"revocation_endpoint"`
		ResponseTypes         []string `json:"response_types_supported"`
		GrantTypes            []string `json:"grant_types_supported"`
		CodeChallengeMethods  []string `json:"code_challenge_methods_supported"`
		IDTokenAlgs           []string `json:"id_token_signing_alg_values_supported"`
		Scopes                []string `json:"scopes_supported"`
		Claims                []string `json:"claims_supported"`
		ACRValues             []string `json:"acr_values_supported"`
		SubjectTypes          []string `json:"subject_types_supported"`
		TokenEndpointAuthAlgs []string `json:"token_endpoint_auth_methods_supported"`
	}
	if err := p.Claims(&doc); err != nil {
		t.Fatal(err)
	}
	iss := srv.Issuer
	if doc.Issuer != iss {
		t.Errorf("issuer %q, want %q", doc.Issuer, iss)
	}
	for name, got := range map[string]string{
		iss + "/oauth2/auth": doc.Authorization, iss + "/oauth2/token": doc.Token, iss + "/userinfo": doc.Userinfo,
		iss + "/.well-known/jwks.json": doc.JWKS, iss + "/oauth2/introspect": doc.Introspection, iss + "/oauth2/revoke": doc.Revocation,
	} {
		if got != name {
			t.Errorf("endpoint %q, want %q", got, name)
		}
	}
	if ep := p.Endpoint(); ep.AuthURL != iss+"/oauth2/auth" || ep.TokenURL != iss+"/oauth2/token" {
		t.Errorf("oauth2 endpoint %+v", ep)
	}
	if p.UserInfoEndpoint() != iss+"/userinfo" {
		t.Errorf("userinfo endpoint %q", p.UserInfoEndpoint())
	}
	if !slices.Equal(doc.CodeChallengeMethods, []string{"S256"}) {
		t.Errorf("code_challenge_methods_supported %q, want exactly S256 (no plain)", doc.CodeChallengeMethods)
	}
	if !slices.Equal(doc.ResponseTypes, []string{"code"}) {
		t.Errorf("response_types_supported %q, want only the code flow", doc.ResponseTypes)
	}
	for _, g := range []string{"implicit", "password"} {
		if slices.Contains(doc.GrantTypes, g) {
			t.Errorf("grant_types_supported %q advertises %s", doc.GrantTypes, g)
		}
	}
	for _, g := range []string{"authorization_code", "refresh_token", "client_credentials"} {
		if !slices.Contains(doc.GrantTypes, g) {
			t.Errorf("grant_types_supported %q lacks %s", doc.GrantTypes, g)
		}
	}
	for _, alg := range []string{"RS256", "ES256", "EdDSA"} {
		if !slices.Contains(doc.IDTokenAlgs, alg) {
			t.Errorf("id_token_signing_alg_values_supported %q lacks %s", doc.IDTokenAlgs, alg)
		}
	}
	for _, s := range []string{"openid", "profile", "email", "phone", "personal_id", "business"} {
		if !slices.Contains(doc.Scopes, s) {
			t.Errorf("scopes_supported %q lacks %s", doc.Scopes, s)
		}
	}
	for _, c := range []string{"sub", "acr", "amr", "sid", "auth_time", "account_kind", "personal_id", "tax_code", "organization"} {
		if !slices.Contains(doc.Claims, c) {
			t.Errorf("claims_supported %q lacks %s", doc.Claims, c)
		}
	}
	if !slices.Contains(doc.ACRValues, "LoA1") {
		t.Errorf("acr_values_supported %q lacks LoA1", doc.ACRValues)
	}

	// The JWKS publishes public keys only, one current key per algorithm.
	resp, err := srv.HTTP.Get(doc.JWKS)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var jwks struct {
		Keys []map[string]any `json:"keys"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&jwks); err != nil {
		t.Fatal(err)
	}
	algs := map[string]int{}
	for _, k := range jwks.Keys {
		if k["kid"] == nil || k["kid"] == "" || k["use"] != "sig" {
			t.Errorf("JWK without kid or use=sig: %v", k)
		}
		for _, private := range []string{"d", "p", "q", "dp", "dq", "qi"} {
			if _, ok := k[private]; ok {
				t.Errorf("JWK %v publishes the private member %q", k["kid"], private)
			}
		}
		alg, _ := k["alg"].(string)
		algs[alg]++
	}
	if algs["RS256"] != 1 || algs["ES256"] != 1 || algs["EdDSA"] != 1 || len(jwks.Keys) != 3 {
		t.Errorf("JWKS algorithms %v, want one key each of RS256, ES256, EdDSA", algs)
	}
}

// TestCitizenLogin is the whole authorization code flow of a citizen at a
// third-party application, then the release of the personal ID.
func TestCitizenLogin(t *testing.T) {
	t.Parallel()
	srv := harness.Start(t)
	sub := srv.CreateCitizen(t, dat)
	app := srv.CreateClient(t, booking("openid", "profile", "email", "phone", "personal_id"))
	rp := newRP(t, srv, app)
	b := srv.NewBrowser(t)

	before := time.Now().Add(-time.Second)
	ar, resp := rp.authorize(t, b, openidProfileEmail)
	if h := resp.Hops[0]; h.Status != http.StatusSeeOther || !strings.HasPrefix(h.Location, srv.URL("/login?flow=")) {
		t.Fatalf("/oauth2/auth without a session should send the browser to /login?flow=…:%s", resp)
	}
	page := resp.MustPage(t, http.StatusOK, "/login")
	if page.Lang() != "vi" {
		t.Errorf("login page language %q, want vi", page.Lang())
	}
	if lead := page.ByClass("lead"); len(lead) == 0 || !strings.Contains(lead[0].Text, app.Name) {
		t.Errorf("the login page does not name the application %q", app.Name)
	}
	if b.Cookie("dinhdanh_session") != "" {
		t.Errorf("a session cookie was set before the login")
	}
	resp = login(t, b, resp, dat.PersonalID, dat.Password)
	if b.Cookie("dinhdanh_session") == "" {
		t.Errorf("no SSO session cookie after the login")
	}
	page = checkConsentPage(t, resp, app.Name,
		consentItem{"profile", profileClaimsOfCitizen},
		consentItem{"email", []string{"email", "email_verified"}})
	code := rp.code(t, ar, allow(t, b, page))
	toks := rp.exchange(t, ar, code)
	after := time.Now().Add(time.Second)

	idt := toks.IDToken
	if idt.Subject != sub {
		t.Errorf("sub %q, want the account's subject %q", idt.Subject, sub)
	}
	if idt.Issuer != srv.Issuer || !slices.Equal(idt.Audience, []string{app.ID}) {
		t.Errorf("iss %q aud %q", idt.Issuer, idt.Audience)
	}
	if toks.Header["alg"] != "RS256" || toks.Header["kid"] == nil {
		t.Errorf("ID token header %v, want RS256 with a kid", toks.Header)
	}
	if idt.AccessTokenHash == "" {
		t.Errorf("the ID token has no at_hash")
	}
	authTime := claimTime(t, toks.Claims, "auth_time")
	if authTime.Before(before.Truncate(time.Second)) || authTime.After(after) {
		t.Errorf("auth_time %v is not the time of the login (between %v and %v)", authTime, before, after)
	}
	if sid, _ := toks.Claims["sid"].(string); sid == "" {
		t.Errorf("the ID token has no sid")
	}
	wantClaims(t, "ID token", toks.Claims, map[string]any{
		"acr": "LoA1", "amr": []string{"pwd"}, "account_kind": "citizen",
		"name": "Nguyễn Hữu Đạt", "family_name": "Nguyễn", "middle_name": "Hữu", "given_name": "Đạt",
		"birthdate": "1999-03-14", "gender": "male", "email": "dat.nguyen@example.vn",
	})
	noClaims(t, "ID token", toks.Claims, "personal_id", "phone_number", "tax_code", "organization")
	if toks.RefreshToken == "" {
		t.Errorf("no refresh token")
	}
	if strings.Count(toks.AccessToken, ".") != 2 {
		t.Errorf("the access token is not a JWT")
	}

	info, claims := rp.userinfo(t, toks.AccessToken)
	if info.Subject != sub || info.Email != dat.Email {
		t.Errorf("userinfo sub %q email %q", info.Subject, info.Email)
	}
	wantClaims(t, "userinfo", claims, map[string]any{
		"account_kind": "citizen", "name": "Nguyễn Hữu Đạt", "family_name": "Nguyễn", "given_name": "Đạt",
		"email": "dat.nguyen@example.vn",
	})
	noClaims(t, "userinfo", claims, "personal_id", "phone_number", "phone_number_verified")

	// The personal ID is released only with its own consent. The SSO session
	// skips the login; the consent page lists what this request asks.
	ar, resp = rp.authorize(t, b, []string{"openid", "profile", "personal_id"})
	page = checkConsentPage(t, resp, app.Name,
		consentItem{"profile", profileClaimsOfCitizen},
		consentItem{"personal_id", []string{"personal_id"}})
	if slices.ContainsFunc(resp.Hops, func(h harness.Hop) bool { return strings.Contains(h.URL, "/login") }) {
		t.Errorf("the login page was shown again despite the SSO session:%s", resp)
	}
	toks = rp.exchange(t, ar, rp.code(t, ar, allow(t, b, page)))
	wantClaims(t, "ID token", toks.Claims, map[string]any{"personal_id": dat.PersonalID, "sub": sub})
	_, claims = rp.userinfo(t, toks.AccessToken)
	wantClaims(t, "userinfo", claims, map[string]any{"personal_id": dat.PersonalID})

	// prompt=consent asks again even though the consent is remembered; a
	// refusal reaches the application as access_denied.
	ar, resp = rp.authorize(t, b, openidProfile, oauth2.SetAuthURLParam("prompt", "consent"))
	page = checkConsentPage(t, resp, app.Name, consentItem{"profile", profileClaimsOfCitizen})
	resp = b.Submit(t, page.Form(t, "/consent"), map[string]string{"decision": "deny"})
	if e := rp.authError(t, ar, resp); e != "access_denied" {
		t.Errorf("refusing consent gave %q, want access_denied", e)
	}
}

// TestLoginIdentifiers logs in with each kind of identifier and in each capacity.
func TestLoginIdentifiers(t *testing.T) {
	t.Parallel()
	srv := harness.Start(t)
	hangSub := srv.CreateCitizen(t, hang)
	binhSub, linked := srv.CreateOfficial(t, binh)
	if linked {
		t.Fatalf("a new official was reported as linked to an existing person")
	}
	rp := newRP(t, srv, srv.CreateClient(t, portal("openid", "profile", "email", "phone")))

	signIn := func(t *testing.T, identifier, password string) *tokens {
		t.Helper()
		b := srv.NewBrowser(t)
		ar, resp := rp.authorize(t, b, []string{"openid", "profile", "email", "phone"})
		return rp.exchange(t, ar, rp.code(t, ar, login(t, b, resp, identifier, password)))
	}

	t.Run("email", func(t *testing.T) {
		toks := signIn(t, "Hang.Le@Example.VN", hang.Password)
		if toks.IDToken.Subject != hangSub {
			t.Errorf("sub %q, want %q", toks.IDToken.Subject, hangSub)
		}
		wantClaims(t, "ID token", toks.Claims, map[string]any{"account_kind": "citizen", "email": "hang.le@example.vn",
			"name": "Lê Thị Thu Hằng", "family_name": "Lê", "middle_name": "Thị Thu", "given_name": "Hằng", "gender": "female"})
	})
	t.Run("phone", func(t *testing.T) {
		toks := signIn(t, "0987 654 321", hang.Password)
		if toks.IDToken.Subject != hangSub {
			t.Errorf("sub %q, want %q", toks.IDToken.Subject, hangSub)
		}
		wantClaims(t, "ID token", toks.Claims, map[string]any{"account_kind": "citizen", "phone_number": "+84987654321"})
	})
	t.Run("wrong password", func(t *testing.T) {
		b := srv.NewBrowser(t)
		_, resp := rp.authorize(t, b, openidProfile)
		resp = login(t, b, resp, hang.PersonalID, "Sai-mật-khẩu-rồi")
		page := resp.MustPage(t, http.StatusUnauthorized, "/login")
		if len(page.ByClass("error-summary")) != 1 || page.Form(t, "/login").Value("identifier") != hang.PersonalID {
			t.Errorf("a failed login should show the form again with an error and the identifier kept:\n%s", page.Body)
		}
		if b.Cookie("dinhdanh_session") != "" {
			t.Errorf("a failed login set a session cookie")
		}
	})
	t.Run("official username", func(t *testing.T) {
		toks := signIn(t, "TT.Binh", binh.Password)
		if toks.IDToken.Subject != binhSub {
			t.Errorf("sub %q, want %q", toks.IDToken.Subject, binhSub)
		}
		wantClaims(t, "ID token", toks.Claims, map[string]any{"account_kind": "official", "organization": "Sở Tư pháp",
			"department": "Phòng Hành chính tư pháp", "title": "Chuyên viên", "name": "Trần Thanh Bình",
			"acr": "LoA1", "amr": []string{"pwd"}})
		_, claims := rp.userinfo(t, toks.AccessToken)
		wantClaims(t, "userinfo", claims, map[string]any{"sub": binhSub, "account_kind": "official", "organization": "Sở Tư pháp"})
	})
	t.Run("official who is also a citizen", func(t *testing.T) {
		citizenSub := srv.CreateCitizen(t, tuan)
		officialSub, linked := srv.CreateOfficial(t, harness.Official{Username: "pm.tuan", Name: tuan.Name,
			Agency: "Ủy ban nhân dân tỉnh", Department: "Văn phòng", Title: "Phó Chánh Văn phòng", PersonalID: tuan.PersonalID})
		if !linked || officialSub != citizenSub {
			t.Fatalf("account create --kind official with the citizen's personal ID: sub %q linked %v, want %q linked", officialSub, linked, citizenSub)
		}
		asCitizen := signIn(t, tuan.PersonalID, tuan.Password)
		asOfficial := signIn(t, "pm.tuan", tuan.Password)
		if asCitizen.IDToken.Subject != citizenSub || asOfficial.IDToken.Subject != citizenSub {
			t.Errorf("subjects %q (as citizen) and %q (as official), want one subject %q",
				asCitizen.IDToken.Subject, asOfficial.IDToken.Subject, citizenSub)
		}
		wantClaims(t, "ID token (citizen login)", asCitizen.Claims, map[string]any{"account_kind": "citizen", "name": "Phạm Minh Tuấn"})
		noClaims(t, "ID token (citizen login)", asCitizen.Claims, "organization", "department", "title")
		wantClaims(t, "ID token (official login)", asOfficial.Claims, map[string]any{"account_kind": "official",
			"organization": "Ủy ban nhân dân tỉnh", "title": "Phó Chánh Văn phòng"})
		_, claims := rp.userinfo(t, asCitizen.AccessToken)
		wantClaims(t, "userinfo (citizen login)", claims, map[string]any{"account_kind": "citizen"})
		noClaims(t, "userinfo (citizen login)", claims, "organization")
		_, claims = rp.userinfo(t, asOfficial.AccessToken)
		wantClaims(t, "userinfo (official login)", claims, map[string]any{"account_kind": "official", "organization": "Ủy ban nhân dân tỉnh"})
		at := jwtPayload(t, asOfficial.AccessToken)
		wantClaims(t, "access token (official login)", at, map[string]any{"account_kind": "official", "sub": citizenSub})
	})
}

// TestRefreshTokenRotation redeems refresh tokens and detects reuse.
func TestRefreshTokenRotation(t *testing.T) {
	t.Parallel()
	// Strict rotation: without the reuse window (TestRefreshReuseWindow)
	// the first second presentation is reuse.
	srv := harness.Start(t, harness.WithEnv("DINHDANH_TOKENS_REFRESH_REUSE_WINDOW", "0"))
	sub := srv.CreateCitizen(t, dat)
	app := srv.CreateClient(t, portal())
	rp := newRP(t, srv, app)
	b := srv.NewBrowser(t)
	ar, resp := rp.authorize(t, b, openidProfile)
	first := rp.exchange(t, ar, rp.code(t, ar, login(t, b, resp, dat.PersonalID, dat.Password)))
	if first.RefreshToken == "" {
		t.Fatal("no refresh token")
	}

	tok, err := rp.refresh(first.RefreshToken)
	if err != nil {
		t.Fatalf("refreshing: %v", err)
	}
	second := rp.verify(t, tok)
	if second.RefreshToken == "" || second.RefreshToken == first.RefreshToken {
		t.Fatalf("the refresh token was not rotated")
	}
	if second.AccessToken == first.AccessToken {
		t.Fatalf("no new access token")
	}
	if second.IDToken.Subject != sub || !claimTime(t, second.Claims, "auth_time").Equal(claimTime(t, first.Claims, "auth_time")) {
		t.Errorf("the refreshed ID token has sub %q auth_time %v, want %q and the original login time",
			second.IDToken.Subject, second.Claims["auth_time"], sub)
	}
	if in := srv.Introspect(t, app, second.AccessToken); in["active"] != true {
		t.Fatalf("the new access token introspects %v", in)
	}

	// Reusing the redeemed token is refused and revokes the whole family.
	_, err = rp.refresh(first.RefreshToken)
	if err == nil {
		t.Fatal("a redeemed refresh token was accepted again")
	}
	if code := grantError(t, err); code != "invalid_grant" {
		t.Errorf("reuse gave %q, want invalid_grant", code)
	}
	if _, err := rp.refresh(second.RefreshToken); err == nil {
		t.Error("after reuse was detected, the newest refresh token still works")
	} else if code := grantError(t, err); code != "invalid_grant" {
		t.Errorf("the newest refresh token after reuse gave %q, want invalid_grant", code)
	}
	if in := srv.Introspect(t, app, second.AccessToken); in["active"] != false {
		t.Errorf("after reuse was detected, the latest access token introspects %v", in)
	}
	if in := srv.Introspect(t, app, second.RefreshToken); in["active"] != false {
		t.Errorf("after reuse was detected, the newest refresh token introspects %v", in)
	}
}

// TestRevocationAndIntrospection revokes tokens (RFC 7009) and introspects them (RFC 7662).
func TestRevocationAndIntrospection(t *testing.T) {
	t.Parallel()
	srv := harness.Start(t)
	sub := srv.CreateCitizen(t, dat)
	app := srv.CreateClient(t, portal())
	other := srv.CreateClient(t, harness.ClientSpec{Name: "Một cửa điện tử", FirstParty: true,
		RedirectURIs: []string{"https://motcua.example.gov.vn/callback"}})
	rp := newRP(t, srv, app)
	b := srv.NewBrowser(t)
	signIn := func() *tokens {
		ar, resp := rp.authorize(t, b, []string{"openid", "profile", "email"})
		if resp.Page != nil {
			resp = login(t, b, resp, dat.PersonalID, dat.Password)
		}
		return rp.exchange(t, ar, rp.code(t, ar, resp))
	}

	toks := signIn()
	in := srv.Introspect(t, app, toks.AccessToken)
	wantClaims(t, "introspection", in, map[string]any{"active": true, "client_id": app.ID, "sub": sub,
		"scope": "openid profile email", "account_kind": "citizen", "acr": "LoA1"})
	if exp := claimTime(t, in, "exp"); !exp.After(time.Now()) {
		t.Errorf("introspected exp %v is not in the future", exp)
	}
	in = srv.Introspect(t, app, toks.RefreshToken)
	wantClaims(t, "introspection of the refresh token", in, map[string]any{"active": true, "client_id": app.ID, "sub": sub})
	if status, body := srv.PostForm(t, "/oauth2/introspect", nil, url.Values{"token": {toks.AccessToken}}); status != http.StatusUnauthorized {
		t.Errorf("introspection without client authentication: %d %v, want 401", status, body)
	}
	if status, body := srv.PostForm(t, "/oauth2/introspect", &harness.Client{ID: app.ID, Secret: "not-the-secret"},
		url.Values{"token": {toks.AccessToken}}); status != http.StatusUnauthorized {
		t.Errorf("introspection with a wrong secret: %d %v, want 401", status, body)
	}

	// Another client cannot revoke the token.
	srv.PostForm(t, "/oauth2/revoke", other, url.Values{"token": {toks.AccessToken}})
	if in := srv.Introspect(t, app, toks.AccessToken); in["active"] != true {
		t.Fatalf("another client's revocation request revoked the token: %v", in)
	}

	// Revoking the access token.
	srv.Revoke(t, app, toks.AccessToken, "access_token")
	if in := srv.Introspect(t, app, toks.AccessToken); in["active"] != false {
		t.Errorf("a revoked access token introspects %v", in)
	}
	req, _ := http.NewRequest(http.MethodGet, srv.URL("/userinfo"), nil)
	req.Header.Set("Authorization", "Bearer "+toks.AccessToken)
	if resp, err := srv.HTTP.Do(req); err != nil {
		t.Fatal(err)
	} else {
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusUnauthorized || !strings.Contains(resp.Header.Get("WWW-Authenticate"), "invalid_token") {
			t.Errorf("userinfo with a revoked token: %d %q, want 401 invalid_token", resp.StatusCode, resp.Header.Get("WWW-Authenticate"))
		}
	}

	// Revoking a refresh token (of a new grant, in the same SSO session).
	toks = signIn()
	srv.Revoke(t, app, toks.RefreshToken, "refresh_token")
	if in := srv.Introspect(t, app, toks.RefreshToken); in["active"] != false {
		t.Errorf("a revoked refresh token introspects %v", in)
	}
	if _, err := rp.refresh(toks.RefreshToken); err == nil {
		t.Error("a revoked refresh token was redeemed")
	} else if code := grantError(t, err); code != "invalid_grant" {
		t.Errorf("redeeming a revoked refresh token gave %q, want invalid_grant", code)
	}
	// RFC 7009 §2.1: the access tokens of the same grant go with it.
	if in := srv.Introspect(t, app, toks.AccessToken); in["active"] != false {
		t.Errorf("the access token of a revoked refresh token introspects %v", in)
	}
	// Revoking an unknown token is not an error (RFC 7009 §2.2).
	srv.Revoke(t, app, "không-phải-token", "")
}

// TestClientCredentials is service-to-service access through the integration platform.
func TestClientCredentials(t *testing.T) {
	t.Parallel()
	srv := harness.Start(t)
	svc := srv.CreateClient(t, harness.ClientSpec{Name: "Nền tảng tích hợp LGSP", Grants: []string{"client_credentials"},
		Scopes: []string{"lgsp.hoso.read", "lgsp.hoso.write"}})
	ctx := oidc.ClientContext(t.Context(), &http.Client{Timeout: harness.RequestTimeout})
	cc := clientcredentials.Config{ClientID: svc.ID, ClientSecret: svc.Secret, TokenURL: srv.URL("/oauth2/token"),
		Scopes: []string{"lgsp.hoso.read"}}
	tok, err := cc.Token(ctx)
	if err != nil {
		t.Fatalf("client credentials: %v", err)
	}
	if tok.RefreshToken != "" || tok.Extra("id_token") != nil {
		t.Errorf("client credentials issued a refresh or ID token")
	}
	if !strings.EqualFold(tok.TokenType, "bearer") {
		t.Errorf("token_type %q", tok.TokenType)
	}

	// The JWT access token verifies locally against the published keys.
	keySet := oidc.NewRemoteKeySet(ctx, srv.URL("/.well-known/jwks.json"))
	payload, err := keySet.VerifySignature(ctx, tok.AccessToken)
	if err != nil {
		t.Fatalf("verifying the access token against the JWKS: %v", err)
	}
	var claims map[string]any
	if err := json.Unmarshal(payload, &claims); err != nil {
		t.Fatal(err)
	}
	wantClaims(t, "access token", claims, map[string]any{"iss": srv.Issuer, "sub": svc.ID, "client_id": svc.ID,
		"scope": "lgsp.hoso.read"})
	if exp := claimTime(t, claims, "exp"); !exp.After(time.Now()) || exp.After(time.Now().Add(time.Hour)) {
		t.Errorf("exp %v", exp)
	}
	if h := jwtHeader(t, tok.AccessToken); h["typ"] != "at+jwt" || h["alg"] != "ES256" {
		t.Errorf("access token header %v, want typ at+jwt (RFC 9068) and alg ES256", h)
	}
	in := srv.Introspect(t, svc, tok.AccessToken)
	wantClaims(t, "introspection", in, map[string]any{"active": true, "client_id": svc.ID, "scope": "lgsp.hoso.read"})

	// A scope the client is not registered for is refused.
	cc.Scopes = []string{"lgsp.hoso.delete"}
	if _, err := cc.Token(ctx); err == nil {
		t.Error("an unregistered scope was granted")
	} else if code := grantError(t, err); code != "invalid_scope" {
		t.Errorf("unregistered scope gave %q, want invalid_scope", code)
	}
	// A wrong secret is refused.
	cc.Scopes, cc.ClientSecret = []string{"lgsp.hoso.read"}, "sai-bí-mật"
	if _, err := cc.Token(ctx); err == nil {
		t.Error("a wrong client secret was accepted")
	} else if code := grantError(t, err); code != "invalid_client" {
		t.Errorf("wrong secret gave %q, want invalid_client", code)
	}

	// A public client cannot be registered for client credentials.
	res, err := srv.RunCLI("", harness.ClientSpec{Name: "Ứng dụng di động", Public: true,
		Grants: []string{"client_credentials"}, Scopes: []string{"lgsp.hoso.read"}}.Args()...)
	if err != nil {
		t.Fatal(err)
	}
	if res.ExitCode == 0 || !strings.Contains(res.Stderr, "client_credentials") {
		t.Errorf("registering a public client with client_credentials: exit %d, stderr %q", res.ExitCode, res.Stderr)
	}
}

// TestTokenFormats checks per-client ID-token algorithms and opaque access tokens.
func TestTokenFormats(t *testing.T) {
	t.Parallel()
	srv := harness.Start(t)
	sub := srv.CreateCitizen(t, dat)
	b := srv.NewBrowser(t)
	jwks := fetchJWKS(t, srv)

	for i, alg := range []string{"ES256", "EdDSA", "RS256"} {
		spec := portal()
		spec.IDTokenAlg = alg
		spec.RedirectURIs = []string{"https://ungdung" + string(rune('a'+i)) + ".example.gov.vn/callback"}
		app := srv.CreateClient(t, spec)
		if app.IDTokenAlg != alg {
			t.Fatalf("client registered with id_token_signed_response_alg %q, want %s", app.IDTokenAlg, alg)
		}
		rp := newRP(t, srv, app) // its verifier accepts only alg
		ar, resp := rp.authorize(t, b, openidProfile)
		if resp.Page != nil {
			resp = login(t, b, resp, dat.PersonalID, dat.Password)
		}
		toks := rp.exchange(t, ar, rp.code(t, ar, resp))
		kid, _ := toks.Header["kid"].(string)
		if toks.Header["alg"] != alg || jwks[kid] != alg {
			t.Errorf("%s client: ID token header %v; the JWKS has kid %q as %q", alg, toks.Header, kid, jwks[kid])
		}
		if toks.IDToken.Subject != sub {
			t.Errorf("%s client: sub %q", alg, toks.IDToken.Subject)
		}
		if alg != "RS256" {
			strict := rp.provider.Verifier(&oidc.Config{ClientID: app.ID, SupportedSigningAlgs: []string{"RS256"}})
			if _, err := strict.Verify(rp.ctx, toks.RawIDToken); err == nil {
				t.Errorf("%s client: an RS256-only verifier accepted its ID token", alg)
			}
		}
	}

	spec := portal()
	spec.AccessTokenFormat = "opaque"
	spec.RedirectURIs = []string{"https://motcua.example.gov.vn/callback"}
	app := srv.CreateClient(t, spec)
	rp := newRP(t, srv, app)
	ar, resp := rp.authorize(t, b, []string{"openid", "profile", "email"})
	toks := rp.exchange(t, ar, rp.code(t, ar, resp))
	if strings.Count(toks.AccessToken, ".") == 2 {
		t.Fatalf("the opaque client got a JWT access token")
	}
	info, claims := rp.userinfo(t, toks.AccessToken)
	if info.Subject != sub {
		t.Errorf("userinfo with an opaque token: sub %q, want %q", info.Subject, sub)
	}
	wantClaims(t, "userinfo", claims, map[string]any{"email": dat.Email, "name": dat.Name})
	in := srv.Introspect(t, app, toks.AccessToken)
	wantClaims(t, "introspection of an opaque token", in, map[string]any{"active": true, "client_id": app.ID, "sub": sub,
		"scope": "openid profile email"})
}

// fetchJWKS returns the published keys: kid → alg.
func fetchJWKS(t *testing.T, srv *harness.Server) map[string]string {
	t.Helper()
	resp, err := srv.HTTP.Get(srv.URL("/.well-known/jwks.json"))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var jwks struct {
		Keys []struct {
			Kid string `json:"kid"`
			Alg string `json:"alg"`
		} `json:"keys"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&jwks); err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, k := range jwks.Keys {
		out[k.Kid] = k.Alg
	}
	return out
}

// TestSingleSignOn logs into one application and gets into a second with no page.
func TestSingleSignOn(t *testing.T) {
	t.Parallel()
	srv := harness.Start(t)
	sub := srv.CreateCitizen(t, hang)
	a := newRP(t, srv, srv.CreateClient(t, booking()))
	bc := portal()
	rpB := newRP(t, srv, srv.CreateClient(t, bc))
	b := srv.NewBrowser(t)

	ar, resp := a.authorize(t, b, openidProfile)
	resp = login(t, b, resp, hang.Email, hang.Password)
	page := checkConsentPage(t, resp, a.client.Name, consentItem{"profile", profileClaimsOfCitizen})
	atA := a.exchange(t, ar, a.code(t, ar, allow(t, b, page)))

	ar, resp = rpB.authorize(t, b, []string{"openid", "profile", "email"})
	singleRedirect(t, resp, portalRedirect)
	atB := rpB.exchange(t, ar, rpB.code(t, ar, resp))
	if atB.IDToken.Subject != sub || atA.IDToken.Subject != sub {
		t.Errorf("subjects %q and %q, want %q", atA.IDToken.Subject, atB.IDToken.Subject, sub)
	}
	if atA.Claims["sid"] != atB.Claims["sid"] || !claimTime(t, atA.Claims, "auth_time").Equal(claimTime(t, atB.Claims, "auth_time")) {
		t.Errorf("the two applications see different sessions: sid %v/%v auth_time %v/%v",
			atA.Claims["sid"], atB.Claims["sid"], atA.Claims["auth_time"], atB.Claims["auth_time"])
	}
	if !slices.Equal(atB.IDToken.Audience, []string{rpB.client.ID}) {
		t.Errorf("aud %q, want %q", atB.IDToken.Audience, rpB.client.ID)
	}

	// Another browser has no session.
	other := srv.NewBrowser(t)
	_, resp = rpB.authorize(t, other, openidProfile)
	resp.MustPage(t, http.StatusOK, "/login")
}

// TestPromptAndMaxAge checks prompt=none, prompt=login and max_age.
func TestPromptAndMaxAge(t *testing.T) {
	t.Parallel()
	srv := harness.Start(t)
	srv.CreateCitizen(t, dat)
	first := newRP(t, srv, srv.CreateClient(t, portal()))
	third := newRP(t, srv, srv.CreateClient(t, booking()))
	b := srv.NewBrowser(t)
	none := oauth2.SetAuthURLParam("prompt", "none")

	// prompt=none without a session.
	ar, resp := first.authorize(t, b, openidProfile, none)
	singleRedirect(t, resp, portalRedirect)
	if e := first.authError(t, ar, resp); e != "login_required" {
		t.Errorf("prompt=none without a session gave %q, want login_required", e)
	}

	ar, resp = first.authorize(t, b, openidProfile)
	t0 := first.exchange(t, ar, first.code(t, ar, login(t, b, resp, dat.PersonalID, dat.Password)))
	auth0 := claimTime(t, t0.Claims, "auth_time")

	// prompt=none with a session.
	ar, resp = first.authorize(t, b, openidProfile, none)
	singleRedirect(t, resp, portalRedirect)
	toks := first.exchange(t, ar, first.code(t, ar, resp))
	if !claimTime(t, toks.Claims, "auth_time").Equal(auth0) || toks.Claims["sid"] != t0.Claims["sid"] {
		t.Errorf("prompt=none: auth_time %v sid %v, want the session's %v %v", toks.Claims["auth_time"], toks.Claims["sid"], auth0, t0.Claims["sid"])
	}

	// prompt=none at a third party that has no consent.
	ar, resp = third.authorize(t, b, openidProfile, none)
	singleRedirect(t, resp, bookingRedirect)
	if e := third.authError(t, ar, resp); e != "consent_required" {
		t.Errorf("prompt=none without consent gave %q, want consent_required", e)
	}

	// A max_age the session satisfies needs no login.
	ar, resp = first.authorize(t, b, openidProfile, oauth2.SetAuthURLParam("max_age", "300"))
	singleRedirect(t, resp, portalRedirect)
	first.exchange(t, ar, first.code(t, ar, resp))

	// max_age=1 two seconds after the login asks for the password again.
	time.Sleep(2100 * time.Millisecond)
	ar, resp = first.authorize(t, b, openidProfile, oauth2.SetAuthURLParam("max_age", "1"))
	resp.MustPage(t, http.StatusOK, "/login")
	t1 := first.exchange(t, ar, first.code(t, ar, login(t, b, resp, dat.PersonalID, dat.Password)))
	auth1 := claimTime(t, t1.Claims, "auth_time")
	if !auth1.After(auth0) {
		t.Errorf("after max_age=1: auth_time %v, want later than %v", auth1, auth0)
	}
	// A re-authentication of the session's own person keeps the session.
	if t1.Claims["sid"] != t0.Claims["sid"] {
		t.Errorf("re-authentication of the same person replaced the session %v with %v", t0.Claims["sid"], t1.Claims["sid"])
	}

	// prompt=login shows the login page despite the session.
	time.Sleep(1100 * time.Millisecond)
	ar, resp = first.authorize(t, b, openidProfile, oauth2.SetAuthURLParam("prompt", "login"))
	resp.MustPage(t, http.StatusOK, "/login")
	t2 := first.exchange(t, ar, first.code(t, ar, login(t, b, resp, dat.PersonalID, dat.Password)))
	if auth2 := claimTime(t, t2.Claims, "auth_time"); !auth2.After(auth1) {
		t.Errorf("after prompt=login: auth_time %v, want later than %v", auth2, auth1)
	}
}

// TestRememberedConsent remembers a consent and withdraws it in the account console.
func TestRememberedConsent(t *testing.T) {
	t.Parallel()
	srv := harness.Start(t)
	srv.CreateCitizen(t, hang)
	rp := newRP(t, srv, srv.CreateClient(t, booking()))
	b := srv.NewBrowser(t)

	ar, resp := rp.authorize(t, b, openidProfileEmail)
	resp = login(t, b, resp, hang.PersonalID, hang.Password)
	page := checkConsentPage(t, resp, rp.client.Name,
		consentItem{"profile", profileClaimsOfCitizen}, consentItem{"email", []string{"email", "email_verified"}})
	if page.Form(t, "/consent").Value("remember") == "" {
		t.Errorf("the consent page does not offer to remember the decision by default")
	}
	rp.exchange(t, ar, rp.code(t, ar, allow(t, b, page)))

	// The second time no consent page is shown, also for fewer scopes.
	for _, scopes := range [][]string{openidProfileEmail, openidProfile} {
		ar, resp = rp.authorize(t, b, scopes)
		singleRedirect(t, resp, bookingRedirect)
		rp.exchange(t, ar, rp.code(t, ar, resp))
	}
	// A scope not consented to yet asks again.
	_, resp = rp.authorize(t, b, []string{"openid", "profile", "phone"})
	checkConsentPage(t, resp, rp.client.Name,
		consentItem{"profile", profileClaimsOfCitizen}, consentItem{"phone", []string{"phone_number", "phone_number_verified"}})

	// The account console lists the consent and withdraws it.
	console := b.Get(t, "/account").MustPage(t, http.StatusOK, "/account")
	if names := consentsListed(t, console); !slices.Equal(names, []string{rp.client.Name}) {
		t.Fatalf("the account console lists the consents %q, want the one given to %q", names, rp.client.Name)
	}
	form := revokeForm(t, console, rp.client.ID)
	if form.Value("csrf_token") == "" {
		t.Fatalf("the withdrawal form has no CSRF token")
	}
	// Without the CSRF token nothing is withdrawn.
	vals, _ := form.Values(nil)
	vals.Del("csrf_token")
	if r := b.Send(t, http.MethodPost, form.Action, vals); r.Page == nil || r.Page.Status != http.StatusForbidden {
		t.Fatalf("withdrawing without a CSRF token:%s", r)
	}
	console = b.Submit(t, form, nil).MustPage(t, http.StatusOK, "/account/consents/revoke")
	if names := consentsListed(t, console); len(names) != 0 {
		t.Errorf("the console still lists the consents %q after the withdrawal", names)
	}

	// The consent page is back; without "remember" it keeps coming back.
	for range 2 {
		ar, resp = rp.authorize(t, b, openidProfile)
		page = checkConsentPage(t, resp, rp.client.Name, consentItem{"profile", profileClaimsOfCitizen})
		resp = b.Submit(t, page.Form(t, "/consent"), map[string]string{"decision": "allow", "remember": ""})
		rp.exchange(t, ar, rp.code(t, ar, resp))
	}
	console = b.Get(t, "/account").MustPage(t, http.StatusOK, "/account")
	if names := consentsListed(t, console); len(names) != 0 {
		t.Errorf("a consent given without \"remember\" was remembered: %q", names)
	}
}

// consentsListed returns the names of the applications in the consents
// section of the account console.
func consentsListed(t *testing.T, page *harness.Page) []string {
	t.Helper()
	var section []harness.Element
	for _, s := range page.ByTag("section") {
		if s.Attrs["aria-labelledby"] == "consents-title" {
			section = append(section, s)
		}
	}
	if len(section) != 1 {
		t.Fatalf("the account console has %d consents sections, want 1:\n%s", len(section), page.Body)
	}
	var names []string
	for _, el := range section[0].ByClass("consent-client") {
		names = append(names, el.Text)
	}
	return names
}

// revokeForm finds the console's form that withdraws the consent of a client.
func revokeForm(t *testing.T, page *harness.Page, clientID string) *harness.Form {
	t.Helper()
	for _, f := range page.Forms() {
		if strings.HasSuffix(f.Action, "/account/consents/revoke") && f.Value("client_id") == clientID {
			return f
		}
	}
	t.Fatalf("the account console has no form to withdraw the consent of %s:\n%s", clientID, page.Body)
	return nil
}

// TestBusinessChoice lets a representative act for a business or for themselves.
func TestBusinessChoice(t *testing.T) {
	t.Parallel()
	srv := harness.Start(t)
	sub := srv.CreateCitizen(t, dat)
	srv.CreateCitizen(t, hang)
	const hoangLong, senVang = "0101234565", "0304567898"
	srv.LinkBusiness(t, dat.PersonalID, hoangLong, "Công ty TNHH Thương mại Hoàng Long", "legal_representative")
	srv.LinkBusiness(t, sub, senVang, "Công ty Cổ phần Sen Vàng", "authorised_staff")
	rp := newRP(t, srv, srv.CreateClient(t, portal("openid", "profile", "business")))
	scopes := []string{"openid", "profile", "business"}
	b := srv.NewBrowser(t)

	ar, resp := rp.authorize(t, b, scopes)
	resp = login(t, b, resp, dat.PersonalID, dat.Password)
	page := resp.MustPage(t, http.StatusOK, "/login/business")
	form := page.Form(t, "/login/business")
	if opts := form.Options("tax_code"); !slices.Equal(sorted(opts), []string{"", hoangLong, senVang}) {
		t.Fatalf("the business page offers %q, want myself and both businesses", opts)
	}
	if form.Value("tax_code") != "" {
		t.Errorf("the business page preselects %q, want myself", form.Value("tax_code"))
	}
	if !strings.Contains(page.Body, "Công ty TNHH Thương mại Hoàng Long") {
		t.Errorf("the business page does not name the business")
	}
	toks := rp.exchange(t, ar, rp.code(t, ar, b.Submit(t, form, map[string]string{"tax_code": hoangLong})))
	business := map[string]any{"tax_code": hoangLong, "name": "Công ty TNHH Thương mại Hoàng Long", "role": "legal_representative"}
	wantClaims(t, "ID token", toks.Claims, map[string]any{"sub": sub, "account_kind": "citizen", "tax_code": hoangLong, "business": business})
	_, claims := rp.userinfo(t, toks.AccessToken)
	wantClaims(t, "userinfo", claims, map[string]any{"tax_code": hoangLong, "business": business})
	wantClaims(t, "access token", jwtPayload(t, toks.AccessToken), map[string]any{"tax_code": hoangLong})

	// The choice is asked at every authorization; "myself" releases no business.
	ar, resp = rp.authorize(t, b, scopes)
	form = resp.MustPage(t, http.StatusOK, "/login/business").Form(t, "/login/business")
	toks = rp.exchange(t, ar, rp.code(t, ar, b.Submit(t, form, map[string]string{"tax_code": ""})))
	noClaims(t, "ID token (myself)", toks.Claims, "tax_code", "business")
	_, claims = rp.userinfo(t, toks.AccessToken)
	noClaims(t, "userinfo (myself)", claims, "tax_code", "business")
	noClaims(t, "access token (myself)", jwtPayload(t, toks.AccessToken), "tax_code")

	// A business the person does not represent is refused.
	_, resp = rp.authorize(t, b, scopes)
	form = resp.MustPage(t, http.StatusOK, "/login/business").Form(t, "/login/business")
	vals, _ := form.Values(nil)
	vals.Set("tax_code", "2312345677")
	if r := b.Send(t, http.MethodPost, form.Action, vals); r.Page == nil || r.Page.Status != http.StatusBadRequest {
		t.Errorf("choosing a business the person does not represent:%s", r)
	}

	// Without a business there is no choice to make.
	other := srv.NewBrowser(t)
	ar, resp = rp.authorize(t, other, scopes)
	toks = rp.exchange(t, ar, rp.code(t, ar, login(t, other, resp, hang.PersonalID, hang.Password)))
	noClaims(t, "ID token (no business)", toks.Claims, "tax_code", "business")
}

func sorted(s []string) []string {
	s = slices.Clone(s)
	slices.Sort(s)
	return s
}

// TestKeyRotation rotates the RS256 key while the server runs.
func TestKeyRotation(t *testing.T) {
	t.Parallel()
	srv := harness.Start(t, harness.WithEnv("DINHDANH_KEYS_ROTATION_CHECK_INTERVAL", "1s"))
	srv.CreateCitizen(t, dat)
	rp := newRP(t, srv, srv.CreateClient(t, portal()))
	b := srv.NewBrowser(t)
	ar, resp := rp.authorize(t, b, openidProfile)
	before := rp.exchange(t, ar, rp.code(t, ar, login(t, b, resp, dat.PersonalID, dat.Password)))
	oldKid, _ := before.Header["kid"].(string)
	keysBefore := fetchJWKS(t, srv)
	if keysBefore[oldKid] != "RS256" {
		t.Fatalf("the ID token's kid %q is not a published RS256 key: %v", oldKid, keysBefore)
	}

	out := srv.RotateKeys(t, "RS256")
	if !strings.Contains(out, "new RS256 key") {
		t.Errorf("keys rotate printed %q", out)
	}
	var keysAfter map[string]string
	deadline := time.Now().Add(10 * time.Second)
	for {
		keysAfter = fetchJWKS(t, srv)
		if len(keysAfter) > len(keysBefore) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the JWKS did not change within 10s of the rotation: %v", keysAfter)
		}
		time.Sleep(100 * time.Millisecond)
	}
	var newKid string
	for kid, alg := range keysAfter {
		if _, old := keysBefore[kid]; !old {
			if alg != "RS256" || newKid != "" {
				t.Fatalf("after rotating RS256 the JWKS gained %q (%s) and %q", kid, alg, newKid)
			}
			newKid = kid
		}
	}
	for kid, alg := range keysBefore {
		if keysAfter[kid] != alg {
			t.Errorf("the key %s (%s) is no longer published after the rotation", kid, alg)
		}
	}

	// A relying party that has never seen the old key still verifies the old token.
	fresh := newRP(t, srv, rp.client)
	if _, err := fresh.verifier.Verify(fresh.ctx, before.RawIDToken); err != nil {
		t.Errorf("an ID token signed before the rotation no longer verifies: %v", err)
	}
	// The new key is published before it signs: right after the rotation
	// tokens are still signed by the old key (the switch after the
	// publication delay is tested with an injected clock in server/keys).
	ar, resp = rp.authorize(t, b, openidProfile, oauth2.SetAuthURLParam("prompt", "none"))
	after := rp.exchange(t, ar, rp.code(t, ar, resp))
	if after.Header["kid"] != oldKid {
		t.Errorf("an ID token issued right after the rotation has kid %v, want the old key %s until the new one %s has been published for the JWKS max-age",
			after.Header["kid"], oldKid, newKid)
	}
	if _, err := fresh.verifier.Verify(fresh.ctx, after.RawIDToken); err != nil {
		t.Errorf("the new ID token does not verify: %v", err)
	}
	list := srv.CLI(t, "", "keys", "list")
	if !regexp.MustCompile(`(?m)^`+regexp.QuoteMeta(newKid)+`\s+RS256\s+next\s`).MatchString(list) ||
		!regexp.MustCompile(`(?m)^`+regexp.QuoteMeta(oldKid)+`\s+RS256\s+current\s`).MatchString(list) {
		t.Errorf("keys list after the rotation, want %s next and %s current:\n%s", newKid, oldKid, list)
	}
}

// TestRegistration registers a citizen through the /register page.
func TestRegistration(t *testing.T) {
	t.Parallel()
	srv := harness.Start(t)
	rp := newRP(t, srv, srv.CreateClient(t, portal()))
	b := srv.NewBrowser(t)
	ar, resp := rp.authorize(t, b, []string{"openid", "profile", "email", "phone"})
	loginPage := resp.MustPage(t, http.StatusOK, "/login")
	var link string
	for _, a := range loginPage.ByTag("a") {
		if strings.HasPrefix(a.Attrs["href"], "/register?flow=") {
			link = a.Attrs["href"]
		}
	}
	if link == "" {
		t.Fatalf("the login page has no link to the registration page:\n%s", loginPage.Body)
	}
	page := b.Get(t, link).MustPage(t, http.StatusOK, "/register")
	fields := map[string]string{
		"personal_id": hang.PersonalID, "full_name": "  Lê Thị   Thu Hằng ", "birthdate": "2002-08-21", "gender": "female",
		"email": hang.Email, "phone": "0987 654 321", "password": hang.Password, "password_confirm": hang.Password, "privacy_accept": "1",
	}

	// A birth year that contradicts the personal ID is refused, and nothing is created.
	resp = b.Submit(t, page.Form(t, "/register"), fields)
	page = resp.MustPage(t, http.StatusBadRequest, "/register")
	if errs := page.ByClass("field-error"); len(errs) != 1 || !strings.Contains(page.Body, `id="personal_id-error"`) {
		t.Errorf("want one field error, on the personal ID; got %v", errs)
	}
	if res, _ := srv.RunCLI("", "account", "show", hang.PersonalID); res.ExitCode == 0 {
		t.Fatalf("a refused registration created an account:\n%s", res.Stdout)
	}

	fields["birthdate"] = hang.Birthdate
	resp = b.Submit(t, page.Form(t, "/register"), fields)
	page = resp.MustPage(t, http.StatusOK, "/login")
	if page.URL.Query().Get("registered") != "1" || page.Form(t, "/login").Value("identifier") != hang.PersonalID {
		t.Errorf("after registering: %s, want the login page with the personal ID filled in", page.URL)
	}
	toks := rp.exchange(t, ar, rp.code(t, ar, login(t, b, resp, hang.PersonalID, hang.Password)))
	wantClaims(t, "ID token", toks.Claims, map[string]any{"account_kind": "citizen", "name": "Lê Thị Thu Hằng",
		"given_name": "Hằng", "birthdate": "2003-08-21", "gender": "female", "email": hang.Email, "phone_number": "+84987654321"})

	var shown struct {
		Sub        string `json:"sub"`
		PersonalID string `json:"personal_id"`
	}
	out := srv.CLI(t, "", "account", "show", "--json", hang.PersonalID)
	if err := json.Unmarshal([]byte(out), &shown); err != nil {
		t.Fatal(err)
	}
	if shown.Sub != toks.IDToken.Subject || shown.PersonalID != hang.PersonalID {
		t.Errorf("account show: %s; the ID token's sub is %q", out, toks.IDToken.Subject)
	}

	// The personal ID can be registered only once; the second registration
	// is answered as the first (the page does not tell that the number is
	// someone's) and creates nothing.
	b2 := srv.NewBrowser(t)
	page = b2.Get(t, "/register").MustPage(t, http.StatusOK, "/register")
	fields["email"], fields["phone"] = "hang.le.2@example.vn", ""
	resp = b2.Submit(t, page.Form(t, "/register"), fields)
	resp.MustPage(t, http.StatusOK, "/login")
	if res, _ := srv.RunCLI("", "account", "show", "hang.le.2@example.vn"); res.ExitCode == 0 {
		t.Fatalf("a second registration of the personal ID created an account:\n%s", res.Stdout)
	}
	if out := srv.CLI(t, "", "account", "show", "--json", hang.PersonalID); !strings.Contains(out, toks.IDToken.Subject) {
		t.Errorf("the personal ID moved: %s", out)
	}
}

// TestAuthorizationRequestRules checks what the authorization and token
// endpoints refuse: unknown clients and redirect URIs, missing or weak PKCE
// for a public client, a wrong verifier and a reused code.
func TestAuthorizationRequestRules(t *testing.T) {
	t.Parallel()
	srv := harness.Start(t)
	srv.CreateCitizen(t, dat)
	b := srv.NewBrowser(t)
	app := srv.CreateClient(t, harness.ClientSpec{Name: "Công dân số", Public: true, FirstParty: true,
		RedirectURIs: []string{"http://127.0.0.1/callback"}})
	// A native app listens on a port of its choosing (RFC 8252 §7.3).
	native := *app
	native.RedirectURIs = []string{"http://127.0.0.1:53682/callback"}
	rp := newRP(t, srv, &native)
	pkce := harness.NewPKCE()

	// Before anyone logs in: a public client must send an S256 challenge.
	cases := map[string][]oauth2.AuthCodeOption{
		"no PKCE":    nil,
		"plain PKCE": {oauth2.SetAuthURLParam("code_challenge", pkce.Verifier), oauth2.SetAuthURLParam("code_challenge_method", "plain")},
	}
	for name, opts := range cases {
		cfg := rp.config
		cfg.Scopes = openidProfile
		ar := &authRequest{State: harness.Random(16), Nonce: harness.Random(16)}
		resp := b.Get(t, cfg.AuthCodeURL(ar.State, append(opts, oidc.Nonce(ar.Nonce))...))
		if resp.Page != nil && resp.Page.URL.Path == "/login" {
			// Shown the login page first: the request must still end in an error.
			t.Errorf("%s: the login page was shown for a request that cannot succeed", name)
			resp = login(t, b, resp, dat.PersonalID, dat.Password)
		}
		if e := rp.authError(t, ar, resp); e != "invalid_request" {
			t.Errorf("%s: got %q, want invalid_request", name, e)
		}
	}

	ar, resp := rp.authorize(t, b, openidProfile)
	if resp.Page != nil {
		resp = login(t, b, resp, dat.PersonalID, dat.Password)
	}
	code := rp.code(t, ar, resp)
	if _, err := rp.config.Exchange(rp.ctx, code, oauth2.SetAuthURLParam("code_verifier", harness.NewPKCE().Verifier)); err == nil {
		t.Error("a code was exchanged with the wrong PKCE verifier")
	} else if e := grantError(t, err); e != "invalid_grant" {
		t.Errorf("wrong verifier gave %q, want invalid_grant", e)
	}

	ar, resp = rp.authorize(t, b, openidProfile)
	singleRedirect(t, resp, "http://127.0.0.1:53682/callback")
	code = rp.code(t, ar, resp)
	toks := rp.exchange(t, ar, code)
	rp.userinfo(t, toks.AccessToken)
	// A code works once; its reuse also revokes what it gave (RFC 6749 §4.1.2).
	if _, err := rp.config.Exchange(rp.ctx, code, ar.PKCE.ExchangeOption()); err == nil {
		t.Error("a code was exchanged twice")
	} else if e := grantError(t, err); e != "invalid_grant" {
		t.Errorf("code reuse gave %q, want invalid_grant", e)
	}
	if _, err := rp.provider.UserInfo(rp.ctx, oauth2.StaticTokenSource(toks.Token)); err == nil {
		t.Error("the access token of a reused code still works at the userinfo endpoint")
	}

	// Nothing is ever sent to an unknown client or an unregistered redirect URI.
	conf := srv.CreateClient(t, harness.ClientSpec{Name: "Quản lý văn bản", FirstParty: true,
		RedirectURIs: []string{"http://127.0.0.1/callback"}})
	for name, q := range map[string]url.Values{
		"unknown client":          {"client_id": {"khong-ton-tai"}, "redirect_uri": {portalRedirect}},
		"unregistered URI":        {"client_id": {app.ID}, "redirect_uri": {"https://lua-dao.example.com/callback"}},
		"confidential, new port":  {"client_id": {conf.ID}, "redirect_uri": {"http://127.0.0.1:53682/callback"}},
		"registered URI + suffix": {"client_id": {conf.ID}, "redirect_uri": {"http://127.0.0.1/callback/extra"}},
	} {
		q.Set("response_type", "code")
		q.Set("scope", "openid")
		q.Set("state", harness.Random(16))
		q.Set("code_challenge", pkce.Challenge)
		q.Set("code_challenge_method", "S256")
		resp := b.Get(t, "/oauth2/auth?"+q.Encode())
		if resp.Page == nil || resp.Page.Status != http.StatusBadRequest {
			t.Errorf("%s: want an error page at the identity provider, got:%s", name, resp)
		}
	}
}
