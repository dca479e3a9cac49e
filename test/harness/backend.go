package harness

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"os"
	"path/filepath"
	"testing"

	"github.com/dinhdanh/dinhdanh/config"
	"github.com/dinhdanh/dinhdanh/server/app"
	"github.com/dinhdanh/dinhdanh/test/services"
)

// Backend is what the nodes of one deployment share (WithBackend): the
// database, the ephemeral state, the seal key (every node unseals what
// another sealed and derives the same HMAC secret from it) and the issuer,
// which is the URL of the first node started on it.
type Backend struct {
	// dataDir is the data directory every node uses ("" for a directory of
	// each node's own).
	dataDir string
	// env holds the DINHDANH_* variables that select the backend.
	env    map[string]string
	issuer string
}

// SharedSQLite returns a backend of nodes sharing one data directory: one
// SQLite file (durable and ephemeral state) and its seal key.
func SharedSQLite(t testing.TB) *Backend {
	return &Backend{dataDir: t.TempDir(), env: map[string]string{}}
}

// SharedPostgresRedis returns a backend of nodes sharing a fresh PostgreSQL
// schema, migrated as "dinhdanh migrate" migrates it, keys of their own on
// the Redis server, and one seal key file. The servers come from
// test/services (shared by the test binary when its TestMain calls
// services.Run); when they are missing the test is skipped, or fails in CI.
func SharedPostgresRedis(t testing.TB) *Backend {
	t.Helper()
	dbURL := services.Postgres(t)
	redisAddr := services.Redis(t)
	sealKey := make([]byte, 32)
	if _, err := rand.Read(sealKey); err != nil {
		t.Fatal(err)
	}
	sealPath := filepath.Join(t.TempDir(), "seal.key")
	if err := os.WriteFile(sealPath, []byte(base64.StdEncoding.EncodeToString(sealKey)+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	b := &Backend{env: map[string]string{
		"DINHDANH_DATABASE_URL":       dbURL,
		"DINHDANH_REDIS_ADDRS":        redisAddr,
		"DINHDANH_REDIS_KEY_PREFIX":   "dinhdanh-" + Random(8) + ":",
		"DINHDANH_KEYS_SEAL_KEY_FILE": sealPath,
	}}
	migrate(t, dbURL)
	return b
}

// migrate brings the PostgreSQL schema at dbURL up to date, as "dinhdanh
// migrate" does before the first node starts.
func migrate(t testing.TB, dbURL string) {
	t.Helper()
	cfg := config.Default()
	cfg.Database.URL = dbURL
	ctx := context.Background()
	db, err := app.OpenDatabase(ctx, cfg)
	if err != nil {
		t.Fatalf("opening PostgreSQL: %v", err)
	}
	defer db.Close()
	if _, err := db.Migrate(ctx); err != nil {
		t.Fatalf("migrating PostgreSQL: %v", err)
	}
}
