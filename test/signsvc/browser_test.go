package signsvc_test

import (
	"context"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/dinhdanh/dinhdanh/server/authn/certificate"
	"github.com/dinhdanh/dinhdanh/store/sqlstore"
	"github.com/dinhdanh/dinhdanh/test/pki"
	"github.com/dinhdanh/dinhdanh/test/signsvc"
	"github.com/dinhdanh/dinhdanh/ui"
)

// page is a certificate form as the login page will carry it.
var page = template.Must(template.New("page").Parse(`<!doctype html>
<html lang="vi"><head><meta charset="utf-8"><title>Đăng nhập bằng chứng thư số</title>
<script defer src="/assets/signing/adapters.js"></script>
<script defer src="/assets/signing/vgca.js"></script>
<script defer src="/assets/signing/signing.js"></script>
</head><body>
<form method="post" action="/login/certificate" data-certificate-signing data-challenge-url="/login/certificate/challenge"
  data-signing-adapters="vgca" data-vgca-endpoint="{{.Service}}"
  data-msg-working="working" data-msg-unavailable="unavailable" data-msg-cancelled="cancelled"
  data-msg-failed="failed" data-msg-expired="expired">
<input type="hidden" name="csrf_token" value="csrf-1">
<input type="hidden" name="flow" value="{{.Flow}}">
<button type="button" id="sign" data-signing-start hidden>Ký và đăng nhập</button>
<p id="status" data-signing-status role="status" hidden></p>
</form></body></html>`))

// app is the server side of the page: challenge, verification, result.
type app struct {
	server     *httptest.Server
	challenges *certificate.Challenges
	verifier   *certificate.Verifier

	mu       sync.Mutex
	issued   []string
	verified *certificate.Verified
	refusal  *certificate.Refusal
}

func newApp(t *testing.T, p *pki.PKI, service string) *app {
	t.Helper()
	db, err := sqlstore.OpenSQLite(t.Context(), filepath.Join(t.TempDir(), "d.db"), 2)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if _, err := db.Migrate(t.Context()); err != nil {
		t.Fatal(err)
	}
	v, err := certificate.NewVerifier(certificate.Options{
		Anchors: []certificate.Anchor{
			{Name: "bcy-g2", Roots: []*x509.Certificate{p.GovRoot.Cert}, Intermediates: []*x509.Certificate{p.GovSub.Cert}},
			{Name: "neac", Roots: []*x509.Certificate{p.PublicRoot.Cert}, Intermediates: []*x509.Certificate{p.PublicSub.Cert}},
		},
		Revocation: certificate.RevocationOptions{CRL: true, OCSP: true},
		Now:        p.Now,
	})
	if err != nil {
		t.Fatal(err)
	}
	u, err := ui.New(ui.Options{})
	if err != nil {
		t.Fatal(err)
	}
	a := &app{challenges: &certificate.Challenges{Store: db}, verifier: v}
	mux := http.NewServeMux()
	mux.Handle("GET /assets/", u.Assets())
	mux.HandleFunc("GET /login", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Security-Policy", "default-src 'self'; script-src 'self'; style-src 'self'; "+
			"connect-src 'self' "+service+"; frame-ancestors 'none'; base-uri 'none'; object-src 'none'")
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		page.Execute(w, map[string]string{"Service": service, "Flow": r.URL.Query().Get("flow")})
	})
	mux.HandleFunc("POST /login/certificate/challenge", func(w http.ResponseWriter, r *http.Request) {
		if r.FormValue("csrf_token") != "csrf-1" {
			http.Error(w, "csrf", http.StatusForbidden)
			return
		}
		ch, err := a.challenges.Issue(r.Context(), r.FormValue("flow"), certificate.PurposeLogin)
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		a.mu.Lock()
		a.issued = append(a.issued, ch.Value)
		a.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(ch.Response())
	})
	mux.HandleFunc("POST /login/certificate", func(w http.ResponseWriter, r *http.Request) {
		r.ParseForm()
		sub, refusal := certificate.DecodeSubmission(r.FormValue("format"), r.FormValue("signature"),
			r.FormValue("algorithm"), r.Form["certificate"])
		var verified *certificate.Verified
		if refusal == nil {
			ch, err := a.challenges.Consume(r.Context(), r.FormValue("flow"), certificate.PurposeLogin)
			if err != nil && !errors.Is(err, certificate.ErrNoChallenge) {
				http.Error(w, err.Error(), http.StatusInternalServerError)
				return
			}
			verified, refusal, err = a.verifier.Verify(r.Context(), ch, sub)
			if err != nil {
				http.Error(w, err.Error(), http.StatusInternalServerError)
				return
			}
		}
		a.mu.Lock()
		a.verified, a.refusal = verified, refusal
		a.mu.Unlock()
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		if refusal != nil {
			fmt.Fprintf(w, `<!doctype html><p id="result">refused %s</p>`, template.HTMLEscapeString(string(refusal.Reason)))
			return
		}
		fmt.Fprintf(w, `<!doctype html><p id="result">verified %s</p>`, template.HTMLEscapeString(verified.Certificate.Subject.CommonName))
	})
	a.server = httptest.NewServer(mux)
	t.Cleanup(a.server.Close)
	return a
}

