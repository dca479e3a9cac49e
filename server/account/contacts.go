package account

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"net/http"
	"strings"
	"time"

	"github.com/dinhdanh/dinhdanh/server/audit"
	"github.com/dinhdanh/dinhdanh/server/identity"
	"github.com/dinhdanh/dinhdanh/server/keys"
	"github.com/dinhdanh/dinhdanh/server/notify"
	"github.com/dinhdanh/dinhdanh/server/session"
	"github.com/dinhdanh/dinhdanh/server/web"
	"github.com/dinhdanh/dinhdanh/store"
	"github.com/dinhdanh/dinhdanh/ui"
)

// Contacts is what the console needs to verify a new or changed email
// address or phone number (see the package documentation for the flow).
type Contacts struct {
	// Outbox sends the codes.
	Outbox *notify.Outbox
	// Notices tells the holder of a contact that someone else tried to add
	// it; nil sends no notice.
	Notices *notify.Notices
	// Sealer seals the codes at rest.
	Sealer *keys.Sealer
	// Eph keeps the pending changes and the counters.
	Eph store.Ephemeral
	// Lifetime is how long a code is valid (contacts.code_lifetime).
	Lifetime time.Duration
	// MaxAttempts is how many codes may be entered for one code sent.
	MaxAttempts int
	// MaxSends is how many codes one account may have sent, and one contact
	// may receive, within SendWindow.
	MaxSends   int
	SendWindow time.Duration
	// Product names the product in the messages.
	Product string
	// Now is the clock (time.Now when nil).
	Now func() time.Time
}

func (c *Contacts) now() time.Time {
	if c.Now != nil {
		return c.Now()
	}
	return time.Now()
}

// pendingContact is the data of a store.KindContactVerification record.
type pendingContact struct {
	Value string `json:"v"`
	// Code is the code, sealed with the account, channel, value and nonce as
	// additional data.
	Code []byte `json:"c"`
	// Nonce names the code's attempts counter.
	Nonce string `json:"n"`
	// Taken marks a contact another account holds: no code was sent, and
	// none is accepted.
	Taken bool `json:"t,omitempty"`
}

// Contact channels as the forms name them, and the store's channel of each.
var channels = map[string]struct {
	outbox string
	kind   store.IdentifierKind
}{
	"email": {store.ChannelEmail, store.ByEmail},
	"phone": {store.ChannelSMS, store.ByPhone},
}

const (
	profilePath = "/account/profile"
	contactPath = "/account/contacts"
	codeDigits  = 6
)

func (h *Handler) registerContacts(mux *http.ServeMux) {
	mux.HandleFunc("GET "+profilePath, h.showProfile)
	mux.HandleFunc("POST "+profilePath, h.postProfile)
	mux.HandleFunc("POST "+contactPath, h.startContact)
	mux.HandleFunc("GET "+contactPath+"/verify", h.showVerify)
	mux.HandleFunc("POST "+contactPath+"/verify", h.verifyContact)
	mux.HandleFunc("POST "+contactPath+"/resend", h.resendContact)
	mux.HandleFunc("POST "+contactPath+"/cancel", h.cancelContact)
}

func pendingKey(accountID, channel string) string { return accountID + ":" + channel }

func sealData(accountID, channel string, p *pendingContact) []byte {
	return []byte("contact\x00" + accountID + "\x00" + channel + "\x00" + p.Value + "\x00" + p.Nonce)
}

// pending returns the record and data of the person's pending change of
// channel, or store.ErrNotFound.
func (h *Handler) pending(ctx context.Context, accountID, channel string) (*store.Record, *pendingContact, error) {
	rec, err := h.Contacts.Eph.GetRecord(ctx, store.KindContactVerification, pendingKey(accountID, channel))
	if err != nil {
		return nil, nil, err
	}
	var p pendingContact
	if err := json.Unmarshal(rec.Data, &p); err != nil {
		return nil, nil, err
	}
	return rec, &p, nil
}

// normalizeContact returns the canonical form of a contact of channel.
func normalizeContact(channel, value string) (string, error) {
	if channel == "email" {
		return identity.NormalizeEmail(value)
	}
	return identity.NormalizePhone(value)
}

