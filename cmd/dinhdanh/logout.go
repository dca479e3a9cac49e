package main

import (
	"context"
	"fmt"

	"github.com/dinhdanh/dinhdanh/store"
)

// logoutCmd shows the back-channel logout queue: what was delivered, what
// is being retried and what was given up.
func (e *cliEnv) logoutCmd(ctx context.Context, args []string) error {
	if len(args) == 0 || args[0] != "deliveries" {
		return usageError("logout deliveries [--state pending|delivered|failed] [--limit N] [--json]")
	}
	fs, cfgPath := e.flags("logout deliveries", "logout deliveries [--state pending|delivered|failed] [--limit N] [--json]")
	state := fs.String("state", "", "only deliveries in this state")
	limit := fs.Int("limit", 50, "at most this many, newest first")
	asJSON := fs.Bool("json", false, "print as JSON")
	if err := e.parse(fs, args[1:]); err != nil {
		return err
	}
	switch *state {
	case "", store.DeliveryPending, store.DeliveryDelivered, store.DeliveryFailed:
	default:
		return usageError("--state must be pending, delivered or failed")
	}
	a, err := e.openAdmin(ctx, *cfgPath)
	if err != nil {
		return err
	}
	defer a.Close()
	counts, err := a.db.CountLogouts(ctx)
	if err != nil {
		return err
	}
	ds, err := a.db.ListLogouts(ctx, *state, *limit)
	if err != nil {
		return err
	}
	if *asJSON {
		out := []map[string]any{}
		for _, d := range ds {
			out = append(out, map[string]any{"id": d.ID, "client_id": d.ClientID, "uri": d.URI, "sub": d.Subject,
				"sid": d.SessionID, "reason": d.Reason, "state": d.State, "attempts": d.Attempts,
				"next_attempt_at": fmtTime(d.NextAttemptAt), "last_error": d.LastError, "created_at": fmtTime(d.CreatedAt)})
		}
		return e.printJSON(map[string]any{"counts": counts, "deliveries": out})
	}
	fmt.Fprintf(e.stdout, "pending %d · delivered %d · failed %d\n\n", counts[store.DeliveryPending],
		counts[store.DeliveryDelivered], counts[store.DeliveryFailed])
	if len(ds) == 0 {
		fmt.Fprintln(e.stdout, "no deliveries")
		return nil
	}
	fmt.Fprintf(e.stdout, "%-6s %-10s %-16s %-10s %-8s %-20s %s\n", "ID", "STATE", "CLIENT", "REASON", "TRIES", "NEXT/LAST", "ERROR")
	for _, d := range ds {
		fmt.Fprintf(e.stdout, "%-6d %-10s %-16s %-10s %-8d %-20s %s\n", d.ID, d.State, d.ClientID, d.Reason, d.Attempts,
			fmtTime(d.NextAttemptAt), d.LastError)
	}
	return nil
}
