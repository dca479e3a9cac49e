// Package admin holds the administrative operations on clients, accounts,
// businesses and keys. The CLI (and later the admin console and JSON API)
// call these, so that validation, audit and side effects (ending sessions
// and revoking tokens of a locked account) happen in one place.
//
// Every operation validates all its input first and reports every problem at
// once (*Problems); nothing is written unless everything is valid.
package admin
