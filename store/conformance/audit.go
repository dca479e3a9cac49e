package conformance

import (
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/dinhdanh/dinhdanh/store"
)

// testAuditLog checks the audit log's search, hash chain and retention.
func testAuditLog(t *testing.T, open func(t *testing.T) store.Store) {
	t.Run("Search", func(t *testing.T) {
		s, ctx := open(t), t.Context()
		base := now().Add(-time.Hour)
		var all []*store.AuditEvent
		add := func(min int, typ, actor, subject, client, addr string) {
			e := &store.AuditEvent{Time: base.Add(time.Duration(min) * time.Minute), Type: typ, Actor: actor,
				Subject: subject, ClientID: client, Address: addr, Details: map[string]string{"n": fmt.Sprint(len(all))}}
			must(t, s.AppendAudit(ctx, e), "AppendAudit")
			all = append(all, e)
		}
		add(0, "login.success", "sub-1", "sub-1", "portal", "203.0.113.7")
		add(1, "login.failure", "anonymous", "sub-2", "portal", "198.51.100.2")
		add(2, "loginx.other", "sub-1", "sub-1", "", "203.0.113.7")
		add(3, "account.lock", "cli", "sub-2", "", "")
		add(4, "login", "system", "", "qlvb", "2001:db8::1")
		add(5, "mfa.failure", "sub-2", "sub-2", "qlvb", "198.51.100.2")
		add(6, "client.create", "admin-1", "", "qlvb", "203.0.113.7")
		add(7, "login.locked", "anonymous", "", "portal", "198.51.100.2")
		add(8, "account.unlock", "admin-1", "sub-2", "", "203.0.113.8")

		filters := []store.AuditFilter{
			{},
			{Subject: "sub-2"},
			{Actor: "anonymous"},
			{ClientID: "qlvb"},
			{Address: "198.51.100.2"},
			{Address: "203.0.113"}, // exact, not a prefix
			{Types: []string{"login."}},
			{Types: []string{"login"}},
			{Types: []string{"login.success", "account."}},
			{Types: []string{"account.lock"}},
			{Types: []string{"nothing."}},
			{From: base.Add(2 * time.Minute)},
			{To: base.Add(2 * time.Minute)},
			{From: base.Add(2 * time.Minute), To: base.Add(5 * time.Minute)},
			{Subject: "sub-2", Types: []string{"account."}, Address: "203.0.113.8"},
			{Actor: "anonymous", ClientID: "portal", Types: []string{"login."}},
			{Before: all[4].ID},
			{Before: all[4].ID, ClientID: "portal"},
			{Limit: 3},
			{Limit: 2, Types: []string{"login.", "mfa."}},
			{Subject: "nobody"},
		}
		for i, f := range filters {
			got, err := s.SearchAudit(ctx, f)
			must(t, err, fmt.Sprintf("SearchAudit(%d: %+v)", i, f))
			var want []int64
			for j := len(all) - 1; j >= 0 && len(want) < f.PageLimit(); j-- {
				if f.Matches(all[j]) {
					want = append(want, all[j].ID)
				}
			}
			if ids := eventIDs(got); !slices.Equal(ids, want) {
				t.Errorf("SearchAudit(%d: %+v) = IDs %v, want %v", i, f, ids, want)
			}
		}
		// A full event comes back as written.
		got, err := s.SearchAudit(ctx, store.AuditFilter{Types: []string{"mfa.failure"}})
		must(t, err, "SearchAudit(mfa.failure)")
		if len(got) != 1 {
			t.Fatalf("SearchAudit(mfa.failure) = %d events", len(got))
		}
		w, e := all[5], got[0]
		if e.ID != w.ID || e.Type != w.Type || e.Actor != w.Actor || e.Subject != w.Subject || e.ClientID != w.ClientID ||
			e.Address != w.Address || !sameTime(e.Time, w.Time) || e.Details["n"] != "5" || e.Hash != w.Hash ||
			e.PrevHash != w.PrevHash || e.Hash == "" {
			t.Fatalf("SearchAudit = %+v, want %+v", e, w)
		}
	})

	t.Run("SearchLimits", func(t *testing.T) {
		s, ctx := open(t), t.Context()
		for i := range store.AuditDefaultLimit + 5 {
			must(t, s.AppendAudit(ctx, &store.AuditEvent{Type: "login.success", Actor: fmt.Sprint("a", i)}), "AppendAudit")
		}
		got, err := s.SearchAudit(ctx, store.AuditFilter{})
		must(t, err, "SearchAudit")
		if len(got) != store.AuditDefaultLimit {
			t.Fatalf("SearchAudit with no limit = %d events, want %d", len(got), store.AuditDefaultLimit)
		}
		for _, f := range []store.AuditFilter{
			{Limit: store.AuditMaxLimit + 1},
			{Limit: -1},
			{Before: -5},
			{Types: []string{""}},
			{Types: []string{"."}},
			{From: now(), To: now().Add(-time.Minute)},
			{From: now(), To: now()},
		} {
			got, err := s.SearchAudit(ctx, f)
			wantErr(t, err, store.ErrInvalidAuditFilter, fmt.Sprintf("SearchAudit(%+v)", f))
			if len(got) != 0 {
				t.Errorf("SearchAudit(%+v) returned %d events with its error", f, len(got))
			}
		}
		got, err = s.SearchAudit(ctx, store.AuditFilter{Limit: store.AuditMaxLimit})
		must(t, err, "SearchAudit(max limit)")
		if len(got) != store.AuditDefaultLimit+5 {
			t.Fatalf("SearchAudit(max limit) = %d events, want all %d", len(got), store.AuditDefaultLimit+5)
		}
	})

	t.Run("PagingWhileAppending", func(t *testing.T) {
		s, ctx := open(t), t.Context()
		for i := range 60 {
			must(t, s.AppendAudit(ctx, &store.AuditEvent{Type: "login.success", Actor: fmt.Sprint("a", i)}), "AppendAudit")
		}
		stop := make(chan struct{})
		var wg sync.WaitGroup
		var appended atomic.Int64
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				if err := s.AppendAudit(ctx, &store.AuditEvent{Type: "login.failure", Actor: "racer"}); err != nil {
					t.Errorf("AppendAudit while paging: %v", err)
					return
				}
				appended.Add(1)
			}
		}()
		var seen []int64
		f := store.AuditFilter{Limit: 7}
		first := int64(0)
		for {
			page, err := s.SearchAudit(ctx, f)
			if err != nil {
				close(stop)
				wg.Wait()
				t.Fatalf("SearchAudit page: %v", err)
			}
			if first == 0 && len(page) > 0 {
				first = page[0].ID
			}
			seen = append(seen, eventIDs(page)...)
			if len(page) < f.Limit {
				break
			}
			f.Before = page[len(page)-1].ID
		}
		close(stop)
		wg.Wait()
		// Every event up to the newest of the first page, exactly once, in
		// descending order.
		all, err := s.AuditAfter(ctx, 0, store.AuditMaxLimit)
		must(t, err, "AuditAfter")
		var want []int64
		for i := len(all) - 1; i >= 0; i-- {
			if all[i].ID <= first {
				want = append(want, all[i].ID)
			}
		}
		if !slices.Equal(seen, want) {
			t.Fatalf("paging saw %d IDs %v, want %d IDs %v (appended meanwhile: %d)", len(seen), seen, len(want), want,
				appended.Load())
		}
	})

	t.Run("Chain", func(t *testing.T) {
		s, ctx := open(t), t.Context()
		c, err := s.AuditChain(ctx)
		must(t, err, "AuditChain(empty)")
		if c.HeadID != c.AnchorID || c.HeadHash != c.AnchorHash || c.Unchained != 0 {
			t.Fatalf("AuditChain of an empty log = %+v", c)
		}
		for i := range 5 {
			e := &store.AuditEvent{Type: "client.create", Actor: "cli", ClientID: fmt.Sprint("c", i),
				Details: map[string]string{"name.after": "Cổng dịch vụ công", "i": fmt.Sprint(i)}}
			must(t, s.AppendAudit(ctx, e), "AppendAudit")
			if e.Hash != store.AuditHash(e.PrevHash, e) {
				t.Fatalf("AppendAudit set Hash %q, want AuditHash(PrevHash, event)", e.Hash)
			}
		}
		checkChain(t, s, 5)
	})

	t.Run("ConcurrentAppends", func(t *testing.T) {
		s := open(t)
		AuditChainAcrossHandles(t, s)
	})

	t.Run("Retention", func(t *testing.T) {
		s, ctx := open(t), t.Context()
		old := now().Add(-48 * time.Hour)
		cutoff := now().Add(-24 * time.Hour)
		var events []*store.AuditEvent
		for i, at := range []time.Time{old, old.Add(time.Minute), old.Add(2 * time.Minute), now(),
			old.Add(3 * time.Minute), now()} {
			e := &store.AuditEvent{Time: at, Type: "login.success", Actor: fmt.Sprint("a", i)}
			must(t, s.AppendAudit(ctx, e), "AppendAudit")
			events = append(events, e)
		}
		n, err := s.DeleteAuditBefore(ctx, cutoff)
		must(t, err, "DeleteAuditBefore")
		// The oldest run only: the old event written after a recent one stays,
		// so that the chain has no hole.
		if n != 3 {
			t.Fatalf("DeleteAuditBefore removed %d events, want the 3 oldest", n)
		}
		c, err := s.AuditChain(ctx)
		must(t, err, "AuditChain")
		if c.AnchorID != events[2].ID || c.AnchorHash != events[2].Hash {
			t.Fatalf("anchor = %d %q, want the last removed event %d %q", c.AnchorID, c.AnchorHash, events[2].ID, events[2].Hash)
		}
		kept, err := s.AuditAfter(ctx, 0, 100)
		must(t, err, "AuditAfter")
		if ids := eventIDs(kept); !slices.Equal(ids, eventIDs(events[3:])) {
			t.Fatalf("kept IDs %v, want %v", ids, eventIDs(events[3:]))
		}
		checkChain(t, s, 3)
		n, err = s.DeleteAuditBefore(ctx, cutoff)
		must(t, err, "DeleteAuditBefore again")
		if n != 0 {
			t.Fatalf("DeleteAuditBefore again removed %d events", n)
		}
		// Everything removed: the anchor is the head.
		n, err = s.DeleteAuditBefore(ctx, now().Add(time.Hour))
		must(t, err, "DeleteAuditBefore(all)")
		if n != 3 {
			t.Fatalf("DeleteAuditBefore(all) removed %d, want 3", n)
		}
		checkChain(t, s, 0)
		e := &store.AuditEvent{Type: "login.success", Actor: "after"}
		must(t, s.AppendAudit(ctx, e), "AppendAudit after retention")
		if e.PrevHash != events[5].Hash || e.ID != events[5].ID+1 {
			t.Fatalf("event after retention: ID %d PrevHash %q, want %d %q", e.ID, e.PrevHash, events[5].ID+1, events[5].Hash)
		}
		checkChain(t, s, 1)
	})

	t.Run("RetentionInBatches", func(t *testing.T) {
		s, ctx := open(t), t.Context()
		old := now().Add(-48 * time.Hour)
		const n = 2500
		errs := Concurrently(Racers, func(i int) error {
			for j := i; j < n; j += Racers {
				if err := s.AppendAudit(ctx, &store.AuditEvent{Time: old, Type: "login.failure", Actor: "a"}); err != nil {
					return err
				}
			}
			return nil
		})
		for _, err := range errs {
			must(t, err, "AppendAudit")
		}
		must(t, s.AppendAudit(ctx, &store.AuditEvent{Type: "login.success", Actor: "kept"}), "AppendAudit")
		removed, err := s.DeleteAuditBefore(ctx, now().Add(-time.Hour))
		must(t, err, "DeleteAuditBefore")
		if removed != n {
			t.Fatalf("DeleteAuditBefore removed %d, want %d", removed, n)
		}
		checkChain(t, s, 1)
	})
}

