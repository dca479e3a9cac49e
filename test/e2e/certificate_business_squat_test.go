package e2e

import (
	"net/http"
	"slices"
	"strings"
	"testing"

	"golang.org/x/oauth2"

	"github.com/dinhdanh/dinhdanh/test/harness"
	"github.com/dinhdanh/dinhdanh/test/pki"
	"github.com/dinhdanh/dinhdanh/ui"
)

// businessScopes ask for the business the person acts for.
var businessScopes = []string{"openid", "profile", "business"}

// A squatter who self-registered the victim's personal ID binds a
// company's certificates, in the console and from a login's offer, with
// both factors: the certificates are bound, but the company is not linked
// to the squatter, who acts for it neither with the password alone nor
// with the certificates themselves.
func TestCertificateBusinessSquat(t *testing.T) {
	t.Parallel()
	runCertificateBusiness(t, false)
}

// The true holder of the personal ID, proven in person, does the same as
// the squatter of TestCertificateBusinessSquat and is linked to the company
// and acts for it: the rule is the proof, not a refusal of every binding.
func TestCertificateBusinessProvenHolder(t *testing.T) {
	t.Parallel()
	runCertificateBusiness(t, true)
}

// runCertificateBusiness has a person with the victim's personal ID, proven
// in person or only self-registered, bind the test PKI's business
// certificate (p.Business) in the console and its branch's certificate
// (p.BusinessBranch) from the offer of a login, then log in with the
// password alone and with each certificate, asking for the business scope.
// It runs under a policy that lets a person who has a second factor log in
// with the password alone (mfa.enrolled_minimum LoA1): binding needs both
// factors, acting for a linked business does not.
func runCertificateBusiness(t *testing.T, proven bool) {
	p := pki.New(t)
	srv := startCertServer(t, p, certOptions{}, harness.WithEnv("DINHDANH_MFA_ENROLLED_MINIMUM", "LoA1"))
	rp := newRP(t, srv.Server, srv.CreateClient(t, portal(businessScopes...)))

	who := squatter
	if proven {
		who = victim
		who.Email, who.Password = "that.hv@example.vn", "Chính-chủ-có-CCCD-1988"
		provenCitizen(t, srv.Server, who)
	} else {
		b := srv.NewBrowser(t)
		ar, resp := selfRegister(t, rp, b, who, businessScopes)
		rp.code(t, ar, resp)
	}
	acct := showAccount(t, srv.Server, who.Email)
	if wantState := map[bool]string{true: "verified", false: "unverified"}[proven]; acct.PersonalID != victim.PersonalID ||
		acct.Proofing.State != wantState {
		t.Fatalf("the account binding the certificates: %+v, want the victim's ID %s", acct, wantState)
	}
	_, codes := setUpApp(t, srv.Server, who.PersonalID, who.Password)

	// wantActsFor checks that the tokens act for the business of taxCode,
	// or ("") for none.
	wantActsFor := func(where string, toks *tokens, taxCode string) {
		t.Helper()
		_, info := rp.userinfo(t, toks.AccessToken)
		if taxCode == "" {
			noClaims(t, "ID token of "+where, toks.Claims, "tax_code", "business")
			noClaims(t, "userinfo of "+where, info, "tax_code", "business")
			return
		}
		wantClaims(t, "ID token of "+where, toks.Claims, map[string]any{"tax_code": taxCode})
		wantClaims(t, "userinfo of "+where, info, map[string]any{"tax_code": taxCode})
	}
	// linked is what a proven holder is linked to; the squatter, nothing.
	linked := func(taxCode string) string {
		if proven {
			return taxCode
		}
		return ""
	}

	// In the console, with both factors: the business certificate is bound.
	b := srv.NewBrowser(t)
	login(t, b, b.Get(t, "/account"), who.PersonalID, who.Password).MustPage(t, http.StatusOK, "/account")
	resp := presentRecovery(t, b, b.Get(t, "/login/step-up?acr=LoA2&return=/account/certificates"), codes[0])
	page := resp.MustPage(t, http.StatusOK, "/account/certificates")
	resp, _ = sign(t, b, page, "/account/certificates/bind", cmsSigner(p.Business, pki.CMSOptions{}))
	page = resp.MustPage(t, http.StatusOK, "/account/certificates")
	if !strings.Contains(page.Body, ui.T("vi", "certificates.bound_done")) {
		t.Fatalf("the business certificate was not bound:\n%s", page.Body)
	}
	e := audited(t, srv.Server, "certificate.bind", map[string]string{"via": "console",
		"certificate_fingerprint": fingerprint(p.Business)})
	if e.Subject != acct.Sub || e.Details["tax_code"] != linked(pki.BusinessTaxCode) {
		t.Errorf("the console's binding was audited for %s with tax_code %q, want %s with %q", e.Subject,
			e.Details["tax_code"], acct.Sub, linked(pki.BusinessTaxCode))
	}

	// From the offer of a login that asks for both factors: the branch's
	// certificate, unknown, is bound after the password and a recovery code.
	b = srv.NewBrowser(t)
	ar, resp := rp.authorize(t, b, businessScopes, oauth2.SetAuthURLParam("acr_values", "LoA2"))
	page = certificateLogin(t, b, resp, cmsSigner(p.BusinessBranch, pki.CMSOptions{})).MustPage(t, http.StatusOK, "/login/certificate")
	offer := presentRecovery(t, b, login(t, b, b.Get(t, otherLogin(t, page)), who.PersonalID, who.Password), codes[1]).
		MustPage(t, http.StatusOK, "/login/resume")
	if !strings.Contains(offer.Body, ui.T("vi", "certificate.bind.title")) {
		t.Fatalf("no offer to bind the branch's certificate:\n%s", offer.Body)
	}
	resp, _ = sign(t, b, offer, "/login/certificate/bind", cmsSigner(p.BusinessBranch, pki.CMSOptions{}))
	if proven {
		// Now linked to two businesses, the holder chooses whom to act for.
		form := resp.MustPage(t, http.StatusOK, "/login/business").Form(t, "/login/business")
		if got := form.Options("tax_code"); !slices.Contains(got, pki.BusinessTaxCode) || !slices.Contains(got, pki.BranchTaxCode) {
			t.Fatalf("the business page after the binding offers %q", got)
		}
		resp = b.Submit(t, form, map[string]string{"tax_code": pki.BranchTaxCode})
	} else if resp.Page != nil && resp.Page.Path() == "/login/business" {
		t.Fatalf("the squatter is offered businesses after binding the branch's certificate:\n%s", resp.Page.Body)
	}
	wantActsFor("the login that bound the branch's certificate", rp.exchange(t, ar, rp.code(t, ar, resp)), linked(pki.BranchTaxCode))
	e = audited(t, srv.Server, "certificate.bind", map[string]string{"via": "login",
		"certificate_fingerprint": fingerprint(p.BusinessBranch)})
	if e.Subject != acct.Sub || e.Details["tax_code"] != linked(pki.BranchTaxCode) {
		t.Errorf("the login's binding was audited for %s with tax_code %q, want %s with %q", e.Subject,
			e.Details["tax_code"], acct.Sub, linked(pki.BranchTaxCode))
	}

	// The records: the account's representations, and the business, which
	// only a link creates.
	if got := showAccount(t, srv.Server, who.Email); proven != (len(got.Businesses) == 2) || !proven && len(got.Businesses) != 0 {
		t.Fatalf("the account after binding both certificates represents %v (proven ID: %v)", got.Businesses, proven)
	}
	res, err := srv.RunCLI("", "business", "show", pki.BusinessTaxCode)
	if err != nil {
		t.Fatal(err)
	}
	if known := res.ExitCode == 0 && strings.Contains(res.Stdout, pki.BusinessTaxCode); known != proven {
		t.Fatalf("business show %s (proven ID: %v): exit %d\n%s%s", pki.BusinessTaxCode, proven, res.ExitCode, res.Stdout, res.Stderr)
	}

	// The password alone, asking for the business scope.
	b = srv.NewBrowser(t)
	ar, resp = rp.authorize(t, b, businessScopes)
	resp = login(t, b, resp, who.PersonalID, who.Password)
	if proven {
		form := resp.MustPage(t, http.StatusOK, "/login/business").Form(t, "/login/business")
		resp = b.Submit(t, form, map[string]string{"tax_code": pki.BusinessTaxCode})
	} else if resp.Page != nil && resp.Page.Path() == "/login/business" {
		t.Fatalf("the password alone of the squatter is offered businesses:\n%s", resp.Page.Body)
	}
	toks := rp.exchange(t, ar, rp.code(t, ar, resp))
	wantClaims(t, "ID token of the password alone", toks.Claims, map[string]any{"sub": acct.Sub, "acr": "LoA1"})
	wantActsFor("the password alone", toks, linked(pki.BusinessTaxCode))

	// Each certificate logs in to the account it is bound to, as the
	// representative of its business only when the business is linked.
	for _, c := range []struct {
		leaf    *pki.Leaf
		taxCode string
	}{{p.Business, pki.BusinessTaxCode}, {p.BusinessBranch, pki.BranchTaxCode}} {
		b = srv.NewBrowser(t)
		ar, resp = rp.authorize(t, b, businessScopes)
		resp = certificateLogin(t, b, resp, rawSigner(c.leaf, "ES256"))
		if resp.Page != nil && resp.Page.Path() == "/login/business" {
			t.Fatalf("the certificate login of %s asks whom to act for:\n%s", c.taxCode, resp.Page.Body)
		}
		toks = rp.exchange(t, ar, rp.code(t, ar, resp))
		wantCertificateLogin(t, toks, acct.Sub)
		wantActsFor("the certificate login of "+c.taxCode, toks, linked(c.taxCode))
		e = audited(t, srv.Server, "login.certificate", map[string]string{"matched_by": "binding",
			"certificate_fingerprint": fingerprint(c.leaf)})
		if e.Details["tax_code"] != linked(c.taxCode) {
			t.Errorf("the certificate login of %s was audited with tax_code %q, want %q", c.taxCode,
				e.Details["tax_code"], linked(c.taxCode))
		}
	}
	if !proven {
		notAudited(t, srv.Server, "certificate.bind", map[string]string{"tax_code": pki.BusinessTaxCode})
		notAudited(t, srv.Server, "certificate.bind", map[string]string{"tax_code": pki.BranchTaxCode})
	}
}
