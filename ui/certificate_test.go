package ui

import (
	"net/http"
	"strings"
	"testing"
)

var sampleCertificate = CertificateSummary{Subject: "UID=CCCD:001089012345,CN=Nguyễn Văn An,O=Sở Thông tin và Truyền thông,C=VN",
	Issuer: "CN=CA phục vụ các cơ quan Nhà nước G2,O=Ban Cơ yếu Chính phủ,C=VN", Serial: "1f2e3d", NotAfter: grantedAt}

func sampleSigningForm(action, challenge, flow, button string) SigningForm {
	return SigningForm{Action: action, ChallengeURL: challenge, FlowID: flow, CSRFToken: "csrf-abc", Adapters: "vgca",
		VGCAEndpoint: "wss://127.0.0.1:8987", ButtonKey: button}
}

func init() {
	featurePages = append(featurePages,
		page{
			name: "certificate_unknown",
			data: func(lang string) interface{ Language() string } {
				return &CertificateUnknownPage{Base: base(lang), ClientName: "Cổng dịch vụ công", Certificate: sampleCertificate,
					LoginURL: "/login?flow=f-123", Minutes: 10}
			},
		},
		page{
			name: "certificate_bind",
			data: func(lang string) interface{ Language() string } {
				return &CertificateBindPage{Base: base(lang), FlowID: "f-123", ClientName: "Cổng dịch vụ công",
					Certificate: sampleCertificate, SkipAction: "/login/certificate/bind/skip",
					Form: sampleSigningForm("/login/certificate/bind", "/login/certificate/bind/challenge", "f-123", "certificate.bind.submit")}
			},
			action: "/login/certificate/bind",
			hidden: map[string]string{"flow": "f-123", "csrf_token": "csrf-abc"},
		},
		page{
			name: "certificate_mtls",
			data: func(lang string) interface{ Language() string } {
				c := sampleCertificate
				return &CertificateMTLSPage{Base: base(lang), FlowID: "f-123", ClientName: "Quản lý văn bản", Certificate: &c,
					Action: "/login/certificate/mtls", LoginURL: "https://sso.example.gov.vn/login?flow=f-123"}
			},
			action: "/login/certificate/mtls",
			hidden: map[string]string{"flow": "f-123", "csrf_token": "csrf-abc"},
		},
		page{
			name: "certificates",
			data: func(lang string) interface{ Language() string } {
				b := base(lang)
				b.NoticeKey = "certificates.bound_done"
				return &CertificatesPage{Base: b, FullName: "Trần Thị Bình",
					Certificates: []CertificateRow{{Fingerprint: "ab12", CertificateSummary: sampleCertificate, BoundAt: grantedAt}},
					Form:         sampleSigningForm("/account/certificates/bind", "/account/certificates/challenge", "", "certificates.submit")}
			},
			action: "/account/certificates/unbind",
			hidden: map[string]string{"fingerprint": "ab12", "csrf_token": "csrf-abc"},
		},
	)
}

