package sqlstore

import (
	"context"
	"database/sql"
	"errors"

	"github.com/dinhdanh/dinhdanh/server/identity"
	"github.com/dinhdanh/dinhdanh/store"
)

var _ store.DirectorySync = (*DB)(nil)

// FindDirectoryAccount implements store.DirectorySync.
func (db *DB) FindDirectoryAccount(ctx context.Context, directory, username string) (*identity.Account, error) {
	if directory == "" || username == "" {
		return nil, store.ErrNotFound
	}
	return scanAccount(db.r.QueryRowContext(ctx, `SELECT `+accountColumns+` FROM accounts
		WHERE official_directory=$1 AND official_username=$2`, directory, username))
}

// DirectoryAccountsByUsername implements store.DirectorySync.
func (db *DB) DirectoryAccountsByUsername(ctx context.Context, username string) ([]*identity.Account, error) {
	return db.queryAccounts(ctx, `SELECT `+accountColumns+` FROM accounts
		WHERE official_username=$1 AND official_directory<>'' ORDER BY official_directory`, username)
}

// ListDirectoryAccounts implements store.DirectorySync.
func (db *DB) ListDirectoryAccounts(ctx context.Context, directory string) ([]*identity.Account, error) {
	return db.queryAccounts(ctx, `SELECT `+accountColumns+` FROM accounts
		WHERE official_directory=$1 ORDER BY official_username`, directory)
}

func (db *DB) queryAccounts(ctx context.Context, q string, args ...any) ([]*identity.Account, error) {
	rows, err := db.r.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*identity.Account
	for rows.Next() {
		a, err := scanAccount(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	return out, rows.Err()
}

// PutDirectoryEntry implements store.DirectorySync.
func (db *DB) PutDirectoryEntry(ctx context.Context, e *store.DirectoryEntry) error {
	_, err := db.w.ExecContext(ctx, `INSERT INTO directory_entries (directory, username, account_id, dn, employee_number)
		VALUES ($1,$2,$3,$4,$5) ON CONFLICT (directory, username) DO UPDATE SET account_id=excluded.account_id,
		dn=excluded.dn, employee_number=excluded.employee_number`,
		e.Directory, e.Username, e.AccountID, e.DN, e.EmployeeNumber)
	if foreignKeyViolation(err) {
		return store.ErrNotFound
	}
	return err
}

// ListDirectoryEntries implements store.DirectorySync.
func (db *DB) ListDirectoryEntries(ctx context.Context, directory string) ([]*store.DirectoryEntry, error) {
	rows, err := db.r.QueryContext(ctx, `SELECT directory, username, account_id, dn, employee_number
		FROM directory_entries WHERE directory=$1 ORDER BY username`, directory)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*store.DirectoryEntry
	for rows.Next() {
		var e store.DirectoryEntry
		if err := rows.Scan(&e.Directory, &e.Username, &e.AccountID, &e.DN, &e.EmployeeNumber); err != nil {
			return nil, err
		}
		out = append(out, &e)
	}
	return out, rows.Err()
}

// GetDirectoryCursor implements store.DirectorySync.
func (db *DB) GetDirectoryCursor(ctx context.Context, directory string) (*store.DirectoryCursor, error) {
	c := store.DirectoryCursor{Directory: directory}
	var synced, full, entries int64
	err := db.r.QueryRowContext(ctx, `SELECT high_water, synced_at, full_sync_at, entries, groups_digest
		FROM directory_cursors WHERE directory=$1`, directory).Scan(&c.HighWater, &synced, &full, &entries, &c.GroupsDigest)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, store.ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	c.SyncedAt, c.FullSyncAt, c.Entries = tm(synced), tm(full), int(entries)
	return &c, nil
}

// PutDirectoryCursor implements store.DirectorySync.
func (db *DB) PutDirectoryCursor(ctx context.Context, c *store.DirectoryCursor) error {
	_, err := db.w.ExecContext(ctx, `INSERT INTO directory_cursors (directory, high_water, synced_at, full_sync_at,
		entries, groups_digest) VALUES ($1,$2,$3,$4,$5,$6) ON CONFLICT (directory) DO UPDATE SET
		high_water=excluded.high_water, synced_at=excluded.synced_at, full_sync_at=excluded.full_sync_at,
		entries=excluded.entries, groups_digest=excluded.groups_digest`,
		c.Directory, c.HighWater, ms(c.SyncedAt), ms(c.FullSyncAt), int64(c.Entries), c.GroupsDigest)
	return err
}
