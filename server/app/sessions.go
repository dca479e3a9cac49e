package app

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/dinhdanh/dinhdanh/config"
	"github.com/dinhdanh/dinhdanh/server/session"
	"github.com/dinhdanh/dinhdanh/store"
)

// NewSessions returns the SSO session manager of the configuration.
func NewSessions(cfg *config.Config, eph store.Ephemeral, index store.SessionIndex) *session.Manager {
	return &session.Manager{Store: eph, Index: index, CookieName: cfg.Session.CookieName,
		IdleTimeout: cfg.Session.IdleTimeout.D(), AbsoluteLifetime: cfg.Session.AbsoluteLifetime.D(),
		OfficialIdleTimeout: cfg.Session.OfficialIdleTimeout.D(), OfficialAbsoluteLifetime: cfg.Session.OfficialAbsoluteLifetime.D(),
		Secure: cfg.SecureCookie()}
}

// handleMetrics serves a few operational metrics in the Prometheus text
// format: the back-channel logout queue by state (shared by every node) and
// this node's delivery counters.
func (s *Services) handleMetrics(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 3*time.Second)
	defer cancel()
	counts, err := s.Store.CountLogouts(ctx)
	if err != nil {
		http.Error(w, "# the database cannot be reached\n", http.StatusServiceUnavailable)
		return
	}
	st := s.Logout.Stats()
	w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
	fmt.Fprintln(w, "# HELP dinhdanh_backchannel_logout_queue Back-channel logout notifications in the durable queue, by state.")
	fmt.Fprintln(w, "# TYPE dinhdanh_backchannel_logout_queue gauge")
	for _, state := range []string{store.DeliveryPending, store.DeliveryDelivered, store.DeliveryFailed} {
		fmt.Fprintf(w, "dinhdanh_backchannel_logout_queue{state=%q} %d\n", state, counts[state])
	}
	fmt.Fprintln(w, "# HELP dinhdanh_backchannel_logout_attempts_total Delivery attempts by this node, by outcome.")
	fmt.Fprintln(w, "# TYPE dinhdanh_backchannel_logout_attempts_total counter")
	fmt.Fprintf(w, "dinhdanh_backchannel_logout_attempts_total{outcome=\"delivered\"} %d\n", st.Delivered)
	fmt.Fprintf(w, "dinhdanh_backchannel_logout_attempts_total{outcome=\"retry\"} %d\n", st.Retried)
	fmt.Fprintf(w, "dinhdanh_backchannel_logout_attempts_total{outcome=\"failed\"} %d\n", st.Failed)
	if s.Outbox != nil {
		messages, err := s.Store.CountMessages(ctx)
		if err != nil {
			fmt.Fprintln(w, "# the outbox cannot be read")
			return
		}
		s.Outbox.WriteMetrics(w, messages)
	}
	writeAuditMetrics(w, s.AuditStream)
	if d, ok := s.dirs.(adminDirectories); ok {
		writeDirectoryMetrics(w, d.set)
	}
}
