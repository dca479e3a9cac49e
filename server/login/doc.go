// Package login is the interactive part of an authorization: the login-flow
// state machine between /oauth2/auth and the code.
//
// Flow: /oauth2/auth parses the request (fosite) and, when the browser has a
// live SSO session that satisfies prompt and max_age, goes straight on;
// otherwise it stores a login flow (the original query, the time it arrived)
// and sends the browser to /login?flow=ID. A successful password login starts
// the SSO session and resumes the flow: the original request is parsed again
// and continues with consent (third-party clients, or first-party clients
// asked for the personal ID) at /consent, then the choice of a business at
// /login/business when the business scope is asked and the person represents
// one, then the code is issued.
//
// Levels of assurance (flow.MFA): after the login, a request whose level
// (the person's kind, the client's minimum, acr_values, an essential acr
// claim) is above the session's goes to the second-factor step at
// /login/mfa?flow=ID (package factor), which asks only for the missing
// factor (authenticator app, recovery code, security key) — or leads through
// setting one up (package enrol) — upgrades the SSO session and resumes the
// flow; /login/resume?flow=ID (resume.go) takes a flow back from a step that
// ended in a page or a script of its own. A level no login can reach
// ends in unmet_authentication_requirements at the client. Passkeys log in
// without a password (passkey.go), and /login/reauth confirms who is signed
// in before a sensitive change in the console (reauth.go). prompt=none never shows a page: it ends in
// login_required or consent_required at the client. Every form carries a
// CSRF token; every failure renders a page in the user's language and
// changes nothing.
package login
