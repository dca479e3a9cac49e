package e2e

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/dinhdanh/dinhdanh/test/harness"
	"github.com/dinhdanh/dinhdanh/test/upstreamop"
)

// The person VNeID knows: the national portal's claims, and the OP's login.
var vneidPerson = upstreamop.Person{Sub: "vneid-7f3a91", Username: "nguyen.thi.lan", Password: "mat-khau-VNeID-2024",
	PersonalID: "079190001234", Name: "Nguyễn Thị Lan", Birthdate: "19900517", Gender: "2"}

const (
	vneidClient = "dinhdanh-tinh"
	vneidSecret = "bi-mat-cua-dinhdanh-tai-vneid"
)

// startVNeID runs the upstream provider, for dinhdanh's callback on any loopback port.
func startVNeID(t *testing.T) *upstreamop.OP {
	return upstreamop.Start(t, vneidClient, vneidSecret, "http://127.0.0.1:*/login/upstream/vneid/callback", vneidPerson)
}

// upstreamConfig writes a configuration file with the provider at issuer.
func upstreamConfig(t *testing.T, issuer string, timeout ...string) string {
	t.Helper()
	limit := "3s"
	if len(timeout) > 0 {
		limit = timeout[0]
	}
	return upstreamop.WriteConfig(t, issuer, vneidClient, vneidSecret, limit)
}

// upstreamButton returns the login page's link to log in through VNeID.
func upstreamButton(t *testing.T, page *harness.Page) string {
	t.Helper()
	for _, a := range page.ByTag("a") {
		if strings.HasPrefix(a.Attrs["href"], "/login/upstream/vneid?flow=") {
			if !strings.Contains(a.Inner, "VNeID") {
				t.Errorf("the VNeID button reads %q", a.Inner)
			}
			return a.Attrs["href"]
		}
	}
	t.Fatalf("the login page has no VNeID button:\n%s", page.Body)
	return ""
}

// loginAtVNeID follows the button to the provider, logs in there and
// returns where the browser ended up.
func loginAtVNeID(t *testing.T, b *harness.Browser, op *upstreamop.OP, loginPage *harness.Page) *harness.Response {
	t.Helper()
	b.AddOrigin(op.Issuer)
	page := b.Get(t, upstreamButton(t, loginPage)).MustPage(t, http.StatusOK, "/login/username")
	return b.Submit(t, page.Form(t, "/login/username"), map[string]string{
		"username": vneidPerson.Username, "password": vneidPerson.Password})
}

// accountOf returns the account holding the personal ID, or ok false when none does.
func accountOf(t *testing.T, srv *harness.Server, pid string) (shown, bool) {
	t.Helper()
	res, err := srv.RunCLI("", "account", "show", "--json", pid)
	if err != nil {
		t.Fatal(err)
	}
	if res.ExitCode != 0 {
		if !strings.Contains(res.Stderr, "no account matches") {
			t.Fatalf("account show %s: %s", pid, res.Stderr)
		}
		return shown{}, false
	}
	return showAccount(t, srv, pid), true
}

