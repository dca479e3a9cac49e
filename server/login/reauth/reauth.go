package reauth

import (
	"context"
	"errors"
	"net/http"
	"net/url"

	"github.com/dinhdanh/dinhdanh/server/audit"
	"github.com/dinhdanh/dinhdanh/server/authn"
	"github.com/dinhdanh/dinhdanh/server/login/flow"
	"github.com/dinhdanh/dinhdanh/server/session"
	"github.com/dinhdanh/dinhdanh/server/web"
	"github.com/dinhdanh/dinhdanh/ui"
)

// Step is the re-authentication of the signed-in person.
type Step struct {
	env       *flow.Env
	inventory *authn.Inventory
	passkeys  bool
	upstreams Upstreams
}

// Upstreams offers the confirmation through the upstream e-ID providers an
// account is linked to (the upstream step's ReauthButtons).
type Upstreams interface {
	// ReauthButtons returns a link per provider the account is linked to,
	// starting a login there for the re-authentication flow flowID.
	ReauthButtons(ctx context.Context, lang, accountID, flowID string) ([]ui.UpstreamButton, error)
}

// New returns the re-authentication step; inventory tells which second
// factors an account has, passkeys whether a passkey may confirm instead,
// upstreams (nil for none) the upstream e-ID providers through which an
// account linked to one may confirm instead ("Xác nhận bằng VNeID").
func New(env *flow.Env, inventory *authn.Inventory, passkeys bool, upstreams Upstreams) *Step {
	return &Step{env: env, inventory: inventory, passkeys: passkeys, upstreams: upstreams}
}

// Register mounts /login/reauth.
func (s *Step) Register(mux *http.ServeMux) {
	mux.HandleFunc("GET /login/reauth", s.showReauth)
	mux.HandleFunc("POST /login/reauth", s.postReauth)
}

func (s *Step) showReauth(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	if err := web.ParseForm(r); err != nil {
		s.env.Kit.FormError(w, r, err)
		return
	}
	q := r.URL.Query()
	if q.Get("flow") == "" {
		sso, err := s.env.Sessions.Get(ctx, r)
		if errors.Is(err, session.ErrNoSession) {
			web.Redirect(w, r, "/login")
			return
		}
		if err != nil {
			s.env.Unavailable(w, r, err)
			return
		}
		fl := &flow.Flow{ReturnTo: web.LocalPathOr(q.Get("return"), "/account"), RequestedAt: s.env.Now().UTC(), LoginDone: true, Reauth: true,
			AccountID: sso.AccountID, Capacity: sso.Capacity, SID: sso.ID, AuthTime: sso.AuthTime, ACR: sso.ACR, AMR: sso.AMR}
		if err := s.env.Flows.Create(ctx, fl); err != nil {
			s.env.Unavailable(w, r, err)
			return
		}
		web.Redirect(w, r, "/login/reauth?flow="+url.QueryEscape(fl.ID))
		return
	}
	ff, ok := s.reauthFlow(w, r, q.Get("flow"))
	if !ok {
		return
	}
	s.renderReauth(w, r, http.StatusOK, ff, "")
}

// reauthFlow returns a re-authentication flow of this browser's session
// whose password is still to be confirmed.
func (s *Step) reauthFlow(w http.ResponseWriter, r *http.Request, id string) (*flow.SessionFlow, bool) {
	ff, ok := s.env.SessionFlowPage(w, r, id)
	if !ok {
		return nil, false
	}
	if !ff.Flow.Reauth {
		s.env.Kit.ErrorWith(w, r, http.StatusBadRequest, "bad_request", "flow_expired")
		return nil, false
	}
	if ff.Flow.ReauthPassword {
		web.Redirect(w, r, "/login/mfa?flow="+url.QueryEscape(ff.Flow.ID))
		return nil, false
	}
	return ff, true
}

