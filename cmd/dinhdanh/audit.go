package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"text/tabwriter"
	"time"
	"unicode"

	"github.com/spf13/cobra"

	"github.com/dinhdanh/dinhdanh/server/audit"
	"github.com/dinhdanh/dinhdanh/store"
)

// auditCommand reads the audit log: search it, export it, verify its chain.
func (e *cliEnv) auditCommand() *cobra.Command {
	search := &cobra.Command{Use: "search [filters] [--limit N] [--before ID] [--json]",
		Short: "print the events matching the filters, newest first", Args: noArgs}
	sf := auditFilterFlags(search)
	asJSON := search.Flags().Bool("json", false, "print as JSON")
	search.RunE = func(c *cobra.Command, _ []string) error {
		f, err := sf.filter()
		if err != nil {
			return err
		}
		return e.auditSearch(c.Context(), f, *asJSON)
	}

	export := &cobra.Command{Use: "export --format jsonl|csv [filters] [--output FILE]",
		Short: "write every event matching the filters as JSON lines or CSV", Args: noArgs}
	ef := auditFilterFlags(export)
	format := export.Flags().String("format", "jsonl", "jsonl or csv")
	output := export.Flags().String("output", "", "file to write (created, mode 0600); standard output when empty")
	export.RunE = func(c *cobra.Command, _ []string) error {
		f, err := ef.filter()
		if err != nil {
			return err
		}
		ft, err := audit.ParseExportFormat(*format)
		if err != nil {
			return usageError("--format: %v", err)
		}
		return e.auditExport(c.Context(), f, ft, *output)
	}

	verify := &cobra.Command{Use: "verify", Short: "check the hash chain of the audit log; exit status 1 at a break",
		Args: noArgs}
	verify.RunE = func(c *cobra.Command, _ []string) error { return e.auditVerify(c.Context()) }
	return group("audit", "search, export and verify the audit log", search, export, verify)
}

// auditFlags are the filter flags of the audit commands.
type auditFlags struct {
	subject, actor, client, address, from, to *string
	types                                     *[]string
	limit                                     *int
	before                                    *int64
}

func auditFilterFlags(c *cobra.Command) *auditFlags {
	fl := c.Flags()
	return &auditFlags{
		subject: fl.String("subject", "", "the account concerned (its subject)"),
		actor:   fl.String("actor", "", "who acted: an account's subject, cli, directory, anonymous…"),
		client:  fl.String("client", "", "the application's client ID"),
		address: fl.String("address", "", "the client address of the request"),
		types: fl.StringSlice("type", nil, "event types (login.success) or prefixes ending in \".\" (login.); "+
			"repeat or separate with commas"),
		from:   fl.String("from", "", "events at or after this time: RFC 3339 (2025-01-31T08:00:00+07:00) or a UTC date (2025-01-31)"),
		to:     fl.String("to", "", "events before this time, as --from"),
		limit:  fl.Int("limit", 0, fmt.Sprintf("search: at most this many (default %d, at most %d); export: events per page", store.AuditDefaultLimit, store.AuditMaxLimit)),
		before: fl.Int64("before", 0, "only events with a lower ID: the last ID of the previous page"),
	}
}

// filter returns the filter of the flags, or a usage error.
func (a *auditFlags) filter() (store.AuditFilter, error) {
	f := store.AuditFilter{Subject: *a.subject, Actor: *a.actor, ClientID: *a.client, Address: *a.address,
		Types: *a.types, Limit: *a.limit, Before: *a.before}
	var err error
	if f.From, err = parseAuditTime(*a.from); err != nil {
		return f, usageError("--from: %v", err)
	}
	if f.To, err = parseAuditTime(*a.to); err != nil {
		return f, usageError("--to: %v", err)
	}
	if err := f.Validate(); err != nil {
		return f, usageError("%v", err)
	}
	return f, nil
}

