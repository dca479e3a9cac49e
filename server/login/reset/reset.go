package reset

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"math/big"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/dinhdanh/dinhdanh/server/audit"
	"github.com/dinhdanh/dinhdanh/server/authn"
	"github.com/dinhdanh/dinhdanh/server/identity"
	"github.com/dinhdanh/dinhdanh/server/login/flow"
	"github.com/dinhdanh/dinhdanh/server/notify"
	"github.com/dinhdanh/dinhdanh/server/session"
	"github.com/dinhdanh/dinhdanh/server/web"
	"github.com/dinhdanh/dinhdanh/store"
	"github.com/dinhdanh/dinhdanh/ui"
)

// Outbox is where codes are sent: notify.Outbox.
type Outbox interface {
	Enqueue(ctx context.Context, m notify.Message) (int64, error)
}

// Upstream is an upstream e-ID provider that proves the personal ID, offered
// as a way to reset a password.
type Upstream struct {
	Name        string
	DisplayName map[string]string // by language
}

// Config configures the reset (see config.PasswordReset for the meaning
// and defaults of the limits).
type Config struct {
	Hasher authn.Hasher
	Rules  authn.PasswordRules
	Outbox Outbox
	// Product names the service in the messages; Issuer is its public URL
	// (the email's link points to Issuer/login/forgot/reset).
	Product, Issuer string
	CodeLifetime    time.Duration
	CodeDigits      int
	MaxAttempts     int
	MaxPerRecipient int
	MaxPerAddress   int
	Window          time.Duration
	// Upstreams are the providers offered for a reset through an e-ID login.
	Upstreams []Upstream
}

// Step serves the reset pages. Build it with New.
type Step struct {
	env *flow.Env
	c   Config
}

// New returns the reset step, or nil when c is nil (reset off).
func New(env *flow.Env, c *Config) *Step {
	if c == nil {
		return nil
	}
	return &Step{env: env, c: *c}
}

// Register mounts the reset pages.
func (s *Step) Register(mux *http.ServeMux) {
	mux.HandleFunc("GET /login/forgot", s.showForgot)
	mux.HandleFunc("POST /login/forgot", s.postForgot)
	mux.HandleFunc("GET /login/forgot/reset", s.showReset)
	mux.HandleFunc("POST /login/forgot/reset", s.postReset)
	mux.HandleFunc("GET /login/forgot/upstream", s.startUpstream)
}

// ticket is the stored state of one reset request.
type ticket struct {
	Account string `json:"a,omitempty"` // "" when the contact is of no eligible account
	Channel string `json:"ch"`
	Code    []byte `json:"c"` // codeHash(ticket, code)
}

func codeHash(tk, code string) []byte {
	h := sha256.Sum256([]byte("dinhdanh-password-reset\x00" + tk + "\x00" + code))
	return h[:]
}

// validTicket reports whether tk has the form of a ticket (43 base64url characters).
func validTicket(tk string) bool {
	if len(tk) != 43 {
		return false
	}
	_, err := base64.RawURLEncoding.DecodeString(tk)
	return err == nil
}

