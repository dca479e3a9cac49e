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
// one, then the code is issued. prompt=none never shows a page: it ends in
// login_required or consent_required at the client. Every form carries a
// CSRF token; every failure renders a page in the user's language and
// changes nothing.
package login
