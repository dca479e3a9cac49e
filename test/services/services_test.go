package services_test

import (
	"context"
	"os"
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
