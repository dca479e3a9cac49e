package app_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/dinhdanh/dinhdanh/config"
	"github.com/dinhdanh/dinhdanh/server/app"
	"github.com/dinhdanh/dinhdanh/test/services"
)

// lockedBuffer is a log destination that tests read while the node writes.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// evictionNode is a node on a SQLite file of its own and the Redis at
// addrs, served by an httptest server.
type evictionNode struct {
	app *app.App
	srv *httptest.Server
	log *lockedBuffer
}

// startEvictionNode assembles a node over Redis at addrs (a Cluster when
// there are several) with redis.allow_eviction as given; it returns the
// error of app.New, if any.
func startEvictionNode(t *testing.T, addrs []string, allow bool) (*evictionNode, error) {
	t.Helper()
	ctx := t.Context()
	cfg := config.Default()
	cfg.DataDir = t.TempDir()
	cfg.Redis.Addrs = config.Addresses(addrs)
	cfg.Redis.AllowEviction = allow
	srv := httptest.NewUnstartedServer(nil)
	cfg.Issuer = "http://" + srv.Listener.Addr().String()
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	db, err := app.OpenStore(ctx, cfg, true)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	n := &evictionNode{srv: srv, log: &lockedBuffer{}}
	n.app, err = app.New(ctx, cfg, db, slog.New(slog.NewTextHandler(n.log, nil)))
	if err != nil {
		srv.Listener.Close()
		return nil, err
	}
	srv.Config.Handler = n.app.Handler
	srv.Start()
	t.Cleanup(func() {
		srv.Close()
		n.app.Close()
	})
	return n, nil
}

// ready returns /health/ready's status and body.
func (n *evictionNode) ready(t *testing.T) (int, map[string]string) {
	t.Helper()
	resp, err := http.Get(n.srv.URL + "/health/ready")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var m map[string]string
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("/health/ready answered %q", b)
	}
	return resp.StatusCode, m
}

// setMaxmemoryPolicy sets maxmemory-policy on the server at addr.
func setMaxmemoryPolicy(t *testing.T, addr, policy string) {
	t.Helper()
	c := redis.NewClient(&redis.Options{Addr: addr, DialTimeout: 5 * time.Second})
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := c.ConfigSet(ctx, "maxmemory-policy", policy).Err(); err != nil {
		t.Fatalf("CONFIG SET maxmemory-policy %s at %s: %v", policy, addr, err)
	}
}

// wantRefused checks that a start failed with a message that names the
// policy, the fix and the acknowledgement.
func wantRefused(t *testing.T, err error, says ...string) {
	t.Helper()
	if err == nil {
		t.Fatal("the node started on a Redis that may evict its keys")
	}
	for _, s := range append([]string{"maxmemory-policy noeviction", "redis.allow_eviction: true"}, says...) {
		if !strings.Contains(err.Error(), s) {
			t.Errorf("the refusal %q does not say %q", err, s)
		}
	}
}

// wantAcknowledged checks a node started with redis.allow_eviction on an
// evicting policy: it warned at start and reports the policy as ready.
func wantAcknowledged(t *testing.T, n *evictionNode, policy string) {
	t.Helper()
	if l := n.log.String(); !strings.Contains(l, "level=WARN") || !strings.Contains(l, "Redis may evict") ||
		!strings.Contains(l, policy) {
		t.Errorf("no start warning naming %s in the log:\n%s", policy, l)
	}
	status, m := n.ready(t)
	if status != http.StatusOK || m["status"] != "ready" || !strings.Contains(m["redis_maxmemory_policy"], policy) ||
		!strings.HasPrefix(m["redis_eviction"], "allowed by redis.allow_eviction") {
		t.Errorf("/health/ready = %d %v, want 200 reporting %s allowed by redis.allow_eviction", status, m, policy)
	}
}

