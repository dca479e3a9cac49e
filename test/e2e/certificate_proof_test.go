package e2e

import (
	"net/http"
	"testing"

	"github.com/dinhdanh/dinhdanh/test/pki"
)

// The true holder of a personal ID that a squatter self-registered logs in
// with a certificate that carries it: the certificate creates the holder's
// account, with the certificate's name and the ID verified by the
// certificate; the squatter loses the ID, its session and its tokens.
func TestCertificateProvesPersonalID(t *testing.T) {
	t.Parallel()
	p := pki.New(t)
	srv := startCertServer(t, p, certOptions{})
	rp := newRP(t, srv.Server, srv.CreateClient(t, booking("openid", "profile", "personal_id")))
	scopes := []string{"openid", "profile", "personal_id"}

	// A squatter registers Cúc's number first.
	squatterOfCuc := squatter
	squatterOfCuc.PersonalID, squatterOfCuc.Birthdate, squatterOfCuc.Gender = pki.CitizenPersonalID, certCuc.Birthdate, certCuc.Gender
	sb := srv.NewBrowser(t)
	ar, resp := selfRegister(t, rp, sb, squatterOfCuc, scopes)
	sq := rp.exchange(t, ar, rp.code(t, ar, allow(t, sb, resp.MustPage(t, http.StatusOK, "/consent"))))
	squat := showAccount(t, srv.Server, squatterOfCuc.Email)
	if squat.PersonalID != pki.CitizenPersonalID || squat.Proofing.State != "unverified" {
		t.Fatalf("the squatter's account: %+v", squat)
	}

	// Cúc logs in with her certificate.
	b := srv.NewBrowser(t)
	ar, resp = rp.authorize(t, b, scopes)
	resp = certificateLogin(t, b, resp, cmsSigner(p.Citizen, pki.CMSOptions{}))
	toks := rp.exchange(t, ar, rp.code(t, ar, allow(t, b, resp.MustPage(t, http.StatusOK, "/consent"))))
	wantCertificateLogin(t, toks, toks.IDToken.Subject)
	wantClaims(t, "ID token of the certificate's holder", toks.Claims, map[string]any{
		"personal_id": pki.CitizenPersonalID, "name": certCuc.Name})
	if toks.IDToken.Subject == squat.Sub {
		t.Fatal("the certificate logged in to the squatter's account")
	}
	cuc := showAccount(t, srv.Server, pki.CitizenPersonalID)
	if cuc.Sub != toks.IDToken.Subject || cuc.Proofing.State != "verified" || cuc.Proofing.Method != "certificate" ||
		cuc.Proofing.Document != fingerprint(p.Citizen) {
		t.Fatalf("the holder's account after the certificate login: %+v (ID token sub %s)", cuc, toks.IDToken.Subject)
	}
	audited(t, srv.Server, "account.verify_personal_id", map[string]string{"method": "certificate",
		"source": "neac", "document": fingerprint(p.Citizen), "displaced": squat.Sub})
	audited(t, srv.Server, "login.certificate", map[string]string{"matched_by": "personal_id", "created": "true",
		"displaced": squat.Sub})

	// The squatter lost the ID, its session and its refresh token.
	if s := showAccount(t, srv.Server, squatterOfCuc.Email); s.PersonalID != "" {
		t.Fatalf("the squatter kept the personal ID the certificate proved: %+v", s)
	}
	e := audited(t, srv.Server, "account.drop_personal_id", map[string]string{"proven_by": cuc.Sub})
	if e.Subject != squat.Sub {
		t.Errorf("the dropped ID was audited for %q, want the squatter %q", e.Subject, squat.Sub)
	}
	if _, err := rp.refresh(sq.RefreshToken); err == nil {
		t.Error("the squatter's refresh token still works after its claim was dropped")
	}
	_, resp = rp.authorize(t, sb, scopes)
	resp.MustPage(t, http.StatusOK, "/login")

	// The next certificate login finds the same account by the proven ID.
	b2 := srv.NewBrowser(t)
	ar, resp = rp.authorize(t, b2, scopes)
	again := rp.exchange(t, ar, rp.code(t, ar, certificateLogin(t, b2, resp, cmsSigner(p.Citizen, pki.CMSOptions{}))))
	wantCertificateLogin(t, again, cuc.Sub)
}
