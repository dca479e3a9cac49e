package redisstore_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/dinhdanh/dinhdanh/store"
	"github.com/dinhdanh/dinhdanh/store/conformance"
	"github.com/dinhdanh/dinhdanh/store/redisstore"
	"github.com/dinhdanh/dinhdanh/test/services"
)

func TestMain(m *testing.M) { os.Exit(services.Run(m)) }

var prefixes atomic.Int64

// newPrefix returns a key prefix no other test uses, so that tests can share
// one Redis deployment.
func newPrefix() string {
	return fmt.Sprintf("t%d-%d:", os.Getpid(), prefixes.Add(1))
}

// open connects to Redis with the options and a fresh key prefix.
func open(t *testing.T, o redisstore.Options) *redisstore.Store {
	t.Helper()
	o.KeyPrefix = newPrefix()
	s, err := redisstore.Open(t.Context(), o)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return s
}

// deployments are the kinds of Redis deployment the store is tested on.
var deployments = []struct {
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

func TestConformance(t *testing.T) {
	for _, d := range deployments {
		t.Run(d.name, func(t *testing.T) {
			o := d.options(t)
			t.Run("Ephemeral", func(t *testing.T) {
				conformance.RunEphemeral(t, func(t *testing.T) store.Ephemeral { return open(t, o) })
			})
		})
	}
}

// TestTwoNodes races single-use operations between two clients, as two
// dinhdanh nodes sharing one Redis do.
func TestTwoNodes(t *testing.T) {
	for _, d := range deployments[:2] {
		t.Run(d.name, func(t *testing.T) {
			ctx := t.Context()
			o := d.options(t)
			o.KeyPrefix = newPrefix()
			var nodes []*redisstore.Store
			for range 2 {
				s, err := redisstore.Open(ctx, o)
				if err != nil {
					t.Fatal(err)
				}
				defer s.Close()
				nodes = append(nodes, s)
			}
			race := func(f func(s *redisstore.Store) error) (won int, errs []error) {
				errs = make([]error, len(nodes))
				start := make(chan struct{})
				var wg sync.WaitGroup
				for i, s := range nodes {
					wg.Go(func() {
						<-start
						errs[i] = f(s)
					})
				}
				close(start)
				wg.Wait()
				for _, err := range errs {
					if err == nil {
						won++
					}
				}
				return won, errs
			}
			for round := range 50 {
				key := fmt.Sprintf("code-%d", round)
				if err := nodes[0].PutRecord(ctx, store.KindAuthorizeCode, &store.Record{Key: key, ExpiresAt: time.Now().Add(time.Minute)}); err != nil {
					t.Fatal(err)
				}
				if won, errs := race(func(s *redisstore.Store) error { return s.MarkRecordUsed(ctx, store.KindAuthorizeCode, key) }); won != 1 ||
					!(errors.Is(errs[0], store.ErrAlreadyUsed) || errors.Is(errs[1], store.ErrAlreadyUsed)) {
					t.Fatalf("round %d: MarkRecordUsed: %d winners (%v)", round, won, errs)
				}
				if err := nodes[1].PutRecord(ctx, store.KindPAR, &store.Record{Key: key, ExpiresAt: time.Now().Add(time.Minute)}); err != nil {
					t.Fatal(err)
				}
				if won, errs := race(func(s *redisstore.Store) error { _, err := s.TakeRecord(ctx, store.KindPAR, key); return err }); won != 1 ||
					!(errors.Is(errs[0], store.ErrNotFound) || errors.Is(errs[1], store.ErrNotFound)) {
					t.Fatalf("round %d: TakeRecord: %d winners (%v)", round, won, errs)
				}
			}
		})
	}
}

// scanKeys returns every key under the prefix, on every master.
func scanKeys(t *testing.T, c redis.UniversalClient, prefix string) []string {
	t.Helper()
	ctx := t.Context()
	var mu sync.Mutex
	var keys []string
	scan := func(ctx context.Context, c *redis.Client) error {
		iter := c.Scan(ctx, 0, prefix+"*", 100).Iterator()
		for iter.Next(ctx) {
			mu.Lock()
			keys = append(keys, iter.Val())
			mu.Unlock()
		}
		return iter.Err()
	}
	var err error
	switch cc := c.(type) {
	case *redis.ClusterClient:
		err = cc.ForEachMaster(ctx, scan)
	case *redis.Client:
		err = scan(ctx, cc)
	default:
		t.Fatalf("unexpected client %T", c)
	}
	if err != nil {
		t.Fatal(err)
	}
	return keys
}

// TestEveryKeyExpires checks that nothing the store writes lives forever:
// records, index sets and counters all carry a time to live.
func TestEveryKeyExpires(t *testing.T) {
	for _, d := range deployments[:2] {
		t.Run(d.name, func(t *testing.T) {
			ctx := t.Context()
			s := open(t, d.options(t))
			exp := time.Now().Add(time.Hour)
			for i, kind := range []store.RecordKind{store.KindSSOSession, store.KindAccessToken, store.KindLoginFlow,
				store.KindAuthorizeCode, store.KindPKCE, store.KindOIDC, store.KindPAR, store.KindClientJTI} {
				r := &store.Record{Key: fmt.Sprintf("k%d", i), RequestID: "req", Subject: "sub", Data: []byte("x"), ExpiresAt: exp}
				if err := s.PutRecord(ctx, kind, r); err != nil {
					t.Fatal(err)
				}
			}
			if err := s.MarkRecordUsed(ctx, store.KindAuthorizeCode, "k3"); err != nil {
				t.Fatal(err)
			}
			if _, err := s.Hit(ctx, "login:account:sub", 15*time.Minute); err != nil {
				t.Fatal(err)
			}
			prefix := prefixOf(t, s)
			keys := scanKeys(t, s.Client(), prefix)
			if len(keys) != 8+2*8+1 {
				t.Errorf("%d keys under the prefix, want 25 (8 records, 16 index sets, 1 counter): %v", len(keys), keys)
			}
			for _, k := range keys {
				ttl, err := s.Client().PTTL(ctx, k).Result()
				if err != nil {
					t.Fatal(err)
				}
				if ttl <= 0 || ttl > time.Hour+time.Second {
					t.Errorf("key %s has time to live %s, want (0, 1h]", k, ttl)
				}
			}
		})
	}
}

// prefixOf finds the store's key prefix by writing a marker counter.
func prefixOf(t *testing.T, s *redisstore.Store) string {
	t.Helper()
	const marker = "prefix-marker"
	if _, err := s.Hit(t.Context(), marker, time.Minute); err != nil {
		t.Fatal(err)
	}
	defer s.ResetCounter(t.Context(), marker)
	for _, k := range scanKeys(t, s.Client(), "t*") {
		if p, ok := strings.CutSuffix(k, "n:"+marker); ok {
			return p
		}
	}
	t.Fatal("marker counter not found")
	return ""
}

// TestSSOSessionSize measures what one SSO session costs in Redis: its
// record and its entry in the subject's index. The record's data is an SSO
// session as server/session writes it (about 400 bytes of JSON).
func TestSSOSessionSize(t *testing.T) {
	ctx := t.Context()
	s := open(t, redisstore.Options{Addrs: []string{services.Redis(t)}})
	data := []byte(`{"id":"9v0cQk3Nw3qH8dQ2xw5Kb1yX","sub":"5f1c2d9a-7b3e-4c8a-9d2f-1e6b7a8c9d0e","cap":"citizen",` +
		`"auth_time":"2026-11-22T00:12:34.567891Z","acr":"LoA2","amr":["pwd","otp"],"clients":["cong-dvc","mot-cua"],` +
		`"created":"2026-11-22T00:12:34.567891Z","seen":"2026-11-22T00:42:01.123456Z",` +
		`"ua":"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",` +
		`"addr":"203.113.131.4"}`)
	const sessions = 100
	for i := range sessions {
		r := &store.Record{Key: fmt.Sprintf("9v0cQk3Nw3qH8dQ2xw5Kb%03d", i), Subject: fmt.Sprintf("5f1c2d9a-7b3e-4c8a-9d2f-1e6b7a8c%04d", i%10),
			Data: data, ExpiresAt: time.Now().Add(30 * time.Minute)}
		if err := s.PutRecord(ctx, store.KindSSOSession, r); err != nil {
			t.Fatal(err)
		}
	}
	var total int64
	for _, k := range scanKeys(t, s.Client(), prefixOf(t, s)) {
		n, err := s.Client().MemoryUsage(ctx, k, 0).Result()
		if err != nil {
			t.Fatal(err)
		}
		total += n
	}
	per := total / sessions
	t.Logf("one SSO session costs %d bytes in Redis (record and index entry; %d bytes of session data)", per, len(data))
	if per > 2048 {
		t.Fatalf("one SSO session costs %d bytes in Redis, want at most 2048", per)
	}
}

// TestUnreachable checks that an unreachable Redis is an error that names it.
func TestUnreachable(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	_, err := redisstore.Open(ctx, redisstore.Options{Addrs: []string{"127.0.0.1:1"}, DialTimeout: time.Second})
	if err == nil || !strings.Contains(err.Error(), "127.0.0.1:1") {
		t.Fatalf("Open(closed port) = %v, want an error naming the address", err)
	}
}

// TestRestartLosesStateNotErrors checks that after Redis restarts empty the
// store answers again by itself: items are gone, nothing fails.
func TestRestartLosesStateNotErrors(t *testing.T) {
	ctx := t.Context()
	srv := services.StartRedis(t)
	s := open(t, redisstore.Options{Addrs: []string{srv.Addr}})
	if err := s.PutRecord(ctx, store.KindSSOSession, &store.Record{Key: "s", Subject: "u", ExpiresAt: time.Now().Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	srv.Stop(t)
	if err := s.Ping(ctx); err == nil {
		t.Fatal("Ping succeeded with Redis stopped")
	}
	if _, err := s.GetRecord(ctx, store.KindSSOSession, "s"); err == nil || errors.Is(err, store.ErrNotFound) {
		t.Fatalf("GetRecord with Redis stopped = %v, want an outage error", err)
	}
	srv.Start(t)
	deadline := time.Now().Add(10 * time.Second)
	for s.Ping(ctx) != nil {
		if time.Now().After(deadline) {
			t.Fatal("the store did not reconnect")
		}
		time.Sleep(50 * time.Millisecond)
	}
	if _, err := s.GetRecord(ctx, store.KindSSOSession, "s"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("GetRecord after the restart = %v, want ErrNotFound", err)
	}
	// Scripts are loaded again where they are gone.
	if err := s.PutRecord(ctx, store.KindSSOSession, &store.Record{Key: "s2", Subject: "u", RequestID: "r", ExpiresAt: time.Now().Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteRecordsByRequest(ctx, store.KindSSOSession, "r"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Hit(ctx, "c", time.Minute); err != nil {
		t.Fatal(err)
	}
}

// TestNoScriptSendsAgainOnlyTheRefused checks that when a server does not know
// the scripts (after a restart or SCRIPT FLUSH), a pipeline sends again only
// the scripts it refused: a write already done is not repeated, since a
// record written twice could come back after a concurrent revoke deleted it.
func TestNoScriptSendsAgainOnlyTheRefused(t *testing.T) {
	ctx := t.Context()
	srv := services.StartRedis(t)
	s := open(t, redisstore.Options{Addrs: []string{srv.Addr}})
	exp := time.Now().Add(time.Hour)
	old := &store.Record{Key: "at-1", RequestID: "req", Subject: "sub", Data: []byte("1"), ExpiresAt: exp}
	if err := s.PutRecord(ctx, store.KindAccessToken, old); err != nil {
		t.Fatal(err)
	}
	c := s.Client()
	if err := c.ScriptFlush(ctx).Err(); err != nil {
		t.Fatal(err)
	}
	if err := c.ConfigResetStat(ctx).Err(); err != nil {
		t.Fatal(err)
	}
	next := &store.Record{Key: "at-2", RequestID: "req", Subject: "sub", Data: []byte("2"), ExpiresAt: exp}
	if err := s.ReplaceRequestRecords(ctx, store.KindAccessToken, next); err != nil {
		t.Fatal(err)
	}
	stats, err := c.Info(ctx, "commandstats").Result()
	if err != nil {
		t.Fatal(err)
	}
	calls := func(cmd string) string {
		for _, line := range strings.Split(stats, "\r\n") {
			if rest, ok := strings.CutPrefix(line, "cmdstat_"+cmd+":calls="); ok {
				n, _, _ := strings.Cut(rest, ",")
				return n
			}
		}
		return "0"
	}
	// One SET for the new record, and the three scripts (delete the old
	// record, index the new one by request and by subject) sent once more
	// with their text.
	if got := calls("set"); got != "1" {
		t.Errorf("SET was called %s times, want 1\n%s", got, stats)
	}
	if got := calls("eval"); got != "3" {
		t.Errorf("EVAL was called %s times, want 3\n%s", got, stats)
	}
	if _, err := s.GetRecord(ctx, store.KindAccessToken, "at-1"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("GetRecord(replaced) = %v, want ErrNotFound", err)
	}
	if _, err := s.GetRecord(ctx, store.KindAccessToken, "at-2"); err != nil {
		t.Fatalf("GetRecord(replacement) = %v", err)
	}
	if err := s.DeleteRecordsByRequest(ctx, store.KindAccessToken, "req"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.GetRecord(ctx, store.KindAccessToken, "at-2"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("GetRecord(replacement) after DeleteRecordsByRequest = %v, want ErrNotFound", err)
	}
}
