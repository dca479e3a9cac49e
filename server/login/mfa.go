package login

import (
	"context"
	"errors"
	"html/template"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/dinhdanh/dinhdanh/server/audit"
	"github.com/dinhdanh/dinhdanh/server/authn"
	"github.com/dinhdanh/dinhdanh/server/identity"
	"github.com/dinhdanh/dinhdanh/server/login/flow"
	"github.com/dinhdanh/dinhdanh/server/session"
	"github.com/dinhdanh/dinhdanh/server/web"
	"github.com/dinhdanh/dinhdanh/ui"
)

// MFA is what the login flow needs for second factors and levels of
// assurance.
//
// The level a login must reach is the highest of: the minimum of the
// person's kind (Policy: citizen, official, administrator), the client's
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

func (h *Handler) registerMFA(mux *http.ServeMux) {
	mux.HandleFunc("GET /login/mfa", h.showMFA)
	mux.HandleFunc("POST /login/mfa", h.postMFA)
	mux.HandleFunc("GET /login/mfa/totp", h.showTOTPEnrolment)
	mux.HandleFunc("POST /login/mfa/totp", h.postTOTPEnrolment)
	mux.HandleFunc("GET /login/mfa/codes", h.showRecoveryCodes)
	mux.HandleFunc("GET /login/resume", h.resumeFlow)
	mux.HandleFunc("GET /login/step-up", h.startStepUp)
	if h.MFA.WebAuthn != nil {
		mux.HandleFunc("POST /login/mfa/webauthn/begin", h.beginKeyFactor)
		mux.HandleFunc("POST /login/mfa/webauthn/finish", h.finishKeyFactor)
		mux.HandleFunc("POST /login/mfa/webauthn/register/begin", h.beginKeyEnrolment)
		mux.HandleFunc("POST /login/mfa/webauthn/register/finish", h.finishKeyEnrolment)
	}
}

func (h *Handler) factors(ctx context.Context, accountID string) (authn.Factors, error) {
	return h.MFA.Inventory.Of(ctx, accountID)
}

