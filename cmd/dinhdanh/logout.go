package main

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/dinhdanh/dinhdanh/store"
)

// logoutCommand shows the back-channel logout queue: what was delivered,
// what is being retried and what was given up.
func (e *cliEnv) logoutCommand() *cobra.Command {
	c := &cobra.Command{Use: "deliveries [--state pending|delivered|failed] [--limit N] [--json]",
		Short: "show the back-channel logout queue", Args: noArgs}
	state := c.Flags().String("state", "", "only deliveries in this state")
	limit := c.Flags().Int("limit", 50, "at most this many, newest first")
	asJSON := c.Flags().Bool("json", false, "print as JSON")
	c.RunE = func(c *cobra.Command, _ []string) error {
		return e.logoutDeliveries(c.Context(), *state, *limit, *asJSON)
	}
	return group("logout", "show the back-channel logout notifications", c)
}

func (e *cliEnv) logoutDeliveries(ctx context.Context, state string, limit int, asJSON bool) error {
	switch state {
	case "", store.DeliveryPending, store.DeliveryDelivered, store.DeliveryFailed:
	default:
		return usageError("--state must be pending, delivered or failed")
	}
	a, err := e.openAdmin(ctx, e.cfgPath)
	if err != nil {
		return err
	}
	defer a.Close()
	counts, err := a.db.CountLogouts(ctx)
	if err != nil {
		return err
	}
	ds, err := a.db.ListLogouts(ctx, state, limit)
	if err != nil {
		return err
	}
	if asJSON {
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
