package main

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/spf13/cobra"

	"github.com/dinhdanh/dinhdanh/server/audit"
	"github.com/dinhdanh/dinhdanh/store"
)

// outboxCommand shows the outbox of emails and SMS and sends a failed
// message again.
func (e *cliEnv) outboxCommand() *cobra.Command {
	list := &cobra.Command{Use: "list [--status pending|sent|failed] [--limit N] [--json]",
		Short: "show the outgoing emails and SMS, newest first", Args: noArgs}
	status := list.Flags().String("status", "", "only messages in this status")
	limit := list.Flags().Int("limit", 50, "at most this many, newest first")
	asJSON := list.Flags().Bool("json", false, "print as JSON")
	list.RunE = func(c *cobra.Command, _ []string) error {
		return e.outboxList(c.Context(), *status, *limit, *asJSON)
	}
	retry := &cobra.Command{Use: "retry ID", Short: "send a failed message again (its attempts counted from zero)",
		Args: cobra.ExactArgs(1)}
	retry.RunE = func(c *cobra.Command, args []string) error {
		return e.outboxRetry(c.Context(), args[0])
	}
	return group("outbox", "show and retry the outgoing emails and SMS", list, retry)
}

func (e *cliEnv) outboxList(ctx context.Context, status string, limit int, asJSON bool) error {
	switch status {
	case "", store.MessagePending, store.MessageSent, store.MessageFailed:
	default:
		return usageError("--status must be pending, sent or failed")
	}
	a, err := e.openAdmin(ctx, e.cfgPath)
	if err != nil {
		return err
	}
	defer a.Close()
	counts, err := a.db.CountMessages(ctx)
	if err != nil {
		return err
	}
	ms, err := a.db.ListMessages(ctx, status, limit)
	if err != nil {
		return err
	}
	if asJSON {
		out := []map[string]any{}
		for _, m := range ms {
			out = append(out, map[string]any{"id": m.ID, "channel": m.Channel, "recipient": m.Recipient, "subject": m.Subject,
				"kind": m.Kind, "status": m.Status, "attempts": m.Attempts, "next_attempt_at": fmtTime(m.NextAttemptAt),
				"last_error": m.LastError, "created_at": fmtTime(m.CreatedAt), "sent_at": fmtTime(m.SentAt)})
		}
		return e.printJSON(map[string]any{"counts": counts, "messages": out})
	}
	fmt.Fprintf(e.stdout, "pending %d · sent %d · failed %d\n\n", counts[store.MessagePending], counts[store.MessageSent],
		counts[store.MessageFailed])
	if len(ms) == 0 {
		fmt.Fprintln(e.stdout, "no messages")
		return nil
	}
	fmt.Fprintf(e.stdout, "%-6s %-8s %-6s %-28s %-16s %-6s %-20s %s\n", "ID", "STATUS", "VIA", "RECIPIENT", "KIND", "TRIES",
		"NEXT/SENT", "ERROR")
	for _, m := range ms {
		when := m.NextAttemptAt
		if m.Status == store.MessageSent {
			when = m.SentAt
		}
		fmt.Fprintf(e.stdout, "%-6d %-8s %-6s %-28s %-16s %-6d %-20s %s\n", m.ID, m.Status, m.Channel, m.Recipient, m.Kind,
			m.Attempts, fmtTime(when), m.LastError)
	}
	return nil
}

func (e *cliEnv) outboxRetry(ctx context.Context, arg string) error {
	id, err := strconv.ParseInt(arg, 10, 64)
	if err != nil || id <= 0 {
		return usageError("outbox retry: %q is not a message id (see \"dinhdanh outbox list\")", arg)
	}
	a, err := e.openAdmin(ctx, e.cfgPath)
	if err != nil {
		return err
	}
	defer a.Close()
	switch err := a.db.RetryMessage(ctx, id, time.Now()); {
	case errors.Is(err, store.ErrNotFound):
		return fmt.Errorf("outbox retry: no message %d", id)
	case errors.Is(err, store.ErrChanged):
		return fmt.Errorf("outbox retry: message %d was sent already", id)
	case err != nil:
		return err
	}
	if err := a.app.Audit.Record(ctx, audit.Entry{Event: audit.OutboxRetry, Actor: "cli",
		Details: map[string]string{"message": strconv.FormatInt(id, 10)}}); err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "message %d is pending again; a node sends it within outbox.poll_interval\n", id)
	return nil
}
