package audit

// Event names what happened. Its value is the type stored in the audit log
// (store.AuditEvent.Type): existing rows and their readers depend on these
// strings, so a value never changes once it has been written.
type Event string

// Login: first factors, as recorded by server/login.
const (
	// LoginSuccess: a first factor succeeded and an SSO session was made.
	LoginSuccess Event = "login.success"
	// LoginFailure: a wrong password or directory password, or a passkey
	// ceremony that did not succeed.
	LoginFailure Event = "login.failure"
	// LoginLocked: a password login refused because the account or the
	// address has too many recent failures.
	LoginLocked Event = "login.locked"
	// LoginDisabled: a correct first factor for a locked or disabled account.
	LoginDisabled Event = "login.disabled"
	// LoginPasswordExpired: a correct directory password that has expired.
	LoginPasswordExpired Event = "login.password_expired"
	// LoginDirectoryUnavailable: no staff directory could answer a login.
	LoginDirectoryUnavailable Event = "login.directory_unavailable"
	// LoginCertificate: a login with a digital-signature certificate.
	LoginCertificate Event = "login.certificate"
	// LoginCertificateRefused: a certificate failed one of its checks.
	LoginCertificateRefused Event = "login.certificate_refused"
	// LoginCertificateUnknown: a valid certificate bound to no account.
	LoginCertificateUnknown Event = "login.certificate_unknown"
	// LoginCertificateConflict: a certificate whose identity matches
	// several accounts, or contradicts the bound one.
	LoginCertificateConflict Event = "login.certificate_conflict"
)

// Second factors and re-authentication.
const (
	// MFASuccess: a second factor succeeded during a login.
	MFASuccess Event = "mfa.success"
	// MFAFailure: a wrong code or a refused security-key ceremony.
	MFAFailure Event = "mfa.failure"
	// MFALocked: a second factor refused because of too many failures.
	MFALocked Event = "mfa.locked"
	// MFARecoveryCodeUsed: a recovery code was spent as a second factor.
	MFARecoveryCodeUsed Event = "mfa.recovery_code_used"
	// MFARecoveryCodesMade: a new set of recovery codes replaced the old one.
	MFARecoveryCodesMade Event = "mfa.recovery_codes_made"
	// MFATOTPEnrolled: an authenticator app was enrolled.
	MFATOTPEnrolled Event = "mfa.totp_enrolled"
	// MFATOTPRemoved: the authenticator app was removed.
	MFATOTPRemoved Event = "mfa.totp_removed"
	// MFAWebAuthnRegistered: a security key or passkey was registered.
	MFAWebAuthnRegistered Event = "mfa.webauthn_registered"
	// MFAWebAuthnRegistrationFailure: a security-key registration was refused.
	MFAWebAuthnRegistrationFailure Event = "mfa.webauthn_registration_failure"
	// MFAWebAuthnRemoved: a security key or passkey was removed.
	MFAWebAuthnRemoved Event = "mfa.webauthn_removed"
	// WebAuthnSignCountRegression: an authenticator's signature counter went
	// back, a sign of a cloned authenticator (recorded besides the refusal).
	WebAuthnSignCountRegression Event = "webauthn.sign_count_regression"
	// ReauthSuccess: a person proved again who they are before a sensitive
	// change.
	ReauthSuccess Event = "reauth.success"
	// ReauthFailure: a re-authentication failed.
	ReauthFailure Event = "reauth.failure"
	// ReauthLocked: a re-authentication refused because of too many failures.
	ReauthLocked Event = "reauth.locked"
)

// Certificates bound to accounts.
const (
	// CertificateBind: a certificate was bound to the account.
	CertificateBind Event = "certificate.bind"
	// CertificateBindRefused: a binding was refused (a failed check, a
	// certificate bound elsewhere or of another person, one not offered).
	CertificateBindRefused Event = "certificate.bind_refused"
	// CertificateBindingDeclined: the person declined to bind the
	// certificate offered after a login.
	CertificateBindingDeclined Event = "certificate.binding_declined"
	// CertificateBindingNotOffered: a binding was not offered (e.g. the
	// login lacked the second factor it requires).
	CertificateBindingNotOffered Event = "certificate.binding_not_offered"
	// CertificateUnbind: a bound certificate was removed.
	CertificateUnbind Event = "certificate.unbind"
)

// Authorization, consent and sessions.
const (
	// AuthorizeCode: an authorization code was issued to a client.
	AuthorizeCode Event = "authorize.code"
	// ConsentGrant: a person consented to a client's scopes.
	ConsentGrant Event = "consent.grant"
	// ConsentDeny: a person refused a client's request.
	ConsentDeny Event = "consent.deny"
	// ConsentRevoke: a person withdrew a consent in the account console.
	ConsentRevoke Event = "consent.revoke"
	// SessionEnd: an SSO session ended (logout, administrator, lock, expiry,
	// replacement).
	SessionEnd Event = "session.end"
)

