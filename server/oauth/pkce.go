package oauth

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"

	"github.com/ory/fosite"
	"github.com/ory/fosite/handler/oauth2"
	"github.com/ory/fosite/handler/pkce"
)

// pkceGuard checks PKCE (RFC 7636) at the token endpoint. fosite's handler
// deletes a code's PKCE request at the first check, right or wrong, and then
// treats the code as one issued without a challenge, so that a second
// request without a verifier got tokens. Here:
//
//   - a code whose record keeps its code_challenge (Storage.CodeChallenge,
//     every code issued through BatchAuthorize) is redeemed only with a
//     code_verifier that matches it by S256, however often it is presented
//     (its PKCE record is deleted once the check passed);
//   - any other code is checked by fosite's handler (a PKCE request kept as
//     a record of its own; a public client without one is refused);
//   - any PKCE failure spends the code (Storage.SpendCode): it can never be
//     redeemed afterwards, and the tokens of a code that a concurrent
//     exchange redeemed are revoked.
type pkceGuard struct {
	*pkce.Handler
	storage  *Storage
	strategy oauth2.AuthorizeCodeStrategy
}

var _ fosite.TokenEndpointHandler = (*pkceGuard)(nil)

// HandleTokenEndpointRequest implements fosite.TokenEndpointHandler.
func (g *pkceGuard) HandleTokenEndpointRequest(ctx context.Context, r fosite.AccessRequester) error {
	if !g.CanHandleTokenEndpointRequest(ctx, r) {
		return fosite.ErrUnknownRequest
	}
	sig := g.strategy.AuthorizeCodeSignature(ctx, r.GetRequestForm().Get("code"))
	challenge, method, err := g.storage.CodeChallenge(ctx, sig)
	if err != nil {
		return fosite.ErrServerError.WithWrap(err).WithDebug(err.Error())
	}
	if challenge != "" {
		err = checkVerifier(challenge, method, r.GetRequestForm().Get("code_verifier"))
		if err == nil {
			// The PKCE record fosite made has served: the code's record decides.
			if derr := g.storage.DeletePKCERequestSession(ctx, sig); derr != nil {
				return fosite.ErrServerError.WithWrap(derr).WithDebug(derr.Error())
			}
			return nil
		}
	} else if err = g.Handler.HandleTokenEndpointRequest(ctx, r); err == nil {
		return nil
	}
	if serr := g.storage.SpendCode(ctx, sig); serr != nil {
		return fosite.ErrServerError.WithWrap(serr).WithDebug(serr.Error())
	}
	return err
}

// checkVerifier checks a code_verifier against the code_challenge of the
// authorization request (S256 only; RFC 7636 §4.1 and §4.6). It returns an
// invalid_grant error, or nil.
func checkVerifier(challenge, method, verifier string) error {
	switch {
	case verifier == "":
		return fosite.ErrInvalidGrant.WithHint("The authorization request sent a code_challenge: the code_verifier is required.")
	case len(verifier) < 43 || len(verifier) > 128:
		return fosite.ErrInvalidGrant.WithHint("The PKCE code verifier must be 43 to 128 characters long.")
	case !verifierCharset(verifier):
		return fosite.ErrInvalidGrant.WithHint("The PKCE code verifier must only contain [a-Z], [0-9], '-', '.', '_', '~'.")
	case method != "S256":
		return fosite.ErrInvalidGrant.WithHint("The code_challenge_method of the authorization request is not supported.")
	}
	sum := sha256.Sum256([]byte(verifier))
	if subtle.ConstantTimeCompare([]byte(base64.RawURLEncoding.EncodeToString(sum[:])), []byte(challenge)) != 1 {
		return fosite.ErrInvalidGrant.WithHint("The PKCE code challenge did not match the code verifier.")
	}
	return nil
}

// verifierCharset reports whether v has only the unreserved characters of
// RFC 7636 §4.1.
func verifierCharset(v string) bool {
	for i := 0; i < len(v); i++ {
		c := v[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '.' || c == '_' || c == '~') {
			return false
		}
	}
	return true
}
