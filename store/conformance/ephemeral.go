package conformance

import (
	"bytes"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/dinhdanh/dinhdanh/store"
)

// RunEphemeral runs the suite of the short-lived store (store.Ephemeral)
// against the backend that open returns. open is called for every subtest or
// group of subtests and must return a fresh, empty backend.
func RunEphemeral(t *testing.T, open func(t *testing.T) store.Ephemeral) {
	t.Run("Records", func(t *testing.T) { testRecords(t, open) })
	t.Run("Expiry", func(t *testing.T) { testRecordExpiry(t, open) })
	t.Run("SingleUse", func(t *testing.T) { testSingleUse(t, open) })
	t.Run("Groups", func(t *testing.T) { testRecordGroups(t, open) })
	t.Run("Counters", func(t *testing.T) { testCounters(t, open) })
	t.Run("Unhit", func(t *testing.T) { testUnhit(t, open) })
	t.Run("PurgeExpired", func(t *testing.T) { testPurgeExpired(t, open) })
	t.Run("Leases", func(t *testing.T) { testLeases(t, open) })
}

func testLeases(t *testing.T, open func(t *testing.T) store.Ephemeral) {
	t.Run("OneHolder", func(t *testing.T) {
		e, ctx := open(t), t.Context()
		acquire := func(holder string, want bool) {
			t.Helper()
			ok, err := e.AcquireLease(ctx, "sync:so-noi-vu", holder, time.Hour)
			must(t, err, "AcquireLease")
			if ok != want {
				t.Fatalf("AcquireLease(%s) = %v, want %v", holder, ok, want)
			}
		}
		acquire("node-a", true)
		acquire("node-b", false)
		acquire("node-a", true) // renewed
		ok, err := e.AcquireLease(ctx, "sync:so-xay-dung", "node-b", time.Hour)
		must(t, err, "AcquireLease(other lease)")
		if !ok {
			t.Fatal("a lease of another name was refused")
		}
		must(t, e.ReleaseLease(ctx, "sync:so-noi-vu", "node-b"), "ReleaseLease(not the holder)")
		acquire("node-b", false)
		must(t, e.ReleaseLease(ctx, "sync:so-noi-vu", "node-a"), "ReleaseLease")
		acquire("node-b", true)
		acquire("node-a", false)
	})

	t.Run("Expires", func(t *testing.T) {
		e, ctx := open(t), t.Context()
		exp := time.Now().Add(shortLife)
		ok, err := e.AcquireLease(ctx, "sync:so-noi-vu", "node-a", shortLife)
		must(t, err, "AcquireLease")
		if !ok {
			t.Fatal("a free lease was refused")
		}
		if stillBefore(exp) {
			if ok, _ := e.AcquireLease(ctx, "sync:so-noi-vu", "node-b", time.Hour); ok {
				t.Fatal("a held lease was taken before it expired")
			}
		}
		sleepPast(exp)
		ok, err = e.AcquireLease(ctx, "sync:so-noi-vu", "node-b", time.Hour)
		must(t, err, "AcquireLease after expiry")
		if !ok {
			t.Fatal("an expired lease could not be taken")
		}
	})

	t.Run("Concurrent", func(t *testing.T) {
		e, ctx := open(t), t.Context()
		const n = 8
		start := make(chan struct{})
		got := make(chan bool, n)
		errs := make(chan error, n)
		for i := range n {
			go func() {
				<-start
				ok, err := e.AcquireLease(ctx, "sync:so-noi-vu", fmt.Sprintf("node-%d", i), time.Hour)
				got <- ok
				errs <- err
			}()
		}
		close(start)
		held := 0
		for range n {
			if <-got {
				held++
			}
			must(t, <-errs, "AcquireLease")
		}
		if held != 1 {
			t.Fatalf("%d of %d concurrent callers got the lease, want exactly 1", held, n)
		}
	})
	t.Run("CompareAndSwap", func(t *testing.T) { testCompareAndSwap(t, open) })
}

func sameRecord(t *testing.T, got, want *store.Record, what string) {
	t.Helper()
	if got == nil {
		t.Fatalf("%s: no record", what)
	}
	if got.Key != want.Key || got.RequestID != want.RequestID || got.Subject != want.Subject ||
		!bytes.Equal(got.Data, want.Data) || got.Used != want.Used || !sameTime(got.ExpiresAt, want.ExpiresAt) {
		t.Fatalf("%s:\n got  %+v\n want %+v", what, got, want)
	}
}

func keys(rs []*store.Record) []string {
	out := make([]string, len(rs))
	for i, r := range rs {
		out[i] = r.Key
	}
	slices.Sort(out)
	return orNil(out)
}

