package session_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dinhdanh/dinhdanh/server/audit"
	"github.com/dinhdanh/dinhdanh/server/session"
	"github.com/dinhdanh/dinhdanh/store"
	"github.com/dinhdanh/dinhdanh/store/conformance"
)

// pausedStore is the ephemeral store with a hook that runs once, right
// after the next read of an SSO session: what another request does between
// a read and the write that follows it.
type pausedStore struct {
	store.Ephemeral
	once  sync.Once
	after func()
}

func (p *pausedStore) GetRecord(ctx context.Context, kind store.RecordKind, key string) (*store.Record, error) {
	r, err := p.Ephemeral.GetRecord(ctx, kind, key)
	if kind == store.KindSSOSession {
		p.once.Do(p.after)
	}
	return r, err
}

// TestConcurrentAuthorizationsLoseNoClient adds eight clients to one
// session at once, each from the session as its request read it (as eight
// parallel prompt=none authorizations do): the session and its durable
// trace keep all eight, and the logout tells all eight.
func TestConcurrentAuthorizationsLoseNoClient(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	a := newRP(t)
	var ids []string
	for i := range 8 {
		id := fmt.Sprintf("rp%d", i)
		f.client(t, id, a.srv.URL+"/bc/"+id, "")
		ids = append(ids, id)
	}
	for round := range conformance.Repeats {
		s := f.login(t, fmt.Sprintf("sub-%d", round))
		errs := conformance.Concurrently(len(ids), func(i int) error {
			read, err := f.m.Lookup(ctx, s.ID)
			if err != nil {
				return err
			}
			return f.m.AddClient(ctx, read, ids[i])
		})
		for _, err := range errs {
			if err != nil {
				t.Fatal(err)
			}
		}
		got, err := f.m.Lookup(ctx, s.ID)
		if err != nil {
			t.Fatal(err)
		}
		if c := slices.Sorted(slices.Values(got.Clients)); !slices.Equal(c, ids) {
			t.Fatalf("round %d: the session records the clients %v, want all of %v", round, c, ids)
		}
		refs, err := f.db.SessionRefsOfSubject(ctx, s.AccountID)
		if err != nil || len(refs) != 1 {
			t.Fatalf("references %v, %v", refs, err)
		}
		if c := slices.Sorted(slices.Values(refs[0].Clients)); !slices.Equal(c, ids) {
			t.Fatalf("round %d: the durable trace records the clients %v, want all of %v", round, c, ids)
		}
		if err := f.lo.End(ctx, s, session.ReasonLogout, ""); err != nil {
			t.Fatal(err)
		}
		for {
			n, err := f.lo.Deliver(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if n == 0 {
				break
			}
		}
		if got := len(a.received()); got != 8*(round+1) {
			t.Fatalf("round %d: %d logout tokens received in all, want %d", round, got, 8*(round+1))
		}
	}
}

// TestTouchNeverRevivesAnEndedSession ends the session between the read
// and the write of a page request's touch, and of an authorization's
// AddClient: neither brings it back.
func TestTouchNeverRevivesAnEndedSession(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	a := newRP(t)
	f.client(t, "dvc", a.srv.URL+"/bc", "")
	f.client(t, "qlvb", a.srv.URL+"/bc", "")

	s, cookie := f.loginWithCookie(t, "sub-1", "dvc")
	f.clock.t = f.clock.t.Add(5 * time.Minute) // past the touch interval: the next use is written
	paused := &pausedStore{Ephemeral: f.db}
	paused.after = func() {
		if err := f.lo.End(ctx, s, session.ReasonLogout, ""); err != nil {
			t.Error(err)
		}
	}
	racing := *f.m
	racing.Store = paused
	if got, err := racing.Get(ctx, withCookie(cookie)); !errors.Is(err, session.ErrNoSession) {
		t.Errorf("a page request racing the logout got the session %v, %v; want ErrNoSession", got, err)
	}
	if _, err := f.m.Get(ctx, withCookie(cookie)); !errors.Is(err, session.ErrNoSession) {
		t.Fatalf("the ended session is alive again for its cookie: %v", err)
	}

	s2 := f.login(t, "sub-2", "dvc")
	paused = &pausedStore{Ephemeral: f.db}
	paused.after = func() {
		if err := f.lo.End(ctx, s2, session.ReasonLogout, ""); err != nil {
			t.Error(err)
		}
	}
	racing.Store = paused
	if err := racing.AddClient(ctx, s2, "qlvb"); !errors.Is(err, session.ErrNoSession) {
		t.Errorf("AddClient racing the logout = %v, want ErrNoSession", err)
	}
	if _, err := f.m.Lookup(ctx, s2.ID); !errors.Is(err, session.ErrNoSession) {
		t.Fatalf("AddClient revived the ended session: %v", err)
	}
	if refs, _ := f.db.SessionRefsOfSubject(ctx, "sub-2"); len(refs) != 0 {
		t.Fatalf("AddClient brought the ended session's trace back: %+v", refs)
	}
}

// TestHangingClientDelaysNoOther: one application's back-channel endpoint
// never answers; another application's notification of the same batch
// arrives at once.
func TestHangingClientDelaysNoOther(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	release := make(chan struct{})
	hang := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	t.Cleanup(hang.Close)
	t.Cleanup(func() { close(release) })
	quick := newRP(t)
	f.client(t, "hang-1", hang.URL+"/bc/1", "")
	f.client(t, "hang-2", hang.URL+"/bc/2", "")
	f.client(t, "dvc", quick.srv.URL+"/bc", "")
	// The hanging application comes first in the queue.
	s := f.login(t, "sub-1", "hang-1", "hang-2", "dvc")
	if err := f.lo.End(ctx, s, session.ReasonLogout, ""); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		_, _ = f.lo.Deliver(ctx)
	}()
	start := time.Now()
	for len(quick.received()) == 0 {
		if time.Since(start) > time.Second {
			t.Fatalf("after %s the other application has no notification: a hanging one holds it back", time.Since(start))
		}
		time.Sleep(5 * time.Millisecond)
	}
	f.verify(t, quick.received()[0], "dvc", s.ID, "sub-1")
	release <- struct{}{}
	release <- struct{}{}
	<-done
}

