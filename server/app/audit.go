package app

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"time"

	"github.com/dinhdanh/dinhdanh/config"
	"github.com/dinhdanh/dinhdanh/server/audit"
)

// openAuditStream starts the syslog stream of audit.syslog, or returns nil
// when none is configured.
func openAuditStream(cfg *config.Config, log *slog.Logger) (*audit.Syslog, error) {
	c := cfg.Audit.Syslog
	if c.Network == "" {
		return nil, nil
	}
	o := audit.SyslogOptions{Network: c.Network, Address: c.Address, AppName: c.AppName,
		Facility: audit.SyslogFacilities[c.Facility], Log: log}
	if c.Network == "tcp+tls" {
		host, _, _ := net.SplitHostPort(c.Address)
		o.TLS = &tls.Config{MinVersion: tls.VersionTLS12, ServerName: host}
		if c.CAFile != "" {
			pem, err := os.ReadFile(c.CAFile)
			if err != nil {
				return nil, fmt.Errorf("audit.syslog.ca_file: %w", err)
			}
			pool := x509.NewCertPool()
			if !pool.AppendCertsFromPEM(pem) {
				return nil, fmt.Errorf("audit.syslog.ca_file: %s holds no PEM certificate", c.CAFile)
			}
			o.TLS.RootCAs = pool
		}
	}
	s, err := audit.NewSyslog(o)
	if err != nil {
		return nil, fmt.Errorf("audit.syslog: %w", err)
	}
	return s, nil
}

// closeAuditStream sends what the stream still holds, for at most a few
// seconds.
func closeAuditStream(s *audit.Syslog) {
	if s == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = s.Close(ctx)
}

// auditStreamOption is the Recorder option that streams to s, none when s
// is nil.
func auditStreamOption(s *audit.Syslog) []audit.Option {
	if s == nil {
		return nil
	}
	return []audit.Option{audit.WithStream(s)}
}

// purgeAudit removes the audit events older than audit.retention before
// now (none when it is 0), stopping before the oldest event held for a
// closed account (store.PersonalData.AuditHeldFrom); see
// store.Audit.DeleteAuditBefore.
func (a *App) purgeAudit(ctx context.Context, now time.Time) {
	r := a.Config.Audit.Retention.D()
	if r <= 0 {
		return
	}
	cutoff := now.Add(-r)
	// The events about a closed account are kept until its AuditUntil
	// (privacy.closed_account_audit_retention).
	held, err := a.Store.AuditHeldFrom(ctx, now)
	if err != nil {
		if ctx.Err() == nil {
			a.Log.Warn("reading the audit events held for closed accounts", "err", err)
		}
		return
	}
	if !held.IsZero() && held.Before(cutoff) {
		cutoff = held
	}
	if n, err := a.Store.DeleteAuditBefore(ctx, cutoff); err != nil && ctx.Err() == nil {
		a.Log.Warn("removing audit events past their retention", "err", err)
	} else if n > 0 {
		a.Log.Info("removed audit events past their retention", "count", n, "retention", a.Config.Audit.Retention)
	}
}

// writeAuditMetrics writes the syslog stream's counters, when there is one.
func writeAuditMetrics(w io.Writer, s *audit.Syslog) {
	if s == nil {
		return
	}
	fmt.Fprintln(w, "# HELP dinhdanh_audit_syslog_messages_total Audit events streamed to syslog by this node, by outcome.")
	fmt.Fprintln(w, "# TYPE dinhdanh_audit_syslog_messages_total counter")
	fmt.Fprintf(w, "dinhdanh_audit_syslog_messages_total{outcome=\"sent\"} %d\n", s.Sent())
	fmt.Fprintln(w, "# HELP dinhdanh_audit_syslog_dropped_total Audit events not streamed to syslog because the queue was full.")
	fmt.Fprintln(w, "# TYPE dinhdanh_audit_syslog_dropped_total counter")
	fmt.Fprintf(w, "dinhdanh_audit_syslog_dropped_total %d\n", s.Dropped())
}
