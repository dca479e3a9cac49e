package register

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/dinhdanh/dinhdanh/server/audit"
	"github.com/dinhdanh/dinhdanh/server/authn"
	"github.com/dinhdanh/dinhdanh/server/identity"
	"github.com/dinhdanh/dinhdanh/server/login/flow"
	"github.com/dinhdanh/dinhdanh/server/web"
	"github.com/dinhdanh/dinhdanh/store"
	"github.com/dinhdanh/dinhdanh/ui"
)

// Step is citizens' self-registration.
type Step struct {
	env         *flow.Env
	hasher      authn.Hasher
	allow       bool
	minPassword int
	notices     Notifier
	privacy     Notice
}

// Notice is the operator's privacy notice, which a registration accepts
// (Law 91/2025/QH15): its URL per language ("" for none: the page shows the
// catalog's short notice) and its version, recorded with the acceptance.
type Notice struct {
	URLVI, URLEN string
	Version      string
}

// url returns the notice's URL in the language lang, the Vietnamese one when
// there is none in lang.
func (n Notice) url(lang string) string {
	if lang == "en" && n.URLEN != "" {
		return n.URLEN
	}
	return n.URLVI
}

// Notifier tells the holder of a contact that someone tried to register an
// account with it (notify.Notices implements it). RegisterTaken sends
// holder a notice at recipient, its contact of channel ("email" or "sms"),
// at most once per recipient and interval, and returns the outcome
// ("queued" or "limited"); an error means it could not be enqueued.
type Notifier interface {
	RegisterTaken(ctx context.Context, holder *identity.Account, channel, recipient string) (string, error)
}

// New returns the registration step: allow turns it on; minPassword is the
// shortest password accepted; notices (nil for none) tells the holders of
// taken contacts; privacy is the notice a registration must accept (a
// Version of "" is "1").
func New(env *flow.Env, hasher authn.Hasher, allow bool, minPassword int, notices Notifier, privacy Notice) *Step {
	if privacy.Version == "" {
		privacy.Version = "1"
	}
	return &Step{env: env, hasher: hasher, allow: allow, minPassword: minPassword, notices: notices, privacy: privacy}
}

// Register mounts /register.
func (s *Step) Register(mux *http.ServeMux) {
	mux.HandleFunc("GET /register", s.showRegister)
	mux.HandleFunc("POST /register", s.postRegister)
}

var registerFields = []string{"personal_id", "full_name", "birthdate", "gender", "email", "phone"}

func (s *Step) renderRegister(w http.ResponseWriter, r *http.Request, status int, fl *flow.Flow, values, errs map[string]string) {
	base := s.env.Kit.Base(w, r)
	if len(errs) > 0 {
		base.ErrorKey, base.ErrorArgs = "error.form.summary", []any{len(errs)}
	}
	s.env.Kit.Render(w, r, status, "register", s.page(w, r, base, fl, values, errs))
}

func (s *Step) page(w http.ResponseWriter, r *http.Request, base ui.Base, fl *flow.Flow, values, errs map[string]string) *ui.RegisterPage {
	return &ui.RegisterPage{Base: base, FlowID: fl.ID, Values: values, FieldErrors: errs, MinPasswordLength: s.minPassword,
		PrivacyURL: s.privacy.url(s.env.Kit.Lang(w, r)), PrivacyVersion: s.privacy.Version}
}

func (s *Step) showRegister(w http.ResponseWriter, r *http.Request) {
	if !s.allow {
		s.env.Kit.Error(w, r, http.StatusNotFound, "not_found")
		return
	}
	if err := web.ParseForm(r); err != nil {
		s.env.Kit.FormError(w, r, err)
		return
	}
	fl, err := s.env.Named(r)
	if err != nil {
		s.env.FlowError(w, r, err)
		return
	}
	s.renderRegister(w, r, http.StatusOK, fl, map[string]string{}, nil)
}

// RegistrationForm is a citizen's self-registration, validated.
type RegistrationForm struct {
	Account  identity.Account
	Password string
}