func newCode() string {
	n, err := rand.Int(rand.Reader, big.NewInt(1_000_000))
	if err != nil {
		panic(err) // crypto/rand never fails on a working system
	}
	return fmt.Sprintf("%0*d", codeDigits, n.Int64())
}

func recipientKey(channel, value string) string {
	sum := sha256.Sum256([]byte(channel + "\x00" + strings.ToLower(value)))
	return "contact:send:to:" + hex.EncodeToString(sum[:16])
}

// contactPost reads a contact form's post: the signed-in session and the
// form's channel ("email" or "phone"), answering it itself when either is
// missing or wrong.
func (h *Handler) contactPost(w http.ResponseWriter, r *http.Request) (*session.SSO, string, bool) {
	if !h.Kit.ParsePost(w, r) {
		return nil, "", false
	}
	sso, ok := h.current(w, r)
	if !ok {
		return nil, "", false
	}
	channel := r.PostForm.Get("channel")
	if _, ok := channels[channel]; !ok {
		h.Kit.Error(w, r, http.StatusBadRequest, "bad_request")
		return nil, "", false
	}
	return sso, channel, true
}

// startContact sends a code to the contact of the form (fields channel and
// value). A contact another account holds is answered alike, but no code
// goes to it (its holder may get a notice).
func (h *Handler) startContact(w http.ResponseWriter, r *http.Request) {
	sso, channel, ok := h.contactPost(w, r)
	if !ok {
		return
	}
	h.sendCode(w, r, sso, channel, r.PostForm.Get("value"))
}

func (h *Handler) sendCode(w http.ResponseWriter, r *http.Request, sso *session.SSO, channel, raw string) {
	ctx := r.Context()
	c := h.Contacts
	acct, err := h.Store.GetAccount(ctx, sso.AccountID)
	if err != nil {
		h.unavailable(w, r, err)
		return
	}
	value, err := normalizeContact(channel, raw)
	if err != nil {
		h.renderProfile(w, r, acct, http.StatusBadRequest, func(p *ui.ProfilePage) {
			p.ErrorKey, p.Invalid = "error."+channel+".invalid", channel
			if channel == "email" {
				p.EmailInput = raw
			} else {
				p.PhoneInput = raw
			}
		})
		return
	}
	current, verified := acct.Email, acct.EmailVerified
	if channel == "phone" {
		current, verified = acct.Phone, acct.PhoneVerified
	}
	if value == current && verified {
		h.renderProfile(w, r, acct, http.StatusOK, func(p *ui.ProfilePage) { p.NoticeKey = "contact.already_verified" })
		return
	}
	// Limits are reserved before anything is sent: per account, then per contact.
	accountKey := "contact:send:acct:" + acct.ID
	n, err := c.Eph.Hit(ctx, accountKey, c.SendWindow)
	if err != nil {
		h.unavailable(w, r, err)
		return
	}
	if n <= int64(c.MaxSends) {
		if n, err = c.Eph.Hit(ctx, recipientKey(channel, value), c.SendWindow); err != nil {
			h.unavailable(w, r, err)
			return
		}
		if n > int64(c.MaxSends) {
			_ = c.Eph.Unhit(ctx, accountKey) // nothing is sent on the account's behalf
		}
	}
	if n > int64(c.MaxSends) {
		h.recorder.FromRequest(r, audit.AccountContactCode, acct.ID, "", map[string]string{"channel": channel, "outcome": "limited"})
		h.renderProfile(w, r, acct, http.StatusTooManyRequests, func(p *ui.ProfilePage) {
			p.ErrorKey, p.ErrorArgs = "contact.too_many_codes", []any{int(c.SendWindow.Minutes())}
		})
		return
	}
	holder, err := h.Store.FindAccount(ctx, channels[channel].kind, value)
	taken := err == nil && holder.ID != acct.ID
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		h.unavailable(w, r, err)
		return
	}
	code := newCode()
	p := &pendingContact{Value: value, Nonce: web.RandomToken(16), Taken: taken}
	if p.Code, err = c.Sealer.Seal([]byte(code), sealData(acct.ID, channel, p)); err != nil {
		h.unavailable(w, r, err)
		return
	}
	data, _ := json.Marshal(p)
	rec := &store.Record{Key: pendingKey(acct.ID, channel), Subject: acct.ID, Data: data, ExpiresAt: c.now().Add(c.Lifetime)}
	if err := c.Eph.PutRecord(ctx, store.KindContactVerification, rec); err != nil {
		h.unavailable(w, r, err)
		return
	}
	outcome := "sent"
	details := map[string]string{"channel": channel}
	if taken {
		outcome = "taken"
		details["holder"] = holder.ID
		if c.Notices != nil {
			res, err := c.Notices.ContactTaken(ctx, holder, channels[channel].outbox, value)
			if err != nil {
				h.Log.Error("notice of a taken contact", "err", err)
				res = "failed"
			}
			details["notice"] = res
		}
	} else if _, err := c.Outbox.Enqueue(ctx, h.codeMessage(w, r, channel, value, code)); err != nil {
		_ = c.Eph.DeleteRecord(ctx, store.KindContactVerification, rec.Key)
		h.unavailable(w, r, err)
		return
	}
	details["outcome"] = outcome
	h.recorder.FromRequest(r, audit.AccountContactCode, acct.ID, "", details)
	web.Redirect(w, r, contactPath+"/verify?channel="+channel)
}

