package enrol

import (
	"errors"
	"html/template"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/dinhdanh/dinhdanh/server/audit"
	"github.com/dinhdanh/dinhdanh/server/authn"
	"github.com/dinhdanh/dinhdanh/server/login/flow"
	"github.com/dinhdanh/dinhdanh/server/web"
	"github.com/dinhdanh/dinhdanh/ui"
)

// Step is the enrolment step.
type Step struct {
	env *flow.Env
	mfa *flow.MFA
}

// New returns the enrolment step of env with the second factors of mfa
// (not nil).
func New(env *flow.Env, mfa *flow.MFA) *Step {
	return &Step{env: env, mfa: mfa}
}

// Register mounts the step's pages and, when WebAuthn is on, its security
// key ceremony.
func (s *Step) Register(mux *http.ServeMux) {
	mux.HandleFunc("GET /login/mfa/totp", s.showTOTPEnrolment)
	mux.HandleFunc("POST /login/mfa/totp", s.postTOTPEnrolment)
	mux.HandleFunc("GET /login/mfa/codes", s.showRecoveryCodes)
	if s.mfa.WebAuthn != nil {
		mux.HandleFunc("POST /login/mfa/webauthn/register/begin", s.beginKeyEnrolment)
		mux.HandleFunc("POST /login/mfa/webauthn/register/finish", s.finishKeyEnrolment)
	}
}

// Authenticator-app enrolment within a login.

func (s *Step) showTOTPEnrolment(w http.ResponseWriter, r *http.Request) {
	if err := web.ParseForm(r); err != nil {
		s.env.Kit.FormError(w, r, err)
		return
	}
	ff, ok := s.env.FactorFlowPage(w, r, r.URL.Query().Get("flow"))
	if !ok {
		return
	}
	if s.hasFactors(w, r, ff) {
		return
	}
	e, err := s.mfa.TOTP.BeginEnrolment(r.Context(), ff.Account.ID, ff.Account.AuthenticatorName(ff.Flow.Capacity))
	if err != nil {
		s.env.Unavailable(w, r, err)
		return
	}
	s.renderTOTPSetup(w, r, http.StatusOK, ff, e, "")
}

// hasFactors sends a flow whose account has a second factor already back to
// the second-factor step: enrolment within a login is for the first factor
// only.
func (s *Step) hasFactors(w http.ResponseWriter, r *http.Request, ff *flow.SessionFlow) bool {
	fs, err := s.mfa.Inventory.Of(r.Context(), ff.Account.ID)
	if err != nil {
		s.env.Unavailable(w, r, err)
		return true
	}
	if fs.Any() {
		web.Redirect(w, r, "/login/mfa?flow="+url.QueryEscape(ff.Flow.ID))
		return true
	}
	return false
}

func (s *Step) renderTOTPSetup(w http.ResponseWriter, r *http.Request, status int, ff *flow.SessionFlow, e *authn.TOTPEnrolment, errKey string) {
	base := s.env.Kit.Base(w, r)
	base.ErrorKey = errKey
	opts := s.mfa.TOTP.Options
	s.env.Kit.Render(w, r, status, "totp_setup", &ui.TOTPSetupPage{Base: base, Action: "/login/mfa/totp", FlowID: ff.Flow.ID,
		EnrolmentID: e.ID, QRCode: template.URL(e.QRCodeDataURL()), OTPAuthURL: template.URL(e.URL), Key: e.Key, Issuer: opts.Issuer,
		AccountName: ff.Account.AuthenticatorName(ff.Flow.Capacity), Digits: opts.Digits, Period: int(opts.Period / time.Second),
		CancelURL: "/login/mfa?flow=" + url.QueryEscape(ff.Flow.ID), InLoginFlow: true, ClientName: ff.Flow.ClientName,
		CodeRejected: errKey != ""})
}

