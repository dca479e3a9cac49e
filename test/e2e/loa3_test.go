package e2e

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"golang.org/x/oauth2"

	"github.com/dinhdanh/dinhdanh/test/harness"
	"github.com/dinhdanh/dinhdanh/test/pki"
	"github.com/dinhdanh/dinhdanh/ui"
)

// certificateOnly checks that the navigation ended on the login page offering
// only the certificate login, and returns the response for signing.
func certificateOnly(t *testing.T, resp *harness.Response) *harness.Response {
	t.Helper()
	page := resp.MustPage(t, http.StatusOK, "/login")
	for _, f := range page.Forms() {
		if u, err := url.Parse(f.Action); err == nil && u.Path == "/login" {
			t.Fatal("the login page offers a password form to an application that needs LoA3")
		}
	}
	if want := ui.T(page.Lang(), "login.certificate_required"); !strings.Contains(string(page.Body), want) {
		t.Fatalf("the login page does not say a certificate is required (%q)", want)
	}
	return resp
}

// TestLoA3RoutesToCertificateLogin checks that an application needing LoA3
// (by its registered minimum or an essential acr) is sent to the
// certificate login, also from a live password session, and never loops.
func TestLoA3RoutesToCertificateLogin(t *testing.T) {
	t.Parallel()
	p := pki.New(t)
	srv := startCertServer(t, p, certOptions{})
	anSub, _ := srv.CreateOfficial(t, certAn)
	cucSub := srv.CreateCitizen(t, certCuc)
	strict := newRP(t, srv.Server, srv.CreateClient(t, harness.ClientSpec{Name: "Ký số hồ sơ", FirstParty: true,
		RedirectURIs: []string{"https://kyso.example.gov.vn/cb"}, Scopes: []string{"openid", "profile"}, MinACR: "LoA3"}))
	plain := newRP(t, srv.Server, srv.CreateClient(t, portal("openid", "profile")))

	t.Run("client minimum, no session", func(t *testing.T) {
		b := srv.NewBrowser(t)
		ar, resp := strict.authorize(t, b, openidProfile)
		resp = certificateLogin(t, b, certificateOnly(t, resp), cmsSigner(p.Official, pki.CMSOptions{}))
		wantCertificateLogin(t, strict.exchange(t, ar, strict.code(t, ar, resp)), anSub)
	})

	t.Run("client minimum, password session steps up by certificate", func(t *testing.T) {
		b := srv.NewBrowser(t)
		ar, resp := plain.authorize(t, b, openidProfile)
		toks := plain.exchange(t, ar, plain.code(t, ar, login(t, b, resp, certCuc.PersonalID, certCuc.Password)))
		wantClaims(t, "password login", toks.Claims, map[string]any{"sub": cucSub, "acr": "LoA1"})
		ar, resp = strict.authorize(t, b, openidProfile)
		resp = certificateLogin(t, b, certificateOnly(t, resp), rawSigner(p.Citizen, "ES256"))
		wantCertificateLogin(t, strict.exchange(t, ar, strict.code(t, ar, resp)), cucSub)
		// The session is LoA3 now: both applications get codes with no page.
		_, resp = strict.authorize(t, b, openidProfile)
		singleRedirect(t, resp, strict.client.RedirectURI())
		_, resp = plain.authorize(t, b, openidProfile)
		singleRedirect(t, resp, plain.client.RedirectURI())
	})

	t.Run("essential acr", func(t *testing.T) {
		b := srv.NewBrowser(t)
		essential := `{"id_token":{"acr":{"essential":true,"values":["LoA3"]}}}`
		ar, resp := plain.authorize(t, b, openidProfile, oauth2.SetAuthURLParam("claims", essential))
		resp = certificateLogin(t, b, certificateOnly(t, resp), cmsSigner(p.Official, pki.CMSOptions{}))
		wantCertificateLogin(t, plain.exchange(t, ar, plain.code(t, ar, resp)), anSub)
	})

	t.Run("prompt=none below LoA3 ends at the client", func(t *testing.T) {
		b := srv.NewBrowser(t)
		ar, resp := plain.authorize(t, b, openidProfile)
		plain.code(t, ar, login(t, b, resp, certCuc.PersonalID, certCuc.Password))
		ar, resp = strict.authorize(t, b, openidProfile, oauth2.SetAuthURLParam("prompt", "none"))
		if e := strict.authError(t, ar, resp); e != "login_required" {
			t.Fatalf("prompt=none at LoA1 for an LoA3 client: %q, want login_required", e)
		}
	})
}
