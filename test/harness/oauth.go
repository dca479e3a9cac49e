package harness

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// PostForm sends an application/x-www-form-urlencoded request to a path of
// the server, authenticated as the client with HTTP Basic (client_secret_basic)
// when c is not nil, and returns the status and the body decoded as a JSON
// object (nil when the body is not one).
func (s *Server) PostForm(t testing.TB, path string, c *Client, form url.Values) (int, map[string]any) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, s.URL(path), strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	if c != nil {
		// RFC 6749 §2.3.1: the id and secret are form-encoded before Basic encoding.
		req.SetBasicAuth(url.QueryEscape(c.ID), url.QueryEscape(c.Secret))
	}
	resp, err := s.HTTP.Do(req)
	if err != nil {
		t.Fatalf("POST %s: %v", path, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("POST %s: reading the body: %v", path, err)
	}
	var m map[string]any
	if len(body) > 0 && json.Unmarshal(body, &m) != nil {
		m = nil
	}
	return resp.StatusCode, m
}

// Introspect asks the introspection endpoint (RFC 7662) about a token,
// authenticated as the client, and returns the answer; a status other than
// 200 fails the test.
func (s *Server) Introspect(t testing.TB, c *Client, token string) map[string]any {
	t.Helper()
	status, body := s.PostForm(t, "/oauth2/introspect", c, url.Values{"token": {token}})
	if status != http.StatusOK || body == nil {
		t.Fatalf("introspection: status %d, body %v", status, body)
	}
	return body
}

// Revoke revokes a token at the revocation endpoint (RFC 7009), authenticated
// as the client, with an optional token_type_hint; a status other than 200
// fails the test.
func (s *Server) Revoke(t testing.TB, c *Client, token, hint string) {
	t.Helper()
	form := url.Values{"token": {token}}
	if hint != "" {
		form.Set("token_type_hint", hint)
	}
	status, body := s.PostForm(t, "/oauth2/revoke", c, form)
	if status != http.StatusOK {
		t.Fatalf("revocation: status %d, body %v", status, body)
	}
}