func testRecords(t *testing.T, open func(t *testing.T) store.Ephemeral) {
	t.Run("PutGetReplace", func(t *testing.T) {
		e, ctx := open(t), t.Context()
		r := &store.Record{Key: "flow-1", RequestID: "req-1", Subject: "sub-1",
			Data: []byte("{\"bước\":\"mật khẩu\"}\x00\xff"), ExpiresAt: now().Add(time.Hour)}
		must(t, e.PutRecord(ctx, store.KindLoginFlow, r), "PutRecord")
		got, err := e.GetRecord(ctx, store.KindLoginFlow, "flow-1")
		must(t, err, "GetRecord")
		sameRecord(t, got, r, "GetRecord")

		// Kinds are separate namespaces.
		_, err = e.GetRecord(ctx, store.KindSSOSession, "flow-1")
		wantErr(t, err, store.ErrNotFound, "GetRecord(other kind, same key)")
		other := &store.Record{Key: "flow-1", Data: []byte("sso"), ExpiresAt: now().Add(time.Hour)}
		must(t, e.PutRecord(ctx, store.KindSSOSession, other), "PutRecord(other kind, same key)")
		got, err = e.GetRecord(ctx, store.KindLoginFlow, "flow-1")
		must(t, err, "GetRecord")
		sameRecord(t, got, r, "GetRecord after writing another kind")

		// Replace: every field is the new record's.
		repl := &store.Record{Key: "flow-1", Subject: "sub-2", Data: []byte("v2"), Used: true, ExpiresAt: now().Add(2 * time.Hour)}
		must(t, e.PutRecord(ctx, store.KindLoginFlow, repl), "PutRecord(replace)")
		got, err = e.GetRecord(ctx, store.KindLoginFlow, "flow-1")
		must(t, err, "GetRecord after replacing")
		sameRecord(t, got, repl, "GetRecord after replacing")

		// A replacement that is not used makes the item usable again.
		repl.Used = false
		must(t, e.PutRecord(ctx, store.KindLoginFlow, repl), "PutRecord(replace unused)")
		must(t, e.MarkRecordUsed(ctx, store.KindLoginFlow, "flow-1"), "MarkRecordUsed(replaced record)")

		_, err = e.GetRecord(ctx, store.KindLoginFlow, "flow-2")
		wantErr(t, err, store.ErrNotFound, "GetRecord(unknown)")
	})

	t.Run("EmptyData", func(t *testing.T) {
		e, ctx := open(t), t.Context()
		r := &store.Record{Key: "jti-1", ExpiresAt: now().Add(time.Hour)}
		must(t, e.PutRecord(ctx, store.KindClientJTI, r), "PutRecord(no data)")
		got, err := e.GetRecord(ctx, store.KindClientJTI, "jti-1")
		must(t, err, "GetRecord")
		sameRecord(t, got, r, "GetRecord")
	})

	t.Run("Delete", func(t *testing.T) {
		e, ctx := open(t), t.Context()
		must(t, e.PutRecord(ctx, store.KindSSOSession, &store.Record{Key: "s1", ExpiresAt: now().Add(time.Hour)}), "PutRecord")
		must(t, e.PutRecord(ctx, store.KindSSOSession, &store.Record{Key: "s2", ExpiresAt: now().Add(time.Hour)}), "PutRecord")
		must(t, e.DeleteRecord(ctx, store.KindSSOSession, "s1"), "DeleteRecord")
		_, err := e.GetRecord(ctx, store.KindSSOSession, "s1")
		wantErr(t, err, store.ErrNotFound, "GetRecord after DeleteRecord")
		_, err = e.GetRecord(ctx, store.KindSSOSession, "s2")
		must(t, err, "GetRecord(other key)")
		must(t, e.DeleteRecord(ctx, store.KindSSOSession, "s1"), "DeleteRecord(missing)")
		must(t, e.DeleteRecord(ctx, store.KindLoginFlow, "s2"), "DeleteRecord(other kind)")
		_, err = e.GetRecord(ctx, store.KindSSOSession, "s2")
		must(t, err, "GetRecord after deleting the same key of another kind")
	})
}

func testRecordExpiry(t *testing.T, open func(t *testing.T) store.Ephemeral) {
	t.Run("AlreadyExpired", func(t *testing.T) {
		e, ctx := open(t), t.Context()
		must(t, e.PutRecord(ctx, store.KindSSOSession, &store.Record{Key: "old", Subject: "sub-1", RequestID: "req-1",
			ExpiresAt: now().Add(-time.Second)}), "PutRecord(expired)")
		_, err := e.GetRecord(ctx, store.KindSSOSession, "old")
		wantErr(t, err, store.ErrNotFound, "GetRecord(expired)")
		_, err = e.TakeRecord(ctx, store.KindSSOSession, "old")
		wantErr(t, err, store.ErrNotFound, "TakeRecord(expired)")
		wantErr(t, e.MarkRecordUsed(ctx, store.KindSSOSession, "old"), store.ErrNotFound, "MarkRecordUsed(expired)")
		rs, err := e.RecordsBySubject(ctx, store.KindSSOSession, "sub-1")
		must(t, err, "RecordsBySubject")
		if len(rs) != 0 {
			t.Fatalf("RecordsBySubject returned %v, an expired record", keys(rs))
		}
	})

	t.Run("ExpiresByItself", func(t *testing.T) {
		e, ctx := open(t), t.Context()
		exp := time.Now().Add(shortLife)
		for _, key := range []string{"get", "take", "mark", "list"} {
			must(t, e.PutRecord(ctx, store.KindAuthorizeCode, &store.Record{Key: key, Subject: "sub-1", ExpiresAt: exp}), "PutRecord")
		}
		must(t, e.PutRecord(ctx, store.KindAuthorizeCode, &store.Record{Key: "long", Subject: "sub-1", ExpiresAt: now().Add(time.Hour)}), "PutRecord(long)")
		if stillBefore(exp) {
			_, err := e.GetRecord(ctx, store.KindAuthorizeCode, "get")
			must(t, err, "GetRecord before expiry")
		}
		sleepPast(exp)
		_, err := e.GetRecord(ctx, store.KindAuthorizeCode, "get")
		wantErr(t, err, store.ErrNotFound, "GetRecord after expiry")
		_, err = e.TakeRecord(ctx, store.KindAuthorizeCode, "take")
		wantErr(t, err, store.ErrNotFound, "TakeRecord after expiry")
		wantErr(t, e.MarkRecordUsed(ctx, store.KindAuthorizeCode, "mark"), store.ErrNotFound, "MarkRecordUsed after expiry")
		rs, err := e.RecordsBySubject(ctx, store.KindAuthorizeCode, "sub-1")
		must(t, err, "RecordsBySubject")
		if got := keys(rs); !slices.Equal(got, []string{"long"}) {
			t.Fatalf("RecordsBySubject after expiry = %v, want [long]", got)
		}
		_, err = e.GetRecord(ctx, store.KindAuthorizeCode, "long")
		must(t, err, "GetRecord(long-lived)")

		// An expired key can be written again.
		must(t, e.PutRecord(ctx, store.KindAuthorizeCode, &store.Record{Key: "get", Data: []byte("new"), ExpiresAt: now().Add(time.Hour)}), "PutRecord(expired key)")
		got, err := e.GetRecord(ctx, store.KindAuthorizeCode, "get")
		must(t, err, "GetRecord(rewritten)")
		if string(got.Data) != "new" || got.Used || got.Subject != "" {
			t.Fatalf("rewritten record = %+v", got)
		}
		must(t, e.MarkRecordUsed(ctx, store.KindAuthorizeCode, "get"), "MarkRecordUsed(rewritten)")
	})

	t.Run("ReplaceExtendsLife", func(t *testing.T) {
		e, ctx := open(t), t.Context()
		exp := time.Now().Add(shortLife)
		must(t, e.PutRecord(ctx, store.KindSSOSession, &store.Record{Key: "s", ExpiresAt: exp}), "PutRecord")
		must(t, e.PutRecord(ctx, store.KindSSOSession, &store.Record{Key: "s", ExpiresAt: now().Add(time.Hour)}), "PutRecord(extend)")
		sleepPast(exp)
		_, err := e.GetRecord(ctx, store.KindSSOSession, "s")
		must(t, err, "GetRecord after the first expiry passed")
	})
}

