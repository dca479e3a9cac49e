package certificate

import (
	"encoding/base64"
	"errors"
	"net/url"
	"testing"
	"time"

	"github.com/dinhdanh/dinhdanh/server/identity"
	"github.com/dinhdanh/dinhdanh/test/pki"
)

func TestVerifyPosted(t *testing.T) {
	f := newFixture(t, nil)
	p := f.pki
	db := openStore(t)
	chs := &Challenges{Store: db, Now: func() time.Time { return f.now }}
	ctx := t.Context()
	form := func(l *pki.Leaf, content string) url.Values {
		sig := l.SignCMS([]byte(content), pki.CMSOptions{})
		return url.Values{"format": {"cms"}, "signature": {base64.StdEncoding.EncodeToString(sig)}}
	}

	ch, err := chs.Issue(ctx, "flow-1", PurposeLogin)
	if err != nil {
		t.Fatal(err)
	}
	v, r, err := VerifyPosted(ctx, chs, f.v, "flow-1", PurposeLogin, form(p.Official, ch.Value))
	if err != nil || r != nil || v.Identifiers.PersonalID != pki.OfficialPersonalID {
		t.Fatalf("a good signature: %v, %v, %v", v, r, err)
	}
	// The challenge was used: the same form again is a replay.
	_, r, err = VerifyPosted(ctx, chs, f.v, "flow-1", PurposeLogin, form(p.Official, ch.Value))
	wantRefusal(t, r, CheckChallenge, ReasonChallengeUnknown)
	if err != nil {
		t.Fatal(err)
	}

	// A form that does not decode is malformed, and uses the challenge up.
	if _, err := chs.Issue(ctx, "flow-2", PurposeLogin); err != nil {
		t.Fatal(err)
	}
	_, r, _ = VerifyPosted(ctx, chs, f.v, "flow-2", PurposeLogin, url.Values{"format": {"cms"}, "signature": {"%%%"}})
	wantRefusal(t, r, CheckSignature, ReasonMalformed)
	if _, err := chs.Consume(ctx, "flow-2", PurposeLogin); !errors.Is(err, ErrNoChallenge) {
		t.Fatalf("the challenge survived a malformed form: %v", err)
	}
	// Without a live challenge, the missing challenge is the reason, whatever the form.
	_, r, _ = VerifyPosted(ctx, chs, f.v, "flow-3", PurposeLogin, url.Values{"format": {"nonsense"}})
	wantRefusal(t, r, CheckChallenge, ReasonChallengeUnknown)

	// A challenge issued to bind does not log in.
	bind, err := chs.Issue(ctx, "flow-4", PurposeBind)
	if err != nil {
		t.Fatal(err)
	}
	_, r, _ = VerifyPosted(ctx, chs, f.v, "flow-4", PurposeLogin, form(p.Official, bind.Value))
	wantRefusal(t, r, CheckChallenge, ReasonChallengeUnknown)
}

func TestBind(t *testing.T) {
	f := newFixture(t, nil)
	p := f.pki
	db := openStore(t)
	m := &Mapper{Bindings: db, Accounts: db}
	ctx := t.Context()
	an := newAccount(t, db, &identity.Account{FullName: "Nguyễn Văn An", PersonalID: pki.OfficialPersonalID})
	binh := newAccount(t, db, &identity.Account{FullName: "Trần Thị Bình", PersonalID: "079190004567"})
	other := newAccount(t, db, &identity.Account{FullName: "Phạm Văn Cường", PersonalID: "001095001234"})

	// A certificate that carries no ID number binds to whoever proved
	// holding it, when it is issued to their name.
	noID := f.verified(t, p.OfficialNoID)
	if _, err := Bind(ctx, m, db, other.ID, noID); !errors.Is(err, ErrOtherName) {
		t.Fatalf("Bind of Bình's certificate to Cường: %v, want ErrOtherName", err)
	}
	if already, err := Bind(ctx, m, db, binh.ID, noID); err != nil || already {
		t.Fatalf("Bind: %v, already %v", err, already)
	}
	if already, err := Bind(ctx, m, db, binh.ID, noID); err != nil || !already {
		t.Fatalf("Bind again: %v, already %v, want already", err, already)
	}
	if _, err := Bind(ctx, m, db, other.ID, noID); !errors.Is(err, ErrBoundElsewhere) {
		t.Fatalf("Bind to another account: %v, want ErrBoundElsewhere", err)
	}
	// A certificate naming a person binds to that person only.
	official := f.verified(t, p.Official)
	if _, err := Bind(ctx, m, db, other.ID, official); !errors.Is(err, ErrAnotherPerson) {
		t.Fatalf("Bind of An's certificate to another person: %v, want ErrAnotherPerson", err)
	}
	noPID := newAccount(t, db, &identity.Account{FullName: "Vũ Thị Dung", Official: &identity.Official{Username: "dung.vt", Agency: "Sở Nội vụ"}})
	if _, err := Bind(ctx, m, db, noPID.ID, official); !errors.Is(err, ErrBoundElsewhere) {
		t.Fatalf("Bind of An's certificate to an account without personal ID: %v, want ErrBoundElsewhere", err)
	}
	if already, err := Bind(ctx, m, db, an.ID, official); err != nil || already {
		t.Fatalf("Bind of An's certificate to An: %v, already %v", err, already)
	}
	// A business's certificate names the business, not the person.
	if already, err := Bind(ctx, m, db, other.ID, f.verified(t, p.Business)); err != nil || already {
		t.Fatalf("Bind of a business's certificate: %v, already %v", err, already)
	}
	list, err := db.CertificateBindings(ctx, binh.ID)
	if err != nil || len(list) != 1 || list[0].Fingerprint != noID.Fingerprint {
		t.Fatalf("bindings of Bình: %v, %v", list, err)
	}
}
