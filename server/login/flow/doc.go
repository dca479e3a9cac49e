// Package flow is what every step of a login shares: the persisted login
// flow (Flow, Store), the step's environment (Env: templates, stores,
// sessions, the brute-force guard, the audit recorder, the clock), and the
// Dispatcher every step returns to.
//
// The second-factor and enrolment steps share more (factor.go): the second
// factors and policy (MFA), the checks of their pages and ceremonies
// (FactorFlowPage, FactorCeremony), the enrolment page the second-factor
// step shows to a person who has no factor (RenderEnrol), and the record of
// a factor proved in a flow (CompleteFactor).
//
// A step is a small package under server/login (password, passkey,
// certificate, factor, enrol, reauth, consent, business, register). It
// serves its own pages and endpoints, reads the flow named by the request,
// does its one thing — checks a credential, records a consent, a choice —
// saves the flow, and hands it back with Env.Next.Resume. It never calls
// another step: the dispatcher (server/login) decides what comes next from
// the persisted flow alone.
//
// A flow belongs to one browser: after the login, the steps that follow
// (consent, business, second factor, enrolment, re-authentication) check
// that the browser's SSO session is the flow's (PendingFlow, SessionFlow).
package flow
