package app

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/dinhdanh/dinhdanh/store/redisstore"
)

// evictionCheck judges Redis's maxmemory-policy: Redis must not evict
// dinhdanh's keys before they expire (brute-force locks and counters, PKCE
// records, the marks of used codes), so any policy but noeviction, or one
// that cannot be read, is refused unless redis.allow_eviction acknowledges
// the risk. A node checks at start (OpenEphemeral) and on /health/ready.
type evictionCheck struct {
	store *redisstore.Store
	allow bool // redis.allow_eviction

	mu      sync.Mutex
	last    time.Time
	verdict evictionVerdict
}

// evictionVerdict is the outcome of one check.
type evictionVerdict struct {
	// policy is the policy of every server when they agree, else each
	// server's ("10.0.0.21:6379: noeviction, 10.0.0.22:6379: allkeys-lru").
	policy string
	// evicting lists the servers that may evict (or whose policy is unknown).
	evicting []string
	// err is set when the policies could not be listed at all.
	err error
}

// refused reports whether the verdict stops the node: an evicting or
// unknown policy without the acknowledgement, or no answer at all.
func (v evictionVerdict) refused(allow bool) bool {
	return v.err != nil || len(v.evicting) > 0 && !allow
}

// judge reads the policies of every server that holds the keys.
func (e *evictionCheck) judge(ctx context.Context) evictionVerdict {
	ps, err := e.store.MemoryPolicies(ctx)
	if err != nil {
		return evictionVerdict{err: err}
	}
	var v evictionVerdict
	all := make([]string, 0, len(ps))
	same := true
	for _, p := range ps {
		all = append(all, p.String())
		if p.Evicts() {
			v.evicting = append(v.evicting, p.String())
		}
		same = same && p.Err == nil && p.Policy == ps[0].Policy
	}
	if same && len(ps) > 0 {
		v.policy = ps[0].Policy
	} else {
		v.policy = strings.Join(all, ", ")
	}
	return v
}

// startError is the error that refuses a start on the verdict, or nil.
func (e *evictionCheck) startError(v evictionVerdict) error {
	if v.err != nil {
		return fmt.Errorf("redis: reading maxmemory-policy: %w", v.err)
	}
	if !v.refused(e.allow) {
		return nil
	}
	return fmt.Errorf("redis: Redis may evict dinhdanh's keys (maxmemory-policy %s): a full Redis would silently drop "+
		"brute-force locks, PKCE records and the marks of used codes. Run Redis with maxmemory-policy noeviction "+
		"(in redis.conf, or CONFIG SET maxmemory-policy noeviction), or accept the risk with redis.allow_eviction: true "+
		"(DINHDANH_REDIS_ALLOW_EVICTION=true)", strings.Join(v.evicting, ", "))
}

// atStart checks the policy when the node opens Redis: an error refuses the
// start; an evicting policy that redis.allow_eviction accepts is logged as a
// warning.
func (e *evictionCheck) atStart(ctx context.Context, log *slog.Logger) error {
	v := e.judge(ctx)
	if err := e.startError(v); err != nil {
		return err
	}
	if len(v.evicting) > 0 && log != nil {
		log.Warn("Redis may evict dinhdanh's keys: brute-force locks, PKCE records and used-code marks can vanish "+
			"when it is full; serving because redis.allow_eviction is true. Set maxmemory-policy noeviction.",
			"maxmemory_policy", strings.Join(v.evicting, ", "))
	}
	e.remember(v)
	return nil
}

func (e *evictionCheck) remember(v evictionVerdict) {
	e.mu.Lock()
	e.verdict, e.last = v, time.Now()
	e.mu.Unlock()
}

// ready returns the verdict for /health/ready, read again when the last
// one is older than fresh.
func (e *evictionCheck) ready(ctx context.Context, fresh time.Duration, log *slog.Logger) evictionVerdict {
	e.mu.Lock()
	v, last := e.verdict, e.last
	e.mu.Unlock()
	if !last.IsZero() && time.Since(last) < fresh {
		return v
	}
	nv := e.judge(ctx)
	if nv.refused(e.allow) && !v.refused(e.allow) && log != nil {
		log.Error("Redis may now evict dinhdanh's keys: reporting not-ready until maxmemory-policy is noeviction",
			"maxmemory_policy", nv.policy, "err", nv.err)
	}
	e.remember(nv)
	return nv
}

// report adds the verdict to the body of /health/ready and says whether
// the node is ready as far as eviction goes.
func (e *evictionCheck) report(v evictionVerdict, body map[string]string) bool {
	switch {
	case v.err != nil:
		body["redis_maxmemory_policy"] = "unknown"
		body["redis_eviction"] = "refused: the policy cannot be read"
		return false
	case len(v.evicting) == 0:
		body["redis_maxmemory_policy"] = v.policy
		return true
	case e.allow:
		body["redis_maxmemory_policy"] = v.policy
		body["redis_eviction"] = "allowed by redis.allow_eviction: keys may be evicted"
		return true
	default:
		body["redis_maxmemory_policy"] = v.policy
		body["redis_eviction"] = "refused: set maxmemory-policy noeviction"
		return false
	}
}