// A first login through VNeID creates the account with the personal ID
// verified by VNeID, and the application's ID token carries it; a second
// login finds the same subject; a self-registered squatter loses the ID.
func TestUpstreamLogin(t *testing.T) {
	t.Parallel()
	op := startVNeID(t)
	srv := harness.Start(t, harness.WithConfigFile(upstreamConfig(t, op.Issuer)))
	rp := newRP(t, srv, srv.CreateClient(t, booking("openid", "profile", "personal_id")))
	scopes := []string{"openid", "profile", "personal_id"}

	// A squatter registers Lan's number first.
	squatterOfLan := squatter
	squatterOfLan.PersonalID, squatterOfLan.Birthdate, squatterOfLan.Gender = vneidPerson.PersonalID, "1990-05-17", "female"
	sb := srv.NewBrowser(t)
	ar, resp := selfRegister(t, rp, sb, squatterOfLan, scopes)
	sqToks := rp.exchange(t, ar, rp.code(t, ar, allow(t, sb, resp.MustPage(t, http.StatusOK, "/consent"))))
	if sqToks.RefreshToken == "" {
		t.Fatal("no refresh token issued to the squatter")
	}
	if sq := showAccount(t, srv, squatterOfLan.Email); sq.PersonalID != vneidPerson.PersonalID || sq.Proofing.State != "unverified" {
		t.Fatalf("the squatter's account: %+v", sq)
	}

	// Lan logs in through VNeID.
	b := srv.NewBrowser(t)
	ar, resp = rp.authorize(t, b, scopes)
	resp = loginAtVNeID(t, b, op, resp.MustPage(t, http.StatusOK, "/login"))
	toks := rp.exchange(t, ar, rp.code(t, ar, allow(t, b, resp.MustPage(t, http.StatusOK, "/consent"))))
	for name, want := range map[string]string{"personal_id": vneidPerson.PersonalID, "name": vneidPerson.Name,
		"birthdate": "1990-05-17", "gender": "female", "acr": "LoA2"} {
		if got, _ := toks.Claims[name].(string); got != want {
			t.Errorf("ID token claim %s = %v, want %q", name, toks.Claims[name], want)
		}
	}
	if amr, _ := toks.Claims["amr"].([]any); !slices.Contains(amr, any("pwd")) {
		t.Errorf("ID token amr = %v, want the upstream's [pwd]", toks.Claims["amr"])
	}
	lan := showAccount(t, srv, vneidPerson.PersonalID)
	if lan.Sub != toks.IDToken.Subject || lan.Proofing.State != "verified" || lan.Proofing.Method != "upstream_eid" {
		t.Fatalf("Lan's account after the VNeID login: %+v (ID token sub %s)", lan, toks.IDToken.Subject)
	}
	if sq := showAccount(t, srv, squatterOfLan.Email); sq.PersonalID != "" {
		t.Fatalf("the squatter kept the personal ID VNeID proved for Lan: %+v", sq)
	}
	// The squatter's session ended and its refresh token is revoked.
	loggedOut(t, sb)
	if _, err := rp.refresh(sqToks.RefreshToken); err == nil {
		t.Fatal("the squatter's refresh token still works after VNeID proved the ID for Lan")
	} else if code := grantError(t, err); code != "invalid_grant" {
		t.Fatalf("the squatter's refresh: %s, want invalid_grant", code)
	}
	audited(t, srv, "account.drop_personal_id", map[string]string{"proven_by": lan.Sub})

	// A second login, from another browser, is the same subject (the
	// consent is remembered: the code comes at once).
	b2 := srv.NewBrowser(t)
	ar, resp = rp.authorize(t, b2, scopes)
	resp = loginAtVNeID(t, b2, op, resp.MustPage(t, http.StatusOK, "/login"))
	again := rp.exchange(t, ar, rp.code(t, ar, resp))
	if again.IDToken.Subject != toks.IDToken.Subject {
		t.Fatalf("the second VNeID login is subject %s, the first %s", again.IDToken.Subject, toks.IDToken.Subject)
	}
	// The callback that carried the first login cannot be replayed.
	var callback string
	for _, h := range resp.Hops {
		if strings.Contains(h.URL, "/login/upstream/vneid/callback") {
			callback = h.URL
		}
	}
	if callback == "" {
		t.Fatalf("no callback among the hops:%s", resp)
	}
	b2.Get(t, callback).MustPage(t, http.StatusBadRequest, "/login/upstream/vneid/callback")
}