// ValidateRegistration checks every field and returns the account to create,
// or the message key of each field's problem.
func ValidateRegistration(form url.Values, minPassword int, now time.Time) (*RegistrationForm, map[string]string) {
	errs := map[string]string{}
	fail := func(field string, err error) {
		var ie *identity.InvalidError
		if errors.As(err, &ie) {
			errs[field] = ie.MessageKey()
		} else {
			errs[field] = "error." + field + ".invalid"
		}
	}
	var a identity.Account
	pid, err := identity.ParsePersonalID(form.Get("personal_id"))
	if err != nil {
		fail("personal_id", err)
	}
	if a.FullName, err = identity.NormalizeFullName(form.Get("full_name")); err != nil {
		fail("full_name", err)
	}
	birth, err := identity.ParseBirthdate(form.Get("birthdate"), now)
	if err != nil {
		fail("birthdate", err)
	}
	if a.Gender, err = identity.ParseGender(form.Get("gender")); err != nil {
		fail("gender", err)
	}
	if errs["personal_id"] == "" && errs["birthdate"] == "" {
		if err := pid.CheckBirth(birth, a.Gender); err != nil {
			fail("personal_id", err)
		}
	}
	if errs["birthdate"] == "" {
		a.Birthdate = birth.Format(identity.BirthdateLayout)
	}
	a.PersonalID = pid
	email, phone := strings.TrimSpace(form.Get("email")), strings.TrimSpace(form.Get("phone"))
	if email == "" && phone == "" {
		errs["contact"] = "error.contact.required"
	}
	if email != "" {
		if a.Email, err = identity.NormalizeEmail(email); err != nil {
			fail("email", err)
		}
	}
	if phone != "" {
		if a.Phone, err = identity.NormalizePhone(phone); err != nil {
			fail("phone", err)
		}
	}
	pw := form.Get("password")
	switch {
	case authn.PasswordRules{MinLength: minPassword}.Check(pw) != "":
		errs["password"] = authn.PasswordRules{MinLength: minPassword}.Check(pw)
	case pw != form.Get("password_confirm"):
		errs["password_confirm"] = "error.password.mismatch"
	}
	if len(errs) > 0 {
		return nil, errs
	}
	a.Locale = "vi"
	return &RegistrationForm{Account: a, Password: pw}, nil
}

func (s *Step) postRegister(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	if !s.allow {
		s.env.Kit.Error(w, r, http.StatusNotFound, "not_found")
		return
	}
	if !s.env.Kit.ParsePost(w, r) {
		return
	}
	fl, err := s.env.Flows.Get(ctx, r.PostForm.Get("flow"))
	if err != nil {
		s.env.FlowError(w, r, err)
		return
	}
	values := map[string]string{}
	for _, f := range registerFields {
		values[f] = strings.TrimSpace(r.PostForm.Get(f))
	}
	// Successful registrations per client address are limited (a script
	// creating accounts in bulk); invalid attempts do not count, so that many
	// people behind one shared address can correct their mistakes. A
	// registration reserves its place (one atomic Hit) before the account is
	// created and gives it back when it fails, so parallel registrations
	// cannot exceed the limit.
	key, limit := "reg:"+web.ClientAddress(r), int64(s.env.Guard.Policy.AddressMaxFailures)
	tooMany := func() {
		s.env.Kit.Render(w, r, http.StatusTooManyRequests, "register",
			s.page(w, r, withError(s.env.Kit.Base(w, r), "login.too_many_attempts", 60), fl, values, nil))
	}
	n, err := s.env.Eph.Count(ctx, key)
	if err != nil {
		s.env.Unavailable(w, r, err)
		return
	}
	if n >= limit {
		tooMany()
		return
	}
	form, errs := ValidateRegistration(r.PostForm, s.minPassword, s.env.Now())
	// The privacy notice must be accepted: without it nothing is created.
	if r.PostForm.Get("privacy_accept") != "1" {
		if errs == nil {
			errs = map[string]string{}
		}
		errs["privacy"] = "error.privacy.required"
	}
	if len(errs) > 0 {
		s.renderRegister(w, r, http.StatusBadRequest, fl, values, errs)
		return
	}
	if n, err = s.env.Eph.Hit(ctx, key, time.Hour); err != nil {
		s.env.Unavailable(w, r, err)
		return
	}
	created := false
	defer func() {
		if created {
			return
		}
		if err := s.env.Eph.Unhit(context.WithoutCancel(ctx), key); err != nil {
			s.env.Log.Warn("giving back a registration", "err", err)
		}
	}()
	if n > limit {
		tooMany()
		return
	}
	hash, err := s.hasher.Hash(form.Password)
	if err != nil {
		s.env.Unavailable(w, r, err)
		return
	}
	a := form.Account
	a.ID = identity.NewSubject()
	a.Locale = s.env.Kit.Lang(w, r)
	registered := "/login?flow=" + url.QueryEscape(fl.ID) + "&registered=1&identifier=" + url.QueryEscape(string(a.PersonalID))
	accepted := store.PrivacyAcceptance{AccountID: a.ID, Version: s.privacy.Version, AcceptedAt: s.env.Now().UTC()}
	if err := s.env.Store.RegisterAccount(ctx, &a, hash, accepted); err != nil {
		field, ok := store.IsConflict(err)
		if !ok || field == "id" {
			s.env.Unavailable(w, r, err)
			return
		}
		// The page answers as a registration does: it never tells whether
		// a personal ID, an email or a phone number is someone's. The
		// place in the address's limit stays taken, so that probing costs
		// what registering does.
		created = true
		s.taken(r, fl.ClientID, field, &a)
		web.Redirect(w, r, registered)
		return
	}
	created = true
	s.env.Record(r, audit.AccountRegister, a.ID, fl.ClientID, map[string]string{"kind": "citizen", "privacy_notice": s.privacy.Version})
	web.Redirect(w, r, registered)
}

