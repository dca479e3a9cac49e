package e2e

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/dinhdanh/dinhdanh/test/harness"
)

// TestRefreshReuseWindow checks the refresh reuse window (1 s here): a
// client whose answer was lost retries with the same token and gets the
// same successor, its family intact; the same retry after the window is
// reuse and revokes the family; another client presenting the token gets
// invalid_grant; forty parallel refreshes of one token rotate it once, each
// getting the one successor or invalid_grant.
func TestRefreshReuseWindow(t *testing.T) {
	t.Parallel()
	srv := harness.Start(t, harness.WithEnv("DINHDANH_TOKENS_REFRESH_REUSE_WINDOW", "1s"))
	srv.CreateCitizen(t, dat)
	app := srv.CreateClient(t, portal())
	other := newRP(t, srv, srv.CreateClient(t, booking()))
	// x/oauth2 retries a refused first request with the other auth style,
	// which this client is not registered for: the answer would be that
	// retry's invalid_client.
	other.config.Endpoint.AuthStyle = oauth2.AuthStyleInHeader
	rp := newRP(t, srv, app)
	signIn := func() *tokens {
		b := srv.NewBrowser(t)
		ar, resp := rp.authorize(t, b, openidProfile)
		return rp.exchange(t, ar, rp.code(t, ar, login(t, b, resp, dat.PersonalID, dat.Password)))
	}

	// The answer of a refresh is lost: the retry 300 ms later gets the same successor.
	first := signIn()
	lost := rp.refreshed(t, first.RefreshToken, "first refresh")
	time.Sleep(300 * time.Millisecond)
	again := rp.refreshed(t, first.RefreshToken, "the retry within the window")
	if again.RefreshToken != lost.RefreshToken {
		t.Fatal("the retry within the window got another successor")
	}
	for _, at := range []string{lost.AccessToken, again.AccessToken} {
		if in := srv.Introspect(t, app, at); in["active"] != true {
			t.Fatalf("an access token of the successor's family introspects %v", in)
		}
	}
	// Another client presenting the token gets invalid_grant and changes nothing.
	other.refused(t, first.RefreshToken, "another client's presentation of the rotated token")
	next := rp.refreshed(t, again.RefreshToken, "the successor, after the retry")
	if next.RefreshToken == again.RefreshToken {
		t.Fatal("the successor was not rotated")
	}

	// After the window the same presentation is reuse: the family is revoked.
	time.Sleep(1100 * time.Millisecond)
	rp.refused(t, first.RefreshToken, "the rotated token after the window")
	rp.refused(t, next.RefreshToken, "the newest token of a family revoked for reuse")
	if in := srv.Introspect(t, app, next.AccessToken); in["active"] != false {
		t.Errorf("after reuse, the newest access token introspects %v", in)
	}

	// Forty parallel refreshes of one token, released together.
	const n = 40
	for round := range 3 {
		toks := signIn()
		start := make(chan struct{})
		var wg sync.WaitGroup
		results := make([]*oauth2.Token, n)
		errs := make([]error, n)
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				results[i], errs[i] = rp.refresh(toks.RefreshToken)
			}()
		}
		close(start)
		wg.Wait()
		successors := map[string]bool{}
		for i := range n {
			if errs[i] != nil {
				if code := grantError(t, errs[i]); code != "invalid_grant" {
					t.Errorf("round %d: a parallel refresh gave %q, want the successor or invalid_grant", round, code)
				}
				continue
			}
			successors[results[i].RefreshToken] = true
		}
		if len(successors) != 1 {
			t.Fatalf("round %d: the parallel refreshes got %d different successors, want 1", round, len(successors))
		}
		for succ := range successors {
			rp.refreshed(t, succ, fmt.Sprintf("round %d: the one successor (the family is not revoked)", round))
		}
	}
}