func TestLoginPageCertificateSection(t *testing.T) {
	u := newUI(t)
	for _, lang := range Languages() {
		p := &LoginPage{Base: base(lang), FlowID: "f-123", Certificate: &CertificateSignIn{
			Form:         sampleSigningForm("/login/certificate", "/login/certificate/challenge", "f-123", "certificate.login.submit"),
			MutualTLSURL: "https://sso.example.gov.vn:8443/login/certificate/mtls?flow=f-123"}}
		_, doc := render(t, u, http.StatusOK, "login", p)
		els := checkPage(t, doc, lang)
		forms := find(els, "form", map[string]string{"action": "/login/certificate", "method": "post",
			"data-challenge-url": "/login/certificate/challenge", "data-signing-adapters": "vgca",
			"data-vgca-endpoint": "wss://127.0.0.1:8987", "data-msg-unavailable": T(lang, "certificate.signing.unavailable")})
		if len(forms) != 1 {
			t.Fatalf("%s: no signing form posting to /login/certificate:\n%s", lang, doc)
		}
		if len(find(els, "form", map[string]string{"action": "/login"})) != 1 {
			t.Errorf("%s: the password form is gone", lang)
		}
		for _, src := range []string{"signing/adapters.js", "signing/vgca.js", "signing/signing.js"} {
			if len(find(els, "script", map[string]string{"src": u.assetURL(src), "defer": ""})) != 1 {
				t.Errorf("%s: script %s is not loaded with defer", lang, src)
			}
		}
		i, j, k := strings.Index(doc, "signing/adapters.js"), strings.Index(doc, "signing/vgca.js"), strings.Index(doc, "signing/signing.js")
		if !(i < j && j < k) {
			t.Errorf("%s: the signing scripts are not in the order adapters, vgca, signing", lang)
		}
		if len(find(els, "button", map[string]string{"data-signing-start": "", "hidden": "", "type": "button"})) != 1 {
			t.Errorf("%s: no hidden start button", lang)
		}
		if len(find(els, "a", map[string]string{"href": "https://sso.example.gov.vn:8443/login/certificate/mtls?flow=f-123"})) != 1 {
			t.Errorf("%s: no link to the mutual-TLS login", lang)
		}
		for _, want := range []string{T(lang, "certificate.login.title"), T(lang, "certificate.login.submit")} {
			if !strings.Contains(doc, want) {
				t.Errorf("%s: missing %q", lang, want)
			}
		}
	}
	// Without certificate login, nothing of it is on the page.
	_, doc := render(t, u, http.StatusOK, "login", &LoginPage{Base: base("vi"), FlowID: "f-123"})
	if strings.Contains(doc, "signing") || strings.Contains(doc, T("vi", "certificate.login.title")) {
		t.Error("the certificate section is shown with certificate login off")
	}
}

func TestCertificatePagesSpeakTheirLanguage(t *testing.T) {
	u := newUI(t)
	byName := map[string]page{}
	for _, p := range featurePages {
		byName[p.name] = p
	}
	cases := []struct {
		name   string
		vi, en []string
	}{
		{"certificate_unknown", []string{"Chứng thư số chưa gắn với tài khoản", "Không có tài khoản nào được tạo", "trong 10 phút",
			"CN=Nguyễn Văn An", `href="/login?flow=f-123"`}, []string{"No account was created", "for 10 minutes"}},
		{"certificate_bind", []string{"Gắn chứng thư số với tài khoản của bạn?", "Để sau", `action="/login/certificate/bind/skip"`,
			`data-challenge-url="/login/certificate/bind/challenge"`, "signing/signing.js"}, []string{"Link your certificate", "Not now"}},
		{"certificate_mtls", []string{"Đăng nhập bằng chứng thư số này", "Ban Cơ yếu Chính phủ", "1f2e3d"},
			[]string{"Log in with this certificate", "Back to the login page"}},
		{"certificates", []string{"Đã gắn chứng thư số", "Gỡ", "14/03/2025", `data-challenge-url="/account/certificates/challenge"`},
			[]string{"Linked certificates", "Unlink", "Sign and link"}},
	}
	for _, c := range cases {
		for lang, wants := range map[string][]string{"vi": c.vi, "en": c.en} {
			_, doc := render(t, u, http.StatusOK, c.name, byName[c.name].data(lang))
			for _, w := range wants {
				if !strings.Contains(doc, w) {
					t.Errorf("%s/%s: missing %q", c.name, lang, w)
				}
			}
		}
	}
	// Without a certificate presented, the mutual-TLS page has no form.
	_, doc := render(t, u, http.StatusOK, "certificate_mtls", &CertificateMTLSPage{Base: base("vi"), FlowID: "f", LoginURL: "/login?flow=f"})
	if strings.Contains(doc, "<form class=\"form\"") || !strings.Contains(doc, T("vi", "certificate.mtls.none")) {
		t.Error("the mutual-TLS page without a certificate")
	}
	// The step-up link replaces the signing form.
	p := byName["certificates"].data("en").(*CertificatesPage)
	p.StepUpURL = "/login/step-up?acr=LoA2&return=%2Faccount%2Fcertificates"
	_, doc = render(t, u, http.StatusOK, "certificates", p)
	if strings.Contains(doc, "data-certificate-signing") || !strings.Contains(doc, `href="/login/step-up?acr=LoA2&amp;return=%2Faccount%2Fcertificates"`) {
		t.Error("the certificates page with a step-up")
	}
}
