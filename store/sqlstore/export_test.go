package sqlstore

import (
	"database/sql"

	"github.com/dinhdanh/dinhdanh/store"
)

// Pools returns the writing and the reading pool of db (tests).
func (db *DB) Pools() (w, r *sql.DB) { return db.w.DB, db.r.DB }

// AccountQuery returns the statement and arguments of ListAccounts(f), or ""
// when f keeps no account (tests).
func (db *DB) AccountQuery(f store.AccountFilter) (string, []any, error) {
	return db.accountQuery(f)
}
