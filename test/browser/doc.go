// Package browser tests dinhdanh in a real browser: headless Chromium driven
// by chromedp over the DevTools protocol, with a virtual WebAuthn
// authenticator (CTAP2, internal transport, resident keys, user
// verification) standing in for a phone's or a computer's passkey store.
//
// The server runs from http://localhost:PORT (a secure context with a
// domain name, which WebAuthn needs) and a relying party built on go-oidc
// runs beside it on the loopback interface, so that every login ends with an
// ID token checked the way applications check it.
//
// Chromium comes from Debian's chromium package, which "make test" installs
// when it is missing (test/services/install-browser.sh). Without it the tests
// are skipped with a message, or fail when the CI environment variable is
// set: in CI a missing browser is an error, never a silent skip.
package browser
