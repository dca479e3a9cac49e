package e2e

import (
	"net/http"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/dinhdanh/dinhdanh/test/harness"
	"github.com/dinhdanh/dinhdanh/test/upstreamop"
)

// A person VNeID knows as the legal representative of a company.
var vneidRepresentative = upstreamop.Person{Sub: "vneid-2c8e04", Username: "tran.van.minh", Password: "mat-khau-Minh-VNeID-2025",
	PersonalID: "001085006789", Name: "Trần Văn Minh", Birthdate: "19850304", Gender: "1",
	TaxCode: "0101234565", OrganizationName: "Công ty TNHH Thương mại Hoàng Long", OrganizationTechID: "org-5d21a7", Role: "1"}

// A person logging in through VNeID for an organisation (MaSoThue, its
// TechID and the person's role) becomes its verified representative,
// audited, and the business choice offers it; a person VNeID releases no
// organisation for represents none.
func TestUpstreamOrganisation(t *testing.T) {
	t.Parallel()
	op := upstreamop.Start(t, vneidClient, vneidSecret, "http://127.0.0.1:*/login/upstream/vneid/callback",
		vneidPerson, vneidRepresentative)
	file := upstreamConfig(t, op.Issuer)
	cfg, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	withOrg := strings.Replace(string(cfg), `gender_codes: {"1": male, "2": female}}`, `gender_codes: {"1": male, "2": female},
             tax_code: MaSoThue, organization_name: TenToChuc, organization_techid: TechIDToChuc,
             role: VaiTro, role_codes: {"1": legal_representative, "2": authorised_staff}}`, 1)
	if withOrg == string(cfg) {
		t.Fatal("the upstream configuration has no claims to extend")
	}
	if err := os.WriteFile(file, []byte(withOrg), 0o600); err != nil {
		t.Fatal(err)
	}
	srv := harness.Start(t, harness.WithConfigFile(file))
	rp := newRP(t, srv, srv.CreateClient(t, portal("openid", "profile", "business")))
	scopes := []string{"openid", "profile", "business"}
	company := vneidRepresentative.TaxCode

	loginAs := func(b *harness.Browser, who upstreamop.Person, resp *harness.Response) *harness.Response {
		t.Helper()
		b.AddOrigin(op.Issuer)
		page := b.Get(t, upstreamButton(t, resp.MustPage(t, http.StatusOK, "/login"))).MustPage(t, http.StatusOK, "/login/username")
		return b.Submit(t, page.Form(t, "/login/username"), map[string]string{"username": who.Username, "password": who.Password})
	}

	b := srv.NewBrowser(t)
	ar, resp := rp.authorize(t, b, scopes)
	page := loginAs(b, vneidRepresentative, resp).MustPage(t, http.StatusOK, "/login/business")
	form := page.Form(t, "/login/business")
	if opts := form.Options("tax_code"); !slices.Equal(sorted(opts), []string{"", company}) {
		t.Fatalf("the business page offers %q, want myself and the company", opts)
	}
	if !strings.Contains(page.Body, vneidRepresentative.OrganizationName) {
		t.Errorf("the business page does not name the company:\n%s", page.Body)
	}
	toks := rp.exchange(t, ar, rp.code(t, ar, b.Submit(t, form, map[string]string{"tax_code": company})))
	wantClaims(t, "ID token", toks.Claims, map[string]any{"tax_code": company, "business": map[string]any{
		"tax_code": company, "name": vneidRepresentative.OrganizationName, "role": "legal_representative"}})
	e := audited(t, srv, "business.link", map[string]string{"tax_code": company, "role": "legal_representative",
		"via": "upstream", "provider": "vneid", "organization_techid": vneidRepresentative.OrganizationTechID})
	if e.Subject != toks.IDToken.Subject {
		t.Errorf("the link was audited for %q, want %q", e.Subject, toks.IDToken.Subject)
	}
	if s := showAccount(t, srv, vneidRepresentative.PersonalID); len(s.Businesses) != 1 || s.Proofing.Method != "upstream_eid" {
		t.Errorf("the representative's account: %+v", s)
	}

	// A second login keeps the one link, and the choice is offered again.
	b2 := srv.NewBrowser(t)
	_, resp = rp.authorize(t, b2, scopes)
	loginAs(b2, vneidRepresentative, resp).MustPage(t, http.StatusOK, "/login/business")
	if s := showAccount(t, srv, vneidRepresentative.PersonalID); len(s.Businesses) != 1 {
		t.Errorf("the representative's businesses after a second login: %+v", s.Businesses)
	}

	// Lan, for whom VNeID releases no organisation, represents none.
	b3 := srv.NewBrowser(t)
	ar, resp = rp.authorize(t, b3, scopes)
	toks = rp.exchange(t, ar, rp.code(t, ar, loginAs(b3, vneidPerson, resp)))
	noClaims(t, "ID token of a person acting for no organisation", toks.Claims, "tax_code", "business")
	if s := showAccount(t, srv, vneidPerson.PersonalID); len(s.Businesses) != 0 {
		t.Errorf("Lan's businesses: %+v", s.Businesses)
	}
}
