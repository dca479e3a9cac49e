package login

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"unicode"

	"github.com/dinhdanh/dinhdanh/server/audit"
	"github.com/dinhdanh/dinhdanh/server/authn"
	"github.com/dinhdanh/dinhdanh/server/identity"
	"github.com/dinhdanh/dinhdanh/server/web"
	"github.com/dinhdanh/dinhdanh/store"
	"github.com/dinhdanh/dinhdanh/ui"
)

// loginFlow returns the flow named by ?flow= (or the form), creating a
// console flow for a direct visit to /login.
func (h *Handler) loginFlow(r *http.Request) (*Flow, error) {
	id := r.FormValue("flow")
	if id == "" {
		fl := &Flow{ReturnTo: "/account", RequestedAt: h.Now().UTC()}
		return fl, h.env.Flows.Create(r.Context(), fl)
	}
	return h.env.Flows.Get(r.Context(), id)
}

func (h *Handler) RenderLogin(w http.ResponseWriter, r *http.Request, status int, fl *Flow, identifier, errKey string, errArgs ...any) {
	base := h.Kit.Base(w, r)
	base.ErrorKey, base.ErrorArgs = errKey, errArgs
	if r.URL.Query().Get("registered") == "1" && errKey == "" {
		base.NoticeKey = "register.success"
	}
	page := &ui.LoginPage{Base: base, FlowID: fl.ID, ClientName: fl.ClientName,
		Identifier: identifier, CanRegister: h.Opts.AllowRegistration}
	page.Passkey.Begin, page.Passkey.Finish = h.passkeyEndpoints()
	h.cert.LoginSection(w, page)
	if fl.Required == authn.LoA3 && page.Certificate != nil {
		// The application needs a certificate login: nothing else is offered.
		page.CertificateOnly, page.CanRegister = true, false
		page.Passkey.Begin, page.Passkey.Finish = "", ""
	}
	h.Kit.Render(w, r, status, "login", page)
}

func (h *Handler) showLogin(w http.ResponseWriter, r *http.Request) {
	if err := web.ParseForm(r); err != nil {
		h.Kit.FormError(w, r, err)
		return
	}
	fl, err := h.loginFlow(r)
	if err != nil {
		h.env.FlowError(w, r, err)
		return
	}
	if r.URL.Query().Get("flow") == "" {
		web.Redirect(w, r, "/login?flow="+url.QueryEscape(fl.ID))
		return
	}
	h.RenderLogin(w, r, http.StatusOK, fl, r.URL.Query().Get("identifier"), "")
}

// classify tells which identifier a person typed: a 12-digit personal ID, an
// email, a phone number, or else a local official's username.
func classify(input string) (kind store.IdentifierKind, value string) {
	s := strings.TrimSpace(input)
	if pid, err := identity.ParsePersonalID(s); err == nil {
		return store.ByPersonalID, string(pid)
	}
	if strings.Contains(s, "@") {
		if e, err := identity.NormalizeEmail(s); err == nil {
			return store.ByEmail, e
		}
		return store.ByEmail, strings.ToLower(s)
	}
	if looksLikePhone(s) {
		if p, err := identity.NormalizePhone(s); err == nil {
			return store.ByPhone, p
		}
	}
	return store.ByUsername, strings.ToLower(s)
}

func looksLikePhone(s string) bool {
	digits := 0
	for _, c := range s {
		switch {
		case unicode.IsDigit(c):
			digits++
		case c == '+' || c == ' ' || c == '.' || c == '-' || c == '(' || c == ')':
		default:
			return false
		}
	}
	return digits >= 9
}

func (h *Handler) postLogin(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	if !h.Kit.ParsePost(w, r) {
		return
	}
	fl, err := h.env.Flows.Get(ctx, r.PostForm.Get("flow"))
	if err != nil {
		h.env.FlowError(w, r, err)
		return
	}
	input := strings.TrimSpace(r.PostForm.Get("identifier"))
	password := r.PostForm.Get("password")
	if input == "" || password == "" || len(input) > 256 || len(password) > 1024 {
		h.RenderLogin(w, r, http.StatusBadRequest, fl, input, "login.invalid_credentials")
		return
	}
	kind, value := classify(input)
	local, err := h.localAccount(ctx, kind, value)
	if err != nil {
		h.env.Unavailable(w, r, err)
		return
	}
	pc := &passwordCheck{input: input, password: password, kind: kind, local: local, method: "password"}
	checked, err := h.Guard.Check(ctx, pc.subjectKey(value), authn.AddressKey(web.ClientAddress(r)), h.Sleep, pc.verify(h))
	if err != nil {
		h.passwordError(w, r, fl, pc, err)
		return
	}
	lockMinutes := h.env.LockMinutes()
	switch {
	case checked.Refused:
		h.env.Record(r, audit.LoginLocked, "", fl.ClientID, map[string]string{"identifier_kind": string(kind)})
		h.RenderLogin(w, r, http.StatusTooManyRequests, fl, input, "login.too_many_attempts", lockMinutes)
		return
	case !checked.OK:
		h.env.Record(r, audit.LoginFailure, subjectOf(pc.acct), fl.ClientID,
			map[string]string{"identifier_kind": string(pc.kind), "method": pc.method})
		if checked.Locked {
			h.RenderLogin(w, r, http.StatusTooManyRequests, fl, input, "login.too_many_attempts", lockMinutes)
			return
		}
		h.RenderLogin(w, r, http.StatusUnauthorized, fl, input, "login.invalid_credentials")
		return
	}
	acct := pc.acct
	if acct.Disabled {
		h.env.Record(r, audit.LoginDisabled, acct.ID, fl.ClientID, nil)
		h.RenderLogin(w, r, http.StatusForbidden, fl, input, "login.account_disabled")
		return
	}
	capacity := identity.CapacityCitizen
	if pc.kind == store.ByUsername || acct.PersonalID == "" {
		capacity = identity.CapacityOfficial
	}
	if err := h.env.StartSession(w, r, fl, acct, capacity, authn.LoA1, []string{authn.AMRPassword}, pc.method); err != nil {
		h.env.Unavailable(w, r, err)
		return
	}
	h.Resume(w, r, fl)
}

