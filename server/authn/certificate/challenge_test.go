package certificate

import (
	"bytes"
	"crypto"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dinhdanh/dinhdanh/test/pki"
)

func newChallenges(t *testing.T) (*Challenges, *time.Time) {
	t.Helper()
	db := openStore(t)
	now := time.Now().UTC().Truncate(time.Millisecond)
	db.SetClock(func() time.Time { return now })
	return &Challenges{Store: db, Now: func() time.Time { return now }}, &now
}

func TestChallengeIssueConsume(t *testing.T) {
	c, _ := newChallenges(t)
	ctx := t.Context()
	ch, err := c.Issue(ctx, "flow-a", PurposeLogin)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(ch.Value, "dinhdanh:login:") || len(ch.Value) != len("dinhdanh:login:")+43 {
		t.Fatalf("Value = %q", ch.Value)
	}
	if ch.ExpiresAt.Sub(ch.IssuedAt) != DefaultChallengeLifetime {
		t.Fatalf("lifetime = %s, want %s", ch.ExpiresAt.Sub(ch.IssuedAt), DefaultChallengeLifetime)
	}
	other, err := c.Issue(ctx, "flow-b", PurposeLogin)
	if err != nil {
		t.Fatal(err)
	}
	if other.Value == ch.Value {
		t.Fatal("two flows got the same challenge")
	}

	// Another purpose or another flow finds nothing.
	if _, err := c.Consume(ctx, "flow-a", PurposeBind); !errors.Is(err, ErrNoChallenge) {
		t.Fatalf("Consume(bind) = %v, want ErrNoChallenge", err)
	}
	if _, err := c.Consume(ctx, "flow-c", PurposeLogin); !errors.Is(err, ErrNoChallenge) {
		t.Fatalf("Consume(unknown flow) = %v, want ErrNoChallenge", err)
	}
	got, err := c.Consume(ctx, "flow-a", PurposeLogin)
	if err != nil {
		t.Fatal(err)
	}
	if got.Value != ch.Value || got.FlowID != "flow-a" || got.Purpose != PurposeLogin || !got.ExpiresAt.Equal(ch.ExpiresAt) {
		t.Fatalf("Consume = %+v, want %+v", got, ch)
	}
	// A challenge is used once: the replay finds nothing.
	if _, err := c.Consume(ctx, "flow-a", PurposeLogin); !errors.Is(err, ErrNoChallenge) {
		t.Fatalf("replayed Consume = %v, want ErrNoChallenge", err)
	}
	if _, err := c.Consume(ctx, "flow-b", PurposeLogin); err != nil {
		t.Fatalf("the other flow's challenge: %v", err)
	}
}

func TestChallengeReissueReplaces(t *testing.T) {
	c, _ := newChallenges(t)
	ctx := t.Context()
	first, _ := c.Issue(ctx, "flow", PurposeLogin)
	second, _ := c.Issue(ctx, "flow", PurposeLogin)
	got, err := c.Consume(ctx, "flow", PurposeLogin)
	if err != nil {
		t.Fatal(err)
	}
	if got.Value != second.Value || got.Value == first.Value {
		t.Fatal("issuing again did not replace the flow's challenge")
	}
}

func TestChallengeExpires(t *testing.T) {
	c, now := newChallenges(t)
	c.Lifetime = 2 * time.Minute
	ctx := t.Context()
	if _, err := c.Issue(ctx, "flow", PurposeBind); err != nil {
		t.Fatal(err)
	}
	*now = now.Add(2*time.Minute + time.Millisecond)
	if _, err := c.Consume(ctx, "flow", PurposeBind); !errors.Is(err, ErrNoChallenge) {
		t.Fatalf("Consume after expiry = %v, want ErrNoChallenge", err)
	}
}

