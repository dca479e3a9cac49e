package conformance

import (
	"bytes"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/dinhdanh/dinhdanh/store"
)

// testOutbox checks the durable outbox of emails and SMS: enqueue, claim
// under a lease, the outcome recorded by the claim's holder only, an
// operator's retry, the listing and counts, the purge, and concurrent
// claimers that each get a message exactly once.
func testOutbox(t *testing.T, open func(t *testing.T) store.Store) {
	message := func(i int) *store.Message {
		return &store.Message{Channel: store.ChannelEmail, Recipient: fmt.Sprintf("nguoi%d@example.vn", i),
			Subject: "Thông báo", Body: []byte{0, 1, 2, byte(i), 0xff}, Kind: "register_taken"}
	}

	t.Run("EnqueueClaimFinish", func(t *testing.T) {
		s, ctx := open(t), t.Context()
		var ms []*store.Message
		for i := range 3 {
			m := message(i)
			if i == 2 {
				m.Channel, m.Recipient, m.Subject = store.ChannelSMS, "+84912345678", ""
			}
			must(t, s.EnqueueMessage(ctx, m), "EnqueueMessage")
			if m.ID == 0 || m.Status != store.MessagePending || m.CreatedAt.IsZero() || m.NextAttemptAt.IsZero() {
				t.Fatalf("enqueued %+v", m)
			}
			ms = append(ms, m)
		}
		got, err := s.GetMessage(ctx, ms[2].ID)
		must(t, err, "GetMessage")
		if got.Channel != store.ChannelSMS || got.Recipient != "+84912345678" || !bytes.Equal(got.Body, ms[2].Body) ||
			got.Kind != "register_taken" || got.Status != store.MessagePending || got.Attempts != 0 || !got.SentAt.IsZero() {
			t.Fatalf("round trip: %+v", got)
		}
		_, err = s.GetMessage(ctx, ms[2].ID+1000)
		wantErr(t, err, store.ErrNotFound, "GetMessage(missing)")

		t0 := now().Add(time.Second)
		claimed, err := s.ClaimMessages(ctx, t0, time.Minute, 2)
		must(t, err, "ClaimMessages")
		if len(claimed) != 2 || claimed[0].ID != ms[0].ID || claimed[1].ID != ms[1].ID || claimed[0].Claim == "" {
			t.Fatalf("claimed %v, want the two oldest", messageIDs(claimed))
		}
		if !bytes.Equal(claimed[0].Body, ms[0].Body) || claimed[0].Recipient != ms[0].Recipient || claimed[0].Subject != "Thông báo" {
			t.Fatalf("claimed message differs: %+v", claimed[0])
		}
		// Leased messages are not claimed again before the lease ends.
		again, err := s.ClaimMessages(ctx, t0, time.Minute, 10)
		must(t, err, "ClaimMessages(again)")
		if len(again) != 1 || again[0].ID != ms[2].ID {
			t.Fatalf("second claim = %v, want only %d", messageIDs(again), ms[2].ID)
		}
		if got, _ := s.ClaimMessages(ctx, t0.Add(59*time.Second), time.Minute, 10); len(got) != 0 {
			t.Fatalf("claimed %v within the lease", messageIDs(got))
		}

		// Sent, retry later, failed.
		claimed[0].Status, claimed[0].Attempts, claimed[0].SentAt = store.MessageSent, 1, t0
		must(t, s.FinishMessage(ctx, claimed[0]), "FinishMessage(sent)")
		claimed[1].Attempts, claimed[1].LastError, claimed[1].NextAttemptAt = 1, "connection refused", t0.Add(5*time.Second)
		must(t, s.FinishMessage(ctx, claimed[1]), "FinishMessage(retry)")
		again[0].Status, again[0].Attempts, again[0].LastError = store.MessageFailed, 8, "gave up"
		must(t, s.FinishMessage(ctx, again[0]), "FinishMessage(failed)")
		// A finished message is not finished again.
		wantErr(t, s.FinishMessage(ctx, claimed[0]), store.ErrChanged, "FinishMessage(twice)")
		missing := *claimed[0]
		missing.ID += 1000
		wantErr(t, s.FinishMessage(ctx, &missing), store.ErrNotFound, "FinishMessage(missing)")

		if got, _ := s.ClaimMessages(ctx, t0.Add(4*time.Second), time.Minute, 10); len(got) != 0 {
			t.Fatalf("claimed %v before its retry time", messageIDs(got))
		}
		retry, err := s.ClaimMessages(ctx, t0.Add(6*time.Second), time.Minute, 10)
		must(t, err, "ClaimMessages(retry)")
		if len(retry) != 1 || retry[0].ID != ms[1].ID || retry[0].Attempts != 1 || retry[0].LastError != "connection refused" {
			t.Fatalf("retry claim = %+v", retry)
		}
		sent, err := s.GetMessage(ctx, ms[0].ID)
		must(t, err, "GetMessage(sent)")
		if sent.Status != store.MessageSent || sent.Attempts != 1 || !sameTime(sent.SentAt, t0) {
			t.Fatalf("sent message = %+v", sent)
		}
		counts, err := s.CountMessages(ctx)
		must(t, err, "CountMessages")
		if counts[store.MessagePending] != 1 || counts[store.MessageSent] != 1 || counts[store.MessageFailed] != 1 {
			t.Fatalf("counts = %v", counts)
		}
		failed, err := s.ListMessages(ctx, store.MessageFailed, 0)
		must(t, err, "ListMessages(failed)")
		if len(failed) != 1 || failed[0].ID != ms[2].ID || failed[0].LastError != "gave up" || failed[0].Attempts != 8 {
			t.Fatalf("failed = %+v", failed)
		}
		all, err := s.ListMessages(ctx, "", 2)
		must(t, err, "ListMessages(all)")
		if len(all) != 2 || all[0].ID != ms[2].ID || all[1].ID != ms[1].ID {
			t.Fatalf("newest two = %v", messageIDs(all))
		}
	})

	t.Run("LostClaim", func(t *testing.T) {
		s, ctx := open(t), t.Context()
		m := message(1)
		must(t, s.EnqueueMessage(ctx, m), "EnqueueMessage")
		t0 := now().Add(time.Second)
		first, err := s.ClaimMessages(ctx, t0, time.Second, 10)
		must(t, err, "ClaimMessages")
		if len(first) != 1 {
			t.Fatalf("claimed %d", len(first))
		}
		// The first claimer stalls past its lease; a second one takes over.
		second, err := s.ClaimMessages(ctx, t0.Add(2*time.Second), time.Minute, 10)
		must(t, err, "ClaimMessages(after the lease)")
		if len(second) != 1 || second[0].Claim == first[0].Claim {
			t.Fatalf("second claim = %+v", second)
		}
		if n, err := s.RenewMessageClaim(ctx, first[0].Claim, t0.Add(time.Hour)); err != nil || n != 0 {
			t.Fatalf("RenewMessageClaim(lost) = %d, %v", n, err)
		}
		first[0].Status, first[0].Attempts = store.MessageSent, 1
		wantErr(t, s.FinishMessage(ctx, first[0]), store.ErrChanged, "FinishMessage(lost claim)")
		if n, err := s.RenewMessageClaim(ctx, second[0].Claim, t0.Add(time.Hour)); err != nil || n != 1 {
			t.Fatalf("RenewMessageClaim = %d, %v", n, err)
		}
		if got, _ := s.ClaimMessages(ctx, t0.Add(30*time.Minute), time.Minute, 10); len(got) != 0 {
			t.Fatal("a renewed claim was claimed again")
		}
		second[0].Status, second[0].Attempts, second[0].SentAt = store.MessageSent, 1, t0
		must(t, s.FinishMessage(ctx, second[0]), "FinishMessage(holder)")
		// A claim of nothing is not a claim: an unclaimed message cannot be
		// finished by an empty claim.
		m2 := message(2)
		must(t, s.EnqueueMessage(ctx, m2), "EnqueueMessage")
		m2.Status = store.MessageSent
		wantErr(t, s.FinishMessage(ctx, m2), store.ErrChanged, "FinishMessage(unclaimed)")
	})

	t.Run("RetryAndEnqueueFailed", func(t *testing.T) {
		s, ctx := open(t), t.Context()
		// A message that can never be sent is kept as failed, for operators.
		m := message(1)
		m.Status, m.LastError = store.MessageFailed, "no SMTP server is configured"
		must(t, s.EnqueueMessage(ctx, m), "EnqueueMessage(failed)")
		if m.Status != store.MessageFailed {
			t.Fatalf("status = %q", m.Status)
		}
		t0 := now().Add(time.Second)
		if got, _ := s.ClaimMessages(ctx, t0, time.Minute, 10); len(got) != 0 {
			t.Fatal("a failed message was claimed")
		}
		must(t, s.RetryMessage(ctx, m.ID, t0), "RetryMessage")
		got, err := s.GetMessage(ctx, m.ID)
		must(t, err, "GetMessage")
		if got.Status != store.MessagePending || got.Attempts != 0 || !sameTime(got.NextAttemptAt, t0) {
			t.Fatalf("retried = %+v", got)
		}
		must(t, s.RetryMessage(ctx, m.ID, t0), "RetryMessage(pending)")
		claimed, err := s.ClaimMessages(ctx, t0, time.Minute, 10)
		must(t, err, "ClaimMessages")
		if len(claimed) != 1 || claimed[0].ID != m.ID || claimed[0].LastError != "no SMTP server is configured" {
			t.Fatalf("claimed %+v", claimed)
		}
		claimed[0].Status, claimed[0].SentAt = store.MessageSent, t0
		must(t, s.FinishMessage(ctx, claimed[0]), "FinishMessage")
		wantErr(t, s.RetryMessage(ctx, m.ID, t0), store.ErrChanged, "RetryMessage(sent)")
		wantErr(t, s.RetryMessage(ctx, m.ID+1000, t0), store.ErrNotFound, "RetryMessage(missing)")
	})

	t.Run("Purge", func(t *testing.T) {
		s, ctx := open(t), t.Context()
		t0 := now().Add(time.Second)
		var ms []*store.Message
		for i := range 3 {
			m := message(i)
			must(t, s.EnqueueMessage(ctx, m), "EnqueueMessage")
			ms = append(ms, m)
		}
		failed := message(9)
		failed.Status = store.MessageFailed
		must(t, s.EnqueueMessage(ctx, failed), "EnqueueMessage(failed)")
		claimed, err := s.ClaimMessages(ctx, t0, time.Minute, 2)
		must(t, err, "ClaimMessages")
		claimed[0].Status, claimed[0].SentAt = store.MessageSent, t0.Add(-time.Hour)
		must(t, s.FinishMessage(ctx, claimed[0]), "FinishMessage")
		claimed[1].Status, claimed[1].SentAt = store.MessageSent, t0
		must(t, s.FinishMessage(ctx, claimed[1]), "FinishMessage")
		// Sent an hour ago goes; sent at t0 stays; the failed one stays
		// until its own retention; the pending one always stays.
		n, err := s.PurgeMessages(ctx, t0.Add(-time.Minute), t0.Add(-time.Hour))
		must(t, err, "PurgeMessages")
		if n != 1 {
			t.Fatalf("purged %d, want 1", n)
		}
		_, err = s.GetMessage(ctx, claimed[0].ID)
		wantErr(t, err, store.ErrNotFound, "GetMessage(purged)")
		n, err = s.PurgeMessages(ctx, t0.Add(time.Minute), t0.Add(time.Hour))
		must(t, err, "PurgeMessages(all finished)")
		if n != 2 {
			t.Fatalf("purged %d, want 2 (one sent, one failed)", n)
		}
		if _, err := s.GetMessage(ctx, ms[2].ID); err != nil {
			t.Fatalf("the pending message was purged: %v", err)
		}
	})

	t.Run("ConcurrentClaimersSendOnce", func(t *testing.T) {
		s, ctx := open(t), t.Context()
		for round := range Repeats {
			const n = 20
			for i := range n {
				must(t, s.EnqueueMessage(ctx, message(round*n+i)), "EnqueueMessage")
			}
			t0 := now().Add(time.Second)
			var mu sync.Mutex
			seen := map[int64]int{}
			errs := Concurrently(Racers, func(int) error {
				for {
					got, err := s.ClaimMessages(ctx, t0, time.Minute, 3)
					if err != nil {
						return err
					}
					if len(got) == 0 {
						return nil
					}
					mu.Lock()
					for _, m := range got {
						seen[m.ID]++
					}
					mu.Unlock()
				}
			})
			for i, err := range errs {
				must(t, err, fmt.Sprintf("claimer %d", i))
			}
			if len(seen) != n {
				t.Fatalf("round %d: %d messages claimed, want %d", round, len(seen), n)
			}
			for id, c := range seen {
				if c != 1 {
					t.Fatalf("round %d: message %d claimed %d times", round, id, c)
				}
			}
			// Leave nothing pending for the next round.
			for id := range seen {
				m, err := s.GetMessage(ctx, id)
				must(t, err, "GetMessage")
				m.Status, m.SentAt = store.MessageSent, t0
				must(t, s.FinishMessage(ctx, m), "FinishMessage")
			}
		}
	})
}

func messageIDs(ms []*store.Message) []int64 {
	var out []int64
	for _, m := range ms {
		out = append(out, m.ID)
	}
	return out
}