func testSingleUse(t *testing.T, open func(t *testing.T) store.Ephemeral) {
	t.Run("Take", func(t *testing.T) {
		e, ctx := open(t), t.Context()
		r := &store.Record{Key: "par-1", RequestID: "req-1", Subject: "sub-1", Data: []byte("payload"), ExpiresAt: now().Add(time.Hour)}
		must(t, e.PutRecord(ctx, store.KindPAR, r), "PutRecord")
		got, err := e.TakeRecord(ctx, store.KindPAR, "par-1")
		must(t, err, "TakeRecord")
		sameRecord(t, got, r, "TakeRecord")
		_, err = e.TakeRecord(ctx, store.KindPAR, "par-1")
		wantErr(t, err, store.ErrNotFound, "TakeRecord(again)")
		_, err = e.GetRecord(ctx, store.KindPAR, "par-1")
		wantErr(t, err, store.ErrNotFound, "GetRecord after TakeRecord")
		_, err = e.TakeRecord(ctx, store.KindPAR, "par-unknown")
		wantErr(t, err, store.ErrNotFound, "TakeRecord(unknown)")
	})

	t.Run("ConcurrentTake", func(t *testing.T) {
		e, ctx := open(t), t.Context()
		for round := range Repeats {
			key := fmt.Sprintf("code-%d", round)
			must(t, e.PutRecord(ctx, store.KindPAR, &store.Record{Key: key, Data: []byte(key), ExpiresAt: now().Add(time.Hour)}), "PutRecord")
			got := make([]*store.Record, Racers)
			errs := Concurrently(Racers, func(i int) error {
				var err error
				got[i], err = e.TakeRecord(ctx, store.KindPAR, key)
				return err
			})
			ExactlyOneNil(t, errs, store.ErrNotFound, fmt.Sprintf("round %d: TakeRecord", round))
			for i, err := range errs {
				if err == nil && (got[i] == nil || string(got[i].Data) != key) {
					t.Fatalf("round %d: the winner got %+v", round, got[i])
				}
			}
		}
	})

	t.Run("MarkUsed", func(t *testing.T) {
		e, ctx := open(t), t.Context()
		r := &store.Record{Key: "code-1", RequestID: "req-1", Subject: "sub-1", Data: []byte("request"), ExpiresAt: now().Add(time.Hour)}
		must(t, e.PutRecord(ctx, store.KindAuthorizeCode, r), "PutRecord")
		must(t, e.MarkRecordUsed(ctx, store.KindAuthorizeCode, "code-1"), "MarkRecordUsed")
		got, err := e.GetRecord(ctx, store.KindAuthorizeCode, "code-1")
		must(t, err, "GetRecord(used)")
		r.Used = true
		sameRecord(t, got, r, "GetRecord(used)")
		wantErr(t, e.MarkRecordUsed(ctx, store.KindAuthorizeCode, "code-1"), store.ErrAlreadyUsed, "MarkRecordUsed(again)")
		wantErr(t, e.MarkRecordUsed(ctx, store.KindAuthorizeCode, "code-2"), store.ErrNotFound, "MarkRecordUsed(unknown)")
		wantErr(t, e.MarkRecordUsed(ctx, store.KindPKCE, "code-1"), store.ErrNotFound, "MarkRecordUsed(other kind)")

		// A record put as used is already used.
		must(t, e.PutRecord(ctx, store.KindAuthorizeCode, &store.Record{Key: "code-3", Used: true, ExpiresAt: now().Add(time.Hour)}), "PutRecord(used)")
		wantErr(t, e.MarkRecordUsed(ctx, store.KindAuthorizeCode, "code-3"), store.ErrAlreadyUsed, "MarkRecordUsed(put as used)")
	})

	t.Run("ConcurrentMarkUsed", func(t *testing.T) {
		e, ctx := open(t), t.Context()
		for round := range Repeats {
			key := fmt.Sprintf("code-%d", round)
			must(t, e.PutRecord(ctx, store.KindAuthorizeCode, &store.Record{Key: key, ExpiresAt: now().Add(time.Hour)}), "PutRecord")
			errs := Concurrently(Racers, func(int) error { return e.MarkRecordUsed(ctx, store.KindAuthorizeCode, key) })
			ExactlyOneNil(t, errs, store.ErrAlreadyUsed, fmt.Sprintf("round %d: MarkRecordUsed", round))
			got, err := e.GetRecord(ctx, store.KindAuthorizeCode, key)
			must(t, err, "GetRecord")
			if !got.Used {
				t.Fatalf("round %d: record not used after MarkRecordUsed", round)
			}
		}
	})

	t.Run("ConcurrentMarkUsedMissing", func(t *testing.T) {
		e, ctx := open(t), t.Context()
		errs := Concurrently(Racers, func(int) error { return e.MarkRecordUsed(ctx, store.KindAuthorizeCode, "missing") })
		for i, err := range errs {
			wantErr(t, err, store.ErrNotFound, fmt.Sprintf("caller %d: MarkRecordUsed(missing)", i))
		}
		_, err := e.GetRecord(ctx, store.KindAuthorizeCode, "missing")
		wantErr(t, err, store.ErrNotFound, "GetRecord after MarkRecordUsed(missing)")
	})
}

