package authn

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base32"
	"encoding/base64"
	"encoding/json"
	"errors"
	"image/png"
	"strings"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/hotp"
	"github.com/pquerna/otp/totp"

	"github.com/dinhdanh/dinhdanh/store"
)

// Sealer seals secrets at rest and opens them (keys.Sealer: AES-256-GCM). The
// additional data binds a sealed value to its use.
type Sealer interface {
	Seal(plaintext, additional []byte) ([]byte, error)
	Open(sealed, additional []byte) ([]byte, error)
}

// TOTPSealData is the additional data that binds the sealed secret of an
// authenticator app to its credential id.
func TOTPSealData(credentialID string) []byte { return []byte("totp:" + credentialID) }

// TOTPStore is what the authenticator-app check needs from the durable store.
type TOTPStore interface {
	PutTOTP(ctx context.Context, c *store.TOTPCredential) error
	GetTOTP(ctx context.Context, accountID string) (*store.TOTPCredential, error)
	UseTOTPStep(ctx context.Context, accountID, credentialID string, step int64, at time.Time) error
	DeleteTOTP(ctx context.Context, accountID string) error
}

// Records is what ceremonies and enrolments need from the ephemeral store.
type Records interface {
	PutRecord(ctx context.Context, kind store.RecordKind, r *store.Record) error
	GetRecord(ctx context.Context, kind store.RecordKind, key string) (*store.Record, error)
	TakeRecord(ctx context.Context, kind store.RecordKind, key string) (*store.Record, error)
}

// TOTPOptions configure authenticator apps.
type TOTPOptions struct {
	// Issuer is the name the app shows next to the account.
	Issuer string
	// Digits is the length of a code (6 or 8).
	Digits int
	// Period is the time step (whole seconds).
	Period time.Duration
	// Skew is how many steps before and after the current one are accepted.
	Skew int
	// EnrolmentLifetime is how long a started enrolment may be confirmed.
	EnrolmentLifetime time.Duration
}

// TOTP checks codes of authenticator apps (RFC 6238, HMAC-SHA1). Secrets are
// sealed at rest with the credential id as additional data. A code is
// accepted once: the time step it belongs to is recorded with a conditional
// update, so a replay, even on another node at the same moment, is refused.
type TOTP struct {
	Store   TOTPStore
	Records Records
	Sealer  Sealer
	Options TOTPOptions
	// Now is the clock (time.Now when nil).
	Now func() time.Time
}

func (t *TOTP) now() time.Time {
	if t.Now != nil {
		return t.Now()
	}
	return time.Now()
}

func (t *TOTP) period() uint64 {
	if p := uint64(t.Options.Period / time.Second); p > 0 {
		return p
	}
	return 30
}

func (t *TOTP) digits() otp.Digits {
	if t.Options.Digits == 8 {
		return otp.DigitsEight
	}
	return otp.DigitsSix
}

// TOTPEnrolment is an authenticator app being set up: a new secret, kept
// sealed in the ephemeral store until a first code confirms it.
type TOTPEnrolment struct {
	// ID names the pending enrolment (the form carries it back).
	ID string
	// Key is the secret written as the app types it: base32 in groups of four.
	Key string
	// URL is the otpauth:// URL the QR code holds.
	URL string
	// QRCode is a PNG image of the QR code.
	QRCode []byte
}

// QRCodeDataURL returns the QR code as a data: URL for an <img>.
func (e *TOTPEnrolment) QRCodeDataURL() string {
	return "data:image/png;base64," + base64.StdEncoding.EncodeToString(e.QRCode)
}

var b32 = base32.StdEncoding.WithPadding(base32.NoPadding)

type pendingTOTP struct {
	Sealed []byte `json:"sealed"`
	URL    string `json:"url"`
}