// codeMessage is the message that carries code to value, in the page's language.
func (h *Handler) codeMessage(w http.ResponseWriter, r *http.Request, channel, value, code string) notify.Message {
	lang := h.Kit.Lang(w, r)
	minutes := int(h.Contacts.Lifetime.Minutes())
	m := notify.Message{Channel: channels[channel].outbox, To: value, Kind: "contact_code"}
	if channel == "email" {
		m.Subject = ui.T(lang, "contact.code_mail.subject", code, h.Contacts.Product)
		m.Text = ui.T(lang, "contact.code_mail.text", h.Contacts.Product, code, minutes)
	} else {
		m.Text = ui.T(lang, "contact.code_sms", notify.ASCII(h.Contacts.Product), code, minutes)
	}
	return m
}

func (h *Handler) showVerify(w http.ResponseWriter, r *http.Request) {
	sso, ok := h.current(w, r)
	if !ok {
		return
	}
	channel := r.URL.Query().Get("channel")
	if _, ok := channels[channel]; !ok {
		web.Redirect(w, r, profilePath)
		return
	}
	rec, p, err := h.pending(r.Context(), sso.AccountID, channel)
	if err != nil || rec.Used {
		web.Redirect(w, r, profilePath)
		return
	}
	h.renderVerify(w, r, http.StatusOK, channel, p, nil)
}

func (h *Handler) renderVerify(w http.ResponseWriter, r *http.Request, status int, channel string, p *pendingContact, mod func(*ui.ContactVerifyPage)) {
	page := &ui.ContactVerifyPage{Base: h.Kit.Base(w, r), Channel: channel, Recipient: p.Value,
		Minutes: int(h.Contacts.Lifetime.Minutes())}
	if mod != nil {
		mod(page)
	}
	h.Kit.Render(w, r, status, "contact_verify", page)
}

