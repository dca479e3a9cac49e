package main

import (
	"context"
	"errors"
	"net/url"
	"os"
	"strings"

	"github.com/dinhdanh/dinhdanh/config"
	"github.com/dinhdanh/dinhdanh/server/app"
	"github.com/dinhdanh/dinhdanh/store/sqlstore"
)

func osEnviron() []string { return os.Environ() }

func isSchemaTooOld(err error) bool { return errors.Is(err, sqlstore.ErrSchemaTooOld) }

func openRaw(ctx context.Context, cfg *config.Config) (*sqlstore.DB, error) {
	return app.OpenDatabase(ctx, cfg)
}

// databaseName names the durable store for the log, without secrets.
func databaseName(cfg *config.Config) string {
	if raw := cfg.PostgresURL(); raw != "" {
		if u, err := url.Parse(raw); err == nil {
			return "postgres://" + u.Host + u.Path
		}
		return "postgres"
	}
	return cfg.DatabasePath()
}

// ephemeralName names the store of ephemeral state for the log.
func ephemeralName(cfg *config.Config) string {
	r := cfg.Redis
	switch {
	case !r.Enabled():
		return "database"
	case r.MasterName != "":
		return "redis sentinel " + r.MasterName + " via " + strings.Join(r.Addrs, ",")
	case r.Cluster || len(r.Addrs) > 1:
		return "redis cluster " + strings.Join(r.Addrs, ",")
	}
	return "redis " + r.Addrs[0]
}
