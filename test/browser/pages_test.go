package browser

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/chromedp"
	"github.com/pquerna/otp/totp"

	"github.com/dinhdanh/dinhdanh/test/harness"
)

// phoneWidth and phoneHeight are a common phone's screen in CSS pixels.
const phoneWidth, phoneHeight = 390, 844

// axeSource returns axe-core's script, which test/services/install-browser.sh
// puts in the test cache; the test is skipped without it (failed in CI).
func axeSource(t *testing.T) string {
	t.Helper()
	dir := os.Getenv("XDG_CACHE_HOME")
	if dir == "" {
		home, _ := os.UserHomeDir()
		dir = filepath.Join(home, ".cache")
	}
	b, err := os.ReadFile(filepath.Join(dir, "dinhdanh-test", "axe", "node_modules", "axe-core", "axe.min.js"))
	if err != nil {
		msg := "axe-core is not installed: run test/services/install-browser.sh (make test does): " + err.Error()
		if os.Getenv("CI") != "" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	return string(b)
}

// phoneTab is a Chromium tab the size of a phone's screen, with touch.
func phoneTab(t *testing.T) context.Context {
	t.Helper()
	ctx := newTab(t, chromedp.Flag("lang", "vi-VN"), chromedp.Flag("accept-lang", "vi-VN,vi"))
	step(t, ctx, "a phone's screen", chromedp.EmulateViewport(phoneWidth, phoneHeight, chromedp.EmulateMobile, chromedp.EmulateScale(3)))
	return ctx
}

// axeViolation is one rule axe-core found broken, with the elements.
type axeViolation struct {
	ID, Impact, Help string
	Nodes            []struct {
		Target         []any
		FailureSummary string
	}
}

// checkPage runs axe-core on the page the tab shows, and checks that the
// page is in a language, and that nothing is wider than the screen.
func checkPage(t *testing.T, ctx context.Context, axe, name string) {
	t.Helper()
	for _, v := range runAxe(t, ctx, axe, name) {
		var where []string
		for _, n := range v.Nodes {
			where = append(where, fmt.Sprint(n.Target)+": "+n.FailureSummary)
		}
		t.Errorf("%s (%s): axe-core %s (%s): %s\n  %s", name, location(ctx), v.ID, v.Impact, v.Help, strings.Join(where, "\n  "))
	}
	if lang := eval[string](t, ctx, "document.documentElement.lang"); lang != "vi" && lang != "en" {
		t.Errorf("%s: the page's language is %q", name, lang)
	}
	if w := eval[[]int](t, ctx, "[document.documentElement.scrollWidth, window.innerWidth]"); len(w) != 2 || w[0] > w[1] || w[1] != phoneWidth {
		t.Errorf("%s: the page is %v px wide (scroll width, window width) on a %d px screen", name, w, phoneWidth)
	}
}

// noViolations fails the test on every axe-core violation of the page the
// tab shows.
func noViolations(t *testing.T, ctx context.Context, axe, where string) {
	t.Helper()
	for _, v := range runAxe(t, ctx, axe, where) {
		var nodes []string
		for _, n := range v.Nodes {
			nodes = append(nodes, fmt.Sprint(n.Target))
		}
		t.Errorf("%s: axe-core: %s: %s", where, v.ID, strings.Join(nodes, ", "))
	}
}

// runAxe runs axe-core's rules on the page the tab shows and returns the violations.
func runAxe(t *testing.T, ctx context.Context, axe, name string) []axeViolation {
	t.Helper()
	sctx, cancel := context.WithTimeout(ctx, stepTimeout)
	defer cancel()
	if _, err := chromedp.Run(sctx, chromedp.Evaluate[any](axe+";0")); err != nil {
		t.Fatalf("%s: loading axe-core: %v", name, err)
	}
	raw, err := chromedp.Run(sctx, chromedp.Evaluate[string](
		`axe.run(document, {resultTypes: ["violations"]}).then(function (r) { return JSON.stringify(r.violations); })`,
		chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatalf("%s: running axe-core: %v", name, err)
	}
	var violations []axeViolation
	if err := json.Unmarshal([]byte(raw), &violations); err != nil {
		t.Fatalf("%s: axe-core's answer %q: %v", name, raw, err)
	}
	return violations
}

// app is an application that is not first-party (so the consent page
// shows), served on the loopback interface: its home page and its
// redirect URI answer with a page of their own.
type app struct {
	URL    string
	client *harness.Client
}

func startApp(t *testing.T, srv *harness.Server) *app {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	a := &app{URL: "http://" + ln.Addr().String()}
	a.client = srv.CreateClient(t, harness.ClientSpec{Name: "Một cửa điện tử", RedirectURIs: []string{a.URL + "/callback"},
		PostLogoutRedirectURIs: []string{a.URL + "/bye"}, Scopes: []string{"openid", "profile", "business"}})
	mux := http.NewServeMux()
	// A page with faults axe-core must find: the check checks itself.
	mux.HandleFunc("GET /faulty", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprint(w, `<!DOCTYPE html><html><title>x</title><img src="/x.png"><p style="color:#bbb;background:#fff">mờ</p></html>`)
	})
	mux.HandleFunc("GET /", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprintf(w, `<!DOCTYPE html><html lang="vi"><title>Một cửa</title><p id="app-page">%s</p></html>`, r.URL.Path)
	})
	hs := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = hs.Serve(ln) }()
	t.Cleanup(func() { _ = hs.Close() })
	return a
}

