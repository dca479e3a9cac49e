package account

import (
	"context"
	"errors"
	"net/http"
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

// PasswordChange is what the console needs to let a person change their
// password at /account/password.
//
// Rules: the person proves it is them with the current password, unless
// the session is fresh — a login with both factors, for an account that has
// a second factor, or a login through an upstream e-ID provider that
// proves the personal ID, for an account whose personal ID is proven (the
// way back for who forgot the password: "reset with VNeID") — within
// ReauthMaxAge. A wrong current password is a failed try of the account's
// password (the brute-force guard of the login: AccountKey and the
// address). An official whose password lives in a staff directory (no
// local password) is told to change it there, and nothing changes. The new
// password follows Rules. After the change the person's other sessions end
// (with their refresh tokens, and back-channel logout to their
// applications); the current session stays. Every change and every refused
// try is audited.
type PasswordChange struct {
	Hasher authn.Hasher
	Rules  authn.PasswordRules
	Guard  *authn.Guard
	// ReauthMaxAge is how recent a login that stands for the current
	// password must be (mfa.reauthentication_max_age).
	ReauthMaxAge time.Duration
	// ProvesPersonalID reports whether the upstream provider of that name
	// proves personal IDs (nil: none does).
	ProvesPersonalID func(provider string) bool
	// Now is the clock (time.Now when nil).
	Now func() time.Time
	// Sleep waits for the guard's delay (a timer bounded by ctx when nil).
	Sleep func(ctx context.Context, d time.Duration)
}

const passwordPath = "/account/password"

func (h *Handler) registerPassword(mux *http.ServeMux) {
	mux.HandleFunc("GET "+passwordPath, h.showPassword)
	mux.HandleFunc("POST "+passwordPath, h.postPassword)
}

func (p *PasswordChange) now() time.Time {
	if p.Now != nil {
		return p.Now()
	}
	return time.Now()
}

func (p *PasswordChange) sleep(ctx context.Context, d time.Duration) {
	if d <= 0 {
		return
	}
	if p.Sleep != nil {
		p.Sleep(ctx, d)
		return
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}

// passwordState is what the page needs to know of the person.
type passwordState struct {
	acct      *identity.Account
	hash      string // "" when the account has no local password
	directory bool   // an official of a staff directory without a local password
	proof     string // "second_factor" or "upstream" when no current password is needed
}

func (h *Handler) passwordState(ctx context.Context, sso *session.SSO) (*passwordState, error) {
	acct, err := h.Store.GetAccount(ctx, sso.AccountID)
	if err != nil {
		return nil, err
	}
	st := &passwordState{acct: acct}
	st.hash, err = h.Store.PasswordHash(ctx, acct.ID)
	switch {
	case errors.Is(err, store.ErrNotFound):
		st.hash = ""
		st.directory = acct.Official != nil && acct.Official.Directory != ""
	case err != nil:
		return nil, err
	}
	p := h.Password
	recent := p.now().Sub(sso.AuthTime) <= p.ReauthMaxAge
	if h.Factors != nil && recent {
		f, err := h.factorsOf(ctx, acct.ID)
		if err != nil {
			return nil, err
		}
		if f.Any() && f.Fresh(sso.ACR, sso.AuthTime, p.now(), p.ReauthMaxAge) {
			st.proof = "second_factor"
		}
	}
	if st.proof == "" && recent && sso.Upstream != "" && p.ProvesPersonalID != nil && p.ProvesPersonalID(sso.Upstream) &&
		acct.PersonalIDVerified() {
		st.proof = "upstream"
	}
	return st, nil
}

func (h *Handler) renderPassword(w http.ResponseWriter, r *http.Request, status int, st *passwordState, errKey string, args ...any) {
	base := h.Kit.Base(w, r)
	base.ErrorKey, base.ErrorArgs = errKey, args
	h.Kit.Render(w, r, status, "password_change", &ui.ChangePasswordPage{Base: base, NeedCurrent: st.proof == "",
		Upstream: st.proof == "upstream", MinPasswordLength: h.Password.Rules.MinLength})
}

// passwordPage answers when there is no form to show: an official of a
// directory, or an account without a password and nothing that stands for
// it. It reports whether it answered.
func (h *Handler) passwordPage(w http.ResponseWriter, r *http.Request, st *passwordState) bool {
	switch {
	case st.directory && st.proof != "upstream":
		h.Kit.Render(w, r, http.StatusOK, "message", &ui.MessagePage{Base: h.Kit.Base(w, r),
			TitleKey: "change.directory_title", MessageKey: "reset.directory", LinkURL: "/account", LinkKey: "account.title"})
		return true
	case st.hash == "" && st.proof == "":
		// Nothing to confirm the change with: confirm who it is first.
		web.Redirect(w, r, "/login/reauth?return="+passwordPath)
		return true
	}
	return false
}

func (h *Handler) showPassword(w http.ResponseWriter, r *http.Request) {
	sso, ok := h.current(w, r)
	if !ok {
		return
	}
	st, err := h.passwordState(r.Context(), sso)
	if err != nil {
		h.unavailable(w, r, err)
		return
	}
	if h.passwordPage(w, r, st) {
		return
	}
	h.renderPassword(w, r, http.StatusOK, st, "")
}

func (h *Handler) postPassword(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	if !h.Kit.ParsePost(w, r) {
		return
	}
	sso, ok := h.current(w, r)
	if !ok {
		return
	}
	st, err := h.passwordState(ctx, sso)
	if err != nil {
		h.unavailable(w, r, err)
		return
	}
	if h.passwordPage(w, r, st) {
		return
	}
	pw := r.PostForm.Get("password")
	if why := h.Password.Rules.Check(pw); why != "" {
		h.renderPassword(w, r, http.StatusBadRequest, st, why, h.Password.Rules.MinLength)
		return
	}
	if pw != r.PostForm.Get("password_confirm") {
		h.renderPassword(w, r, http.StatusBadRequest, st, "error.password.mismatch")
		return
	}
	proof := st.proof
	if proof == "" {
		proof = "password"
		if !h.confirmCurrent(w, r, st) {
			return
		}
	}
	hash, err := h.Password.Hasher.Hash(pw)
	if err != nil {
		h.unavailable(w, r, err)
		return
	}
	if err := h.Store.SetPasswordHash(ctx, st.acct.ID, hash); err != nil {
		h.unavailable(w, r, err)
		return
	}
	ended, err := h.endOtherSessions(ctx, sso)
	if err != nil {
		h.unavailable(w, r, err)
		return
	}
	h.recorder.FromRequest(r, audit.AccountPasswordChange, st.acct.ID, "",
		map[string]string{"proof": proof, "sessions_ended": strconv.Itoa(ended)})
	h.render(w, r, sso, "change.done")
}

// confirmCurrent checks the current password under the brute-force guard,
// answering the request when it is wrong or refused.
func (h *Handler) confirmCurrent(w http.ResponseWriter, r *http.Request, st *passwordState) bool {
	ctx := r.Context()
	guard := h.Password.Guard
	try, err := guard.Attempt(ctx, authn.AccountKey(st.acct.ID), authn.AddressKey(web.ClientAddress(r)))
	if err != nil {
		h.unavailable(w, r, err)
		return false
	}
	if try.Locked {
		h.recorder.FromRequest(r, audit.AccountPasswordChangeRefused, st.acct.ID, "", map[string]string{"reason": "locked"})
		h.renderPassword(w, r, http.StatusTooManyRequests, st, "login.too_many_attempts",
			int(guard.Policy.LockDuration.Minutes()+0.5))
		return false
	}
	h.Password.sleep(ctx, try.Delay)
	current := r.PostForm.Get("current_password")
	ok := false
	if current != "" && len(current) <= authn.MaxPasswordBytes*4 {
		ok, _, err = h.Password.Hasher.Verify(current, st.hash)
		if err != nil {
			h.Log.Error("password hash", "subject", st.acct.ID, "err", err)
			ok = false
		}
	} else {
		h.Password.Hasher.Burn(current)
	}
	if !ok {
		if _, err := try.Fail(ctx); err != nil {
			h.unavailable(w, r, err)
			return false
		}
		h.recorder.FromRequest(r, audit.AccountPasswordChangeRefused, st.acct.ID, "", map[string]string{"reason": "wrong_password"})
		h.renderPassword(w, r, http.StatusBadRequest, st, "change.wrong_current")
		return false
	}
	if err := try.Succeed(ctx); err != nil {
		h.unavailable(w, r, err)
		return false
	}
	return true
}

// endOtherSessions ends every session of the person but sso: each with its
// refresh tokens and back-channel logout to its applications.
func (h *Handler) endOtherSessions(ctx context.Context, sso *session.SSO) (int, error) {
	live, err := h.Sessions.OfSubject(ctx, sso.AccountID)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, s := range live {
		if s.ID == sso.ID {
			continue
		}
		if err := h.Logout.End(ctx, s, session.ReasonPasswordChange, sso.AccountID); err != nil {
			return n, err
		}
		n++
	}
	return n, nil
}
