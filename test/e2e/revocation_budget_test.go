package e2e

import (
	"context"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dinhdanh/dinhdanh/server/audit"
	"github.com/dinhdanh/dinhdanh/store/sqlstore"
	"github.com/dinhdanh/dinhdanh/test/harness"
	"github.com/dinhdanh/dinhdanh/test/pki"
)

// revocationBudget is certificates.revocation.budget in these tests.
const revocationBudget = 2 * time.Second

// budgetSlack is what a login may take beyond the budget: the rest of the
// login on a loaded machine.
const budgetSlack = 2 * time.Second

// stalledServer is a server that trusts the test PKI, and a two-level chain
// whose CRLs and OCSP responder are a listener that never answers.
type stalledServer struct {
	*certServer
	stalled *pki.Stalled
	leaf    *pki.Leaf
	anSub   string
	rp      *relyingParty
}

// startStalled starts a server with the revocation budget and the failure
// mode, the CRL and OCSP time limits left at their defaults (10s and 5s:
// longer than the budget).
func startStalled(t *testing.T, mode string) *stalledServer {
	t.Helper()
	p := pki.New(t)
	st := pki.NewStalled(t)
	srv := startCertServer(t, p, certOptions{revocation: "    on_unavailable: " + mode + "\n    budget: " + revocationBudget.String() + "\n"})
	anSub, _ := srv.CreateOfficial(t, certAn)
	return &stalledServer{certServer: srv, stalled: st, leaf: p.StalledChain("stalled-sub", st), anSub: anSub,
		rp: newRP(t, srv.Server, srv.CreateClient(t, portal("openid", "profile")))}
}

// signedLogin is a certificate login ready to post: the browser, the
// authorization request and the signed form.
type signedLogin struct {
	b      *harness.Browser
	ar     *authRequest
	action string
	vals   url.Values
}

// prepare takes a new browser to the login page and signs a challenge
// with the stalled chain's leaf, without posting it.
func (s *stalledServer) prepare(t *testing.T) *signedLogin {
	t.Helper()
	b := s.NewBrowser(t)
	ar, resp := s.rp.authorize(t, b, openidProfile)
	f, challengeURL := signingForm(t, resp.MustPage(t, http.StatusOK, "/login"), "/login/certificate")
	vals, err := f.Values(nil)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range cmsSigner(s.leaf, pki.CMSOptions{})(challenge(t, b, challengeURL, vals)) {
		vals[k] = v
	}
	return &signedLogin{b: b, ar: ar, action: f.Action, vals: vals}
}

// post posts the signed form and returns the navigation and how long the
// post took.
func (l *signedLogin) post(t *testing.T) (*harness.Response, time.Duration) {
	t.Helper()
	start := time.Now()
	resp := l.b.Send(t, http.MethodPost, l.action, l.vals)
	return resp, time.Since(start)
}

// sessionsOf returns how many SSO sessions the server's store records for
// the subject.
func sessionsOf(t *testing.T, srv *harness.Server, sub string) int {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), harness.RequestTimeout)
	defer cancel()
	db, err := sqlstore.OpenSQLite(ctx, filepath.Join(srv.DataDir, "dinhdanh.db"), 1)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	refs, err := db.SessionRefsOfSubject(ctx, sub)
	if err != nil {
		t.Fatal(err)
	}
	return len(refs)
}

