package ui

import (
	"html/template"
	"strings"
	"testing"
)

// qrSample is a tiny PNG, enough for a data: URL.
const qrSample = template.URL("data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAAAAAA6fptVAAAACklEQVR4nGNgAAAAAgABSK+kcQAAAABJRU5ErkJggg==")

var sampleWebAuthn = WebAuthnEndpoints{Begin: "/login/mfa/webauthn/begin", Finish: "/login/mfa/webauthn/finish"}

func init() {
	featurePages = append(featurePages,
		page{
			name: "mfa",
			data: func(lang string) interface{ Language() string } {
				return &MFAPage{Base: base(lang), FlowID: "f-123", ClientName: "Quản lý văn bản", Method: "totp",
					HasTOTP: true, HasWebAuthn: true, HasRecovery: true, WebAuthn: sampleWebAuthn}
			},
			action: "/login/mfa",
			fields: []fieldWant{
				{"code", map[string]string{"name": "code", "inputmode": "numeric", "autocomplete": "one-time-code"}},
			},
			hidden: map[string]string{"flow": "f-123", "method": "totp", "csrf_token": "csrf-abc"},
		},
		page{
			name: "mfa_enrol",
			data: func(lang string) interface{ Language() string } {
				return &MFAEnrolPage{Base: base(lang), FlowID: "f-123", ClientName: "Một cửa điện tử",
					TOTPURL: "/login/mfa/totp?flow=f-123", WebAuthn: WebAuthnEndpoints{Begin: "/login/mfa/webauthn/register/begin",
						Finish: "/login/mfa/webauthn/register/finish"}}
			},
			fields: []fieldWant{{"key_name", map[string]string{"name": "key_name", "type": "text"}}},
		},
		page{
			name: "totp_setup",
			data: func(lang string) interface{ Language() string } {
				return &TOTPSetupPage{Base: base(lang), Action: "/login/mfa/totp", FlowID: "f-123", EnrolmentID: "e-1",
					QRCode: qrSample, Key: "JBSW Y3DP EHPK 3PXP", Issuer: "Định danh điện tử", AccountName: "tt.binh",
					Digits: 6, Period: 30, CancelURL: "/login/mfa?flow=f-123", InLoginFlow: true}
			},
			action: "/login/mfa/totp",
			fields: []fieldWant{
				{"totp_code", map[string]string{"name": "code", "inputmode": "numeric", "autocomplete": "one-time-code"}},
			},
			hidden: map[string]string{"flow": "f-123", "enrolment": "e-1", "csrf_token": "csrf-abc"},
		},
		page{
			name: "recovery_codes",
			data: func(lang string) interface{ Language() string } {
				return &RecoveryCodesPage{Base: base(lang), Codes: []string{"4k7pq-x2m9d", "ab12c-de34f"},
					ContinueURL: "/login/resume?flow=f-123", FirstFactor: true}
			},
		},
		page{
			name: "security",
			data: func(lang string) interface{ Language() string } {
				return &SecurityPage{Base: base(lang), FullName: "Trần Thanh Bình", Level: "LoA2",
					TOTP: &FactorRow{CreatedAt: grantedAt, LastUsedAt: grantedAt}, RecoveryLeft: 7, HasRecovery: true,
					Keys: []KeyRow{
						{ID: "Y3JlZC0x", Name: "Điện thoại của tôi", Passkey: true, Synced: true, CreatedAt: grantedAt, LastUsedAt: grantedAt},
						{ID: "Y3JlZC0y", Name: "Khóa ở cơ quan", CreatedAt: grantedAt},
					},
					WebAuthn: WebAuthnEndpoints{Begin: "/account/security/keys/begin", Finish: "/account/security/keys/finish"},
					Required: "LoA2"}
			},
			action: "/account/security/keys/remove",
			fields: []fieldWant{{"key_name", map[string]string{"name": "key_name"}}},
			hidden: map[string]string{"credential": "Y3JlZC0x", "csrf_token": "csrf-abc"},
		},
		page{
			name: "reauth",
			data: func(lang string) interface{ Language() string } {
				return &ReauthPage{Base: base(lang), FlowID: "f-123", Username: "tt.binh",
					WebAuthn: WebAuthnEndpoints{Begin: "/login/passkey/begin", Finish: "/login/passkey/finish"}}
			},
			action: "/login/reauth",
			fields: []fieldWant{
				{"username", map[string]string{"name": "username", "autocomplete": "username", "value": "tt.binh"}},
				{"password", map[string]string{"name": "password", "type": "password", "autocomplete": "current-password"}},
			},
			hidden: map[string]string{"flow": "f-123", "csrf_token": "csrf-abc"},
		},
	)
}

