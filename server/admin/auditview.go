package admin

import (
	"context"
	"slices"
	"strings"
	"time"

	"github.com/dinhdanh/dinhdanh/store"
)

// AuditQuery is a search of the audit log. Zero fields do not filter.
type AuditQuery struct {
	Subject  string // the account concerned
	Actor    string // who acted (a subject, "cli", "directory", …)
	ClientID string
	Type     string // an event type, e.g. "account.lock"; a prefix ending in "." matches an area ("login.")
	Address  string
	From, To time.Time // From <= Time < To
	Limit    int       // 1 to 500 (0 = 100)
	Offset   int
}

// maxAuditScan bounds how many events one search reads.
const maxAuditScan = 50000

// SearchAudit returns a page of audit events, newest first (audit.read).
// A province-wide auditor, agency_admin or super_admin reads every event;
// one whose roles are held in agencies reads only the events about, or
// acted by, a person of its scope, and must name that person (Subject or
// Actor): a search without refuses with Problems. Reading someone outside
// the scope is refused and audited.
func (s *Service) SearchAudit(ctx context.Context, q AuditQuery) ([]*store.AuditEvent, error) {
	var p Problems
	switch {
	case q.Limit == 0:
		q.Limit = 100
	case q.Limit < 1 || q.Limit > 500:
		p.add("limit", "must be between 1 and 500")
	}
	if q.Offset < 0 || q.Offset > maxAuditScan {
		p.add("offset", "must be between 0 and %d", maxAuditScan)
	}
	if !q.From.IsZero() && !q.To.IsZero() && !q.From.Before(q.To) {
		p.add("to", "must be after from")
	}
	for f, v := range map[string]string{"subject": q.Subject, "actor": q.Actor, "client_id": q.ClientID, "type": q.Type, "address": q.Address} {
		if len(v) > 200 {
			p.add(f, "at most 200 characters")
		}
	}
	if err := p.err(); err != nil {
		return nil, err
	}
	if err := s.allowAudit(ctx, q); err != nil {
		return nil, err
	}
	return s.readAudit(ctx, q)
}

// allowAudit checks the scope of an audit search.
func (s *Service) allowAudit(ctx context.Context, q AuditQuery) error {
	pr := s.principal
	if pr == nil {
		return nil
	}
	if s.refusal(pr, PermAuditRead, Target{}) == "" {
		return nil // province-wide
	}
	if err := s.allowSomewhere(ctx, PermAuditRead); err != nil {
		return err
	}
	if q.Subject == "" && q.Actor == "" {
		return Problems{{Field: "subject", Message: "an administrator of an agency searches the audit of one person: give subject or actor"}}
	}
	for _, id := range []string{q.Subject, q.Actor} {
		if id == "" {
			continue
		}
		a, err := s.Store.GetAccount(ctx, id)
		if IsNotFound(err) {
			return s.Allow(ctx, PermAuditRead, Target{Ref: id}) // nobody of any agency: province-wide only
		}
		if err != nil {
			return err
		}
		t, err := s.AccountTarget(ctx, a)
		if err != nil {
			return err
		}
		t.Grants = nil // reading is not acting on them
		if err := s.Allow(ctx, PermAuditRead, t); err != nil {
			return err
		}
	}
	return nil
}

// readAudit reads the events q asks for. It is the one place that asks the
// store: when the store searches by every field with key paging, only this
// changes.
func (s *Service) readAudit(ctx context.Context, q AuditQuery) ([]*store.AuditEvent, error) {
	n := min(maxAuditScan, q.Offset+q.Limit)
	if q.Actor != "" || q.ClientID != "" || q.Type != "" || q.Address != "" || !q.From.IsZero() || !q.To.IsZero() {
		n = maxAuditScan
	}
	evs, err := s.Store.ListAudit(ctx, q.Subject, n)
	if err != nil {
		return nil, err
	}
	out := []*store.AuditEvent{}
	skip := q.Offset
	for _, e := range evs {
		if !auditMatches(e, q) {
			continue
		}
		if skip > 0 {
			skip--
			continue
		}
		out = append(out, e)
		if len(out) == q.Limit {
			break
		}
	}
	return out, nil
}

func auditMatches(e *store.AuditEvent, q AuditQuery) bool {
	switch {
	case q.Actor != "" && e.Actor != q.Actor,
		q.ClientID != "" && e.ClientID != q.ClientID,
		q.Address != "" && e.Address != q.Address,
		!q.From.IsZero() && e.Time.Before(q.From),
		!q.To.IsZero() && !e.Time.Before(q.To):
		return false
	case q.Type == "":
		return true
	case strings.HasSuffix(q.Type, "."):
		return strings.HasPrefix(e.Type, q.Type)
	default:
		return e.Type == q.Type
	}
}

// DashboardView is the overview of the last day.
type DashboardView struct {
	From, To time.Time
	// Logins counts login.success and login.failure per hour and method.
	Logins []store.AuditCount
	// Lockouts counts login.locked and mfa.locked per hour.
	Lockouts []store.AuditCount
	// LogoutQueue is the number of back-channel deliveries per state.
	LogoutQueue map[string]int64
	// Directories is nil when the principal may not read them.
	Directories []DirectoryStatus
	// Keys is nil when the principal may not read them.
	Keys []KeyInfo
}

// Dashboard returns the overview of the 24 hours before now (audit.read,
// province-wide); the directories and the keys are included when the
// principal may read them.
func (s *Service) Dashboard(ctx context.Context, now time.Time) (*DashboardView, error) {
	if err := s.Allow(ctx, PermAuditRead, Target{Ref: "dashboard"}); err != nil {
		return nil, err
	}
	to := now.UTC().Truncate(time.Hour).Add(time.Hour)
	v := &DashboardView{From: to.Add(-24 * time.Hour), To: to}
	counts, err := s.Store.CountAudit(ctx, v.From, v.To, []string{"login.success", "login.failure", "login.locked", "mfa.locked"})
	if err != nil {
		return nil, err
	}
	v.Logins, v.Lockouts = []store.AuditCount{}, []store.AuditCount{}
	for _, c := range counts {
		if strings.HasSuffix(c.Type, ".locked") {
			v.Lockouts = append(v.Lockouts, c)
		} else {
			v.Logins = append(v.Logins, c)
		}
	}
	if v.LogoutQueue, err = s.Store.CountLogouts(ctx); err != nil {
		return nil, err
	}
	if s.principal == nil || s.refusal(s.principal, PermDirectoryRead, Target{}) == "" {
		if v.Directories, err = s.Directories(ctx); err != nil {
			return nil, err
		}
	}
	if s.Keys != nil && (s.principal == nil || s.refusal(s.principal, PermKeysRead, Target{}) == "") {
		if v.Keys, err = s.SigningKeys(ctx); err != nil {
			return nil, err
		}
	}
	slices.SortStableFunc(v.Lockouts, func(a, b store.AuditCount) int { return a.Hour.Compare(b.Hour) })
	return v, nil
}
