package e2e

import (
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/dinhdanh/dinhdanh/test/harness"
)

// userinfoStatus calls /userinfo with the token as a Bearer header and
// returns the status.
func userinfoStatus(t *testing.T, srv *harness.Server, token string) int {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, srv.URL("/userinfo"), nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := srv.HTTP.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}

// segment encodes v as a JWT segment (base64url of its JSON).
func segment(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

// TestForgedAccessTokens presents JWT access tokens that reuse the signature
// segment of a real one: none is active at introspection or accepted by
// /userinfo, while the real one is.
func TestForgedAccessTokens(t *testing.T) {
	t.Parallel()
	srv := harness.Start(t)
	srv.CreateCitizen(t, dat)
	hangSub := srv.CreateCitizen(t, hang)
	app := srv.CreateClient(t, portal())
	rp := newRP(t, srv, app)
	ar, code := signInForCode(t, rp, srv.NewBrowser(t), dat)
	real := rp.exchange(t, ar, code).AccessToken
	parts := strings.Split(real, ".")
	if len(parts) != 3 {
		t.Fatalf("the access token is not a JWT: %q", real)
	}
	var header, claims map[string]any
	for i, v := range []*map[string]any{&header, &claims} {
		raw, err := base64.RawURLEncoding.DecodeString(parts[i])
		if err != nil || json.Unmarshal(raw, v) != nil {
			t.Fatalf("decoding segment %d of the access token: %v", i, err)
		}
	}
	// Another person's subject, in a payload otherwise the real one's.
	tampered := map[string]any{}
	for k, v := range claims {
		tampered[k] = v
	}
	tampered["sub"] = hangSub
	noneHeader := map[string]any{"alg": "none", "typ": "at+jwt", "kid": header["kid"]}

	if status := userinfoStatus(t, srv, real); status != http.StatusOK {
		t.Fatalf("userinfo with the real access token: %d", status)
	}
	if in := srv.Introspect(t, app, real); in["active"] != true {
		t.Fatalf("the real access token introspects %v", in)
	}
	for name, forged := range map[string]string{
		"tampered payload":          parts[0] + "." + segment(t, tampered) + "." + parts[2],
		"alg none":                  segment(t, noneHeader) + "." + parts[1] + "." + parts[2],
		"alg none, empty signature": segment(t, noneHeader) + "." + parts[1] + ".",
		"x.y.<real signature>":      "x.y." + parts[2],
	} {
		if status := userinfoStatus(t, srv, forged); status != http.StatusUnauthorized {
			t.Errorf("%s: userinfo answered %d, want 401", name, status)
		}
		if in := srv.Introspect(t, app, forged); in["active"] != false {
			t.Errorf("%s: introspection answered %v, want inactive", name, in)
		}
	}
	// A forged token names nothing to revoke: the real one stays active.
	srv.Revoke(t, app, "x.y."+parts[2], "access_token")
	if in := srv.Introspect(t, app, real); in["active"] != true {
		t.Errorf("revoking a forged token revoked the real one: %v", in)
	}
}
