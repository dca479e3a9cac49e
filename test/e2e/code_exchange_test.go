package e2e

import (
	"net/http"
	"net/url"
	"sync"
	"testing"

	"github.com/dinhdanh/dinhdanh/test/harness"
)

// signInForCode logs the citizen in through the relying party's
// authorization request (PKCE S256) and returns the request and its code.
func signInForCode(t *testing.T, rp *relyingParty, b *harness.Browser, who harness.Citizen) (*authRequest, string) {
	t.Helper()
	ar, resp := rp.authorize(t, b, openidProfile)
	if resp.Page != nil {
		resp = login(t, b, resp, who.PersonalID, who.Password)
	}
	return ar, rp.code(t, ar, resp)
}

// redeem sends a token request for the code as the confidential client
// (client_secret_basic), with the verifier when it is not empty.
func redeem(t *testing.T, srv *harness.Server, app *harness.Client, code, verifier string) (int, map[string]any) {
	t.Helper()
	form := url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {app.RedirectURI()}}
	if verifier != "" {
		form.Set("code_verifier", verifier)
	}
	return srv.PostForm(t, "/oauth2/token", app, form)
}

// TestPKCEOfConfidentialClient: a code whose authorization request sent a
// code_challenge is redeemed only with the matching verifier, and a failed
// PKCE check spends the code, for a confidential client too.
func TestPKCEOfConfidentialClient(t *testing.T) {
	t.Parallel()
	srv := harness.Start(t)
	srv.CreateCitizen(t, dat)
	app := srv.CreateClient(t, portal())
	if app.Secret == "" {
		t.Fatal("the portal is not a confidential client")
	}
	rp := newRP(t, srv, app)
	b := srv.NewBrowser(t)
	wantRefused := func(what string, status int, body map[string]any) {
		t.Helper()
		if status != http.StatusBadRequest || body["error"] != "invalid_grant" {
			t.Errorf("%s: %d %v, want 400 invalid_grant", what, status, body)
		}
	}

	// A wrong verifier, then none at all.
	_, code := signInForCode(t, rp, b, dat)
	status, body := redeem(t, srv, app, code, harness.NewPKCE().Verifier)
	wantRefused("a wrong verifier", status, body)
	status, body = redeem(t, srv, app, code, "")
	wantRefused("no verifier after a wrong one", status, body)

	// No verifier, then none again, then the right one.
	ar, code := signInForCode(t, rp, b, dat)
	status, body = redeem(t, srv, app, code, "")
	wantRefused("no verifier", status, body)
	status, body = redeem(t, srv, app, code, "")
	wantRefused("no verifier, twice", status, body)
	status, body = redeem(t, srv, app, code, ar.PKCE.Verifier)
	wantRefused("the right verifier after a PKCE failure", status, body)

	// The right verifier is still enough.
	ar, code = signInForCode(t, rp, b, dat)
	if status, body = redeem(t, srv, app, code, ar.PKCE.Verifier); status != http.StatusOK {
		t.Fatalf("the right verifier: %d %v", status, body)
	}
}

// TestConcurrentCodeExchange redeems one code from several requests at once:
// exactly one gets tokens, the others get invalid_grant (never a server
// error), and the tokens of the code are revoked (RFC 6749 §4.1.2).
func TestConcurrentCodeExchange(t *testing.T) {
	t.Parallel()
	srv := harness.Start(t)
	srv.CreateCitizen(t, dat)
	app := srv.CreateClient(t, portal())
	rp := newRP(t, srv, app)
	b := srv.NewBrowser(t)

	for round := 0; round < 3; round++ {
		ar, code := signInForCode(t, rp, b, dat)
		const n = 8
		var (
			start    = make(chan struct{})
			wg       sync.WaitGroup
			statuses [n]int
			bodies   [n]map[string]any
		)
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				statuses[i], bodies[i] = redeem(t, srv, app, code, ar.PKCE.Verifier)
			}()
		}
		close(start)
		wg.Wait()

		var winner map[string]any
		for i := range n {
			switch {
			case statuses[i] == http.StatusOK:
				if winner != nil {
					t.Errorf("round %d: two exchanges of one code got tokens", round)
				}
				winner = bodies[i]
			case statuses[i] == http.StatusBadRequest && bodies[i]["error"] == "invalid_grant":
			default:
				t.Errorf("round %d: a concurrent exchange got %d %v, want 400 invalid_grant", round, statuses[i], bodies[i])
			}
		}
		if winner == nil {
			t.Fatalf("round %d: no exchange got tokens: %v", round, bodies)
		}
		access, _ := winner["access_token"].(string)
		refresh, _ := winner["refresh_token"].(string)
		if access == "" || refresh == "" {
			t.Fatalf("round %d: the winner lacks its tokens: %v", round, winner)
		}
		if in := srv.Introspect(t, app, access); in["active"] != false {
			t.Errorf("round %d: the access token of a code redeemed twice introspects %v", round, in)
		}
		if in := srv.Introspect(t, app, refresh); in["active"] != false {
			t.Errorf("round %d: the refresh token of a code redeemed twice introspects %v", round, in)
		}
		status, body := srv.PostForm(t, "/oauth2/token", app, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {refresh}})
		if status != http.StatusBadRequest || body["error"] != "invalid_grant" {
			t.Errorf("round %d: refreshing the refresh token of a code redeemed twice: %d %v, want 400 invalid_grant", round, status, body)
		}
	}
}