// taken records a registration that gave the field ("personal_id", "email"
// or "phone") of another account: audited account.register_taken. Every
// account that holds one of the identifiers the registrant gave is owed a
// notice (someone tried to register with your address or number): at the
// taken email or phone itself, and for a taken personal ID at its holder's
// email, else phone. The event says notice=due when one is owed, and
// notices= what became of them (queued, limited, error). The notices go
// through the outbox (see Notifier), limited per recipient; the page
// answers the same whatever happens here.
// Without a Notifier the notice due is audited and logged only.
func (s *Step) taken(r *http.Request, clientID, field string, a *identity.Account) {
	ctx := context.WithoutCancel(r.Context())
	type target struct{ channel, to string }
	holders := map[string]*identity.Account{}
	notices := map[target]*identity.Account{}
	find := func(kind store.IdentifierKind, value string) *identity.Account {
		if value == "" {
			return nil
		}
		h, err := s.env.Store.FindAccount(ctx, kind, value)
		if err != nil {
			if !errors.Is(err, store.ErrNotFound) {
				s.env.Log.Warn("registration of a taken identifier: finding the holder", "kind", kind, "err", err)
			}
			return nil
		}
		holders[string(kind)] = h
		return h
	}
	if h := find(store.ByEmail, a.Email); h != nil {
		notices[target{store.ChannelEmail, h.Email}] = h
	}
	if h := find(store.ByPhone, a.Phone); h != nil {
		notices[target{store.ChannelSMS, h.Phone}] = h
	}
	if h := find(store.ByPersonalID, string(a.PersonalID)); h != nil {
		switch {
		case h.Email != "":
			notices[target{store.ChannelEmail, h.Email}] = h
		case h.Phone != "":
			notices[target{store.ChannelSMS, h.Phone}] = h
		}
	}
	holder := ""
	if h := holders[field]; h != nil {
		holder = h.ID
	}
	details := map[string]string{"field": field}
	if len(notices) > 0 {
		details["notice"] = "due"
	}
	if s.notices == nil {
		if len(notices) > 0 {
			s.env.Log.Info("registration with an identifier another account holds: a notice is due (no notifier)",
				"field", field, "holder", holder)
		}
		s.env.Record(r, audit.AccountRegisterTaken, holder, clientID, details)
		return
	}
	outcomes := map[string]int{}
	for t, h := range notices {
		outcome, err := s.notices.RegisterTaken(ctx, h, t.channel, t.to)
		if err != nil {
			s.env.Log.Error("registration of a taken identifier: the notice could not be enqueued", "channel", t.channel,
				"holder", h.ID, "err", err)
			outcome = "error"
		}
		outcomes[outcome]++
	}
	if len(outcomes) > 0 {
		var parts []string
		for _, o := range []string{"queued", "limited", "error"} {
			if outcomes[o] > 0 {
				parts = append(parts, o)
			}
		}
		details["notices"] = strings.Join(parts, ",")
	}
	s.env.Record(r, audit.AccountRegisterTaken, holder, clientID, details)
}

func withError(b ui.Base, key string, args ...any) ui.Base {
	b.ErrorKey, b.ErrorArgs = key, args
	return b
}
