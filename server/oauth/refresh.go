package oauth

import (
	"context"
	"errors"
	"time"

	"github.com/ory/fosite"

	"github.com/dinhdanh/dinhdanh/server/identity"
	"github.com/dinhdanh/dinhdanh/store"
)

// defaultRefreshFamilyLifetime is the absolute lifetime of a refresh-token
// family when Options do not set one.
const defaultRefreshFamilyLifetime = 30 * 24 * time.Hour

// refreshSession checks a refresh request that fosite accepted and brings
// the session of the new tokens (fosite's clone of the stored one) up to
// date, in this order:
//
//  1. the family's absolute lifetime: past FamilyExpiresAt (for a session
//     stored without it, auth_time plus the lifetime) the family is revoked
//     and the refresh refused with invalid_grant;
//  2. the account, read fresh: a locked or deleted account gets no tokens,
//     and its family is revoked (invalid_grant);
//  3. the business: a session that acts for a business whose representation
//     is gone acts for the person themselves from now on (TaxCode cleared, no
//     tax_code and business claims);
//  4. the ID token's claims are rebuilt from the account as it is now, as
//     Issue builds them (names, roles, groups, title…), keeping sid.
//
// A store that cannot answer gives temporarily_unavailable and changes
// nothing. It returns nil for a session that is not a *Session with a subject.
func (p *Provider) refreshSession(ctx context.Context, ar fosite.AccessRequester) error {
	s, _ := ar.GetSession().(*Session)
	if s == nil || s.Subject == "" {
		return nil
	}
	if s.FamilyExpiresAt.IsZero() {
		start := s.AuthTime
		if start.IsZero() {
			start = p.now()
		}
		s.FamilyExpiresAt = start.UTC().Add(p.opts.RefreshFamilyLifetime).Truncate(time.Second)
	}
	if !p.now().Before(s.FamilyExpiresAt) {
		return p.refuseFamily(ctx, ar, "The refresh token's family expired: the person must sign in again.")
	}

	acct, err := p.store.GetAccount(ctx, s.Subject)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return unavailable(err)
	}
	if acct == nil || acct.Disabled {
		return p.refuseFamily(ctx, ar, "The account is locked.")
	}

	var biz *identity.Representation
	if s.TaxCode != "" {
		reps, err := p.store.Representations(ctx, acct.ID)
		if err != nil {
			return unavailable(err)
		}
		for _, rep := range reps {
			if string(rep.TaxCode) == s.TaxCode {
				biz = rep
			}
		}
		if biz == nil {
			s.TaxCode = ""
		}
	}

	extra := acct.Claims(identity.ClaimRequest{Scopes: ar.GetGrantedScopes(), Capacity: identity.Capacity(s.Capacity),
		Business: biz, PersonalIDConsented: s.PersonalIDConsented, Verified: s.VerifiedIDToken})
	claimProfile(ClientOf(ar.GetClient())).Apply(extra)
	extra["sid"] = s.SID
	s.IDTokenClaims().Extra = extra
	return nil
}

// refuseFamily revokes the refresh and access tokens of the request's family
// and returns invalid_grant with hint; when the revocation cannot be written
// it returns temporarily_unavailable instead, so that no refusal looks final
// before it is.
func (p *Provider) refuseFamily(ctx context.Context, ar fosite.AccessRequester, hint string) error {
	if err := p.Storage.RevokeRefreshToken(ctx, ar.GetID()); err != nil {
		return unavailable(err)
	}
	if err := p.Storage.RevokeAccessToken(ctx, ar.GetID()); err != nil {
		return unavailable(err)
	}
	return fosite.ErrInvalidGrant.WithHint(hint)
}

// unavailable is the token endpoint's answer when a store fails: 503
// temporarily_unavailable, the cause kept for the log.
func unavailable(err error) error {
	return fosite.ErrTemporarilyUnavailable.WithWrap(err).WithDebug(err.Error())
}
