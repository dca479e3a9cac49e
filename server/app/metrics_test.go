package app_test

import (
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/dinhdanh/dinhdanh/server/app"
	"github.com/dinhdanh/dinhdanh/store"
	"github.com/dinhdanh/dinhdanh/test/harness"
)

const testMetricsToken = "metrics-scraper-token-7d2e4b19c0a84f6e"

// getMetrics sends GET url with the bearer token (none when empty) and
// returns the status and the body.
func getMetrics(t *testing.T, url, token string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// tokenFile writes the test token into a file of the test's own.
func tokenFile(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "metrics.token")
	if err := os.WriteFile(path, []byte(testMetricsToken+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

const queueMetric = `dinhdanh_backchannel_logout_queue{state="delivered"}`

// TestMetricsNotPublic checks where /metrics is served: nowhere by default
// (the public listener answers 404, like any unknown path); on the public
// listener only with the bearer token of metrics.token_file; on the
// operator listener of metrics.listen, which serves nothing else and asks
// for the token when one is configured.
func TestMetricsNotPublic(t *testing.T) {
	t.Run("default", func(t *testing.T) {
		srv := harness.StartInProcess(t)
		if status, body := getMetrics(t, srv.URL("/metrics"), ""); status != http.StatusNotFound || strings.Contains(body, "dinhdanh_") {
			t.Fatalf("public /metrics = %d %q, want 404", status, body)
		}
		if srv.App.MetricsAddr() != "" {
			t.Fatalf("an operator listener at %s without metrics.listen", srv.App.MetricsAddr())
		}
	})
	t.Run("token", func(t *testing.T) {
		srv := harness.StartInProcess(t, harness.WithEnv("DINHDANH_METRICS_TOKEN_FILE", tokenFile(t)))
		for _, tok := range []string{"", "wrong-" + testMetricsToken, testMetricsToken[:len(testMetricsToken)-1]} {
			if status, body := getMetrics(t, srv.URL("/metrics"), tok); status != http.StatusNotFound || strings.Contains(body, "dinhdanh_") {
				t.Errorf("public /metrics with token %q = %d %q, want 404", tok, status, body)
			}
		}
		if status, body := getMetrics(t, srv.URL("/metrics"), testMetricsToken); status != http.StatusOK || !strings.Contains(body, queueMetric+" 0") {
			t.Fatalf("public /metrics with the token = %d %q, want 200 with the queue", status, body)
		}
	})
	t.Run("listener", func(t *testing.T) {
		srv := harness.StartInProcess(t, harness.WithEnv("DINHDANH_METRICS_LISTEN", "127.0.0.1:0"))
		if status, _ := getMetrics(t, srv.URL("/metrics"), ""); status != http.StatusNotFound {
			t.Fatalf("public /metrics = %d with an operator listener, want 404", status)
		}
		op := "http://" + srv.App.MetricsAddr()
		if status, body := getMetrics(t, op+"/metrics", ""); status != http.StatusOK || !strings.Contains(body, queueMetric+" 0") {
			t.Fatalf("operator /metrics = %d %q, want 200 with the queue", status, body)
		}
		for _, path := range []string{"/", "/account", "/oauth2/token", "/health/ready", "/.well-known/openid-configuration"} {
			if status, _ := getMetrics(t, op+path, ""); status != http.StatusNotFound {
				t.Errorf("operator listener %s = %d, want 404", path, status)
			}
		}
	})
	t.Run("listener and token", func(t *testing.T) {
		srv := harness.StartInProcess(t, harness.WithEnv("DINHDANH_METRICS_LISTEN", "127.0.0.1:0"),
			harness.WithEnv("DINHDANH_METRICS_TOKEN_FILE", tokenFile(t)))
		op := "http://" + srv.App.MetricsAddr() + "/metrics"
		if status, _ := getMetrics(t, op, ""); status != http.StatusNotFound {
			t.Errorf("operator /metrics without the token = %d, want 404", status)
		}
		if status, body := getMetrics(t, op, testMetricsToken); status != http.StatusOK || !strings.Contains(body, queueMetric) {
			t.Errorf("operator /metrics with the token = %d %q, want 200", status, body)
		}
		if status, _ := getMetrics(t, srv.URL("/metrics"), testMetricsToken); status != http.StatusNotFound {
			t.Errorf("public /metrics with the token and an operator listener = %d, want 404", status)
		}
	})
}

// TestSweepPurgesFinishedLogouts checks that the background sweep deletes
// the back-channel logout notifications finished (delivered or failed)
// longer than session.logout_delivery_retention ago, and keeps recent ones
// and pending ones however old, as the queue gauges of /metrics show.
func TestSweepPurgesFinishedLogouts(t *testing.T) {
	srv := harness.StartInProcess(t, harness.WithEnv("DINHDANH_METRICS_LISTEN", "127.0.0.1:0"),
		harness.WithEnv("DINHDANH_SESSION_LOGOUT_DELIVERY_RETENTION", "72h"))
	ctx := t.Context()
	// A handle of the test's own on the node's database, with its own clock.
	db, err := app.OpenDatabase(ctx, srv.Config)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	delivery := func(jti string) *store.LogoutDelivery {
		return &store.LogoutDelivery{ClientID: "portal", URI: "http://127.0.0.1:9/bc", Subject: "sub", SessionID: "sso", JTI: jti, Reason: "logout"}
	}
	finish := func(at time.Time, states ...string) {
		t.Helper()
		db.SetClock(func() time.Time { return at })
		var ds []*store.LogoutDelivery
		for i := range states {
			ds = append(ds, delivery(at.Format(time.RFC3339)+"-"+string(rune('a'+i))))
		}
		if err := db.EnqueueLogouts(ctx, ds); err != nil {
			t.Fatal(err)
		}
		claimed, err := db.ClaimLogouts(ctx, at, time.Minute, len(ds))
		if err != nil || len(claimed) != len(ds) {
			t.Fatalf("claimed %d of %d: %v", len(claimed), len(ds), err)
		}
		for i, d := range claimed {
			d.State, d.Attempts = states[i], 1
			if err := db.FinishLogout(ctx, d); err != nil {
				t.Fatal(err)
			}
		}
	}
	now := time.Now()
	old := now.Add(-96 * time.Hour) // older than the 72h retention
	finish(old, store.DeliveryDelivered, store.DeliveryFailed)
	// A pending one, old too, whose retry is far away (the node's worker
	// leaves it alone).
	db.SetClock(func() time.Time { return old })
	pending := delivery("old-pending")
	pending.NextAttemptAt = now.Add(24 * time.Hour)
	if err := db.EnqueueLogouts(ctx, []*store.LogoutDelivery{pending}); err != nil {
		t.Fatal(err)
	}
	finish(now.Add(-time.Hour), store.DeliveryDelivered, store.DeliveryFailed) // within the retention

	op := "http://" + srv.App.MetricsAddr() + "/metrics"
	want := func(when string, delivered, failed, pendings int) {
		t.Helper()
		status, body := getMetrics(t, op, "")
		for state, n := range map[string]int{"delivered": delivered, "failed": failed, "pending": pendings} {
			line := `dinhdanh_backchannel_logout_queue{state="` + state + `"} ` + string(rune('0'+n))
			if status != http.StatusOK || !strings.Contains(body, line+"\n") {
				t.Errorf("%s: /metrics = %d, want %q in:\n%s", when, status, line, body)
			}
		}
	}
	want("before the sweep", 2, 2, 1)
	srv.App.Sweep(ctx, now)
	want("after the sweep", 1, 1, 1)
	left, err := db.ListLogouts(ctx, "", 10)
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range left {
		if d.State != store.DeliveryPending && d.UpdatedAt.Before(now.Add(-72*time.Hour)) {
			t.Errorf("a %s notification of %s survived the sweep", d.State, d.UpdatedAt)
		}
	}
}
