package faults

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/dinhdanh/dinhdanh/test/harness"
)

// TestNodeKill kills one of three nodes with SIGKILL while applications
// rotate refresh tokens through all three: the other two keep serving
// logins and tokens, the killed node's SSO session continues on them (it
// lives in Redis), a consent given on it is remembered, no acknowledged
// rotation is lost, and the node restarted serves again.
func TestNodeKill(t *testing.T) {
	t.Parallel()
	d := newPostgresRedis(t, 3, false)
	for cycle := cycles(); cycle(); {
		victim := d.nodes[1]
		survivors := []*harness.Server{d.nodes[0], d.nodes[2]}
		live := func() []*harness.Server { return d.nodes }
		w := d.startWriter(t, func() []*harness.Server { return live() })

		// A person signs in and consents to a third party through the victim.
		d.lb.to(victim)
		b := d.browser(t)
		d.signIn(t, b, d.motcua, people[0], victim)

		time.Sleep(300 * time.Millisecond)
		live = func() []*harness.Server { return survivors }
		killed := time.Now()
		victim.Kill(t)

		// The survivors serve at once: a token request on each, the SSO
		// session and the consent on the first.
		for _, n := range survivors {
			if a := refresh(n, d.portal, "not-a-token"); a.status != http.StatusBadRequest || a.str("error") != "invalid_grant" {
				t.Fatalf("a refresh with a bad token at a survivor after the kill: %s, want 400 invalid_grant", a)
			}
		}
		d.lb.to(survivors[0])
		resp, _, state := d.authorize(t, b, d.motcua)
		if resp.Page != nil {
			t.Fatalf("after the kill the SSO session of the killed node's login is gone: page %s (%d)", resp.Page.URL.Path, resp.Page.Status)
		}
		codeOf(t, d.motcua, resp, state)
		served := time.Since(killed)

		time.Sleep(500 * time.Millisecond)
		w.halt()
		// A request in flight to the victim at the kill has no answer; every
		// other answer is a success.
		if n := w.tally.Count(ClassTransport); n > len(people) {
			t.Errorf("%d requests without an answer around the kill, want at most one per chain", n)
		}
		for _, c := range []string{Class4xx, Class5xx, ClassUnavailable} {
			if n := w.tally.Count(c); n > 0 {
				t.Errorf("%d answers of class %s around the kill, the first: %s", n, c, w.tally.Example(c))
			}
		}
		w.verify(t, survivors[1])

		restarted := time.Now()
		victim.Restart(t)
		untilReady(t, victim, "node restart", func() error {
			if a := refresh(victim, d.portal, "not-a-token"); a.str("error") != "invalid_grant" {
				return fmt.Errorf("token endpoint: %s", a)
			}
			return nil
		})
		t.Logf("kill -9 of a node: survivors served within %s; the node restarted and ready within %s",
			served.Round(time.Millisecond), time.Since(restarted).Round(time.Millisecond))
		d.lb.to(d.nodes[0])
	}
}

// redisFault is how Redis goes away.
type redisFault struct {
	name string
	stop func(t *testing.T, d *deployment)
}

