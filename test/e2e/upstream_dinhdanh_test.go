package e2e

import (
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/oauth2"

	"github.com/dinhdanh/dinhdanh/test/harness"
	"github.com/dinhdanh/dinhdanh/ui"
)

// The people of the upstream dinhdanh node: Lan proved her personal ID in
// person there; Minh's was given without evidence.
var (
	lanAtA  = harness.Citizen{PersonalID: "079190005678", Name: "Trần Thị Lan", Birthdate: "1990-05-17", Gender: "female", Email: "lan.tt@example.vn", Password: "Mật-khẩu-của-Lan-2025"}
	hoaAtA  = harness.Citizen{PersonalID: "079195001122", Name: "Phan Thị Hoa", Birthdate: "1995-09-09", Gender: "female", Email: "hoa.pt@example.vn", Password: "Mật-khẩu-của-Hoa-2025"}
	minhAtA = harness.Citizen{PersonalID: "001092003456", Name: "Đỗ Quang Minh", Birthdate: "1992-01-02", Gender: "male", Email: "minh.dq@example.vn", Password: "Mật-khẩu-của-Minh-2025"}
)

// upstreamA is the name of node A in node B's configuration.
const upstreamA = "tinh-a"

// startUpstreamPair starts node A, a dinhdanh node, and node B, a dinhdanh
// node whose upstream provider is A: on A, B is a client with the dvcqg
// claim profile (the national portal's claim names, which B's upstream
// configuration reads by default) and B's callback as redirect URI; B
// discovers A from its issuer and maps A's acr to its own levels.
func startUpstreamPair(t *testing.T) (a, b *harness.Server) {
	t.Helper()
	a = harness.Start(t)
	dir := t.TempDir()
	secretFile := filepath.Join(dir, "tinh-a.secret")
	if err := os.WriteFile(secretFile, []byte("not registered yet\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := fmt.Sprintf(`upstreams:
  - name: %s
    display_name: {vi: Định danh tỉnh A, en: Province A identity}
    issuer: %s
    client_id: tinh-b
    client_secret_file: %s
    scopes: [openid, profile, personal_id]
    acr_values: [LoA1]
    assurance: LoA2
    acr_map: {LoA1: LoA1, LoA2: LoA2, LoA3: LoA3}
    proves_personal_id: true
    timeout: 5s
`, upstreamA, a.Issuer, secretFile)
	path := filepath.Join(dir, "dinhdanh.yaml")
	if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	b = harness.Start(t, harness.WithConfigFile(path))
	// B's callback is known once B listens: register B at A, then restart B
	// (same address) with the secret A gave.
	c := a.CreateClient(t, harness.ClientSpec{ID: "tinh-b", Name: "Định danh tỉnh B",
		RedirectURIs: []string{b.Issuer + "/login/upstream/" + upstreamA + "/callback"},
		Scopes:       []string{"openid", "profile", "personal_id"}, ClaimProfile: "dvcqg"})
	if c.ClaimProfile != "dvcqg" || c.Secret == "" {
		t.Fatalf("the client of B at A: %+v", c)
	}
	if err := os.WriteFile(secretFile, []byte(c.Secret+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	b.Restart(t)
	return a, b
}

// throughA follows B's login page's button for A, logs in at A with the
// identifier and password, answers A's consent page with decision (allow or
// deny) when asked, and returns where the browser ended up at B.
func throughA(t *testing.T, br *harness.Browser, a *harness.Server, loginPage *harness.Page, identifier, password, decision string) *harness.Response {
	t.Helper()
	br.AddOrigin(a.Issuer)
	var href string
	for _, l := range loginPage.ByTag("a") {
		if strings.HasPrefix(l.Attrs["href"], "/login/upstream/"+upstreamA+"?flow=") {
			href = l.Attrs["href"]
		}
	}
	if href == "" {
		t.Fatalf("B's login page has no button for A:\n%s", loginPage.Body)
	}
	resp := br.Get(t, href)
	if resp.Page == nil || !strings.HasPrefix(resp.Page.URL.String(), a.Issuer+"/login") {
		t.Fatalf("the button for A did not lead to A's login page:%s", resp)
	}
	resp = login(t, br, resp, identifier, password)
	if resp.Page != nil && resp.Page.Path() == "/consent" && strings.HasPrefix(resp.Page.URL.String(), a.Issuer) {
		resp = br.Submit(t, resp.MustPage(t, http.StatusOK, "/consent").Form(t, "/consent"), map[string]string{"decision": decision})
	}
	return resp
}

// TestUpstreamIsDinhdanh: node B brokers logins through node A, another
// dinhdanh node releasing the national portal's claim names (the dvcqg
// profile). A person whose personal ID A proved in person gets at B the ID
// proven by the upstream (evidence naming A), verified_claims when asked,
// A's acr mapped by acr_map, and one subject at B on a returning login. A
// person whose ID A holds unproven is given no personal ID by A, and B
// refuses the login with a page, creating no account and proving nothing.
func TestUpstreamIsDinhdanh(t *testing.T) {
	t.Parallel()
	a, b := startUpstreamPair(t)
	provenCitizen(t, a, lanAtA)
	unprovenCitizen(t, a, minhAtA)
	scopes := []string{"openid", "profile", "personal_id"}
	rp := newRP(t, b, b.CreateClient(t, booking(scopes...)))
	claimsParam := oauth2.SetAuthURLParam("claims", verifiedClaimsRequest)

	br := b.NewBrowser(t)
	ar, resp := rp.authorize(t, br, scopes, claimsParam)
	resp = throughA(t, br, a, resp.MustPage(t, http.StatusOK, "/login"), lanAtA.Email, lanAtA.Password, "allow")
	toks := rp.exchange(t, ar, rp.code(t, ar, allow(t, br, resp.MustPage(t, http.StatusOK, "/consent"))))
	// A's password login is LoA1, which B's acr_map keeps (B's assurance, LoA2, is only for an unknown acr).
	wantClaims(t, "B's ID token", toks.Claims, map[string]any{"personal_id": lanAtA.PersonalID, "name": lanAtA.Name,
		"birthdate": lanAtA.Birthdate, "gender": "female", "acr": "LoA1"})
	for where, claims := range map[string]map[string]any{"B's ID token": toks.Claims, "B's userinfo": func() map[string]any {
		_, info := rp.userinfo(t, toks.AccessToken)
		return info
	}()} {
		vc := verifiedClaims(t, where, claims)
		wantClaims(t, where+" verified_claims.claims", vc["claims"].(map[string]any), map[string]any{"personal_id": lanAtA.PersonalID})
		verification := vc["verification"].(map[string]any)
		evidence, _ := verification["evidence"].([]any)
		if verification["trust_framework"] != "vn_eid" || len(evidence) != 1 {
			t.Fatalf("%s: verification %v, want vn_eid with one evidence", where, verification)
		}
		wantClaims(t, where+" evidence", evidence[0].(map[string]any), map[string]any{"type": "electronic_record",
			"record": map[string]any{"type": "population_register", "source": map[string]any{"name": upstreamA}}})
	}
	lan := showAccount(t, b, lanAtA.PersonalID)
	if lan.Sub != toks.IDToken.Subject || lan.Proofing.State != "verified" || lan.Proofing.Method != "upstream_eid" {
		t.Fatalf("Lan's account at B: %+v (ID token sub %s)", lan, toks.IDToken.Subject)
	}
	audited(t, b, "account.verify_personal_id", map[string]string{"method": "upstream_eid"})

	// A returning login, from another browser (a new session at A too), is the same subject at B.
	br2 := b.NewBrowser(t)
	ar, resp = rp.authorize(t, br2, scopes, claimsParam)
	resp = throughA(t, br2, a, resp.MustPage(t, http.StatusOK, "/login"), lanAtA.PersonalID, lanAtA.Password, "allow")
	if resp.Page != nil && resp.Page.Path() == "/consent" {
		resp = allow(t, br2, resp.MustPage(t, http.StatusOK, "/consent"))
	}
	if again := rp.exchange(t, ar, rp.code(t, ar, resp)); again.IDToken.Subject != toks.IDToken.Subject {
		t.Fatalf("the returning login through A is subject %s at B, the first %s", again.IDToken.Subject, toks.IDToken.Subject)
	}

	// Minh's ID is unproven at A: A releases none, and B makes nothing of the login.
	br3 := b.NewBrowser(t)
	_, resp = rp.authorize(t, br3, scopes, claimsParam)
	resp = throughA(t, br3, a, resp.MustPage(t, http.StatusOK, "/login"), minhAtA.Email, minhAtA.Password, "allow")
	page := resp.MustPage(t, http.StatusBadRequest, "/login/upstream/"+upstreamA+"/callback")
	if want := ui.T(page.Lang(), "error.upstream.bad_personal_id", "Định danh tỉnh A"); !strings.Contains(page.Body, want) {
		t.Fatalf("B's refusal page does not say %q:\n%s", want, page.Body)
	}
	if s, ok := accountOf(t, b, minhAtA.PersonalID); ok {
		t.Fatalf("B made an account of an ID A holds unproven: %+v", s)
	}
	registered := 0
	for _, e := range b.Audit(t, "", 500) {
		if e.Type == "account.register" && e.Details["provider"] == upstreamA {
			registered++
		}
	}
	if registered != 1 {
		t.Fatalf("B registered %d accounts from A, want Lan's only", registered)
	}

	// Hoa refuses, at A, to let B know who she is: A answers B's callback
	// with error=access_denied, and B shows a page and makes nothing.
	provenCitizen(t, a, hoaAtA)
	br4 := b.NewBrowser(t)
	_, resp = rp.authorize(t, br4, scopes, claimsParam)
	resp = throughA(t, br4, a, resp.MustPage(t, http.StatusOK, "/login"), hoaAtA.Email, hoaAtA.Password, "deny")
	page = resp.MustPage(t, http.StatusBadRequest, "/login/upstream/"+upstreamA+"/callback")
	if want := ui.T(page.Lang(), "error.upstream.refused", "Định danh tỉnh A"); !strings.Contains(page.Body, want) {
		t.Fatalf("B's page after A's access_denied does not say %q:\n%s", want, page.Body)
	}
	if s, ok := accountOf(t, b, hoaAtA.PersonalID); ok {
		t.Fatalf("B made an account of a person who refused at A: %+v", s)
	}
	audited(t, b, "login.failure", map[string]string{"provider": upstreamA, "reason": "error:access_denied"})
	// B's own logins keep working: Lan's session at B is there.
	loggedIn(t, br, sidOf(toks))
}
