// Package audit owns the audit log's writing: the names of the events
// ([Event], one constant each) and the one [Recorder] through which every
// component writes them. The log itself is store.Audit; operators read it
// newest first, per account or all together.
//
// # What is audited
//
// Every authentication and every administrative action, successful or not:
//
//   - Login (server/login): first factors ([LoginSuccess], [LoginFailure],
//     [LoginLocked], [LoginDisabled], [LoginPasswordExpired],
//     [LoginDirectoryUnavailable]), certificate logins ([LoginCertificate],
//     [LoginCertificateRefused], [LoginCertificateUnknown],
//     [LoginCertificateConflict]), second factors ([MFASuccess], [MFAFailure],
//     [MFALocked], [MFARecoveryCodeUsed], [WebAuthnSignCountRegression]),
//     re-authentication ([ReauthSuccess], [ReauthFailure], [ReauthLocked]),
//     enrolment during a login ([MFATOTPEnrolled], [MFAWebAuthnRegistered],
//     [MFAWebAuthnRegistrationFailure], [MFARecoveryCodesMade], certificate
//     binding: [CertificateBind], [CertificateBindRefused],
//     [CertificateBindingDeclined], [CertificateBindingNotOffered]),
//     registration ([AccountRegister], [AccountRegisterTaken]), consent ([ConsentGrant],
//     [ConsentDeny]) and the authorization code given to the client
//     ([AuthorizeCode]).
//   - The account console (server/account), where a person changes their
//     own factors and consents: [MFATOTPEnrolled], [MFATOTPRemoved],
//     [MFAWebAuthnRegistered], [MFAWebAuthnRegistrationFailure],
//     [MFAWebAuthnRemoved], [MFARecoveryCodesMade], [CertificateBind],
//     [CertificateBindRefused], [CertificateUnbind], [ConsentRevoke];
//     their profile ([AccountProfileUpdate]) and contacts
//     ([AccountContactCode], [AccountContactVerify],
//     [AccountContactRefused]); and their rights over their data: the
//     download ([PrivacyExport]) and the deletion of the account
//     ([AccountClose], [AccountCloseRefused]).
//   - Sessions (server/session): every end of an SSO session, whatever its
//     reason ([SessionEnd]).
//   - Administration (server/admin, used by the command line, the directory
//     synchronisation and the admin console): accounts ([AccountCreate],
//     [AccountLinkOfficial], [AccountLock], [AccountUnlock],
//     [AccountEndSessions], [AccountSetPassword], [AccountResetFactors],
//     [AccountVerifyPersonalID], [AccountDropPersonalID]),
//     a person's own password: changed in the console
//     ([AccountPasswordChange], [AccountPasswordChangeRefused]) or reset from
//     the login page ([AccountPasswordResetRequest],
//     [AccountPasswordResetFailure], [AccountPasswordReset]),
//     business representation ([BusinessLink], [BusinessUnlink]) and client
//     applications ([ClientCreate], [ClientEdit], [ClientRotateSecret],
//     [ClientDelete]); signing keys rotated ([KeysRotate]), directory
//     synchronisations an administrator ran ([DirectorySync]);
//     administrative roles ([RoleGrant], [RoleRevoke]) and the actions
//     refused to an administrator ([AdminDenied]).
//   - Directory synchronisation (server/directory): a full run refused
//     because it would disable too many officials ([DirectorySyncRefused]),
//     or forced past that limit ([DirectorySyncForced]); a personal ID an
//     authoritative directory provided that another account has proven
//     ([DirectoryPersonalIDRefused]).
//   - Outgoing email and SMS (the command line): a failed message made
//     pending again by an operator ([OutboxRetry]).
//
// # What a record holds
//
// One store.AuditEvent per event:
//
//   - Type: the Event's value, e.g. "login.success". Values never change:
//     existing rows keep their meaning.
//   - Time: when it was written (set by the store).
//   - Actor: who acted. A person acting for themselves is their account ID;
//     before anyone is known it is "anonymous" ([Anonymous]); administration
//     records its channel ("cli", "directory") or the administrator.
//   - Subject: the account concerned, when there is one (a failed login for
//     an unknown identifier has none).
//   - ClientID: the application the person was logging in to, or the client
//     an administrative action changed.
//   - Address: the client address of the HTTP request (web.ClientAddress,
//     which honours trusted_proxies only); empty for the command line and
//     background work.
//   - Details: a few named facts of the event, never a secret: the method
//     ("password", "directory", "passkey", "certificate", "totp", …), the
//     session ID ("sid"), the assurance level ("acr"), a refusal's check and
//     reason, a certificate's fingerprint and subject, a session end's reason
//     and notified clients.
//
// # Writing
//
// Components receive a *Recorder from their constructors; none writes to
// store.Audit itself. [Recorder.Record] writes an [Entry] and returns the
// error of a failed write after logging it; [Recorder.FromRequest] is the
// shorthand for a request, with its address and the subject as actor. A
// failed write is therefore always in the service log, never dropped
// silently. Event names are always these constants: a test of this package
// fails when a bare string is used as an event anywhere else in the module.
// [Changes] gives the details of an administrative change: the before and
// after of each field changed, and for a secret only "changed".
//
// # Reading and keeping
//
// The store searches the log (store.AuditFilter: person, actor, client,
// event types or prefixes, address, time range, keyset paging by ID).
// [Export] writes a filter as JSON lines or CSV (cells that a spreadsheet
// would read as a formula get a leading "'"). Each event carries the
// SHA-256 of its fields and of the previous event's hash
// (store.AuditHash); the store serialises appends, so every node writes one
// chain, and [Verify] walks it from its anchor to its head and reports the
// first break. Retention removes the oldest events and anchors the chain
// at the last one removed; events written before the chain existed are
// reported as unchained. [Syslog] copies each event to a SIEM as an
// RFC 5424 message, through a bounded queue that never blocks a request.
package audit