func newTicket() (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

func newCode(digits int) (string, error) {
	var b strings.Builder
	for range digits {
		n, err := rand.Int(rand.Reader, big.NewInt(10))
		if err != nil {
			return "", err
		}
		b.WriteByte(byte('0' + n.Int64()))
	}
	return b.String(), nil
}

// flowID returns the login flow the reset came from, kept only to send the
// person back to it ("" when none or malformed).
func flowID(r *http.Request) string {
	id := r.FormValue("flow")
	if len(id) > 128 || strings.ContainsFunc(id, func(c rune) bool {
		return !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_')
	}) {
		return ""
	}
	return id
}

func (s *Step) upstreamButtons(lang, flowID string) []ui.UpstreamButton {
	var out []ui.UpstreamButton
	for _, u := range s.c.Upstreams {
		label := u.DisplayName[lang]
		if label == "" {
			label = u.Name
		}
		out = append(out, ui.UpstreamButton{Label: label, Href: "/login/forgot/upstream?provider=" + url.QueryEscape(u.Name)})
	}
	return out
}

func (s *Step) renderForgot(w http.ResponseWriter, r *http.Request, status int, contact, errKey string) {
	base := s.env.Kit.Base(w, r)
	base.ErrorKey = errKey
	fid := flowID(r)
	s.env.Kit.Render(w, r, status, "password_forgot", &ui.ForgotPasswordPage{Base: base, FlowID: fid, Contact: contact,
		Upstreams: s.upstreamButtons(base.Language(), fid)})
}

func (s *Step) showForgot(w http.ResponseWriter, r *http.Request) {
	s.renderForgot(w, r, http.StatusOK, "", "")
}

// contactOf parses what the person typed: an email address or a phone number.
func contactOf(v string) (kind store.IdentifierKind, channel, value string, ok bool) {
	v = strings.TrimSpace(v)
	if v == "" || len(v) > 254 {
		return "", "", "", false
	}
	if strings.Contains(v, "@") {
		e, err := identity.NormalizeEmail(v)
		return store.ByEmail, store.ChannelEmail, e, err == nil
	}
	p, err := identity.NormalizePhone(v)
	return store.ByPhone, store.ChannelSMS, p, err == nil
}

func counterKey(prefix, v string) string {
	sum := sha256.Sum256([]byte(v))
	return prefix + hex.EncodeToString(sum[:16])
}

// eligible reports whether a code may be sent to the contact of acct.
func (s *Step) eligible(ctx context.Context, acct *identity.Account, channel string) (bool, error) {
	if acct == nil || acct.Disabled {
		return false, nil
	}
	if channel == store.ChannelEmail && !acct.EmailVerified || channel == store.ChannelSMS && !acct.PhoneVerified {
		return false, nil
	}
	_, err := s.env.Store.PasswordHash(ctx, acct.ID)
	switch {
	case errors.Is(err, store.ErrNotFound):
		// No local password: an official of a staff directory changes it
		// there; anybody else may set one.
		return acct.Official == nil || acct.Official.Directory == "", nil
	case err != nil:
		return false, err
	}
	return true, nil
}

func (s *Step) postForgot(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	if !s.env.Kit.ParsePost(w, r) {
		return
	}
	typed := r.PostForm.Get("contact")
	kind, channel, contact, ok := contactOf(typed)
	if !ok {
		if len(typed) > 254 {
			typed = ""
		}
		s.renderForgot(w, r, http.StatusBadRequest, typed, "reset.bad_contact")
		return
	}
	n, err := s.env.Eph.Hit(ctx, counterKey("pwreset:ip:", web.ClientAddress(r)), s.c.Window)
	if err != nil {
		s.env.Unavailable(w, r, err)
		return
	}
	if n > int64(s.c.MaxPerAddress) {
		s.renderForgot(w, r, http.StatusTooManyRequests, typed, "reset.too_many")
		return
	}
	sent, err := s.env.Eph.Hit(ctx, counterKey("pwreset:to:", string(kind)+":"+contact), s.c.Window)
	if err != nil {
		s.env.Unavailable(w, r, err)
		return
	}
	acct, err := s.env.Store.FindAccount(ctx, kind, contact)
	if errors.Is(err, store.ErrNotFound) {
		acct, err = nil, nil
	}
	if err != nil {
		s.env.Unavailable(w, r, err)
		return
	}
	ok, err = s.eligible(ctx, acct, channel)
	if err != nil {
		s.env.Unavailable(w, r, err)
		return
	}
	// The same work for every contact: a ticket, a code and its hash.
	tk, err := newTicket()
	if err != nil {
		s.env.Unavailable(w, r, err)
		return
	}
	code, err := newCode(s.c.CodeDigits)
	if err != nil {
		s.env.Unavailable(w, r, err)
		return
	}
	t := ticket{Channel: channel, Code: codeHash(tk, code)}
	outcome := "no_account"
	subject := ""
	if ok {
		t.Account, subject, outcome = acct.ID, acct.ID, "sent"
		if sent > int64(s.c.MaxPerRecipient) {
			outcome = "limited"
		}
	}
	data, _ := json.Marshal(t)
	if err := s.env.Eph.PutRecord(ctx, store.KindPasswordReset, &store.Record{Key: tk, Data: data,
		ExpiresAt: s.env.Now().Add(s.c.CodeLifetime)}); err != nil {
		s.env.Unavailable(w, r, err)
		return
	}
	if outcome == "sent" {
		if _, err := s.c.Outbox.Enqueue(ctx, s.message(acct, channel, contact, tk, code, flowID(r))); err != nil {
			_ = s.env.Eph.DeleteRecord(ctx, store.KindPasswordReset, tk)
			s.env.Unavailable(w, r, err)
			return
		}
	}
	s.env.Record(r, audit.AccountPasswordResetRequest, subject, "", map[string]string{"channel": channel, "outcome": outcome})
	q := url.Values{"ticket": {tk}}
	if fid := flowID(r); fid != "" {
		q.Set("flow", fid)
	}
	http.Redirect(w, r, "/login/forgot/reset?"+q.Encode(), http.StatusSeeOther)
}

// message is the code's email or SMS, in the account's language.
func (s *Step) message(acct *identity.Account, channel, to, tk, code, fid string) notify.Message {
	lang := "vi"
	if acct.Locale == "en" {
		lang = "en"
	}
	minutes := int(s.c.CodeLifetime.Minutes() + 0.5)
	m := notify.Message{Channel: channel, To: to, Kind: "password_reset"}
	if channel == store.ChannelEmail {
		q := url.Values{"ticket": {tk}, "code": {code}}
		if fid != "" {
			q.Set("flow", fid)
		}
		link := strings.TrimRight(s.c.Issuer, "/") + "/login/forgot/reset?" + q.Encode()
		m.Subject = ui.T(lang, "notify.reset.subject", s.c.Product)
		m.Text = ui.T(lang, "notify.reset.email", s.c.Product, code, link, minutes)
	} else {
		m.Text = ui.T(lang, "notify.reset.sms", asciiOnly(s.c.Product), code, minutes)
	}
	return m
}

// asciiOnly drops what is not ASCII (an SMS is written without diacritics).
func asciiOnly(v string) string {
	return strings.Map(func(r rune) rune {
		if r < 128 {
			return r
		}
		return -1
	}, v)
}

func digitsOnly(v string) string {
	v = strings.ReplaceAll(strings.TrimSpace(v), " ", "")
	if len(v) > 12 || strings.ContainsFunc(v, func(c rune) bool { return c < '0' || c > '9' }) {
		return ""
	}
	return v
}

func (s *Step) minutes() int { return int(s.c.CodeLifetime.Minutes() + 0.5) }

func (s *Step) renderReset(w http.ResponseWriter, r *http.Request, status int, tk, code, errKey string, args ...any) {
	base := s.env.Kit.Base(w, r)
	base.ErrorKey, base.ErrorArgs = errKey, args
	s.env.Kit.Render(w, r, status, "password_reset", &ui.ResetPasswordPage{Base: base, FlowID: flowID(r), Ticket: tk,
		Code: code, Minutes: s.minutes(), MinPasswordLength: s.c.Rules.MinLength})
}

func (s *Step) showReset(w http.ResponseWriter, r *http.Request) {
	tk := r.URL.Query().Get("ticket")
	if !validTicket(tk) {
		s.renderForgot(w, r, http.StatusBadRequest, "", "reset.void")
		return
	}
	s.renderReset(w, r, http.StatusOK, tk, digitsOnly(r.URL.Query().Get("code")), "")
}

func (s *Step) postReset(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	if !s.env.Kit.ParsePost(w, r) {
		return
	}
	tk, code := r.PostForm.Get("ticket"), digitsOnly(r.PostForm.Get("code"))
	if !validTicket(tk) {
		s.renderForgot(w, r, http.StatusBadRequest, "", "reset.void")
		return
	}
	rec, err := s.env.Eph.GetRecord(ctx, store.KindPasswordReset, tk)
	if errors.Is(err, store.ErrNotFound) {
		s.renderForgot(w, r, http.StatusBadRequest, "", "reset.void")
		return
	}
	if err != nil {
		s.env.Unavailable(w, r, err)
		return
	}
	var t ticket
	if err := json.Unmarshal(rec.Data, &t); err != nil {
		s.env.Unavailable(w, r, err)
		return
	}
	pw := r.PostForm.Get("password")
	if why := s.c.Rules.Check(pw); why != "" {
		s.renderReset(w, r, http.StatusBadRequest, tk, code, why, s.c.Rules.MinLength)
		return
	}
	if pw != r.PostForm.Get("password_confirm") {
		s.renderReset(w, r, http.StatusBadRequest, tk, code, "error.password.mismatch")
		return
	}
	// One try is reserved before the code is compared.
	tries, err := s.env.Eph.Hit(ctx, "pwreset:try:"+tk, s.c.CodeLifetime)
	if err != nil {
		s.env.Unavailable(w, r, err)
		return
	}
	if tries > int64(s.c.MaxAttempts) {
		s.env.Record(r, audit.AccountPasswordResetFailure, t.Account, "", map[string]string{"reason": "too_many"})
		s.renderForgot(w, r, http.StatusBadRequest, "", "reset.void")
		return
	}
	if code == "" || subtle.ConstantTimeCompare(codeHash(tk, code), t.Code) != 1 || t.Account == "" {
		s.env.Record(r, audit.AccountPasswordResetFailure, t.Account, "", map[string]string{"reason": "wrong_code"})
		if tries == int64(s.c.MaxAttempts) {
			if err := s.env.Eph.DeleteRecord(ctx, store.KindPasswordReset, tk); err != nil {
				s.env.Unavailable(w, r, err)
				return
			}
			s.renderForgot(w, r, http.StatusBadRequest, "", "reset.void")
			return
		}
		s.renderReset(w, r, http.StatusBadRequest, tk, "", "reset.bad_code")
		return
	}
	if _, err := s.env.Eph.TakeRecord(ctx, store.KindPasswordReset, tk); errors.Is(err, store.ErrNotFound) {
		// Another request with the same code took the ticket.
		s.renderForgot(w, r, http.StatusBadRequest, "", "reset.void")
		return
	} else if err != nil {
		s.env.Unavailable(w, r, err)
		return
	}
	if err := s.apply(ctx, t.Account, pw); err != nil {
		s.env.Unavailable(w, r, err)
		return
	}
	s.env.Record(r, audit.AccountPasswordReset, t.Account, "", map[string]string{"channel": t.Channel})
	s.env.Sessions.ClearCookie(w)
	link := "/login"
	if fid := flowID(r); fid != "" {
		link += "?flow=" + fid
	}
	s.env.Kit.Render(w, r, http.StatusOK, "message", &ui.MessagePage{Base: s.env.Kit.Base(w, r),
		TitleKey: "reset.done_title", MessageKey: "reset.done", LinkURL: link, LinkKey: "login.submit"})
}

// apply sets the new password of the account and ends everything the old
// one opened: every session (with back-channel logout), every refresh
// token, authorization code and access token; it lifts the brute-force
// locks of the account's password and identifiers.
func (s *Step) apply(ctx context.Context, accountID, password string) error {
	acct, err := s.env.Store.GetAccount(ctx, accountID)
	if err != nil {
		return err
	}
	hash, err := s.c.Hasher.Hash(password)
	if err != nil {
		return err
	}
	if err := s.env.Store.SetPasswordHash(ctx, acct.ID, hash); err != nil {
		return err
	}
	if _, err := s.env.Logout.EndAll(ctx, acct.ID, session.ReasonPasswordReset, acct.ID); err != nil {
		return err
	}
	if err := s.env.Store.RevokeRefreshTokensOfSubject(ctx, acct.ID, ""); err != nil {
		return err
	}
	for _, kind := range []store.RecordKind{store.KindAuthorizeCode, store.KindAccessToken} {
		recs, err := s.env.Eph.RecordsBySubject(ctx, kind, acct.ID)
		if err != nil {
			return err
		}
		for _, rec := range recs {
			if err := s.env.Eph.DeleteRecord(ctx, kind, rec.Key); err != nil {
				return err
			}
		}
	}
	for _, key := range lockKeys(acct) {
		if err := s.env.Guard.Unlock(ctx, key); err != nil {
			return err
		}
	}
	return nil
}

// lockKeys are the brute-force keys of the account's password and
// identifiers; not its second factor's.
func lockKeys(a *identity.Account) []string {
	keys := []string{authn.AccountKey(a.ID)}
	if a.PersonalID != "" {
		keys = append(keys, authn.IdentifierKey(string(store.ByPersonalID)+":"+string(a.PersonalID)))
	}
	if a.Email != "" {
		keys = append(keys, authn.IdentifierKey(string(store.ByEmail)+":"+a.Email))
	}
	if a.Phone != "" {
		keys = append(keys, authn.IdentifierKey(string(store.ByPhone)+":"+a.Phone))
	}
	if a.Official != nil && a.Official.Username != "" {
		keys = append(keys, authn.IdentifierKey(string(store.ByUsername)+":"+a.Official.Username))
	}
	return keys
}

// startUpstream starts a login through an upstream provider that proves
// the personal ID, coming back to the console's password page. The flow is
// marked PasswordReset: the login finds the account that holds the proven
// ID (or is linked to the person at the provider) and creates none.
func (s *Step) startUpstream(w http.ResponseWriter, r *http.Request) {
	name := r.URL.Query().Get("provider")
	for _, u := range s.c.Upstreams {
		if u.Name != name {
			continue
		}
		fl := &flow.Flow{ReturnTo: "/account/password", RequestedAt: s.env.Now().UTC(), PasswordReset: true}
		if err := s.env.Flows.Create(r.Context(), fl); err != nil {
			s.env.Unavailable(w, r, err)
			return
		}
		web.Redirect(w, r, "/login/upstream/"+url.PathEscape(u.Name)+"?flow="+url.QueryEscape(fl.ID))
		return
	}
	s.env.Kit.Error(w, r, http.StatusNotFound, "not_found")
}
