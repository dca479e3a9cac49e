package signsvc

import (
	"context"
	"os"
	"os/exec"
	"testing"

	"github.com/chromedp/chromedp"
)

// Browser starts a headless Chromium for a test that drives a signing page
// and returns the context of its tab; the browser ends with the test. The
// browser is the one named by the CHROMIUM environment variable, or the
// first of chromium, chromium-browser, google-chrome and headless_shell
// found on the PATH (test/services/install-browser.sh installs Debian's,
// as make test does). When there is none the test is skipped with a message
// saying so, or fails when the CI environment variable is set: in CI a
// missing browser is an error, never a silent skip.
//
// The browser accepts any TLS certificate, as a person's browser accepts
// the certificate that the signing software installs for its wss://
// address on 127.0.0.1.
func Browser(t testing.TB) context.Context {
	t.Helper()
	path := os.Getenv("CHROMIUM")
	if path == "" {
		for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "headless_shell"} {
			if p, err := exec.LookPath(name); err == nil {
				path = p
				break
			}
		}
	}
	if path == "" {
		msg := "Chromium is not installed: run test/services/install-browser.sh (make test does) or set CHROMIUM to its path"
		if os.Getenv("CI") != "" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(path), chromedp.NoSandbox,
		chromedp.Flag("ignore-certificate-errors", true), chromedp.UserDataDir(t.TempDir()))
	actx, cancel := chromedp.NewExecAllocator(context.Background(), opts...)
	t.Cleanup(cancel)
	ctx, cancelTab := chromedp.NewContext(actx)
	t.Cleanup(cancelTab)
	// The first run starts the browser, which lives as long as ctx: no timeout on it.
	if err := chromedp.Do(ctx, chromedp.Navigate("about:blank")); err != nil {
		t.Fatalf("starting Chromium (%s): %v", path, err)
	}
	return ctx
}
