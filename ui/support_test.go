package ui

import (
	"net/http/httptest"
	"strings"
	"testing"
)

func TestSupportContactOnErrorAndLoginPages(t *testing.T) {
	render := func(opts Options, page string, data interface{ Language() string }) string {
		t.Helper()
		u, err := New(opts)
		if err != nil {
			t.Fatal(err)
		}
		rec := httptest.NewRecorder()
		if err := u.Render(rec, 500, page, data); err != nil {
			t.Fatal(err)
		}
		return rec.Body.String()
	}
	// Nothing configured: nothing shown.
	for _, page := range []string{"error", "login"} {
		var data interface{ Language() string } = &ErrorPage{Base: Base{Lang: "vi"}}
		if page == "login" {
			data = &LoginPage{Base: Base{Lang: "vi"}}
		}
		if out := render(Options{}, page, data); strings.Contains(out, "support-contact") {
			t.Errorf("%s shows a support contact when none is configured", page)
		}
	}
	opts := Options{Support: SupportContact{Text: map[string]string{"vi": "Tổ hỗ trợ Sở TT&TT"}, Email: "hotro@example.vn",
		Phone: "+84 (236) 1022", URL: "https://example.vn/ho-tro"}}
	en := render(opts, "error", &ErrorPage{Base: Base{Lang: "en"}})
	for _, want := range []string{`href="mailto:hotro@example.vn"`, `href="tel:&#43;842361022"`, `href="https://example.vn/ho-tro"`,
		"Tổ hỗ trợ Sở TT&amp;TT", T("en", "support.title")} {
		if !strings.Contains(en, want) {
			t.Errorf("the English error page lacks %s:\n%s", want, en)
		}
	}
	if vi := render(opts, "login", &LoginPage{Base: Base{Lang: "vi"}}); !strings.Contains(vi, T("vi", "support.title")) || !strings.Contains(vi, `href="tel:&#43;842361022"`) {
		t.Errorf("the login page has no support contact")
	}
	// Values that are not what they claim are dropped, never linked.
	bad := render(Options{Support: SupportContact{Email: `x@y" onclick="a`, Phone: "call us", URL: "javascript:alert(1)"}}, "error",
		&ErrorPage{Base: Base{Lang: "vi"}})
	if strings.Contains(bad, "support-contact") || strings.Contains(bad, "javascript") {
		t.Errorf("bad support values are shown:\n%s", bad)
	}
}
