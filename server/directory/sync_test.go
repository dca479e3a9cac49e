package directory

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dinhdanh/dinhdanh/config"
	"github.com/dinhdanh/dinhdanh/server/audit"
	"github.com/dinhdanh/dinhdanh/server/identity"
	"github.com/dinhdanh/dinhdanh/store"
	"github.com/dinhdanh/dinhdanh/store/sqlstore"
)

// syncNode is one node's directory set over a shared store.
func syncNode(t *testing.T, db *sqlstore.DB, log *slog.Logger, cfg config.Directory) *Set {
	t.Helper()
	set, err := NewSet([]config.Directory{cfg}, Options{Log: log, Leases: db, Audit: audit.NewRecorder(db, log), Actor: "cli"},
		db, &recordingLocker{st: db})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(set.Close)
	return set
}

// enabledOfficials counts the directory's enabled accounts.
func enabledOfficials(t *testing.T, db *sqlstore.DB, name string) int {
	t.Helper()
	accts, err := db.ListDirectoryAccounts(t.Context(), name)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, a := range accts {
		if !a.Disabled {
			n++
		}
	}
	return n
}

// A full run whose search returns nobody, or too few people, disables
// nobody: it fails with a TooManyGoneError, logs it and audits it; --force
// applies it.
func TestSyncRefusesToDisableTooMany(t *testing.T) {
	srv := slapd(t)
	cfg := openLDAP(srv, "login")
	var logs bytes.Buffer
	log := slog.New(slog.NewTextHandler(&logs, nil))
	db := openStore(t)
	ctx := t.Context()
	res, err := syncNode(t, db, log, cfg).Sync(ctx, cfg.Name, true, nil)
	if err != nil {
		t.Fatal(err)
	}
	before := enabledOfficials(t, db, cfg.Name)
	if before < 3 {
		t.Fatalf("the first sync left %d enabled officials (%+v); the test needs several", before, res)
	}

	for _, tt := range []struct{ name, filter string }{
		{"empty search result", "(uid=khong-ai-ca)"},
		{"one person left", "(uid=" + firstUsername(t, db, cfg.Name) + ")"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			logs.Reset()
			c := cfg
			c.Users.Filter = tt.filter
			_, err := syncNode(t, db, log, c).Sync(ctx, cfg.Name, true, nil)
			var gone *TooManyGoneError
			if !errors.As(err, &gone) || gone.Enabled != before || gone.Gone < before-1 {
				t.Fatalf("sync over %s: %v, want a TooManyGoneError about %d officials", tt.filter, err, before)
			}
			if !strings.Contains(err.Error(), "nothing was changed") || !strings.Contains(err.Error(), "--force") {
				t.Fatalf("the error does not say what happened and what to do: %v", err)
			}
			if n := enabledOfficials(t, db, cfg.Name); n != before {
				t.Fatalf("a refused sync left %d of %d officials enabled", n, before)
			}
			if !strings.Contains(logs.String(), "synchronisation refused") {
				t.Fatalf("the refusal is not logged:\n%s", logs.String())
			}
		})
	}
	events, err := auditOf(t, db, audit.DirectorySyncRefused)
	if err != nil || len(events) != 2 || events[0].Details["directory"] != cfg.Name || events[0].Actor != "cli" {
		t.Fatalf("audit of the refusals: %+v, %v", events, err)
	}

	c := cfg
	c.Users.Filter = "(uid=khong-ai-ca)"
	res, err = syncNode(t, db, log, c).SyncWith(ctx, cfg.Name, SyncOptions{Full: true, Force: true})
	if err != nil || res.Disabled != before {
		t.Fatalf("forced sync: %+v, %v; want %d disabled", res, err, before)
	}
	if n := enabledOfficials(t, db, cfg.Name); n != 0 {
		t.Fatalf("%d officials still enabled after the forced sync", n)
	}
	events, err = auditOf(t, db, audit.DirectorySyncForced)
	if err != nil || len(events) != 1 {
		t.Fatalf("audit of the forced run: %+v, %v", events, err)
	}
}

// auditOf returns the audit records of the event, newest first.
func auditOf(t *testing.T, db *sqlstore.DB, ev audit.Event) ([]*store.AuditEvent, error) {
	all, err := db.ListAudit(t.Context(), "", 1000)
	var out []*store.AuditEvent
	for _, e := range all {
		if e.Type == string(ev) {
			out = append(out, e)
		}
	}
	return out, err
}

func firstUsername(t *testing.T, db *sqlstore.DB, name string) string {
	t.Helper()
	accts, err := db.ListDirectoryAccounts(t.Context(), name)
	if err != nil || len(accts) == 0 {
		t.Fatalf("ListDirectoryAccounts: %v, %v", accts, err)
	}
	return accts[0].Official.Username
}

// Two nodes start a synchronisation of the same directory at once: one runs,
// the other reports that it is running elsewhere and does nothing.
func TestSyncOneNodeAtATime(t *testing.T) {
	srv := slapd(t)
	cfg := openLDAP(srv, "login")
	db := openStore(t)
	nodes := []*Set{syncNode(t, db, slog.New(slog.DiscardHandler), cfg), syncNode(t, db, slog.New(slog.DiscardHandler), cfg)}
	start := make(chan struct{})
	done := []chan struct{}{make(chan struct{}), make(chan struct{})}
	errs := make([]error, 2)
	var wg sync.WaitGroup
	for i, n := range nodes {
		wg.Go(func() {
			var once sync.Once
			// A running sync waits for the other node to have tried, so that the two overlap.
			progress := func(int, int) {
				once.Do(func() {
					select {
					case <-done[1-i]:
					case <-time.After(5 * time.Second):
					}
				})
			}
			<-start
			_, errs[i] = n.SyncWith(context.Background(), cfg.Name, SyncOptions{Full: true, Progress: progress})
			close(done[i])
		})
	}
	close(start)
	wg.Wait()
	running := 0
	for _, err := range errs {
		switch {
		case errors.Is(err, ErrSyncRunning):
			running++
		case err != nil:
			t.Fatalf("sync: %v", err)
		}
	}
	if running != 1 {
		t.Fatalf("of two concurrent syncs, %d reported running elsewhere (errors %v); want exactly one", running, errs)
	}
	// The lease is released: the next run goes ahead.
	if _, err := nodes[0].Sync(t.Context(), cfg.Name, false, nil); err != nil {
		t.Fatalf("a sync after both ended: %v", err)
	}
}

// The log line of an ambiguous login carries a pseudonym of the input (here
// an e-mail address), never the input.
func TestAmbiguousLoginLogsNoInput(t *testing.T) {
	srv := slapd(t)
	var logs bytes.Buffer
	f := newFixture(t, Options{Log: slog.New(slog.NewTextHandler(&logs, nil))}, openLDAP(srv, "login"))
	const input = "chung@snv.tinh.gov.vn"
	acct, handled, ok, err := f.login(t, input, "chung-1")
	if !handled || ok || err != nil || acct != nil {
		t.Fatalf("ambiguous = %v, handled %v, ok %v, err %v; want refused", acct, handled, ok, err)
	}
	out := logs.String()
	if !strings.Contains(out, "several directory entries match a login") || !strings.Contains(out, identity.Pseudonym(input)) {
		t.Fatalf("the ambiguous login is not logged with the input's pseudonym:\n%s", out)
	}
	if strings.Contains(out, "chung@") || strings.Contains(out, "snv.tinh.gov.vn") {
		t.Fatalf("the log shows the login input:\n%s", out)
	}
}
