package web

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
)

func TestParseFormWith(t *testing.T) {
	limits := map[string]FieldLimit{"signature": {MaxLen: 40 << 10}, "certificate": {MaxLen: 8 << 10, MaxCount: 3}}
	big := strings.Repeat("A", 30<<10)
	cert := strings.Repeat("B", 4<<10)
	for _, tt := range []struct {
		name  string
		query string
		form  url.Values
		body  string // used instead of form when set
		want  error
	}{
		{"large signature and certificates", "flow=f", url.Values{"signature": {big}, "certificate": {cert, cert, cert}, "flow": {"f"}}, "", nil},
		{"signature over its limit", "", url.Values{"signature": {big + strings.Repeat("A", 11<<10)}}, "", ErrFieldTooLong},
		{"one certificate too many", "", url.Values{"certificate": {cert, cert, cert, cert}}, "", ErrTooManyValues},
		{"a repeated limited field", "", url.Values{"signature": {"a", "b"}}, "", ErrTooManyValues},
		{"another field keeps MaxField", "", url.Values{"flow": {strings.Repeat("f", MaxField+1)}}, "", ErrFieldTooLong},
		{"a large field in the query", "signature=" + strings.Repeat("A", MaxField+1), url.Values{}, "", ErrFieldTooLong},
		{"invalid UTF-8", "", url.Values{"signature": {"\xff"}}, "", ErrInvalidUTF8},
		{"the body over MaxBody", "", url.Values{"signature": {big}, "certificate": {big[:8<<10], big[:8<<10], big[:8<<10]}, "x": {strings.Repeat("x", 20<<10)}}, "", ErrTooLarge},
		{"a malformed body", "", nil, "a=%zz", ErrBadForm},
	} {
		t.Run(tt.name, func(t *testing.T) {
			body := tt.body
			if body == "" {
				body = tt.form.Encode()
			}
			r := httptest.NewRequest(http.MethodPost, "/login/certificate?"+tt.query, strings.NewReader(body))
			r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			err := ParseFormWith(r, limits)
			if !errors.Is(err, tt.want) {
				t.Fatalf("ParseFormWith = %v, want %v", err, tt.want)
			}
			if err == nil && (r.PostForm.Get("signature") != tt.form.Get("signature") || len(r.PostForm["certificate"]) != len(tt.form["certificate"])) {
				t.Fatal("the form was not parsed")
			}
		})
	}
}

func TestContentSecurityPolicyConnecting(t *testing.T) {
	got := ContentSecurityPolicyConnecting("wss://127.0.0.1:8987/", "ws://127.0.0.1:4000; script-src *", "")
	if !strings.Contains(got, "connect-src 'self' wss://127.0.0.1:8987;") || strings.Contains(got, "script-src *") {
		t.Fatalf("policy %q", got)
	}
	if strings.Replace(got, " wss://127.0.0.1:8987", "", 1) != ContentSecurityPolicy {
		t.Fatalf("policy %q changes more than connect-src", got)
	}
}
