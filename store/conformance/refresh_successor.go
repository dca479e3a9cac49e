package conformance

import (
	"bytes"
	"fmt"
	"testing"
	"time"

	"github.com/dinhdanh/dinhdanh/store"
)

// testRefreshSuccessor checks that a rotation records, in the same write,
// when the token was rotated, its successor and the successor's seal
// (next.Handover), and that concurrent rotations of one token leave exactly
// one successor recorded and inserted.
func testRefreshSuccessor(t *testing.T, open func(t *testing.T) store.Store) {
	t.Run("RotationRecordsSuccessor", func(t *testing.T) {
		s, ctx := open(t), t.Context()
		must(t, s.CreateRefreshToken(ctx, refreshToken("sig-1", "req-1", "portal", "sub-1")), "CreateRefreshToken")
		got, err := s.GetRefreshToken(ctx, "sig-1")
		must(t, err, "GetRefreshToken(new)")
		if !got.RotatedAt.IsZero() || got.Successor != "" || len(got.SuccessorSeal) != 0 {
			t.Fatalf("a token never rotated has RotatedAt %v, Successor %q, SuccessorSeal %x", got.RotatedAt, got.Successor, got.SuccessorSeal)
		}
		before := now().Add(-time.Second)
		next := refreshToken("sig-2", "req-1", "portal", "sub-1")
		next.Handover = []byte("sealed\x00\xffsuccessor")
		must(t, s.RotateRefreshToken(ctx, "sig-1", next), "RotateRefreshToken")
		got, err = s.GetRefreshToken(ctx, "sig-1")
		must(t, err, "GetRefreshToken(rotated)")
		if got.Active || got.Successor != "sig-2" || !bytes.Equal(got.SuccessorSeal, next.Handover) ||
			got.RotatedAt.Before(before) || got.RotatedAt.After(now().Add(time.Second)) {
			t.Fatalf("the rotated token has Active %v, RotatedAt %v, Successor %q, SuccessorSeal %q; want inactive, now, sig-2, %q",
				got.Active, got.RotatedAt, got.Successor, got.SuccessorSeal, next.Handover)
		}
		succ, err := s.GetRefreshToken(ctx, "sig-2")
		must(t, err, "GetRefreshToken(successor)")
		if !succ.Active || !succ.RotatedAt.IsZero() || succ.Successor != "" || len(succ.SuccessorSeal) != 0 {
			t.Fatalf("the successor has Active %v, RotatedAt %v, Successor %q, SuccessorSeal %q; want active and never rotated",
				succ.Active, succ.RotatedAt, succ.Successor, succ.SuccessorSeal)
		}
		// A refused rotation changes nothing of the rotated token.
		again := refreshToken("sig-3", "req-1", "portal", "sub-1")
		again.Handover = []byte("other")
		wantErr(t, s.RotateRefreshToken(ctx, "sig-1", again), store.ErrAlreadyUsed, "RotateRefreshToken(rotated)")
		got, err = s.GetRefreshToken(ctx, "sig-1")
		must(t, err, "GetRefreshToken(rotated, after a refused rotation)")
		if got.Successor != "sig-2" || !bytes.Equal(got.SuccessorSeal, next.Handover) {
			t.Fatalf("a refused rotation changed the successor to %q (%q)", got.Successor, got.SuccessorSeal)
		}
		// Deactivated or revoked without a rotation: no successor.
		must(t, s.CreateRefreshToken(ctx, refreshToken("sig-4", "req-4", "portal", "sub-1")), "CreateRefreshToken")
		must(t, s.DeactivateRefreshToken(ctx, "sig-4"), "DeactivateRefreshToken")
		got, err = s.GetRefreshToken(ctx, "sig-4")
		must(t, err, "GetRefreshToken(deactivated)")
		if !got.RotatedAt.IsZero() || got.Successor != "" {
			t.Fatalf("a token deactivated without rotation has RotatedAt %v, Successor %q", got.RotatedAt, got.Successor)
		}
	})

	t.Run("ConcurrentRotationsOneSuccessor", func(t *testing.T) {
		s, ctx := open(t), t.Context()
		for round := range Repeats {
			old := fmt.Sprintf("sig-%d", round)
			must(t, s.CreateRefreshToken(ctx, refreshToken(old, "req-r", "portal", "sub-1")), "CreateRefreshToken")
			errs := Concurrently(Racers, func(i int) error {
				next := refreshToken(fmt.Sprintf("%s-next-%d", old, i), "req-r", "portal", "sub-1")
				next.Handover = []byte(fmt.Sprintf("seal-%d", i))
				return s.RotateRefreshToken(ctx, old, next)
			})
			ExactlyOneNil(t, errs, store.ErrAlreadyUsed, fmt.Sprintf("round %d: RotateRefreshToken", round))
			got, err := s.GetRefreshToken(ctx, old)
			must(t, err, "GetRefreshToken(raced)")
			for i, err := range errs {
				succ := fmt.Sprintf("%s-next-%d", old, i)
				_, gerr := s.GetRefreshToken(ctx, succ)
				if err == nil {
					must(t, gerr, "GetRefreshToken(the winner's successor)")
					if got.Successor != succ || string(got.SuccessorSeal) != fmt.Sprintf("seal-%d", i) {
						t.Fatalf("round %d: the raced token names the successor %q (%q), want the winner's %q", round,
							got.Successor, got.SuccessorSeal, succ)
					}
				} else {
					wantErr(t, gerr, store.ErrNotFound, "GetRefreshToken(a loser's successor)")
				}
			}
		}
	})
}