func testRecordGroups(t *testing.T, open func(t *testing.T) store.Ephemeral) {
	t.Run("ReplaceRequestRecords", func(t *testing.T) {
		e, ctx := open(t), t.Context()
		exp := now().Add(time.Hour)
		put := func(kind store.RecordKind, key, requestID string) {
			t.Helper()
			must(t, e.PutRecord(ctx, kind, &store.Record{Key: key, RequestID: requestID, Subject: "sub-1", ExpiresAt: exp}), "PutRecord")
		}
		put(store.KindAccessToken, "at-1", "req-1")
		put(store.KindAccessToken, "at-2", "req-1")
		put(store.KindAccessToken, "at-3", "req-2")
		put(store.KindAuthorizeCode, "code-1", "req-1")
		next := &store.Record{Key: "at-5", RequestID: "req-1", Subject: "sub-1", Data: []byte("next"), ExpiresAt: exp}
		must(t, e.ReplaceRequestRecords(ctx, store.KindAccessToken, next), "ReplaceRequestRecords")
		for _, tc := range []struct {
			kind  store.RecordKind
			key   string
			alive bool
		}{
			{store.KindAccessToken, "at-1", false},
			{store.KindAccessToken, "at-2", false},
			{store.KindAccessToken, "at-3", true},
			{store.KindAuthorizeCode, "code-1", true},
			{store.KindAccessToken, "at-5", true},
		} {
			_, err := e.GetRecord(ctx, tc.kind, tc.key)
			if alive := err == nil; alive != tc.alive {
				t.Errorf("record %s/%s alive = %v (%v), want %v", tc.kind, tc.key, alive, err, tc.alive)
			}
		}
		got, err := e.GetRecord(ctx, store.KindAccessToken, "at-5")
		must(t, err, "GetRecord(replacement)")
		if string(got.Data) != "next" || got.RequestID != "req-1" || got.Subject != "sub-1" {
			t.Fatalf("replacement read back as %+v", got)
		}
		// The replacement is indexed like any record: by its request and subject.
		subs, err := e.RecordsBySubject(ctx, store.KindAccessToken, "sub-1")
		must(t, err, "RecordsBySubject")
		if ks := keys(subs); !slices.Equal(ks, []string{"at-3", "at-5"}) {
			t.Fatalf("RecordsBySubject after the replacement = %v, want [at-3 at-5]", ks)
		}
		// Replacing a record by itself keeps it.
		must(t, e.ReplaceRequestRecords(ctx, store.KindAccessToken, next), "ReplaceRequestRecords(itself)")
		_, err = e.GetRecord(ctx, store.KindAccessToken, "at-5")
		must(t, err, "GetRecord after replacing a record by itself")
		must(t, e.DeleteRecordsByRequest(ctx, store.KindAccessToken, "req-1"), "DeleteRecordsByRequest")
		_, err = e.GetRecord(ctx, store.KindAccessToken, "at-5")
		wantErr(t, err, store.ErrNotFound, "GetRecord(replacement) after DeleteRecordsByRequest")
	})

	t.Run("DeleteRecordsByRequest", func(t *testing.T) {
		e, ctx := open(t), t.Context()
		exp := now().Add(time.Hour)
		put := func(kind store.RecordKind, key, requestID string) {
			t.Helper()
			must(t, e.PutRecord(ctx, kind, &store.Record{Key: key, RequestID: requestID, ExpiresAt: exp}), "PutRecord")
		}
		put(store.KindAccessToken, "at-1", "req-1")
		put(store.KindAccessToken, "at-2", "req-1")
		put(store.KindAccessToken, "at-3", "req-2")
		put(store.KindAccessToken, "at-4", "")
		put(store.KindAuthorizeCode, "code-1", "req-1")
		put(store.KindOIDC, "at-1", "req-1")
		must(t, e.DeleteRecordsByRequest(ctx, store.KindAccessToken, "req-1"), "DeleteRecordsByRequest")
		for _, tc := range []struct {
			kind  store.RecordKind
			key   string
			alive bool
		}{
			{store.KindAccessToken, "at-1", false},
			{store.KindAccessToken, "at-2", false},
			{store.KindAccessToken, "at-3", true},
			{store.KindAccessToken, "at-4", true},
			{store.KindAuthorizeCode, "code-1", true},
			{store.KindOIDC, "at-1", true},
		} {
			_, err := e.GetRecord(ctx, tc.kind, tc.key)
			if alive := err == nil; alive != tc.alive {
				t.Errorf("record %s/%s alive = %v (%v), want %v", tc.kind, tc.key, alive, err, tc.alive)
			}
		}
		must(t, e.DeleteRecordsByRequest(ctx, store.KindAccessToken, "req-unknown"), "DeleteRecordsByRequest(unknown)")
		// An empty request id is no group: it deletes nothing.
		must(t, e.DeleteRecordsByRequest(ctx, store.KindAccessToken, ""), `DeleteRecordsByRequest("")`)
		_, err := e.GetRecord(ctx, store.KindAccessToken, "at-4")
		must(t, err, `GetRecord after DeleteRecordsByRequest("")`)

		// A record replaced under another request leaves the old group.
		put(store.KindAccessToken, "at-3", "req-3")
		must(t, e.DeleteRecordsByRequest(ctx, store.KindAccessToken, "req-2"), "DeleteRecordsByRequest(old group)")
		_, err = e.GetRecord(ctx, store.KindAccessToken, "at-3")
		must(t, err, "GetRecord(moved to another request)")
		must(t, e.DeleteRecordsByRequest(ctx, store.KindAccessToken, "req-3"), "DeleteRecordsByRequest(new group)")
		_, err = e.GetRecord(ctx, store.KindAccessToken, "at-3")
		wantErr(t, err, store.ErrNotFound, "GetRecord after deleting its new group")
	})

	t.Run("RecordsBySubject", func(t *testing.T) {
		e, ctx := open(t), t.Context()
		exp := now().Add(time.Hour)
		want := map[string]*store.Record{}
		for _, r := range []struct {
			kind store.RecordKind
			rec  *store.Record
		}{
			{store.KindSSOSession, &store.Record{Key: "s1", Subject: "sub-1", RequestID: "r1", Data: []byte("một"), ExpiresAt: exp}},
			{store.KindSSOSession, &store.Record{Key: "s2", Subject: "sub-1", Data: []byte("hai"), Used: true, ExpiresAt: exp.Add(time.Minute)}},
			{store.KindSSOSession, &store.Record{Key: "s3", Subject: "sub-2", ExpiresAt: exp}},
			{store.KindSSOSession, &store.Record{Key: "s4", ExpiresAt: exp}},
			{store.KindLoginFlow, &store.Record{Key: "f1", Subject: "sub-1", ExpiresAt: exp}},
		} {
			must(t, e.PutRecord(ctx, r.kind, r.rec), "PutRecord")
			if r.kind == store.KindSSOSession && r.rec.Subject == "sub-1" {
				want[r.rec.Key] = r.rec
			}
		}
		rs, err := e.RecordsBySubject(ctx, store.KindSSOSession, "sub-1")
		must(t, err, "RecordsBySubject")
		if got := keys(rs); !slices.Equal(got, []string{"s1", "s2"}) {
			t.Fatalf("RecordsBySubject(sub-1) = %v, want [s1 s2]", got)
		}
		for _, r := range rs {
			sameRecord(t, r, want[r.Key], "RecordsBySubject")
		}
		rs, err = e.RecordsBySubject(ctx, store.KindSSOSession, "sub-unknown")
		must(t, err, "RecordsBySubject(unknown)")
		if len(rs) != 0 {
			t.Fatalf("RecordsBySubject(unknown) = %v", keys(rs))
		}
		must(t, e.DeleteRecord(ctx, store.KindSSOSession, "s1"), "DeleteRecord")
		_, err = e.TakeRecord(ctx, store.KindSSOSession, "s2")
		must(t, err, "TakeRecord")
		rs, err = e.RecordsBySubject(ctx, store.KindSSOSession, "sub-1")
		must(t, err, "RecordsBySubject")
		if len(rs) != 0 {
			t.Fatalf("RecordsBySubject after deleting both = %v", keys(rs))
		}
		// A record replaced for another subject moves with it.
		must(t, e.PutRecord(ctx, store.KindSSOSession, &store.Record{Key: "s3", Subject: "sub-1", ExpiresAt: exp}), "PutRecord(new subject)")
		for subject, want := range map[string][]string{"sub-1": {"s3"}, "sub-2": nil} {
			rs, err := e.RecordsBySubject(ctx, store.KindSSOSession, subject)
			must(t, err, "RecordsBySubject")
			if got := keys(rs); !slices.Equal(got, want) {
				t.Errorf("RecordsBySubject(%s) = %v, want %v", subject, got, want)
			}
		}
	})

	// Two token requests of one family race as fosite's refresh does: each
	// replaces the family's records by its own, and the one that loses
	// revokes the family. A revoke that starts after a replacement returned
	// removes what it put, however the two interleave on the backend: once
	// every caller has returned, nothing of the family is left.
	t.Run("ReplaceRaceRevoke", func(t *testing.T) {
		e, ctx := open(t), t.Context()
		exp := now().Add(time.Hour)
		record := func(key, requestID string) *store.Record {
			return &store.Record{Key: key, RequestID: requestID, Subject: "sub-1", Data: []byte(key), ExpiresAt: exp}
		}
		gone := func(requestID string, keys []string, what string) {
			t.Helper()
			for _, k := range keys {
				if r, err := e.GetRecord(ctx, store.KindAccessToken, k); !errors.Is(err, store.ErrNotFound) {
					t.Fatalf("%s: GetRecord(%s) = %v, %v; want not found: the record survived the revoke of %s", what, k, r, err, requestID)
				}
			}
			rs, err := e.RecordsBySubject(ctx, store.KindAccessToken, "sub-1")
			must(t, err, "RecordsBySubject")
			for _, r := range rs {
				if r.RequestID == requestID {
					t.Fatalf("%s: RecordsBySubject lists %s of the revoked request %s", what, r.Key, requestID)
				}
			}
		}
		for round := range RaceRounds {
			// Every racer replaces, then revokes.
			req := fmt.Sprintf("req-%d", round)
			must(t, e.PutRecord(ctx, store.KindAccessToken, record(req+"-first", req)), "PutRecord")
			keys := []string{req + "-first"}
			for i := range Racers {
				keys = append(keys, fmt.Sprintf("%s-at-%d", req, i))
			}
			errs := Concurrently(Racers, func(i int) error {
				if err := e.ReplaceRequestRecords(ctx, store.KindAccessToken, record(keys[i+1], req)); err != nil {
					return err
				}
				return e.DeleteRecordsByRequest(ctx, store.KindAccessToken, req)
			})
			for i, err := range errs {
				must(t, err, fmt.Sprintf("round %d: racer %d: ReplaceRequestRecords, DeleteRecordsByRequest", round, i))
			}
			gone(req, keys, fmt.Sprintf("round %d, every racer revoking", round))

			// Half the racers replace, the others revoke; a revoke once
			// they all returned leaves nothing.
			req = fmt.Sprintf("req-%d-mixed", round)
			must(t, e.PutRecord(ctx, store.KindAccessToken, record(req+"-first", req)), "PutRecord")
			keys = []string{req + "-first"}
			for i := range Racers {
				keys = append(keys, fmt.Sprintf("%s-at-%d", req, i))
			}
			errs = Concurrently(Racers, func(i int) error {
				if i%2 == 0 {
					return e.ReplaceRequestRecords(ctx, store.KindAccessToken, record(keys[i+1], req))
				}
				return e.DeleteRecordsByRequest(ctx, store.KindAccessToken, req)
			})
			for i, err := range errs {
				must(t, err, fmt.Sprintf("round %d: racer %d: ReplaceRequestRecords or DeleteRecordsByRequest", round, i))
			}
			must(t, e.DeleteRecordsByRequest(ctx, store.KindAccessToken, req), "DeleteRecordsByRequest(last)")
			gone(req, keys, fmt.Sprintf("round %d, replacements and revokes mixed", round))
		}
		// A request that was not raced keeps its record.
		must(t, e.PutRecord(ctx, store.KindAccessToken, record("other", "req-other")), "PutRecord(other request)")
		must(t, e.DeleteRecordsByRequest(ctx, store.KindAccessToken, "req-0"), "DeleteRecordsByRequest(req-0 again)")
		_, err := e.GetRecord(ctx, store.KindAccessToken, "other")
		must(t, err, "GetRecord(other request)")
	})
}