// verifyContact checks the code of the form (fields channel and code) and,
// when it is right, makes the pending contact the account's, verified.
func (h *Handler) verifyContact(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	sso, channel, ok := h.contactPost(w, r)
	if !ok {
		return
	}
	c := h.Contacts
	refuse := func(reason string) {
		h.recorder.FromRequest(r, audit.AccountContactRefused, sso.AccountID, "", map[string]string{"channel": channel, "reason": reason})
	}
	profileError := func(status int, key string) {
		acct, err := h.Store.GetAccount(ctx, sso.AccountID)
		if err != nil {
			h.unavailable(w, r, err)
			return
		}
		h.renderProfile(w, r, acct, status, func(p *ui.ProfilePage) { p.ErrorKey = key })
	}
	rec, p, err := h.pending(ctx, sso.AccountID, channel)
	if errors.Is(err, store.ErrNotFound) || err == nil && rec.Used {
		refuse("expired")
		profileError(http.StatusBadRequest, "contact.expired")
		return
	}
	if err != nil {
		h.unavailable(w, r, err)
		return
	}
	// The try is reserved before the code is compared.
	n, err := c.Eph.Hit(ctx, "contact:try:"+p.Nonce, c.Lifetime)
	if err != nil {
		h.unavailable(w, r, err)
		return
	}
	if n > int64(c.MaxAttempts) {
		refuse("attempts")
		h.renderVerify(w, r, http.StatusTooManyRequests, channel, p, func(v *ui.ContactVerifyPage) { v.ErrorKey = "contact.too_many_attempts" })
		return
	}
	code, err := c.Sealer.Open(p.Code, sealData(sso.AccountID, channel, p))
	if err != nil {
		h.unavailable(w, r, err)
		return
	}
	entered := strings.Map(func(r rune) rune {
		if r == ' ' || r == '-' {
			return -1
		}
		return r
	}, r.PostForm.Get("code"))
	if p.Taken || subtle.ConstantTimeCompare([]byte(entered), code) != 1 {
		refuse("wrong")
		left := int64(c.MaxAttempts) - n
		h.renderVerify(w, r, http.StatusBadRequest, channel, p, func(v *ui.ContactVerifyPage) {
			v.CodeRejected, v.ErrorKey, v.ErrorArgs = true, "contact.wrong_code", []any{left}
		})
		return
	}
	// Exactly one request consumes the record it compared against.
	used := *rec
	used.Used = true
	if err := c.Eph.CompareAndSwapRecord(ctx, store.KindContactVerification, rec, &used); err != nil {
		if errors.Is(err, store.ErrChanged) || errors.Is(err, store.ErrNotFound) {
			refuse("used")
			profileError(http.StatusBadRequest, "contact.expired")
			return
		}
		h.unavailable(w, r, err)
		return
	}
	// The contact is set on the account as it is now, read again when a
	// concurrent write (the profile saved, an administrator's lock) came in
	// between, so that neither overwrites the other.
	var (
		before         string
		beforeVerified bool
	)
	acct, err := h.changeAccount(ctx, sso.AccountID, func(acct *identity.Account) (*identity.Account, error) {
		before, beforeVerified = acct.Email, acct.EmailVerified
		if channel == "email" {
			acct.Email, acct.EmailVerified = p.Value, true
		} else {
			before, beforeVerified = acct.Phone, acct.PhoneVerified
			acct.Phone, acct.PhoneVerified = p.Value, true
		}
		return acct, nil
	})
	if err != nil {
		if _, ok := store.IsConflict(err); ok {
			_ = c.Eph.DeleteRecord(ctx, store.KindContactVerification, rec.Key)
			refuse("taken")
			profileError(http.StatusConflict, "contact.unavailable")
			return
		}
		if errors.Is(err, errAccountBusy) {
			// The code stays usable: the person may enter it again.
			_ = c.Eph.CompareAndSwapRecord(ctx, store.KindContactVerification, &used, rec)
			refuse("busy")
			profileError(http.StatusConflict, "account.changed")
			return
		}
		h.unavailable(w, r, err)
		return
	}
	_ = c.Eph.DeleteRecord(ctx, store.KindContactVerification, rec.Key)
	h.recorder.FromRequest(r, audit.AccountContactVerify, acct.ID, "", map[string]string{"channel": channel,
		"before": before, "after": p.Value, "before_verified": fmt.Sprint(beforeVerified)})
	web.Redirect(w, r, profilePath+"?done="+channel+"_verified")
}

// resendContact sends a new code to the pending contact of the channel.
func (h *Handler) resendContact(w http.ResponseWriter, r *http.Request) {
	sso, channel, ok := h.contactPost(w, r)
	if !ok {
		return
	}
	rec, p, err := h.pending(r.Context(), sso.AccountID, channel)
	if err != nil || rec.Used {
		web.Redirect(w, r, profilePath)
		return
	}
	h.sendCode(w, r, sso, channel, p.Value)
}

// cancelContact drops the pending change of the channel.
func (h *Handler) cancelContact(w http.ResponseWriter, r *http.Request) {
	sso, channel, ok := h.contactPost(w, r)
	if !ok {
		return
	}
	if err := h.Contacts.Eph.DeleteRecord(r.Context(), store.KindContactVerification, pendingKey(sso.AccountID, channel)); err != nil {
		h.unavailable(w, r, err)
		return
	}
	web.Redirect(w, r, profilePath)
}
