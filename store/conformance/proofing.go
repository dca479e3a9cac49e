package conformance

import (
	"fmt"
	"testing"
	"time"

	"github.com/dinhdanh/dinhdanh/server/identity"
	"github.com/dinhdanh/dinhdanh/store"
)

// proof returns a verified in-person proof recorded by official.
func proof(official string) identity.Proofing {
	return identity.Proofing{State: identity.ProofingVerified, Method: identity.ProofInPerson, Document: "cccd",
		By: official, At: now().Add(-time.Minute)}
}

// testProofing checks that the proof of a personal ID is kept with it, and
// that ProvePersonalID gives a proven ID to whoever proves it.
func testProofing(t *testing.T, open func(t *testing.T) store.Store) {
	t.Run("KeptWithThePersonalID", func(t *testing.T) {
		s, ctx := open(t), t.Context()
		a := citizen("Trần Văn Tự Khai", "001099000101", "", "")
		must(t, s.CreateAccount(ctx, a, ""), "CreateAccount(unverified)")
		got, err := s.GetAccount(ctx, a.ID)
		must(t, err, "GetAccount")
		if got.Proofing != (identity.Proofing{}) || got.PersonalIDVerified() {
			t.Fatalf("a self-asserted personal ID reads back with proof %+v", got.Proofing)
		}
		a.Proofing = proof("tn.hoa")
		must(t, s.UpdateAccount(ctx, a), "UpdateAccount(verified)")
		got, err = s.FindAccount(ctx, store.ByPersonalID, "001099000101")
		must(t, err, "FindAccount")
		sameAccount(t, got, a, "FindAccount after proof")
		// No personal ID, no proof.
		a.PersonalID = ""
		must(t, s.UpdateAccount(ctx, a), "UpdateAccount(no personal ID)")
		got, err = s.GetAccount(ctx, a.ID)
		must(t, err, "GetAccount")
		if got.Proofing != (identity.Proofing{}) {
			t.Fatalf("an account without a personal ID kept the proof %+v", got.Proofing)
		}
	})

	t.Run("ProveTakesFromSquatter", func(t *testing.T) {
		s, ctx := open(t), t.Context()
		squatter := citizen("Kẻ Mạo Danh", "001099000202", "mao.danh@example.vn", "")
		holder := citizen("Người Thật", "", "nguoi.that@example.vn", "")
		must(t, s.CreateAccount(ctx, squatter, ""), "CreateAccount(squatter)")
		must(t, s.CreateAccount(ctx, holder, ""), "CreateAccount(holder)")
		p := proof("tn.hoa")
		displaced, err := s.ProvePersonalID(ctx, holder.ID, "001099000202", p)
		must(t, err, "ProvePersonalID")
		if displaced != squatter.ID {
			t.Fatalf("displaced = %q, want the squatter %q", displaced, squatter.ID)
		}
		got, err := s.FindAccount(ctx, store.ByPersonalID, "001099000202")
		must(t, err, "FindAccount")
		if got.ID != holder.ID || got.Proofing != p {
			t.Fatalf("the personal ID is held by %s with proof %+v, want %s with %+v", got.ID, got.Proofing, holder.ID, p)
		}
		sq, err := s.GetAccount(ctx, squatter.ID)
		must(t, err, "GetAccount(squatter)")
		if sq.PersonalID != "" || sq.Proofing != (identity.Proofing{}) || sq.Email != squatter.Email {
			t.Fatalf("the squatter after the proof: %s", accountString(sq))
		}
		// Proving again what one holds displaces nobody.
		displaced, err = s.ProvePersonalID(ctx, holder.ID, "001099000202", proof("lt.mai"))
		must(t, err, "ProvePersonalID(again)")
		if displaced != "" {
			t.Fatalf("proving one's own ID again displaced %q", displaced)
		}
	})

	t.Run("ProvenIDIsNotTaken", func(t *testing.T) {
		s, ctx := open(t), t.Context()
		owner := citizen("Chủ Thật", "001099000303", "", "")
		owner.Proofing = proof("tn.hoa")
		other := citizen("Người Khác", "001099000404", "", "")
		other.Proofing = proof("tn.hoa")
		must(t, s.CreateAccount(ctx, owner, ""), "CreateAccount(owner)")
		must(t, s.CreateAccount(ctx, other, ""), "CreateAccount(other)")
		_, err := s.ProvePersonalID(ctx, other.ID, "001099000303", proof("lt.mai"))
		wantConflict(t, err, "personal_id", "ProvePersonalID(another's proven ID)")
		fresh := citizen("Người Mới", "", "nguoi.moi@example.vn", "")
		must(t, s.CreateAccount(ctx, fresh, ""), "CreateAccount(fresh)")
		_, err = s.ProvePersonalID(ctx, fresh.ID, "001099000303", proof("lt.mai"))
		wantConflict(t, err, "personal_id", "ProvePersonalID(a proven ID)")
		for _, a := range []*identity.Account{owner, other} {
			got, err := s.GetAccount(ctx, a.ID)
			must(t, err, "GetAccount")
			sameAccount(t, got, a, "after a refused proof")
		}
		_, err = s.ProvePersonalID(ctx, identity.NewSubject(), "001099000505", proof("lt.mai"))
		wantErr(t, err, store.ErrNotFound, "ProvePersonalID(unknown account)")
	})

	t.Run("ConcurrentProofsOneWinner", func(t *testing.T) {
		s, ctx := open(t), t.Context()
		for round := range Repeats {
			pid := identity.PersonalID(fmt.Sprintf("0010990%05d", 50000+round))
			squatter := citizen("Kẻ Mạo Danh", string(pid), "", "")
			must(t, s.CreateAccount(ctx, squatter, ""), "CreateAccount(squatter)")
			claimants := make([]*identity.Account, 2)
			for i := range claimants {
				claimants[i] = citizen("Người Chứng Minh", "", fmt.Sprintf("p%d.c%d@example.vn", round, i), "")
				must(t, s.CreateAccount(ctx, claimants[i], ""), "CreateAccount(claimant)")
			}
			errs := Concurrently(2, func(i int) error {
				_, err := s.ProvePersonalID(ctx, claimants[i].ID, pid, proof("tn.hoa"))
				return err
			})
			winner := -1
			for i, err := range errs {
				if err == nil {
					if winner >= 0 {
						t.Fatalf("round %d: both proofs of %s succeeded", round, pid)
					}
					winner = i
					continue
				}
				wantConflict(t, err, "personal_id", fmt.Sprintf("round %d: ProvePersonalID", round))
			}
			if winner < 0 {
				t.Fatalf("round %d: no proof succeeded (errors %v)", round, errs)
			}
			got, err := s.FindAccount(ctx, store.ByPersonalID, string(pid))
			must(t, err, "FindAccount")
			if got.ID != claimants[winner].ID || !got.PersonalIDVerified() {
				t.Fatalf("round %d: %s is held by %s (verified %v), want the winner %s", round, pid, got.ID, got.PersonalIDVerified(), claimants[winner].ID)
			}
		}
	})
}
