package directory

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/dinhdanh/dinhdanh/config"
	"github.com/dinhdanh/dinhdanh/server/authn"
	"github.com/dinhdanh/dinhdanh/server/identity"
	"github.com/dinhdanh/dinhdanh/test/ldaptest"
)

// clock is a settable clock, safe for concurrent logins.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

// loginResult is one Authenticate call and how long it took.
type loginResult struct {
	handled, ok bool
	err         error
	took        time.Duration
}

// concurrently runs n logins of input released together by a start barrier.
func (f *fixture) concurrently(t *testing.T, n int, input, password string) []loginResult {
	t.Helper()
	out := make([]loginResult, n)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			t0 := time.Now()
			_, handled, ok, err := f.set.Authenticate(ctx, input, password)
			out[i] = loginResult{handled, ok, err, time.Since(t0)}
		}()
	}
	close(start)
	wg.Wait()
	return out
}

// timedLogin is f.login with the time it took.
func (f *fixture) timedLogin(t *testing.T, input, password string) (loginResult, *identity.Account) {
	t.Helper()
	t0 := time.Now()
	acct, handled, ok, err := f.login(t, input, password)
	return loginResult{handled, ok, err, time.Since(t0)}, acct
}

// waitClosed waits until the stalled server holds no connection: every
// connection a failed request opened was closed.
func waitClosed(t *testing.T, s *ldaptest.Stalled) {
	t.Helper()
	deadline := time.Now().Add(3 * time.Second)
	for s.Open() > 0 {
		if time.Now().After(deadline) {
			t.Fatalf("%d connections to the stalled server are still open", s.Open())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestStalledDirectory configures a directory whose only server accepts
// connections and never answers (first in order, the worst place), next to
// a working one, with the timeouts at 5 seconds.
func TestStalledDirectory(t *testing.T) {
	srv := slapd(t)
	stalled := ldaptest.Stall(t)
	slow := openLDAP(srv, "login")
	slow.Name, slow.Agency, slow.Domains, slow.URLs = "so-xay-dung", "Sở Xây dựng", []string{"SXD"}, []string{stalled.URL}
	slow.ConnectTimeout, slow.Timeout = config.Duration(5*time.Second), config.Duration(5*time.Second)
	slow.Breaker = config.DirectoryBreaker{Failures: 3, CoolDown: config.Duration(30 * time.Second)}
	live := openLDAP(srv, "login")
	clk := &clock{now: time.Date(2025, 3, 1, 8, 0, 0, 0, time.UTC)}
	f := newFixture(t, Options{Now: clk.Now}, slow, live)
	d := f.set.Directory("so-xay-dung")

	citizen := &identity.Account{ID: identity.NewSubject(), FullName: "Phạm Thị Dân", Locale: "vi",
		Email: "dan.pt@example.vn", Phone: "+84901234567", PersonalID: "001190012345"}
	if err := f.db.CreateAccount(t.Context(), citizen, ""); err != nil {
		t.Fatal(err)
	}
	localOfficial := &identity.Account{ID: identity.NewSubject(), FullName: "Lê Văn Cục Bộ", Locale: "vi",
		Email: "cucbo.lv@ubnd.tinh.gov.vn", Official: &identity.Official{Username: "cucbo.lv", Agency: "UBND"}}
	if err := f.db.CreateAccount(t.Context(), localOfficial, ""); err != nil {
		t.Fatal(err)
	}

	t.Run("LocalIdentifiersAskNoDirectory", func(t *testing.T) {
		for _, input := range []string{"dan.pt@example.vn", "DAN.PT@Example.VN", "0901234567", "+84 901 234 567",
			"001190012345", "cucbo.lv@ubnd.tinh.gov.vn"} {
			r, _ := f.timedLogin(t, input, "mật khẩu của dân")
			if r.handled || r.ok || r.err != nil || r.took > time.Second {
				t.Errorf("Authenticate(%q) with a stalled directory = handled %v, ok %v, err %v in %s; want left to the local check at once",
					input, r.handled, r.ok, r.err, r.took)
			}
		}
		if n := stalled.Accepted(); n != 0 {
			t.Fatalf("local identifiers opened %d connections to the stalled directory", n)
		}
		// Twenty citizens at once: none waits.
		for i, r := range f.concurrently(t, 20, "dan.pt@example.vn", "x") {
			if r.handled || r.err != nil || r.took > time.Second {
				t.Errorf("concurrent citizen %d = handled %v, err %v in %s", i, r.handled, r.err, r.took)
			}
		}
		if n := stalled.Accepted(); n != 0 {
			t.Fatalf("concurrent citizens opened %d connections to the stalled directory", n)
		}
		if st := d.Breaker(); st.State != BreakerClosed || st.Failures != 0 {
			t.Fatalf("breaker %+v after local logins, want closed without failures", st)
		}
	})

	t.Run("BreakerOpensWithoutPileUp", func(t *testing.T) {
		// Twenty logins that need the stalled directory, released together:
		// they wait for it side by side (one connect timeout), not in turn.
		t0 := time.Now()
		results := f.concurrently(t, 20, `SXD\admin.tinh`, "quản-trị-bí-mật")
		took := time.Since(t0)
		for i, r := range results {
			if !r.handled || r.ok || !errors.Is(r.err, authn.ErrUnavailable) {
				t.Errorf("login %d through the stalled directory = handled %v, ok %v, err %v; want ErrUnavailable", i, r.handled, r.ok, r.err)
			}
		}
		if took > 8*time.Second {
			t.Fatalf("20 concurrent logins took %s with a 5s connect timeout: they piled up", took)
		}
		st := d.Breaker()
		if st.State != BreakerOpen || st.Opened != 1 || !st.OpenUntil.Equal(clk.Now().Add(30*time.Second)) {
			t.Fatalf("breaker %+v after 20 failures, want open for the cool-down", st)
		}
		waitClosed(t, stalled)
	})

	t.Run("OpenBreakerFailsFast", func(t *testing.T) {
		accepted := stalled.Accepted()
		// The stalled directory's own people: its outage at once.
		for i, r := range f.concurrently(t, 20, `SXD\admin.tinh`, "quản-trị-bí-mật") {
			if !errors.Is(r.err, authn.ErrUnavailable) || !errors.Is(r.err, ErrBreakerOpen) || r.took > time.Second {
				t.Errorf("login %d with the breaker open = err %v in %s; want ErrBreakerOpen at once", i, r.err, r.took)
			}
		}
		// A bare username: the stalled directory is skipped, the working one answers.
		r, acct := f.timedLogin(t, "admin.tinh", "quản-trị-bí-mật")
		if !r.ok || r.err != nil || r.took > time.Second || acct.Official.Directory != "so-noi-vu" {
			t.Fatalf("official of the working directory = ok %v, err %v in %s", r.ok, r.err, r.took)
		}
		// A local official's username: left to the local check at once.
		if r, _ := f.timedLogin(t, "cucbo.lv", "x"); r.handled || r.err != nil || r.took > time.Second {
			t.Fatalf("local official with the breaker open = handled %v, err %v in %s", r.handled, r.err, r.took)
		}
		// Someone who may be in the stalled directory only: its outage, at once.
		if r, _ := f.timedLogin(t, "nguoi.la", "x"); !errors.Is(r.err, authn.ErrUnavailable) || r.took > time.Second {
			t.Fatalf("unknown user with the breaker open = err %v in %s; want ErrUnavailable at once", r.err, r.took)
		}
		if n := stalled.Accepted(); n != accepted {
			t.Fatalf("the open breaker let %d connections through", n-accepted)
		}
		if st := d.Breaker(); st.State != BreakerOpen || st.Refused < 22 {
			t.Fatalf("breaker %+v, want open with the refusals counted", st)
		}
	})

	t.Run("HalfOpenLetsOneProbeThrough", func(t *testing.T) {
		clk.Add(31 * time.Second)
		if st := d.Breaker(); st.State != BreakerHalfOpen {
			t.Fatalf("breaker %+v after the cool-down, want half-open", st)
		}
		accepted := stalled.Accepted()
		results := f.concurrently(t, 20, `SXD\admin.tinh`, "quản-trị-bí-mật")
		slow := 0
		for i, r := range results {
			if !errors.Is(r.err, authn.ErrUnavailable) {
				t.Errorf("login %d while half-open = %v; want ErrUnavailable", i, r.err)
			}
			if r.took > time.Second {
				slow++
			}
		}
		if slow != 1 || stalled.Accepted() != accepted+1 {
			t.Fatalf("%d logins waited and %d connections were opened while half-open; want one probe",
				slow, stalled.Accepted()-accepted)
		}
		if st := d.Breaker(); st.State != BreakerOpen || st.Opened != 2 {
			t.Fatalf("breaker %+v after the failed probe, want open again", st)
		}
		waitClosed(t, stalled)
	})

	t.Run("RecoveryClosesTheBreaker", func(t *testing.T) {
		stalled.Forward(srv.URL) // the server works again, at the same address
		clk.Add(31 * time.Second)
		r, acct := f.timedLogin(t, `SXD\admin.tinh`, "quản-trị-bí-mật")
		if !r.ok || r.err != nil || r.took > 2*time.Second || acct.Official.Directory != "so-xay-dung" {
			t.Fatalf("login after recovery = ok %v, err %v in %s", r.ok, r.err, r.took)
		}
		if st := d.Breaker(); st.State != BreakerClosed || st.Failures != 0 || !st.OpenUntil.IsZero() {
			t.Fatalf("breaker %+v after a successful probe, want closed", st)
		}
	})
}

// TestBreakerCounts checks the breaker's arithmetic: consecutive failures
// only, a cancelled request counts for nothing, one probe at a time.
func TestBreakerCounts(t *testing.T) {
	clk := &clock{now: time.Date(2025, 3, 1, 8, 0, 0, 0, time.UTC)}
	b := newBreaker(config.DirectoryBreaker{Failures: 3, CoolDown: config.Duration(time.Minute)}, clk.Now, nil)
	b.onChange = nil
	fail := func() {
		probe, err := b.allow()
		if err != nil {
			t.Fatalf("allow: %v", err)
		}
		b.done(probe, true, false)
	}
	fail()
	fail()
	b.done(false, false, false) // an answer resets the count
	fail()
	fail()
	b.done(false, false, true) // abandoned: no outcome
	if st := b.snapshot(); st.State != BreakerClosed || st.Failures != 2 {
		t.Fatalf("after 2 failures, a success, 2 failures and a cancellation: %+v", st)
	}
	fail()
	if _, err := b.allow(); !errors.Is(err, ErrBreakerOpen) || !errors.Is(err, ErrUnreachable) {
		t.Fatalf("allow on an open breaker = %v", err)
	}
	clk.Add(time.Minute)
	probe, err := b.allow()
	if !probe || err != nil {
		t.Fatalf("first allow after the cool-down = probe %v, %v", probe, err)
	}
	if _, err := b.allow(); !errors.Is(err, ErrBreakerOpen) {
		t.Fatalf("second allow while the probe runs = %v", err)
	}
	b.done(true, false, true) // the probe's caller went away: the next request probes
	if probe, err := b.allow(); !probe || err != nil {
		t.Fatalf("allow after an abandoned probe = probe %v, %v", probe, err)
	}
	b.done(true, false, false)
	if st := b.snapshot(); st.State != BreakerClosed || st.Opened != 1 || st.Refused != 2 {
		t.Fatalf("after a successful probe: %+v", st)
	}
}
