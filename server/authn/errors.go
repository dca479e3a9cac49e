package authn

import (
	"context"
	"errors"

	"github.com/dinhdanh/dinhdanh/server/identity"
)

// States an authenticator reports about an account whose credential was
// right but which may not log in; the login page names each to the person.
var (
	// ErrAccountDisabled: the account is disabled (by an administrator or its directory).
	ErrAccountDisabled = errors.New("authn: account disabled")
	// ErrPasswordExpired: the password is right but expired and must be changed at its source.
	ErrPasswordExpired = errors.New("authn: password expired")
	// ErrUnavailable: the credential could not be checked because a backend (a directory) is down.
	ErrUnavailable = errors.New("authn: authentication backend unavailable")
)

// DirectoryAuthenticator checks the passwords of officials whose accounts
// live in staff directories.
type DirectoryAuthenticator interface {
	// Authenticate checks input (a directory username, DOMAIN\user or
	// user@domain) and password. handled is false when the input names no
	// directory user, so that local accounts are tried instead. ok reports a
	// right password (acct is then the provisioned account). err is an outage
	// (wrapping ErrUnavailable) or a state of a right credential
	// (ErrAccountDisabled, ErrPasswordExpired).
	Authenticate(ctx context.Context, input, password string) (acct *identity.Account, handled, ok bool, err error)
}