func testCounters(t *testing.T, open func(t *testing.T) store.Ephemeral) {
	t.Run("HitCountReset", func(t *testing.T) {
		e, ctx := open(t), t.Context()
		n, err := e.Count(ctx, "login:account:sub-1")
		must(t, err, "Count(absent)")
		if n != 0 {
			t.Fatalf("Count(absent) = %d", n)
		}
		for want := int64(1); want <= 3; want++ {
			n, err := e.Hit(ctx, "login:account:sub-1", time.Hour)
			must(t, err, "Hit")
			if n != want {
				t.Fatalf("Hit = %d, want %d", n, want)
			}
		}
		n, err = e.Hit(ctx, "login:ip:203.0.113.7", time.Hour)
		must(t, err, "Hit(other key)")
		if n != 1 {
			t.Fatalf("Hit(other key) = %d, want 1", n)
		}
		n, err = e.Count(ctx, "login:account:sub-1")
		must(t, err, "Count")
		if n != 3 {
			t.Fatalf("Count = %d, want 3", n)
		}
		must(t, e.ResetCounter(ctx, "login:account:sub-1"), "ResetCounter")
		n, err = e.Count(ctx, "login:account:sub-1")
		must(t, err, "Count after ResetCounter")
		if n != 0 {
			t.Fatalf("Count after ResetCounter = %d, want 0", n)
		}
		n, err = e.Hit(ctx, "login:account:sub-1", time.Hour)
		must(t, err, "Hit after ResetCounter")
		if n != 1 {
			t.Fatalf("Hit after ResetCounter = %d, want 1", n)
		}
		n, err = e.Count(ctx, "login:ip:203.0.113.7")
		must(t, err, "Count(other key)")
		if n != 1 {
			t.Fatalf("Count(other key) = %d after resetting another counter, want 1", n)
		}
		must(t, e.ResetCounter(ctx, "absent"), "ResetCounter(absent)")
	})

	t.Run("Counts", func(t *testing.T) {
		e, ctx := open(t), t.Context()
		for range 2 {
			_, err := e.Hit(ctx, "bf:id:a", time.Hour)
			must(t, err, "Hit(bf:id:a)")
		}
		_, err := e.Hit(ctx, "lock:bf:ip:b", time.Hour)
		must(t, err, "Hit(lock:bf:ip:b)")
		_, err = e.Hit(ctx, "gone", shortLife)
		must(t, err, "Hit(gone)")
		time.Sleep(2 * shortLife)
		// In the order asked, absent and expired ones 0, a key asked twice
		// answered twice.
		got, err := e.Counts(ctx, "lock:bf:id:a", "lock:bf:ip:b", "bf:id:a", "gone", "bf:id:a")
		must(t, err, "Counts")
		if want := []int64{0, 1, 2, 0, 2}; !slices.Equal(got, want) {
			t.Fatalf("Counts = %v, want %v", got, want)
		}
		got, err = e.Counts(ctx)
		must(t, err, "Counts()")
		if len(got) != 0 {
			t.Fatalf("Counts() = %v, want none", got)
		}
	})

	t.Run("Window", func(t *testing.T) {
		e, ctx := open(t), t.Context()
		// The window ends between earliest and latest.
		earliest := time.Now().Add(shortLife)
		n, err := e.Hit(ctx, "k", shortLife)
		latest := time.Now().Add(shortLife)
		must(t, err, "Hit")
		if n != 1 {
			t.Fatalf("Hit = %d, want 1", n)
		}
		// Later hits do not extend the window, which starts at the first hit.
		n, err = e.Hit(ctx, "k", time.Hour)
		must(t, err, "Hit")
		if !stillBefore(earliest) {
			t.Skip("the second hit may have come after the window: the machine is too slow for this test")
		}
		if n != 2 {
			t.Fatalf("second Hit = %d, want 2", n)
		}
		sleepPast(latest)
		n, err = e.Count(ctx, "k")
		must(t, err, "Count after the window")
		if n != 0 {
			t.Fatalf("Count after the window = %d, want 0", n)
		}
		n, err = e.Hit(ctx, "k", time.Hour)
		must(t, err, "Hit after the window")
		if n != 1 {
			t.Fatalf("Hit after the window = %d, want 1 (a new window)", n)
		}
		n, err = e.Count(ctx, "k")
		must(t, err, "Count in the new window")
		if n != 1 {
			t.Fatalf("Count in the new window = %d, want 1", n)
		}
	})

	t.Run("ConcurrentHits", func(t *testing.T) {
		e, ctx := open(t), t.Context()
		const hits = 20
		got := make([]int64, hits)
		errs := Concurrently(hits, func(i int) error {
			var err error
			got[i], err = e.Hit(ctx, "burst", time.Hour)
			return err
		})
		for i, err := range errs {
			must(t, err, fmt.Sprintf("Hit %d", i))
		}
		slices.Sort(got)
		for i, n := range got {
			if n != int64(i+1) {
				t.Fatalf("concurrent Hit results = %v, want each of 1…%d once", got, hits)
			}
		}
		n, err := e.Count(ctx, "burst")
		must(t, err, "Count")
		if n != hits {
			t.Fatalf("Count = %d, want %d", n, hits)
		}
	})
}

