package account

import (
	"context"
	"encoding/base64"
	"errors"
	"html/template"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/dinhdanh/dinhdanh/server/audit"
	"github.com/dinhdanh/dinhdanh/server/authn"
	"github.com/dinhdanh/dinhdanh/server/identity"
	"github.com/dinhdanh/dinhdanh/server/session"
	"github.com/dinhdanh/dinhdanh/server/web"
	"github.com/dinhdanh/dinhdanh/store"
	"github.com/dinhdanh/dinhdanh/ui"
)

// Factors is what the console needs to manage second factors at
// /account/security: the authenticator app, recovery codes, security keys
// and passkeys.
//
// Rules: the console of a person whose session is below the minimum of
// their kind first raises it (/login/step-up). Adding a factor to an
// account that has one needs a session at LoA2; the first factor needs none
// beyond the session (there is nothing to protect yet). Adding a factor
// never raises the session: a level comes only from factors presented at a
// login, so a session of the password alone stays at LoA1 (and the next
// page that needs LoA2 asks for the new factor). Removing a factor or
// making new recovery codes needs a fresh authentication: a login with both
// factors within ReauthMaxAge, else /login/reauth first. Recovery codes are
// made when the first factor is added and on request, and shown once.
type Factors struct {
	TOTP     *authn.TOTP
	Recovery *authn.Recovery
	// WebAuthn is nil when security keys and passkeys are off.
	WebAuthn *authn.WebAuthn
	Policy   authn.Policy
	// Inventory tells which second factors an account has.
	Inventory    *authn.Inventory
	ReauthMaxAge time.Duration
	// Now is the clock (time.Now when nil).
	Now func() time.Time
}

func (f *Factors) now() time.Time {
	if f.Now != nil {
		return f.Now()
	}
	return time.Now()
}

const securityPath = "/account/security"

func (h *Handler) registerSecurity(mux *http.ServeMux) {
	mux.HandleFunc("GET "+securityPath, h.showSecurity)
	mux.HandleFunc("GET "+securityPath+"/totp", h.showTOTPSetup)
	mux.HandleFunc("POST "+securityPath+"/totp", h.postTOTPSetup)
	mux.HandleFunc("POST "+securityPath+"/totp/remove", h.removeTOTP)
	mux.HandleFunc("POST "+securityPath+"/recovery", h.newRecoveryCodes)
	mux.HandleFunc("GET "+securityPath+"/codes", h.showRecoveryCodes)
	mux.HandleFunc("POST "+securityPath+"/keys/remove", h.removeKey)
	if h.Factors.WebAuthn != nil {
		mux.HandleFunc("POST "+securityPath+"/keys/begin", h.beginKey)
		mux.HandleFunc("POST "+securityPath+"/keys/finish", h.finishKey)
	}
}

// assured reports whether the session is at the minimum of the person's
// kind, sending the browser to raise it when it is not.
func (h *Handler) assured(w http.ResponseWriter, r *http.Request, sso *session.SSO) bool {
	acct, err := h.Store.GetAccount(r.Context(), sso.AccountID)
	if err != nil {
		return true // render deals with a missing account
	}
	need := h.Factors.Policy.Minimum(acct, identity.Capacity(sso.Capacity))
	if authn.Rank(sso.ACR) >= authn.Rank(need) {
		return true
	}
	back := "/account"
	if r.Method == http.MethodGet {
		back = r.URL.Path
	}
	web.Redirect(w, r, "/login/step-up?return="+url.QueryEscape(back))
	return false
}

func (h *Handler) factorsOf(ctx context.Context, accountID string) (authn.Factors, error) {
	return h.Factors.Inventory.Of(ctx, accountID)
}

// atLevel reports whether the session may add a factor: any session for an
// account without factors, a session at LoA2 otherwise. When it may not, the
// browser is sent to raise it and come back to back.
func (h *Handler) atLevel(w http.ResponseWriter, r *http.Request, sso *session.SSO, f authn.Factors, back string) bool {
	if f.ProvesSecondFactor(sso.ACR) {
		return true
	}
	web.Redirect(w, r, "/login/step-up?acr=LoA2&return="+url.QueryEscape(back))
	return false
}

// fresh reports whether the session authenticated with both factors within
// ReauthMaxAge (or the account has no factor to ask for).
func (h *Handler) fresh(sso *session.SSO, f authn.Factors) bool {
	return f.Fresh(sso.ACR, sso.AuthTime, h.Factors.now(), h.Factors.ReauthMaxAge)
}

