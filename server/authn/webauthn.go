package authn

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/go-webauthn/webauthn/protocol"
	"github.com/go-webauthn/webauthn/webauthn"

	"github.com/dinhdanh/dinhdanh/server/identity"
	"github.com/dinhdanh/dinhdanh/store"
)

// WebAuthnStore is what security keys and passkeys need from the durable store.
type WebAuthnStore interface {
	AddWebAuthnCredential(ctx context.Context, c *store.WebAuthnCredential) error
	WebAuthnCredentials(ctx context.Context, accountID string) ([]*store.WebAuthnCredential, error)
	FindWebAuthnCredential(ctx context.Context, id []byte) (*store.WebAuthnCredential, error)
	UseWebAuthnCredential(ctx context.Context, id []byte, signCount uint32, backupState bool, at time.Time) error
}

// WebAuthnOptions configure security keys and passkeys.
type WebAuthnOptions struct {
	// RPID is the relying party id (a domain name, not an address).
	RPID string
	// RPDisplayName is the name browsers show when a credential is made.
	RPDisplayName string
	// Origins are the origins of the pages that run ceremonies.
	Origins []string
	// UserVerification applies to security keys used as a second factor and
	// registered as such: "required", "preferred" or "discouraged".
	UserVerification string
	// ChallengeLifetime bounds a ceremony; each challenge is used once.
	ChallengeLifetime time.Duration
}

// WebAuthn registers security keys and passkeys and checks their
// assertions, as a second factor after a password or, for a passkey that
// verifies its user, as a login on its own.
//
// A ceremony begins with a challenge kept in the ephemeral store under a
// random id and bound to what started it (a login flow or an SSO session);
// finishing takes the record, so a challenge is answered once, and a
// ceremony past ChallengeLifetime is gone. A signature counter that does not
// move forward (a cloned authenticator) is refused: the result says so, for
// the audit log.
type WebAuthn struct {
	Store   WebAuthnStore
	Records Records
	Options WebAuthnOptions
	// Now is the clock (time.Now when nil).
	Now func() time.Time

	lib *webauthn.WebAuthn
}

// NewWebAuthn checks the options and returns the authenticator. A relying
// party id that is not a domain name (an IP address) is refused: browsers
// allow WebAuthn only on domains.
func NewWebAuthn(opts WebAuthnOptions, st WebAuthnStore, records Records) (*WebAuthn, error) {
	if err := protocol.ValidateRPID(opts.RPID); err != nil {
		return nil, fmt.Errorf("webauthn relying party id %q: %w", opts.RPID, err)
	}
	if opts.ChallengeLifetime <= 0 {
		opts.ChallengeLifetime = 5 * time.Minute
	}
	lib, err := webauthn.New(&webauthn.Config{
		RPID: opts.RPID, RPDisplayName: opts.RPDisplayName, RPOrigins: opts.Origins,
		AttestationPreference: protocol.PreferNoAttestation,
		Timeouts: webauthn.TimeoutsConfig{
			Login:        webauthn.TimeoutConfig{Enforce: true, Timeout: opts.ChallengeLifetime, TimeoutUVD: opts.ChallengeLifetime},
			Registration: webauthn.TimeoutConfig{Enforce: true, Timeout: opts.ChallengeLifetime, TimeoutUVD: opts.ChallengeLifetime},
		},
	})
	if err != nil {
		return nil, err
	}
	return &WebAuthn{Store: st, Records: records, Options: opts, lib: lib}, nil
}

func (a *WebAuthn) now() time.Time {
	if a.Now != nil {
		return a.Now()
	}
	return time.Now()
}

// WebAuthnUser is the person a registration or a second-factor ceremony is
// about. The user handle given to authenticators is the account's subject:
// random, stable, and no personal data.
type WebAuthnUser struct {
	AccountID   string
	Name        string // what the authenticator lists (a username, an email)
	DisplayName string // the person's name
	Credentials []*store.WebAuthnCredential
}

// UserOf returns the WebAuthn user of an account that logs in in capacity,
// with its registered credentials.
func UserOf(acct *identity.Account, capacity string, creds []*store.WebAuthnCredential) *WebAuthnUser {
	return &WebAuthnUser{AccountID: acct.ID, Name: acct.AuthenticatorName(capacity), DisplayName: acct.FullName,
		Credentials: creds}
}

// libUser adapts a WebAuthnUser to the library's User.
type libUser struct{ u *WebAuthnUser }

func (l libUser) WebAuthnID() []byte          { return []byte(l.u.AccountID) }
func (l libUser) WebAuthnName() string        { return l.u.Name }
func (l libUser) WebAuthnDisplayName() string { return l.u.DisplayName }
func (l libUser) WebAuthnCredentials() []webauthn.Credential {
	out := make([]webauthn.Credential, 0, len(l.u.Credentials))
	for _, c := range l.u.Credentials {
		out = append(out, libCredential(c))
	}
	return out
}

