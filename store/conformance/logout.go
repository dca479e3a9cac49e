package conformance

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/dinhdanh/dinhdanh/store"
)

func testLogout(t *testing.T, open func(t *testing.T) store.Store) {
	testSessionRefClaims(t, open)
	testQueueClaims(t, open)
	t.Run("SessionRefreshTokensSpareOffline", func(t *testing.T) {
		s, ctx := open(t), t.Context()
		online := refreshToken("on", "req-on", "portal", "sub-1")
		online.SessionID = "sso-A"
		offline := refreshToken("off", "req-off", "portal", "sub-1")
		offline.SessionID, offline.Offline = "sso-A", true
		other := refreshToken("other", "req-other", "portal", "sub-1")
		other.SessionID = "sso-B"
		for _, rt := range []*store.RefreshToken{online, offline, other} {
			must(t, s.CreateRefreshToken(ctx, rt), "CreateRefreshToken")
		}
		got, err := s.GetRefreshToken(ctx, "off")
		must(t, err, "GetRefreshToken")
		sameRefreshToken(t, got, offline, "offline token round trip")
		n, err := s.RevokeSessionRefreshTokens(ctx, "sso-A")
		must(t, err, "RevokeSessionRefreshTokens")
		if n != 1 {
			t.Errorf("revoked %d tokens, want 1", n)
		}
		for sig, want := range map[string]bool{"on": false, "off": true, "other": true} {
			if got := activeOf(t, s, sig); got != want {
				t.Errorf("token %s active = %v after ending sso-A, want %v", sig, got, want)
			}
		}
		if n, err := s.RevokeSessionRefreshTokens(ctx, ""); err != nil || n != 0 {
			t.Errorf("RevokeSessionRefreshTokens(\"\") = %d, %v", n, err)
		}
	})

	t.Run("SessionIndex", func(t *testing.T) {
		s, ctx := open(t), t.Context()
		base := now()
		refs := []*store.SessionRef{
			{ID: "s1", Subject: "sub-1", Clients: []string{"portal", "dvc"}, ExpiresAt: base.Add(-time.Minute)},
			{ID: "s2", Subject: "sub-1", ExpiresAt: base.Add(time.Hour)},
			{ID: "s3", Subject: "sub-2", Clients: []string{"qlvb"}, ExpiresAt: base.Add(-2 * time.Minute)},
		}
		for _, r := range refs {
			must(t, s.PutSessionRef(ctx, r), "PutSessionRef")
		}
		due, err := s.DueSessionRefs(ctx, base, 10)
		must(t, err, "DueSessionRefs")
		if len(due) != 2 || due[0].ID != "s3" || due[1].ID != "s1" {
			t.Fatalf("due = %v, want s3 then s1", refIDs(due))
		}
		if got := sortedCopy(due[1].Clients); len(got) != 2 || got[0] != "dvc" || got[1] != "portal" {
			t.Errorf("clients of s1 = %v", due[1].Clients)
		}
		// Replacing a reference moves its expiry.
		refs[0].ExpiresAt = base.Add(time.Hour)
		refs[0].Clients = append(refs[0].Clients, "mot-cua")
		must(t, s.PutSessionRef(ctx, refs[0]), "PutSessionRef(replace)")
		due, err = s.DueSessionRefs(ctx, base, 10)
		must(t, err, "DueSessionRefs")
		if len(due) != 1 || due[0].ID != "s3" {
			t.Fatalf("due after extending s1 = %v, want s3", refIDs(due))
		}
		mine, err := s.SessionRefsOfSubject(ctx, "sub-1")
		must(t, err, "SessionRefsOfSubject")
		if len(mine) != 2 {
			t.Fatalf("sessions of sub-1 = %v", refIDs(mine))
		}
		must(t, s.DeleteSessionRef(ctx, "s3"), "DeleteSessionRef")
		must(t, s.DeleteSessionRef(ctx, "missing"), "DeleteSessionRef(missing)")
		if due, _ := s.DueSessionRefs(ctx, base, 10); len(due) != 0 {
			t.Fatalf("due after delete = %v", refIDs(due))
		}
		if due, _ := s.DueSessionRefs(ctx, base.Add(2*time.Hour), 1); len(due) != 1 {
			t.Fatalf("limit not honoured: %v", refIDs(due))
		}
	})

	t.Run("Queue", func(t *testing.T) {
		s, ctx := open(t), t.Context()
		var ds []*store.LogoutDelivery
		for i := range 3 {
			ds = append(ds, &store.LogoutDelivery{ClientID: fmt.Sprintf("rp%d", i), URI: "http://127.0.0.1/bc", Subject: "sub-1",
				SessionID: "sso-1", JTI: fmt.Sprintf("jti-%d", i), Reason: "logout"})
		}
		must(t, s.EnqueueLogouts(ctx, ds), "EnqueueLogouts")
		for _, d := range ds {
			if d.ID == 0 || d.State != store.DeliveryPending {
				t.Fatalf("enqueued %+v", d)
			}
		}
		t0 := now().Add(time.Second)
		claimed, err := s.ClaimLogouts(ctx, t0, time.Minute, 2)
		must(t, err, "ClaimLogouts")
		if len(claimed) != 2 {
			t.Fatalf("claimed %d, want 2", len(claimed))
		}
		// Leased deliveries are not claimed again before the lease ends.
		again, err := s.ClaimLogouts(ctx, t0, time.Minute, 10)
		must(t, err, "ClaimLogouts(again)")
		if len(again) != 1 || again[0].ID == claimed[0].ID || again[0].ID == claimed[1].ID {
			t.Fatalf("second claim = %d deliveries", len(again))
		}
		if got, _ := s.ClaimLogouts(ctx, t0, time.Minute, 10); len(got) != 0 {
			t.Fatalf("third claim got %d", len(got))
		}
		// Success, retry and failure.
		claimed[0].State, claimed[0].Attempts = store.DeliveryDelivered, 1
		must(t, s.FinishLogout(ctx, claimed[0]), "FinishLogout(delivered)")
		claimed[1].Attempts, claimed[1].LastError, claimed[1].NextAttemptAt = 1, "connection refused", t0.Add(5*time.Second)
		must(t, s.FinishLogout(ctx, claimed[1]), "FinishLogout(retry)")
		again[0].State, again[0].Attempts, again[0].LastError = store.DeliveryFailed, 9, "gave up"
		must(t, s.FinishLogout(ctx, again[0]), "FinishLogout(failed)")
		if got, _ := s.ClaimLogouts(ctx, t0.Add(4*time.Second), time.Minute, 10); len(got) != 0 {
			t.Fatalf("claimed a delivery before its retry time")
		}
		retry, err := s.ClaimLogouts(ctx, t0.Add(6*time.Second), time.Minute, 10)
		must(t, err, "ClaimLogouts(retry)")
		if len(retry) != 1 || retry[0].ID != claimed[1].ID || retry[0].Attempts != 1 || retry[0].LastError != "connection refused" ||
			retry[0].JTI != claimed[1].JTI {
			t.Fatalf("retry claim = %+v", retry)
		}
		counts, err := s.CountLogouts(ctx)
		must(t, err, "CountLogouts")
		if counts[store.DeliveryDelivered] != 1 || counts[store.DeliveryFailed] != 1 || counts[store.DeliveryPending] != 1 {
			t.Fatalf("counts = %v", counts)
		}
		failed, err := s.ListLogouts(ctx, store.DeliveryFailed, 10)
		must(t, err, "ListLogouts")
		if len(failed) != 1 || failed[0].LastError != "gave up" || failed[0].Attempts != 9 {
			t.Fatalf("failed = %+v", failed)
		}
		all, _ := s.ListLogouts(ctx, "", 10)
		if len(all) != 3 || all[0].ID < all[2].ID {
			t.Fatalf("ListLogouts(all) = %d, newest first", len(all))
		}
		missing := &store.LogoutDelivery{ID: 1 << 40, State: store.DeliveryDelivered}
		wantErr(t, s.FinishLogout(ctx, missing), store.ErrNotFound, "FinishLogout(missing)")
	})

	t.Run("QueuePurge", func(t *testing.T) { testLogoutPurge(t, open) })

	t.Run("QueueConcurrentClaims", func(t *testing.T) {
		s, ctx := open(t), t.Context()
		var ds []*store.LogoutDelivery
		for i := range 20 {
			ds = append(ds, &store.LogoutDelivery{ClientID: "rp", URI: "http://127.0.0.1/bc", Subject: "s", SessionID: "x",
				JTI: fmt.Sprintf("j%d", i), Reason: "logout"})
		}
		must(t, s.EnqueueLogouts(ctx, ds), "EnqueueLogouts")
		seen := make(chan int64, 100)
		errs := Concurrently(Racers, func(int) error {
			got, err := s.ClaimLogouts(ctx, now().Add(time.Second), time.Minute, 5)
			for _, d := range got {
				seen <- d.ID
			}
			return err
		})
		close(seen)
		for _, err := range errs {
			must(t, err, "ClaimLogouts")
		}
		ids := map[int64]bool{}
		for id := range seen {
			if ids[id] {
				t.Fatalf("delivery %d claimed twice", id)
			}
			ids[id] = true
		}
		if len(ids) != 20 {
			t.Fatalf("claimed %d of 20 deliveries", len(ids))
		}
	})
}