func (s *Step) postTOTPEnrolment(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	if !s.env.Kit.ParsePost(w, r) {
		return
	}
	ff, ok := s.env.FactorFlowPage(w, r, r.PostForm.Get("flow"))
	if !ok {
		return
	}
	if s.hasFactors(w, r, ff) {
		return
	}
	id := r.PostForm.Get("enrolment")
	_, ok, err := s.mfa.TOTP.ConfirmEnrolment(ctx, ff.Account.ID, id, r.PostForm.Get("code"))
	if errors.Is(err, authn.ErrEnrolmentGone) {
		s.env.RenderEnrol(w, r, s.mfa, http.StatusBadRequest, ff.Flow, "totp.enrolment_expired")
		return
	}
	if err != nil {
		s.env.Unavailable(w, r, err)
		return
	}
	if !ok {
		e, err := s.mfa.TOTP.PendingEnrolment(ctx, ff.Account.ID, id)
		if err != nil {
			s.env.RenderEnrol(w, r, s.mfa, http.StatusBadRequest, ff.Flow, "totp.enrolment_expired")
			return
		}
		s.renderTOTPSetup(w, r, http.StatusBadRequest, ff, e, "totp.invalid_code")
		return
	}
	s.env.Record(r, audit.MFATOTPEnrolled, ff.Account.ID, ff.Flow.ClientID, nil)
	if err := s.enrolled(r, ff); err != nil {
		s.env.Unavailable(w, r, err)
		return
	}
	web.Redirect(w, r, codesURL(ff.Flow))
}

// enrolled marks the flow, whose person just set up their first second
// factor, to show the new recovery codes. The login keeps its level and
// still asks for the factor: setting one up is not presenting it.
func (s *Step) enrolled(r *http.Request, ff *flow.SessionFlow) error {
	ff.Flow.ShowCodes = true
	return s.env.Flows.Save(r.Context(), ff.Flow)
}

// codesURL is the page of the recovery codes of fl.
func codesURL(fl *flow.Flow) string { return "/login/mfa/codes?flow=" + url.QueryEscape(fl.ID) }

// asksFactor reports whether fl still asks for a second factor.
func asksFactor(fl *flow.Flow) bool { return fl.Required != "" || fl.Reauth }

// afterCodes is where the recovery codes page of fl leads: the
// second-factor step, where the person presents the factor they just set
// up, while the flow asks for one; else the dispatcher.
func afterCodes(fl *flow.Flow) string {
	if asksFactor(fl) {
		return "/login/mfa?flow=" + url.QueryEscape(fl.ID)
	}
	return "/login/resume?flow=" + url.QueryEscape(fl.ID)
}

// showRecoveryCodes makes and shows, once, the recovery codes of a person
// who just enrolled their first second factor, then leads to afterCodes.
func (s *Step) showRecoveryCodes(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	ff, ok := s.env.SessionFlowPage(w, r, r.URL.Query().Get("flow"))
	if !ok {
		return
	}
	next := afterCodes(ff.Flow)
	if !ff.Flow.ShowCodes {
		web.Redirect(w, r, next)
		return
	}
	ff.Flow.ShowCodes = false
	if err := s.env.Flows.Save(ctx, ff.Flow); err != nil {
		s.env.Unavailable(w, r, err)
		return
	}
	codes, err := s.mfa.Recovery.Generate(ctx, ff.Account.ID)
	if err != nil {
		s.env.Unavailable(w, r, err)
		return
	}
	s.env.Record(r, audit.MFARecoveryCodesMade, ff.Account.ID, ff.Flow.ClientID, map[string]string{"count": strconv.Itoa(len(codes))})
	s.env.Kit.Render(w, r, http.StatusOK, "recovery_codes", &ui.RecoveryCodesPage{Base: s.env.Kit.Base(w, r), Codes: codes,
		ContinueURL: next, FirstFactor: true, PresentNext: asksFactor(ff.Flow)})
}
