package oauth

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"time"

	"github.com/ory/fosite"
	"github.com/ory/fosite/token/jwt"

	"github.com/dinhdanh/dinhdanh/store"
)

// What happens to access tokens when the ephemeral store (Redis) loses its
// data:
//
//   - Every access token is recorded in the ephemeral store; the record is
//     the fast answer at introspection, userinfo and revocation.
//   - A JWT access token carries, signed, what its record holds that a
//     resource server needs (subject, client, scopes, audience, acr,
//     auth_time, sid, capacity, business) and the id of its grant
//     (claimGrant). When its record is missing because the ephemeral store
//     lost it, the token is rebuilt from its verified claims and is active
//     unless the durable revocation list (store.TokenRevocations) names its
//     grant or its subject: losing Redis does not revoke everyone.
//   - A record is missing "because the store lost it" when the token was
//     issued before the store's current generation began: a marker record
//     (generationKey) written when the store is first used, and written
//     again by the first lookup that finds it gone. A token issued after
//     it whose record is missing was removed on purpose (revoked, or
//     superseded by a refresh) and stays inactive.
//   - Every revocation is written to the durable list before the records
//     are removed (RevokeAccessToken, and the account lock). A refresh
//     that supersedes the previous access token of its family removes that
//     token's record only: after a loss of the ephemeral store, a
//     superseded JWT is active again until it expires (at most the access
//     token lifespan), like any token that was not revoked.
//   - An opaque access token is only its record: it is lost with the
//     ephemeral store, and introspects as inactive afterwards.
//   - A token rebuilt from its claims lacks what only its record kept: the
//     amr of the login, the consent to release the personal ID and the
//     verified_claims request. Introspection answers without amr; userinfo
//     releases the claims of the token's scopes without the personal ID
//     and without verified_claims.

// claimGrant is the JWT access token claim naming its grant: the request
// id shared by every token of one authorization (a refresh-token family
// and its access tokens), which a durable revocation names.
const claimGrant = "rid"

// generationKey is the key, among the access-token records, of the marker
// of the ephemeral store's generation (a key with a dot names no token).
const generationKey = "generation.v1"

// generationLife is how long the marker lives: as long as the store.
const generationLife = 10 * 365 * 24 * time.Hour

// revocationMargin is added to the access token lifespan for the life of a
// durable revocation, for the clocks of the nodes.
const revocationMargin = 5 * time.Minute

type verifiedJWTKey struct{}

// verifiedJWT is a JWT access token verified as a whole (VerifyAccessJWT):
// its signature segment (the key of its record) and its claims.
type verifiedJWT struct {
	sig    string
	claims jwt.MapClaims
}

// withVerifiedJWT returns ctx carrying the verified claims of the JWT whose
// record has key sig, for GetAccessTokenSession's fallback.
func withVerifiedJWT(ctx context.Context, sig string, claims jwt.MapClaims) context.Context {
	return context.WithValue(ctx, verifiedJWTKey{}, &verifiedJWT{sig: sig, claims: claims})
}

func verifiedJWTOf(ctx context.Context) *verifiedJWT {
	v, _ := ctx.Value(verifiedJWTKey{}).(*verifiedJWT)
	return v
}

// EnsureGeneration writes the marker of the ephemeral store's generation
// when it is missing. A node calls it when it starts, before it issues
// tokens, so that a record missing later is known to have been removed
// rather than lost.
func (s *Storage) EnsureGeneration(ctx context.Context) error {
	_, err := s.generation(ctx)
	return err
}

// generation returns when the ephemeral store's current generation began:
// the time in its marker, written now when the marker is missing.
func (s *Storage) generation(ctx context.Context) (time.Time, error) {
	rec, err := s.eph.GetRecord(ctx, store.KindAccessToken, generationKey)
	if err == nil {
		var t time.Time
		if err := t.UnmarshalText(rec.Data); err == nil {
			return t, nil
		}
	} else if !errors.Is(err, store.ErrNotFound) {
		return time.Time{}, err
	}
	now := s.now().UTC()
	data, _ := now.MarshalText()
	if err := s.eph.PutRecord(ctx, store.KindAccessToken, &store.Record{Key: generationKey, Data: data,
		ExpiresAt: now.Add(generationLife)}); err != nil {
		return time.Time{}, err
	}
	return now, nil
}