// passwordCheck is one password login: what was typed, the local account it
// names (nil when none), and what the check found.
type passwordCheck struct {
	input, password string
	kind            store.IdentifierKind
	local           *identity.Account
	// Set by verify: the account that answered and how.
	acct   *identity.Account
	method string
}

// subjectKey is the brute-force counter of the login: the account's, so
// that every identifier of one person shares one counter, or the typed
// identifier's when it names no account (the same answer either way).
func (pc *passwordCheck) subjectKey(value string) string {
	if pc.local != nil {
		return authn.AccountKey(pc.local.ID)
	}
	return authn.IdentifierKey(string(pc.kind) + ":" + value)
}

// verify checks the password: a staff directory first (officials), then the
// local account. An error is an outage or a state of a right directory
// credential (disabled, expired), not a wrong password.
func (pc *passwordCheck) verify(h *Handler) func(context.Context) (bool, error) {
	return func(ctx context.Context) (bool, error) {
		if h.Directory != nil {
			acct, handled, ok, err := h.Directory.Authenticate(ctx, pc.input, pc.password)
			pc.acct, pc.method = acct, "directory"
			if err != nil || handled {
				if ok {
					pc.kind = store.ByUsername
				}
				return ok, err
			}
		}
		pc.method = "password"
		acct, ok, err := h.checkPassword(ctx, pc.local, pc.password)
		pc.acct = acct
		return ok, err
	}
}

// passwordError answers a password login whose check failed with an error.
func (h *Handler) passwordError(w http.ResponseWriter, r *http.Request, fl *Flow, pc *passwordCheck, err error) {
	switch {
	case errors.Is(err, authn.ErrUnavailable):
		h.Log.Error("directory", "err", err)
		h.env.Record(r, audit.LoginDirectoryUnavailable, "", fl.ClientID, nil)
		h.RenderLogin(w, r, http.StatusServiceUnavailable, fl, pc.input, "login.directory_unavailable")
	case errors.Is(err, authn.ErrAccountDisabled):
		h.env.Record(r, audit.LoginDisabled, subjectOf(pc.acct), fl.ClientID, map[string]string{"method": pc.method})
		h.RenderLogin(w, r, http.StatusForbidden, fl, pc.input, "login.account_disabled")
	case errors.Is(err, authn.ErrPasswordExpired):
		h.env.Record(r, audit.LoginPasswordExpired, subjectOf(pc.acct), fl.ClientID, map[string]string{"method": pc.method})
		h.RenderLogin(w, r, http.StatusForbidden, fl, pc.input, "login.password_expired")
	default:
		h.env.Unavailable(w, r, err)
	}
}

// localAccount returns the local account an identifier names, or nil: a
// username names officials only.
func (h *Handler) localAccount(ctx context.Context, kind store.IdentifierKind, value string) (*identity.Account, error) {
	acct, err := h.Store.FindAccount(ctx, kind, value)
	if errors.Is(err, store.ErrNotFound) || (err == nil && kind == store.ByUsername && acct.Official == nil) {
		return nil, nil
	}
	return acct, err
}

// checkPassword verifies the password of a local account (nil: none),
// rehashing it when the parameters rose. A missing account or password
// spends the same time.
func (h *Handler) checkPassword(ctx context.Context, acct *identity.Account, password string) (*identity.Account, bool, error) {
	if acct == nil {
		h.Hasher.Burn(password)
		return nil, false, nil
	}
	hash, err := h.Store.PasswordHash(ctx, acct.ID)
	if errors.Is(err, store.ErrNotFound) {
		h.Hasher.Burn(password)
		return acct, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	ok, rehash, err := h.Hasher.Verify(password, hash)
	if err != nil {
		h.Log.Error("password hash", "subject", acct.ID, "err", err)
		return acct, false, nil
	}
	if ok && rehash {
		if nh, err := h.Hasher.Hash(password); err == nil {
			if err := h.Store.SetPasswordHash(ctx, acct.ID, nh); err != nil {
				h.Log.Warn("rehash", "subject", acct.ID, "err", err)
			}
		}
	}
	return acct, ok, nil
}

func subjectOf(a *identity.Account) string {
	if a == nil {
		return ""
	}
	return a.ID
}
