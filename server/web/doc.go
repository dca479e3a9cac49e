// Package web holds the steps every browser-facing handler shares, so that no
// handler can forget them: security headers (a CSP without inline script),
// request ids, body-size limits, form checks (valid UTF-8, field lengths),
// CSRF tokens (double-submit cookie), the page language, the client address,
// and error pages in the user's language.
package web
