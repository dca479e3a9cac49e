package login

import (
	"errors"
	"net/http"
	"net/url"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/dinhdanh/dinhdanh/server/audit"
	"github.com/dinhdanh/dinhdanh/server/identity"
	"github.com/dinhdanh/dinhdanh/server/web"
	"github.com/dinhdanh/dinhdanh/store"
	"github.com/dinhdanh/dinhdanh/ui"
)

var registerFields = []string{"personal_id", "full_name", "birthdate", "gender", "email", "phone"}

func (h *Handler) renderRegister(w http.ResponseWriter, r *http.Request, status int, fl *Flow, values, errs map[string]string) {
	base := h.Kit.Base(w, r)
	if len(errs) > 0 {
		base.ErrorKey, base.ErrorArgs = "error.form.summary", []any{len(errs)}
	}
	h.Kit.Render(w, r, status, "register", &ui.RegisterPage{Base: base, FlowID: fl.ID, Values: values,
		FieldErrors: errs, MinPasswordLength: h.Opts.MinPasswordLength})
}

func (h *Handler) showRegister(w http.ResponseWriter, r *http.Request) {
	if !h.Opts.AllowRegistration {
		h.Kit.Error(w, r, http.StatusNotFound, "not_found")
		return
	}
	if err := web.ParseForm(r); err != nil {
		h.Kit.FormError(w, r, err)
		return
	}
	fl, err := h.loginFlow(r)
	if err != nil {
		h.env.FlowError(w, r, err)
		return
	}
	h.renderRegister(w, r, http.StatusOK, fl, map[string]string{}, nil)
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
	case utf8.RuneCountInString(pw) < minPassword:
		errs["password"] = "error.password.too_short"
	case len(pw) > 256:
		errs["password"] = "error.password.too_long"
	case pw != form.Get("password_confirm"):
		errs["password_confirm"] = "error.password.mismatch"
	}
	if len(errs) > 0 {
		return nil, errs
	}
	a.Locale = "vi"
	return &RegistrationForm{Account: a, Password: pw}, nil
}

func (h *Handler) postRegister(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	if !h.Opts.AllowRegistration {
		h.Kit.Error(w, r, http.StatusNotFound, "not_found")
		return
	}
	if !h.Kit.ParsePost(w, r) {
		return
	}
	fl, err := h.env.Flows.Get(ctx, r.PostForm.Get("flow"))
	if err != nil {
		h.env.FlowError(w, r, err)
		return
	}
	values := map[string]string{}
	for _, f := range registerFields {
		values[f] = strings.TrimSpace(r.PostForm.Get(f))
	}
	// Successful registrations per address are limited (a script creating
	// accounts in bulk); invalid attempts do not count, so that many people
	// behind one shared address can correct their mistakes.
	n, err := h.Eph.Count(ctx, "reg:"+web.ClientAddress(r))
	if err != nil {
		h.env.Unavailable(w, r, err)
		return
	}
	if n >= int64(h.Guard.Policy.AddressMaxFailures) {
		h.Kit.Render(w, r, http.StatusTooManyRequests, "register", &ui.RegisterPage{Base: withError(h.Kit.Base(w, r), "login.too_many_attempts", 60),
			FlowID: fl.ID, Values: values, MinPasswordLength: h.Opts.MinPasswordLength})
		return
	}
	form, errs := ValidateRegistration(r.PostForm, h.Opts.MinPasswordLength, h.Now())
	if len(errs) > 0 {
		h.renderRegister(w, r, http.StatusBadRequest, fl, values, errs)
		return
	}
	hash, err := h.Hasher.Hash(form.Password)
	if err != nil {
		h.env.Unavailable(w, r, err)
		return
	}
	a := form.Account
	a.ID = identity.NewSubject()
	a.Locale = h.Kit.Lang(w, r)
	if err := h.Store.CreateAccount(ctx, &a, hash); err != nil {
		if field, ok := store.IsConflict(err); ok && field != "id" {
			h.renderRegister(w, r, http.StatusConflict, fl, values, map[string]string{field: "error." + field + ".taken"})
			return
		}
		h.env.Unavailable(w, r, err)
		return
	}
	if _, err := h.Eph.Hit(ctx, "reg:"+web.ClientAddress(r), time.Hour); err != nil {
		h.Log.Warn("counting registrations", "err", err)
	}
	h.env.Record(r, audit.AccountRegister, a.ID, fl.ClientID, map[string]string{"kind": "citizen"})
	web.Redirect(w, r, "/login?flow="+url.QueryEscape(fl.ID)+"&registered=1&identifier="+url.QueryEscape(string(a.PersonalID)))
}

func withError(b ui.Base, key string, args ...any) ui.Base {
	b.ErrorKey, b.ErrorArgs = key, args
	return b
}
