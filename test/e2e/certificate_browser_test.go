package e2e

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/dinhdanh/dinhdanh/test/harness"
	"github.com/dinhdanh/dinhdanh/test/pki"
	"github.com/dinhdanh/dinhdanh/test/signsvc"
)

// callback is an application's redirect URI on loopback: it records the
// query each visit brings and shows a page saying so.
type callback struct {
	url    string
	visits chan url.Values
}

func startCallback(t *testing.T) *callback {
	t.Helper()
	cb := &callback{visits: make(chan url.Values, 4)}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/callback" {
			http.NotFound(w, r)
			return
		}
		cb.visits <- r.URL.Query()
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprint(w, `<!doctype html><title>Cổng dịch vụ công</title><p id="signed-in">signed in</p>`)
	}))
	t.Cleanup(srv.Close)
	cb.url = srv.URL + "/callback"
	return cb
}

// TestCertificateLoginInBrowser drives the real login page in headless
// Chromium: its scripts ask the server for a challenge, have the signing
// service on loopback (speaking the VGCA Sign Service's local WebSocket
// protocol, signing with the test PKI) sign it, and post the signature; the
// browser arrives at the application's redirect URI with a code, which
// redeems for an ID token at LoA3.
func TestCertificateLoginInBrowser(t *testing.T) {
	t.Parallel()
	tab := signsvc.Browser(t)
	p := pki.New(t)
	for _, tt := range []struct {
		name string
		leaf *pki.Leaf
		opts signsvc.Options
	}{
		{"bare RSA signature over the digest", p.Official, signsvc.Options{}},
		{"CMS from the signing service, ECDSA, wss", p.Citizen, signsvc.Options{CMS: true, TLS: true}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			svc := signsvc.Start(t, tt.leaf, tt.opts)
			srv := startCertServer(t, p, certOptions{vgcaEndpoint: svc.URL})
			var sub string
			if tt.leaf == p.Official {
				sub, _ = srv.CreateOfficial(t, certAn)
			} else {
				sub = srv.CreateCitizen(t, certCuc)
			}
			cb := startCallback(t)
			rp := newRP(t, srv.Server, srv.CreateClient(t, harness.ClientSpec{Name: "Cổng dịch vụ công tỉnh", FirstParty: true,
				RedirectURIs: []string{cb.url}}))
			ar := rp.newRequest(openidProfile)

			ctx, cancel := context.WithTimeout(tab, time.Minute)
			defer cancel()
			err := chromedp.Do(ctx,
				chromedp.Navigate(ar.URL),
				chromedp.WaitVisible(`form[action="/login/certificate"] [data-signing-start]`),
				chromedp.Click(`form[action="/login/certificate"] [data-signing-start]`),
			)
			if err != nil {
				t.Fatalf("the login page: %v", err)
			}
			var q url.Values
			select {
			case q = <-cb.visits:
			case <-ctx.Done():
				sctx, scancel := context.WithTimeout(tab, 5*time.Second)
				defer scancel()
				status, _ := chromedp.Run(sctx, chromedp.Text(`form[action="/login/certificate"] [data-signing-status]`))
				loc, _ := chromedp.Run(sctx, chromedp.Location())
				t.Fatalf("the browser did not reach the application (at %s, signing status %q)", loc, status)
			}
			if q.Get("state") != ar.State || q.Get("code") == "" {
				t.Fatalf("the application received %v", q)
			}
			toks := rp.exchange(t, ar, q.Get("code"))
			wantCertificateLogin(t, toks, sub)

			// The service was asked to sign the digest of the challenge the
			// server issued, from the identity provider's page.
			e := audited(t, srv.Server, "login.certificate", map[string]string{"via": "signature"})
			wantSubjectAudited(t, e, tt.leaf.Cert)
			var signed *signsvc.Request
			for _, r := range svc.Requests() {
				if r.Path == "/SignMsg" {
					signed = &r
				}
			}
			if signed == nil || signed.Origin != srv.Issuer || !strings.Contains(signed.Message, `"HashAlg":"SHA256"`) {
				t.Fatalf("the signing service was asked %+v", signed)
			}
			// The digest it signed is of a challenge: 32 bytes of base64.
			var digest []byte
			if i := strings.Index(signed.Message, `"HashValue":"`); i >= 0 {
				rest := signed.Message[i+len(`"HashValue":"`):]
				digest, _ = base64.StdEncoding.DecodeString(rest[:strings.IndexByte(rest, '"')])
			}
			if len(digest) != sha256.Size {
				t.Fatalf("the service signed %q", signed.Message)
			}
		})
	}
}