func (s *Step) renderReauth(w http.ResponseWriter, r *http.Request, status int, ff *flow.SessionFlow, errKey string, args ...any) {
	base := s.env.Kit.Base(w, r)
	base.ErrorKey, base.ErrorArgs = errKey, args
	page := &ui.ReauthPage{Base: base, FlowID: ff.Flow.ID, Username: ff.Account.AuthenticatorName(ff.Flow.Capacity)}
	if begin, finish := flow.PasskeyBegin, flow.PasskeyFinish; s.passkeys {
		if keys, err := s.env.Store.WebAuthnCredentials(r.Context(), ff.Account.ID); err == nil {
			for _, k := range keys {
				if k.Discoverable {
					page.WebAuthn = ui.WebAuthnEndpoints{Begin: begin, Finish: finish}
				}
			}
		}
	}
	if s.upstreams != nil {
		ups, err := s.upstreams.ReauthButtons(r.Context(), base.Language(), ff.Account.ID, ff.Flow.ID)
		if err != nil {
			s.env.Unavailable(w, r, err)
			return
		}
		page.Upstreams = ups
	}
	s.env.Kit.Render(w, r, status, "reauth", page)
}

func (s *Step) postReauth(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	if !s.env.Kit.ParsePost(w, r) {
		return
	}
	ff, ok := s.reauthFlow(w, r, r.PostForm.Get("flow"))
	if !ok {
		return
	}
	password := r.PostForm.Get("password")
	checked, err := s.env.Guard.Check(ctx, authn.SecondFactorKey(ff.Account.ID), authn.AddressKey(web.ClientAddress(r)), s.env.Sleep,
		func(ctx context.Context) (bool, error) { return s.env.Passwords.Confirm(ctx, ff.Account, password) })
	if errors.Is(err, authn.ErrUnavailable) {
		s.env.Log.Error("directory", "err", err)
		s.renderReauth(w, r, http.StatusServiceUnavailable, ff, "login.directory_unavailable")
		return
	}
	if err != nil {
		s.env.Unavailable(w, r, err)
		return
	}
	switch {
	case checked.Refused:
		s.env.Record(r, audit.ReauthLocked, ff.Account.ID, "", nil)
		s.renderReauth(w, r, http.StatusTooManyRequests, ff, "login.too_many_attempts", s.env.LockMinutes())
		return
	case !checked.OK:
		s.env.Record(r, audit.ReauthFailure, ff.Account.ID, "", map[string]string{"method": "password"})
		if checked.Locked {
			s.renderReauth(w, r, http.StatusTooManyRequests, ff, "login.too_many_attempts", s.env.LockMinutes())
			return
		}
		s.renderReauth(w, r, http.StatusUnauthorized, ff, "reauth.invalid_password")
		return
	}
	fs, err := s.inventory.Of(ctx, ff.Account.ID)
	if err != nil {
		s.env.Unavailable(w, r, err)
		return
	}
	ff.Flow.ReauthPassword = true
	if fs.Any() {
		ff.Flow.Required = authn.LoA2
		if err := s.env.Flows.Save(ctx, ff.Flow); err != nil {
			s.env.Unavailable(w, r, err)
			return
		}
		web.Redirect(w, r, "/login/mfa?flow="+url.QueryEscape(ff.Flow.ID))
		return
	}
	// No second factor to ask for: the password is the whole confirmation.
	amr := []string{authn.AMRPassword}
	if err := s.env.Sessions.Upgrade(ctx, ff.SSO, ff.SSO.ACR, amr, s.env.Now().UTC()); err != nil {
		s.env.Unavailable(w, r, err)
		return
	}
	ff.Flow.Reauth, ff.Flow.ReauthPassword = false, false
	ff.Flow.ACR, ff.Flow.AMR, ff.Flow.AuthTime = ff.SSO.ACR, ff.SSO.AMR, ff.SSO.AuthTime
	s.env.Record(r, audit.ReauthSuccess, ff.Account.ID, "", map[string]string{"method": "password", "sid": ff.SSO.ID})
	s.env.Next.Resume(w, r, ff.Flow)
}