// TestRedisEvictionSingle starts nodes on one Redis server: noeviction
// starts and is reported ready; allkeys-lru is refused with a clear
// message, and turns a running node not-ready; acknowledged, it starts
// with a warning and a report on /health/ready.
func TestRedisEvictionSingle(t *testing.T) {
	srv := services.StartRedis(t)
	addrs := []string{srv.Addr}

	n, err := startEvictionNode(t, addrs, false)
	if err != nil {
		t.Fatalf("a node on noeviction did not start: %v", err)
	}
	if status, m := n.ready(t); status != http.StatusOK || m["redis_maxmemory_policy"] != "noeviction" || m["redis_eviction"] != "" {
		t.Fatalf("/health/ready = %d %v, want 200 with redis_maxmemory_policy noeviction", status, m)
	}
	if strings.Contains(n.log.String(), "Redis may evict") {
		t.Errorf("an eviction warning on noeviction:\n%s", n.log.String())
	}

	// The policy changes under a running node: it reports not-ready.
	setMaxmemoryPolicy(t, srv.Addr, "allkeys-lru")
	deadline := time.Now().Add(10 * time.Second)
	for {
		status, m := n.ready(t)
		if status == http.StatusServiceUnavailable && m["status"] == "not ready" && m["redis"] == "ok" &&
			m["redis_maxmemory_policy"] == "allkeys-lru" && strings.HasPrefix(m["redis_eviction"], "refused") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("/health/ready = %d %v after the policy became allkeys-lru, want 503 refused", status, m)
		}
		time.Sleep(100 * time.Millisecond)
	}

	_, err = startEvictionNode(t, addrs, false)
	wantRefused(t, err, srv.Addr+": allkeys-lru")

	n, err = startEvictionNode(t, addrs, true)
	if err != nil {
		t.Fatalf("a node with redis.allow_eviction did not start: %v", err)
	}
	wantAcknowledged(t, n, "allkeys-lru")
}

// TestRedisEvictionCluster starts nodes on a Redis Cluster whose masters
// all run noeviction, then with one master on volatile-lru: refused
// naming that master, started with redis.allow_eviction.
func TestRedisEvictionCluster(t *testing.T) {
	cl := services.StartRedisCluster(t)
	if _, err := startEvictionNode(t, cl.Addrs, false); err != nil {
		t.Fatalf("a node on a noeviction Cluster did not start: %v", err)
	}
	setMaxmemoryPolicy(t, cl.Addrs[2], "volatile-lru")
	_, err := startEvictionNode(t, cl.Addrs, false)
	wantRefused(t, err, cl.Addrs[2]+": volatile-lru")
	for _, a := range cl.Addrs[:2] {
		if strings.Contains(err.Error(), a+":") {
			t.Errorf("the refusal names the noeviction master %s: %v", a, err)
		}
	}
	n, err := startEvictionNode(t, cl.Addrs, true)
	if err != nil {
		t.Fatalf("a node with redis.allow_eviction did not start: %v", err)
	}
	wantAcknowledged(t, n, "volatile-lru")
}

// TestRedisEvictionWithoutConfig starts nodes on Redis servers whose CONFIG
// command is renamed away, as managed services do: the policy is read from
// INFO memory; a server that answers neither is refused unless
// acknowledged.
func TestRedisEvictionWithoutConfig(t *testing.T) {
	noConfig := services.StartRedisWith(t, "--rename-command", "CONFIG", "")
	if _, err := startEvictionNode(t, []string{noConfig.Addr}, false); err != nil {
		t.Fatalf("a node on noeviction (read from INFO memory) did not start: %v", err)
	}
	lru := services.StartRedisWith(t, "--rename-command", "CONFIG", "", "--maxmemory-policy", "allkeys-lfu")
	_, err := startEvictionNode(t, []string{lru.Addr}, false)
	wantRefused(t, err, lru.Addr+": allkeys-lfu")

	mute := services.StartRedisWith(t, "--rename-command", "CONFIG", "", "--rename-command", "INFO", "")
	_, err = startEvictionNode(t, []string{mute.Addr}, false)
	wantRefused(t, err, mute.Addr+": unknown")
	n, err := startEvictionNode(t, []string{mute.Addr}, true)
	if err != nil {
		t.Fatalf("a node with redis.allow_eviction did not start: %v", err)
	}
	wantAcknowledged(t, n, "unknown")
}