// AuditChainAcrossHandles appends events concurrently through every handle
// (several handles over one database stand for several processes or nodes)
// and checks that they form one chain: consecutive IDs, each event's
// PrevHash the Hash of the one before, each Hash right, and the head the
// last event.
func AuditChainAcrossHandles(t *testing.T, handles ...store.Audit) {
	t.Helper()
	ctx := t.Context()
	before, err := handles[0].AuditChain(ctx)
	must(t, err, "AuditChain")
	const each = 15
	start := make(chan struct{})
	var wg sync.WaitGroup
	errs := make([]error, Racers*len(handles))
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			h := handles[i%len(handles)]
			for j := range each {
				if err := h.AppendAudit(ctx, &store.AuditEvent{Type: "login.success", Actor: fmt.Sprint("racer-", i),
					Details: map[string]string{"j": fmt.Sprint(j)}}); err != nil {
					errs[i] = err
					return
				}
			}
		}()
	}
	close(start)
	wg.Wait()
	for _, err := range errs {
		must(t, err, "AppendAudit from a racer")
	}
	after, err := handles[len(handles)-1].AuditChain(ctx)
	must(t, err, "AuditChain")
	if got, want := after.HeadID-before.HeadID, int64(len(errs)*each); got != want {
		t.Fatalf("the head moved by %d, want %d", got, want)
	}
	checkChain(t, handles[0], int(after.HeadID-after.AnchorID))
}

