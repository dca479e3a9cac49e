package oauth

import (
	"context"
	"errors"
	"time"

	"github.com/ory/fosite"
)

// AccessToken is what an active access token that dinhdanh issued says,
// for a resource server inside the node (the admin API).
type AccessToken struct {
	// Subject is the person the token acts for; "" for a client's own
	// token (client_credentials).
	Subject  string
	ClientID string
	Scopes   []string
	// ACR and AuthTime are the level and the time of the login the token
	// was issued from.
	ACR      string
	AuthTime time.Time
	Capacity string
}

// ErrInactiveToken is returned by ValidateAccessToken for a token that is
// not an active access token of this provider.
var ErrInactiveToken = errors.New("oauth: the access token is not active")

// ValidateAccessToken checks an access token in-process, exactly as
// userinfo and introspection do (a lookup of its record: a revoked token,
// or one of a locked account, is inactive), and returns its session. A
// token that is not active gives ErrInactiveToken; a store that failed on
// the way gives an error for which errors.Is(err, ErrUnavailable) holds
// (answer 503, not 401).
func (p *Provider) ValidateAccessToken(ctx context.Context, token string) (*AccessToken, error) {
	sess := &Session{}
	ctx = WatchOutage(ctx)
	tt, ar, err := p.f.IntrospectToken(ctx, token, fosite.AccessToken, sess)
	if Outage(ctx, err) && err != nil {
		if !errors.Is(err, ErrUnavailable) {
			err = &unavailableError{err: err}
		}
		return nil, err
	}
	if err != nil || tt != fosite.AccessToken {
		return nil, ErrInactiveToken
	}
	at := &AccessToken{Subject: sess.Subject, ClientID: ar.GetClient().GetID(), Scopes: ar.GetGrantedScopes(),
		ACR: sess.ACR, AuthTime: sess.AuthTime, Capacity: sess.Capacity}
	if at.Subject == at.ClientID || ar.GetGrantTypes().ExactOne("client_credentials") {
		at.Subject = ""
	}
	return at, nil
}
