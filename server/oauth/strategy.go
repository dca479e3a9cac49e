package oauth

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"strings"
	"time"

	"github.com/ory/fosite"
	"github.com/ory/fosite/handler/oauth2"
	"github.com/ory/fosite/token/jwt"

	"github.com/dinhdanh/dinhdanh/server/keys"
	"github.com/dinhdanh/dinhdanh/store"
)

// tokenStrategy issues authorization codes and refresh tokens as HMAC tokens
// and access tokens as JWTs (RFC 9068) or HMAC tokens, per client. Every
// access token is recorded in the store, so introspection and revocation are
// lookups by signature, not signature verifications.
type tokenStrategy struct {
	*oauth2.HMACSHAStrategy
	signer    *keys.Signer
	issuer    string
	algorithm string
	now       func() time.Time
}

var _ oauth2.CoreStrategy = (*tokenStrategy)(nil)

func isJWT(token string) bool { return strings.Count(token, ".") == 2 }

// AccessTokenSignature returns the key an access token is stored under.
func (s *tokenStrategy) AccessTokenSignature(ctx context.Context, token string) string {
	if isJWT(token) {
		return token[strings.LastIndexByte(token, '.')+1:]
	}
	return s.HMACSHAStrategy.AccessTokenSignature(ctx, token)
}

// GenerateAccessToken issues an opaque token for clients registered with the
// opaque format and a signed JWT for the others.
func (s *tokenStrategy) GenerateAccessToken(ctx context.Context, r fosite.Requester) (string, string, error) {
	if c := ClientOf(r.GetClient()); c != nil && c.AccessTokenFormat == store.AccessTokenOpaque {
		return s.HMACSHAStrategy.GenerateAccessToken(ctx, r)
	}
	sess, _ := r.GetSession().(*Session)
	now := s.now().UTC()
	exp := r.GetSession().GetExpiresAt(fosite.AccessToken)
	if exp.IsZero() {
		exp = now.Add(10 * time.Minute)
	}
	jti := make([]byte, 16)
	if _, err := rand.Read(jti); err != nil {
		return "", "", err
	}
	clientID := r.GetClient().GetID()
	sub := r.GetSession().GetSubject()
	if sub == "" {
		sub = clientID
	}
	aud := []string(r.GetGrantedAudience())
	if len(aud) == 0 {
		aud = []string{clientID}
	}
	claims := jwt.MapClaims{
		"iss": s.issuer, "sub": sub, "aud": aud, "client_id": clientID,
		"exp": exp.Unix(), "iat": now.Unix(), "jti": base64.RawURLEncoding.EncodeToString(jti),
	}
	if scopes := r.GetGrantedScopes(); len(scopes) > 0 {
		claims["scope"] = strings.Join(scopes, " ")
	}
	if sess != nil {
		if !sess.AuthTime.IsZero() {
			claims["auth_time"] = sess.AuthTime.Unix()
		}
		if sess.ACR != "" {
			claims["acr"] = sess.ACR
		}
		if sess.SID != "" {
			claims["sid"] = sess.SID
		}
		if sess.Capacity != "" {
			claims["account_kind"] = sess.Capacity
		}
		if sess.TaxCode != "" {
			claims["tax_code"] = sess.TaxCode
		}
	}
	header := &jwt.Headers{Extra: map[string]any{keys.HeaderAlgorithm: s.algorithm, "typ": "at+jwt"}}
	return s.signer.Generate(ctx, claims, header)
}

// ValidateAccessToken checks an access token found in the store: the record
// proves that dinhdanh issued it, so a JWT needs only its expiry checked.
func (s *tokenStrategy) ValidateAccessToken(ctx context.Context, r fosite.Requester, token string) error {
	if !isJWT(token) {
		return s.HMACSHAStrategy.ValidateAccessToken(ctx, r, token)
	}
	if exp := r.GetSession().GetExpiresAt(fosite.AccessToken); !exp.IsZero() && exp.Before(s.now().UTC()) {
		return fosite.ErrTokenExpired.WithHint("The access token expired.")
	}
	return nil
}
