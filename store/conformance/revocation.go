package conformance

import (
	"testing"
	"time"

	"github.com/dinhdanh/dinhdanh/store"
)

// testTokenRevocations checks the durable list of revoked access tokens:
// a revoked grant names every token of its request id, a revoked subject
// the tokens issued at or before its time (to the second), entries count
// until their expiry and are purged after it, and revoking again keeps the
// later times.
func testTokenRevocations(t *testing.T, open func(t *testing.T) store.Store) {
	ctx := t.Context()
	s := open(t)
	t0 := now().Truncate(time.Second)
	later := t0.Add(time.Hour)
	revoked := func(rid, sub string, iat, at time.Time) bool {
		t.Helper()
		ok, err := s.TokenRevoked(ctx, rid, sub, iat, at)
		must(t, err, "TokenRevoked")
		return ok
	}
	if revoked("req-1", "sub-1", t0, t0) {
		t.Fatal("a token is revoked on an empty list")
	}

	must(t, s.RevokeGrant(ctx, "req-1", later), "RevokeGrant")
	if !revoked("req-1", "", t0, t0) || !revoked("req-1", "sub-1", t0.Add(time.Minute), t0) {
		t.Fatal("a token of a revoked grant is not revoked")
	}
	if revoked("req-2", "sub-1", t0, t0) {
		t.Fatal("a token of another grant is revoked")
	}
	if revoked("req-1", "", t0, later.Add(time.Second)) {
		t.Fatal("a grant's revocation counts after its expiry")
	}
	// Revoking again with an earlier expiry keeps the later one.
	must(t, s.RevokeGrant(ctx, "req-1", t0), "RevokeGrant again")
	if !revoked("req-1", "", t0, later.Add(-time.Second)) {
		t.Fatal("revoking a grant again shortened its entry")
	}

	at := t0.Add(10*time.Second + 300*time.Millisecond)
	must(t, s.RevokeSubjectTokens(ctx, "sub-1", at, later), "RevokeSubjectTokens")
	for _, c := range []struct {
		iat  time.Time
		want bool
	}{{t0, true}, {t0.Add(10 * time.Second), true}, {t0.Add(11 * time.Second), false}} {
		if got := revoked("req-9", "sub-1", c.iat, t0); got != c.want {
			t.Errorf("a token of the revoked subject issued at +%s: revoked = %v, want %v", c.iat.Sub(t0), got, c.want)
		}
	}
	if revoked("req-9", "sub-2", t0, t0) || revoked("req-9", "", t0, t0) {
		t.Fatal("a token of another subject, or of none, is revoked")
	}
	// Revoking the subject again, earlier, keeps the later time.
	must(t, s.RevokeSubjectTokens(ctx, "sub-1", t0, later), "RevokeSubjectTokens again")
	if !revoked("req-9", "sub-1", t0.Add(10*time.Second), t0) {
		t.Fatal("revoking a subject again at an earlier time moved its time back")
	}

	n, err := s.DeleteExpiredRevocations(ctx, later)
	must(t, err, "DeleteExpiredRevocations before the expiry")
	if n != 0 {
		t.Fatalf("DeleteExpiredRevocations(at the expiry) removed %d entries, want 0", n)
	}
	n, err = s.DeleteExpiredRevocations(ctx, later.Add(time.Second))
	must(t, err, "DeleteExpiredRevocations")
	if n != 2 {
		t.Fatalf("DeleteExpiredRevocations removed %d entries, want 2", n)
	}
	if revoked("req-1", "sub-1", t0, t0) {
		t.Fatal("a purged entry still revokes")
	}
}