// testUnhit checks the counter's decrement: its floor, that it leaves the
// window alone, and that it is atomic against hits, as the brute-force guard
// needs to give back a try it reserved and then refused.
func testUnhit(t *testing.T, open func(t *testing.T) store.Ephemeral) {
	t.Run("Floor", func(t *testing.T) {
		e, ctx := open(t), t.Context()
		for range 2 {
			_, err := e.Hit(ctx, "bf:id:floor", time.Hour)
			must(t, err, "Hit")
		}
		must(t, e.Unhit(ctx, "bf:id:floor"), "Unhit")
		n, err := e.Count(ctx, "bf:id:floor")
		must(t, err, "Count")
		if n != 1 {
			t.Fatalf("Count after 2 hits and 1 unhit = %d, want 1", n)
		}
		for range 3 {
			must(t, e.Unhit(ctx, "bf:id:floor"), "Unhit at the floor")
		}
		n, err = e.Count(ctx, "bf:id:floor")
		must(t, err, "Count")
		if n != 0 {
			t.Fatalf("Count after more unhits than hits = %d, want 0", n)
		}
		n, err = e.Hit(ctx, "bf:id:floor", time.Hour)
		must(t, err, "Hit after the floor")
		if n != 1 {
			t.Fatalf("Hit after the floor = %d, want 1 (no debt below zero)", n)
		}
	})

	t.Run("AbsentAndExpired", func(t *testing.T) {
		e, ctx := open(t), t.Context()
		must(t, e.Unhit(ctx, "absent"), "Unhit(absent)")
		n, err := e.Count(ctx, "absent")
		must(t, err, "Count(absent)")
		if n != 0 {
			t.Fatalf("Count after Unhit(absent) = %d, want 0", n)
		}
		n, err = e.Hit(ctx, "absent", shortLife)
		must(t, err, "Hit(absent)")
		if n != 1 {
			t.Fatalf("Hit after Unhit(absent) = %d, want 1", n)
		}
		_, err = e.Hit(ctx, "gone", shortLife)
		must(t, err, "Hit(gone)")
		_, err = e.Hit(ctx, "gone", shortLife)
		must(t, err, "Hit(gone)")
		time.Sleep(2 * shortLife)
		must(t, e.Unhit(ctx, "gone"), "Unhit(expired)")
		n, err = e.Count(ctx, "gone")
		must(t, err, "Count(expired)")
		if n != 0 {
			t.Fatalf("Count of an expired counter after Unhit = %d, want 0", n)
		}
		n, err = e.Hit(ctx, "gone", time.Hour)
		must(t, err, "Hit after expiry")
		if n != 1 {
			t.Fatalf("Hit after expiry and Unhit = %d, want 1 (a new window)", n)
		}
	})

	t.Run("KeepsWindow", func(t *testing.T) {
		e, ctx := open(t), t.Context()
		// The window must outlast the round trips below; on a machine too
		// busy for that, the round is tried again with a longer window.
		for round, window := 0, 200*time.Millisecond; ; round, window = round+1, window*2 {
			key := fmt.Sprintf("k-%d", round)
			earliest := time.Now().Add(window) // the window ends after this
			n, err := e.Hit(ctx, key, window)
			latest := time.Now().Add(window) // and before this
			must(t, err, "Hit")
			if n != 1 {
				t.Fatalf("Hit = %d, want 1", n)
			}
			// Back to zero and up again: the window is still the first one.
			must(t, e.Unhit(ctx, key), "Unhit")
			n, err = e.Hit(ctx, key, time.Hour)
			must(t, err, "Hit after Unhit")
			if n != 1 {
				t.Fatalf("Hit after Unhit = %d, want 1", n)
			}
			_, err = e.Hit(ctx, key, time.Hour)
			must(t, err, "Hit")
			must(t, e.Unhit(ctx, key), "Unhit")
			if !stillBefore(earliest) {
				if round == 4 {
					t.Fatalf("the machine is too slow: 5 hits took longer than %s", window)
				}
				continue
			}
			sleepPast(latest)
			n, err = e.Count(ctx, key)
			must(t, err, "Count after the first window")
			if n != 0 {
				t.Fatalf("Count after the first window = %d, want 0: Unhit or a hit after it extended the window", n)
			}
			return
		}
	})

	t.Run("ConcurrentReserve", func(t *testing.T) {
		// Each caller reserves a try with Hit and gives it back with Unhit
		// when its count is over the limit: exactly limit callers keep one.
		e, ctx := open(t), t.Context()
		const callers, limit = 40, 5
		for round := range Repeats {
			key := fmt.Sprintf("bf:id:reserve-%d", round)
			kept := make([]bool, callers)
			errs := Concurrently(callers, func(i int) error {
				n, err := e.Hit(ctx, key, time.Hour)
				if err != nil {
					return err
				}
				if n > limit {
					return e.Unhit(ctx, key)
				}
				kept[i] = true
				return nil
			})
			for i, err := range errs {
				must(t, err, fmt.Sprintf("caller %d", i))
			}
			if got := len(slices.DeleteFunc(kept, func(k bool) bool { return !k })); got != limit {
				t.Fatalf("round %d: %d of %d callers kept a try, want %d", round, got, callers, limit)
			}
			n, err := e.Count(ctx, key)
			must(t, err, "Count")
			if n != limit {
				t.Fatalf("round %d: Count = %d after the burst, want %d", round, n, limit)
			}
		}
	})

	t.Run("ConcurrentUnhit", func(t *testing.T) {
		e, ctx := open(t), t.Context()
		const hits, unhits = 10, 30
		for range hits {
			_, err := e.Hit(ctx, "burst", time.Hour)
			must(t, err, "Hit")
		}
		errs := Concurrently(unhits, func(int) error { return e.Unhit(ctx, "burst") })
		for i, err := range errs {
			must(t, err, fmt.Sprintf("Unhit %d", i))
		}
		n, err := e.Count(ctx, "burst")
		must(t, err, "Count")
		if n != 0 {
			t.Fatalf("Count after %d concurrent unhits of %d hits = %d, want 0", unhits, hits, n)
		}
		n, err = e.Hit(ctx, "burst", time.Hour)
		must(t, err, "Hit")
		if n != 1 {
			t.Fatalf("Hit after the unhits = %d, want 1", n)
		}
	})
}