// A forged state, a wrong nonce and an ID token of another issuer are
// refused with a page, and create no account.
func TestUpstreamLoginRefused(t *testing.T) {
	t.Parallel()
	op := startVNeID(t)
	srv := harness.Start(t, harness.WithConfigFile(upstreamConfig(t, op.Issuer)))
	rp := newRP(t, srv, srv.CreateClient(t, booking("openid", "profile", "personal_id")))
	scopes := []string{"openid", "profile", "personal_id"}
	// nothing checks that the refusal was audited for its cause, logged
	// with why, and created no account.
	nothing := func(what, reason, why string) {
		t.Helper()
		if a, found := accountOf(t, srv, vneidPerson.PersonalID); found {
			t.Fatalf("%s created or changed an account: %+v", what, a)
		}
		events := srv.Audit(t, "", 1)
		if len(events) != 1 || events[0].Type != "login.failure" || events[0].Details["provider"] != "vneid" ||
			events[0].Details["reason"] != reason {
			t.Fatalf("%s: the last audit event is %+v, want a login.failure of vneid for %s", what, events[0], reason)
		}
		if !strings.Contains(srv.Log(), why) {
			t.Fatalf("%s: the log does not say %q", what, why)
		}
	}

	t.Run("ForgedState", func(t *testing.T) {
		b := srv.NewBrowser(t)
		rp.authorize(t, b, scopes)
		page := b.Get(t, "/login/upstream/vneid/callback?state=forged&code=forged").
			MustPage(t, http.StatusBadRequest, "/login/upstream/vneid/callback")
		if !strings.Contains(page.Body, "VNeID") {
			t.Errorf("the refusal page does not name the provider:\n%s", page.Body)
		}
		nothing("a forged state", "state", "the state is not the one this browser was sent with")
	})

	t.Run("WrongNonce", func(t *testing.T) {
		op.ForceNonce("not-the-nonce-dinhdanh-sent")
		defer op.ForceNonce("")
		b := srv.NewBrowser(t)
		_, resp := rp.authorize(t, b, scopes)
		loginAtVNeID(t, b, op, resp.MustPage(t, http.StatusOK, "/login")).
			MustPage(t, http.StatusBadRequest, "/login/upstream/vneid/callback")
		nothing("an ID token with another nonce", "token", "nonce is not the one sent")
	})

	t.Run("AnotherIssuer", func(t *testing.T) {
		// Another provider, with the same client and person, whose tokens
		// VNeID's token endpoint hands out.
		other := startVNeID(t)
		op.TokensFrom(other)
		b := srv.NewBrowser(t)
		_, resp := rp.authorize(t, b, scopes)
		resp = b.Get(t, upstreamButton(t, resp.MustPage(t, http.StatusOK, "/login")))
		if resp.Redirect == nil || resp.Redirect.Host != op.Host() {
			t.Fatalf("the button did not lead to VNeID:%s", resp)
		}
		// The person authorizes at the other provider, which sends back its code.
		at := *resp.Redirect
		at.Host = other.Host()
		b.AddOrigin(other.Issuer)
		page := b.Get(t, at.String()).MustPage(t, http.StatusOK, "/login/username")
		b.Submit(t, page.Form(t, "/login/username"), map[string]string{
			"username": vneidPerson.Username, "password": vneidPerson.Password}).
			MustPage(t, http.StatusBadRequest, "/login/upstream/vneid/callback")
		nothing("an ID token of another issuer", "token", "ID token: failed to verify signature")
	})
}

// A provider that is down gives a 503 page in the person's language and
// changes nothing; the password login keeps working.
func TestUpstreamDown(t *testing.T) {
	t.Parallel()
	op := startVNeID(t)
	op.Stop()
	srv := harness.Start(t, harness.WithConfigFile(upstreamConfig(t, op.Issuer)))
	rp := newRP(t, srv, srv.CreateClient(t, booking("openid", "profile")))
	citizen := harness.Citizen{PersonalID: "001085006789", Name: "Phạm Văn Bình", Birthdate: "1985-01-02",
		Gender: "male", Password: "Mật-khẩu-của-Bình-2024"}
	srv.CreateCitizen(t, citizen)

	for lang, want := range map[string]string{"vi": "Không kết nối được VNeID", "en": "VNeID cannot be reached"} {
		b := srv.NewBrowser(t)
		b.AcceptLanguage = lang
		_, resp := rp.authorize(t, b, openidProfile)
		button := upstreamButton(t, resp.MustPage(t, http.StatusOK, "/login"))
		page := b.Get(t, button).MustPage(t, http.StatusServiceUnavailable, "/login/upstream/vneid")
		if !strings.Contains(page.Body, want) {
			t.Errorf("%s: the 503 page does not say %q:\n%s", lang, want, page.Body)
		}
	}
	if _, found := accountOf(t, srv, vneidPerson.PersonalID); found {
		t.Fatal("a login through a provider that is down created an account")
	}
	b := srv.NewBrowser(t)
	ar, resp := rp.authorize(t, b, openidProfile)
	resp = login(t, b, resp, citizen.PersonalID, citizen.Password)
	toks := rp.exchange(t, ar, rp.code(t, ar, allow(t, b, resp.MustPage(t, http.StatusOK, "/consent"))))
	if toks.IDToken.Subject == "" {
		t.Fatal("the password login gave no subject")
	}
}

