package ui

import (
	"encoding/json"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
)

func newUI(t *testing.T) *UI {
	t.Helper()
	u, err := New(Options{ProductName: "Cổng đăng nhập tỉnh"})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return u
}

func render(t *testing.T, u *UI, status int, name string, data interface{ Language() string }) (*httptest.ResponseRecorder, string) {
	t.Helper()
	rec := httptest.NewRecorder()
	if err := u.Render(rec, status, name, data); err != nil {
		t.Fatalf("Render %s: %v", name, err)
	}
	return rec, rec.Body.String()
}

func base(lang string) Base {
	return Base{Lang: lang, Path: "/login?flow=f-123", CSRFToken: "csrf-abc"}
}

// requiredKeys are the message keys the HTTP handlers use.
var requiredKeys = strings.Fields(`
login.title login.subtitle_client login.identifier login.password login.submit login.register_link
login.invalid_credentials login.too_many_attempts login.account_disabled login.flow_expired login.slow_down
register.title register.submit register.success_title register.success register.password_hint
register.contact_hint register.personal_id_hint
field.personal_id field.full_name field.birthdate field.gender field.gender_male field.gender_female
field.email field.phone field.password field.password_confirm
error.personal_id.format error.personal_id.province error.personal_id.birth_year error.personal_id.gender
error.personal_id.taken error.tax_code.format error.tax_code.checksum error.tax_code.zero error.tax_code.branch
error.full_name.required error.full_name.too_long error.full_name.invalid error.birthdate.required
error.birthdate.invalid error.birthdate.future error.gender.required error.gender.invalid error.email.invalid
error.email.taken error.phone.invalid error.phone.taken error.contact.required error.password.too_short
error.password.too_long error.password.mismatch error.form.summary
error.title.bad_request error.bad_request error.title.csrf error.csrf error.title.not_found error.not_found
error.title.server_error error.server_error error.title.unavailable error.unavailable error.title.too_large
error.too_large error.invalid_utf8 error.field_too_long error.title.oauth error.oauth error.unknown_client
error.redirect_uri error.flow_expired error.method_not_allowed
consent.title consent.intro consent.remember consent.allow consent.deny consent.denied
scope.openid scope.profile scope.email scope.phone scope.personal_id scope.business scope.offline_access scope.roles
claim.name claim.family_name claim.given_name claim.middle_name claim.birthdate claim.gender claim.locale
claim.email claim.phone_number claim.personal_id claim.tax_code claim.business claim.organization
claim.department claim.title claim.roles claim.groups claim.account_kind claim.sub claim.offline_access
business.title business.intro business.myself business.submit role.legal_representative role.authorised_staff
account.title account.capacities account.consents account.no_consents account.revoke account.granted_at
account.consent_revoked capacity.citizen capacity.official logout.submit logout.title logout.done
app.skip_to_content app.language app.footer app.request_id
`)

// verbKeys are the keys whose messages take arguments, with their verbs.
var verbKeys = map[string]string{
	"login.subtitle_client":    "%s",
	"login.too_many_attempts":  "%d",
	"register.password_hint":   "%d",
	"error.password.too_short": "%d",
	"error.form.summary":       "%d",
	"error.oauth":              "%s",
	"consent.intro":            "%s",
	"app.request_id":           "%s",
}

func TestCatalogsHaveRequiredKeys(t *testing.T) {
	for _, lang := range Languages() {
		for _, key := range requiredKeys {
			if msg, ok := catalogs[lang][key]; !ok || strings.TrimSpace(msg) == "" {
				t.Errorf("%s: missing or empty message %q", lang, key)
			}
		}
	}
}

func TestCatalogsMatch(t *testing.T) {
	vi, en := catalogs["vi"], catalogs["en"]
	if len(vi) == 0 || len(en) == 0 {
		t.Fatal("empty catalog")
	}
	verb := regexp.MustCompile(`%[-+# 0]*[0-9]*(?:\.[0-9]+)?[a-zA-Z%]`)
	for key, msg := range vi {
		other, ok := en[key]
		if !ok {
			t.Errorf("key %q is in vi but not in en", key)
			continue
		}
		if a, b := verb.FindAllString(msg, -1), verb.FindAllString(other, -1); !slices.Equal(a, b) {
			t.Errorf("key %q: verbs %v in vi, %v in en", key, a, b)
		}
		if strings.TrimSpace(msg) == "" || strings.TrimSpace(other) == "" {
			t.Errorf("key %q has an empty message", key)
		}
	}
	for key := range en {
		if _, ok := vi[key]; !ok {
			t.Errorf("key %q is in en but not in vi", key)
		}
	}
	for key, want := range verbKeys {
		for _, lang := range Languages() {
			if got := verb.FindAllString(catalogs[lang][key], -1); !slices.Equal(got, []string{want}) {
				t.Errorf("%s %q: verbs %v, want [%s]", lang, key, got, want)
			}
		}
	}
}