func testPurgeExpired(t *testing.T, open func(t *testing.T) store.Ephemeral) {
	e, ctx := open(t), t.Context()
	exp := time.Now().Add(shortLife)
	long := now().Add(time.Hour)
	must(t, e.PutRecord(ctx, store.KindSSOSession, &store.Record{Key: "short", Subject: "sub-1", RequestID: "req-1", ExpiresAt: exp}), "PutRecord")
	must(t, e.PutRecord(ctx, store.KindLoginFlow, &store.Record{Key: "short", ExpiresAt: exp}), "PutRecord")
	must(t, e.PutRecord(ctx, store.KindSSOSession, &store.Record{Key: "long", Subject: "sub-1", RequestID: "req-1", ExpiresAt: long}), "PutRecord")
	_, err := e.Hit(ctx, "short", shortLife)
	must(t, err, "Hit")
	// Everything short-lived has expired after end.
	end := time.Now().Add(shortLife)
	_, err = e.Hit(ctx, "long", time.Hour)
	must(t, err, "Hit")

	n, err := e.PurgeExpired(ctx, time.Now().Add(-time.Minute))
	must(t, err, "PurgeExpired(before anything expired)")
	if n != 0 {
		t.Fatalf("PurgeExpired before anything expired removed %d items", n)
	}
	if stillBefore(exp) {
		_, err = e.GetRecord(ctx, store.KindSSOSession, "short")
		must(t, err, "GetRecord(short) before it expired")
	}

	sleepPast(end)
	n, err = e.PurgeExpired(ctx, time.Now())
	must(t, err, "PurgeExpired")
	// Backends whose items vanish by themselves may have less to remove.
	if n < 0 || n > 3 {
		t.Fatalf("PurgeExpired = %d, want at most the 3 expired items", n)
	}
	n, err = e.PurgeExpired(ctx, time.Now())
	must(t, err, "PurgeExpired(again)")
	if n != 0 {
		t.Fatalf("PurgeExpired(again) = %d, want 0", n)
	}
	_, err = e.GetRecord(ctx, store.KindSSOSession, "long")
	must(t, err, "GetRecord(long) after PurgeExpired")
	if c, err := e.Count(ctx, "long"); err != nil || c != 1 {
		t.Fatalf("Count(long) after PurgeExpired = %d, %v; want 1", c, err)
	}
	if c, err := e.Count(ctx, "short"); err != nil || c != 0 {
		t.Fatalf("Count(short) after PurgeExpired = %d, %v; want 0", c, err)
	}
	rs, err := e.RecordsBySubject(ctx, store.KindSSOSession, "sub-1")
	must(t, err, "RecordsBySubject")
	if got := keys(rs); !slices.Equal(got, []string{"long"}) {
		t.Fatalf("RecordsBySubject after PurgeExpired = %v, want [long]", got)
	}
	// Expired records were removed from their groups too: deleting the group
	// removes the live record and nothing fails on the purged ones.
	must(t, e.DeleteRecordsByRequest(ctx, store.KindSSOSession, "req-1"), "DeleteRecordsByRequest")
	_, err = e.GetRecord(ctx, store.KindSSOSession, "long")
	wantErr(t, err, store.ErrNotFound, "GetRecord after DeleteRecordsByRequest")
}

