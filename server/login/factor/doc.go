// Package factor is the second-factor step of a login: it asks a person
// who logged in with one factor for the missing one, when the level of
// assurance the login must reach (flow.MFA) is above the session's.
//
// # Flow
//
// The dispatcher sends a flow to /login/mfa?flow=ID when its level
// (the person's kind, the client's minimum, acr_values, an essential acr
// claim) is above the session's; the re-authentication step sends a flow
// there once its password is confirmed; /login/step-up starts such a flow
// for the account console. The page checks that the flow's login is done
// in this browser's SSO session (a re-authentication whose password is not
// confirmed yet goes back to /login/reauth, a flow of which nothing more is
// asked to /login/resume), then reads which factors the account has
// (flow.MFA.Inventory):
//
//   - none: the enrolment step's page is shown in place of this one (status
//     200, or 400 to a POST), which leads through setting up a first factor
//     (package enrol);
//   - otherwise the page asks for one factor the account has, as ?method=
//     asks when it has it: the authenticator app first, then a security key,
//     then a recovery code.
//
// POST /login/mfa checks a code of the authenticator app (method=totp) or a
// recovery code (method=recovery); POST /login/mfa/webauthn/begin and
// /login/mfa/webauthn/finish are the JSON ceremony of a security key (only
// when WebAuthn is on), which must prove the flow's account. Every check
// goes through the guard (authn.Guard.Check) under the account's
// second-factor counter (authn.SecondFactorKey) and the client address: a
// refused try (the account or address is locked) is audited MFALocked and
// answered 429; a wrong code MFAFailure and 401 (429 when it locked the
// account), with reason "replayed" for an authenticator-app code used
// before; a refused key MFAFailure and 400 with the refusal's reason.
//
// A proved factor completes the flow (flow.Env.CompleteFactor): the SSO
// session is upgraded to LoA2 with the factor's amr values and "mfa" (a
// re-authentication also renews auth_time), MFASuccess (ReauthSuccess) is
// audited and the flow is handed back to the dispatcher. A recovery code
// is audited MFARecoveryCodeUsed and first shows how many codes are left,
// with a link to /login/resume; a security key answers the URL of
// /login/resume for the page's script.
//
// # Step-up
//
// GET /login/step-up?return=/account…&acr= raises the browser's session,
// for a page of the account console, to the minimum of the person's kind,
// or to acr when that is higher and reachable (authn.Reachable): a session
// that has the level goes straight back to return; otherwise a console flow
// that requires the level is created and sent to /login/mfa. No session
// goes to /login.
package factor
