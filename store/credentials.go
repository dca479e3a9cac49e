package store

import (
	"context"
	"time"
)

// Ephemeral record kinds of second-factor ceremonies. Both are short-lived
// and taken once (TakeRecord): a challenge answered, or an enrolment
// confirmed, cannot be answered or confirmed again.
const (
	// KindWebAuthnCeremony holds the state of one WebAuthn registration or
	// authentication ceremony (its challenge), keyed by a random id.
	KindWebAuthnCeremony RecordKind = "webauthn"
	// KindTOTPEnrolment holds the sealed secret of an authenticator-app
	// enrolment until its first code confirms it, keyed by a random id.
	KindTOTPEnrolment RecordKind = "totp_enrol"
	// KindRecoveryCodesDue marks, for one page view, that new recovery codes
	// are to be made and shown to the account (Subject) in the session
	// (RequestID); it holds no code.
	KindRecoveryCodesDue RecordKind = "recovery_due"
)

// Credentials holds the second factors of accounts: an authenticator app
// (TOTP), single-use recovery codes and WebAuthn credentials (security keys
// and passkeys). Every credential belongs to one account and goes when the
// account goes.
type Credentials interface {
	TOTPCredentials
	RecoveryCodes
	WebAuthnCredentials
}

// TOTPCredential is an account's authenticator app (RFC 6238). The secret is
// sealed (AES-256-GCM, with the credential id as additional data) by the
// caller before it reaches the store.
type TOTPCredential struct {
	// ID names the credential; it is the additional data of the sealed secret.
	ID        string
	AccountID string
	// SealedSecret is the sealed raw secret (not its base32 text).
	SealedSecret []byte
	// Digits is the length of a code (6 or 8).
	Digits int
	// Period is the length of a time step.
	Period time.Duration
	// LastStep is the last time step (Unix time / Period) whose code was
	// accepted; a code of this step or an earlier one is never accepted again.
	LastStep int64
	// CreatedAt is set by PutTOTP when zero.
	CreatedAt time.Time
	// LastUsedAt is when a code was last accepted (zero: never after enrolment).
	LastUsedAt time.Time
}

// TOTPCredentials holds authenticator apps: at most one per account.
type TOTPCredentials interface {
	// PutTOTP stores the account's authenticator app, replacing the one it
	// had. An unknown account is ErrNotFound.
	PutTOTP(ctx context.Context, c *TOTPCredential) error
	// GetTOTP returns the account's authenticator app, or ErrNotFound.
	GetTOTP(ctx context.Context, accountID string) (*TOTPCredential, error)
	// UseTOTPStep records that the code of step was accepted at the time at:
	// atomically, and only when step is later than the recorded LastStep of
	// the credential id (so that of two nodes accepting the same code at the
	// same moment, one wins). It returns ErrAlreadyUsed when step is not later,
	// and ErrNotFound when the account has no such credential.
	UseTOTPStep(ctx context.Context, accountID, credentialID string, step int64, at time.Time) error
	// DeleteTOTP removes the account's authenticator app, or returns ErrNotFound.
	DeleteTOTP(ctx context.Context, accountID string) error
}

// RecoveryCodes holds single-use recovery codes, stored as hashes (the
// caller hashes them; the codes are random and high-entropy).
type RecoveryCodes interface {
	// ReplaceRecoveryCodes makes hashes the account's set of unused codes,
	// discarding every earlier code. An unknown account is ErrNotFound.
	ReplaceRecoveryCodes(ctx context.Context, accountID string, hashes []string) error
	// UseRecoveryCode atomically marks the account's unused code with the
	// hash used at the time at and returns how many unused codes are left. Of
	// several concurrent callers with one code, exactly one succeeds. An
	// unknown, or already used, code is ErrNotFound.
	UseRecoveryCode(ctx context.Context, accountID, hash string, at time.Time) (left int, err error)
	// RecoveryCodesLeft returns how many unused codes the account has.
	RecoveryCodesLeft(ctx context.Context, accountID string) (int, error)
	// DeleteRecoveryCodes removes all of the account's codes (none is not an error).
	DeleteRecoveryCodes(ctx context.Context, accountID string) error
}

// WebAuthnCredential is a security key or passkey registered to an account
// (a WebAuthn credential record).
type WebAuthnCredential struct {
	// ID is the credential id chosen by the authenticator (unique among all accounts).
	ID        []byte
	AccountID string
	// Name is what the person called it ("YubiKey ở cơ quan").
	Name string
	// PublicKey is the COSE-encoded credential public key.
	PublicKey []byte
	// AttestationType is the attestation type of the registration ("none", "basic_full", …).
	AttestationType string
	// AttestationFormat is the attestation statement format of the registration ("none", "packed", …).
	AttestationFormat string
	// AAGUID identifies the authenticator model (16 bytes; zero when unknown).
	AAGUID []byte
	// SignCount is the last signature counter seen (0 when the authenticator keeps none).
	SignCount uint32
	// Transports are the transports the authenticator reported ("usb", "nfc", "internal", "hybrid", …).
	Transports []string
	// Discoverable marks a passkey: a client-side discoverable (resident)
	// credential that can log in without a username.
	Discoverable bool
	// UserVerified records that the authenticator verified the user (PIN or biometrics) at registration.
	UserVerified bool
	// BackupEligible and BackupState are the credential's backup flags (a synced passkey is eligible).
	BackupEligible bool
	BackupState    bool
	// CreatedAt is set by AddWebAuthnCredential when zero.
	CreatedAt time.Time
	// LastUsedAt is when it last authenticated (zero: never).
	LastUsedAt time.Time
}

// WebAuthnCredentials holds security keys and passkeys.
type WebAuthnCredentials interface {
	// AddWebAuthnCredential stores a new credential. A credential id already
	// stored (for any account) is a *ConflictError with Field
	// "webauthn_credential"; an unknown account is ErrNotFound.
	AddWebAuthnCredential(ctx context.Context, c *WebAuthnCredential) error
	// WebAuthnCredentials returns the account's credentials, oldest first.
	WebAuthnCredentials(ctx context.Context, accountID string) ([]*WebAuthnCredential, error)
	// FindWebAuthnCredential returns the credential with the id, or ErrNotFound.
	FindWebAuthnCredential(ctx context.Context, id []byte) (*WebAuthnCredential, error)
	// UseWebAuthnCredential records an authentication at the time at with the
	// signature counter signCount and the backup state seen. It is atomic and
	// refuses a counter that does not move forward: when the stored counter
	// or signCount is not zero and signCount is not greater than the stored
	// counter, nothing changes and it returns ErrAlreadyUsed. An unknown id is
	// ErrNotFound.
	UseWebAuthnCredential(ctx context.Context, id []byte, signCount uint32, backupState bool, at time.Time) error
	// DeleteWebAuthnCredential removes the account's credential with the id,
	// or returns ErrNotFound (also when the id belongs to another account).
	DeleteWebAuthnCredential(ctx context.Context, accountID string, id []byte) error
}
