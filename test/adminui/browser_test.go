package adminui

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"github.com/dinhdanh/dinhdanh/server/admin"
	"github.com/dinhdanh/dinhdanh/server/identity"
	"github.com/dinhdanh/dinhdanh/test/harness"
)

// stepTimeout bounds one step in the browser.
const stepTimeout = 30 * time.Second

// chromium returns the path of the browser, skipping the test when there is
// none (failing it in CI), as test/browser does.
func chromium(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	missing(t, "Chromium is not installed: run test/services/install-browser.sh (make test does)")
	return ""
}

// axeSource returns axe-core's script: $DINHDANH_AXE, or where
// test/services/install-browser.sh installs it.
func axeSource(t *testing.T) string {
	t.Helper()
	path := os.Getenv("DINHDANH_AXE")
	if path == "" {
		cache := os.Getenv("XDG_CACHE_HOME")
		if cache == "" {
			home, _ := os.UserHomeDir()
			cache = filepath.Join(home, ".cache")
		}
		path = filepath.Join(cache, "dinhdanh-test", "axe", "node_modules", "axe-core", "axe.min.js")
	}
	src, err := os.ReadFile(path)
	if err != nil {
		missing(t, fmt.Sprintf("axe-core is not installed at %s: run test/services/install-browser.sh (make test does)", path))
	}
	return string(src)
}

func missing(t *testing.T, msg string) {
	t.Helper()
	if os.Getenv("CI") != "" {
		t.Fatal(msg)
	}
	t.Skip(msg)
}

func newTab(t *testing.T) context.Context {
	t.Helper()
	path := chromium(t)
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(),
		chromedp.ExecPath(path),
		chromedp.Flag("headless", true),
		chromedp.Flag("no-sandbox", true),
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("no-first-run", true),
		chromedp.UserDataDir(t.TempDir()))
	t.Cleanup(cancelAlloc)
	ctx, cancel := chromedp.NewContext(alloc, chromedp.WithLogf(t.Logf))
	t.Cleanup(cancel)
	if err := chromedp.Do(ctx, chromedp.Navigate("about:blank")); err != nil {
		t.Fatalf("starting Chromium (%s): %v", path, err)
	}
	return ctx
}

// acceptDialogs answers every confirmation the page asks (the console's
// script asks before a destructive action) with yes, and returns a count
// of them.
func acceptDialogs(t *testing.T, ctx context.Context) *atomic.Int32 {
	t.Helper()
	var n atomic.Int32
	dialogs := make(chan struct{}, 16)
	if err := chromedp.Listen(ctx, func(ev any) {
		if _, ok := ev.(*page.EventJavascriptDialogOpening); ok {
			n.Add(1)
			select {
			case dialogs <- struct{}{}:
			default:
			}
		}
	}); err != nil {
		t.Fatal(err)
	}
	go func() {
		for {
			select {
			case <-ctx.Done():
				return
			case <-dialogs:
				_, _ = chromedp.Call(ctx, page.HandleJavaScriptDialog, page.HandleJavaScriptDialogParams{Accept: true})
			}
		}
	}()
	return &n
}

func step(t *testing.T, ctx context.Context, what string, actions ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	sctx, cancel := context.WithTimeout(ctx, stepTimeout)
	defer cancel()
	if err := chromedp.Do(sctx, actions...); err != nil {
		t.Fatalf("%s: %v (page %s)\n%s", what, err, evalQuiet[string](ctx, "location.href"), evalQuiet[string](ctx, "document.body.innerText"))
	}
}

func eval[T any](t *testing.T, ctx context.Context, expr string, opts ...chromedp.EvaluateOption) T {
	t.Helper()
	sctx, cancel := context.WithTimeout(ctx, stepTimeout)
	defer cancel()
	v, err := chromedp.Run(sctx, chromedp.Evaluate[T](expr, opts...))
	if err != nil {
		t.Fatalf("evaluating %.80s: %v", expr, err)
	}
	return v
}

func evalQuiet[T any](ctx context.Context, expr string) T {
	sctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	v, _ := chromedp.Run(sctx, chromedp.Evaluate[T](expr))
	return v
}

