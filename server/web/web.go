package web

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"log/slog"
	"net/http"
	"runtime/debug"
	"strings"
	"time"

	"github.com/dinhdanh/dinhdanh/ui"
)

// Kit is what page handlers share: the templates, the cookie policy, the
// default language, the log and how the client address is found.
type Kit struct {
	UI           *ui.UI
	Log          *slog.Logger
	SecureCookie bool
	DefaultLang  string
	// Addresses finds each request's client address (see ClientAddress);
	// nil trusts no proxy.
	Addresses *ClientAddresses
	// SessionCookie is the name of the SSO session cookie, whose value the
	// CSRF token is bound to (see CSRFToken); "" binds to no session.
	SessionCookie string
}

// MaxBody is the largest request body accepted (forms and token requests are tiny).
const MaxBody = 64 << 10

// MaxField is the longest single form field accepted, in bytes.
const MaxField = 2048

const (
	// csrfCookie holds the browser's CSRF secret on plain HTTP;
	// csrfHostCookie behind TLS: the __Host- prefix makes browsers refuse
	// it unless it is Secure, for the whole host and set by the host itself
	// (no sibling domain can plant one).
	csrfCookie     = "dinhdanh_csrf"
	csrfHostCookie = "__Host-dinhdanh_csrf"
	langCookie     = "dinhdanh_lang"
	// CSRFField is the form field carrying the CSRF token.
	CSRFField = "csrf_token"
)

type ctxKey int

const requestIDKey ctxKey = 1

// RequestID returns the request's id.
func RequestID(r *http.Request) string {
	id, _ := r.Context().Value(requestIDKey).(string)
	return id
}

// RandomToken returns n random bytes, base64url without padding.
func RandomToken(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic("crypto/rand failed: " + err.Error())
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

// ContentSecurityPolicy is sent with every page: no inline script or style.
const ContentSecurityPolicy = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
	"connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'"

// Middleware wraps the whole server: request id, client address (see
// ClientAddress), security headers, body limit, panic recovery and access
// log.
func (k *Kit) Middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		id := RandomToken(9)
		r = r.WithContext(withClientAddress(context.WithValue(r.Context(), requestIDKey, id), k.Addresses.Of(r)))
		h := w.Header()
		h.Set("X-Request-Id", id)
		h.Set("Content-Security-Policy", ContentSecurityPolicy)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Referrer-Policy", "no-referrer")
		if k.SecureCookie {
			h.Set("Strict-Transport-Security", "max-age=31536000")
		}
		if r.Body != nil {
			r.Body = http.MaxBytesReader(w, r.Body, MaxBody)
		}
		sw := &statusWriter{ResponseWriter: w, status: 200}
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				k.Log.Error("panic", "request_id", id, "path", r.URL.Path, "panic", v, "stack", string(debug.Stack()))
				if !sw.wrote {
					k.Error(sw, r, http.StatusInternalServerError, "server_error")
				}
			}
			if sw.status >= 500 {
				k.Log.Warn("request", "request_id", id, "method", r.Method, "path", r.URL.Path, "status", sw.status, "duration", time.Since(start))
			} else {
				k.Log.Debug("request", "request_id", id, "method", r.Method, "path", r.URL.Path, "status", sw.status, "duration", time.Since(start))
			}
		}()
		next.ServeHTTP(sw, r)
	})
}

type statusWriter struct {
	http.ResponseWriter
	status int
	wrote  bool
}