func TestChallengeConsumedOnceUnderRace(t *testing.T) {
	c, _ := newChallenges(t)
	ctx := t.Context()
	if _, err := c.Issue(ctx, "flow", PurposeLogin); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	winners := 0
	for range 8 {
		wg.Go(func() {
			if _, err := c.Consume(ctx, "flow", PurposeLogin); err == nil {
				mu.Lock()
				winners++
				mu.Unlock()
			} else if !errors.Is(err, ErrNoChallenge) {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if winners != 1 {
		t.Fatalf("%d concurrent Consume calls got the challenge, want 1", winners)
	}
}

func TestChallengeInjectedRandomness(t *testing.T) {
	c, _ := newChallenges(t)
	c.Random = bytes.NewReader(bytes.Repeat([]byte{0xab}, 32))
	ch, err := c.Issue(t.Context(), "flow", PurposeLogin)
	if err != nil {
		t.Fatal(err)
	}
	if want := "dinhdanh:login:" + base64.RawURLEncoding.EncodeToString(bytes.Repeat([]byte{0xab}, 32)); ch.Value != want {
		t.Fatalf("Value = %q, want %q", ch.Value, want)
	}
	c.Random = bytes.NewReader(nil)
	if _, err := c.Issue(t.Context(), "flow", PurposeLogin); err == nil {
		t.Fatal("Issue succeeded without randomness")
	}
	if _, err := c.Issue(t.Context(), "", PurposeLogin); err == nil {
		t.Fatal("Issue succeeded without a flow")
	}
	if _, err := c.Issue(t.Context(), "flow", "logout"); err == nil {
		t.Fatal("Issue succeeded with an unknown purpose")
	}
}

func TestChallengeResponse(t *testing.T) {
	ch := &Challenge{Value: "dinhdanh:login:abc", ExpiresAt: time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)}
	r := ch.Response()
	sum := sha256.Sum256([]byte(ch.Value))
	if r.Challenge != ch.Value || r.SHA256 != base64.StdEncoding.EncodeToString(sum[:]) || r.ExpiresAt != "2030-01-02T03:04:05Z" {
		t.Fatalf("Response = %+v", r)
	}
	if !bytes.Equal(ch.Digest(crypto.SHA256), sum[:]) {
		t.Fatal("Digest(SHA256) differs")
	}
}

// TestCheckChallenge is the table test of validator 1.
func TestCheckChallenge(t *testing.T) {
	f := newFixture(t, nil)
	p := f.pki
	ch := f.challenge()
	expired := *ch
	expired.ExpiresAt = f.now
	other := []byte("dinhdanh:login:another-flow")
	tests := []struct {
		name   string
		ch     *Challenge
		sub    Submission
		reason Reason
		check  Check
	}{
		{"attached content is the challenge", ch, cms(p.Official, []byte(ch.Value), pki.CMSOptions{}), "", ""},
		{"detached: compared by the signature", ch, cms(p.Official, []byte(ch.Value), pki.CMSOptions{Detached: true}), "", ""},
		{"bare signature: compared by the signature", ch, raw(p.Official, []byte(ch.Value), "RS256"), "", ""},
		{"no challenge", nil, cms(p.Official, []byte(ch.Value), pki.CMSOptions{}), ReasonChallengeUnknown, CheckChallenge},
		{"expired challenge", &expired, cms(p.Official, []byte(ch.Value), pki.CMSOptions{}), ReasonChallengeUnknown, CheckChallenge},
		{"attached content is another value", ch, cms(p.Official, other, pki.CMSOptions{}), ReasonChallengeMismatch, CheckChallenge},
		{"attached content is empty", ch, cms(p.Official, []byte{}, pki.CMSOptions{}), ReasonChallengeMismatch, CheckChallenge},
		{"attached content extends the challenge", ch, cms(p.Official, []byte(ch.Value+"x"), pki.CMSOptions{}), ReasonChallengeMismatch, CheckChallenge},
		{"not CMS", ch, Submission{Format: FormatCMS, Signature: []byte("not der")}, ReasonMalformed, CheckSignature},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wantRefusal(t, checkChallenge(f.state(tt.ch, tt.sub)), tt.check, tt.reason)
		})
	}
}
