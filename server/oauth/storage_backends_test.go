package oauth_test

import (
	"fmt"
	"os"
	"sync/atomic"
	"testing"

	"github.com/dinhdanh/dinhdanh/store"
	"github.com/dinhdanh/dinhdanh/store/conformance"
	"github.com/dinhdanh/dinhdanh/store/redisstore"
	"github.com/dinhdanh/dinhdanh/store/sqlstore"
	"github.com/dinhdanh/dinhdanh/test/services"
)

func TestMain(m *testing.M) { os.Exit(services.Run(m)) }

// TestStorage runs the suite of the fosite storage on every backend the
// store conformance suites run on (store/sqlstore, store/redisstore): SQLite
// and PostgreSQL for both stores, and each Redis deployment as the
// ephemeral store beside SQLite.
func TestStorage(t *testing.T) {
	t.Run("SQLite", func(t *testing.T) {
		runStorage(t, func(t *testing.T) (store.Store, store.Ephemeral) {
			db := openSQLite(t)
			return db, db
		})
	})
	t.Run("PostgreSQL", func(t *testing.T) {
		runStorage(t, func(t *testing.T) (store.Store, store.Ephemeral) {
			db := openPostgres(t)
			return db, db
		})
	})
	for _, d := range redisDeployments {
		t.Run("Redis"+d.name, func(t *testing.T) {
			o := d.options(t)
			runStorage(t, func(t *testing.T) (store.Store, store.Ephemeral) {
				return openSQLite(t), openRedis(t, o)
			})
		})
	}
}

// openSQLite opens a fresh, migrated SQLite file in the test's directory.
func openSQLite(t *testing.T) *sqlstore.DB {
	t.Helper()
	db, err := sqlstore.OpenSQLite(t.Context(), t.TempDir()+"/dinhdanh.db", 4)
	if err != nil {
		t.Fatalf("OpenSQLite: %v", err)
	}
	t.Cleanup(func() {
		if err := db.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	if _, err := db.Migrate(t.Context()); err != nil {
		t.Fatalf("Migrate: %v", err)
	}
	return db
}

// openPostgres opens a fresh, migrated schema on the shared PostgreSQL server.
func openPostgres(t *testing.T) *sqlstore.DB {
	t.Helper()
	db, err := sqlstore.OpenPostgres(t.Context(), services.Postgres(t), 8)
	if err != nil {
		t.Fatalf("OpenPostgres: %v", err)
	}
	t.Cleanup(func() {
		if err := db.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	if _, err := db.Migrate(t.Context()); err != nil {
		t.Fatalf("Migrate: %v", err)
	}
	return db
}

// redisDeployments are the kinds of Redis deployment store/redisstore is
// tested on.
var redisDeployments = []struct {
	name    string
	options func(t *testing.T) redisstore.Options
}{
	{"Single", func(t *testing.T) redisstore.Options {
		return redisstore.Options{Addrs: []string{services.Redis(t)}}
	}},
	{"Cluster", func(t *testing.T) redisstore.Options {
		return redisstore.Options{Addrs: services.RedisClusterAddrs(t)}
	}},
	{"ClusterOneSeed", func(t *testing.T) redisstore.Options {
		return redisstore.Options{Addrs: services.RedisClusterAddrs(t)[:1], Cluster: true}
	}},
	{"Sentinel", func(t *testing.T) redisstore.Options {
		d := services.RedisSentinelDeployment(t)
		return redisstore.Options{Addrs: d.SentinelAddrs, MasterName: d.MasterName}
	}},
}

var redisPrefixes atomic.Int64

// openRedis connects to Redis with the options and a key prefix no other
// test uses, so that tests can share one deployment.
func openRedis(t *testing.T, o redisstore.Options) *redisstore.Store {
	t.Helper()
	o.KeyPrefix = fmt.Sprintf("t%d-%d:", os.Getpid(), redisPrefixes.Add(1))
	s, err := redisstore.Open(t.Context(), o)
	if err != nil {
		t.Fatalf("redisstore.Open: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return s
}

// The suite shares store/conformance's helpers, so that both keep one idea
// of the backends' time precision and one fixture client.
const shortLife = conformance.ShortLife

var (
	sleepPast   = conformance.SleepPast
	stillBefore = conformance.StillBefore
	sameTime    = conformance.SameTime
	now         = conformance.Now
	wantErr     = conformance.WantErr
	must        = conformance.Must
	uniqueName  = conformance.UniqueName
	fullClient  = conformance.FullClient
)

func orNil[T any](s []T) []T { return conformance.OrNil(s) }
