package e2e

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"golang.org/x/oauth2"

	"github.com/dinhdanh/dinhdanh/test/harness"
	"github.com/dinhdanh/dinhdanh/test/ldaptest"
)

// hrDirectory is the staff directory of the tests of personal IDs from a
// directory (testdata/proofing.ldif): each official's employeeNumber is
// their personal ID.
const hrDirectory = "so-noi-vu-hr"

// The officials of testdata/proofing.ldif, with their personal IDs.
var (
	thuyHR = directoryOfficial{"thuy.nt", "Thuy-LDAP-2025", "001085007001", "1985-03-04"}
	hungHR = directoryOfficial{"hung.lv", "Hung-LDAP-2025", "001086007002", "1986-04-05"}
	anHR   = directoryOfficial{"an.tv", "An-LDAP-2025", "001087007003", "1987-05-06"}
	binhHR = directoryOfficial{"binh.pt", "Binh-LDAP-2025", "001088007004", "1988-06-07"}
)

type directoryOfficial struct{ username, password, personalID, birthdate string }

// startWithHRDirectory starts dinhdanh with the directory of
// testdata/proofing.ldif on a real slapd, personal_id_authoritative as given.
func startWithHRDirectory(t *testing.T, authoritative bool) *harness.Server {
	t.Helper()
	dir := ldaptest.Start(t, ldaptest.Options{LDIF: []string{filepath.Join("testdata", "proofing.ldif")}})
	cfg := fmt.Sprintf(`directories:
  - name: %s
    agency: Sở Nội vụ
    urls: [%q]
    bind_dn: %q
    bind_password: %q
    personal_id_authoritative: %v
    users:
      base_dn: %q
      attributes: {personal_id: employeeNumber}
    sync:
      interval: 0s
`, hrDirectory, dir.URL, ldaptest.ServiceDN, ldaptest.ServicePassword, authoritative, "ou=people,ou=proofing,"+ldaptest.Suffix)
	path := filepath.Join(t.TempDir(), "dinhdanh.yaml")
	if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	return harness.Start(t, harness.WithConfigFile(path))
}

// squatterOf is a citizen who self-registers the official's personal ID.
func squatterOf(o directoryOfficial, email string) harness.Citizen {
	return harness.Citizen{PersonalID: o.personalID, Name: "Kẻ Mạo Danh", Birthdate: o.birthdate, Gender: "male",
		Email: email, Password: "Mạo-danh-cán-bộ-2025"}
}

// provenHolder creates a citizen with the official's personal ID, proven in
// person at a one-stop centre, and returns the citizen and its subject.
func provenHolder(t *testing.T, srv *harness.Server, o directoryOfficial, email string) (harness.Citizen, string) {
	t.Helper()
	c := harness.Citizen{PersonalID: o.personalID, Name: "Công Dân Thật", Birthdate: o.birthdate, Gender: "male",
		Email: email, Password: "Mật-khẩu-công-dân-2025"}
	return c, provenCitizen(t, srv, c)
}

// provenCitizen creates the citizen c with its personal ID unverified
// (account create without evidence), then proves the ID in person at a
// one-stop centre (account verify); it returns the subject.
func provenCitizen(t *testing.T, srv *harness.Server, c harness.Citizen) string {
	t.Helper()
	sub := unprovenCitizen(t, srv, c)
	srv.CLI(t, "", "account", "verify", "--personal-id", c.PersonalID, "--evidence", "in-person", "--document", "cccd",
		"--by", "tn.hoa", sub)
	if s := showAccount(t, srv, c.PersonalID); s.Sub != sub || s.Proofing.State != "verified" {
		t.Fatalf("the holder after account verify: %+v", s)
	}
	return sub
}

// unprovenCitizen creates the citizen c with its personal ID given by an
// administrator without evidence (unverified) and returns the subject.
func unprovenCitizen(t *testing.T, srv *harness.Server, c harness.Citizen) string {
	t.Helper()
	args := []string{"account", "create", "--kind", "citizen", "--personal-id", c.PersonalID,
		"--name", c.Name, "--birthdate", c.Birthdate, "--gender", c.Gender, "--password-stdin", "--json"}
	if c.Email != "" {
		args = append(args, "--email", c.Email)
	}
	out := srv.CLI(t, c.Password+"\n", args...)
	var created struct{ Sub string }
	if err := json.Unmarshal([]byte(out), &created); err != nil || created.Sub == "" {
		t.Fatalf("account create printed %q: %v", out, err)
	}
	if s := showAccount(t, srv, c.PersonalID); s.Sub != created.Sub || s.Proofing.State != "unverified" {
		t.Fatalf("the citizen created without evidence: %+v", s)
	}
	return created.Sub
}