// slowRP answers every notification after a delay longer than the
// workers' lease, and counts the tokens it received by jti.
type slowRP struct {
	mu    sync.Mutex
	jtis  map[string]int
	delay time.Duration
	srv   *httptest.Server
}

// jtiOf returns the jti of a compact JWS, or "" (counted as a bad token).
func jtiOf(raw string) string {
	parts := strings.Split(raw, ".")
	if len(parts) != 3 {
		return ""
	}
	data, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return ""
	}
	var c struct {
		JTI string `json:"jti"`
	}
	_ = json.Unmarshal(data, &c)
	return c.JTI
}

func newSlowRP(t *testing.T, delay time.Duration) *slowRP {
	r := &slowRP{jtis: map[string]int{}, delay: delay}
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		v, _ := url.ParseQuery(string(body))
		time.Sleep(r.delay)
		r.mu.Lock()
		r.jtis[jtiOf(v.Get("logout_token"))]++
		r.mu.Unlock()
	}))
	t.Cleanup(r.srv.Close)
	return r
}

// TestTwoWorkersSendEachNoticeOnce races two nodes' workers on one queue
// whose batches outlive their lease: each notification is sent once.
func TestTwoWorkersSendEachNoticeOnce(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	// The lease is short for a test, yet long enough that a renewal every
	// third of it is not missed on a busy machine; each notification takes
	// longer than the lease, so the batch outlives it several times.
	const lease = 600 * time.Millisecond
	slow := newSlowRP(t, 3*lease/2)
	for i := range 6 {
		f.client(t, fmt.Sprintf("rp%d", i), slow.srv.URL+fmt.Sprintf("/bc/%d", i), "")
	}
	for i := range 2 {
		s := f.login(t, fmt.Sprintf("sub-%d", i), "rp0", "rp1", "rp2", "rp3", "rp4", "rp5")
		if err := f.lo.End(ctx, s, session.ReasonLogout, ""); err != nil {
			t.Fatal(err)
		}
	}
	worker := func() *session.Logout {
		// Real time: leases run out while the batch is being sent.
		return session.NewLogout(session.Logout{Sessions: f.m, Store: f.db, Signer: f.lo.Signer, Issuer: f.issuer,
			HTTP: &http.Client{Timeout: 5 * time.Second}, Log: f.lo.Log, PerHost: 4, Lease: lease}, audit.NewRecorder(f.db, f.lo.Log))
	}
	nodes := []*session.Logout{worker(), worker()}
	deadline := time.Now().Add(20 * time.Second)
	errs := conformance.Concurrently(len(nodes), func(i int) error {
		for time.Now().Before(deadline) {
			if _, err := nodes[i].Deliver(ctx); err != nil {
				return err
			}
			counts, err := f.db.CountLogouts(ctx)
			if err != nil {
				return err
			}
			if counts[store.DeliveryPending] == 0 {
				return nil
			}
			time.Sleep(10 * time.Millisecond)
		}
		return errors.New("the queue was not worked off in time")
	})
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	slow.mu.Lock()
	defer slow.mu.Unlock()
	if len(slow.jtis) != 12 {
		t.Errorf("%d distinct notifications received, want 12", len(slow.jtis))
	}
	for jti, n := range slow.jtis {
		if n != 1 {
			t.Errorf("notification %s was sent %d times", jti, n)
		}
	}
	counts, _ := f.db.CountLogouts(ctx)
	if counts[store.DeliveryDelivered] != 12 {
		t.Errorf("queue after the race: %v, want 12 delivered", counts)
	}
}

// TestTwoSweepersQueueEachSessionOnce: two nodes sweep the same expired
// sessions at once; each session's notifications are queued once.
func TestTwoSweepersQueueEachSessionOnce(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	a := newRP(t)
	f.client(t, "dvc", a.srv.URL+"/bc", "")
	f.client(t, "qlvb", a.srv.URL+"/bc", "")
	for i := range 20 {
		f.login(t, fmt.Sprintf("sub-%d", i), "dvc", "qlvb")
	}
	f.clock.t = f.clock.t.Add(2 * time.Hour)
	other := session.NewLogout(session.Logout{Sessions: f.m, Store: f.db, Signer: f.lo.Signer, Issuer: f.issuer,
		Log: f.lo.Log, Now: f.clock.now}, audit.NewRecorder(f.db, f.lo.Log))
	nodes := []*session.Logout{f.lo, other}
	errs := conformance.Concurrently(len(nodes), func(i int) error {
		_, err := nodes[i].Sweep(ctx)
		return err
	})
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	counts, err := f.db.CountLogouts(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if counts[store.DeliveryPending] != 40 {
		t.Fatalf("two sweeps of 20 expired sessions of two clients queued %d notifications, want 40", counts[store.DeliveryPending])
	}
	ends, err := f.db.ListAudit(ctx, "", 200)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, e := range ends {
		if e.Type == string(audit.SessionEnd) {
			n++
		}
	}
	if n != 20 {
		t.Errorf("%d session ends audited, want 20", n)
	}
}