// TestRevocationBudget: with the CRLs and the OCSP responder of a two-level
// chain accepting connections and never answering, a certificate login
// answers within the revocation budget (not after a CRL and an OCSP time
// limit for each certificate in turn); fail-closed refuses it with the
// page, fail-open logs in and audits that revocation was not checked. The
// failed fetches are remembered: the next login does not wait, and opens
// no connection.
func TestRevocationBudget(t *testing.T) {
	t.Parallel()
	for _, mode := range []string{"fail-closed", "fail-open"} {
		t.Run(mode, func(t *testing.T) {
			t.Parallel()
			s := startStalled(t, mode)
			l1 := s.prepare(t)
			resp, took := l1.post(t)
			if took > revocationBudget+budgetSlack {
				t.Errorf("the login answered after %s; the budget is %s", took, revocationBudget)
			}
			if took < revocationBudget-100*time.Millisecond {
				t.Errorf("the login answered after %s, before the budget of %s ran out: was the stalled chain asked?", took, revocationBudget)
			}
			if n := s.stalled.Accepted.Load(); n != 3 {
				t.Errorf("the stalled sources saw %d connections, want 3 (the leaf's CRL and OCSP, the CA's CRL), all at once", n)
			}
			check := func(t *testing.T, resp *harness.Response, l *signedLogin, nth int) {
				t.Helper()
				if mode == "fail-closed" {
					wantRefused(t, resp, http.StatusServiceUnavailable, "/login/certificate", "error.certificate.revocation_unavailable")
					if n := countEvents(t, s.Server, "", audit.LoginCertificateRefused); n != nth {
						t.Errorf("%d refusals audited, want %d", n, nth)
					}
					if n := sessionsOf(t, s.Server, s.anSub); n != 0 {
						t.Errorf("a refused login left %d sessions", n)
					}
					return
				}
				wantCertificateLogin(t, s.rp.exchange(t, l.ar, s.rp.code(t, l.ar, resp)), s.anSub)
				e := audited(t, s.Server, "login.certificate", nil)
				if r := e.Details["certificate_revocation"]; !strings.HasPrefix(r, "unchecked") {
					t.Errorf("the audit says revocation was %q", r)
				}
				if n := countEvents(t, s.Server, "", audit.LoginCertificate); n != nth {
					t.Errorf("%d certificate logins audited, want %d", n, nth)
				}
				if n := sessionsOf(t, s.Server, s.anSub); n != nth {
					t.Errorf("%d sessions after %d logins", n, nth)
				}
			}
			check(t, resp, l1, 1)

			// The failures are remembered: the next login takes them at once.
			l := s.prepare(t)
			resp, took = l.post(t)
			if took > time.Second {
				t.Errorf("the login after a failed fetch took %s: the failure was not remembered", took)
			}
			if n := s.stalled.Accepted.Load(); n != 3 {
				t.Errorf("the stalled sources saw %d connections after a second login, want still 3", n)
			}
			check(t, resp, l, 2)
		})
	}
}

// TestRevocationSharedFetch: ten logins at once with certificates of one
// stalled chain share one fetch of each source: the stalled listener sees
// three connections (the leaf's CRL and OCSP, the CA's CRL), not one per
// login, and every login answers within the budget.
func TestRevocationSharedFetch(t *testing.T) {
	t.Parallel()
	s := startStalled(t, "fail-open")
	const n = 10
	logins := make([]*signedLogin, n)
	for i := range logins {
		logins[i] = s.prepare(t)
	}
	resps := make([]*harness.Response, n)
	took := make([]time.Duration, n)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i, l := range logins {
		wg.Go(func() {
			<-start
			resps[i], took[i] = l.post(t)
		})
	}
	close(start)
	wg.Wait()
	for i, l := range logins {
		if took[i] > revocationBudget+budgetSlack {
			t.Errorf("login %d answered after %s; the budget is %s", i, took[i], revocationBudget)
		}
		s.rp.code(t, l.ar, resps[i])
	}
	if c := s.stalled.Accepted.Load(); c != 3 {
		t.Errorf("%d logins at once opened %d connections to the stalled sources, want 3 (one per source)", n, c)
	}
	if c := countEvents(t, s.Server, "", audit.LoginCertificate); c != n {
		t.Errorf("%d certificate logins audited, want %d", c, n)
	}
	if c := sessionsOf(t, s.Server, s.anSub); c != n {
		t.Errorf("%d sessions after %d logins", c, n)
	}
}

// TestRevocationClientGone: a browser that goes away while revocation is
// being checked gets no session made after the fact (under fail-open, which
// would otherwise log in when the budget runs out): nothing is audited as a
// login and the store records no session.
func TestRevocationClientGone(t *testing.T) {
	t.Parallel()
	s := startStalled(t, "fail-open")
	l := s.prepare(t)
	l.b.Abandon(t, l.action, l.vals, revocationBudget/4)
	// The server notices when the connection closes; wait until it says so.
	deadline := time.Now().Add(revocationBudget + budgetSlack)
	for !strings.Contains(s.Log(), "certificate login abandoned") {
		if time.Now().After(deadline) {
			t.Fatalf("the server did not abandon the login within %s:\n%s", revocationBudget+budgetSlack, s.Log())
		}
		time.Sleep(50 * time.Millisecond)
	}
	// Past the budget, when a fail-open login would have completed.
	time.Sleep(revocationBudget)
	if c := countEvents(t, s.Server, "", audit.LoginCertificate); c != 0 {
		t.Errorf("%d certificate logins audited for a browser that went away", c)
	}
	if c := sessionsOf(t, s.Server, s.anSub); c != 0 {
		t.Errorf("%d sessions made for a browser that went away", c)
	}
	// The same login, waited for, completes: the abandoned one changed nothing.
	l = s.prepare(t)
	resp, _ := l.post(t)
	wantCertificateLogin(t, s.rp.exchange(t, l.ar, s.rp.code(t, l.ar, resp)), s.anSub)
	if c := sessionsOf(t, s.Server, s.anSub); c != 1 {
		t.Errorf("%d sessions after one completed login", c)
	}
}
