package upstream

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"time"

	"github.com/dinhdanh/dinhdanh/server/audit"
	"github.com/dinhdanh/dinhdanh/server/login/flow"
	"github.com/dinhdanh/dinhdanh/server/web"
	"github.com/dinhdanh/dinhdanh/ui"
)

// reauthFreshness bounds how long before the callback the provider may
// have authenticated the person for a re-authentication (the provider is
// asked for max_age=0, so its auth_time should be the moment just before);
// reauthSkew is the clock difference tolerated for an auth_time ahead of ours.
const (
	reauthFreshness = 5 * time.Minute
	reauthSkew      = time.Minute
)

// ReauthButtons returns the buttons that confirm the signed-in person
// through a provider their account is linked to ("Xác nhận bằng VNeID"),
// for the re-authentication flow flowID: one per configured provider the
// account has a link with. It returns none on a nil Step.
func (s *Step) ReauthButtons(ctx context.Context, lang, accountID, flowID string) ([]ui.UpstreamButton, error) {
	if s == nil {
		return nil, nil
	}
	links, err := s.env.Store.UpstreamLinksOf(ctx, accountID)
	if err != nil {
		return nil, err
	}
	var out []ui.UpstreamButton
	seen := map[string]bool{}
	for _, l := range links {
		p, ok := s.providers[l.Provider]
		if !ok || seen[p.Name] {
			continue
		}
		seen[p.Name] = true
		label := p.DisplayName[lang]
		if label == "" {
			label = p.DisplayName["vi"]
		}
		if label == "" {
			label = p.Name
		}
		out = append(out, ui.UpstreamButton{Label: label,
			Href: "/login/upstream/" + url.PathEscape(p.Name) + "?flow=" + url.QueryEscape(flowID)})
	}
	return out, nil
}

// reauthStart checks, for a login sent to p to re-authenticate the
// signed-in person (a flow marked Reauth), that the flow is this browser's
// session's and that its account is linked to p. It answers the request
// and reports false when not.
func (s *Step) reauthStart(w http.ResponseWriter, r *http.Request, p *provider, fl *flow.Flow) bool {
	ff, ok := s.env.SessionFlowPage(w, r, fl.ID)
	if !ok {
		return false
	}
	_, linked, err := s.linkOf(r.Context(), ff.Account.ID, p.Name)
	if err != nil {
		s.env.Unavailable(w, r, err)
		return false
	}
	if !linked {
		s.env.Kit.Error(w, r, http.StatusNotFound, "not_found")
		return false
	}
	return true
}

// linkOf returns the subject at provider linked to the account.
func (s *Step) linkOf(ctx context.Context, accountID, provider string) ([]string, bool, error) {
	links, err := s.env.Store.UpstreamLinksOf(ctx, accountID)
	if err != nil {
		return nil, false, err
	}
	var subs []string
	for _, l := range links {
		if l.Provider == provider {
			subs = append(subs, l.Subject)
		}
	}
	return subs, len(subs) > 0, nil
}

// reauth completes a re-authentication through p: the provider's subject
// must be one linked to the flow's own account and its auth_time recent;
// then the session's auth_time is renewed, its acr becomes the provider's
// (mapped) level and its amr the provider's, as a password confirmation
// renews them, and the flow resumes (back to its local return path).
// Anything else is refused (403), audited as reauth.failure, and changes
// nothing.
func (s *Step) reauth(w http.ResponseWriter, r *http.Request, p *provider, fl *flow.Flow, id *identityClaims) {
	ctx := r.Context()
	ff, ok := s.env.SessionFlowPage(w, r, fl.ID)
	if !ok {
		return
	}
	if !ff.Flow.Reauth {
		s.env.Kit.ErrorWith(w, r, http.StatusBadRequest, "bad_request", "flow_expired")
		return
	}
	subs, _, err := s.linkOf(ctx, ff.Account.ID, p.Name)
	if err != nil {
		s.env.Unavailable(w, r, err)
		return
	}
	same := false
	for _, sub := range subs {
		if sub == id.sub {
			same = true
		}
	}
	fail := func(reason string, err error) {
		s.env.Log.Warn("upstream re-authentication refused", "provider", p.Name, "reason", reason, "err", err,
			"request_id", web.RequestID(r))
		s.env.Record(r, audit.ReauthFailure, ff.Account.ID, "", map[string]string{"method": "upstream",
			"provider": p.Name, "reason": reason, "sid": ff.SSO.ID})
		s.env.Kit.ErrorWith(w, r, http.StatusForbidden, "reauth_refused", "reauth.upstream_"+reason, s.label(w, r, p))
	}
	if !same {
		fail("other_person", fmt.Errorf("the provider authenticated %q, not the account's subject", id.sub))
		return
	}
	now := s.env.Now().UTC()
	at, ok := id.claims["auth_time"].(float64)
	authTime := time.Unix(int64(at), 0).UTC()
	if !ok || at <= 0 || now.Sub(authTime) > reauthFreshness || authTime.Sub(now) > reauthSkew {
		fail("stale", fmt.Errorf("auth_time %v is not within %s of %s", id.claims["auth_time"], reauthFreshness, now))
		return
	}
	amr := id.amr
	if len(amr) == 0 {
		amr = []string{"fed"}
	}
	if err := s.env.Sessions.Upgrade(ctx, ff.SSO, p.Level(id.acr), amr, now); err != nil {
		s.env.Unavailable(w, r, err)
		return
	}
	if err := s.env.Sessions.SetUpstream(ctx, ff.SSO, p.Name, id.sub, id.sid, id.idToken); err != nil {
		s.env.Unavailable(w, r, err)
		return
	}
	ff.Flow.Reauth, ff.Flow.ReauthPassword = false, false
	ff.Flow.ACR, ff.Flow.AMR, ff.Flow.AuthTime = ff.SSO.ACR, ff.SSO.AMR, ff.SSO.AuthTime
	s.env.Record(r, audit.ReauthSuccess, ff.Account.ID, "", map[string]string{"method": "upstream", "provider": p.Name,
		"sid": ff.SSO.ID, "acr": ff.SSO.ACR})
	s.env.Next.Resume(w, r, ff.Flow)
}
