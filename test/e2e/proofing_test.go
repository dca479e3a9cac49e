package e2e

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"golang.org/x/oauth2"

	"github.com/dinhdanh/dinhdanh/test/harness"
)

// The victim's personal ID, which a squatter registers before the victim.
var (
	victim   = harness.Citizen{PersonalID: "001088004321", Name: "Hoàng Văn Thật", Birthdate: "1988-02-03", Gender: "male"}
	squatter = harness.Citizen{PersonalID: victim.PersonalID, Name: "Hoàng Văn Giả", Birthdate: "1988-02-03",
		Gender: "male", Email: "gia.hv@example.vn", Password: "Mạo-danh-người-khác-2024"}
)

// selfRegister registers c through the registration page, from an
// authorization of rp (with the extra parameters), and logs in; it returns
// the request and the answer to the login.
func selfRegister(t *testing.T, rp *relyingParty, b *harness.Browser, c harness.Citizen, scopes []string, extra ...oauth2.AuthCodeOption) (*authRequest, *harness.Response) {
	t.Helper()
	ar, resp := rp.authorize(t, b, scopes, extra...)
	var link string
	for _, a := range resp.MustPage(t, http.StatusOK, "/login").ByTag("a") {
		if strings.HasPrefix(a.Attrs["href"], "/register?flow=") {
			link = a.Attrs["href"]
		}
	}
	page := b.Get(t, link).MustPage(t, http.StatusOK, "/register")
	resp = b.Submit(t, page.Form(t, "/register"), map[string]string{
		"personal_id": c.PersonalID, "full_name": c.Name, "birthdate": c.Birthdate, "gender": c.Gender,
		"email": c.Email, "password": c.Password, "password_confirm": c.Password, "privacy_accept": "1"})
	resp.MustPage(t, http.StatusOK, "/login")
	return ar, login(t, b, resp, c.PersonalID, c.Password)
}

// shown is what "account show --json" prints that these tests read.
type shown struct {
	Sub        string   `json:"sub"`
	PersonalID string   `json:"personal_id"`
	Capacities []string `json:"capacities"`
	Admin      bool     `json:"admin"`
	Businesses []any    `json:"businesses"`
	Proofing   struct {
		State, Method, Document, By string
	} `json:"personal_id_proofing"`
}

func showAccount(t *testing.T, srv *harness.Server, ref string) shown {
	t.Helper()
	var s shown
	if err := json.Unmarshal([]byte(srv.CLI(t, "", "account", "show", "--json", ref)), &s); err != nil {
		t.Fatal(err)
	}
	return s
}

// A self-registered personal ID is only asserted: it is not released as a
// claim, it links no official capacity, no business and no certificate; an
// official who proves it in person takes it, and the squatter loses it with
// its sessions and tokens.
func TestSquattedPersonalID(t *testing.T) {
	t.Parallel()
	srv := harness.Start(t)
	rp := newRP(t, srv, srv.CreateClient(t, booking("openid", "profile", "email", "personal_id")))
	b := srv.NewBrowser(t)

	// The squatter registers the victim's number and asks for it as a claim.
	ar, resp := selfRegister(t, rp, b, squatter, []string{"openid", "profile", "personal_id"})
	sq := rp.exchange(t, ar, rp.code(t, ar, allow(t, b, resp.MustPage(t, http.StatusOK, "/consent"))))
	if sq.RefreshToken == "" {
		t.Fatal("no refresh token issued")
	}
	noClaims(t, "ID token of a self-asserted personal ID", sq.Claims, "personal_id")
	_, claims := rp.userinfo(t, sq.AccessToken)
	noClaims(t, "userinfo of a self-asserted personal ID", claims, "personal_id")
	squat := showAccount(t, srv, squatter.Email)
	if squat.PersonalID != victim.PersonalID || squat.Proofing.State != "unverified" {
		t.Fatalf("the squatter's account: %+v, want the number, unverified", squat)
	}

	// A business is not linked through an asserted ID.
	if res, _ := srv.RunCLI("", "business", "link", "--tax-code", "0301519977", "--name", "Công ty Cổ phần Thật",
		"--role", "legal_representative", squatter.Email); res.ExitCode == 0 || !strings.Contains(res.Stderr, "not proven") {
		t.Errorf("business link to an unverified person: exit %d\n%s%s", res.ExitCode, res.Stdout, res.Stderr)
	}

	// The official with that number, created by an administrator with a
	// password, is not merged into the squatter's account, and the password
	// is not dropped: without proof the creation is refused.
	official := []string{"account", "create", "--kind", "official", "--username", "thathv", "--name", victim.Name,
		"--agency", "Sở Tài chính", "--personal-id", victim.PersonalID, "--admin", "--password-stdin", "--json"}
	res, _ := srv.RunCLI("Mật-khẩu-quản-trị-viên-đặt\n", official...)
	if res.ExitCode == 0 || !strings.Contains(res.Stderr, "without proof") {
		t.Fatalf("official created with a squatted ID and no proof: exit %d\n%s%s", res.ExitCode, res.Stdout, res.Stderr)
	}
	if s := showAccount(t, srv, squatter.Email); len(s.Capacities) != 1 || s.Admin {
		t.Fatalf("the squatter's account after the refused creation: %+v", s)
	}

	// With the proof of an official who saw the card, the official is
	// created apart, with the administrator's password, and takes the ID.
	out := srv.CLI(t, "Mật-khẩu-quản-trị-viên-đặt\n", append(official, "--evidence", "in-person", "--document", "cccd", "--by", "tn.hoa")...)
	var created struct {
		Sub    string `json:"sub"`
		Linked bool   `json:"linked"`
	}
	if err := json.Unmarshal([]byte(out), &created); err != nil || created.Linked || created.Sub == squat.Sub {
		t.Fatalf("official created with proof: %s (%v), want a new account", out, err)
	}
	holder := showAccount(t, srv, victim.PersonalID)
	if holder.Sub != created.Sub || holder.Proofing.State != "verified" || holder.Proofing.Method != "in_person" || holder.Proofing.By != "tn.hoa" {
		t.Fatalf("the personal ID after the proof: %+v, want the official's, verified in person", holder)
	}
	if s := showAccount(t, srv, squatter.Email); s.PersonalID != "" || s.Admin {
		t.Fatalf("the squatter kept %+v", s)
	}
	audited(t, srv, "account.drop_personal_id", map[string]string{"proven_by": created.Sub})
	// The official logs in with the administrator's password.
	signIn := newRP(t, srv, srv.CreateClient(t, portal("openid", "profile")))
	b2 := srv.NewBrowser(t)
	ar2, resp2 := signIn.authorize(t, b2, []string{"openid", "profile"})
	if toks := signIn.exchange(t, ar2, signIn.code(t, ar2, login(t, b2, resp2, "thathv", "Mật-khẩu-quản-trị-viên-đặt"))); toks.IDToken.Subject != created.Sub {
		t.Fatalf("the official logged in as %s, want %s", toks.IDToken.Subject, created.Sub)
	}
	// The squatter's refresh token was revoked.
	if _, err := rp.refresh(sq.RefreshToken); err == nil {
		t.Fatal("the squatter's refresh token still works after its claim was dropped")
	}
}

