package flow

import (
	"net/http"
	"net/url"
	"time"

	"github.com/dinhdanh/dinhdanh/server/audit"
	"github.com/dinhdanh/dinhdanh/server/authn"
	"github.com/dinhdanh/dinhdanh/server/web"
	"github.com/dinhdanh/dinhdanh/ui"
)

// MFA is what the login flow needs for second factors and levels of
// assurance.
//
// The level a login must reach is the highest of: the minimum of the
// person's kind (Policy: citizen, official, administrator), raised to
// Policy.Enrolled for a person who has a second factor, the client's
// minimum (store.Client.MinimumACR), the first value of acr_values that can
// be reached (acr_values is voluntary, in order of preference), and the
// lowest reachable value of acr requested as an essential claim in the
// claims parameter. A client minimum or an essential acr that cannot be
// reached (LoA3 comes only from a certificate login) ends the request with
// unmet_authentication_requirements at the client; a voluntary one is left
// out. A login below the level is sent to the second-factor step, which asks
// only for the missing factor: the password part stays, the SSO session is
// upgraded (acr LoA2, amr with the factor and "mfa") and the flow resumes.
// A person who needs a second factor and has none enrols one there.
type MFA struct {
	TOTP     *authn.TOTP
	Recovery *authn.Recovery
	// WebAuthn is nil when security keys and passkeys are off.
	WebAuthn *authn.WebAuthn
	Policy   authn.Policy
	// Inventory tells which second factors an account has.
	Inventory *authn.Inventory
}

// WebAuthnEndpoints are the ceremony endpoints begin and finish for a page,
// or none (the page offers no security key) when m or its WebAuthn is nil.
func (m *MFA) WebAuthnEndpoints(begin, finish string) ui.WebAuthnEndpoints {
	if m == nil || m.WebAuthn == nil {
		return ui.WebAuthnEndpoints{}
	}
	return ui.WebAuthnEndpoints{Begin: begin, Finish: finish}
}

// FactorFlowPage returns the flow named id for the pages of the
// second-factor and enrolment steps, or answers the request itself: an
// error page, the password step of a re-authentication whose password is
// not confirmed yet (/login/reauth), or the dispatcher (/login/resume) for a
// flow of which nothing more is asked.
func (e *Env) FactorFlowPage(w http.ResponseWriter, r *http.Request, id string) (*SessionFlow, bool) {
	ff, ok := e.SessionFlowPage(w, r, id)
	if !ok {
		return nil, false
	}
	if ff.Flow.Reauth && !ff.Flow.ReauthPassword {
		web.Redirect(w, r, "/login/reauth?flow="+url.QueryEscape(ff.Flow.ID))
		return nil, false
	}
	if ff.Flow.Required == "" && !ff.Flow.Reauth {
		// Nothing more is asked of this flow.
		web.Redirect(w, r, "/login/resume?flow="+url.QueryEscape(ff.Flow.ID))
		return nil, false
	}
	return ff, true
}

// FactorCeremony reads a WebAuthn ceremony request of the second-factor or
// enrolment step and loads its flow, answering JSON errors itself: a flow
// of which no second factor is asked (or whose re-authentication password
// is not confirmed yet) has expired for the ceremony.
func (e *Env) FactorCeremony(w http.ResponseWriter, r *http.Request) (*web.CeremonyRequest, *SessionFlow, bool) {
	req, ok := e.Kit.ReadCeremony(w, r)
	if !ok {
		return nil, nil, false
	}
	ff, ok := e.SessionFlowJSON(w, r, req.Flow)
	if !ok {
		return nil, nil, false
	}
	if (ff.Flow.Required == "" && !ff.Flow.Reauth) || (ff.Flow.Reauth && !ff.Flow.ReauthPassword) {
		e.Kit.JSONError(w, r, http.StatusBadRequest, "error.flow_expired")
		return nil, nil, false
	}
	return req, ff, true
}

// CompleteFactor records a second factor proved in the flow (methods: its
// amr values; via: the audited method): the SSO session and the flow reach
// LoA2 and gain the factor's methods (a re-authentication also renews the
// session's auth_time, and keeps the password alone as the factor it had),
// the flow asks for nothing more, the success is audited (MFASuccess, or
// ReauthSuccess for a re-authentication) and the flow is saved. An error is
// an outage; the session may then be upgraded already.
func (e *Env) CompleteFactor(r *http.Request, ff *SessionFlow, methods []string, via string) error {
	ctx := r.Context()
	now := e.Now().UTC()
	had := ff.SSO.AMR
	var authTime time.Time
	if ff.Flow.Reauth {
		had, authTime = []string{authn.AMRPassword}, now
	}
	amr := authn.SecondFactor(had, methods)
	acr := authn.Highest(ff.SSO.ACR, authn.LoA2)
	if err := e.Sessions.Upgrade(ctx, ff.SSO, acr, amr, authTime); err != nil {
		return err
	}
	fl := ff.Flow
	fl.ACR, fl.AMR = acr, amr
	if fl.LoginDone {
		fl.AuthTime = ff.SSO.AuthTime
	}
	event := audit.MFASuccess
	if fl.Reauth {
		event = audit.ReauthSuccess
	}
	fl.Required, fl.Reauth, fl.ReauthPassword = "", false, false
	e.Record(r, event, ff.Account.ID, fl.ClientID, map[string]string{"method": via, "sid": ff.SSO.ID, "acr": acr})
	return e.Flows.Save(ctx, fl)
}

// RenderEnrol shows the enrolment step's page, which leads a person who has
// no second factor through setting up a first one (an authenticator app at
// /login/mfa/totp, a security key when m offers WebAuthn), with status and
// an error message key ("" for none). The second-factor step shows it too,
// in place of its own page, to a person who has no factor.
func (e *Env) RenderEnrol(w http.ResponseWriter, r *http.Request, m *MFA, status int, fl *Flow, errKey string) {
	base := e.Kit.Base(w, r)
	base.ErrorKey = errKey
	e.Kit.Render(w, r, status, "mfa_enrol", &ui.MFAEnrolPage{Base: base, FlowID: fl.ID, ClientName: fl.ClientName,
		TOTPURL:  "/login/mfa/totp?flow=" + url.QueryEscape(fl.ID),
		WebAuthn: m.WebAuthnEndpoints("/login/mfa/webauthn/register/begin", "/login/mfa/webauthn/register/finish")})
}