// TestCatalogsHaveNoDuplicateKeys reads the JSON token by token, because
// encoding/json keeps the last of two equal keys without a word.
func TestCatalogsHaveNoDuplicateKeys(t *testing.T) {
	for _, lang := range Languages() {
		data, err := fs.ReadFile(content, "messages/"+lang+".json")
		if err != nil {
			t.Fatal(err)
		}
		dec := json.NewDecoder(strings.NewReader(string(data)))
		if _, err := dec.Token(); err != nil {
			t.Fatal(err)
		}
		seen := map[string]bool{}
		for dec.More() {
			tok, err := dec.Token()
			if err != nil {
				t.Fatal(err)
			}
			key := tok.(string)
			if seen[key] {
				t.Errorf("%s: duplicate key %q", lang, key)
			}
			seen[key] = true
			if _, err := dec.Token(); err != nil {
				t.Fatalf("%s %q: %v", lang, key, err)
			}
		}
	}
}

func TestVietnameseCatalogIsVietnamese(t *testing.T) {
	// Spot checks on wording the handlers and people rely on.
	want := map[string]string{
		"login.title":               "Đăng nhập",
		"login.identifier":          "Số định danh cá nhân, email, số điện thoại hoặc tên đăng nhập cán bộ",
		"login.invalid_credentials": "Thông tin đăng nhập không đúng.",
		"field.password":            "Mật khẩu",
		"register.title":            "Đăng ký tài khoản",
	}
	for key, msg := range want {
		if got := T("vi", key); got != msg {
			t.Errorf("T(vi, %q) = %q, want %q", key, got, msg)
		}
	}
}

