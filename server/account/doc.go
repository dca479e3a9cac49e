// Package account is the self-service console of a logged-in person: who
// they are, in which capacities, and the applications they consented to,
// each decision revocable. A visit without a live SSO session is sent to the
// login page and comes back here after login.
package account