func (s *statusWriter) WriteHeader(code int) {
	if !s.wrote {
		s.status, s.wrote = code, true
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusWriter) Write(b []byte) (int, error) {
	s.wrote = true
	return s.ResponseWriter.Write(b)
}

func (s *statusWriter) Unwrap() http.ResponseWriter { return s.ResponseWriter }

// Lang returns the page language: ?lang= (remembered in a cookie), then the
// cookie, then the request's ui_locales (OpenID Connect requests, which
// may also be POSTed: the form is read once a handler parsed it), then
// Accept-Language.
func (k *Kit) Lang(w http.ResponseWriter, r *http.Request) string {
	if q := r.URL.Query().Get("lang"); q == "vi" || q == "en" {
		http.SetCookie(w, &http.Cookie{Name: langCookie, Value: q, Path: "/", MaxAge: 365 * 24 * 3600,
			HttpOnly: true, Secure: k.SecureCookie, SameSite: http.SameSiteLaxMode})
		return q
	}
	if c, err := r.Cookie(langCookie); err == nil && (c.Value == "vi" || c.Value == "en") {
		return c.Value
	}
	uiLocales := r.URL.Query().Get("ui_locales")
	if r.Form != nil {
		uiLocales = r.Form.Get("ui_locales")
	}
	for _, l := range strings.Fields(uiLocales) {
		if l = strings.ToLower(strings.SplitN(l, "-", 2)[0]); l == "vi" || l == "en" {
			return l
		}
	}
	return ui.Negotiate("", r.Header.Get("Accept-Language"), k.DefaultLang)
}

// CSRFCookieName returns the name of the cookie that holds the browser's
// CSRF secret: "__Host-dinhdanh_csrf" when cookies are Secure (an https
// issuer), "dinhdanh_csrf" otherwise.
func (k *Kit) CSRFCookieName() string {
	if k.SecureCookie {
		return csrfHostCookie
	}
	return csrfCookie
}

// CSRFToken returns the CSRF token of the browser's forms, setting the
// secret cookie when absent: CSRFTokenFor the secret and the browser's SSO
// session cookie. The token changes when the session does (a login starts a
// new one, and RotateCSRF renews the secret), so a token shown before a
// login, or to another session, is refused after it. The secret itself never
// appears in a page.
func (k *Kit) CSRFToken(w http.ResponseWriter, r *http.Request) string {
	name := k.CSRFCookieName()
	if c, err := r.Cookie(name); err == nil && len(c.Value) >= 32 {
		return CSRFTokenFor(c.Value, k.sessionToken(r))
	}
	return CSRFTokenFor(k.RotateCSRF(w, r), k.sessionToken(r))
}

// RotateCSRF gives the browser a new CSRF secret (cookie), which later reads
// in this request see, and returns it: every token shown before is refused
// from now on. A login calls it when it starts the session.
func (k *Kit) RotateCSRF(w http.ResponseWriter, r *http.Request) string {
	name, t := k.CSRFCookieName(), RandomToken(32)
	http.SetCookie(w, &http.Cookie{Name: name, Value: t, Path: "/", HttpOnly: true,
		Secure: k.SecureCookie, SameSite: http.SameSiteLaxMode})
	SetRequestCookie(r, name, t)
	return t
}

// CSRFTokenFor returns the CSRF token of a browser whose CSRF secret is
// secret and whose SSO session cookie holds sessionToken ("" for none):
// HMAC-SHA256 under the secret of the session cookie, base64url.
func CSRFTokenFor(secret, sessionToken string) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte("dinhdanh-csrf\x00session\x00"))
	m.Write([]byte(sessionToken))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// sessionToken returns the value of the request's SSO session cookie, or "".
func (k *Kit) sessionToken(r *http.Request) string {
	if k.SessionCookie == "" {
		return ""
	}
	c, err := r.Cookie(k.SessionCookie)
	if err != nil {
		return ""
	}
	return c.Value
}

// CheckCSRF reports whether the form's token is the browser's (CSRFToken).
func (k *Kit) CheckCSRF(r *http.Request) bool {
	return k.CheckCSRFToken(r, r.PostForm.Get(CSRFField))
}

// CheckCSRFToken reports whether token (sent in a header or a JSON body
// rather than a form) is the browser's CSRF token for its secret cookie and
// its current SSO session cookie.
func (k *Kit) CheckCSRFToken(r *http.Request, token string) bool {
	c, err := r.Cookie(k.CSRFCookieName())
	if err != nil || len(c.Value) < 32 {
		return false
	}
	return hmac.Equal([]byte(token), []byte(CSRFTokenFor(c.Value, k.sessionToken(r))))
}

// SetRequestCookie replaces the cookie name of r by value ("" removes it),
// so that later reads in the same request see a cookie the response has
// just set.
func SetRequestCookie(r *http.Request, name, value string) {
	cookies := r.Cookies()
	r.Header.Del("Cookie")
	for _, c := range cookies {
		if c.Name != name {
			r.AddCookie(&http.Cookie{Name: c.Name, Value: c.Value})
		}
	}
	if value != "" {
		r.AddCookie(&http.Cookie{Name: name, Value: value})
	}
}