// parseAuditTime reads an RFC 3339 time or a date (midnight UTC); "" is
// the zero time.
func parseAuditTime(s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	if t, err := time.Parse(time.DateOnly, s); err == nil {
		return t, nil
	}
	return time.Time{}, fmt.Errorf("%q is neither an RFC 3339 time (2025-01-31T08:00:00+07:00) nor a date (2025-01-31)", s)
}

func (e *cliEnv) auditSearch(ctx context.Context, f store.AuditFilter, asJSON bool) error {
	a, err := e.openAdmin(ctx, e.cfgPath)
	if err != nil {
		return err
	}
	defer a.Close()
	events, err := a.db.SearchAudit(ctx, f)
	if err != nil {
		return err
	}
	if asJSON {
		out := []audit.JSONEvent{}
		for _, ev := range events {
			out = append(out, audit.NewJSONEvent(ev))
		}
		return e.printJSON(out)
	}
	if len(events) == 0 {
		fmt.Fprintln(e.stdout, "no events")
		return nil
	}
	tw := tabwriter.NewWriter(e.stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tTIME (UTC)\tTYPE\tACTOR\tSUBJECT\tCLIENT\tADDRESS\tDETAILS")
	for _, ev := range events {
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", ev.ID, ev.Time.UTC().Format("2006-01-02 15:04:05"),
			cell(ev.Type), cell(ev.Actor), cell(ev.Subject), cell(ev.ClientID), cell(ev.Address), details(ev.Details))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if len(events) == f.PageLimit() {
		fmt.Fprintf(e.stdout, "\nmore: add --before %d\n", events[len(events)-1].ID)
	}
	return nil
}

// cell makes a value safe to print in a terminal table: control characters
// (an escape sequence a hostile name may carry), tabs and newlines are
// shown escaped; "-" stands for empty.
func cell(s string) string {
	if s == "" {
		return "-"
	}
	var b strings.Builder
	for _, r := range s {
		if unicode.IsControl(r) || r == unicode.ReplacementChar {
			fmt.Fprintf(&b, "\\x%02x", r)
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

func details(d map[string]string) string {
	if len(d) == 0 {
		return "-"
	}
	keys := make([]string, 0, len(d))
	for k := range d {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = cell(k) + "=" + cell(d[k])
	}
	return strings.Join(parts, " ")
}

func (e *cliEnv) auditExport(ctx context.Context, f store.AuditFilter, format audit.ExportFormat, output string) error {
	a, err := e.openAdmin(ctx, e.cfgPath)
	if err != nil {
		return err
	}
	defer a.Close()
	var w io.Writer = e.stdout
	if output != "" {
		file, err := os.OpenFile(output, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if err != nil {
			return err
		}
		defer file.Close()
		w = file
	}
	n, err := audit.Export(ctx, a.db, f, format, w)
	if err != nil {
		return err
	}
	if output != "" {
		fmt.Fprintf(e.stderr, "%d events written to %s\n", n, output)
	}
	return nil
}

func (e *cliEnv) auditVerify(ctx context.Context) error {
	a, err := e.openAdmin(ctx, e.cfgPath)
	if err != nil {
		return err
	}
	defer a.Close()
	v, err := audit.Verify(ctx, a.db)
	if err != nil {
		return err
	}
	c := v.Chain
	fmt.Fprintf(e.stdout, "chain: events %d to %d, anchored after event %d\n", c.AnchorID+1, c.HeadID, c.AnchorID)
	if c.Unchained > 0 {
		fmt.Fprintf(e.stdout, "unchained: %d events written before the chain began (IDs below %d) are not verified\n",
			c.Unchained, c.Start)
	}
	fmt.Fprintf(e.stdout, "verified: %d events\n", v.Checked)
	if v.Break != nil {
		fmt.Fprintf(e.stdout, "BROKEN at event %d (%s): %s\n", v.Break.ID, v.Break.Kind, v.Break.Detail)
		return &exitError{code: 1, err: fmt.Errorf("the audit chain is broken at event %d", v.Break.ID)}
	}
	fmt.Fprintln(e.stdout, "ok: the chain is intact")
	return nil
}