// revocationExpiry is when a durable revocation written now may be
// forgotten: every access token issued before it has expired.
func (s *Storage) revocationExpiry() time.Time {
	life := s.accessLifespan
	if life <= 0 {
		life = time.Hour
	}
	return s.now().Add(life + revocationMargin)
}

// RevocationExpiry is when a durable revocation of access tokens written
// now may be forgotten (the access token lifespan from now, with a margin).
func (s *Storage) RevocationExpiry() time.Time { return s.revocationExpiry() }

// recoverAccessJWT rebuilds the request of the JWT access token whose
// record sig is missing, from its verified claims in ctx, into session:
// when the token was issued before the ephemeral store's generation began
// (its record was lost, not removed), names its grant, and neither its
// grant nor its subject is durably revoked. Otherwise it returns
// fosite.ErrNotFound, or the error of a store.
func (s *Storage) recoverAccessJWT(ctx context.Context, sig string, session fosite.Session) (fosite.Requester, error) {
	v := verifiedJWTOf(ctx)
	if v == nil || v.sig != sig {
		return nil, fosite.ErrNotFound
	}
	c := v.claims
	rid, _ := c[claimGrant].(string)
	clientID, _ := c["client_id"].(string)
	iat, exp := claimTime(c, "iat"), claimTime(c, "exp")
	if rid == "" || clientID == "" || iat.IsZero() || exp.IsZero() {
		return nil, fosite.ErrNotFound
	}
	born, err := s.generation(ctx)
	if err != nil {
		return nil, err
	}
	if !iat.Before(born) {
		// Issued in this generation: its record was removed, not lost. (A
		// token issued within the second before the generation began, whose
		// iat has whole seconds, counts as lost: a revoked one is still
		// caught by the durable list.)
		return nil, fosite.ErrNotFound
	}
	subject, _ := c["sub"].(string)
	if subject == clientID {
		subject = "" // a client's own token (client_credentials)
	}
	now := s.now()
	revoked, err := s.durable.TokenRevoked(ctx, rid, subject, iat, now)
	if err != nil {
		return nil, err
	}
	if revoked {
		return nil, fosite.ErrNotFound
	}
	client, err := s.client(ctx, clientID)
	if errors.Is(err, store.ErrNotFound) {
		return nil, fosite.ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	sess := &Session{Subject: subject, AuthTime: claimTime(c, "auth_time")}
	sess.SetExpiresAt(fosite.AccessToken, exp)
	sess.ACR, _ = c["acr"].(string)
	sess.SID, _ = c["sid"].(string)
	sess.Capacity, _ = c["account_kind"].(string)
	sess.TaxCode, _ = c["tax_code"].(string)
	if session == nil {
		session = s.newSession()
	}
	b, err := json.Marshal(sess)
	if err != nil {
		return nil, err
	}
	if err := json.Unmarshal(b, session); err != nil {
		return nil, err
	}
	r := &fosite.Request{ID: rid, RequestedAt: iat, Client: client, Session: session, Form: map[string][]string{}}
	if scope, _ := c["scope"].(string); scope != "" {
		r.GrantedScope = strings.Fields(scope)
		r.RequestedScope = r.GrantedScope
	}
	if aud := claimStrings(c["aud"]); !(len(aud) == 1 && aud[0] == clientID) {
		r.GrantedAudience = aud
	}
	return r, nil
}

// claimTime reads a NumericDate claim; the zero time when absent.
func claimTime(c jwt.MapClaims, name string) time.Time {
	switch v := c[name].(type) {
	case float64:
		return time.Unix(int64(v), 0).UTC()
	case int64:
		return time.Unix(v, 0).UTC()
	case int:
		return time.Unix(int64(v), 0).UTC()
	case json.Number:
		if n, err := v.Int64(); err == nil {
			return time.Unix(n, 0).UTC()
		}
	}
	return time.Time{}
}

// claimStrings reads a claim that is a string or an array of strings.
func claimStrings(v any) []string {
	switch v := v.(type) {
	case string:
		return []string{v}
	case []any:
		var out []string
		for _, x := range v {
			if s, ok := x.(string); ok {
				out = append(out, s)
			}
		}
		return out
	}
	return nil
}