// signInAt authorizes at rp from a new browser, logs in with identifier and
// password, consents when asked, and returns the browser and the tokens.
func signInAt(t *testing.T, srv *harness.Server, rp *relyingParty, identifier, password string, scopes []string, extra ...oauth2.AuthCodeOption) (*harness.Browser, *tokens) {
	t.Helper()
	b := srv.NewBrowser(t)
	ar, resp := rp.authorize(t, b, scopes, extra...)
	resp = login(t, b, resp, identifier, password)
	if resp.Page != nil && resp.Page.Path() == "/consent" {
		resp = allow(t, b, resp.MustPage(t, http.StatusOK, "/consent"))
	}
	return b, rp.exchange(t, ar, rp.code(t, ar, resp))
}

// refused checks that identifier and password log nobody in.
func refused(t *testing.T, srv *harness.Server, rp *relyingParty, identifier, password string) {
	t.Helper()
	b := srv.NewBrowser(t)
	_, resp := rp.authorize(t, b, []string{"openid"})
	if r := login(t, b, resp, identifier, password); r.Page == nil || r.Page.Status != http.StatusUnauthorized || r.Page.Path() != "/login" {
		t.Fatalf("the login of %s with that password was not refused:%s", identifier, r)
	}
}

// notAudited checks that no audit event of the type has details holding want.
func notAudited(t *testing.T, srv *harness.Server, typ string, want map[string]string) {
	t.Helper()
	for _, e := range srv.Audit(t, "", 500) {
		ok := e.Type == typ
		for k, v := range want {
			ok = ok && e.Details[k] == v
		}
		if ok {
			t.Fatalf("unexpected audit event %s %v", e.Type, e.Details)
		}
	}
}

// wantDirectoryEvidence checks that claims carry the personal ID verified
// by the authoritative directory.
func wantDirectoryEvidence(t *testing.T, where string, claims map[string]any, pid string) {
	t.Helper()
	vc := verifiedClaims(t, where, claims)
	wantClaims(t, where+" verified_claims.claims", vc["claims"].(map[string]any), map[string]any{"personal_id": pid})
	verification := vc["verification"].(map[string]any)
	evidence, _ := verification["evidence"].([]any)
	if verification["trust_framework"] != "vn_dinhdanh" || len(evidence) != 1 {
		t.Fatalf("%s: verification %v, want vn_dinhdanh with one evidence", where, verification)
	}
	wantClaims(t, where+" evidence", evidence[0].(map[string]any), map[string]any{"type": "electronic_record",
		"record": map[string]any{"type": "authoritative_register", "source": map[string]any{"name": hrDirectory}}})
}