func testLogoutPurge(t *testing.T, open func(t *testing.T) store.Store) {
	s, ctx := open(t), t.Context()
	var ds []*store.LogoutDelivery
	for i := range 4 {
		ds = append(ds, &store.LogoutDelivery{ClientID: fmt.Sprintf("rp%d", i), URI: "http://127.0.0.1/bc", Subject: "sub-1",
			SessionID: "sso-purge", JTI: fmt.Sprintf("purge-%d", i), Reason: "logout"})
	}
	must(t, s.EnqueueLogouts(ctx, ds), "EnqueueLogouts")
	claimed, err := s.ClaimLogouts(ctx, now().Add(time.Second), time.Minute, 10)
	must(t, err, "ClaimLogouts")
	if len(claimed) != 4 {
		t.Fatalf("claimed %d, want 4", len(claimed))
	}
	// Finished before the cut: one delivered, one failed; after it: one
	// delivered; one stays pending (a retry).
	claimed[0].State, claimed[0].Attempts = store.DeliveryDelivered, 1
	must(t, s.FinishLogout(ctx, claimed[0]), "FinishLogout(old delivered)")
	claimed[1].State, claimed[1].Attempts, claimed[1].LastError = store.DeliveryFailed, 9, "gave up"
	must(t, s.FinishLogout(ctx, claimed[1]), "FinishLogout(old failed)")
	claimed[3].Attempts, claimed[3].LastError, claimed[3].NextAttemptAt = 1, "connection refused", now().Add(time.Hour)
	must(t, s.FinishLogout(ctx, claimed[3]), "FinishLogout(retry)")
	time.Sleep(5 * time.Millisecond)
	cut := time.Now()
	time.Sleep(5 * time.Millisecond)
	claimed[2].State, claimed[2].Attempts = store.DeliveryDelivered, 1
	must(t, s.FinishLogout(ctx, claimed[2]), "FinishLogout(recent delivered)")

	n, err := s.PurgeLogouts(ctx, cut)
	must(t, err, "PurgeLogouts")
	if n != 2 {
		t.Errorf("PurgeLogouts(cut) = %d, want 2 (the delivered and the failed one finished before it)", n)
	}
	left := map[int64]string{}
	all, err := s.ListLogouts(ctx, "", 10)
	must(t, err, "ListLogouts")
	for _, d := range all {
		left[d.ID] = d.State
	}
	if len(left) != 2 || left[claimed[2].ID] != store.DeliveryDelivered || left[claimed[3].ID] != store.DeliveryPending {
		t.Fatalf("after the purge: %v, want the recent delivered %d and the pending %d", left, claimed[2].ID, claimed[3].ID)
	}
	// A pending delivery stays however old it is.
	n, err = s.PurgeLogouts(ctx, time.Now().Add(24*time.Hour))
	must(t, err, "PurgeLogouts(later)")
	counts, err := s.CountLogouts(ctx)
	must(t, err, "CountLogouts")
	if n != 1 || counts[store.DeliveryPending] != 1 || counts[store.DeliveryDelivered] != 0 || counts[store.DeliveryFailed] != 0 {
		t.Fatalf("PurgeLogouts(later) = %d, counts %v: want 1 purged and the pending one left", n, counts)
	}
}

