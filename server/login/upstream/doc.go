// Package upstream is the login through an upstream OpenID Connect provider
// (VNeID, the national public service portal): dinhdanh is a strict relying
// party of it, brokering the person's identity to its own applications.
//
// GET /login/upstream/{name}?flow=ID reads the provider's discovery document
// (once, then kept), remembers a random state, nonce and PKCE verifier for
// the flow (single use, bound to the browser by a cookie) and sends the
// browser to the provider's authorization endpoint with acr_values.
// GET /login/upstream/{name}/callback takes the state back, exchanges the
// code with the verifier and checks the ID token: signature against the
// provider's keys, iss, aud, azp, expiry and the nonce; then it reads the
// userinfo (whose sub must be the ID token's).
//
// The person is the account linked to the provider's sub (store.UpstreamLinks);
// at a first login, the account holding the personal ID the provider released
// when that ID is proven, or else a new account — except for a login
// started to reset a forgotten password (flow.Flow.PasswordReset), which
// creates no account: it is refused with a page (404) that says no account
// holds the proven ID, and audited as a login.failure. A provider that proves the
// personal ID (Provider.ProvesPersonalID) records it verified through the
// configured Prove (the administration's proofing: it displaces an account
// that had only asserted the ID). The session starts at the provider's
// assurance with the amr it reported ("fed" when none), and the flow goes
// back to the dispatcher.
//
// A login started from /login/reauth (a flow marked flow.Flow.Reauth, of
// this browser's session) confirms the signed-in person instead: it is
// offered only for a provider the account is linked to (ReauthButtons),
// asks the provider for prompt=login and max_age=0, and on return requires
// the very subject linked to the account and an ID token auth_time within
// 5 minutes; then the session's auth_time is renewed and its acr and amr
// become the provider's (its mapped level, never more), audited as
// reauth.success with method "upstream". Another subject or a stale
// auth_time is refused with 403, audited as reauth.failure, and renews
// nothing.
//
// Every request to the provider is bounded by its timeout: a provider that
// is down or slow gives a 503 page and changes nothing; a refused or forged
// answer gives a 400 page and changes nothing.
package upstream
