// Package login is the interactive part of an authorization: the
// dispatcher between /oauth2/auth and the code, and the login page.
//
// Flow: /oauth2/auth parses the request (fosite), refuses what is malformed
// or can never be met, and hands it to the dispatcher. The dispatcher reads
// the facts of the flow (facts.go: the request, the client's policy, the
// browser's SSO session, the account, the remembered consent, the
// businesses) and asks Next (dispatch.go), a pure function of those facts
// with a table test of every outcome, for the next step:
//
//   - show a method: the login page /login?flow=ID, with every method on
//     offer (password, passkey, certificate; a certificate only when the
//     request needs LoA3);
//   - a second factor, or its enrolment when the person has none (/login/mfa);
//   - a certificate binding offer, after a certificate that mapped to nobody;
//   - consent (/consent), then the choice of a business (/login/business);
//   - the code, issued through fosite, recorded in the SSO session;
//   - or an error for the client (login_required, consent_required,
//     unmet_authentication_requirements, invalid_request, access_denied).
//
// Each step is a package of its own under server/login (password, passkey,
// certificate, factor, enrol, reauth, consent, business, register). A step
// serves its pages, does its one thing, saves the flow and hands it back
// (flow.Dispatcher.Resume); steps never call each other. What they share —
// the persisted flow, starting a session, the brute-force guard, the audit
// recorder — is in server/login/flow.
//
// A login to the account console (/login without a flow, /login/step-up,
// /login/reauth) is a flow without an authorization request: it ends at its
// return path, a local path only (web.LocalPath). prompt=none never shows a
// page. Every form carries a CSRF token; every failure renders a page in
// the user's language and changes nothing.
package login
