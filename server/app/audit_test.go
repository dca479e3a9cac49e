package app_test

import (
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/dinhdanh/dinhdanh/server/app"
	"github.com/dinhdanh/dinhdanh/server/audit"
	"github.com/dinhdanh/dinhdanh/store"
	"github.com/dinhdanh/dinhdanh/test/harness"
)

// TestSweepEnforcesAuditRetention checks that the background sweep removes
// the audit events older than audit.retention, keeps the others, and
// leaves a chain that verifies from the oldest event kept.
func TestSweepEnforcesAuditRetention(t *testing.T) {
	srv := harness.StartInProcess(t, harness.WithEnv("DINHDANH_AUDIT_RETENTION", "720h"))
	ctx := t.Context()
	db, err := app.OpenDatabase(ctx, srv.Config)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	now := time.Now()
	write := func(at time.Time, n int) {
		t.Helper()
		db.SetClock(func() time.Time { return at })
		for range n {
			if err := db.AppendAudit(ctx, &store.AuditEvent{Type: string(audit.AccountLock), Actor: "cli", Subject: "acct"}); err != nil {
				t.Fatal(err)
			}
		}
	}
	write(now.Add(-1000*time.Hour), 3)
	write(now.Add(-10*time.Hour), 2)
	before, err := db.AuditChain(ctx)
	if err != nil {
		t.Fatal(err)
	}
	srv.App.Sweep(ctx, now)
	kept, err := db.AuditAfter(ctx, 0, 1000)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range kept {
		if e.Time.Before(now.Add(-720 * time.Hour)) {
			t.Errorf("event %d of %s survived the sweep", e.ID, e.Time)
		}
	}
	if len(kept) < 2 {
		t.Fatalf("the sweep kept %d events, want at least the 2 recent ones", len(kept))
	}
	v, err := audit.Verify(ctx, db)
	if err != nil || v.Break != nil {
		t.Fatalf("Verify after the sweep: %+v (break %+v), %v", v, v.Break, err)
	}
	if v.Chain.AnchorID <= before.AnchorID || v.Chain.HeadID != before.HeadID {
		t.Fatalf("chain after the sweep %+v, before %+v: the anchor must move to the last event removed", v.Chain, before)
	}
}

// TestSweepKeepsAuditForeverWithZeroRetention checks audit.retention 0.
func TestSweepKeepsAuditForeverWithZeroRetention(t *testing.T) {
	srv := harness.StartInProcess(t, harness.WithEnv("DINHDANH_AUDIT_RETENTION", "0"))
	ctx := t.Context()
	db, err := app.OpenDatabase(ctx, srv.Config)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	db.SetClock(func() time.Time { return time.Now().Add(-100000 * time.Hour) })
	if err := db.AppendAudit(ctx, &store.AuditEvent{Type: string(audit.AccountLock), Actor: "cli"}); err != nil {
		t.Fatal(err)
	}
	srv.App.Sweep(ctx, time.Now())
	if c, err := db.AuditChain(ctx); err != nil || c.AnchorID != c.Start-1 {
		t.Fatalf("AuditChain after a sweep with retention 0 = %+v, %v: nothing may be removed", c, err)
	}
}

// TestAuditSyslogFromConfig streams a node's audit events to a UDP
// collector named by audit.syslog and counts them in /metrics.
func TestAuditSyslogFromConfig(t *testing.T) {
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close()
	srv := harness.StartInProcess(t, harness.WithEnv("DINHDANH_METRICS_LISTEN", "127.0.0.1:0"),
		harness.WithEnv("DINHDANH_AUDIT_SYSLOG_NETWORK", "udp"),
		harness.WithEnv("DINHDANH_AUDIT_SYSLOG_ADDRESS", pc.LocalAddr().String()),
		harness.WithEnv("DINHDANH_AUDIT_SYSLOG_APP_NAME", "idp-test"),
		harness.WithEnv("DINHDANH_AUDIT_SYSLOG_FACILITY", "local4"))
	if err := srv.App.Audit.Record(t.Context(), audit.Entry{Event: audit.AccountUnlock, Actor: "cli", Subject: "acct-7"}); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 64<<10)
	_ = pc.SetReadDeadline(time.Now().Add(5 * time.Second))
	for {
		n, _, err := pc.ReadFrom(buf)
		if err != nil {
			t.Fatalf("no message for account.unlock: %v", err)
		}
		msg := string(buf[:n])
		if !strings.Contains(msg, " account.unlock ") {
			continue
		}
		// local4 (20) × 8 + notice (5) = 165.
		if !strings.HasPrefix(msg, "<165>1 ") || !strings.Contains(msg, " idp-test ") ||
			!strings.Contains(msg, `actor="cli" subject="acct-7" hash="`) {
			t.Fatalf("message %q", msg)
		}
		break
	}
	status, body := getMetrics(t, "http://"+srv.App.MetricsAddr()+"/metrics", "")
	if status != http.StatusOK || !strings.Contains(body, "dinhdanh_audit_syslog_dropped_total 0\n") ||
		!strings.Contains(body, `dinhdanh_audit_syslog_messages_total{outcome="sent"} `) {
		t.Fatalf("/metrics = %d:\n%s", status, body)
	}
}
