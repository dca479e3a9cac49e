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
// lookups by signature; a JWT is verified as a whole (VerifyAccessJWT) before
// that lookup, since its record is keyed by its signature segment only.
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
// GenerateAccessToken issues an access token (see generateAccessToken).
func (s *tokenStrategy) GenerateAccessToken(ctx context.Context, r fosite.Requester) (string, string, error) {
	return s.generateAccessToken(ctx, r)
}

// GenerateRefreshToken issues an HMAC refresh token; inside a token request
// it is remembered for the refresh reuse window.
func (s *tokenStrategy) GenerateRefreshToken(ctx context.Context, r fosite.Requester) (string, string, error) {
	tok, sig, err := s.HMACSHAStrategy.GenerateRefreshToken(ctx, r)
	if e := exchangeOf(ctx); e != nil && err == nil {
		e.newRefresh = tok
	}
	return tok, sig, err
}

func (s *tokenStrategy) generateAccessToken(ctx context.Context, r fosite.Requester) (string, string, error) {
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
		// The grant: what a durable revocation names (see recoverAccessJWT).
		claimGrant: r.GetID(),
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

// ValidateAccessToken checks an access token found in the store. A JWT was
// verified as a whole before the lookup (verifiedIntrospector), so only its
// recorded expiry is checked here.
func (s *tokenStrategy) ValidateAccessToken(ctx context.Context, r fosite.Requester, token string) error {
	if !isJWT(token) {
		return s.HMACSHAStrategy.ValidateAccessToken(ctx, r, token)
	}
	if exp := r.GetSession().GetExpiresAt(fosite.AccessToken); !exp.IsZero() && exp.Before(s.now().UTC()) {
		return fosite.ErrTokenExpired.WithHint("The access token expired.")
	}
	return nil
}

// accessTokenType is the typ header of JWT access tokens (RFC 9068 §2.1).
const accessTokenType = "at+jwt"

// VerifyAccessJWT checks a JWT access token as a whole before it is looked
// up: one signature by a published key of that key's algorithm (the
// algorithm allow-list is the key set's: "none" and HMAC never match),
// typ at+jwt, this issuer, and not expired. A token's record is keyed by
// its signature segment, so without this check a token with any header and
// payload in front of a real signature would be found.
func (s *tokenStrategy) VerifyAccessJWT(ctx context.Context, token string) error {
	_, err := s.verifiedAccessJWT(ctx, token)
	return err
}

// verifiedAccessJWT is VerifyAccessJWT returning the verified claims.
func (s *tokenStrategy) verifiedAccessJWT(ctx context.Context, token string) (jwt.MapClaims, error) {
	t, err := s.signer.Decode(ctx, token)
	if err != nil {
		if t != nil {
			return nil, fosite.ErrTokenExpired.WithHint("The access token expired.")
		}
		return nil, fosite.ErrTokenSignatureMismatch.WithHint("The access token is not a JWT signed by this issuer.").WithWrap(err)
	}
	if typ, _ := t.Header["typ"].(string); !strings.EqualFold(typ, accessTokenType) && !strings.EqualFold(typ, "application/"+accessTokenType) {
		return nil, fosite.ErrTokenSignatureMismatch.WithHint("The JWT is not an access token.")
	}
	if iss, _ := t.Claims["iss"].(string); iss != s.issuer {
		return nil, fosite.ErrTokenSignatureMismatch.WithHint("The access token was issued by another issuer.")
	}
	return t.Claims, nil
}

// verifiedIntrospector is the introspector of every token the server reads
// (introspection and userinfo): a JWT is verified as a whole
// (VerifyAccessJWT) before its record is looked up, and its verified claims
// go with the lookup, which falls back on them when the ephemeral store lost
// the record (Storage.GetAccessTokenSession); other tokens go to the store
// lookup as they are (an HMAC token's own check follows the lookup).
type verifiedIntrospector struct {
	fosite.TokenIntrospector
	strategy *tokenStrategy
}

// IntrospectToken implements fosite.TokenIntrospector.
func (v verifiedIntrospector) IntrospectToken(ctx context.Context, token string, use fosite.TokenUse, ar fosite.AccessRequester, scopes []string) (fosite.TokenUse, error) {
	if isJWT(token) {
		claims, err := v.strategy.verifiedAccessJWT(ctx, token)
		if err != nil {
			return "", err
		}
		ctx = withVerifiedJWT(ctx, v.strategy.AccessTokenSignature(ctx, token), claims)
	}
	return v.TokenIntrospector.IntrospectToken(ctx, token, use, ar, scopes)
}

// verifiedRevoker is the revocation handler: a JWT that does not verify
// (VerifyAccessJWT) names no token, and its revocation changes nothing
// (RFC 7009 §2.2: an invalid token is not an error).
type verifiedRevoker struct {
	fosite.RevocationHandler
	strategy *tokenStrategy
}

// RevokeToken implements fosite.RevocationHandler.
func (v verifiedRevoker) RevokeToken(ctx context.Context, token string, tt fosite.TokenType, c fosite.Client) error {
	if isJWT(token) {
		claims, err := v.strategy.verifiedAccessJWT(ctx, token)
		if err != nil {
			return nil
		}
		ctx = withVerifiedJWT(ctx, v.strategy.AccessTokenSignature(ctx, token), claims)
	}
	return v.RevocationHandler.RevokeToken(ctx, token, tt, c)
}
