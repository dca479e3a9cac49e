package sqlstore

import "database/sql"

// Pools returns the writing and the reading pool of db (tests).
func (db *DB) Pools() (w, r *sql.DB) { return db.w.DB, db.r.DB }