func TestMFAPagesSpeakTheirLanguage(t *testing.T) {
	u := newUI(t)
	byName := map[string]page{}
	for _, p := range featurePages {
		byName[p.name] = p
	}
	cases := []struct {
		name   string
		vi, en []string
	}{
		{"mfa", []string{"Xác thực hai bước", "<strong>Quản lý văn bản</strong> yêu cầu thêm một bước", "Dùng mã khôi phục",
			`href="/login/mfa?flow=f-123&amp;method=recovery"`, `data-webauthn="login"`, `data-begin="/login/mfa/webauthn/begin"`},
			[]string{"Two-step verification", "Use a recovery code", "Use a security key or passkey"}},
		{"totp_setup", []string{"Quét mã QR", `src="data:image/png;base64,`, `<span class="totp-key-group">JBSW</span>`,
			"6 chữ số, đổi sau mỗi 30 giây"},
			[]string{"Scan the QR code", "6 digits every 30 seconds"}},
		{"recovery_codes", []string{"<code>4k7pq-x2m9d</code>", "Mỗi mã chỉ dùng được một lần", `href="/login/resume?flow=f-123"`},
			[]string{"Each code works once", "I have saved the codes"}},
		{"security", []string{"Khóa truy cập", "Đồng bộ", "Bạn còn 7 mã khôi phục", `action="/account/security/totp/remove"`,
			`data-webauthn="register"`, "Điện thoại của tôi"},
			[]string{"Passkey", "You have 7 unused recovery codes", "Create a passkey"}},
		{"reauth", []string{"Xác nhận đó là bạn", "Đăng nhập bằng khóa truy cập"}, []string{"Confirm it is you"}},
		{"mfa_enrol", []string{"Để tiếp tục tới <strong>Một cửa điện tử</strong>", "Thiết lập ứng dụng xác thực"},
			[]string{"Set up an authenticator app", "Create a passkey"}},
	}
	for _, c := range cases {
		for lang, wants := range map[string][]string{"vi": c.vi, "en": c.en} {
			_, doc := render(t, u, 200, c.name, byName[c.name].data(lang))
			for _, w := range wants {
				if !strings.Contains(doc, w) {
					t.Errorf("%s/%s: missing %q", c.name, lang, w)
				}
			}
			if !strings.Contains(doc, `src="/assets/mfa.css`) && !strings.Contains(doc, `href="/assets/mfa.css`) {
				t.Errorf("%s/%s: mfa.css not loaded", c.name, lang)
			}
		}
	}
}

func TestLoginPageOffersPasskey(t *testing.T) {
	u := newUI(t)
	p := &LoginPage{Base: base("vi"), FlowID: "f-9", Passkey: WebAuthnEndpoints{Begin: "/login/passkey/begin", Finish: "/login/passkey/finish"}}
	_, doc := render(t, u, 200, "login", p)
	els := checkPage(t, doc, "vi")
	if len(find(els, "input", map[string]string{"id": "identifier", "autocomplete": "username webauthn"})) != 1 {
		t.Error("the identifier field does not offer passkeys in autofill")
	}
	if len(find(els, "div", map[string]string{"data-webauthn": "passwordless", "data-conditional": "identifier", "data-flow": "f-9"})) != 1 {
		t.Error("no passkey block")
	}
	if len(find(els, "script", map[string]string{})) < 2 || !strings.Contains(doc, "/assets/webauthn.js") {
		t.Error("webauthn.js not loaded")
	}
	// Without passkeys, nothing of it.
	_, doc = render(t, u, 200, "login", &LoginPage{Base: base("vi"), FlowID: "f-9"})
	if strings.Contains(doc, "webauthn") {
		t.Error("passkey markup without passkeys")
	}
}

func TestMFAHostileInputIsEscaped(t *testing.T) {
	u := newUI(t)
	const evil = `<script>alert(1)</script>"><img src=x onerror=alert(2)>`
	b := Base{Lang: "vi", Path: "/login/mfa", CSRFToken: evil}
	pages := map[string]interface{ Language() string }{
		"mfa":       &MFAPage{Base: b, FlowID: evil, ClientName: evil, Method: "totp", HasTOTP: true, HasWebAuthn: true, HasRecovery: true, WebAuthn: WebAuthnEndpoints{Begin: evil, Finish: evil}},
		"mfa_enrol": &MFAEnrolPage{Base: b, FlowID: evil, ClientName: evil, TOTPURL: "javascript:alert(3)", WebAuthn: WebAuthnEndpoints{Begin: evil, Finish: evil}},
		"totp_setup": &TOTPSetupPage{Base: b, Action: evil, FlowID: evil, EnrolmentID: evil, QRCode: qrSample, Key: evil,
			Issuer: evil, AccountName: evil, CancelURL: "javascript:alert(3)"},
		"recovery_codes": &RecoveryCodesPage{Base: b, Codes: []string{evil}, ContinueURL: "javascript:alert(3)"},
		"security":       &SecurityPage{Base: b, FullName: evil, Keys: []KeyRow{{ID: evil, Name: evil}}, WebAuthn: WebAuthnEndpoints{Begin: evil, Finish: evil}, Required: evil},
		"reauth":         &ReauthPage{Base: b, FlowID: evil, Username: evil},
	}
	for name, data := range pages {
		_, doc := render(t, u, 200, name, data)
		for _, bad := range []string{"<script>alert", "<img src=x", "javascript:alert"} {
			if strings.Contains(doc, bad) {
				t.Errorf("%s: output contains %q", name, bad)
			}
		}
		checkPage(t, doc, "vi")
	}
}

// TestWebAuthnScriptIsCSPSafe checks the script evaluates no strings and
// writes no markup.
func TestWebAuthnScriptIsCSPSafe(t *testing.T) {
	js := string(readEmbedded(t, "assets/webauthn.js"))
	for _, bad := range []string{"eval(", "new Function", "innerHTML", "outerHTML", ".style.", "document.write", "setTimeout(\""} {
		if strings.Contains(js, bad) {
			t.Errorf("webauthn.js contains %q", bad)
		}
	}
	css := string(readEmbedded(t, "assets/mfa.css"))
	for _, bad := range []string{"@import", "url(http", "expression("} {
		if strings.Contains(css, bad) {
			t.Errorf("mfa.css contains %q", bad)
		}
	}
}
