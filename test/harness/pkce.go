package harness

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"

	"golang.org/x/oauth2"
)

// PKCE is a proof key for code exchange (RFC 7636) with the S256 method.
type PKCE struct {
	Verifier  string
	Challenge string
	Method    string
}

// NewPKCE returns a fresh verifier (32 random bytes, base64url) and its S256 challenge.
func NewPKCE() PKCE {
	v := Random(32)
	sum := sha256.Sum256([]byte(v))
	return PKCE{Verifier: v, Challenge: base64.RawURLEncoding.EncodeToString(sum[:]), Method: "S256"}
}

// AuthOptions returns the authorization-request parameters code_challenge and code_challenge_method.
func (p PKCE) AuthOptions() []oauth2.AuthCodeOption {
	return []oauth2.AuthCodeOption{
		oauth2.SetAuthURLParam("code_challenge", p.Challenge),
		oauth2.SetAuthURLParam("code_challenge_method", p.Method),
	}
}

// ExchangeOption returns the token-request parameter code_verifier.
func (p PKCE) ExchangeOption() oauth2.AuthCodeOption {
	return oauth2.SetAuthURLParam("code_verifier", p.Verifier)
}

// Random returns n random bytes, base64url without padding (for state and nonce values).
func Random(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic("crypto/rand: " + err.Error())
	}
	return base64.RawURLEncoding.EncodeToString(b)
}
