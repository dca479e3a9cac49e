package console

import (
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/dinhdanh/dinhdanh/server/admin"
	"github.com/dinhdanh/dinhdanh/store"
)

func TestSnippetIsAnAuthorizationRequestWithPKCE(t *testing.T) {
	h := &Handler{issuer: "https://sso.example.gov.vn"}
	s := h.snippet(&store.Client{ID: "qlvb", RedirectURIs: []string{"https://qlvb.example.gov.vn/cb?x=1&y=2"},
		Scopes: []string{"openid", "profile"}, MinimumACR: "LoA2"})
	if s.Discovery != "https://sso.example.gov.vn/.well-known/openid-configuration" || s.ClientID != "qlvb" {
		t.Fatalf("snippet %+v", s)
	}
	u, err := url.Parse(s.AuthorizeExample)
	if err != nil || u.Scheme+"://"+u.Host+u.Path != "https://sso.example.gov.vn/oauth2/auth" {
		t.Fatalf("authorization example %q: %v", s.AuthorizeExample, err)
	}
	q := u.Query()
	for k, want := range map[string]string{"response_type": "code", "client_id": "qlvb", "scope": "openid profile",
		"redirect_uri": "https://qlvb.example.gov.vn/cb?x=1&y=2", "code_challenge_method": "S256", "acr_values": "LoA2"} {
		if q.Get(k) != want {
			t.Errorf("%s = %q, want %q", k, q.Get(k), want)
		}
	}
	for _, k := range []string{"state", "nonce", "code_challenge"} {
		if q.Get(k) == "" {
			t.Errorf("no %s", k)
		}
	}
}

func TestSpecOfReadsTheForm(t *testing.T) {
	f := url.Values{"id": {" qlvb "}, "name": {"Quản lý văn bản"}, "redirect_uris": {"https://a.example/cb\r\n\r\n  https://b.example/cb  \n"},
		"grant_type": {"authorization_code", "refresh_token"}, "scopes": {" openid  profile "}, "public": {"1"},
		"backchannel_logout_uri": {" https://a.example/logout "}}
	s := specOf(f)
	if s.ID != "qlvb" || !s.Public || s.FirstParty || !slices.Equal(s.RedirectURIs, []string{"https://a.example/cb", "https://b.example/cb"}) ||
		!slices.Equal(s.Scopes, []string{"openid", "profile"}) || len(s.GrantTypes) != 2 || s.BackchannelLogoutURI != "https://a.example/logout" {
		t.Fatalf("spec %+v", s)
	}
}

func TestProblemsPointAtTheirFields(t *testing.T) {
	got := problems(admin.Problems{{Field: "redirect_uri", Message: `"x" is not an absolute URI`}, {Field: "unknown", Message: "m"}})
	if len(got) != 2 || got[0].Anchor != "redirect_uris" || got[0].Detail != `"x" is not an absolute URI` || got[1].Anchor != "" {
		t.Fatalf("problems %+v", got)
	}
	if problems(store.ErrNotFound) != nil {
		t.Fatal("an error that is no problem of the input became one")
	}
}

func TestSectionsFollowTheRoles(t *testing.T) {
	h := &Handler{}
	for role, want := range map[string]string{
		"super_admin":  "dashboard people apps directories businesses audit",
		"agency_admin": "dashboard people apps directories audit",
		"helpdesk":     "dashboard people businesses",
		"auditor":      "dashboard audit",
	} {
		rq := &request{p: &admin.Principal{Grants: []*store.RoleGrant{{Role: role}}}}
		if got := strings.Join(h.nav(rq, "dashboard").Sections, " "); got != want {
			t.Errorf("%s: sections %q, want %q", role, got, want)
		}
	}
}