// authorize returns an authorization request of the application, with
// extra parameters.
func (a *app) authorize(issuer string, extra url.Values) string {
	verifier := harness.Random(32)
	sum := sha256.Sum256([]byte(verifier))
	q := url.Values{"response_type": {"code"}, "client_id": {a.client.ID}, "redirect_uri": {a.URL + "/callback"},
		"scope": {"openid profile business"}, "state": {harness.Random(16)}, "nonce": {harness.Random(16)},
		"code_challenge": {base64.RawURLEncoding.EncodeToString(sum[:])}, "code_challenge_method": {"S256"}}
	for k, v := range extra {
		q[k] = v
	}
	return issuer + "/oauth2/auth?" + q.Encode()
}

// TestPagesOnAPhone visits every page a person sees, on a phone's screen in
// Chromium, and checks each with axe-core (no violation of any rule), for a
// language and for no sideways scrolling. On the way it uses the phone
// conveniences: the otpauth:// link of the authenticator-app setup, the
// copy and download of the recovery codes, the way back to the application
// after staying logged in, and the support contact on the error and login
// pages.
func TestPagesOnAPhone(t *testing.T) {
	chromium(t)
	axe := axeSource(t)
	srv := harness.Start(t, harness.WithLocalhostIssuer(), harness.WithEnv("DINHDANH_MFA_ENROLLED_MINIMUM", "LoA1"),
		harness.WithEnv("DINHDANH_UI_SUPPORT_CONTACT_TEXT_VI", "Tổ hỗ trợ Sở TT&TT, 7:30–17:00 các ngày làm việc"),
		harness.WithEnv("DINHDANH_UI_SUPPORT_CONTACT_EMAIL", "hotro@example.vn"),
		harness.WithEnv("DINHDANH_UI_SUPPORT_CONTACT_PHONE", "0236 1022"))
	srv.CreateCitizen(t, citizen)
	srv.LinkBusiness(t, citizen.PersonalID, "0101234565", "Công ty TNHH Sông Hàn", "legal_representative")
	a := startApp(t, srv)
	idp := srv.Issuer
	ctx := phoneTab(t)
	seen := map[string]bool{}
	check := func(name string) {
		t.Helper()
		checkPage(t, ctx, axe, name)
		seen[name] = true
	}

	// axe-core finds the faults of a faulty page.
	step(t, ctx, "a faulty page", chromedp.Navigate(a.URL+"/faulty"))
	found := map[string]bool{}
	for _, v := range runAxe(t, ctx, axe, "faulty") {
		found[v.ID] = true
	}
	if !found["image-alt"] || !found["html-has-lang"] || !found["color-contrast"] {
		t.Fatalf("axe-core found %v on a page without a language, an image without alt text and faint text", found)
	}

	// An error page, with the support contact.
	step(t, ctx, "an unknown application", chromedp.Navigate(idp+"/oauth2/auth?response_type=code&client_id=khong-co&scope=openid"))
	waitText(t, ctx, "main", msg(t, ctx, "support.title"))
	waitText(t, ctx, ".support-contact", "hotro@example.vn")
	if href := eval[string](t, ctx, `document.querySelector(".support-contact a[href^='tel:']").getAttribute("href")`); href != "tel:02361022" {
		t.Errorf("the support phone links to %q", href)
	}
	check("error")

	// The login page, with the support contact, and the registration page.
	step(t, ctx, "opening the application", chromedp.Navigate(a.authorize(idp, nil)))
	waitPath(t, ctx, idp, "/login")
	waitText(t, ctx, ".support-contact", "Tổ hỗ trợ Sở TT&TT")
	check("login")
	step(t, ctx, "opening the registration", chromedp.Click(chromedp.CSS(`a[href^="/register"]`)))
	waitPath(t, ctx, idp, "/register")
	check("register")
	step(t, ctx, "back to the login", chromedp.NavigateBack())
	waitPath(t, ctx, idp, "/login")
	step(t, ctx, "logging in with the password",
		chromedp.SendKeys(chromedp.ID("identifier"), citizen.PersonalID),
		chromedp.SendKeys(chromedp.ID("password"), citizen.Password),
		chromedp.Click(chromedp.CSS(`form[action="/login"] button[type="submit"]`)))
	// The consent and the business choice, in the order the login asks;
	// each page is checked the first time.
	reachApp := func() {
		t.Helper()
		deadline := time.Now().Add(stepTimeout)
		for !strings.HasPrefix(location(ctx), a.URL+"/callback") {
			if time.Now().After(deadline) {
				t.Fatalf("the login did not reach the application; it is at %s\n%s", location(ctx), bodyText(ctx))
			}
			u, _ := url.Parse(location(ctx))
			switch {
			case u != nil && u.Path == "/consent":
				waitPath(t, ctx, idp, "/consent")
				if !seen["consent"] {
					check("consent")
				}
				step(t, ctx, "consenting", chromedp.Click(chromedp.CSS(`button[name="decision"][value="allow"]`)))
				time.Sleep(200 * time.Millisecond)
			case u != nil && u.Path == "/login/business":
				waitPath(t, ctx, idp, "/login/business")
				if !seen["business"] {
					check("business")
				}
				step(t, ctx, "acting for the business", chromedp.Click(chromedp.ID("tax_code_0")),
					chromedp.Click(chromedp.CSS(`form[action="/login/business"] button[type="submit"]`)))
				time.Sleep(200 * time.Millisecond)
			default:
				time.Sleep(100 * time.Millisecond)
			}
		}
	}
	reachApp()

	// The console.
	for _, p := range []struct{ name, path string }{{"account", "/account"}, {"security", "/account/security"},
		{"certificates", "/account/certificates"}} {
		step(t, ctx, "opening "+p.path, chromedp.Navigate(idp+p.path))
		waitPath(t, ctx, idp, p.path)
		check(p.name)
	}

	// The authenticator app: the otpauth:// link holds the key the page shows.
	step(t, ctx, "opening the security page", chromedp.Navigate(idp+"/account/security"))
	waitPath(t, ctx, idp, "/account/security")
	step(t, ctx, "setting up an authenticator app", chromedp.Click(chromedp.CSS(`a[href="/account/security/totp"]`)))
	waitPath(t, ctx, idp, "/account/security/totp")
	check("totp_setup")
	link, err := url.Parse(eval[string](t, ctx, `document.querySelector("a.otpauth-link").getAttribute("href")`))
	if err != nil || link.Scheme != "otpauth" || link.Host != "totp" {
		t.Fatalf("the setup page's app link is %v (%v), want an otpauth://totp/ URL", link, err)
	}
	shown := strings.ReplaceAll(eval[string](t, ctx, `document.querySelector(".totp-key").textContent`), " ", "")
	secret := link.Query().Get("secret")
	if secret == "" || secret != strings.TrimSpace(shown) {
		t.Fatalf("the app link's secret %q is not the key shown %q", secret, shown)
	}
	code, err := totp.GenerateCode(secret, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	step(t, ctx, "confirming the app's code", chromedp.SendKeys(chromedp.ID("totp_code"), code),
		chromedp.Click(chromedp.CSS(`form[action="/account/security/totp"] button[type="submit"]`)))
	waitPath(t, ctx, idp, "/account/security/codes")
	check("recovery_codes")
	recoveryCodes(t, ctx)
	step(t, ctx, "leaving the codes", chromedp.Click(chromedp.CSS(`.card a.button`)))
	waitPath(t, ctx, idp, "/account/security")

	// Logout asked by the application without a hint: confirmed first.
	// Staying logged in offers the way back to the application's home.
	logout := idp + "/oauth2/logout?client_id=" + url.QueryEscape(a.client.ID) + "&post_logout_redirect_uri=" + url.QueryEscape(a.URL+"/bye")
	step(t, ctx, "a logout without a hint", chromedp.Navigate(logout))
	waitPath(t, ctx, idp, "/oauth2/logout")
	check("logout_confirm")
	step(t, ctx, "staying logged in", chromedp.Click(chromedp.CSS(`button[name="confirm"][value="no"]`)))
	waitText(t, ctx, "main", msg(t, ctx, "logout.kept"))
	check("message")
	if href := eval[string](t, ctx, `(function(){var a=document.querySelector("main a.button");return a?a.href:""})()`); href != a.URL+"/" {
		t.Errorf("the way back after staying logged in goes to %q, want the application's home %s/", href, a.URL)
	}
	step(t, ctx, "back to the application", chromedp.Click(chromedp.CSS(`main a.button`)))
	waitPath(t, ctx, a.URL, "/")
	// Without a way back (which the logged-out page follows by itself).
	step(t, ctx, "a logout without a hint", chromedp.Navigate(idp+"/oauth2/logout?client_id="+url.QueryEscape(a.client.ID)))
	waitPath(t, ctx, idp, "/oauth2/logout")
	step(t, ctx, "logging out", chromedp.Click(chromedp.CSS(`button[name="confirm"][value="yes"]`)))
	waitText(t, ctx, "main", msg(t, ctx, "logout.done"))
	check("logged_out")

	// The second factor, asked for LoA2.
	step(t, ctx, "opening the application for LoA2", chromedp.Navigate(a.authorize(idp, url.Values{"acr_values": {"LoA2"}})))
	waitPath(t, ctx, idp, "/login")
	step(t, ctx, "logging in with the password",
		chromedp.SendKeys(chromedp.ID("identifier"), citizen.PersonalID),
		chromedp.SendKeys(chromedp.ID("password"), citizen.Password),
		chromedp.Click(chromedp.CSS(`form[action="/login"] button[type="submit"]`)))
	waitPath(t, ctx, idp, "/login/mfa")
	check("mfa")

	// A password-only login (enough under this policy), then removing the
	// app asks to confirm who it is.
	step(t, ctx, "opening the application", chromedp.Navigate(a.authorize(idp, url.Values{"prompt": {"login"}})))
	waitPath(t, ctx, idp, "/login")
	step(t, ctx, "logging in with the password",
		chromedp.SendKeys(chromedp.ID("identifier"), citizen.PersonalID),
		chromedp.SendKeys(chromedp.ID("password"), citizen.Password),
		chromedp.Click(chromedp.CSS(`form[action="/login"] button[type="submit"]`)))
	reachApp()
	step(t, ctx, "opening the security page", chromedp.Navigate(idp+"/account/security"))
	waitPath(t, ctx, idp, "/account/security")
	step(t, ctx, "removing the app", chromedp.Click(chromedp.CSS(`form[action="/account/security/totp/remove"] button`)))
	waitPath(t, ctx, idp, "/login/reauth")
	check("reauth")

	// A person with no second factor, asked for LoA2: the set-up offer.
	other := harness.Citizen{PersonalID: "048301000777", Name: "Trần Thị Mai", Birthdate: "2001-09-02", Gender: "female",
		Email: "mai.tran@example.vn", Password: "Đà-Nẵng-biển-xanh-2001"}
	srv.CreateCitizen(t, other)
	ctx = phoneTab(t)
	step(t, ctx, "opening the application for LoA2", chromedp.Navigate(a.authorize(idp, url.Values{"acr_values": {"LoA2"}})))
	waitPath(t, ctx, idp, "/login")
	step(t, ctx, "logging in with the password",
		chromedp.SendKeys(chromedp.ID("identifier"), other.PersonalID),
		chromedp.SendKeys(chromedp.ID("password"), other.Password),
		chromedp.Click(chromedp.CSS(`form[action="/login"] button[type="submit"]`)))
	waitPath(t, ctx, idp, "/login/mfa")
	check("mfa_enrol")

	// Every page of the UI was checked (the certificate login's own pages
	// need a client certificate: test/e2e covers them).
	for _, name := range []string{"login", "register", "consent", "business", "mfa", "mfa_enrol", "totp_setup", "recovery_codes",
		"security", "account", "certificates", "logout_confirm", "logged_out", "error", "message", "reauth"} {
		if !seen[name] {
			t.Errorf("the page %s was not visited", name)
		}
	}
}

// recoveryCodes checks the copy button and the download of the recovery
// codes page: the file is built in the page from the codes it shows (a
// data: URL), so no address serves the codes again.
func recoveryCodes(t *testing.T, ctx context.Context) {
	t.Helper()
	codes := eval[[]string](t, ctx, `Array.prototype.map.call(document.querySelectorAll(".recovery-codes code"), function (c) { return c.textContent; })`)
	if len(codes) != 10 {
		t.Fatalf("%d recovery codes shown, want 10", len(codes))
	}
	// The download button saves the file, which holds every code.
	dir := t.TempDir()
	if _, err := chromedp.Call(ctx, browser.SetDownloadBehavior, browser.SetDownloadBehaviorParams{
		Behavior: browser.SetDownloadBehaviorBehaviorAllow, DownloadPath: dir}); err != nil {
		t.Fatalf("Browser.setDownloadBehavior: %v", err)
	}
	name := msg(t, ctx, "recovery.file_name")
	step(t, ctx, "downloading the codes", chromedp.Click(chromedp.CSS(`[data-recovery-download]`)))
	var file []byte
	deadline := time.Now().Add(stepTimeout)
	for {
		var err error
		if file, err = os.ReadFile(filepath.Join(dir, name)); err == nil && strings.Count(string(file), "\n") >= len(codes) {
			break
		}
		if time.Now().After(deadline) {
			entries, _ := os.ReadDir(dir)
			t.Fatalf("no file %s was downloaded (%v; the folder holds %v)", name, err, entries)
		}
		time.Sleep(100 * time.Millisecond)
	}
	for _, c := range codes {
		if !strings.Contains(string(file), "\n"+c+"\n") {
			t.Errorf("the downloaded file lacks the code %s:\n%s", c, file)
		}
	}
	if loc := location(ctx); !strings.HasSuffix(loc, "/account/security/codes") && !strings.Contains(loc, "/account/security/codes?") {
		t.Errorf("the download left the codes page for %s", loc)
	}
	step(t, ctx, "copying the codes", chromedp.Click(chromedp.CSS(`[data-recovery-copy]`)))
	deadline = time.Now().Add(stepTimeout)
	status := ""
	for time.Now().Before(deadline) && status == "" {
		status = eval[string](t, ctx, `document.querySelector("[data-recovery-status]").textContent`)
		time.Sleep(50 * time.Millisecond)
	}
	switch status {
	case msg(t, ctx, "recovery.copied"):
	case msg(t, ctx, "recovery.copy_failed"):
		// The browser refused the clipboard: the codes are selected for a copy by hand.
		sel := eval[string](t, ctx, `window.getSelection().toString()`)
		for _, c := range codes {
			if !strings.Contains(sel, c) {
				t.Errorf("the selection after a refused copy lacks %s: %q", c, sel)
			}
		}
	default:
		t.Errorf("after the copy button the page says %q", status)
	}
}
