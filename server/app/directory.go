package app

import (
	"github.com/dinhdanh/dinhdanh/server/authn"
	"github.com/dinhdanh/dinhdanh/server/directory"
)

// openDirectories prepares the configured LDAP staff directories of a
// node: the login handler checks officials' directory passwords through
// them, and Background synchronises them. Accounts a directory disables are
// locked through Admin("directory"), so that their sessions end and their
// refresh tokens are revoked. It returns nil when no directory is
// configured.
func openDirectories(s *Services) (*directory.Set, error) {
	if len(s.Config.Directories) == 0 {
		return nil, nil
	}
	return s.OpenDirectories("directory")
}

// directoryAuthenticator returns the set as the login flow's directory
// authenticator: a nil interface (not a nil set) when none is configured.
func directoryAuthenticator(set *directory.Set) authn.DirectoryAuthenticator {
	if set == nil {
		return nil
	}
	return set
}
