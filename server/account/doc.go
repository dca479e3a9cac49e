// Package account is the self-service console of a logged-in person: who
// they are, in which capacities, and the applications they consented to,
// each decision revocable. A visit without a live SSO session is sent to the
// login page and comes back here after login.
//
// At /account/security (mfa.go) the person manages their second factors:
// an authenticator app (QR code and key, confirmed by a first code),
// security keys and passkeys (WebAuthn, through ui/assets/webauthn.js), and
// recovery codes (shown once). A session below the minimum level of the
// person's kind is first raised (/login/step-up); removing a factor or making
// new codes needs a fresh login with both factors (/login/reauth).
//
// At /account/privacy (privacy.go, export.go) the person exercises their
// rights over their data (Law 91/2025/QH15): the history of their consents,
// the download of their data as one JSON file, and the deletion of their
// account; the last two need a fresh authentication.
package account