func libCredential(c *store.WebAuthnCredential) webauthn.Credential {
	flags := protocol.FlagUserPresent
	if c.UserVerified {
		flags |= protocol.FlagUserVerified
	}
	if c.BackupEligible {
		flags |= protocol.FlagBackupEligible
	}
	if c.BackupState {
		flags |= protocol.FlagBackupState
	}
	transports := make([]protocol.AuthenticatorTransport, 0, len(c.Transports))
	for _, t := range c.Transports {
		transports = append(transports, protocol.AuthenticatorTransport(t))
	}
	return webauthn.Credential{ID: c.ID, PublicKey: c.PublicKey, AttestationType: c.AttestationType,
		AttestationFormat: c.AttestationFormat, Transport: transports, Flags: webauthn.NewCredentialFlags(flags),
		Authenticator: webauthn.Authenticator{AAGUID: c.AAGUID, SignCount: c.SignCount}}
}

// Purposes of ceremonies: a ceremony finishes only as what it began as.
const (
	ceremonyRegister     = "register"
	ceremonySecondFactor = "second_factor"
	ceremonyPasswordless = "passwordless"
)

// ceremony is the ephemeral record of a ceremony in progress.
type ceremony struct {
	Purpose   string               `json:"purpose"`
	AccountID string               `json:"sub,omitempty"`
	Binding   string               `json:"bind"`
	Passkey   bool                 `json:"passkey,omitempty"`
	Session   webauthn.SessionData `json:"session"`
}

// Ceremony is a begun ceremony: the options for navigator.credentials
// (create or get) as JSON, and the id the finishing request names.
type Ceremony struct {
	ID      string
	Options json.RawMessage
}

func (a *WebAuthn) save(ctx context.Context, c *ceremony, options any) (*Ceremony, error) {
	data, err := json.Marshal(c)
	if err != nil {
		return nil, err
	}
	opts, err := json.Marshal(options)
	if err != nil {
		return nil, err
	}
	id := randomID(18)
	if err := a.Records.PutRecord(ctx, store.KindWebAuthnCeremony, &store.Record{Key: id, Subject: c.AccountID, Data: data,
		ExpiresAt: a.now().Add(a.Options.ChallengeLifetime)}); err != nil {
		return nil, err
	}
	return &Ceremony{ID: id, Options: opts}, nil
}

// take ends a ceremony: it is returned once, when it has the purpose and the
// binding given; otherwise the refusal says why.
func (a *WebAuthn) take(ctx context.Context, id, purpose, binding string) (*ceremony, string, error) {
	if id == "" || len(id) > 64 {
		return nil, RefusalExpired, nil
	}
	rec, err := a.Records.TakeRecord(ctx, store.KindWebAuthnCeremony, id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, RefusalExpired, nil
	}
	if err != nil {
		return nil, "", err
	}
	var c ceremony
	if err := json.Unmarshal(rec.Data, &c); err != nil {
		return nil, "", err
	}
	if c.Purpose != purpose || c.Binding != binding || !rec.ExpiresAt.After(a.now()) {
		return nil, RefusalExpired, nil
	}
	return &c, "", nil
}

func (a *WebAuthn) userVerification() protocol.UserVerificationRequirement {
	switch a.Options.UserVerification {
	case "required":
		return protocol.VerificationRequired
	case "discouraged":
		return protocol.VerificationDiscouraged
	}
	return protocol.VerificationPreferred
}

// BeginRegistration starts registering a credential for the user, bound to
// binding. A passkey is a discoverable credential that must verify its user
// (it can log in on its own); a security key is a second factor, with user
// verification as configured. The user's credentials are excluded, so one
// authenticator is not registered twice.
func (a *WebAuthn) BeginRegistration(ctx context.Context, user *WebAuthnUser, passkey bool, binding string) (*Ceremony, error) {
	sel := protocol.AuthenticatorSelection{ResidentKey: protocol.ResidentKeyRequirementDiscouraged,
		UserVerification: a.userVerification()}
	if passkey {
		required := true
		sel = protocol.AuthenticatorSelection{ResidentKey: protocol.ResidentKeyRequirementRequired,
			RequireResidentKey: &required, UserVerification: protocol.VerificationRequired}
	}
	exclude := webauthn.Credentials(libUser{user}.WebAuthnCredentials()).CredentialDescriptors()
	creation, session, err := a.lib.BeginRegistration(libUser{user}, webauthn.WithAuthenticatorSelection(sel),
		webauthn.WithExclusions(exclude))
	if err != nil {
		return nil, err
	}
	return a.save(ctx, &ceremony{Purpose: ceremonyRegister, AccountID: user.AccountID, Binding: binding, Passkey: passkey,
		Session: *session}, creation)
}

