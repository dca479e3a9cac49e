package account

import (
	"errors"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/dinhdanh/dinhdanh/server/audit"
	"github.com/dinhdanh/dinhdanh/server/identity"
	"github.com/dinhdanh/dinhdanh/server/web"
	"github.com/dinhdanh/dinhdanh/ui"
)

// doneNotices are the notices GET /account/profile shows after a change
// (its "done" parameter).
var doneNotices = map[string]string{
	"saved":          "profile.saved",
	"email_verified": "contact.email_verified",
	"phone_verified": "contact.phone_verified",
}

func (h *Handler) showProfile(w http.ResponseWriter, r *http.Request) {
	sso, ok := h.current(w, r)
	if !ok {
		return
	}
	acct, err := h.Store.GetAccount(r.Context(), sso.AccountID)
	if err != nil {
		h.unavailable(w, r, err)
		return
	}
	h.renderProfile(w, r, acct, http.StatusOK, func(p *ui.ProfilePage) { p.NoticeKey = doneNotices[r.URL.Query().Get("done")] })
}

// renderProfile renders the profile page of acct; mod adjusts it (an error,
// a notice, refilled fields).
func (h *Handler) renderProfile(w http.ResponseWriter, r *http.Request, acct *identity.Account, status int, mod func(*ui.ProfilePage)) {
	page := &ui.ProfilePage{Base: h.Kit.Base(w, r), FullName: acct.FullName, Birthdate: acct.Birthdate,
		Gender: string(acct.Gender), Locale: acct.Locale, Proven: acct.PersonalIDVerified(),
		Email: acct.Email, Phone: acct.Phone, EmailVerified: acct.EmailVerified, PhoneVerified: acct.PhoneVerified}
	for _, channel := range []string{"email", "phone"} {
		rec, p, err := h.pending(r.Context(), acct.ID, channel)
		if err != nil || rec.Used {
			continue
		}
		if channel == "email" {
			page.PendingEmail = p.Value
		} else {
			page.PendingPhone = p.Value
		}
	}
	if mod != nil {
		mod(page)
	}
	h.Kit.Render(w, r, status, "profile", page)
}

// postProfile saves the details of the form: the language always; the
// name, birthdate and gender only when the personal ID is not proven (a
// proven one's come from the e-ID, and a form that would change them is
// refused). Bad input changes nothing.
func (h *Handler) postProfile(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	if !h.Kit.ParsePost(w, r) {
		return
	}
	sso, ok := h.current(w, r)
	if !ok {
		return
	}
	form := r.PostForm
	// The change is applied to the account as read, and again to a fresh
	// read when a concurrent write (a contact verified, an administrator's
	// lock) came in between: neither overwrites the other.
	var (
		acct      *identity.Account
		failField string
		failErr   error
		fields    []string
		details   map[string]string
	)
	written, err := h.changeAccount(ctx, sso.AccountID, func(read *identity.Account) (*identity.Account, error) {
		acct, failField, failErr, fields, details = read, "", nil, nil, map[string]string{}
		next, field, err := profileChange(read, form, h.now())
		if err != nil {
			failField, failErr = field, err
			return nil, nil
		}
		for _, f := range []struct{ name, before, after string }{
			{"full_name", read.FullName, next.FullName}, {"birthdate", read.Birthdate, next.Birthdate},
			{"gender", string(read.Gender), string(next.Gender)}, {"locale", read.Locale, next.Locale},
		} {
			if f.before != f.after {
				fields = append(fields, f.name)
				details[f.name+"_before"], details[f.name+"_after"] = f.before, f.after
			}
		}
		if len(fields) == 0 {
			return nil, nil
		}
		return next, nil
	})
	switch {
	case errors.Is(err, errAccountBusy):
		acct, err = h.Store.GetAccount(ctx, sso.AccountID)
		if err != nil {
			h.unavailable(w, r, err)
			return
		}
		h.renderProfile(w, r, acct, http.StatusConflict, func(p *ui.ProfilePage) { p.ErrorKey = "account.changed" })
		return
	case err != nil:
		h.unavailable(w, r, err)
		return
	case failField != "":
		key := "error." + failField + ".invalid"
		var ie *identity.InvalidError
		if errors.As(failErr, &ie) {
			key = ie.MessageKey()
		}
		h.renderProfile(w, r, acct, http.StatusBadRequest, func(p *ui.ProfilePage) {
			p.ErrorKey, p.Invalid = key, failField
			if !p.Proven {
				p.FullName, p.Birthdate, p.Gender = form.Get("full_name"), form.Get("birthdate"), form.Get("gender")
			}
		})
		return
	case len(fields) == 0:
		h.renderProfile(w, r, acct, http.StatusOK, func(p *ui.ProfilePage) { p.NoticeKey = "profile.unchanged" })
		return
	}
	details["fields"] = strings.Join(fields, ",")
	h.recorder.FromRequest(r, audit.AccountProfileUpdate, written.ID, "", details)
	web.Redirect(w, r, profilePath+"?lang="+url.QueryEscape(written.Locale)+"&done=saved")
}

// profileChange returns acct with the details of the profile form applied,
// or the field that is wrong and why (an *identity.InvalidError when it
// names its message). It changes nothing of acct.
func profileChange(acct *identity.Account, form url.Values, now time.Time) (*identity.Account, string, error) {
	next := *acct
	var err error
	switch l := form.Get("locale"); l {
	case "vi", "en":
		next.Locale = l
	default:
		return nil, "locale", errors.New("unknown locale")
	}
	if acct.PersonalIDVerified() {
		// Read-only: a form that names a different value is refused.
		for field, current := range map[string]string{"full_name": acct.FullName, "birthdate": acct.Birthdate, "gender": string(acct.Gender)} {
			if v, sent := form[field]; sent && (len(v) != 1 || strings.TrimSpace(v[0]) != current) {
				return nil, field, &identity.InvalidError{Field: "profile", Reason: "proven"}
			}
		}
		return &next, "", nil
	}
	if next.FullName, err = identity.NormalizeFullName(form.Get("full_name")); err != nil {
		return nil, "full_name", err
	}
	next.Birthdate, next.Gender = "", ""
	if b := strings.TrimSpace(form.Get("birthdate")); b != "" || acct.PersonalID != "" {
		birth, err := identity.ParseBirthdate(b, now)
		if err != nil {
			return nil, "birthdate", err
		}
		next.Birthdate = birth.Format(identity.BirthdateLayout)
		if g := strings.TrimSpace(form.Get("gender")); g != "" || acct.PersonalID != "" {
			if next.Gender, err = identity.ParseGender(g); err != nil {
				return nil, "gender", err
			}
		}
		if acct.PersonalID != "" {
			// An asserted personal ID states the year of birth and the gender.
			if err := acct.PersonalID.CheckBirth(birth, next.Gender); err != nil {
				return nil, "birthdate", err
			}
		}
	} else if g := strings.TrimSpace(form.Get("gender")); g != "" {
		if next.Gender, err = identity.ParseGender(g); err != nil {
			return nil, "gender", err
		}
	}
	return &next, "", nil
}

func (h *Handler) now() time.Time { return h.Contacts.now() }
