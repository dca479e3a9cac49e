package app_test

import (
	"encoding/json"
	"html"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/dinhdanh/dinhdanh/ui"
)

// ---------------------------------------------------------------------------
// Assertions.

// catalogs holds every message of each language, read from ui/messages.
var catalogs = func() map[string]map[string]string {
	m := map[string]map[string]string{}
	dir := filepath.Join("..", "..", "ui", "messages")
	for _, lang := range []string{"vi", "en"} {
		files, err := filepath.Glob(filepath.Join(dir, lang, "*.json"))
		if err != nil {
			panic(err)
		}
		c := map[string]string{}
		for _, f := range append([]string{filepath.Join(dir, lang+".json")}, files...) {
			data, err := os.ReadFile(f)
			if err != nil {
				panic(err)
			}
			if err := json.Unmarshal(data, &c); err != nil {
				panic(err)
			}
		}
		m[lang] = c
	}
	return m
}()

var verb = regexp.MustCompile(`%[sdv]`)

// foreignText returns a phrase of the other language's catalog found in a
// page of lang (text unescaped), or "".
func foreignText(lang, text string) string {
	other := "en"
	if lang == "en" {
		other = "vi"
	}
	for key, msg := range catalogs[other] {
		if catalogs[lang][key] == msg {
			continue
		}
		for _, part := range verb.Split(msg, -1) {
			if part = strings.TrimSpace(part); len(part) >= 16 && strings.Contains(text, part) {
				return part
			}
		}
	}
	return ""
}

// wantPage checks an HTML page: its status, its language, the message of key
// in that language (formatted with args), no phrase of the other language,
// and no redirect anywhere.
func wantPage(t *testing.T, r *response, status int, lang, key string, args ...any) {
	t.Helper()
	if r.status != status {
		t.Errorf("status = %d, want %d\n%s", r.status, status, excerpt(r.body))
	}
	if ct := r.header.Get("Content-Type"); !strings.HasPrefix(ct, "text/html") {
		t.Errorf("Content-Type = %q, want an HTML page", ct)
	}
	if loc := r.location(); loc != "" {
		t.Errorf("an error page redirects to %q", loc)
	}
	if !strings.Contains(r.body, `<html lang="`+lang+`">`) {
		t.Errorf("the page is not in %q:\n%s", lang, excerpt(r.body))
	}
	text := html.UnescapeString(r.body)
	want := ui.T(lang, key, args...)
	if want == key {
		t.Fatalf("no message %q", key)
	}
	if !strings.Contains(text, want) {
		t.Errorf("the page does not say %q (%s):\n%s", want, key, excerpt(r.body))
	}
	if f := foreignText(lang, text); f != "" {
		t.Errorf("the %s page contains %q, from the other language", lang, f)
	}
}

// wantText checks that a page shows a literal phrase.
func wantText(t *testing.T, r *response, phrase string) {
	t.Helper()
	if !strings.Contains(html.UnescapeString(r.body), phrase) {
		t.Errorf("the page does not say %q", phrase)
	}
}

// wantOAuthError checks an RFC 6749 JSON error.
func wantOAuthError(t *testing.T, r *response, status int, code string) {
	t.Helper()
	if r.status != status {
		t.Errorf("status = %d, want %d (%s)", r.status, status, excerpt(r.body))
	}
	if ct := r.header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Fatalf("Content-Type = %q, want JSON", ct)
	}
	if loc := r.location(); loc != "" {
		t.Errorf("an API error redirects to %q", loc)
	}
	var e struct {
		Error string `json:"error"`
	}
	if err := json.Unmarshal([]byte(r.body), &e); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, r.body)
	}
	if e.Error != code {
		t.Errorf("error = %q, want %q (%s)", e.Error, code, r.body)
	}
}

// wantNoRedirectTo checks that nothing was sent to an unregistered URI.
func wantNoRedirectTo(t *testing.T, r *response, uri string) {
	t.Helper()
	loc := r.location()
	if loc == "" {
		return
	}
	if u, err := url.Parse(uri); err == nil && strings.HasPrefix(strings.ToLower(loc), strings.ToLower(u.Scheme+"://"+u.Host)) {
		t.Errorf("redirected to the unregistered %q: Location %q", uri, loc)
	}
}

// wantNoLinkTo checks that a page neither links nor refers to an
// unregistered URI (its own language links carry the query percent-encoded).
func wantNoLinkTo(t *testing.T, r *response, uri string) {
	t.Helper()
	if strings.Contains(html.UnescapeString(r.body), uri) {
		t.Errorf("the page shows the unregistered %q", uri)
	}
}

// wantRedirectError checks an authorization error sent to the client's
// registered redirect URI (trusted), with the state.
func wantRedirectError(t *testing.T, r *response, redirectURI, code, state string) {
	t.Helper()
	loc := r.location()
	if r.status/100 != 3 || !strings.HasPrefix(loc, redirectURI+"?") {
		t.Fatalf("answer %d %q, want an error at %s\n%s", r.status, loc, redirectURI, excerpt(r.body))
	}
	u, _ := url.Parse(loc)
	if got := u.Query().Get("error"); got != code {
		t.Errorf("error = %q, want %q (%s)", got, code, loc)
	}
	if got := u.Query().Get("state"); got != state {
		t.Errorf("state = %q, want %q", got, state)
	}
	if u.Query().Get("code") != "" {
		t.Errorf("a code was issued with the error: %s", loc)
	}
}

func excerpt(s string) string {
	if i := strings.Index(s, `<main`); i >= 0 {
		s = s[i:]
	}
	if i := strings.Index(s, `</main>`); i >= 0 {
		s = s[:i]
	}
	if len(s) > 800 {
		s = s[:800] + "…"
	}
	return s
}