// Refusals: why a ceremony did not succeed.
const (
	// RefusalExpired: the ceremony is unknown, used, expired or not this one's.
	RefusalExpired = "expired"
	// RefusalInvalid: the response does not verify (signature, origin, challenge, flags).
	RefusalInvalid = "invalid"
	// RefusalUnknownCredential: no such credential, or another account's.
	RefusalUnknownCredential = "unknown_credential"
	// RefusalUserVerification: the authenticator did not verify its user where that is required.
	RefusalUserVerification = "user_verification"
	// RefusalSignCount: the signature counter did not move forward (a cloned authenticator?).
	RefusalSignCount = "sign_count"
	// RefusalDuplicate: the credential is registered already.
	RefusalDuplicate = "duplicate"
)

// WebAuthnResult is the outcome of a finished ceremony.
type WebAuthnResult struct {
	// AccountID is the account the credential belongs to.
	AccountID string
	// Credential is the credential used or registered.
	Credential *store.WebAuthnCredential
	// UserVerified reports that the authenticator verified its user in this ceremony.
	UserVerified bool
	// Refusal says why the ceremony failed (ok false); "" when it succeeded.
	Refusal string
	// Detail is the library's explanation of a refusal, for the log only.
	Detail string
}

// Methods returns the RFC 8176 methods the ceremony proved: "hwk" for a
// device-bound key or "swk" for a synced passkey, and "user" when the
// authenticator verified its user.
func (r WebAuthnResult) Methods() []string {
	m := []string{AMRHardware}
	if r.Credential != nil && r.Credential.BackupEligible {
		m = []string{AMRSoftware}
	}
	if r.UserVerified {
		m = append(m, AMRUser)
	}
	return m
}

func refusal(reason string, err error) WebAuthnResult {
	r := WebAuthnResult{Refusal: reason}
	if err != nil {
		r.Detail = err.Error()
		var pe *protocol.Error
		if errors.As(err, &pe) {
			r.Detail = pe.Details + " " + pe.DevInfo
		}
	}
	return r
}

// FinishRegistration verifies the authenticator's answer to a registration
// begun for the account with binding, and stores the credential under name.
func (a *WebAuthn) FinishRegistration(ctx context.Context, user *WebAuthnUser, binding, ceremonyID, name string, response []byte) (WebAuthnResult, bool, error) {
	c, why, err := a.take(ctx, ceremonyID, ceremonyRegister, binding)
	if err != nil || why != "" {
		return refusal(why, nil), false, err
	}
	if c.AccountID != user.AccountID {
		return refusal(RefusalExpired, nil), false, nil
	}
	parsed, err := protocol.ParseCredentialCreationResponseBytes(response)
	if err != nil {
		return refusal(RefusalInvalid, err), false, nil
	}
	cred, err := a.lib.CreateCredential(libUser{user}, c.Session, parsed)
	if err != nil {
		return refusal(RefusalInvalid, err), false, nil
	}
	transports := make([]string, 0, len(cred.Transport))
	for _, t := range cred.Transport {
		transports = append(transports, string(t))
	}
	sc := &store.WebAuthnCredential{ID: cred.ID, AccountID: user.AccountID, Name: name, PublicKey: cred.PublicKey,
		AttestationType: cred.AttestationType, AttestationFormat: cred.AttestationFormat, AAGUID: cred.Authenticator.AAGUID,
		SignCount: cred.Authenticator.SignCount, Transports: transports, Discoverable: c.Passkey,
		UserVerified: cred.Flags.UserVerified, BackupEligible: cred.Flags.BackupEligible, BackupState: cred.Flags.BackupState,
		CreatedAt: a.now().UTC()}
	if err := a.Store.AddWebAuthnCredential(ctx, sc); err != nil {
		if _, ok := store.IsConflict(err); ok {
			return refusal(RefusalDuplicate, nil), false, nil
		}
		return WebAuthnResult{}, false, err
	}
	return WebAuthnResult{AccountID: user.AccountID, Credential: sc, UserVerified: cred.Flags.UserVerified}, true, nil
}

// ErrNoCredentials is returned when a second-factor ceremony is begun for an
// account without security keys or passkeys.
var ErrNoCredentials = errors.New("authn: no security key registered")

// BeginLogin starts a second-factor ceremony for the account's credentials,
// bound to binding.
func (a *WebAuthn) BeginLogin(ctx context.Context, accountID, binding string) (*Ceremony, error) {
	creds, err := a.Store.WebAuthnCredentials(ctx, accountID)
	if err != nil {
		return nil, err
	}
	if len(creds) == 0 {
		return nil, ErrNoCredentials
	}
	user := &WebAuthnUser{AccountID: accountID, Credentials: creds}
	assertion, session, err := a.lib.BeginLogin(libUser{user}, webauthn.WithUserVerification(a.userVerification()))
	if err != nil {
		return nil, err
	}
	return a.save(ctx, &ceremony{Purpose: ceremonySecondFactor, AccountID: accountID, Binding: binding, Session: *session}, assertion)
}