// A provider slower than its timeout is given up at the timeout: a 503
// page, nothing changed.
func TestUpstreamSlow(t *testing.T) {
	t.Parallel()
	op := startVNeID(t)
	srv := harness.Start(t, harness.WithConfigFile(upstreamConfig(t, op.Issuer, "1s")))
	rp := newRP(t, srv, srv.CreateClient(t, booking("openid", "profile")))
	op.Delay(5 * time.Second)
	b := srv.NewBrowser(t)
	_, resp := rp.authorize(t, b, openidProfile)
	button := upstreamButton(t, resp.MustPage(t, http.StatusOK, "/login"))
	start := time.Now()
	b.Get(t, button).MustPage(t, http.StatusServiceUnavailable, "/login/upstream/vneid")
	if took := time.Since(start); took > 4*time.Second {
		t.Fatalf("the slow provider held the login %s, past its 1s timeout", took)
	}
	if _, found := accountOf(t, srv, vneidPerson.PersonalID); found {
		t.Fatal("a login through a slow provider created an account")
	}
}

// The provider's own acr (VNeID's account levels) is mapped by acr_map to
// dinhdanh's level; an acr the map does not know, or none, gives the
// entry's assurance and never more.
func TestUpstreamACRMap(t *testing.T) {
	t.Parallel()
	op := startVNeID(t)
	path := upstreamConfig(t, op.Issuer)
	f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	// The entry's assurance becomes LoA1; VNeID's level 2 account maps to LoA3.
	_, err = f.WriteString("    acr_map: {\"https://vneid.gov.vn/acr/muc-2\": LoA3, \"https://vneid.gov.vn/acr/muc-1\": LoA1}\n")
	if err2 := f.Close(); err == nil {
		err = err2
	}
	if err != nil {
		t.Fatal(err)
	}
	yaml, _ := os.ReadFile(path)
	if err := os.WriteFile(path, []byte(strings.Replace(string(yaml), "assurance: LoA2", "assurance: LoA1", 1)), 0o600); err != nil {
		t.Fatal(err)
	}
	srv := harness.Start(t, harness.WithConfigFile(path))
	rp := newRP(t, srv, srv.CreateClient(t, booking("openid", "profile")))

	consented := false
	loginACR := func(sent string) string {
		t.Helper()
		op.SendACR(sent)
		b := srv.NewBrowser(t)
		ar, resp := rp.authorize(t, b, openidProfile)
		resp = loginAtVNeID(t, b, op, resp.MustPage(t, http.StatusOK, "/login"))
		if !consented {
			resp = allow(t, b, resp.MustPage(t, http.StatusOK, "/consent"))
			consented = true
		}
		acr, _ := rp.exchange(t, ar, rp.code(t, ar, resp)).Claims["acr"].(string)
		return acr
	}
	for _, c := range []struct{ sent, want string }{
		{"https://vneid.gov.vn/acr/muc-2", "LoA3"}, // mapped, above the assurance
		{"https://vneid.gov.vn/acr/muc-1", "LoA1"},
		{"LoA3", "LoA1"}, // unmapped: the assurance, whatever it reads
		{"", "LoA1"},     // none: the assurance
	} {
		if got := loginACR(c.sent); got != c.want {
			t.Errorf("the provider sent acr %q: dinhdanh's ID token acr = %q, want %q", c.sent, got, c.want)
		}
	}
}

// VNeID's back-channel logout token for Lan ends her session at dinhdanh,
// and the application is told; a forged token or one for another client is
// refused with 400 and ends nothing.
func TestUpstreamBackchannelLogout(t *testing.T) {
	t.Parallel()
	op := startVNeID(t)
	srv := harness.Start(t, harness.WithConfigFile(upstreamConfig(t, op.Issuer)))
	rp := startRP(t, srv, rpSpec{Name: "Đặt lịch"})
	b := srv.NewBrowser(t)
	ar, resp := rp.authorize(t, b, openidProfile)
	resp = loginAtVNeID(t, b, op, resp.MustPage(t, http.StatusOK, "/login"))
	if resp.Page != nil && resp.Page.Path() == "/consent" {
		resp = allow(t, b, resp.Page)
	}
	toks := rp.exchange(t, ar, rp.code(t, ar, resp))
	rp.remember(t, toks)
	sid := sidOf(toks)
	endpoint := "/login/upstream/vneid/backchannel-logout"

	forged := op.LogoutToken(t, vneidClient, vneidPerson.Sub, "")
	forged = forged[:len(forged)-4] + "AAAA"
	for name, tok := range map[string]string{"forged": forged,
		"other audience": op.LogoutToken(t, "another-client", vneidPerson.Sub, ""), "empty": ""} {
		status, body := srv.PostForm(t, endpoint, nil, url.Values{"logout_token": {tok}})
		if status != http.StatusBadRequest || body["error"] != "invalid_request" {
			t.Fatalf("a %s logout token: %d %s, want 400 invalid_request", name, status, body)
		}
		loggedIn(t, b, sid)
		rp.noLogout(t, sid)
	}

	status, body := srv.PostForm(t, endpoint, nil, url.Values{"logout_token": {op.LogoutToken(t, vneidClient, vneidPerson.Sub, "")}})
	if status != http.StatusOK {
		t.Fatalf("VNeID's logout token: %d %s, want 200", status, body)
	}
	rp.waitLogout(t, sid)
	loggedOut(t, b)
}

