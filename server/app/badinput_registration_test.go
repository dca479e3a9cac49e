package app_test

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/dinhdanh/dinhdanh/server/admin"
	"github.com/dinhdanh/dinhdanh/server/identity"
	"github.com/dinhdanh/dinhdanh/store"
	"github.com/dinhdanh/dinhdanh/ui"
)

// ---------------------------------------------------------------------------
// Registration.

func validRegistration(flow, csrf string) url.Values {
	return url.Values{"flow": {flow}, "csrf_token": {csrf}, "personal_id": {"036088012345"}, "full_name": {"Lê Văn Cường"},
		"birthdate": {"1988-11-20"}, "gender": {"male"}, "email": {"cuong@example.vn"}, "phone": {"0912 345 678"},
		"password": {"mật khẩu của Cường"}, "password_confirm": {"mật khẩu của Cường"}, "privacy_accept": {"1"}}
}

// registrationEnv is what the subtests of TestBadInputRegistration share:
// the node, a browser and its registration flow.
type registrationEnv struct {
	n    *node
	b    *browser
	flow string
}

func TestBadInputRegistration(t *testing.T) {
	t.Parallel()
	n := newNode(t)
	b := n.browser(t)
	page := b.get("/register")
	if page.status != http.StatusOK {
		t.Fatalf("GET /register: %d", page.status)
	}
	flow := flowOf(t, page)
	env := &registrationEnv{n: n, b: b, flow: flow}
	registrationFieldProblems(t, env)

	t.Run("English page", func(t *testing.T) { registrationEnglishPage(t, env) })
	t.Run("invalid UTF-8", func(t *testing.T) { registrationInvalidUTF8(t, env) })
	t.Run("field over 2048 bytes", func(t *testing.T) { registrationFieldOver2048Bytes(t, env) })
	t.Run("CSRF token missing or wrong", func(t *testing.T) { registrationCSRFTokenMissingOrWrong(t, env) })
	t.Run("unknown flow", func(t *testing.T) { registrationUnknownFlow(t, env) })
	// The same form with nothing wrong is accepted: the refusals above come
	// from the one field each case changed.
	t.Run("control: valid registration", func(t *testing.T) { registrationControlValidRegistration(t, env) })
}

// registrationFieldProblems posts the form with one field wrong at a time:
// the field's message, and nothing else, is shown.
func registrationFieldProblems(t *testing.T, env *registrationEnv) {
	n, b, flow := env.n, env.b, env.flow
	cases := []struct {
		name   string
		change func(url.Values)
		status int
		field  string // the message key shown by the field
		phrase string // a distinctive Vietnamese phrase of that message
	}{
		{"personal ID: format", func(f url.Values) { f.Set("personal_id", "03608801234") }, http.StatusBadRequest,
			"error.personal_id.format", "phải gồm đúng 12 chữ số"},
		{"personal ID: letters", func(f url.Values) { f.Set("personal_id", "03608801234X") }, http.StatusBadRequest,
			"error.personal_id.format", "phải gồm đúng 12 chữ số"},
		{"personal ID: full-width digits", func(f url.Values) { f.Set("personal_id", "０３６０８８０１２３４５") }, http.StatusBadRequest,
			"error.personal_id.format", "phải gồm đúng 12 chữ số"},
		{"personal ID: province", func(f url.Values) { f.Set("personal_id", "003088012345") }, http.StatusBadRequest,
			"error.personal_id.province", "không phải là mã tỉnh"},
		{"personal ID: birth year mismatch", func(f url.Values) { f.Set("birthdate", "1989-11-20") }, http.StatusBadRequest,
			"error.personal_id.birth_year", "Năm sinh không khớp"},
		{"personal ID: gender mismatch", func(f url.Values) { f.Set("gender", "female") }, http.StatusBadRequest,
			"error.personal_id.gender", "Giới tính không khớp"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			b.t = t
			before := n.snapshot(t)
			form := validRegistration(flow, b.csrf())
			tc.change(form)
			r := b.post("/register", form)
			wantPage(t, r, tc.status, "vi", tc.field)
			wantText(t, r, tc.phrase)
			// Exactly one problem is reported: the field's.
			wantText(t, r, ui.T("vi", "error.form.summary", 1))
			if !strings.Contains(r.body, `aria-invalid="true"`) {
				t.Error("no field is marked invalid")
			}
			if r.setsSession {
				t.Error("a failed registration set a session cookie")
			}
			n.unchanged(t, before)
		})
	}
	// A personal ID or contact another account holds is not a problem the
	// page reports: the answer is a registration's, and nothing changes.
	taken := []struct {
		name   string
		change func(url.Values)
	}{
		{"personal ID taken", func(f url.Values) {
			f.Set("personal_id", anPID)
			f.Set("birthdate", "1990-05-17")
		}},
		{"email taken", func(f url.Values) { f.Set("email", "AN@example.vn") }},
	}
	for _, tc := range taken {
		t.Run(tc.name, func(t *testing.T) {
			b.t = t
			before := n.snapshot(t)
			form := validRegistration(flow, b.csrf())
			tc.change(form)
			r := b.post("/register", form)
			if r.status != http.StatusSeeOther || !strings.HasPrefix(r.location(), "/login?flow="+url.QueryEscape(flow)+"&registered=1&identifier=") {
				t.Errorf("answered %d %q, want the redirect of a registration", r.status, r.location())
			}
			if strings.Contains(r.body, "đã được dùng") {
				t.Error("the answer says the identifier is taken")
			}
			if r.setsSession {
				t.Error("a registration set a session cookie")
			}
			n.unchanged(t, before)
		})
	}
}

