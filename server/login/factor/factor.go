package factor

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strconv"

	"github.com/dinhdanh/dinhdanh/server/audit"
	"github.com/dinhdanh/dinhdanh/server/authn"
	"github.com/dinhdanh/dinhdanh/server/identity"
	"github.com/dinhdanh/dinhdanh/server/login/flow"
	"github.com/dinhdanh/dinhdanh/server/session"
	"github.com/dinhdanh/dinhdanh/server/web"
	"github.com/dinhdanh/dinhdanh/ui"
)

// Step is the second-factor step.
type Step struct {
	env *flow.Env
	mfa *flow.MFA
}

// New returns the second-factor step of env with the second factors and
// policy of mfa (not nil).
func New(env *flow.Env, mfa *flow.MFA) *Step {
	return &Step{env: env, mfa: mfa}
}

// Register mounts the step's pages and, when WebAuthn is on, its security
// key ceremony.
func (s *Step) Register(mux *http.ServeMux) {
	mux.HandleFunc("GET /login/mfa", s.showMFA)
	mux.HandleFunc("POST /login/mfa", s.postMFA)
	mux.HandleFunc("GET /login/step-up", s.startStepUp)
	if s.mfa.WebAuthn != nil {
		mux.HandleFunc("POST /login/mfa/webauthn/begin", s.beginKeyFactor)
		mux.HandleFunc("POST /login/mfa/webauthn/finish", s.finishKeyFactor)
	}
}

func (s *Step) showMFA(w http.ResponseWriter, r *http.Request) {
	if err := web.ParseForm(r); err != nil {
		s.env.Kit.FormError(w, r, err)
		return
	}
	ff, ok := s.env.FactorFlowPage(w, r, r.URL.Query().Get("flow"))
	if !ok {
		return
	}
	fs, err := s.mfa.Inventory.Of(r.Context(), ff.Account.ID)
	if err != nil {
		s.env.Unavailable(w, r, err)
		return
	}
	if !fs.Any() {
		s.env.RenderEnrol(w, r, s.mfa, http.StatusOK, ff.Flow, "")
		return
	}
	s.renderMFA(w, r, http.StatusOK, ff.Flow, fs, r.URL.Query().Get("method"), "")
}

// renderMFA shows the page asking for method, or for the first factor the
// account has (authenticator app, security key, recovery code) when it has
// not that one.
func (s *Step) renderMFA(w http.ResponseWriter, r *http.Request, status int, fl *flow.Flow, fs authn.Factors, method, errKey string, errArgs ...any) {
	switch {
	case method == "totp" && fs.TOTP != nil, method == "recovery" && fs.RecoveryLeft > 0, method == "webauthn" && len(fs.Keys) > 0:
	case fs.TOTP != nil:
		method = "totp"
	case len(fs.Keys) > 0:
		method = "webauthn"
	default:
		method = "recovery"
	}
	base := s.env.Kit.Base(w, r)
	base.ErrorKey, base.ErrorArgs = errKey, errArgs
	s.env.Kit.Render(w, r, status, "mfa", &ui.MFAPage{Base: base, FlowID: fl.ID, ClientName: fl.ClientName, Method: method,
		HasTOTP: fs.TOTP != nil, HasWebAuthn: len(fs.Keys) > 0, HasRecovery: fs.RecoveryLeft > 0, Reauth: fl.Reauth,
		WebAuthn: s.mfa.WebAuthnEndpoints("/login/mfa/webauthn/begin", "/login/mfa/webauthn/finish")})
}

// codeCheck is the outcome of checking a code of the authenticator app or
// a recovery code.
type codeCheck struct {
	authn.Checked
	// Replayed: the authenticator-app code was used before.
	Replayed bool
	// Left is the number of recovery codes left.
	Left int
}

// checkCode checks a code of method (totp or recovery) of the account
// through the guard.
func (s *Step) checkCode(r *http.Request, accountID, method, code string) (codeCheck, error) {
	var c codeCheck
	var err error
	c.Checked, err = s.env.Guard.Check(r.Context(), authn.SecondFactorKey(accountID), authn.AddressKey(web.ClientAddress(r)), s.env.Sleep,
		func(ctx context.Context) (ok bool, err error) {
			switch method {
			case "totp":
				var res authn.TOTPResult
				res, ok, err = s.mfa.TOTP.Verify(ctx, accountID, code)
				c.Replayed = res.Replayed
			case "recovery":
				c.Left, ok, err = s.mfa.Recovery.Use(ctx, accountID, code)
			}
			return ok, err
		})
	return c, err
}

