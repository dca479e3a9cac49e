package factor

import (
	"context"
	"errors"
	"net/http"
	"net/url"

	"github.com/dinhdanh/dinhdanh/server/audit"
	"github.com/dinhdanh/dinhdanh/server/authn"
	"github.com/dinhdanh/dinhdanh/server/web"
)

// A security key as second factor: the JSON endpoints of the WebAuthn
// login ceremony, for the flow's account only.

func (s *Step) beginKeyFactor(w http.ResponseWriter, r *http.Request) {
	_, ff, ok := s.env.FactorCeremony(w, r)
	if !ok {
		return
	}
	cer, err := s.mfa.WebAuthn.BeginLogin(r.Context(), ff.Account.ID, ff.Flow.ID)
	if errors.Is(err, authn.ErrNoCredentials) {
		s.env.Kit.JSONError(w, r, http.StatusBadRequest, "webauthn.refused.unknown_credential")
		return
	}
	if err != nil {
		s.env.JSONUnavailable(w, r, err)
		return
	}
	web.WriteJSON(w, http.StatusOK, map[string]any{"ceremony": cer.ID, "options": cer.Options})
}

func (s *Step) finishKeyFactor(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	req, ff, ok := s.env.FactorCeremony(w, r)
	if !ok {
		return
	}
	var res authn.WebAuthnResult
	checked, err := s.env.Guard.Check(ctx, authn.SecondFactorKey(ff.Account.ID), authn.AddressKey(web.ClientAddress(r)), s.env.Sleep,
		func(ctx context.Context) (bool, error) {
			var ok bool
			var err error
			res, ok, err = s.mfa.WebAuthn.FinishLogin(ctx, ff.Flow.ID, req.Ceremony, false, req.Credential)
			return ok && res.AccountID == ff.Account.ID, err
		})
	if err != nil {
		s.env.JSONUnavailable(w, r, err)
		return
	}
	if checked.Refused {
		s.env.Kit.JSONError(w, r, http.StatusTooManyRequests, "mfa.too_many_attempts", s.env.LockMinutes())
		return
	}
	if !checked.OK {
		if res.Refusal == "" {
			res.Refusal = authn.RefusalUnknownCredential
		}
		s.env.WebAuthnRefused(w, r, audit.MFAFailure, ff.Flow.ClientID, res)
		return
	}
	if err := s.env.CompleteFactor(r, ff, res.Methods(), "webauthn"); err != nil {
		s.env.JSONUnavailable(w, r, err)
		return
	}
	web.WriteJSON(w, http.StatusOK, map[string]string{"redirect": "/login/resume?flow=" + url.QueryEscape(ff.Flow.ID)})
}
