package app

import (
	"github.com/dinhdanh/dinhdanh/server/admin"
	"github.com/dinhdanh/dinhdanh/server/directory"
	"github.com/dinhdanh/dinhdanh/server/login"
)

// openDirectories prepares the configured LDAP staff directories: the login
// handler checks officials' directory passwords through them, and
// Background synchronises them. Accounts a directory disables are locked
// through admin.Service, so that their sessions end and their refresh tokens
// are revoked. Nothing is opened when no directory is configured.
func (a *App) openDirectories(lh *login.Handler) error {
	if len(a.Config.Directories) == 0 {
		return nil
	}
	locker := admin.NewService(admin.Service{Store: a.Store, Eph: a.Eph, Sessions: a.Sessions, Logout: a.Logout, Guard: a.Guard,
		Hasher: a.Hasher, MinPasswordLength: a.Config.Password.MinLength, Actor: "directory"}, a.Audit)
	set, err := directory.NewSet(a.Config.Directories, directory.Options{Log: a.Log}, a.Store, locker)
	if err != nil {
		return err
	}
	a.Directories = set
	lh.Directory = set
	return nil
}
