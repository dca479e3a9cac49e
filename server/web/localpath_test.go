package web

import (
	"net/url"
	"strings"
	"testing"
)

func TestLocalPath(t *testing.T) {
	for _, tc := range []struct {
		in string
		ok bool
	}{
		{"/account", true},
		{"/account/security?done=totp_removed", true},
		{"/account#keys", true},
		{"/a/b%2Fc", true},
		{"", false},
		{"account", false},
		{"//evil.example", false},
		{"///evil.example", false},
		{"/\\evil.example", false},
		{"/\t/evil.example", false},
		{"/\n/evil.example", false},
		{"/\r/evil.example", false},
		{"/ /evil.example", false},
		{"/\x00", false},
		{"/\x7f", false},
		{"\\\\evil.example", false},
		{"https://evil.example/", false},
		{"javascript:alert(1)", false},
		{"/%2F/evil.example", false},
		{"/%2f%2fevil.example", false},
		{"/.//evil.example", false},
		{"/a/..//evil.example", false},
		{"/%2e%2e/x", false},
		{"/" + strings.Repeat("a", MaxLocalPath), false},
	} {
		got, ok := LocalPath(tc.in)
		if ok != tc.ok || (ok && got != tc.in) {
			t.Errorf("LocalPath(%q) = %q, %v; want ok %v", tc.in, got, ok, tc.ok)
		}
	}
	if got := LocalPathOr("//evil.example", "/account"); got != "/account" {
		t.Errorf("LocalPathOr fell back to %q", got)
	}
}

// FuzzLocalPath checks that whatever LocalPath accepts, a browser resolves
// against this server to this server: the same scheme and host, whatever
// control characters it would strip.
func FuzzLocalPath(f *testing.F) {
	for _, s := range []string{"/account", "//evil.example", "/\t/evil.example", "/\\evil", "/%2F%2Fx", "https://x/",
		"/a?b=//c", "/.//x", "/..", "/%09/evil", "/@evil.example", "/:80"} {
		f.Add(s)
	}
	base, _ := url.Parse("https://id.example.gov.vn/login/step-up")
	f.Fuzz(func(t *testing.T, raw string) {
		p, ok := LocalPath(raw)
		if !ok {
			return
		}
		if p != raw {
			t.Fatalf("LocalPath(%q) changed it to %q", raw, p)
		}
		// What a browser does first (WHATWG URL): strip tab and newline
		// anywhere, treat "\" as "/". LocalPath refused both, so the
		// string must be unchanged by that.
		cleaned := strings.NewReplacer("\t", "", "\n", "", "\r", "", "\\", "/").Replace(p)
		if cleaned != p {
			t.Fatalf("LocalPath accepted %q, which a browser reads as %q", raw, cleaned)
		}
		ref, err := url.Parse(cleaned)
		if err != nil {
			t.Fatalf("LocalPath accepted %q, which does not parse: %v", raw, err)
		}
		got := base.ResolveReference(ref)
		if got.Scheme != base.Scheme || got.Host != base.Host || got.User != nil {
			t.Fatalf("LocalPath accepted %q, which resolves to %s", raw, got)
		}
		if strings.HasPrefix(got.EscapedPath(), "//") {
			t.Fatalf("LocalPath accepted %q, whose path %q a later redirect could read as a host", raw, got.EscapedPath())
		}
	})
}