func testSessionRefClaims(t *testing.T, open func(t *testing.T) store.Store) {
	t.Run("UpdateSessionRef", func(t *testing.T) {
		s, ctx := open(t), t.Context()
		base := now()
		must(t, s.PutSessionRef(ctx, &store.SessionRef{ID: "u1", Subject: "sub-1", Clients: []string{"portal"},
			ExpiresAt: base.Add(-time.Minute)}), "PutSessionRef")
		must(t, s.UpdateSessionRef(ctx, &store.SessionRef{ID: "u1", Subject: "sub-1", Clients: []string{"dvc", "portal"},
			ExpiresAt: base.Add(time.Hour)}), "UpdateSessionRef")
		must(t, s.UpdateSessionRef(ctx, &store.SessionRef{ID: "u1", Subject: "sub-1", Clients: []string{"mot-cua"},
			ExpiresAt: base.Add(2 * time.Hour)}), "UpdateSessionRef(another client)")
		mine, err := s.SessionRefsOfSubject(ctx, "sub-1")
		must(t, err, "SessionRefsOfSubject")
		if len(mine) != 1 || !slices.Equal(sortedCopy(mine[0].Clients), []string{"dvc", "mot-cua", "portal"}) ||
			!sameTime(mine[0].ExpiresAt, base.Add(2*time.Hour)) {
			t.Fatalf("reference after updates = %+v", mine)
		}
		// An update never brings a removed reference back.
		must(t, s.DeleteSessionRef(ctx, "u1"), "DeleteSessionRef")
		wantErr(t, s.UpdateSessionRef(ctx, &store.SessionRef{ID: "u1", Subject: "sub-1", Clients: []string{"portal"},
			ExpiresAt: base.Add(time.Hour)}), store.ErrNotFound, "UpdateSessionRef(removed)")
		if mine, _ := s.SessionRefsOfSubject(ctx, "sub-1"); len(mine) != 0 {
			t.Fatalf("an update recreated the reference: %v", refIDs(mine))
		}
	})

	t.Run("ConcurrentSessionRefClients", func(t *testing.T) {
		s, ctx := open(t), t.Context()
		for n := range Repeats {
			id := fmt.Sprintf("c%d", n)
			must(t, s.PutSessionRef(ctx, &store.SessionRef{ID: id, Subject: "sub-c", ExpiresAt: now().Add(time.Hour)}), "PutSessionRef")
			errs := Concurrently(Racers, func(i int) error {
				return s.UpdateSessionRef(ctx, &store.SessionRef{ID: id, Subject: "sub-c", Clients: []string{fmt.Sprintf("rp%d", i)},
					ExpiresAt: now().Add(time.Hour)})
			})
			for _, err := range errs {
				must(t, err, "UpdateSessionRef")
			}
		}
		refs, err := s.SessionRefsOfSubject(ctx, "sub-c")
		must(t, err, "SessionRefsOfSubject")
		for _, r := range refs {
			if len(r.Clients) != Racers {
				t.Errorf("%s records %d of %d clients added concurrently: %v", r.ID, len(r.Clients), Racers, r.Clients)
			}
		}
	})

	t.Run("EndSessionRefOnce", func(t *testing.T) {
		s, ctx := open(t), t.Context()
		for n := range Repeats {
			id := fmt.Sprintf("e%d", n)
			must(t, s.PutSessionRef(ctx, &store.SessionRef{ID: id, Subject: "sub-e", Clients: []string{"a", "b"},
				ExpiresAt: now().Add(-time.Minute)}), "PutSessionRef")
			errs := Concurrently(Racers, func(i int) error {
				return s.EndSessionRef(ctx, id, []*store.LogoutDelivery{
					{ClientID: "a", URI: "http://127.0.0.1/a", Subject: "sub-e", SessionID: id, JTI: fmt.Sprintf("%s-a-%d", id, i), Reason: "expired"},
					{ClientID: "b", URI: "http://127.0.0.1/b", Subject: "sub-e", SessionID: id, JTI: fmt.Sprintf("%s-b-%d", id, i), Reason: "expired"},
				})
			})
			ExactlyOneNil(t, errs, store.ErrNotFound, "EndSessionRef")
		}
		counts, err := s.CountLogouts(ctx)
		must(t, err, "CountLogouts")
		if counts[store.DeliveryPending] != 2*Repeats {
			t.Fatalf("%d notices queued for %d sessions of two clients, want %d", counts[store.DeliveryPending], Repeats, 2*Repeats)
		}
		wantErr(t, s.EndSessionRef(ctx, "missing", []*store.LogoutDelivery{{ClientID: "a", URI: "http://127.0.0.1/a",
			JTI: "x", Reason: "expired"}}), store.ErrNotFound, "EndSessionRef(missing)")
		if counts, _ := s.CountLogouts(ctx); counts[store.DeliveryPending] != 2*Repeats {
			t.Fatalf("ending a missing reference queued notices")
		}
	})
}