func (s *Step) postMFA(w http.ResponseWriter, r *http.Request) {
	if !s.env.Kit.ParsePost(w, r) {
		return
	}
	ff, ok := s.env.FactorFlowPage(w, r, r.PostForm.Get("flow"))
	if !ok {
		return
	}
	method, code := r.PostForm.Get("method"), r.PostForm.Get("code")
	if method != "totp" && method != "recovery" {
		s.env.Kit.Error(w, r, http.StatusBadRequest, "bad_request")
		return
	}
	fs, err := s.mfa.Inventory.Of(r.Context(), ff.Account.ID)
	if err != nil {
		s.env.Unavailable(w, r, err)
		return
	}
	if !fs.Any() {
		s.env.RenderEnrol(w, r, s.mfa, http.StatusBadRequest, ff.Flow, "")
		return
	}
	checked, err := s.checkCode(r, ff.Account.ID, method, code)
	if err != nil {
		s.env.Unavailable(w, r, err)
		return
	}
	if !checked.OK {
		s.refuseCode(w, r, ff, fs, method, checked)
		return
	}
	if method == "recovery" {
		s.env.Record(r, audit.MFARecoveryCodeUsed, ff.Account.ID, ff.Flow.ClientID, map[string]string{"left": strconv.Itoa(checked.Left)})
	}
	if err := s.env.CompleteFactor(r, ff, []string{authn.AMROTP}, method); err != nil {
		s.env.Unavailable(w, r, err)
		return
	}
	if method == "recovery" {
		base := s.env.Kit.Base(w, r)
		s.env.Kit.Render(w, r, http.StatusOK, "message", &ui.MessagePage{Base: base, TitleKey: "mfa.recovery_used_title",
			MessageKey: "mfa.recovery_used", MessageArgs: []any{checked.Left},
			LinkURL: "/login/resume?flow=" + url.QueryEscape(ff.Flow.ID), LinkKey: "app.continue"})
		return
	}
	s.env.Next.Resume(w, r, ff.Flow)
}

// refuseCode audits a code that was refused or not tried (the guard
// refused the try) and shows the page again with the reason.
func (s *Step) refuseCode(w http.ResponseWriter, r *http.Request, ff *flow.SessionFlow, fs authn.Factors, method string, checked codeCheck) {
	if checked.Refused {
		s.env.Record(r, audit.MFALocked, ff.Account.ID, ff.Flow.ClientID, map[string]string{"method": method})
		s.renderMFA(w, r, http.StatusTooManyRequests, ff.Flow, fs, method, "mfa.too_many_attempts", s.env.LockMinutes())
		return
	}
	details := map[string]string{"method": method}
	if checked.Replayed {
		details["reason"] = "replayed"
	}
	s.env.Record(r, audit.MFAFailure, ff.Account.ID, ff.Flow.ClientID, details)
	switch {
	case checked.Locked:
		s.renderMFA(w, r, http.StatusTooManyRequests, ff.Flow, fs, method, "mfa.too_many_attempts", s.env.LockMinutes())
	case checked.Replayed:
		s.renderMFA(w, r, http.StatusUnauthorized, ff.Flow, fs, method, "mfa.code_replayed")
	case method == "recovery":
		s.renderMFA(w, r, http.StatusUnauthorized, ff.Flow, fs, method, "mfa.invalid_recovery")
	default:
		s.renderMFA(w, r, http.StatusUnauthorized, ff.Flow, fs, method, "mfa.invalid_code")
	}
}

// startStepUp raises the browser's session to the minimum of the person's
// kind, or to the level ?acr= when higher, before going back to a page of
// the account console (?return=/account…).
func (s *Step) startStepUp(w http.ResponseWriter, r *http.Request) {
	if err := web.ParseForm(r); err != nil {
		s.env.Kit.FormError(w, r, err)
		return
	}
	sso, err := s.env.Sessions.Get(r.Context(), r)
	if errors.Is(err, session.ErrNoSession) {
		web.Redirect(w, r, "/login")
		return
	}
	if err != nil {
		s.env.Unavailable(w, r, err)
		return
	}
	acct, err := s.env.Store.GetAccount(r.Context(), sso.AccountID)
	if err != nil {
		web.Redirect(w, r, "/account") // the console deals with a missing account
		return
	}
	ret := web.LocalPathOr(r.URL.Query().Get("return"), "/account")
	need := s.mfa.Policy.Minimum(acct, identity.Capacity(sso.Capacity))
	if acr := r.URL.Query().Get("acr"); authn.Rank(acr) > 0 && authn.Reachable(acr, sso.ACR) {
		need = authn.Highest(need, acr)
	}
	if authn.Rank(sso.ACR) >= authn.Rank(need) {
		web.Redirect(w, r, ret)
		return
	}
	fl := &flow.Flow{ReturnTo: ret, RequestedAt: s.env.Now().UTC(), LoginDone: true, Required: need,
		AccountID: sso.AccountID, Capacity: sso.Capacity, SID: sso.ID, AuthTime: sso.AuthTime, ACR: sso.ACR, AMR: sso.AMR}
	if err := s.env.Flows.Create(r.Context(), fl); err != nil {
		s.env.Unavailable(w, r, err)
		return
	}
	web.Redirect(w, r, "/login/mfa?flow="+url.QueryEscape(fl.ID))
}
