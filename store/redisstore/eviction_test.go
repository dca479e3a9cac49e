package redisstore_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/dinhdanh/dinhdanh/store/redisstore"
	"github.com/dinhdanh/dinhdanh/test/services"
)

// TestMemoryPolicies reads maxmemory-policy from one server, through CONFIG
// GET and, where CONFIG is renamed away as managed services do, from INFO
// memory; a server that answers neither reports an error and counts as
// evicting.
func TestMemoryPolicies(t *testing.T) {
	tests := []struct {
		name    string
		options []string
		policy  string // "" when unreadable
		source  string
	}{
		{"default", nil, "noeviction", "CONFIG GET"},
		{"allkeys-lru", []string{"--maxmemory-policy", "allkeys-lru"}, "allkeys-lru", "CONFIG GET"},
		{"CONFIG renamed", []string{"--maxmemory-policy", "volatile-ttl", "--rename-command", "CONFIG", ""}, "volatile-ttl", "INFO memory"},
		{"CONFIG and INFO renamed", []string{"--rename-command", "CONFIG", "", "--rename-command", "INFO", ""}, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := services.StartRedisWith(t, tt.options...)
			s := open(t, redisstore.Options{Addrs: []string{srv.Addr}})
			ps, err := s.MemoryPolicies(t.Context())
			if err != nil || len(ps) != 1 {
				t.Fatalf("MemoryPolicies = %v, %v; want one", ps, err)
			}
			p := ps[0]
			if p.Server != srv.Addr || p.Policy != tt.policy || p.Source != tt.source {
				t.Fatalf("policy = %+v, want %s from %q at %s", p, tt.policy, tt.source, srv.Addr)
			}
			if (tt.policy == "") != (p.Err != nil) {
				t.Fatalf("Err = %v with policy %q", p.Err, p.Policy)
			}
			if p.Evicts() != (tt.policy != "noeviction") {
				t.Errorf("Evicts() = %v under %q", p.Evicts(), p.Policy)
			}
			if tt.policy == "" && !strings.Contains(p.String(), "unknown") {
				t.Errorf("String() = %q, want it to say the policy is unknown", p.String())
			}
		})
	}
}

// TestMemoryPoliciesCluster reads the policy of every master of a Cluster:
// one master that may evict is found among three.
func TestMemoryPoliciesCluster(t *testing.T) {
	cl := services.StartRedisCluster(t)
	ctx := t.Context()
	setPolicy(t, cl.Addrs[1], "volatile-lru")
	s := open(t, redisstore.Options{Addrs: cl.Addrs})
	ps, err := s.MemoryPolicies(ctx)
	if err != nil || len(ps) != 3 {
		t.Fatalf("MemoryPolicies = %v, %v; want three masters", ps, err)
	}
	for _, p := range ps {
		want := "noeviction"
		if p.Server == cl.Addrs[1] {
			want = "volatile-lru"
		}
		if p.Policy != want || p.Source != "CONFIG GET" {
			t.Errorf("%s: %+v, want %s", p.Server, p, want)
		}
	}
}

// TestMemoryPoliciesSentinel reads the policy of the master the Sentinels name.
func TestMemoryPoliciesSentinel(t *testing.T) {
	d := services.RedisSentinelDeployment(t)
	s := open(t, redisstore.Options{Addrs: d.SentinelAddrs, MasterName: d.MasterName})
	ps, err := s.MemoryPolicies(t.Context())
	if err != nil || len(ps) != 1 || ps[0].Policy != "noeviction" || ps[0].Server != "the master "+d.MasterName {
		t.Fatalf("MemoryPolicies = %+v, %v; want noeviction from the master %s", ps, err, d.MasterName)
	}
}

// setPolicy sets maxmemory-policy on the server at addr.
func setPolicy(t *testing.T, addr, policy string) {
	t.Helper()
	c := redis.NewClient(&redis.Options{Addr: addr, DialTimeout: 5 * time.Second})
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := c.ConfigSet(ctx, "maxmemory-policy", policy).Err(); err != nil {
		t.Fatalf("CONFIG SET maxmemory-policy %s at %s: %v", policy, addr, err)
	}
}
