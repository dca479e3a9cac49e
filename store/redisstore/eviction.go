package redisstore

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"

	"github.com/redis/go-redis/v9"
)

// NoEviction is the maxmemory-policy under which Redis never evicts a key:
// a full Redis refuses writes instead. dinhdanh needs it, because its keys
// hold brute-force locks and counters, PKCE records and the marks of used
// codes, which an eviction would silently undo.
const NoEviction = "noeviction"

// MemoryPolicy is the maxmemory-policy of one Redis server that holds the
// store's keys.
type MemoryPolicy struct {
	// Server names the server: its address, or "the master <name>" behind
	// Sentinels.
	Server string
	// Policy is the policy the server reports ("noeviction", "allkeys-lru",
	// …); empty when it could not be read.
	Policy string
	// Source says how Policy was read: "CONFIG GET" or "INFO memory".
	Source string
	// Err says why the policy could not be read, by either way; nil when
	// Policy is set.
	Err error
}

// Evicts reports whether Redis may evict keys before they expire: under any
// policy but noeviction, and when the policy could not be read.
func (p MemoryPolicy) Evicts() bool { return p.Policy != NoEviction }

// String describes the policy for a person: "127.0.0.1:6379: allkeys-lru".
func (p MemoryPolicy) String() string {
	if p.Err != nil {
		return fmt.Sprintf("%s: unknown (%v)", p.Server, p.Err)
	}
	return p.Server + ": " + p.Policy
}

// MemoryPolicies returns the maxmemory-policy of every server that holds
// the store's keys: the one server, the master the Sentinels name, or every
// master of a Cluster. Each is read with CONFIG GET maxmemory-policy and,
// when that is refused (CONFIG renamed or disabled, as managed services
// do, or not allowed to the ACL user), from the maxmemory_policy line of
// INFO memory; a server that answers neither has an Err. MemoryPolicies
// returns an error only when the Cluster's masters cannot be listed.
func (s *Store) MemoryPolicies(ctx context.Context) ([]MemoryPolicy, error) {
	if cc, ok := s.c.(*redis.ClusterClient); ok {
		var mu sync.Mutex
		var out []MemoryPolicy
		err := cc.ForEachMaster(ctx, func(ctx context.Context, c *redis.Client) error {
			p := memoryPolicy(ctx, c, c.Options().Addr)
			mu.Lock()
			out = append(out, p)
			mu.Unlock()
			return nil
		})
		if err != nil {
			return nil, err
		}
		return out, nil
	}
	return []MemoryPolicy{memoryPolicy(ctx, s.c, s.server())}, nil
}

// server names the one server (or the Sentinels' master) of a client that
// is not a Cluster's.
func (s *Store) server() string {
	if s.where != "" {
		return s.where
	}
	if c, ok := s.c.(*redis.Client); ok {
		return c.Options().Addr
	}
	return "Redis"
}

// memoryPolicy reads the policy of the server behind c.
func memoryPolicy(ctx context.Context, c redis.Cmdable, server string) MemoryPolicy {
	p := MemoryPolicy{Server: server}
	cfg, cfgErr := c.ConfigGet(ctx, "maxmemory-policy").Result()
	if v := cfg["maxmemory-policy"]; cfgErr == nil && v != "" {
		p.Policy, p.Source = v, "CONFIG GET"
		return p
	}
	if cfgErr == nil {
		cfgErr = errors.New("no maxmemory-policy in the answer")
	}
	info, infoErr := c.Info(ctx, "memory").Result()
	if infoErr == nil {
		for _, line := range strings.Split(info, "\n") {
			if v, ok := strings.CutPrefix(strings.TrimSpace(line), "maxmemory_policy:"); ok && v != "" {
				p.Policy, p.Source = v, "INFO memory"
				return p
			}
		}
		infoErr = errors.New("no maxmemory_policy line")
	}
	p.Err = fmt.Errorf("CONFIG GET maxmemory-policy: %v; INFO memory: %v", cfgErr, infoErr)
	return p
}