// requireFresh sends a session that is not fresh to confirm who it is, and
// back to the security page.
func (h *Handler) requireFresh(w http.ResponseWriter, r *http.Request, sso *session.SSO, f authn.Factors) bool {
	if h.fresh(sso, f) {
		return true
	}
	web.Redirect(w, r, "/login/reauth?return="+url.QueryEscape(securityPath))
	return false
}

// notices are the outcomes a redirect to the security page may announce (?done=…).
var notices = map[string]string{
	"totp_added": "security.totp_added", "totp_removed": "security.totp_removed",
	"key_added": "security.key_added", "key_removed": "security.key_removed",
}

func (h *Handler) showSecurity(w http.ResponseWriter, r *http.Request) {
	sso, ok := h.current(w, r)
	if !ok {
		return
	}
	h.renderSecurity(w, r, http.StatusOK, sso, notices[r.URL.Query().Get("done")], "")
}

func (h *Handler) renderSecurity(w http.ResponseWriter, r *http.Request, status int, sso *session.SSO, notice, errKey string) {
	ctx := r.Context()
	acct, err := h.Store.GetAccount(ctx, sso.AccountID)
	if err != nil {
		h.unavailable(w, r, err)
		return
	}
	f, err := h.factorsOf(ctx, acct.ID)
	if err != nil {
		h.unavailable(w, r, err)
		return
	}
	base := h.Kit.Base(w, r)
	base.NoticeKey, base.ErrorKey = notice, errKey
	page := &ui.SecurityPage{Base: base, FullName: acct.FullName, Level: sso.ACR, RecoveryLeft: f.RecoveryLeft,
		HasRecovery: f.RecoveryLeft > 0}
	if need := h.Factors.Policy.Minimum(acct, identity.Capacity(sso.Capacity)); authn.Rank(need) > authn.Rank(authn.LoA1) {
		page.Required = need
	}
	if f.TOTP != nil {
		page.TOTP = &ui.FactorRow{CreatedAt: f.TOTP.CreatedAt, LastUsedAt: f.TOTP.LastUsedAt}
	}
	for _, k := range f.Keys {
		page.Keys = append(page.Keys, ui.KeyRow{ID: base64.RawURLEncoding.EncodeToString(k.ID), Name: k.Name,
			Passkey: k.Discoverable, Synced: k.BackupEligible, CreatedAt: k.CreatedAt, LastUsedAt: k.LastUsedAt})
	}
	if h.Factors.WebAuthn != nil {
		page.WebAuthn = ui.WebAuthnEndpoints{Begin: securityPath + "/keys/begin", Finish: securityPath + "/keys/finish"}
	}
	h.Kit.Render(w, r, status, "security", page)
}

func (h *Handler) unavailable(w http.ResponseWriter, r *http.Request, err error) {
	h.Log.Error("storage", "err", err, "path", r.URL.Path, "request_id", web.RequestID(r))
	h.Kit.Error(w, r, http.StatusServiceUnavailable, "unavailable")
}

// Authenticator app.

func (h *Handler) showTOTPSetup(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	sso, ok := h.current(w, r)
	if !ok {
		return
	}
	acct, f, ok := h.accountFactors(w, r, sso)
	if !ok || !h.atLevel(w, r, sso, f, securityPath+"/totp") {
		return
	}
	if f.TOTP != nil {
		h.renderSecurity(w, r, http.StatusConflict, sso, "", "security.totp_exists")
		return
	}
	e, err := h.Factors.TOTP.BeginEnrolment(ctx, acct.ID, acct.AuthenticatorName(sso.Capacity))
	if err != nil {
		h.unavailable(w, r, err)
		return
	}
	h.renderTOTPSetup(w, r, http.StatusOK, acct, sso, e, "")
}

func (h *Handler) accountFactors(w http.ResponseWriter, r *http.Request, sso *session.SSO) (*identity.Account, authn.Factors, bool) {
	acct, err := h.Store.GetAccount(r.Context(), sso.AccountID)
	if err != nil {
		h.unavailable(w, r, err)
		return nil, authn.Factors{}, false
	}
	f, err := h.factorsOf(r.Context(), acct.ID)
	if err != nil {
		h.unavailable(w, r, err)
		return nil, f, false
	}
	return acct, f, true
}

