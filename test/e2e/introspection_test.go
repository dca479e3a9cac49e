package e2e

import (
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"golang.org/x/oauth2"

	"github.com/dinhdanh/dinhdanh/test/harness"
)

// introspectAs sends an introspection request with the given Authorization
// header (none when empty) and form.
func introspectAs(t *testing.T, srv *harness.Server, authorization string, form url.Values) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, srv.URL("/oauth2/introspect"), strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if authorization != "" {
		req.Header.Set("Authorization", authorization)
	}
	resp, err := srv.HTTP.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(b)
}

// TestIntrospectionAuthorization: only an authenticated confidential client
// introspects, and only the tokens issued to it or meant for it.
func TestIntrospectionAuthorization(t *testing.T) {
	t.Parallel()
	srv := harness.Start(t)
	srv.CreateCitizen(t, dat)
	srv.CreateCitizen(t, hang)
	// A resource server (the one-stop system's API) and the portal, whose
	// tokens may name it as their audience.
	api := srv.CreateClient(t, harness.ClientSpec{Name: "API Một cửa điện tử", Grants: []string{"client_credentials"}})
	app := srv.CreateClient(t, harness.ClientSpec{Name: "Cổng dịch vụ công tỉnh", FirstParty: true,
		RedirectURIs: []string{portalRedirect}, Audience: []string{api.ID}})
	other := srv.CreateClient(t, booking())
	posting := srv.CreateClient(t, harness.ClientSpec{Name: "Hệ thống quản lý văn bản", FirstParty: true,
		RedirectURIs: []string{"https://qlvb.example.gov.vn/callback"}, AuthMethod: "client_secret_post"})
	public := srv.CreateClient(t, harness.ClientSpec{Name: "Ứng dụng di động", Public: true,
		RedirectURIs: []string{"http://127.0.0.1/callback"}})
	rp := newRP(t, srv, app)

	ar, code := signInForCode(t, rp, srv.NewBrowser(t), dat)
	datToks := rp.exchange(t, ar, code)
	b := srv.NewBrowser(t)
	ar, resp := rp.authorize(t, b, openidProfile, oauth2.SetAuthURLParam("audience", api.ID))
	hangToks := rp.exchange(t, ar, rp.code(t, ar, login(t, b, resp, hang.PersonalID, hang.Password)))

	// A person's access token is no credential at the introspection endpoint.
	status, body := introspectAs(t, srv, "Bearer "+datToks.AccessToken, url.Values{"token": {hangToks.AccessToken}})
	if status != http.StatusUnauthorized || strings.Contains(body, `"active":true`) {
		t.Errorf("introspection with a Bearer access token as the caller: %d %s, want 401", status, body)
	}
	// A public client cannot authenticate.
	status, body = introspectAs(t, srv, "", url.Values{"token": {datToks.AccessToken}, "client_id": {public.ID}})
	if status != http.StatusUnauthorized {
		t.Errorf("introspection by a public client: %d %s, want 401", status, body)
	}

	// The client the tokens were issued to sees them.
	for _, tok := range []string{datToks.AccessToken, datToks.RefreshToken, hangToks.AccessToken} {
		if in := srv.Introspect(t, app, tok); in["active"] != true {
			t.Errorf("the portal introspects its own token as %v", in)
		}
	}
	// Another client sees nothing of them.
	for _, c := range []*harness.Client{other, api} {
		for _, tok := range []string{datToks.AccessToken, datToks.RefreshToken} {
			if in := srv.Introspect(t, c, tok); len(in) != 1 || in["active"] != false {
				t.Errorf("client %s introspects another client's token as %v, want only active false", c.Name, in)
			}
		}
	}
	if in := srv.Introspect(t, other, hangToks.AccessToken); len(in) != 1 || in["active"] != false {
		t.Errorf("a client outside the audience introspects the token as %v", in)
	}
	// The resource server in the token's audience sees it.
	if in := srv.Introspect(t, api, hangToks.AccessToken); in["active"] != true || in["client_id"] != app.ID {
		t.Errorf("the audience of the token introspects it as %v", in)
	}

	// client_secret_post, as discovery advertises, for a client registered with it.
	status, body = introspectAs(t, srv, "", url.Values{"token": {"unknown"}, "client_id": {posting.ID}, "client_secret": {posting.Secret}})
	if status != http.StatusOK || !strings.Contains(body, `"active":false`) {
		t.Errorf("introspection with client_secret_post: %d %s, want 200 active false", status, body)
	}

	// Discovery advertises what is served: no form_post.
	var doc struct {
		ResponseModes []string `json:"response_modes_supported"`
		Introspection []string `json:"introspection_endpoint_auth_methods_supported"`
	}
	if err := rp.provider.Claims(&doc); err != nil {
		t.Fatal(err)
	}
	if slices.Contains(doc.ResponseModes, "form_post") || !slices.Contains(doc.ResponseModes, "query") {
		t.Errorf("response_modes_supported = %v, want query and no form_post", doc.ResponseModes)
	}
	if !slices.Contains(doc.Introspection, "client_secret_post") || !slices.Contains(doc.Introspection, "client_secret_basic") {
		t.Errorf("introspection_endpoint_auth_methods_supported = %v", doc.Introspection)
	}
}
