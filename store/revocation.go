package store

import (
	"context"
	"time"
)

// TokenRevocations is the durable list of revoked access tokens. Access
// tokens are recorded in the ephemeral store, whose record is the fast
// answer to "is this token active?"; a JWT access token can also be checked
// without its record (its signature says what it is), and then this list is
// the truth about its revocation: when the ephemeral store lost the record
// (Redis flushed or restarted without persistence), a JWT whose grant or
// subject is listed here is inactive, and any other one that verifies and
// has not expired is active. Every entry ends at its expiry, when the last
// token it names has expired too; DeleteExpiredRevocations removes it then.
type TokenRevocations interface {
	// RevokeGrant lists the grant requestID (the request id every token of
	// one authorization shares: a refresh-token family and its access
	// tokens) as revoked until expires. Revoking a listed grant again keeps
	// the later expiry.
	RevokeGrant(ctx context.Context, requestID string, expires time.Time) error
	// RevokeSubjectTokens lists every token of subject issued at or before
	// at as revoked, until expires (account locked). Revoking again keeps
	// the later time and the later expiry.
	RevokeSubjectTokens(ctx context.Context, subject string, at, expires time.Time) error
	// TokenRevoked reports whether a token of the grant requestID, for
	// subject ("" for none), issued at issuedAt, is revoked: its grant is
	// listed, or its subject is listed at a time at or after issuedAt
	// (compared in whole seconds, as a JWT's iat is). Expired entries count
	// for nothing.
	TokenRevoked(ctx context.Context, requestID, subject string, issuedAt, now time.Time) (bool, error)
	// DeleteExpiredRevocations removes entries whose expiry is before t and
	// returns how many.
	DeleteExpiredRevocations(ctx context.Context, t time.Time) (int64, error)
}
