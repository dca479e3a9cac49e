package enrol

import (
	"net/http"
	"strconv"

	"github.com/dinhdanh/dinhdanh/server/audit"
	"github.com/dinhdanh/dinhdanh/server/authn"
	"github.com/dinhdanh/dinhdanh/server/login/flow"
	"github.com/dinhdanh/dinhdanh/server/web"
	"github.com/dinhdanh/dinhdanh/ui"
)

// Security-key enrolment within a login: the JSON endpoints of the
// WebAuthn registration ceremony.

// enrolmentCeremony reads a WebAuthn ceremony request for enrolling a
// security key within a login and loads its flow, answering JSON errors
// itself: enrolment there is for the first factor only.
func (s *Step) enrolmentCeremony(w http.ResponseWriter, r *http.Request) (*web.CeremonyRequest, *flow.SessionFlow, bool) {
	req, ff, ok := s.env.FactorCeremony(w, r)
	if !ok {
		return nil, nil, false
	}
	fs, err := s.mfa.Inventory.Of(r.Context(), ff.Account.ID)
	if err != nil {
		s.env.JSONUnavailable(w, r, err)
		return nil, nil, false
	}
	if fs.Any() {
		s.env.Kit.JSONError(w, r, http.StatusBadRequest, "error.flow_expired")
		return nil, nil, false
	}
	return req, ff, true
}

func (s *Step) beginKeyEnrolment(w http.ResponseWriter, r *http.Request) {
	req, ff, ok := s.enrolmentCeremony(w, r)
	if !ok {
		return
	}
	cer, err := s.mfa.WebAuthn.BeginRegistration(r.Context(), authn.UserOf(ff.Account, ff.Flow.Capacity, nil), req.Passkey, ff.Flow.ID)
	if err != nil {
		s.env.JSONUnavailable(w, r, err)
		return
	}
	web.WriteJSON(w, http.StatusOK, map[string]any{"ceremony": cer.ID, "options": cer.Options})
}

func (s *Step) finishKeyEnrolment(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	req, ff, ok := s.enrolmentCeremony(w, r)
	if !ok {
		return
	}
	name := authn.KeyName(req.Name, ui.T(s.env.Kit.Lang(w, r), "security.key_default_name"))
	res, ok, err := s.mfa.WebAuthn.FinishRegistration(ctx, authn.UserOf(ff.Account, ff.Flow.Capacity, nil), ff.Flow.ID,
		req.Ceremony, name, req.Credential)
	if err != nil {
		s.env.JSONUnavailable(w, r, err)
		return
	}
	if !ok {
		res.AccountID = ff.Account.ID
		s.env.WebAuthnRefused(w, r, audit.MFAWebAuthnRegistrationFailure, ff.Flow.ClientID, res)
		return
	}
	s.env.Record(r, audit.MFAWebAuthnRegistered, ff.Account.ID, ff.Flow.ClientID, map[string]string{"name": name,
		"passkey": strconv.FormatBool(res.Credential.Discoverable)})
	if err := s.enrolled(r, ff); err != nil {
		s.env.JSONUnavailable(w, r, err)
		return
	}
	web.WriteJSON(w, http.StatusOK, map[string]string{"redirect": codesURL(ff.Flow)})
}