// Accounts, businesses and clients: self-registration and administration.
const (
	// AccountRegister: a citizen registered an account.
	AccountRegister Event = "account.register"
	// AccountRegisterTaken: a registration gave a personal ID, email or
	// phone another account holds ("field"); it was answered as a
	// registration is, and nothing was created. For a taken contact
	// ("notice" = "due"), the holder is owed a notice at that contact
	// (subject: the holder).
	AccountRegisterTaken Event = "account.register_taken"
	// AccountCreate: an administrator created an account.
	AccountCreate Event = "account.create"
	// AccountLinkOfficial: an existing account was linked to a directory
	// official.
	AccountLinkOfficial Event = "account.link_official"
	// AccountLock: an account was locked.
	AccountLock Event = "account.lock"
	// AccountUnlock: an account was unlocked.
	AccountUnlock Event = "account.unlock"
	// AccountEndSessions: an administrator ended an account's sessions.
	AccountEndSessions Event = "account.end_sessions"
	// AccountSetPassword: an administrator set an account's password.
	AccountSetPassword Event = "account.set_password"
	// AccountPasswordChange: a person changed their password in the
	// account console (Details: "proof" = "password", "second_factor" or
	// "upstream"; "sessions_ended", the other sessions that ended).
	AccountPasswordChange Event = "account.password_change"
	// AccountPasswordChangeRefused: a change of password in the console with
	// a wrong current password, or refused by the brute-force guard.
	AccountPasswordChangeRefused Event = "account.password_change_refused"
	// AccountPasswordResetRequest: someone asked for a reset code at the
	// login page (Details: "channel"; "outcome" = "sent", "limited" or
	// "no_account" — the last for a contact of no eligible account, whose
	// value is not recorded; subject: the account when there is one).
	AccountPasswordResetRequest Event = "account.password_reset_request"
	// AccountPasswordResetFailure: a wrong reset code, or one tried past its
	// limit (Details: "reason").
	AccountPasswordResetFailure Event = "account.password_reset_failure"
	// AccountPasswordReset: a forgotten password was reset with a code sent
	// to a verified contact (Details: "channel"); every session of the
	// account ended, its refresh tokens were revoked and its brute-force
	// locks lifted.
	AccountPasswordReset Event = "account.password_reset"
	// AccountResetFactors: an administrator removed an account's second
	// factors.
	AccountResetFactors Event = "account.reset_factors"
	// AccountVerifyPersonalID: an account's personal ID was proven (Details:
	// "method", "document", "by", "source"; "displaced" names the account
	// that had asserted it without proof).
	AccountVerifyPersonalID Event = "account.verify_personal_id"
	// AccountDropPersonalID: an account lost the personal ID it had asserted
	// without proof, because another account proved it (Details: "proven_by",
	// the account that proved it); its sessions ended and its tokens were
	// revoked.
	AccountDropPersonalID Event = "account.drop_personal_id"
	// AccountProfileUpdate: a person changed their own profile in the
	// console (Details: "fields", the names changed, comma-separated;
	// "<field>_before" and "<field>_after" for each).
	AccountProfileUpdate Event = "account.profile_update"
	// AccountContactCode: a one-time code was asked for to verify an email
	// or phone number (Details: "channel"; "outcome" = sent, taken (another
	// account holds the contact: no code was sent, the holder may get a
	// notice), or limited (too many codes: none was sent)). Never the code.
	AccountContactCode Event = "account.contact_code"
	// AccountContactVerify: a person entered the right code and the contact
	// became theirs, verified (Details: "channel", "before", "after",
	// "before_verified"). Never the code.
	AccountContactVerify Event = "account.contact_verify"
	// AccountContactRefused: a code was refused (Details: "channel",
	// "reason" = wrong, attempts, used, expired, taken); nothing changed.
	AccountContactRefused Event = "account.contact_refused"
	// BusinessLink: an account was made representative of a business.
	BusinessLink Event = "business.link"
	// BusinessUnlink: a representation of a business was removed.
	BusinessUnlink Event = "business.unlink"
	// ClientCreate: a client application was registered.
	ClientCreate Event = "client.create"
	// ClientRotateSecret: a client's secret was replaced.
	ClientRotateSecret Event = "client.rotate_secret"
	// ClientDelete: a client application was removed.
	ClientDelete Event = "client.delete"
	// DirectorySyncRefused: a full directory synchronisation would have
	// disabled more officials than its limit allows; nothing was changed.
	DirectorySyncRefused Event = "directory.sync_refused"
	// DirectorySyncForced: a full directory synchronisation was forced past
	// that limit.
	DirectorySyncForced Event = "directory.sync_forced"
	// AdminDenied: an administrator was refused an action (Details:
	// "permission", "reason" = role, scope, level or reauthenticate,
	// "agency", "via"); nothing changed.
	AdminDenied Event = "admin.denied"
	// RoleGrant: an administrative role was granted (Details: "role",
	// "agency", "sub_units").
	RoleGrant Event = "role.grant"
	// RoleRevoke: an administrative role was taken away (Details: "role",
	// "agency").
	RoleRevoke Event = "role.revoke"
	// DirectoryPersonalIDRefused: an authoritative directory provided a
	// personal ID another account has proven; the official was provisioned
	// without it.
	DirectoryPersonalIDRefused Event = "directory.personal_id_refused"
	// OutboxRetry: an operator made a failed outgoing email or SMS pending
	// again (details: message).
	OutboxRetry Event = "outbox.retry"
	// ClientEdit: a client application's settings were changed (Details:
	// "changed", the names of the changed fields, and "before.<field>" /
	// "after.<field>" for each; never the secret).
	ClientEdit Event = "client.edit"
	// KeysRotate: a new signing key of an algorithm was made current by an
	// administrator (Details: "algorithm", "kid").
	KeysRotate Event = "keys.rotate"
	// DirectorySync: an administrator ran a directory synchronisation
	// (Details: "directory", "full", and the counts of the run).
	DirectorySync Event = "directory.sync"
)

// Personal-data rights (Law 91/2025/QH15), in the account console.
const (
	// PrivacyExport: a person downloaded their data (Details: "bytes").
	PrivacyExport Event = "privacy.export"
	// AccountClose: a person deleted their account; it is closed and its
	// personal data erased (Details: "sessions", "audit_until").
	AccountClose Event = "account.close"
	// AccountCloseRefused: a person asked to delete an account that cannot
	// be deleted this way (an official's or administrator's); nothing
	// changed.
	AccountCloseRefused Event = "account.close_refused"
)