// factorStep returns the flow for the second-factor pages, or answers the
// request itself (an error page, or the password step of a re-authentication).
func (h *Handler) factorStep(w http.ResponseWriter, r *http.Request, id string) (*flow.SessionFlow, bool) {
	ff, ok := h.env.SessionFlowPage(w, r, id)
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

func (h *Handler) webAuthnEndpoints(begin, finish string) ui.WebAuthnEndpoints {
	if h.MFA == nil || h.MFA.WebAuthn == nil {
		return ui.WebAuthnEndpoints{}
	}
	return ui.WebAuthnEndpoints{Begin: begin, Finish: finish}
}

func (h *Handler) showMFA(w http.ResponseWriter, r *http.Request) {
	if err := web.ParseForm(r); err != nil {
		h.Kit.FormError(w, r, err)
		return
	}
	ff, ok := h.factorStep(w, r, r.URL.Query().Get("flow"))
	if !ok {
		return
	}
	fs, err := h.factors(r.Context(), ff.Account.ID)
	if err != nil {
		h.env.Unavailable(w, r, err)
		return
	}
	if !fs.Any() {
		h.renderEnrol(w, r, http.StatusOK, ff.Flow, "")
		return
	}
	h.renderMFA(w, r, http.StatusOK, ff.Flow, fs, r.URL.Query().Get("method"), "")
}

func (h *Handler) renderMFA(w http.ResponseWriter, r *http.Request, status int, fl *Flow, fs authn.Factors, method, errKey string, errArgs ...any) {
	switch {
	case method == "totp" && fs.TOTP != nil, method == "recovery" && fs.RecoveryLeft > 0, method == "webauthn" && len(fs.Keys) > 0:
	case fs.TOTP != nil:
		method = "totp"
	case len(fs.Keys) > 0:
		method = "webauthn"
	default:
		method = "recovery"
	}
	base := h.Kit.Base(w, r)
	base.ErrorKey, base.ErrorArgs = errKey, errArgs
	h.Kit.Render(w, r, status, "mfa", &ui.MFAPage{Base: base, FlowID: fl.ID, ClientName: fl.ClientName, Method: method,
		HasTOTP: fs.TOTP != nil, HasWebAuthn: len(fs.Keys) > 0, HasRecovery: fs.RecoveryLeft > 0, Reauth: fl.Reauth,
		WebAuthn: h.webAuthnEndpoints("/login/mfa/webauthn/begin", "/login/mfa/webauthn/finish")})
}

func (h *Handler) renderEnrol(w http.ResponseWriter, r *http.Request, status int, fl *Flow, errKey string) {
	base := h.Kit.Base(w, r)
	base.ErrorKey = errKey
	h.Kit.Render(w, r, status, "mfa_enrol", &ui.MFAEnrolPage{Base: base, FlowID: fl.ID, ClientName: fl.ClientName,
		TOTPURL:  "/login/mfa/totp?flow=" + url.QueryEscape(fl.ID),
		WebAuthn: h.webAuthnEndpoints("/login/mfa/webauthn/register/begin", "/login/mfa/webauthn/register/finish")})
}

// factorKey is the brute-force counter key of an account's second factor.
func factorKey(accountID string) string { return authn.SecondFactorKey(accountID) }

func (h *Handler) postMFA(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	if !h.Kit.ParsePost(w, r) {
		return
	}
	ff, ok := h.factorStep(w, r, r.PostForm.Get("flow"))
	if !ok {
		return
	}
	method, code := r.PostForm.Get("method"), r.PostForm.Get("code")
	if method != "totp" && method != "recovery" {
		h.Kit.Error(w, r, http.StatusBadRequest, "bad_request")
		return
	}
	fs, err := h.factors(ctx, ff.Account.ID)
	if err != nil {
		h.env.Unavailable(w, r, err)
		return
	}
	if !fs.Any() {
		h.renderEnrol(w, r, http.StatusBadRequest, ff.Flow, "")
		return
	}
	var left int
	var replayed bool
	checked, err := h.Guard.Check(ctx, factorKey(ff.Account.ID), authn.AddressKey(web.ClientAddress(r)), h.Sleep,
		func(ctx context.Context) (ok bool, err error) {
			switch method {
			case "totp":
				var res authn.TOTPResult
				res, ok, err = h.MFA.TOTP.Verify(ctx, ff.Account.ID, code)
				replayed = res.Replayed
			case "recovery":
				left, ok, err = h.MFA.Recovery.Use(ctx, ff.Account.ID, code)
			}
			return ok, err
		})
	if err != nil {
		h.env.Unavailable(w, r, err)
		return
	}
	if checked.Refused {
		h.env.Record(r, audit.MFALocked, ff.Account.ID, ff.Flow.ClientID, map[string]string{"method": method})
		h.renderMFA(w, r, http.StatusTooManyRequests, ff.Flow, fs, method, "mfa.too_many_attempts", h.env.LockMinutes())
		return
	}
	if !checked.OK {
		details := map[string]string{"method": method}
		if replayed {
			details["reason"] = "replayed"
		}
		h.env.Record(r, audit.MFAFailure, ff.Account.ID, ff.Flow.ClientID, details)
		switch {
		case checked.Locked:
			h.renderMFA(w, r, http.StatusTooManyRequests, ff.Flow, fs, method, "mfa.too_many_attempts", h.env.LockMinutes())
		case replayed:
			h.renderMFA(w, r, http.StatusUnauthorized, ff.Flow, fs, method, "mfa.code_replayed")
		case method == "recovery":
			h.renderMFA(w, r, http.StatusUnauthorized, ff.Flow, fs, method, "mfa.invalid_recovery")
		default:
			h.renderMFA(w, r, http.StatusUnauthorized, ff.Flow, fs, method, "mfa.invalid_code")
		}
		return
	}
	if method == "recovery" {
		h.env.Record(r, audit.MFARecoveryCodeUsed, ff.Account.ID, ff.Flow.ClientID, map[string]string{"left": strconv.Itoa(left)})
	}
	if err := h.completeFactor(r, ff, []string{authn.AMROTP}, method); err != nil {
		h.env.Unavailable(w, r, err)
		return
	}
	if method == "recovery" {
		base := h.Kit.Base(w, r)
		h.Kit.Render(w, r, http.StatusOK, "message", &ui.MessagePage{Base: base, TitleKey: "mfa.recovery_used_title",
			MessageKey: "mfa.recovery_used", MessageArgs: []any{left},
			LinkURL: "/login/resume?flow=" + url.QueryEscape(ff.Flow.ID), LinkKey: "app.continue"})
		return
	}
	h.Resume(w, r, ff.Flow)
}

// completeFactor records a second factor proved in the flow: the SSO
// session and the flow reach LoA2 and gain the factor's methods (a
// re-authentication also renews the session's auth_time).
func (h *Handler) completeFactor(r *http.Request, ff *flow.SessionFlow, methods []string, via string) error {
	ctx := r.Context()
	now := h.Now().UTC()
	had := ff.SSO.AMR
	var authTime time.Time
	if ff.Flow.Reauth {
		had, authTime = []string{authn.AMRPassword}, now
	}
	amr := authn.SecondFactor(had, methods)
	acr := authn.Highest(ff.SSO.ACR, authn.LoA2)
	if err := h.Sessions.Upgrade(ctx, ff.SSO, acr, amr, authTime); err != nil {
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
	h.env.Record(r, event, ff.Account.ID, fl.ClientID, map[string]string{"method": via, "sid": ff.SSO.ID, "acr": acr})
	return h.env.Flows.Save(ctx, fl)
}

// resumeFlow continues a flow after a step that ended in a page of its own
// (recovery codes, a WebAuthn ceremony) or a redirect from a script.
func (h *Handler) resumeFlow(w http.ResponseWriter, r *http.Request) {
	if err := web.ParseForm(r); err != nil {
		h.Kit.FormError(w, r, err)
		return
	}
	ff, ok := h.env.SessionFlowPage(w, r, r.URL.Query().Get("flow"))
	if !ok {
		return
	}
	if ff.Flow.ShowCodes {
		web.Redirect(w, r, "/login/mfa/codes?flow="+url.QueryEscape(ff.Flow.ID))
		return
	}
	h.Resume(w, r, ff.Flow)
}

// startStepUp raises the browser's session to the minimum of the person's
// kind, or to the level ?acr= when higher, before going back to a page of
// the account console (?return=/account…).
func (h *Handler) startStepUp(w http.ResponseWriter, r *http.Request) {
	if err := web.ParseForm(r); err != nil {
		h.Kit.FormError(w, r, err)
		return
	}
	sso, err := h.Sessions.Get(r.Context(), r)
	if errors.Is(err, session.ErrNoSession) {
		web.Redirect(w, r, "/login")
		return
	}
	if err != nil {
		h.env.Unavailable(w, r, err)
		return
	}
	acct, err := h.Store.GetAccount(r.Context(), sso.AccountID)
	if err != nil {
		web.Redirect(w, r, "/account") // the console deals with a missing account
		return
	}
	ret := web.LocalPathOr(r.URL.Query().Get("return"), "/account")
	need := h.MFA.Policy.Minimum(acct, identity.Capacity(sso.Capacity))
	if acr := r.URL.Query().Get("acr"); authn.Rank(acr) > 0 && authn.Reachable(acr, sso.ACR) {
		need = authn.Highest(need, acr)
	}
	if authn.Rank(sso.ACR) >= authn.Rank(need) {
		web.Redirect(w, r, ret)
		return
	}
	fl := &Flow{ReturnTo: ret, RequestedAt: h.Now().UTC(), LoginDone: true, Required: need,
		AccountID: sso.AccountID, Capacity: sso.Capacity, SID: sso.ID, AuthTime: sso.AuthTime, ACR: sso.ACR, AMR: sso.AMR}
	if err := h.env.Flows.Create(r.Context(), fl); err != nil {
		h.env.Unavailable(w, r, err)
		return
	}
	web.Redirect(w, r, "/login/mfa?flow="+url.QueryEscape(fl.ID))
}

// Authenticator-app enrolment within a login.

func (h *Handler) showTOTPEnrolment(w http.ResponseWriter, r *http.Request) {
	if err := web.ParseForm(r); err != nil {
		h.Kit.FormError(w, r, err)
		return
	}
	ff, ok := h.factorStep(w, r, r.URL.Query().Get("flow"))
	if !ok {
		return
	}
	if h.hasFactors(w, r, ff) {
		return
	}
	e, err := h.MFA.TOTP.BeginEnrolment(r.Context(), ff.Account.ID, ff.Account.AuthenticatorName(ff.Flow.Capacity))
	if err != nil {
		h.env.Unavailable(w, r, err)
		return
	}
	h.renderTOTPSetup(w, r, http.StatusOK, ff, e, "")
}

// hasFactors sends a flow whose account has a second factor already back to
// the second-factor step: enrolment within a login is for the first factor
// only.
func (h *Handler) hasFactors(w http.ResponseWriter, r *http.Request, ff *flow.SessionFlow) bool {
	fs, err := h.factors(r.Context(), ff.Account.ID)
	if err != nil {
		h.env.Unavailable(w, r, err)
		return true
	}
	if fs.Any() {
		web.Redirect(w, r, "/login/mfa?flow="+url.QueryEscape(ff.Flow.ID))
		return true
	}
	return false
}

func (h *Handler) renderTOTPSetup(w http.ResponseWriter, r *http.Request, status int, ff *flow.SessionFlow, e *authn.TOTPEnrolment, errKey string) {
	base := h.Kit.Base(w, r)
	base.ErrorKey = errKey
	opts := h.MFA.TOTP.Options
	h.Kit.Render(w, r, status, "totp_setup", &ui.TOTPSetupPage{Base: base, Action: "/login/mfa/totp", FlowID: ff.Flow.ID,
		EnrolmentID: e.ID, QRCode: template.URL(e.QRCodeDataURL()), Key: e.Key, Issuer: opts.Issuer,
		AccountName: ff.Account.AuthenticatorName(ff.Flow.Capacity), Digits: opts.Digits, Period: int(opts.Period / time.Second),
		CancelURL: "/login/mfa?flow=" + url.QueryEscape(ff.Flow.ID), InLoginFlow: true, ClientName: ff.Flow.ClientName,
		CodeRejected: errKey != ""})
}

func (h *Handler) postTOTPEnrolment(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	if !h.Kit.ParsePost(w, r) {
		return
	}
	ff, ok := h.factorStep(w, r, r.PostForm.Get("flow"))
	if !ok {
		return
	}
	if h.hasFactors(w, r, ff) {
		return
	}
	id := r.PostForm.Get("enrolment")
	_, ok, err := h.MFA.TOTP.ConfirmEnrolment(ctx, ff.Account.ID, id, r.PostForm.Get("code"))
	if errors.Is(err, authn.ErrEnrolmentGone) {
		h.renderEnrol(w, r, http.StatusBadRequest, ff.Flow, "totp.enrolment_expired")
		return
	}
	if err != nil {
		h.env.Unavailable(w, r, err)
		return
	}
	if !ok {
		e, err := h.MFA.TOTP.PendingEnrolment(ctx, ff.Account.ID, id)
		if err != nil {
			h.renderEnrol(w, r, http.StatusBadRequest, ff.Flow, "totp.enrolment_expired")
			return
		}
		h.renderTOTPSetup(w, r, http.StatusBadRequest, ff, e, "totp.invalid_code")
		return
	}
	h.env.Record(r, audit.MFATOTPEnrolled, ff.Account.ID, ff.Flow.ClientID, nil)
	h.enrolled(w, r, ff, []string{authn.AMROTP}, "totp")
}

// enrolled completes the login with the first second factor just enrolled
// and shows the new recovery codes.
func (h *Handler) enrolled(w http.ResponseWriter, r *http.Request, ff *flow.SessionFlow, methods []string, via string) {
	ff.Flow.ShowCodes = true
	if err := h.completeFactor(r, ff, methods, via); err != nil {
		h.env.Unavailable(w, r, err)
		return
	}
	web.Redirect(w, r, "/login/mfa/codes?flow="+url.QueryEscape(ff.Flow.ID))
}

// showRecoveryCodes makes and shows, once, the recovery codes of a person
// who just enrolled their first second factor.
func (h *Handler) showRecoveryCodes(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	ff, ok := h.env.SessionFlowPage(w, r, r.URL.Query().Get("flow"))
	if !ok {
		return
	}
	next := "/login/resume?flow=" + url.QueryEscape(ff.Flow.ID)
	if !ff.Flow.ShowCodes {
		web.Redirect(w, r, next)
		return
	}
	ff.Flow.ShowCodes = false
	if err := h.env.Flows.Save(ctx, ff.Flow); err != nil {
		h.env.Unavailable(w, r, err)
		return
	}
	codes, err := h.MFA.Recovery.Generate(ctx, ff.Account.ID)
	if err != nil {
		h.env.Unavailable(w, r, err)
		return
	}
	h.env.Record(r, audit.MFARecoveryCodesMade, ff.Account.ID, ff.Flow.ClientID, map[string]string{"count": strconv.Itoa(len(codes))})
	h.Kit.Render(w, r, http.StatusOK, "recovery_codes", &ui.RecoveryCodesPage{Base: h.Kit.Base(w, r), Codes: codes,
		ContinueURL: next, FirstFactor: true})
}

// JSON endpoints of the WebAuthn ceremonies.

// factorCeremony reads a WebAuthn ceremony request of the second-factor step
// and loads its flow, answering JSON errors itself.
func (h *Handler) factorCeremony(w http.ResponseWriter, r *http.Request) (*web.CeremonyRequest, *flow.SessionFlow, bool) {
	req, ok := h.Kit.ReadCeremony(w, r)
	if !ok {
		return nil, nil, false
	}
	ff, ok := h.jsonFactorFlow(w, r, req.Flow)
	return req, ff, ok
}

// enrolmentCeremony is factorCeremony for enrolling a security key within a
// login: enrolment there is for the first factor only.
func (h *Handler) enrolmentCeremony(w http.ResponseWriter, r *http.Request) (*web.CeremonyRequest, *flow.SessionFlow, bool) {
	req, ff, ok := h.factorCeremony(w, r)
	if !ok {
		return nil, nil, false
	}
	fs, err := h.factors(r.Context(), ff.Account.ID)
	if err != nil {
		h.env.JSONUnavailable(w, r, err)
		return nil, nil, false
	}
	if fs.Any() {
		h.Kit.JSONError(w, r, http.StatusBadRequest, "error.flow_expired")
		return nil, nil, false
	}
	return req, ff, true
}

// jsonFactorFlow is loadFactorFlow for the ceremony endpoints.
func (h *Handler) jsonFactorFlow(w http.ResponseWriter, r *http.Request, id string) (*flow.SessionFlow, bool) {
	ff, ok := h.env.SessionFlowJSON(w, r, id)
	if !ok {
		return nil, false
	}
	if (ff.Flow.Required == "" && !ff.Flow.Reauth) || (ff.Flow.Reauth && !ff.Flow.ReauthPassword) {
		h.Kit.JSONError(w, r, http.StatusBadRequest, "error.flow_expired")
		return nil, false
	}
	return ff, true
}

func (h *Handler) beginKeyFactor(w http.ResponseWriter, r *http.Request) {
	_, ff, ok := h.factorCeremony(w, r)
	if !ok {
		return
	}
	cer, err := h.MFA.WebAuthn.BeginLogin(r.Context(), ff.Account.ID, ff.Flow.ID)
	if errors.Is(err, authn.ErrNoCredentials) {
		h.Kit.JSONError(w, r, http.StatusBadRequest, "webauthn.refused.unknown_credential")
		return
	}
	if err != nil {
		h.env.JSONUnavailable(w, r, err)
		return
	}
	web.WriteJSON(w, http.StatusOK, map[string]any{"ceremony": cer.ID, "options": cer.Options})
}

func (h *Handler) finishKeyFactor(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	req, ff, ok := h.factorCeremony(w, r)
	if !ok {
		return
	}
	var res authn.WebAuthnResult
	checked, err := h.Guard.Check(ctx, factorKey(ff.Account.ID), authn.AddressKey(web.ClientAddress(r)), h.Sleep,
		func(ctx context.Context) (bool, error) {
			var ok bool
			var err error
			res, ok, err = h.MFA.WebAuthn.FinishLogin(ctx, ff.Flow.ID, req.Ceremony, false, req.Credential)
			return ok && res.AccountID == ff.Account.ID, err
		})
	if err != nil {
		h.env.JSONUnavailable(w, r, err)
		return
	}
	if checked.Refused {
		h.Kit.JSONError(w, r, http.StatusTooManyRequests, "mfa.too_many_attempts", h.env.LockMinutes())
		return
	}
	if !checked.OK {
		if res.Refusal == "" {
			res.Refusal = authn.RefusalUnknownCredential
		}
		h.env.WebAuthnRefused(w, r, audit.MFAFailure, ff.Flow.ClientID, res)
		return
	}
	if err := h.completeFactor(r, ff, res.Methods(), "webauthn"); err != nil {
		h.env.JSONUnavailable(w, r, err)
		return
	}
	web.WriteJSON(w, http.StatusOK, map[string]string{"redirect": "/login/resume?flow=" + url.QueryEscape(ff.Flow.ID)})
}

func (h *Handler) beginKeyEnrolment(w http.ResponseWriter, r *http.Request) {
	req, ff, ok := h.enrolmentCeremony(w, r)
	if !ok {
		return
	}
	cer, err := h.MFA.WebAuthn.BeginRegistration(r.Context(), authn.UserOf(ff.Account, ff.Flow.Capacity, nil), req.Passkey, ff.Flow.ID)
	if err != nil {
		h.env.JSONUnavailable(w, r, err)
		return
	}
	web.WriteJSON(w, http.StatusOK, map[string]any{"ceremony": cer.ID, "options": cer.Options})
}

func (h *Handler) finishKeyEnrolment(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	req, ff, ok := h.enrolmentCeremony(w, r)
	if !ok {
		return
	}
	name := authn.KeyName(req.Name, ui.T(h.Kit.Lang(w, r), "security.key_default_name"))
	res, ok, err := h.MFA.WebAuthn.FinishRegistration(ctx, authn.UserOf(ff.Account, ff.Flow.Capacity, nil), ff.Flow.ID,
		req.Ceremony, name, req.Credential)
	if err != nil {
		h.env.JSONUnavailable(w, r, err)
		return
	}
	if !ok {
		res.AccountID = ff.Account.ID
		h.env.WebAuthnRefused(w, r, audit.MFAWebAuthnRegistrationFailure, ff.Flow.ClientID, res)
		return
	}
	h.env.Record(r, audit.MFAWebAuthnRegistered, ff.Account.ID, ff.Flow.ClientID, map[string]string{"name": name,
		"passkey": boolText(res.Credential.Discoverable)})
	ff.Flow.ShowCodes = true
	if err := h.completeFactor(r, ff, res.Methods(), "webauthn"); err != nil {
		h.env.JSONUnavailable(w, r, err)
		return
	}
	web.WriteJSON(w, http.StatusOK, map[string]string{"redirect": "/login/mfa/codes?flow=" + url.QueryEscape(ff.Flow.ID)})
}

func boolText(b bool) string {
	if b {
		return "true"
	}
	return "false"
}
