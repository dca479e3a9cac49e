package login

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
	"github.com/dinhdanh/dinhdanh/ui"
)

// Re-authentication: before a sensitive change in the account console
// (removing a second factor, making new recovery codes), the signed-in
// person confirms who they are, as prompt=login would, without losing their
// session: /login/reauth?return=PATH asks for the password (checked by the
// directory for an official who has no local password), then for a second
// factor when the account has one; or for a passkey alone. The session's
// auth_time is renewed and the browser goes back to PATH.

func (h *Handler) showReauth(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	if err := web.ParseForm(r); err != nil {
		h.Kit.FormError(w, r, err)
		return
	}
	q := r.URL.Query()
	if q.Get("flow") == "" {
		sso, err := h.Sessions.Get(ctx, r)
		if errors.Is(err, session.ErrNoSession) {
			web.Redirect(w, r, "/login")
			return
		}
		if err != nil {
			h.env.Unavailable(w, r, err)
			return
		}
		fl := &Flow{ReturnTo: web.LocalPathOr(q.Get("return"), "/account"), RequestedAt: h.Now().UTC(), LoginDone: true, Reauth: true,
			AccountID: sso.AccountID, Capacity: sso.Capacity, SID: sso.ID, AuthTime: sso.AuthTime, ACR: sso.ACR, AMR: sso.AMR}
		if err := h.env.Flows.Create(ctx, fl); err != nil {
			h.env.Unavailable(w, r, err)
			return
		}
		web.Redirect(w, r, "/login/reauth?flow="+url.QueryEscape(fl.ID))
		return
	}
	ff, ok := h.reauthFlow(w, r, q.Get("flow"))
	if !ok {
		return
	}
	h.renderReauth(w, r, http.StatusOK, ff, "")
}

// reauthFlow returns a re-authentication flow of this browser's session
// whose password is still to be confirmed.
func (h *Handler) reauthFlow(w http.ResponseWriter, r *http.Request, id string) (*flow.SessionFlow, bool) {
	ff, ok := h.env.SessionFlowPage(w, r, id)
	if !ok {
		return nil, false
	}
	if !ff.Flow.Reauth {
		h.Kit.ErrorWith(w, r, http.StatusBadRequest, "bad_request", "flow_expired")
		return nil, false
	}
	if ff.Flow.ReauthPassword {
		web.Redirect(w, r, "/login/mfa?flow="+url.QueryEscape(ff.Flow.ID))
		return nil, false
	}
	return ff, true
}

func (h *Handler) renderReauth(w http.ResponseWriter, r *http.Request, status int, ff *flow.SessionFlow, errKey string, args ...any) {
	base := h.Kit.Base(w, r)
	base.ErrorKey, base.ErrorArgs = errKey, args
	page := &ui.ReauthPage{Base: base, FlowID: ff.Flow.ID, Username: ff.Account.AuthenticatorName(ff.Flow.Capacity)}
	if begin, finish := h.passkeyEndpoints(); begin != "" {
		if keys, err := h.Store.WebAuthnCredentials(r.Context(), ff.Account.ID); err == nil {
			for _, k := range keys {
				if k.Discoverable {
					page.WebAuthn = ui.WebAuthnEndpoints{Begin: begin, Finish: finish}
				}
			}
		}
	}
	h.Kit.Render(w, r, status, "reauth", page)
}

func (h *Handler) postReauth(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	if !h.Kit.ParsePost(w, r) {
		return
	}
	ff, ok := h.reauthFlow(w, r, r.PostForm.Get("flow"))
	if !ok {
		return
	}
	password := r.PostForm.Get("password")
	checked, err := h.Guard.Check(ctx, factorKey(ff.Account.ID), authn.AddressKey(web.ClientAddress(r)), h.Sleep,
		func(ctx context.Context) (bool, error) { return h.confirmPassword(ctx, ff.Account, password) })
	if errors.Is(err, authn.ErrUnavailable) {
		h.Log.Error("directory", "err", err)
		h.renderReauth(w, r, http.StatusServiceUnavailable, ff, "login.directory_unavailable")
		return
	}
	if err != nil {
		h.env.Unavailable(w, r, err)
		return
	}
	switch {
	case checked.Refused:
		h.env.Record(r, audit.ReauthLocked, ff.Account.ID, "", nil)
		h.renderReauth(w, r, http.StatusTooManyRequests, ff, "login.too_many_attempts", h.env.LockMinutes())
		return
	case !checked.OK:
		h.env.Record(r, audit.ReauthFailure, ff.Account.ID, "", map[string]string{"method": "password"})
		if checked.Locked {
			h.renderReauth(w, r, http.StatusTooManyRequests, ff, "login.too_many_attempts", h.env.LockMinutes())
			return
		}
		h.renderReauth(w, r, http.StatusUnauthorized, ff, "reauth.invalid_password")
		return
	}
	fs, err := h.factors(ctx, ff.Account.ID)
	if err != nil {
		h.env.Unavailable(w, r, err)
		return
	}
	ff.Flow.ReauthPassword = true
	if fs.Any() {
		ff.Flow.Required = authn.LoA2
		if err := h.env.Flows.Save(ctx, ff.Flow); err != nil {
			h.env.Unavailable(w, r, err)
			return
		}
		web.Redirect(w, r, "/login/mfa?flow="+url.QueryEscape(ff.Flow.ID))
		return
	}
	// No second factor to ask for: the password is the whole confirmation.
	amr := []string{authn.AMRPassword}
	if err := h.Sessions.Upgrade(ctx, ff.SSO, ff.SSO.ACR, amr, h.Now().UTC()); err != nil {
		h.env.Unavailable(w, r, err)
		return
	}
	ff.Flow.Reauth, ff.Flow.ReauthPassword = false, false
	ff.Flow.ACR, ff.Flow.AMR, ff.Flow.AuthTime = ff.SSO.ACR, ff.SSO.AMR, ff.SSO.AuthTime
	h.env.Record(r, audit.ReauthSuccess, ff.Account.ID, "", map[string]string{"method": "password", "sid": ff.SSO.ID})
	h.Resume(w, r, ff.Flow)
}

// confirmPassword checks the password of a known account: its local
// password, or, for an official of a staff directory without one, the
// directory's.
func (h *Handler) confirmPassword(ctx context.Context, acct *identity.Account, password string) (bool, error) {
	if password == "" || len(password) > 1024 {
		return false, nil
	}
	hash, err := h.Store.PasswordHash(ctx, acct.ID)
	switch {
	case err == nil:
		ok, _, err := h.Hasher.Verify(password, hash)
		if err != nil {
			h.Log.Error("password hash", "subject", acct.ID, "err", err)
			return false, nil
		}
		return ok, nil
	case !errors.Is(err, store.ErrNotFound):
		return false, err
	}
	if h.Directory == nil || acct.Official == nil || acct.Official.Directory == "" {
		h.Hasher.Burn(password)
		return false, nil
	}
	got, handled, ok, err := h.Directory.Authenticate(ctx, acct.Official.Username, password)
	if err != nil && !errors.Is(err, authn.ErrUnavailable) {
		return false, nil // a disabled or expired directory account does not confirm anyone
	}
	if err != nil {
		return false, err
	}
	return handled && ok && got != nil && got.ID == acct.ID, nil
}