// A helpdesk official resolves a squat with "account verify": the true
// holder's account gets the ID, the squatter loses it.
func TestAccountVerifyResolvesSquat(t *testing.T) {
	t.Parallel()
	srv := harness.Start(t)
	rp := newRP(t, srv, srv.CreateClient(t, portal("openid", "profile")))
	ar, resp := selfRegister(t, rp, srv.NewBrowser(t), squatter, []string{"openid", "profile"})
	sq := rp.exchange(t, ar, rp.code(t, ar, resp))
	if sq.RefreshToken == "" {
		t.Fatal("no refresh token issued")
	}
	// The true holder has an account without the number (it was taken).
	out := srv.CLI(t, "", "account", "create", "--kind", "official", "--username", "that.hv", "--name", victim.Name,
		"--agency", "Sở Nội vụ", "--json")
	var created struct{ Sub string }
	if err := json.Unmarshal([]byte(out), &created); err != nil {
		t.Fatal(err)
	}
	// Evidence is required and checked.
	if res, _ := srv.RunCLI("", "account", "verify", "--personal-id", victim.PersonalID, "--evidence", "in-person", created.Sub); res.ExitCode == 0 {
		t.Fatalf("verify without document nor official succeeded:\n%s", res.Stdout)
	}
	srv.CLI(t, "", "account", "verify", "--personal-id", victim.PersonalID, "--evidence", "in-person", "--document", "cccd",
		"--by", "lt.mai", created.Sub)
	holder := showAccount(t, srv, victim.PersonalID)
	if holder.Sub != created.Sub || holder.Proofing.State != "verified" || holder.Proofing.Document != "cccd" {
		t.Fatalf("after verify: %+v", holder)
	}
	if s := showAccount(t, srv, squatter.Email); s.PersonalID != "" {
		t.Fatalf("the squatter kept the ID: %+v", s)
	}
	audited(t, srv, "account.verify_personal_id", map[string]string{"method": "in_person", "by": "lt.mai", "displaced": sq.IDToken.Subject})
	audited(t, srv, "account.drop_personal_id", map[string]string{"proven_by": created.Sub})
	if _, err := rp.refresh(sq.RefreshToken); err == nil {
		t.Fatal("the squatter's refresh token still works after its claim was dropped")
	}
	// Proven, the ID is nobody else's.
	if res, _ := srv.RunCLI("", "account", "verify", "--personal-id", victim.PersonalID, "--evidence", "in-person", "--document", "cccd",
		"--by", "lt.mai", squatter.Email); res.ExitCode == 0 {
		t.Fatal("a proven ID was given to another account")
	}
}
