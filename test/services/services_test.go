package services_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/redis/go-redis/v9"

	"github.com/dinhdanh/dinhdanh/test/services"
)

func TestMain(m *testing.M) { os.Exit(services.Run(m)) }

func TestPostgresDatabasesAreSeparate(t *testing.T) {
	ctx := t.Context()
	a, b := services.Postgres(t), services.Postgres(t)
	if a == b {
		t.Fatalf("two databases share the URL %s", a)
	}
	ca, err := pgx.Connect(ctx, a)
	if err != nil {
		t.Fatal(err)
	}
	defer ca.Close(ctx)
	if _, err := ca.Exec(ctx, `CREATE TABLE t (v TEXT)`); err != nil {
		t.Fatal(err)
	}
	cb, err := pgx.Connect(ctx, b)
	if err != nil {
		t.Fatal(err)
	}
	defer cb.Close(ctx)
	var exists bool
	if err := cb.QueryRow(ctx, `SELECT to_regclass('t') IS NOT NULL`).Scan(&exists); err != nil || exists {
		t.Fatalf("the table of one database is seen in the other (%v)", err)
	}
	var folded string
	if err := cb.QueryRow(ctx, `SELECT lower('ĐINH')`).Scan(&folded); err != nil || folded != "đinh" {
		t.Fatalf("lower('ĐINH') = %q, %v; want đinh", folded, err)
	}
}

func TestPostgresStopStart(t *testing.T) {
	ctx := t.Context()
	s := services.StartPostgres(t)
	url := s.NewDatabase(t)
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := conn.Exec(ctx, `CREATE TABLE kept (v TEXT); INSERT INTO kept VALUES ('dữ liệu')`); err != nil {
		t.Fatal(err)
	}
	conn.Close(ctx)
	s.Stop(t)
	short, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	if c, err := pgx.Connect(short, url); err == nil {
		c.Close(ctx)
		t.Fatal("connected to a stopped server")
	}
	s.Start(t)
	conn, err = pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var v string
	if err := conn.QueryRow(ctx, `SELECT v FROM kept`).Scan(&v); err != nil || v != "dữ liệu" {
		t.Fatalf("after a restart: %q, %v", v, err)
	}
}

func TestRedisRestartLosesData(t *testing.T) {
	ctx := t.Context()
	s := services.StartRedis(t)
	c := redis.NewClient(&redis.Options{Addr: s.Addr})
	defer c.Close()
	if err := c.Set(ctx, "k", "v", 0).Err(); err != nil {
		t.Fatal(err)
	}
	s.Restart(t)
	if err := c.Get(ctx, "k").Err(); err != redis.Nil {
		t.Fatalf("GET after a restart = %v, want redis.Nil", err)
	}
}

func TestRedisCluster(t *testing.T) {
	ctx := t.Context()
	addrs := services.RedisClusterAddrs(t)
	c := redis.NewClusterClient(&redis.ClusterOptions{Addrs: addrs})
	defer c.Close()
	for _, k := range []string{"a", "b", "c", "d", "e"} {
		if err := c.Set(ctx, k, k, time.Minute).Err(); err != nil {
			t.Fatalf("SET %s: %v", k, err)
		}
	}
	n, err := c.DBSize(ctx).Result()
	if err != nil || n < 5 {
		t.Fatalf("DBSIZE = %d, %v", n, err)
	}
}

func TestRedisSentinel(t *testing.T) {
	ctx := t.Context()
	d := services.RedisSentinelDeployment(t)
	c := redis.NewFailoverClient(&redis.FailoverOptions{MasterName: d.MasterName, SentinelAddrs: d.SentinelAddrs})
	defer c.Close()
	if err := c.Set(ctx, "k", "v", time.Minute).Err(); err != nil {
		t.Fatal(err)
	}
	if v, err := c.Get(ctx, "k").Result(); err != nil || v != "v" {
		t.Fatalf("GET = %q, %v", v, err)
	}
}

// show returns the value of a setting on the database at url.
func show(t *testing.T, url, setting string) string {
	t.Helper()
	ctx := t.Context()
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var v string
	if err := conn.QueryRow(ctx, "SHOW "+setting).Scan(&v); err != nil {
		t.Fatalf("SHOW %s: %v", setting, err)
	}
	return v
}