// browser starts headless Chromium (see signsvc.Browser).
func browser(t *testing.T) context.Context {
	t.Helper()
	return signsvc.Browser(t)
}

// within bounds the steps of one check.
func within(t *testing.T, ctx context.Context) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	t.Cleanup(cancel)
	return ctx
}

func TestAdapterSignsThroughSigningService(t *testing.T) {
	ctx := browser(t)
	p := pki.New(t)
	for _, tt := range []struct {
		name   string
		leaf   *pki.Leaf
		opts   signsvc.Options
		result string
	}{
		{"bare signature, government certificate", p.Official, signsvc.Options{}, "verified Nguyễn Văn An"},
		{"CMS, government certificate", p.OfficialNoID, signsvc.Options{CMS: true}, "verified Trần Thị Bình"},
		{"wss, business certificate (ECDSA), CMS", p.Business, signsvc.Options{TLS: true, CMS: true}, "verified " + pki.BusinessName},
		{"citizen certificate (ECDSA), bare signature", p.Citizen, signsvc.Options{}, "verified Lê Thị Cúc"},
		{"revoked certificate", p.RevokedOCSP, signsvc.Options{}, "refused certificate.revoked"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			svc := signsvc.Start(t, tt.leaf, tt.opts)
			a := newApp(t, p, svc.URL)
			ctx := within(t, ctx)
			err := chromedp.Do(ctx,
				chromedp.Navigate(a.server.URL+"/login?flow=flow-"+strings.ReplaceAll(tt.name, " ", "-")),
				chromedp.WaitVisible(chromedp.ID("sign")),
				chromedp.Click(chromedp.ID("sign")),
				chromedp.WaitVisible(chromedp.ID("result")),
			)
			if err != nil {
				t.Fatal(err)
			}
			result, err := chromedp.Run(ctx, chromedp.Text(chromedp.ID("result")))
			if err != nil {
				t.Fatal(err)
			}
			if result != tt.result {
				t.Fatalf("result %q, want %q", result, tt.result)
			}
			// The service was asked to sign the digest of the very challenge issued.
			a.mu.Lock()
			issued := a.issued
			a.mu.Unlock()
			var signMsg *signsvc.Request
			for _, r := range svc.Requests() {
				if r.Path == "/SignMsg" {
					signMsg = &r
				}
			}
			if len(issued) != 1 || signMsg == nil {
				t.Fatalf("%d challenges issued, SignMsg %v", len(issued), signMsg)
			}
			sum := sha256.Sum256([]byte(issued[0]))
			want := fmt.Sprintf(`{"HashAlg":"SHA256","HashValue":"%s","Encode":"RSA"}`, base64.StdEncoding.EncodeToString(sum[:]))
			if signMsg.Message != want {
				t.Fatalf("SignMsg sent %s, want %s", signMsg.Message, want)
			}
			if signMsg.Origin != a.server.URL {
				t.Fatalf("Origin %q, want the page's %q", signMsg.Origin, a.server.URL)
			}
		})
	}
}

func TestAdapterReportsFailures(t *testing.T) {
	ctx := browser(t)
	p := pki.New(t)
	svc := signsvc.Start(t, p.Official, signsvc.Options{})
	svc.Fail(1, "Người dùng hủy thao tác ký")
	a := newApp(t, p, svc.URL)
	status := func(flow string) string {
		t.Helper()
		ctx := within(t, ctx)
		err := chromedp.Do(ctx,
			chromedp.Navigate(a.server.URL+"/login?flow="+flow),
			chromedp.WaitVisible(chromedp.ID("sign")),
			chromedp.Click(chromedp.ID("sign")),
		)
		if err != nil {
			t.Fatal(err)
		}
		text, err := chromedp.Run(ctx, chromedp.Poll[string](`(function(){var s=document.getElementById("status");`+
			`var state=s.getAttribute("data-signing-state");`+
			`return state&&state!=="working"&&!s.hidden&&document.getElementById("sign").disabled===false?s.textContent+"|"+s.getAttribute("data-signing-detail"):"";})()`))
		if err != nil {
			t.Fatal(err)
		}
		message, _, _ := strings.Cut(text, "|")
		return message
	}
	if got := status("flow-refused"); got != "failed" {
		t.Fatalf("a refusal of the service shows %q, want the failed message", got)
	}
	svc.Close()
	if got := status("flow-closed"); got != "unavailable" {
		t.Fatalf("no service shows %q, want the unavailable message", got)
	}
}
