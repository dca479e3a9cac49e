package authn_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/dinhdanh/dinhdanh/server/authn"
	"github.com/dinhdanh/dinhdanh/store/redisstore"
	"github.com/dinhdanh/dinhdanh/store/sqlstore"
	"github.com/dinhdanh/dinhdanh/test/services"
)

func TestMain(m *testing.M) { os.Exit(services.Run(m)) }

// raceBackends open the counters of every ephemeral backend, as one or two
// nodes see them: the tries of a burst alternate between the nodes.
var raceBackends = []struct {
	name string
	open func(t *testing.T) []authn.Counters
}{
	{"SQLite", func(t *testing.T) []authn.Counters {
		db, err := sqlstore.OpenSQLite(t.Context(), filepath.Join(t.TempDir(), "g.db"), 4)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		if _, err := db.Migrate(t.Context()); err != nil {
			t.Fatal(err)
		}
		return []authn.Counters{db}
	}},
	{"PostgresTwoNodes", func(t *testing.T) []authn.Counters {
		url := services.Postgres(t)
		var nodes []authn.Counters
		for i := range 2 {
			db, err := sqlstore.OpenPostgres(t.Context(), url, 8)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { db.Close() })
			if i == 0 {
				if _, err := db.Migrate(t.Context()); err != nil {
					t.Fatal(err)
				}
			}
			nodes = append(nodes, db)
		}
		return nodes
	}},
	{"RedisTwoNodes", func(t *testing.T) []authn.Counters {
		return openRedis(t, redisstore.Options{Addrs: []string{services.Redis(t)}})
	}},
	{"RedisClusterTwoNodes", func(t *testing.T) []authn.Counters {
		return openRedis(t, redisstore.Options{Addrs: services.RedisClusterAddrs(t)})
	}},
	{"RedisSentinelTwoNodes", func(t *testing.T) []authn.Counters {
		d := services.RedisSentinelDeployment(t)
		return openRedis(t, redisstore.Options{Addrs: d.SentinelAddrs, MasterName: d.MasterName})
	}},
}

var redisPrefixes atomic.Int64

// openRedis opens two clients on one fresh key prefix.
func openRedis(t *testing.T, o redisstore.Options) []authn.Counters {
	o.KeyPrefix = fmt.Sprintf("guard%d-%d:", os.Getpid(), redisPrefixes.Add(1))
	var nodes []authn.Counters
	for range 2 {
		s, err := redisstore.Open(t.Context(), o)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		nodes = append(nodes, s)
	}
	return nodes
}

// burst runs f(0) … f(n-1) in n goroutines released at the same moment.
func burst(n int, f func(i int)) {
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			<-start
			f(i)
		})
	}
	close(start)
	wg.Wait()
}

// outcome tallies how the tries of a burst ended.
type outcome struct {
	mu                          sync.Mutex
	admitted, failed, succeeded int
	refused, released           int
	delays                      []time.Duration // of the admitted tries
	errs                        []error
}

func (o *outcome) add(f func(o *outcome)) {
	o.mu.Lock()
	defer o.mu.Unlock()
	f(o)
}

func (o *outcome) check(t *testing.T) {
	t.Helper()
	for _, err := range o.errs {
		t.Errorf("error in the burst: %v", err)
	}
	if o.admitted+o.refused != tries {
		t.Fatalf("%d admitted + %d refused, want %d tries", o.admitted, o.refused, tries)
	}
}

// tries is the number of parallel tries of a burst.
const tries = 40

// rounds is how many bursts each race runs, each on fresh keys.
const rounds = 3

// try runs one try: Attempt, then settle as settle says ("fail", "succeed"
// or "release"), recording the outcome.
func try(ctx context.Context, g *authn.Guard, o *outcome, subject, addr, settle string) {
	tr, err := g.Attempt(ctx, subject, addr)
	if err != nil {
		o.add(func(o *outcome) { o.errs = append(o.errs, err) })
		return
	}
	if tr.Locked {
		o.add(func(o *outcome) { o.refused++ })
		return
	}
	o.add(func(o *outcome) { o.admitted++; o.delays = append(o.delays, tr.Delay) })
	// Verification takes a moment, as a password hash does.
	time.Sleep(time.Millisecond)
	switch settle {
	case "succeed":
		err = tr.Succeed(ctx)
		o.add(func(o *outcome) { o.succeeded++ })
	case "release":
		err = tr.Release(ctx)
		o.add(func(o *outcome) { o.released++ })
	default:
		_, err = tr.Fail(ctx)
		o.add(func(o *outcome) { o.failed++ })
	}
	if err != nil {
		o.add(func(o *outcome) { o.errs = append(o.errs, err) })
	}
}