// BeginEnrolment makes a new secret for the account and keeps it, sealed,
// until ConfirmEnrolment or the enrolment lifetime. accountName is what the
// app shows (an email, a username).
func (t *TOTP) BeginEnrolment(ctx context.Context, accountID, accountName string) (*TOTPEnrolment, error) {
	secret := make([]byte, 20)
	if _, err := rand.Read(secret); err != nil {
		return nil, err
	}
	key, err := totp.Generate(totp.GenerateOpts{Issuer: t.Options.Issuer, AccountName: accountName, Period: uint(t.period()),
		Secret: secret, Digits: t.digits(), Algorithm: otp.AlgorithmSHA1})
	if err != nil {
		return nil, err
	}
	e := &TOTPEnrolment{ID: randomID(18), Key: groupKey(key.Secret()), URL: key.URL()}
	img, err := key.Image(240, 240)
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		return nil, err
	}
	e.QRCode = buf.Bytes()
	sealed, err := t.Sealer.Seal(secret, []byte("totp-enrolment:"+e.ID+":"+accountID))
	if err != nil {
		return nil, err
	}
	data, err := json.Marshal(pendingTOTP{Sealed: sealed, URL: e.URL})
	if err != nil {
		return nil, err
	}
	life := t.Options.EnrolmentLifetime
	if life <= 0 {
		life = 10 * time.Minute
	}
	if err := t.Records.PutRecord(ctx, store.KindTOTPEnrolment, &store.Record{Key: e.ID, Subject: accountID, Data: data,
		ExpiresAt: t.now().Add(life)}); err != nil {
		return nil, err
	}
	return e, nil
}

// ErrEnrolmentGone is returned for an enrolment that expired, was confirmed
// already or belongs to another account.
var ErrEnrolmentGone = errors.New("authn: enrolment expired or unknown")

// PendingEnrolment returns a started enrolment again (to show its QR code
// after a wrong code), or ErrEnrolmentGone.
func (t *TOTP) PendingEnrolment(ctx context.Context, accountID, id string) (*TOTPEnrolment, error) {
	rec, err := t.Records.GetRecord(ctx, store.KindTOTPEnrolment, id)
	if errors.Is(err, store.ErrNotFound) || (err == nil && rec.Subject != accountID) {
		return nil, ErrEnrolmentGone
	}
	if err != nil {
		return nil, err
	}
	var p pendingTOTP
	if err := json.Unmarshal(rec.Data, &p); err != nil {
		return nil, err
	}
	key, err := otp.NewKeyFromURL(p.URL)
	if err != nil {
		return nil, err
	}
	e := &TOTPEnrolment{ID: id, Key: groupKey(key.Secret()), URL: p.URL}
	img, err := key.Image(240, 240)
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		return nil, err
	}
	e.QRCode = buf.Bytes()
	return e, nil
}

// ConfirmEnrolment checks the first code of a started enrolment. A right code
// stores the account's authenticator app (replacing any earlier one), with
// the code's time step already used, and ends the enrolment; a wrong code
// leaves the enrolment open for another try. An enrolment that is gone is
// ErrEnrolmentGone.
func (t *TOTP) ConfirmEnrolment(ctx context.Context, accountID, id, code string) (*store.TOTPCredential, bool, error) {
	rec, err := t.Records.GetRecord(ctx, store.KindTOTPEnrolment, id)
	if errors.Is(err, store.ErrNotFound) || (err == nil && rec.Subject != accountID) {
		return nil, false, ErrEnrolmentGone
	}
	if err != nil {
		return nil, false, err
	}
	var p pendingTOTP
	if err := json.Unmarshal(rec.Data, &p); err != nil {
		return nil, false, err
	}
	secret, err := t.Sealer.Open(p.Sealed, []byte("totp-enrolment:"+id+":"+accountID))
	if err != nil {
		return nil, false, err
	}
	now := t.now()
	steps := t.matchingSteps(secret, code, now)
	if len(steps) == 0 {
		return nil, false, nil
	}
	if _, err := t.Records.TakeRecord(ctx, store.KindTOTPEnrolment, id); errors.Is(err, store.ErrNotFound) {
		return nil, false, ErrEnrolmentGone
	} else if err != nil {
		return nil, false, err
	}
	c := &store.TOTPCredential{ID: randomID(12), AccountID: accountID, Digits: int(t.digits()),
		Period: time.Duration(t.period()) * time.Second, LastStep: steps[len(steps)-1], LastUsedAt: now.UTC()}
	if c.SealedSecret, err = t.Sealer.Seal(secret, TOTPSealData(c.ID)); err != nil {
		return nil, false, err
	}
	if err := t.Store.PutTOTP(ctx, c); err != nil {
		return nil, false, err
	}
	return c, true, nil
}