func (h *Handler) renderTOTPSetup(w http.ResponseWriter, r *http.Request, status int, acct *identity.Account, sso *session.SSO,
	e *authn.TOTPEnrolment, errKey string) {
	base := h.Kit.Base(w, r)
	base.ErrorKey = errKey
	opts := h.Factors.TOTP.Options
	h.Kit.Render(w, r, status, "totp_setup", &ui.TOTPSetupPage{Base: base, Action: securityPath + "/totp",
		EnrolmentID: e.ID, QRCode: template.URL(e.QRCodeDataURL()), OTPAuthURL: template.URL(e.URL), Key: e.Key, Issuer: opts.Issuer,
		AccountName: acct.AuthenticatorName(sso.Capacity), Digits: opts.Digits, Period: int(opts.Period / time.Second),
		CancelURL: securityPath, CodeRejected: errKey != ""})
}

func (h *Handler) postTOTPSetup(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	if !h.form(w, r) {
		return
	}
	sso, ok := h.current(w, r)
	if !ok {
		return
	}
	acct, f, ok := h.accountFactors(w, r, sso)
	if !ok || !h.atLevel(w, r, sso, f, securityPath+"/totp") {
		return
	}
	if f.TOTP != nil {
		h.renderSecurity(w, r, http.StatusConflict, sso, "", "security.totp_exists")
		return
	}
	id := r.PostForm.Get("enrolment")
	_, ok, err := h.Factors.TOTP.ConfirmEnrolment(ctx, acct.ID, id, r.PostForm.Get("code"))
	if errors.Is(err, authn.ErrEnrolmentGone) {
		h.renderSecurity(w, r, http.StatusBadRequest, sso, "", "totp.enrolment_expired")
		return
	}
	if err != nil {
		h.unavailable(w, r, err)
		return
	}
	if !ok {
		e, err := h.Factors.TOTP.PendingEnrolment(ctx, acct.ID, id)
		if err != nil {
			h.renderSecurity(w, r, http.StatusBadRequest, sso, "", "totp.enrolment_expired")
			return
		}
		h.renderTOTPSetup(w, r, http.StatusBadRequest, acct, sso, e, "totp.invalid_code")
		return
	}
	h.recorder.FromRequest(r, audit.MFATOTPEnrolled, acct.ID, "", nil)
	next, err := h.added(r, sso, f, "totp_added")
	if err != nil {
		h.unavailable(w, r, err)
		return
	}
	web.Redirect(w, r, next)
}

// added follows the adding of a factor and returns where to go: for the
// account's first factor, the recovery codes are due; else the security
// page with the notice. The session keeps its level: setting a factor up is
// not presenting it.
func (h *Handler) added(r *http.Request, sso *session.SSO, before authn.Factors, notice string) (string, error) {
	if before.Any() {
		return securityPath + "?done=" + notice, nil
	}
	return h.codesDue(r.Context(), sso, true)
}

// codesDue marks new recovery codes as due for one view of the codes page
// in this session, and returns that page's URL.
func (h *Handler) codesDue(ctx context.Context, sso *session.SSO, first bool) (string, error) {
	id := web.RandomToken(18)
	data := []byte("again")
	if first {
		data = []byte("first")
	}
	if err := h.Sessions.Store.PutRecord(ctx, store.KindRecoveryCodesDue, &store.Record{Key: id, Subject: sso.AccountID,
		RequestID: sso.ID, Data: data, ExpiresAt: h.Factors.now().Add(5 * time.Minute)}); err != nil {
		return "", err
	}
	return securityPath + "/codes?due=" + url.QueryEscape(id), nil
}

func (h *Handler) showRecoveryCodes(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	sso, ok := h.current(w, r)
	if !ok {
		return
	}
	due := r.URL.Query().Get("due")
	if due == "" || len(due) > 64 {
		web.Redirect(w, r, securityPath)
		return
	}
	rec, err := h.Sessions.Store.TakeRecord(ctx, store.KindRecoveryCodesDue, due)
	if errors.Is(err, store.ErrNotFound) || (err == nil && (rec.Subject != sso.AccountID || rec.RequestID != sso.ID)) {
		web.Redirect(w, r, securityPath)
		return
	}
	if err != nil {
		h.unavailable(w, r, err)
		return
	}
	codes, err := h.Factors.Recovery.Generate(ctx, sso.AccountID)
	if err != nil {
		h.unavailable(w, r, err)
		return
	}
	h.recorder.FromRequest(r, audit.MFARecoveryCodesMade, sso.AccountID, "", map[string]string{"count": strconv.Itoa(len(codes))})
	h.Kit.Render(w, r, http.StatusOK, "recovery_codes", &ui.RecoveryCodesPage{Base: h.Kit.Base(w, r), Codes: codes,
		ContinueURL: securityPath, FirstFactor: string(rec.Data) == "first"})
}

