package upstream

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"

	"github.com/dinhdanh/dinhdanh/server/session"
	"github.com/dinhdanh/dinhdanh/server/web"
	"github.com/dinhdanh/dinhdanh/store"
)

// ReasonUpstreamLogout is why a session ends when its upstream provider
// announced the end of the person's session there.
const ReasonUpstreamLogout = "upstream_logout"

// backchannelEvent is the member of a logout token's events claim.
const backchannelEvent = "http://schemas.openid.net/event/backchannel-logout"

// logoutTokenSkew is how far from now a logout token's iat may be.
const logoutTokenSkew = 5 * time.Minute

// logoutToken is what a checked logout token names.
type logoutToken struct{ sub, sid string }

// checkLogoutToken verifies a provider's logout token (OpenID Connect
// Back-Channel Logout 1.0 §2.6): signature with the provider's keys, iss,
// aud dinhdanh's client, iat within logoutTokenSkew (a logout token may have
// no exp), the back-channel event, no nonce, and a sub or sid.
func (s *Step) checkLogoutToken(ctx context.Context, p *provider, raw string) (*logoutToken, error) {
	if raw == "" {
		return nil, errors.New("no logout_token")
	}
	ctx, cancel := context.WithTimeout(s.clientContext(ctx), p.Timeout)
	defer cancel()
	oid, err := s.discover(ctx, p)
	if err != nil {
		return nil, fmt.Errorf("%w: discovery: %v", errUnreachable, err)
	}
	tok, err := oid.Verifier(&oidc.Config{ClientID: p.ClientID, SkipExpiryCheck: true}).Verify(ctx, raw)
	if err != nil {
		return nil, classify("logout token", err)
	}
	var c struct {
		Events map[string]json.RawMessage `json:"events"`
		Nonce  *string                    `json:"nonce"`
		SID    string                     `json:"sid"`
		IAT    *float64                   `json:"iat"`
	}
	if err := tok.Claims(&c); err != nil {
		return nil, err
	}
	now := s.env.Now()
	if c.IAT == nil {
		return nil, errors.New("the logout token has no iat")
	}
	iat := time.Unix(int64(*c.IAT), 0)
	if iat.Before(now.Add(-logoutTokenSkew)) || iat.After(now.Add(logoutTokenSkew)) {
		return nil, fmt.Errorf("the logout token's iat %s is not near now", iat.UTC().Format(time.RFC3339))
	}
	if ev, ok := c.Events[backchannelEvent]; !ok || len(ev) == 0 || ev[0] != '{' {
		return nil, errors.New("the logout token's events lack the back-channel logout event")
	}
	if c.Nonce != nil {
		return nil, errors.New("the logout token has a nonce")
	}
	if tok.Subject == "" && c.SID == "" {
		return nil, errors.New("the logout token has neither sub nor sid")
	}
	return &logoutToken{sub: tok.Subject, sid: c.SID}, nil
}

// backchannelLogout ends the local sessions of a login through the provider
// that its logout token names, through the logout service (so applications
// are told): 200 when done, 400 with an OAuth error when the token is bad
// (nothing changes). Sessions are found by the provider's sub (linked to
// the account), narrowed by its sid when the token carries one, or by its
// sid alone (see sessionsOf).
func (s *Step) backchannelLogout(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	p, ok := s.providers[r.PathValue("name")]
	if !ok {
		web.WriteJSON(w, http.StatusNotFound, map[string]string{"error": "not_found"})
		return
	}
	ctx := r.Context()
	tok, err := s.checkLogoutToken(ctx, p, r.PostFormValue("logout_token"))
	if errors.Is(err, errUnreachable) {
		s.env.Log.Warn("upstream provider unavailable", "provider", p.Name, "step", "logout", "err", err,
			"request_id", web.RequestID(r))
		web.WriteJSON(w, http.StatusServiceUnavailable, map[string]string{"error": "temporarily_unavailable"})
		return
	}
	if err != nil {
		s.env.Log.Warn("upstream logout token refused", "provider", p.Name, "err", err, "request_id", web.RequestID(r))
		web.WriteJSON(w, http.StatusBadRequest, map[string]string{"error": "invalid_request",
			"error_description": "the logout token is not valid"})
		return
	}
	sessions, err := s.sessionsOf(ctx, p, tok)
	if err != nil {
		s.unavailableJSON(w, r, err)
		return
	}
	for _, sso := range sessions {
		if sso.Upstream != p.Name || (tok.sub != "" && sso.UpstreamSub != tok.sub) || (tok.sid != "" && sso.UpstreamSID != tok.sid) {
			continue
		}
		if err := s.env.Logout.End(ctx, sso, ReasonUpstreamLogout, "upstream:"+p.Name); err != nil {
			s.unavailableJSON(w, r, err)
			return
		}
	}
	w.WriteHeader(http.StatusOK)
}

// sessionsOf returns the live local sessions of a login through the
// provider that the logout token names: by its sub, through the account the
// sub is linked to, narrowed by its sid when the token carries one; by its
// sid alone, through the sessions' index records, when it has no sub.
func (s *Step) sessionsOf(ctx context.Context, p *provider, tok *logoutToken) ([]*session.SSO, error) {
	if tok.sub == "" {
		return s.env.Sessions.OfUpstreamSID(ctx, p.Name, tok.sid)
	}
	acct, err := s.env.Store.FindUpstreamLink(ctx, p.Name, tok.sub)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return s.env.Sessions.OfSubject(ctx, acct)
}

// unavailableJSON answers an API request that met a failing dependency.
func (s *Step) unavailableJSON(w http.ResponseWriter, r *http.Request, err error) {
	s.env.Log.Error("storage", "err", err, "path", r.URL.Path, "request_id", web.RequestID(r))
	web.WriteJSON(w, http.StatusServiceUnavailable, map[string]string{"error": "temporarily_unavailable"})
}

// EndSession returns the function that gives the URL ending a session's
// login at its upstream provider (OpenID Connect RP-Initiated Logout 1.0):
// the provider's end_session_endpoint from its discovery, with
// id_token_hint the provider's ID token of the login, client_id, and
// post_logout_redirect_uri dinhdanh's logged-out page, Issuer +
// session.PathEndSession (register it with the provider), and state when
// not "" (the provider sends it back to that page). The URL is ""
// when the provider is not configured, offers no end_session_endpoint or
// cannot be reached. EndSession returns nil when c has no provider.
func EndSession(c *Config) func(ctx context.Context, s *session.SSO, state string) string {
	st := New(nil, c)
	if st == nil {
		return nil
	}
	return st.endSessionURL
}

func (s *Step) endSessionURL(ctx context.Context, sso *session.SSO, state string) string {
	p, ok := s.providers[sso.Upstream]
	if !ok {
		return ""
	}
	ctx, cancel := context.WithTimeout(ctx, p.Timeout)
	defer cancel()
	oid, err := s.discover(ctx, p)
	if err != nil {
		return ""
	}
	var meta struct {
		EndSession string `json:"end_session_endpoint"`
	}
	if err := oid.Claims(&meta); err != nil || meta.EndSession == "" {
		return ""
	}
	u, err := url.Parse(meta.EndSession)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") {
		return ""
	}
	q := u.Query()
	if sso.UpstreamIDToken != "" {
		q.Set("id_token_hint", sso.UpstreamIDToken)
	}
	q.Set("client_id", p.ClientID)
	q.Set("post_logout_redirect_uri", strings.TrimSuffix(s.cfg.Issuer, "/")+session.PathEndSession)
	if state != "" {
		q.Set("state", state)
	}
	u.RawQuery = q.Encode()
	return u.String()
}
