package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/dinhdanh/dinhdanh/server/notify"
	"github.com/dinhdanh/dinhdanh/store"
)

// TestOutboxCommands lists the outbox and retries a failed message: a node
// with no SMTP server keeps an email as failed; "outbox list" shows it with
// its reason, "outbox retry" makes it pending again, audited; bad ids are
// refused and change nothing.
func TestOutboxCommands(t *testing.T) {
	ctx := t.Context()
	dir := t.TempDir()
	cfgPath := filepath.Join(dir, "dinhdanh.yaml")
	if err := os.WriteFile(cfgPath, []byte("issuer: http://localhost:8080\ndata_dir: "+filepath.Join(dir, "data")+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("DINHDANH_CONFIG", "")
	_, node, _ := startOnce(t, cfgPath)
	id, err := node.Outbox.Enqueue(ctx, notify.Message{Channel: store.ChannelEmail, To: "lan@example.vn", Subject: "s",
		Text: "mã 123456", Kind: notify.KindRegisterTaken})
	if err != nil {
		t.Fatal(err)
	}
	cli := func(args ...string) (string, error) {
		var out, errOut bytes.Buffer
		err := run(ctx, append(args, "--config", cfgPath), strings.NewReader(""), &out, &errOut)
		return out.String(), err
	}
	out, err := cli("outbox", "list", "--status", "failed")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, "failed 1") || !strings.Contains(out, "lan@example.vn") || !strings.Contains(out, notify.ReasonNoMail) ||
		strings.Contains(out, "123456") {
		t.Fatalf("outbox list printed:\n%s", out)
	}
	out, err = cli("outbox", "list", "--json")
	if err != nil {
		t.Fatal(err)
	}
	var listed struct {
		Counts   map[string]int64
		Messages []struct {
			ID     int64
			Status string
		}
	}
	if err := json.Unmarshal([]byte(out), &listed); err != nil || len(listed.Messages) != 1 || listed.Messages[0].ID != id {
		t.Fatalf("outbox list --json printed %s (%v)", out, err)
	}
	if out, err := cli("outbox", "list", "--status", "lost"); !isUsage(err) {
		t.Fatalf("--status lost: %v %s", err, out)
	}
	for _, bad := range []string{"abc", "0", "-3"} {
		if _, err := cli("outbox", "retry", bad); !isUsage(err) {
			t.Fatalf("retry %s: %v", bad, err)
		}
	}
	if _, err := cli("outbox", "retry", strconv.FormatInt(id+100, 10)); err == nil || isUsage(err) {
		t.Fatalf("retry of a missing message: %v", err)
	}
	if m, _ := node.DB.GetMessage(ctx, id); m.Status != store.MessageFailed {
		t.Fatalf("bad retries changed the message: %+v", m)
	}
	if out, err := cli("outbox", "retry", strconv.FormatInt(id, 10)); err != nil || !strings.Contains(out, "pending again") {
		t.Fatalf("retry: %v %s", err, out)
	}
	if m, _ := node.DB.GetMessage(ctx, id); m.Status != store.MessagePending || m.Attempts != 0 {
		t.Fatalf("after retry: %+v", m)
	}
	events, err := node.DB.ListAudit(ctx, "", 10)
	if err != nil || len(events) == 0 || events[0].Type != "outbox.retry" || events[0].Details["message"] != strconv.FormatInt(id, 10) {
		t.Fatalf("audit after retry: %+v (%v)", events, err)
	}
}

func isUsage(err error) bool {
	var ee *exitError
	return errors.As(err, &ee) && ee.code == 2
}