func (h *Handler) newRecoveryCodes(w http.ResponseWriter, r *http.Request) {
	sso, _, f, ok := h.factorChange(w, r)
	if !ok {
		return
	}
	if !f.Any() {
		h.Kit.Error(w, r, http.StatusBadRequest, "bad_request")
		return
	}
	next, err := h.codesDue(r.Context(), sso, false)
	if err != nil {
		h.unavailable(w, r, err)
		return
	}
	web.Redirect(w, r, next)
}

func (h *Handler) removeTOTP(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	_, acct, f, ok := h.factorChange(w, r)
	if !ok {
		return
	}
	if f.TOTP == nil {
		h.Kit.Error(w, r, http.StatusNotFound, "not_found")
		return
	}
	if err := h.Factors.TOTP.Remove(ctx, acct.ID); err != nil {
		h.unavailable(w, r, err)
		return
	}
	h.recorder.FromRequest(r, audit.MFATOTPRemoved, acct.ID, "", nil)
	if err := h.forgetCodesWhenNoFactor(ctx, acct.ID); err != nil {
		h.unavailable(w, r, err)
		return
	}
	web.Redirect(w, r, securityPath+"?done=totp_removed")
}

// forgetCodesWhenNoFactor removes the recovery codes when the last second
// factor went: codes are the way back to a factor, not one of their own.
func (h *Handler) forgetCodesWhenNoFactor(ctx context.Context, accountID string) error {
	f, err := h.factorsOf(ctx, accountID)
	if err != nil || f.Any() {
		return err
	}
	return h.Store.DeleteRecoveryCodes(ctx, accountID)
}

func (h *Handler) removeKey(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	_, acct, f, ok := h.factorChange(w, r)
	if !ok {
		return
	}
	id, err := base64.RawURLEncoding.DecodeString(r.PostForm.Get("credential"))
	if err != nil || len(id) == 0 {
		h.Kit.Error(w, r, http.StatusBadRequest, "bad_request")
		return
	}
	name := ""
	for _, k := range f.Keys {
		if string(k.ID) == string(id) {
			name = k.Name
		}
	}
	err = h.Store.DeleteWebAuthnCredential(ctx, acct.ID, id)
	if errors.Is(err, store.ErrNotFound) {
		h.Kit.Error(w, r, http.StatusNotFound, "not_found")
		return
	}
	if err != nil {
		h.unavailable(w, r, err)
		return
	}
	h.recorder.FromRequest(r, audit.MFAWebAuthnRemoved, acct.ID, "", map[string]string{"name": name})
	if err := h.forgetCodesWhenNoFactor(ctx, acct.ID); err != nil {
		h.unavailable(w, r, err)
		return
	}
	web.Redirect(w, r, securityPath+"?done=key_removed")
}

// form parses a posted form and checks its CSRF token, answering the
// request itself when either fails.
// factorChange starts a form post that changes the signed-in person's second
// factors: the form, the session, the account and its factors, and a fresh
// confirmation of the person. ok is false when an answer was sent.
func (h *Handler) factorChange(w http.ResponseWriter, r *http.Request) (sso *session.SSO, acct *identity.Account, f authn.Factors, ok bool) {
	if !h.form(w, r) {
		return nil, nil, f, false
	}
	if sso, ok = h.current(w, r); !ok {
		return nil, nil, f, false
	}
	if acct, f, ok = h.accountFactors(w, r, sso); !ok || !h.requireFresh(w, r, sso, f) {
		return nil, nil, f, false
	}
	return sso, acct, f, true
}

func (h *Handler) form(w http.ResponseWriter, r *http.Request) bool {
	if err := web.ParseForm(r); err != nil {
		h.Kit.FormError(w, r, err)
		return false
	}
	if !h.Kit.CheckCSRF(r) {
		h.Kit.Error(w, r, http.StatusForbidden, "csrf")
		return false
	}
	return true
}

// Security keys and passkeys.

// jsonCurrent is current for the ceremony endpoints: a script gets JSON,
// with where to go when the browser must first log in or raise its session.
func (h *Handler) jsonCurrent(w http.ResponseWriter, r *http.Request) (*session.SSO, bool) {
	sso, err := h.Sessions.Get(r.Context(), r)
	if errors.Is(err, session.ErrNoSession) {
		web.WriteJSON(w, http.StatusOK, map[string]string{"redirect": "/login"})
		return nil, false
	}
	if err != nil {
		h.Log.Error("session", "err", err)
		h.Kit.JSONError(w, r, http.StatusServiceUnavailable, "error.unavailable")
		return nil, false
	}
	return sso, true
}