// Enrolled reports whether the account has an authenticator app.
func (t *TOTP) Enrolled(ctx context.Context, accountID string) (bool, error) {
	_, err := t.Store.GetTOTP(ctx, accountID)
	if errors.Is(err, store.ErrNotFound) {
		return false, nil
	}
	return err == nil, err
}

// TOTPResult tells what a code check found beyond right or wrong.
type TOTPResult struct {
	// Replayed is true when the code was right for a time step that was
	// already used: a code is accepted once.
	Replayed bool
	// Step is the time step of the accepted code.
	Step int64
}

// Verify checks a code of the account's authenticator app. It returns ok for
// a right code of a time step not used before (and records the step), not ok
// for a wrong or replayed code (result.Replayed tells which) or when the
// account has no app, and an error only for an outage.
func (t *TOTP) Verify(ctx context.Context, accountID, code string) (TOTPResult, bool, error) {
	var res TOTPResult
	c, err := t.Store.GetTOTP(ctx, accountID)
	if errors.Is(err, store.ErrNotFound) {
		return res, false, nil
	}
	if err != nil {
		return res, false, err
	}
	secret, err := t.Sealer.Open(c.SealedSecret, TOTPSealData(c.ID))
	if err != nil {
		return res, false, err
	}
	now := t.now()
	opts := *t
	opts.Options.Digits, opts.Options.Period = c.Digits, c.Period
	steps := opts.matchingSteps(secret, code, now)
	if len(steps) == 0 {
		return res, false, nil
	}
	for _, s := range steps {
		if s <= c.LastStep {
			continue
		}
		switch err := t.Store.UseTOTPStep(ctx, accountID, c.ID, s, now.UTC()); {
		case err == nil:
			res.Step = s
			return res, true, nil
		case errors.Is(err, store.ErrAlreadyUsed):
			// Another node took this step (or a later one) meanwhile.
		case errors.Is(err, store.ErrNotFound):
			return res, false, nil
		default:
			return res, false, err
		}
	}
	res.Replayed = true
	return res, false, nil
}

// Remove deletes the account's authenticator app; having none is not an error.
func (t *TOTP) Remove(ctx context.Context, accountID string) error {
	if err := t.Store.DeleteTOTP(ctx, accountID); err != nil && !errors.Is(err, store.ErrNotFound) {
		return err
	}
	return nil
}

// matchingSteps returns, oldest first, the time steps within the skew of now
// whose code is code. Every candidate is computed and compared in constant
// time, so timing does not tell which step matched.
func (t *TOTP) matchingSteps(secret []byte, code string, now time.Time) []int64 {
	code = normalizeCode(code)
	if len(code) != int(t.digits()) {
		return nil
	}
	period := int64(t.period())
	current := now.Unix() / period
	skew := int64(t.Options.Skew)
	text := b32.EncodeToString(secret)
	opts := hotp.ValidateOpts{Digits: t.digits(), Algorithm: otp.AlgorithmSHA1}
	var out []int64
	for s := current - skew; s <= current+skew; s++ {
		if s < 0 {
			continue
		}
		want, err := hotp.GenerateCodeCustom(text, uint64(s), opts)
		if err != nil {
			return nil
		}
		if subtle.ConstantTimeCompare([]byte(want), []byte(code)) == 1 {
			out = append(out, s)
		}
	}
	return out
}

// normalizeCode drops the spaces and dashes people type inside a code.
func normalizeCode(code string) string {
	code = strings.Map(func(r rune) rune {
		switch r {
		case ' ', '-', '\u00a0', '\t':
			return -1
		}
		return r
	}, code)
	for _, r := range code {
		if r < '0' || r > '9' {
			return ""
		}
	}
	return code
}

// groupKey writes a base32 key in groups of four for people to type.
func groupKey(key string) string {
	var b strings.Builder
	for i, r := range key {
		if i > 0 && i%4 == 0 {
			b.WriteByte(' ')
		}
		b.WriteRune(r)
	}
	return b.String()
}

// randomID returns n random bytes, base64url without padding.
func randomID(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic("crypto/rand failed: " + err.Error())
	}
	return base64.RawURLEncoding.EncodeToString(b)
}
