package login

import (
	"context"
	"errors"
	"net/http"
	"net/url"

	"github.com/dinhdanh/dinhdanh/server/audit"
	"github.com/dinhdanh/dinhdanh/server/authn"
	"github.com/dinhdanh/dinhdanh/server/identity"
	"github.com/dinhdanh/dinhdanh/server/session"
	"github.com/dinhdanh/dinhdanh/server/web"
	"github.com/dinhdanh/dinhdanh/store"
)

// Passwordless login with a passkey.
//
// The login page offers a button and, where the browser supports it, the
// passkeys it holds in the autofill of the identifier field (conditional
// mediation). Both run the same ceremony through /login/passkey/begin and
// /login/passkey/finish, bound to the login flow: the browser picks a
// discoverable credential, the authenticator verifies its user (PIN or
// biometrics: required) and signs the challenge. A passkey that verifies its
// user is two factors at once (possession and knowledge or inherence): the
// login reaches LoA2 with amr ["hwk" or "swk", "user"]. The capacity is the
// citizen's when the person has a personal ID, else the official's.
//
// The same endpoints confirm who is signed in before a sensitive change
// (a re-authentication flow): the ceremony is then limited to that
// person's passkeys and renews the session's auth_time instead of starting
// a new session.

// passkeyEndpoints returns the passkey login endpoints, when passkeys are on.
func (h *Handler) passkeyEndpoints() (begin, finish string) {
	if h.MFA == nil || h.MFA.WebAuthn == nil {
		return "", ""
	}
	return "/login/passkey/begin", "/login/passkey/finish"
}

func (h *Handler) beginPasskey(w http.ResponseWriter, r *http.Request) {
	req, ok := h.Kit.ReadCeremony(w, r)
	if !ok {
		return
	}
	fl, err := h.env.Flows.Get(r.Context(), req.Flow)
	if err != nil {
		h.env.JSONFlowError(w, r, err)
		return
	}
	limit := ""
	if fl.Reauth {
		if _, ok := h.reauthSession(w, r, fl); !ok {
			return
		}
		limit = fl.AccountID
	}
	cer, err := h.MFA.WebAuthn.BeginPasswordless(r.Context(), fl.ID, limit, req.Conditional)
	if err != nil {
		h.env.JSONUnavailable(w, r, err)
		return
	}
	web.WriteJSON(w, http.StatusOK, map[string]any{"ceremony": cer.ID, "options": cer.Options})
}

// reauthSession returns the browser's session when it is the one the
// re-authentication flow confirms, answering the request itself otherwise.
func (h *Handler) reauthSession(w http.ResponseWriter, r *http.Request, fl *Flow) (*session.SSO, bool) {
	sso, err := h.Sessions.Get(r.Context(), r)
	if err != nil && !errors.Is(err, session.ErrNoSession) {
		h.env.JSONUnavailable(w, r, err)
		return nil, false
	}
	if sso == nil || sso.ID != fl.SID || sso.AccountID != fl.AccountID {
		h.Kit.JSONError(w, r, http.StatusBadRequest, "error.flow_expired")
		return nil, false
	}
	return sso, true
}

func (h *Handler) finishPasskey(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	req, ok := h.Kit.ReadCeremony(w, r)
	if !ok {
		return
	}
	fl, err := h.env.Flows.Get(ctx, req.Flow)
	if err != nil {
		h.env.JSONFlowError(w, r, err)
		return
	}
	var current *session.SSO
	if fl.Reauth {
		if current, ok = h.reauthSession(w, r, fl); !ok {
			return
		}
	}
	// A passkey's signature cannot be guessed: the address's tries are
	// reserved, and a refusal also counts toward the second factor of the
	// account the passkey named.
	var res authn.WebAuthnResult
	checked, err := h.Guard.Check(ctx, "", authn.AddressKey(web.ClientAddress(r)), h.Sleep,
		func(ctx context.Context) (ok bool, err error) {
			res, ok, err = h.MFA.WebAuthn.FinishLogin(ctx, fl.ID, req.Ceremony, true, req.Credential)
			return ok, err
		})
	if err != nil {
		h.env.JSONUnavailable(w, r, err)
		return
	}
	if checked.Refused {
		h.Kit.JSONError(w, r, http.StatusTooManyRequests, "login.too_many_attempts", h.env.LockMinutes())
		return
	}
	if !checked.OK {
		if res.AccountID != "" {
			if _, err := h.Guard.Check(ctx, factorKey(res.AccountID), "", nil,
				func(context.Context) (bool, error) { return false, nil }); err != nil {
				h.env.JSONUnavailable(w, r, err)
				return
			}
		}
		event := audit.LoginFailure
		if fl.Reauth {
			event = audit.ReauthFailure
		}
		h.env.WebAuthnRefused(w, r, event, fl.ClientID, res)
		return
	}
	acct, err := h.Store.GetAccount(ctx, res.AccountID)
	if errors.Is(err, store.ErrNotFound) || (err == nil && acct.Disabled) {
		h.env.Record(r, audit.LoginDisabled, res.AccountID, fl.ClientID, map[string]string{"method": "passkey"})
		h.Kit.JSONError(w, r, http.StatusForbidden, "login.account_disabled")
		return
	}
	if err != nil {
		h.env.JSONUnavailable(w, r, err)
		return
	}
	next := "/login/resume?flow=" + url.QueryEscape(fl.ID)
	methods := res.Methods()
	if fl.Reauth {
		// Confirming who is signed in: the session is renewed, not replaced.
		if err := h.Sessions.Upgrade(ctx, current, authn.Highest(current.ACR, authn.LoA2), methods, h.Now().UTC()); err != nil {
			h.env.JSONUnavailable(w, r, err)
			return
		}
		fl.ACR, fl.AMR, fl.AuthTime = current.ACR, current.AMR, current.AuthTime
		fl.Reauth, fl.ReauthPassword, fl.Required = false, false, ""
		if err := h.env.Flows.Save(ctx, fl); err != nil {
			h.env.JSONUnavailable(w, r, err)
			return
		}
		h.env.Record(r, audit.ReauthSuccess, acct.ID, fl.ClientID, map[string]string{"method": "passkey", "sid": current.ID})
		web.WriteJSON(w, http.StatusOK, map[string]string{"redirect": next})
		return
	}
	capacity := identity.CapacityCitizen
	if acct.PersonalID == "" {
		capacity = identity.CapacityOfficial
	}
	if err := h.env.StartSession(w, r, fl, acct, capacity, authn.LoA2, methods, "passkey"); err != nil {
		h.env.JSONUnavailable(w, r, err)
		return
	}
	// The browser comes back for the flow in its next request.
	if err := h.env.Flows.Save(ctx, fl); err != nil {
		h.env.JSONUnavailable(w, r, err)
		return
	}
	web.WriteJSON(w, http.StatusOK, map[string]string{"redirect": next})
}
