package password

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"unicode"

	"github.com/dinhdanh/dinhdanh/server/audit"
	"github.com/dinhdanh/dinhdanh/server/authn"
	"github.com/dinhdanh/dinhdanh/server/identity"
	"github.com/dinhdanh/dinhdanh/server/login/flow"
	"github.com/dinhdanh/dinhdanh/server/web"
	"github.com/dinhdanh/dinhdanh/store"
)

// Step is the password login: POST /login.
type Step struct{ env *flow.Env }

// New returns the password step.
func New(env *flow.Env) *Step { return &Step{env: env} }

// Register mounts POST /login.
func (s *Step) Register(mux *http.ServeMux) { mux.HandleFunc("POST /login", s.postLogin) }

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

func (s *Step) postLogin(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	if !s.env.Kit.ParsePost(w, r) {
		return
	}
	fl, err := s.env.Flows.Get(ctx, r.PostForm.Get("flow"))
	if err != nil {
		s.env.FlowError(w, r, err)
		return
	}
	input := strings.TrimSpace(r.PostForm.Get("identifier"))
	password := r.PostForm.Get("password")
	if input == "" || password == "" || len(input) > 256 || len(password) > 1024 {
		s.env.Next.RenderLogin(w, r, http.StatusBadRequest, fl, input, "login.invalid_credentials")
		return
	}
	kind, value := classify(input)
	local, err := s.localAccount(ctx, kind, value)
	if err != nil {
		s.env.Unavailable(w, r, err)
		return
	}
	pc := &passwordCheck{input: input, password: password, kind: kind, local: local, method: "password"}
	checked, err := s.env.Guard.Check(ctx, pc.subjectKey(value), authn.AddressKey(web.ClientAddress(r)), s.env.Sleep, pc.verify(s))
	if err != nil {
		s.passwordError(w, r, fl, pc, err)
		return
	}
	lockMinutes := s.env.LockMinutes()
	switch {
	case checked.Refused:
		s.env.Record(r, audit.LoginLocked, "", fl.ClientID, map[string]string{"identifier_kind": string(kind)})
		s.env.Next.RenderLogin(w, r, http.StatusTooManyRequests, fl, input, "login.too_many_attempts", lockMinutes)
		return
	case !checked.OK:
		s.env.Record(r, audit.LoginFailure, subjectOf(pc.acct), fl.ClientID,
			map[string]string{"identifier_kind": string(pc.kind), "method": pc.method})
		if checked.Locked {
			s.env.Next.RenderLogin(w, r, http.StatusTooManyRequests, fl, input, "login.too_many_attempts", lockMinutes)
			return
		}
		s.env.Next.RenderLogin(w, r, http.StatusUnauthorized, fl, input, "login.invalid_credentials")
		return
	}
	acct := pc.acct
	if acct.Disabled {
		s.env.Record(r, audit.LoginDisabled, acct.ID, fl.ClientID, nil)
		s.env.Next.RenderLogin(w, r, http.StatusForbidden, fl, input, "login.account_disabled")
		return
	}
	// Official only for an account that holds an official record: a citizen
	// whose asserted personal ID its prover took holds neither, and stays a
	// citizen.
	capacity := identity.CapacityCitizen
	if acct.Official != nil && (pc.kind == store.ByUsername || acct.PersonalID == "") {
		capacity = identity.CapacityOfficial
	}
	if err := s.env.StartSession(w, r, fl, acct, capacity, authn.LoA1, []string{authn.AMRPassword}, pc.method); err != nil {
		s.env.Unavailable(w, r, err)
		return
	}
	s.env.Next.Resume(w, r, fl)
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

// onlyLocal reports whether the login can only be a local account's: a
// personal ID, or an e-mail address or a phone number of an account that no
// directory provisioned. No directory is asked for it, so that a directory
// that is down or slow costs citizens nothing.
func (pc *passwordCheck) onlyLocal() bool {
	if pc.kind == store.ByPersonalID {
		return true
	}
	return pc.kind != store.ByUsername && pc.local != nil &&
		(pc.local.Official == nil || pc.local.Official.Directory == "")
}

// verify checks the password: a staff directory first (officials), unless
// the identifier can only be local, then the local account. An error is an
// outage or a state of a right directory credential (disabled, expired),
// not a wrong password.
func (pc *passwordCheck) verify(s *Step) func(context.Context) (bool, error) {
	return func(ctx context.Context) (bool, error) {
		if s.env.Passwords.Directory != nil && !pc.onlyLocal() {
			acct, handled, ok, err := s.env.Passwords.Directory.Authenticate(ctx, pc.input, pc.password)
			pc.acct, pc.method = acct, "directory"
			if err != nil || handled {
				if ok {
					pc.kind = store.ByUsername
				}
				return ok, err
			}
		}
		pc.method = "password"
		acct, ok, err := s.env.Passwords.Local(ctx, pc.local, pc.password)
		pc.acct = acct
		return ok, err
	}
}

// passwordError answers a password login whose check failed with an error.
func (s *Step) passwordError(w http.ResponseWriter, r *http.Request, fl *flow.Flow, pc *passwordCheck, err error) {
	switch {
	case errors.Is(err, authn.ErrUnavailable):
		s.env.Log.Error("directory", "err", err)
		s.env.Record(r, audit.LoginDirectoryUnavailable, "", fl.ClientID, nil)
		s.env.Next.RenderLogin(w, r, http.StatusServiceUnavailable, fl, pc.input, "login.directory_unavailable")
	case errors.Is(err, authn.ErrAccountDisabled):
		s.env.Record(r, audit.LoginDisabled, subjectOf(pc.acct), fl.ClientID, map[string]string{"method": pc.method})
		s.env.Next.RenderLogin(w, r, http.StatusForbidden, fl, pc.input, "login.account_disabled")
	case errors.Is(err, authn.ErrPasswordExpired):
		s.env.Record(r, audit.LoginPasswordExpired, subjectOf(pc.acct), fl.ClientID, map[string]string{"method": pc.method})
		s.env.Next.RenderLogin(w, r, http.StatusForbidden, fl, pc.input, "login.password_expired")
	default:
		s.env.Unavailable(w, r, err)
	}
}

// localAccount returns the local account an identifier names, or nil: a
// username names officials only.
func (s *Step) localAccount(ctx context.Context, kind store.IdentifierKind, value string) (*identity.Account, error) {
	acct, err := s.env.Store.FindAccount(ctx, kind, value)
	if errors.Is(err, store.ErrNotFound) || (err == nil && kind == store.ByUsername && acct.Official == nil) {
		return nil, nil
	}
	return acct, err
}

func subjectOf(a *identity.Account) string {
	if a == nil {
		return ""
	}
	return a.ID
}
