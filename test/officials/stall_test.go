package officials

import (
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dinhdanh/dinhdanh/config"
	"github.com/dinhdanh/dinhdanh/server/admin"
	"github.com/dinhdanh/dinhdanh/server/identity"
	"github.com/dinhdanh/dinhdanh/test/harness"
	"github.com/dinhdanh/dinhdanh/test/ldaptest"
)

const (
	citizenPID      = "001085012345"
	citizenEmail    = "dan.pt@example.vn"
	citizenPhone    = "0901234567"
	citizenPassword = "Mật-khẩu-của-dân-2025"
	officialPass    = "Thảo-mật-khẩu-2025"
	metricsToken    = "metrics-token-of-the-stalled-directory-test"
	// directoryTimeout is the stalled directory's connect and operation timeout.
	directoryTimeout = 5 * time.Second
	coolDown         = 2 * time.Second
)

// attempt is one login form, ready to be posted.
type attempt struct {
	b    *harness.Browser
	form *harness.Form
}

// begin opens the login page of an authorization request in a new browser.
func (n *node) begin(t *testing.T, lang string) *attempt {
	t.Helper()
	b := (&harness.Server{Issuer: n.issuer}).NewBrowser(t)
	b.AcceptLanguage = lang
	pkce := harness.NewPKCE()
	q := url.Values{"client_id": {n.client}, "response_type": {"code"}, "redirect_uri": {redirectURI},
		"scope": {"openid"}, "state": {harness.Random(16)}, "code_challenge": {pkce.Challenge}, "code_challenge_method": {"S256"}}
	page := b.Get(t, n.issuer+"/oauth2/auth?"+q.Encode()).MustPage(t, http.StatusOK, "/login")
	return &attempt{b: b, form: page.Form(t, "/login")}
}

// post submits the form and returns the answer and how long it took.
func (a *attempt) post(t *testing.T, identifier, password string) (*harness.Response, time.Duration) {
	t0 := time.Now()
	resp := a.b.Submit(t, a.form, map[string]string{"identifier": identifier, "password": password})
	return resp, time.Since(t0)
}

// loggedIn reports whether the login ended with a code for the application.
func loggedIn(r *harness.Response) bool {
	return r.Redirect != nil && strings.HasPrefix(r.Redirect.String(), redirectURI) && r.Redirect.Query().Get("code") != ""
}

// unavailablePage reports whether the answer is the login page with status
// 503 and the directory-unavailable message in the language asked for.
func unavailablePage(r *harness.Response, lang string) bool {
	want := map[string]string{"vi": "Hệ thống danh bạ cán bộ tạm thời không truy cập được",
		"en": "The staff directory cannot be reached right now"}[lang]
	return r.Page != nil && r.Page.Status == http.StatusServiceUnavailable && r.Page.URL.Path == "/login" &&
		strings.Contains(string(r.Page.Body), want)
}

// parallel runs n logins released together by a start barrier, each in a
// browser of its own whose login page was opened beforehand.
func (n *node) parallel(t *testing.T, count int, identifier, password string) ([]*harness.Response, []time.Duration, time.Duration) {
	t.Helper()
	attempts := make([]*attempt, count)
	for i := range attempts {
		attempts[i] = n.begin(t, "vi")
	}
	resps, took := make([]*harness.Response, count), make([]time.Duration, count)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i, a := range attempts {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			resps[i], took[i] = a.post(t, identifier, password)
		}()
	}
	t0 := time.Now()
	close(start)
	wg.Wait()
	return resps, took, time.Since(t0)
}

// metrics returns the node's /metrics text.
func (n *node) metrics(t *testing.T) string {
	t.Helper()
	req, _ := http.NewRequestWithContext(t.Context(), http.MethodGet, n.issuer+"/metrics", nil)
	req.Header.Set("Authorization", "Bearer "+metricsToken)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	if res.StatusCode != http.StatusOK {
		t.Fatalf("/metrics: %d %s", res.StatusCode, b)
	}
	return string(b)
}