// registrationEnglishPage is the subtest "English page".
func registrationEnglishPage(t *testing.T, env *registrationEnv) {
	n := env.n
	e := n.englishBrowser(t)
	flow := flowOf(t, e.get("/register"))
	before := n.snapshot(t)
	form := validRegistration(flow, e.csrf())
	form.Set("personal_id", "003088012345")
	r := e.post("/register", form)
	wantPage(t, r, http.StatusBadRequest, "en", "error.personal_id.province")
	wantText(t, r, "not a valid province code")
	n.unchanged(t, before)

	form.Set("personal_id", "036088012345")
	form.Set("gender", "female")
	r = e.post("/register?lang=en", form)
	wantPage(t, r, http.StatusBadRequest, "en", "error.personal_id.gender")
	n.unchanged(t, before)
}

// registrationInvalidUTF8 is the subtest "invalid UTF-8".
func registrationInvalidUTF8(t *testing.T, env *registrationEnv) {
	n, b, flow := env.n, env.b, env.flow
	b.t = t
	for _, field := range []string{"full_name", "personal_id", "email", "password", "flow"} {
		before := n.snapshot(t)
		form := validRegistration(flow, b.csrf())
		form.Set(field, form.Get(field)+"\xff\xfe")
		r := b.post("/register", form)
		wantPage(t, r, http.StatusBadRequest, "vi", "error.invalid_utf8")
		wantText(t, r, "ký tự không hợp lệ")
		n.unchanged(t, before)
	}
	// An invalid key is refused as well.
	before := n.snapshot(t)
	form := validRegistration(flow, b.csrf())
	form.Set("ghi_chú\xc3", "x")
	wantPage(t, b.post("/register", form), http.StatusBadRequest, "vi", "error.invalid_utf8")
	n.unchanged(t, before)
}

// registrationFieldOver2048Bytes is the subtest "field over 2048 bytes".
func registrationFieldOver2048Bytes(t *testing.T, env *registrationEnv) {
	n, b, flow := env.n, env.b, env.flow
	b.t = t
	for _, field := range []string{"full_name", "email", "password"} {
		before := n.snapshot(t)
		form := validRegistration(flow, b.csrf())
		form.Set(field, strings.Repeat("ă", 1025)) // 2050 bytes
		r := b.post("/register", form)
		wantPage(t, r, http.StatusBadRequest, "vi", "error.field_too_long")
		n.unchanged(t, before)
	}
}

