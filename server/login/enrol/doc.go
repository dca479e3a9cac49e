// Package enrol is the enrolment step of a login: a person whose login must
// reach a level of assurance that needs a second factor, and who has none,
// sets up a first one here, and the login goes on with it.
//
// # Flow
//
// The second-factor step (package factor) shows this step's page
// (flow.Env.RenderEnrol) at /login/mfa?flow=ID to a person who has no
// second factor. From there:
//
//   - GET /login/mfa/totp?flow=ID begins the enrolment of an authenticator
//     app (a new secret, shown as a QR code and as text); POST
//     /login/mfa/totp confirms it with a first code of the app. A wrong code
//     shows the same secret again (400); an enrolment that expired or is
//     unknown shows the enrolment page again (400). The enrolment is
//     audited MFATOTPEnrolled.
//   - POST /login/mfa/webauthn/register/begin and
//     /login/mfa/webauthn/register/finish are the JSON ceremony that
//     registers a security key or passkey (only when WebAuthn is on); a
//     refused registration is audited MFAWebAuthnRegistrationFailure and
//     answered 400 with the refusal's reason, a registered key
//     MFAWebAuthnRegistered.
//
// Every page and ceremony checks that the flow's login is done in this
// browser's SSO session and that a second factor is asked of it
// (flow.Env.FactorFlowPage, flow.Env.FactorCeremony). Enrolment within a
// login is for the first factor only: a flow whose account has a factor
// already is sent back to /login/mfa (the ceremony answers 400,
// error.flow_expired); further factors are added in the account console.
//
// Setting up a factor is not presenting it: the first factor leaves the
// SSO session and the flow at their level (a stolen password must not
// yield two-factor tokens) and marks the flow to show recovery codes: GET
// /login/mfa/codes?flow=ID makes the account's recovery codes and shows
// them once (MFARecoveryCodesMade), then leads back to the second-factor
// step at /login/mfa?flow=ID, which now finds the factor and asks for it
// (package factor: a proved factor completes the flow and audits
// MFASuccess). A flow of which no factor is asked any more, or that has no
// codes due, goes to /login/resume, where the dispatcher takes it on.
package enrol
