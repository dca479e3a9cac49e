package harness

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

// Abandon posts form values to a URL of the identity provider as Send
// does, with the browser's cookies, and goes away after d without waiting
// for the answer, as a person who closes the tab does: the connection is
// closed. It fails the test when an answer came before d.
func (b *Browser) Abandon(t testing.TB, rawURL string, vals url.Values, d time.Duration) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, b.resolve(rawURL), strings.NewReader(vals.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", req.URL.Scheme+"://"+req.URL.Host)
	for name, values := range b.Header {
		req.Header[name] = values
	}
	req.Header.Set("Accept", "text/html,application/xhtml+xml")
	req.Header.Set("Accept-Language", b.AcceptLanguage)
	req.Header.Set("User-Agent", b.UserAgent)
	// A transport of its own, so that the connection is not kept for reuse.
	tr := &http.Transport{DisableKeepAlives: true}
	defer tr.CloseIdleConnections()
	c := &http.Client{Jar: b.jar, Transport: tr, CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	}}
	resp, err := c.Do(req)
	if err == nil {
		resp.Body.Close()
		t.Fatalf("POST %s answered %d before the browser went away after %s", rawURL, resp.StatusCode, d)
	}
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("POST %s: %v", rawURL, err)
	}
}