var redisFaults = []redisFault{
	{"stop", func(t *testing.T, d *deployment) { d.rds.Stop(t) }},
	{"kill", func(t *testing.T, d *deployment) {
		pid := d.rds.Pid()
		if err := Signal(pid, syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
		if err := WaitGone(pid, 10*time.Second); err != nil {
			t.Fatal(err)
		}
		d.rds.Stop(t) // the server knows it is stopped
	}},
}

// TestRedisOutage stops Redis (SIGTERM) or kills it (SIGKILL) under a node
// and starts it again, empty: meanwhile every request that needs Redis
// answers 503 temporarily_unavailable (a page for people) within a bounded
// time and readiness is red; afterwards the node recovers by itself, SSO
// sessions are lost (people sign in again, as documented), and what is
// durable survives: refresh families, consents, JWT access tokens issued
// before and revocations made before.
func TestRedisOutage(t *testing.T) {
	t.Parallel()
	for _, f := range redisFaults {
		t.Run(f.name, func(t *testing.T) {
			t.Parallel()
			d := newPostgresRedis(t, 1, false)
			n := d.nodes[0]
			for cycle := cycles(); cycle(); {
				b := d.browser(t)
				d.signIn(t, b, d.motcua, people[1], n)
				jwt := d.signIn(t, d.browser(t), d.portal, people[2], n)
				revoked := d.signIn(t, d.browser(t), d.portal, people[0], n)
				if a := call(n, "/oauth2/revoke", d.portal, url.Values{"token": {revoked.refresh}}); a.status != http.StatusOK {
					t.Fatalf("revocation: %s", a)
				}
				w := d.startWriter(t, func() []*harness.Server { return d.nodes })
				time.Sleep(300 * time.Millisecond)

				f.stop(t, d)
				notReady := untilNotReady(t, n, "Redis "+f.name)
				for _, probe := range []struct {
					what string
					a    answer
				}{
					{"client credentials", call(n, "/oauth2/token", d.portal, url.Values{"grant_type": {"client_credentials"}})},
					{"introspection", call(n, "/oauth2/introspect", d.portal, url.Values{"token": {jwt.access}})},
				} {
					a := probe.a
					if a.took > outageAnswer {
						t.Errorf("%s without Redis took %s", probe.what, a.took)
					}
					// Introspection may check a JWT by its signature and the
					// durable revocation list; never "inactive".
					if probe.what == "introspection" && a.status == http.StatusOK && a.body["active"] == true {
						continue
					}
					if probe.what == "client credentials" && a.status == http.StatusBadRequest {
						continue // the portal is not allowed the grant: refused before any store is asked
					}
					if !a.unavailable() {
						t.Errorf("%s without Redis: %s, want 503 temporarily_unavailable", probe.what, a)
					}
				}
				if a := fetch(n, "/oauth2/auth?client_id=cong-dvc", "text/html"); a.status != http.StatusServiceUnavailable || !strings.Contains(a.raw, "<html") {
					t.Errorf("the authorization page without Redis: %s, want the 503 page", a)
				}
				time.Sleep(time.Second)

				d.rds.Start(t)
				took := untilReady(t, n, "Redis back", func() error {
					if a := refresh(n, d.portal, "not-a-token"); a.str("error") != "invalid_grant" {
						return fmt.Errorf("token endpoint: %s", a)
					}
					return nil
				})
				time.Sleep(300 * time.Millisecond)
				w.halt()
				w.noFinalAnswers(t)
				if w.tally.Count(ClassUnavailable) == 0 {
					t.Errorf("no refresh answered 503 while Redis was down (%s)", w.tally.String())
				}
				w.verify(t, n)

				// The SSO session is lost: the login page again; the consent stays.
				resp, _, state := d.authorize(t, b, d.motcua)
				page := resp.MustPage(t, http.StatusOK, "/login")
				resp = b.Submit(t, page.Form(t, "/login"), map[string]string{"identifier": people[1].PersonalID, "password": people[1].Password})
				if resp.Page != nil {
					t.Fatalf("after the Redis loss the consent is asked again (page %s)", resp.Page.URL.Path)
				}
				codeOf(t, d.motcua, resp, state)
				// A JWT access token issued before stays active; a revoked one stays revoked.
				if a := call(n, "/oauth2/introspect", d.portal, url.Values{"token": {jwt.access}}); a.status != http.StatusOK || a.body["active"] != true {
					t.Errorf("a JWT access token issued before the Redis loss introspects as %s, want active", a)
				}
				for _, tok := range []string{revoked.access, revoked.refresh} {
					if a := call(n, "/oauth2/introspect", d.portal, url.Values{"token": {tok}}); a.status != http.StatusOK || a.body["active"] != false {
						t.Errorf("a token revoked before the Redis loss introspects as %s, want inactive", a)
					}
				}
				t.Logf("Redis %s: readiness red within %s, the node serving writes %s after Redis was back",
					f.name, notReady.Round(time.Millisecond), took.Round(time.Millisecond))
			}
		})
	}
}

// pgFault is how PostgreSQL goes away and comes back.
type pgFault struct {
	name        string
	stop, start func(t *testing.T, d *deployment)
}

var pgFaults = []pgFault{
	{"fast-stop", func(t *testing.T, d *deployment) { d.pg.Stop(t) }, func(t *testing.T, d *deployment) { d.pg.Start(t) }},
	{"immediate-stop", func(t *testing.T, d *deployment) {
		pid := d.pg.Pid()
		if err := Signal(pid, syscall.SIGQUIT); err != nil {
			t.Fatal(err)
		}
		if err := WaitGone(pid, 15*time.Second); err != nil {
			t.Fatal(err)
		}
		d.pg.Stop(t)
	}, func(t *testing.T, d *deployment) { d.pg.Start(t) }},
	{"sigstop", func(t *testing.T, d *deployment) {
		if err := Freeze(d.pg.Pid()); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = Thaw(d.pg.Pid()) })

	}, func(t *testing.T, d *deployment) {
		if err := Thaw(d.pg.Pid()); err != nil {
			t.Fatal(err)
		}
	}},
}

