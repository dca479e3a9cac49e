package sqlstore

import (
	"context"
	"errors"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/dinhdanh/dinhdanh/server/identity"
)

// ImportAccounts inserts accounts, without passwords, as CreateAccount would
// one by one (every column, search_text included), in one transaction: on
// PostgreSQL with COPY, on SQLite with one prepared INSERT. An account
// without a creation time is given the current time. It is for bulk loading
// (the load tool seeds millions of accounts with it); a taken identifier
// fails the whole batch with the database's error, inserting nothing.
func (db *DB) ImportAccounts(ctx context.Context, accounts []*identity.Account) error {
	now := db.now().UTC()
	rows := make([][]any, len(accounts))
	for i, a := range accounts {
		if a.CreatedAt.IsZero() {
			a.CreatedAt = now
		}
		if a.UpdatedAt.IsZero() {
			a.UpdatedAt = a.CreatedAt
		}
		rows[i] = append(append(accountArgs(a), proofingArgs(a)...), nil, searchText(a))
	}
	cols := strings.FieldsFunc(accountInsertColumns, func(r rune) bool { return r == ',' || r == ' ' || r == '\n' || r == '\t' })
	cols = append(cols, "password_hash", "search_text")
	if _, ok := db.d.(postgresDialect); ok {
		conn, err := db.w.Conn(ctx)
		if err != nil {
			return err
		}
		defer conn.Close()
		return conn.Raw(func(dc any) error {
			sc, ok := dc.(*stdlib.Conn)
			if !ok {
				return errors.New("sqlstore: not a pgx connection")
			}
			c := sc.Conn()
			tx, err := c.Begin(ctx)
			if err != nil {
				return err
			}
			defer tx.Rollback(ctx)
			if _, err := tx.CopyFrom(ctx, pgx.Identifier{"accounts"}, cols, pgx.CopyFromRows(rows)); err != nil {
				return conflict(err, accountConflicts)
			}
			return tx.Commit(ctx)
		})
	}
	defer db.handOff()
	tx, err := db.w.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	ph := make([]string, len(cols))
	for i := range ph {
		ph[i] = "$" + itoa(i+1)
	}
	stmt, err := tx.PrepareContext(ctx, `INSERT INTO accounts (`+strings.Join(cols, ", ")+`) VALUES (`+strings.Join(ph, ", ")+`)`)
	if err != nil {
		return err
	}
	defer stmt.Close()
	for _, r := range rows {
		if _, err := stmt.ExecContext(ctx, r...); err != nil {
			return conflict(err, accountConflicts)
		}
	}
	return tx.Commit()
}