// registrationCSRFTokenMissingOrWrong is the subtest "CSRF token missing or wrong".
func registrationCSRFTokenMissingOrWrong(t *testing.T, env *registrationEnv) {
	n, b, flow := env.n, env.b, env.flow
	b.t = t
	before := n.snapshot(t)
	form := validRegistration(flow, "")
	form.Del("csrf_token")
	wantPage(t, b.post("/register", form), http.StatusForbidden, "vi", "error.csrf")
	form.Set("csrf_token", strings.Repeat("A", 43))
	wantPage(t, b.post("/register", form), http.StatusForbidden, "vi", "error.csrf")
	n.unchanged(t, before)
}

// registrationUnknownFlow is the subtest "unknown flow".
func registrationUnknownFlow(t *testing.T, env *registrationEnv) {
	n, b := env.n, env.b
	b.t = t
	before := n.snapshot(t)
	form := validRegistration("no-such-flow", b.csrf())
	wantPage(t, b.post("/register", form), http.StatusBadRequest, "vi", "error.flow_expired")
	n.unchanged(t, before)
}

// registrationControlValidRegistration is the subtest "control: valid registration".
func registrationControlValidRegistration(t *testing.T, env *registrationEnv) {
	n, b, flow := env.n, env.b, env.flow
	b.t = t
	before, _ := n.app.Store.ListAccounts(context.Background(), store.AccountFilter{})
	r := b.post("/register", validRegistration(flow, b.csrf()))
	if r.status != http.StatusSeeOther || !strings.HasPrefix(r.location(), "/login?flow=") {
		t.Fatalf("valid registration: %d %q\n%s", r.status, r.location(), excerpt(r.body))
	}
	after, _ := n.app.Store.ListAccounts(context.Background(), store.AccountFilter{})
	if len(after) != len(before)+1 {
		t.Errorf("accounts: %d → %d, want one more", len(before), len(after))
	}
}

// ---------------------------------------------------------------------------
// Tax codes (business link through the administration service).

func TestBadInputBusinessLink(t *testing.T) {
	t.Parallel()
	n := newNode(t)
	ctx := context.Background()
	for _, tc := range []struct{ name, taxCode, reason string }{
		{"format: short", "010010910", "format"},
		{"format: letters", "01001O9106", "format"},
		{"format: misplaced hyphen", "010010910-6001", "format"},
		{"checksum", "0100109107", "checksum"},
		{"zero", "0100000000", "zero"},
		{"branch 000", "0100109106-000", "branch"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := n.snapshot(t)
			rep, err := n.admin.LinkRepresentative(ctx, n.binh, tc.taxCode, "Công ty Cổ phần Ánh Dương", "authorised_staff")
			if err == nil {
				t.Fatalf("tax code %q accepted: %+v", tc.taxCode, rep)
			}
			var p admin.Problems
			if !errors.As(err, &p) || len(p) != 1 || p[0].Field != "tax_code" {
				t.Fatalf("error = %v, want one problem with field tax_code", err)
			}
			want := &identity.InvalidError{Field: "tax_code", Reason: tc.reason}
			if p[0].Message != want.Error() {
				t.Errorf("message = %q, want %q", p[0].Message, want.Error())
			}
			reps, err := n.app.Store.Representations(ctx, n.binh.ID)
			if err != nil || len(reps) != 0 {
				t.Errorf("representations = %v, %v; want none", reps, err)
			}
			n.unchanged(t, before)
		})
	}
	t.Run("unknown business without a name", func(t *testing.T) {
		before := n.snapshot(t)
		if _, err := n.admin.LinkRepresentative(ctx, n.binh, otherTaxCode, "", "legal_representative"); err == nil {
			t.Fatal("a link to a business that does not exist was made")
		}
		n.unchanged(t, before)
	})
	t.Run("bad role", func(t *testing.T) {
		before := n.snapshot(t)
		if _, err := n.admin.LinkRepresentative(ctx, n.binh, otherTaxCode, "Công ty Cổ phần Ánh Dương", "owner"); err == nil {
			t.Fatal("an unknown role was accepted")
		}
		n.unchanged(t, before)
	})
}