// BeginPasswordless starts a login with a passkey, bound to binding: the
// browser offers the discoverable credentials it has for the relying party,
// and the authenticator must verify its user. conditional asks for the
// browser's autofill (conditional mediation) rather than a dialog. A
// non-empty accountID limits the login to that account (a confirmation of
// who is signed in).
func (a *WebAuthn) BeginPasswordless(ctx context.Context, binding, accountID string, conditional bool) (*Ceremony, error) {
	mediation := protocol.MediationDefault
	if conditional {
		mediation = protocol.MediationConditional
	}
	assertion, session, err := a.lib.BeginDiscoverableMediatedLogin(mediation, webauthn.WithUserVerification(protocol.VerificationRequired))
	if err != nil {
		return nil, err
	}
	return a.save(ctx, &ceremony{Purpose: ceremonyPasswordless, AccountID: accountID, Binding: binding, Session: *session}, assertion)
}

// FinishLogin verifies an assertion for a ceremony begun with BeginLogin
// (second factor) or BeginPasswordless, bound to binding. It returns ok with
// the account and credential, not ok with the refusal for an answer that
// does not verify, and an error only for an outage. A passwordless login
// whose authenticator did not verify its user is refused.
func (a *WebAuthn) FinishLogin(ctx context.Context, binding, ceremonyID string, passwordless bool, response []byte) (WebAuthnResult, bool, error) {
	purpose := ceremonySecondFactor
	if passwordless {
		purpose = ceremonyPasswordless
	}
	c, why, err := a.take(ctx, ceremonyID, purpose, binding)
	if err != nil || why != "" {
		return refusal(why, nil), false, err
	}
	parsed, err := protocol.ParseCredentialRequestResponseBytes(response)
	if err != nil {
		return refusal(RefusalInvalid, err), false, nil
	}
	stored, err := a.Store.FindWebAuthnCredential(ctx, parsed.RawID)
	if errors.Is(err, store.ErrNotFound) {
		return refusal(RefusalUnknownCredential, nil), false, nil
	}
	if err != nil {
		return WebAuthnResult{}, false, err
	}
	if c.AccountID != "" && stored.AccountID != c.AccountID {
		return refusal(RefusalUnknownCredential, nil), false, nil
	}
	res := WebAuthnResult{AccountID: stored.AccountID, Credential: stored,
		UserVerified: parsed.Response.AuthenticatorData.Flags.HasUserVerified()}
	if passwordless && !res.UserVerified {
		res.Refusal = RefusalUserVerification
		return res, false, nil
	}
	creds, err := a.Store.WebAuthnCredentials(ctx, stored.AccountID)
	if err != nil {
		return WebAuthnResult{}, false, err
	}
	user := &WebAuthnUser{AccountID: stored.AccountID, Credentials: creds}
	var cred *webauthn.Credential
	if passwordless {
		if !bytes.Equal(parsed.Response.UserHandle, []byte(stored.AccountID)) {
			res.Refusal = RefusalUnknownCredential
			return res, false, nil
		}
		_, cred, err = a.lib.ValidatePasskeyLogin(func(_, _ []byte) (webauthn.User, error) { return libUser{user}, nil },
			c.Session, parsed)
	} else {
		cred, err = a.lib.ValidateLogin(libUser{user}, c.Session, parsed)
	}
	if err != nil {
		r := refusal(RefusalInvalid, err)
		r.AccountID, r.Credential = res.AccountID, res.Credential
		return r, false, nil
	}
	if cred.Authenticator.CloneWarning {
		res.Refusal = RefusalSignCount
		return res, false, nil
	}
	switch err := a.Store.UseWebAuthnCredential(ctx, stored.ID, cred.Authenticator.SignCount, cred.Flags.BackupState, a.now().UTC()); {
	case errors.Is(err, store.ErrAlreadyUsed):
		res.Refusal = RefusalSignCount
		return res, false, nil
	case errors.Is(err, store.ErrNotFound):
		res.Refusal = RefusalUnknownCredential
		return res, false, nil
	case err != nil:
		return WebAuthnResult{}, false, err
	}
	res.Credential.SignCount = cred.Authenticator.SignCount
	return res, true, nil
}

// KeyName cleans the name a person gives a new security key: control
// characters dropped, spaces trimmed, at most 64 characters; an empty name
// gives fallback.
func KeyName(name, fallback string) string {
	name = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return -1
		}
		return r
	}, name)
	name = strings.TrimSpace(name)
	if utf8.RuneCountInString(name) > 64 {
		name = string([]rune(name)[:64])
	}
	if name == "" {
		return fallback
	}
	return name
}