// TestPostgresOutage stops PostgreSQL (fast shutdown, immediate shutdown)
// or freezes it (SIGSTOP of every process) under a node: every request that
// needs it answers 503 temporarily_unavailable within the statement timeout
// and a margin, never a final answer (invalid_grant, invalid_client, an
// inactive token); readiness turns red; afterwards the node recovers by
// itself and every acknowledged rotation is there.
func TestPostgresOutage(t *testing.T) {
	t.Parallel()
	for _, f := range pgFaults {
		t.Run(f.name, func(t *testing.T) {
			t.Parallel()
			// An immediate shutdown is a crash for the commits: it keeps
			// what it acknowledged only with production's durability.
			d := newPostgresRedis(t, 1, f.name == "immediate-stop")
			n := d.nodes[0]
			for cycle := cycles(); cycle(); {
				w := d.startWriter(t, func() []*harness.Server { return d.nodes })
				time.Sleep(300 * time.Millisecond)

				f.stop(t, d)
				notReady := untilNotReady(t, n, "PostgreSQL "+f.name)
				for _, probe := range []struct {
					what string
					a    answer
				}{
					{"a refresh", refresh(n, d.portal, "not-a-token")},
					// A client the node has not cached: its record is asked of the database.
					{"a client's authentication", call(n, "/oauth2/token", &harness.Client{ID: "chua-dang-ky", Secret: "wrong"},
						url.Values{"grant_type": {"refresh_token"}, "refresh_token": {"x"}})},
				} {
					if !probe.a.unavailable() || probe.a.took > outageAnswer {
						t.Errorf("%s without PostgreSQL: %s, want 503 temporarily_unavailable within %s", probe.what, probe.a, outageAnswer)
					}
				}
				time.Sleep(time.Second)

				f.start(t, d)
				took := untilReady(t, n, "PostgreSQL back", func() error {
					if a := refresh(n, d.portal, "not-a-token"); a.str("error") != "invalid_grant" {
						return fmt.Errorf("token endpoint: %s", a)
					}
					return nil
				})
				time.Sleep(300 * time.Millisecond)
				w.halt()
				w.noFinalAnswers(t)
				if w.tally.Count(ClassUnavailable) == 0 {
					t.Errorf("no refresh answered 503 while PostgreSQL was away (%s)", w.tally.String())
				}
				w.verify(t, n)
				t.Logf("PostgreSQL %s: readiness red within %s, the node serving writes %s after PostgreSQL was back",
					f.name, notReady.Round(time.Millisecond), took.Round(time.Millisecond))
			}
		})
	}
}

// tmpfs mounts a small tmpfs for the test, or skips it where mounting is
// not permitted (not root, or a container without the capability); under
// CI a refusal fails the test.
func tmpfs(t *testing.T, sizeMiB int) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "tmpfs")
	unmount, err := MountTmpfs(dir, sizeMiB)
	if errors.Is(err, ErrMountRefused) {
		if os.Getenv("CI") != "" {
			t.Fatal(err)
		}
		t.Skipf("a full file system needs a tmpfs: %v", err)
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := unmount(); err != nil {
			t.Error(err)
		}
	})
	return dir
}

