package passkey

import (
	"context"
	"errors"
	"net/http"
	"net/url"

	"github.com/dinhdanh/dinhdanh/server/audit"
	"github.com/dinhdanh/dinhdanh/server/authn"
	"github.com/dinhdanh/dinhdanh/server/identity"
	"github.com/dinhdanh/dinhdanh/server/login/flow"
	"github.com/dinhdanh/dinhdanh/server/session"
	"github.com/dinhdanh/dinhdanh/server/web"
	"github.com/dinhdanh/dinhdanh/store"
)

// Step is the passkey login.
type Step struct {
	env      *flow.Env
	webauthn *authn.WebAuthn
}

// New returns the passkey step over the WebAuthn ceremonies.
func New(env *flow.Env, wa *authn.WebAuthn) *Step { return &Step{env: env, webauthn: wa} }

// Register mounts the passkey login's endpoints.
func (s *Step) Register(mux *http.ServeMux) {
	mux.HandleFunc("POST "+flow.PasskeyBegin, s.beginPasskey)
	mux.HandleFunc("POST "+flow.PasskeyFinish, s.finishPasskey)
}

func (s *Step) beginPasskey(w http.ResponseWriter, r *http.Request) {
	req, ok := s.env.Kit.ReadCeremony(w, r)
	if !ok {
		return
	}
	fl, err := s.env.Flows.Get(r.Context(), req.Flow)
	if err != nil {
		s.env.JSONFlowError(w, r, err)
		return
	}
	limit := ""
	if fl.Reauth {
		if _, ok := s.reauthSession(w, r, fl); !ok {
			return
		}
		limit = fl.AccountID
	}
	cer, err := s.webauthn.BeginPasswordless(r.Context(), fl.ID, limit, req.Conditional)
	if err != nil {
		s.env.JSONUnavailable(w, r, err)
		return
	}
	web.WriteJSON(w, http.StatusOK, map[string]any{"ceremony": cer.ID, "options": cer.Options})
}

// reauthSession returns the browser's session when it is the one the
// re-authentication flow confirms, answering the request itself otherwise.
func (s *Step) reauthSession(w http.ResponseWriter, r *http.Request, fl *flow.Flow) (*session.SSO, bool) {
	sso, err := s.env.Sessions.Get(r.Context(), r)
	if err != nil && !errors.Is(err, session.ErrNoSession) {
		s.env.JSONUnavailable(w, r, err)
		return nil, false
	}
	if sso == nil || sso.ID != fl.SID || sso.AccountID != fl.AccountID {
		s.env.Kit.JSONError(w, r, http.StatusBadRequest, "error.flow_expired")
		return nil, false
	}
	return sso, true
}

func (s *Step) finishPasskey(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	req, ok := s.env.Kit.ReadCeremony(w, r)
	if !ok {
		return
	}
	fl, err := s.env.Flows.Get(ctx, req.Flow)
	if err != nil {
		s.env.JSONFlowError(w, r, err)
		return
	}
	var current *session.SSO
	if fl.Reauth {
		if current, ok = s.reauthSession(w, r, fl); !ok {
			return
		}
	}
	res, ok := s.verify(w, r, fl, req)
	if !ok {
		return
	}
	acct, err := s.env.Store.GetAccount(ctx, res.AccountID)
	if errors.Is(err, store.ErrNotFound) || (err == nil && acct.Disabled) {
		s.env.Record(r, audit.LoginDisabled, res.AccountID, fl.ClientID, map[string]string{"method": "passkey"})
		s.env.Kit.JSONError(w, r, http.StatusForbidden, "login.account_disabled")
		return
	}
	if err != nil {
		s.env.JSONUnavailable(w, r, err)
		return
	}
	if fl.Reauth {
		if acct.ID != current.AccountID {
			// Another person's passkey confirms nobody.
			res.Refusal = authn.RefusalUnknownCredential
			s.env.WebAuthnRefused(w, r, audit.ReauthFailure, fl.ClientID, res)
			return
		}
		s.renew(w, r, fl, current, res.Methods())
		return
	}
	capacity := identity.CapacityCitizen
	if acct.PersonalID == "" && acct.Official != nil {
		capacity = identity.CapacityOfficial
	}
	if err := s.env.StartSession(w, r, fl, acct, capacity, authn.LoA2, res.Methods(), "passkey"); err != nil {
		s.env.JSONUnavailable(w, r, err)
		return
	}
	// The browser comes back for the flow in its next request.
	if err := s.env.Flows.Save(ctx, fl); err != nil {
		s.env.JSONUnavailable(w, r, err)
		return
	}
	web.WriteJSON(w, http.StatusOK, map[string]string{"redirect": "/login/resume?flow=" + url.QueryEscape(fl.ID)})
}

// verify checks the passkey's assertion under the guard, answering the
// request itself when it is refused. A passkey's signature cannot be
// guessed: the address's tries are reserved, and a refusal also counts
// toward the second factor of the account the passkey named.
func (s *Step) verify(w http.ResponseWriter, r *http.Request, fl *flow.Flow, req *web.CeremonyRequest) (authn.WebAuthnResult, bool) {
	ctx := r.Context()
	var res authn.WebAuthnResult
	checked, err := s.env.Guard.Check(ctx, "", authn.AddressKey(web.ClientAddress(r)), s.env.Sleep,
		func(ctx context.Context) (ok bool, err error) {
			res, ok, err = s.webauthn.FinishLogin(ctx, fl.ID, req.Ceremony, true, req.Credential)
			return ok, err
		})
	switch {
	case err != nil:
		s.env.JSONUnavailable(w, r, err)
		return res, false
	case checked.Refused:
		s.env.Kit.JSONError(w, r, http.StatusTooManyRequests, "login.too_many_attempts", s.env.LockMinutes())
		return res, false
	case checked.OK:
		return res, true
	}
	if res.AccountID != "" {
		if _, err := s.env.Guard.Check(ctx, authn.SecondFactorKey(res.AccountID), "", nil,
			func(context.Context) (bool, error) { return false, nil }); err != nil {
			s.env.JSONUnavailable(w, r, err)
			return res, false
		}
	}
	event := audit.LoginFailure
	if fl.Reauth {
		event = audit.ReauthFailure
	}
	s.env.WebAuthnRefused(w, r, event, fl.ClientID, res)
	return res, false
}

// renew confirms who is signed in with the passkey: the session is
// renewed, not replaced, and the flow goes back.
func (s *Step) renew(w http.ResponseWriter, r *http.Request, fl *flow.Flow, current *session.SSO, methods []string) {
	ctx := r.Context()
	if err := s.env.Sessions.Upgrade(ctx, current, authn.Highest(current.ACR, authn.LoA2), methods, s.env.Now().UTC()); err != nil {
		s.env.JSONUnavailable(w, r, err)
		return
	}
	fl.ACR, fl.AMR, fl.AuthTime = current.ACR, current.AMR, current.AuthTime
	fl.Reauth, fl.ReauthPassword, fl.Required = false, false, ""
	if err := s.env.Flows.Save(ctx, fl); err != nil {
		s.env.JSONUnavailable(w, r, err)
		return
	}
	s.env.Record(r, audit.ReauthSuccess, current.AccountID, fl.ClientID, map[string]string{"method": "passkey", "sid": current.ID})
	web.WriteJSON(w, http.StatusOK, map[string]string{"redirect": "/login/resume?flow=" + url.QueryEscape(fl.ID)})
}