func testQueueClaims(t *testing.T, open func(t *testing.T) store.Store) {
	t.Run("FinishGuardedByClaim", func(t *testing.T) {
		s, ctx := open(t), t.Context()
		must(t, s.EnqueueLogouts(ctx, []*store.LogoutDelivery{{ClientID: "rp", URI: "http://127.0.0.1/bc", Subject: "s",
			SessionID: "x", JTI: "j", Reason: "logout"}}), "EnqueueLogouts")
		t0 := now().Add(time.Second)
		first, err := s.ClaimLogouts(ctx, t0, time.Minute, 10)
		must(t, err, "ClaimLogouts")
		if len(first) != 1 || first[0].Claim == "" {
			t.Fatalf("claimed %+v", first)
		}
		// The first claim's lease runs out; another node claims the delivery.
		second, err := s.ClaimLogouts(ctx, t0.Add(2*time.Minute), time.Minute, 10)
		must(t, err, "ClaimLogouts(after the lease)")
		if len(second) != 1 || second[0].Claim == first[0].Claim {
			t.Fatalf("second claim = %+v", second)
		}
		first[0].State, first[0].Attempts = store.DeliveryDelivered, 1
		wantErr(t, s.FinishLogout(ctx, first[0]), store.ErrChanged, "FinishLogout(lost claim)")
		if n, err := s.RenewLogoutClaim(ctx, first[0].Claim, t0.Add(time.Hour)); err != nil || n != 0 {
			t.Fatalf("RenewLogoutClaim(lost claim) = %d, %v", n, err)
		}
		if n, err := s.RenewLogoutClaim(ctx, second[0].Claim, t0.Add(time.Hour)); err != nil || n != 1 {
			t.Fatalf("RenewLogoutClaim = %d, %v", n, err)
		}
		// Renewed: not due when the second lease would have run out.
		if got, _ := s.ClaimLogouts(ctx, t0.Add(4*time.Minute), time.Minute, 10); len(got) != 0 {
			t.Fatalf("a renewed claim was claimed again")
		}
		second[0].State, second[0].Attempts = store.DeliveryDelivered, 1
		must(t, s.FinishLogout(ctx, second[0]), "FinishLogout(holder)")
		wantErr(t, s.FinishLogout(ctx, second[0]), store.ErrChanged, "FinishLogout(twice)")
		done, _ := s.ListLogouts(ctx, store.DeliveryDelivered, 10)
		if len(done) != 1 || done[0].Attempts != 1 {
			t.Fatalf("delivered = %+v", done)
		}
	})

	t.Run("Purge", func(t *testing.T) {
		s, ctx := open(t), t.Context()
		var ds []*store.LogoutDelivery
		for i := range 3 {
			ds = append(ds, &store.LogoutDelivery{ClientID: "rp", URI: "http://127.0.0.1/bc", Subject: "s", SessionID: "x",
				JTI: fmt.Sprintf("p%d", i), Reason: "logout"})
		}
		must(t, s.EnqueueLogouts(ctx, ds), "EnqueueLogouts")
		claimed, err := s.ClaimLogouts(ctx, now().Add(time.Second), time.Minute, 10)
		must(t, err, "ClaimLogouts")
		if len(claimed) != 3 {
			t.Fatalf("claimed %d", len(claimed))
		}
		claimed[0].State = store.DeliveryDelivered
		claimed[1].State = store.DeliveryFailed
		for _, d := range claimed[:2] {
			must(t, s.FinishLogout(ctx, d), "FinishLogout")
		}
		if n, err := s.PurgeLogouts(ctx, now().Add(-time.Hour)); err != nil || n != 0 {
			t.Fatalf("PurgeLogouts(an hour ago) = %d, %v", n, err)
		}
		n, err := s.PurgeLogouts(ctx, now().Add(time.Hour))
		must(t, err, "PurgeLogouts")
		if n != 2 {
			t.Fatalf("purged %d, want the delivered and the failed one", n)
		}
		left, _ := s.ListLogouts(ctx, "", 10)
		if len(left) != 1 || left[0].ID != claimed[2].ID || left[0].State != store.DeliveryPending {
			t.Fatalf("left after the purge = %+v", left)
		}
	})
}

func refIDs(rs []*store.SessionRef) []string {
	var out []string
	for _, r := range rs {
		out = append(out, r.ID)
	}
	return out
}