// TestSQLiteDiskFull fills the file system of a SQLite node's data
// directory (a 24 MiB tmpfs): writes answer 503 temporarily_unavailable,
// readiness turns red within a bounded time; once space is freed the node
// recovers by itself and every acknowledged rotation is there.
func TestSQLiteDiskFull(t *testing.T) {
	t.Parallel()
	dir := tmpfs(t, 24)
	d := newSQLite(t, dir)
	n := d.nodes[0]
	filler := filepath.Join(dir, "filler")
	for cycle := cycles(); cycle(); {
		w := d.startWriter(t, func() []*harness.Server { return d.nodes })
		time.Sleep(300 * time.Millisecond)

		if _, err := Fill(filler); err != nil {
			t.Fatal(err)
		}
		notReady := untilNotReady(t, n, "disk full")
		// A write: a login's authorization code and tokens.
		tok := answer{}
		for range 3 {
			last, _ := w.ledger.Latest(people[0].PersonalID)
			if tok = refresh(n, d.portal, last); tok.status != http.StatusOK {
				break
			}
		}
		if !tok.unavailable() || tok.took > outageAnswer {
			t.Errorf("a refresh with the disk full: %s, want 503 temporarily_unavailable within %s", tok, outageAnswer)
		}
		time.Sleep(time.Second)

		if err := os.Remove(filler); err != nil {
			t.Fatal(err)
		}
		took := untilReady(t, n, "space freed", nil)
		time.Sleep(300 * time.Millisecond)
		w.halt()
		w.noFinalAnswers(t)
		w.verify(t, n)
		t.Logf("SQLite disk full: readiness red within %s, ready %s after space was freed",
			notReady.Round(time.Millisecond), took.Round(time.Millisecond))
	}
}

// delivery is one back-channel notification as "logout deliveries --json" prints it.
type delivery struct {
	ClientID  string `json:"client_id"`
	SID       string `json:"sid"`
	Reason    string `json:"reason"`
	State     string `json:"state"`
	Attempts  int    `json:"attempts"`
	LastError string `json:"last_error"`
}

// TestStalledBackchannel logs a person out of an application whose
// back-channel logout endpoint accepts connections and never answers: the
// logout is confirmed at once (durable first: the refresh token is dead),
// the notification is queued, tried within a bounded time and kept pending
// for a later retry.
func TestStalledBackchannel(t *testing.T) {
	t.Parallel()
	stalled, err := NewStalled()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { stalled.Close() })
	d := newSQLite(t, t.TempDir())
	d.sessionBound = true // refresh tokens that the logout must end
	n := d.nodes[0]
	rp := n.CreateClient(t, harness.ClientSpec{ID: "van-ban", Name: "Quản lý văn bản", FirstParty: true,
		RedirectURIs: []string{"https://vanban.example.gov.vn/cb"}, Scopes: []string{"openid", "profile", "offline_access"},
		BackchannelLogoutURI: stalled.URL + "/backchannel"})
	for cycle := cycles(); cycle(); {
		b := d.browser(t)
		tok := d.signIn(t, b, rp, people[0], n)

		console := b.Get(t, "/account").MustPage(t, http.StatusOK, "/account")
		start := time.Now()
		resp := b.Submit(t, console.Form(t, "/logout"), nil)
		took := time.Since(start)
		if resp.Page == nil || resp.Page.Status != http.StatusOK || !strings.Contains(resp.Page.Body, "data-logged-out") {
			t.Fatalf("the logout: want the logged-out page:%s", resp)
		}
		if took > 2*time.Second {
			t.Errorf("the logout took %s with a stalled back-channel endpoint, want at most 2s", took)
		}
		if a := refresh(n, rp, tok.refresh); a.status != http.StatusBadRequest || a.str("error") != "invalid_grant" {
			t.Errorf("a refresh after the confirmed logout: %s, want 400 invalid_grant", a)
		}
		// The attempt ends within its deadline (10 s) and stays pending.
		var q struct {
			Deliveries []delivery `json:"deliveries"`
		}
		tried, err := Until(t.Context(), 30*time.Second, 500*time.Millisecond, func(_ context.Context) error {
			out := n.CLI(t, "", "logout", "deliveries", "--json", "--limit", "1000")
			if err := json.Unmarshal([]byte(out), &q); err != nil {
				return err
			}
			for _, dl := range q.Deliveries {
				if dl.ClientID == rp.ID && dl.Attempts >= 1 && dl.LastError != "" {
					return nil
				}
			}
			return fmt.Errorf("no failed attempt yet: %+v", q.Deliveries)
		})
		if err != nil {
			t.Fatalf("the stalled endpoint's notification: %v", err)
		}
		for _, dl := range q.Deliveries {
			if dl.ClientID == rp.ID && (dl.State != "pending" || dl.Reason != "logout") {
				t.Errorf("the stalled endpoint's notification: %+v, want pending with reason logout", dl)
			}
		}
		if stalled.Accepted.Load() == 0 {
			t.Error("the stalled endpoint was never contacted")
		}
		t.Logf("stalled back-channel endpoint: logout confirmed in %s; the attempt failed and stays pending after %s",
			took.Round(time.Millisecond), tried.Round(time.Millisecond))
	}
}