// TestDirectoryProvesSquattedID: a squatter self-registered an official's
// personal ID and holds a session and a refresh token. The official logs in
// through the authoritative directory: the official's account gets the ID
// proven (personal_id and verified_claims released to the official), the
// squatter loses it, its session ends, its refresh token is refused
// (invalid_grant), the displacement is audited, and the squatter's password
// reaches nothing of the official.
func TestDirectoryProvesSquattedID(t *testing.T) {
	t.Parallel()
	srv := startWithHRDirectory(t, true)
	scopes := []string{"openid", "profile", "personal_id"}
	rp := newRP(t, srv, srv.CreateClient(t, booking(scopes...)))
	claimsParam := oauth2.SetAuthURLParam("claims", verifiedClaimsRequest)

	squat := squatterOf(thuyHR, "gia.thuy@example.vn")
	sb := srv.NewBrowser(t)
	ar, resp := selfRegister(t, rp, sb, squat, scopes)
	sq := rp.exchange(t, ar, rp.code(t, ar, allow(t, sb, resp.MustPage(t, http.StatusOK, "/consent"))))
	if sq.RefreshToken == "" {
		t.Fatal("no refresh token issued to the squatter")
	}
	before := showAccount(t, srv, squat.Email)
	if before.PersonalID != thuyHR.personalID || before.Proofing.State != "unverified" {
		t.Fatalf("the squatter's account: %+v", before)
	}
	loggedIn(t, sb, sidOf(sq))

	// The official logs in with the directory password.
	_, off := signInAt(t, srv, rp, thuyHR.username, thuyHR.password, scopes, claimsParam)
	if off.IDToken.Subject == before.Sub {
		t.Fatal("the official logged into the squatter's account")
	}
	wantClaims(t, "the official's ID token", off.Claims, map[string]any{"personal_id": thuyHR.personalID,
		"account_kind": "official", "organization": "Sở Nội vụ"})
	wantDirectoryEvidence(t, "the official's ID token", off.Claims, thuyHR.personalID)
	_, info := rp.userinfo(t, off.AccessToken)
	wantClaims(t, "the official's userinfo", info, map[string]any{"personal_id": thuyHR.personalID})
	wantDirectoryEvidence(t, "the official's userinfo", info, thuyHR.personalID)
	holder := showAccount(t, srv, thuyHR.personalID)
	if holder.Sub != off.IDToken.Subject || holder.Proofing.State != "verified" || holder.Proofing.Method != "authoritative_source" {
		t.Fatalf("the personal ID after the directory login: %+v, want the official's, verified by the directory", holder)
	}

	// The squatter lost the ID, its session and its tokens.
	if s := showAccount(t, srv, squat.Email); s.Sub != before.Sub || s.PersonalID != "" || s.Admin || slices.Contains(s.Capacities, "official") {
		t.Fatalf("the squatter after the official's login: %+v", s)
	}
	loggedOut(t, sb)
	if _, err := rp.refresh(sq.RefreshToken); err == nil {
		t.Fatal("the squatter's refresh token still works after the directory proved the ID for the official")
	} else if code := grantError(t, err); code != "invalid_grant" {
		t.Fatalf("the squatter's refresh: %s, want invalid_grant", code)
	}
	audited(t, srv, "account.verify_personal_id", map[string]string{"method": "authoritative_source",
		"source": hrDirectory, "displaced": before.Sub})
	audited(t, srv, "account.drop_personal_id", map[string]string{"proven_by": off.IDToken.Subject})

	// The squatter's password opens neither the official's account nor the ID.
	refused(t, srv, rp, thuyHR.username, squat.Password)
	refused(t, srv, rp, thuyHR.personalID, squat.Password)
	// With its e-mail it is its own citizen account, with no ID and no capacity of the official.
	_, again := signInAt(t, srv, rp, squat.Email, squat.Password, scopes, claimsParam)
	if again.IDToken.Subject != before.Sub || again.Claims["account_kind"] == "official" {
		t.Fatalf("the squatter logged in as %s (%v), want its own account %s", again.IDToken.Subject, again.Claims["account_kind"], before.Sub)
	}
	noClaims(t, "the squatter's ID token", again.Claims, "personal_id", "verified_claims", "organization")

	// The official's next login keeps the one subject and the proven ID.
	_, next := signInAt(t, srv, rp, thuyHR.username, thuyHR.password, scopes, claimsParam)
	if next.IDToken.Subject != off.IDToken.Subject {
		t.Fatalf("the official's second login is %s, the first %s", next.IDToken.Subject, off.IDToken.Subject)
	}
	wantDirectoryEvidence(t, "the official's second ID token", next.Claims, thuyHR.personalID)
}

// TestDirectoryLeavesProvenIDToHolder: a citizen has proven a personal ID
// in person; an official whose entry in the authoritative directory carries
// that ID logs in. The official is not merged into the citizen's account
// (neither password reaches the other's account), the citizen keeps the ID,
// its capacity and its tokens, the official logs in as an official of its
// own account without the ID, and the refusal is audited.
func TestDirectoryLeavesProvenIDToHolder(t *testing.T) {
	t.Parallel()
	srv := startWithHRDirectory(t, true)
	scopes := []string{"openid", "profile", "personal_id"}
	rp := newRP(t, srv, srv.CreateClient(t, booking(scopes...)))
	claimsParam := oauth2.SetAuthURLParam("claims", verifiedClaimsRequest)

	citizen, citizenSub := provenHolder(t, srv, hungHR, "hung.congdan@example.vn")
	cb, atCitizen := signInAt(t, srv, rp, citizen.Email, citizen.Password, scopes, claimsParam)
	if atCitizen.IDToken.Subject != citizenSub || atCitizen.RefreshToken == "" {
		t.Fatalf("the citizen's login: %s, refresh token %v", atCitizen.IDToken.Subject, atCitizen.RefreshToken != "")
	}

	_, off := signInAt(t, srv, rp, hungHR.username, hungHR.password, scopes, claimsParam)
	if off.IDToken.Subject == citizenSub {
		t.Fatal("the directory official was merged into the account of the citizen who proved the ID")
	}
	wantClaims(t, "the official's ID token", off.Claims, map[string]any{"account_kind": "official", "organization": "Sở Nội vụ"})
	noClaims(t, "the official's ID token", off.Claims, "personal_id", "verified_claims")
	audited(t, srv, "directory.personal_id_refused", map[string]string{"directory": hrDirectory,
		"username": hungHR.username, "subject": off.IDToken.Subject})
	notAudited(t, srv, "account.drop_personal_id", map[string]string{"proven_by": off.IDToken.Subject})

	// The citizen keeps the ID as proven, no official capacity, its session and its tokens.
	check := func(when string) {
		t.Helper()
		h := showAccount(t, srv, hungHR.personalID)
		if h.Sub != citizenSub || h.Proofing.State != "verified" || h.Proofing.Method != "in_person" || h.Proofing.By != "tn.hoa" ||
			slices.Contains(h.Capacities, "official") || h.Admin {
			t.Fatalf("%s: the holder of the ID is %+v, want the citizen %s as it was", when, h, citizenSub)
		}
	}
	check("after the official's login")
	loggedIn(t, cb, sidOf(atCitizen))
	if _, err := rp.refresh(atCitizen.RefreshToken); err != nil {
		t.Fatalf("the citizen's refresh token after the official's login: %v", err)
	}
	// Neither password reaches the other's account.
	refused(t, srv, rp, hungHR.username, citizen.Password)
	refused(t, srv, rp, hungHR.personalID, hungHR.password)
	_, asCitizen := signInAt(t, srv, rp, hungHR.personalID, citizen.Password, scopes, claimsParam)
	if asCitizen.IDToken.Subject != citizenSub || asCitizen.Claims["account_kind"] == "official" {
		t.Fatalf("the citizen logged in as %s (%v)", asCitizen.IDToken.Subject, asCitizen.Claims["account_kind"])
	}
	noClaims(t, "the citizen's ID token", asCitizen.Claims, "organization")

	// Returning, and after a full synchronisation, nothing moves.
	srv.CLI(t, "", "directory", "sync", hrDirectory, "--full", "--json")
	_, next := signInAt(t, srv, rp, hungHR.username, hungHR.password, scopes, claimsParam)
	if next.IDToken.Subject != off.IDToken.Subject {
		t.Fatalf("the official's second login is %s, the first %s", next.IDToken.Subject, off.IDToken.Subject)
	}
	noClaims(t, "the official's second ID token", next.Claims, "personal_id", "verified_claims")
	check("after the sync and the second login")
}