// Form problems.
var (
	ErrTooLarge     = errors.New("request body too large")
	ErrInvalidUTF8  = errors.New("form is not valid UTF-8")
	ErrFieldTooLong = errors.New("form field too long")
	ErrBadForm      = errors.New("malformed form")
)

// ParseForm parses a POSTed form and checks that every key and value is
// valid UTF-8 and no value is longer than MaxField bytes.
func ParseForm(r *http.Request) error { return ParseFormWith(r, nil) }

// ParsePost is the first step of every browser form POST: it parses the form
// (ParseForm's checks) and checks its CSRF token. On a failure it renders the
// error page and returns false; the handler then returns.
func (k *Kit) ParsePost(w http.ResponseWriter, r *http.Request) bool {
	return k.ParsePostWith(w, r, nil)
}

// ParsePostWith is ParsePost for a form with large fields (see ParseFormWith).
func (k *Kit) ParsePostWith(w http.ResponseWriter, r *http.Request, limits map[string]FieldLimit) bool {
	if err := ParseFormWith(r, limits); err != nil {
		k.FormError(w, r, err)
		return false
	}
	if !k.CheckCSRF(r) {
		k.Error(w, r, http.StatusForbidden, "csrf")
		return false
	}
	return true
}

// FormError renders the error page for a ParseForm or CSRF failure.
func (k *Kit) FormError(w http.ResponseWriter, r *http.Request, err error) {
	switch {
	case errors.Is(err, ErrTooLarge):
		k.Error(w, r, http.StatusRequestEntityTooLarge, "too_large")
	case errors.Is(err, ErrInvalidUTF8):
		k.ErrorWith(w, r, http.StatusBadRequest, "bad_request", "invalid_utf8")
	case errors.Is(err, ErrFieldTooLong):
		k.ErrorWith(w, r, http.StatusBadRequest, "bad_request", "field_too_long")
	default:
		k.Error(w, r, http.StatusBadRequest, "bad_request")
	}
}

// Error renders the error page "error.title.<code>" / "error.<code>".
func (k *Kit) Error(w http.ResponseWriter, r *http.Request, status int, code string, args ...any) {
	k.ErrorWith(w, r, status, code, code, args...)
}

// ErrorWith renders the error page with a title and a message of their own.
func (k *Kit) ErrorWith(w http.ResponseWriter, r *http.Request, status int, titleCode, msgCode string, args ...any) {
	lang := k.Lang(w, r)
	page := &ui.ErrorPage{Base: ui.Base{Lang: lang, Path: r.URL.RequestURI()}, Status: status,
		TitleKey: "error.title." + titleCode, MessageKey: "error." + msgCode, MessageArgs: args, RequestID: RequestID(r)}
	w.Header().Set("Cache-Control", "no-store")
	if err := k.UI.Render(w, status, "error", page); err != nil {
		k.Log.Error("rendering error page", "err", err)
	}
}

// Render renders a page, logging template failures.
func (k *Kit) Render(w http.ResponseWriter, r *http.Request, status int, name string, data interface{ Language() string }) {
	w.Header().Set("Cache-Control", "no-store")
	if err := k.UI.Render(w, status, name, data); err != nil {
		k.Log.Error("rendering page", "page", name, "err", err, "request_id", RequestID(r))
		http.Error(w, "internal error", http.StatusInternalServerError)
	}
}

// Base returns a page base filled for the request.
func (k *Kit) Base(w http.ResponseWriter, r *http.Request) ui.Base {
	return ui.Base{Lang: k.Lang(w, r), Path: r.URL.RequestURI(), CSRFToken: k.CSRFToken(w, r)}
}

// SetCookie sets a cookie with the baseline attributes (HttpOnly, Lax, Secure behind TLS).
func (k *Kit) SetCookie(w http.ResponseWriter, name, value string, maxAge int) {
	http.SetCookie(w, &http.Cookie{Name: name, Value: value, Path: "/", MaxAge: maxAge, HttpOnly: true,
		Secure: k.SecureCookie, SameSite: http.SameSiteLaxMode})
}

// Redirect sends a 303 See Other to a local path.
func Redirect(w http.ResponseWriter, r *http.Request, path string) {
	http.Redirect(w, r, path, http.StatusSeeOther)
}