func (h *Handler) beginKey(w http.ResponseWriter, r *http.Request) {
	req, ok := h.Kit.ReadCeremony(w, r)
	if !ok {
		return
	}
	sso, ok := h.jsonCurrent(w, r)
	if !ok {
		return
	}
	acct, err := h.Store.GetAccount(r.Context(), sso.AccountID)
	if err != nil {
		h.Kit.JSONError(w, r, http.StatusServiceUnavailable, "error.unavailable")
		return
	}
	f, err := h.factorsOf(r.Context(), acct.ID)
	if err != nil {
		h.Kit.JSONError(w, r, http.StatusServiceUnavailable, "error.unavailable")
		return
	}
	if !h.mayAddKey(w, acct, sso, f) {
		return
	}
	user := authn.UserOf(acct, sso.Capacity, f.Keys)
	cer, err := h.Factors.WebAuthn.BeginRegistration(r.Context(), user, req.Passkey, sso.ID)
	if err != nil {
		h.Log.Error("webauthn", "err", err)
		h.Kit.JSONError(w, r, http.StatusServiceUnavailable, "error.unavailable")
		return
	}
	web.WriteJSON(w, http.StatusOK, map[string]any{"ceremony": cer.ID, "options": cer.Options})
}

// mayAddKey reports whether the session may add a security key or passkey
// to the account that has factors f: it is at the minimum of the person's
// kind, and at LoA2 when the account has a factor already. When it may
// not, the script is told (JSON) to raise the session and come back.
func (h *Handler) mayAddKey(w http.ResponseWriter, acct *identity.Account, sso *session.SSO, f authn.Factors) bool {
	need := h.Factors.Policy.Minimum(acct, identity.Capacity(sso.Capacity))
	if authn.Rank(sso.ACR) >= authn.Rank(need) && f.ProvesSecondFactor(sso.ACR) {
		return true
	}
	web.WriteJSON(w, http.StatusOK, map[string]string{"redirect": "/login/step-up?acr=LoA2&return=" + url.QueryEscape(securityPath)})
	return false
}

func (h *Handler) finishKey(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	req, ok := h.Kit.ReadCeremony(w, r)
	if !ok {
		return
	}
	sso, ok := h.jsonCurrent(w, r)
	if !ok {
		return
	}
	acct, err := h.Store.GetAccount(ctx, sso.AccountID)
	if err != nil {
		h.Kit.JSONError(w, r, http.StatusServiceUnavailable, "error.unavailable")
		return
	}
	f, err := h.factorsOf(ctx, acct.ID)
	if err != nil {
		h.Kit.JSONError(w, r, http.StatusServiceUnavailable, "error.unavailable")
		return
	}
	// Checked again: the account may have gained a factor, or the policy
	// changed, since the ceremony began.
	if !h.mayAddKey(w, acct, sso, f) {
		return
	}
	name := authn.KeyName(req.Name, ui.T(h.Kit.Lang(w, r), "security.key_default_name"))
	user := authn.UserOf(acct, sso.Capacity, f.Keys)
	res, ok, err := h.Factors.WebAuthn.FinishRegistration(ctx, user, sso.ID, req.Ceremony, name, req.Credential)
	if err != nil {
		h.Log.Error("webauthn", "err", err)
		h.Kit.JSONError(w, r, http.StatusServiceUnavailable, "error.unavailable")
		return
	}
	if !ok {
		h.recorder.FromRequest(r, audit.MFAWebAuthnRegistrationFailure, acct.ID, "", map[string]string{"reason": res.Refusal})
		if res.Detail != "" {
			h.Log.Info("webauthn registration refused", "reason", res.Refusal, "detail", res.Detail)
		}
		h.Kit.JSONError(w, r, http.StatusBadRequest, "webauthn.refused."+res.Refusal)
		return
	}
	passkey := "false"
	if res.Credential.Discoverable {
		passkey = "true"
	}
	h.recorder.FromRequest(r, audit.MFAWebAuthnRegistered, acct.ID, "", map[string]string{"name": name, "passkey": passkey})
	next, err := h.added(r, sso, f, "key_added")
	if err != nil {
		h.Log.Error("session", "err", err)
		h.Kit.JSONError(w, r, http.StatusServiceUnavailable, "error.unavailable")
		return
	}
	web.WriteJSON(w, http.StatusOK, map[string]string{"redirect": next})
}