// dinhdanh's logout of a session that came from VNeID continues to VNeID's
// end-session endpoint with VNeID's ID token as the hint, dinhdanh's client
// ID and its logged-out page, which VNeID accepts and sends the browser back to.
func TestUpstreamRPInitiatedLogout(t *testing.T) {
	t.Parallel()
	op := startVNeID(t)
	srv := harness.Start(t, harness.WithConfigFile(upstreamConfig(t, op.Issuer)))
	rp := newRP(t, srv, srv.CreateClient(t, booking("openid", "profile")))
	b := srv.NewBrowser(t)
	ar, resp := rp.authorize(t, b, []string{"openid", "profile"})
	resp = loginAtVNeID(t, b, op, resp.MustPage(t, http.StatusOK, "/login"))
	if resp.Page != nil && resp.Page.Path() == "/consent" {
		resp = allow(t, b, resp.Page)
	}
	rp.exchange(t, ar, rp.code(t, ar, resp))

	page := b.Get(t, "/oauth2/logout").MustPage(t, http.StatusOK, "/oauth2/logout")
	lo := checkLoggedOut(t, b.Submit(t, page.Form(t, "/oauth2/logout"), map[string]string{"confirm": "yes"}))
	loggedOut(t, b)
	next, err := url.Parse(lo.Continue)
	if err != nil || !strings.HasPrefix(lo.Continue, op.Issuer+"/") {
		t.Fatalf("the logged-out page continues to %q, want VNeID's end-session endpoint", lo.Continue)
	}
	q := next.Query()
	if q.Get("client_id") != vneidClient || q.Get("post_logout_redirect_uri") != srv.URL("/oauth2/logout") {
		t.Fatalf("the logout sent to VNeID has client_id %q and post_logout_redirect_uri %q", q.Get("client_id"),
			q.Get("post_logout_redirect_uri"))
	}
	hint, err := jwtSegment(q.Get("id_token_hint"), 1)
	if err != nil || hint["iss"] != op.Issuer || hint["sub"] != vneidPerson.Sub || hint["aud"] == nil {
		t.Fatalf("the id_token_hint sent to VNeID is not VNeID's ID token of the login: %v (%v)", hint, err)
	}
	// VNeID accepts it and sends the browser back to dinhdanh's logged-out page.
	back := b.Get(t, lo.Continue)
	if back.Page == nil || back.Page.Status != http.StatusOK || back.Page.Path() != "/oauth2/logout" {
		t.Fatalf("VNeID's end-session endpoint led to%s", back)
	}
	checkLoggedOut(t, back)
}

