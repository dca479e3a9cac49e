package oauth_test

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/dinhdanh/dinhdanh/store"
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

// The helpers below are those of store/conformance that its suites keep to
// themselves.

// timePrecision is the precision to which backends keep times.
const timePrecision = time.Millisecond

// shortLife is the lifetime of items that the suite lets expire by waiting.
const shortLife = 50 * time.Millisecond

// sleepPast waits until the instant t has passed, with some margin.
func sleepPast(t time.Time) {
	time.Sleep(time.Until(t) + 30*time.Millisecond)
}

// stillBefore reports whether there is comfortably time left before t, so that
// a check that an item is still alive cannot fail because the machine is slow.
func stillBefore(t time.Time) bool {
	return time.Until(t) > 15*time.Millisecond
}

// sameTime reports whether a backend's stored time got equals want to the
// precision backends keep.
func sameTime(got, want time.Time) bool {
	if got.IsZero() || want.IsZero() {
		return got.IsZero() == want.IsZero()
	}
	d := got.Sub(want)
	return d > -timePrecision && d < timePrecision
}

// now returns the current time at the precision backends keep.
func now() time.Time {
	return time.Now().UTC().Truncate(timePrecision)
}

// wantErr fails the test unless err matches target with errors.Is.
func wantErr(t *testing.T, err, target error, what string) {
	t.Helper()
	if !errors.Is(err, target) {
		t.Fatalf("%s: error = %v, want %v", what, err, target)
	}
}

// must fails the test when err is not nil.
func must(t *testing.T, err error, what string) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

// orNil returns nil for an empty slice, so that a backend may return either.
func orNil[T any](s []T) []T {
	if len(s) == 0 {
		return nil
	}
	return s
}

// uniqueName returns a name unique within the test binary, for keys and ids.
func uniqueName(prefix string) string {
	mu.Lock()
	defer mu.Unlock()
	counter++
	return fmt.Sprintf("%s-%d-%d", prefix, time.Now().UnixNano(), counter)
}

var (
	mu      sync.Mutex
	counter int
)

// fullClient returns a confidential client with every field set.
func fullClient(id string) *store.Client {
	return &store.Client{
		ID:                      id,
		Name:                    "Hệ thống Quản lý văn bản và điều hành",
		SecretHash:              bytes.Repeat([]byte{0xa5, 0x00, 0xff, 0x31}, 8),
		FirstParty:              true,
		RedirectURIs:            []string{"https://qlvb.tinh.gov.vn/oidc/callback", "https://qlvb.tinh.gov.vn/dang-nhap?x=1&y=2"},
		GrantTypes:              []string{"authorization_code", "refresh_token", "client_credentials"},
		Scopes:                  []string{"openid", "profile", "email", "offline_access", "official"},
		Audience:                []string{"https://api.tinh.gov.vn/lgsp"},
		IDTokenAlgorithm:        "ES256",
		AccessTokenFormat:       store.AccessTokenOpaque,
		TokenEndpointAuthMethod: "client_secret_post",
	}
}