// breaker returns the stalled directory's breaker as the admin service reports it.
func (n *node) breaker(t *testing.T) admin.DirectoryBreaker {
	t.Helper()
	dirs, err := n.app.Admin("test").Directories(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range dirs {
		if d.Name == "so-xay-dung" {
			return d.Breaker
		}
	}
	t.Fatalf("no status of so-xay-dung in %+v", dirs)
	return admin.DirectoryBreaker{}
}

// TestStalledDirectory serves a node with two directories: the working
// slapd, and one whose only server accepts connections and never answers,
// with its timeouts at 5 seconds. Citizens and the other directory's
// officials never wait for it; its own officials wait once, together, then
// get the directory-unavailable page at once until it works again.
func TestStalledDirectory(t *testing.T) {
	srv := ldaptest.Start(t, ldaptest.Options{LDIF: ldaptest.Fixtures(t, "testdata")})
	stalled := ldaptest.Stall(t)
	tokenFile := filepath.Join(t.TempDir(), "metrics.token")
	if err := os.WriteFile(tokenFile, []byte(metricsToken), 0o600); err != nil {
		t.Fatal(err)
	}
	n := startWith(t, srv, func(cfg *config.Config) {
		cfg.Metrics.TokenFile = tokenFile
		// Twenty logins of one person at once are this test's load, not a
		// guessing attack: the guard's limits are other tests' subject.
		cfg.BruteForce.AccountMaxFailures, cfg.BruteForce.AddressMaxFailures = 100, 1000
		d := cfg.Directories[0]
		d.Name, d.Agency, d.Domains = "so-xay-dung", "Sở Xây dựng", []string{"SXD"}
		d.URLs, d.StartTLS, d.CAFile, d.ServerName = []string{stalled.URL}, false, "", ""
		d.ConnectTimeout, d.Timeout = config.Duration(directoryTimeout), config.Duration(directoryTimeout)
		d.Breaker = config.DirectoryBreaker{Failures: 3, CoolDown: config.Duration(coolDown)}
		cfg.Directories = append(cfg.Directories, d)
	})
	ctx := t.Context()
	if _, _, err := n.app.Admin("test").CreateAccount(ctx, admin.AccountSpec{Kind: identity.CapacityCitizen,
		PersonalID: citizenPID, FullName: "Phạm Thị Dân", Birthdate: "1985-05-17", Gender: "male",
		Email: citizenEmail, Phone: citizenPhone, Password: citizenPassword,
		Evidence: admin.Evidence{Method: "authoritative-source", Source: "test fixtures"}}, time.Now()); err != nil {
		t.Fatal(err)
	}

	t.Run("CitizensDoNotWait", func(t *testing.T) {
		for _, id := range []string{citizenEmail, citizenPhone, citizenPID} {
			resp, took := n.begin(t, "vi").post(t, id, citizenPassword)
			if !loggedIn(resp) || took > time.Second {
				t.Errorf("citizen login with %q while a directory stalls: logged in %v in %s:%s", id, loggedIn(resp), took, resp)
			}
		}
		resps, took, total := n.parallel(t, 20, citizenEmail, citizenPassword)
		for i, r := range resps {
			if !loggedIn(r) || took[i] >= directoryTimeout {
				t.Errorf("concurrent citizen login %d: logged in %v in %s:%s", i, loggedIn(r), took[i], r)
			}
		}
		if total >= directoryTimeout {
			t.Errorf("20 concurrent citizen logins took %s", total)
		}
		if c := stalled.Accepted(); c != 0 {
			t.Fatalf("citizens' logins opened %d connections to the stalled directory", c)
		}
	})

	t.Run("BreakerOpensWithoutPileUp", func(t *testing.T) {
		resps, _, total := n.parallel(t, 20, `SXD\thảo.đt`, officialPass)
		for i, r := range resps {
			if !unavailablePage(r, "vi") {
				t.Errorf("login %d through the stalled directory: want the 503 directory page:%s", i, r)
			}
		}
		if total > directoryTimeout+3*time.Second {
			t.Fatalf("20 concurrent logins through the stalled directory took %s: they piled up", total)
		}
		if b := n.breaker(t); b.State != "open" || b.OpenUntil.IsZero() {
			t.Fatalf("admin status of the breaker: %+v, want open", b)
		}
		if m := n.metrics(t); !strings.Contains(m, `dinhdanh_directory_breaker_open{directory="so-xay-dung"} 1`) ||
			!strings.Contains(m, `dinhdanh_directory_breaker_open{directory="so-tttt"} 0`) ||
			!strings.Contains(m, `dinhdanh_directory_breaker_opened_total{directory="so-xay-dung"} 1`) {
			t.Fatalf("metrics:\n%s", m)
		}
	})

	t.Run("OpenBreakerAnswersAtOnce", func(t *testing.T) {
		accepted := stalled.Accepted()
		for _, lang := range []string{"vi", "en"} {
			resp, took := n.begin(t, lang).post(t, `SXD\thảo.đt`, officialPass)
			if !unavailablePage(resp, lang) || took > time.Second {
				t.Errorf("login through the open breaker (%s) in %s: want the 503 page at once:%s", lang, took, resp)
			}
		}
		resps, took, _ := n.parallel(t, 20, `SXD\thảo.đt`, officialPass)
		for i, r := range resps {
			if !unavailablePage(r, "vi") || took[i] > time.Second {
				t.Errorf("concurrent login %d through the open breaker in %s:%s", i, took[i], r)
			}
		}
		// The working directory's officials and the citizens are unaffected.
		for _, id := range []string{`thảo.đt`, `STTTT\thảo.đt`} {
			resp, took := n.begin(t, "vi").post(t, id, officialPass)
			if !loggedIn(resp) || took > time.Second {
				t.Errorf("official of the working directory %q: logged in %v in %s:%s", id, loggedIn(resp), took, resp)
			}
		}
		if resp, took := n.begin(t, "vi").post(t, citizenEmail, citizenPassword); !loggedIn(resp) || took > time.Second {
			t.Errorf("citizen with the breaker open: logged in %v in %s:%s", loggedIn(resp), took, resp)
		}
		if c := stalled.Accepted(); c != accepted {
			t.Fatalf("the open breaker let %d connections through", c-accepted)
		}
	})

	t.Run("RecoveryClosesTheBreaker", func(t *testing.T) {
		stalled.Forward(srv.URL) // the directory works again, at the same address
		if wait := time.Until(n.breaker(t).OpenUntil); wait > 0 {
			time.Sleep(wait + 50*time.Millisecond)
		}
		resp, took := n.begin(t, "vi").post(t, `SXD\thảo.đt`, officialPass)
		if !loggedIn(resp) || took > 2*time.Second {
			t.Fatalf("login through the recovered directory: logged in %v in %s:%s", loggedIn(resp), took, resp)
		}
		if b := n.breaker(t); b.State != "closed" || b.Failures != 0 {
			t.Fatalf("breaker after recovery: %+v, want closed", b)
		}
		if m := n.metrics(t); !strings.Contains(m, `dinhdanh_directory_breaker_open{directory="so-xay-dung"} 0`) {
			t.Fatalf("metrics after recovery:\n%s", m)
		}
	})
}
