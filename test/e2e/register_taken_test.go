package e2e

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/dinhdanh/dinhdanh/test/harness"
)

// TestRegistrationAnswersAlike: registering a personal ID, an email or a
// phone number another account holds gets the answer a fresh registration
// gets, creates nothing, changes nothing of the holder's account, and is
// audited, with a notice due for a taken contact.
func TestRegistrationAnswersAlike(t *testing.T) {
	t.Parallel()
	srv := harness.Start(t)
	holder := srv.CreateCitizen(t, dat)
	// 036 Nam Định, 0 = man born in the 1900s, 88 = 1988.
	fresh := map[string]string{"personal_id": "036088000001", "full_name": "Lê Văn Cường", "birthdate": "1988-11-20",
		"gender": "male", "email": "cuong1@example.vn", "password": "mật khẩu của Cường", "password_confirm": "mật khẩu của Cường", "privacy_accept": "1"}
	takenID := map[string]string{"personal_id": dat.PersonalID, "full_name": "Nguyễn Văn Giả", "birthdate": dat.Birthdate,
		"gender": "male", "email": "gia2@example.vn", "password": "mật khẩu của kẻ giả", "password_confirm": "mật khẩu của kẻ giả", "privacy_accept": "1"}
	takenEmail := map[string]string{"personal_id": "036088000003", "full_name": "Lê Văn Cường", "birthdate": "1988-11-20",
		"gender": "male", "email": dat.Email, "password": "mật khẩu của Cường", "password_confirm": "mật khẩu của Cường", "privacy_accept": "1"}

	register := func(fields map[string]string) (harness.Hop, string) {
		t.Helper()
		b := srv.NewBrowser(t)
		resp := b.Submit(t, b.Get(t, "/register").MustPage(t, http.StatusOK, "/register").Form(t, "/register"), fields)
		page := resp.MustPage(t, http.StatusOK, "/login")
		return resp.Hops[0], normalise(page.Body, fields["personal_id"])
	}
	freshHop, freshPage := register(fresh)
	for name, fields := range map[string]map[string]string{"personal ID": takenID, "email": takenEmail} {
		hop, page := register(fields)
		if hop.Status != freshHop.Status || normaliseLocation(t, hop.Location, fields["personal_id"]) != normaliseLocation(t, freshHop.Location, fresh["personal_id"]) {
			t.Errorf("taken %s answered %d %s; a fresh registration %d %s", name, hop.Status, hop.Location, freshHop.Status, freshHop.Location)
		}
		if page != freshPage {
			t.Errorf("taken %s: the page after registering differs from a fresh registration's:\n%s\n---\n%s", name, page, freshPage)
		}
	}

	if res, _ := srv.RunCLI("", "account", "show", "036088000003"); res.ExitCode == 0 {
		t.Errorf("a registration with a taken email created an account:\n%s", res.Stdout)
	}
	if s := showAccount(t, srv, dat.PersonalID); s.Sub != holder || s.Proofing.State != "verified" {
		t.Errorf("the holder's account after the registrations: %+v", s)
	}
	if s := showAccount(t, srv, dat.Email); s.Sub != holder {
		t.Errorf("the email now belongs to %s, want %s", s.Sub, holder)
	}
	audited(t, srv, "account.register_taken", map[string]string{"field": "personal_id"})
	if e := audited(t, srv, "account.register_taken", map[string]string{"field": "email", "notice": "due"}); e.Subject != holder {
		t.Errorf("the notice due is recorded for %q, want the holder %q", e.Subject, holder)
	}
}

var (
	hiddenValue = regexp.MustCompile(`value="[^"]*"`)
	flowParam   = regexp.MustCompile(`flow=[A-Za-z0-9_-]+`)
)

// normalise removes from a page what differs between any two browsers (form
// values, flow ids) and the personal ID the person typed.
func normalise(body, personalID string) string {
	body = strings.ReplaceAll(body, personalID, "PERSONAL_ID")
	return flowParam.ReplaceAllString(hiddenValue.ReplaceAllString(body, `value=""`), "flow=FLOW")
}

// normaliseLocation is a redirect target with its flow id and personal ID
// replaced.
func normaliseLocation(t *testing.T, loc, personalID string) string {
	t.Helper()
	u, err := url.Parse(loc)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	if q.Get("identifier") != personalID {
		t.Errorf("redirect %s does not fill in %s", loc, personalID)
	}
	q.Set("identifier", "PERSONAL_ID")
	q.Set("flow", "FLOW")
	u.RawQuery = q.Encode()
	return u.String()
}
