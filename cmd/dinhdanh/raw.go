package main

import (
	"context"
	"errors"
	"os"

	"github.com/dinhdanh/dinhdanh/config"
	"github.com/dinhdanh/dinhdanh/store/sqlstore"
)

func osEnviron() []string { return os.Environ() }

func isSchemaTooOld(err error) bool { return errors.Is(err, sqlstore.ErrSchemaTooOld) }

func openRaw(ctx context.Context, cfg *config.Config) (*sqlstore.DB, error) {
	return sqlstore.OpenSQLite(ctx, cfg.DatabasePath(), cfg.Database.MaxOpenConns)
}
