package ui

import (
	"fmt"
	"html"
	"html/template"
	"net/url"
	"slices"
	"strings"
	"time"
)

// funcs returns the template functions bound to lang.
func (u *UI) funcs(lang string, opts Options) template.FuncMap {
	return template.FuncMap{
		"t": func(key string, args ...any) string {
			return T(lang, key, args...)
		},
		"tf": func(key string, args []any) string {
			return T(lang, key, args...)
		},
		"tstrong": func(key string, arg any) template.HTML {
			return strongMessage(lang, key, arg)
		},
		"label": func(prefix, name string) string {
			if hasKey(prefix + name) {
				return T(lang, prefix+name)
			}
			return name
		},
		"langURL":   langURL,
		"languages": Languages,
		"product": func() string {
			if opts.ProductName != "" {
				return opts.ProductName
			}
			return T(lang, "app.name")
		},
		"asset": u.assetURL,
		"support": func() *supportView {
			return opts.Support.view(lang)
		},
		"datetime": func(t time.Time) string {
			return formatTime(lang, t)
		},
		"isoTime": func(t time.Time) string {
			return t.In(vietnamTime).Format(time.RFC3339)
		},
		"fieldView": func(p *RegisterPage, name string) fieldView {
			return registerField(lang, p, name)
		},
		"fieldErrors": func(p *RegisterPage) []fieldError {
			return registerErrors(lang, p)
		},
	}
}

// strongMessage formats message key with arg set in <strong>. The message and
// the argument are escaped separately before they are joined, so the result
// is safe HTML whatever either contains.
func strongMessage(lang, key string, arg any) template.HTML {
	msg := html.EscapeString(T(lang, key))
	a := "<strong>" + html.EscapeString(fmt.Sprint(arg)) + "</strong>"
	if strings.Count(msg, "%s") != 1 || strings.Count(msg, "%") != 1 {
		return template.HTML(msg + " " + a)
	}
	return template.HTML(strings.Replace(msg, "%s", a, 1))
}

// langURL returns the path and query of current with the query parameter lang
// set to lang, every other parameter kept. Only a local path is kept: an
// absolute or scheme-relative URL, or one that does not parse, gives a
// query-only reference ("?lang=en") that stays on the current page.
func langURL(current, lang string) string {
	u, err := url.Parse(current)
	if err != nil || u.Scheme != "" || u.Host != "" || u.Opaque != "" || u.User != nil {
		u = &url.URL{}
	}
	q := u.Query()
	q.Set("lang", lang)
	p := u.EscapedPath()
	if p != "" && !strings.HasPrefix(p, "/") || strings.HasPrefix(p, "//") || strings.HasPrefix(p, "/\\") {
		p = "/"
	}
	return p + "?" + q.Encode()
}

// vietnamTime is Indochina Time (UTC+7), the time of all of Vietnam, which
// has no daylight saving time. A fixed zone needs no time zone database.
var vietnamTime = time.FixedZone("ICT", 7*60*60)

// formatTime shows t in Vietnam time, the way people in lang write it.
func formatTime(lang string, t time.Time) string {
	if t.IsZero() {
		return ""
	}
	t = t.In(vietnamTime)
	if lang == "en" {
		return t.Format("2 January 2006, 15:04")
	}
	return t.Format("15:04") + " ngày " + t.Format("02/01/2006")
}

// registerFields lists the fields of the registration form in form order,
// with the id of the element a summary link points to.
var registerFields = []struct{ name, anchor string }{
	{"personal_id", "personal_id"},
	{"full_name", "full_name"},
	{"birthdate", "birthdate"},
	{"gender", "gender_male"},
	{"contact", "email"},
	{"email", "email"},
	{"phone", "phone"},
	{"password", "password"},
	{"password_confirm", "password_confirm"},
	{"privacy", "privacy_accept"},
}

// secretFields are never echoed back into a form.
var secretFields = []string{"password", "password_confirm"}

// fieldView is what a template needs to draw one field.
type fieldView struct {
	Value string // previous input ("" for passwords)
	Error string // message of the field's error, "" if none
}

// fieldError is one entry of the error summary.
type fieldError struct {
	Field   string
	Anchor  string // id of the element to focus, "" when the form has no such field
	Message string
}

func registerField(lang string, p *RegisterPage, name string) fieldView {
	var v fieldView
	if p == nil {
		return v
	}
	if !slices.Contains(secretFields, name) {
		v.Value = p.Values[name]
	}
	if key := p.FieldErrors[name]; key != "" {
		v.Error = registerMessage(lang, p, key)
	}
	return v
}

// registerMessage formats a field error key; the only message with an
// argument is the minimum password length.
func registerMessage(lang string, p *RegisterPage, key string) string {
	if key == "error.password.too_short" {
		return T(lang, key, p.MinPasswordLength)
	}
	return T(lang, key)
}

func registerErrors(lang string, p *RegisterPage) []fieldError {
	if p == nil || len(p.FieldErrors) == 0 {
		return nil
	}
	var errs []fieldError
	known := map[string]bool{}
	for _, f := range registerFields {
		known[f.name] = true
		if key := p.FieldErrors[f.name]; key != "" {
			errs = append(errs, fieldError{Field: f.name, Anchor: f.anchor, Message: registerMessage(lang, p, key)})
		}
	}
	var other []string
	for name, key := range p.FieldErrors {
		if !known[name] && key != "" {
			other = append(other, name)
		}
	}
	slices.Sort(other)
	for _, name := range other {
		errs = append(errs, fieldError{Field: name, Message: registerMessage(lang, p, p.FieldErrors[name])})
	}
	return errs
}