// checkChain walks the chain from its anchor and fails the test at the first
// event that does not follow, or when it does not hold want events.
func checkChain(t *testing.T, s store.Audit, want int) {
	t.Helper()
	ctx := t.Context()
	c, err := s.AuditChain(ctx)
	must(t, err, "AuditChain")
	id, prev, n := c.AnchorID, c.AnchorHash, 0
	for {
		page, err := s.AuditAfter(ctx, id, 400)
		must(t, err, "AuditAfter")
		if len(page) == 0 {
			break
		}
		for _, e := range page {
			if e.ID != id+1 || e.PrevHash != prev || e.Hash != store.AuditHash(prev, e) {
				t.Fatalf("event %d does not follow event %d (%q): PrevHash %q, Hash %q, AuditHash %q", e.ID, id, prev,
					e.PrevHash, e.Hash, store.AuditHash(prev, e))
			}
			id, prev = e.ID, e.Hash
			n++
		}
	}
	if id != c.HeadID || prev != c.HeadHash {
		t.Fatalf("the chain ends at %d %q, its head is %d %q", id, prev, c.HeadID, c.HeadHash)
	}
	if n != want {
		t.Fatalf("the chain holds %d events, want %d", n, want)
	}
}

func eventIDs(events []*store.AuditEvent) []int64 {
	var ids []int64
	for _, e := range events {
		ids = append(ids, e.ID)
	}
	return ids
}