func testCompareAndSwap(t *testing.T, open func(t *testing.T) store.Ephemeral) {
	t.Run("Swap", func(t *testing.T) {
		s, ctx := open(t), t.Context()
		exp := now().Add(time.Hour)
		must(t, s.PutRecord(ctx, store.KindSSOSession, &store.Record{Key: "k", Subject: "sub-1", Data: []byte("a"), ExpiresAt: exp}), "PutRecord")
		old, err := s.GetRecord(ctx, store.KindSSOSession, "k")
		must(t, err, "GetRecord")
		next := &store.Record{Key: "k", Subject: "sub-1", Data: []byte("a,b"), ExpiresAt: exp.Add(time.Hour)}
		must(t, s.CompareAndSwapRecord(ctx, store.KindSSOSession, old, next), "CompareAndSwapRecord")
		got, err := s.GetRecord(ctx, store.KindSSOSession, "k")
		must(t, err, "GetRecord(after swap)")
		sameRecord(t, got, next, "swapped record")
		// The record read before the swap is stale now.
		wantErr(t, s.CompareAndSwapRecord(ctx, store.KindSSOSession, old, &store.Record{Key: "k", Subject: "sub-1",
			Data: []byte("a,c"), ExpiresAt: exp}), store.ErrChanged, "CompareAndSwapRecord(stale)")
		got, _ = s.GetRecord(ctx, store.KindSSOSession, "k")
		sameRecord(t, got, next, "record after a stale swap")
		bySub, err := s.RecordsBySubject(ctx, store.KindSSOSession, "sub-1")
		must(t, err, "RecordsBySubject")
		if len(bySub) != 1 || string(bySub[0].Data) != "a,b" {
			t.Fatalf("records of sub-1 after the swap = %v", keys(bySub))
		}
	})

	t.Run("NeverCreates", func(t *testing.T) {
		s, ctx := open(t), t.Context()
		exp := now().Add(time.Hour)
		rec := &store.Record{Key: "gone", Subject: "sub-1", Data: []byte("a"), ExpiresAt: exp}
		must(t, s.PutRecord(ctx, store.KindSSOSession, rec), "PutRecord")
		old, err := s.GetRecord(ctx, store.KindSSOSession, "gone")
		must(t, err, "GetRecord")
		must(t, s.DeleteRecord(ctx, store.KindSSOSession, "gone"), "DeleteRecord")
		next := &store.Record{Key: "gone", Subject: "sub-1", Data: []byte("a"), ExpiresAt: exp.Add(time.Hour)}
		wantErr(t, s.CompareAndSwapRecord(ctx, store.KindSSOSession, old, next), store.ErrNotFound, "CompareAndSwapRecord(deleted)")
		_, err = s.GetRecord(ctx, store.KindSSOSession, "gone")
		wantErr(t, err, store.ErrNotFound, "GetRecord(after a swap of a deleted record)")
		never := &store.Record{Key: "never", Data: []byte("a"), ExpiresAt: exp}
		wantErr(t, s.CompareAndSwapRecord(ctx, store.KindSSOSession, never, never), store.ErrNotFound, "CompareAndSwapRecord(missing)")
		_, err = s.GetRecord(ctx, store.KindSSOSession, "never")
		wantErr(t, err, store.ErrNotFound, "GetRecord(never put)")
	})

	t.Run("ConcurrentSwaps", func(t *testing.T) {
		s, ctx := open(t), t.Context()
		for range Repeats {
			key := uniqueName("cas")
			exp := now().Add(time.Hour)
			must(t, s.PutRecord(ctx, store.KindSSOSession, &store.Record{Key: key, Data: []byte("x"), ExpiresAt: exp}), "PutRecord")
			old, err := s.GetRecord(ctx, store.KindSSOSession, key)
			must(t, err, "GetRecord")
			errs := Concurrently(Racers, func(i int) error {
				return s.CompareAndSwapRecord(ctx, store.KindSSOSession, old,
					&store.Record{Key: key, Data: fmt.Appendf(nil, "x,%d", i), ExpiresAt: exp})
			})
			ExactlyOneNil(t, errs, store.ErrChanged, "CompareAndSwapRecord of one read")
		}
	})

	// ConcurrentSetAdd is what a session's list of clients needs: every
	// racer adds its member by read, add, compare-and-swap, retry; none is lost.
	t.Run("ConcurrentSetAdd", func(t *testing.T) {
		s, ctx := open(t), t.Context()
		for range Repeats {
			key := uniqueName("set")
			exp := now().Add(time.Hour)
			must(t, s.PutRecord(ctx, store.KindSSOSession, &store.Record{Key: key, Subject: "sub-set", Data: []byte("m"), ExpiresAt: exp}), "PutRecord")
			errs := Concurrently(Racers, func(i int) error {
				for {
					old, err := s.GetRecord(ctx, store.KindSSOSession, key)
					if err != nil {
						return err
					}
					next := &store.Record{Key: key, Subject: "sub-set", Data: fmt.Appendf(slices.Clone(old.Data), ",%d", i), ExpiresAt: exp}
					err = s.CompareAndSwapRecord(ctx, store.KindSSOSession, old, next)
					if !errors.Is(err, store.ErrChanged) {
						return err
					}
				}
			})
			for _, err := range errs {
				must(t, err, "set add")
			}
			got, err := s.GetRecord(ctx, store.KindSSOSession, key)
			must(t, err, "GetRecord")
			members := strings.Split(string(got.Data), ",")
			if len(members) != Racers+1 {
				t.Fatalf("set after %d concurrent adds = %q, want %d members", Racers, got.Data, Racers+1)
			}
		}
	})
}
