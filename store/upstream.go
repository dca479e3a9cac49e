package store

import "context"

// KindUpstreamLogin is the ephemeral record kind of a login sent to an
// upstream OpenID Connect provider: its state, nonce and PKCE verifier,
// taken once when the provider sends the browser back.
const KindUpstreamLogin RecordKind = "upstream_login"

// KindUpstreamSession is the ephemeral record kind that finds the sessions
// of a login through an upstream provider by the provider's sid: keyed by
// the session id, its subject names the provider and its sid.
const KindUpstreamSession RecordKind = "upstream_sid"

// KindUpstreamLogoutReturn is the ephemeral record kind of an application's
// post-logout redirect kept while the browser ends its session at an
// upstream provider: keyed by the state sent to the provider, taken once
// when the provider sends the browser back to the logged-out page.
const KindUpstreamLogoutReturn RecordKind = "upstream_logout"

// UpstreamLinks holds the subjects of upstream OpenID Connect providers
// linked to accounts: a person who logs in through a provider again finds
// the account of the first login, whatever the provider releases.
type UpstreamLinks interface {
	// LinkUpstream links the provider's subject to the account. A subject
	// already linked (to any account) is a *ConflictError with Field
	// "upstream"; an unknown account is ErrNotFound.
	LinkUpstream(ctx context.Context, provider, subject, accountID string) error
	// FindUpstreamLink returns the account linked to the provider's subject,
	// or ErrNotFound.
	FindUpstreamLink(ctx context.Context, provider, subject string) (accountID string, err error)
}
