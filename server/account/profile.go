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
	acct, err := h.Store.GetAccount(ctx, sso.AccountID)
	if err != nil {
		h.unavailable(w, r, err)
		return
	}
	form := r.PostForm
	next := *acct
	fail := func(field string, err error) {
		key := "error." + field + ".invalid"
		var ie *identity.InvalidError
		if errors.As(err, &ie) {
			key = ie.MessageKey()
		}
		h.renderProfile(w, r, acct, http.StatusBadRequest, func(p *ui.ProfilePage) {
			p.ErrorKey, p.Invalid = key, field
			if !p.Proven {
				p.FullName, p.Birthdate, p.Gender = form.Get("full_name"), form.Get("birthdate"), form.Get("gender")
			}
		})
	}
	switch l := form.Get("locale"); l {
	case "vi", "en":
		next.Locale = l
	default:
		fail("locale", nil)
		return
	}
	if acct.PersonalIDVerified() {
		// Read-only: a form that names a different value is refused.
		for field, current := range map[string]string{"full_name": acct.FullName, "birthdate": acct.Birthdate, "gender": string(acct.Gender)} {
			if v, sent := form[field]; sent && (len(v) != 1 || strings.TrimSpace(v[0]) != current) {
				fail(field, &identity.InvalidError{Field: "profile", Reason: "proven"})
				return
			}
		}
	} else {
		if next.FullName, err = identity.NormalizeFullName(form.Get("full_name")); err != nil {
			fail("full_name", err)
			return
		}
		next.Birthdate, next.Gender = "", ""
		if b := strings.TrimSpace(form.Get("birthdate")); b != "" || acct.PersonalID != "" {
			birth, err := identity.ParseBirthdate(b, h.now())
			if err != nil {
				fail("birthdate", err)
				return
			}
			next.Birthdate = birth.Format(identity.BirthdateLayout)
			if g := strings.TrimSpace(form.Get("gender")); g != "" || acct.PersonalID != "" {
				if next.Gender, err = identity.ParseGender(g); err != nil {
					fail("gender", err)
					return
				}
			}
			if acct.PersonalID != "" {
				// An asserted personal ID states the year of birth and the gender.
				if err := acct.PersonalID.CheckBirth(birth, next.Gender); err != nil {
					fail("birthdate", err)
					return
				}
			}
		} else if g := strings.TrimSpace(form.Get("gender")); g != "" {
			if next.Gender, err = identity.ParseGender(g); err != nil {
				fail("gender", err)
				return
			}
		}
	}
	details := map[string]string{}
	var fields []string
	for _, f := range []struct{ name, before, after string }{
		{"full_name", acct.FullName, next.FullName}, {"birthdate", acct.Birthdate, next.Birthdate},
		{"gender", string(acct.Gender), string(next.Gender)}, {"locale", acct.Locale, next.Locale},
	} {
		if f.before != f.after {
			fields = append(fields, f.name)
			details[f.name+"_before"], details[f.name+"_after"] = f.before, f.after
		}
	}
	if len(fields) == 0 {
		h.renderProfile(w, r, acct, http.StatusOK, func(p *ui.ProfilePage) { p.NoticeKey = "profile.unchanged" })
		return
	}
	if err := h.Store.UpdateAccount(ctx, &next); err != nil {
		h.unavailable(w, r, err)
		return
	}
	details["fields"] = strings.Join(fields, ",")
	h.recorder.FromRequest(r, audit.AccountProfileUpdate, acct.ID, "", details)
	web.Redirect(w, r, profilePath+"?lang="+url.QueryEscape(next.Locale)+"&done=saved")
}

func (h *Handler) now() time.Time { return h.Contacts.now() }
