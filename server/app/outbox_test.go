package app_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/dinhdanh/dinhdanh/server/app"
	"github.com/dinhdanh/dinhdanh/server/notify"
	"github.com/dinhdanh/dinhdanh/store"
	"github.com/dinhdanh/dinhdanh/test/harness"
)

// TestOutboxMetricsAndSweep: a node without mail keeps an email as failed
// (never dropped), /metrics shows the outbox's depth and this node's
// counters, and the minute sweep purges sent messages past outbox.retention
// and failed ones past outbox.failed_retention, never pending ones.
func TestOutboxMetricsAndSweep(t *testing.T) {
	srv := harness.StartInProcess(t, harness.WithEnv("DINHDANH_METRICS_LISTEN", "127.0.0.1:0"),
		harness.WithEnv("DINHDANH_OUTBOX_RETENTION", "24h"), harness.WithEnv("DINHDANH_OUTBOX_FAILED_RETENTION", "72h"))
	ctx := t.Context()
	id, err := srv.App.Outbox.Enqueue(ctx, notify.Message{Channel: store.ChannelEmail, To: "lan@example.vn", Subject: "s", Text: "t"})
	if err != nil {
		t.Fatal(err)
	}
	if m, err := srv.App.Store.GetMessage(ctx, id); err != nil || m.Status != store.MessageFailed || m.LastError != notify.ReasonNoMail {
		t.Fatalf("email on a node without mail: %+v (%v)", m, err)
	}
	db, err := app.OpenDatabase(ctx, srv.Config)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	now := time.Now()
	at := func(t0 time.Time, status string) int64 {
		t.Helper()
		db.SetClock(func() time.Time { return t0 })
		m := &store.Message{Channel: store.ChannelSMS, Recipient: "+84912345678", Body: []byte{1}}
		if status == store.MessageFailed {
			m.Status = store.MessageFailed
		}
		if status == store.MessagePending {
			m.NextAttemptAt = now.Add(24 * time.Hour) // the node's worker leaves it alone
		}
		if err := db.EnqueueMessage(ctx, m); err != nil {
			t.Fatal(err)
		}
		if status == store.MessageSent {
			claimed, err := db.ClaimMessages(ctx, t0, time.Minute, 10)
			if err != nil || len(claimed) != 1 {
				t.Fatalf("claimed %d: %v", len(claimed), err)
			}
			claimed[0].Status, claimed[0].SentAt, claimed[0].Attempts = store.MessageSent, t0, 1
			if err := db.FinishMessage(ctx, claimed[0]); err != nil {
				t.Fatal(err)
			}
		}
		return m.ID
	}
	oldSent := at(now.Add(-48*time.Hour), store.MessageSent)
	newSent := at(now.Add(-time.Hour), store.MessageSent)
	oldFailed := at(now.Add(-96*time.Hour), store.MessageFailed)
	midFailed := at(now.Add(-48*time.Hour), store.MessageFailed)
	oldPending := at(now.Add(-96*time.Hour), store.MessagePending)

	op := "http://" + srv.App.MetricsAddr() + "/metrics"
	status, body := getMetrics(t, op, "")
	for _, line := range []string{`dinhdanh_outbox_messages{status="sent"} 2`, `dinhdanh_outbox_messages{status="failed"} 3`,
		`dinhdanh_outbox_messages{status="pending"} 1`, `dinhdanh_outbox_queued_total{channel="email"} 1`,
		`dinhdanh_outbox_failed_total{channel="email"} 1`} {
		if status != http.StatusOK || !strings.Contains(body, line+"\n") {
			t.Errorf("/metrics = %d, want %q in:\n%s", status, line, body)
		}
	}
	srv.App.Sweep(ctx, now)
	for id, kept := range map[int64]bool{oldSent: false, newSent: true, oldFailed: false, midFailed: true, oldPending: true, id: true} {
		_, err := db.GetMessage(ctx, id)
		if got := err == nil; got != kept {
			t.Errorf("message %d kept = %v after the sweep, want %v", id, got, kept)
		}
	}
}
