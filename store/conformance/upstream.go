package conformance

import (
	"errors"
	"testing"

	"github.com/dinhdanh/dinhdanh/store"
)

// testUpstreamLinks checks that an upstream provider's subject links to one
// account, found again by provider and subject.
func testUpstreamLinks(t *testing.T, open func(t *testing.T) store.Store) {
	s, ctx := open(t), t.Context()
	a := citizen("Nguyễn Văn Liên Kết", "001099000404", "", "")
	b := citizen("Trần Thị Khác", "", "tran.khac@example.vn", "")
	must(t, s.CreateAccount(ctx, a, ""), "CreateAccount(a)")
	must(t, s.CreateAccount(ctx, b, ""), "CreateAccount(b)")
	if _, err := s.FindUpstreamLink(ctx, "vneid", "sub-1"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("FindUpstreamLink before any link = %v, want ErrNotFound", err)
	}
	must(t, s.LinkUpstream(ctx, "vneid", "sub-1", a.ID), "LinkUpstream")
	got, err := s.FindUpstreamLink(ctx, "vneid", "sub-1")
	must(t, err, "FindUpstreamLink")
	if got != a.ID {
		t.Fatalf("FindUpstreamLink = %q, want %q", got, a.ID)
	}
	wantConflict(t, s.LinkUpstream(ctx, "vneid", "sub-1", b.ID), "upstream", "LinkUpstream(linked subject)")
	// The same subject at another provider is another person.
	must(t, s.LinkUpstream(ctx, "dvcqg", "sub-1", b.ID), "LinkUpstream(other provider)")
	if err := s.LinkUpstream(ctx, "vneid", "sub-2", "no-such-account"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("LinkUpstream(unknown account) = %v, want ErrNotFound", err)
	}
}