// waitPath waits until the tab shows a page at path.
func waitPath(t *testing.T, ctx context.Context, path string) {
	t.Helper()
	deadline := time.Now().Add(stepTimeout)
	for time.Now().Before(deadline) {
		if evalQuiet[string](ctx, "document.readyState === 'complete' ? location.pathname : ''") == path {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("the browser did not reach %s; it is at %s\n%s", path, evalQuiet[string](ctx, "location.href"),
		evalQuiet[string](ctx, "document.body ? document.body.innerText : ''"))
}

// navigateBy runs the actions (a click that submits a form) and waits for
// the new document at path: the old one is marked first, so that a form
// posted to its own path is not mistaken for its answer.
func navigateBy(t *testing.T, ctx context.Context, what, path string, actions ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	eval[chromedp.Void](t, ctx, "window.__oldDocument = true")
	step(t, ctx, what, actions...)
	deadline := time.Now().Add(stepTimeout)
	for time.Now().Before(deadline) {
		if evalQuiet[string](ctx, "(!window.__oldDocument && document.readyState === 'complete') ? location.pathname : ''") == path {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("%s: the browser did not reach %s; it is at %s\n%s", what, path, evalQuiet[string](ctx, "location.href"),
		evalQuiet[string](ctx, "document.body ? document.body.innerText : ''"))
}

// violation is what axe-core reports of one rule.
type violation struct {
	ID, Impact, Help string
	Nodes            []string
}

// checkAccessible runs axe-core on the page the tab shows (WCAG 2.2 A and
// AA, and axe's best practices) and fails on any violation. It also checks
// that nothing scrolls sideways.
func checkAccessible(t *testing.T, ctx context.Context, axe, what string) {
	t.Helper()
	for _, v := range axeViolations(t, ctx, axe, what) {
		t.Errorf("%s: axe %s (%s): %s\n  %s", what, v.ID, v.Impact, v.Help, strings.Join(v.Nodes, "\n  "))
	}
	if eval[bool](t, ctx, "document.documentElement.scrollWidth > window.innerWidth + 1") {
		t.Errorf("%s: the page scrolls sideways (%d > %d)", what, eval[int](t, ctx, "document.documentElement.scrollWidth"),
			eval[int](t, ctx, "window.innerWidth"))
	}
}

// axeViolations runs axe-core on the page the tab shows.
func axeViolations(t *testing.T, ctx context.Context, axe, what string) []violation {
	t.Helper()
	if !eval[bool](t, ctx, "typeof window.axe !== 'undefined'") {
		// DevTools evaluation is not subject to the page's CSP.
		eval[chromedp.Void](t, ctx, axe)
	}
	raw := eval[string](t, ctx, `axe.run(document, {runOnly: {type: 'tag', values:
		['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa', 'best-practice']}}).then(function (r) {
		return JSON.stringify(r.violations.map(function (v) {
			return {ID: v.id, Impact: v.impact, Help: v.help, Nodes: v.nodes.map(function (n) {
				return n.target.join(' ') + ': ' + n.failureSummary; })}; })); })`, chromedp.EvalAwaitPromise)
	var vs []violation
	if err := json.Unmarshal([]byte(raw), &vs); err != nil {
		t.Fatalf("%s: axe's answer %q: %v", what, raw, err)
	}
	return vs
}

// screenshot saves a picture of the whole page into $DINHDANH_SCREENSHOTS,
// when set, for a person to look at.
func screenshot(t *testing.T, ctx context.Context, what string) {
	t.Helper()
	dir := os.Getenv("DINHDANH_SCREENSHOTS")
	if dir == "" {
		return
	}
	sctx, cancel := context.WithTimeout(ctx, stepTimeout)
	defer cancel()
	png, err := chromedp.Run(sctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatalf("screenshot of %s: %v", what, err)
	}
	name := strings.NewReplacer("/", "_", "?", "_", "&", "_", "=", "_", " ", "_", "%", "_").Replace(what) + ".png"
	if err := os.WriteFile(filepath.Join(dir, name), png, 0o644); err != nil {
		t.Fatal(err)
	}
}

// viewports are the screens every page is checked at.
var viewports = []struct {
	name          string
	width, height int64
	phone         bool
}{
	{"desktop", 1280, 900, false},
	{"phone", 390, 844, true},
}

func setViewport(t *testing.T, ctx context.Context, width, height int64, phone bool) {
	t.Helper()
	opts := []chromedp.EmulateViewportOption{}
	if phone {
		opts = append(opts, chromedp.EmulatePortrait, chromedp.EmulateMobile, chromedp.EmulateTouch)
	}
	step(t, ctx, "setting the viewport", chromedp.EmulateViewport(width, height, opts...))
}

// TestConsolePagesInChromium signs an administrator in through the real
// login in Chromium (password, then the step-up that sets up an
// authenticator app), then opens every page of the console at a desktop
// and a phone width, with axe-core finding no violation; on a phone the
// tables are stacked cards.
func TestConsolePagesInChromium(t *testing.T) {
	t.Parallel()
	ctx := newTab(t)
	confirmations := acceptDialogs(t, ctx)
	axe := axeSource(t)
	srv := harness.StartInProcess(t)
	super := official(t, srv, "qtv", "Quản trị viên Tỉnh", "Sở Khoa học và Công nghệ")
	grant(t, srv, super, "super_admin", "")
	nurse := official(t, srv, "yt.lan", "Đỗ Thị Lan", soYTe)
	bg := context.Background()
	svc := srv.Admin(t)
	ha, _, err := svc.CreateAccount(bg, admin.AccountSpec{Kind: identity.CapacityCitizen, PersonalID: "001190012345",
		FullName: "Nguyễn Thị Thu Hà", Birthdate: "1990-05-14", Gender: "female", Email: "ha@example.vn", Password: password,
		Evidence: admin.Evidence{Method: "in_person", Document: "cccd", By: "Một cửa"}}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.LinkRepresentative(bg, ha, "0304567898", "Công ty TNHH Minh Phát", "legal_representative"); err != nil {
		t.Fatal(err)
	}
	app, _, err := svc.CreateClient(bg, admin.ClientSpec{Name: "Cổng dịch vụ công", RedirectURIs: []string{"https://dvc.example.gov.vn/cb"}})
	if err != nil {
		t.Fatal(err)
	}

	// The real login, in the browser.
	step(t, ctx, "opening the console", chromedp.Navigate(srv.Base+"/admin"))
	waitPath(t, ctx, "/login")
	step(t, ctx, "logging in",
		chromedp.SendKeys(chromedp.ID("identifier"), super.Username),
		chromedp.SendKeys(chromedp.ID("password"), super.Password),
		chromedp.Click(chromedp.CSS(`form[action="/login"] button[type="submit"]`)))
	waitPath(t, ctx, "/login/mfa")
	step(t, ctx, "choosing the authenticator app", chromedp.Click(chromedp.CSS(`a[href^="/login/mfa/totp"]`)))
	waitPath(t, ctx, "/login/mfa/totp")
	super.Secret = strings.ReplaceAll(eval[string](t, ctx,
		`Array.from(document.querySelectorAll('.totp-key-group')).map(function (e) { return e.textContent.trim(); }).join('')`), " ", "")
	now := freshStep()
	step(t, ctx, "confirming the app", chromedp.SendKeys(chromedp.ID("totp_code"), totpCode(t, super.Secret, now)),
		chromedp.Click(chromedp.CSS(`form[action="/login/mfa/totp"] button[type="submit"]`)))
	waitPath(t, ctx, "/login/mfa/codes")
	step(t, ctx, "leaving the recovery codes", chromedp.Click(chromedp.CSS(`a.button[href^="/login/mfa"]`)))
	waitPath(t, ctx, "/login/mfa")
	step(t, ctx, "presenting the app", chromedp.SendKeys(chromedp.ID("code"), totpCode(t, super.Secret, now.Add(30*time.Second))),
		chromedp.Click(chromedp.CSS(`form[action="/login/mfa"] button[type="submit"]`)))
	waitPath(t, ctx, "/admin")

	// axe is really looking: a field without a label is reported.
	eval[chromedp.Void](t, ctx, `document.getElementById('main').appendChild(document.createElement('input'))`)
	if vs := axeViolations(t, ctx, axe, "self-check"); len(vs) == 0 || !strings.Contains(fmt.Sprint(vs), "label") {
		t.Fatalf("axe did not report an unlabelled field: %v", vs)
	}

	pages := []struct{ path, table string }{
		{"/admin", ""},
		{"/admin/people?q=" + "Nguy%E1%BB%85n", ".console-table"},
		{"/admin/people/" + ha.ID, ".console-table"},
		{"/admin/people/" + nurse.Sub, ""},
		{"/admin/apps", ".console-table"},
		{"/admin/apps/new", ""},
		{"/admin/apps/" + app.ID, ""},
		{"/admin/apps/" + app.ID + "/edit", ""},
		{"/admin/directories", ""},
		{"/admin/businesses?tax_code=0304567898", ""},
		{"/admin/audit", ".console-table"},
		{"/admin/audit?subject=" + ha.ID + "&lang=en", ".console-table"},
	}
	for _, vp := range viewports {
		setViewport(t, ctx, vp.width, vp.height, vp.phone)
		for _, p := range pages {
			what := vp.name + " " + p.path
			step(t, ctx, "opening "+p.path, chromedp.Navigate(srv.Base+p.path))
			waitPath(t, ctx, strings.SplitN(p.path, "?", 2)[0])
			if h1 := eval[string](t, ctx, "document.querySelector('h1') ? document.querySelector('h1').textContent : ''"); h1 == "" {
				t.Fatalf("%s: no heading\n%s", what, evalQuiet[string](ctx, "document.body.innerText"))
			}
			checkAccessible(t, ctx, axe, what)
			screenshot(t, ctx, what)
			if p.table != "" {
				display := eval[string](t, ctx, "getComputedStyle(document.querySelector('"+p.table+" td')).display")
				if vp.phone != (display == "grid") {
					t.Errorf("%s: a table cell is displayed %q", what, display)
				}
			}
		}

		// A form with problems, answered in the page with a message per field.
		step(t, ctx, "opening the application form", chromedp.Navigate(srv.Base+"/admin/apps/new"))
		waitPath(t, ctx, "/admin/apps/new")
		navigateBy(t, ctx, "registering an application with a bad redirect URI", "/admin/apps",
			chromedp.SetValue(chromedp.ID("name"), "Một cửa điện tử"),
			chromedp.SetValue(chromedp.ID("redirect_uris"), "http://mot-cua.example.gov.vn/cb"),
			chromedp.Click(chromedp.CSS(`form[action="/admin/apps"] button[type="submit"]`)))
		if got := eval[string](t, ctx, "document.activeElement ? document.activeElement.className : ''"); !strings.Contains(got, "error-summary") {
			t.Errorf("%s: the error summary does not take the focus (%q)", vp.name, got)
		}
		if eval[string](t, ctx, "document.getElementById('redirect_uris').getAttribute('aria-invalid')") != "true" {
			t.Errorf("%s: the redirect URI field is not marked invalid", vp.name)
		}
		checkAccessible(t, ctx, axe, vp.name+" application form with problems")

		// The same form, corrected: the secret is shown this once.
		navigateBy(t, ctx, "correcting the redirect URI", "/admin/apps",
			chromedp.SetValue(chromedp.ID("redirect_uris"), "https://mot-cua-"+vp.name+".example.gov.vn/cb"),
			chromedp.Click(chromedp.CSS(`form[action="/admin/apps"] button[type="submit"]`)))
		secret := eval[string](t, ctx, "document.getElementById('client-secret') ? document.getElementById('client-secret').textContent : ''")
		if len(secret) < 40 {
			t.Fatalf("%s: no secret shown after the registration:\n%s", vp.name, evalQuiet[string](ctx, "document.body.innerText"))
		}
		if !eval[bool](t, ctx, "!document.querySelector('[data-copy=\"client-secret\"]').hidden") {
			t.Errorf("%s: the script did not offer to copy the secret", vp.name)
		}
		checkAccessible(t, ctx, axe, vp.name+" new application with its secret")
		id := eval[string](t, ctx, "document.querySelector('.console-facts dd code').textContent")
		step(t, ctx, "opening the application again", chromedp.Navigate(srv.Base+"/admin/apps/"+id))
		waitPath(t, ctx, "/admin/apps/"+id)
		if strings.Contains(evalQuiet[string](ctx, "document.documentElement.outerHTML"), secret) {
			t.Errorf("%s: the secret is shown a second time", vp.name)
		}

		// The other forms' problems, and the answers of the actions.
		person := "/admin/people/" + nurse.Sub
		step(t, ctx, "opening the official", chromedp.Navigate(srv.Base+person))
		waitPath(t, ctx, person)
		navigateBy(t, ctx, "recording a proof with a wrong number", person+"/proofing",
			chromedp.SetValue(chromedp.ID("personal_id"), "123"),
			chromedp.Click(chromedp.CSS(`form[action="`+person+`/proofing"] button[type="submit"]`)))
		if eval[string](t, ctx, "document.getElementById('personal_id').getAttribute('aria-invalid')") != "true" {
			t.Errorf("%s: the personal ID is not marked invalid", vp.name)
		}
		checkAccessible(t, ctx, axe, vp.name+" person with a problem")
		asked := confirmations.Load()
		navigateBy(t, ctx, "ending the sessions", person, chromedp.Click(chromedp.CSS(`form[action="`+person+`/end-sessions"] button[type="submit"]`)))
		if confirmations.Load() != asked+1 {
			t.Errorf("%s: ending the sessions asked for no confirmation", vp.name)
		}
		if evalQuiet[string](ctx, "document.querySelector('.notice') ? document.querySelector('.notice').textContent : ''") == "" ||
			evalQuiet[string](ctx, "location.search") != "?done=sessions_ended" {
			t.Errorf("%s: the sessions' end is not announced (%s)", vp.name, evalQuiet[string](ctx, "location.href"))
		}
		checkAccessible(t, ctx, axe, vp.name+" person with a notice")
		step(t, ctx, "opening the businesses", chromedp.Navigate(srv.Base+"/admin/businesses"))
		waitPath(t, ctx, "/admin/businesses")
		navigateBy(t, ctx, "linking with a wrong tax code", "/admin/businesses/link",
			chromedp.SetValue(chromedp.ID("account"), "001190012345"),
			chromedp.SetValue(chromedp.ID("link_tax_code"), "0304567890"),
			chromedp.Click(chromedp.CSS(`form[action="/admin/businesses/link"] button[type="submit"]`)))
		checkAccessible(t, ctx, axe, vp.name+" business link with a problem")
		step(t, ctx, "searching the audit with a bad date", chromedp.Navigate(srv.Base+"/admin/audit?from=2025-13-40"))
		waitPath(t, ctx, "/admin/audit")
		checkAccessible(t, ctx, axe, vp.name+" audit search with a problem")
	}
}

// TestConsoleRefusalInChromium: an official without a role who opens the
// console is told, on an accessible page in their language, that they may
// not; on a phone too.
func TestConsoleRefusalInChromium(t *testing.T) {
	t.Parallel()
	ctx := newTab(t)
	axe := axeSource(t)
	srv := harness.StartInProcess(t)
	plain := official(t, srv, "cb.thuong", "Cán Bộ Thường", soYTe)
	step(t, ctx, "opening the console", chromedp.Navigate(srv.Base+"/admin/people?lang=vi"))
	waitPath(t, ctx, "/login")
	navigateBy(t, ctx, "logging in", "/admin/people",
		chromedp.SendKeys(chromedp.ID("identifier"), plain.Username),
		chromedp.SendKeys(chromedp.ID("password"), plain.Password),
		chromedp.Click(chromedp.CSS(`form[action="/login"] button[type="submit"]`)))
	for _, vp := range viewports {
		setViewport(t, ctx, vp.width, vp.height, vp.phone)
		step(t, ctx, "reloading", chromedp.Navigate(srv.Base+"/admin/people"))
		waitPath(t, ctx, "/admin/people")
		if got := eval[string](t, ctx, "document.body.innerText"); !strings.Contains(got, "Tài khoản của bạn không có vai trò quản trị") {
			t.Fatalf("%s: the refusal does not say why, in Vietnamese:\n%s", vp.name, got)
		}
		checkAccessible(t, ctx, axe, vp.name+" refusal")
	}
}