// TestGuardRace runs bursts of parallel tries against every backend and
// checks that no more than the limit of them reaches the credential.
func TestGuardRace(t *testing.T) {
	policy := func(account, address int) authn.GuardPolicy {
		return authn.GuardPolicy{AccountMaxFailures: account, AddressMaxFailures: address,
			Window: time.Hour, LockDuration: time.Hour}
	}
	for _, b := range raceBackends {
		t.Run(b.name, func(t *testing.T) {
			nodes := b.open(t)
			guards := func(p authn.GuardPolicy) []*authn.Guard {
				var gs []*authn.Guard
				for _, c := range nodes {
					gs = append(gs, &authn.Guard{Counters: c, Policy: p})
				}
				return gs
			}
			ctx := t.Context()

			t.Run("SubjectBurst", func(t *testing.T) {
				// 40 wrong passwords for one account at once, limit 5.
				gs := guards(policy(5, 1000))
				for round := range rounds {
					acct, addr := authn.AccountKey(fmt.Sprintf("sb-%d", round)), authn.AddressKey(fmt.Sprintf("192.0.2.%d", round))
					var o outcome
					burst(tries, func(i int) { try(ctx, gs[i%len(gs)], &o, acct, addr, "fail") })
					o.check(t)
					if o.admitted < 1 || o.admitted > 5 {
						t.Fatalf("round %d: %d of %d parallel tries reached the credential, want 1 to 5", round, o.admitted, tries)
					}
					n, locked, err := gs[0].Status(ctx, acct)
					if err != nil {
						t.Fatal(err)
					}
					if !locked || n != 0 {
						t.Fatalf("round %d: after the burst Status = %d, %v; want 0 failures, locked", round, n, locked)
					}
					// The right password is refused during the lock too.
					if tr, err := gs[1%len(gs)].Attempt(ctx, acct, addr); err != nil || !tr.Locked {
						t.Fatalf("round %d: a try during the lock: %+v, %v", round, tr, err)
					}
					// The address kept exactly the failures verified.
					if n, locked, err := gs[0].Status(ctx, addr); err != nil || locked || n != int64(o.failed) {
						t.Fatalf("round %d: address Status = %d, %v, %v; want %d failures, not locked", round, n, locked, err, o.failed)
					}
				}
			})

			t.Run("AddressBurst", func(t *testing.T) {
				// 40 accounts sprayed from one address at once, address limit
				// 8: none is refused, but every try beyond the 8th waits, the
				// later ones longer, as the tries in flight are counted.
				p := policy(1000, 8)
				p.BaseDelay, p.MaxDelay = time.Millisecond, 8*time.Millisecond
				gs := guards(p)
				for round := range rounds {
					addr := authn.AddressKey(fmt.Sprintf("198.51.100.%d", round))
					var o outcome
					burst(tries, func(i int) {
						try(ctx, gs[i%len(gs)], &o, authn.AccountKey(fmt.Sprintf("ab-%d-%d", round, i)), addr, "fail")
					})
					o.check(t)
					if o.admitted != tries {
						t.Fatalf("round %d: %d of %d parallel tries from one address were verified, want all", round, o.admitted, tries)
					}
					waits := map[time.Duration]int{}
					for _, d := range o.delays {
						waits[d]++
					}
					want := map[time.Duration]int{0: 8, time.Millisecond: 1, 2 * time.Millisecond: 1, 4 * time.Millisecond: 1,
						8 * time.Millisecond: tries - 11}
					if fmt.Sprint(waits) != fmt.Sprint(want) {
						t.Fatalf("round %d: delays of the burst %v, want %v", round, waits, want)
					}
					if n, locked, err := gs[0].Status(ctx, addr); err != nil || locked || n != tries {
						t.Fatalf("round %d: address Status = %d, %v, %v; want %d failures, not locked", round, n, locked, err, tries)
					}
					fresh := authn.AccountKey(fmt.Sprintf("ab-%d-fresh", round))
					tr, err := gs[0].Attempt(ctx, fresh, addr)
					if err != nil || tr.Locked || tr.Delay != 8*time.Millisecond {
						t.Fatalf("round %d: a fresh account from the address: %+v, %v; want admitted after 8ms", round, tr, err)
					}
					if err := tr.Succeed(ctx); err != nil {
						t.Fatal(err)
					}
				}
			})

			t.Run("AddressSucceedAndFail", func(t *testing.T) {
				// People behind one address: a third have the right password.
				// Nobody is refused; a success gives the address its try
				// back and clears nothing there, so the address counts
				// exactly the wrong passwords, and at most 8 tries plus one
				// per success went without the address's delay.
				p := policy(1000, 8)
				p.BaseDelay, p.MaxDelay = time.Millisecond, 8*time.Millisecond
				gs := guards(p)
				for round := range rounds {
					addr := authn.AddressKey(fmt.Sprintf("203.0.113.%d", round))
					var o outcome
					burst(tries, func(i int) {
						settle := "fail"
						if i%3 == 0 {
							settle = "succeed"
						}
						try(ctx, gs[i%len(gs)], &o, authn.AccountKey(fmt.Sprintf("as-%d-%d", round, i)), addr, settle)
					})
					o.check(t)
					if o.admitted != tries || o.succeeded != (tries+2)/3 {
						t.Fatalf("round %d: %d admitted, %d succeeded; want %d and %d", round, o.admitted, o.succeeded, tries, (tries+2)/3)
					}
					undelayed := 0
					for _, d := range o.delays {
						if d == 0 {
							undelayed++
						}
					}
					if undelayed < 8 || undelayed > 8+o.succeeded {
						t.Fatalf("round %d: %d tries went without delay, want 8 to %d", round, undelayed, 8+o.succeeded)
					}
					n, locked, err := gs[0].Status(ctx, addr)
					if err != nil {
						t.Fatal(err)
					}
					if locked || n != int64(o.failed) {
						t.Fatalf("round %d: address Status = %d, %v; want %d failures, not locked", round, n, locked, o.failed)
					}
				}
			})

			t.Run("SubjectSucceedFailRelease", func(t *testing.T) {
				// One account: some tries have the right password, some hit
				// an outage, the rest are wrong. Whatever the interleaving, the
				// counter ends consistent: locked with nothing counted, or
				// unlocked below the limit, and then exactly the tries left
				// below the limit are let through one by one.
				gs := guards(policy(5, 1000))
				for round := range rounds {
					acct, addr := authn.AccountKey(fmt.Sprintf("sm-%d", round)), authn.AddressKey(fmt.Sprintf("192.0.2.%d", 100+round))
					var o outcome
					burst(tries, func(i int) {
						settle := "fail"
						switch i % 5 {
						case 0:
							settle = "succeed"
						case 1:
							settle = "release"
						}
						try(ctx, gs[i%len(gs)], &o, acct, addr, settle)
					})
					o.check(t)
					n, locked, err := gs[0].Status(ctx, acct)
					if err != nil {
						t.Fatal(err)
					}
					if locked {
						if n != 0 {
							t.Fatalf("round %d: locked with %d failures counted", round, n)
						}
						continue
					}
					if n < 0 || n >= 5 {
						t.Fatalf("round %d: unlocked with %d failures counted, want 0 to 4", round, n)
					}
					for k := n + 1; k <= 5; k++ {
						tr, err := gs[int(k)%len(gs)].Attempt(ctx, acct, addr)
						if err != nil || tr.Locked {
							t.Fatalf("round %d: try %d after the burst (%d failures) refused: %v", round, k, n, err)
						}
						if locked, err := tr.Fail(ctx); err != nil || locked != (k == 5) {
							t.Fatalf("round %d: try %d after the burst: Fail = %v, %v", round, k, locked, err)
						}
					}
					if tr, err := gs[0].Attempt(ctx, acct, addr); err != nil || !tr.Locked {
						t.Fatalf("round %d: not locked after the limit: %+v, %v", round, tr, err)
					}
				}
			})

			t.Run("FailAndRelease", func(t *testing.T) {
				// Outages give tries back, so more than 5 may be admitted, but
				// never more than 5 wrong passwords verified.
				gs := guards(policy(5, 1000))
				for round := range rounds {
					acct, addr := authn.AccountKey(fmt.Sprintf("fr-%d", round)), authn.AddressKey(fmt.Sprintf("192.0.2.%d", 200+round))
					var o outcome
					burst(tries, func(i int) {
						settle := "fail"
						if i%3 == 0 {
							settle = "release"
						}
						try(ctx, gs[i%len(gs)], &o, acct, addr, settle)
					})
					o.check(t)
					if o.failed > 5 {
						t.Fatalf("round %d: %d wrong passwords verified, limit 5", round, o.failed)
					}
					n, locked, err := gs[0].Status(ctx, acct)
					if err != nil {
						t.Fatal(err)
					}
					switch {
					case o.failed == 5 && !locked:
						t.Fatalf("round %d: 5 failures and no lock", round)
					case !locked && n != int64(o.failed):
						t.Fatalf("round %d: %d failures counted, %d happened", round, n, o.failed)
					case locked && n != 0:
						t.Fatalf("round %d: locked with %d failures counted", round, n)
					}
				}
			})
		})
	}
}