// TestDirectoryNotAuthoritative: without personal_id_authoritative, the ID
// a directory provides is never proven and takes nothing from anyone: the
// official whose ID a squatter registered, and the official whose ID a
// citizen proved, each get an account of their own without it; the squatter
// keeps its (unproven) ID, session and tokens, the citizen its proven ID.
func TestDirectoryNotAuthoritative(t *testing.T) {
	t.Parallel()
	srv := startWithHRDirectory(t, false)
	scopes := []string{"openid", "profile", "personal_id"}
	rp := newRP(t, srv, srv.CreateClient(t, booking(scopes...)))
	claimsParam := oauth2.SetAuthURLParam("claims", verifiedClaimsRequest)

	squat := squatterOf(anHR, "gia.an@example.vn")
	sb := srv.NewBrowser(t)
	ar, resp := selfRegister(t, rp, sb, squat, scopes)
	sq := rp.exchange(t, ar, rp.code(t, ar, allow(t, sb, resp.MustPage(t, http.StatusOK, "/consent"))))
	squatSub := sq.IDToken.Subject
	_, citizenSub := provenHolder(t, srv, binhHR, "binh.congdan@example.vn")

	_, an := signInAt(t, srv, rp, anHR.username, anHR.password, scopes, claimsParam)
	_, binh := signInAt(t, srv, rp, binhHR.username, binhHR.password, scopes, claimsParam)
	for _, o := range []*tokens{an, binh} {
		if s := o.IDToken.Subject; s == squatSub || s == citizenSub {
			t.Fatalf("a directory official logged into the account %s of the ID's holder", s)
		}
		wantClaims(t, "the official's ID token", o.Claims, map[string]any{"account_kind": "official"})
		noClaims(t, "the official's ID token", o.Claims, "personal_id", "verified_claims")
	}
	check := func(when string) {
		t.Helper()
		if s := showAccount(t, srv, anHR.personalID); s.Sub != squatSub || s.Proofing.State != "unverified" || slices.Contains(s.Capacities, "official") {
			t.Fatalf("%s: the squatted ID is held by %+v, want the squatter, unverified", when, s)
		}
		if s := showAccount(t, srv, binhHR.personalID); s.Sub != citizenSub || s.Proofing.Method != "in_person" || slices.Contains(s.Capacities, "official") {
			t.Fatalf("%s: the proven ID is held by %+v, want the citizen", when, s)
		}
	}
	check("after the officials' logins")
	loggedIn(t, sb, sidOf(sq))
	if _, err := rp.refresh(sq.RefreshToken); err != nil {
		t.Fatalf("the squatter's refresh token after a non-authoritative directory login: %v", err)
	}
	srv.CLI(t, "", "directory", "sync", hrDirectory, "--full", "--json")
	check("after a full synchronisation")
	for _, typ := range []string{"account.verify_personal_id", "account.drop_personal_id"} {
		notAudited(t, srv, typ, map[string]string{"source": hrDirectory})
		notAudited(t, srv, typ, map[string]string{"displaced": squatSub})
		notAudited(t, srv, typ, map[string]string{"proven_by": an.IDToken.Subject})
	}
}