// alive reports whether a process exists (and is not a zombie waiting to be reaped).
func alive(pid int) bool {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	_, rest, _ := strings.Cut(string(b), ") ")
	return !strings.HasPrefix(rest, "Z")
}

// launched skips the test when a program is missing (fails it under CI), and
// fails it when the server did not start.
func launched(t *testing.T, err error) {
	t.Helper()
	var me *services.MissingError
	if errors.As(err, &me) && os.Getenv("CI") == "" {
		t.Skip(err)
	}
	if err != nil {
		t.Fatal(err)
	}
}

func TestLaunchPostgresDurable(t *testing.T) {
	s, err := services.LaunchPostgres(true)
	launched(t, err)
	closed := false
	defer func() {
		if !closed {
			s.Close()
		}
	}()
	url, err := s.CreateDatabase("durable")
	if err != nil {
		t.Fatal(err)
	}
	for setting, want := range map[string]string{"fsync": "on", "synchronous_commit": "on", "full_page_writes": "on",
		"shared_buffers": "128MB"} {
		if got := show(t, url, setting); got != want {
			t.Errorf("durable server: SHOW %s = %q, want %q", setting, got, want)
		}
		// The server reports the same through Show.
		if got, err := s.Show(setting); err != nil || got != want {
			t.Errorf("durable server: Show(%q) = %q, %v; want %q", setting, got, err, want)
		}
	}
	if v, err := s.Show("server_version"); err != nil || v == "" {
		t.Errorf("Show(server_version) = %q, %v", v, err)
	}
	if _, err := s.Show("fsync; DROP DATABASE durable"); err == nil {
		t.Error("Show accepted a statement as a setting name")
	}
	pid := s.Pid()
	if pid <= 0 || !alive(pid) {
		t.Fatalf("Pid() = %d, not a running process", pid)
	}
	if _, err := os.Stat(s.Dir); err != nil {
		t.Fatalf("the server's directory: %v", err)
	}
	closed = true
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if _, err := os.Stat(s.Dir); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("after Close, the directory %s is still there (%v)", s.Dir, err)
	}
	if alive(pid) {
		t.Errorf("after Close, the postmaster %d still runs", pid)
	}
	if s.Pid() != 0 {
		t.Errorf("after Close, Pid() = %d, want 0", s.Pid())
	}
}

func TestPostgresTestSettings(t *testing.T) {
	url := services.Postgres(t)
	for _, setting := range []string{"fsync", "synchronous_commit", "full_page_writes"} {
		if got := show(t, url, setting); got != "off" {
			t.Errorf("test server: SHOW %s = %q, want off", setting, got)
		}
	}
}

func TestLaunchRedis(t *testing.T) {
	s, err := services.LaunchRedis()
	launched(t, err)
	closed := false
	defer func() {
		if !closed {
			s.Close()
		}
	}()
	c := redis.NewClient(&redis.Options{Addr: s.Addr})
	defer c.Close()
	if err := c.Set(t.Context(), "k", "v", time.Minute).Err(); err != nil {
		t.Fatal(err)
	}
	if v, err := s.Version(); err != nil || !strings.Contains(v, ".") {
		t.Errorf("Version() = %q, %v", v, err)
	}
	pid := s.Pid()
	if pid <= 0 || !alive(pid) {
		t.Fatalf("Pid() = %d, not a running process", pid)
	}
	closed = true
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if _, err := os.Stat(s.Dir); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("after Close, the directory %s is still there (%v)", s.Dir, err)
	}
	if alive(pid) {
		t.Errorf("after Close, redis-server %d still runs", pid)
	}
}

// A missing program is an error that says how to install it.
func TestLaunchRedisMissing(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	_, err := services.LaunchRedis()
	var me *services.MissingError
	if !errors.As(err, &me) {
		t.Fatalf("LaunchRedis without redis-server on PATH: %v, want a *MissingError", err)
	}
	if !strings.Contains(err.Error(), "test/services/install.sh") || !strings.Contains(err.Error(), "redis-server") {
		t.Errorf("the error does not name the program and install.sh: %v", err)
	}
}
