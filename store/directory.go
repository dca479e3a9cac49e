package store

import (
	"context"
	"time"

	"github.com/dinhdanh/dinhdanh/server/identity"
)

// DirectorySync holds what dinhdanh knows of its LDAP staff directories: the
// accounts linked to directory entries, each entry's DN and staff number,
// and each directory's synchronisation cursor. Accounts themselves are
// written through Accounts; an official of a directory is an account whose
// Official.Directory is the directory's name and whose Official.Username is
// unique within it.
type DirectorySync interface {
	// FindDirectoryAccount returns the account of the directory's official
	// with the username (as stored: lower case), or ErrNotFound.
	FindDirectoryAccount(ctx context.Context, directory, username string) (*identity.Account, error)
	// DirectoryAccountsByUsername returns the accounts of officials of any
	// directory with the username, ordered by directory name.
	DirectoryAccountsByUsername(ctx context.Context, username string) ([]*identity.Account, error)
	// ListDirectoryAccounts returns every account of the directory's
	// officials, disabled ones included, in one read.
	ListDirectoryAccounts(ctx context.Context, directory string) ([]*identity.Account, error)
	// PutDirectoryEntry inserts or replaces the entry of (Directory, Username).
	// An AccountID that names no account is ErrNotFound.
	PutDirectoryEntry(ctx context.Context, e *DirectoryEntry) error
	// ListDirectoryEntries returns the directory's entries ordered by username.
	ListDirectoryEntries(ctx context.Context, directory string) ([]*DirectoryEntry, error)
	// GetDirectoryCursor returns the directory's cursor, or ErrNotFound
	// before its first synchronisation.
	GetDirectoryCursor(ctx context.Context, directory string) (*DirectoryCursor, error)
	// PutDirectoryCursor inserts or replaces the directory's cursor.
	PutDirectoryCursor(ctx context.Context, c *DirectoryCursor) error
}

// DirectoryEntry links an account to the directory entry it was made from.
// It is removed with the account.
type DirectoryEntry struct {
	Directory      string
	Username       string // the official's username, lower case
	AccountID      string
	DN             string // the entry's distinguished name, as the directory wrote it
	EmployeeNumber string // "" when the directory holds none
}

// DirectoryCursor is where the synchronisation of one directory stands.
type DirectoryCursor struct {
	Directory string
	// HighWater is the greatest value of the modified attribute
	// (modifyTimestamp, whenChanged) seen, as the directory wrote it; the
	// next incremental run asks for entries at or after it. "" = none yet.
	HighWater string
	// SyncedAt is when the last run (incremental or full) finished.
	SyncedAt time.Time
	// FullSyncAt is when the last full run finished.
	FullSyncAt time.Time
	// Entries is the number of people the last full run saw.
	Entries int
	// GroupsDigest fingerprints the directory's groups as the last run read
	// them; a run that reads other groups is full. "" = none yet.
	GroupsDigest string
}