// TestTemplateKeysExist finds every message key a template names literally
// (t "key", tf "key", tstrong "key", and defaults such as (or .X "key")) and
// checks both catalogs hold it, and that every label prefix is used with
// keys that exist for the values the handlers send.
func TestTemplateKeysExist(t *testing.T) {
	action := regexp.MustCompile(`(?s)\{\{(.*?)\}\}`)
	literal := regexp.MustCompile(`(\w+)?\s*"([^"]*)"`)
	keyShape := regexp.MustCompile(`^[a-z][a-z0-9_]*(\.[a-z0-9_]+)+$`)
	tCall := regexp.MustCompile(`\bt\s+"([^"]+)"`)
	var files []string
	err := fs.WalkDir(content, "templates", func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			files = append(files, p)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(files) < len(pageNames)+1 {
		t.Fatalf("found %d template files", len(files))
	}
	tCalls := 0
	for _, f := range files {
		src, err := fs.ReadFile(content, f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range tCall.FindAllStringSubmatch(string(src), -1) {
			tCalls++
			for _, lang := range Languages() {
				if _, ok := catalogs[lang][m[1]]; !ok {
					t.Errorf("%s: t %q is missing in %s", f, m[1], lang)
				}
			}
		}
		for _, a := range action.FindAllStringSubmatch(string(src), -1) {
			for _, l := range literal.FindAllStringSubmatch(a[1], -1) {
				fn, s := l[1], l[2]
				if fn == "asset" || fn == "label" || fn == "define" || fn == "template" || fn == "block" || !keyShape.MatchString(s) {
					continue
				}
				for _, lang := range Languages() {
					if _, ok := catalogs[lang][s]; !ok {
						t.Errorf("%s: key %q (in {{%s}}) is missing in %s", f, s, a[1], lang)
					}
				}
			}
		}
	}
	if tCalls < 50 {
		t.Errorf("found only %d t calls; is the pattern right?", tCalls)
	}
	for _, prefix := range []string{"lang.", "capacity.", "role."} {
		n := 0
		for key := range catalogs["vi"] {
			if strings.HasPrefix(key, prefix) {
				n++
			}
		}
		if n < 2 {
			t.Errorf("only %d keys with prefix %q", n, prefix)
		}
	}
	for _, lang := range Languages() {
		if !hasKey("lang." + lang) {
			t.Errorf("no name for language %s", lang)
		}
	}
}

// page is one renderable page with what it must contain.
type page struct {
	name   string
	data   func(lang string) interface{ Language() string }
	action string            // form action that must appear, "" for none
	fields []fieldWant       // labelled fields that must be present
	hidden map[string]string // hidden inputs that must be present
}

type fieldWant struct {
	id    string
	attrs map[string]string
}

var grantedAt = time.Date(2025, 3, 14, 2, 30, 0, 0, time.UTC)

// featurePages holds the sample pages of features whose tests register them
// (in their own _test.go file, from init), so that every template is rendered.
var featurePages []page

func samplePages() []page {
	return append(corePages(), featurePages...)
}

func corePages() []page {
	return []page{
		{
			name: "login",
			data: func(lang string) interface{ Language() string } {
				return &LoginPage{Base: base(lang), FlowID: "f-123", ClientName: "Cổng dịch vụ công", Identifier: "", CanRegister: true}
			},
			action: "/login",
			fields: []fieldWant{
				{"identifier", map[string]string{"name": "identifier", "autocomplete": "username"}},
				{"password", map[string]string{"name": "password", "type": "password", "autocomplete": "current-password"}},
			},
			hidden: map[string]string{"flow": "f-123", "csrf_token": "csrf-abc"},
		},
		{
			name: "register",
			data: func(lang string) interface{ Language() string } {
				return &RegisterPage{Base: base(lang), FlowID: "f-123", MinPasswordLength: 12}
			},
			action: "/register",
			fields: []fieldWant{
				{"personal_id", map[string]string{"name": "personal_id", "inputmode": "numeric", "maxlength": "12"}},
				{"full_name", map[string]string{"name": "full_name", "autocomplete": "name"}},
				{"birthdate", map[string]string{"name": "birthdate", "type": "date"}},
				{"gender_male", map[string]string{"name": "gender", "type": "radio", "value": "male"}},
				{"gender_female", map[string]string{"name": "gender", "type": "radio", "value": "female"}},
				{"email", map[string]string{"name": "email", "type": "email"}},
				{"phone", map[string]string{"name": "phone", "type": "tel"}},
				{"password", map[string]string{"name": "password", "type": "password", "autocomplete": "new-password"}},
				{"password_confirm", map[string]string{"name": "password_confirm", "type": "password", "autocomplete": "new-password"}},
			},
			hidden: map[string]string{"flow": "f-123", "csrf_token": "csrf-abc"},
		},
		{
			name: "consent",
			data: func(lang string) interface{ Language() string } {
				return &ConsentPage{Base: base(lang), FlowID: "f-123", ClientName: "Một cửa điện tử", Items: []ConsentItem{
					{Scope: "openid", Claims: []string{"sub"}},
					{Scope: "profile", Claims: []string{"name", "birthdate", "gender"}},
					{Scope: "personal_id", Claims: []string{"personal_id"}},
				}, Remember: true, Purpose: "Tiếp nhận hồ sơ một cửa", PrivacyURL: "https://motcua.tinh.gov.vn/quyen-rieng-tu"}
			},
			action: "/consent",
			fields: []fieldWant{
				{"remember", map[string]string{"name": "remember", "type": "checkbox", "checked": ""}},
			},
			hidden: map[string]string{"flow": "f-123", "csrf_token": "csrf-abc"},
		},
		{
			name: "business",
			data: func(lang string) interface{ Language() string } {
				return &BusinessPage{Base: base(lang), FlowID: "f-123", ClientName: "Cổng dịch vụ công", Businesses: []BusinessOption{
					{TaxCode: "0312345678", Name: "Công ty TNHH Minh Phát", Role: "legal_representative"},
					{TaxCode: "0312345678-001", Name: "Chi nhánh Công ty TNHH Minh Phát", Role: "authorised_staff"},
				}}
			},
			action: "/login/business",
			fields: []fieldWant{
				{"tax_code_self", map[string]string{"name": "tax_code", "type": "radio", "value": ""}},
				{"tax_code_0", map[string]string{"name": "tax_code", "type": "radio", "value": "0312345678"}},
				{"tax_code_1", map[string]string{"name": "tax_code", "type": "radio", "value": "0312345678-001"}},
			},
			hidden: map[string]string{"flow": "f-123", "csrf_token": "csrf-abc"},
		},
		{
			name: "error",
			data: func(lang string) interface{ Language() string } {
				return &ErrorPage{Base: base(lang), Status: 400, TitleKey: "error.title.oauth", MessageKey: "error.oauth",
					MessageArgs: []any{"redirect_uri mismatch"}, RequestID: "req-42", BackURL: "/login?flow=f-123"}
			},
		},
		{
			name: "message",
			data: func(lang string) interface{ Language() string } {
				return &MessagePage{Base: base(lang), TitleKey: "register.success_title", MessageKey: "register.success",
					LinkURL: "/login?flow=f-123", LinkKey: "login.submit"}
			},
		},
		{
			name: "account",
			data: func(lang string) interface{ Language() string } {
				b := base(lang)
				b.NoticeKey = "account.consent_revoked"
				return &AccountPage{Base: b, FullName: "Nguyễn Thị Thu Hà", Capacities: []string{"citizen", "official"},
					Sessions: []SessionRow{
						{ID: "sid-1", Current: true, Device: "Chrome trên Android", Address: "203.0.113.7", StartedAt: grantedAt,
							LastSeen: grantedAt, Clients: []string{"Cổng dịch vụ công"}, Level: "LoA1"},
						{ID: "sid-2", StartedAt: grantedAt, LastSeen: grantedAt},
					},
					Consents: []ConsentRow{
						{ClientID: "dvc", ClientName: "Cổng dịch vụ công", Scopes: []string{"openid", "profile"}, GrantedAt: grantedAt},
						{ClientID: "qlvb", ClientName: "", Scopes: []string{"openid", "roles"}},
					}}
			},
			action: "/account/consents/revoke",
			hidden: map[string]string{"client_id": "dvc", "csrf_token": "csrf-abc"},
		},
	}
}

func TestPagesRender(t *testing.T) {
	u := newUI(t)
	pages := samplePages()
	if len(pages) != len(pageNames) {
		t.Fatalf("sample pages cover %d of %d templates", len(pages), len(pageNames))
	}
	for _, p := range pages {
		for _, lang := range Languages() {
			t.Run(p.name+"/"+lang, func(t *testing.T) {
				rec, doc := render(t, u, http.StatusOK, p.name, p.data(lang))
				if rec.Code != http.StatusOK {
					t.Errorf("status %d", rec.Code)
				}
				if ct := rec.Header().Get("Content-Type"); ct != "text/html; charset=utf-8" {
					t.Errorf("Content-Type %q", ct)
				}
				if cl := rec.Header().Get("Content-Language"); cl != lang {
					t.Errorf("Content-Language %q", cl)
				}
				els := checkPage(t, doc, lang)
				if p.action != "" && len(find(els, "form", map[string]string{"action": p.action, "method": "post"})) == 0 {
					t.Errorf("no form posting to %s", p.action)
				}
				for _, f := range p.fields {
					want := map[string]string{"id": f.id}
					for k, v := range f.attrs {
						want[k] = v
					}
					if len(find(els, "input", want)) != 1 {
						t.Errorf("no input with %v", want)
					}
					if len(find(els, "label", map[string]string{"for": f.id})) != 1 {
						t.Errorf("no label for %q", f.id)
					}
				}
				for name, value := range p.hidden {
					if len(find(els, "input", map[string]string{"type": "hidden", "name": name, "value": value})) == 0 {
						t.Errorf("no hidden input %s=%q", name, value)
					}
				}
				if len(find(els, "a", map[string]string{"class": "skip-link", "href": "#main"})) != 1 {
					t.Errorf("no skip link")
				}
				if !strings.Contains(doc, "Cổng đăng nhập tỉnh") {
					t.Errorf("product name missing")
				}
				other := "en"
				if lang == "en" {
					other = "vi"
				}
				if len(find(els, "a", map[string]string{"lang": other, "hreflang": other})) != 1 {
					t.Errorf("no link to the %s version", other)
				}
			})
		}
	}
}

func TestPagesSpeakTheirLanguage(t *testing.T) {
	u := newUI(t)
	cases := []struct {
		name string
		data func(string) interface{ Language() string }
		vi   []string
		en   []string
	}{
		{"login", samplePages()[0].data,
			[]string{"<title>Đăng nhập – Cổng đăng nhập tỉnh</title>", "Số định danh cá nhân, email, số điện thoại hoặc tên đăng nhập cán bộ", "Đăng nhập để tiếp tục tới <strong>Cổng dịch vụ công</strong>", `href="/register?flow=f-123"`, "Đăng ký tài khoản"},
			[]string{"<title>Sign in – Cổng đăng nhập tỉnh</title>", "Sign in to continue to <strong>Cổng dịch vụ công</strong>", "Create an account"}},
		{"register", samplePages()[1].data,
			[]string{"Tối thiểu 12 ký tự", "Nhập ít nhất một trong hai"},
			[]string{"At least 12 characters", "Enter at least one"}},
		{"consent", samplePages()[2].data,
			[]string{"Ứng dụng <strong>Một cửa điện tử</strong> đề nghị", "Thông tin cơ bản", "Mã định danh tài khoản", `name="decision" value="allow"`, `name="decision" value="deny"`},
			[]string{"<strong>Một cửa điện tử</strong> would like", "Allow", "Deny"}},
		{"business", samplePages()[3].data,
			[]string{"Người đại diện theo pháp luật", "Người được ủy quyền", "Mã số thuế: 0312345678-001", "Cá nhân tôi"},
			[]string{"Legal representative", "Authorised staff", "Tax code: 0312345678", "Myself"}},
		{"error", samplePages()[4].data,
			[]string{"Không thể hoàn tất đăng nhập", "không hợp lệ: redirect_uri mismatch", "Mã yêu cầu: req-42", "Mã lỗi: 400", "Quay lại"},
			[]string{"Sign-in could not be completed", "request: redirect_uri mismatch", "Request ID: req-42", "Error code: 400"}},
		{"message", samplePages()[5].data,
			[]string{"Đăng ký thành công", "Bạn có thể đăng nhập ngay", `href="/login?flow=f-123"`},
			[]string{"Account created", "You can sign in now"}},
		{"account", samplePages()[6].data,
			[]string{"Xin chào, <strong>Nguyễn Thị Thu Hà</strong>", "Công dân", "Cán bộ, công chức, viên chức", "09:30 ngày 14/03/2025", `datetime="2025-03-14T09:30:00&#43;07:00"`, "qlvb", `role="status"`, "Đã rút lại quyền", `action="/logout"`},
			[]string{"Hello, <strong>Nguyễn Thị Thu Hà</strong>", "Citizen", "Public official", "14 March 2025, 09:30", "Withdraw permission"}},
	}
	for _, c := range cases {
		for lang, wants := range map[string][]string{"vi": c.vi, "en": c.en} {
			_, doc := render(t, u, 200, c.name, c.data(lang))
			for _, w := range wants {
				if !strings.Contains(doc, w) {
					t.Errorf("%s/%s: missing %q", c.name, lang, w)
				}
			}
		}
	}
}

func TestHostileInputIsEscaped(t *testing.T) {
	u := newUI(t)
	const evil = `<script>alert(1)</script>"><img src=x onerror=alert(2)>`
	const evilURL = `javascript:alert(3)`
	b := Base{Lang: "vi", Path: `/login?flow="><script>alert(4)</script>`, CSRFToken: `"><script>alert(5)</script>`}
	pages := map[string]interface{ Language() string }{
		"login": &LoginPage{Base: b, FlowID: evil, ClientName: evil, Identifier: evil, CanRegister: true},
		"register": &RegisterPage{Base: b, FlowID: evil, MinPasswordLength: 8,
			Values:      map[string]string{"personal_id": evil, "full_name": evil, "email": evil, "phone": evil, "birthdate": evil, "gender": evil, "password": evil},
			FieldErrors: map[string]string{"full_name": evil, evil: "error.email.invalid"}},
		"consent":  &ConsentPage{Base: b, FlowID: evil, ClientName: evil, Items: []ConsentItem{{Scope: evil, Claims: []string{evil}}}},
		"business": &BusinessPage{Base: b, FlowID: evil, ClientName: evil, Businesses: []BusinessOption{{TaxCode: evil, Name: evil, Role: evil}}},
		"error":    &ErrorPage{Base: b, TitleKey: evil, MessageKey: "error.oauth", MessageArgs: []any{evil}, RequestID: evil, BackURL: evilURL},
		"message":  &MessagePage{Base: b, TitleKey: evil, MessageKey: evil, LinkURL: evilURL, LinkKey: evil},
		"account": &AccountPage{Base: b, FullName: evil, Capacities: []string{evil},
			Consents: []ConsentRow{{ClientID: evil, ClientName: evil, Scopes: []string{evil}}}},
	}
	for name, data := range pages {
		_, doc := render(t, u, 200, name, data)
		for _, bad := range []string{"<script>alert", "<img src=x", "javascript:alert"} {
			if strings.Contains(doc, bad) {
				t.Errorf("%s: output contains %q", name, bad)
			}
		}
		if (name == "error" || name == "message") && !strings.Contains(doc, `href="#ZgotmplZ"`) {
			t.Errorf("%s: unsafe link URL not neutralised", name)
		}
		// Structure intact: no attribute injected, every field labelled.
		checkPage(t, doc, "vi")
	}
}

func TestRegisterFieldErrors(t *testing.T) {
	u := newUI(t)
	for _, lang := range Languages() {
		p := &RegisterPage{
			Base:              base(lang),
			FlowID:            "f-1",
			MinPasswordLength: 10,
			Values: map[string]string{
				"personal_id": "001099012345", "full_name": "Trần Văn Bình", "birthdate": "1999-05-01",
				"gender": "female", "email": "binh@example.vn", "password": "hunter2-secret", "password_confirm": "hunter2-secret",
			},
			FieldErrors: map[string]string{
				"password":    "error.password.too_short",
				"personal_id": "error.personal_id.province",
				"contact":     "error.contact.required",
				"gender":      "error.gender.invalid",
			},
		}
		_, doc := render(t, u, http.StatusUnprocessableEntity, "register", p)
		els := checkPage(t, doc, lang)
		if strings.Contains(doc, "hunter2-secret") {
			t.Errorf("%s: password echoed back", lang)
		}
		summary := find(els, "div", map[string]string{"class": "error-summary", "role": "alert"})
		if len(summary) != 1 {
			t.Fatalf("%s: %d error summaries with role=alert", lang, len(summary))
		}
		if !strings.Contains(doc, T(lang, "error.form.summary", 4)) {
			t.Errorf("%s: summary does not count 4 problems", lang)
		}
		if !strings.Contains(doc, T(lang, "error.password.too_short", 10)) {
			t.Errorf("%s: password length missing from its error", lang)
		}
		// Summary links point at the fields, in form order.
		var links []string
		for _, a := range find(els, "a", nil) {
			if h := a.attrs["href"]; strings.HasPrefix(h, "#") && h != "#main" {
				links = append(links, h)
			}
		}
		if want := []string{"#personal_id", "#gender_male", "#email", "#password"}; !slices.Equal(links, want) {
			t.Errorf("%s: summary links %v, want %v", lang, links, want)
		}
		for id, errID := range map[string]string{"personal_id": "personal_id-error", "password": "password-error", "email": "contact-error"} {
			in := find(els, "input", map[string]string{"id": id})
			if len(in) != 1 {
				t.Fatalf("no input %s", id)
			}
			if !slices.Contains(strings.Fields(in[0].attrs["aria-describedby"]), errID) {
				t.Errorf("%s: %s aria-describedby=%q lacks %s", lang, id, in[0].attrs["aria-describedby"], errID)
			}
		}
		if len(find(els, "input", map[string]string{"id": "personal_id", "aria-invalid": "true", "value": "001099012345"})) != 1 {
			t.Errorf("%s: personal_id not marked invalid with its value kept", lang)
		}
		if len(find(els, "input", map[string]string{"id": "full_name", "value": "Trần Văn Bình"})) != 1 {
			t.Errorf("%s: full_name value not kept", lang)
		}
		if len(find(els, "input", map[string]string{"id": "full_name", "aria-invalid": "true"})) != 0 {
			t.Errorf("%s: full_name marked invalid", lang)
		}
		if len(find(els, "input", map[string]string{"id": "gender_female", "checked": ""})) != 1 {
			t.Errorf("%s: gender choice not kept", lang)
		}
		if len(find(els, "fieldset", map[string]string{"aria-describedby": "gender-error"})) != 1 {
			t.Errorf("%s: gender error not linked to its fieldset", lang)
		}
	}
}

func TestFormErrorSummary(t *testing.T) {
	u := newUI(t)
	b := base("vi")
	b.ErrorKey = "login.too_many_attempts"
	b.ErrorArgs = []any{15}
	_, doc := render(t, u, http.StatusTooManyRequests, "login", &LoginPage{Base: b, FlowID: "f", Identifier: "0912345678"})
	els := checkPage(t, doc, "vi")
	if len(find(els, "div", map[string]string{"role": "alert", "class": "error-summary"})) != 1 {
		t.Error("no error summary with role=alert")
	}
	if !strings.Contains(doc, "thử lại sau 15 phút") {
		t.Error("error arguments not applied")
	}
	for _, id := range []string{"identifier", "password"} {
		in := find(els, "input", map[string]string{"id": id})
		if len(in) != 1 || !strings.Contains(in[0].attrs["aria-describedby"], "form-error") {
			t.Errorf("%s not described by the form error", id)
		}
	}
	if len(find(els, "input", map[string]string{"id": "identifier", "value": "0912345678"})) != 1 {
		t.Error("identifier not pre-filled")
	}
	if strings.Contains(doc, "autofocus") {
		t.Error("autofocus with an error summary present")
	}
	if strings.Contains(doc, "/register") {
		t.Error("register link shown although CanRegister is false")
	}
}

func TestRenderFailureWritesNothing(t *testing.T) {
	u := newUI(t)
	cases := map[string]struct {
		name string
		data interface{ Language() string }
	}{
		"unknown template": {"nope", &MessagePage{Base: base("vi")}},
		"wrong data":       {"login", &MessagePage{Base: base("vi")}},
		"nil pointer":      {"login", (*LoginPage)(nil)},
		"nil":              {"login", nil},
	}
	for name, c := range cases {
		rec := httptest.NewRecorder()
		rec.Code = 0
		if err := u.Render(rec, http.StatusOK, c.name, c.data); err == nil {
			t.Errorf("%s: no error", name)
		}
		if rec.Body.Len() != 0 || rec.Code != 0 || len(rec.Header()) != 0 {
			t.Errorf("%s: wrote something: code %d, headers %v, %d bytes", name, rec.Code, rec.Header(), rec.Body.Len())
		}
	}
}

func TestRenderStatusAndHeaders(t *testing.T) {
	u := newUI(t)
	rec, _ := render(t, u, http.StatusNotFound, "error", &ErrorPage{Base: Base{Lang: "fr"}, Status: 404, TitleKey: "error.title.not_found", MessageKey: "error.not_found"})
	if rec.Code != http.StatusNotFound {
		t.Errorf("status %d", rec.Code)
	}
	if rec.Header().Get("Cache-Control") != "no-store" {
		t.Errorf("Cache-Control %q", rec.Header().Get("Cache-Control"))
	}
	if !strings.Contains(rec.Body.String(), `<html lang="vi">`) || !strings.Contains(rec.Body.String(), "Không tìm thấy trang") {
		t.Error("unsupported language did not fall back to vi")
	}
	rec = httptest.NewRecorder()
	rec.Header().Set("Cache-Control", "private, max-age=60")
	if err := u.Render(rec, 0, "message", &MessagePage{Base: base("en"), TitleKey: "logout.title", MessageKey: "logout.done"}); err != nil {
		t.Fatal(err)
	}
	if rec.Code != http.StatusOK || rec.Header().Get("Cache-Control") != "private, max-age=60" {
		t.Errorf("status %d, Cache-Control %q", rec.Code, rec.Header().Get("Cache-Control"))
	}
}

func TestDefaultProductName(t *testing.T) {
	u, err := New(Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, lang := range Languages() {
		_, doc := render(t, u, 200, "message", &MessagePage{Base: base(lang), TitleKey: "logout.title"})
		if !strings.Contains(doc, T(lang, "app.name")) {
			t.Errorf("%s: default product name missing", lang)
		}
	}
}

func TestBaseLanguage(t *testing.T) {
	for in, want := range map[string]string{"vi": "vi", "en": "en", "": "vi", "EN": "vi", "fr": "vi"} {
		b := &Base{Lang: in}
		if got := b.Language(); got != want {
			t.Errorf("Language(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestNegotiate(t *testing.T) {
	cases := []struct {
		query, accept, def, want string
	}{
		{"en", "vi", "vi", "en"},
		{"vi", "en-US,en;q=0.9", "en", "vi"},
		{"EN", "", "vi", "en"},
		{"fr", "en", "vi", "en"},
		{"", "", "vi", "vi"},
		{"", "", "en", "en"},
		{"", "", "de", "vi"},
		{"", "en-US,en;q=0.9,vi;q=0.8", "vi", "en"},
		{"", "vi-VN,vi;q=0.9,en-US;q=0.8,en;q=0.7", "en", "vi"},
		{"", "en;q=0.5, vi;q=0.8", "en", "vi"},
		{"", "fr-FR, fr;q=0.9, en;q=0.4", "vi", "en"},
		{"", "fr, de", "en", "en"},
		{"", "*", "en", "en"},
		{"", "en;q=0, *", "en", "vi"},
		{"", "vi;q=0, en;q=0.1", "vi", "en"},
		{"", "en;q=abc, vi;q=0.2", "en", "vi"},
		{"", "en;q=1.5, vi;q=0.2", "en", "vi"},
		{"", "en ; Q=0.9 , vi ; q=0.95", "en", "vi"},
		{"", "en;q=0.8, vi;q=0.8", "vi", "en"},
		{"", ",,;;,", "en", "en"},
		{"", "en_GB", "vi", "en"},
	}
	for _, c := range cases {
		if got := Negotiate(c.query, c.accept, c.def); got != c.want {
			t.Errorf("Negotiate(%q, %q, %q) = %q, want %q", c.query, c.accept, c.def, got, c.want)
		}
	}
}

func TestT(t *testing.T) {
	if got := T("vi", "login.too_many_attempts", 5); got != "Bạn đã đăng nhập không thành công quá nhiều lần. Vui lòng thử lại sau 5 phút." {
		t.Errorf("vi with args: %q", got)
	}
	if got := T("en", "login.subtitle_client", "Portal"); got != "Sign in to continue to Portal" {
		t.Errorf("en with args: %q", got)
	}
	if got := T("en", "login.title", "ignored"); got != "Sign in" {
		t.Errorf("extra args: %q", got)
	}
	if got := T("vi", "no.such.key"); got != "no.such.key" {
		t.Errorf("missing key: %q", got)
	}
	if got := T("vi", "no.such.key", 1); got != "no.such.key" {
		t.Errorf("missing key with args: %q", got)
	}
	if got := T("xx", "login.title"); got != "Đăng nhập" {
		t.Errorf("unsupported language: %q", got)
	}

	// Fallback to the other language, in both directions.
	catalogs["en"]["test.only_en"] = "only in English %d"
	catalogs["vi"]["test.only_vi"] = "chỉ có tiếng Việt"
	t.Cleanup(func() {
		delete(catalogs["en"], "test.only_en")
		delete(catalogs["vi"], "test.only_vi")
	})
	if got := T("vi", "test.only_en", 3); got != "only in English 3" {
		t.Errorf("vi fallback to en: %q", got)
	}
	if got := T("en", "test.only_vi"); got != "chỉ có tiếng Việt" {
		t.Errorf("en fallback to vi: %q", got)
	}
}

func TestLanguages(t *testing.T) {
	l := Languages()
	if !slices.Equal(l, []string{"vi", "en"}) {
		t.Fatalf("Languages() = %v", l)
	}
	l[0] = "xx"
	if Languages()[0] != "vi" {
		t.Error("Languages returned its internal slice")
	}
}

func TestLangURL(t *testing.T) {
	cases := []struct{ path, lang, want string }{
		{"/login?flow=abc", "en", "/login?flow=abc&lang=en"},
		{"/login?lang=vi&flow=abc", "en", "/login?flow=abc&lang=en"},
		{"/consent?flow=a%26b&x=1", "vi", "/consent?flow=a%26b&lang=vi&x=1"},
		{"/account", "en", "/account?lang=en"},
		{"", "en", "?lang=en"},
		{"https://evil.example/x?y=1", "en", "?lang=en"},
		{"//evil.example/x", "en", "?lang=en"},
		{"/\\evil.example", "en", "/%5Cevil.example?lang=en"},
		{"javascript:alert(1)", "en", "?lang=en"},
		{"login?flow=1", "en", "/?flow=1&lang=en"},
		{"/đăng-nhập?flow=1", "vi", "/%C4%91%C4%83ng-nh%E1%BA%ADp?flow=1&lang=vi"},
		{"%zz", "en", "?lang=en"},
	}
	for _, c := range cases {
		if got := langURL(c.path, c.lang); got != c.want {
			t.Errorf("langURL(%q, %q) = %q, want %q", c.path, c.lang, got, c.want)
		}
	}
}

func TestLanguageSwitcherKeepsQuery(t *testing.T) {
	u := newUI(t)
	b := base("vi")
	b.Path = "/login?flow=f-9&lang=vi"
	_, doc := render(t, u, 200, "login", &LoginPage{Base: b, FlowID: "f-9"})
	if !strings.Contains(doc, `href="/login?flow=f-9&amp;lang=en"`) {
		t.Errorf("switcher link to en not found")
	}
	if !strings.Contains(doc, `href="/login?flow=f-9&amp;lang=vi" lang="vi" hreflang="vi" aria-current="true"`) {
		t.Errorf("current language not marked")
	}
}

func TestStrongMessage(t *testing.T) {
	if got := string(strongMessage("en", "login.subtitle_client", `<b>&"%s`)); got != "Sign in to continue to <strong>&lt;b&gt;&amp;&#34;%s</strong>" {
		t.Errorf("got %q", got)
	}
	if got := string(strongMessage("en", "login.title", "x")); got != "Sign in <strong>x</strong>" {
		t.Errorf("message without verb: %q", got)
	}
}

func TestAssets(t *testing.T) {
	u := newUI(t)
	h := u.Assets()
	for _, name := range []string{"style.css", "app.js", "logo.svg"} {
		if _, ok := u.assets[name]; !ok {
			t.Fatalf("asset %s missing", name)
		}
	}
	get := func(method, target string, hdr map[string]string) *httptest.ResponseRecorder {
		req := httptest.NewRequest(method, target, nil)
		for k, v := range hdr {
			req.Header.Set(k, v)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		return rec
	}
	css := u.assets["style.css"]
	rec := get("GET", u.assetURL("style.css"), nil)
	if rec.Code != 200 || rec.Header().Get("Content-Type") != "text/css; charset=utf-8" || rec.Body.String() != string(css.body) {
		t.Fatalf("GET style.css: %d %q", rec.Code, rec.Header().Get("Content-Type"))
	}
	if cc := rec.Header().Get("Cache-Control"); cc != "public, max-age=31536000, immutable" {
		t.Errorf("versioned Cache-Control %q", cc)
	}
	if rec.Header().Get("X-Content-Type-Options") != "nosniff" || rec.Header().Get("ETag") == "" {
		t.Errorf("headers %v", rec.Header())
	}
	rec = get("GET", "/assets/app.js", nil)
	if rec.Code != 200 || rec.Header().Get("Content-Type") != "text/javascript; charset=utf-8" {
		t.Errorf("GET app.js: %d %q", rec.Code, rec.Header().Get("Content-Type"))
	}
	if cc := rec.Header().Get("Cache-Control"); cc != "public, max-age=3600" {
		t.Errorf("unversioned Cache-Control %q", cc)
	}
	if rec := get("GET", "/assets/style.css", map[string]string{"If-None-Match": css.etag}); rec.Code != http.StatusNotModified {
		t.Errorf("conditional GET: %d", rec.Code)
	}
	if rec := get("HEAD", "/assets/logo.svg", nil); rec.Code != 200 || rec.Header().Get("Content-Type") != "image/svg+xml" {
		t.Errorf("HEAD logo.svg: %d %q", rec.Code, rec.Header().Get("Content-Type"))
	}
	for _, p := range []string{"/assets/nope.css", "/assets/", "/assets/../ui.go", "/assets/templates/layout.html", "/assets/%2e%2e/messages/vi.json"} {
		if rec := get("GET", p, nil); rec.Code != http.StatusNotFound {
			t.Errorf("GET %s: %d", p, rec.Code)
		}
	}
	if rec := get("POST", "/assets/style.css", nil); rec.Code != http.StatusMethodNotAllowed || rec.Header().Get("Allow") != "GET, HEAD" {
		t.Errorf("POST: %d", rec.Code)
	}
	// Behind http.StripPrefix the handler sees the bare name.
	strip := http.StripPrefix("/assets", h)
	req := httptest.NewRequest("GET", "/assets/app.js", nil)
	rec = httptest.NewRecorder()
	strip.ServeHTTP(rec, req)
	if rec.Code != 200 {
		t.Errorf("behind StripPrefix: %d", rec.Code)
	}
}

// TestAssetsAreCSPSafe checks the style sheet loads nothing from elsewhere
// and the script does not evaluate strings.
func TestAssetsAreCSPSafe(t *testing.T) {
	css := string(readEmbedded(t, "assets/style.css"))
	for _, bad := range []string{"@import", "url(http", "expression("} {
		if strings.Contains(css, bad) {
			t.Errorf("style.css contains %q", bad)
		}
	}
	js := string(readEmbedded(t, "assets/app.js"))
	for _, bad := range []string{"eval(", "new Function", "innerHTML", "setAttribute(\"style", ".style.", "document.write"} {
		if strings.Contains(js, bad) {
			t.Errorf("app.js contains %q", bad)
		}
	}
}

func readEmbedded(t *testing.T, name string) []byte {
	t.Helper()
	b, err := fs.ReadFile(content, name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestFormatTime(t *testing.T) {
	tm := time.Date(2024, 12, 31, 17, 5, 0, 0, time.UTC) // 00:05 on 1 January in Vietnam
	if got := formatTime("vi", tm); got != "00:05 ngày 01/01/2025" {
		t.Errorf("vi: %q", got)
	}
	if got := formatTime("en", tm); got != "1 January 2025, 00:05" {
		t.Errorf("en: %q", got)
	}
	if got := formatTime("vi", time.Time{}); got != "" {
		t.Errorf("zero: %q", got)
	}
}