// writeKey writes key as a PKCS #8 PEM file in a temporary directory of the test and returns its path.
func writeKey(t *testing.T, key crypto.Signer) string {
	t.Helper()
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "upstream.key")
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// privateKeyJWTConfig writes a configuration file with the provider at
// issuer, dinhdanh authenticating there with private_key_jwt signed by the
// key in keyFile, named kid ("" for its thumbprint).
func privateKeyJWTConfig(t *testing.T, issuer, keyFile, kid string) string {
	t.Helper()
	path := upstreamConfig(t, issuer)
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	auth := "client_auth: private_key_jwt\n    private_key_file: " + keyFile
	if kid != "" {
		auth += "\n    private_key_id: " + kid
	}
	yaml := strings.Replace(string(b), "client_secret: "+vneidSecret, auth, 1)
	if yaml == string(b) {
		t.Fatalf("no client_secret in the configuration:\n%s", b)
	}
	if err := os.WriteFile(path, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// A provider that registered dinhdanh for private_key_jwt accepts the code
// exchange signed with dinhdanh's key (named by its thumbprint); signed with
// another key under the same kid, the exchange is refused: the person sees
// the refusal page and no account is created.
func TestUpstreamPrivateKeyJWT(t *testing.T) {
	t.Parallel()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tp, err := (&jose.JSONWebKey{Key: key.Public()}).Thumbprint(crypto.SHA256)
	if err != nil {
		t.Fatal(err)
	}
	kid := base64.RawURLEncoding.EncodeToString(tp)
	op := startVNeID(t)
	op.RequirePrivateKeyJWT(jose.JSONWebKey{Key: key.Public(), KeyID: kid, Algorithm: "ES256", Use: "sig"})
	scopes := []string{"openid", "profile", "personal_id"}

	t.Run("WrongKey", func(t *testing.T) {
		other, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			t.Fatal(err)
		}
		srv := harness.Start(t, harness.WithConfigFile(privateKeyJWTConfig(t, op.Issuer, writeKey(t, other), kid)))
		rp := newRP(t, srv, srv.CreateClient(t, booking("openid", "profile", "personal_id")))
		b := srv.NewBrowser(t)
		_, resp := rp.authorize(t, b, scopes)
		page := loginAtVNeID(t, b, op, resp.MustPage(t, http.StatusOK, "/login")).
			MustPage(t, http.StatusBadRequest, "/login/upstream/vneid/callback")
		if !strings.Contains(page.Body, "VNeID") {
			t.Errorf("the refusal page does not name the provider:\n%s", page.Body)
		}
		if a, found := accountOf(t, srv, vneidPerson.PersonalID); found {
			t.Fatalf("a refused code exchange created an account: %+v", a)
		}
		events := srv.Audit(t, "", 1)
		if len(events) != 1 || events[0].Type != "login.failure" || events[0].Details["provider"] != "vneid" ||
			events[0].Details["reason"] != "token" {
			t.Fatalf("the last audit event is %+v, want a login.failure of vneid for token", events)
		}
		if !strings.Contains(srv.Log(), "invalid signature") {
			t.Fatalf("the log does not say the provider refused the assertion's signature:\n%s", srv.Log())
		}
	})

	t.Run("Accepted", func(t *testing.T) {
		srv := harness.Start(t, harness.WithConfigFile(privateKeyJWTConfig(t, op.Issuer, writeKey(t, key), "")))
		rp := newRP(t, srv, srv.CreateClient(t, booking("openid", "profile", "personal_id")))
		b := srv.NewBrowser(t)
		ar, resp := rp.authorize(t, b, scopes)
		resp = loginAtVNeID(t, b, op, resp.MustPage(t, http.StatusOK, "/login"))
		toks := rp.exchange(t, ar, rp.code(t, ar, allow(t, b, resp.MustPage(t, http.StatusOK, "/consent"))))
		if got, _ := toks.Claims["personal_id"].(string); got != vneidPerson.PersonalID {
			t.Errorf("ID token personal_id = %v, want %s", toks.Claims["personal_id"], vneidPerson.PersonalID)
		}
		lan := showAccount(t, srv, vneidPerson.PersonalID)
		if lan.Sub != toks.IDToken.Subject || lan.Proofing.State != "verified" || lan.Proofing.Method != "upstream_eid" {
			t.Fatalf("Lan's account after the VNeID login: %+v (ID token sub %s)", lan, toks.IDToken.Subject)
		}
	})
}

// A logout token of VNeID that names only its session (a sid, no sub) ends
// the session of dinhdanh whose login came from that VNeID session, and
// only it: another session of the same person, from another login at VNeID,
// stays.
func TestUpstreamBackchannelLogoutBySID(t *testing.T) {
	t.Parallel()
	op := startVNeID(t)
	srv := harness.Start(t, harness.WithConfigFile(upstreamConfig(t, op.Issuer)))
	rp := startRP(t, srv, rpSpec{Name: "Đặt lịch"})
	login := func(upstreamSID string) (*harness.Browser, string) {
		op.SendSID(upstreamSID)
		b := srv.NewBrowser(t)
		ar, resp := rp.authorize(t, b, openidProfile)
		resp = loginAtVNeID(t, b, op, resp.MustPage(t, http.StatusOK, "/login"))
		if resp.Page != nil && resp.Page.Path() == "/consent" {
			resp = allow(t, b, resp.Page)
		}
		toks := rp.exchange(t, ar, rp.code(t, ar, resp))
		rp.remember(t, toks)
		return b, sidOf(toks)
	}
	b1, sid1 := login("vneid-session-1")
	b2, sid2 := login("vneid-session-2")
	endpoint := "/login/upstream/vneid/backchannel-logout"

	status, body := srv.PostForm(t, endpoint, nil, url.Values{"logout_token": {op.LogoutToken(t, vneidClient, "", "vneid-session-unknown")}})
	if status != http.StatusOK {
		t.Fatalf("a logout token of an unknown VNeID session: %d %s, want 200", status, body)
	}
	loggedIn(t, b1, sid1)
	loggedIn(t, b2, sid2)

	status, body = srv.PostForm(t, endpoint, nil, url.Values{"logout_token": {op.LogoutToken(t, vneidClient, "", "vneid-session-1")}})
	if status != http.StatusOK {
		t.Fatalf("VNeID's sid-only logout token: %d %s, want 200", status, body)
	}
	rp.waitLogout(t, sid1)
	loggedOut(t, b1)
	loggedIn(t, b2, sid2)
	rp.noLogout(t, sid2)
}

// An application's logout that asks for its own post-logout redirect, of a
// session that came from VNeID, goes first to VNeID's end-session endpoint
// with dinhdanh's logged-out page and a state of dinhdanh; VNeID sends the
// browser back there and the page continues to the application's URI with
// its state, once. The sign-out of the account console goes to VNeID too.
func TestUpstreamRPInitiatedLogoutWithRedirect(t *testing.T) {
	t.Parallel()
	op := startVNeID(t)
	srv := harness.Start(t, harness.WithConfigFile(upstreamConfig(t, op.Issuer)))
	rp := startRP(t, srv, rpSpec{Name: "Đặt lịch", PostLogout: true})
	login := func() (*harness.Browser, *tokens) {
		b := srv.NewBrowser(t)
		ar, resp := rp.authorize(t, b, openidProfile)
		resp = loginAtVNeID(t, b, op, resp.MustPage(t, http.StatusOK, "/login"))
		if resp.Page != nil && resp.Page.Path() == "/consent" {
			resp = allow(t, b, resp.Page)
		}
		toks := rp.exchange(t, ar, rp.code(t, ar, resp))
		rp.remember(t, toks)
		return b, toks
	}
	b, toks := login()
	lo := checkLoggedOut(t, b.Get(t, rp.logoutURL(url.Values{"id_token_hint": {toks.RawIDToken},
		"post_logout_redirect_uri": {rp.base + rpLoggedOut}, "state": {"app-state-7"}})))
	loggedOut(t, b)
	next, err := url.Parse(lo.Continue)
	if err != nil || !strings.HasPrefix(lo.Continue, op.Issuer+"/") {
		t.Fatalf("the logged-out page continues to %q, want VNeID's end-session endpoint", lo.Continue)
	}
	q := next.Query()
	if q.Get("post_logout_redirect_uri") != srv.URL("/oauth2/logout") || q.Get("state") == "" ||
		strings.Contains(q.Get("state"), "app-state-7") || q.Get("id_token_hint") == "" {
		t.Fatalf("the logout sent to VNeID: %v", q)
	}
	back := b.Get(t, lo.Continue)
	if back.Page == nil || back.Page.Path() != "/oauth2/logout" {
		t.Fatalf("VNeID's end-session endpoint led to%s", back)
	}
	final := checkLoggedOut(t, back)
	if want := rp.base + rpLoggedOut + "?state=app-state-7"; final.Continue != want {
		t.Fatalf("back from VNeID the logged-out page continues to %q, want the application's %q", final.Continue, want)
	}
	// The state is good once.
	again := checkLoggedOut(t, b.Get(t, srv.URL("/oauth2/logout")+"?state="+url.QueryEscape(q.Get("state"))))
	if again.Continue != "" {
		t.Fatalf("a replayed state continues to %q", again.Continue)
	}

	// The account console's sign-out continues to VNeID as well.
	b2, _ := login()
	page := b2.Get(t, "/account").MustPage(t, http.StatusOK, "/account")
	lo2 := checkLoggedOut(t, b2.Submit(t, page.Form(t, "/logout"), nil))
	loggedOut(t, b2)
	if !strings.HasPrefix(lo2.Continue, op.Issuer+"/") {
		t.Fatalf("the account console's sign-out continues to %q, want VNeID's end-session endpoint", lo2.Continue)
	}
}
